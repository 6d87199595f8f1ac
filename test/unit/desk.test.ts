import { describe, expect, it } from 'vitest';
import { MemoryArticleIndex } from '#shared/adapters/memory/index.ts';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import type { DeskDrafts, DraftVersion, EditorReport } from '#shared/ports.ts';
import {
  board,
  type DeskDeps,
  deskMayWrite,
  openPreview,
  previewLink,
  withField,
} from '#shared/use-cases/desk.ts';
import { articleRecord, draftText, SITE } from '../support/site.ts';

/** The drafts bucket as the desk sees it, in memory: versions kept, reports by key. */
class MemoryDeskDrafts implements DeskDrafts {
  readonly versionsByKey = new Map<string, { id: string; bytes: Uint8Array }[]>();
  readonly kept: EditorReport[] = [];
  async uploadUrl() {
    return { url: 'http://unused', headers: {} };
  }
  async reports(limit: number) {
    return this.kept.slice(0, limit);
  }
  async read(key: string, versionId?: string) {
    const all = this.versionsByKey.get(key) ?? [];
    const found = versionId ? all.find((v) => v.id === versionId) : all.at(-1);
    return found ? { bytes: found.bytes, versionId: found.id } : undefined;
  }
  async versions(key: string): Promise<DraftVersion[]> {
    const all = this.versionsByKey.get(key) ?? [];
    return all
      .map((v, i) => ({ versionId: v.id, at: '', deleted: false, latest: i === all.length - 1 }))
      .reverse();
  }
  async restore() {}
  async write(key: string, bytes: Uint8Array, _type?: string, _editor?: string) {
    const all = this.versionsByKey.get(key) ?? [];
    this.versionsByKey.set(key, [...all, { id: `v${all.length + 1}`, bytes }]);
  }
}

function setup(now = '2024-06-01T00:00:00Z') {
  const drafts = new MemoryDeskDrafts();
  const index = new MemoryArticleIndex();
  let at = Date.parse(now);
  const deps: DeskDeps = {
    drafts,
    articles: index,
    lists: index,
    images: new SharpRenditions(),
    secret: { key: async () => new Uint8Array(32).fill(3) },
    config: SITE,
    now: () => new Date(at),
  };
  return { deps, drafts, index, advance: (ms: number) => (at += ms) };
}

const KEY = 'xa-hoi/bai-1.md';

describe('shareable preview links', () => {
  it('open the draft version as a preview nobody indexes, until they expire', async () => {
    const { deps, drafts, advance } = setup();
    await drafts.write(
      KEY,
      Buffer.from(draftText({ id: 'bai-1', publishedAt: '2024-07-01T08:00:00+07:00' })),
      '',
      'lan',
    );
    const { token, expiresAt } = await previewLink(deps, KEY, 'v1');
    expect(expiresAt).toBe('2024-06-02T00:00:00.000Z');
    const opened = await openPreview(deps, token);
    expect(opened.kind).toBe('page');
    expect(opened.kind === 'page' && opened.html).toContain(
      '<meta name="robots" content="noindex, nofollow">',
    );
    advance(24 * 3600_000 + 1);
    expect(await openPreview(deps, token)).toMatchObject({ kind: 'refused', status: 410 });
  });

  it('are refused when tampered with, and stop once the article is published from that draft', async () => {
    const { deps, drafts, index } = setup();
    await drafts.write(KEY, Buffer.from(draftText({ id: 'bai-1' })), '', 'lan');
    const { token } = await previewLink(deps, KEY, 'v1');
    const [payload, signature] = token.split('.');
    const other = Buffer.from(
      JSON.stringify({ k: 'xa-hoi/khac.md', v: null, e: '2099-01-01T00:00:00Z' }),
    ).toString('base64url');
    expect(await openPreview(deps, `${other}.${signature}`)).toMatchObject({ status: 404 });
    expect(await openPreview(deps, `${payload}.AAAA`)).toMatchObject({ status: 404 });
    await index.put(articleRecord(1, { id: 'bai-1', draftKey: KEY }));
    expect(await openPreview(deps, token)).toMatchObject({ kind: 'refused', status: 410 });
  });
});

describe('the board', () => {
  it('lists every report, latest first, with the headline of its article, filtered by section and state', async () => {
    const { deps, drafts, index } = setup();
    await index.put(articleRecord(1, { id: 'bai-1', draftKey: KEY, title: 'Cầu treo bản Mồ' }));
    drafts.kept.push(
      {
        draftKey: KEY,
        status: 'published',
        errors: [],
        warnings: [],
        articleId: 'bai-1',
        uploadedAt: '2024-06-01T01:00:00Z',
        uploadedBy: 'Lan',
      },
      {
        draftKey: 'kinh-te/gia-lua.md',
        status: 'rejected',
        errors: [],
        warnings: [],
        uploadedAt: '2024-06-01T02:00:00Z',
      },
    );
    const rows = await board(deps);
    expect(rows.map((r) => [r.key, r.title, r.state, r.section, r.by])).toEqual([
      ['kinh-te/gia-lua.md', 'gia-lua', 'rejected', 'kinh-te', undefined],
      [KEY, 'Cầu treo bản Mồ', 'published', 'xa-hoi', 'Lan'],
    ]);
    expect((await board(deps, { state: 'published' })).map((r) => r.key)).toEqual([KEY]);
    expect((await board(deps, { section: 'kinh-te' })).map((r) => r.key)).toEqual(['kinh-te/gia-lua.md']);
  });
});

describe('what the desk writes', () => {
  it.each([
    ['xa-hoi/bai.md', true],
    ['xa-hoi/images/anh.JPG', true],
    ['xa-hoi/images/anh.svg', false],
    ['reports/xa-hoi/bai.md.json', false],
    ['bai.md', false],
    ['khong-co/bai.md', false],
    ['xa-hoi/../kinh-te/bai.md', false],
  ])('%s → %s', (key, allowed) => {
    expect(deskMayWrite(key, SITE)).toBe(allowed);
  });

  it.each([
    [
      'replaces a field where it is',
      '---\ntitle: "A"\nstatus: published\n---\nBody',
      '---\ntitle: "A"\nstatus: "withdrawn"\n---\nBody',
    ],
    [
      'adds a field at the end',
      '---\ntitle: "A"\n---\n\nBody',
      '---\ntitle: "A"\nstatus: "withdrawn"\n---\n\nBody',
    ],
    ['leaves text without front matter as it is', 'Body only', 'Body only'],
    [
      'does not touch the body',
      '---\ntitle: "A"\n---\nstatus: in body',
      '---\ntitle: "A"\nstatus: "withdrawn"\n---\nstatus: in body',
    ],
  ])('%s', (_, text, expected) => {
    expect(withField(text, 'status', 'withdrawn')).toBe(expected);
  });
});

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { draftText, EXAMPLES, ROOT, SEED_PATH } from '../support/site.ts';

const run = promisify(execFile);

/** `npm run build -- <drafts> <out>` as a user runs it: its summary (the last line) and what it said. */
async function build(drafts: string, out: string) {
  const { stdout, stderr } = await run('npm', ['run', '-s', 'build', '--', drafts, out], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number | boolean>;
  return { summary, stderr };
}

/** Every file of a built site (its state folder left out), by path, as a hash of its bytes. */
function filesOf(out: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(out, join(entry.parentPath, entry.name));
    if (path.startsWith('.newsroom')) continue;
    files.set(
      path,
      createHash('sha256')
        .update(readFileSync(join(out, path)))
        .digest('hex'),
    );
  }
  return files;
}

describe('npm run build: the site from a folder of drafts, then only what changed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'build-command-'));
  const drafts = join(dir, 'drafts');
  const out = join(dir, 'out');
  beforeAll(() => cpSync(EXAMPLES, drafts, { recursive: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds every page the first time, then writes only what a new draft changes', async () => {
    const first = await build(drafts, out);
    expect(first.summary).toMatchObject({ whole: true, draftsApplied: 4, rejected: 0, failed: 0 });
    const built = filesOf(out);
    expect(built.has(`${SEED_PATH.slice(1)}/index.html`)).toBe(true);
    expect(built.has('xay-dung-dang/index.html')).toBe(true);
    expect(first.summary.objectsWritten).toBe(built.size);

    // Nothing changed: nothing is applied or written.
    const again = await build(drafts, out);
    expect(again.summary).toMatchObject({
      whole: false,
      draftsApplied: 0,
      objectsWritten: 0,
      bytesWritten: 0,
    });

    // One new draft and one that is refused: the refused one is reported as the pipeline reports it.
    const newPath = '/xa-hoi/khanh-thanh-cau-treo-ban-mu-ca';
    writeFileSync(
      join(drafts, 'xa-hoi/cau-treo.md'),
      draftText({
        title: 'Khánh thành cầu treo bản Mù Cả',
        publishedAt: '2024-01-05T08:00:00+07:00',
        tags: ['Mường Tè'],
      }),
    );
    writeFileSync(join(drafts, 'xa-hoi/hong.md'), '---\ntitle: ""\nsection: khong-co\n---\nx\n');
    const next = await build(drafts, out);
    expect(next.summary).toMatchObject({ whole: false, draftsApplied: 2, rejected: 1, failed: 0 });
    expect(next.stderr).toContain('Bị từ chối: xa-hoi/hong.md');
    expect(next.stderr).toContain('"khong-co" không phải chuyên mục');
    const report = JSON.parse(readFileSync(join(drafts, 'reports/xa-hoi/hong.md.json'), 'utf8'));
    expect(report.status).toBe('rejected');

    const after = filesOf(out);
    const changed = [...after].filter(([path, hash]) => built.get(path) !== hash).map(([path]) => path);
    // Every object written changed a file, and every file that changed is one the new article is on.
    expect(changed).toHaveLength(next.summary.objectsWritten as number);
    expect(changed).toContain(`${newPath.slice(1)}/index.html`);
    for (const path of changed) {
      const text = readFileSync(join(out, path), 'utf8');
      // The sitemap index names the new article's month rather than the article.
      const names = path === 'sitemap.xml' ? 'sitemaps/2024-01.xml' : newPath;
      expect(text.includes(names), path).toBe(true);
    }
    expect(changed.length).toBeLessThanOrEqual(12);

    // The same site as a whole build of the folder as it is now, byte for byte.
    const fresh = join(dir, 'fresh');
    await build(drafts, fresh);
    expect(filesOf(fresh)).toEqual(after);
  }, 120_000);

  it('refuses folders it cannot build, saying why', async () => {
    await expect(build(join(dir, 'nowhere'), join(dir, 'x'))).rejects.toMatchObject({
      stderr: expect.stringContaining('No folder of drafts'),
    });
    await expect(build(drafts, join(drafts, 'site'))).rejects.toMatchObject({
      stderr: expect.stringContaining('must not be inside one another'),
    });
  });
});

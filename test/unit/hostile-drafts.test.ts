import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import type { MemorySiteStore } from '#shared/adapters/memory/index.ts';
import { articlePath, pageKey } from '#shared/domain/article.ts';
import { slugify } from '#shared/domain/slug.ts';
import { refreshAllLists, refreshSitemap } from '#shared/use-cases/lists.ts';
import { HOSTILE_CASES } from '../support/hostile-corpus.ts';
import { parsePage } from '../support/html.ts';
import { memoryPipeline } from '../support/memory-pipeline.ts';
import { articleRecord, draftText } from '../support/site.ts';

type Pipeline = ReturnType<typeof memoryPipeline>;

/**
 * What a published page may contain, whatever the draft said: one script (the external clock) and one block
 * of structured data (JSON, no markup in it), no event handlers, no frames or plugins, links only to
 * http(s), mailto or the site, images only from the site.
 */
function unsafeParts(markup: string): string[] {
  const page = parsePage(markup);
  const found: string[] = [];
  for (const el of page.elements) {
    if (
      ['iframe', 'object', 'embed', 'svg', 'style', 'form', 'base', 'meta'].includes(el.tagName) &&
      el.tagName !== 'meta'
    ) {
      found.push(`<${el.tagName}>`);
    }
    if (el.tagName === 'script' && page.attr(el, 'type') === 'application/ld+json') {
      const data = page.text(el);
      if (data.includes('<') || !isJson(data)) found.push('structured data that is not plain JSON');
    } else if (
      el.tagName === 'script' &&
      !/^\/assets\/clock\.[0-9a-f]+\.js$/.test(page.attr(el, 'src') ?? '')
    ) {
      found.push('<script>');
    }
    for (const attr of el.attrs) {
      if (/^on/i.test(attr.name) || attr.name === 'style') found.push(`${el.tagName}[${attr.name}]`);
      if (
        (attr.name === 'href' || attr.name === 'src') &&
        /^\s*(javascript|vbscript|data):/i.test(attr.value)
      ) {
        found.push(`${el.tagName}[${attr.name}=${attr.value.slice(0, 30)}]`);
      }
    }
    if (el.tagName === 'img' && !(page.attr(el, 'src') ?? '').startsWith('/media/'))
      found.push('img from elsewhere');
  }
  return found;
}

/**
 * Every feed and sitemap the site holds (its keys ending in `.xml`) as libxml2 reads the bytes served: the
 * problems that make one not well-formed, by key. Also the keys, to check the list is not empty.
 */
async function xmlProblems(site: MemorySiteStore): Promise<{ keys: string[]; problems: string[] }> {
  const keys = (await site.list('')).filter((k) => k.endsWith('.xml'));
  const problems: string[] = [];
  for (const key of keys) {
    const bytes = site.objects.get(key)?.bytes ?? new Uint8Array();
    const result = await validateXML({
      xml: [{ fileName: 'document.xml', contents: bytes }],
      normalization: 'format',
    });
    problems.push(...result.errors.map((e) => `${key}: ${e.message}`));
  }
  return { keys, problems };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('hostile and broken drafts', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = memoryPipeline();
    await p.init();
  });

  for (const c of HOSTILE_CASES) {
    it(`${c.name}: ${c.expect}`, async () => {
      for (const [key, bytes] of Object.entries(c.files ?? {})) p.drafts.put(key, bytes);
      const before = p.snapshot();
      const [report] = await p.change(c.key, c.body);
      expect(p.drafts.objects.has(c.key), 'the draft stays in the bucket').toBe(true);
      if (c.expect === 'published') {
        expect(report?.status, JSON.stringify(report?.errors)).toBe('published');
        const path = new URL(report?.url ?? 'https://x/').pathname;
        const markup = p.site.text(pageKey(path)) ?? '';
        expect(unsafeParts(markup)).toEqual([]);
        const removed = report?.warnings.filter((w) => w.code === 'invisible_characters_removed') ?? [];
        expect(removed.map((w) => w.field)).toEqual(c.warns ?? []);
        for (const warning of removed) {
          expect(warning.message).toContain('ký tự ẩn');
          expect(warning.messageEn).toContain('invisible or control characters');
        }
        return;
      }
      expect(report?.status).toBe('rejected');
      expect(report?.errors.map((e) => e.code)).toContain(c.expect);
      for (const error of report?.errors ?? []) {
        expect(error.message.length, 'a Vietnamese message').toBeGreaterThan(20);
        expect(error.messageEn.length, 'an English message').toBeGreaterThan(20);
      }
      const after = p.snapshot();
      for (const key of Object.keys(c.files ?? {})) after.delete(key);
      expect(after, 'a rejected draft changes nothing on the site').toEqual(before);
    });
  }

  it('cleans what it publishes: control, zero-width and bidi characters never reach the title or the address', async () => {
    const [report] = await p.change('xa-hoi/an.md', draftText({ title: 'Tin\u200b ẩn\u202e dấu\u0007' }));
    expect(report?.url).toBe('https://baolaichau.example/xa-hoi/tin-an-dau');
    const page = parsePage(p.site.text(pageKey('/xa-hoi/tin-an-dau')) ?? '');
    expect(page.text(page.byTag('h1')[0] as never)).toBe('Tin ẩn dấu');
  });

  it('keeps every feed and sitemap well-formed XML, for libxml2, after the whole hostile corpus', async () => {
    const published: string[] = [];
    for (const c of HOSTILE_CASES) {
      for (const [key, bytes] of Object.entries(c.files ?? {})) p.drafts.put(key, bytes);
      const [report] = await p.change(c.key, c.body);
      if (report?.status === 'published' && c.warns) published.push(report.url ?? '');
    }
    expect(published.length, 'the drafts with invisible characters are all live').toBe(
      HOSTILE_CASES.filter((c) => c.warns).length,
    );
    const feed = p.site.text('rss.xml') ?? '';
    for (const url of published) expect(feed).toContain(`<link>${url}</link>`);
    const { keys, problems } = await xmlProblems(p.site);
    expect(keys).toEqual(
      expect.arrayContaining([
        'rss.xml',
        'xa-hoi/rss.xml',
        'sitemap.xml',
        'sitemaps/2024-01.xml',
        'news-sitemap.xml',
      ]),
    );
    expect(problems).toEqual([]);
  }, 120_000);

  it('writes feeds and sitemaps without the characters XML forbids, even from a record made before the rules', async () => {
    // Written as an older version of the pipeline could have: nothing removed from the title or lead.
    const bad = 'Bài\uFFFE cũ\u0008 có\uDB40 ký tự\uFFFF cấm\u0001';
    await p.index.put(articleRecord(1, { title: bad, lead: bad, excerpt: bad }));
    await refreshAllLists(p.deps);
    await refreshSitemap(p.deps, '2024-01');
    const { keys, problems } = await xmlProblems(p.site);
    expect(keys).toEqual(expect.arrayContaining(['rss.xml', 'xa-hoi/rss.xml', 'news-sitemap.xml']));
    expect(problems).toEqual([]);
    expect(p.site.text('rss.xml')).toContain('<title>Bài cũ có ký tự cấm</title>');
    expect(p.site.text('news-sitemap.xml')).toContain('<news:title>Bài cũ có ký tự cấm</news:title>');
  });

  it('a rejected correction leaves the previous version live', async () => {
    await p.change('xa-hoi/ban.md', draftText({ title: 'Bản đúng' }));
    const page = p.site.text(pageKey('/xa-hoi/ban-dung'));
    const [report] = await p.change('xa-hoi/ban.md', '---\ntitle: !!js/function "x"\n---\nx');
    expect(report?.status).toBe('rejected');
    expect(p.site.text(pageKey('/xa-hoi/ban-dung'))).toBe(page);
  });

  it('never throws and never publishes unsafe markup, for any draft and any bytes', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.constantFrom(
        '<script>alert(1)</script>',
        '"><svg onload=alert(1)>',
        'javascript:alert(1)',
        '&lt;b&gt;',
        '![x](../x.jpg)',
        '[a](vbscript:x)',
        '---',
      ),
    );
    const structured = fc
      .record({ title: text, lead: text, name: text, body: fc.array(text, { maxLength: 6 }), tag: text })
      .map((f) =>
        draftText(
          { title: f.title || 'x', lead: f.lead || 'x', author: { name: f.name || 'x' }, tags: [f.tag] },
          f.body.join('\n\n'),
        ),
      );
    const bytes = fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('latin1'));
    await fc.assert(
      fc.asyncProperty(fc.oneof(structured, bytes), async (draft) => {
        const q = memoryPipeline();
        const [report] = await q.change('xa-hoi/ngau-nhien.md', draft);
        expect(['published', 'rejected']).toContain(report?.status);
        if (report?.status === 'published') {
          const path = new URL(report.url ?? 'https://x/').pathname;
          expect(unsafeParts(q.site.text(pageKey(path)) ?? '')).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same address to any spelling of the same title', () => {
    expect(articlePath('xa-hoi', slugify('Hòa bình'))).toBe(
      articlePath('xa-hoi', slugify('Hoà bình'.normalize('NFD'))),
    );
  });
});

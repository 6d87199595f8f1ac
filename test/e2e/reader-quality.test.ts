/// <reference lib="dom" />
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseRssFeed } from 'feedsmith';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateXML } from 'xmllint-wasm';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { launchBrowser } from '../support/browser.ts';
import { draftText, EXAMPLES, ROOT, SEED_PATH, SITE } from '../support/site.ts';
import { sitemapLocs } from '../support/site-model.ts';
import { s3Of } from '../support/stand-ins.ts';

// The site as readers, browsers, validators and search engines take it: every page type loaded in
// Chromium and checked with axe-core, validated by the W3C Nu HTML Checker, and every feed and sitemap read
// by parsers that are not ours. UPDATE_SCREENSHOTS=1 writes the screenshots to docs/screenshots.

const run = promisify(execFile);
const VNU = join(ROOT, 'node_modules/vnu-jar/build/dist/vnu.jar');
const AXE = join(ROOT, 'node_modules/axe-core/axe.min.js');
const SCHEMAS = join(ROOT, 'test/support/schemas');
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS ? join(ROOT, 'docs/screenshots') : undefined;

let stack: LocalStack;
let s3: S3Client;
let browser: Browser;
let dataDir: string;
let pagesDir: string;
const GONE_KEY = 'xa-hoi/tin-da-go.md';
const GONE_PATH = '/xa-hoi/tin-se-bi-go';
const UPDATED_KEY = 'xa-hoi/bai-00.md';

async function upload(key: string, body: Buffer | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: stack.names.draftsBucket, Key: key, Body: body }));
}

/** How far the CDN's clock is ahead: a reader a minute later finds lists (a minute's s-maxage) expired. */
let skew = 0;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'newsroom-quality-'));
  pagesDir = mkdtempSync(join(tmpdir(), 'newsroom-pages-'));
  stack = await startLocalStack({
    dataDir,
    s3Port: 0,
    dynamoPort: 0,
    sitePort: 0,
    examplesDir: EXAMPLES,
    cdnNow: () => Date.now() + skew,
  });
  s3 = s3Of(stack);
  // Enough articles for a second archive page of the section, one taken down, one corrected.
  for (let i = 0; i < 22; i++) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    await upload(
      `xa-hoi/bai-${String(i).padStart(2, '0')}.md`,
      draftText({
        title: `Bản tin xã hội số ${i}: người dân vùng cao đón mùa lúa mới`,
        publishedAt: `2023-11-${day}T0${i % 10}:30:00+07:00`,
        lead: `Bà con các bản vùng cao huyện Phong Thổ thu hoạch lúa, số ${i}.`,
        author: { name: 'Ngọc Anh', role: 'Phóng viên' },
        tags: ['Phong Thổ', 'nông nghiệp'],
      }),
    );
  }
  await upload(GONE_KEY, draftText({ title: 'Tin sẽ bị gỡ', publishedAt: '2023-11-03T10:00:00+07:00' }));
  await stack.whenIdle();
  await s3.send(new DeleteObjectCommand({ Bucket: stack.names.draftsBucket, Key: GONE_KEY }));
  await stack.whenIdle();
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  s3?.destroy();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(pagesDir, { recursive: true, force: true });
});

const PAGES: Record<string, { path: string; status: number }> = {
  home: { path: '/', status: 200 },
  section: { path: '/xa-hoi/', status: 200 },
  'section-archive': { path: '/xa-hoi/page/1', status: 200 },
  article: { path: SEED_PATH, status: 200 },
  tag: { path: '/tag/phong-tho/', status: 200 },
  'tag-archive': { path: '/tag/phong-tho/page/1', status: 200 },
  'not-found': { path: '/xa-hoi/khong-co-bai-nay', status: 404 },
  gone: { path: GONE_PATH, status: 410 },
};

async function fetchText(path: string): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`${stack.siteUrl}${path}`);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

/** The local address of an absolute URL of the site. */
const local = (url: string) => url.replace(SITE.siteUrl, '');

describe('every page type', () => {
  it('answers with its status, in Vietnamese, and passes the W3C Nu HTML Checker without an error', async () => {
    const files: string[] = [];
    for (const [name, { path, status }] of Object.entries(PAGES)) {
      const page = await fetchText(path);
      expect(page.status, name).toBe(status);
      expect(page.body, name).toContain('<html lang="vi">');
      const file = join(pagesDir, `${name}.html`);
      writeFileSync(file, page.body);
      files.push(file);
    }
    expect((await fetchText(PAGES.gone?.path ?? '')).body).toContain('Bài viết không còn');
    expect((await fetchText(PAGES['not-found']?.path ?? '')).body).toContain('Không tìm thấy trang');
    const { stdout } = await run(
      'java',
      ['-jar', VNU, '--format', 'json', '--stdout', '--exit-zero-always', ...files],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const messages: { type: string; url: string; message: string; lastLine?: number }[] =
      JSON.parse(stdout).messages;
    const errors = messages
      .filter((m) => m.type === 'error')
      .map((m) => `${m.url.split('/').pop()}:${m.lastLine}: ${m.message}`);
    expect(errors).toEqual([]);
  }, 120_000);

  it('has no serious or critical accessibility violation (axe-core), on a phone and on a desktop', async () => {
    const found: string[] = [];
    for (const width of [390, 1280]) {
      // The page's CSP rightly refuses injected scripts; axe is the test's, not the page's.
      const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
      const page = await context.newPage();
      for (const [name, { path }] of Object.entries(PAGES)) {
        await page.goto(`${stack.siteUrl}${path}`);
        await page.addScriptTag({ path: AXE });
        const result: {
          passes: number;
          violations: { id: string; impact: string | null; nodes: unknown[] }[];
        } = await page.evaluate(async () => {
          const axe = (
            window as unknown as { axe: { run(): Promise<{ passes: unknown[]; violations: never[] }> } }
          ).axe;
          const { passes, violations } = await axe.run();
          return { passes: passes.length, violations };
        });
        // The checker ran: it found rules that pass.
        expect(result.passes, name).toBeGreaterThan(10);
        const { violations } = result;
        for (const v of violations) {
          if (v.impact === 'serious' || v.impact === 'critical')
            found.push(`${name} @${width}px: ${v.id} (${v.impact}, ${v.nodes.length} elements)`);
        }
        // Mobile first: nothing wider than the screen.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) found.push(`${name} @${width}px: ${overflow}px wider than the screen`);
      }
      await context.close();
    }
    expect(found).toEqual([]);
  }, 120_000);

  it('reads without JavaScript: headline, lead, body and photo are there with scripts off', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    await page.goto(`${stack.siteUrl}${SEED_PATH}`);
    expect(await page.locator('h1').textContent()).toContain('Nâng cao năng lực lãnh đạo');
    expect(await page.locator('h1').isVisible()).toBe(true);
    expect(await page.locator('.lead').isVisible()).toBe(true);
    const photo = page.locator('figure.photo img').first();
    // Width and height attributes reserve the photo's space before it loads: no layout shift.
    expect(await photo.getAttribute('width')).toBe('1200');
    expect(await photo.getAttribute('height')).toBe('800');
    // On a phone the browser picks the smallest WebP rendition, which exists and decodes.
    await photo.evaluate((img: HTMLImageElement) => img.decode());
    const shown = await photo.evaluate((img: HTMLImageElement) => ({
      src: img.currentSrc,
      width: img.naturalWidth,
    }));
    expect(shown.src).toMatch(/\/media\/[0-9a-f]{16}\/sin-suoi-ho-480\.webp$/);
    // (Its intrinsic width is in CSS pixels: the 480w file shown 358 px wide.)
    expect(shown.width).toBe(358);
    await context.close();
  }, 60_000);

  it('shows the home, section and seed article pages on a phone and a desktop (screenshots)', async () => {
    const out = SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'newsroom-shots-'));
    mkdirSync(out, { recursive: true });
    for (const [name, path] of [
      ['home', '/'],
      ['section', '/xa-hoi/'],
      ['article', SEED_PATH],
    ] as const) {
      for (const [device, width, height] of [
        ['phone', 390, 844],
        ['desktop', 1280, 900],
      ] as const) {
        const context = await browser.newContext({ viewport: { width, height }, colorScheme: 'light' });
        const page = await context.newPage();
        await page.goto(`${stack.siteUrl}${path}`);
        const file = join(out, `${name}-${device}.png`);
        await page.screenshot({ path: file });
        const png = readFileSync(file);
        // A PNG of the viewport's size: the IHDR chunk holds width and height.
        expect(png.subarray(1, 4).toString()).toBe('PNG');
        expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([width, height]);
        await context.close();
      }
    }
    if (!SCREENSHOTS) rmSync(out, { recursive: true, force: true });
  }, 120_000);

  it('follows the reader\u2019s dark mode', async () => {
    const colours: string[] = [];
    for (const colorScheme of ['light', 'dark'] as const) {
      const context = await browser.newContext({ colorScheme });
      const page = await context.newPage();
      await page.goto(`${stack.siteUrl}/`);
      colours.push(await page.evaluate(() => getComputedStyle(document.body).backgroundColor));
      await context.close();
    }
    expect(colours[0]).toBe('rgb(255, 255, 255)');
    expect(colours[1]).not.toBe(colours[0]);
  }, 60_000);
});

describe('tag pages', () => {
  it('lists every live article with a tag, latest first, on archive pages from the oldest, linked from the articles', async () => {
    const first = await fetchText('/tag/phong-tho/');
    expect(first.body).toContain('<h1>Chủ đề: Phong Thổ</h1>');
    const links = (body: string) => [...body.matchAll(/<h2><a href="([^"]+)"/g)].map((m) => m[1]);
    const [oldest, filling] = await Promise.all([
      fetchText('/tag/phong-tho/page/1'),
      fetchText('/tag/phong-tho/page/2'),
    ]);
    expect(links(first.body)).toHaveLength(20);
    // The first bucket closed at its 21st article; one uploaded later with an older date joins it.
    expect(links(oldest.body).length).toBeGreaterThanOrEqual(20);
    // The newest fill the second bucket: they are on the front page, and it has no page yet.
    expect(filling.status).toBe(404);
    expect(new Set([...links(first.body), ...links(oldest.body)]).size).toBe(22);
    // From the front page back in time: the page of the first article it does not show.
    expect(first.body).toContain('href="/tag/phong-tho/page/1">Trang sau »</a>');
    expect(oldest.body).toContain('href="/tag/phong-tho/">« Trang trước</a>');
    const article = await fetchText(links(first.body)[0] ?? '');
    expect(article.body).toContain('<a class="tag" href="/tag/phong-tho/">Phong Thổ</a>');
    expect((await fetchText('/tag/khong-ai-dung/')).status).toBe(404);
  });
});

describe('feeds and sitemaps', () => {
  const RFC_822 =
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$/;

  it('serves RSS 2.0 that an independent parser reads, by the rules of the format', async () => {
    for (const path of ['/rss.xml', '/xa-hoi/rss.xml', '/xay-dung-dang/rss.xml']) {
      const res = await fetchText(path);
      expect(res.type, path).toContain('application/rss+xml');
      const feed = parseRssFeed(res.body);
      expect(feed.title, path).toBeTruthy();
      expect(feed.link, path).toMatch(/^https:\/\//);
      expect(feed.description, path).toBeTruthy();
      expect(feed.language).toBe('vi');
      const items = feed.items ?? [];
      expect(items.length, path).toBeGreaterThan(0);
      expect(items.length).toBeLessThanOrEqual(50);
      const guids = items.map((i) => i.guid?.value);
      expect(new Set(guids).size, `${path}: guids unique`).toBe(items.length);
      const times = items.map((i) => {
        expect(i.pubDate, path).toMatch(RFC_822);
        expect(i.link, path).toMatch(/^https:\/\/baolaichau\.example\//);
        expect(i.title && i.description, path).toBeTruthy();
        return Date.parse(i.pubDate ?? '');
      });
      expect(times, `${path}: newest first`).toEqual([...times].sort((a, b) => b - a));
      expect(
        items.some((i) => i.link?.endsWith(GONE_PATH)),
        `${path} lists the article taken down`,
      ).toBe(false);
    }
  });

  it('serves a sitemap index and sitemaps valid against their schemas, naming every live article once', async () => {
    const index = await fetchText('/sitemap.xml');
    expect(await schemaErrors(index.body, 'siteindex.xsd')).toEqual([]);
    const robots = await fetchText('/robots.txt');
    expect(robots.body).toContain(`Sitemap: ${SITE.siteUrl}/sitemap.xml`);
    const listed: string[] = [];
    for (const loc of sitemapLocs(index.body)) {
      const map = await fetchText(local(loc));
      expect(map.status, loc).toBe(200);
      expect(await schemaErrors(map.body, 'urlset-with-news.xsd'), loc).toEqual([]);
      if (/\/sitemaps\/\d{4}-\d{2}\.xml$/.test(loc)) listed.push(...sitemapLocs(map.body));
    }
    const home = await fetchText('/rss.xml');
    const live = (parseRssFeed(home.body).items ?? []).map((i) => i.link);
    expect([...listed].sort()).toEqual([...new Set(listed)].sort());
    for (const link of live) expect(listed).toContain(link);
    expect(listed).toContain(`${SITE.siteUrl}${SEED_PATH}`);
    expect(listed).not.toContain(`${SITE.siteUrl}${GONE_PATH}`);
  });

  it('keeps the news sitemap to the last two days of articles, with Google News tags', async () => {
    const news = await fetchText('/news-sitemap.xml');
    expect(await schemaErrors(news.body, 'urlset-with-news.xsd')).toEqual([]);
    const dates = [...news.body.matchAll(/<news:publication_date>([^<]+)</g)].map((m) =>
      Date.parse(m[1] ?? ''),
    );
    expect(dates.length).toBeGreaterThan(0);
    expect(Math.max(...dates) - Math.min(...dates)).toBeLessThanOrEqual(48 * 3600_000);
    expect(news.body).toContain('<news:language>vi</news:language>');
  });

  it('shows a correction in feeds and sitemaps as in lists: same guid, new lastmod', async () => {
    const before = parseRssFeed((await fetchText('/xa-hoi/rss.xml')).body).items ?? [];
    const target = before.find((i) => i.title?.startsWith('Bản tin xã hội số 0:'));
    expect(target).toBeDefined();
    await upload(
      UPDATED_KEY,
      draftText({
        title: 'Bản tin xã hội số 0: người dân vùng cao đón mùa lúa mới',
        publishedAt: '2023-11-01T00:30:00+07:00',
        lead: 'Sapo đã được sửa: bà con thu hoạch xong lúa mùa.',
        author: { name: 'Ngọc Anh', role: 'Phóng viên' },
        tags: ['Phong Thổ', 'nông nghiệp'],
      }),
    );
    await stack.whenIdle();
    skew += 61_000; // feeds and sitemaps are lists: a minute at the edge
    const after = parseRssFeed((await fetchText('/xa-hoi/rss.xml')).body).items ?? [];
    const corrected = after.find((i) => i.guid?.value === target?.guid?.value);
    expect(corrected?.description).toBe('Sapo đã được sửa: bà con thu hoạch xong lúa mùa.');
    expect(corrected?.pubDate).toBe(target?.pubDate);
    const month = (await fetchText('/sitemaps/2023-11.xml')).body;
    const entry = month.split('<url>').find((u) => u.includes(target?.link ?? '?')) ?? '';
    const lastmod = Date.parse(/<lastmod>([^<]+)</.exec(entry)?.[1] ?? '');
    expect(lastmod).toBeGreaterThan(Date.parse('2023-11-01T00:30:00+07:00'));
  }, 60_000);
});

async function schemaErrors(xml: string, schema: string): Promise<string[]> {
  const files = ['sitemap.xsd', 'siteindex.xsd', 'sitemap-news.xsd', 'urlset-with-news.xsd'];
  const read = (name: string) =>
    readFileSync(
      name === 'sitemap.xsd' ? join(ROOT, 'node_modules/sitemap/schema/sitemap.xsd') : join(SCHEMAS, name),
      'utf8',
    );
  const result = await validateXML({
    xml: [{ fileName: 'document.xml', contents: xml }],
    schema: [{ fileName: schema, contents: read(schema) }],
    preload: files.filter((f) => f !== schema).map((f) => ({ fileName: f, contents: read(f) })),
  });
  return result.errors.map((e) => e.rawMessage);
}

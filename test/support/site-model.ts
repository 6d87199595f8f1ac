import { XMLParser } from 'fast-xml-parser';
import type { MemoryEdgeRules } from '#shared/adapters/memory/index.ts';
import {
  articlePath,
  HOME_COUNT,
  PAGE_SIZE,
  pageKey,
  RELATED_COUNT,
  sectionPath,
  tagPath,
  tagSlugs,
} from '#shared/domain/article.ts';
import { parseDraft } from '#shared/domain/draft.ts';
import type { SiteStore } from '#shared/ports.ts';
import { FEED_COUNT, sitemapMonth } from '#shared/render/feeds.ts';
import { parsePage } from './html.ts';
import { SITE } from './site.ts';

/** A live article as a simple model of the guarantees sees it. */
export interface ModelArticle {
  readonly id: string;
  readonly title: string;
  readonly section: string;
  readonly path: string;
  readonly sortKey: string;
  /** Tag slugs. */
  readonly tags: readonly string[];
}

/**
 * What the site must show for these drafts, computed directly from the drafts (not from the pipeline's
 * index): the live articles, newest first. Drafts must state `publishedAt`, so that the model does not
 * depend on when events were processed.
 */
export function liveArticles(drafts: ReadonlyMap<string, string>): ModelArticle[] {
  const live: ModelArticle[] = [];
  for (const [key, text] of drafts) {
    const parsed = parseDraft(key, new TextEncoder().encode(text), SITE);
    if (!parsed.ok || parsed.draft.status !== 'published' || !parsed.draft.publishedAt) continue;
    // Scheduled for later: not public yet.
    if (parsed.draft.publishedAt.getTime() > Date.now()) continue;
    const { draft } = parsed;
    live.push({
      id: draft.id,
      title: draft.title,
      section: draft.section,
      path: articlePath(draft.section, draft.slug),
      sortKey: `${draft.publishedAt?.toISOString()}#${draft.id}`,
      tags: tagSlugs(draft.tags),
    });
  }
  return live.sort((a, b) => (a.sortKey < b.sortKey ? 1 : -1));
}

/** Related teasers as the spec describes them: older articles, own section first, nearest in time first. */
export function expectedRelated(article: ModelArticle, live: readonly ModelArticle[]): string[] {
  const older = live.filter((a) => a.sortKey < article.sortKey);
  const same = older.filter((a) => a.section === article.section).slice(0, RELATED_COUNT);
  const others = older.filter((a) => a.section !== article.section).slice(0, RELATED_COUNT - same.length);
  return [...same, ...others].map((a) => a.path);
}

const xml = new XMLParser({ isArray: (name) => ['item', 'url', 'sitemap'].includes(name) });

/** The item links of an RSS feed, in order. */
export function feedLinks(feed: string): string[] {
  const items: { link: string }[] = xml.parse(feed)?.rss?.channel?.item ?? [];
  return items.map((i) => i.link);
}

/** The `<loc>`s of a sitemap or sitemap index, in order. */
export function sitemapLocs(map: string): string[] {
  const parsed = xml.parse(map);
  const entries: { loc: string }[] = parsed?.urlset?.url ?? parsed?.sitemapindex?.sitemap ?? [];
  return entries.map((e) => e.loc);
}

/** What feeds and sitemaps must say of the live articles: the same as the lists, in their own formats. */
async function feedDifferences(site: SiteStore, live: readonly ModelArticle[]): Promise<string[]> {
  const problems: string[] = [];
  const url = (path: string) => `${SITE.siteUrl}${path}`;
  const same = (what: string, got: readonly string[], want: readonly string[]) => {
    if (got.join() !== want.join()) problems.push(`${what} ${got} ≠ ${want}`);
  };
  same(
    'rss.xml',
    feedLinks((await text(site, 'rss.xml')) ?? ''),
    live.slice(0, FEED_COUNT).map((a) => url(a.path)),
  );
  for (const section of SITE.sections) {
    const inSection = live.filter((a) => a.section === section.slug).slice(0, FEED_COUNT);
    same(
      `${section.slug}/rss.xml`,
      feedLinks((await text(site, `${section.slug}/rss.xml`)) ?? ''),
      inSection.map((a) => url(a.path)),
    );
  }
  const months = [...new Set(live.map((a) => sitemapMonth(a.sortKey.split('#')[0] ?? '')))].sort();
  const index = sitemapLocs((await text(site, 'sitemap.xml')) ?? '');
  same(
    'sitemap.xml',
    index,
    [
      'sitemaps/front.xml',
      ...(live.length > 0 ? ['news-sitemap.xml'] : []),
      ...months.map((m) => `sitemaps/${m}.xml`),
    ].map((k) => url(`/${k}`)),
  );
  for (const month of months) {
    const want = live
      .filter((a) => sitemapMonth(a.sortKey.split('#')[0] ?? '') === month)
      .map((a) => url(a.path));
    same(`sitemaps/${month}.xml`, sitemapLocs((await text(site, `sitemaps/${month}.xml`)) ?? ''), want);
  }
  for (const key of await site.list('sitemaps/')) {
    if (key !== 'sitemaps/front.xml' && !months.some((m) => key === `sitemaps/${m}.xml`))
      problems.push(`${key} left for a month without live articles`);
  }
  const news = sitemapLocs((await text(site, 'news-sitemap.xml')) ?? '');
  const livePaths = new Set(live.map((a) => url(a.path)));
  for (const loc of news)
    if (!livePaths.has(loc)) problems.push(`news sitemap lists ${loc}, which is not live`);
  if (live[0] && !news.includes(url(live[0].path)))
    problems.push(`news sitemap lacks the newest ${live[0].path}`);
  return problems;
}

async function text(site: SiteStore, key: string): Promise<string | undefined> {
  const object = await site.get(key);
  return object ? new TextDecoder().decode(object.bytes) : undefined;
}

function teaserLinks(markup: string): string[] {
  const page = parsePage(markup);
  return page.byClass('teaser').flatMap((t) => {
    const heading = t.childNodes.find((n) => 'tagName' in n && /^h[23]$/.test(n.tagName));
    const link =
      heading && 'childNodes' in heading
        ? heading.childNodes.find((n) => 'tagName' in n && n.tagName === 'a')
        : undefined;
    return link && 'attrs' in link ? [link.attrs.find((a) => a.name === 'href')?.value ?? ''] : [];
  });
}

/**
 * How a list's pages differ from its articles (newest first): the front page holds the latest
 * {@link PAGE_SIZE}, and the archive pages, `page/1` up to the newest with none missing, hold them all in
 * order when read from the newest back, but for the newest few (at most a page) that only the front shows.
 */
async function listDifferences(
  site: SiteStore,
  name: string,
  expected: readonly string[],
  pathOf: (page?: number) => string,
): Promise<string[]> {
  const problems: string[] = [];
  const front = teaserLinks((await text(site, pageKey(pathOf()))) ?? '');
  if (front.join() !== expected.slice(0, PAGE_SIZE).join())
    problems.push(`${name} front ${front} ≠ ${expected.slice(0, PAGE_SIZE)}`);
  const folder = `${pageKey(pathOf()).slice(0, -'index.html'.length)}page/`;
  const numbers = (await site.list(folder)).map((k) => Number(k.slice(folder.length).split('/')[0]));
  const newest = Math.max(0, ...numbers);
  if (numbers.length !== newest)
    problems.push(`${name} archive pages ${numbers.sort()} are not 1 to ${newest}`);
  const archived: string[] = [];
  for (let page = newest; page >= 1; page--)
    archived.push(...teaserLinks((await text(site, pageKey(pathOf(page)))) ?? ''));
  // The newest bucket, still filling, is on the front page only: the archive holds all the others.
  const filling = expected.length - archived.length;
  if (filling < 0 || filling > PAGE_SIZE || archived.join() !== expected.slice(filling).join())
    problems.push(`${name} archive ${archived} ≠ the oldest of ${expected}`);
  return problems;
}

/**
 * Every way the site can differ from the model: a missing or extra article page, a wrong headline, a list
 * that does not hold exactly the live articles in order, related teasers other than the expected ones, a
 * link to an article that is down. An empty list means the site converged.
 */
export async function differences(
  site: SiteStore,
  drafts: ReadonlyMap<string, string>,
  everyPath: Iterable<string>,
  edge?: MemoryEdgeRules,
): Promise<string[]> {
  const live = liveArticles(drafts);
  const livePaths = new Set(live.map((a) => a.path));
  const problems: string[] = [];
  for (const article of live) {
    const markup = await text(site, pageKey(article.path));
    if (!markup) {
      problems.push(`no page for live ${article.path}`);
      continue;
    }
    const page = parsePage(markup);
    const h1 = page.byTag('h1')[0];
    if (!h1 || page.text(h1) !== article.title) problems.push(`${article.path} shows another headline`);
    const related = teaserLinks(markup);
    const expected = expectedRelated(article, live);
    if (related.join() !== expected.join()) problems.push(`${article.path} related ${related} ≠ ${expected}`);
  }
  for (const path of everyPath) {
    if (!livePaths.has(path) && (await site.get(pageKey(path)))) problems.push(`page left at ${path}`);
  }
  for (const [path, rule] of edge?.rules ?? []) {
    if (livePaths.has(path)) problems.push(`live ${path} has an edge rule ${rule.status}`);
    if (rule.status === 301 && !livePaths.has(rule.location))
      problems.push(`${path} redirects to ${rule.location}, not live`);
  }
  const home = teaserLinks((await text(site, pageKey('/'))) ?? '');
  const expectedHome = live.slice(0, HOME_COUNT).map((a) => a.path);
  if (home.join() !== expectedHome.join()) problems.push(`home ${home} ≠ ${expectedHome}`);
  for (const section of SITE.sections) {
    const inSection = live.filter((a) => a.section === section.slug).map((a) => a.path);
    problems.push(
      ...(await listDifferences(site, `section ${section.slug}`, inSection, (p) =>
        sectionPath(section.slug, p),
      )),
    );
  }
  problems.push(...(await feedDifferences(site, live)));
  const tags = [...new Set(live.flatMap((a) => a.tags))];
  for (const tag of tags) {
    const tagged = live.filter((a) => a.tags.includes(tag)).map((a) => a.path);
    problems.push(...(await listDifferences(site, `tag ${tag}`, tagged, (p) => tagPath(tag, p))));
  }
  for (const key of await site.list('tag/')) {
    if (!tags.includes(key.split('/')[1] ?? '')) problems.push(`${key} left for a tag no live article has`);
  }
  for (const key of await site.list('')) {
    if (!key.endsWith('.html')) continue;
    for (const href of teaserLinks((await text(site, key)) ?? '')) {
      if (!livePaths.has(href)) problems.push(`${key} links to ${href}, which is not live`);
    }
  }
  return problems;
}

import { type ArchiveList, type ArchivePage, bucketsToOpen, sortIntoPages } from '../domain/archive.ts';
import {
  CORRECTIONS_LIST,
  CORRECTIONS_PATH,
  HOME_COUNT,
  PAGE_SIZE,
  pageKey,
  sectionPath,
  type Teaser,
  tagPath,
  tagSlug,
} from '../domain/article.ts';
import type { SiteConfig } from '../domain/site.ts';
import type { ArchivePages, ArticleLists, Articles, SiteStore, ViewId } from '../ports.ts';
import {
  FEED_COUNT,
  FRONT_SITEMAP_KEY,
  feedPath,
  monthStart,
  NEWS_SITEMAP_KEY,
  NEWS_WINDOW_MS,
  nextMonth,
  renderFrontSitemap,
  renderNewsSitemap,
  renderRss,
  renderSitemap,
  renderSitemapIndex,
  SITEMAP_INDEX_KEY,
  sitemapKey,
  sitemapMonth,
} from '../render/feeds.ts';
import { renderCorrectionsPage, renderListPage } from '../render/pages.ts';
import { CACHE_CONTROL, HTML, RSS, XML } from './responses.ts';
import { writeIfChanged } from './site-writes.ts';

export interface ListDeps {
  readonly site: SiteStore;
  /** Lists are read from the list indexes, and each teaser's article from its record. */
  readonly index: Articles & ArticleLists & ArchivePages;
  readonly config: SiteConfig;
}

const LIST_PAGE = { contentType: HTML, cacheControl: CACHE_CONTROL.list };
const FEED = { contentType: RSS, cacheControl: CACHE_CONTROL.list };
const SITEMAP = { contentType: XML, cacheControl: CACHE_CONTROL.list };

/** The object key of a path the CDN serves as a file (`/rss.xml` is `rss.xml`). */
const fileKey = (path: string) => path.slice(1);

/**
 * Rewrites what the latest live articles across sections make: the home page, the site's RSS feed and
 * the Google News sitemap.
 */
export async function refreshHome({ site, index, config }: ListDeps): Promise<void> {
  const latest = await index.teasers({ limit: Math.max(HOME_COUNT, FEED_COUNT) });
  const newest = latest[0];
  // The news sitemap's window is measured from the newest article: the file is a function of the index.
  const recent = newest
    ? (
        await index.teasers({
          after: new Date(new Date(newest.publishedAt).getTime() - NEWS_WINDOW_MS).toISOString(),
        })
      ).reverse()
    : [];
  await Promise.all([
    writeIfChanged(
      site,
      pageKey('/'),
      renderListPage({ site: config, teasers: latest.slice(0, HOME_COUNT) }),
      LIST_PAGE,
    ),
    writeIfChanged(site, fileKey(feedPath()), renderRss({ site: config, teasers: latest }), FEED),
    recent.length > 0
      ? writeIfChanged(site, NEWS_SITEMAP_KEY, renderNewsSitemap(config, recent), SITEMAP)
      : site.delete([NEWS_SITEMAP_KEY]),
  ]);
}

/**
 * Rewrites one month's sitemap (removing it when the month has no live article left) and the sitemap
 * index, which names every month that has one.
 */
export async function refreshSitemap(deps: ListDeps, month: string): Promise<void> {
  const { site, index, config } = deps;
  const inMonth = await index.teasers({ after: monthStart(month), before: monthStart(nextMonth(month)) });
  if (inMonth.length > 0)
    await writeIfChanged(site, sitemapKey(month), renderSitemap(config, inMonth), SITEMAP);
  else await site.delete([sitemapKey(month)]);
  await refreshSitemapIndex(deps);
}

/** The months that have live articles, oldest first. */
export async function sitemapMonths(index: ArticleLists): Promise<string[]> {
  const [oldest] = await index.teasers({ from: 'oldest', limit: 1 });
  const [newest] = await index.teasers({ limit: 1 });
  const months: string[] = [];
  if (oldest && newest) {
    const last = sitemapMonth(newest.publishedAt);
    for (let m = sitemapMonth(oldest.publishedAt); m <= last; m = nextMonth(m)) {
      const [any] = await index.teasers({ after: monthStart(m), before: monthStart(nextMonth(m)), limit: 1 });
      if (any) months.push(m);
    }
  }
  return months;
}

/** The sitemap index (every month with live articles) and the fronts' sitemap. */
export async function refreshSitemapIndex({ site, index, config }: ListDeps): Promise<void> {
  const months = await sitemapMonths(index);
  await Promise.all([
    writeIfChanged(site, SITEMAP_INDEX_KEY, renderSitemapIndex(config, months), SITEMAP),
    writeIfChanged(site, FRONT_SITEMAP_KEY, renderFrontSitemap(config), SITEMAP),
  ]);
}

/** The sitemap view an article published at this instant belongs to. */
export function sitemapView(publishedAt: string): ViewId {
  return `sitemap/${sitemapMonth(publishedAt)}`;
}

/**
 * Rewrites a section's front page (its latest {@link PAGE_SIZE}), its feed, and its archive pages that can
 * have changed: the newest (opening the next when it is full) and those holding `at`, the sort keys where
 * the change that asked took or left a place. Without `at`, every archive page.
 */
export async function refreshSection(deps: ListDeps, section: string, at?: readonly string[]): Promise<void> {
  const { site, index, config } = deps;
  const latest = await refreshList(deps, {
    list: `section/${section}`,
    query: { section },
    pathOf: (page) => sectionPath(section, page),
    render: (input) => renderListPage({ site: config, section, ...input }),
    at,
  });
  await writeIfChanged(
    site,
    fileKey(feedPath(section)),
    renderRss({
      site: config,
      section,
      teasers: latest ?? (await index.teasers({ section, limit: FEED_COUNT })),
    }),
    FEED,
  );
}

/**
 * Rewrites a tag's front page and archive pages as a section's are, under the spelling of the tag its
 * newest article uses; a tag no live article has any more has no pages.
 */
export async function refreshTag(deps: ListDeps, tag: string, at?: readonly string[]): Promise<void> {
  const [newest] = await deps.index.teasers({ tag, limit: 1 });
  const record = newest && (await deps.index.get(newest.id));
  const name = record?.tags.find((t) => tagSlug(t) === tag) ?? tag;
  await refreshList(deps, {
    list: `tag/${tag}`,
    query: { tag },
    pathOf: (page) => tagPath(tag, page),
    render: (input) => renderListPage({ site: deps.config, tag: { slug: tag, name }, ...input }),
    at,
    goneWhenEmpty: true,
  });
}

interface ListShape {
  readonly list: ArchiveList;
  readonly query: { readonly section?: string; readonly tag?: string };
  readonly pathOf: (page?: number) => string;
  readonly render: (input: {
    teasers: readonly Teaser[];
    page?: number;
    newer?: string;
    older?: string;
  }) => string;
  readonly at: readonly string[] | undefined;
  /** A list with no live article has no pages at all (a tag's); otherwise its front page says so. */
  readonly goneWhenEmpty?: boolean;
}

/**
 * Writes a list's front page and the archive pages that may have changed (see {@link refreshSection}).
 * Returns the list's latest articles (as many as a feed shows), or undefined when it has none left.
 */
async function refreshList(deps: ListDeps, shape: ListShape): Promise<readonly Teaser[] | undefined> {
  const { site, index } = deps;
  const { list, query, pathOf } = shape;
  const folder = pageKey(pathOf()).slice(0, -'index.html'.length);
  const latest = await index.teasers({ ...query, limit: Math.max(PAGE_SIZE + 1, FEED_COUNT) });
  if (latest.length === 0 && shape.goneWhenEmpty) {
    await site.delete([pageKey(pathOf()), ...(await site.list(`${folder}page/`))]);
    return undefined;
  }
  // A list whose front page is missing (new, or back after it had none) gets every archive page.
  const whole = shape.at === undefined || (await site.get(pageKey(pathOf()))) === undefined;
  const rendered = whole
    ? await wholeArchive(index, list, query)
    : await changedArchive(index, list, query, shape.at);
  // The newest bucket is still filling: all it holds is on the front page, so it has no page of its own
  // until it is full and the next one opens (a publish then writes one page fewer per list).
  const full = [...rendered.pages].filter(([number]) => number < rendered.newest);
  const writes = full.map(async ([number, teasers]) => {
    const newer = number === rendered.newest - 1 ? pathOf() : pathOf(number + 1);
    const body = shape.render({
      teasers,
      page: number,
      newer,
      ...(number > 1 ? { older: pathOf(number - 1) } : {}),
    });
    await writeIfChanged(site, pageKey(pathOf(number)), body, LIST_PAGE);
  });
  const [firstOlder] = latest.slice(PAGE_SIZE);
  const older = firstOlder ? pathOf((await index.pageHolding(list, firstOlder.sortKey)).number) : undefined;
  writes.push(
    writeIfChanged(
      site,
      pageKey(pathOf()),
      shape.render({ teasers: latest.slice(0, PAGE_SIZE), ...(older ? { older } : {}) }),
      LIST_PAGE,
    ).then(() => undefined),
  );
  await Promise.all(writes);
  if (whole) {
    // Pages of the bucket still filling, past it, or left by another numbering are no list's.
    const pages = `${folder}page/`;
    const stale = (await site.list(pages)).filter((key) => {
      const n = Number(key.slice(pages.length).split('/')[0]);
      return !Number.isInteger(n) || n < 1 || n >= rendered.newest;
    });
    if (stale.length > 0) await site.delete(stale);
  }
  return latest.slice(0, FEED_COUNT);
}

interface ArchiveRender {
  /** The archive pages to write, by number, each newest first. */
  readonly pages: Map<number, Teaser[]>;
  /** The newest page's number. */
  readonly newest: number;
}

type ListQuery = ListShape['query'];

/** Opens the pages the newest needs past it, so that none holds more than {@link PAGE_SIZE}. */
async function openNewest(index: ArchivePages & ArticleLists, list: ArchiveList, query: ListQuery) {
  const newest = await index.newestPage(list);
  const inNewest = await index.teasers(
    newest.after === '' ? { ...query, from: 'oldest' } : { ...query, after: newest.after },
  );
  const pages = [newest];
  for (const page of bucketsToOpen(newest, inNewest)) pages.push(await index.openPage(list, page));
  return { pages, byPage: sortIntoPages(pages, [...inNewest].reverse()) };
}

/** Every archive page of a list. */
async function wholeArchive(
  index: ArchivePages & ArticleLists,
  list: ArchiveList,
  query: ListQuery,
): Promise<ArchiveRender> {
  await openNewest(index, list, query);
  const pages = await index.archivePages(list);
  const byPage = sortIntoPages(pages, await index.teasers(query));
  return { pages: byPage, newest: (pages.at(-1) as ArchivePage).number };
}

/** The archive pages a change can have touched: the newest (and those it opens), and those holding `at`. */
async function changedArchive(
  index: ArchivePages & ArticleLists,
  list: ArchiveList,
  query: ListQuery,
  at: readonly string[],
): Promise<ArchiveRender> {
  const { pages, byPage } = await openNewest(index, list, query);
  const first = pages[0] as ArchivePage;
  const touched = await Promise.all([...new Set(at)].map((sortKey) => index.pageHolding(list, sortKey)));
  // A bucket that filled up gets its page: the full page before it then links to it, not to the front.
  if (pages.length > 1 && first.number > 1) {
    const before = await index.archivePage(list, first.number - 1);
    if (before) touched.push(before);
  }
  for (const page of touched) {
    if (page.number >= first.number || byPage.has(page.number)) continue;
    const next = await index.archivePage(list, page.number + 1);
    const holds = await index.teasers(
      page.after === ''
        ? { ...query, before: `${next?.after}\u0001` }
        : { ...query, after: page.after, before: `${next?.after}\u0001` },
    );
    byPage.set(page.number, holds);
  }
  return { pages: byPage, newest: (pages.at(-1) as ArchivePage).number };
}

/** The list views an article in these sections appears in. */
export function listsFor(sections: Iterable<string>): ViewId[] {
  return ['home', ...[...new Set(sections)].map((s): ViewId => `section/${s}`)];
}

export function allLists(config: SiteConfig): ViewId[] {
  return [...listsFor(config.sections.map((s) => s.slug)), 'corrections'];
}

/** How many corrected articles `/dinh-chinh/` lists, the latest first. */
export const CORRECTIONS_COUNT = 100;

/** The corrections page: every live article that carries a correction note, with the note and its time. */
export async function refreshCorrections({ site, index, config }: ListDeps): Promise<void> {
  const teasers = await index.teasers({ tag: CORRECTIONS_LIST, limit: CORRECTIONS_COUNT });
  const corrected = [];
  for (const teaser of teasers) {
    const record = await index.get(teaser.id);
    if (record?.status === 'live' && record.correction)
      corrected.push({ teaser, correction: record.correction });
  }
  await writeIfChanged(site, pageKey(CORRECTIONS_PATH), renderCorrectionsPage(config, corrected), LIST_PAGE);
}

/** Rewrites the home page, every section's list, the feeds and the sitemap index. */
export async function refreshAllLists(deps: ListDeps): Promise<void> {
  await Promise.all([
    refreshHome(deps),
    ...deps.config.sections.map((s) => refreshSection(deps, s.slug)),
    refreshSitemapIndex(deps),
    refreshCorrections(deps),
  ]);
}

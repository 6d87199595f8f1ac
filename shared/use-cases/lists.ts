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
import type { ArticleLists, Articles, SiteStore, ViewId } from '../ports.ts';
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
  readonly index: Articles & ArticleLists;
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
 * Rewrites every page of a section's list, latest first, {@link PAGE_SIZE} to a page, and the section's
 * feed. Pages whose bytes would not change are not written.
 */
export async function refreshSection({ site, index, config }: ListDeps, section: string): Promise<void> {
  const all = await index.teasers({ section });
  await Promise.all([
    writeListPages(site, all, `${section}/`, {
      // A section has its front page even before its first article.
      minimumPages: 1,
      pathOf: (page) => sectionPath(section, page),
      render: (teasers, page, pageCount) =>
        renderListPage({ site: config, section, teasers, page, pageCount }),
    }),
    writeIfChanged(
      site,
      fileKey(feedPath(section)),
      renderRss({ site: config, section, teasers: all }),
      FEED,
    ),
  ]);
}

/**
 * How deep a tag's pages go: its latest {@link TAG_PAGES} × {@link PAGE_SIZE} articles. A tag can be on a
 * large share of the archive (the province's name); bounded, a publish rewrites a few tag pages, not
 * thousands, and reads a few hundred index entries. Older articles stay in their sections and sitemaps.
 */
export const TAG_PAGES = 10;

/**
 * Rewrites the pages of a tag's list, latest first, {@link PAGE_SIZE} to a page, under the spelling of the
 * tag its newest article uses; a tag no live article has any more has no pages.
 */
export async function refreshTag({ site, index, config }: ListDeps, tag: string): Promise<void> {
  const all = await index.teasers({ tag, limit: TAG_PAGES * PAGE_SIZE });
  const newest = all[0] && (await index.get(all[0].id));
  const name = newest?.tags.find((t) => tagSlug(t) === tag) ?? tag;
  await writeListPages(site, all, `tag/${tag}/`, {
    minimumPages: 0,
    pathOf: (page) => tagPath(tag, page),
    render: (teasers, page, pageCount) =>
      renderListPage({ site: config, tag: { slug: tag, name }, teasers, page, pageCount }),
  });
}

/**
 * Writes a list's pages under `folder` (`folder/index.html`, then `folder/page/2/index.html`, ...) and
 * removes the pages past its end, the front page too when the list may have none.
 */
async function writeListPages(
  site: SiteStore,
  all: readonly Teaser[],
  folder: string,
  list: {
    readonly minimumPages: 0 | 1;
    readonly pathOf: (page: number) => string;
    readonly render: (teasers: readonly Teaser[], page: number, pageCount: number) => string;
  },
): Promise<void> {
  const pageCount = Math.max(list.minimumPages, Math.ceil(all.length / PAGE_SIZE));
  const writes: Promise<unknown>[] = [];
  for (let page = 1; page <= pageCount; page++) {
    const body = list.render(all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), page, pageCount);
    writes.push(writeIfChanged(site, pageKey(list.pathOf(page)), body, LIST_PAGE));
  }
  await Promise.all(writes);
  const pages = `${folder}page/`;
  const stale = (await site.list(pages)).filter((key) => {
    const n = Number(key.slice(pages.length).split('/')[0]);
    return !Number.isInteger(n) || n > pageCount || n < 2;
  });
  if (pageCount === 0) stale.push(`${folder}index.html`);
  if (stale.length > 0) await site.delete(stale);
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

import { HOME_COUNT, PAGE_SIZE, pageKey, sectionPath } from '../domain/article.ts';
import type { SiteConfig } from '../domain/site.ts';
import type { ArticleIndex, SiteStore, ViewId } from '../ports.ts';
import { renderListPage } from '../render/pages.ts';
import { CACHE_CONTROL, HTML } from './cache.ts';
import { writeIfChanged } from './site-writes.ts';

export interface ListDeps {
  readonly site: SiteStore;
  readonly index: ArticleIndex;
  readonly config: SiteConfig;
}

const LIST_PAGE = { contentType: HTML, cacheControl: CACHE_CONTROL.list };

/** Rewrites the home page from the latest live articles across sections. */
export async function refreshHome({ site, index, config }: ListDeps): Promise<void> {
  const teasers = await index.teasers({ limit: HOME_COUNT });
  await writeIfChanged(site, pageKey('/'), renderListPage({ site: config, teasers }), LIST_PAGE);
}

/**
 * Rewrites every page of a section's list, latest first, {@link PAGE_SIZE} to a page, and removes pages
 * that the list no longer reaches. Pages whose bytes would not change are not written.
 */
export async function refreshSection({ site, index, config }: ListDeps, section: string): Promise<void> {
  const all = await index.teasers({ section });
  const pageCount = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
  const writes: Promise<unknown>[] = [];
  for (let page = 1; page <= pageCount; page++) {
    const teasers = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const body = renderListPage({ site: config, section, teasers, page, pageCount });
    writes.push(writeIfChanged(site, pageKey(sectionPath(section, page)), body, LIST_PAGE));
  }
  await Promise.all(writes);
  const pagePrefix = `${section}/page/`;
  const stale = (await site.list(pagePrefix)).filter((key) => {
    const n = Number(key.slice(pagePrefix.length).split('/')[0]);
    return !Number.isInteger(n) || n > pageCount || n < 2;
  });
  if (stale.length > 0) await site.delete(stale);
}

/** The list views an article in these sections appears in. */
export function listsFor(sections: Iterable<string>): ViewId[] {
  return ['home', ...[...new Set(sections)].map((s): ViewId => `section/${s}`)];
}

export function allLists(config: SiteConfig): ViewId[] {
  return listsFor(config.sections.map((s) => s.slug));
}

/** Rewrites the home page and every section's list. */
export async function refreshAllLists(deps: ListDeps): Promise<void> {
  await Promise.all([refreshHome(deps), ...deps.config.sections.map((s) => refreshSection(deps, s.slug))]);
}

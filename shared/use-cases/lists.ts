import { HOME_COUNT, PAGE_SIZE, pageKey, sectionPath } from '../domain/article.ts';
import type { SiteConfig } from '../domain/site.ts';
import type { ArticleIndex, ListId, SiteStore } from '../ports.ts';
import { renderListPage } from '../render/pages.ts';
import { CACHE_CONTROL, HTML } from './cache.ts';

export interface ListDeps {
  readonly site: SiteStore;
  readonly index: ArticleIndex;
  readonly config: SiteConfig;
}

/** Rewrites the home page from the latest live articles across sections. */
export async function refreshHome({ site, index, config }: ListDeps): Promise<void> {
  const teasers = await index.teasers({ limit: HOME_COUNT });
  await site.put(pageKey('/'), renderListPage({ site: config, teasers }), {
    contentType: HTML,
    cacheControl: CACHE_CONTROL.list,
  });
}

/**
 * Rewrites every page of a section's list, latest first, {@link PAGE_SIZE} to a page, and removes pages
 * that the list no longer reaches.
 */
export async function refreshSection({ site, index, config }: ListDeps, section: string): Promise<void> {
  const all = await index.teasers({ section });
  const pageCount = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
  const writes: Promise<void>[] = [];
  for (let page = 1; page <= pageCount; page++) {
    const teasers = all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const body = renderListPage({ site: config, section, teasers, page, pageCount });
    writes.push(
      site.put(pageKey(sectionPath(section, page)), body, {
        contentType: HTML,
        cacheControl: CACHE_CONTROL.list,
      }),
    );
  }
  await Promise.all(writes);
  const pagePrefix = `${section}/page/`;
  const stale = (await site.list(pagePrefix)).filter((key) => {
    const n = Number(key.slice(pagePrefix.length).split('/')[0]);
    return !Number.isInteger(n) || n > pageCount || n < 2;
  });
  if (stale.length > 0) await site.delete(stale);
}

/** The lists an article in these sections appears in. */
export function listsFor(sections: Iterable<string>): ListId[] {
  return ['home', ...[...new Set(sections)].map((s): ListId => `section/${s}`)];
}

export function allLists(config: SiteConfig): ListId[] {
  return listsFor(config.sections.map((s) => s.slug));
}

export class UnknownListError extends Error {
  override readonly name = 'UnknownListError';
}

/** Rebuilds one list from the index as it is now. */
export async function refreshList(deps: ListDeps, list: ListId): Promise<void> {
  if (list === 'home') return refreshHome(deps);
  const section = list.slice('section/'.length);
  if (!list.startsWith('section/') || !deps.config.sections.some((s) => s.slug === section)) {
    throw new UnknownListError(`"${list}" is not a list of this site`);
  }
  return refreshSection(deps, section);
}

/** Rewrites the home page and every section's list. */
export async function refreshAllLists(deps: ListDeps): Promise<void> {
  await Promise.all(allLists(deps.config).map((list) => refreshList(deps, list)));
}

import type { SiteConfig } from '../domain/site.ts';
import type { SiteStore } from '../ports.ts';
import { ASSETS } from '../render/assets.ts';
import { renderNotFoundPage } from '../render/pages.ts';
import { CACHE_CONTROL, HTML } from './cache.ts';

export const NOT_FOUND_KEY = '404.html';

/** Writes what every page relies on: stylesheet, clock script and the not-found page. Safe to repeat. */
export async function publishSiteFrame(site: SiteStore, config: SiteConfig): Promise<void> {
  await Promise.all([
    ...ASSETS.map((a) =>
      site.put(a.key, a.body, { contentType: a.contentType, cacheControl: CACHE_CONTROL.immutable }),
    ),
    site.put(NOT_FOUND_KEY, renderNotFoundPage(config), {
      contentType: HTML,
      cacheControl: CACHE_CONTROL.list,
    }),
  ]);
}

import type { SiteConfig } from '../domain/site.ts';
import type { SiteStore } from '../ports.ts';
import { ASSETS } from '../render/assets.ts';
import { renderRobotsTxt } from '../render/feeds.ts';
import { renderNotFoundPage } from '../render/pages.ts';
import { CACHE_CONTROL, HTML } from './responses.ts';

export const NOT_FOUND_KEY = '404.html';

/**
 * Writes what every page relies on: stylesheet, clock script, the not-found page and robots.txt. Safe to
 * repeat.
 */
export async function publishSiteFrame(site: SiteStore, config: SiteConfig): Promise<void> {
  await Promise.all([
    ...ASSETS.map((a) =>
      site.put(a.key, a.body, { contentType: a.contentType, cacheControl: CACHE_CONTROL.immutable }),
    ),
    site.put(NOT_FOUND_KEY, renderNotFoundPage(config), {
      contentType: HTML,
      cacheControl: CACHE_CONTROL.list,
    }),
    site.put('robots.txt', renderRobotsTxt(config), {
      contentType: 'text/plain; charset=utf-8',
      cacheControl: CACHE_CONTROL.list,
    }),
  ]);
}

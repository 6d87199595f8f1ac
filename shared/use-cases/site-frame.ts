import { DESK_FILES } from '../desk/app.ts';
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
    // The editors' desk page (`/desk/`), served from here in AWS.
    ...DESK_FILES.map((f) =>
      site.put(f.path === '/desk/' ? 'desk/index.html' : f.path.slice(1), f.body, {
        contentType: f.contentType,
        cacheControl: 'no-cache',
      }),
    ),
    site.put('robots.txt', renderRobotsTxt(config), {
      contentType: 'text/plain; charset=utf-8',
      cacheControl: CACHE_CONTROL.list,
    }),
  ]);
}

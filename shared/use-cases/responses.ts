/** What the site bucket's objects are sent with: their cache lifetimes (to the CDN and browsers) and content types. */

/** Cache lifetimes the site bucket's objects carry to the CDN and to browsers. */
export const CACHE_CONTROL = {
  /** Articles change rarely: the CDN keeps them until it is told they changed; browsers recheck often. */
  article: 'public, max-age=300, s-maxage=31536000',
  /** Lists change with every publish: short-lived everywhere, never invalidated. */
  list: 'public, max-age=60, s-maxage=60',
  /** Named by content hash: never change. */
  immutable: 'public, max-age=31536000, immutable',
} as const;

export const HTML = 'text/html; charset=utf-8';
export const RSS = 'application/rss+xml; charset=utf-8';
export const XML = 'application/xml; charset=utf-8';

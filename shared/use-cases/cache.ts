/** Cache lifetimes the site bucket's objects carry to the CDN and to browsers. */
export const CACHE_CONTROL = {
  /** Articles change rarely; the CDN copy is invalidated when they do. */
  article: 'public, max-age=300',
  /** Lists change with every publish. */
  list: 'public, max-age=60',
  /** Named by content hash: never change. */
  immutable: 'public, max-age=31536000, immutable',
} as const;

export const HTML = 'text/html; charset=utf-8';

import type { Photo } from './body.ts';
import { slugify } from './slug.ts';

/** What an article id (`id:`, or the draft key without `.md`) may hold: letters, digits, `.`, `_`, `/`, `-`. */
export const ID_PATTERN = /^[\p{L}\p{N}._/-]+$/u;

/** What a list needs to show an article: headline, link and excerpt. */
export interface Teaser {
  readonly id: string;
  readonly section: string;
  readonly title: string;
  readonly path: string;
  readonly excerpt: string;
  /** ISO 8601 UTC. */
  readonly publishedAt: string;
  /** Orders articles in time: publication instant, then id, so that equal times still sort one way. */
  readonly sortKey: string;
  /** ISO 8601 UTC, set when a published article's content changes (feeds and sitemaps show it). */
  readonly updatedAt?: string;
}

/**
 * `new`: a first change is claiming its address and has not made it live yet (the record names the address,
 * and no more); `scheduled`: was live, and its `publishedAt` moved into the future; it returns then on its
 * own; `withdrawn`: taken down for good.
 */
export type ArticleStatus = 'new' | 'live' | 'withdrawn' | 'scheduled';

/** An article as the index keeps it: everything needed to render its page again without its draft. */
export interface ArticleRecord extends Teaser {
  readonly draftKey: string;
  readonly slug: string;
  readonly lead: string;
  readonly author: { readonly name: string; readonly role?: string };
  readonly tags: readonly string[];
  readonly status: ArticleStatus;
  /** A visible correction note ("Đính chính"), with when it was made. */
  readonly correction?: { readonly note: string; readonly at: string };
  readonly contentHash: string;
  /** The rendered body, so that pages linking to this one can be re-rendered without re-reading drafts. */
  readonly bodyHtml: string;
  /** The body's photos, in order (absent on records written before photos were kept). */
  readonly photos?: readonly Photo[];
  /** Counts the changes recorded for this article; render jobs name the version they must see. */
  readonly version: number;
  /**
   * False from the moment a change is recorded until every page and list it affects has been updated:
   * a change that failed half-way is redone in full when it is retried.
   */
  readonly settled: boolean;
  /** Addresses the article had before its slug or section changed: each redirects to its address now. */
  readonly formerPaths: readonly string[];
  /**
   * While unsettled: every place the article may still show from before the change (section, time, address
   * and tags). More than one when a change was interrupted and the next one started from there.
   */
  readonly pendingFrom?: readonly ArticlePosition[];
  /**
   * While unsettled: new addresses a change claimed, and may have written a page at, before it recorded the
   * article there; a change that stopped in between is cleaned up by the next.
   */
  readonly claimedAhead?: readonly string[];
}

/** Where an article stands: the lists, sitemap, related teasers and address it shows at. */
export interface ArticlePosition {
  readonly section: string;
  readonly sortKey: string;
  readonly path: string;
  /** Tag slugs (absent on records written before tags had pages). */
  readonly tags?: readonly string[];
}

export const RELATED_COUNT = 5;
export const PAGE_SIZE = 20;
export const HOME_COUNT = 20;

export function articlePath(section: string, slug: string): string {
  return `/${section}/${slug}`;
}

/** A section's front page, or (with `page`) one of its archive pages, `page/1` the oldest. */
export function sectionPath(section: string, page?: number): string {
  return page === undefined ? `/${section}/` : `/${section}/page/${page}`;
}

/** A tag's address part: its words as a slug (`Lai Châu` → `lai-chau`), so spellings that differ only in case,
 * tone-mark encoding or spacing share a page. */
export function tagSlug(tag: string): string {
  let slug = tagSlugCache.get(tag);
  if (slug === undefined) {
    slug = slugify(tag);
    // A newsroom uses a few thousand tags; the bound only keeps a stream of odd ones from growing it.
    if (tagSlugCache.size >= 10_000) tagSlugCache.clear();
    tagSlugCache.set(tag, slug);
  }
  return slug;
}

/** Tags recur on every article that has them, and every index write asks for their slugs. */
const tagSlugCache = new Map<string, string>();

/** The distinct tag slugs of an article, in the order it names them (tags that slug to nothing are left out). */
export function tagSlugs(tags: readonly string[]): string[] {
  return [...new Set(tags.map(tagSlug).filter((s) => s !== ''))];
}

/**
 * The list of corrected articles (`/dinh-chinh/`), kept as the tag lists are, under a name no tag's slug
 * can have (slugs are lowercase letters, digits and `-`).
 */
export const CORRECTIONS_LIST = '!dinh-chinh';
export const CORRECTIONS_PATH = '/dinh-chinh/';

/** The lists a live article is in besides home and its section: its tags, and the corrections if it has one. */
export function listedTags(record: Pick<ArticleRecord, 'tags' | 'correction'>): string[] {
  return [...tagSlugs(record.tags), ...(record.correction ? [CORRECTIONS_LIST] : [])];
}

/** A tag's front page, or (with `page`) one of its archive pages, `page/1` the oldest. */
export function tagPath(slug: string, page?: number): string {
  return page === undefined ? `/tag/${slug}/` : `/tag/${slug}/page/${page}`;
}

export function sortKeyOf(publishedAt: Date | string, id: string): string {
  const iso = typeof publishedAt === 'string' ? publishedAt : publishedAt.toISOString();
  return `${iso}#${id}`;
}

export function teaserOf(record: ArticleRecord): Teaser {
  return {
    id: record.id,
    section: record.section,
    title: record.title,
    path: record.path,
    excerpt: record.excerpt,
    publishedAt: record.publishedAt,
    sortKey: record.sortKey,
    ...(record.updatedAt ? { updatedAt: record.updatedAt } : {}),
  };
}

/** Two teasers look the same to a reader. */
export function sameTeaser(a: Teaser, b: Teaser): boolean {
  return a.title === b.title && a.path === b.path && a.excerpt === b.excerpt && a.section === b.section;
}

/**
 * The object key a page is stored under in the site bucket. The CDN's URL rewrite maps a reader's path to
 * the same key (see `infra/edge/url-rewrite.js`): `/` and `/a/` to `index.html` below them, `/a/b` to
 * `a/b/index.html`.
 */
export function pageKey(path: string): string {
  const trimmed = path.replace(/^\/+/, '');
  if (trimmed === '') return 'index.html';
  return trimmed.endsWith('/') ? `${trimmed}index.html` : `${trimmed}/index.html`;
}

/**
 * The key the CDN caches a reader's path under: the URI the viewer-request function leaves for it, which is
 * the page's object key as a path (`/xa-hoi/tin` and every other spelling of it: `/xa-hoi/tin/index.html`).
 * A file (`/media/...`, `/rss.xml`) is cached under its own path, and a wildcard (`/*`) names keys as it is.
 * Invalidations name these keys.
 */
export function cdnCacheKey(path: string): string {
  const last = path.slice(path.lastIndexOf('/') + 1);
  return last.includes('.') || path.endsWith('*') ? path : `/${pageKey(path)}`;
}

/**
 * The most an article record may take, in UTF-8 bytes of its JSON: DynamoDB's item limit is 400 KB (names and
 * values), and the item also carries its index attributes and, while a change is unsettled, the places it
 * came from. A record over this is refused before anything is written, not retried.
 */
export const RECORD_MAX_BYTES = 360 * 1024;

/**
 * What a record takes as an item, near enough (a little more than DynamoDB counts): its rendered body's UTF-8
 * bytes, and the JSON of everything else. The body is counted as it is, not as JSON escapes it.
 */
export function recordBytes(record: ArticleRecord): number {
  return (
    Buffer.byteLength(record.bodyHtml, 'utf8') +
    Buffer.byteLength(JSON.stringify({ ...record, bodyHtml: '' }))
  );
}

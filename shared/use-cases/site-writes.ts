import { type ArticleRecord, pageKey } from '../domain/article.ts';
import { threadOpen } from '../domain/comments.ts';
import { encodeUtf8 } from '../domain/encoding.ts';
import type { SiteConfig } from '../domain/site.ts';
import type { ArticleLists, CdnInvalidator, PutOptions, ShownComments, SiteStore } from '../ports.ts';
import { renderArticlePage } from '../render/pages.ts';
import { relatedFor } from './related.ts';
import { CACHE_CONTROL, HTML } from './responses.ts';

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

/**
 * Writes an object only when its bytes differ from what the site holds: processing the same change again
 * writes nothing, and the outcome says whether a CDN copy may be stale.
 */
export async function writeIfChanged(
  site: SiteStore,
  key: string,
  body: string,
  options: PutOptions,
): Promise<WriteOutcome> {
  const bytes = encodeUtf8(body);
  const current = await site.get(key);
  const same =
    current !== undefined &&
    Buffer.from(current.bytes).equals(bytes) &&
    (current.contentType === undefined || current.contentType === options.contentType) &&
    (current.cacheControl === undefined || current.cacheControl === options.cacheControl);
  if (same) return 'unchanged';
  await site.put(key, bytes, options);
  return current ? 'updated' : 'created';
}

/** What writing and removing article pages needs: both functions write them, through these two. */
export interface PageDeps {
  readonly site: SiteStore;
  readonly index: ArticleLists;
  readonly cdn: CdnInvalidator;
  readonly config: SiteConfig;
  /** The approved comments a page shows. */
  readonly shownComments: ShownComments;
  /** The current time (whether a thread is still open); tests pass a fixed clock. */
  readonly now?: () => Date;
}

/**
 * Writes an article's page from its record, with the related teasers it shows now, and invalidates the CDN's
 * copy when the page changed, or always when asked (a new page: the CDN may hold the 404 a reader got).
 */
export async function writeArticlePage(
  deps: PageDeps,
  article: ArticleRecord,
  options: { readonly invalidate: 'if-changed' | 'always' },
): Promise<WriteOutcome> {
  const related = await relatedFor(deps.index, article);
  const { closeAfterDays } = deps.config.comments;
  const page = renderArticlePage({
    site: deps.config,
    article,
    related,
    comments: await deps.shownComments.shownOn(article.id),
    commentsOpen: threadOpen(article.publishedAt, closeAfterDays, deps.now?.() ?? new Date()),
  });
  const outcome = await writeIfChanged(deps.site, pageKey(article.path), page, {
    contentType: HTML,
    cacheControl: CACHE_CONTROL.article,
  });
  if (outcome !== 'unchanged' || options.invalidate === 'always') await deps.cdn.invalidate([article.path]);
  return outcome;
}

/** Removes the pages at these addresses, and the CDN's copies of them (one not there costs nothing). */
export async function removeArticlePages(deps: PageDeps, paths: readonly string[]): Promise<void> {
  const unique = [...new Set(paths)];
  if (unique.length === 0) return;
  await deps.site.delete(unique.map(pageKey));
  await deps.cdn.invalidate(unique);
}

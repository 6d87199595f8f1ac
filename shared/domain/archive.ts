import { PAGE_SIZE, type Teaser } from './article.ts';

/**
 * Stable archive pages. A list (a section's, a tag's) shows its latest {@link PAGE_SIZE} on its front page;
 * everything is also on archive pages, fixed buckets counted from the oldest: `page/1` holds the first
 * {@link PAGE_SIZE} articles ever listed, `page/2` the next, and so on. A bucket is a range of sort keys
 * (publication time, then id) that never moves once it is opened: a publish fills the newest bucket and
 * opens the next when it is full, a takedown leaves a gap in the bucket that held the article, and an
 * article published with an old date joins the bucket of its time. The newest bucket, still filling, holds
 * only articles the front page shows: it gets its page once it is full and the next one opens. So a change
 * rewrites the front page and at most one or two buckets, never the whole archive.
 */

/** The lists that have archive pages: `section/<slug>` or `tag/<slug>`, as their views are named. */
export type ArchiveList = `section/${string}` | `tag/${string}`;

/** One archive page: its number, and the sort key its range starts after ('' for the first). */
export interface ArchivePage {
  readonly number: number;
  /** The bucket holds the sort keys strictly after this one, up to the next bucket's `after`. */
  readonly after: string;
}

export const FIRST_PAGE: ArchivePage = { number: 1, after: '' };

/**
 * The buckets to open past the newest so that none holds more than {@link PAGE_SIZE}: each new one starts
 * after the last article of a full one.
 * `oldestFirst` is what the newest bucket holds now, oldest first.
 */
export function bucketsToOpen(newest: ArchivePage, oldestFirst: readonly Teaser[]): ArchivePage[] {
  const opened: ArchivePage[] = [];
  for (let full = PAGE_SIZE; full < oldestFirst.length; full += PAGE_SIZE) {
    const last = oldestFirst[full - 1] as Teaser;
    opened.push({ number: newest.number + opened.length + 1, after: last.sortKey });
  }
  return opened;
}

/** Which of these pages (sorted by number) holds a sort key: the last one that starts before it. */
export function pageHolding(pages: readonly ArchivePage[], sortKey: string): ArchivePage {
  let lo = 0;
  let hi = pages.length - 1;
  let found = FIRST_PAGE;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const page = pages[mid] as ArchivePage;
    if (page.after < sortKey) {
      found = page;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Sorts a list's articles (newest first) into its pages (sorted by number): each page's, newest first. */
export function sortIntoPages(
  pages: readonly ArchivePage[],
  newestFirst: readonly Teaser[],
): Map<number, Teaser[]> {
  const byPage = new Map<number, Teaser[]>(pages.map((p) => [p.number, []]));
  let at = pages.length - 1;
  for (const teaser of newestFirst) {
    while (at > 0 && (pages[at] as ArchivePage).after >= teaser.sortKey) at--;
    byPage.get((pages[at] ?? FIRST_PAGE).number)?.push(teaser);
  }
  return byPage;
}

import { RELATED_COUNT, type Teaser } from '../domain/article.ts';
import type { SiteConfig } from '../domain/site.ts';
import type { ArticleLists } from '../ports.ts';

/**
 * Related teasers of an article: up to five live articles published before it, the nearest in time from
 * its own section first, then the nearest from other sections.
 *
 * Choosing them relative to the article (not "the latest now") keeps a page stable when newer articles are
 * published: a new article changes its own page and the lists it is in, not thousands of older pages.
 */
export async function relatedFor(
  index: ArticleLists,
  article: { id: string; section: string; sortKey: string },
): Promise<Teaser[]> {
  const same = await index.teasers({
    section: article.section,
    before: article.sortKey,
    limit: RELATED_COUNT,
  });
  const related = same.filter((t) => t.id !== article.id);
  let before = article.sortKey;
  // Page through older articles from every section until the rest is filled from other sections.
  while (related.length < RELATED_COUNT) {
    const page = await index.teasers({ before, limit: RELATED_COUNT * 2 });
    for (const t of page) {
      if (t.section !== article.section && t.id !== article.id && related.length < RELATED_COUNT)
        related.push(t);
    }
    const last = page.at(-1);
    if (!last || page.length < RELATED_COUNT * 2) break;
    before = last.sortKey;
  }
  return related;
}

/**
 * Articles whose related teasers may show an article at `sortKey` in `section`: the next newer ones in its
 * section, and, in every other section, the oldest few (only those fill up from other sections).
 */
export async function mayShowAsRelated(
  index: ArticleLists,
  site: SiteConfig,
  at: { section: string; sortKey: string },
): Promise<Teaser[]> {
  const found = new Map<string, Teaser>();
  const same = await index.teasers({ section: at.section, after: at.sortKey, limit: RELATED_COUNT });
  for (const t of same) found.set(t.id, t);
  const others = await Promise.all(
    site.sections
      .filter((s) => s.slug !== at.section)
      .map((s) => index.teasers({ section: s.slug, from: 'oldest', limit: RELATED_COUNT })),
  );
  for (const t of others.flat()) if (t.sortKey > at.sortKey) found.set(t.id, t);
  return [...found.values()];
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ArchivePage,
  bucketsToOpen,
  FIRST_PAGE,
  pageHolding,
  sortIntoPages,
} from '#shared/domain/archive.ts';
import type { Teaser } from '#shared/domain/article.ts';

const teaser = (n: number): Teaser => {
  const sortKey = `2024-01-01T00:${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}.000Z#t${n}`;
  return {
    id: `t${n}`,
    section: 'xa-hoi',
    title: `Tin ${n}`,
    path: `/xa-hoi/t${n}`,
    excerpt: '',
    publishedAt: sortKey.split('#')[0] ?? '',
    sortKey,
  };
};
const oldestFirst = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => teaser(from + i));

describe('archive pages', () => {
  it.each([
    // [articles in the newest page, pages opened after it: the sort key each starts after]
    [0, []],
    [1, []],
    [20, []],
    [21, ['t19']],
    [40, ['t19']],
    [41, ['t19', 't39']],
    [65, ['t19', 't39', 't59']],
  ])('a newest page holding %i opens %j', (count, afters) => {
    const opened = bucketsToOpen(FIRST_PAGE, oldestFirst(0, count));
    expect(opened.map((p) => p.after.split('#')[1])).toEqual(afters);
    expect(opened.map((p) => p.number)).toEqual(afters.map((_, i) => i + 2));
  });

  it('numbers pages opened past a later newest page from it', () => {
    const newest = { number: 7, after: teaser(0).sortKey };
    expect(bucketsToOpen(newest, oldestFirst(1, 25)).map((p) => p.number)).toEqual([8]);
  });

  const pages: ArchivePage[] = [
    FIRST_PAGE,
    { number: 2, after: teaser(19).sortKey },
    { number: 3, after: teaser(39).sortKey },
  ];
  it.each([
    [0, 1],
    [19, 1],
    [20, 2],
    [39, 2],
    [40, 3],
    [500, 3],
  ])('the article %i is on page %i', (n, page) => {
    expect(pageHolding(pages, teaser(n).sortKey).number).toBe(page);
  });

  it('sorts a list into its pages: every article on the page holding it, newest first, none lost', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 200 })),
        fc.integer({ min: 0, max: 200 }),
        (ns, cut) => {
          const opened = [FIRST_PAGE, ...bucketsToOpen(FIRST_PAGE, oldestFirst(0, cut))];
          const newestFirst = [...ns].sort((a, b) => b - a).map(teaser);
          const byPage = sortIntoPages(opened, newestFirst);
          expect([...byPage.keys()]).toEqual(opened.map((p) => p.number));
          const read = [...byPage.entries()].sort(([a], [b]) => b - a).flatMap(([, ts]) => ts);
          expect(read).toEqual(newestFirst);
          for (const [number, held] of byPage)
            for (const t of held) expect(pageHolding(opened, t.sortKey).number).toBe(number);
        },
      ),
    );
  });
});

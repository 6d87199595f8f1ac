import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryArticleIndex } from '#shared/adapters/memory/index.ts';
import { type ArticleRecord, sortKeyOf, type Teaser } from '#shared/domain/article.ts';
import type { TeaserQuery } from '#shared/ports.ts';
import { articleRecord } from '../support/site.ts';

// The in-memory index answers the rebuild path of a whole site (benchmarks, `npm run rebuild` into a
// folder), so its lists must stay exactly ordered across thousands of inserts and removals in any order,
// well past the size at which it splits a list into chunks.

const SECTIONS = ['xa-hoi', 'kinh-te', 'the-thao'];
const TAGS = ['lai-chau', 'nong-thon-moi', 'giao-thong'];

function record(
  n: number,
  minute: number,
  section: string,
  tags: string[],
  live: boolean,
  edit: number,
): ArticleRecord {
  const title = `Bài ${n}, bản ${edit}`;
  return articleRecord(n, { section, tags, status: live ? 'live' : 'withdrawn', title }, minute);
}

const change = fc.record({
  n: fc.nat({ max: 5999 }),
  // Few distinct minutes: many articles share a time and are ordered by id.
  minute: fc.nat({ max: 600 }),
  section: fc.constantFrom(...SECTIONS),
  tags: fc.subarray(TAGS),
  // Mostly publishes: the overall list grows past a few thousand.
  live: fc.nat({ max: 6 }).map((x) => x > 0),
  // A corrected headline: the same article at the same place, with a teaser that reads differently.
  edit: fc.nat({ max: 2 }),
});

/** What a list query must answer (id and headline of each teaser), computed the slow, obvious way. */
function expected(records: Iterable<ArticleRecord>, q: TeaserQuery): string[] {
  const newestFirst = [...records]
    .filter((r) => r.status === 'live')
    .filter((r) => (q.section ? r.section === q.section : true))
    .filter((r) => (q.tag ? r.tags.includes(q.tag) : true))
    .sort((a, b) => (a.sortKey < b.sortKey ? 1 : -1));
  const { after, before, limit } = q;
  if (after !== undefined && before === undefined) {
    return newestFirst
      .filter((r) => r.sortKey > after)
      .reverse()
      .slice(0, limit)
      .map((r) => `${r.id}: ${r.title}`);
  }
  return newestFirst
    .filter((r) => (after === undefined || r.sortKey > after) && (before === undefined || r.sortKey < before))
    .slice(0, limit)
    .map((r) => `${r.id}: ${r.title}`);
}

describe('in-memory article index', () => {
  it('keeps every list in order through thousands of puts and takedowns in any order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(change, { minLength: 4000, maxLength: 6000 }),
        fc.array(
          fc.record({
            section: fc.option(fc.constantFrom(...SECTIONS), { nil: undefined }),
            tag: fc.option(fc.constantFrom(...TAGS), { nil: undefined }),
            after: fc.option(fc.nat({ max: 600 }), { nil: undefined }),
            before: fc.option(fc.nat({ max: 600 }), { nil: undefined }),
            limit: fc.option(fc.integer({ min: 1, max: 1200 }), { nil: undefined }),
          }),
          { minLength: 5, maxLength: 10 },
        ),
        async (changes, queries) => {
          const index = new MemoryArticleIndex();
          const model = new Map<string, ArticleRecord>();
          for (const c of changes) {
            const r = record(c.n, c.minute, c.section, c.tags, c.live, c.edit);
            await index.put(r);
            model.set(r.id, r);
          }
          const key = (minute: number | undefined) =>
            minute === undefined
              ? undefined
              : sortKeyOf(new Date(Date.UTC(2024, 0, 1, 0, minute)), 'bai-1500');
          for (const q of queries) {
            const query: TeaserQuery = {
              ...(q.tag ? { tag: q.tag } : q.section ? { section: q.section } : {}),
              ...(q.after !== undefined ? { after: key(q.after) } : {}),
              ...(q.before !== undefined ? { before: key(q.before) } : {}),
              ...(q.limit !== undefined ? { limit: q.limit } : {}),
            };
            const got = (await index.teasers(query)).map((t: Teaser) => `${t.id}: ${t.title}`);
            expect(got).toEqual(expected(model.values(), query));
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});

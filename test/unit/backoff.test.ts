import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffMs } from '#shared/domain/backoff.ts';

describe('retry waits', () => {
  it('double up to their cap, with half of each wait random', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const step = Math.min(2000, 50 * 2 ** attempt);
          const wait = backoffMs(attempt, 50, 2000, () => r);
          expect(wait).toBeGreaterThanOrEqual(step / 2);
          expect(wait).toBeLessThanOrEqual(step);
        },
      ),
    );
    const table: [number, number, number][] = [
      [0, 0, 25],
      [0, 0.5, 37.5],
      [3, 0, 200],
      [10, 0.5, 1500],
    ];
    for (const [attempt, r, wait] of table) expect(backoffMs(attempt, 50, 2000, () => r)).toBe(wait);
  });

  it('differ between instances that failed together', () => {
    const waits = new Set(Array.from({ length: 20 }, () => backoffMs(4, 50, 2000)));
    expect(waits.size).toBeGreaterThan(10);
  });
});

import { normalizeLine } from './text.ts';

export const MAX_SLUG_LENGTH = 100;
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The URL slug of a title: lowercase ASCII words joined by `-`, tone marks removed, `đ`/`Đ` to `d`,
 * at most {@link MAX_SLUG_LENGTH} characters cut at a word boundary.
 *
 * Any Unicode normal form of the same title gives the same slug.
 */
export function slugify(title: string): string {
  const ascii = normalizeLine(title)
    .replace(/[đĐ]/gu, 'd')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase();
  const words = ascii.split(/[^a-z0-9]+/u).filter((w) => w.length > 0);
  return joinWithin(words, MAX_SLUG_LENGTH);
}

function joinWithin(words: readonly string[], max: number): string {
  let slug = '';
  for (const word of words) {
    const next = slug === '' ? word : `${slug}-${word}`;
    if (next.length > max) {
      // A single word longer than the limit is cut hard: a slug must never be empty when the title is not.
      return slug === '' ? word.slice(0, max) : slug;
    }
    slug = next;
  }
  return slug;
}

export function isValidSlug(slug: string): boolean {
  return slug.length <= MAX_SLUG_LENGTH && SLUG_PATTERN.test(slug);
}

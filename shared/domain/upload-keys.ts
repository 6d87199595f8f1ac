/**
 * Which keys of the drafts bucket the pipeline acts on. The one list of accepted suffixes: the bucket sends
 * every change to the queue unfiltered (S3 filters match letter case exactly, so `BAI.MD` would pass
 * unseen), and this decides, in any letter case.
 */

/** Reports live in the drafts bucket beside the drafts, under this prefix; changes there are not drafts. */
export const REPORTS_PREFIX = 'reports/';

export const DRAFT_SUFFIXES = ['.md'] as const;
/** The image files whose upload or removal re-publishes the drafts that use them. */
export const IMAGE_SUFFIXES = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif'] as const;
export const ACCEPTED_SUFFIXES = [...DRAFT_SUFFIXES, ...IMAGE_SUFFIXES] as const;

export type ChangeKind = 'draft' | 'image' | 'ignored';

const endsWithAny = (key: string, suffixes: readonly string[]) => {
  const lower = key.toLowerCase();
  return suffixes.some((s) => lower.endsWith(s));
};

export function classifyKey(key: string): ChangeKind {
  if (key.startsWith(REPORTS_PREFIX)) return 'ignored';
  if (endsWithAny(key, DRAFT_SUFFIXES)) return 'draft';
  if (endsWithAny(key, IMAGE_SUFFIXES)) return 'image';
  return 'ignored';
}

/**
 * Orders keys as S3 lists them and DynamoDB sorts string keys: by their UTF-8 bytes (JavaScript's own
 * comparison, by UTF-16 units, differs for characters beyond U+FFFF).
 */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** An ETag as events, listings and reads give it, with or without quotes: the same version, one spelling. */
export function etagOf(raw: string): string {
  return raw.replace(/^W\//, '').replace(/^"|"$/g, '');
}

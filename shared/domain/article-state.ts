import type { ArticlePosition, ArticleRecord } from './article.ts';

/**
 * Where an article stands, read from its record: the one place the record's fields (status, settled,
 * pendingFrom, claimedAhead) are read together.
 * - `absent`: no record;
 * - `new`: a first change is claiming its address and has not made it live;
 * - `live`: on the site at `path`, its last change settled;
 * - `down`: off the site, withdrawn for good or scheduled to return, its last change settled;
 * - `changing`: a change was recorded and not settled (interrupted, or in progress): toward `status`, from
 *   every place it may still show, with the addresses it claimed ahead.
 */
export type ArticleState =
  | { readonly kind: 'absent' }
  | { readonly kind: 'new'; readonly claimedAhead: readonly string[] }
  | { readonly kind: 'live'; readonly path: string }
  | { readonly kind: 'down'; readonly as: 'withdrawn' | 'scheduled' }
  | {
      readonly kind: 'changing';
      readonly toward: 'live' | 'withdrawn' | 'scheduled';
      readonly from: readonly ArticlePosition[];
      readonly claimedAhead: readonly string[];
    };

export function articleState(record: ArticleRecord | undefined): ArticleState {
  if (!record) return { kind: 'absent' };
  if (record.status === 'new') return { kind: 'new', claimedAhead: record.claimedAhead ?? [] };
  if (!record.settled) {
    return {
      kind: 'changing',
      toward: record.status,
      from: record.pendingFrom ?? [],
      claimedAhead: record.claimedAhead ?? [],
    };
  }
  return record.status === 'live' ? { kind: 'live', path: record.path } : { kind: 'down', as: record.status };
}

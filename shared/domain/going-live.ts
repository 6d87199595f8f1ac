import { type ArticlePosition, type ArticleRecord, listedTags } from './article.ts';
import type { AuditEntry } from './audit.ts';

/**
 * The steps of a change that makes an article live, by name, in the one order they are applied
 * (docs/convergence.md §3 names them the same way; a test holds the two in step). Each is idempotent, and
 * a change stopped after any of them leaves a record from which the next change plans the rest.
 */
export const GOING_LIVE_STEPS = [
  'note-intent',
  'claim',
  'claim-former',
  'write-page-ahead',
  'open-address',
  'record',
  'send-jobs',
  'redirect',
  'remove-pages',
  'audit',
  'settle',
] as const;

export type GoingLiveStep =
  /** The record names the address before it is claimed, so that a change stopped there is cleaned up. */
  | { readonly kind: 'note-intent'; readonly record: ArticleRecord }
  /** The new address becomes this article's (refused if another article holds it). */
  | { readonly kind: 'claim'; readonly path: string }
  /** An old address stays this article's, to redirect from. */
  | { readonly kind: 'claim-former'; readonly path: string }
  /** The page at an address that was not live, written before any list links to it. */
  | { readonly kind: 'write-page-ahead'; readonly record: ArticleRecord }
  /** Whatever the address answered before (gone, a redirect), it is this page now. */
  | { readonly kind: 'open-address'; readonly path: string }
  | { readonly kind: 'record'; readonly record: ArticleRecord }
  /** Render jobs for the views the change touches, from where it shows now and everywhere it showed. */
  | { readonly kind: 'send-jobs'; readonly record: ArticleRecord; readonly from: readonly ArticlePosition[] }
  | { readonly kind: 'redirect'; readonly from: string; readonly to: string }
  /** Pages this change or an interrupted one left at addresses that now redirect. */
  | { readonly kind: 'remove-pages'; readonly paths: readonly string[] }
  | { readonly kind: 'audit'; readonly action: 'published' | 'moved'; readonly record: ArticleRecord }
  | { readonly kind: 'settle'; readonly version: number };

/** What the planner decides from: all read before anything is written. */
export interface GoingLiveFacts {
  /** The article's record as it is, if it has one. */
  readonly prev: ArticleRecord | undefined;
  /** The article as the draft makes it (not settled, no former addresses yet). */
  readonly next: ArticleRecord;
  /** Who holds each address the record knows and the new one (absent: no one). */
  readonly holders: ReadonlyMap<string, string | undefined>;
  /** The last line of the article's history. */
  readonly lastLine: AuditEntry | undefined;
}

export interface GoingLiveOptions {
  /** Part of a rebuild, which renders every view itself once all drafts are applied. */
  readonly rebuild: boolean;
}

export type GoingLivePlan =
  | { readonly ok: true; readonly steps: readonly GoingLiveStep[] }
  /** Another article holds the address: the draft is refused, and nothing is written. */
  | { readonly ok: false; readonly holder: string };

/**
 * Plans making `next` the article's live state from wherever `prev` left it (live elsewhere, down, or a
 * change interrupted half-way): a pure function of the facts.
 */
export function planGoingLive(facts: GoingLiveFacts, options: GoingLiveOptions): GoingLivePlan {
  const { prev, next, holders } = facts;
  const { id, path } = next;
  const heldBy = holders.get(path);
  if (heldBy !== undefined && heldBy !== id) return { ok: false, holder: heldBy };
  const live = prev?.status === 'live' ? prev : undefined;
  // Everywhere the article may still show from before, kept in the record until this change is settled.
  const from = shownAt(prev);
  const known = addressesOf(prev);
  const steps: GoingLiveStep[] = [];
  // A new address, or a move of a settled record: the record says so before the address is claimed. A
  // correction in place needs no such step, nor does a rebuild meeting an article with no record (it writes
  // no page ahead, and a rebuild that stops is run again, when the same draft claims the same address).
  const ahead = !known.includes(path) || (prev?.settled && live?.path !== path);
  if (ahead && !(options.rebuild && !prev))
    steps.push({ kind: 'note-intent', record: recordBeforeClaiming(prev, next) });
  steps.push({ kind: 'claim', path });
  // Old addresses keep working, unless another article has taken one since the article was down.
  const formerPaths = known.filter((p) => p !== path && [undefined, id].includes(holders.get(p)));
  for (const former of formerPaths) steps.push({ kind: 'claim-former', path: former });
  const record: ArticleRecord = {
    ...next,
    formerPaths,
    settled: false,
    ...(from.length > 0 ? { pendingFrom: from } : {}),
  };
  // A live page is rewritten (and its CDN copy invalidated) by its render job.
  if (live?.path !== path && !options.rebuild) steps.push({ kind: 'write-page-ahead', record });
  steps.push({ kind: 'open-address', path }, { kind: 'record', record });
  if (!options.rebuild) steps.push({ kind: 'send-jobs', record, from });
  for (const former of formerPaths) steps.push({ kind: 'redirect', from: former, to: path });
  const left = [...new Set([...from.map((f) => f.path), ...(prev?.claimedAhead ?? [])])].filter((p) =>
    formerPaths.includes(p),
  );
  if (left.length > 0) steps.push({ kind: 'remove-pages', paths: left });
  // A line in the history for where it went live, unless the history says so already (a retry, or a
  // correction in place). Records are never removed: an article that had none has no history yet.
  if (!(live?.settled && live.path === path)) {
    const line = prev ? facts.lastLine : undefined;
    const listed = line?.action === 'published' || line?.action === 'moved';
    if (!listed || line?.path !== path)
      steps.push({ kind: 'audit', action: listed ? 'moved' : 'published', record });
  }
  steps.push({ kind: 'settle', version: record.version });
  return { ok: true, steps };
}

/**
 * Where an article may show now: its place when it is live, and while a change to it is unsettled, every
 * place that change came from.
 */
export function shownAt(record: ArticleRecord | undefined): ArticlePosition[] {
  if (!record) return [];
  const at = [...(record.pendingFrom ?? []), ...(record.status === 'live' ? [positionOf(record)] : [])];
  const byKey = new Map(at.map((p) => [JSON.stringify([p.path, p.section, p.sortKey, p.tags ?? []]), p]));
  return [...byKey.values()];
}

/** Every address an article's record names: its own, the former ones, and those of an unsettled change. */
export function addressesOf(record: ArticleRecord | undefined): string[] {
  if (!record) return [];
  return [
    ...new Set([
      record.path,
      ...record.formerPaths,
      ...(record.pendingFrom ?? []).map((f) => f.path),
      ...(record.claimedAhead ?? []),
    ]),
  ];
}

export function positionOf(record: ArticleRecord): ArticlePosition {
  return { section: record.section, sortKey: record.sortKey, path: record.path, tags: listedTags(record) };
}

/**
 * The record before a change that is about to claim a new address, naming that address: the article as it
 * was (a new one as not live yet), changing from where it stood (or from where an interrupted change did).
 */
export function recordBeforeClaiming(prev: ArticleRecord | undefined, next: ArticleRecord): ArticleRecord {
  if (!prev) {
    // Not live, so nothing renders its body: the record names the address and no more.
    const { photos: _, ...rest } = next;
    return {
      ...rest,
      bodyHtml: '',
      status: 'new',
      version: 0,
      settled: false,
      claimedAhead: [next.path],
    };
  }
  const from = prev.settled ? shownAt(prev) : (prev.pendingFrom ?? []);
  const { pendingFrom: _, ...rest } = prev;
  return {
    ...rest,
    settled: false,
    ...(from.length > 0 ? { pendingFrom: from } : {}),
    claimedAhead: [...new Set([...(prev.claimedAhead ?? []), next.path])],
  };
}

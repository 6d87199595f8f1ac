import type { ArticlePosition, ArticleRecord } from './article.ts';
import { articleState } from './article-state.ts';
import type { AuditEntry } from './audit.ts';
import { addressesOf, shownAt } from './going-live.ts';

/** How an article goes down: for good (withdrawn), or until its scheduled time. */
export type DownAs = 'withdrawn' | 'scheduled';

/** The steps of a takedown, in the order they are applied (docs/convergence.md §3). */
export const GOING_DOWN_STEPS = ['record', 'send-jobs', 'gone', 'unredirect', 'audit', 'settle'] as const;

export type GoingDownStep =
  /** Out of the lists first: the render jobs then drop it everywhere, and its own job removes its pages. */
  | { readonly kind: 'record'; readonly record: ArticleRecord }
  | { readonly kind: 'send-jobs'; readonly record: ArticleRecord; readonly from: readonly ArticlePosition[] }
  /** Withdrawn: the address answers 410 Gone and is free again for other articles. */
  | { readonly kind: 'gone'; readonly path: string }
  /** Scheduled: a former address no longer redirects to a page that is not there (it answers 404). */
  | { readonly kind: 'unredirect'; readonly path: string }
  | { readonly kind: 'audit'; readonly action: 'taken-down' | 'rescheduled'; readonly record: ArticleRecord }
  | { readonly kind: 'settle'; readonly version: number };

export interface GoingDownFacts {
  readonly prev: ArticleRecord;
  /** Who holds each address the record knows (absent: no one). */
  readonly holders: ReadonlyMap<string, string | undefined>;
  readonly lastLine: AuditEntry | undefined;
}

/** Whether the article is down as asked already, and settled: nothing is left to do but its photos. */
export function isDownAs(record: ArticleRecord, downAs: DownAs): boolean {
  const state = articleState(record);
  return state.kind === 'down' && (state.as === 'withdrawn' || downAs === 'scheduled');
}

/**
 * Plans taking an article down from wherever its record stands (live, or a change interrupted half-way):
 * a pure function of the facts. Its own address stays its own (a scheduled article comes back to it); any
 * other it had, or a change claimed, is a former one. An address another article holds is left alone.
 */
export function planGoingDown(facts: GoingDownFacts, downAs: DownAs): GoingDownStep[] {
  const { prev, holders } = facts;
  const from = shownAt(prev);
  const addresses = addressesOf(prev);
  const { claimedAhead: _, ...rest } = prev;
  const down: ArticleRecord = {
    ...rest,
    status: downAs,
    version: prev.status === 'live' ? prev.version + 1 : prev.version,
    formerPaths: addresses.filter((p) => p !== prev.path),
    settled: false,
    pendingFrom: from,
  };
  const steps: GoingDownStep[] = [
    { kind: 'record', record: down },
    { kind: 'send-jobs', record: down, from },
  ];
  for (const path of addresses.filter((p) => [undefined, prev.id].includes(holders.get(p)))) {
    if (downAs === 'withdrawn') steps.push({ kind: 'gone', path });
    else if (path !== prev.path) steps.push({ kind: 'unredirect', path });
  }
  // A line in the history if it says the article was on the site (not yet written, if this is a retry).
  const line = facts.lastLine;
  if (line?.action === 'published' || line?.action === 'moved') {
    steps.push({
      kind: 'audit',
      action: downAs === 'withdrawn' ? 'taken-down' : 'rescheduled',
      record: prev,
    });
  }
  steps.push({ kind: 'settle', version: down.version });
  return steps;
}

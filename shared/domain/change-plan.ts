import { type ArticleRecord, articlePath } from './article.ts';
import type { Draft } from './draft.ts';
import type { DownAs } from './going-down.ts';
import { type Problem, problem } from './problems.ts';
import type { EditorReport } from './report.ts';

/** The draft at a key as the change read it. */
export type DraftAsRead =
  | { readonly kind: 'gone' }
  | { readonly kind: 'too-large'; readonly size: number; readonly max: number }
  | {
      readonly kind: 'invalid';
      readonly problems: readonly Problem[];
      readonly warnings?: readonly Problem[];
    }
  | { readonly kind: 'valid'; readonly draft: Draft; readonly warnings: readonly Problem[] };

/** What a change to one draft key decides from, all read before anything is written. */
export interface ChangeFacts {
  readonly key: string;
  /** When S3 saw the upload. */
  readonly uploadedAt: Date;
  /** The current time; a scheduled look happens at the publication time itself, so never before the upload. */
  readonly now: Date;
  readonly draft: DraftAsRead;
  /** The article the change concerns: the draft's id, or the one the key published last. */
  readonly id: string;
  /** The record of the article the draft names (or, for a draft that is gone, the one it published last). */
  readonly prev: ArticleRecord | undefined;
  /** Another draft key, still in the bucket, whose article has this draft's id. */
  readonly otherDraft: string | undefined;
  readonly siteUrl: string;
}

/**
 * The steps of a change to a draft key, by name, in the order they are applied (docs/convergence.md §3).
 * `publish` is planned in turn from the images it reads (`publish-images`, then `planGoingLive`'s steps,
 * then `release-photos`); a step that finds the draft must be refused plans the change again as a rejection.
 */
export const CHANGE_STEPS = [
  'finish-interrupted',
  'cancel-schedule',
  'take-down',
  'schedule',
  'publish',
] as const;

export type ChangeStep =
  /** A rejected draft does not redo an interrupted change to its article: that change ends as recorded. */
  | { readonly kind: 'finish-interrupted' }
  /** A schedule left from an earlier publication time is no longer needed. */
  | { readonly kind: 'cancel-schedule' }
  | { readonly kind: 'take-down'; readonly downAs: DownAs }
  /** The scheduler brings the draft back at its time. */
  | { readonly kind: 'schedule'; readonly at: Date }
  | { readonly kind: 'publish'; readonly draft: Draft };

export interface ChangePlan {
  /** What the editor reads back, once the steps are applied. */
  readonly report: EditorReport;
  readonly steps: readonly ChangeStep[];
}

/** Plans a change from the facts: which way the article goes, the steps that take it there, the report. */
export function planChange(facts: ChangeFacts): ChangePlan {
  const { draft, prev, key } = facts;
  const uploadedAt = facts.uploadedAt.toISOString();
  switch (draft.kind) {
    case 'too-large':
      return planRejection(facts, [
        problem('draft_too_large', { field: 'draft', size: draft.size, max: draft.max }),
      ]);
    case 'invalid':
      return planRejection(facts, draft.problems, draft.warnings);
    case 'gone':
      return planTakeDown(facts, []);
  }
  const { draft: valid, warnings } = draft;
  if (valid.status === 'withdrawn') return planTakeDown(facts, warnings);
  const base = { draftKey: key, errors: [], warnings, articleId: valid.id, uploadedAt };
  const now = Math.max(facts.now.getTime(), facts.uploadedAt.getTime());
  if (valid.publishedAt && valid.publishedAt.getTime() > now) {
    // Nothing of it is public until then: an article that was live (or half-way) goes off the site.
    const mine = prev?.draftKey === key && (prev.status === 'live' || !prev.settled);
    return {
      report: { ...base, status: 'scheduled', scheduledFor: valid.publishedAt.toISOString() },
      steps: [
        ...(mine ? [{ kind: 'take-down', downAs: 'scheduled' } as const] : []),
        { kind: 'schedule', at: valid.publishedAt },
      ],
    };
  }
  // Two drafts cannot be one article: the one that had it keeps it (checked when it would go live).
  if (facts.otherDraft !== undefined) {
    return planRejection(
      facts,
      [problem('duplicate_id', { field: 'id', id: valid.id, other: facts.otherDraft })],
      warnings,
    );
  }
  // A corrected headline keeps the address readers already have; only `slug:` (or a new section) moves it.
  const path = articlePath(valid.section, publishedSlug(valid, prev));
  return {
    report: { ...base, status: 'published', url: `${facts.siteUrl}${path}` },
    steps: [
      ...(prev?.status === 'live' ? [] : [{ kind: 'cancel-schedule' } as const]),
      { kind: 'publish', draft: valid },
    ],
  };
}

/** The draft is refused: nothing of it is published, and an interrupted change to its article ends. */
export function planRejection(
  facts: Pick<ChangeFacts, 'key' | 'uploadedAt'>,
  errors: readonly Problem[],
  warnings: readonly Problem[] = [],
): ChangePlan {
  return {
    report: {
      draftKey: facts.key,
      status: 'rejected',
      errors,
      warnings,
      uploadedAt: facts.uploadedAt.toISOString(),
    },
    steps: [{ kind: 'finish-interrupted' }],
  };
}

function planTakeDown(facts: ChangeFacts, warnings: readonly Problem[]): ChangePlan {
  return {
    report: {
      draftKey: facts.key,
      status: 'withdrawn',
      errors: [],
      warnings,
      articleId: facts.id,
      uploadedAt: facts.uploadedAt.toISOString(),
    },
    steps: [{ kind: 'cancel-schedule' }, { kind: 'take-down', downAs: 'withdrawn' }],
  };
}

/** The slug an article is published under: the draft's if it sets one (or is new), else the one it has. */
export function publishedSlug(draft: Draft, prev: ArticleRecord | undefined): string {
  return draft.slugSet || !prev ? draft.slug : prev.slug;
}

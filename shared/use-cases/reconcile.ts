import { classifyKey, compareKeys } from '../domain/upload-keys.ts';
import type { AppliedUpload, UploadVersion } from '../ports.ts';
import { type DraftChange, type SyncDeps, syncChange } from './sync-draft.ts';

/** Why an upload is brought into line: what the applied uploads and the bucket disagree on. */
export type Difference = 'new' | 'changed' | 'removed' | 'due';

export interface ReconcileOptions {
  readonly now: Date;
  /** Most uploads brought into line in one run; the next run resumes after the last one. */
  readonly budget?: number;
  /**
   * An upload younger than this (or a removal applied more recently) is left alone: its event may still be
   * on its way, and counting it would raise the alarm for nothing.
   */
  readonly settleMs?: number;
  /** Whether the run must stop now (the function's time is running out); checked before each change. */
  readonly stop?: () => boolean;
}

export interface ReconcileResult {
  /** Uploads the bucket holds that the pipeline acts on, compared in this run. */
  readonly compared: number;
  /** What differed, by kind: each is an event that was lost (or a schedule that did not fire). */
  readonly differences: Readonly<Record<Difference, number>>;
  /** Differences brought into line, and those whose change failed (tried again next run). */
  readonly applied: number;
  readonly failed: number;
  /** Whether the run reached the end of the bucket (otherwise the next one resumes where it stopped). */
  readonly complete: boolean;
}

/** Budget of a run: a scheduled run brings this many uploads into line at most, then resumes next time. */
export const RECONCILE_BUDGET = 100;
/** How long an upload's own event has before a reconcile counts it as lost. */
export const RECONCILE_SETTLE_MS = 10 * 60_000;

/**
 * Anti-entropy: compares the drafts bucket with what the pipeline has applied, upload by upload and version
 * by version, and brings every difference into line through the normal change path (so under the same
 * leases, with the same reports): an upload never applied or changed since, one removed whose removal was
 * never applied, and a scheduled draft that is due but was never published. Reads the bucket's listing and
 * the applied uploads page by page, side by side in key order: with nothing to do it costs one listing and
 * one query per thousand or so uploads, and reads no object. Bounded by a budget (and `stop`), it records
 * where it stopped and the next run starts there.
 */
export async function reconcile(deps: SyncDeps, options: ReconcileOptions): Promise<ReconcileResult> {
  const { now } = options;
  const budget = options.budget ?? RECONCILE_BUDGET;
  const settleMs = options.settleMs ?? RECONCILE_SETTLE_MS;
  const settled = (at: Date) => now.getTime() - at.getTime() >= settleMs;
  const differences: Record<Difference, number> = { new: 0, changed: 0, removed: 0, due: 0 };
  let compared = 0;
  let applied = 0;
  let failed = 0;

  const start = await deps.applied.resumePoint();
  /** The last key fully looked at: where the next run resumes if this one stops. */
  let done = start;

  /** Brings one upload into line; false when the run must stop before it. */
  const bringIntoLine = async (key: string, why: Difference, change: DraftChange): Promise<boolean> => {
    if (applied + failed >= budget || options.stop?.()) return false;
    differences[why] += 1;
    try {
      await syncChange(deps, change);
      applied += 1;
    } catch (err) {
      failed += 1;
      deps.log.error('reconcile could not bring an upload into line', { draftKey: key, error: err });
    }
    return true;
  };

  const look = async (listed: UploadVersion | undefined, recorded: AppliedUpload | undefined) => {
    const key = (listed ?? recorded)?.key ?? '';
    if (listed && classifyKey(listed.key) === 'ignored') return true;
    if (listed) compared += 1;
    if (listed && !recorded) {
      if (!settled(listed.modifiedAt)) return true;
      return bringIntoLine(key, 'new', changeOf(listed));
    }
    if (listed && recorded && listed.etag !== recorded.etag) {
      if (!settled(listed.modifiedAt)) return true;
      return bringIntoLine(key, 'changed', changeOf(listed));
    }
    if (!listed && recorded) {
      if (!settled(new Date(recorded.appliedAt))) return true;
      return bringIntoLine(key, 'removed', { key, eventTime: now });
    }
    // Due, and the schedule should have brought it: a draft is due once its time has passed by the settle time.
    if (recorded?.dueAt && settled(new Date(recorded.dueAt))) {
      return bringIntoLine(key, 'due', { key, eventTime: new Date(recorded.dueAt) });
    }
    return true;
  };

  /** Walks one stretch of both sides, keys in (`after`, `through`], in order; false when the run stopped. */
  const walk = async (listed: readonly UploadVersion[], after: string | undefined, through?: string) => {
    const recorded: AppliedUpload[] = [];
    for await (const page of deps.applied.between(after, through)) recorded.push(...page);
    let i = 0;
    let j = 0;
    while (i < listed.length || j < recorded.length) {
      const a = listed[i];
      const b = recorded[j];
      const order = a && b ? compareKeys(a.key, b.key) : a ? -1 : 1;
      const ok = await look(order <= 0 ? a : undefined, order >= 0 ? b : undefined);
      if (!ok) return false;
      done = (order <= 0 ? a : b)?.key ?? done;
      if (order <= 0) i += 1;
      if (order >= 0) j += 1;
    }
    return true;
  };

  let after = start;
  for await (const page of deps.drafts.listVersions(start !== undefined ? { after: start } : {})) {
    const through = page.at(-1)?.key;
    if (!(await walk(page, after, through))) return finish(false);
    after = through;
  }
  // Applied uploads past the bucket's last key: all removed.
  if (!(await walk([], after))) return finish(false);
  return finish(true);

  async function finish(complete: boolean): Promise<ReconcileResult> {
    await deps.applied.setResumePoint(complete ? undefined : done);
    const result = { compared, differences, applied, failed, complete };
    const found = Object.values(differences).reduce((n, d) => n + d, 0);
    if (found > 0) deps.log.warn('reconcile found uploads whose events were lost', { ...result });
    return result;
  }
}

function changeOf(listed: UploadVersion): DraftChange {
  // The upload time as the event would have given it: the publication time of a draft that states none.
  return { key: listed.key, eventTime: listed.modifiedAt, etag: listed.etag, actor: 'reconcile' };
}

import type { DraftAsRead } from '../domain/change-plan.ts';
import { defaultIdForKey, type ParseResult, parseDraft } from '../domain/draft.ts';
import { MAX_DRAFT_BYTES } from '../domain/encoding.ts';
import { classifyKey } from '../domain/upload-keys.ts';
import type { EditorReport } from '../ports.ts';
import { applyChange, gatherFacts } from './article-changes.ts';
import type { DraftChange, SyncDeps } from './change-deps.ts';
import { withLease } from './leases.ts';
import { failedReport, reportChanged } from './reports.ts';

/**
 * Brings the site in line with what the drafts bucket holds at a key now, whatever the event said: a draft
 * that exists is published (or rejected, or withdrawn), one that is gone is taken down, an image re-publishes
 * the drafts beside it that use it. Writes the editor's report. Rejections end here; any other failure is
 * reported as `failed` and thrown again, so that the delivery is retried.
 */
export async function syncChange(deps: SyncDeps, change: DraftChange): Promise<EditorReport[]> {
  switch (classifyKey(change.key)) {
    case 'draft':
      return [await syncDraftReporting(deps, change)];
    case 'image':
      return syncImage(deps, change);
    default:
      return [];
  }
}

/** Runs `work` while holding the draft's lease, waiting a while for another holder to finish. */
export function withDraftLease<T>(deps: SyncDeps, key: string, work: () => Promise<T>): Promise<T> {
  return withLease(deps, `draft#${key}`, `Another instance is still publishing ${key}`, work);
}

export async function syncDraftReporting(deps: SyncDeps, change: DraftChange): Promise<EditorReport> {
  try {
    return await withDraftLease(deps, change.key, async () => {
      const read: { etag?: string } = {};
      const report = await syncDraft(deps, change, read);
      if (!change.rebuild || (await reportChanged(deps, report))) await deps.drafts.putReport(report);
      // Under the lease, so that what is recorded is the version this change read, never an older one.
      await noteApplied(deps, change.key, read.etag, report.scheduledFor);
      return report;
    });
  } catch (err) {
    const report = failedReport(change, err);
    deps.log.error('draft failed', { draftKey: change.key, error: err });
    await deps.drafts.putReport(report).catch((reportErr: unknown) => {
      deps.log.error('report could not be written', { draftKey: change.key, error: reportErr });
    });
    throw err;
  }
}

/** Notes the version of an upload now applied (none: the upload is gone, its removal applied). */
export async function noteApplied(deps: SyncDeps, key: string, etag: string | undefined, dueAt?: string) {
  if (etag === undefined) await deps.applied.forget(key);
  else {
    const appliedAt = (deps.now?.() ?? new Date()).toISOString();
    await deps.applied.record({ key, etag, appliedAt, ...(dueAt ? { dueAt } : {}) });
  }
}

export async function syncDraft(
  deps: SyncDeps,
  change: DraftChange,
  read: { etag?: string },
): Promise<EditorReport> {
  const object = await deps.drafts.get(change.key, { maxBytes: MAX_DRAFT_BYTES });
  if (object) read.etag = object.etag ?? '';
  // The desk's uploads name their editor: the history and the report say who, not the desk's own role.
  const editor = object?.editor;
  if (editor) change = { ...change, actor: editor };
  const parsed = object && !object.tooLarge ? await parseWith(deps, change.key, object.bytes) : undefined;
  // What the draft names now, published or not: an image uploaded after it brings it back (syncImage).
  await deps.index.setImagesOf(change.key, parsed?.ok ? parsed.draft.images.map((i) => i.key) : []);
  // One change per article at a time, whichever draft key it comes from (a rename by copy, then delete,
  // gives two keys naming the same id).
  const id = parsed?.ok ? parsed.draft.id : await idOf(deps, change.key);
  const asRead: DraftAsRead = !object
    ? { kind: 'gone' }
    : object.tooLarge
      ? { kind: 'too-large', size: object.size ?? 0, max: MAX_DRAFT_BYTES }
      : parsed?.ok
        ? { kind: 'valid', draft: parsed.draft, warnings: parsed.warnings }
        : { kind: 'invalid', problems: parsed?.problems ?? [] };
  const report = await withLease(
    deps,
    `article#${id}`,
    `Another instance is still changing article ${id}`,
    async () => applyChange(deps, change, await gatherFacts(deps, change, id, asRead)),
  );
  return editor ? { ...report, uploadedBy: editor } : report;
}

/** The article a draft key published last, or would publish under its default id. */
export async function idOf(deps: SyncDeps, key: string): Promise<string> {
  return (await deps.index.idForDraft(key)) ?? defaultIdForKey(key);
}

export function parseWith(deps: SyncDeps, key: string, bytes: Uint8Array): Promise<ParseResult> {
  return deps.parse ? deps.parse(key, bytes) : Promise.resolve(parseDraft(key, bytes, deps.config));
}

/**
 * An image changed: the drafts that name it are looked at again (a draft that waited for it is published). The
 * index says which they are, so an image costs the same in a folder of ten drafts or of ten thousand.
 */
export async function syncImage(deps: SyncDeps, change: DraftChange): Promise<EditorReport[]> {
  const reports: EditorReport[] = [];
  for (const key of await deps.index.draftsNaming(change.key)) {
    reports.push(await syncDraftReporting(deps, { key, eventTime: change.eventTime }));
  }
  // The version the event or listing named; none means the image is gone (or, from a schedule, unknown).
  if (change.etag !== undefined) await noteApplied(deps, change.key, change.etag);
  // Whether it is there, without reading it: an object over a limit of nothing comes back unread.
  else if (!(await deps.drafts.get(change.key, { maxBytes: 0 }))) {
    await noteApplied(deps, change.key, undefined);
  }
  return reports;
}

export type { DraftChange, SyncDeps } from './change-deps.ts';
export { DRAFT_LEASE_MS, DraftBusyError } from './leases.ts';

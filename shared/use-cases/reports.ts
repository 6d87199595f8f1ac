import { problem } from '../domain/problems.ts';
import { type EditorReport, reportKey } from '../ports.ts';
import type { DraftChange, SyncDeps } from './change-deps.ts';

/** Whether a report says something other than the one the editor has (its upload time aside). */
export async function reportChanged(deps: SyncDeps, report: EditorReport): Promise<boolean> {
  const stored = await deps.drafts.get(reportKey(report.draftKey));
  if (!stored) return true;
  const text = new TextDecoder().decode(stored.bytes).trimEnd();
  let uploadedAt: unknown;
  try {
    uploadedAt = (JSON.parse(text) as Partial<EditorReport>).uploadedAt;
  } catch {
    return true;
  }
  if (typeof uploadedAt !== 'string') return true;
  // This report with the stored one's upload time, written as reports are: equal text means nothing changed.
  return JSON.stringify({ ...report, uploadedAt }, null, 2) !== text;
}

export function failedReport(change: DraftChange, err: unknown): EditorReport {
  const message = err instanceof Error ? err.message : String(err);
  return {
    draftKey: change.key,
    status: 'failed',
    errors: [problem('processing_failed', { field: 'draft', reason: message.slice(0, 300) })],
    warnings: [],
    uploadedAt: change.eventTime.toISOString(),
  };
}

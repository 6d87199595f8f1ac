import type { Problem } from './problems.ts';
import { REPORTS_PREFIX } from './upload-keys.ts';

export function reportKey(draftKey: string): string {
  return `${REPORTS_PREFIX}${draftKey}.json`;
}

/** What the editor reads back after a draft was processed: `reports/<draft key>.json`. */
export interface EditorReport {
  readonly draftKey: string;
  readonly status: 'published' | 'scheduled' | 'rejected' | 'failed' | 'withdrawn';
  readonly errors: readonly Problem[];
  readonly warnings: readonly Problem[];
  readonly url?: string;
  /** For `scheduled`: when the article goes live on its own. */
  readonly scheduledFor?: string;
  readonly articleId?: string;
  /** When the processed upload reached the bucket (the S3 event time). */
  readonly uploadedAt: string;
  /** Who uploaded it: the desk's editor, or the principal S3 names. */
  readonly uploadedBy?: string;
}

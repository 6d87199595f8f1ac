/** One line of an article's history: who published, moved or took down which version of it, and when. */
export interface AuditEntry {
  readonly articleId: string;
  readonly action: 'taken-down' | 'published' | 'moved' | 'rescheduled';
  readonly draftKey: string;
  /** Who made the change, as S3 reports the uploader (an IAM principal); `unknown` when not reported. */
  readonly actor: string;
  readonly at: string;
  /** The draft version (S3 version id or ETag) the change concerned. */
  readonly draftVersion?: string;
  readonly path: string;
}

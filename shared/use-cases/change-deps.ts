import type { ParseResult, parseDraft } from '../domain/draft.ts';
import type {
  AppliedUploads,
  ArticleIndex,
  CdnInvalidator,
  DraftStore,
  EdgeRules,
  ImageRenditions,
  LeaseStore,
  Log,
  PublishScheduler,
  RenderQueue,
  ShownComments,
} from '../ports.ts';
import type { DRAFT_LEASE_MS } from './leases.ts';
import type { ListDeps } from './lists.ts';

export interface SyncDeps extends ListDeps {
  /** Every concern of the article table: a change reads and writes them all. */
  readonly index: ArticleIndex;
  readonly drafts: DraftStore;
  /** What has been applied of each upload, for a reconcile to find what events missed. */
  readonly applied: AppliedUploads;
  readonly render: RenderQueue;
  readonly leases: LeaseStore;
  readonly cdn: CdnInvalidator;
  readonly edge: EdgeRules;
  /** The approved comments an article page written ahead shows (none yet, for a new article). */
  readonly shownComments: ShownComments;
  readonly scheduler: PublishScheduler;
  readonly log: Log;
  /** The current time; tests pass a fixed clock. */
  readonly now?: () => Date;
  /** Waits while another instance holds a draft's lease; tests pass a fake. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Makes the photo files readers get: required, since no uploaded image is published as it is. */
  readonly images: ImageRenditions;
  /**
   * Parses a draft's bytes: {@link parseDraft} on this thread unless given (a rebuild parses on worker
   * threads). Whatever parses, the bytes are the ones read under the draft's lease.
   */
  readonly parse?: (key: string, bytes: Uint8Array) => Promise<ParseResult>;
  /** How long a draft's lease lasts; {@link DRAFT_LEASE_MS} unless a test needs stale leases to expire sooner. */
  readonly leaseMs?: number;
}

/** Something changed at a key of the drafts bucket. */
export interface DraftChange {
  readonly key: string;
  /** When S3 saw the change: the publication time of a draft that does not state one. */
  readonly eventTime: Date;
  /** Who made it, as S3 reports the principal; for the audit history. */
  readonly actor?: string;
  /** The object version (S3 version id, or ETag) the event was about. */
  readonly draftVersion?: string;
  /** The ETag the event or listing gave (an image's version is recorded as applied from it). */
  readonly etag?: string;
  /** Apply the draft again even if nothing changed (a rebuild after the renderer changed). */
  readonly force?: boolean;
  /**
   * Part of a rebuild, which renders every page itself once all drafts are applied: a new article's page is
   * not written ahead of it, and the editor's report is left as it is unless what it says has changed.
   */
  readonly rebuild?: boolean;
}

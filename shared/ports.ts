import type { ArchiveList, ArchivePage } from './domain/archive.ts';
import type { ArticleRecord, Teaser } from './domain/article.ts';
import type { AuditEntry } from './domain/audit.ts';
import type { ReaderComment, ShownComment } from './domain/comments.ts';
import type { EdgeRule } from './domain/edge-rules.ts';
import type { ImageType } from './domain/images.ts';
import type { EditorReport } from './domain/report.ts';
import type { RenderJob, ViewId } from './domain/views.ts';

// Types of the domain the ports speak in, for the adapters' convenience.
export type { AuditEntry } from './domain/audit.ts';
export { type EditorReport, reportKey } from './domain/report.ts';
export { REPORTS_PREFIX } from './domain/upload-keys.ts';
export type { Expectation, RenderJob, ViewId } from './domain/views.ts';

/**
 * The ports: one interface per outside thing the pipeline talks to. Each has an AWS adapter and an
 * in-memory one (`shared/adapters/`); use cases see only these types.
 */

export interface StoredObject {
  /** The content; empty when the object was larger than the reader's limit (`tooLarge`). */
  readonly bytes: Uint8Array;
  /** Size in bytes, as stored. */
  readonly size?: number;
  /** Over the limit the reader gave: the content was not read. */
  readonly tooLarge?: boolean;
  /** The object's version as the bucket names it, without quotes. */
  readonly etag?: string;
  readonly contentType?: string;
  readonly cacheControl?: string;
  /** Who uploaded it through the desk (its `editor` metadata, percent-decoded), if it says. */
  readonly editor?: string;
}

/** The drafts bucket: where editors upload drafts and images, and read their reports. */
export interface DraftStore {
  /**
   * The object as it is now, or undefined when there is none. One larger than `maxBytes` is not read: it
   * comes back empty and marked `tooLarge`, so a 50 MB upload costs no memory.
   */
  get(key: string, limit?: { readonly maxBytes: number }): Promise<StoredObject | undefined>;
  /**
   * The bucket's objects with their versions, reports included, a page at a time in key order (UTF-8 byte
   * order, as S3 lists them: `compareKeys`), starting after `after`.
   */
  listVersions(options?: { readonly after?: string }): AsyncIterable<readonly UploadVersion[]>;
  putReport(report: EditorReport): Promise<void>;
}

/** An object of the drafts bucket as a listing shows it. */
export interface UploadVersion {
  readonly key: string;
  /** Its version as the bucket names it (the ETag, without quotes): what {@link StoredObject.etag} says. */
  readonly etag: string;
  /** When it was uploaded. */
  readonly modifiedAt: Date;
}

/** What the pipeline last applied of one upload (a draft or an image) in the drafts bucket. */
export interface AppliedUpload {
  readonly key: string;
  /** The version applied (ETag without quotes). */
  readonly etag: string;
  /** For a draft that was scheduled: when it is due, as an ISO instant. */
  readonly dueAt?: string;
  /** When it was applied, as an ISO instant. */
  readonly appliedAt: string;
}

/**
 * The uploads the pipeline has applied, by key and version (items of the article table in AWS): compared
 * with the drafts bucket, they show what an event that never arrived left undone.
 */
export interface AppliedUploads {
  /** Notes that this version of the upload at `key` is applied (published, scheduled, rejected, taken down). */
  record(applied: AppliedUpload): Promise<void>;
  /** The upload at `key` is gone and its removal applied. */
  forget(key: string): Promise<void>;
  /**
   * Applied uploads with keys after `after` up to and including `through` (to the end when absent), in key
   * order (`compareKeys`), a page at a time.
   */
  between(after: string | undefined, through: string | undefined): AsyncIterable<readonly AppliedUpload[]>;
  /** Where the last bounded reconcile stopped (its next one starts after this key), if it did. */
  resumePoint(): Promise<string | undefined>;
  setResumePoint(after: string | undefined): Promise<void>;
}

export interface PutOptions {
  readonly contentType: string;
  readonly cacheControl: string;
}

/** The site bucket behind the CDN: pages, lists, media and assets, by object key. */
export interface SiteStore {
  put(key: string, body: string | Uint8Array, options: PutOptions): Promise<void>;
  get(key: string): Promise<StoredObject | undefined>;
  delete(keys: readonly string[]): Promise<void>;
  /** Every key below a prefix. */
  list(prefix: string): Promise<string[]>;
}

export interface TeaserQuery {
  /** Only this section; all sections when absent. */
  readonly section?: string;
  /** Only articles with this tag (its slug); not combined with `section`. */
  readonly tag?: string;
  /** Only articles strictly older than this sort key (newest first). */
  readonly before?: string;
  /**
   * Only articles strictly newer than this sort key: oldest first, or newest first when `before` is also
   * given (a range).
   */
  readonly after?: string;
  /** From the oldest article on, oldest first. */
  readonly from?: 'oldest';
  /** At most this many; all when absent. */
  readonly limit?: number;
}

/** The articles' records (the article table in AWS): what each article is now, and how far its change got. */
export interface Articles {
  get(id: string): Promise<ArticleRecord | undefined>;
  /** Saves a record; live records become visible to {@link ArticleLists.teasers}. */
  put(record: ArticleRecord): Promise<void>;
  /**
   * Marks a change to an article done: its record, if still at this version, becomes settled and drops what
   * only an unsettled change keeps (`pendingFrom`, `claimedAhead`). Lists do not change.
   */
  settle(id: string, version: number): Promise<void>;
  /** The id of the article a draft key last published, if any. */
  idForDraft(draftKey: string): Promise<string | undefined>;
  /**
   * Every article that is down for good (withdrawn), with the addresses it had, a page at a time: what a
   * rebuild needs to answer them 410 again where the edge rules were lost. Reads the whole table.
   */
  withdrawn(part?: TablePart): AsyncIterable<readonly DownArticle[]>;
}

/** One of `of` parts of the table, read side by side (a parallel scan's segment). */
export interface TablePart {
  readonly segment: number;
  readonly of: number;
}

/**
 * What a rebuild spread over many tasks hands on between its steps (a work bucket in AWS): the views each
 * batch of drafts found, then the whole plan of views to render, which the next step reads as its items.
 */
export interface RebuildWork {
  /** Keeps the views one batch found; a batch done again replaces what it kept. */
  keepFound(run: string, batch: string, views: readonly ViewId[]): Promise<void>;
  /** Everything the batches of a run found, a batch at a time. */
  found(run: string): AsyncIterable<readonly ViewId[]>;
  /** Writes the plan (a JSON array of views) and says where it is, for the state machine's item reader. */
  keepPlan(run: string, views: readonly ViewId[]): Promise<{ readonly bucket: string; readonly key: string }>;
}

/** The lists pages are built from: live articles' teasers, by query on indexes, never by scanning. */
export interface ArticleLists {
  /** Live articles, newest first (or, with `after` or `from: 'oldest'`, oldest first). */
  teasers(query: TeaserQuery): Promise<Teaser[]>;
}

/**
 * Where each list's archive pages start (see `domain/archive.ts`): written only by the list's own render
 * job, which runs one at a time per list.
 */
export interface ArchivePages {
  /** The list's newest archive page (the first, when none was opened after it). */
  newestPage(list: ArchiveList): Promise<ArchivePage>;
  /** The archive page that holds this sort key. */
  pageHolding(list: ArchiveList, sortKey: string): Promise<ArchivePage>;
  /** Every archive page of the list, by number (for a whole list's render). */
  archivePages(list: ArchiveList): Promise<ArchivePage[]>;
  /** Page `number`, if the list has it. */
  archivePage(list: ArchiveList, number: number): Promise<ArchivePage | undefined>;
  /**
   * Opens the page after the newest. A page of that number opened already stays as it is and is returned:
   * a retried render finds its own earlier opening.
   */
  openPage(list: ArchiveList, page: ArchivePage): Promise<ArchivePage>;
}

/** Who holds each reader address: one article per address, taken by a conditional write. */
export interface Addresses {
  /**
   * Claims a URL path for an article. Returns the id of the article that holds it when that is another
   * one (the claim then fails), or undefined when the path is now this article's.
   */
  claimPath(path: string, id: string): Promise<string | undefined>;
  /** Releases a path this article holds; a path held by another article is left alone. */
  releasePath(path: string, id: string): Promise<void>;
  /** The article that holds a path now, if any. */
  holderOf(path: string): Promise<string | undefined>;
}

/** Each article's history: who published, moved or took it down, when, from which draft version. */
export interface AuditTrail {
  appendAudit(entry: AuditEntry): Promise<void>;
  /** An article's history, oldest first. */
  auditOf(articleId: string): Promise<AuditEntry[]>;
}

/** Which drafts name which images, and which articles show which photos, both ways. */
export interface ImageUsage {
  /**
   * Records the images a draft names (drafts-bucket keys), replacing what it named before, so that an image
   * uploaded after its draft finds the drafts waiting for it without reading the folder.
   */
  setImagesOf(draftKey: string, imageKeys: readonly string[]): Promise<void>;
  /** The drafts that named this image when they were last processed, sorted. */
  draftsNaming(imageKey: string): Promise<string[]>;
  /** The photos (site keys, `media/<hash>/<name>`) an article is recorded as showing, sorted. */
  photosOf(articleId: string): Promise<string[]>;
  /**
   * Records the photos an article shows, replacing what it showed before: a photo no article shows is taken
   * off the site. Recorded before the photos are written, so that a photo being published is never taken
   * off for want of an article.
   */
  setPhotosOf(articleId: string, siteKeys: readonly string[]): Promise<void>;
  /** The articles recorded as showing a photo, sorted. */
  articlesShowing(siteKey: string): Promise<string[]>;
}

/**
 * The article table as a whole (one DynamoDB table in AWS, one class per adapter): every concern above.
 * Use cases name only the ones they use.
 */
export type ArticleIndex = Articles & ArticleLists & ArchivePages & Addresses & AuditTrail & ImageUsage;

/** An article taken down, as {@link Articles.withdrawn} lists it. */
export interface DownArticle {
  readonly id: string;
  readonly path: string;
  readonly formerPaths: readonly string[];
}

export type { EdgeRule } from './domain/edge-rules.ts';

/**
 * Rules the CDN applies to readers' requests by exact path (a CloudFront KeyValueStore read by the
 * viewer-request function in AWS; a file read by the local site server).
 */
export interface EdgeRules {
  /** Sets the rule for a path, or removes it with `undefined`. */
  set(path: string, rule: EdgeRule | undefined): Promise<void>;
}

/**
 * Brings a draft back to the pipeline at a given time: how an article with a future `publishedAt` goes live
 * on its own (EventBridge Scheduler in AWS, a timer locally).
 */
export interface PublishScheduler {
  /** The pipeline looks at this draft again at `at`; replaces an earlier time for the same draft. */
  schedule(draftKey: string, at: Date): Promise<void>;
  /** Forgets a draft's scheduled look, if it has one. */
  cancel(draftKey: string): Promise<void>;
}

/** One size of a photo, for readers' screens: `srcset` offers them and the browser picks. */
export interface Rendition {
  readonly width: number;
  readonly height: number;
  /** `webp`, or the original's own format. */
  readonly format: 'webp' | 'jpeg' | 'png';
  readonly bytes: Uint8Array;
}

/** An upload made fit to publish: decoded, turned upright, and encoded again without any metadata. */
export interface PreparedImage {
  /** In the upload's own format (an animation still animated), without EXIF, XMP, IPTC or comments. */
  readonly bytes: Uint8Array;
  /** One frame's size once EXIF orientation is applied: what pages give as `width` and `height`. */
  readonly width: number;
  readonly height: number;
  readonly format: ImageType;
  /** Frames of an animation; 1 for a still image. */
  readonly frames: number;
}

/** Why an upload cannot be published: something about the file itself, which no retry changes. */
export type ImageRefusal =
  | { readonly reason: 'undecodable'; readonly detail: string }
  | { readonly reason: 'dimensions'; readonly width: number; readonly height: number }
  | { readonly reason: 'frames'; readonly width: number; readonly height: number; readonly frames: number };

export type PrepareResult =
  | { readonly ok: true; readonly image: PreparedImage }
  | { readonly ok: false; readonly refusal: ImageRefusal };

/**
 * Makes the image files readers get from what editors upload (sharp, libvips): every composition has one,
 * since no uploaded byte is published as it is (cameras and phones write where and by whom a photo was taken
 * into it).
 */
export interface ImageRenditions {
  /**
   * Decodes an upload and encodes it again in its own format, EXIF orientation applied and no metadata kept;
   * its size is checked against `IMAGE_LIMITS` from its header, before its pixels are decoded. A file that
   * cannot be decoded, or is too large, is refused rather than thrown: it is the editor's to fix. Throws only
   * for what a retry may cure.
   */
  prepare(image: Uint8Array): Promise<PrepareResult>;
  /**
   * Copies of a prepared photo for `srcset`: each width asked for up to its own as WebP, and the narrower
   * ones in its own format too.
   */
  renditions(image: Uint8Array, widths: readonly number[]): Promise<Rendition[]>;
}

/** Where use cases say what they did; Powertools' Logger fits it, and so does `console`. */
export interface Log {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** The queue of render jobs (SQS FIFO in AWS, a local queue on a laptop). */
export interface RenderQueue {
  send(jobs: readonly RenderJob[]): Promise<void>;
}

/**
 * Short exclusive leases, so that changes to one draft are applied one at a time even when its events are
 * delivered to several function instances at once.
 */
export interface LeaseStore {
  /** Takes the lease for `holder` until `ttlMs` from now; false when someone else holds a live lease. */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up, if `holder` still holds it. */
  release(name: string, holder: string): Promise<void>;
}

/** The CDN in front of the site bucket: drops its copies of changed pages. */
export interface CdnInvalidator {
  /** Paths as readers request them (`/xa-hoi/tin`), not object keys. */
  invalidate(paths: readonly string[]): Promise<void>;
}

/** What ops count and alarm on: the names of the pipeline's own metrics. */
export type OpsMetricName =
  | 'FailedMessages'
  | 'ReconcileDifferences'
  | 'ReconcileFailures'
  | 'CommentsPosted'
  | 'CommentsRefused'
  | 'OldestPendingCommentMinutes';

/** The pipeline's own metrics (CloudWatch in AWS, through Powertools; a log line locally). */
export interface OpsMetrics {
  count(name: OpsMetricName, value: number): void;
  /** Sends what was counted; once per invocation. */
  flush(): void;
}

/** A moderator's decision on a comment, with who made it and when. */
export interface CommentDecision {
  readonly status: 'approved' | 'rejected';
  readonly by: string;
  readonly at: string;
  readonly reason?: string;
}

/** Readers' comments, and the moderation queue (flagged first, then oldest). */
export interface Comments {
  add(comment: ReaderComment): Promise<void>;
  get(id: string): Promise<ReaderComment | undefined>;
  /** Every comment on an article, oldest first, whatever its status. */
  onArticle(articleId: string): Promise<ReaderComment[]>;
  pending(limit: number): Promise<ReaderComment[]>;
  /** Records the decision; the comment as it is now (none: no such comment). */
  decide(id: string, decision: CommentDecision): Promise<ReaderComment | undefined>;
  /** Removes the comment, its personal data with it, keeping a line of who removed it and when. */
  remove(id: string, by: string, at: string): Promise<ReaderComment | undefined>;
}

/** The approved comments an article page shows, oldest first. */
export interface ShownComments {
  shownOn(articleId: string): Promise<ShownComment[]>;
}

/** A limit on posting: at most `limit` in each window of `windowSeconds`, counted under `key`. */
export interface PostingLimit {
  readonly key: string;
  readonly limit: number;
  readonly windowSeconds: number;
}

/** Counters of posts that expire on their own. */
export interface PostingLimits {
  /** Counts one post under each limit in turn; stops at one that is past, with the seconds until it resets. */
  take(limits: readonly PostingLimit[], now: Date): Promise<{ ok: true } | { ok: false; retryAfter: number }>;
}

/** Addresses (as keyed hashes) moderators have barred from commenting. */
export interface CommentBans {
  ban(client: string, by: string, at: string): Promise<void>;
  isBanned(client: string): Promise<boolean>;
}

/** The key readers' addresses are hashed with: made once, kept where only the pipeline reads it. */
export interface CommentSecret {
  key(): Promise<Uint8Array>;
}

/** Where the moderators hear of comments waiting for them (email through SES in AWS, a log line locally). */
export interface ModeratorDigest {
  send(subject: string, text: string): Promise<void>;
}

/** One version of a draft, as the drafts bucket keeps it (S3 versioning). */
export interface DraftVersion {
  readonly versionId: string;
  readonly at: string;
  /** Who made it, when the desk did (its `editor` metadata). */
  readonly editor?: string;
  /** A deletion (S3's delete marker). */
  readonly deleted: boolean;
  readonly latest: boolean;
}

/** The drafts bucket as the editors' desk works on it: what it can do is what an editor can do with the CLI. */
export interface DeskDrafts {
  /**
   * A URL the browser PUTs this key to, for a few minutes, with exactly this type, size and content (its
   * SHA-256, base64: the drafts bucket's object lock wants every upload's checksum), naming the editor.
   */
  uploadUrl(
    key: string,
    upload: {
      readonly contentType: string;
      readonly size: number;
      readonly sha256: string;
      readonly editor: string;
    },
  ): Promise<{ readonly url: string; readonly headers: Record<string, string> }>;
  /** The editors' reports, the latest change first. */
  reports(limit: number): Promise<EditorReport[]>;
  read(
    key: string,
    versionId?: string,
  ): Promise<{ readonly bytes: Uint8Array; readonly versionId?: string } | undefined>;
  /** The key's versions, newest first. */
  versions(key: string): Promise<DraftVersion[]>;
  /** An older version copied over the current one, as the editor's change. */
  restore(key: string, versionId: string, editor: string): Promise<void>;
  write(key: string, bytes: Uint8Array, contentType: string, editor: string): Promise<void>;
}

/** Editors signing in to the desk: Amazon Cognito in AWS, a users file locally. */
/** One step of an editor's sign-in: the password first, then whatever the user pool asks for. */
export type SignInStep =
  | { readonly kind: 'password'; readonly username: string; readonly password: string }
  | {
      readonly kind: 'new-password';
      readonly username: string;
      readonly session: string;
      readonly newPassword: string;
    }
  /** The six digits of the editor's authenticator app (TOTP). */
  | { readonly kind: 'totp'; readonly username: string; readonly session: string; readonly code: string }
  /** The first code from an authenticator app just set up with the secret `totp-setup` gave. */
  | {
      readonly kind: 'totp-setup';
      readonly username: string;
      readonly session: string;
      readonly code: string;
    };

/** What the user pool answered a step with. */
export type SignInAnswer =
  | { readonly kind: 'signed-in'; readonly token: string; readonly name: string }
  /** A first sign-in: the temporary password must be replaced. */
  | { readonly kind: 'new-password'; readonly session: string; readonly username: string }
  /** Two-step sign-in: the authenticator app's code is needed. */
  | { readonly kind: 'totp'; readonly session: string; readonly username: string }
  /** Two-step sign-in is required and not set up yet: the secret to add to an authenticator app. */
  | {
      readonly kind: 'totp-setup';
      readonly session: string;
      readonly username: string;
      readonly secret: string;
    }
  | {
      readonly kind: 'refused';
      /** Which part was wrong: the user name or password, the code, the new password, or the time it took. */
      readonly reason: 'credentials' | 'code' | 'new-password' | 'expired' | 'unsupported';
    };

/** Editors' sign-in (Amazon Cognito's user pool in AWS). */
export interface EditorSignIn {
  signIn(step: SignInStep): Promise<SignInAnswer>;
}

/** The key a desk signs its shareable preview links with: made once, kept where only the pipeline reads it. */
export interface DeskSecret {
  key(): Promise<Uint8Array>;
}

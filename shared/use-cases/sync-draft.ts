import { createHash, randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import {
  type ArticlePosition,
  type ArticleRecord,
  articlePath,
  RECORD_MAX_BYTES,
  recordBytes,
  sortKeyOf,
  tagSlugs,
} from '../domain/article.ts';
import { backoffMs } from '../domain/backoff.ts';
import { type PublishedImage, renderBodyWithPhotos } from '../domain/body.ts';
import { type Draft, defaultIdForKey, type ParseResult, parseDraft } from '../domain/draft.ts';
import { MAX_DRAFT_BYTES } from '../domain/encoding.ts';
import { type DownAs, type GoingDownStep, isDownAs, planGoingDown } from '../domain/going-down.ts';
import { addressesOf, type GoingLiveStep, planGoingLive, positionOf } from '../domain/going-live.ts';
import { IMAGE_LIMITS, imageOverLimits, imageTypeOfName, inspectImage } from '../domain/images.ts';
import { DraftRejectedError, type Problem, problem } from '../domain/problems.ts';
import { slugify } from '../domain/slug.ts';
import { classifyKey } from '../domain/upload-keys.ts';
import {
  type AppliedUploads,
  type ArticleIndex,
  type AuditEntry,
  type CdnInvalidator,
  type DraftStore,
  type EdgeRules,
  type EditorReport,
  type ImageRefusal,
  type ImageRenditions,
  type LeaseStore,
  type Log,
  type PublishScheduler,
  type RenderJob,
  type RenderQueue,
  reportKey,
  type StoredObject,
  type ViewId,
} from '../ports.ts';
import { type ListDeps, listsFor, sitemapView } from './lists.ts';
import {
  type PhotoToPublish,
  photoObjectKeys,
  preparePhoto,
  publishPhoto,
  type ReadyPhoto,
} from './photos.ts';
import { mayShowAsRelated } from './related.ts';
import { removeArticlePages, writeArticlePage } from './site-writes.ts';

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

/**
 * A lease outlives the longest a function may run (its timeout, 60 s), so a held lease always has a live
 * holder; a lease whose release failed blocks its draft for at most this long.
 */
export const DRAFT_LEASE_MS = 2 * 60_000;
/** How long a change waits for another instance to finish with the same draft before it is retried later. */
const LEASE_WAIT_MS = 20_000;

/** Another instance is applying a change to the same draft: the delivery is retried later. */
export class DraftBusyError extends Error {
  override readonly name = 'DraftBusyError';
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
function withDraftLease<T>(deps: SyncDeps, key: string, work: () => Promise<T>): Promise<T> {
  return withLease(deps, `draft#${key}`, `Another instance is still publishing ${key}`, work);
}

async function withLease<T>(deps: SyncDeps, name: string, busy: string, work: () => Promise<T>): Promise<T> {
  const holder = randomUUID();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const ttl = deps.leaseMs ?? DRAFT_LEASE_MS;
  const started = Date.now();
  for (let attempt = 0; !(await deps.leases.acquire(name, holder, ttl)); attempt++) {
    if (Date.now() - started >= LEASE_WAIT_MS) throw new DraftBusyError(busy);
    await sleep(backoffMs(attempt, 100, 1000));
  }
  try {
    return await work();
  } finally {
    await deps.leases.release(name, holder);
  }
}

async function syncDraftReporting(deps: SyncDeps, change: DraftChange): Promise<EditorReport> {
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

/** Whether a report says something other than the one the editor has (its upload time aside). */
async function reportChanged(deps: SyncDeps, report: EditorReport): Promise<boolean> {
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

function failedReport(change: DraftChange, err: unknown): EditorReport {
  const message = err instanceof Error ? err.message : String(err);
  return {
    draftKey: change.key,
    status: 'failed',
    errors: [problem('processing_failed', { field: 'draft', reason: message.slice(0, 300) })],
    warnings: [],
    uploadedAt: change.eventTime.toISOString(),
  };
}

/** Notes the version of an upload now applied (none: the upload is gone, its removal applied). */
async function noteApplied(deps: SyncDeps, key: string, etag: string | undefined, dueAt?: string) {
  if (etag === undefined) await deps.applied.forget(key);
  else {
    const appliedAt = (deps.now?.() ?? new Date()).toISOString();
    await deps.applied.record({ key, etag, appliedAt, ...(dueAt ? { dueAt } : {}) });
  }
}

async function syncDraft(
  deps: SyncDeps,
  change: DraftChange,
  read: { etag?: string },
): Promise<EditorReport> {
  const object = await deps.drafts.get(change.key, { maxBytes: MAX_DRAFT_BYTES });
  if (object) read.etag = object.etag ?? '';
  const parsed = object && !object.tooLarge ? await parseWith(deps, change.key, object.bytes) : undefined;
  // What the draft names now, published or not: an image uploaded after it brings it back (syncImage).
  await deps.index.setImagesOf(change.key, parsed?.ok ? parsed.draft.images.map((i) => i.key) : []);
  // One change per article at a time, whichever draft key it comes from (a rename by copy, then delete,
  // gives two keys naming the same id).
  const id = parsed?.ok ? parsed.draft.id : await idOf(deps, change.key);
  return withLease(deps, `article#${id}`, `Another instance is still changing article ${id}`, async () => {
    if (object?.tooLarge) {
      await finishInterrupted(deps, change, id);
      return rejectedReport(change, [
        problem('draft_too_large', { field: 'draft', size: object.size ?? 0, max: MAX_DRAFT_BYTES }),
      ]);
    }
    if (!object || !parsed) {
      await deps.scheduler.cancel(change.key);
      return takeDown(deps, change, id);
    }
    if (!parsed.ok) {
      await finishInterrupted(deps, change, id);
      return rejectedReport(change, parsed.problems);
    }
    return applyDraft(deps, change, parsed.draft, parsed.warnings);
  });
}

async function applyDraft(
  deps: SyncDeps,
  change: DraftChange,
  draft: Draft,
  warnings: readonly Problem[],
): Promise<EditorReport> {
  try {
    if (draft.status === 'withdrawn') {
      await deps.scheduler.cancel(change.key);
      return await takeDown(deps, change, draft.id, warnings);
    }
    // A scheduled look happens at the publication time itself: it counts as due even if the clock lags.
    const now = Math.max((deps.now?.() ?? new Date()).getTime(), change.eventTime.getTime());
    if (draft.publishedAt && draft.publishedAt.getTime() > now)
      return await schedule(deps, change, draft, warnings);
    return await publish(deps, change, draft, warnings);
  } catch (err) {
    if (!(err instanceof DraftRejectedError)) throw err;
    await finishInterrupted(deps, change, draft.id);
    return rejectedReport(change, err.problems, warnings);
  }
}

/** The article a draft key published last, or would publish under its default id. */
async function idOf(deps: SyncDeps, key: string): Promise<string> {
  return (await deps.index.idForDraft(key)) ?? defaultIdForKey(key);
}

function parseWith(deps: SyncDeps, key: string, bytes: Uint8Array): Promise<ParseResult> {
  return deps.parse ? deps.parse(key, bytes) : Promise.resolve(parseDraft(key, bytes, deps.config));
}

function rejectedReport(change: DraftChange, errors: readonly Problem[], warnings: readonly Problem[] = []) {
  return {
    draftKey: change.key,
    status: 'rejected',
    errors,
    warnings,
    uploadedAt: change.eventTime.toISOString(),
  } satisfies EditorReport;
}

/**
 * A draft whose publication time is in the future: nothing of it is public until then (an article that was
 * live goes off the site, its address kept for it), and the scheduler brings it back at that time.
 */
async function schedule(
  deps: SyncDeps,
  change: DraftChange,
  draft: Draft,
  warnings: readonly Problem[],
): Promise<EditorReport> {
  const at = draft.publishedAt ?? change.eventTime;
  const prev = await deps.index.get(draft.id);
  if (prev?.draftKey === draft.key && (prev.status === 'live' || !prev.settled)) {
    await takeDown(deps, change, draft.id, warnings, 'scheduled');
  }
  await deps.scheduler.schedule(draft.key, at);
  return {
    draftKey: draft.key,
    status: 'scheduled',
    errors: [],
    warnings,
    scheduledFor: at.toISOString(),
    articleId: draft.id,
    uploadedAt: change.eventTime.toISOString(),
  };
}

async function publish(
  deps: SyncDeps,
  change: DraftChange,
  draft: Draft,
  warnings: readonly Problem[],
): Promise<EditorReport> {
  const { index, config } = deps;
  const prev = await index.get(draft.id);
  if (prev && prev.draftKey !== draft.key && (await deps.drafts.get(prev.draftKey))) {
    throw new DraftRejectedError([
      problem('duplicate_id', { field: 'id', id: draft.id, other: prev.draftKey }),
    ]);
  }
  // A corrected headline keeps the address readers already have; only `slug:` (or a new section) moves it.
  const slug = draft.slugSet || !prev ? draft.slug : prev.slug;
  const path = articlePath(draft.section, slug);
  const live = prev?.status === 'live' ? prev : undefined;
  const published: EditorReport = {
    draftKey: draft.key,
    status: 'published',
    errors: [],
    warnings,
    url: `${config.siteUrl}${path}`,
    articleId: draft.id,
    uploadedAt: change.eventTime.toISOString(),
  };
  // Going live now: a schedule left from an earlier future time is no longer needed.
  if (prev?.status !== 'live') await deps.scheduler.cancel(draft.key);
  const toPublish = await readImages(deps, draft);
  // The article's version: its draft and the images it shows (an image replaced under the same name counts).
  const contentHash = createHash('sha256')
    .update([draft.contentHash, ...toPublish.map((i) => i.siteKey)].join('\n'))
    .digest('hex');
  if (
    !change.force &&
    live?.settled &&
    live.contentHash === contentHash &&
    live.path === path &&
    live.draftKey === draft.key
  ) {
    return published;
  }

  const publishedAt = draft.publishedAt?.toISOString() ?? prev?.publishedAt ?? change.eventTime.toISOString();
  const editedAt = change.eventTime.toISOString();
  // "Updated" is shown when the content changed after publication, not when the same draft is applied again.
  const edited = live !== undefined && live.contentHash !== contentHash && editedAt > publishedAt;
  const updatedAt = edited ? editedAt : live?.updatedAt;
  const recordWith = (images: ReadonlyMap<string, PublishedImage>): ArticleRecord => ({
    id: draft.id,
    draftKey: draft.key,
    section: draft.section,
    slug,
    path,
    title: draft.title,
    lead: draft.lead,
    excerpt: draft.excerpt,
    author: draft.author,
    tags: draft.tags,
    publishedAt,
    ...(updatedAt ? { updatedAt } : {}),
    sortKey: sortKeyOf(publishedAt, draft.id),
    status: 'live',
    contentHash,
    ...bodyOf(draft, images),
    version: (prev?.version ?? 0) + 1,
    formerPaths: [],
    settled: false,
  });
  // A record the table cannot hold is refused before anything is written: its body as rendered, with room
  // for each photo's markup (under 2 KB) and the other fields (bounded by their own limits).
  const bodyBytes = draft.body.html.reduce((n, piece) => n + Buffer.byteLength(piece, 'utf8'), 0);
  refuseOversized(bodyBytes + toPublish.length * 2048 + 16 * 1024);

  // The photos it shows are recorded before any is written (a takedown elsewhere then leaves them be); those
  // it showed before and shows no more come off the site once it is live without them.
  const shows = toPublish.map((i) => i.siteKey);
  const recorded = await index.photosOf(draft.id);
  const showed = photosShown(prev, recorded);
  if (shows.some((k) => !recorded.includes(k))) {
    await index.setPhotosOf(draft.id, [...new Set([...showed, ...shows])]);
  }
  const next = recordWith(await publishImages(deps, toPublish));
  refuseOversized(recordBytes(next));
  await putLive(deps, change, prev, next);
  await photosNoLongerShown(deps, draft.id, showed, shows);
  deps.log.info('article published', { articleId: draft.id, path, draftKey: draft.key });
  return published;
}

/** An article record over what the table holds: a rejection naming what to shorten, never a retry. */
function refuseOversized(bytes: number): void {
  if (bytes <= RECORD_MAX_BYTES) return;
  const kb = (n: number) => Math.ceil(n / 1024);
  throw new DraftRejectedError([
    problem('article_too_large', { field: 'body', size: kb(bytes), max: kb(RECORD_MAX_BYTES) }),
  ]);
}

/**
 * Makes `next` the article's live state, from wherever `prev` left it: the facts are read, the steps
 * planned from them (`planGoingLive`, in the order docs/convergence.md argues), and applied one by one. A
 * failure at any step leaves a record from which a retry, or the next change to the draft, plans the rest.
 */
async function putLive(
  deps: SyncDeps,
  change: DraftChange,
  prev: ArticleRecord | undefined,
  next: ArticleRecord,
): Promise<void> {
  const { index } = deps;
  const addresses = [...new Set([...addressesOf(prev), next.path])];
  const holders = new Map<string, string | undefined>();
  for (const path of addresses) holders.set(path, await index.holderOf(path));
  const lastLine = prev ? (await index.auditOf(next.id)).at(-1) : undefined;
  const plan = planGoingLive({ prev, next, holders, lastLine }, { rebuild: change.rebuild === true });
  if (!plan.ok) throw slugTaken(next, plan.holder);
  for (const step of plan.steps) await applyStep(deps, change, next, step);
}

function slugTaken(next: ArticleRecord, holder: string): DraftRejectedError {
  return new DraftRejectedError([
    problem('slug_taken', { field: 'slug', path: next.path, holder, suggestion: `${next.slug}-2` }),
  ]);
}

/** Applies one step of a plan to the article; each may be applied again with the same effect. */
async function applyStep(
  deps: SyncDeps,
  change: DraftChange,
  next: ArticleRecord,
  step: GoingLiveStep | GoingDownStep,
) {
  const { index, edge } = deps;
  switch (step.kind) {
    case 'note-intent':
    case 'record':
      return index.put(step.record);
    case 'claim': {
      const holder = await index.claimPath(step.path, next.id);
      if (holder !== undefined) throw slugTaken(next, holder);
      return;
    }
    case 'claim-former': {
      // Taken since the facts were read: planned again, from the new facts, on the retry.
      const holder = await index.claimPath(step.path, next.id);
      if (holder !== undefined) throw new Error(`${step.path} was claimed by ${holder} meanwhile`);
      return;
    }
    case 'write-page-ahead':
      // A reader may have asked for the address before (a shared link, a scheduled article): the CDN keeps
      // that 404 for its error-caching time unless told.
      return void (await writeArticlePage(deps, step.record, { invalidate: 'always' }));
    case 'open-address':
      return edge.set(step.path, undefined);
    case 'send-jobs':
      return deps.render.send(await jobsFor(deps, step.record, step.from));
    case 'redirect':
      return edge.set(step.from, { status: 301, location: step.to });
    case 'remove-pages':
      return removeArticlePages(deps, step.paths);
    case 'gone': {
      // Claimed by another article since the facts were read: that article's now, left alone.
      const holder = await index.holderOf(step.path);
      if (holder !== undefined && holder !== next.id) return;
      await edge.set(step.path, { status: 410 });
      return index.releasePath(step.path, next.id);
    }
    case 'unredirect':
      return edge.set(step.path, undefined);
    case 'audit':
      return index.appendAudit(auditEntry(change, step.record, step.action));
    case 'settle':
      return index.settle(next.id, step.version);
  }
}

/**
 * The draft is rejected now, so it will not redo a change to its article that was interrupted: that change
 * is finished as recorded (the article stays as it was, or as the interrupted change made it), so that the
 * site does not stay half-way between the two.
 */
async function finishInterrupted(deps: SyncDeps, change: DraftChange, id: string): Promise<void> {
  const prev = await deps.index.get(id);
  if (!prev || prev.settled || prev.draftKey !== change.key) return;
  if (prev.status !== 'live') {
    await takeDown(deps, change, id, [], prev.status);
    return;
  }
  const { pendingFrom: _, claimedAhead: __, ...recorded } = prev;
  await putLive(deps, change, prev, { ...recorded, version: prev.version + 1 });
}

/**
 * The last line of an article's history. Lines are written from what the history says, not from what the
 * record says, so a change retried after its line was written does not write it twice, and one interrupted
 * before does not lose it.
 */
async function _lastLine(index: SyncDeps['index'], id: string): Promise<AuditEntry | undefined> {
  return (await index.auditOf(id)).at(-1);
}

function auditEntry(change: DraftChange, record: ArticleRecord, action: AuditEntry['action']): AuditEntry {
  return {
    articleId: record.id,
    action,
    draftKey: change.key,
    actor: change.actor ?? 'unknown',
    at: change.eventTime.toISOString(),
    ...(change.draftVersion ? { draftVersion: change.draftVersion } : {}),
    path: record.path,
  };
}

/**
 * The render jobs a recorded change needs: the article's own page, its lists, and the pages whose related
 * teasers may show it, at its new position and at every one it left (only a bounded set can, see
 * {@link mayShowAsRelated}). Each job names the version its render must see in the list indexes.
 */
async function jobsFor(
  deps: SyncDeps,
  record: ArticleRecord,
  from: readonly ArticlePosition[],
): Promise<RenderJob[]> {
  const expect = { id: record.id, version: record.version };
  const views = new Set<ViewId>([
    `article/${record.id}`,
    ...listsFor([record.section, ...from.map((f) => f.section)]),
    sitemapView(record.publishedAt),
    ...from.map((f) => sitemapView(instantOf(f.sortKey))),
    ...[...tagSlugs(record.tags), ...from.flatMap((f) => f.tags ?? [])].map((t): ViewId => `tag/${t}`),
  ]);
  for (const at of [positionOf(record), ...from]) {
    for (const t of await mayShowAsRelated(deps.index, deps.config, at)) {
      if (t.id !== record.id) views.add(`article/${t.id}`);
    }
  }
  return [...views].map((view) => ({ view, expect }));
}

function bodyOf(draft: Draft, images: ReadonlyMap<string, PublishedImage>) {
  const { html, photos } = renderBodyWithPhotos(draft.body, (src) => images.get(src));
  return { bodyHtml: html, ...(photos.length > 0 ? { photos } : {}) };
}

/** The publication instant a sort key starts with. */
function instantOf(sortKey: string): string {
  return sortKey.slice(0, sortKey.indexOf('#'));
}

async function takeDown(
  deps: SyncDeps,
  change: DraftChange,
  id: string,
  warnings: readonly Problem[] = [],
  downAs: DownAs = 'withdrawn',
): Promise<EditorReport> {
  const { index } = deps;
  const report: EditorReport = {
    draftKey: change.key,
    status: 'withdrawn',
    errors: [],
    warnings,
    articleId: id,
    uploadedAt: change.eventTime.toISOString(),
  };
  const prev = await index.get(id);
  if (!prev || prev.draftKey !== change.key) return report;
  // Nothing of an article that is down is public, its photos included (a retry finishes what one cut short).
  if (!isDownAs(prev, downAs)) {
    const holders = new Map<string, string | undefined>();
    for (const path of addressesOf(prev)) holders.set(path, await index.holderOf(path));
    const lastLine = (await index.auditOf(id)).at(-1);
    for (const step of planGoingDown({ prev, holders, lastLine }, downAs))
      await applyStep(deps, change, prev, step);
  }
  await photosNoLongerShown(deps, id, photosShown(prev, await index.photosOf(id)), []);
  if (!isDownAs(prev, downAs))
    deps.log.info('article taken down', { articleId: id, path: prev.path, draftKey: change.key });
  return report;
}

interface ImageToPublish extends PhotoToPublish {
  readonly src: string;
}

/** Reads the draft's images; each gets a content-addressed name on the site. Missing images reject the draft. */
async function readImages(deps: SyncDeps, draft: Draft): Promise<ImageToPublish[]> {
  const found: ImageToPublish[] = [];
  const problems: Problem[] = [];
  for (const image of draft.images) {
    const object = await deps.drafts.get(image.key, { maxBytes: IMAGE_LIMITS.bytes });
    const src = image.src.slice(0, 120);
    if (!object) {
      problems.push(problem('image_missing', { field: 'body', src, key: image.key }));
      continue;
    }
    const wrong = imageProblem(src, image.key, object);
    if (wrong) {
      problems.push(wrong);
      continue;
    }
    const ext = posix.extname(image.key).slice(1).toLowerCase();
    const type = imageTypeOfName(image.key);
    const name = `${slugify(posix.basename(image.key, posix.extname(image.key))) || 'anh'}.${ext}`;
    const hash = createHash('sha256').update(object.bytes).digest('hex').slice(0, 16);
    found.push({
      src: image.src,
      siteKey: `media/${hash}/${name}`,
      bytes: object.bytes,
      contentType: type ? `image/${type}` : 'application/octet-stream',
    });
  }
  if (problems.length > 0) throw new DraftRejectedError(problems);
  return found;
}

const CONTENT_NAMES: Record<string, { vi: string; en: string }> = {
  jpeg: { vi: 'là ảnh JPEG', en: 'a JPEG image' },
  png: { vi: 'là ảnh PNG', en: 'a PNG image' },
  gif: { vi: 'là ảnh GIF', en: 'a GIF image' },
  webp: { vi: 'là ảnh WebP', en: 'a WebP image' },
  avif: { vi: 'là ảnh AVIF', en: 'an AVIF image' },
};

/** An image file that is not what its name says, is empty, or is too big to publish. */
function imageProblem(src: string, key: string, object: StoredObject): Problem | undefined {
  if (object.tooLarge) {
    return problem('image_too_large', {
      field: 'body',
      src,
      size: object.size ?? 0,
      max: IMAGE_LIMITS.bytes,
    });
  }
  if (object.bytes.byteLength === 0) return problem('image_empty', { field: 'body', src });
  const claimed = imageTypeOfName(key) ?? 'jpeg';
  const facts = inspectImage(object.bytes);
  if (facts.type !== claimed) {
    const actual = facts.type ? CONTENT_NAMES[facts.type] : { vi: 'không phải ảnh', en: 'not an image' };
    return problem('image_type_mismatch', {
      field: 'body',
      src,
      claimed: claimed.toUpperCase(),
      actual: actual?.en ?? '',
      actualVi: actual?.vi ?? '',
    });
  }
  // The header's word, before anything is decoded; `preparePhoto` checks again with the decoder's.
  const { width = 0, height = 0 } = facts;
  if (imageOverLimits({ width, height })) return refused(src, { reason: 'dimensions', width, height });
  return undefined;
}

function refused(src: string, refusal: ImageRefusal): Problem {
  switch (refusal.reason) {
    case 'undecodable':
      return problem('image_undecodable', { field: 'body', src, detail: refusal.detail });
    case 'dimensions': {
      const { width, height } = refusal;
      const max = `${IMAGE_LIMITS.side} px`;
      return problem('image_dimensions', { field: 'body', src, width, height, max });
    }
    case 'frames': {
      const { width, height, frames } = refusal;
      const limits = { maxFrames: IMAGE_LIMITS.frames, maxPixels: IMAGE_LIMITS.animationPixels / 1e6 };
      return problem('image_frames', { field: 'body', src, width, height, frames, ...limits });
    }
  }
}

/**
 * Publishes a draft's images: every one is prepared (decoded, checked, encoded again without metadata)
 * before any is written, so that one that cannot be published leaves the site as it was; one at a time, as
 * a 20 MB photo takes a lot of memory decoded. Each upload's bytes are let go once prepared: a draft's
 * images are in memory once, as uploaded or as prepared.
 */
async function publishImages(deps: SyncDeps, images: ImageToPublish[]): Promise<Map<string, PublishedImage>> {
  const ready: { src: string; photo: ReadyPhoto }[] = [];
  const problems: Problem[] = [];
  for (const [i, image] of images.entries()) {
    const prepared = await preparePhoto(deps, image);
    images[i] = { ...image, bytes: new Uint8Array() };
    if (prepared.ok) ready.push({ src: image.src, photo: prepared.photo });
    else problems.push(refused(image.src.slice(0, 120), prepared.refusal));
  }
  if (problems.length > 0) throw new DraftRejectedError(problems);
  // Under the photo's lease: a takedown of another article that showed it does not remove it meanwhile.
  // One at a time, as they were prepared: each photo's renditions are made from it decoded.
  const published = new Map<string, PublishedImage>();
  for (const { src, photo } of ready) {
    const busy = `Another instance is taking ${photo.siteKey} off the site`;
    published.set(
      src,
      await withLease(deps, `photo#${photo.siteKey}`, busy, () => publishPhoto(deps, photo)),
    );
  }
  return published;
}

/**
 * An image changed: the drafts that name it are looked at again (a draft that waited for it is published). The
 * index says which they are, so an image costs the same in a folder of ten drafts or of ten thousand.
 */
async function syncImage(deps: SyncDeps, change: DraftChange): Promise<EditorReport[]> {
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

/**
 * The photos an article is recorded as showing, with those its record names (a record kept from before
 * photos were recorded shows its photos all the same; publishing it again records them).
 */
function photosShown(record: ArticleRecord | undefined, recorded: readonly string[]): string[] {
  const named = (record?.photos ?? []).map((p) => p.url.slice(1)).filter((k) => k.startsWith('media/'));
  return [...new Set([...recorded, ...named])].sort();
}

/**
 * Takes off the site every photo the article showed and shows no more, unless another article shows it,
 * then records what it shows now. Each photo is looked at under a lease of its own, which a publish of it
 * takes too: an article that starts showing it in the meantime has recorded so before it writes, so either
 * this sees it and leaves the photo, or its write comes after the removal.
 */
async function photosNoLongerShown(
  deps: SyncDeps,
  id: string,
  showed: readonly string[],
  shows: readonly string[],
): Promise<void> {
  const dropped = showed.filter((k) => !shows.includes(k));
  for (const siteKey of dropped) {
    await withLease(deps, `photo#${siteKey}`, `Another instance is publishing ${siteKey}`, async () => {
      const others = (await deps.index.articlesShowing(siteKey)).filter((a) => a !== id);
      if (others.length > 0) return;
      const keys = await photoObjectKeys(deps.site, siteKey);
      await deps.site.delete(keys);
      await deps.cdn.invalidate(keys.map((k) => `/${k}`));
      deps.log.info('photo taken off the site', { articleId: id, path: `/${siteKey}` });
    });
  }
  if (dropped.length > 0 || showed.length !== shows.length) await deps.index.setPhotosOf(id, shows);
}

import { createHash } from 'node:crypto';
import {
  type ArticleRecord,
  articlePath,
  RECORD_MAX_BYTES,
  recordBytes,
  sortKeyOf,
} from '../domain/article.ts';
import { type PublishedImage, renderBodyWithPhotos } from '../domain/body.ts';
import {
  type ChangeFacts,
  type ChangeStep,
  type DraftAsRead,
  planChange,
  planRejection,
  publishedSlug,
} from '../domain/change-plan.ts';
import type { Draft } from '../domain/draft.ts';
import { type DownAs, isDownAs, planGoingDown } from '../domain/going-down.ts';
import { addressesOf } from '../domain/going-live.ts';
import { DraftRejectedError, problem } from '../domain/problems.ts';
import { applyStep, putLive } from './apply-steps.ts';
import type { DraftChange, SyncDeps } from './change-deps.ts';
import { photosNoLongerShown, photosShown, publishImages, readImages } from './draft-photos.ts';

/** Reads what a change to the draft key decides from: the article's record, and a draft that shares its id. */
export async function gatherFacts(
  deps: SyncDeps,
  change: DraftChange,
  id: string,
  draft: DraftAsRead,
): Promise<ChangeFacts> {
  const prev = await deps.index.get(id);
  const other =
    draft.kind === 'valid' && prev && prev.draftKey !== draft.draft.key ? prev.draftKey : undefined;
  return {
    key: change.key,
    uploadedAt: change.eventTime,
    now: deps.now?.() ?? new Date(),
    draft,
    id,
    prev,
    otherDraft: other !== undefined && (await deps.drafts.get(other, { maxBytes: 0 })) ? other : undefined,
    siteUrl: deps.config.siteUrl,
  };
}

/**
 * Plans the change from the facts and applies its steps. A step that finds the draft must be refused (an
 * image missing, an address taken, a record too large) plans the change again as a rejection, from there.
 */
export async function applyChange(deps: SyncDeps, change: DraftChange, facts: ChangeFacts) {
  const plan = planChange(facts);
  try {
    for (const step of plan.steps) await applyChangeStep(deps, change, facts, step);
    return plan.report;
  } catch (err) {
    if (!(err instanceof DraftRejectedError)) throw err;
    const warnings = facts.draft.kind === 'valid' ? facts.draft.warnings : [];
    const rejection = planRejection(facts, err.problems, warnings);
    for (const step of rejection.steps) await applyChangeStep(deps, change, facts, step);
    return rejection.report;
  }
}

/** Applies one step of a change's plan; each may be applied again with the same effect. */
export async function applyChangeStep(
  deps: SyncDeps,
  change: DraftChange,
  facts: ChangeFacts,
  step: ChangeStep,
): Promise<void> {
  switch (step.kind) {
    case 'finish-interrupted':
      return finishInterrupted(deps, change, facts.id);
    case 'cancel-schedule':
      return deps.scheduler.cancel(change.key);
    case 'take-down':
      return takeDown(deps, change, facts.id, step.downAs);
    case 'schedule':
      return deps.scheduler.schedule(change.key, step.at);
    case 'publish':
      return publish(deps, change, step.draft, facts.prev);
  }
}

/**
 * Makes the draft the article's live state: its images read and published (`publish-images`), the
 * going-live steps applied (`putLive`), then the photos it no longer shows taken off (`release-photos`).
 */
export async function publish(
  deps: SyncDeps,
  change: DraftChange,
  draft: Draft,
  prev: ArticleRecord | undefined,
): Promise<void> {
  const { index } = deps;
  const slug = publishedSlug(draft, prev);
  const path = articlePath(draft.section, slug);
  const live = prev?.status === 'live' ? prev : undefined;
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
    return;
  }
  const publishedAt = draft.publishedAt?.toISOString() ?? prev?.publishedAt ?? change.eventTime.toISOString();
  const editedAt = change.eventTime.toISOString();
  // "Updated" is shown when the content changed after publication, not when the same draft is applied again.
  const edited = live !== undefined && live.contentHash !== contentHash && editedAt > publishedAt;
  const updatedAt = edited ? editedAt : live?.updatedAt;
  // A correction note keeps the time it was first published with; a new note is a new correction.
  const correction = draft.correction
    ? {
        note: draft.correction,
        at: prev?.correction?.note === draft.correction ? prev.correction.at : editedAt,
      }
    : undefined;
  const recordWith = (images: ReadonlyMap<string, PublishedImage>): ArticleRecord => ({
    ...liveRecord(draft, { slug, publishedAt, images, ...(correction ? { correction } : {}) }),
    ...(updatedAt ? { updatedAt } : {}),
    contentHash,
    version: (prev?.version ?? 0) + 1,
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
}

/**
 * The record a draft makes of its article, live at `slug` in its section: what the article page and its
 * teasers show. A publish completes it with its version; a preview renders it as it is.
 */
export function liveRecord(
  draft: Draft,
  at: {
    readonly slug: string;
    readonly publishedAt: string;
    readonly images: ReadonlyMap<string, PublishedImage>;
    readonly correction?: { readonly note: string; readonly at: string };
  },
): ArticleRecord {
  return {
    id: draft.id,
    draftKey: draft.key,
    section: draft.section,
    slug: at.slug,
    path: articlePath(draft.section, at.slug),
    title: draft.title,
    lead: draft.lead,
    excerpt: draft.excerpt,
    author: draft.author,
    tags: draft.tags,
    ...(at.correction ? { correction: at.correction } : {}),
    publishedAt: at.publishedAt,
    sortKey: sortKeyOf(at.publishedAt, draft.id),
    status: 'live',
    contentHash: draft.contentHash,
    ...bodyOf(draft, at.images),
    version: 1,
    formerPaths: [],
    settled: false,
  };
}

/** An article record over what the table holds: a rejection naming what to shorten, never a retry. */
export function refuseOversized(bytes: number): void {
  if (bytes <= RECORD_MAX_BYTES) return;
  const kb = (n: number) => Math.ceil(n / 1024);
  throw new DraftRejectedError([
    problem('article_too_large', { field: 'body', size: kb(bytes), max: kb(RECORD_MAX_BYTES) }),
  ]);
}

/**
 * The draft is rejected now, so it will not redo a change to its article that was interrupted: that change
 * is finished as recorded (the article stays as it was, or as the interrupted change made it), so that the
 * site does not stay half-way between the two.
 */
export async function finishInterrupted(deps: SyncDeps, change: DraftChange, id: string): Promise<void> {
  const prev = await deps.index.get(id);
  if (!prev || prev.settled || prev.draftKey !== change.key) return;
  if (prev.status !== 'live') {
    // Not live: a new article's first change is undone as a takedown is (its page ahead removed, its
    // address released); a scheduled one stays down until its time.
    await takeDown(deps, change, id, prev.status === 'scheduled' ? 'scheduled' : 'withdrawn');
    return;
  }
  const { pendingFrom: _, claimedAhead: __, ...recorded } = prev;
  await putLive(deps, change, prev, { ...recorded, version: prev.version + 1 });
}

export function bodyOf(draft: Draft, images: ReadonlyMap<string, PublishedImage>) {
  const { html, photos } = renderBodyWithPhotos(draft.body, (src) => images.get(src));
  return { bodyHtml: html, ...(photos.length > 0 ? { photos } : {}) };
}

/** Takes the article off the site, for good or until its time; nothing is done if the key is not its draft. */
export async function takeDown(
  deps: SyncDeps,
  change: DraftChange,
  id: string,
  downAs: DownAs,
): Promise<void> {
  const { index } = deps;
  const prev = await index.get(id);
  if (!prev || prev.draftKey !== change.key) return;
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
}

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import {
  type ArticleRecord,
  articlePath,
  pageKey,
  sortKeyOf,
  type Teaser,
  teaserFields,
} from '../domain/article.ts';
import { type PublishedImage, renderBody } from '../domain/body.ts';
import { type Draft, defaultIdForKey, parseDraft } from '../domain/draft.ts';
import { DraftRejectedError, type Problem } from '../domain/problems.ts';
import { slugify } from '../domain/slug.ts';
import {
  type CdnInvalidator,
  type DraftStore,
  type EditorReport,
  type ListRefreshQueue,
  type Log,
  REPORTS_PREFIX,
} from '../ports.ts';
import { renderArticlePage } from '../render/pages.ts';
import { CACHE_CONTROL, HTML } from './cache.ts';
import { type ListDeps, listsFor } from './lists.ts';
import { mayShowAsRelated, relatedFor } from './related.ts';

export interface SyncDeps extends ListDeps {
  readonly drafts: DraftStore;
  readonly lists: ListRefreshQueue;
  readonly cdn: CdnInvalidator;
  readonly log: Log;
}

type Position = NonNullable<ArticleRecord['pendingFrom']>;

/** Something changed at a key of the drafts bucket. */
export interface DraftChange {
  readonly key: string;
  /** When S3 saw the change: the publication time of a draft that does not state one. */
  readonly eventTime: Date;
}

export type ChangeKind = 'draft' | 'image' | 'ignored';

export function classifyKey(key: string): ChangeKind {
  if (key.startsWith(REPORTS_PREFIX)) return 'ignored';
  if (/\.md$/i.test(key)) return 'draft';
  if (/\.(jpe?g|png|webp|gif|avif)$/i.test(key)) return 'image';
  return 'ignored';
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

async function syncDraftReporting(deps: SyncDeps, change: DraftChange): Promise<EditorReport> {
  try {
    const report = await syncDraft(deps, change);
    await deps.drafts.putReport(report);
    return report;
  } catch (err) {
    const report = failedReport(change, err);
    deps.log.error('draft failed', { draftKey: change.key, error: err });
    await deps.drafts.putReport(report).catch((reportErr: unknown) => {
      deps.log.error('report could not be written', { draftKey: change.key, error: reportErr });
    });
    throw err;
  }
}

function failedReport(change: DraftChange, err: unknown): EditorReport {
  const message = err instanceof Error ? err.message : String(err);
  return {
    draftKey: change.key,
    status: 'failed',
    errors: [
      {
        field: 'draft',
        code: 'processing_failed',
        message: `Publishing failed for a reason outside the draft (${message}). It is retried automatically; if this report stays, tell the ops team.`,
      },
    ],
    warnings: [],
    uploadedAt: change.eventTime.toISOString(),
  };
}

async function syncDraft(deps: SyncDeps, change: DraftChange): Promise<EditorReport> {
  const object = await deps.drafts.get(change.key);
  if (!object) {
    const id = (await deps.index.idForDraft(change.key)) ?? defaultIdForKey(change.key);
    return takeDown(deps, change, id);
  }
  const parsed = parseDraft(change.key, object.bytes, deps.config);
  if (!parsed.ok) return rejectedReport(change, parsed.problems);
  try {
    if (parsed.draft.status === 'withdrawn')
      return await takeDown(deps, change, parsed.draft.id, parsed.warnings);
    return await publish(deps, change, parsed.draft, parsed.warnings);
  } catch (err) {
    if (err instanceof DraftRejectedError) return rejectedReport(change, err.problems, parsed.warnings);
    throw err;
  }
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

async function publish(
  deps: SyncDeps,
  change: DraftChange,
  draft: Draft,
  warnings: readonly Problem[],
): Promise<EditorReport> {
  const { index, site, config } = deps;
  const prev = await index.get(draft.id);
  if (prev && prev.draftKey !== draft.key && (await deps.drafts.get(prev.draftKey))) {
    throw new DraftRejectedError([
      {
        field: 'id',
        code: 'duplicate_id',
        message: `The id "${draft.id}" already belongs to the draft ${prev.draftKey}. Give this draft its own "id:", or remove the other draft.`,
      },
    ]);
  }
  const path = articlePath(draft.section, draft.slug);
  const live = prev?.status === 'live' ? prev : undefined;
  const done: EditorReport = {
    draftKey: draft.key,
    status: 'published',
    errors: [],
    warnings,
    url: `${config.siteUrl}${path}`,
    articleId: draft.id,
    uploadedAt: change.eventTime.toISOString(),
  };
  const toPublish = await readImages(deps, draft);
  // The article's version: its draft and the images it shows (an image replaced under the same name counts).
  const contentHash = createHash('sha256')
    .update([draft.contentHash, ...toPublish.map((i) => i.siteKey)].join('\n'))
    .digest('hex');
  if (
    live?.settled &&
    live.contentHash === contentHash &&
    live.path === path &&
    live.draftKey === draft.key
  ) {
    return done;
  }

  const images = await publishImages(deps, toPublish);
  const holder = await index.claimPath(path, draft.id);
  if (holder !== undefined) {
    throw new DraftRejectedError([
      {
        field: 'slug',
        code: 'slug_taken',
        message: `The address ${path} already belongs to the article "${holder}". Add a different "slug:" to this draft, e.g. "${draft.slug}-2".`,
      },
    ]);
  }

  const publishedAt = draft.publishedAt?.toISOString() ?? prev?.publishedAt ?? change.eventTime.toISOString();
  const editedAt = change.eventTime.toISOString();
  const updatedAt = live ? (editedAt > publishedAt ? editedAt : live.updatedAt) : undefined;
  const sortKey = sortKeyOf(publishedAt, draft.id);
  const related = await relatedFor(index, { id: draft.id, section: draft.section, sortKey });
  // Where the article stood before this change, kept in the record until the change is settled, so a
  // retry after a failure still cleans up the old address and the pages that showed it there.
  const from = prev?.pendingFrom ?? (live ? positionOf(live) : undefined);
  const record: ArticleRecord = {
    id: draft.id,
    draftKey: draft.key,
    section: draft.section,
    slug: draft.slug,
    path,
    title: draft.title,
    lead: draft.lead,
    ...teaserFields(draft.lead),
    author: draft.author,
    tags: draft.tags,
    publishedAt,
    ...(updatedAt ? { updatedAt } : {}),
    sortKey,
    status: 'live',
    contentHash,
    bodyHtml: renderBody(draft.body, (src) => images.get(src)),
    relatedIds: related.map((t) => t.id),
    settled: false,
    ...(from ? { pendingFrom: from } : {}),
  };

  // The page exists before anything links to it; lists and related teasers change only after the index does.
  await site.put(pageKey(path), renderArticlePage({ site: config, article: record, related }), {
    contentType: HTML,
    cacheControl: CACHE_CONTROL.article,
  });
  await index.put(record);
  const stale = new Set<string>(from ? [path] : []);
  if (from && from.path !== path) {
    await site.delete([pageKey(from.path)]);
    await index.releasePath(from.path, draft.id);
    stale.add(from.path);
  }
  await deps.lists.request(listsFor([draft.section, ...(from ? [from.section] : [])]));
  for (const p of await refreshNeighbours(deps, draft.id, [positionOf(record), ...(from ? [from] : [])])) {
    stale.add(p);
  }
  await deps.cdn.invalidate([...stale]);
  const { pendingFrom: _, ...settled } = record;
  await index.put({ ...settled, settled: true });
  deps.log.info('article published', { articleId: draft.id, path, draftKey: draft.key });
  return done;
}

function positionOf(record: ArticleRecord): Position {
  return { section: record.section, sortKey: record.sortKey, path: record.path };
}

async function takeDown(
  deps: SyncDeps,
  change: DraftChange,
  id: string,
  warnings: readonly Problem[] = [],
): Promise<EditorReport> {
  const { index, site } = deps;
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
  if (prev.status !== 'live' && prev.settled) return report;
  const from = prev.pendingFrom ?? positionOf(prev);
  // Out of the index first, so that rebuilt lists and related teasers no longer link to it; the page last.
  const withdrawn: ArticleRecord = { ...prev, status: 'withdrawn', settled: false, pendingFrom: from };
  await index.put(withdrawn);
  await deps.lists.request(listsFor([prev.section, from.section]));
  const stale = new Set(await refreshNeighbours(deps, id, [positionOf(prev), from]));
  await site.delete([...new Set([pageKey(prev.path), pageKey(from.path)])]);
  for (const path of new Set([prev.path, from.path])) {
    await index.releasePath(path, id);
    stale.add(path);
  }
  await deps.cdn.invalidate([...stale]);
  const { pendingFrom: _, ...settled } = withdrawn;
  await index.put({ ...settled, settled: true });
  deps.log.info('article taken down', { articleId: id, path: prev.path, draftKey: change.key });
  return report;
}

/**
 * Re-renders the pages whose related teasers may show the changed article, at any of the positions it held
 * (only a bounded set can, see {@link mayShowAsRelated}). Returns the paths of the pages it rewrote.
 */
async function refreshNeighbours(
  deps: SyncDeps,
  changedId: string,
  positions: readonly Position[],
): Promise<string[]> {
  const { index, site, config } = deps;
  const candidates = new Map<string, Teaser>();
  for (const at of positions) {
    for (const t of await mayShowAsRelated(index, config, at)) candidates.set(t.id, t);
  }
  candidates.delete(changedId);
  const rewritten: string[] = [];
  for (const candidate of candidates.values()) {
    const record = await index.get(candidate.id);
    if (record?.status !== 'live') continue;
    const related = await relatedFor(index, record);
    const ids = related.map((t) => t.id);
    const idsChanged = ids.join('\n') !== record.relatedIds.join('\n');
    // The changed article's headline or excerpt may have changed too: a page that shows it is rewritten.
    if (!idsChanged && !ids.includes(changedId) && !record.relatedIds.includes(changedId)) continue;
    const updated = { ...record, relatedIds: ids };
    await site.put(pageKey(record.path), renderArticlePage({ site: config, article: updated, related }), {
      contentType: HTML,
      cacheControl: CACHE_CONTROL.article,
    });
    rewritten.push(record.path);
    if (idsChanged) await index.put(updated);
  }
  return rewritten;
}

const IMAGE_TYPES: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};

interface ImageToPublish {
  readonly src: string;
  readonly siteKey: string;
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

/** Reads the draft's images; each gets a content-addressed name on the site. Missing images reject the draft. */
async function readImages(deps: SyncDeps, draft: Draft): Promise<ImageToPublish[]> {
  const found: ImageToPublish[] = [];
  const missing: Problem[] = [];
  for (const image of draft.images) {
    const object = await deps.drafts.get(image.key);
    if (!object) {
      missing.push({
        field: 'body',
        code: 'image_missing',
        message: `The image ${image.src} is not in the drafts bucket (expected at ${image.key}). Upload it; the article is published as soon as it arrives.`,
      });
      continue;
    }
    const ext = posix.extname(image.key).slice(1).toLowerCase();
    const name = `${slugify(posix.basename(image.key, posix.extname(image.key))) || 'anh'}.${ext}`;
    const hash = createHash('sha256').update(object.bytes).digest('hex').slice(0, 16);
    found.push({
      src: image.src,
      siteKey: `media/${hash}/${name}`,
      bytes: object.bytes,
      contentType: IMAGE_TYPES[ext] ?? 'application/octet-stream',
    });
  }
  if (missing.length > 0) throw new DraftRejectedError(missing);
  return found;
}

async function publishImages(
  deps: SyncDeps,
  images: readonly ImageToPublish[],
): Promise<Map<string, PublishedImage>> {
  await Promise.all(
    images.map((i) =>
      deps.site.put(i.siteKey, i.bytes, {
        contentType: i.contentType,
        cacheControl: CACHE_CONTROL.immutable,
      }),
    ),
  );
  return new Map(images.map((i) => [i.src, { url: `/${i.siteKey}` }]));
}

/** An image changed: re-publish the drafts beside it (in its folder or the one above) that use it. */
async function syncImage(deps: SyncDeps, change: DraftChange): Promise<EditorReport[]> {
  const folder = posix.dirname(change.key);
  const folders = new Set([folder, posix.dirname(folder)].map((f) => (f === '.' ? '' : `${f}/`)));
  const reports: EditorReport[] = [];
  for (const prefix of folders) {
    for (const key of await deps.drafts.listFolder(prefix)) {
      if (classifyKey(key) !== 'draft') continue;
      const object = await deps.drafts.get(key);
      if (!object) continue;
      const parsed = parseDraft(key, object.bytes, deps.config);
      if (parsed.ok && parsed.draft.images.some((i) => i.key === change.key)) {
        reports.push(await syncDraftReporting(deps, { key, eventTime: change.eventTime }));
      }
    }
  }
  return reports;
}

import { CORRECTIONS_PATH, pageKey, tagSlugs } from '../domain/article.ts';
import { classifyKey } from '../domain/upload-keys.ts';
import type { ViewId } from '../ports.ts';
import { monthStart, nextMonth } from '../render/feeds.ts';
import { allLists, sitemapView } from './lists.ts';
import { renderViews } from './render.ts';
import { type SyncDeps, syncChange } from './sync-draft.ts';

/**
 * The steps of a rebuild, each over a batch, so that a rebuild can run in one process (`rebuildSite`) or
 * spread over many (the AWS state machine, whose tasks call these through the ingest function):
 *
 * 1. {@link applyUploads}: drafts applied again, images recorded as applied; says which views they need.
 * 2. {@link viewsToRender}: those views, with every list, once each.
 * 3. {@link renderViewBatch}: views rendered from the index, whole.
 * 4. {@link sweepSite}: pages no view owns any more removed.
 */

/** An upload of the drafts bucket as a listing names it. */
export interface ListedUpload {
  readonly key: string;
  /** As the listing gives it (quotes or not). */
  readonly etag: string;
}

/**
 * Applies a batch of uploads again through the normal change path (forced: bodies are rendered again with
 * the current renderer), recording images as applied. Returns the views the live articles among them are
 * in: their pages, sections, tags and months, for {@link viewsToRender}.
 */
export async function applyUploads(
  deps: SyncDeps,
  uploads: readonly ListedUpload[],
  now: Date,
): Promise<ViewId[]> {
  const views = new Set<ViewId>();
  for (const upload of uploads) {
    const kind = classifyKey(upload.key);
    if (kind === 'image') {
      const etag = upload.etag.replaceAll('"', '');
      await deps.applied.record({ key: upload.key, etag, appliedAt: now.toISOString() });
      continue;
    }
    if (kind !== 'draft') continue;
    await syncChange(deps, { key: upload.key, eventTime: now, force: true, rebuild: true });
    const id = await deps.index.idForDraft(upload.key);
    const record = id === undefined ? undefined : await deps.index.get(id);
    if (record?.status !== 'live') continue;
    views.add(`article/${record.id}`);
    views.add(`section/${record.section}`);
    views.add(sitemapView(record.publishedAt));
    for (const tag of tagSlugs(record.tags)) views.add(`tag/${tag}`);
  }
  return [...views].sort();
}

/** Every view a rebuild renders: those its batches named, and every list of the site, each once. */
export function viewsToRender(deps: Pick<SyncDeps, 'config'>, found: Iterable<ViewId>): ViewId[] {
  const views = new Set<ViewId>(found);
  for (const list of allLists(deps.config)) views.add(list);
  // Article pages first (lists do not depend on them), then lists, tags and sitemaps.
  return [...views].sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
}

function order(view: ViewId): number {
  return view.startsWith('article/') ? 0 : 1;
}

/** Renders each view whole from the index (a job without `at`), as a list's first render would. */
export async function renderViewBatch(deps: SyncDeps, views: readonly ViewId[]): Promise<void> {
  for (const view of views) await renderViews(deps, [{ view }]);
}

/**
 * Removes, among these site keys, the pages no view owns: an article page at an address no live article
 * holds, a tag's pages when no live article has the tag, a month's sitemap when the month has no live
 * article. Lists remove their own pages past their newest; media, assets and the rest are left alone.
 * Returns the keys removed.
 */
export async function sweepSite(deps: SyncDeps, keys: readonly string[]): Promise<string[]> {
  const sections = new Set(deps.config.sections.map((s) => s.slug));
  const stray: string[] = [];
  const tagsLive = new Map<string, boolean>();
  for (const key of keys) {
    if (key.startsWith('tag/') && key.endsWith('index.html')) {
      const tag = key.split('/')[1] ?? '';
      if (!tagsLive.has(tag)) tagsLive.set(tag, (await deps.index.teasers({ tag, limit: 1 })).length > 0);
      if (!tagsLive.get(tag)) stray.push(key);
      continue;
    }
    const month = /^sitemaps\/(\d{4}-\d{2})\.xml$/.exec(key)?.[1];
    if (month) {
      const range = { after: monthStart(month), before: monthStart(nextMonth(month)), limit: 1 };
      if ((await deps.index.teasers(range)).length === 0) stray.push(key);
      continue;
    }
    const parts = key.split('/');
    // `<section>/<slug>/index.html`: an article's page (a section's own pages are `index.html`, `page/…`).
    if (parts.length !== 3 || parts[2] !== 'index.html' || !sections.has(parts[0] ?? '')) continue;
    if (parts[1] === 'page' || key === pageKey(CORRECTIONS_PATH)) continue;
    const path = `/${parts[0]}/${parts[1]}`;
    const holder = await deps.index.holderOf(path);
    const record = holder === undefined ? undefined : await deps.index.get(holder);
    if (record?.status !== 'live' || record.path !== path) stray.push(key);
  }
  if (stray.length > 0) await deps.site.delete(stray);
  return stray;
}

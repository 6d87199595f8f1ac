import { createHash } from 'node:crypto';
import { CORRECTIONS_PATH, pageKey, tagSlugs } from '../domain/article.ts';
import { classifyKey } from '../domain/upload-keys.ts';
import type { DownArticle, RebuildWork, ViewId } from '../ports.ts';
import { monthStart, nextMonth } from '../render/feeds.ts';
import { allLists, refreshSitemapIndex, sitemapView } from './lists.ts';
import { reconcile } from './reconcile.ts';
import { renderViews } from './render.ts';
import { publishSiteFrame } from './site-frame.ts';
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

/** Answers an article's addresses 410 again, but one another article has claimed since. */
export async function answerGoneAgain(deps: SyncDeps, down: readonly DownArticle[]): Promise<void> {
  for (const article of down) {
    for (const path of new Set([article.path, ...article.formerPaths])) {
      const holder = await deps.index.holderOf(path);
      if (holder === undefined || holder === article.id) await deps.edge.set(path, { status: 410 });
    }
  }
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

/**
 * One task of the rebuild state machine (`infra/constructs/rebuild-machine.ts`), as it sends it: each
 * names its step and carries the batch the state machine's map gave it.
 */
export type RebuildStep =
  | { readonly step: 'frame' }
  | {
      readonly step: 'apply';
      readonly run: string;
      readonly now: string;
      /** Objects of the drafts bucket, as the map's S3 listing gives them (`Etag` with its quotes). */
      readonly uploads: readonly { readonly Key: string; readonly Etag?: string; readonly ETag?: string }[];
    }
  | { readonly step: 'catch-up'; readonly now: string }
  | { readonly step: 'withdrawn'; readonly segment: number; readonly of: number }
  | { readonly step: 'plan'; readonly run: string }
  | { readonly step: 'render'; readonly views: readonly ViewId[] }
  | { readonly step: 'sweep'; readonly objects: readonly { readonly Key: string }[] }
  | { readonly step: 'finish' };

export interface RebuildStepDeps extends SyncDeps {
  readonly work: RebuildWork;
}

/** What a step hands back to the state machine: small, so that no state's output nears its limit. */
export type RebuildStepResult = Record<string, string | number | boolean>;

/**
 * Runs one step of a rebuild spread over tasks. Every step may run again (a retried task, a redriven
 * execution) with the same result: drafts are applied again through the change path, views are rendered
 * from the index, a batch's findings are replaced.
 */
export async function runRebuildStep(
  deps: RebuildStepDeps,
  task: RebuildStep,
  options: { readonly stop?: () => boolean } = {},
): Promise<RebuildStepResult> {
  switch (task.step) {
    case 'frame':
      await publishSiteFrame(deps.site, deps.config);
      return { written: true };
    case 'apply': {
      const uploads = task.uploads.map((u) => ({ key: u.Key, etag: u.Etag ?? u.ETag ?? '' }));
      const found = await applyUploads(deps, uploads, new Date(task.now));
      // Named by its first key: a batch done again replaces what it kept.
      const batch = createHash('sha256')
        .update(uploads[0]?.key ?? '')
        .digest('hex')
        .slice(0, 32);
      await deps.work.keepFound(task.run, batch, found);
      return { applied: uploads.length, views: found.length };
    }
    case 'catch-up': {
      // Removals whose events were lost, and scheduled drafts past due: the reconcile's comparison. Every
      // difference there was when the rebuild started counts (a rebuild leaves the site as the drafts
      // were then); one whose event is still on its way is applied twice, which changes nothing.
      const result = await reconcile(deps, {
        now: new Date(task.now),
        budget: 1000,
        settleMs: 0,
        ...(options.stop ? { stop: options.stop } : {}),
      });
      return { complete: result.complete, applied: result.applied, failed: result.failed };
    }
    case 'withdrawn': {
      let articles = 0;
      for await (const page of deps.index.withdrawn({ segment: task.segment, of: task.of })) {
        await answerGoneAgain(deps, page);
        articles += page.length;
      }
      return { articles };
    }
    case 'plan': {
      const found = new Set<ViewId>();
      for await (const views of deps.work.found(task.run)) for (const view of views) found.add(view);
      const views = viewsToRender(deps, found);
      const plan = await deps.work.keepPlan(task.run, views);
      return { ...plan, views: views.length };
    }
    case 'render':
      await renderViewBatch(deps, task.views);
      return { rendered: task.views.length };
    case 'sweep': {
      const removed = await sweepSite(
        deps,
        task.objects.map((o) => o.Key),
      );
      const pages = removed
        .filter((k) => k.endsWith('/index.html'))
        .map((k) => `/${k.slice(0, -'/index.html'.length)}`);
      await deps.cdn.invalidate(pages);
      return { removed: removed.length };
    }
    case 'finish':
      await refreshSitemapIndex(deps);
      // Every page was rendered again: one path for the whole distribution.
      await deps.cdn.invalidate(['/*']);
      return { invalidated: '/*' };
  }
}

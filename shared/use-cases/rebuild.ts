import { classifyKey } from '../domain/upload-keys.ts';
import type { CdnInvalidator, UploadVersion, ViewId } from '../ports.ts';
import { refreshSitemapIndex } from './lists.ts';
import { answerGoneAgain, applyUploads, renderViewBatch, sweepSite, viewsToRender } from './rebuild-steps.ts';
import { publishSiteFrame } from './site-frame.ts';
import type { SyncDeps } from './sync-draft.ts';

export interface RebuildProgress {
  readonly phase: 'drafts' | 'pages';
  readonly done: number;
  readonly total: number;
}

export interface RebuildResult {
  readonly drafts: number;
  readonly pages: number;
  readonly removed: number;
}

/**
 * Regenerates the whole site from the drafts and the table: every draft is applied again (catching any
 * whose event was lost, and re-rendering bodies with the current renderer), articles whose draft is gone are
 * taken down, then every article page and list is rendered from the index and pages no view owns are
 * removed. The result is the site the incremental pipeline converges to, byte for byte.
 */
export async function rebuildSite(
  given: SyncDeps,
  options: {
    readonly now: Date;
    readonly onProgress?: (progress: RebuildProgress) => void;
    /** Past this many changed pages, the CDN is invalidated with `/*` ({@link REBUILD_PATHS_ONE_BY_ONE}). */
    readonly pathsOneByOne?: number;
  },
): Promise<RebuildResult> {
  // Changed pages are invalidated together at the end: a rebuild after the renderer changed touches every
  // page, far past CloudFront's 3,000 paths in flight, so past one batch it invalidates everything at once.
  const changed = new Set<string>();
  const collect: CdnInvalidator = {
    async invalidate(paths) {
      for (const path of paths) changed.add(path);
    },
  };
  const { cdn } = given;
  const deps: SyncDeps = { ...given, cdn: collect };
  const { index, site, config } = deps;
  const draftKeys: string[] = [];
  const images: UploadVersion[] = [];
  for await (const page of deps.drafts.listVersions()) {
    for (const upload of page) {
      const kind = classifyKey(upload.key);
      if (kind === 'draft') draftKeys.push(upload.key);
      else if (kind === 'image') images.push(upload);
    }
  }
  // Drafts that are gone while their article is still listed: their deletion event was lost.
  const live = await index.teasers({});
  const present = new Set(draftKeys);
  const orphaned: string[] = [];
  await eachConcurrently(live, async (teaser) => {
    const record = await index.get(teaser.id);
    if (record && !present.has(record.draftKey)) orphaned.push(record.draftKey);
  });
  orphaned.sort();
  const keys = [...draftKeys, ...orphaned];
  const found = new Set<ViewId>();
  let applied = 0;
  await eachConcurrently(keys, async (key) => {
    for (const view of await applyUploads(deps, [{ key, etag: '' }], options.now)) found.add(view);
    options.onProgress?.({ phase: 'drafts', done: ++applied, total: keys.length });
  });

  // Articles taken down before: their addresses answer 410 again (the edge store may have been lost or
  // replaced); one another article has claimed since is that article's.
  for await (const page of index.withdrawn()) await answerGoneAgain(deps, page);

  // Every draft applied names the images it uses: those are applied too, as they are now.
  await applyUploads(deps, images, options.now);

  await publishSiteFrame(site, config);
  const views = viewsToRender(deps, found);
  let rendered = 0;
  await eachConcurrently(views, async (view) => {
    await renderViewBatch(deps, [view]);
    options.onProgress?.({ phase: 'pages', done: ++rendered, total: views.length });
  });
  await refreshSitemapIndex(deps);

  // Pages no view owns any more (articles down, tags no article has, months without articles).
  const stray = await sweepSite(deps, await site.list(''));
  for (const key of stray)
    if (key.endsWith('/index.html')) changed.add(`/${key.slice(0, -'/index.html'.length)}`);
  const limit = options.pathsOneByOne ?? REBUILD_PATHS_ONE_BY_ONE;
  await cdn.invalidate(changed.size > limit ? ['/*'] : [...changed].sort());
  return { drafts: keys.length, pages: views.length, removed: stray.length };
}

/**
 * Up to this many changed pages are invalidated one by one (one CloudFront invalidation); more, and the
 * rebuild invalidates `/*`, which CloudFront counts as one path.
 */
export const REBUILD_PATHS_ONE_BY_ONE = 1000;

/**
 * Drafts and pages are independent of each other (each draft under its own lease, each view a function of
 * the index), so several are in flight at once: one waits for its store while another is parsed.
 */
const CONCURRENCY = 8;

async function eachConcurrently<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
}

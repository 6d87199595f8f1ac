import type { RenderJob } from '../ports.ts';
import { type RebuildProgress, rebuildSite } from './rebuild.ts';
import { reconcile } from './reconcile.ts';
import { renderViews } from './render.ts';
import type { SyncDeps } from './sync-draft.ts';

export interface BuildProgress {
  readonly phase: RebuildProgress['phase'];
  readonly done: number;
  readonly total: number;
}

export interface BuildResult {
  /** Whether the whole site was built (no earlier build to go on from). */
  readonly whole: boolean;
  /** Drafts (and images) applied: every one on a whole build, those that changed since on another. */
  readonly applied: number;
  /** Changes that failed (not rejections: those are applied, with the editor's report saying why). */
  readonly failed: number;
  /** Views rendered (article pages, lists, sitemaps). */
  readonly views: number;
}

/**
 * A site built from a folder of drafts, as a static-site generator builds: the first time (`whole`) every
 * draft is applied and every page rendered (the rebuild); after that, the folder is compared with what was
 * applied, as the reconcile compares the drafts bucket, and only what changed since is applied, through the
 * pipeline's own change path, then the views those changes asked for are rendered, each once.
 */
export async function buildSite(
  deps: SyncDeps,
  options: { readonly whole: boolean; readonly now: Date; readonly onProgress?: (p: BuildProgress) => void },
): Promise<BuildResult> {
  const { now, onProgress } = options;
  if (options.whole) {
    // The rebuild renders every view itself: the jobs its changes send are not needed.
    const quiet: SyncDeps = { ...deps, render: { send: async () => {} } };
    const result = await rebuildSite(quiet, { now, ...(onProgress ? { onProgress } : {}) });
    return { whole: true, applied: result.drafts, failed: 0, views: result.pages };
  }
  const jobs: RenderJob[] = [];
  const collecting: SyncDeps = { ...deps, render: { send: async (sent) => void jobs.push(...sent) } };
  const found = await reconcile(collecting, { now, budget: Number.POSITIVE_INFINITY, settleMs: 0 });
  // Jobs of one view coalesce into one render; views go one at a time, as their queue groups would.
  const byView = new Map<string, RenderJob[]>();
  for (const job of jobs) byView.set(job.view, [...(byView.get(job.view) ?? []), job]);
  let done = 0;
  for (const viewJobs of byView.values()) {
    await renderViews(deps, viewJobs);
    onProgress?.({ phase: 'pages', done: ++done, total: byView.size });
  }
  return { whole: false, applied: found.applied, failed: found.failed, views: byView.size };
}

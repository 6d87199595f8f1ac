import { MemoryComments } from '#shared/adapters/memory/comments.ts';
import {
  MemoryAppliedUploads,
  MemoryArticleIndex,
  MemoryCdnInvalidator,
  MemoryDraftStore,
  MemoryEdgeRules,
  MemoryLeaseStore,
  MemoryRenderQueue,
  MemoryScheduler,
  MemorySiteStore,
} from '#shared/adapters/memory/index.ts';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import type { ArticleRecord, Teaser } from '#shared/domain/article.ts';
import type { Log, TeaserQuery } from '#shared/ports.ts';
import { refreshAllLists } from '#shared/use-cases/lists.ts';
import { type ReconcileOptions, reconcile } from '#shared/use-cases/reconcile.ts';
import { renderViews } from '#shared/use-cases/render.ts';
import { publishSiteFrame } from '#shared/use-cases/site-frame.ts';
import { type SyncDeps, syncChange } from '#shared/use-cases/sync-draft.ts';
import { SITE } from './site.ts';

export const silentLog: Log = { info() {}, warn() {}, error() {} };

/** The real photo maker (sharp runs in process), one for all pipelines: its cache spares tests the resizing. */
const images = new SharpRenditions();

/** The pipeline's use cases on in-memory adapters, with a clock the test moves. */
/**
 * An article index whose list queries lag behind its writes, as DynamoDB's global secondary indexes do:
 * a write shows in `teasers` only after `lag` ticks of a logical clock (one per wait of the pipeline), so
 * a reader that does not wait sees the old lists every time. `get` reads the table, up to date.
 */
export class LaggingArticleIndex extends MemoryArticleIndex {
  readonly #latest = new Map<string, ArticleRecord>();
  readonly #pending: { record: ArticleRecord; due: number }[] = [];
  #ticks = 0;
  constructor(private readonly lag: number) {
    super();
  }
  /** Time passes. */
  tick(): void {
    this.#ticks += 1;
  }
  override async get(id: string): Promise<ArticleRecord | undefined> {
    return this.#latest.get(id) ?? (await super.get(id));
  }
  override async put(record: ArticleRecord): Promise<void> {
    this.#latest.set(record.id, structuredClone(record));
    this.#pending.push({ record: structuredClone(record), due: this.#ticks + this.lag });
  }
  override async teasers(query: TeaserQuery): Promise<Teaser[]> {
    while (this.#pending[0] && this.#pending[0].due <= this.#ticks) {
      const next = this.#pending.shift();
      if (next) await super.put(next.record);
    }
    return super.teasers(query);
  }
}

export function memoryPipeline(options: { readonly indexLag?: number } = {}) {
  const drafts = new MemoryDraftStore();
  const site = new MemorySiteStore();
  const index = options.indexLag ? new LaggingArticleIndex(options.indexLag) : new MemoryArticleIndex();
  const render = new MemoryRenderQueue();
  const leases = new MemoryLeaseStore();
  const cdn = new MemoryCdnInvalidator();
  const edge = new MemoryEdgeRules();
  const scheduler = new MemoryScheduler();
  const applied = new MemoryAppliedUploads();
  const comments = new MemoryComments();
  const deps: SyncDeps = {
    applied,
    drafts,
    site,
    index,
    render,
    leases,
    cdn,
    edge,
    shownComments: comments,
    scheduler,
    images,
    now: () => new Date(now),
    config: SITE,
    log: silentLog,
    sleep: (ms) => {
      if (index instanceof LaggingArticleIndex) index.tick();
      return new Promise((r) => setTimeout(r, Math.min(ms, 2)));
    },
  };
  let now = Date.parse('2024-05-19T03:37:00Z');
  return {
    drafts,
    site,
    index,
    render,
    cdn,
    edge,
    scheduler,
    deps,
    async init() {
      await publishSiteFrame(site, SITE);
      await refreshAllLists(deps);
    },
    /** Uploads (or, with `undefined`, deletes) a file and processes the change as its S3 event would. */
    async change(key: string, body: string | Uint8Array | undefined) {
      now += 60_000;
      if (body === undefined) drafts.remove(key);
      else drafts.put(key, body, new Date(now));
      const reports = await syncChange(deps, { key, eventTime: new Date(now) });
      // The render queue delivers later; here, right after the change.
      await this.deliverRenders();
      return reports;
    },
    /** Moves the clock to a scheduled draft's time and lets the scheduler bring it back, as it would then. */
    async fire(key: string) {
      const at = scheduler.due.get(key);
      if (!at) throw new Error(`${key} is not scheduled`);
      scheduler.due.delete(key);
      now = Math.max(now, at.getTime());
      const reports = await syncChange(deps, { key, eventTime: at });
      await this.deliverRenders();
      return reports;
    },
    /** Uploads (or deletes) a file whose event is lost: nothing is processed. */
    lostEvent(key: string, body: string | Uint8Array | undefined) {
      now += 60_000;
      if (body === undefined) drafts.remove(key);
      else drafts.put(key, body, new Date(now));
    },
    /** Moves the pipeline's clock on. */
    advance(ms: number) {
      now += ms;
    },
    /** Runs a reconcile at the pipeline's time, then delivers the render jobs it sent. */
    async reconcile(options: Omit<ReconcileOptions, 'now'> = {}) {
      const result = await reconcile(deps, { now: new Date(now), ...options });
      await this.deliverRenders();
      return result;
    },
    /** Delivers the queued render jobs (again, for those that failed before). */
    async deliverRenders() {
      await render.drain(async (job, redelivered) => {
        await renderViews(deps, [job], { redelivered });
      });
    },
    /** Every site object as text, for before/after comparisons. */
    snapshot(): Map<string, string> {
      return new Map([...site.objects].map(([k, v]) => [k, Buffer.from(v.bytes).toString('base64')]));
    },
  };
}

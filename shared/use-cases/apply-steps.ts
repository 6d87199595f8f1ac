import { type ArticlePosition, type ArticleRecord, CORRECTIONS_LIST, listedTags } from '../domain/article.ts';
import type { GoingDownStep } from '../domain/going-down.ts';
import { addressesOf, type GoingLiveStep, planGoingLive, positionOf } from '../domain/going-live.ts';
import { DraftRejectedError, problem } from '../domain/problems.ts';
import type { AuditEntry, RenderJob, ViewId } from '../ports.ts';
import type { DraftChange, SyncDeps } from './change-deps.ts';
import { listsFor, sitemapView } from './lists.ts';
import { mayShowAsRelated } from './related.ts';
import { removeArticlePages, writeArticlePage } from './site-writes.ts';

/**
 * Makes `next` the article's live state, from wherever `prev` left it: the facts are read, the steps
 * planned from them (`planGoingLive`, in the order docs/convergence.md argues), and applied one by one. A
 * failure at any step leaves a record from which a retry, or the next change to the draft, plans the rest.
 */
export async function putLive(
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

export function slugTaken(next: ArticleRecord, holder: string): DraftRejectedError {
  return new DraftRejectedError([
    problem('slug_taken', { field: 'slug', path: next.path, holder, suggestion: `${next.slug}-2` }),
  ]);
}

/** Applies one step of a plan to the article; each may be applied again with the same effect. */
export async function applyStep(
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

export function auditEntry(
  change: DraftChange,
  record: ArticleRecord,
  action: AuditEntry['action'],
): AuditEntry {
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
export async function jobsFor(
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
    ...[...listedTags(record), ...from.flatMap((f) => f.tags ?? [])].map(listView),
  ]);
  for (const at of [positionOf(record), ...from]) {
    for (const t of await mayShowAsRelated(deps.index, deps.config, at)) {
      if (t.id !== record.id) views.add(`article/${t.id}`);
    }
  }
  // A list's archive pages that can change are those holding the article's places, new and left.
  const at = [...new Set([record.sortKey, ...from.map((f) => f.sortKey)])].sort();
  return [...views].map((view) =>
    view.startsWith('section/') || view.startsWith('tag/') ? { view, expect, at } : { view, expect },
  );
}

/** The view of a list an article is in besides home and its section: a tag's, or the corrections. */
function listView(tag: string): ViewId {
  return tag === CORRECTIONS_LIST ? 'corrections' : `tag/${tag}`;
}

/** The publication instant a sort key starts with. */
export function instantOf(sortKey: string): string {
  return sortKey.slice(0, sortKey.indexOf('#'));
}

import { type ArticleRecord, pageKey, type Teaser, tagSlugs } from '../domain/article.ts';
import { backoffMs } from '../domain/backoff.ts';
import type {
  Addresses,
  ArchivePages,
  ArticleLists,
  Articles,
  CdnInvalidator,
  Expectation,
  Log,
  RenderJob,
  ShownComments,
  ViewId,
} from '../ports.ts';
import {
  type ListDeps,
  refreshCorrections,
  refreshHome,
  refreshSection,
  refreshSitemap,
  refreshTag,
} from './lists.ts';
import { removeArticlePages, writeArticlePage } from './site-writes.ts';

export interface RenderDeps extends ListDeps {
  /** Lists, records, and who holds an address (a page is removed only from an address no longer its own). */
  readonly index: Articles & ArticleLists & ArchivePages & Addresses;
  readonly cdn: CdnInvalidator;
  /** The approved comments each article page shows. */
  readonly shownComments: ShownComments;
  readonly now?: () => Date;
  readonly log: Log;
  /** Waits between checks of a lagging index; tests pass a fake. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The index has not caught up with a change yet: retry the job later. */
export class IndexLagError extends Error {
  override readonly name = 'IndexLagError';
}

export class UnknownViewError extends Error {
  override readonly name = 'UnknownViewError';
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Brings one view in line with the index as it is now. Jobs of one view run one at a time (FIFO group), and
 * a job starts after the change that sent it was recorded, so the last job of a view renders the latest
 * state: the site converges whatever order the changes arrived in.
 */
export async function renderViews(
  deps: RenderDeps,
  jobs: readonly RenderJob[],
  delivery: Delivery = { redelivered: false },
): Promise<ViewId[]> {
  const views = new Map<ViewId, { expectations: Expectation[]; at: Set<string> | undefined }>();
  for (const job of jobs) {
    const seen = views.get(job.view);
    // A job that names no places asks for the whole list, and so does the view then.
    const whole = job.at === undefined || (seen !== undefined && seen.at === undefined);
    const at = whole ? undefined : new Set([...(seen?.at ?? []), ...(job.at ?? [])]);
    const expectations = seen?.expectations ?? [];
    if (job.expect) expectations.push(job.expect);
    views.set(job.view, { expectations, at });
  }
  for (const [id, view] of views) {
    for (const expect of view.expectations) await awaitIndex(deps, expect, id);
    await renderView(deps, id, delivery, view.at && [...view.at].sort());
  }
  return [...views.keys()];
}

/**
 * Whether these jobs were delivered before. A render that wrote a page and then failed to invalidate its CDN
 * copy finds the page unchanged when retried; a redelivered job therefore invalidates the page anyway.
 */
export interface Delivery {
  readonly redelivered: boolean;
}

async function renderView(
  deps: RenderDeps,
  view: ViewId,
  delivery: Delivery,
  at: readonly string[] | undefined,
): Promise<void> {
  if (view === 'home') return refreshHome(deps);
  if (view === 'corrections') return refreshCorrections(deps);
  const [kind, ...rest] = view.split('/');
  const name = rest.join('/');
  if (kind === 'section' && deps.config.sections.some((s) => s.slug === name))
    return refreshSection(deps, name, at);
  if (kind === 'article' && name !== '') return renderArticle(deps, name, delivery);
  if (kind === 'tag' && /^[a-z0-9-]{1,100}$/.test(name)) return refreshTag(deps, name, at);
  if (kind === 'sitemap' && /^\d{4}-(0[1-9]|1[0-2])$/.test(name)) return refreshSitemap(deps, name);
  throw new UnknownViewError(`"${view}" is not a view of this site`);
}

/**
 * Writes an article's page from its record (or removes it when the article is down), invalidating a changed
 * copy, and removes its pages at addresses it no longer serves. A job that read the record before the article
 * moved may write the old page after the move deleted it; the move's own job, which runs after it in the same
 * group, removes it again.
 */
export async function renderArticle(deps: RenderDeps, id: string, delivery: Delivery): Promise<void> {
  const record = await deps.index.get(id);
  if (!record) return;
  if (record.status === 'live') {
    // A new page too: the CDN may hold the 404 a reader got before it existed.
    await writeArticlePage(deps, record, { invalidate: delivery.redelivered ? 'always' : 'if-changed' });
    return removePages(deps, record, record.formerPaths, delivery);
  }
  return removePages(deps, record, [record.path, ...record.formerPaths], delivery);
}

/** Removes the article's pages at these addresses; one that another article holds now is that article's. */
async function removePages(
  deps: RenderDeps,
  record: ArticleRecord,
  paths: readonly string[],
  delivery: Delivery,
): Promise<void> {
  const removed: string[] = [];
  for (const path of new Set(paths)) {
    if (path === record.path && record.status === 'live') continue;
    const exists = (await deps.site.get(pageKey(path))) !== undefined;
    if (!exists && !delivery.redelivered) continue;
    const holder = await deps.index.holderOf(path);
    if (holder !== undefined && holder !== record.id) continue;
    if (exists) {
      // The article may have gone back to this address since the record was read: its page stays.
      const now = await deps.index.get(record.id);
      if (now?.status === 'live' && now.path === path) continue;
    }
    // Gone already, on a redelivered job: an earlier try removed it, and its invalidation may be lost.
    removed.push(path);
  }
  await removeArticlePages(deps, removed);
}

/**
 * Lists and related teasers are read from indexes that follow the table a moment behind. Before rendering,
 * wait until they show the change that sent the job; if the article changed again since, that later change
 * sent its own job and this one need not wait.
 */
async function awaitIndex(deps: RenderDeps, expect: Expectation, view: ViewId): Promise<void> {
  const sleep = deps.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    const record = await deps.index.get(expect.id);
    if (!record || record.version !== expect.version) return;
    if (await indexShows(deps, record, view)) return;
    if (attempt >= 8) {
      throw new IndexLagError(`The list indexes do not show version ${expect.version} of "${expect.id}" yet`);
    }
    await sleep(backoffMs(attempt, 50, 2000));
  }
}

/** Whether both list indexes hold the article as its record says (or, when it is down, do not hold it). */
async function indexShows(deps: RenderDeps, record: ArticleRecord, view: ViewId): Promise<boolean> {
  // The newest entry at or before the article's own sort key: the article itself, when it is listed.
  const atOrBefore = `${record.sortKey}\u0001`;
  // A tag's list: the article must be in it exactly when it is live and has the tag now.
  const tag = view.startsWith('tag/') ? view.slice('tag/'.length) : undefined;
  const [inSection, overall, inTag] = await Promise.all([
    deps.index.teasers({ section: record.section, before: atOrBefore, limit: 1 }),
    deps.index.teasers({ before: atOrBefore, limit: 1 }),
    tag ? deps.index.teasers({ tag, before: atOrBefore, limit: 1 }) : Promise.resolve(undefined),
  ]);
  const shows = (t: Teaser | undefined, shouldList: boolean) => {
    const listed = t?.id === record.id && t.sortKey === record.sortKey;
    if (!shouldList) return !listed;
    return listed && t.title === record.title && t.excerpt === record.excerpt && t.path === record.path;
  };
  const live = record.status === 'live';
  return (
    shows(inSection[0], live) &&
    shows(overall[0], live) &&
    (inTag === undefined || shows(inTag[0], live && tagSlugs(record.tags).includes(tag ?? '')))
  );
}

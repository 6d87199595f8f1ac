// Run by test/integration/worker-parser.test.ts in a child process (`node --import tsx`), where worker
// threads can load TypeScript: rebuilds the same drafts three times, with drafts parsed on this thread, on
// worker threads, and on both, and prints what each rebuild wrote.

import { isMainThread } from 'node:worker_threads';
import { MemoryComments } from '#shared/adapters/memory/comments.ts';
import {
  MemoryAppliedUploads,
  MemoryArticleIndex,
  MemoryCdnInvalidator,
  MemoryDraftStore,
  MemoryEdgeRules,
  MemoryLeaseStore,
  MemoryScheduler,
  MemorySiteStore,
} from '#shared/adapters/memory/index.ts';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import { WorkerDraftParser } from '#shared/adapters/workers/draft-parser.ts';
import { rebuildSite } from '#shared/use-cases/rebuild.ts';
import type { SyncDeps } from '#shared/use-cases/sync-draft.ts';
import { generateCorpus } from '../../bench/corpus.ts';
import { HOSTILE_CASES } from './hostile-corpus.ts';
import { EXAMPLE_KEYS, example, SITE } from './site.ts';

async function rebuild(parser?: WorkerDraftParser) {
  const drafts = new MemoryDraftStore();
  for (const key of EXAMPLE_KEYS) drafts.put(key, new Uint8Array(example(key)));
  for (const d of generateCorpus(60, SITE)) {
    drafts.put(d.key, d.text);
    if (d.image) drafts.put(d.image.key, d.image.bytes);
  }
  for (const c of HOSTILE_CASES) {
    for (const [key, bytes] of Object.entries(c.files ?? {})) drafts.put(key, bytes);
    drafts.put(c.key, c.body);
  }
  const site = new MemorySiteStore();
  const deps: SyncDeps = {
    drafts,
    site,
    index: new MemoryArticleIndex(),
    render: { send: async () => {} },
    leases: new MemoryLeaseStore(),
    applied: new MemoryAppliedUploads(),
    cdn: new MemoryCdnInvalidator(),
    edge: new MemoryEdgeRules(),
    shownComments: new MemoryComments(),
    scheduler: new MemoryScheduler(),
    images: new SharpRenditions(),
    config: SITE,
    log: { info() {}, warn() {}, error() {} },
    now: () => new Date('2026-01-01T00:00:00Z'),
    sleep: async () => {},
    ...(parser ? { parse: parser.parse } : {}),
  };
  await rebuildSite(deps, { now: new Date('2026-01-01T00:00:00Z') });
  const objects = Object.fromEntries(
    [...site.objects].map(([key, o]) => [key, Buffer.from(o.bytes).toString('base64')]),
  );
  const reports = Object.fromEntries(
    [...drafts.objects]
      .filter(([key]) => key.startsWith('reports/'))
      .map(([k, v]) => [k, Buffer.from(v).toString()]),
  );
  return { objects, reports };
}

async function rebuildWith(parser: WorkerDraftParser) {
  const built = await rebuild(parser);
  await parser.close();
  return { ...built, parsed: parser.parsed };
}

if (isMainThread) {
  // Every draft on the workers; then with a backlog of one, so that this thread parses its share too.
  const inWorkers = await rebuildWith(new WorkerDraftParser(SITE, 2, Number.POSITIVE_INFINITY));
  const shared = await rebuildWith(new WorkerDraftParser(SITE, 1, 1));
  console.log(JSON.stringify({ inThread: await rebuild(), inWorkers, shared }));
}

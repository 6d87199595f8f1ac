// One benchmark task per process, so that peak memory and CPU time belong to that task alone. Prints one
// line of JSON. Run by bench/run.ts; by hand: node --import tsx bench/tasks.ts build 1000

import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import MarkdownIt from 'markdown-it';
import {
  MemoryArticleIndex,
  MemoryCdnInvalidator,
  MemoryDraftStore,
  MemoryEdgeRules,
  MemoryLeaseStore,
  MemoryScheduler,
  MemorySiteStore,
} from '#shared/adapters/memory/index.ts';
import { parseSiteConfig } from '#shared/domain/site.ts';
import type { PutOptions, RenderJob } from '#shared/ports.ts';
import { rebuildSite } from '#shared/use-cases/rebuild.ts';
import { renderViews } from '#shared/use-cases/render.ts';
import { type SyncDeps, syncChange } from '#shared/use-cases/sync-draft.ts';
import { generateCorpus } from './corpus.ts';

const site = parseSiteConfig(JSON.parse(readFileSync(`${process.cwd()}/cdk.json`, 'utf8')).context.newsroom);
const quiet = { info() {}, warn() {}, error() {} };

function measure<T>(work: () => Promise<T>): Promise<{ result: T; wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  return work().then((result) => {
    const used = process.cpuUsage(cpu);
    return { result, wallMs: performance.now() - t0, cpuMs: (used.user + used.system) / 1000 };
  });
}

/** The pipeline's own code on in-memory stores, counting what it writes to the site. */
function pipeline(keepJobs = false) {
  const drafts = new MemoryDraftStore();
  const siteStore = new MemorySiteStore();
  const writes = { objects: 0, bytes: 0 };
  const put = siteStore.put.bind(siteStore);
  siteStore.put = async (key: string, body: string | Uint8Array, options: PutOptions) => {
    writes.objects += 1;
    writes.bytes += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    return put(key, body, options);
  };
  const jobs: RenderJob[] = [];
  const deps: SyncDeps = {
    drafts,
    site: siteStore,
    index: new MemoryArticleIndex(),
    // A rebuild renders every view itself; only the incremental task delivers the jobs a change sends.
    render: { send: async (j) => void (keepJobs ? jobs.push(...j) : undefined) },
    leases: new MemoryLeaseStore(),
    cdn: new MemoryCdnInvalidator(),
    edge: new MemoryEdgeRules(),
    scheduler: new MemoryScheduler(),
    config: site,
    log: quiet,
    sleep: async () => {},
  };
  return { deps, drafts, siteStore, writes, jobs };
}

async function build(count: number) {
  const corpus = generateCorpus(count, site);
  const p = pipeline();
  for (const d of corpus) {
    p.drafts.put(d.key, d.text);
    if (d.image) p.drafts.put(d.image.key, d.image.bytes);
  }
  const { result, wallMs, cpuMs } = await measure(() =>
    rebuildSite(p.deps, { now: new Date('2026-01-01T00:00:00Z') }),
  );
  return { task: 'build', count, wallMs, cpuMs, pages: result.pages, ...p.writes, peakRssMb: peakRss() };
}

async function floor(count: number) {
  const corpus = generateCorpus(count, site);
  const bodies = corpus.map((d) => d.text.split('\n---\n')[1] ?? '');
  const md = new MarkdownIt('commonmark', { html: false });
  const { result, wallMs, cpuMs } = await measure(async () =>
    bodies.reduce((n, b) => n + md.render(b).length, 0),
  );
  return { task: 'floor', count, wallMs, cpuMs, htmlBytes: result, peakRssMb: peakRss() };
}

async function incremental(count: number) {
  const corpus = generateCorpus(count + 1, site);
  const p = pipeline(true);
  for (const d of corpus.slice(0, count)) {
    p.drafts.put(d.key, d.text);
    if (d.image) p.drafts.put(d.image.key, d.image.bytes);
  }
  await rebuildSite(p.deps, { now: new Date('2026-01-01T00:00:00Z') });
  p.jobs.length = 0;
  const once = async (key: string, text: string | undefined) => {
    p.writes.objects = 0;
    p.writes.bytes = 0;
    const { wallMs, cpuMs } = await measure(async () => {
      if (text === undefined) p.drafts.remove(key);
      else p.drafts.put(key, text);
      const [report] = await syncChange(p.deps, { key, eventTime: new Date('2026-01-02T00:00:00Z') });
      if (report?.status !== (text === undefined ? 'withdrawn' : 'published')) {
        throw new Error(`the measured change did not go through: ${JSON.stringify(report)}`);
      }
      const jobs = p.jobs.splice(0);
      for (const job of jobs) await renderViews(p.deps, [job]);
      return jobs.length;
    });
    return { wallMs, cpuMs, ...p.writes };
  };
  const last = corpus[count];
  const first = corpus[0];
  if (!last || !first) throw new Error('empty corpus');
  if (last.image) p.drafts.put(last.image.key, last.image.bytes);
  const publish = await once(last.key, last.text);
  const takedown = await once(first.key, undefined);
  return { task: 'incremental', count, publish, takedown, peakRssMb: peakRss() };
}

/** Bundles a function entry as the CDK does (esbuild, ESM, minified, the AWS SDK inside). */
function bundle(entry: string, outfile: string): { bytes: number; gzip: number } {
  buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    outfile,
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'error',
  });
  const code = readFileSync(outfile);
  return { bytes: code.byteLength, gzip: gzipSync(code).byteLength };
}

function peakRss(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

const [task = 'build', arg = '1000', extra = ''] = process.argv.slice(2);
const count = Number(arg);
const out =
  task === 'build'
    ? await build(count)
    : task === 'floor'
      ? await floor(count)
      : task === 'incremental'
        ? await incremental(count)
        : task === 'bundle'
          ? { task, entry: arg, ...bundle(arg, extra) }
          : undefined;
if (!out) throw new Error(`unknown task ${task}`);
console.log(JSON.stringify(out));

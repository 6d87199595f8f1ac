// One benchmark task per process, so that peak memory and CPU time belong to that task alone. Prints one
// line of JSON. Run by bench/run.ts; by hand: npx tsx bench/tasks.ts corpus 1000 /tmp/c && npx tsx
// bench/tasks.ts build /tmp/c/drafts

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build as esbuild } from 'esbuild';
import MarkdownIt from 'markdown-it';
import { FileArticleIndex, FileDraftStore, FileSiteStore } from '#shared/adapters/file/stores.ts';
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
import { isDraftParserWorker, WorkerDraftParser } from '#shared/adapters/workers/draft-parser.ts';
import { parseSiteConfig } from '#shared/domain/site.ts';
import type { ArticleIndex, DraftStore, PutOptions, RenderJob, SiteStore } from '#shared/ports.ts';
import { rebuildSite } from '#shared/use-cases/rebuild.ts';
import { reconcile } from '#shared/use-cases/reconcile.ts';
import { renderViews } from '#shared/use-cases/render.ts';
import { type SyncDeps, syncChange } from '#shared/use-cases/sync-draft.ts';
import { functionBuildOptions } from '../infra/bundling/function-bundle.ts';
import { generateCorpus } from './corpus.ts';
import { writeDrafts, writeEleventyProject, writeHugoProject } from './peers.ts';

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

/** The pipeline's own code on the given stores, counting what it writes to the site. */
function pipeline<D extends DraftStore, S extends SiteStore>(
  drafts: D,
  siteStore: S,
  keepJobs = false,
  index: ArticleIndex = new MemoryArticleIndex(),
) {
  // Objects written (photos and their renditions, the article's own content, counted apart).
  const writes = { objects: 0, bytes: 0, photoObjects: 0 };
  const put = siteStore.put.bind(siteStore);
  siteStore.put = async (key: string, body: string | Uint8Array, options: PutOptions) => {
    if (key.startsWith('media/')) writes.photoObjects += 1;
    else writes.objects += 1;
    writes.bytes += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    return put(key, body, options);
  };
  const jobs: RenderJob[] = [];
  const deps: SyncDeps = {
    drafts,
    site: siteStore,
    index,
    // A rebuild renders every view itself; only the incremental task delivers the jobs a change sends.
    render: { send: async (j) => void (keepJobs ? jobs.push(...j) : undefined) },
    leases: new MemoryLeaseStore(),
    applied: new MemoryAppliedUploads(),
    cdn: new MemoryCdnInvalidator(),
    edge: new MemoryEdgeRules(),
    shownComments: new MemoryComments(),
    scheduler: new MemoryScheduler(),
    // As deployed: the corpus's photo is prepared and resized once, then found on the site.
    images: new SharpRenditions(),
    config: site,
    log: quiet,
    // A fixed clock: every article of the corpus is in its past, whenever the benchmark runs.
    now: () => new Date('2026-01-01T00:00:00Z'),
    sleep: async () => {},
  };
  return { deps, drafts, siteStore, writes, jobs };
}

/** Writes the corpus of `count` drafts as the drafts bucket and as Eleventy and Hugo projects. */
function corpus(count: number, dir: string) {
  const drafts = generateCorpus(count, site);
  writeDrafts(join(dir, 'drafts'), drafts);
  writeEleventyProject(join(dir, 'eleventy'), drafts, site);
  writeHugoProject(join(dir, 'hugo'), drafts, site);
  return { task: 'corpus', count };
}

/**
 * The rebuild path from a folder of drafts into a folder, as the peers build. The article index answers
 * from memory; its whole records (rendered bodies included) stay in memory too, or (`records-on-disk`) in
 * a folder, which trades some speed for a smaller footprint.
 */
async function build(draftsDir: string, variant: string, threads: string) {
  const out = mkdtempSync(join(draftsDir, '..', 'site-'));
  const records = mkdtempSync(join(draftsDir, '..', 'index-'));
  const index = variant === 'records-on-disk' ? new FileArticleIndex(records) : new MemoryArticleIndex();
  const p = pipeline(new FileDraftStore(draftsDir), new FileSiteStore(out), false, index);
  // Drafts parsed on worker threads (the other cores), or, with "one-thread", all on this one.
  const parser = threads === 'one-thread' ? undefined : new WorkerDraftParser(site);
  const deps = parser ? { ...p.deps, parse: parser.parse } : p.deps;
  const { result, wallMs, cpuMs } = await measure(() =>
    rebuildSite(deps, { now: new Date('2026-01-01T00:00:00Z') }),
  );
  await parser?.close();
  rmSync(out, { recursive: true, force: true });
  rmSync(records, { recursive: true, force: true });
  const count = result.drafts;
  return { task: 'build', count, wallMs, cpuMs, pages: result.pages, ...p.writes, peakRssMb: peakRss() };
}

async function eleventy(dir: string) {
  const { default: Eleventy } = await import('@11ty/eleventy');
  process.chdir(dir);
  const elev = new Eleventy('src', 'out', { configPath: 'eleventy.config.mjs', quietMode: true });
  const { wallMs, cpuMs } = await measure(() => elev.write());
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  return { task: 'eleventy', wallMs, cpuMs, peakRssMb: peakRss() };
}

/** Debian's hugo, timed by /usr/bin/time (CPU of every thread, peak RSS). */
function hugo(dir: string) {
  if (!existsSync('/usr/bin/hugo'))
    return { task: 'hugo', missing: 'hugo is not installed (apt-get install hugo)' };
  const out = join(dir, 'public');
  const timing = join(dir, 'time.txt');
  execFileSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timing, 'hugo', '--quiet', '-s', dir, '-d', out]);
  const [wall = 0, user = 0, sys = 0, rssKb = 0] = readFileSync(timing, 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const version = execFileSync('hugo', ['version'], { encoding: 'utf8' }).split(' ')[1];
  rmSync(out, { recursive: true, force: true });
  return {
    task: 'hugo',
    version,
    wallMs: wall * 1000,
    cpuMs: (user + sys) * 1000,
    peakRssMb: Math.round(rssKb / 1024),
  };
}

/**
 * `npm run build` as a user runs it: the compiled command (`dist/build.mjs`, made beforehand by
 * `scripts/build.mjs`) in a process of its own, timed by /usr/bin/time as Hugo is (CPU of every thread,
 * peak RSS), into a fresh folder.
 */
function wholeBuild(draftsDir: string) {
  execFileSync('node', [join(process.cwd(), 'scripts/build.mjs'), '--help'], { stdio: 'ignore' });
  const out = mkdtempSync(join(draftsDir, '..', 'whole-'));
  const timing = join(out, '..', 'whole-time.txt');
  const stdout = execFileSync(
    '/usr/bin/time',
    ['-f', '%e %U %S %M', '-o', timing, 'node', join(process.cwd(), 'dist/build.mjs'), draftsDir, out],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
  const [wall = 0, user = 0, sys = 0, rssKb = 0] = readFileSync(timing, 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  rmSync(out, { recursive: true, force: true });
  rmSync(join(draftsDir, 'reports'), { recursive: true, force: true });
  return {
    task: 'whole-build',
    count: summary.draftsApplied,
    wallMs: wall * 1000,
    cpuMs: (user + sys) * 1000,
    objects: summary.objectsWritten,
    peakRssMb: Math.round(rssKb / 1024),
  };
}

async function floor(draftsDir: string) {
  const drafts = new FileDraftStore(draftsDir);
  const texts = await Promise.all(
    (await allKeys(drafts))
      .filter((k) => k.endsWith('.md'))
      .map(async (k) => Buffer.from((await drafts.get(k))?.bytes ?? []).toString('utf8')),
  );
  const count = texts.length;
  const bodies = texts.map((t) => t.split('\n---\n')[1] ?? '');
  const md = new MarkdownIt('commonmark', { html: false });
  const { result, wallMs, cpuMs } = await measure(async () =>
    bodies.reduce((n, b) => n + md.render(b).length, 0),
  );
  return { task: 'floor', count, wallMs, cpuMs, htmlBytes: result, peakRssMb: peakRss() };
}

/**
 * One change into a built site of `count` articles: the rebuild is measured first, in the same process, as
 * the baseline. Five new articles are published one at a time and five recent ones taken down; each change's
 * median is reported (a takedown of a recent article shifts its section's whole list, the worst case).
 */
async function incremental(count: number, dir: string) {
  const repeats = 5;
  const corpus = generateCorpus(count + repeats, site);
  // The same kind of folder the full builds write to (tmpfs where there is one).
  const out = mkdtempSync(join(dir, 'incremental-'));
  const p = pipeline(new MemoryDraftStore(), new FileSiteStore(out), true);
  for (const d of corpus.slice(0, count)) {
    p.drafts.put(d.key, d.text);
    if (d.image) p.drafts.put(d.image.key, d.image.bytes);
  }
  const rebuild = await measure(() => rebuildSite(p.deps, { now: new Date('2026-01-01T00:00:00Z') }));
  p.jobs.length = 0;
  const once = async (key: string, text: string | undefined) => {
    p.writes.objects = 0;
    p.writes.bytes = 0;
    p.writes.photoObjects = 0;
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
  const publishes = [];
  for (const d of corpus.slice(count)) {
    if (d.image) p.drafts.put(d.image.key, d.image.bytes);
    publishes.push(await once(d.key, d.text));
  }
  const takedowns = [];
  for (const d of corpus.slice(count - repeats, count)) takedowns.push(await once(d.key, undefined));
  rmSync(out, { recursive: true, force: true });
  return {
    task: 'incremental',
    count,
    rebuildCpuMs: rebuild.cpuMs,
    publish: medianBy(publishes, (c) => c.cpuMs),
    takedown: medianBy(takedowns, (c) => c.cpuMs),
    peakRssMb: peakRss(),
  };
}

/**
 * One draft with `count` photos of about 20 MB each (the upload limit), published into an empty site on disk
 * with the deployed renditions (sharp): the process's peak RSS is what one delivery needs. Each photo is a
 * distinct upload (its own bytes, so its own name on the site) of the same noise, so that none is skipped.
 */
async function photos(count: number, dir: string) {
  const { default: sharp } = await import('sharp');
  const draftsDir = mkdtempSync(join(dir, 'photo-drafts-'));
  const out = mkdtempSync(join(dir, 'photo-site-'));
  const noise = await sharp({
    create: {
      width: 3900,
      height: 2925,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 50 },
    },
  })
    .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
    .toBuffer();
  const drafts = new FileDraftStore(draftsDir);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    // A comment segment after the start of image: a different file, decoded the same (and dropped when cleaned).
    const comment = Buffer.from(`anh ${i}`);
    const segment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
    await drafts.put(
      `xa-hoi/images/anh-${i}.jpg`,
      Buffer.concat([noise.subarray(0, 2), segment, noise.subarray(2)]),
    );
    lines.push(`![Ảnh ${i}](images/anh-${i}.jpg)`);
  }
  const text = `---\ntitle: "Ba mươi ảnh"\nsection: "xa-hoi"\npublishedAt: "2025-06-01T08:00:00+07:00"\nauthor: { name: "Phóng viên" }\nlead: "Bài nhiều ảnh."\n---\n\n${lines.join('\n\n')}\n`;
  await drafts.put('xa-hoi/nhieu-anh.md', text);
  const p = pipeline(drafts, new FileSiteStore(out));
  const before = peakRss();
  const { result, wallMs, cpuMs } = await measure(() =>
    syncChange(p.deps, { key: 'xa-hoi/nhieu-anh.md', eventTime: new Date('2026-01-02T00:00:00Z') }),
  );
  if (result[0]?.status !== 'published') throw new Error(`not published: ${JSON.stringify(result[0])}`);
  rmSync(draftsDir, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
  return {
    task: 'photos',
    count,
    photoMb: Math.round((noise.byteLength / 2 ** 20) * 10) / 10,
    wallMs,
    cpuMs,
    rssBeforeMb: before,
    peakRssMb: peakRss(),
  };
}

/**
 * A reconcile of a built site of `count` articles where every event arrived: what it reads to find that
 * nothing differs (listing pages of the drafts bucket, pages of applied uploads, objects read), and its time
 * here. In AWS a listing page is one ListObjectsV2 call (1,000 keys) and a page of applied uploads one Query.
 */
async function reconcileIdle(count: number) {
  const p = pipeline(new MemoryDraftStore(), new MemorySiteStore());
  const uploaded = new Date('2025-12-01T00:00:00Z');
  for (const d of generateCorpus(count, site)) {
    p.drafts.put(d.key, d.text, uploaded);
    if (d.image) p.drafts.put(d.image.key, d.image.bytes, uploaded);
  }
  await rebuildSite(p.deps, { now: new Date('2026-01-01T00:00:00Z') });
  const calls = { listingPages: 0, appliedPages: 0, objectsRead: 0 };
  const { drafts } = p;
  const applied = p.deps.applied;
  const listVersions = drafts.listVersions.bind(drafts);
  const between = applied.between.bind(applied);
  const get = drafts.get.bind(drafts);
  drafts.listVersions = async function* (options) {
    for await (const page of listVersions(options)) {
      calls.listingPages += 1;
      yield page;
    }
  };
  applied.between = async function* (after, through) {
    for await (const page of between(after, through)) {
      calls.appliedPages += 1;
      yield page;
    }
  };
  drafts.get = (...args) => {
    calls.objectsRead += 1;
    return get(...args);
  };
  const { result, wallMs, cpuMs } = await measure(() =>
    reconcile(p.deps, { now: new Date('2026-02-01T00:00:00Z') }),
  );
  const objects = (await allKeys(drafts)).length;
  return { task: 'reconcile', count, objects, ...calls, result, wallMs, cpuMs, peakRssMb: peakRss() };
}

function medianBy<T>(items: readonly T[], by: (item: T) => number): T | undefined {
  return [...items].sort((a, b) => by(a) - by(b))[Math.floor(items.length / 2)];
}

/** Bundles a function entry as it is deployed (`infra/bundling/function-bundle.ts`), sharp left beside it. */
async function bundle(entry: string, outfile: string): Promise<{ bytes: number; gzip: number }> {
  // The tasks run from the repository's root.
  await esbuild(functionBuildOptions(entry, outfile, ['sharp'], process.cwd()));
  const code = readFileSync(outfile);
  return { bytes: code.byteLength, gzip: gzipSync(code).byteLength };
}

async function allKeys(drafts: DraftStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of drafts.listVersions()) keys.push(...page.map((v) => v.key));
  return keys;
}

function peakRss(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

const [task = 'build', arg = '', extra = ''] = process.argv.slice(2);
const tasks: Record<string, () => unknown> = {
  corpus: () => corpus(Number(arg), extra),
  build: () => build(arg, extra, process.argv[5] ?? ''),
  'whole-build': () => wholeBuild(arg),
  eleventy: () => eleventy(arg),
  hugo: () => hugo(arg),
  floor: () => floor(arg),
  incremental: () => incremental(Number(arg), extra),
  photos: () => photos(Number(arg), extra),
  reconcile: () => reconcileIdle(Number(arg)),
  bundle: async () => ({ task, entry: arg, ...(await bundle(arg, extra)) }),
};
// The parser's worker threads run this file too: there, only the parser's own code runs.
if (!isDraftParserWorker) {
  const out = await tasks[task]?.();
  if (!out) throw new Error(`unknown task ${task}`);
  console.log(JSON.stringify(out));
}

// npm run bench [-- --quick]: measures the pipeline against its floor (the Markdown parser alone), the cost
// of one publish against a full rebuild, and each function's bundle and cold import, all in one run, and
// writes BENCHMARKS.md. Every task runs in its own process (peak memory is per task); absolute times drift
// on shared machines, so the report leads with ratios from the same run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildSync } from 'esbuild';
import { awsShapedResolver, lambdaFunctions, readCloudAssembly } from '../local/cloud-assembly.ts';
import { synthesize } from '../local/synth.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
// Inside the repo, so that the bundled tasks resolve esbuild from node_modules.
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
const work = mkdtempSync(join(root, 'node_modules/.cache/bench-'));
/**
 * Where the corpora and the built sites go: memory-backed /dev/shm when there is room (the virtual disks of
 * shared machines make file-heavy timings drift by half between runs), else beside the tasks.
 */
const data =
  existsSync('/dev/shm') && statfsSync('/dev/shm').bavail * statfsSync('/dev/shm').bsize > 16 * 2 ** 30
    ? mkdtempSync('/dev/shm/newsroom-bench-')
    : work;
/** The tasks bundled once into plain JavaScript, so no TypeScript loader sits in the measurements. */
const tasks = join(work, 'tasks.mjs');
buildSync({
  entryPoints: [join(root, 'bench/tasks.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: tasks,
  // esbuild is called from the tasks (to bundle functions as the CDK does) and Eleventy loads its own
  // plugins: both are left to load from node_modules.
  // sharp (libvips) is native code, loaded from node_modules as the functions load it.
  external: ['esbuild', '@11ty/eleventy', 'sharp'],
  banner: {
    js: "import { createRequire as benchRequire } from 'node:module'; const require = benchRequire(import.meta.url);",
  },
  logLevel: 'error',
});

/** Runs one task in a fresh process; a task that fails or runs out of time is reported, not fatal. */
function run(...args: string[]): Record<string, unknown> {
  return runWith([tasks], args);
}

function runWith(prefix: string[], args: string[], timeoutMs = 30 * 60_000): Record<string, unknown> {
  try {
    const out = execFileSync(process.execPath, [...prefix, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: timeoutMs,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
  } catch (error) {
    const e = error as { signal?: string; stderr?: string; message: string };
    const reason =
      e.signal === 'SIGTERM'
        ? `did not finish in ${Math.round(timeoutMs / 60_000)} min`
        : // The thrown error's own line ("SomethingError: what went wrong"), not a line of code quoted with it.
          (
            (e.stderr ?? e.message).split('\n').find((l) => /^\s*\[?\w*Error\b[^(]*:\s/.test(l)) ??
            (e.stderr ?? e.message).split('\n').find((l) => /error/i.test(l)) ??
            e.message
          ).trim();
    return { failed: reason };
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
function timeImport(file: string, env: Record<string, string>, runs: number): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    execFileSync(
      process.execPath,
      ['-e', file ? `await import(${JSON.stringify(file)})` : '0', '--input-type=module'],
      {
        env: { ...process.env, ...env },
      },
    );
    times.push(performance.now() - t0);
  }
  return median(times);
}

const sizes = quick ? [1000] : [1000, 10000, 100000];
/** Runs of each build at a size: three up to 10k (the median is reported), one at 100k. */
const roundsAt = (n: number) => (quick || n > 10000 ? 1 : 3);

/** The run with the median wall time among those that finished (or the first, if none did). */
function medianRun(runs: readonly Record<string, unknown>[]): Record<string, unknown> {
  const finished = runs.filter((r) => !r.failed && !r.missing);
  if (finished.length === 0) return runs[0] ?? { failed: 'not run' };
  const sorted = [...finished].sort((a, b) => (a.wallMs as number) - (b.wallMs as number));
  return sorted[Math.floor(sorted.length / 2)] ?? finished[0] ?? {};
}
const lines: string[] = [];
const print = (line = '') => {
  lines.push(line);
  console.log(line);
};
const seconds = (ms: unknown) => (typeof ms === 'number' ? (ms / 1000).toFixed(2) : '–');
const cell = (r: Record<string, unknown>, field: string, format: (v: unknown) => string = String) =>
  r.failed || r.missing ? '–' : format(r[field]);

print(`# Benchmarks\n`);
print(
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. Reproduce: \`npm run bench\` (\`-- --quick\`: 1k articles and a burst of 100, about a minute, writes nothing).\n`,
);
print('## Full build, against the peers and the floor\n');
print(
  `The same deterministic corpus (Vietnamese news prose from the seed article, 6-10 paragraphs, 5-8 KB, one in five with a photo, 7 sections, tags) built three ways into a folder${data === work ? '' : ' (on tmpfs)'}: by this pipeline's rebuild path (every draft parsed, validated, rendered with related teasers; article pages, home, paginated section lists, feeds and sitemaps written; folder-backed stores through the same ports; the article index in memory, or with its records in a folder), by Eleventy 3 and by Debian's Hugo (the same work: article pages in a layout with five related teasers, the nearest older ones of the section, through \`.PrevInSection\`; home; section lists 20 a page; RSS; sitemap). \`npm run build\` is the whole command in its own process, as a user runs it (the compiled bundle, records kept in \`<out>/.newsroom/\`), timed like Hugo; the other rows are the rebuild path inside a measuring process. Hugo uses every core; so does this pipeline, which parses drafts on worker threads (one per other core) while its main thread keeps the index, writes the site and parses drafts itself whenever the workers have a backlog; it is also shown on one thread, and on one thread with the index records in a folder (its smallest footprint). CPU counts every thread. The floor is markdown-it alone rendering the same bodies in memory. Up to 10k, each build runs three times, in rounds that go through every tool in turn, and the run with the median wall time is shown; 100k runs once.\n`,
);
print('| articles | tool | wall (s) | CPU (s) | articles/s | peak RSS (MB) | our articles/s ÷ theirs |');
print('|---|---|---|---|---|---|---|');
const builds = new Map<number, Record<string, unknown>>();
const notes: string[] = [];
/** The issue's targets, each with what this run measured and whether it holds. */
const targets: string[] = [];
const verdict = (holds: boolean) => (holds ? 'holds' : '**does not hold**');
for (const n of sizes) {
  const dir = join(data, String(n));
  const drafts = join(dir, 'drafts');
  run('corpus', String(n), dir);
  const tools: [string, () => Record<string, unknown>][] = [
    ['npm run build (whole process)', () => run('whole-build', drafts)],
    ['this pipeline', () => run('build', drafts)],
    ['this pipeline, one thread', () => run('build', drafts, 'memory', 'one-thread')],
    [
      'this pipeline, one thread, index records on disk',
      () => run('build', drafts, 'records-on-disk', 'one-thread'),
    ],
  ];
  if (!quick || n <= 1000) {
    tools.push(['Eleventy 3', () => runWith([tasks], ['eleventy', join(dir, 'eleventy')], 10 * 60_000)]);
    tools.push(['Hugo', () => run('hugo', join(dir, 'hugo'))]);
  }
  tools.push(['floor', () => run('floor', drafts)]);
  // Rounds go through every tool in turn, so that a slow spell of this shared machine falls on all of them.
  const runs = new Map<string, Record<string, unknown>[]>(tools.map(([name]) => [name, []]));
  for (let round = 0; round < roundsAt(n); round++) {
    for (const [name, task] of tools) runs.get(name)?.push(task());
  }
  const result = (name: string) => medianRun(runs.get(name) ?? []);
  const ours = result('this pipeline');
  builds.set(n, ours);
  const oneThread = result('this pipeline, one thread');
  const onDisk = result('this pipeline, one thread, index records on disk');
  const peers: [string, Record<string, unknown>][] = tools
    .filter(([name]) => name !== 'floor')
    .map(([name]) => [name, result(name)]);
  const floor = result('floor');
  const rate = (r: Record<string, unknown>) => n / ((r.wallMs as number) / 1000);
  for (const [name, r] of peers) {
    if (r.failed || r.missing) notes.push(`${name} at ${n}: ${r.failed ?? r.missing}`);
    const label = name === 'Hugo' && typeof r.version === 'string' ? `Hugo ${r.version}` : name;
    print(
      `| ${n} | ${label} | ${cell(r, 'wallMs', seconds)} | ${cell(r, 'cpuMs', seconds)} | ${cell(r, 'wallMs', () => String(Math.round(rate(r))))} | ${cell(r, 'peakRssMb')} | ${name.startsWith('this pipeline') || name.startsWith('npm run build') || r.failed || r.missing || ours.failed ? '' : `${(rate(ours) / rate(r)).toFixed(2)}×`} |`,
    );
  }
  // Work done, not time taken: the one-thread build's CPU (the threaded one adds the hand-offs between threads).
  const overhead = (oneThread.cpuMs as number) / (floor.cpuMs as number);
  print(
    `| ${n} | markdown-it alone (the floor) | ${seconds(floor.wallMs)} | ${seconds(floor.cpuMs)} | ${Math.round(rate(floor))} | ${floor.peakRssMb} | overhead: our CPU is ${overhead.toFixed(1)}× the parser's |`,
  );
  if (n === 10000 && !ours.failed) {
    const byName = new Map(peers);
    const eleventy = byName.get('Eleventy 3');
    const hugo = byName.get('Hugo');
    if (eleventy && !eleventy.failed) {
      const x = rate(ours) / rate(eleventy);
      targets.push(`Full build at 10k ≥ 5× Eleventy's articles/s: ${x.toFixed(2)}×, ${verdict(x >= 5)}.`);
    }
    if (hugo && !hugo.failed && !hugo.missing) {
      const x = rate(ours) / rate(hugo);
      targets.push(`Full build at 10k ≥ Hugo's articles/s: ${x.toFixed(2)}×, ${verdict(x >= 1)}.`);
    }
    const rss = ours.peakRssMb as number;
    const small = onDisk.peakRssMb as number;
    targets.push(
      `Peak RSS ≤ 150 MB at 10k: ${rss} MB with the records in memory, ${verdict(rss <= 150)}; ${small} MB on one thread with them in a folder (at ${(rate(onDisk) / rate(ours)).toFixed(2)}× the speed), ${verdict(small <= 150)}.`,
    );
    targets.push(
      `Pipeline overhead ≤ 1.5× the parser: ${overhead.toFixed(1)}×, ${verdict(overhead <= 1.5)}.`,
    );
  }
  const whole = result('npm run build (whole process)');
  const hugoRun = result('Hugo');
  if (n >= 10000 && !whole.failed && !hugoRun.failed && !hugoRun.missing) {
    const x = rate(whole) / rate(hugoRun);
    const memory = (whole.peakRssMb as number) / (hugoRun.peakRssMb as number);
    targets.push(
      `Whole-process build at ${n / 1000}k ≥ 1.3× Hugo's articles/s: ${x.toFixed(2)}×, ${verdict(x >= 1.3)}; peak RSS ≤ half of Hugo's: ${whole.peakRssMb} MB against ${hugoRun.peakRssMb} MB (${memory.toFixed(2)}), ${verdict(memory <= 0.5)}.`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
}
for (const note of notes) print(`\n${note}.`);

print('\n## One change into a built site\n');
print(
  "Five new articles published one at a time into a built site, and five recent ones taken down; the median change. Archive pages are stable (docs/pagination.md): a change writes its section's and tags' front pages and the archive page it touched, if any. A new article's photo and its renditions (seven objects, its own content, the same at any size) are counted apart. The rebuild baseline is measured in the same process, on the same stores.\n",
);
print(
  "| site size | change | objects written | its photos' objects | bytes written | CPU (ms) | share of a full rebuild's CPU |",
);
print('|---|---|---|---|---|---|---|');
for (const n of sizes) {
  const inc = run('incremental', String(n), data) as Record<string, Record<string, number>>;
  if (inc.failed) {
    print(`| ${n} | – | – | – | – | – | ${inc.failed} |`);
    continue;
  }
  const full = inc.rebuildCpuMs as unknown as number;
  for (const kind of ['publish', 'takedown'] as const) {
    const c = inc[kind] ?? {};
    print(
      `| ${n} | ${kind} | ${c.objects} | ${c.photoObjects ?? 0} | ${c.bytes} | ${(c.cpuMs ?? 0).toFixed(1)} | 1/${Math.round(full / (c.cpuMs ?? 1))} |`,
    );
    if (n >= 10000) {
      const share = full / (c.cpuMs ?? 1);
      targets.push(
        `One ${kind} into ${n / 1000}k ≤ 12 objects and ≤ 1/1000 of a rebuild's CPU: ${c.objects} objects (and ${c.photoObjects ?? 0} of its photos), 1/${Math.round(share)}, ${verdict((c.objects ?? 99) <= 12 && share >= 1000)}.`,
      );
    }
  }
}

print('\n## Cold start\n');
print(
  "Each function's deployed bundle from the synthesized app (`infra/bundling/function-bundle.ts`: esbuild, ESM, minified, AWS SDK inside, credentials from the environment, unused SDK operations left out); import time is the median of 20 fresh `node` processes with exactly the function's template environment (`--enable-source-maps` among it), against `node -e 0` and a bundle of the bare SDK clients the function uses, built and imported the same way.\n",
);
print('| function | minified (KB) | gzip (KB) | import (ms) | bare SDK import (ms) | node -e 0 (ms) |');
print('|---|---|---|---|---|---|');
// Each function's deployed bundle from the synthesized app, with exactly the environment its template gives it.
const assembly = readCloudAssembly(await synthesize());
const deployed = new Map(
  lambdaFunctions(assembly, awsShapedResolver({ assembly })).map((f) => [
    f.id.split('/')[0]?.toLowerCase(),
    f,
  ]),
);
const runs = quick ? 5 : 20;
const nodeOnly = timeImport('', {}, runs);
const sdkClients: Record<string, string[]> = {
  ingest: [
    'client-s3',
    'client-dynamodb',
    'lib-dynamodb',
    'client-sqs',
    'client-cloudfront',
    'client-cloudfront-keyvaluestore',
    'client-scheduler',
  ],
  render: ['client-s3', 'client-dynamodb', 'lib-dynamodb', 'client-cloudfront'],
};
for (const fn of ['ingest', 'render']) {
  const bundle = deployed.get(fn);
  if (!bundle) throw new Error(`no ${fn} function in the synthesized app`);
  const out = join(bundle.codeDir, 'index.mjs');
  const code = readFileSync(out);
  const b = { bytes: code.byteLength, gzip: gzipSync(code).byteLength };
  const env = { AWS_REGION: 'us-east-1', ...bundle.environment };
  const bareEntry = join(work, `${fn}-sdk.ts`);
  writeFileSync(
    bareEntry,
    (sdkClients[fn] ?? [])
      .map((c, i) => `import * as c${i} from '@aws-sdk/${c}'; console.log(typeof c${i});`)
      .join('\n'),
  );
  const bareOut = join(work, `${fn}-sdk.mjs`);
  run('bundle', bareEntry, bareOut);
  const importMs = timeImport(out, env, runs);
  const bareMs = timeImport(bareOut, env, runs);
  print(
    `| ${fn} | ${Math.round((b.bytes ?? 0) / 1024)} | ${Math.round((b.gzip ?? 0) / 1024)} | ${importMs.toFixed(0)} | ${bareMs.toFixed(0)} | ${nodeOnly.toFixed(0)} |`,
  );
  const kb = Math.round((b.bytes ?? 0) / 1024);
  targets.push(`${fn} bundle ≤ 500 KB minified: ${kb} KB, ${verdict(kb <= 500)}.`);
  targets.push(
    `${fn} import ≤ bare SDK + 20 ms: ${importMs.toFixed(0)} ms against ${bareMs.toFixed(0)} ms, ${verdict(importMs <= bareMs + 20)}.`,
  );
}

print('\n## Photos in one delivery\n');
print(
  'One draft with 1 and with 30 photos of about 20 MB (the upload limit), each a 3900 × 2925 JPEG, published with the deployed renditions (sharp): prepared one at a time (decoded, cleaned of metadata), then written one at a time with their renditions. Peak RSS is the whole process; the ingest function has 1,769 MB.\n',
);
print('| photos | photo (MB) | wall (s) | CPU (s) | peak RSS (MB) | ÷ one photo |');
print('|---|---|---|---|---|---|');
const photoCounts = quick ? [1, 5] : [1, 30];
const photoRuns = photoCounts.map((n) => run('photos', String(n), work));
for (const r of photoRuns) {
  const base = photoRuns[0]?.peakRssMb as number;
  print(
    r.failed
      ? `| ${r.count ?? '?'} | ${r.failed} | | | | |`
      : `| ${r.count} | ${r.photoMb} | ${seconds(r.wallMs)} | ${seconds(r.cpuMs)} | ${r.peakRssMb} | ${((r.peakRssMb as number) / base).toFixed(2)}× |`,
  );
}
const most = photoRuns.at(-1);
if (most && !most.failed) {
  const rss = most.peakRssMb as number;
  targets.push(
    `A draft with ${most.count} photos of ${most.photoMb} MB within the ingest function's 1,769 MB: ${rss} MB peak, ${verdict(rss <= 1769)}.`,
  );
}

print('\n## End to end, local\n');
const burstCount = quick ? 100 : 1000;
print(
  `A burst of ${burstCount} drafts (images first) uploaded by 16 concurrent clients through the S3 API into the local stack (\`npm start\`: s3rver and dynalite on a worker thread, the template's queues and event source mappings delivering to the deployed bundles, each function in processes of its own). Live: the editor's report says published (the page is written before it); lists caught up: both queues drained. Peak RSS is the stack's own process and the uploader (the functions' processes come beside it).\n`,
);
const b = runWith(
  [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'bench/burst.ts')],
  [String(burstCount)],
);
print(
  '| drafts | uploads done (s) | all live (s) | lists caught up (s) | upload→live p50 (s) | p95 (s) | peak RSS (MB) |',
);
print('|---|---|---|---|---|---|---|');
print(
  b.failed
    ? `| ${burstCount} | ${b.failed} | | | | | |`
    : `| ${burstCount} | ${seconds(b.uploadedMs)} | ${seconds(b.allLiveMs)} | ${seconds(b.listsCaughtUpMs)} | ${seconds(b.p50Ms)} | ${seconds(b.p95Ms)} | ${b.peakRssMb} |`,
);
print('\n## Starting the local stack\n');
print(
  '`npm start` timed from the command to the home page answering 200 through the local distribution (`bench/start.ts`): the first time on a fresh clone (the CDK app synthesized, the native packages installed for the bundles) and warm (the same checkout started again: the synthesized assembly is reused).\n',
);
const start = runWith([join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'bench/start.ts')], []);
print('| first start (s) | warm start (s) |');
print('|---|---|');
print(start.failed ? `| ${start.failed} | |` : `| ${seconds(start.firstMs)} | ${seconds(start.warmMs)} |`);
if (!start.failed) {
  targets.push(
    `npm start on a fresh clone ≤ 30 s: ${seconds(start.firstMs)} s, ${verdict((start.firstMs as number) <= 30_000)}.`,
  );
  targets.push(
    `npm start warm ≤ 8 s: ${seconds(start.warmMs)} s, ${verdict((start.warmMs as number) <= 8_000)}.`,
  );
}

print('\n## Targets\n');
for (const t of targets) print(`- ${t}`);
if (!quick) writeFileSync(join(root, 'BENCHMARKS.md'), `${lines.join('\n')}\n`);
rmSync(work, { recursive: true, force: true });
rmSync(data, { recursive: true, force: true });

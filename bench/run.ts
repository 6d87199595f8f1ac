// npm run bench [-- --quick]: measures the pipeline against its floor (the Markdown parser alone), the cost
// of one publish against a full rebuild, and each function's bundle and cold import, all in one run, and
// writes BENCHMARKS.md. Every task runs in its own process (peak memory is per task); absolute times drift
// on shared machines, so the report leads with ratios from the same run.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');
// Inside the repo, so that the bundled tasks resolve esbuild from node_modules.
mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
const work = mkdtempSync(join(root, 'node_modules/.cache/bench-'));
/** The tasks bundled once into plain JavaScript, so no TypeScript loader sits in the measurements. */
const tasks = join(work, 'tasks.mjs');
buildSync({
  entryPoints: [join(root, 'bench/tasks.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: tasks,
  // esbuild itself is called from the tasks (to bundle functions as the CDK does): keep it out.
  external: ['esbuild'],
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  logLevel: 'error',
});

function run(...args: string[]): Record<string, unknown> {
  const out = execFileSync(process.execPath, [tasks, ...args], {
    cwd: root,
    // The bundled tasks live in a temporary folder; they find esbuild in the repo's node_modules.

    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
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

const sizes = quick ? [1000] : [1000, 10000];
const rows: string[] = [];
const lines: string[] = [];
const print = (line = '') => {
  lines.push(line);
  console.log(line);
};

print(`# Benchmarks\n`);
print(
  `Run ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. Reproduce: \`npm run bench\` (\`-- --quick\`: 1k articles only).\n`,
);
print('## Full build and the floor\n');
print(
  'The rebuild path (every draft parsed, validated, rendered; every page and list written) on in-memory stores, against markdown-it alone on the same bodies.\n',
);
print(
  '| articles | build wall (s) | build CPU (s) | articles/s | peak RSS (MB) | parser alone CPU (s) | overhead (build CPU / parser CPU) |',
);
print('|---|---|---|---|---|---|---|');
const builds = new Map<number, Record<string, number>>();
for (const n of sizes) {
  const b = run('build', String(n)) as Record<string, number>;
  const f = run('floor', String(n)) as Record<string, number>;
  builds.set(n, b);
  const ratio = (b.cpuMs ?? 0) / (f.cpuMs ?? 1);
  print(
    `| ${n} | ${((b.wallMs ?? 0) / 1000).toFixed(2)} | ${((b.cpuMs ?? 0) / 1000).toFixed(2)} | ${Math.round(n / ((b.wallMs ?? 1) / 1000))} | ${b.peakRssMb} | ${((f.cpuMs ?? 0) / 1000).toFixed(2)} | ${ratio.toFixed(1)}× |`,
  );
  rows.push(`build ${n}: ${ratio.toFixed(1)}x parser`);
}

print('\n## One change into a built site\n');
print("| site size | change | objects written | bytes written | CPU (ms) | share of a full rebuild's CPU |");
print('|---|---|---|---|---|---|');
for (const n of sizes) {
  const inc = run('incremental', String(n)) as Record<string, Record<string, number>>;
  const full = builds.get(n)?.cpuMs ?? 1;
  for (const kind of ['publish', 'takedown'] as const) {
    const c = inc[kind] ?? {};
    print(
      `| ${n} | ${kind} | ${c.objects} | ${c.bytes} | ${(c.cpuMs ?? 0).toFixed(1)} | 1/${Math.round(full / (c.cpuMs ?? 1))} |`,
    );
  }
}

print('\n## Cold start\n');
print(
  'Each function bundled as the CDK bundles it (esbuild, ESM, minified, AWS SDK inside); import time is the median of 20 fresh `node` processes, against `node -e 0` and a bundle of the bare SDK clients the function uses.\n',
);
print('| function | minified (KB) | gzip (KB) | import (ms) | bare SDK import (ms) | node -e 0 (ms) |');
print('|---|---|---|---|---|---|');
const env = {
  AWS_REGION: 'us-east-1',
  DRAFTS_BUCKET: 'd',
  SITE_BUCKET: 's',
  ARTICLE_TABLE: 't',
  RENDER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/0/q.fifo',
  DISTRIBUTION_ID: 'E1',
  EDGE_RULES_STORE_ARN: 'arn:aws:cloudfront::0:key-value-store/x',
  SCHEDULE_TARGET_ARN: 'arn:aws:lambda:us-east-1:0:function:f',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::0:role/r',
  SITE_CONFIG: JSON.stringify({
    siteName: 'x',
    siteUrl: 'https://x.example',
    sections: [{ slug: 'a', name: 'A' }],
  }),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
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
  const out = join(work, `${fn}.mjs`);
  const b = run('bundle', join(root, `functions/${fn}/index.ts`), out) as Record<string, number>;
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
}

print('\n## Not measured yet\n');
print(
  'Eleventy 3 and Hugo building the same corpus, the 100k-article corpus, and the end-to-end burst of 1,000 uploads through the local stack.',
);
if (!quick) writeFileSync(join(root, 'BENCHMARKS.md'), `${lines.join('\n')}\n`);
rmSync(work, { recursive: true, force: true });

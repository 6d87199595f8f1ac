import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { BuildState } from '#shared/adapters/file/build-state.ts';
import { FileDraftStore, FileSiteStore } from '#shared/adapters/file/stores.ts';
import { MemoryComments } from '#shared/adapters/memory/comments.ts';
import { MemoryCdnInvalidator, MemoryLeaseStore, MemoryScheduler } from '#shared/adapters/memory/index.ts';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import { isDraftParserWorker, WorkerDraftParser } from '#shared/adapters/workers/draft-parser.ts';
import { parseSiteConfig } from '#shared/domain/site.ts';
import type { EditorReport, PutOptions } from '#shared/ports.ts';
import { type BuildProgress, buildSite } from '#shared/use-cases/build-site.ts';
import type { SyncDeps } from '#shared/use-cases/sync-draft.ts';

const USAGE = `npm run build -- <drafts-folder> <out-folder> [--settings <cdk.json>]

Builds the whole site from a folder of drafts (and their images) into a folder, as the pipeline publishes
it. Run again on the same folders, it applies only what changed since (its state is in <out>/.newsroom/).
Editors' reports go beside the drafts (reports/<key>.json), as in the drafts bucket; a rejected draft is
named on stderr and does not stop the build. The last line on stdout is a JSON summary.`;

/**
 * `npm run build`: the pipeline as a static-site generator, on folders (no stack, no stand-ins), through the
 * same use cases and ports the functions use; drafts are parsed on worker threads.
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      settings: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [draftsDir, outDir] = positionals.map((p) => resolve(p));
  if (values.help || !draftsDir || !outDir || positionals.length !== 2) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  if (!existsSync(draftsDir) || !statSync(draftsDir).isDirectory()) {
    console.error(`No folder of drafts at ${draftsDir}.`);
    return 2;
  }
  if (
    `${outDir}${sep}`.startsWith(`${draftsDir}${sep}`) ||
    `${draftsDir}${sep}`.startsWith(`${outDir}${sep}`)
  ) {
    console.error('The drafts folder and the output folder must not be inside one another.');
    return 2;
  }
  // The folder's own cdk.json, or else the repository's (beside dist/, where the bundle runs from).
  const settings = resolve(
    values.settings ??
      (existsSync('cdk.json') ? 'cdk.json' : fileURLToPath(new URL('../cdk.json', import.meta.url))),
  );
  if (!existsSync(settings)) {
    console.error(`No settings at ${settings} (the newsroom's cdk.json; --settings names another).`);
    return 2;
  }
  const config = parseSiteConfig(JSON.parse(readFileSync(settings, 'utf8')).context?.newsroom);

  const drafts = new FileDraftStore(draftsDir);
  const site = new FileSiteStore(outDir);
  const state = new BuildState(outDir);
  const written = { objects: 0, bytes: 0, removed: 0 };
  const put = site.put.bind(site);
  site.put = async (key: string, body: string | Uint8Array, options: PutOptions) => {
    written.objects += 1;
    written.bytes += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    return put(key, body, options);
  };
  const remove = site.delete.bind(site);
  site.delete = async (keys: readonly string[]) => {
    written.removed += keys.length;
    return remove(keys);
  };
  const rejected: EditorReport[] = [];
  const putReport = drafts.putReport.bind(drafts);
  drafts.putReport = async (report: EditorReport) => {
    if (report.status === 'rejected' || report.status === 'failed') rejected.push(report);
    return putReport(report);
  };
  const parser = new WorkerDraftParser(config);
  const quiet = () => {};
  const deps: SyncDeps = {
    drafts,
    site,
    index: state.index,
    render: { send: async () => {} },
    leases: new MemoryLeaseStore(),
    applied: state.applied,
    cdn: new MemoryCdnInvalidator(),
    edge: state.edge,
    shownComments: new MemoryComments(),
    scheduler: new MemoryScheduler(),
    images: new SharpRenditions(),
    config,
    parse: parser.parse,
    log: { info: quiet, warn: quiet, error: (message, ...rest) => console.error(message, ...rest) },
  };

  const bars = new Map<string, SingleBar>();
  const label: Record<BuildProgress['phase'], string> = { drafts: 'Drafts applied', pages: 'Pages rendered' };
  const onProgress = (p: BuildProgress) => {
    let bar = bars.get(p.phase);
    if (!bar) {
      for (const other of bars.values()) other.stop();
      bar = new SingleBar({
        format: `${label[p.phase].padEnd(15)} [{bar}] {value}/{total}`,
        hideCursor: true,
        stream: process.stderr,
        noTTYOutput: false,
      });
      bar.start(p.total, 0);
      bars.set(p.phase, bar);
    }
    bar.update(p.done);
  };
  const result = await buildSite(deps, { whole: state.fresh, now: new Date(), onProgress });
  for (const bar of bars.values()) bar.stop();
  await parser.close();
  state.save();
  for (const report of rejected) {
    const problems = report.errors.map((e) => `  - ${e.message.replaceAll('\n', '\n    ')}`);
    console.error(
      [`${report.status === 'failed' ? 'Lỗi' : 'Bị từ chối'}: ${report.draftKey}`, ...problems].join('\n'),
    );
  }
  console.log(
    JSON.stringify({
      whole: result.whole,
      draftsApplied: result.applied,
      rejected: rejected.length,
      failed: result.failed,
      viewsRendered: result.views,
      objectsWritten: written.objects,
      objectsRemoved: written.removed,
      bytesWritten: written.bytes,
      seconds: Math.round(process.uptime() * 1000) / 1000,
    }),
  );
  return result.failed > 0 ? 1 : 0;
}

// The parser's worker threads run this module too: there, only the parser's own code runs.
if (!isDraftParserWorker) process.exitCode = await main();

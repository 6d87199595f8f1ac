import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** What the CDK app is made of: a change to any of these is a different deployment. */
const INPUTS = ['infra', 'functions', 'shared', 'package-lock.json', 'cdk.json', 'tsconfig.json'];

export interface SynthOptions {
  /** Settings over cdk.json's `newsroom` context (a test's "full set of settings"). */
  readonly settings?: Readonly<Record<string, unknown>>;
  /**
   * Another CDK app to synthesize, by its file below the checkout (a test's app that changes one thing of
   * the real one); cdk.json's app by default.
   */
  readonly app?: string;
  /** Where synthesized assemblies are kept, one folder per hash of their inputs (`NEWSROOM_SYNTH_CACHE`). */
  readonly cacheDir?: string;
  readonly log?: (line: string) => void;
}

/**
 * The deployment as `npx cdk synth` describes it, in a folder of its own: synthesized by the CDK CLI from
 * this checkout, as ops deploy it, and kept under a hash of everything it is made of (the app's code, the
 * lock file, the settings), so an unchanged checkout starts from the same folder without synthesizing again.
 */
export async function synthesize(options: SynthOptions = {}): Promise<string> {
  const cacheDir =
    options.cacheDir ??
    process.env.NEWSROOM_SYNTH_CACHE ??
    join(ROOT, 'node_modules', '.cache', 'newsroom-synth');
  const newsroom = settingsFor(options.settings);
  const hash = inputsHash(
    JSON.stringify(newsroom) +
      (options.app ? `\n${options.app}\n${readFileSync(join(ROOT, options.app), 'utf8')}` : ''),
  );
  const dir = join(cacheDir, hash);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  await mkdir(cacheDir, { recursive: true });
  const building = `${dir}.${process.pid}.partial`;
  rmSync(building, { recursive: true, force: true });
  options.log?.('synthesizing the CDK app (cdk synth), once for this checkout and these settings');
  try {
    await run(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
        'synth',
        ...(options.app ? ['--app', `npx tsx ${options.app}`] : []),
        '--quiet',
        '--output',
        building,
        '--context',
        `newsroom=${JSON.stringify(newsroom)}`,
      ],
      {
        cwd: ROOT,
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
  } catch (err) {
    rmSync(building, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new Error(`cdk synth failed:\n${e.stderr ?? e.message}`, { cause: err });
  }
  // Another process may have made the same folder meanwhile: theirs is as good.
  if (existsSync(dir)) rmSync(building, { recursive: true, force: true });
  else renameSync(building, dir);
  return dir;
}

/** cdk.json's `newsroom` settings with the given ones over them. */
export function settingsFor(settings: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: { newsroom: Record<string, unknown> };
  };
  return { ...cdkJson.context.newsroom, ...settings };
}

function inputsHash(settings: string): string {
  const hash = createHash('sha256').update(settings).update(process.version);
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path).sort()) visit(join(path, entry));
      return;
    }
    hash.update(relative(ROOT, path)).update('\0').update(readFileSync(path)).update('\0');
  };
  for (const input of INPUTS) {
    const path = join(ROOT, input);
    if (existsSync(path)) visit(path);
  }
  return hash.digest('hex').slice(0, 20);
}

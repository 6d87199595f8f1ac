/**
 * `npm start` as a newsroom runs it, timed from the command to the home page answering 200 through the
 * local distribution: the first time on a fresh clone (nothing synthesized yet: an empty synthesis cache
 * and an empty data folder) and again warm (the same checkout, started a second time). Prints JSON.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../local/cognito.ts';

const root = process.cwd();

async function timedStart(env: Record<string, string>): Promise<{ ms: number; child: ChildProcess }> {
  const site = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    cwd: root,
    env: {
      ...process.env,
      ...env,
      NODE_OPTIONS: '--openssl-legacy-provider',
      PORT: String(site),
      S3_PORT: String(await freePort()),
      DYNAMODB_PORT: String(await freePort()),
      AWS_SERVICES_PORT: String(await freePort()),
      COGNITO_PORT: String(await freePort()),
    },
    stdio: 'ignore',
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode})`);
    try {
      const res = await fetch(`http://127.0.0.1:${site}/`);
      if (res.status === 200) return { ms: performance.now() - t0, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}

const cache = mkdtempSync(join(root, 'node_modules/.cache/start-synth-'));
const native = mkdtempSync(join(root, 'node_modules/.cache/start-native-'));
const data = mkdtempSync(join(root, 'node_modules/.cache/start-data-'));
try {
  // Nothing synthesized and no native packages installed yet, as on a fresh clone.
  const env = { NEWSROOM_SYNTH_CACHE: cache, NEWSROOM_NATIVE_CACHE: native, LOCAL_DATA_DIR: data };
  const first = await timedStart(env);
  await stop(first.child);
  const warm = await timedStart(env);
  await stop(warm.child);
  console.log(JSON.stringify({ firstMs: Math.round(first.ms), warmMs: Math.round(warm.ms) }));
} finally {
  rmSync(cache, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
  rmSync(native, { recursive: true, force: true });
}

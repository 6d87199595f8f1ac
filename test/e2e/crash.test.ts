import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EditorReport } from '#shared/ports.ts';
import { freePort } from '../../local/cognito.ts';
import { ENDPOINTS_FILE, type LocalCredentials } from '../../local/stack.ts';
import { draftText, ROOT } from '../support/site.ts';

const DRAFTS = 200;
let dataDir: string;
let ports: { s3: number; dynamo: number; site: number; services: number; cognito: number };
/** The buckets as the template names them (what `npm start` prints). */
let names: { draftsBucket: string; siteBucket: string };
let child: ChildProcess | undefined;
/** The editors' uploads, with an editor's credentials. */
let s3: S3Client;
/** What no person of the newsroom reads (the site bucket), as the deployment's administrator. */
let admin: S3Client;

/** `npm start`, as a newsroom runs it: its own process, the state in a folder, ready when it says so. */
async function start(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', '--no-examples'], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOCAL_DATA_DIR: dataDir,
      S3_PORT: String(ports.s3),
      DYNAMODB_PORT: String(ports.dynamo),
      PORT: String(ports.site),
      AWS_SERVICES_PORT: String(ports.services),
      COGNITO_PORT: String(ports.cognito),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Newsroom pipeline running locally')) resolve();
    });
    proc.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output}`)));
    // A start that never says it is ready fails with what it printed, not with the test's timeout.
    setTimeout(() => reject(new Error(`npm start was not ready after 120 s:\n${output}`)), 120_000).unref();
  });
  return proc;
}

function kill9(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

const keyOf = (i: number) => `xa-hoi/tin-khan-${String(i).padStart(3, '0')}.md`;
const pathOf = (i: number) => `xa-hoi/tin-khan-so-${i}/index.html`;

async function read(bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await (bucket === names.siteBucket ? admin : s3).send(
      new GetObjectCommand({ Bucket: bucket, Key: key }),
    );
    return await out.Body?.transformToString();
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'newsroom-crash-'));
  ports = {
    s3: await freePort(),
    dynamo: await freePort(),
    site: await freePort(),
    services: await freePort(),
    cognito: await freePort(),
  };
});

afterAll(async () => {
  if (child && child.exitCode === null) await kill9(child);
  s3?.destroy();
  admin?.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

it('loses no draft when killed with SIGKILL during a burst of 200 uploads: a plain restart publishes every one', async () => {
  child = await start();
  const endpoints = JSON.parse(readFileSync(join(dataDir, ENDPOINTS_FILE), 'utf8'));
  names = { draftsBucket: endpoints.DRAFTS_BUCKET, siteBucket: endpoints.SITE_BUCKET };
  const client = (credentials: LocalCredentials) =>
    new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${ports.s3}`,
      forcePathStyle: true,
      credentials,
      // The process is killed under some uploads: those fail once, and the editor sends them again.
      maxAttempts: 1,
    });
  s3 = client(endpoints.credentials.editor);
  admin = client(endpoints.credentials.deployment);
  const answered = new Set<number>();
  let killed: Promise<void> | undefined;
  // Twenty editors at once; the process is killed once half the uploads were accepted.
  let next = 0;
  const editor = async () => {
    while (next < DRAFTS) {
      const i = next++;
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: names.draftsBucket,
            Key: keyOf(i),
            Body: draftText({ title: `Tin khẩn số ${i}` }),
          }),
        );
        answered.add(i);
        if (answered.size === DRAFTS / 2 && child) killed = kill9(child);
      } catch {
        // Refused: the process is gone; sent again after the restart.
      }
    }
  };
  await Promise.all(Array.from({ length: 20 }, editor));
  await killed;
  expect(answered.size).toBeGreaterThanOrEqual(DRAFTS / 2);
  expect(answered.size).toBeLessThan(DRAFTS);

  // A plain start, nothing else; then the editors send again what was refused.
  child = await start();
  for (let i = 0; i < DRAFTS; i++) {
    if (answered.has(i)) continue;
    await s3.send(
      new PutObjectCommand({
        Bucket: names.draftsBucket,
        Key: keyOf(i),
        Body: draftText({ title: `Tin khẩn số ${i}` }),
      }),
    );
  }

  // Every draft in the bucket gets its report and its page, with no other step.
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: names.draftsBucket, Prefix: 'xa-hoi/' }));
  const keys = (listed.Contents ?? []).map((o) => o.Key);
  expect(keys).toHaveLength(DRAFTS);
  const missing = async () => {
    const left: number[] = [];
    for (let i = 0; i < DRAFTS; i++) {
      const report = await read(names.draftsBucket, `reports/${keyOf(i)}.json`);
      const published = report && (JSON.parse(report) as EditorReport).status === 'published';
      if (!published || (await read(names.siteBucket, pathOf(i))) === undefined) left.push(i);
    }
    return left;
  };
  let left = await missing();
  for (let tries = 0; left.length > 0 && tries < 120; tries++) {
    await new Promise((r) => setTimeout(r, 1000));
    left = await missing();
  }
  expect(left).toEqual([]);
  // And the lists know them all: the section's first page names the newest.
  expect(await read(names.siteBucket, 'xa-hoi/index.html')).toContain('href="/xa-hoi/tin-khan-so-');
}, 300_000);

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import dynalite from 'dynalite';
import S3rver, { type S3rverEvent } from 's3rver';
import { startModuleWorker } from '#shared/adapters/workers/start-worker.ts';
import { type AccessRecords, Authorizer } from './iam/authorizer.ts';
import { dynamoGate, s3Gate } from './iam/gates.ts';
import type { IamModel } from './iam/model.ts';
import { createVersioningProxy } from './s3-versions.ts';

/** The stand-ins' credentials: s3rver's own key pair. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface StandInOptions {
  readonly s3Dir: string;
  /** Where dynalite keeps the tables; in memory when absent (tests: faster, and nothing to keep). */
  readonly dynamoDir?: string;
  readonly s3Port: number;
  readonly dynamoPort: number;
  readonly buckets: readonly string[];
  /** Buckets versioned as S3 versions them (kept beside `s3Dir`); s3rver has no versions of its own. */
  readonly versionedBuckets?: readonly string[];
  /**
   * Decide every request as IAM would, by the template's policies (local/iam/); without it every request
   * signed with `LOCAL_CREDENTIALS` is allowed.
   */
  readonly iam?: IamModel;
  /** Told when the stand-ins' thread fails after it started (every call to them then fails too). */
  readonly onFailure?: (error: Error) => void;
}

export interface StandIns {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  /** S3 event notifications, as s3rver emits them once an object is stored or deleted. */
  onS3Event(listener: (event: S3rverEvent) => void): void;
  /**
   * Resolves once every event the stand-ins emitted before the call has reached the listeners. An upload's
   * answer can come back before its event does (they travel on different channels); this orders them.
   */
  flush(): Promise<void>;
  /** What each caller did and was refused, as the stand-ins decided it (empty without an IAM model). */
  accessRecords(): Promise<AccessRecords>;
  close(): Promise<void>;
}

type FromWorker =
  | { readonly kind: 'ready'; readonly s3Port: number; readonly dynamoPort: number }
  | { readonly kind: 'event'; readonly event: S3rverEvent }
  | { readonly kind: 'flushed' }
  | { readonly kind: 'records'; readonly records: AccessRecords }
  | { readonly kind: 'closed' }
  | { readonly kind: 'failed'; readonly error: string };

type ToWorker = 'flush' | 'records' | 'close';

const ROLE = 'newsroom-stand-ins';

/**
 * The S3 and DynamoDB stand-ins (s3rver, dynalite) on a worker thread of their own. Serving the SDK's
 * requests is most of the local stack's CPU (parsing, signing checks, LevelDB, files); on a thread of their
 * own they take another core while the handlers run here. They listen on 127.0.0.1 only.
 */
export async function startStandIns(options: StandInOptions): Promise<StandIns> {
  const { onFailure, ...data } = options;
  const worker = startModuleWorker(import.meta.url, { role: ROLE, options: data });
  const listeners: ((event: S3rverEvent) => void)[] = [];
  const flushes: (() => void)[] = [];
  const recordsWanted: ((records: AccessRecords) => void)[] = [];
  let closed: (() => void) | undefined;
  const ready = new Promise<{ s3Port: number; dynamoPort: number }>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the stand-ins' thread stopped (exit code ${code})`)));
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'ready') resolve(message);
      else if (message.kind === 'failed') reject(new Error(message.error));
      else if (message.kind === 'event') for (const listener of listeners) listener(message.event);
      else if (message.kind === 'flushed') flushes.shift()?.();
      else if (message.kind === 'records') recordsWanted.shift()?.(message.records);
      else closed?.();
    });
  });
  const { s3Port, dynamoPort } = await ready;
  let closing = false;
  worker.on('error', (error) => onFailure?.(error));
  worker.on('exit', (code) => {
    if (!closing) onFailure?.(new Error(`the stand-ins' thread stopped (exit code ${code})`));
  });
  return {
    s3Endpoint: `http://127.0.0.1:${s3Port}`,
    dynamoEndpoint: `http://127.0.0.1:${dynamoPort}`,
    onS3Event: (listener) => void listeners.push(listener),
    flush() {
      // The thread answers in order: its answer comes after every event it posted before it.
      const flushed = new Promise<void>((resolve) => flushes.push(resolve));
      worker.postMessage('flush' satisfies ToWorker);
      return flushed;
    },
    accessRecords() {
      const answered = new Promise<AccessRecords>((resolve) => recordsWanted.push(resolve));
      worker.postMessage('records' satisfies ToWorker);
      return answered;
    },
    async close() {
      const done = new Promise<void>((resolve) => {
        closed = resolve;
      });
      closing = true;
      worker.postMessage('close' satisfies ToWorker);
      await done;
      await worker.terminate();
    },
  };
}

async function serve(
  port: NonNullable<typeof parentPort>,
  options: Omit<StandInOptions, 'onFailure'>,
): Promise<void> {
  const s3rver = new S3rver({
    address: '127.0.0.1',
    // Behind the versioning layer, which takes the port the clients were given.
    port: 0,
    silent: true,
    directory: options.s3Dir,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  const inner = await s3rver.run();
  const authorizer = options.iam ? new Authorizer(options.iam) : undefined;
  const versions = createVersioningProxy({
    ...(authorizer ? { gate: s3Gate(authorizer) } : {}),
    target: { host: '127.0.0.1', port: inner.port },
    dir: `${options.s3Dir}-versions`,
    versioned: options.versionedBuckets ?? [],
    credentials: LOCAL_CREDENTIALS,
    region: 'us-east-1',
  });
  versions.listen(options.s3Port, '127.0.0.1');
  await once(versions, 'listening');
  const s3Address = versions.address() as AddressInfo;
  const dynamo = dynalite({
    ...(options.dynamoDir ? { path: options.dynamoDir } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  // With an IAM model, dynalite is behind the gate, which takes the port the clients were given.
  dynamo.listen(authorizer ? 0 : options.dynamoPort, '127.0.0.1');
  await once(dynamo, 'listening');
  const gate = authorizer
    ? dynamoGate(authorizer, { host: '127.0.0.1', port: (dynamo.address() as AddressInfo).port })
    : undefined;
  if (gate) {
    gate.listen(options.dynamoPort, '127.0.0.1');
    await once(gate, 'listening');
  }
  s3rver.on('event', (event: S3rverEvent) => port.postMessage({ kind: 'event', event } satisfies FromWorker));
  port.on('message', async (message: ToWorker) => {
    if (message === 'flush') {
      port.postMessage({ kind: 'flushed' } satisfies FromWorker);
      return;
    }
    if (message === 'records') {
      port.postMessage({ kind: 'records', records: authorizer?.records() ?? {} } satisfies FromWorker);
      return;
    }
    if (gate) {
      gate.closeAllConnections();
      await new Promise<void>((resolve) => gate.close(() => resolve()));
    }
    await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    versions.closeAllConnections();
    await new Promise<void>((resolve) => versions.close(() => resolve()));
    await s3rver.close();
    port.postMessage({ kind: 'closed' } satisfies FromWorker);
  });
  const dynamoPort = ((gate ?? dynamo).address() as AddressInfo).port;
  port.postMessage({ kind: 'ready', s3Port: s3Address.port, dynamoPort } satisfies FromWorker);
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE && parentPort) {
  const port = parentPort;
  serve(port, (workerData as { options: Omit<StandInOptions, 'onFailure'> }).options).catch(
    (error: unknown) => port.postMessage({ kind: 'failed', error: String(error) } satisfies FromWorker),
  );
}

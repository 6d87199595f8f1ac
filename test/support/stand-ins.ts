import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT_OPTIONS } from '#shared/adapters/client-options.ts';

/**
 * A call to a stand-in that stalls (no answer, no reset) fails as it would in a function (10 s without a
 * byte) instead of waiting forever; the SDK retries it like any other transient failure.
 */
const STALLED_CALL = AWS_CLIENT_OPTIONS.requestHandler;

import { readCloudAssembly } from '../../local/cloud-assembly.ts';
import { ensureTable, type LocalStack, tableDefinitions } from '../../local/stack.ts';
import { startStandIns as startLocalStandIns } from '../../local/stand-ins.ts';
import { synthesize } from '../../local/synth.ts';

/** The tables as the synthesized stateful stack defines them (synthesized once per run, by the global setup). */
async function templateTables(): Promise<{
  articles: Record<string, unknown>;
  comments: Record<string, unknown>;
}> {
  const tables = tableDefinitions(readCloudAssembly(await synthesize()));
  const byPrefix = (prefix: string) => {
    const found = [...tables.entries()].find(([id]) => id.startsWith(prefix))?.[1];
    if (!found) throw new Error(`the template has no ${prefix} table`);
    return found;
  };
  return { articles: byPrefix('Articles'), comments: byPrefix('Comments') };
}

/** s3rver and dynalite on free loopback ports (as the local stack starts them), with SDK clients set up as the handlers' would be. */
export async function startStandIns(buckets: string[] = ['drafts', 'site'], versionedBuckets: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'newsroom-test-'));
  // The local stack's own stand-ins, on their worker thread; the table in memory.
  const standIns = await startLocalStandIns({
    s3Dir: join(dir, 's3'),
    s3Port: 0,
    dynamoPort: 0,
    buckets,
    versionedBuckets,
  });
  const { s3Endpoint, dynamoEndpoint } = standIns;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: s3Endpoint,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: STALLED_CALL,
  });
  const dynamoClient = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: dynamoEndpoint,
    credentials,
    requestHandler: STALLED_CALL,
  });
  const documents = DynamoDBDocumentClient.from(dynamoClient, {
    marshallOptions: { removeUndefinedValues: true },
  });
  let tables = 0;
  return {
    s3,
    documents,
    s3Endpoint,
    dynamoEndpoint,
    /** A fresh article table, and its comments table beside it ({@link commentTableOf}). */
    async table(): Promise<string> {
      tables += 1;
      const name = `articles-${tables}`;
      const { articles, comments } = await templateTables();
      await ensureTable(dynamoClient, name, articles);
      await ensureTable(dynamoClient, commentTableOf(name), comments);
      return name;
    },
    async stop() {
      s3.destroy();
      dynamoClient.destroy();
      await standIns.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Fault = 'fail' | 'throttle' | undefined;

/**
 * Makes a client fail some of its calls, as AWS does now and then: `plan(command, n)` is asked for the n-th
 * call of each command. A `throttle` is answered inside the SDK's retry loop (the SDK backs off and tries
 * again); a `fail` reaches the caller, as an outage outlasting the retries would.
 */
export function injectFaults(
  client: { middlewareStack: S3Client['middlewareStack'] | DynamoDBClient['middlewareStack'] },
  plan: (command: string, n: number) => Fault,
): { readonly injected: Map<string, number>; arm(on: boolean): void } {
  const calls = new Map<string, number>();
  const injected = new Map<string, number>();
  let armed = false;
  const count = (command: string) => {
    const n = (calls.get(command) ?? 0) + 1;
    calls.set(command, n);
    return n;
  };
  const note = (command: string) => injected.set(command, (injected.get(command) ?? 0) + 1);
  const stack = client.middlewareStack as unknown as {
    add(mw: unknown, options: { step: string; name: string }): void;
  };
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName: string }) =>
      async (args: unknown) => {
        if (armed && plan(context.commandName, count(`${context.commandName}:call`)) === 'fail') {
          note(context.commandName);
          throw Object.assign(new Error(`injected failure of ${context.commandName}`), {
            name: 'InjectedOutage',
          });
        }
        return next(args);
      },
    { step: 'initialize', name: 'injectOutages' },
  );
  stack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName: string }) =>
      async (args: unknown) => {
        if (armed && plan(context.commandName, count(`${context.commandName}:attempt`)) === 'throttle') {
          note(context.commandName);
          throw Object.assign(new Error('Rate exceeded'), {
            name: 'ThrottlingException',
            $fault: 'client',
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
    { step: 'deserialize', name: 'injectThrottling' },
  );
  return {
    injected,
    arm(on: boolean) {
      armed = on;
    },
  };
}

/** New clients for the same stand-ins, for a test that changes how they behave. */
export function clientsFor(endpoints: { s3Endpoint: string; dynamoEndpoint: string }) {
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: endpoints.s3Endpoint,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: STALLED_CALL,
  });
  const dynamo = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: endpoints.dynamoEndpoint,
    credentials,
    requestHandler: STALLED_CALL,
  });
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  return { s3, dynamo, documents };
}

/** The comments table made beside an article table by the stand-ins' `table()`. */
export function commentTableOf(articleTable: string): string {
  return `${articleTable}-comments`;
}

/**
 * An S3 client for a running local stack, as an editor's AWS CLI or SDK is set up against it (the editors'
 * policy of the template), or as the deployment's administrator for what no person of the newsroom does.
 */
export function s3Of(
  stack: Pick<LocalStack, 's3Endpoint' | 'credentials'>,
  as: keyof LocalStack['credentials'] = 'editor',
): S3Client {
  return new S3Client({
    region: 'us-east-1',
    endpoint: stack.s3Endpoint,
    forcePathStyle: true,
    credentials: stack.credentials[as],
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

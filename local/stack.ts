import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { AWS_CLIENT_OPTIONS } from '#shared/adapters/client-options.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoLeaseStore } from '#shared/adapters/dynamodb/leases.ts';
import { ARTICLE_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { FileEdgeRules } from '#shared/adapters/file/edge-rules.ts';
import { TimerPublishScheduler } from '#shared/adapters/file/timer-scheduler.ts';
import { S3DraftStore, S3SiteStore } from '#shared/adapters/s3/stores.ts';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import { messageGroupOf } from '#shared/adapters/sqs/render-queue.ts';
import { WorkerDraftParser } from '#shared/adapters/workers/draft-parser.ts';
import type { SiteConfig } from '#shared/domain/site.ts';
import type { Log, RenderQueue } from '#shared/ports.ts';
import { refreshAllLists } from '#shared/use-cases/lists.ts';
import { type RebuildProgress, rebuildSite } from '#shared/use-cases/rebuild.ts';
import { publishSiteFrame } from '#shared/use-cases/site-frame.ts';
import { makeIngestHandler } from '../functions/ingest/handler.ts';
import { makeRenderHandler } from '../functions/render/handler.ts';
import { LocalCdn } from './cdn.ts';
import { LocalQueue } from './queue.ts';
import { toS3EventRecord } from './s3-notifications.ts';
import { createSiteServer, REBUILD_TOKEN_FILE } from './site-server.ts';

export { REBUILD_TOKEN_FILE };

import { startStandIns } from './stand-ins.ts';

export const LOCAL_NAMES = { draftsBucket: 'drafts', siteBucket: 'site', articleTable: 'articles' } as const;
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const REGION = 'us-east-1';

export interface LocalStackOptions {
  readonly site: SiteConfig;
  /** Where the stand-ins keep their files; state survives a restart. */
  readonly dataDir: string;
  readonly s3Port: number;
  readonly dynamoPort: number;
  readonly sitePort: number;
  /** Start from empty state. */
  readonly reset?: boolean;
  /** A folder of drafts to upload at start (those not in the bucket yet). */
  readonly examplesDir?: string;
  /** Cache as CloudFront does in front of the site (the default); off, every read goes to the bucket. */
  readonly cdnCaching?: boolean;
  /** The CDN's clock (milliseconds); tests move it on to let lists expire as a minute would. */
  readonly cdnNow?: () => number;
  readonly log?: (line: string) => void;
}

export interface LocalStack {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly siteUrl: string;
  readonly queue: LocalQueue;
  /** What readers read through; the pipeline invalidates it as it invalidates CloudFront. */
  readonly cdn: LocalCdn;
  /** What `npm run rebuild` sends to be let in (also in `<dataDir>/rebuild-token`). */
  readonly rebuildToken: string;
  /** Resolves when every change uploaded so far has been processed. */
  whenIdle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole pipeline on one machine: the S3 stand-in (s3rver) and the DynamoDB stand-in (dynalite) on a
 * thread of their own, the real ingest and lists handlers fed by local queues (real S3 event records in
 * SQS-shaped batches), and the site served over HTTP through a model of the CloudFront distribution. Only
 * the queues and the CDN are local stand-ins; every other adapter is the AWS one.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  if (options.reset) rmSync(options.dataDir, { recursive: true, force: true });
  const s3Dir = join(options.dataDir, 's3');
  const dynamoDir = join(options.dataDir, 'dynamodb');
  await mkdir(s3Dir, { recursive: true });
  await mkdir(dynamoDir, { recursive: true });

  const standIns = await startStandIns({
    s3Dir,
    dynamoDir,
    s3Port: options.s3Port,
    dynamoPort: options.dynamoPort,
    buckets: [LOCAL_NAMES.draftsBucket, LOCAL_NAMES.siteBucket],
    onFailure: (error) => log(`error: the S3 and DynamoDB stand-ins failed: ${error.message}`),
  });
  const { s3Endpoint, dynamoEndpoint } = standIns;
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DRAFTS_BUCKET: LOCAL_NAMES.draftsBucket,
    SITE_BUCKET: LOCAL_NAMES.siteBucket,
    ARTICLE_TABLE: LOCAL_NAMES.articleTable,
    SITE_CONFIG: JSON.stringify(options.site),
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  });

  // Made as the functions make theirs.
  const s3 = new S3Client(AWS_CLIENT_OPTIONS);
  const dynamoClient = new DynamoDBClient(AWS_CLIENT_OPTIONS);
  await ensureArticleTable(dynamoClient, LOCAL_NAMES.articleTable);
  const site = new S3SiteStore(s3, LOCAL_NAMES.siteBucket);
  const documents = DynamoDBDocumentClient.from(dynamoClient, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const index = new DynamoArticleIndex(documents, LOCAL_NAMES.articleTable);
  await publishSiteFrame(site, options.site);
  await refreshAllLists({ site, index, config: options.site });

  const edgeRules = new FileEdgeRules(join(options.dataDir, 'edge-rules.json'));
  // Scheduled drafts come back through the ingest queue when due, as EventBridge Scheduler invokes the function.
  const scheduler = new TimerPublishScheduler(join(options.dataDir, 'schedules.json'), (draftKey, at) => {
    log(`scheduled draft due: ${draftKey}`);
    queue.send(JSON.stringify({ scheduledPublish: { draftKey, at: at.toISOString() } }));
  });
  const cdn = new LocalCdn({
    site,
    config: options.site,
    edgeRules: (path) => edgeRules.value(path),
    caching: options.cdnCaching ?? true,
    ...(options.cdnNow ? { now: options.cdnNow } : {}),
  });
  const renderDeps = { site, index, cdn, config: options.site, log: localLog(log) };
  // Batches of up to ten, as the deployed event sources deliver them (infra/pipeline-stack.ts).
  const renderQueue = new LocalQueue(makeRenderHandler(renderDeps), {
    batchSize: 10,
    onDeadLetter: (body, error) => log(`render job dead-lettered after retries: ${body} (${String(error)})`),
  });
  const render: RenderQueue = {
    async send(jobs) {
      for (const job of jobs) renderQueue.send(JSON.stringify(job), messageGroupOf(job.view));
    },
  };
  const ingestDeps = {
    ...renderDeps,
    drafts: new S3DraftStore(s3, LOCAL_NAMES.draftsBucket),
    render,
    leases: new DynamoLeaseStore(documents, LOCAL_NAMES.articleTable),
    edge: edgeRules,
    scheduler,
    images: new SharpRenditions(),
  };
  const ingest = makeIngestHandler({ ...ingestDeps, draftsBucket: LOCAL_NAMES.draftsBucket });
  const queue = new LocalQueue((event) => ingest(event) as Promise<SQSBatchResponse | undefined>, {
    batchSize: 10,
    onDeadLetter: (body, error) =>
      log(`draft event dead-lettered after retries: ${body.slice(0, 200)} (${String(error)})`),
  });
  standIns.onS3Event((event) => {
    for (const raw of event.Records) {
      if (raw.s3.bucket.name !== LOCAL_NAMES.draftsBucket) continue;
      const record = toS3EventRecord(raw, REGION);
      if (record) queue.send(JSON.stringify({ Records: [record] }));
    }
  });
  const whenIdle = async () => {
    do {
      // Events of uploads already answered may still be on their way from the stand-ins' thread.
      await standIns.flush();
      await queue.whenIdle();
      await renderQueue.whenIdle();
    } while (queue.size > 0 || renderQueue.size > 0);
  };

  const rebuild = async (onProgress: (progress: RebuildProgress) => void) => {
    // The drafts are parsed on the machine's other cores while this thread writes the site.
    const parser = new WorkerDraftParser(options.site);
    try {
      const result = await rebuildSite(
        { ...ingestDeps, parse: parser.parse },
        { now: new Date(), onProgress },
      );
      await whenIdle();
      return result;
    } finally {
      await parser.close();
    }
  };
  // Only this user can read the token: another account on the laptop cannot rebuild.
  const rebuildToken = randomBytes(24).toString('base64url');
  await writeFile(join(options.dataDir, REBUILD_TOKEN_FILE), `${rebuildToken}\n`, { mode: 0o600 });
  const server: Server = createSiteServer({ cdn, rebuild: { token: rebuildToken, run: rebuild } });
  server.listen(options.sitePort, '127.0.0.1');
  await once(server, 'listening');
  const siteUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  if (options.examplesDir) {
    const uploaded = await uploadMissing(s3, options.examplesDir);
    if (uploaded > 0) log(`uploaded ${uploaded} example files to s3://${LOCAL_NAMES.draftsBucket}/`);
    await whenIdle();
  }

  return {
    s3Endpoint,
    dynamoEndpoint,
    siteUrl,
    queue,
    cdn,
    rebuildToken,
    whenIdle,
    async stop() {
      scheduler.stop();
      await whenIdle();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await standIns.close();
      s3.destroy();
      dynamoClient.destroy();
    },
  };
}

/** What the pipeline says, as one line each on the console. */
function localLog(print: (line: string) => void): Log {
  const line = (level: string, message: string, extra: Record<string, unknown>[]) => {
    const detail = extra.map((e) => (e.path ?? e.draftKey ?? e.error ?? '') as string).join(' ');
    print(`${level}${message}${detail ? `: ${detail}` : ''}`);
  };
  return {
    info: (m, ...e) => line('', m, e),
    warn: (m, ...e) => line('warning: ', m, e),
    error: (m, ...e) => line('error: ', m, e),
  };
}

export async function ensureArticleTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
  const { indexes, teaserAttributes } = ARTICLE_TABLE;
  const listProjection = { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...teaserAttributes] };
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: ARTICLE_TABLE.partitionKey, AttributeType: 'S' },
        { AttributeName: indexes.byTime.partitionKey, AttributeType: 'S' },
        { AttributeName: indexes.bySection.partitionKey, AttributeType: 'S' },
        { AttributeName: indexes.byTime.sortKey, AttributeType: 'S' },
        { AttributeName: indexes.byDraft.partitionKey, AttributeType: 'S' },
        { AttributeName: indexes.byTag.partitionKey, AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: ARTICLE_TABLE.partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: indexes.byTime.name,
          KeySchema: [
            { AttributeName: indexes.byTime.partitionKey, KeyType: 'HASH' },
            { AttributeName: indexes.byTime.sortKey, KeyType: 'RANGE' },
          ],
          Projection: listProjection,
        },
        {
          IndexName: indexes.bySection.name,
          KeySchema: [
            { AttributeName: indexes.bySection.partitionKey, KeyType: 'HASH' },
            { AttributeName: indexes.bySection.sortKey, KeyType: 'RANGE' },
          ],
          Projection: listProjection,
        },
        {
          IndexName: indexes.byDraft.name,
          KeySchema: [{ AttributeName: indexes.byDraft.partitionKey, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: indexes.byTag.name,
          KeySchema: [
            { AttributeName: indexes.byTag.partitionKey, KeyType: 'HASH' },
            { AttributeName: indexes.byTag.sortKey, KeyType: 'RANGE' },
          ],
          Projection: listProjection,
        },
      ],
    }),
  );
  // A new table answers "not found" to item requests until it is ACTIVE (dynalite too, for a moment).
  for (let attempt = 0; ; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' || attempt >= 200) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Uploads every file below `dir` that the drafts bucket does not have yet, images before drafts. */
async function uploadMissing(s3: S3Client, dir: string): Promise<number> {
  const files = (readdirSync(dir, { recursive: true }) as string[])
    .map((f) => relative(dir, join(dir, f)).split(sep).join('/'))
    .filter((f) => /\.(md|jpe?g|png|webp|gif|avif)$/i.test(f))
    .sort((a, b) => Number(a.endsWith('.md')) - Number(b.endsWith('.md')) || a.localeCompare(b));
  let uploaded = 0;
  for (const key of files) {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: LOCAL_NAMES.draftsBucket, Key: key }));
      continue;
    } catch (err) {
      if ((err as { name?: string }).name !== 'NotFound') throw err;
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: LOCAL_NAMES.draftsBucket,
        Key: key,
        Body: readFileSync(join(dir, key)),
      }),
    );
    uploaded += 1;
  }
  return uploaded;
}

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutBucketCorsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import type { SQSBatchResponse } from 'aws-lambda';
import { AWS_CLIENT_OPTIONS, storeClients } from '#shared/adapters/client-options.ts';
import { ARTICLE_TABLE, COMMENT_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { FileEdgeRules } from '#shared/adapters/file/edge-rules.ts';
import { TimerPublishScheduler } from '#shared/adapters/file/timer-scheduler.ts';
import { MemoryOpsMetrics } from '#shared/adapters/memory/index.ts';
import { S3SiteStore } from '#shared/adapters/s3/stores.ts';
import { messageGroupOf } from '#shared/adapters/sqs/render-queue.ts';
import { WorkerDraftParser } from '#shared/adapters/workers/draft-parser.ts';
import { deskUploadCors } from '#shared/desk/cors.ts';
import type { SiteConfig } from '#shared/domain/site.ts';
import type { Log, RenderQueue } from '#shared/ports.ts';
import { refreshAllLists } from '#shared/use-cases/lists.ts';
import { type RebuildProgress, rebuildSite } from '#shared/use-cases/rebuild.ts';
import { publishSiteFrame } from '#shared/use-cases/site-frame.ts';
import { composeComments } from '../functions/comments/compose.ts';
import { makeCommentsHandler } from '../functions/comments/handler.ts';
import { composeDesk } from '../functions/desk/compose.ts';
import { makeDeskHandler } from '../functions/desk/handler.ts';
import { composeIngest } from '../functions/ingest/compose.ts';
import { makeIngestHandler } from '../functions/ingest/handler.ts';
import { composeRender } from '../functions/render/compose.ts';
import { makeRenderHandler } from '../functions/render/handler.ts';
import { EVENT_SOURCES } from '../infra/event-sources.ts';
import { LocalCdn } from './cdn.ts';
import { ensureDeskUsers, LocalEditorSignIn, verifyDeskToken } from './desk-users.ts';
import { LocalQueue } from './queue.ts';
import { toS3EventRecord } from './s3-notifications.ts';
import { createSiteServer, REBUILD_TOKEN_FILE } from './site-server.ts';

export { REBUILD_TOKEN_FILE };

import { LOCAL_CREDENTIALS, startStandIns } from './stand-ins.ts';

export const LOCAL_NAMES = {
  draftsBucket: 'drafts',
  siteBucket: 'site',
  articleTable: 'articles',
  commentTable: 'comments',
} as const;
export { LOCAL_CREDENTIALS } from './stand-ins.ts';

const REGION = 'us-east-1';

export interface LocalStackOptions {
  readonly site: SiteConfig;
  /** How often the moderators' digest is printed (every 15 minutes unless set). */
  readonly digestEveryMs?: number;
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
  /** How often the periodic reconcile runs (a minute), and how old an upload must be to count as lost. */
  readonly reconcileEveryMs?: number;
  readonly reconcileSettleMs?: number;
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
  /** The desk's first editor, made on the first start (the users file keeps it after). */
  readonly deskUser?: { readonly username: string; readonly password: string };
  /** Resolves when every change uploaded so far has been processed. */
  whenIdle(): Promise<void>;
  /** Runs a reconcile now, counting every difference at once (none is left to its event), and waits for it. */
  reconcile(): Promise<void>;
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
    versionedBuckets: [LOCAL_NAMES.draftsBucket],
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
    COMMENT_TABLE: LOCAL_NAMES.commentTable,
    SITE_CONFIG: JSON.stringify(options.site),
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  });

  // Made as the functions make theirs, from the environment above.
  const clients = storeClients();
  const { s3, documents } = clients;
  const dynamoClient = new DynamoDBClient(AWS_CLIENT_OPTIONS);
  await ensureArticleTable(dynamoClient, LOCAL_NAMES.articleTable);
  await ensureCommentTable(dynamoClient, LOCAL_NAMES.commentTable);
  // What the CDN model reads, as CloudFront reads the bucket.
  const site = new S3SiteStore(s3, LOCAL_NAMES.siteBucket);
  // One local stack per folder: a lease still in the table is a killed run's, and nobody holds it now.
  const released = await releaseLeftLeases(documents, LOCAL_NAMES.articleTable);
  if (released > 0) log(`released ${released} leases the last run held when it stopped`);

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
  // The functions' own compositions, with what has no AWS here put in: queues, CDN, edge rules, schedules.
  const renderDeps = composeRender(process.env, { clients, cdn, log: localLog(log) });
  await publishSiteFrame(renderDeps.site, options.site);
  await refreshAllLists(renderDeps);
  // Batches and concurrency as the deployed event sources deliver them (infra/event-sources.ts).
  // Both queues keep their messages on disk until handled, as SQS does: a kill at any moment loses none.
  const renderQueue = new LocalQueue(makeRenderHandler(renderDeps), {
    batchSize: EVENT_SOURCES.render.batchSize,
    concurrency: EVENT_SOURCES.render.maxConcurrency,
    dir: join(options.dataDir, 'queues', 'render-jobs'),
    onDeadLetter: (body, error) => log(`render job dead-lettered after retries: ${body} (${String(error)})`),
  });
  const render: RenderQueue = {
    async send(jobs) {
      for (const job of jobs) renderQueue.send(JSON.stringify(job), messageGroupOf(job.view));
    },
  };
  const ingestDeps = composeIngest(process.env, {
    clients,
    render,
    cdn,
    edge: edgeRules,
    scheduler,
    log: localLog(log),
    metrics: new MemoryOpsMetrics(),
  });
  const ingest = makeIngestHandler(ingestDeps);
  const queue = new LocalQueue((event) => ingest(event) as Promise<SQSBatchResponse | undefined>, {
    batchSize: EVENT_SOURCES.ingest.batchSize,
    concurrency: EVENT_SOURCES.ingest.maxConcurrency,
    dir: join(options.dataDir, 'queues', 'draft-events'),
    onDeadLetter: (body, error) =>
      log(`draft event dead-lettered after retries: ${body.slice(0, 200)} (${String(error)})`),
  });
  standIns.onS3Event((event) => {
    for (const raw of event.Records) {
      if (raw.s3.bucket.name !== LOCAL_NAMES.draftsBucket) continue;
      queue.send(JSON.stringify({ Records: [toS3EventRecord(raw, REGION)] }));
    }
  });
  // What a previous run kept and did not finish (it was stopped, or killed).
  const resumed = queue.resume() + renderQueue.resume();
  if (resumed > 0) log(`resumed ${resumed} queued messages from the last run`);
  // Reconcile, as the deployed schedule runs it: at start (an event lost while the stand-ins' thread was
  // killed is found at once, and every difference is brought into line), then every minute.
  let reconciling: Promise<unknown> = Promise.resolve();
  const reconcileNow = (settleMs: number) => {
    reconciling = reconciling
      .then(() => ingest({ reconcile: { budget: Number.MAX_SAFE_INTEGER, settleMs } }))
      .catch((err: unknown) => log(`error: reconcile failed: ${String(err)}`));
    return reconciling;
  };
  const whenIdle = async () => {
    do {
      // Events of uploads already answered may still be on their way from the stand-ins' thread.
      await standIns.flush();
      await reconciling;
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
  // The comments function's own composition; the digest is printed here, as SES would mail it.
  const localOrigins: string[] = [];
  const commentsDeps = composeComments(process.env, {
    clients,
    log: localLog(log),
    metrics: new MemoryOpsMetrics(),
    digest: { send: async (subject, text) => log(`moderators' digest: ${subject}\n${text}`) },
    otherOrigins: localOrigins,
  });
  const comments = makeCommentsHandler(commentsDeps);
  // The desk function's composition, signing editors in from a users file instead of Cognito.
  const deskUser = ensureDeskUsers(options.dataDir);
  const desk = makeDeskHandler(
    composeDesk(process.env, { clients, signIn: new LocalEditorSignIn(options.dataDir), log: localLog(log) }),
  );
  const server: Server = createSiteServer({
    cdn,
    rebuild: { token: rebuildToken, run: rebuild, sendJobs: (jobs) => render.send(jobs) },
    comments: (event) => comments(event),
    desk: {
      handler: desk,
      verify: (authorization) => verifyDeskToken(options.dataDir, authorization),
      uploadOrigin: s3Endpoint,
    },
  });
  server.listen(options.sitePort, '127.0.0.1');
  await once(server, 'listening');
  const sitePort = (server.address() as AddressInfo).port;
  const siteUrl = `http://127.0.0.1:${sitePort}`;
  // Forms on the local site post from its own origin, under either name the server answers to.
  localOrigins.push(siteUrl, `http://localhost:${sitePort}`);
  // The desk's browser uploads straight to the drafts bucket, as it does to S3: CORS for the site's origin.
  await s3.send(
    new PutBucketCorsCommand({
      Bucket: LOCAL_NAMES.draftsBucket,
      CORSConfiguration: { CORSRules: [deskUploadCors(localOrigins)] },
    }),
  );
  // The moderators' digest, as the deployed schedule sends it.
  const digestTimer = setInterval(
    () => void comments({ digest: {} }).catch((err: unknown) => log(`error: digest failed: ${String(err)}`)),
    options.digestEveryMs ?? 15 * 60_000,
  );
  digestTimer.unref();

  await reconcileNow(0);
  const reconcileTimer = setInterval(
    () => void reconcileNow(options.reconcileSettleMs ?? 60_000),
    options.reconcileEveryMs ?? 60_000,
  );
  reconcileTimer.unref();
  if (options.examplesDir) {
    const uploaded = await uploadMissing(s3, options.examplesDir);
    if (uploaded > 0) log(`uploaded ${uploaded} example files to s3://${LOCAL_NAMES.draftsBucket}/`);
    await whenIdle();
  }

  return {
    s3Endpoint,
    dynamoEndpoint,
    siteUrl,
    ...(deskUser ? { deskUser } : {}),
    queue,
    cdn,
    rebuildToken,
    whenIdle,
    reconcile: () => reconcileNow(0).then(() => whenIdle()),
    async stop() {
      clearInterval(reconcileTimer);
      clearInterval(digestTimer);
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
  const { indexes, teaserAttributes, uploadAttributes, archiveAttributes } = ARTICLE_TABLE;
  const include = (attributes: readonly string[]) => ({
    ProjectionType: 'INCLUDE' as const,
    NonKeyAttributes: [...attributes],
  });
  const sorted = (
    index: { name: string; partitionKey: string; sortKey: string },
    attributes: readonly string[],
  ) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
    ],
    Projection: include(attributes),
  });
  const wanted = [
    sorted(indexes.byTime, teaserAttributes),
    sorted(indexes.bySection, teaserAttributes),
    {
      IndexName: indexes.byDraft.name,
      KeySchema: [{ AttributeName: indexes.byDraft.partitionKey, KeyType: 'HASH' as const }],
      Projection: { ProjectionType: 'KEYS_ONLY' as const },
    },
    sorted(indexes.byTag, teaserAttributes),
    sorted(indexes.byUpload, uploadAttributes),
    sorted(indexes.byArchivePage, archiveAttributes),
  ];
  const attributes = [
    ...new Set([
      ARTICLE_TABLE.partitionKey,
      ...wanted.flatMap((i) => i.KeySchema.map((k) => k.AttributeName)),
    ]),
  ].map((AttributeName) => ({ AttributeName, AttributeType: 'S' as const }));

  let existing: string[] | undefined;
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    existing = (Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName ?? '');
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
  if (existing === undefined) {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributes,
        KeySchema: [{ AttributeName: ARTICLE_TABLE.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: wanted,
      }),
    );
  } else {
    // A table made by an older version: the indexes added since, one at a time as DynamoDB allows.
    for (const index of wanted.filter((i) => !existing.includes(i.IndexName))) {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: attributes,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
      await untilActive(client, tableName);
    }
  }
  await untilActive(client, tableName);
}

/** The comments table (COMMENT_TABLE), as the stateful stack makes it: keys, the moderation queue. */
export async function ensureCommentTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { partitionKey, sortKey, indexes } = COMMENT_TABLE;
  const { moderation } = indexes;
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return untilActive(client, tableName);
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [partitionKey, sortKey, moderation.partitionKey, moderation.sortKey].map(
        (AttributeName) => ({ AttributeName, AttributeType: 'S' as const }),
      ),
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: moderation.name,
          KeySchema: [
            { AttributeName: moderation.partitionKey, KeyType: 'HASH' },
            { AttributeName: moderation.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  await untilActive(client, tableName);
}

/** Deletes every lease item (`lease#…`); only for a table no other process uses. */
async function releaseLeftLeases(documents: DynamoDBDocumentClient, table: string): Promise<number> {
  let released = 0;
  const pages = paginateScan(
    { client: documents },
    {
      TableName: table,
      FilterExpression: 'begins_with(pk, :lease)',
      ExpressionAttributeValues: { ':lease': 'lease#' },
      ProjectionExpression: 'pk',
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      await documents.send(new DeleteCommand({ TableName: table, Key: { pk: item.pk } }));
      released += 1;
    }
  }
  return released;
}

/** A new table or index answers "not found" until it is ACTIVE (dynalite too, for a moment). */
async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
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

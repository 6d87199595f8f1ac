import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Event, SQSBatchResponse } from 'aws-lambda';
import {
  MemoryCdnInvalidator,
  MemoryEdgeRules,
  MemoryOpsMetrics,
  MemoryRenderQueue,
  MemoryScheduler,
} from '#shared/adapters/memory/index.ts';
import { messageGroupOf } from '#shared/adapters/sqs/render-queue.ts';
import { refreshAllLists } from '#shared/use-cases/lists.ts';
import { renderViews } from '#shared/use-cases/render.ts';
import { publishSiteFrame } from '#shared/use-cases/site-frame.ts';
import { composeIngest } from '../../functions/ingest/compose.ts';
import { type IngestHandlerDeps, makeIngestHandler } from '../../functions/ingest/handler.ts';
import { composeRender } from '../../functions/render/compose.ts';
import { toS3EventRecord } from '../../local/s3-notifications.ts';
import { silentLog } from './memory-pipeline.ts';
import { SITE } from './site.ts';
import { delivered } from './sqs-events.ts';
import { commentTableOf } from './stand-ins.ts';

let pipelines = 0;

/**
 * How often a delivery is tried before the harness gives up (SQS would move it to the dead-letter queue after
 * five). Tests inject faults at one call in twenty, far more often than AWS fails, so that every step of a
 * change meets one: a change that makes a few dozen calls may need ten tries or more.
 */
const MAX_TRIES = 60;

/** A random source the harness draws its interleavings from (fast-check's, in property tests). */
export type Random = (maxExclusive: number) => number;

/**
 * The real handler and use-case code on the S3 and DynamoDB stand-ins, with the two queues played the way
 * SQS delivers: draft events at least once, in any order and concurrently, retried when they fail; render
 * jobs one at a time per FIFO group, groups concurrently, a failed job redelivered before its group moves on.
 */
export async function concurrentPipeline(
  s3: S3Client,
  documents: DynamoDBDocumentClient,
  table: string,
  /** The editors' own S3 client (uploads, deletions), when it is not the pipeline's. */
  editor: S3Client = s3,
) {
  pipelines += 1;
  const draftsBucket = `drafts-${pipelines}`;
  const siteBucket = `site-${pipelines}`;
  await editor.send(new CreateBucketCommand({ Bucket: draftsBucket }));
  await editor.send(new CreateBucketCommand({ Bucket: siteBucket }));
  const cdn = new MemoryCdnInvalidator();
  const edge = new MemoryEdgeRules();
  // The render queue as SQS FIFO delivers it, grouped as the SQS adapter groups its messages.
  const renderQueue = new MemoryRenderQueue((job) => messageGroupOf(job.view));
  // The ingest function's own composition, on the stand-ins, with the queues and the CDN in memory.
  const env = {
    DRAFTS_BUCKET: draftsBucket,
    SITE_BUCKET: siteBucket,
    ARTICLE_TABLE: table,
    COMMENT_TABLE: commentTableOf(table),
    SITE_CONFIG: JSON.stringify(SITE),
  };
  const deps: IngestHandlerDeps = composeIngest(env, {
    clients: { s3, documents },
    cdn,
    edge,
    scheduler: new MemoryScheduler(),
    log: silentLog,
    metrics: new MemoryOpsMetrics(),
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    // Processing here takes well under a second; a lease left behind by a failed release expires quickly.
    leaseMs: 3000,
    render: renderQueue,
  });
  const ingest = makeIngestHandler(deps);
  const { site, index } = deps;
  // The render function's, beside it: the same stores, its index waits not slept through.
  const renderDeps = composeRender(env, {
    clients: { s3, documents },
    cdn,
    log: silentLog,
    sleep: async () => {},
  });

  await publishSiteFrame(site, SITE);
  await refreshAllLists({ site, index, config: SITE });

  /** Every event S3 sent, in the order it sent them. */
  const sent: S3Event[] = [];
  let failures = 0;

  function eventFor(key: string, eventName: string): S3Event {
    const record = toS3EventRecord({
      eventName,
      eventTime: new Date().toISOString(),
      s3: { bucket: { name: draftsBucket }, object: { key } },
    });
    if (!record) throw new Error(`${key} is not a draft or image`);
    return { Records: [record] };
  }

  return {
    draftsBucket,
    siteBucket,
    site,
    index,
    cdn,
    edge,
    deps,
    sent,
    get failures() {
      return failures;
    },
    async upload(key: string, body: string | Uint8Array): Promise<S3Event> {
      await editor.send(new PutObjectCommand({ Bucket: draftsBucket, Key: key, Body: body }));
      const event = eventFor(key, 'ObjectCreated:Put');
      sent.push(event);
      return event;
    },
    async remove(key: string): Promise<S3Event> {
      await editor.send(new DeleteObjectCommand({ Bucket: draftsBucket, Key: key }));
      const event = eventFor(key, 'ObjectRemoved:Delete');
      sent.push(event);
      return event;
    },
    /**
     * Delivers these events (duplicates and all) in the order given, up to `concurrency` at a time; failed
     * deliveries go back into the queue at a random place. Render jobs are handled by {@link renderAll}.
     */
    async deliver(events: readonly S3Event[], random: Random, concurrency: number): Promise<void> {
      const queue = [...events];
      const attempts = new Map<S3Event, number>();
      const worker = async () => {
        for (let event = queue.shift(); event; event = queue.shift()) {
          try {
            // As the draft-events queue delivers it: a failed message comes back as a batch failure.
            const response = await ingest(delivered(event));
            if ((response as SQSBatchResponse).batchItemFailures.length > 0) {
              throw new Error(`${event.Records[0]?.s3.object.key}: the delivery failed`);
            }
          } catch (err) {
            failures += 1;
            const tries = (attempts.get(event) ?? 0) + 1;
            attempts.set(event, tries);
            if (tries > MAX_TRIES) throw err;
            queue.splice(random(queue.length + 1), 0, event);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    },
    /**
     * Renders queued jobs until `until()` says the draft events are all delivered and no job is left: one
     * job at a time per FIFO group, a random subset of groups at once, a failed job redelivered first.
     */
    async renderAll(random: Random, until: () => boolean): Promise<void> {
      for (;;) {
        const round = await renderQueue.deliverRound(
          (job, redelivered) => renderViews(renderDeps, [job], { redelivered }),
          () => random(2) === 0,
        );
        failures += round.failures.length;
        const given = round.failures.find((f) => f.tries > MAX_TRIES);
        if (given) throw given.error;
        if (round.delivered > 0) continue;
        if (until()) return;
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
}

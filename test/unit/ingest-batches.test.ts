import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryOpsMetrics } from '#shared/adapters/memory/index.ts';
import { pageKey } from '#shared/domain/article.ts';
import { MESSAGE_TIME_RESERVE_MS, makeIngestHandler } from '../../functions/ingest/handler.ts';
import { toS3EventRecord } from '../../local/s3-notifications.ts';
import { memoryPipeline } from '../support/memory-pipeline.ts';
import { draftText } from '../support/site.ts';
import { delivered } from '../support/sqs-events.ts';

type Pipeline = ReturnType<typeof memoryPipeline>;

/** An SQS delivery of S3 records, one upload per message, as the draft-events queue hands them over. */
const delivery = (keys: readonly string[]) =>
  delivered(
    ...keys.map((key) => ({
      Records: [
        toS3EventRecord({
          eventName: 'ObjectCreated:Put',
          eventTime: '2024-05-19T03:40:00.000Z',
          s3: { bucket: { name: 'drafts' }, object: { key } },
        }),
      ],
    })),
  );

/** A Lambda context whose time left drops by `perCall` each time it is asked. */
function contextWith(leftMs: number, perCall: number): Context {
  let left = leftMs;
  return {
    getRemainingTimeInMillis: () => {
      const now = left;
      left -= perCall;
      return now;
    },
  } as unknown as Context;
}

describe('ingest deliveries', () => {
  let p: Pipeline;
  let metrics: MemoryOpsMetrics;
  let handler: ReturnType<typeof makeIngestHandler>;
  const keys = ['xa-hoi/mot.md', 'xa-hoi/hai.md', 'xa-hoi/ba.md'];

  beforeEach(async () => {
    p = memoryPipeline();
    await p.init();
    metrics = new MemoryOpsMetrics();
    handler = makeIngestHandler({ ...p.deps, draftsBucket: 'drafts', metrics });
    keys.forEach((key, i) => {
      p.lostEvent(key, draftText({ title: `Tin thứ ${['một', 'hai', 'ba'][i]}` }));
    });
  });

  it('hands back the messages it has no time left to start, instead of timing out the whole batch', async () => {
    // Time for the first message only: the second and third would start under the reserve.
    const context = contextWith(MESSAGE_TIME_RESERVE_MS + 5_000, 10_000);
    const response = await handler(delivery(keys), context);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }] });
    expect(p.site.text(pageKey('/xa-hoi/tin-thu-mot'))).toBeDefined();
    expect(p.site.text(pageKey('/xa-hoi/tin-thu-hai'))).toBeUndefined();
    // Not a failure of those drafts: no report says so.
    expect(p.drafts.report('xa-hoi/hai.md')).toBeUndefined();
    expect(metrics.total('FailedMessages')).toBe(2);
  });

  it('reports a message that failed alone, and counts it for the alarm', async () => {
    const put = p.drafts.putReport.bind(p.drafts);
    p.drafts.putReport = async (report) => {
      if (report.draftKey === 'xa-hoi/hai.md') throw new Error('S3 is down');
      return put(report);
    };
    const response = await handler(delivery(keys), contextWith(60_000, 1));
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(p.drafts.report('xa-hoi/mot.md')?.status).toBe('published');
    expect(p.drafts.report('xa-hoi/ba.md')?.status).toBe('published');
    expect(metrics.total('FailedMessages')).toBe(1);
  });

  it('refuses an event AWS does not send it (a bare S3 notification), saying which it takes', async () => {
    const bare = JSON.parse(delivery(['xa-hoi/mot.md']).Records[0]?.body ?? '{}');
    await expect(handler(bare)).rejects.toThrow(/not an event the ingest function takes \(SQS messages/);
    expect(p.drafts.report('xa-hoi/mot.md')).toBeUndefined();
  });

  it('runs a reconcile when the schedule asks, and counts what it found', async () => {
    p.advance(30 * 60_000);
    const result = await handler({ reconcile: {} }, contextWith(60_000, 1));
    expect(result).toMatchObject({ differences: { new: 3 }, applied: 3, complete: true });
    expect(metrics.total('ReconcileDifferences')).toBe(3);
    expect(metrics.total('ReconcileFailures')).toBe(0);
  });
});

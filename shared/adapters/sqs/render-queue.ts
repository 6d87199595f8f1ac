import { createHash, randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RenderJob, RenderQueue, ViewId } from '../../ports.ts';

/**
 * The FIFO message group of a view: the view id itself when SQS accepts it (ASCII, at most 128
 * characters), otherwise a hash of it. Jobs of one view are then never rendered at the same time.
 */
export function messageGroupOf(view: ViewId): string {
  if (view.length <= 128 && /^[\x21-\x7e]+$/.test(view)) return view;
  return `${view.split('/')[0]}/#${createHash('sha256').update(view).digest('hex').slice(0, 40)}`;
}

/**
 * The render queue on SQS FIFO, one message group per view. Every job gets its own deduplication id: a
 * job is never dropped as a duplicate of an earlier one, since the earlier render may have read the index
 * before this change.
 */
export class SqsRenderQueue implements RenderQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(jobs: readonly RenderJob[]): Promise<void> {
    for (let i = 0; i < jobs.length; i += 10) {
      const entries = jobs.slice(i, i + 10).map((job, n) => ({
        Id: String(n),
        MessageBody: JSON.stringify(job),
        MessageGroupId: messageGroupOf(job.view),
        MessageDeduplicationId: randomUUID(),
      }));
      const out = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
      const failed = out.Failed ?? [];
      if (failed.length > 0) {
        throw new Error(
          `The render queue refused ${failed.length} jobs: ${failed[0]?.Code} ${failed[0]?.Message ?? ''}`,
        );
      }
    }
  }
}

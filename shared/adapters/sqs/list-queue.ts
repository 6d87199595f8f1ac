import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ListId, ListRefreshQueue } from '../../ports.ts';

/** A list-rebuild request as it travels on the queue. */
export interface ListRefreshMessage {
  readonly list: ListId;
}

/**
 * The list queue on SQS FIFO. Each list is its own message group, so rebuilds of one list run one at a
 * time and in order. Every request gets its own deduplication id: a request is never dropped as a
 * duplicate of an earlier one, because the earlier rebuild may have read the index before this change.
 */
export class SqsListQueue implements ListRefreshQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async request(lists: readonly ListId[]): Promise<void> {
    const unique = [...new Set(lists)];
    for (let i = 0; i < unique.length; i += 10) {
      const entries = unique.slice(i, i + 10).map((list, n) => ({
        Id: String(n),
        MessageBody: JSON.stringify({ list } satisfies ListRefreshMessage),
        MessageGroupId: list,
        MessageDeduplicationId: randomUUID(),
      }));
      const out = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
      const failed = out.Failed ?? [];
      if (failed.length > 0) {
        throw new Error(
          `The list queue refused ${failed.length} requests: ${failed[0]?.Code} ${failed[0]?.Message ?? ''}`,
        );
      }
    }
  }
}

import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ListRefreshMessage } from '#shared/adapters/sqs/list-queue.ts';
import type { ListId, Log } from '#shared/ports.ts';
import { type ListDeps, refreshList } from '#shared/use-cases/lists.ts';

export interface ListsHandlerDeps extends ListDeps {
  readonly log: Log;
}

/**
 * Rebuilds the lists named by a batch of FIFO messages, each list once per batch: a rebuild reads the index
 * as it is when it runs, after every message of the batch was sent. After a failure the failed message and
 * every later one are handed back, as FIFO ordering requires.
 */
export function makeListsHandler(deps: ListsHandlerDeps) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const done = new Set<ListId>();
    const records = event.Records;
    for (let i = 0; i < records.length; i++) {
      const message = records[i];
      if (!message) continue;
      try {
        const { list } = JSON.parse(message.body) as ListRefreshMessage;
        if (!done.has(list)) {
          await refreshList(deps, list);
          done.add(list);
        }
      } catch (err) {
        deps.log.error('list rebuild failed; it will be retried', {
          messageId: message.messageId,
          error: err,
        });
        return { batchItemFailures: records.slice(i).map((r) => ({ itemIdentifier: r.messageId })) };
      }
    }
    return { batchItemFailures: [] };
  };
}

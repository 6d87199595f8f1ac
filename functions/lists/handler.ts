import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ListRefreshMessage } from '#shared/adapters/sqs/list-queue.ts';
import type { ListId, Log } from '#shared/ports.ts';
import { allLists, type ListDeps, refreshAllLists, refreshList } from '#shared/use-cases/lists.ts';
import { publishSiteFrame } from '#shared/use-cases/site-frame.ts';

export interface ListsHandlerDeps extends ListDeps {
  readonly log: Log;
}

/** A direct invocation (after a deployment, or by ops): rebuild the site frame and every list. */
export interface RebuildAllEvent {
  readonly Records?: undefined;
}

function isSqsEvent(event: SQSEvent | RebuildAllEvent): event is SQSEvent {
  return Array.isArray(event.Records);
}

/**
 * Rebuilds the lists named by a batch of FIFO messages, each list once per batch: a rebuild reads the index
 * as it is when it runs, after every message of the batch was sent. After a failure the failed message and
 * every later one are handed back, as FIFO ordering requires.
 *
 * Invoked directly, without SQS records, it writes the site frame and rebuilds every list: what a new
 * deployment needs before the first article arrives.
 */
export function makeListsHandler(deps: ListsHandlerDeps) {
  async function handle(event: SQSEvent): Promise<SQSBatchResponse>;
  async function handle(event: RebuildAllEvent): Promise<{ rebuilt: ListId[] }>;
  async function handle(
    event: SQSEvent | RebuildAllEvent,
  ): Promise<SQSBatchResponse | { rebuilt: ListId[] }> {
    if (!isSqsEvent(event)) {
      await publishSiteFrame(deps.site, deps.config);
      await refreshAllLists(deps);
      const rebuilt = allLists(deps.config);
      deps.log.info('site frame and every list rebuilt', { lists: rebuilt.length });
      return { rebuilt };
    }
    return handleBatch(event);
  }

  async function handleBatch(event: SQSEvent): Promise<SQSBatchResponse> {
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
  }
  return handle;
}

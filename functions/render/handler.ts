import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { RenderJob, ViewId } from '#shared/ports.ts';
import { allLists, refreshAllLists } from '#shared/use-cases/lists.ts';
import { type RenderDeps, renderViews } from '#shared/use-cases/render.ts';
import { publishSiteFrame } from '#shared/use-cases/site-frame.ts';

/** A direct invocation (after a deployment, or by ops): rebuild the site frame and every list. */
export interface RebuildListsEvent {
  readonly Records?: undefined;
}

function isSqsEvent(event: SQSEvent | RebuildListsEvent): event is SQSEvent {
  return Array.isArray(event.Records);
}

/**
 * Renders the views named by a batch of FIFO messages, each view once per batch (after waiting for the index
 * to show every change that asked for it). After a failure the failed message and every later one are handed
 * back, as FIFO ordering requires.
 *
 * Invoked directly, without SQS records, it writes the site frame and rebuilds every list: what a new
 * deployment needs before the first article arrives.
 */
export function makeRenderHandler(deps: RenderDeps) {
  async function handle(event: SQSEvent): Promise<SQSBatchResponse>;
  async function handle(event: RebuildListsEvent): Promise<{ rebuilt: ViewId[] }>;
  async function handle(
    event: SQSEvent | RebuildListsEvent,
  ): Promise<SQSBatchResponse | { rebuilt: ViewId[] }> {
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
    const records = event.Records;
    // Messages of one view are consecutive in a FIFO batch only per group; render group by group, in order.
    for (let i = 0; i < records.length; ) {
      const first = records[i];
      if (!first) break;
      const group = first.attributes.MessageGroupId;
      let j = i + 1;
      while (j < records.length && group !== undefined && records[j]?.attributes.MessageGroupId === group)
        j++;
      try {
        const jobs = records.slice(i, j).map((r) => JSON.parse(r.body) as RenderJob);
        const redelivered = records.slice(i, j).some((r) => Number(r.attributes.ApproximateReceiveCount) > 1);
        await renderViews(deps, jobs, { redelivered });
      } catch (err) {
        deps.log.error('render failed; it will be retried', { messageId: first.messageId, error: err });
        return { batchItemFailures: records.slice(i).map((r) => ({ itemIdentifier: r.messageId })) };
      }
      i = j;
    }
    return { batchItemFailures: [] };
  }
  return handle;
}

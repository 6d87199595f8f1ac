import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
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

/** A message's FIFO group: its view. */
function groupOf(record: SQSRecord): string {
  return record.attributes.MessageGroupId ?? record.messageId;
}

/**
 * Renders the views named by a batch of FIFO messages, each view once per batch (after waiting for the index
 * to show every change that asked for it). After a failure, that view's messages are handed back (Powertools'
 * FIFO processor, skipping the failed group only); the other views render.
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
    // Every job of a view in this delivery is rendered together, once, when its group's first message comes.
    const groups = new Map<string, SQSRecord[]>();
    for (const record of event.Records) {
      const group = groupOf(record);
      groups.set(group, [...(groups.get(group) ?? []), record]);
    }
    const rendered = new Set<string>();
    const renderGroup = async (record: SQSRecord) => {
      const group = groupOf(record);
      if (rendered.has(group)) return;
      const records = groups.get(group) ?? [record];
      try {
        const jobs = records.map((r) => JSON.parse(r.body) as RenderJob);
        const redelivered = records.some((r) => Number(r.attributes.ApproximateReceiveCount) > 1);
        await renderViews(deps, jobs, { redelivered });
      } catch (err) {
        deps.log.error('render failed; it will be retried', { messageId: record.messageId, error: err });
        throw err;
      }
      rendered.add(group);
    };
    return processPartialResponse(event, renderGroup, new SqsFifoPartialProcessorAsync(), {
      // A view that failed holds back only its own later jobs, as FIFO ordering requires; the others render.
      skipGroupOnError: true,
      throwOnFullBatchFailure: false,
    });
  }
  return handle;
}

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  isScheduledPublishEvent,
  type ScheduledPublishEvent,
} from '#shared/adapters/scheduler/eventbridge.ts';
import type { Log, OpsMetrics, RebuildWork } from '#shared/ports.ts';
import { renderClosedThreads } from '#shared/use-cases/comments.ts';
import { type RebuildResult, rebuildSite } from '#shared/use-cases/rebuild.ts';
import { type RebuildStep, type RebuildStepResult, runRebuildStep } from '#shared/use-cases/rebuild-steps.ts';
import {
  RECONCILE_BUDGET,
  RECONCILE_SETTLE_MS,
  type ReconcileResult,
  reconcile,
} from '#shared/use-cases/reconcile.ts';
import { publishSiteFrame } from '#shared/use-cases/site-frame.ts';
import { type SyncDeps, syncChange } from '#shared/use-cases/sync-draft.ts';
import { changeFromRecord, isSqsEvent, s3RecordsOfMessage } from './events.ts';

export interface IngestHandlerDeps extends SyncDeps {
  readonly draftsBucket: string;
  readonly log: Log;
  readonly metrics: OpsMetrics;
  /** Where the rebuild state machine's steps hand on their work (only where the stack has one). */
  readonly rebuildWork?: RebuildWork;
}

/** Sent by the rebuild state machine: one step of a rebuild spread over many tasks. */
export interface RebuildStepEvent {
  readonly rebuildStep: RebuildStep;
}

function isRebuildStepEvent(event: unknown): event is RebuildStepEvent {
  const step = (event as Partial<RebuildStepEvent> | null)?.rebuildStep;
  return typeof step === 'object' && step !== null && typeof step.step === 'string';
}

/** Invoked by ops (`aws lambda invoke --payload '{"rebuild":{}}'`): regenerate the whole site. */
export interface RebuildEvent {
  readonly rebuild: Record<string, never>;
}

/** Sent by the reconcile schedule (and locally at start and every minute): heal what lost events left. */
export interface ReconcileEvent {
  readonly reconcile: {
    /** Most uploads brought into line in this run ({@link RECONCILE_BUDGET} unless given). */
    readonly budget?: number;
    /** How old an upload must be to count as lost ({@link RECONCILE_SETTLE_MS} unless given). */
    readonly settleMs?: number;
  };
}

function isRebuildEvent(event: unknown): event is RebuildEvent {
  return typeof (event as Partial<RebuildEvent> | null)?.rebuild === 'object';
}

function isReconcileEvent(event: unknown): event is ReconcileEvent {
  return typeof (event as Partial<ReconcileEvent> | null)?.reconcile === 'object';
}

/**
 * A message is started only with this much of the function's time left: the longest one delivery may take
 * (waiting up to 20 s for a lease, then publishing a draft with its photos). Those not reached are handed
 * back as batch failures, to be delivered again, instead of the whole batch timing out.
 */
export const MESSAGE_TIME_RESERVE_MS = 30_000;

/** An invocation of a shape AWS does not send this function. */
export class UnknownEventError extends Error {
  override readonly name = 'UnknownEventError';
}

/** The function's time is running out: the message is handed back untouched, to be delivered again. */
export class OutOfTimeError extends Error {
  override readonly name = 'OutOfTimeError';
}

/**
 * Lambda entry logic, for the event shapes AWS sends it: S3 event records inside SQS messages (the drafts
 * bucket's notifications), Scheduler's invocations (a due draft, a reconcile), and ops' rebuild. Each S3
 * record becomes a draft change, synced on its own. From SQS, a failed message is reported back alone (Powertools' batch processor, one
 * message at a time), so one bad draft does not make the whole batch retry; the count of failed messages is
 * a metric, alarmed on.
 */
export function makeIngestHandler(deps: IngestHandlerDeps) {
  let frame: Promise<void> | undefined;
  const siteFrameWritten = () => {
    frame ??= publishSiteFrame(deps.site, deps.config).catch((err: unknown) => {
      frame = undefined;
      throw err;
    });
    return frame;
  };
  /** A draft whose scheduled time has come: looked at again, as if it had just been uploaded then. */
  const due = (event: ScheduledPublishEvent) =>
    syncChange(deps, {
      key: event.scheduledPublish.draftKey,
      eventTime: new Date(event.scheduledPublish.at),
    });
  const processor = new BatchProcessor(EventType.SQS);

  const handleMessage = async (message: SQSRecord, context?: Context) => {
    if (context && context.getRemainingTimeInMillis() < MESSAGE_TIME_RESERVE_MS) {
      throw new OutOfTimeError(`${message.messageId}: too little time left to start it`);
    }
    try {
      const body: unknown = JSON.parse(message.body);
      if (isScheduledPublishEvent(body)) await due(body);
      for (const record of s3RecordsOfMessage(message.body)) {
        if (record.s3.bucket.name === deps.draftsBucket) await syncChange(deps, changeFromRecord(record));
      }
    } catch (err) {
      deps.log.error('message failed; it will be retried', { messageId: message.messageId, error: err });
      throw err;
    }
  };

  return async (
    event: SQSEvent | ScheduledPublishEvent | RebuildEvent | ReconcileEvent | RebuildStepEvent,
    context?: Context,
  ): Promise<SQSBatchResponse | RebuildResult | ReconcileResult | RebuildStepResult | undefined> => {
    // Stylesheet, clock script and error pages: written once per container, before any page needs them.
    await siteFrameWritten();
    if (isRebuildStepEvent(event)) {
      if (!deps.rebuildWork) throw new UnknownEventError('this stack has no rebuild work bucket');
      const result = await runRebuildStep({ ...deps, work: deps.rebuildWork }, event.rebuildStep, {
        ...(context ? { stop: () => context.getRemainingTimeInMillis() < MESSAGE_TIME_RESERVE_MS } : {}),
      });
      deps.log.info('rebuild step done', { step: event.rebuildStep.step, ...result });
      return result;
    }
    if (isScheduledPublishEvent(event)) {
      await due(event);
      return undefined;
    }
    if (isRebuildEvent(event)) {
      const result = await rebuildSite(deps, { now: new Date() });
      deps.log.info('site rebuilt', { ...result });
      return result;
    }
    if (isReconcileEvent(event)) {
      const { budget, settleMs } = event.reconcile;
      const result = await reconcile(deps, {
        now: deps.now?.() ?? new Date(),
        ...(typeof budget === 'number' ? { budget } : {}),
        ...(typeof settleMs === 'number' ? { settleMs } : {}),
        ...(context ? { stop: () => context.getRemainingTimeInMillis() < MESSAGE_TIME_RESERVE_MS } : {}),
      });
      const { new: added, changed, removed, due: late } = result.differences;
      deps.metrics.count('ReconcileDifferences', added + changed + removed + late);
      deps.metrics.count('ReconcileFailures', result.failed);
      deps.metrics.flush();
      await renderClosedThreads(deps, deps.now?.() ?? new Date());
      return result;
    }
    if (!isSqsEvent(event)) {
      // S3 sends to the queue, never to the function: anything else is a mistake in the wiring, said so.
      throw new UnknownEventError(
        `not an event the ingest function takes (SQS messages, a schedule, {"rebuild":{}} or {"reconcile":{}}): ${JSON.stringify(event).slice(0, 200)}`,
      );
    }
    const response = await processPartialResponse(event, handleMessage, processor, {
      ...(context ? { context } : {}),
      // One at a time: messages of one delivery share the function's memory and its time.
      processInParallel: false,
      // A batch that failed whole is reported like any other, not thrown (which would count as an error).
      throwOnFullBatchFailure: false,
    });
    deps.metrics.count('FailedMessages', response.batchItemFailures.length);
    deps.metrics.flush();
    return response;
  };
}

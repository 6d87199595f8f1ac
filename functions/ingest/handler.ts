import type { S3Event, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  isScheduledPublishEvent,
  type ScheduledPublishEvent,
} from '#shared/adapters/scheduler/eventbridge.ts';
import type { Log } from '#shared/ports.ts';
import { type RebuildResult, rebuildSite } from '#shared/use-cases/rebuild.ts';
import { publishSiteFrame } from '#shared/use-cases/site-frame.ts';
import { type SyncDeps, syncChange } from '#shared/use-cases/sync-draft.ts';
import { changeFromRecord, isSqsEvent, s3RecordsOfMessage } from './events.ts';

export interface IngestHandlerDeps extends SyncDeps {
  readonly draftsBucket: string;
  readonly log: Log;
}

/**
 * Lambda entry logic: S3 event records, straight from S3 or inside SQS messages, become draft changes, each
 * synced on its own. From SQS, a failed message is reported back alone, so one bad draft does not make the
 * whole batch retry.
 */
/** Invoked by ops (`aws lambda invoke --payload '{"rebuild":{}}'`): regenerate the whole site. */
export interface RebuildEvent {
  readonly rebuild: Record<string, never>;
}

function isRebuildEvent(event: unknown): event is RebuildEvent {
  return typeof (event as Partial<RebuildEvent> | null)?.rebuild === 'object';
}

export function makeIngestHandler(deps: IngestHandlerDeps) {
  let frame: Promise<void> | undefined;
  const ready = () => {
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

  return async (
    event: S3Event | SQSEvent | ScheduledPublishEvent | RebuildEvent,
  ): Promise<SQSBatchResponse | RebuildResult | undefined> => {
    // Stylesheet, clock script and error pages: written once per container, before any page needs them.
    await ready();
    if (isScheduledPublishEvent(event)) {
      await due(event);
      return undefined;
    }
    if (isRebuildEvent(event)) {
      const result = await rebuildSite(deps, { now: new Date() });
      deps.log.info('site rebuilt', { ...result });
      return result;
    }
    if (!isSqsEvent(event)) {
      for (const record of event.Records) {
        if (record.s3.bucket.name === deps.draftsBucket) await syncChange(deps, changeFromRecord(record));
      }
      return undefined;
    }
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const message of event.Records) {
      try {
        const body: unknown = JSON.parse(message.body);
        if (isScheduledPublishEvent(body)) await due(body);
        for (const record of s3RecordsOfMessage(message.body)) {
          if (record.s3.bucket.name === deps.draftsBucket) await syncChange(deps, changeFromRecord(record));
        }
      } catch (err) {
        deps.log.error('message failed; it will be retried', { messageId: message.messageId, error: err });
        batchItemFailures.push({ itemIdentifier: message.messageId });
      }
    }
    return { batchItemFailures };
  };
}

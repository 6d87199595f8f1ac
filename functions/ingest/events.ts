import type { S3Event, S3EventRecord, SQSEvent } from 'aws-lambda';
import { etagOf } from '#shared/domain/upload-keys.ts';
import type { DraftChange } from '#shared/use-cases/sync-draft.ts';

/**
 * S3 sends object keys URL-encoded, with spaces as `+`: `Tin t%E1%BB%A9c+m%E1%BB%9Bi.md`. Decoding here, in
 * the code that runs in AWS, is why the local runner encodes keys the same way before it calls the handler.
 */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

export function changeFromRecord(record: S3EventRecord): DraftChange {
  const version = record.s3.object.versionId ?? record.s3.object.eTag;
  // A removal's record has no ETag; a creation's names the version it made.
  const created = record.eventName.startsWith('ObjectCreated:') && record.s3.object.eTag;
  return {
    key: decodeS3Key(record.s3.object.key),
    ...(created ? { etag: etagOf(record.s3.object.eTag) } : {}),
    eventTime: new Date(record.eventTime),
    ...(record.userIdentity?.principalId ? { actor: record.userIdentity.principalId } : {}),
    ...(version ? { draftVersion: version } : {}),
  };
}

export function isSqsEvent(event: unknown): event is SQSEvent {
  const records = (event as Partial<SQSEvent> | null)?.Records;
  return Array.isArray(records) && records.every((r) => r?.eventSource === 'aws:sqs');
}

/** The S3 records an SQS message carries; none for S3's `s3:TestEvent` sent when notifications are set up. */
export function s3RecordsOfMessage(body: string): S3EventRecord[] {
  const parsed = JSON.parse(body) as Partial<S3Event> & { Event?: string };
  return parsed.Records ?? [];
}

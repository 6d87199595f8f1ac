import type { S3EventRecord } from 'aws-lambda';
import type { S3rverEvent } from 's3rver';

/** Encodes a key as S3 does in event notifications: URL-encoded, spaces as `+`. */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

let sequence = 0;

/**
 * Turns the stand-in's event into the record real S3 would send for the same change (the stand-in leaves
 * keys unencoded and differs in details), so the handler's decoding is the code that runs in AWS. Every
 * change is sent, reports included, as the deployed bucket notification (which has no filter) sends them:
 * the handler decides what it acts on.
 */
export function toS3EventRecord(event: S3rverEvent['Records'][number], region = 'us-east-1'): S3EventRecord {
  const { key } = event.s3.object;
  sequence += 1;
  const sequencer = (Date.now() * 1000 + (sequence % 1000)).toString(16).toUpperCase().padStart(16, '0');
  const bucket = event.s3.bucket.name;
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: event.eventTime,
    eventName: event.eventName.replace('ObjectCreated:Post', 'ObjectCreated:CompleteMultipartUpload'),
    userIdentity: { principalId: 'AWS:LOCAL' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': sequencer, 'x-amz-id-2': sequencer },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'drafts-to-ingest',
      bucket: { name: bucket, ownerIdentity: { principalId: 'LOCAL' }, arn: `arn:aws:s3:::${bucket}` },
      object: {
        key: encodeS3Key(key),
        size: event.s3.object.size ?? 0,
        eTag: event.s3.object.eTag ?? '',
        sequencer,
      },
    },
  } as S3EventRecord;
}

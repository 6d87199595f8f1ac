import type { S3Event, SQSEvent } from 'aws-lambda';

/** An SQS delivery of these message bodies, as Lambda's event source hands it over (FIFO groups optional). */
export function sqsEvent(bodies: readonly string[], groups: readonly (string | undefined)[] = []): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      receiptHandle: `r${i}`,
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: '0',
        SenderId: 'S3',
        ApproximateFirstReceiveTimestamp: '0',
        ...(groups[i] ? { MessageGroupId: groups[i] } : {}),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:000000000000:${groups.length > 0 ? 'render-jobs.fifo' : 'draft-events'}`,
      awsRegion: 'us-east-1',
    })),
  };
}

/** S3 events as the draft-events queue delivers them: one message each, the event as its body. */
export function delivered(...events: readonly S3Event[]): SQSEvent {
  return sqsEvent(events.map((e) => JSON.stringify(e)));
}

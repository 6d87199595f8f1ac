import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface LocalQueueOptions {
  /** Deliveries of a message before it goes to the dead-letter list (SQS maxReceiveCount). */
  readonly maxReceives?: number;
  /** Wait before the first redelivery; doubles with each one. */
  readonly retryDelayMs?: number;
  readonly onDeadLetter?: (body: string, error: unknown) => void;
}

/**
 * Plays SQS's part locally, as the deployed queue does for the ingest function: messages delivered in
 * batches of one, at least once, redelivered with backoff when the handler reports them failed or throws,
 * and kept on a dead-letter list after the last try.
 */
export class LocalQueue {
  readonly deadLetters: { body: string; error: unknown }[] = [];
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #idle: (() => void)[] = [];
  readonly #maxReceives: number;
  readonly #retryDelayMs: number;

  constructor(
    private readonly handler: SqsHandler,
    private readonly options: LocalQueueOptions = {},
  ) {
    this.#maxReceives = options.maxReceives ?? 3;
    this.#retryDelayMs = options.retryDelayMs ?? 200;
  }

  /** Queues a message; `groupId` is its FIFO message group (delivery is in order anyway: one at a time). */
  send(body: string, groupId?: string): void {
    this.#pending += 1;
    this.#chain = this.#chain.then(() => this.#deliver(body, groupId)).finally(() => this.#settle());
  }

  /** Messages sent and not yet handled or dead-lettered. */
  get size(): number {
    return this.#pending;
  }

  /** Resolves when every message sent so far has been handled or dead-lettered. */
  whenIdle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #settle(): void {
    this.#pending -= 1;
    if (this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  async #deliver(body: string, groupId: string | undefined): Promise<void> {
    const messageId = randomUUID();
    let lastError: unknown;
    for (let receive = 1; receive <= this.#maxReceives; receive++) {
      const record = sqsRecord(messageId, body, receive, groupId);
      try {
        const result = await this.handler({ Records: [record] });
        if (!result?.batchItemFailures.some((f) => f.itemIdentifier === messageId)) return;
        lastError = new Error('the handler reported the message failed');
      } catch (err) {
        lastError = err;
      }
      if (receive < this.#maxReceives) {
        await new Promise((r) => setTimeout(r, this.#retryDelayMs * 2 ** (receive - 1)));
      }
    }
    this.deadLetters.push({ body, error: lastError });
    this.options.onDeadLetter?.(body, lastError);
  }
}

function sqsRecord(
  messageId: string,
  body: string,
  receiveCount: number,
  groupId: string | undefined,
): SQSRecord {
  const now = String(Date.now());
  return {
    messageId,
    receiptHandle: `${messageId}#${receiveCount}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: now,
      SenderId: 'LOCAL',
      ApproximateFirstReceiveTimestamp: now,
      ...(groupId ? { MessageGroupId: groupId } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:drafts-events',
    awsRegion: 'us-east-1',
  };
}

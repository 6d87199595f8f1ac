import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface LocalQueueOptions {
  /** Most messages a delivery carries (the event source's batchSize); 1 by default. */
  readonly batchSize?: number;
  /**
   * Batches in flight at once, as Lambda's event source runs up to its maximum concurrency; 1 by default. A
   * FIFO group with a batch in flight (or waiting to be retried) gets no other until that one is done.
   */
  readonly concurrency?: number;
  /** Deliveries of a message before it goes to the dead-letter list (SQS maxReceiveCount). */
  readonly maxReceives?: number;
  /** Wait before the first redelivery; doubles with each one. */
  readonly retryDelayMs?: number;
  readonly onDeadLetter?: (body: string, error: unknown) => void;
  /** The queue's ARN and region, as its records name them (`eventSourceARN`). */
  readonly arn?: string;
  /**
   * A folder where each message is kept, as SQS keeps it, until it is handled or dead-lettered: a process
   * killed at any moment loses none, and {@link LocalQueue.resume} delivers them again at the next start.
   */
  readonly dir?: string;
}

interface Message {
  readonly id: string;
  /** Its file in the queue's folder, if it has one. */
  readonly file?: string;
  readonly body: string;
  readonly groupId: string | undefined;
  /** Deliveries so far. */
  receives: number;
}

/**
 * Plays SQS's part locally, as the deployed queues do for their functions: messages delivered one batch at a
 * time, at least once, redelivered with backoff when the handler reports them failed or throws, and kept on a
 * dead-letter list after the last try. Like a FIFO queue, a batch holds a message group's messages together
 * and in order (as many as fit), so a burst of jobs for one view reaches the handler as one run of them.
 */
export class LocalQueue {
  readonly deadLetters: { body: string; error: unknown }[] = [];
  #queue: Message[] = [];
  #inFlight = 0;
  /** FIFO groups with a batch in flight or a retry waiting: no other batch of theirs starts. */
  readonly #busyGroups = new Set<string>();
  #pending = 0;
  #idle: (() => void)[] = [];
  readonly #batchSize: number;
  readonly #maxReceives: number;
  readonly #retryDelayMs: number;
  readonly #concurrency: number;

  constructor(
    private readonly handler: SqsHandler,
    private readonly options: LocalQueueOptions = {},
  ) {
    this.#batchSize = options.batchSize ?? 1;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#maxReceives = options.maxReceives ?? 3;
    this.#retryDelayMs = options.retryDelayMs ?? 200;
  }

  /** Queues a message; `groupId` is its FIFO message group. Kept on disk first when the queue has a folder. */
  send(body: string, groupId?: string): void {
    const id = randomUUID();
    const file = this.#keep(id, body, groupId);
    this.#pending += 1;
    this.#queue.push({ id, body, groupId, receives: 0, ...(file ? { file } : {}) });
    this.#deliverAll();
  }

  /** Delivers again the messages a previous process kept and did not finish, in the order they were sent. */
  resume(): number {
    const { dir } = this.options;
    if (!dir) return 0;
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir);
    // Cut short while it was written (before the rename that makes it a message): never sent.
    for (const part of names.filter((f) => f.endsWith('.part'))) rmSync(join(dir, part), { force: true });
    const files = names.filter((f) => f.endsWith('.json')).sort();
    for (const file of files) {
      const path = join(dir, file);
      let kept: { id: string; body: string; groupId?: string };
      try {
        kept = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        rmSync(path, { force: true });
        continue;
      }
      this.#pending += 1;
      this.#queue.push({ id: kept.id, body: kept.body, groupId: kept.groupId, receives: 0, file: path });
    }
    if (files.length > 0) this.#deliverAll();
    return files.length;
  }

  #sent = 0;

  #keep(id: string, body: string, groupId: string | undefined): string | undefined {
    const { dir } = this.options;
    if (!dir) return undefined;
    if (this.#sent === 0) mkdirSync(dir, { recursive: true });
    // Named by send time and order, so that a restart delivers them in order; written whole, then renamed.
    const name = `${Date.now().toString().padStart(15, '0')}-${String(this.#sent++).padStart(9, '0')}-${id}`;
    const path = join(dir, `${name}.json`);
    writeFileSync(`${path}.part`, JSON.stringify({ id, body, ...(groupId ? { groupId } : {}) }));
    renameSync(`${path}.part`, path);
    return path;
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

  #settle(message: Message): void {
    if (message.file) rmSync(message.file, { force: true });
    this.#pending -= 1;
    if (this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /**
   * Starts batches until the concurrency is used or nothing is deliverable; each batch that ends starts the
   * next. Messages sent meanwhile join the next batch.
   */
  #deliverAll(): void {
    while (this.#inFlight < this.#concurrency) {
      const batch = this.#nextBatch();
      if (batch.length === 0) return;
      this.#inFlight += 1;
      const groups = [...new Set(batch.map((m) => m.groupId).filter((g): g is string => g !== undefined))];
      for (const g of groups) this.#busyGroups.add(g);
      void this.#deliver(batch).then(async (failed) => {
        const retried: Message[] = [];
        for (const { message, error } of failed) {
          if (message.receives < this.#maxReceives) retried.push(message);
          else {
            this.deadLetters.push({ body: message.body, error });
            this.options.onDeadLetter?.(message.body, error);
            this.#settle(message);
          }
        }
        this.#inFlight -= 1;
        if (retried.length > 0) {
          // Back at the head after a backoff, in order; their groups wait, so no later message overtakes them.
          const receives = Math.min(...retried.map((m) => m.receives));
          await new Promise((r) => setTimeout(r, this.#retryDelayMs * 2 ** (receives - 1)));
          this.#queue.unshift(...retried);
        }
        for (const g of groups) this.#busyGroups.delete(g);
        this.#deliverAll();
      });
    }
  }

  /** The oldest message's group first, all of its messages that fit, then the next group's, in order. */
  #nextBatch(): Message[] {
    const batch: Message[] = [];
    const taken = new Set<Message>();
    for (const head of this.#queue) {
      if (batch.length >= this.#batchSize) break;
      if (taken.has(head) || (head.groupId !== undefined && this.#busyGroups.has(head.groupId))) continue;
      const run = head.groupId === undefined ? [head] : this.#queue.filter((m) => m.groupId === head.groupId);
      for (const m of run.slice(0, this.#batchSize - batch.length)) {
        batch.push(m);
        taken.add(m);
      }
    }
    this.#queue = this.#queue.filter((m) => !taken.has(m));
    return batch;
  }

  /** Hands one batch to the handler; returns the messages it did not handle, with why. */
  async #deliver(batch: Message[]): Promise<{ message: Message; error: unknown }[]> {
    for (const m of batch) m.receives += 1;
    let failedIds: Set<string>;
    let error: unknown;
    try {
      const arn = this.options.arn ?? 'arn:aws:sqs:us-east-1:000000000000:local';
      const result = await this.handler({ Records: batch.map((m) => sqsRecord(m, arn)) });
      failedIds = new Set(result?.batchItemFailures.map((f) => f.itemIdentifier));
      error = new Error('the handler reported the message failed');
    } catch (err) {
      failedIds = new Set(batch.map((m) => m.id));
      error = err;
    }
    const failed: { message: Message; error: unknown }[] = [];
    for (const message of batch) {
      if (failedIds.has(message.id)) failed.push({ message, error });
      else this.#settle(message);
    }
    return failed;
  }
}

function sqsRecord({ id: messageId, body, receives, groupId }: Message, arn: string): SQSRecord {
  const now = String(Date.now());
  return {
    messageId,
    receiptHandle: `${messageId}#${receives}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receives),
      SentTimestamp: now,
      SenderId: 'LOCAL',
      ApproximateFirstReceiveTimestamp: now,
      ...(groupId ? { MessageGroupId: groupId } : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: arn.split(':')[3] ?? 'us-east-1',
  };
}

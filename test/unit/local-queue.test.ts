import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { LocalQueue } from '../../local/queue.ts';

/** What the handler saw: each batch as `body@receiveCount` strings. */
function recording(fail: (body: string, receive: number) => boolean = () => false) {
  const batches: string[][] = [];
  const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
    batches.push(event.Records.map((r) => `${r.body}@${r.attributes.ApproximateReceiveCount}`));
    // As the render handler does: the first failed message and every later one go back.
    const first = event.Records.findIndex((r) => fail(r.body, Number(r.attributes.ApproximateReceiveCount)));
    const failed = first < 0 ? [] : event.Records.slice(first);
    return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
  };
  return { batches, handler };
}

describe('the local queue', () => {
  it('keeps each message on disk until it is handled: a process killed in between loses none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'newsroom-queue-'));
    try {
      // A handler that never finishes: the process is killed while it works on the first message.
      const stuck = new LocalQueue(() => new Promise(() => {}), { dir, batchSize: 1 });
      for (const body of ['a', 'b', 'c']) stuck.send(body, 'g');
      // The next process, on the same folder: every message again, in the order sent.
      const { batches, handler } = recording();
      const next = new LocalQueue(handler, { dir, batchSize: 10 });
      expect(next.resume()).toBe(3);
      await next.whenIdle();
      expect(batches).toEqual([['a@1', 'b@1', 'c@1']]);
      // Handled, they are gone: a third start has nothing to deliver.
      expect(new LocalQueue(handler, { dir }).resume()).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivers one message at a time unless told a batch size', async () => {
    const { batches, handler } = recording();
    const queue = new LocalQueue(handler);
    for (const body of ['a', 'b', 'c']) queue.send(body);
    await queue.whenIdle();
    expect(batches).toEqual([['a@1'], ['b@1'], ['c@1']]);
  });

  it('keeps a message group together and in order in a batch, oldest group first, as FIFO SQS does', async () => {
    const { batches, handler } = recording();
    const queue = new LocalQueue(handler, { batchSize: 4 });
    // The first message is delivered at once; the rest wait for it and are batched.
    const sent: [string, string][] = [
      ['home1', 'home'],
      ['kt1', 'section/kinh-te'],
      ['home2', 'home'],
      ['xh1', 'section/xa-hoi'],
      ['kt2', 'section/kinh-te'],
      ['kt3', 'section/kinh-te'],
      ['home3', 'home'],
      ['kt4', 'section/kinh-te'],
    ];
    for (const [body, group] of sent) queue.send(body, group);
    await queue.whenIdle();
    expect(batches).toEqual([
      ['home1@1'],
      ['kt1@1', 'kt2@1', 'kt3@1', 'kt4@1'],
      ['home2@1', 'home3@1', 'xh1@1'],
    ]);
  });

  it('redelivers a failed message and those after it in its batch, in order, counting every delivery of each', async () => {
    const { batches, handler } = recording((body, receive) => body === 'b' || (body === 'c' && receive < 3));
    const dead: string[] = [];
    const queue = new LocalQueue(handler, {
      batchSize: 10,
      maxReceives: 4,
      retryDelayMs: 1,
      onDeadLetter: (body) => dead.push(body),
    });
    for (const [body, group] of [
      ['a', 'g'],
      ['b', 'g'],
      ['c', 'g'],
      ['d', 'h'],
    ] as const)
      queue.send(body, group);
    await queue.whenIdle();
    expect(batches).toEqual([
      ['a@1'],
      ['b@1', 'c@1', 'd@1'],
      ['b@2', 'c@2', 'd@2'],
      ['b@3', 'c@3', 'd@3'],
      ['b@4', 'c@4', 'd@4'],
    ]);
    // As on SQS, messages handed back behind a poisoned one use up their receives with it.
    expect(dead).toEqual(['b', 'c', 'd']);
    expect(queue.deadLetters.map((d) => d.body)).toEqual(['b', 'c', 'd']);
    expect(queue.size).toBe(0);
  });

  it('lets a message that succeeds on a later try through, after which its group goes on', async () => {
    const { batches, handler } = recording((body, receive) => body === 'b' && receive === 1);
    const queue = new LocalQueue(handler, { batchSize: 10, retryDelayMs: 1 });
    for (const body of ['a', 'b', 'c']) queue.send(body, 'g');
    await queue.whenIdle();
    expect(batches).toEqual([['a@1'], ['b@1', 'c@1'], ['b@2', 'c@2']]);
    expect(queue.deadLetters).toEqual([]);
  });

  it('runs up to its concurrency of batches at once, as Lambda does, and never two of one FIFO group', async () => {
    let inFlight = 0;
    let most = 0;
    const groupsInFlight = new Set<string>();
    const clash: string[] = [];
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      const groups = new Set(event.Records.map((r) => r.attributes.MessageGroupId ?? ''));
      for (const g of groups) if (groupsInFlight.has(g)) clash.push(g);
      for (const g of groups) groupsInFlight.add(g);
      await new Promise((r) => setTimeout(r, 5));
      for (const g of groups) groupsInFlight.delete(g);
      inFlight -= 1;
      return { batchItemFailures: [] };
    };
    const queue = new LocalQueue(handler, { batchSize: 2, concurrency: 3 });
    for (let i = 0; i < 40; i++) queue.send(`m${i}`, `g${i % 4}`);
    await queue.whenIdle();
    expect(most).toBe(3);
    expect(clash).toEqual([]);
    // Without groups, every batch may run beside the others.
    const free = new LocalQueue(handler, { batchSize: 1, concurrency: 5 });
    most = 0;
    for (let i = 0; i < 20; i++) free.send(`f${i}`);
    await free.whenIdle();
    expect(most).toBe(5);
  });

  it('keeps a failed group waiting through its backoff while other groups go on, then delivers it in order', async () => {
    const { batches, handler } = recording((body, receive) => body === 'a1' && receive === 1);
    const queue = new LocalQueue(handler, { batchSize: 1, concurrency: 2, retryDelayMs: 20 });
    for (const [body, group] of [
      ['a1', 'a'],
      ['a2', 'a'],
      ['b1', 'b'],
      ['b2', 'b'],
    ] as const)
      queue.send(body, group);
    await queue.whenIdle();
    const order = batches.flat();
    expect(order.filter((m) => m.startsWith('a'))).toEqual(['a1@1', 'a1@2', 'a2@1']);
    expect(order.indexOf('b2@1')).toBeLessThan(order.indexOf('a1@2'));
  });
});

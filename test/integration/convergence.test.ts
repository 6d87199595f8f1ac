import { createHash } from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePath, pageKey } from '#shared/domain/article.ts';
import { rebuildSite } from '#shared/use-cases/rebuild.ts';
import { concurrentPipeline, type Random } from '../support/harness.ts';
import { draftText, example, SEED_IMAGE_KEY, SEED_KEY, SEED_PATH } from '../support/site.ts';
import { differences } from '../support/site-model.ts';
import { clientsFor, type Fault, injectFaults, startStandIns } from '../support/stand-ins.ts';

/**
 * The convergence guarantee, checked as a model-based property: random editing sessions (uploads,
 * corrections, renames, moves between sections, withdrawals, deletions) whose S3 events are delivered late,
 * duplicated, out of order and concurrently, through the real handler code on the S3 and DynamoDB
 * stand-ins; at the end the whole site must be what the final drafts say.
 */

const LETTERS = ['a', 'b', 'c', 'd', 'e'] as const;
const FOLDERS = ['xa-hoi', 'xa-hoi', 'kinh-te', 'giao-duc', 'thoi-su'] as const;
const SECTIONS = ['xa-hoi', 'kinh-te', 'giao-duc'] as const;
const keyOf = (k: number) => `${FOLDERS[k]}/${LETTERS[k]}.md`;
const EVERY_PATH = LETTERS.flatMap((l) =>
  SECTIONS.flatMap((s) => [0, 1].map((v) => articlePath(s, `bai-${l}-${v}`))),
);

/** Tag sets a draft may carry: spellings that share a slug share a page. */
const TAG_SETS = [[], ['Lai Châu'], ['Lai Châu', 'Nông thôn mới'], ['Nông thôn mới'], ['LAI CHÂU']];

type Op =
  | {
      kind: 'upload';
      key: number;
      title: number;
      section: number;
      slug: number;
      time: number;
      tags: number;
      withdrawn: boolean;
    }
  | { kind: 'delete'; key: number }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'deliver'; count: number; concurrency: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('upload' as const),
      key: fc.integer({ min: 0, max: LETTERS.length - 1 }),
      title: fc.integer({ min: 0, max: 2 }),
      section: fc.integer({ min: 0, max: SECTIONS.length - 1 }),
      slug: fc.integer({ min: 0, max: 1 }),
      // 5: a time in the future, the draft is scheduled.
      time: fc.integer({ min: 0, max: 5 }),
      tags: fc.integer({ min: 0, max: TAG_SETS.length - 1 }),
      withdrawn: fc.boolean().map((b) => b && Math.random() < 0.3),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      key: fc.integer({ min: 0, max: LETTERS.length - 1 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('deliver' as const),
      count: fc.integer({ min: 1, max: 6 }),
      concurrency: fc.integer({ min: 1, max: 4 }),
    }),
  },
);

function draftFor(op: Extract<Op, { kind: 'upload' }>): string {
  const letter = LETTERS[op.key] ?? 'a';
  return draftText({
    title: `Bài ${letter.toUpperCase()} bản ${op.title}`,
    section: SECTIONS[op.section],
    slug: `bai-${letter}-${op.slug}`,
    publishedAt:
      op.time === 5 ? `2040-01-01T08:0${op.key}:00+07:00` : `2024-01-0${op.time + 1}T08:0${op.key}:00+07:00`,
    ...(op.withdrawn ? { status: 'withdrawn' } : {}),
    ...(TAG_SETS[op.tags]?.length ? { tags: TAG_SETS[op.tags] } : {}),
  });
}

/** A small seeded generator, so a failing interleaving replays from fast-check's seed. */
function seeded(seed: number): Random {
  let state = seed >>> 0;
  return (max) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return max <= 0 ? 0 : ((t ^ (t >>> 14)) >>> 0) % max;
  };
}

function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * About one call in `fail` of each command fails and one in `throttle` is throttled, at call numbers spread
 * as by chance: a fixed period (every 19th call) could line up with the calls a retried change makes, and
 * fail every retry of it.
 */
function nowAndThen(every: { fail: number; throttle: number }) {
  const hit = (kind: string, command: string, n: number, period: number) =>
    createHash('sha256').update(`${kind}:${command}:${n}`).digest().readUInt32BE(0) % period === 0;
  return (command: string, n: number): Fault =>
    hit('fail', command, n, every.fail)
      ? 'fail'
      : hit('throttle', command, n, every.throttle)
        ? 'throttle'
        : undefined;
}

let standIns: Awaited<ReturnType<typeof startStandIns>>;
beforeAll(async () => {
  standIns = await startStandIns([]);
});
afterAll(async () => {
  await standIns.stop();
});

const RUNS = Number(process.env.CONVERGENCE_RUNS ?? 30);

type Pipeline = Awaited<ReturnType<typeof concurrentPipeline>>;

/**
 * Plays an editing session: each upload or delete changes the drafts bucket at once and sends its event;
 * `deliver` steps hand pending events to the pipeline in the background while editing goes on; at the end
 * every event not yet delivered is delivered, shuffled. Returns what the drafts bucket finally holds.
 */
async function playSession(p: Pipeline, ops: readonly Op[], random: Random, finalConcurrency: number) {
  const drafts = new Map<string, string>();
  const pending: S3Event[] = [];
  const deliveries: Promise<void>[] = [];
  let finished = false;
  const rendering = p.renderAll(random, () => finished);
  try {
    for (const op of ops) {
      if (op.kind === 'upload') {
        const text = draftFor(op);
        drafts.set(keyOf(op.key), text);
        pending.push(await p.upload(keyOf(op.key), text));
      } else if (op.kind === 'delete') {
        drafts.delete(keyOf(op.key));
        pending.push(await p.remove(keyOf(op.key)));
      } else if (op.kind === 'duplicate') {
        const again = p.sent[op.pick % Math.max(1, p.sent.length)];
        if (again) pending.push(again);
      } else {
        const batch = shuffled(pending.splice(0, op.count), random);
        deliveries.push(p.deliver(batch, random, op.concurrency));
      }
    }
    await Promise.all(deliveries);
    await p.deliver(shuffled(pending, random), random, finalConcurrency);
  } finally {
    finished = true;
    await rendering;
  }
  return drafts;
}

async function expectReports(p: Pipeline, drafts: ReadonlyMap<string, string>) {
  for (let k = 0; k < LETTERS.length; k++) {
    if (!p.sent.some((e) => e.Records[0]?.s3.object.key === keyOf(k))) continue;
    const out = await standIns.s3.send(
      new GetObjectCommand({ Bucket: p.draftsBucket, Key: `reports/${keyOf(k)}.json` }),
    );
    const report = JSON.parse((await out.Body?.transformToString()) ?? '{}');
    const text = drafts.get(keyOf(k));
    const expected =
      !text || text.includes('status: "withdrawn"')
        ? 'withdrawn'
        : text.includes('2040-')
          ? 'scheduled'
          : 'published';
    expect(report.status, keyOf(k)).toBe(expected);
  }
}

async function snapshot(p: Pipeline): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of await p.site.list('')) {
    const object = await p.site.get(key);
    out.set(key, Buffer.from(object?.bytes ?? []).toString('base64'));
  }
  return out;
}

/** A fresh pipeline after a random session, for the properties that then do something more to it. */
async function afterSession([ops, seed, concurrency]: [Op[], number, number]) {
  const random = seeded(seed);
  const p = await concurrentPipeline(standIns.s3, standIns.documents, await standIns.table());
  await playSession(p, ops, random, concurrency);
  return { p, random };
}

const session = fc.tuple(
  fc.array(opArb, { minLength: 1, maxLength: 16 }),
  fc.integer(),
  fc.integer({ min: 1, max: 4 }),
);

describe('convergence under real event delivery', () => {
  it('the site equals what the final drafts say, whatever the order, duplication and concurrency of events', {
    timeout: 240_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(session, async ([ops, seed, concurrency]) => {
        const random = seeded(seed);
        const p = await concurrentPipeline(standIns.s3, standIns.documents, await standIns.table());
        const drafts = await playSession(p, ops, random, concurrency);
        expect(await differences(p.site, drafts, EVERY_PATH, p.edge)).toEqual([]);
        await expectReports(p, drafts);
      }),
      { numRuns: RUNS },
    );
  });

  it('converges when S3 and DynamoDB calls fail now and then: the SDK retries throttling, the queues retry outages', {
    timeout: 240_000,
  }, async () => {
    const faulty = clientsFor(standIns);
    const s3Faults = injectFaults(faulty.s3, nowAndThen({ fail: 17, throttle: 29 }));
    const dbFaults = injectFaults(faulty.dynamo, nowAndThen({ fail: 19, throttle: 31 }));
    let failures = 0;
    try {
      await fc.assert(
        fc.asyncProperty(session, async ([ops, seed, concurrency]) => {
          const random = seeded(seed);
          const p = await concurrentPipeline(
            faulty.s3,
            faulty.documents,
            await standIns.table(),
            standIns.s3,
          );
          s3Faults.arm(true);
          dbFaults.arm(true);
          let drafts: Map<string, string>;
          try {
            drafts = await playSession(p, ops, random, concurrency);
          } finally {
            s3Faults.arm(false);
            dbFaults.arm(false);
          }
          failures += p.failures;
          expect(await differences(p.site, drafts, EVERY_PATH, p.edge)).toEqual([]);
          await expectReports(p, drafts);
        }),
        // Faults follow call counts across runs, so shrinking would not replay one; a session that takes
        // far longer than the others (a stuck call) fails on its own, with its seed, instead of timing out.
        { numRuns: Math.max(5, Math.round(RUNS / 3)), timeout: 60_000, endOnFailure: true },
      );
    } finally {
      faulty.s3.destroy();
      faulty.dynamo.destroy();
    }
    // The faults really happened, on both services, and deliveries really failed and were retried.
    expect(s3Faults.injected.size).toBeGreaterThan(0);
    expect(dbFaults.injected.size).toBeGreaterThan(0);
    expect(failures).toBeGreaterThan(0);
  });

  it('a rebuild from the drafts and the table, even into an empty site bucket, gives the same site byte for byte', {
    timeout: 240_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(session, async (played) => {
        const { p } = await afterSession(played);
        const incremental = await snapshot(p);
        await p.site.delete(await p.site.list(''));
        await rebuildSite(p.deps, { now: new Date() });
        expect(await snapshot(p)).toEqual(incremental);
      }),
      { numRuns: Math.max(5, Math.round(RUNS / 3)) },
    );
  });

  it('delivering every event of a session again, in reverse order, leaves the site byte for byte the same', {
    timeout: 240_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(session, async (played) => {
        const { p, random } = await afterSession(played);
        const before = await snapshot(p);
        let finished = false;
        const rendering = p.renderAll(random, () => finished);
        await p.deliver([...p.sent].reverse(), random, 1);
        finished = true;
        await rendering;
        expect(await snapshot(p)).toEqual(before);
      }),
      { numRuns: Math.max(5, Math.round(RUNS / 3)) },
    );
  });

  it('a draft and its photo end published whichever is uploaded first and however their events meet', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.boolean(),
        fc.integer(),
        // Ticks to let the first event's handling get ahead before the second upload; -1: let it finish.
        fc.integer({ min: -1, max: 4 }),
        async (photoFirst, twice, seed, wait) => {
          const random = seeded(seed);
          const p = await concurrentPipeline(standIns.s3, standIns.documents, await standIns.table());
          const files: [string, Uint8Array][] = [
            [SEED_KEY, example(SEED_KEY)],
            [SEED_IMAGE_KEY, example(SEED_IMAGE_KEY)],
          ];
          const [first, second] = photoFirst ? [files[1], files[0]] : [files[0], files[1]];
          let finished = false;
          const rendering = p.renderAll(random, () => finished);
          try {
            // The first file's event is being handled while the second is uploaded and its event delivered.
            const event = await p.upload(...(first as [string, Uint8Array]));
            const handling = p.deliver(twice ? [event, event] : [event], random, 2);
            if (wait < 0) await handling;
            for (let i = 0; i < wait; i++) await new Promise((r) => setImmediate(r));
            const later = await p.upload(...(second as [string, Uint8Array]));
            await Promise.all([handling, p.deliver([later], random, 1)]);
          } finally {
            finished = true;
            await rendering;
          }
          const out = await standIns.s3.send(
            new GetObjectCommand({ Bucket: p.draftsBucket, Key: `reports/${SEED_KEY}.json` }),
          );
          expect(JSON.parse((await out.Body?.transformToString()) ?? '{}').status).toBe('published');
          expect(await p.site.get(pageKey(SEED_PATH))).toBeDefined();
        },
      ),
      { numRuns: Math.max(8, Math.round(RUNS / 3)) },
    );
  });
  it('two draft keys naming one article (a rename by copy, then delete) end as that article, from the key that remains', {
    timeout: 120_000,
  }, async () => {
    const oldKey = 'xa-hoi/ban-cu.md';
    const newKey = 'thoi-su/ban-moi.md';
    await fc.assert(
      fc.asyncProperty(
        fc.integer(),
        fc.integer({ min: 1, max: 4 }),
        // Whether the old draft was published before the copy was made.
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        async (seed, concurrency, publishedBefore, duplicates) => {
          const random = seeded(seed);
          const p = await concurrentPipeline(standIns.s3, standIns.documents, await standIns.table());
          let finished = false;
          const rendering = p.renderAll(random, () => finished);
          try {
            const events = [
              await p.upload(oldKey, draftText({ id: 'tin-chung', title: 'Tin chung bản cũ' })),
            ];
            if (publishedBefore) await p.deliver(events.splice(0), random, 1);
            events.push(
              await p.upload(
                newKey,
                draftText({ id: 'tin-chung', title: 'Tin chung bản mới', slug: 'tin-chung' }),
              ),
            );
            events.push(await p.remove(oldKey));
            const again = Array.from({ length: duplicates }, () => events[random(events.length)] as S3Event);
            // Both keys' events at once, in any order, on several instances: one change to the article at a time.
            await p.deliver(shuffled([...events, ...again], random), random, concurrency);
          } finally {
            finished = true;
            await rendering;
          }
          const report = async (key: string) => {
            const out = await standIns.s3.send(
              new GetObjectCommand({ Bucket: p.draftsBucket, Key: `reports/${key}.json` }),
            );
            return JSON.parse((await out.Body?.transformToString()) ?? '{}');
          };
          expect((await report(newKey)).status).toBe('published');
          expect((await report(oldKey)).status).toBe('withdrawn');
          const page = await p.site.get(pageKey('/xa-hoi/tin-chung'));
          expect(Buffer.from(page?.bytes ?? []).toString()).toContain('Tin chung bản mới');
          // The one article, once: no page left at the old draft's address.
          const pages = (await p.site.list('xa-hoi/')).filter((k) => /^xa-hoi\/[^/]+\/index\.html$/.test(k));
          expect(pages).toEqual(['xa-hoi/tin-chung/index.html']);
        },
      ),
      { numRuns: Math.max(8, Math.round(RUNS / 3)) },
    );
  });
});

import { createHash } from 'node:crypto';
import dns from 'node:dns';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ViewId } from '#shared/ports.ts';
import { toS3EventRecord } from '../../local/s3-notifications.ts';
import { draftText, SITE } from '../support/site.ts';
import { delivered, sqsEvent } from '../support/sqs-events.ts';
import { commentTableOf, startStandIns } from '../support/stand-ins.ts';
import {
  startCloudFrontStandIn,
  startKeyValueStoreStandIn,
  startSchedulerStandIn,
  startSqsStandIn,
} from '../support/wire-stand-ins.ts';

let standIns: Awaited<ReturnType<typeof startStandIns>>;
let sqs: Awaited<ReturnType<typeof startSqsStandIn>>;
let cloudfront: Awaited<ReturnType<typeof startCloudFrontStandIn>>;
let kvs: Awaited<ReturnType<typeof startKeyValueStoreStandIn>>;
let scheduler: Awaited<ReturnType<typeof startSchedulerStandIn>>;
let handler: typeof import('../../functions/ingest/index.ts')['handler'];

const ENV_KEYS = [
  'DRAFTS_BUCKET',
  'SITE_BUCKET',
  'ARTICLE_TABLE',
  'SITE_CONFIG',
  'RENDER_QUEUE_URL',
] as const;

function lambdaEnv(table: string): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_S3: standIns.s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: standIns.dynamoEndpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_CLOUDFRONT: cloudfront.endpoint,
    // The SDK puts the account id in front of the store's host name, as AWS names it: kvs.test resolves here.
    AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE: kvs.endpoint.replace('127.0.0.1', 'kvs.test'),
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    DRAFTS_BUCKET: 'drafts',
    SITE_BUCKET: 'site',
    ARTICLE_TABLE: table,
    COMMENT_TABLE: commentTableOf(table),
    SITE_CONFIG: JSON.stringify(SITE),
    RENDER_QUEUE_URL: sqs.queueUrl('render.fifo'),
    DISTRIBUTION_ID: 'E2EXAMPLE',
    AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint,
    SCHEDULE_TARGET_ARN: 'arn:aws:lambda:us-east-1:000000000000:function:newsroom-ingest',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/newsroom-scheduler',
    SCHEDULE_DEAD_LETTER_ARN: 'arn:aws:sqs:us-east-1:000000000000:newsroom-scheduled-dead-letters',
    POWERTOOLS_METRICS_NAMESPACE: 'Newsroom/test',
    REBUILD_WORK_BUCKET: 'work',
    EDGE_RULES_STORE_ARN:
      'arn:aws:cloudfront::000000000000:key-value-store/0a1b2c3d-0000-4000-8000-000000000000',
  };
}

/** Resolves `<account>.kvs.test` to the loopback address, where the KeyValueStore stand-in listens. */
const realLookup = dns.lookup;
function resolveKvsTestHosts(): void {
  const patched = (host: string, options: unknown, callback?: unknown) => {
    const cb = (typeof options === 'function' ? options : callback) as (...args: unknown[]) => void;
    const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
    if (!host.endsWith('kvs.test'))
      return (realLookup as (...args: unknown[]) => void)(host, options, callback);
    return opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  };
  (dns as { lookup: unknown }).lookup = patched;
}

beforeAll(async () => {
  resolveKvsTestHosts();
  standIns = await startStandIns(['drafts', 'site', 'work']);
  sqs = await startSqsStandIn();
  cloudfront = await startCloudFrontStandIn();
  kvs = await startKeyValueStoreStandIn();
  scheduler = await startSchedulerStandIn();
  // As in Lambda: the environment is in place before the module builds its clients.
  Object.assign(process.env, lambdaEnv(await standIns.table()));
  ({ handler } = await import('../../functions/ingest/index.ts'));
});
afterAll(async () => {
  await standIns.stop();
  await sqs.stop();
  await cloudfront.stop();
  await kvs.stop();
  await scheduler.stop();
  (dns as { lookup: unknown }).lookup = realLookup;
});

async function upload(key: string, body: string | Buffer): Promise<S3Event> {
  await standIns.s3.send(new PutObjectCommand({ Bucket: 'drafts', Key: key, Body: body }));
  const record = toS3EventRecord({
    eventName: 'ObjectCreated:Put',
    eventTime: new Date().toISOString(),
    s3: { bucket: { name: 'drafts' }, object: { key, size: body.length } },
  });
  if (!record) throw new Error(`${key} is not a draft or image`);
  return { Records: [record] };
}

async function read(bucket: string, key: string): Promise<string | undefined> {
  try {
    const out = await standIns.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await out.Body?.transformToString('utf-8');
  } catch {
    return undefined;
  }
}

/** Hands the render jobs the ingest handler queued since the last call to the render function, as SQS would. */
let rendered = 0;
async function renderQueued(): Promise<unknown> {
  const { handler: render } = await import('../../functions/render/index.ts');
  const jobs = sqs.sent.filter((m) => m.queueUrl === sqs.queueUrl('render.fifo')).slice(rendered);
  rendered += jobs.length;
  return render(
    sqsEvent(
      jobs.map((m) => m.body),
      jobs.map((m) => m.groupId),
    ),
  );
}

describe('ingest handler, as Lambda runs it', () => {
  it('decodes S3-encoded keys (spaces as +, UTF-8 percent-encoded) and publishes the draft', async () => {
    const key = 'xa-hoi/Tin tức mới+1.md';
    const event = await upload(key, draftText({ title: 'Tin tức mới' }));
    expect(event.Records[0]?.s3.object.key).toBe('xa-hoi/Tin+t%E1%BB%A9c+m%E1%BB%9Bi%2B1.md');
    await handler(delivered(event));
    expect(await read('site', 'xa-hoi/tin-tuc-moi/index.html')).toContain('<h1>Tin tức mới</h1>');
    expect(JSON.parse((await read('drafts', `reports/${key}.json`)) ?? '{}')).toMatchObject({
      draftKey: key,
      status: 'published',
      url: 'https://baolaichau.example/xa-hoi/tin-tuc-moi',
    });
    expect(await read('site', '404.html')).toContain('Không tìm thấy trang');
  });

  it('queues render jobs in FIFO groups, one per view, and the render function builds those views', async () => {
    const jobs = sqs.sent.filter((m) => m.queueUrl === sqs.queueUrl('render.fifo'));
    const id = 'xa-hoi/Tin tức mới+1';
    expect(jobs.map((m) => [m.groupId, JSON.parse(m.body)])).toEqual([
      [
        `article/#${createHash('sha256').update(`article/${id}`).digest('hex').slice(0, 40)}`,
        { view: `article/${id}`, expect: { id, version: 1 } },
      ],
      ['home', { view: 'home', expect: { id, version: 1 } }],
      [
        'section/xa-hoi',
        // The section's archive pages that can change: the one holding the article's place.
        {
          view: 'section/xa-hoi',
          expect: { id, version: 1 },
          at: [`2024-01-02T01:00:00.000Z#${id}`],
        },
      ],
      ['sitemap/2024-01', { view: 'sitemap/2024-01', expect: { id, version: 1 } }],
    ]);
    expect(new Set(jobs.map((m) => m.deduplicationId)).size).toBe(jobs.length);
    expect(await renderQueued()).toEqual({ batchItemFailures: [] });
    expect(await read('site', 'xa-hoi/index.html')).toContain('href="/xa-hoi/tin-tuc-moi"');
    expect(await read('site', 'index.html')).toContain('href="/xa-hoi/tin-tuc-moi"');
    const url = 'https://baolaichau.example/xa-hoi/tin-tuc-moi';
    expect(await read('site', 'rss.xml')).toContain(`<link>${url}</link>`);
    expect(await read('site', 'xa-hoi/rss.xml')).toContain(`<link>${url}</link>`);
    expect(await read('site', 'sitemaps/2024-01.xml')).toContain(`<loc>${url}</loc>`);
    expect(await read('site', 'sitemap.xml')).toContain('/sitemaps/2024-01.xml</loc>');
    expect(await read('site', 'news-sitemap.xml')).toContain(`<loc>${url}</loc>`);
  });

  it('invoked directly (as after a deployment), the render function builds the site frame and every list', async () => {
    const { handler: render } = await import('../../functions/render/index.ts');
    expect(await render({})).toEqual({
      rebuilt: ['home', ...SITE.sections.map((s) => `section/${s.slug}`), 'corrections'],
    });
    for (const section of SITE.sections) {
      expect(await read('site', `${section.slug}/index.html`), section.slug).toContain(
        `<h1>${section.name}</h1>`,
      );
    }
    expect(await read('site', '404.html')).toContain('Không tìm thấy trang');
  });

  it('invalidates the key CloudFront caches a new, corrected or removed page under', async () => {
    const key = 'van-hoa/le-hoi.md';
    // The viewer-request function rewrites /van-hoa/le-hoi: the cache holds it as /van-hoa/le-hoi/index.html.
    const cacheKey = '/van-hoa/le-hoi/index.html';
    const invalidated = () => cloudfront.invalidations.flatMap((i) => i.paths);
    // New: a reader may have been given the 404 before it existed.
    await handler(delivered(await upload(key, draftText({ title: 'Lễ hội', section: 'van-hoa' }))));
    expect(await renderQueued()).toEqual({ batchItemFailures: [] });
    expect(invalidated()).toContain(cacheKey);
    expect(invalidated()).not.toContain('/van-hoa/le-hoi');
    cloudfront.invalidations.length = 0;
    await handler(
      delivered(await upload(key, draftText({ title: 'Lễ hội', section: 'van-hoa', lead: 'Sapo đã sửa.' }))),
    );
    expect(await renderQueued()).toEqual({ batchItemFailures: [] });
    expect(new Set(cloudfront.invalidations.map((i) => i.distributionId))).toEqual(new Set(['E2EXAMPLE']));
    expect(invalidated()).toContain(cacheKey);
    await standIns.s3.send(new DeleteObjectCommand({ Bucket: 'drafts', Key: key }));
    const removal = await upload('van-hoa/khac.md', draftText({ title: 'Khác', section: 'van-hoa' }));
    const record = removal.Records[0];
    if (!record) throw new Error('no record');
    await handler(
      delivered({
        Records: [
          {
            ...record,
            eventName: 'ObjectRemoved:Delete',
            s3: { ...record.s3, object: { ...record.s3.object, key: 'van-hoa/le-hoi.md' } },
          },
        ],
      }),
    );
    const before = invalidated().length;
    expect(await renderQueued()).toEqual({ batchItemFailures: [] });
    expect(invalidated().slice(before)).toContain(cacheKey);
    expect(await read('site', 'van-hoa/le-hoi/index.html')).toBeUndefined();
    // The address answers 410 Gone at the edge, through the KeyValueStore the CloudFront Function reads.
    expect(kvs.values.get('/van-hoa/le-hoi')).toBe('410');
  });

  it('writes a permanent redirect for a renamed article, retrying when another writer got there first', async () => {
    const key = 'van-hoa/doi-ten.md';
    await handler(delivered(await upload(key, draftText({ title: 'Tên cũ', section: 'van-hoa' }))));
    kvs.conflictNext(2);
    await handler(
      delivered(await upload(key, draftText({ title: 'Tên cũ', section: 'van-hoa', slug: 'ten-moi' }))),
    );
    expect(kvs.values.get('/van-hoa/ten-cu')).toBe('301 /van-hoa/ten-moi');
    expect(kvs.values.has('/van-hoa/ten-moi')).toBe(false);
  });

  it('schedules a future article with EventBridge Scheduler, and publishes it when the schedule invokes it', async () => {
    const key = 'van-hoa/le-hoi-xuan.md';
    await handler(
      delivered(
        await upload(
          key,
          draftText({ title: 'Lễ hội xuân', section: 'van-hoa', publishedAt: '2031-02-01T08:00:00+07:00' }),
        ),
      ),
    );
    expect(JSON.parse((await read('drafts', `reports/${key}.json`)) ?? '{}')).toMatchObject({
      status: 'scheduled',
      scheduledFor: '2031-02-01T01:00:00.000Z',
    });
    const [schedule] = [...scheduler.schedules.values()];
    expect(schedule).toMatchObject({
      ScheduleExpression: 'at(2031-02-01T01:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: 'arn:aws:lambda:us-east-1:000000000000:function:newsroom-ingest',
        // A delivery that fails every retry is kept, not dropped.
        DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:000000000000:newsroom-scheduled-dead-letters' },
      },
    });
    expect(await read('site', 'van-hoa/le-hoi-xuan/index.html')).toBeUndefined();
    // What EventBridge Scheduler sends the function at that time: the schedule's input.
    const target = schedule?.Target as { Input: string } | undefined;
    await handler(JSON.parse(target?.Input ?? '{}'));
    expect(await read('site', 'van-hoa/le-hoi-xuan/index.html')).toContain('Lễ hội xuân');
  });

  it('invoked with {"rebuild":{}}, regenerates the site and says how much it did', async () => {
    const result = (await handler({ rebuild: {} })) as { drafts: number; pages: number; removed: number };
    expect(result.drafts).toBeGreaterThan(3);
    expect(result.pages).toBeGreaterThan(SITE.sections.length);
    expect(await read('site', 'xa-hoi/tin-tuc-moi/index.html')).toContain('<h1>Tin tức mới</h1>');
  });

  it("runs the rebuild state machine's steps, handing its work on through the work bucket", async () => {
    const run = 'rebuild-2024';
    const now = new Date().toISOString();
    const applied = await handler({
      rebuildStep: { step: 'apply', run, now, uploads: [{ Key: 'xa-hoi/Tin tức mới+1.md', Etag: '"x"' }] },
    });
    // Its page, its section and its month's sitemap (it has no tags).
    expect(applied).toEqual({ applied: 1, views: 3 });
    const plan = (await handler({ rebuildStep: { step: 'plan', run } })) as { bucket: string; key: string };
    expect(plan).toMatchObject({ bucket: 'work', key: `rebuilds/${run}/views.json` });
    const views = JSON.parse((await read('work', plan.key)) ?? '[]') as ViewId[];
    expect(views[0]).toBe('article/xa-hoi/Tin tức mới+1');
    expect(views).toEqual(expect.arrayContaining(['section/xa-hoi', 'home', 'corrections']));
    expect(await handler({ rebuildStep: { step: 'render', views } })).toEqual({ rendered: views.length });
    expect(await handler({ rebuildStep: { step: 'withdrawn', segment: 0, of: 2 } })).toMatchObject({
      articles: expect.any(Number),
    });
    expect(await handler({ rebuildStep: { step: 'finish' } })).toEqual({ invalidated: '/*' });
    expect(await read('site', 'xa-hoi/tin-tuc-moi/index.html')).toContain('<h1>Tin tức mới</h1>');
  });

  it('from SQS, reports only the failed message back and handles the rest', async () => {
    const good = await upload('kinh-te/gia-lua.md', draftText({ title: 'Giá lúa tăng', section: 'kinh-te' }));
    const result = await handler(
      sqsEvent([
        JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'drafts' }),
        '{not json',
        JSON.stringify(good),
      ]),
    );
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(await read('site', 'kinh-te/gia-lua-tang/index.html')).toContain('Giá lúa tăng');
  });

  it('records a rejected draft for the editor without failing the message', async () => {
    const key = 'xa-hoi/thieu-tieu-de.md';
    const result = await handler(
      sqsEvent([JSON.stringify(await upload(key, draftText({ title: undefined })))]),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    const report = JSON.parse((await read('drafts', `reports/${key}.json`)) ?? '{}');
    expect(report).toMatchObject({ status: 'rejected', errors: [{ field: 'title', code: 'required' }] });
  });

  it('rejects on the first try a draft whose record the table could not hold, and keeps the live version', async () => {
    const key = 'xa-hoi/ngoac-kep.md';
    await handler(delivered(await upload(key, draftText({ title: 'Trích dẫn' }, 'Bản đầu.'))));
    const result = await handler(
      sqsEvent([
        JSON.stringify(await upload(key, draftText({ title: 'Trích dẫn' }, `Mở đầu ${'"'.repeat(190_000)}`))),
      ]),
    );
    expect(result).toEqual({ batchItemFailures: [] });
    const report = JSON.parse((await read('drafts', `reports/${key}.json`)) ?? '{}');
    expect(report).toMatchObject({
      status: 'rejected',
      errors: [{ field: 'body', code: 'article_too_large' }],
    });
    expect(report.errors[0].message).toContain('dấu ngoặc kép');
    expect(await read('site', 'xa-hoi/trich-dan/index.html')).toContain('Bản đầu.');
  });

  it('ignores records of other buckets and the reports it writes itself', async () => {
    const event = await upload('xa-hoi/khac.md', draftText({ title: 'Bài ở bucket khác' }));
    const record = event.Records[0];
    if (!record) throw new Error('no record');
    await handler(
      delivered({
        Records: [{ ...record, s3: { ...record.s3, bucket: { ...record.s3.bucket, name: 'other' } } }],
      }),
    );
    expect(await read('site', 'xa-hoi/bai-o-bucket-khac/index.html')).toBeUndefined();
    // The bucket sends every change, its own reports' too: the handler leaves them be (no report of a report).
    const report = toS3EventRecord({
      eventName: 'ObjectCreated:Put',
      eventTime: new Date().toISOString(),
      s3: { bucket: { name: 'drafts' }, object: { key: 'reports/xa-hoi/khac.md.json' } },
    });
    await handler(delivered({ Records: [report] }));
    expect(await read('drafts', 'reports/reports/xa-hoi/khac.md.json.json')).toBeUndefined();
  });

  it('refuses to start without its configuration, naming what is missing', async () => {
    const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
    try {
      delete process.env.DRAFTS_BUCKET;
      vi.resetModules();
      await expect(import('../../functions/ingest/index.ts')).rejects.toThrow(/DRAFTS_BUCKET is not set/);
      process.env.DRAFTS_BUCKET = 'drafts';
      process.env.SITE_CONFIG = JSON.stringify({ ...SITE, sections: [] });
      vi.resetModules();
      await expect(import('../../functions/ingest/index.ts')).rejects.toThrow(
        /SITE_CONFIG is not valid[\s\S]*sections/,
      );
    } finally {
      Object.assign(process.env, saved);
    }
  });
});

/**
 * Drives every AWS adapter the functions use, once, and prints what each call returned or threw, as JSON.
 * The test runs it twice, from source and bundled as the functions are deployed, and compares both runs:
 * their results and the requests they sent. S3 and DynamoDB calls go to the stand-ins; SQS, CloudFront,
 * its KeyValueStore and EventBridge Scheduler, which have none, go to a recorder that answers as they would.
 * Clients are made with the functions' options; credentials come from the environment, as in Lambda.
 */
import { Agent } from 'node:http';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT_OPTIONS } from '#shared/adapters/client-options.ts';
import { KeyValueStoreEdgeRules } from '#shared/adapters/cloudfront/edge-rules.ts';
import { CloudFrontInvalidator } from '#shared/adapters/cloudfront/invalidator.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoLeaseStore } from '#shared/adapters/dynamodb/leases.ts';
import { S3DraftStore, S3SiteStore } from '#shared/adapters/s3/stores.ts';
import { EventBridgePublishScheduler } from '#shared/adapters/scheduler/eventbridge.ts';
import { SqsRenderQueue } from '#shared/adapters/sqs/render-queue.ts';
import type { ArticleRecord } from '#shared/domain/article.ts';
import { problem } from '#shared/domain/problems.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const region = 'us-east-1';
const recorder = env('PROBE_RECORDER');
const s3 = new S3Client({
  ...AWS_CLIENT_OPTIONS,
  region,
  endpoint: env('PROBE_S3'),
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const documents = DynamoDBDocumentClient.from(
  new DynamoDBClient({ ...AWS_CLIENT_OPTIONS, region, endpoint: env('PROBE_DYNAMO') }),
  {
    marshallOptions: { removeUndefinedValues: true },
  },
);
const table = env('PROBE_TABLE');
const site = new S3SiteStore(s3, 'site');
const drafts = new S3DraftStore(s3, 'drafts');
const index = new DynamoArticleIndex(documents, table);
const leases = new DynamoLeaseStore(documents, table);
const queue = new SqsRenderQueue(
  new SQSClient({ ...AWS_CLIENT_OPTIONS, region, endpoint: recorder }),
  `${recorder}/0/render.fifo`,
);
const cdn = new CloudFrontInvalidator(
  new CloudFrontClient({ ...AWS_CLIENT_OPTIONS, region, endpoint: recorder }),
  'E2PROBE',
);
// The KeyValueStore's endpoint puts the account in the host name (`123456789012.localhost`), which only
// this lookup sends to the recorder.
const loopback = new Agent({
  lookup: (_host, options, callback) =>
    options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4),
});
const edge = new KeyValueStoreEdgeRules(
  new CloudFrontKeyValueStoreClient({
    region,
    endpoint: recorder.replace('127.0.0.1', 'localhost'),
    requestHandler: { ...AWS_CLIENT_OPTIONS.requestHandler, httpAgent: loopback },
  }),
  'arn:aws:cloudfront::123456789012:key-value-store/0f0e0d0c-0b0a-4909-8807-060504030201',
);
const scheduler = new EventBridgePublishScheduler(
  new SchedulerClient({ ...AWS_CLIENT_OPTIONS, region, endpoint: recorder }),
  {
    targetArn: 'arn:aws:lambda:us-east-1:123456789012:function:ingest',
    roleArn: 'arn:aws:iam::123456789012:role/scheduler',
    deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:scheduled-dead-letters',
  },
);

const at = '2026-11-26T08:30:00.000Z';
const record: ArticleRecord = {
  id: 'go-kho-cho-dong-bao',
  draftKey: 'kinh-te/go-kho-cho-dong-bao.md',
  section: 'kinh-te',
  slug: 'go-kho-cho-dong-bao',
  path: '/kinh-te/go-kho-cho-dong-bao',
  title: '“Gỡ khó” cho đồng bào vùng cao',
  lead: 'Tỉnh Lai Châu hỗ trợ đồng bào.',
  excerpt: 'Tỉnh Lai Châu hỗ trợ đồng bào.',
  author: { name: 'Phóng viên' },
  tags: ['nong-thon-moi'],
  publishedAt: at,
  sortKey: `${at}#go-kho-cho-dong-bao`,
  status: 'live',
  contentHash: 'h',
  bodyHtml: '<p>Đồng bào Mông ở Sìn Suối Hồ.</p>',
  version: 1,
  formerPaths: [],
  settled: true,
};

const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);
const steps: [string, () => Promise<unknown>][] = [
  [
    'site.put',
    () =>
      site.put('kinh-te/go-kho.html', '<h1>Gỡ khó</h1>', {
        contentType: 'text/html; charset=utf-8',
        cacheControl: 'max-age=60',
      }),
  ],
  [
    'site.get',
    async () => {
      const o = await site.get('kinh-te/go-kho.html');
      return { text: text(o?.bytes), contentType: o?.contentType, cacheControl: o?.cacheControl };
    },
  ],
  ['site.get missing', () => site.get('khong-co.html')],
  ['site.list', () => site.list('kinh-te/')],
  ['site.delete', () => site.delete(['kinh-te/go-kho.html', 'khong-co.html'])],
  ['site.get deleted', () => site.get('kinh-te/go-kho.html')],
  [
    'drafts.putReport',
    () =>
      drafts.putReport({
        draftKey: 'kinh-te/a.md',
        status: 'rejected',
        errors: [problem('required', { field: 'title' })],
        warnings: [],
        uploadedAt: at,
      }),
  ],
  [
    'drafts.listVersions',
    async () => {
      const pages = [];
      // The upload time is the run's own: whether one was read, not which.
      for await (const page of drafts.listVersions({ after: 'a' })) {
        pages.push(page.map((v) => ({ key: v.key, etag: v.etag, dated: v.modifiedAt.getTime() > 0 })));
      }
      return pages;
    },
  ],
  [
    'drafts.get limited',
    async () => {
      const o = await drafts.get('reports/kinh-te/a.md.json', { maxBytes: 10 });
      return { tooLarge: o?.tooLarge, size: o?.size };
    },
  ],
  ['index.put', () => index.put(record)],
  ['index.get', () => index.get(record.id)],
  ['index.teasers', () => index.teasers({ section: 'kinh-te', limit: 5 })],
  ['index.teasers by tag', () => index.teasers({ tag: 'nong-thon-moi', limit: 5 })],
  ['index.claimPath', () => index.claimPath(record.path, record.id)],
  ['index.claimPath taken', () => index.claimPath(record.path, 'bai-khac')],
  ['index.idForDraft', () => index.idForDraft(record.draftKey)],
  [
    'index.setImagesOf',
    () => index.setImagesOf(record.draftKey, ['kinh-te/ảnh/gỡ khó.jpg', 'kinh-te/b.png']),
  ],
  ['index.setImagesOf again', () => index.setImagesOf(record.draftKey, ['kinh-te/b.png'])],
  [
    'index.draftsNaming',
    async () => [
      await index.draftsNaming('kinh-te/ảnh/gỡ khó.jpg'),
      await index.draftsNaming('kinh-te/b.png'),
    ],
  ],
  ['leases.acquire', () => leases.acquire('draft/kinh-te/a.md', 'one', 60_000)],
  ['leases.acquire held', () => leases.acquire('draft/kinh-te/a.md', 'two', 60_000)],
  ['leases.release', () => leases.release('draft/kinh-te/a.md', 'one')],
  [
    'queue.send',
    () => queue.send([{ view: 'home' }, { view: 'section/kinh-te', expect: { id: record.id, version: 1 } }]),
  ],
  ['cdn.invalidate', () => cdn.invalidate(['/kinh-te/gỡ-khó', '/'])],
  ['edge.set 301', () => edge.set('/kinh-te/cu', { status: 301, location: record.path })],
  ['edge.set clear', () => edge.set('/kinh-te/khong-co', undefined)],
  ['scheduler.schedule', () => scheduler.schedule(record.draftKey, new Date(at))],
  ['scheduler.cancel', () => scheduler.cancel(record.draftKey)],
];

const results: Record<string, unknown> = {};
for (const [name, step] of steps) {
  try {
    results[name] = { ok: (await step()) ?? null };
  } catch (err) {
    results[name] = { error: (err as Error).name, message: (err as Error).message };
  }
}
console.log(JSON.stringify(results));

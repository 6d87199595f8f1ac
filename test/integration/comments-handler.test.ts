import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoComments } from '#shared/adapters/dynamodb/comments.ts';
import { MemoryModeratorDigest } from '#shared/adapters/memory/comments.ts';
import { MemoryCdnInvalidator, MemoryOpsMetrics, MemorySiteStore } from '#shared/adapters/memory/index.ts';
import { pageKey } from '#shared/domain/article.ts';
import { writeArticlePage } from '#shared/use-cases/site-writes.ts';
import { composeComments } from '../../functions/comments/compose.ts';
import { makeCommentsHandler } from '../../functions/comments/handler.ts';
import { silentLog } from '../support/memory-pipeline.ts';
import { articleRecord, SITE } from '../support/site.ts';
import { commentTableOf, startStandIns } from '../support/stand-ins.ts';

// The comments function as Lambda runs it (its own composition), on the DynamoDB stand-in, given the
// events API Gateway hands it for what CloudFront forwards: hostile posts get a Vietnamese page, never a 5xx.

const SECRET = 'origin-secret';
const ARTICLE = articleRecord(1, {
  id: 'xa-hoi/bai-1',
  path: '/xa-hoi/bai-1',
  publishedAt: new Date().toISOString(),
});
let standIns: Awaited<ReturnType<typeof startStandIns>>;
let handler: ReturnType<typeof makeCommentsHandler>;
let comments: DynamoComments;
let articleTable: string;
const digest = new MemoryModeratorDigest();
let addresses = 0;

function event(
  body: string | Buffer,
  headers: Record<string, string> = {},
  options: { method?: string; base64?: boolean; address?: string } = {},
): APIGatewayProxyEventV2 {
  addresses += 1;
  const method = options.method ?? 'POST';
  const raw = typeof body === 'string' ? Buffer.from(body) : body;
  return {
    version: '2.0',
    routeKey: 'ANY /api/comments',
    rawPath: '/api/comments',
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: SITE.siteUrl,
      'x-origin-verify': SECRET,
      // Each post from its own network unless told: the limits are tested on their own.
      'cloudfront-viewer-address': `${options.address ?? `198.51.${addresses % 250}.${addresses % 200}`}:44321`,
      ...headers,
    },
    isBase64Encoded: options.base64 ?? true,
    body: options.base64 === false ? raw.toString('utf8') : raw.toString('base64'),
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'api.example',
      domainPrefix: 'api',
      http: {
        method,
        path: '/api/comments',
        protocol: 'HTTP/1.1',
        sourceIp: '130.176.0.1',
        userAgent: 'test',
      },
      requestId: `r${addresses}`,
      routeKey: 'ANY /api/comments',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}

const formBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (
  fields: Record<string, string>,
  headers?: Record<string, string>,
  options?: Parameters<typeof event>[2],
) =>
  handler(
    event(formBody({ article: ARTICLE.id, name: 'Độc giả', text: 'Ý kiến.', ...fields }), headers, options),
  );

beforeAll(async () => {
  standIns = await startStandIns();
  const table = await standIns.table();
  articleTable = table;
  await new DynamoArticleIndex(standIns.documents, table).put(ARTICLE);
  const env = {
    COMMENT_TABLE: commentTableOf(table),
    ARTICLE_TABLE: table,
    SITE_CONFIG: JSON.stringify(SITE),
    ORIGIN_SECRET: SECRET,
  };
  const deps = composeComments(env, {
    clients: { s3: standIns.s3, documents: standIns.documents },
    log: silentLog,
    metrics: new MemoryOpsMetrics(),
    digest,
  });
  handler = makeCommentsHandler(deps);
  comments = new DynamoComments(standIns.documents, commentTableOf(table));
}, 60_000);

afterAll(async () => {
  await standIns?.stop();
});

function expectPage(result: APIGatewayProxyStructuredResultV2, status: number, text: RegExp) {
  expect(result.statusCode).toBe(status);
  expect(result.headers?.['content-type']).toBe('text/html; charset=utf-8');
  expect(result.headers?.['cache-control']).toBe('no-store');
  expect(result.body).toContain('<html lang="vi">');
  expect(result.body).toMatch(text);
  expect(result.body).toContain('#binh-luan');
}

describe('the comments function', () => {
  it('keeps a post as pending and answers that it waits for a moderator', async () => {
    const result = await post({ text: 'Bài viết rất bổ ích.', email: 'docgia@example.vn' });
    expectPage(result as APIGatewayProxyStructuredResultV2, 200, /đang chờ ban biên tập duyệt/);
    const pending = await comments.pending(50);
    expect(pending.map((c) => c.text)).toContain('Bài viết rất bổ ích.');
    expect(JSON.stringify(pending)).not.toMatch(/198\.51\./);
  });

  it.each<{ case: string; fields: Record<string, string>; status: number; says?: RegExp }>([
    {
      case: 'markup and a script',
      fields: { text: '<script>alert(1)</script><img src=x onerror=alert(2)>' },
      status: 200,
    },
    { case: 'a bidi override in the name', fields: { name: '\u202Eneh\u202C Lan', text: 'x' }, status: 200 },
    { case: 'no name', fields: { name: '' }, status: 400, says: /chưa nhập tên/ },
    { case: 'only spaces', fields: { text: '   \n\t ' }, status: 400, says: /chưa viết bình luận/ },
    {
      case: 'a comment of 2,001 characters',
      fields: { text: 'a'.repeat(2001) },
      status: 400,
      says: /2\.001 ký tự/,
    },
    {
      case: 'an article that does not exist',
      fields: { article: 'khong-co' },
      status: 404,
      says: /không có trên trang/,
    },
    { case: 'a bad email', fields: { email: 'a@' }, status: 400, says: /email không hợp lệ/ },
  ])('answers $case with $status, in Vietnamese', async ({ fields, status, says }) => {
    const result = (await post(fields)) as APIGatewayProxyStructuredResultV2;
    expectPage(result, status, says ?? /chờ ban biên tập duyệt/);
    expect(result.body).not.toMatch(/<script>alert|<img src=x/);
  });

  it.each([
    {
      case: 'a body of 100 KB',
      make: () => event(formBody({ article: ARTICLE.id, name: 'A', text: 'x'.repeat(100_000) })),
      status: 413,
      says: /quá lớn/,
    },
    {
      case: 'bytes that are not UTF-8',
      make: () => event(Buffer.from([0x74, 0x65, 0x78, 0x74, 0x3d, 0xff, 0xfe])),
      status: 400,
      says: /UTF-8/,
    },
    {
      case: 'a percent-escape that is not UTF-8',
      make: () => event(`article=${ARTICLE.id}&name=A&text=%FF%FE`),
      status: 400,
      says: /UTF-8/,
    },
    {
      case: 'a lone surrogate, escaped',
      make: () => event(`article=${ARTICLE.id}&name=A&text=%ED%A0%80`),
      status: 400,
      says: /UTF-8/,
    },
    { case: 'an empty body', make: () => event(''), status: 400, says: /chưa nhập tên/ },
    {
      case: 'JSON instead of a form',
      make: () => event('{"text":"x"}', { 'content-type': 'application/json' }),
      status: 415,
      says: /mẫu &quot;Viết bình luận&quot;/,
    },
    { case: 'a GET', make: () => event('', {}, { method: 'GET' }), status: 405, says: /chỉ nhận bình luận/ },
    {
      case: 'a post from another site',
      make: () =>
        event(formBody({ article: ARTICLE.id, name: 'A', text: 'x' }), { origin: 'https://evil.example' }),
      status: 403,
      says: /chỉ được gửi từ trang bài viết/,
    },
    {
      case: 'a call around CloudFront',
      make: () =>
        event(formBody({ article: ARTICLE.id, name: 'A', text: 'x' }), { 'x-origin-verify': 'guess' }),
      status: 403,
      says: /qua trang của báo/,
    },
  ])('answers $case with $status, never a 5xx', async ({ make, status, says }) => {
    expectPage((await handler(make())) as APIGatewayProxyStructuredResultV2, status, says);
  });

  it('answers a flood from one network with 429 past the limit, saying how long to wait', async () => {
    const results: APIGatewayProxyStructuredResultV2[] = [];
    for (let i = 0; i < 15; i++) {
      results.push(
        (await post(
          { text: `Lũ bình luận ${i}` },
          {},
          { address: '203.0.113.9' },
        )) as APIGatewayProxyStructuredResultV2,
      );
    }
    expect(results.map((r) => r.statusCode)).toEqual([200, ...Array(14).fill(429)]);
    const refused = results[1];
    expect(Number(refused?.headers?.['retry-after'])).toBeGreaterThan(0);
    expect(refused?.body).toMatch(/quá nhanh/);
    const texts = (await comments.pending(100)).map((c) => c.text);
    expect(texts.filter((t) => t.startsWith('Lũ bình luận'))).toEqual(['Lũ bình luận 0']);
  });

  it('shows an approved comment escaped on the page, and the digest lists the pending flagged first', async () => {
    await post({ text: 'Xem www.spam.example ngay' });
    const hostile = (await comments.pending(100)).find((c) => c.text.startsWith('<script>'));
    await comments.decide(hostile?.id ?? '', {
      status: 'approved',
      by: 'bientap',
      at: new Date().toISOString(),
    });
    // The page as both functions write it, its comments read from the table.
    const site = new MemorySiteStore();
    const index = new DynamoArticleIndex(standIns.documents, articleTable);
    const cdn = new MemoryCdnInvalidator();
    await writeArticlePage({ site, index, cdn, config: SITE, shownComments: comments }, ARTICLE, {
      invalidate: 'if-changed',
    });
    const html = Buffer.from(site.objects.get(pageKey(ARTICLE.path))?.bytes ?? []).toString('utf8');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('Hiện tại chưa có bình luận');
    expect(html).toContain('Viết bình luận');
    expect(await handler({ digest: {} })).toEqual({ pending: expect.any(Number) });
    const [sent] = digest.sent;
    expect(sent?.subject).toMatch(/bình luận chờ duyệt/);
    const lines = (sent?.text ?? '').split('\n').filter((l) => l.startsWith('- '));
    expect(lines[0]).toMatch(/ĐÁNH DẤU/);
    expect(sent?.text).not.toContain('docgia@example.vn');
  });

  it('composes with the default settings (no digest recipients): the digest schedule measures and mails nothing', async () => {
    const metrics = new MemoryOpsMetrics();
    const env = {
      COMMENT_TABLE: commentTableOf(articleTable),
      ARTICLE_TABLE: articleTable,
      SITE_CONFIG: JSON.stringify(SITE),
      ORIGIN_SECRET: SECRET,
      POWERTOOLS_METRICS_NAMESPACE: 'newsroom',
    };
    const withoutMail = makeCommentsHandler(
      composeComments(env, {
        clients: { s3: standIns.s3, documents: standIns.documents },
        log: silentLog,
        metrics,
      }),
    );
    const before = digest.sent.length;
    const { pending } = await withoutMail({ digest: {} });
    expect(pending).toBeGreaterThan(0);
    expect(metrics.counted.map((c) => c.name)).toContain('OldestPendingCommentMinutes');
    expect(digest.sent.length).toBe(before);
    // A sender without recipients (or the reverse) is a deployment mistake, named at cold start.
    expect(() => composeComments({ ...env, DIGEST_FROM: 'binhluan@baolaichau.example' })).toThrow(
      /DIGEST_FROM and MODERATOR_EMAILS/,
    );
  });
});

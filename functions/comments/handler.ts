import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { SiteConfig } from '#shared/domain/site.ts';
import type { ModeratorDigest, OpsMetrics } from '#shared/ports.ts';
import { renderCommentAnswer } from '#shared/render/pages.ts';
import { type PostDeps, postComment, sendDigest } from '#shared/use-cases/comments.ts';

/** The largest form the function reads: a comment of 2,000 characters, each percent-encoded, and the rest. */
export const MAX_FORM_BYTES = 32 * 1024;

export interface CommentsHandlerDeps extends PostDeps {
  /** Where the moderators' digest goes; none: the digest schedule only measures the oldest wait. */
  readonly digest?: ModeratorDigest;
  readonly metrics: OpsMetrics;
  /** The value CloudFront adds as `x-origin-verify` to every request it forwards; others are refused. */
  readonly originSecret?: string;
}

/** The digest schedule's event (EventBridge Scheduler, every few minutes). */
export interface DigestEvent {
  readonly digest: Record<string, never>;
}

export class UnknownCommentsEventError extends Error {
  override readonly name = 'UnknownCommentsEventError';
}

/**
 * The comments function: a reader's form posted to `POST /api/comments` (API Gateway HTTP API, payload
 * 2.0, behind CloudFront), answered with a page in Vietnamese, never a 5xx for anything a reader sends; and
 * the digest schedule, which tells the moderators what waits for them.
 */
export function makeCommentsHandler(deps: CommentsHandlerDeps) {
  async function handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
  async function handle(event: DigestEvent): Promise<{ pending: number }>;
  async function handle(
    event: APIGatewayProxyEventV2 | DigestEvent,
  ): Promise<APIGatewayProxyStructuredResultV2 | { pending: number }> {
    try {
      if ('digest' in event) return { pending: await sendDigest(deps) };
      if (event.requestContext?.http) return await answerPost(deps, event);
      throw new UnknownCommentsEventError('The comments function takes form posts and digest events only');
    } finally {
      deps.metrics.flush();
    }
  }
  return handle;
}

async function answerPost(
  deps: CommentsHandlerDeps,
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> {
  const headers = lowerCased(event.headers ?? {});
  const page = (status: number, accepted: boolean, messages: readonly string[], back?: string, more = {}) =>
    answer(deps.config, status, { accepted, messages, ...(back ? { back } : {}) }, more);
  if (deps.originSecret !== undefined && headers['x-origin-verify'] !== deps.originSecret) {
    return page(403, false, ['Bình luận chỉ được gửi qua trang của báo.']);
  }
  if (event.requestContext.http.method !== 'POST') {
    return page(405, false, ['Địa chỉ này chỉ nhận bình luận gửi từ mẫu dưới bài viết.'], undefined, {
      allow: 'POST',
    });
  }
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    return page(415, false, ['Bình luận phải được gửi từ mẫu "Viết bình luận" dưới bài viết.']);
  }
  const raw = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.byteLength > MAX_FORM_BYTES) {
    return page(413, false, ['Nội dung gửi quá lớn. Bình luận dài tối đa 2.000 ký tự.']);
  }
  const fields = readForm(raw);
  if (!fields) {
    return page(400, false, [
      'Nội dung gửi không đọc được (không đúng mã UTF-8). Hãy gõ lại bình luận rồi gửi.',
    ]);
  }
  const outcome = await postComment(deps, {
    fields,
    ...(headers.origin ? { origin: headers.origin } : {}),
    ...(headers.referer ? { referer: headers.referer } : {}),
    ...(headers['sec-fetch-site'] ? { fetchSite: headers['sec-fetch-site'] } : {}),
    clientAddress: viewerAddress(headers['cloudfront-viewer-address']) ?? event.requestContext.http.sourceIp,
  });
  if (outcome.kind === 'accepted') return page(200, true, [], outcome.articlePath);
  return page(
    outcome.status,
    false,
    outcome.refusals.map((r) => r.message),
    outcome.articlePath,
    outcome.retryAfter ? { 'retry-after': String(outcome.retryAfter) } : {},
  );
}

function answer(
  site: SiteConfig,
  statusCode: number,
  content: Parameters<typeof renderCommentAnswer>[1],
  headers: Record<string, string>,
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      // An answer to one reader's post: never kept by the CDN or the browser.
      'cache-control': 'no-store',
      'x-robots-tag': 'noindex',
      ...headers,
    },
    body: renderCommentAnswer(site, content),
  };
}

function lowerCased(headers: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/**
 * The fields of an `application/x-www-form-urlencoded` body, or none if it is not UTF-8 (raw, or once
 * percent-decoded: URLSearchParams would turn such bytes into U+FFFD without a word). A field given twice
 * keeps its first value.
 */
export function readForm(raw: Uint8Array): Map<string, string> | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return undefined;
  }
  const fields = new Map<string, string>();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    const [name, value] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    try {
      const key = decodeURIComponent(name.replace(/\+/g, ' '));
      if (!fields.has(key)) fields.set(key, decodeURIComponent(value.replace(/\+/g, ' ')));
    } catch {
      return undefined;
    }
  }
  return fields;
}

/** The address in CloudFront's `CloudFront-Viewer-Address` header (`address:port`), without the port. */
export function viewerAddress(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const at = header.lastIndexOf(':');
  return at > 0 ? header.slice(0, at) : undefined;
}

import { createHmac, randomBytes } from 'node:crypto';
import {
  type CommentRefusal,
  clientNetwork,
  commentFlags,
  type ReaderComment,
  readCommentForm,
  threadOpen,
} from '../domain/comments.ts';
import type { SiteConfig } from '../domain/site.ts';
import type {
  ArticleLists,
  Articles,
  CommentBans,
  CommentSecret,
  Comments,
  Log,
  ModeratorDigest,
  OpsMetrics,
  PostingLimit,
  PostingLimits,
  RenderQueue,
} from '../ports.ts';

/** How often one reader (by network), one email, and one article may be posted to. */
export const POSTING_LIMITS = {
  perReader: [
    { windowSeconds: 30, limit: 1 },
    { windowSeconds: 86_400, limit: 10 },
  ],
  perArticle: [{ windowSeconds: 3600, limit: 100 }],
} as const;

export interface PostDeps {
  readonly comments: Comments;
  readonly limits: PostingLimits;
  readonly bans: CommentBans;
  readonly secret: CommentSecret;
  readonly articles: Pick<Articles, 'get'>;
  readonly config: SiteConfig;
  readonly log: Log;
  readonly metrics?: Pick<OpsMetrics, 'count'>;
  readonly now?: () => Date;
}

/** A posted form as it reached the function: its fields, the headers that say where it came from. */
export interface CommentRequest {
  readonly fields: ReadonlyMap<string, string>;
  readonly origin?: string;
  readonly referer?: string;
  /** The browser's own word on where the form was (`Sec-Fetch-Site`: `same-origin`, `cross-site`…). */
  readonly fetchSite?: string;
  /** The reader's address, as CloudFront saw it. */
  readonly clientAddress?: string;
}

export type PostOutcome =
  | { readonly kind: 'accepted'; readonly articlePath: string }
  | {
      readonly kind: 'refused';
      readonly status: 400 | 403 | 404 | 429;
      readonly refusals: readonly CommentRefusal[];
      readonly articlePath?: string;
      readonly retryAfter?: number;
    };

const refused = (
  status: 400 | 403 | 404 | 429,
  refusal: CommentRefusal,
  more: { articlePath?: string; retryAfter?: number } = {},
): PostOutcome => ({ kind: 'refused', status, refusals: [refusal], ...more });

/**
 * Takes a comment a reader posted: from the site only, for a live article whose thread is open, within the
 * posting limits, from an address not barred; checked and cleaned, flagged where a moderator should look
 * twice, and kept as pending. Nothing a reader posts shows before a moderator approves it.
 */
export async function postComment(deps: PostDeps, request: CommentRequest): Promise<PostOutcome> {
  const now = deps.now?.() ?? new Date();
  if (!fromTheSite(deps, request)) {
    return refused(403, {
      field: 'form',
      code: 'cross_site',
      message: `Bình luận chỉ được gửi từ trang bài viết trên ${new URL(deps.config.siteUrl).host}.`,
    });
  }
  const form = readCommentForm(request.fields);
  if (!form.ok) return { kind: 'refused', status: 400, refusals: form.refusals };
  const { post } = form;
  const article = await deps.articles.get(post.articleId);
  if (article?.status !== 'live') {
    return refused(404, {
      field: 'article',
      code: 'article_unknown',
      message: 'Bài viết này không có trên trang (có thể đã gỡ). Bình luận không được gửi.',
    });
  }
  const articlePath = article.path;
  const { closeAfterDays } = deps.config.comments;
  if (!threadOpen(article.publishedAt, closeAfterDays, now)) {
    return refused(
      403,
      {
        field: 'form',
        code: 'thread_closed',
        message: `Bài viết này đã đóng bình luận (bình luận mở ${closeAfterDays} ngày sau khi đăng).`,
      },
      { articlePath },
    );
  }
  const key = await deps.secret.key();
  const network = clientNetwork(request.clientAddress ?? '') ?? 'unknown';
  const client = keyedHash(key, network);
  if (await deps.bans.isBanned(client)) {
    return refused(
      403,
      {
        field: 'form',
        code: 'banned',
        message: 'Bình luận từ địa chỉ mạng này đã bị ban biên tập tạm dừng.',
      },
      { articlePath },
    );
  }
  // Filled in by robots only: answered as any post is, kept nowhere.
  if (post.honeypot) {
    deps.log.info('comment dropped: honeypot filled', { articleId: article.id });
    return { kind: 'accepted', articlePath };
  }
  // Counted under a key of the day: yesterday's counters say nothing about the reader today.
  const day = now.toISOString().slice(0, 10);
  const limits: PostingLimit[] = [
    ...POSTING_LIMITS.perReader.map((l) => ({ ...l, key: `reader#${keyedHash(key, `${day}|${network}`)}` })),
    ...(post.email
      ? POSTING_LIMITS.perReader.map((l) => ({
          ...l,
          key: `email#${keyedHash(key, `${day}|${post.email}`)}`,
        }))
      : []),
    ...POSTING_LIMITS.perArticle.map((l) => ({ ...l, key: `article#${article.id}` })),
  ];
  const taken = await deps.limits.take(limits, now);
  if (!taken.ok) {
    deps.metrics?.count('CommentsRefused', 1);
    return refused(
      429,
      {
        field: 'form',
        code: 'too_many',
        message: `Bạn gửi bình luận quá nhanh. Hãy đợi ${waitText(taken.retryAfter)} rồi gửi lại.`,
      },
      { articlePath, retryAfter: taken.retryAfter },
    );
  }
  const earlier = (await deps.comments.onArticle(article.id)).map((c) => c.text);
  const comment: ReaderComment = {
    id: randomBytes(8).toString('hex'),
    articleId: article.id,
    name: post.name,
    text: post.text,
    ...(post.email ? { email: post.email } : {}),
    client,
    createdAt: now.toISOString(),
    status: 'pending',
    flags: commentFlags(post.text, { words: deps.config.comments.flagWords, earlier }),
  };
  await deps.comments.add(comment);
  deps.metrics?.count('CommentsPosted', 1);
  deps.log.info('comment received', {
    commentId: comment.id,
    articleId: article.id,
    flags: comment.flags.map((f) => f.code),
  });
  return { kind: 'accepted', articlePath };
}

/**
 * The form was on the site's own pages: the browser says so (`Sec-Fetch-Site: same-origin`, whatever name
 * the site is reached by: its domain, the distribution's own, a laptop's), or, from a browser that sends no
 * fetch metadata, the Origin header names the site (without one, the Referer is a page of the site).
 */
function fromTheSite(deps: PostDeps, request: CommentRequest): boolean {
  if (request.fetchSite !== undefined && request.fetchSite !== '') return request.fetchSite === 'same-origin';
  const allowed = [new URL(deps.config.siteUrl).origin];
  if (request.origin !== undefined && request.origin !== '') return allowed.includes(request.origin);
  const referer = request.referer ?? '';
  return allowed.some((o) => referer.startsWith(`${o}/`));
}

/** A short keyed hash (HMAC-SHA-256, 96 bits): the same input gives the same hash under one key. */
export function keyedHash(key: Uint8Array, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex').slice(0, 24);
}

function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} giây`;
  if (seconds < 3600) return `${Math.ceil(seconds / 60)} phút`;
  return `${Math.ceil(seconds / 3600)} giờ`;
}

export interface ModerationDeps {
  readonly comments: Comments;
  readonly bans: CommentBans;
  readonly render: RenderQueue;
  readonly now?: () => Date;
}

export class CommentNotFoundError extends Error {
  override readonly name = 'CommentNotFoundError';
}

/**
 * A moderator's decision: recorded with who and when, then the article's page is rendered again (its
 * approved comments change; a rejected comment that was approved comes off).
 */
export async function decideComment(
  deps: ModerationDeps,
  id: string,
  decision: { status: 'approved' | 'rejected'; by: string; reason?: string },
): Promise<ReaderComment> {
  const at = (deps.now?.() ?? new Date()).toISOString();
  const decided = await deps.comments.decide(id, { ...decision, at });
  if (!decided) throw new CommentNotFoundError(`No comment has the id ${id}`);
  await deps.render.send([{ view: `article/${decided.articleId}` }]);
  return decided;
}

/** Removes a comment and the personal data it holds (email, address hash); the page is rendered again. */
export async function deleteComment(deps: ModerationDeps, id: string, by: string): Promise<ReaderComment> {
  const at = (deps.now?.() ?? new Date()).toISOString();
  const removed = await deps.comments.remove(id, by, at);
  if (!removed) throw new CommentNotFoundError(`No comment has the id ${id}`);
  await deps.render.send([{ view: `article/${removed.articleId}` }]);
  return removed;
}

/** Bars a reader's network (the `client` hash a pending comment shows) from commenting. */
export async function banClient(deps: ModerationDeps, client: string, by: string): Promise<void> {
  if (!/^[0-9a-f]{24}$/.test(client)) throw new CommentNotFoundError(`"${client}" is not a client hash`);
  await deps.bans.ban(client, by, (deps.now?.() ?? new Date()).toISOString());
}

/**
 * Tells the moderators what waits for them, flagged first, and how long the oldest has waited (a metric
 * the oldest-pending alarm watches). Nothing is sent when nothing waits, or when no one is to get it (a
 * deployment without recipients watches the metric only).
 */
export async function sendDigest(
  deps: {
    readonly comments: Comments;
    readonly digest?: ModeratorDigest;
    readonly metrics?: Pick<OpsMetrics, 'count'>;
    readonly config: SiteConfig;
    readonly now?: () => Date;
  },
  limit = 50,
): Promise<number> {
  const now = deps.now?.() ?? new Date();
  const pending = await deps.comments.pending(limit);
  const oldest = pending.reduce((min, c) => Math.min(min, Date.parse(c.createdAt)), now.getTime());
  deps.metrics?.count('OldestPendingCommentMinutes', Math.floor((now.getTime() - oldest) / 60_000));
  if (pending.length === 0) return 0;
  if (!deps.digest) return pending.length;
  const lines = pending.map(
    (c) =>
      `- ${c.id} · ${c.articleId} · ${c.name}${c.flags.length > 0 ? ` · ĐÁNH DẤU: ${c.flags.map((f) => f.detail).join('; ')}` : ''}\n  ${c.text.slice(0, 200).replace(/\n/g, ' ')}`,
  );
  await deps.digest.send(
    `[${deps.config.siteName}] ${pending.length}${pending.length === limit ? '+' : ''} bình luận chờ duyệt`,
    `Bình luận chờ duyệt (đánh dấu trước, cũ trước):\n\n${lines.join('\n')}\n\nDuyệt: npm run comments -- approve <id>\n`,
  );
  return pending.length;
}

/** How far back a run looks for threads that closed: several runs of the reconcile, so none is missed. */
export const CLOSED_THREADS_WINDOW_MS = 2 * 3600_000;

/**
 * Pages whose comment threads closed lately are rendered again, so that they say so and lose the form (the
 * comments function refuses posts to them already). Run with the reconcile; rendering a page again that is
 * up to date writes nothing.
 */
export async function renderClosedThreads(
  deps: {
    readonly index: Pick<ArticleLists, 'teasers'>;
    readonly render: RenderQueue;
    readonly config: SiteConfig;
  },
  now: Date,
  windowMs = CLOSED_THREADS_WINDOW_MS,
): Promise<number> {
  const closedAt = now.getTime() - deps.config.comments.closeAfterDays * 86_400_000;
  const closed = await deps.index.teasers({
    after: new Date(closedAt - windowMs).toISOString(),
    before: new Date(closedAt).toISOString(),
  });
  if (closed.length > 0) await deps.render.send(closed.map((t) => ({ view: `article/${t.id}` as const })));
  return closed.length;
}

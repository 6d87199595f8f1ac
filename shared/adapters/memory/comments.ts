import { queueOrder, type ReaderComment, type ShownComment } from '../../domain/comments.ts';
import type {
  CommentBans,
  CommentDecision,
  CommentSecret,
  Comments,
  ModeratorDigest,
  PostingLimit,
  PostingLimits,
  ShownComments,
} from '../../ports.ts';

/** Comments, counters, bans and the hashing key in memory, with the DynamoDB adapter's rules. */
export class MemoryComments implements Comments, ShownComments, PostingLimits, CommentBans, CommentSecret {
  readonly comments = new Map<string, ReaderComment>();
  readonly removed = new Map<string, { by: string; at: string }>();
  readonly counters = new Map<string, number>();
  readonly bans = new Map<string, { by: string; at: string }>();

  async add(comment: ReaderComment): Promise<void> {
    if (this.comments.has(comment.id)) throw new Error(`comment ${comment.id} exists`);
    this.comments.set(comment.id, comment);
  }
  async get(id: string) {
    return this.comments.get(id);
  }
  async onArticle(articleId: string) {
    return [...this.comments.values()]
      .filter((c) => c.articleId === articleId)
      .sort((a, b) => `${a.createdAt}#${a.id}`.localeCompare(`${b.createdAt}#${b.id}`));
  }
  async shownOn(articleId: string): Promise<ShownComment[]> {
    return (await this.onArticle(articleId))
      .filter((c) => c.status === 'approved')
      .map(({ id, name, text, createdAt }) => ({ id, name, text, createdAt }));
  }
  async pending(limit: number) {
    return [...this.comments.values()]
      .filter((c) => c.status === 'pending')
      .sort((a, b) => queueOrder(a).localeCompare(queueOrder(b)))
      .slice(0, limit);
  }
  async decide(id: string, decision: CommentDecision) {
    const comment = this.comments.get(id);
    if (!comment) return undefined;
    const { reason: _, ...rest } = comment;
    const decided: ReaderComment = {
      ...rest,
      status: decision.status,
      decidedBy: decision.by,
      decidedAt: decision.at,
      ...(decision.reason ? { reason: decision.reason } : {}),
    };
    this.comments.set(id, decided);
    return decided;
  }
  async remove(id: string, by: string, at: string) {
    const comment = this.comments.get(id);
    if (!comment) return undefined;
    this.comments.delete(id);
    this.removed.set(id, { by, at });
    return comment;
  }
  async take(limits: readonly PostingLimit[], now: Date) {
    const seconds = Math.floor(now.getTime() / 1000);
    for (const limit of limits) {
      const window = Math.floor(seconds / limit.windowSeconds);
      const key = `${limit.key}#${limit.windowSeconds}#${window}`;
      const posts = this.counters.get(key) ?? 0;
      if (posts >= limit.limit) {
        return { ok: false as const, retryAfter: Math.max(1, (window + 1) * limit.windowSeconds - seconds) };
      }
      this.counters.set(key, posts + 1);
    }
    return { ok: true as const };
  }
  async ban(client: string, by: string, at: string) {
    this.bans.set(client, { by, at });
  }
  async isBanned(client: string) {
    return this.bans.has(client);
  }
  async key() {
    return new Uint8Array(32).fill(7);
  }
}

/** The digests that were sent, in memory. */
export class MemoryModeratorDigest implements ModeratorDigest {
  readonly sent: { subject: string; text: string }[] = [];
  async send(subject: string, text: string) {
    this.sent.push({ subject, text });
  }
}

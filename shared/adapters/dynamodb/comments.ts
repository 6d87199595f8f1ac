import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { queueOrder, type ReaderComment, type ShownComment } from '../../domain/comments.ts';
import type {
  CommentBans,
  CommentDecision,
  CommentSecret,
  Comments,
  PostingLimit,
  PostingLimits,
  ShownComments,
} from '../../ports.ts';
import { isConditionFailure } from './errors.ts';
import { COMMENT_TABLE } from './schema.ts';
import { DynamoSecret } from './secret.ts';

const { moderation } = COMMENT_TABLE.indexes;
const PENDING = 'pending';
const articleKey = (id: string) => `article#${id}`;
const commentSort = (c: Pick<ReaderComment, 'createdAt' | 'id'>) => `comment#${c.createdAt}#${c.id}`;
const pointerKey = (id: string) => ({ pk: `comment#${id}`, sk: 'at' });

/** What a stored item is, as a comment: the table's own attributes left out. */
function toComment(item: Record<string, unknown>): ReaderComment {
  const { pk: _, sk: __, queue: ___, queueOrder: ____, ...comment } = item;
  return comment as unknown as ReaderComment;
}

/**
 * Comments, the moderation queue, posting counters, bans and the hashing key, all in the comments table
 * (COMMENT_TABLE). Reads of a comment and an article's comments are strongly consistent, so a page rendered
 * right after a decision shows it; the moderation queue is an index, read a moment behind.
 */
export class DynamoComments implements Comments, ShownComments, PostingLimits, CommentBans, CommentSecret {
  readonly #secret: DynamoSecret;
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.#secret = new DynamoSecret(client, table, { pk: 'secret', sk: 'key' });
  }

  async add(comment: ReaderComment): Promise<void> {
    const item = {
      pk: articleKey(comment.articleId),
      sk: commentSort(comment),
      ...comment,
      ...(comment.status === 'pending' ? { queue: PENDING, queueOrder: queueOrder(comment) } : {}),
    };
    // The pointer first: one left by a comment that was never written points at nothing, and reads as none.
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...pointerKey(comment.id), target: { pk: item.pk, sk: item.sk } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await this.client.send(
      new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  }

  async #target(id: string): Promise<{ pk: string; sk: string } | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: pointerKey(id), ConsistentRead: true }),
    );
    return out.Item?.target as { pk: string; sk: string } | undefined;
  }

  async get(id: string): Promise<ReaderComment | undefined> {
    const target = await this.#target(id);
    if (!target) return undefined;
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: target, ConsistentRead: true }),
    );
    return out.Item ? toComment(out.Item) : undefined;
  }

  async onArticle(articleId: string): Promise<ReaderComment[]> {
    const comments: ReaderComment[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :comment)',
          ExpressionAttributeValues: { ':pk': articleKey(articleId), ':comment': 'comment#' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      comments.push(...(out.Items ?? []).map(toComment));
      start = out.LastEvaluatedKey;
    } while (start);
    return comments;
  }

  async shownOn(articleId: string): Promise<ShownComment[]> {
    return (await this.onArticle(articleId))
      .filter((c) => c.status === 'approved')
      .map(({ id, name, text, createdAt }) => ({ id, name, text, createdAt }));
  }

  async pending(limit: number): Promise<ReaderComment[]> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: moderation.name,
        KeyConditionExpression: '#queue = :pending',
        ExpressionAttributeNames: { '#queue': moderation.partitionKey },
        ExpressionAttributeValues: { ':pending': PENDING },
        Limit: limit,
      }),
    );
    // The index holds keys and the queue order only: each comment is read from the table itself.
    const comments = await Promise.all(
      (out.Items ?? []).map(async (item) => {
        const got = await this.client.send(
          new GetCommand({
            TableName: this.table,
            Key: { pk: item.pk, sk: item.sk },
            ConsistentRead: true,
          }),
        );
        return got.Item ? toComment(got.Item) : undefined;
      }),
    );
    return comments.filter((c): c is ReaderComment => c?.status === 'pending');
  }

  async decide(id: string, decision: CommentDecision): Promise<ReaderComment | undefined> {
    const target = await this.#target(id);
    if (!target) return undefined;
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: target,
          UpdateExpression: decision.reason
            ? 'SET #status = :status, decidedBy = :by, decidedAt = :at, reason = :reason REMOVE #queue, queueOrder'
            : 'SET #status = :status, decidedBy = :by, decidedAt = :at REMOVE #queue, queueOrder, reason',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status', '#queue': moderation.partitionKey },
          ExpressionAttributeValues: {
            ':status': decision.status,
            ':by': decision.by,
            ':at': decision.at,
            ...(decision.reason ? { ':reason': decision.reason } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? toComment(out.Attributes) : undefined;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }

  async remove(id: string, by: string, at: string): Promise<ReaderComment | undefined> {
    const comment = await this.get(id);
    const target = await this.#target(id);
    if (!comment || !target) return undefined;
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: target }));
    // The pointer becomes the line that says who removed it: nothing personal is left.
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...pointerKey(id), removedBy: by, removedAt: at, articleId: comment.articleId },
      }),
    );
    return comment;
  }

  async take(
    limits: readonly PostingLimit[],
    now: Date,
  ): Promise<{ ok: true } | { ok: false; retryAfter: number }> {
    const seconds = Math.floor(now.getTime() / 1000);
    for (const limit of limits) {
      const window = Math.floor(seconds / limit.windowSeconds);
      const resetsAt = (window + 1) * limit.windowSeconds;
      try {
        await this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: `limit#${limit.key}#${limit.windowSeconds}#${window}`, sk: 'count' },
            UpdateExpression: 'ADD posts :one SET expiresAt = :expires',
            ConditionExpression: 'attribute_not_exists(posts) OR posts < :limit',
            ExpressionAttributeValues: { ':one': 1, ':limit': limit.limit, ':expires': resetsAt + 3600 },
          }),
        );
      } catch (err) {
        if (isConditionFailure(err)) return { ok: false, retryAfter: Math.max(1, resetsAt - seconds) };
        throw err;
      }
    }
    return { ok: true };
  }

  async ban(client: string, by: string, at: string): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.table, Item: { pk: `ban#${client}`, sk: 'ban', by, at } }),
    );
  }

  async isBanned(client: string): Promise<boolean> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: `ban#${client}`, sk: 'ban' } }),
    );
    return out.Item !== undefined;
  }

  async key(): Promise<Uint8Array> {
    return this.#secret.key();
  }
}

import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import type { AppliedUpload, AppliedUploads } from '../../ports.ts';
import { ARTICLE_TABLE, UPLOAD_FEED } from './schema.ts';

const { byUpload } = ARTICLE_TABLE.indexes;
const appliedKey = (key: string) => `applied#${key}`;
const RESUME_KEY = 'reconcile#resume';

/**
 * Applied uploads as small items of the article table, listed in key order by the sparse `byUpload` index
 * (one partition: a newsroom's uploads are written far below a partition's thousand writes a second).
 */
export class DynamoAppliedUploads implements AppliedUploads {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async record(applied: AppliedUpload): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: appliedKey(applied.key),
          [byUpload.partitionKey]: UPLOAD_FEED,
          [byUpload.sortKey]: applied.key,
          etag: applied.etag,
          appliedAt: applied.appliedAt,
          ...(applied.dueAt ? { dueAt: applied.dueAt } : {}),
        },
      }),
    );
  }

  async forget(key: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.table, Key: { pk: appliedKey(key) } }));
  }

  async *between(after: string | undefined, through: string | undefined): AsyncIterable<AppliedUpload[]> {
    // BETWEEN includes both ends: `after` itself is dropped below.
    const range =
      after !== undefined && through !== undefined
        ? ' AND #key BETWEEN :after AND :through'
        : after !== undefined
          ? ' AND #key > :after'
          : through !== undefined
            ? ' AND #key <= :through'
            : '';
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.table,
        IndexName: byUpload.name,
        KeyConditionExpression: `#feed = :feed${range}`,
        ExpressionAttributeNames: {
          '#feed': byUpload.partitionKey,
          ...(range ? { '#key': byUpload.sortKey } : {}),
        },
        ExpressionAttributeValues: {
          ':feed': UPLOAD_FEED,
          ...(after !== undefined ? { ':after': after } : {}),
          ...(through !== undefined ? { ':through': through } : {}),
        },
      },
    );
    for await (const page of pages) {
      const applied: AppliedUpload[] = [];
      for (const item of page.Items ?? []) {
        const key = String(item[byUpload.sortKey]);
        if (key === after) continue;
        applied.push({
          key,
          etag: String(item.etag),
          appliedAt: String(item.appliedAt),
          ...(typeof item.dueAt === 'string' ? { dueAt: item.dueAt } : {}),
        });
      }
      if (applied.length > 0) yield applied;
    }
  }

  async resumePoint(): Promise<string | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: RESUME_KEY }, ConsistentRead: true }),
    );
    return typeof out.Item?.after === 'string' ? out.Item.after : undefined;
  }

  async setResumePoint(after: string | undefined): Promise<void> {
    if (after === undefined) {
      await this.client.send(new DeleteCommand({ TableName: this.table, Key: { pk: RESUME_KEY } }));
      return;
    }
    await this.client.send(new PutCommand({ TableName: this.table, Item: { pk: RESUME_KEY, after } }));
  }
}

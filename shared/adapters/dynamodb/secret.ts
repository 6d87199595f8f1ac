import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './errors.ts';

/**
 * A random key kept in a table item: made by whichever instance needs it first (a conditional write, the
 * loser reads the winner's), then read once per container. It never leaves the table and the functions.
 */
export class DynamoSecret {
  #key: Uint8Array | undefined;
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly item: Record<string, string>,
  ) {}

  async key(): Promise<Uint8Array> {
    if (this.#key) return this.#key;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...this.item, key: randomBytes(32).toString('base64') },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: this.item, ConsistentRead: true }),
    );
    const key = Buffer.from(String(out.Item?.key ?? ''), 'base64');
    if (key.length < 32) throw new Error(`The table ${this.table} holds no usable key`);
    this.#key = key;
    return key;
  }
}

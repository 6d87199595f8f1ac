import { GetObjectCommand, PutObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { RebuildWork, ViewId } from '../../ports.ts';

/**
 * A rebuild's work in a bucket of its own: `rebuilds/<run>/found/<batch>.json` for what each batch found,
 * `rebuilds/<run>/views.json` for the plan the render step's item reader reads. The bucket expires it.
 */
export class S3RebuildWork implements RebuildWork {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async keepFound(run: string, batch: string, views: readonly ViewId[]): Promise<void> {
    await this.#put(`${prefix(run)}found/${batch}.json`, JSON.stringify(views));
  }

  async *found(run: string): AsyncIterable<ViewId[]> {
    const pages = paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: `${prefix(run)}found/` },
    );
    for await (const page of pages) {
      // Read side by side: a large rebuild has tens of thousands of batches.
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
      const read = await Promise.all(
        keys.map(async (key) => {
          const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
          return JSON.parse((await out.Body?.transformToString('utf8')) ?? '[]') as ViewId[];
        }),
      );
      for (const views of read) yield views;
    }
  }

  async keepPlan(run: string, views: readonly ViewId[]): Promise<{ bucket: string; key: string }> {
    const key = `${prefix(run)}views.json`;
    await this.#put(key, JSON.stringify(views));
    return { bucket: this.bucket, key };
  }

  async #put(key: string, body: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }),
    );
  }
}

/** Runs are named by Step Functions (execution names: letters, digits, `-` and `_`). */
function prefix(run: string): string {
  return `rebuilds/${encodeURIComponent(run)}/`;
}

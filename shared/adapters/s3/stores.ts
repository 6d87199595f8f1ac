import {
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { etagOf } from '../../domain/upload-keys.ts';
import {
  type DraftStore,
  type EditorReport,
  type PutOptions,
  reportKey,
  type SiteStore,
  type StoredObject,
  type UploadVersion,
} from '../../ports.ts';

async function getObject(
  client: S3Client,
  bucket: string,
  key: string,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<StoredObject | undefined> {
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!out.Body) return undefined;
    const size = out.ContentLength;
    if (size !== undefined && size > maxBytes) {
      // Headers are in, the body is not: drop the connection instead of reading what we would refuse.
      (out.Body as { destroy?: () => void }).destroy?.();
      return {
        bytes: new Uint8Array(),
        size,
        tooLarge: true,
        ...(out.ETag ? { etag: etagOf(out.ETag) } : {}),
      };
    }
    return {
      bytes: await out.Body.transformToByteArray(),
      ...(size !== undefined ? { size } : {}),
      ...(out.ETag ? { etag: etagOf(out.ETag) } : {}),
      ...(out.ContentType ? { contentType: out.ContentType } : {}),
      ...(out.CacheControl ? { cacheControl: out.CacheControl } : {}),
      ...editorOf(out.Metadata),
    };
  } catch (err) {
    if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/**
 * The editor an object names in its `editor` metadata (the desk sets it; S3 wants ASCII header values, so it
 * is percent-encoded).
 */
function editorOf(metadata: Record<string, string> | undefined): { editor?: string } {
  const raw = metadata?.editor;
  if (!raw) return {};
  try {
    return { editor: decodeURIComponent(raw).slice(0, 200) };
  } catch {
    return {};
  }
}

/** The drafts bucket on S3. */
export class S3DraftStore implements DraftStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  get(key: string, limit?: { readonly maxBytes: number }): Promise<StoredObject | undefined> {
    return getObject(this.client, this.bucket, key, limit?.maxBytes);
  }

  async *listVersions(options: { readonly after?: string } = {}): AsyncIterable<UploadVersion[]> {
    const pages = paginateListObjectsV2(
      { client: this.client, pageSize: 1000 },
      { Bucket: this.bucket, ...(options.after !== undefined ? { StartAfter: options.after } : {}) },
    );
    for await (const page of pages) {
      const versions: UploadVersion[] = [];
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        versions.push({ key: o.Key, etag: etagOf(o.ETag ?? ''), modifiedAt: o.LastModified ?? new Date(0) });
      }
      if (versions.length > 0) yield versions;
    }
  }

  async putReport(report: EditorReport): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: reportKey(report.draftKey),
        Body: `${JSON.stringify(report, null, 2)}\n`,
        ContentType: 'application/json; charset=utf-8',
        CacheControl: 'no-cache',
      }),
    );
  }
}

/** The site bucket on S3, read by the CDN. */
export class S3SiteStore implements SiteStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(key: string, body: string | Uint8Array, options: PutOptions): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        CacheControl: options.cacheControl,
      }),
    );
  }

  get(key: string): Promise<StoredObject | undefined> {
    return getObject(this.client, this.bucket, key);
  }

  async delete(keys: readonly string[]): Promise<void> {
    // DeleteObjects takes at most 1,000 keys a call.
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const out = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
        }),
      );
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        throw new Error(
          `Could not delete ${failed.length} site objects, e.g. ${failed[0]?.Key}: ${failed[0]?.Message}`,
        );
      }
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: prefix },
    )) {
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    }
    return keys;
  }
}

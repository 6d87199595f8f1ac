import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  NoSuchKey,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { REPORTS_PREFIX } from '../../domain/upload-keys.ts';
import type { DeskDrafts, DraftVersion, EditorReport } from '../../ports.ts';

/** How long a presigned upload URL works. */
export const UPLOAD_URL_SECONDS = 300;
/** The most versions of one draft the desk lists. */
export const VERSIONS_LISTED = 50;

const editorMetadata = (editor: string) => ({ editor: encodeURIComponent(editor).slice(0, 600) });
const editorOf = (metadata: Record<string, string> | undefined) => {
  try {
    return metadata?.editor ? decodeURIComponent(metadata.editor) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The drafts bucket for the desk, on S3 with versioning. Upload URLs are signed by a client that adds no
 * checksum of its own (the body is the browser's), for the content type and length given.
 */
export class S3DeskDrafts implements DeskDrafts {
  constructor(
    private readonly client: S3Client,
    /** The client that signs upload URLs: `requestChecksumCalculation: 'WHEN_REQUIRED'`. */
    private readonly signer: S3Client,
    private readonly bucket: string,
  ) {}

  async uploadUrl(
    key: string,
    upload: { contentType: string; size: number; sha256: string; editor: string },
  ) {
    const url = await getSignedUrl(
      this.signer,
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: upload.contentType,
        ContentLength: upload.size,
        ChecksumSHA256: upload.sha256,
        Metadata: editorMetadata(upload.editor),
      }),
      { expiresIn: UPLOAD_URL_SECONDS, signableHeaders: new Set(['content-type', 'content-length']) },
    );
    return { url, headers: { 'content-type': upload.contentType } };
  }

  async reports(limit: number): Promise<EditorReport[]> {
    const found: { key: string; at: number }[] = [];
    for await (const page of paginateListObjectsV2(
      { client: this.client },
      { Bucket: this.bucket, Prefix: REPORTS_PREFIX },
    )) {
      for (const o of page.Contents ?? []) {
        if (o.Key?.endsWith('.json')) found.push({ key: o.Key, at: o.LastModified?.getTime() ?? 0 });
      }
    }
    found.sort((a, b) => b.at - a.at);
    const reports: EditorReport[] = [];
    for (const { key } of found.slice(0, limit)) {
      const out = await this.read(key);
      if (!out) continue;
      try {
        reports.push(JSON.parse(new TextDecoder().decode(out.bytes)) as EditorReport);
      } catch {
        // A report being written as we read: the next look has it.
      }
    }
    return reports;
  }

  async read(key: string, versionId?: string) {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
      if (!out.Body) return undefined;
      return {
        bytes: await out.Body.transformToByteArray(),
        ...(out.VersionId ? { versionId: out.VersionId } : {}),
      };
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (err instanceof NoSuchKey || name === 'NoSuchKey' || name === 'NoSuchVersion') return undefined;
      throw err;
    }
  }

  async versions(key: string): Promise<DraftVersion[]> {
    const out = await this.client.send(
      new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, MaxKeys: 1000 }),
    );
    const all = [
      ...(out.Versions ?? []).map((v) => ({ v, deleted: false })),
      ...(out.DeleteMarkers ?? []).map((v) => ({ v, deleted: true })),
    ]
      .filter(({ v }) => v.Key === key && v.VersionId)
      .sort((a, b) => (b.v.LastModified?.getTime() ?? 0) - (a.v.LastModified?.getTime() ?? 0))
      .slice(0, VERSIONS_LISTED);
    const versions: DraftVersion[] = [];
    for (const { v, deleted } of all) {
      let editor: string | undefined;
      if (!deleted) {
        const head = await this.client.send(
          new HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: v.VersionId }),
        );
        editor = editorOf(head.Metadata);
      }
      versions.push({
        versionId: v.VersionId ?? '',
        at: (v.LastModified ?? new Date(0)).toISOString(),
        ...(editor ? { editor } : {}),
        deleted,
        latest: v.IsLatest === true,
      });
    }
    return versions;
  }

  async restore(key: string, versionId: string, editor: string): Promise<void> {
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        Key: key,
        CopySource: `${this.bucket}/${encodeURIComponent(key)}?versionId=${encodeURIComponent(versionId)}`,
        MetadataDirective: 'REPLACE',
        Metadata: editorMetadata(editor),
        ContentType: 'text/markdown; charset=utf-8',
      }),
    );
  }

  async write(key: string, bytes: Uint8Array, contentType: string, editor: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentType: contentType,
        Metadata: editorMetadata(editor),
      }),
    );
  }
}

import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStandIns } from '../support/stand-ins.ts';

// What the S3 stand-in adds to s3rver, as S3 does it: versions of the drafts bucket, and presigned URLs
// that write nothing but what they were signed for.

let standIns: Awaited<ReturnType<typeof startStandIns>>;
const Bucket = 'drafts';

beforeAll(async () => {
  standIns = await startStandIns(['drafts', 'site'], ['drafts']);
}, 60_000);
afterAll(async () => standIns?.stop());

const text = async (out: { Body?: { transformToString(): Promise<string> } }) =>
  out.Body?.transformToString();

describe('versions', () => {
  it('keeps every upload and deletion, reads and restores an older version', async () => {
    const { s3 } = standIns;
    const Key = 'xa-hoi/bai-1.md';
    const first = await s3.send(
      new PutObjectCommand({ Bucket, Key, Body: 'một', ContentType: 'text/markdown' }),
    );
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'hai', Metadata: { editor: 'lan' } }));
    expect(first.VersionId).toMatch(/^[0-9a-f]{24}$/);
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    expect(listed.Versions?.map((v) => [v.IsLatest, v.VersionId === first.VersionId])).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(await text(await s3.send(new GetObjectCommand({ Bucket, Key, VersionId: first.VersionId })))).toBe(
      'một',
    );
    await s3.send(
      new CopyObjectCommand({
        Bucket,
        Key,
        CopySource: `${Bucket}/${Key}?versionId=${first.VersionId}`,
        MetadataDirective: 'REPLACE',
        Metadata: { editor: 'minh' },
      }),
    );
    const now = await s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(await text(now)).toBe('một');
    expect(now.Metadata).toEqual({ editor: 'minh' });
    await s3.send(new DeleteObjectCommand({ Bucket, Key }));
    const after = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    expect(after.DeleteMarkers?.map((m) => m.IsLatest)).toEqual([true]);
    expect(after.Versions).toHaveLength(3);
  });
});

describe('presigned uploads', () => {
  const Key = 'xa-hoi/anh.jpg';
  const sign = (expiresIn = 300) =>
    getSignedUrl(
      standIns.s3,
      new PutObjectCommand({
        Bucket,
        Key,
        ContentType: 'image/jpeg',
        ContentLength: 4,
        Metadata: { editor: 'lan' },
      }),
      { expiresIn, signableHeaders: new Set(['content-type', 'content-length']) },
    );
  const put = (url: string, type = 'image/jpeg', body = 'ảnh!'.slice(0, 4)) =>
    fetch(url, { method: 'PUT', headers: { 'content-type': type }, body: Buffer.from(body).subarray(0, 4) });

  it('writes the key, type and size it was signed for', async () => {
    expect((await put(await sign())).status).toBe(200);
    const stored = await standIns.s3.send(new GetObjectCommand({ Bucket, Key }));
    expect(stored.ContentType).toBe('image/jpeg');
    expect(stored.Metadata).toEqual({ editor: 'lan' });
  });

  it('writes no other key, type or size, and nothing once expired', async () => {
    const url = await sign();
    expect((await put(url.replace('/anh.jpg?', '/khac.md?'))).status).toBe(403);
    expect(await put(url, 'text/html')).toHaveProperty('status', 403);
    expect(
      (await fetch(url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: 'lớn hơn' }))
        .status,
    ).toBe(403);
    expect(
      (await put(url.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`))).status,
    ).toBe(403);
    const expired = await sign(1);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await put(expired)).status).toBe(403);
    await expect(standIns.s3.send(new GetObjectCommand({ Bucket, Key: 'xa-hoi/khac.md' }))).rejects.toThrow();
  });
});

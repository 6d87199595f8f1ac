import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AWS_CLIENT_OPTIONS } from '#shared/adapters/client-options.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoLeaseStore } from '#shared/adapters/dynamodb/leases.ts';
import { FileArticleIndex, FileDraftStore, FileSiteStore } from '#shared/adapters/file/stores.ts';
import {
  MemoryArticleIndex,
  MemoryDraftStore,
  MemoryLeaseStore,
  MemorySiteStore,
} from '#shared/adapters/memory/index.ts';
import { S3DraftStore, S3SiteStore } from '#shared/adapters/s3/stores.ts';
import type { ArticleIndex, DraftStore, LeaseStore, SiteStore } from '#shared/ports.ts';
import { articleRecord } from '../support/site.ts';
import { startStandIns } from '../support/stand-ins.ts';

let standIns: Awaited<ReturnType<typeof startStandIns>>;
let bucketCount = 0;

beforeAll(async () => {
  standIns = await startStandIns([]);
});
afterAll(async () => {
  await standIns.stop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

const folders: string[] = [];
function freshFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), 'newsroom-store-'));
  folders.push(folder);
  return folder;
}

async function freshBucket(): Promise<string> {
  bucketCount += 1;
  const name = `bucket-${bucketCount}`;
  await standIns.s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

const record = articleRecord;

// The same contract holds for the in-memory fake and the real adapter, so domain tests on the fake mean something.
describe.each([
  ['in-memory', async (): Promise<ArticleIndex> => new MemoryArticleIndex()],
  ['in memory, records in a folder', async (): Promise<ArticleIndex> => new FileArticleIndex(freshFolder())],
  [
    'DynamoDB (dynalite)',
    async (): Promise<ArticleIndex> => new DynamoArticleIndex(standIns.documents, await standIns.table()),
  ],
])('article index: %s', (_name, make) => {
  let index: ArticleIndex;
  beforeEach(async () => {
    index = await make();
  });

  it('stores and returns a record unchanged', async () => {
    const r = record(1, {
      updatedAt: '2024-01-02T00:00:00.000Z',
      tags: ['Lai Châu'],
      author: { name: 'A', role: 'B' },
    });
    await index.put(r);
    expect(await index.get('bai-1')).toEqual(r);
    expect(await index.get('khong-co')).toBeUndefined();
  });

  it('lists the articles taken down for good with their addresses, and no other', async () => {
    await index.put(record(1));
    await index.put(record(2, { status: 'withdrawn', formerPaths: ['/kinh-te/cu'] }));
    await index.put(record(3, { status: 'scheduled' }));
    await index.put(record(4, { status: 'withdrawn' }));
    await index.put(record(4, { status: 'live' }));
    const down = [];
    for await (const page of index.withdrawn()) down.push(...page);
    expect(down).toEqual([{ id: 'bai-2', path: record(2).path, formerPaths: ['/kinh-te/cu'] }]);
  });

  it('settles a change at the version it recorded, leaving the lists as they are', async () => {
    const changing = record(2, {
      tags: ['Lai Châu'],
      version: 3,
      settled: false,
      pendingFrom: [{ section: 'xa-hoi', sortKey: '2024-01-01T00:01:00.000Z#bai-2', path: '/xa-hoi/bai-2' }],
      claimedAhead: ['/kinh-te/bai-2-moi'],
    });
    await index.put(changing);
    // A settle for an older version (a newer change was recorded since) changes nothing.
    await index.settle('bai-2', 2);
    expect(await index.get('bai-2')).toEqual(changing);
    await index.settle('bai-2', 3);
    const { pendingFrom: _, claimedAhead: __, ...rest } = changing;
    expect(await index.get('bai-2')).toEqual({ ...rest, settled: true });
    expect((await index.teasers({ tag: 'lai-chau' })).map((t) => t.id)).toEqual(['bai-2']);
    expect((await index.teasers({ section: 'kinh-te' })).map((t) => t.id)).toEqual(['bai-2']);
  });

  it('lists live articles newest first, overall and by section, across query pages', async () => {
    for (let n = 0; n < 45; n++) await index.put(record(n));
    await index.put(record(99, { status: 'withdrawn' }));
    const all = await index.teasers({});
    expect(all.map((t) => t.id)).toEqual(Array.from({ length: 45 }, (_, i) => `bai-${44 - i}`));
    expect((await index.teasers({ limit: 3 })).map((t) => t.id)).toEqual(['bai-44', 'bai-43', 'bai-42']);
    const econ = await index.teasers({ section: 'kinh-te' });
    expect(econ).toHaveLength(23);
    expect(econ.every((t) => t.section === 'kinh-te')).toBe(true);
    expect(econ[0]).toEqual({
      id: 'bai-44',
      section: 'kinh-te',
      title: 'Bài 44: “Gỡ khó” cho đồng bào',
      path: '/kinh-te/bai-44',
      excerpt: 'Sapo',
      publishedAt: record(44).publishedAt,
      sortKey: record(44).sortKey,
    });
  });

  it('answers before/after queries around an article', async () => {
    for (let n = 0; n < 10; n++) await index.put(record(n));
    const at = record(5).sortKey;
    expect((await index.teasers({ before: at, limit: 2 })).map((t) => t.id)).toEqual(['bai-4', 'bai-3']);
    expect((await index.teasers({ after: at, limit: 2 })).map((t) => t.id)).toEqual(['bai-6', 'bai-7']);
    expect((await index.teasers({ section: 'xa-hoi', from: 'oldest', limit: 2 })).map((t) => t.id)).toEqual([
      'bai-1',
      'bai-3',
    ]);
  });

  it('drops a withdrawn article from every list', async () => {
    await index.put(record(1));
    await index.put({ ...record(1), status: 'withdrawn' });
    expect(await index.teasers({})).toEqual([]);
    expect(await index.teasers({ section: 'xa-hoi' })).toEqual([]);
    expect((await index.get('bai-1'))?.status).toBe('withdrawn');
  });

  it('remembers which drafts name an image, as each last named it', async () => {
    const photo = 'xa-hoi/ảnh/Sìn Hồ.jpg';
    const other = 'xa-hoi/images/c.jpg';
    expect(await index.draftsNaming(photo)).toEqual([]);
    await index.setImagesOf('xa-hoi/b.md', [photo, other]);
    await index.setImagesOf('xa-hoi/a.md', [photo, photo]);
    expect(await index.draftsNaming(photo)).toEqual(['xa-hoi/a.md', 'xa-hoi/b.md']);
    await index.setImagesOf('xa-hoi/b.md', [other]);
    expect(await index.draftsNaming(photo)).toEqual(['xa-hoi/a.md']);
    expect(await index.draftsNaming(other)).toEqual(['xa-hoi/b.md']);
    await index.setImagesOf('xa-hoi/a.md', []);
    await index.setImagesOf('xa-hoi/b.md', []);
    expect(await index.draftsNaming(photo)).toEqual([]);
    expect(await index.draftsNaming(other)).toEqual([]);
  });

  it('counts the articles that show a photo, as each last showed it, apart from the images drafts name', async () => {
    const photo = 'media/0123456789abcdef/sin-ho.jpg';
    const other = 'media/fedcba9876543210/khac.png';
    expect(await index.articlesShowing(photo)).toEqual([]);
    expect(await index.photosOf('xa-hoi/a')).toEqual([]);
    await index.setPhotosOf('xa-hoi/b', [photo, other]);
    await index.setPhotosOf('xa-hoi/a', [photo, photo]);
    expect(await index.articlesShowing(photo)).toEqual(['xa-hoi/a', 'xa-hoi/b']);
    expect(await index.photosOf('xa-hoi/b')).toEqual([photo, other]);
    expect(await index.draftsNaming(photo)).toEqual([]);
    await index.setPhotosOf('xa-hoi/b', [other]);
    expect(await index.articlesShowing(photo)).toEqual(['xa-hoi/a']);
    await index.setPhotosOf('xa-hoi/a', []);
    expect(await index.articlesShowing(photo)).toEqual([]);
    expect(await index.photosOf('xa-hoi/a')).toEqual([]);
    expect(await index.articlesShowing(other)).toEqual(['xa-hoi/b']);
  });

  it('finds an article by the draft that published it', async () => {
    await index.put(record(1, { id: 'custom-id', draftKey: 'xa-hoi/file.md' }));
    expect(await index.idForDraft('xa-hoi/file.md')).toBe('custom-id');
    expect(await index.idForDraft('xa-hoi/other.md')).toBeUndefined();
  });

  it('gives a URL path to one article at a time', async () => {
    expect(await index.claimPath('/xa-hoi/tin', 'a')).toBeUndefined();
    expect(await index.claimPath('/xa-hoi/tin', 'a')).toBeUndefined();
    expect(await index.claimPath('/xa-hoi/tin', 'b')).toBe('a');
    await index.releasePath('/xa-hoi/tin', 'b');
    expect(await index.claimPath('/xa-hoi/tin', 'b')).toBe('a');
    await index.releasePath('/xa-hoi/tin', 'a');
    expect(await index.claimPath('/xa-hoi/tin', 'b')).toBeUndefined();
  });

  it("keeps each list's archive pages: the newest, the one holding a sort key, and an opening retried", async () => {
    const list = 'section/xa-hoi' as const;
    expect(await index.newestPage(list)).toEqual({ number: 1, after: '' });
    expect(await index.pageHolding(list, '2024-01-01T00:00:00.000Z#a')).toEqual({ number: 1, after: '' });
    const second = { number: 2, after: '2024-01-02T00:00:00.000Z#b' };
    const third = { number: 3, after: '2024-01-03T00:00:00.000Z#c' };
    expect(await index.openPage(list, second)).toEqual(second);
    expect(await index.openPage(list, third)).toEqual(third);
    // A retried opening finds the page as it was opened first.
    expect(await index.openPage(list, { number: 3, after: '2024-01-03T09:00:00.000Z#z' })).toEqual(third);
    expect(await index.newestPage(list)).toEqual(third);
    expect(await index.newestPage('tag/xa-hoi')).toEqual({ number: 1, after: '' });
    const holding = async (sortKey: string) => (await index.pageHolding(list, sortKey)).number;
    expect(await holding('2024-01-02T00:00:00.000Z#b')).toBe(1);
    expect(await holding('2024-01-02T00:00:00.000Z#ba')).toBe(2);
    expect(await holding('2024-01-03T00:00:00.000Z#c')).toBe(2);
    expect(await holding('2025-01-01T00:00:00.000Z#x')).toBe(3);
    expect(await index.archivePage(list, 2)).toEqual(second);
    expect(await index.archivePage(list, 4)).toBeUndefined();
    expect(await index.archivePages(list)).toEqual([{ number: 1, after: '' }, second, third]);
  });
});

describe.each([
  [
    'in-memory',
    async (): Promise<[DraftStore, (k: string, b: string) => Promise<void>]> => {
      const store = new MemoryDraftStore();
      return [store, async (k, b) => store.put(k, b)];
    },
  ],
  [
    'folder',
    async (): Promise<[DraftStore, (k: string, b: string) => Promise<void>]> => {
      const store = new FileDraftStore(freshFolder());
      return [store, (k, b) => store.put(k, b)];
    },
  ],
  [
    'S3 (s3rver)',
    async (): Promise<[DraftStore, (k: string, b: string) => Promise<void>]> => {
      const bucket = await freshBucket();
      return [
        new S3DraftStore(standIns.s3, bucket),
        async (k, b) => {
          await standIns.s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: b }));
        },
      ];
    },
  ],
])('drafts store: %s', (_name, make) => {
  it('reads drafts by key, byte for byte, and lists one folder', async () => {
    const [store, upload] = await make();
    await upload('xa-hoi/Tin tức mới+1.md', 'Nội dung “Việt”');
    await upload('xa-hoi/images/a.jpg', 'jpg');
    await upload('kinh-te/b.md', 'b');
    const got = await store.get('xa-hoi/Tin tức mới+1.md');
    expect(Buffer.from(got?.bytes ?? []).toString('utf8')).toBe('Nội dung “Việt”');
    expect(await store.get('xa-hoi/khong-co.md')).toBeUndefined();
    // A key that names a folder of others, or a key below a draft, is no object either.
    expect(await store.get('xa-hoi/images')).toBeUndefined();
    expect(await store.get('kinh-te/b.md/c.md')).toBeUndefined();
    const listed = [];
    for await (const page of store.listVersions()) listed.push(...page.map((v) => v.key));
    expect(listed).toEqual(['kinh-te/b.md', 'xa-hoi/Tin tức mới+1.md', 'xa-hoi/images/a.jpg']);
  });

  it("does not read an object over the reader's limit (a 50 MB upload costs no memory)", async () => {
    const [store, upload] = await make();
    await upload('xa-hoi/qua-lon.md', 'x'.repeat(50 * 1024 * 1024));
    const got = await store.get('xa-hoi/qua-lon.md', { maxBytes: 512 * 1024 });
    expect(got).toMatchObject({ tooLarge: true, size: 50 * 1024 * 1024 });
    expect(got?.bytes.byteLength).toBe(0);
    await upload('xa-hoi/nho.md', 'nhỏ');
    expect(await store.get('xa-hoi/nho.md', { maxBytes: 512 * 1024 })).toMatchObject({ size: 5 });
  });

  it('writes the editor report beside the drafts', async () => {
    const [store] = await make();
    await store.putReport({
      draftKey: 'xa-hoi/a.md',
      status: 'rejected',
      errors: [{ field: 'title', code: 'required', message: 'm', messageEn: 'm' }],
      warnings: [],
      uploadedAt: 't',
    });
    const report = await store.get('reports/xa-hoi/a.md.json');
    expect(JSON.parse(Buffer.from(report?.bytes ?? []).toString('utf8'))).toMatchObject({
      status: 'rejected',
      errors: [{ field: 'title' }],
    });
  });
});

describe.each([
  ['in-memory', async (): Promise<SiteStore> => new MemorySiteStore()],
  ['folder', async (): Promise<SiteStore> => new FileSiteStore(freshFolder())],
  ['S3 (s3rver)', async (): Promise<SiteStore> => new S3SiteStore(standIns.s3, await freshBucket())],
])('site store: %s', (_name, make) => {
  it('stores pages with their type and cache lifetime, lists and deletes them', async () => {
    const site = await make();
    await site.put('xa-hoi/tin/index.html', '<p>Tin</p>', {
      contentType: 'text/html; charset=utf-8',
      cacheControl: 'public, max-age=60',
    });
    await site.put('media/abc/a.jpg', new Uint8Array([0xff, 0xd8, 0xff]), {
      contentType: 'image/jpeg',
      cacheControl: 'immutable',
    });
    const page = await site.get('xa-hoi/tin/index.html');
    expect(page).toMatchObject({
      contentType: 'text/html; charset=utf-8',
      cacheControl: 'public, max-age=60',
    });
    expect(Buffer.from(page?.bytes ?? []).toString()).toBe('<p>Tin</p>');
    expect([...((await site.get('media/abc/a.jpg'))?.bytes ?? [])]).toEqual([0xff, 0xd8, 0xff]);
    expect(await site.list('xa-hoi/')).toEqual(['xa-hoi/tin/index.html']);
    // Missing, a key that names a folder of others, a key below a page: none is an object.
    expect(await site.get('xa-hoi/khong-co/index.html')).toBeUndefined();
    expect(await site.get('xa-hoi/tin')).toBeUndefined();
    expect(await site.get('xa-hoi/tin/index.html/x')).toBeUndefined();
    await site.delete(['xa-hoi/tin/index.html', 'khong-co']);
    expect(await site.get('xa-hoi/tin/index.html')).toBeUndefined();
    expect(await site.list('')).toEqual(['media/abc/a.jpg']);
  });

  it('lists keys at the top and at any depth, by any prefix, in order', async () => {
    const site = await make();
    const keys = [
      'index.html',
      'sitemap.xml',
      'sitemaps/2026-01.xml',
      'xa-hoi/page/2',
      'xa-hoi/tin/index.html',
    ];
    for (const k of [...keys].reverse())
      await site.put(k, 'x', { contentType: 'text/plain', cacheControl: 'no-cache' });
    expect(await site.list('')).toEqual(keys);
    expect(await site.list('sitemap')).toEqual(['sitemap.xml', 'sitemaps/2026-01.xml']);
    expect(await site.list('xa-hoi/p')).toEqual(['xa-hoi/page/2']);
    expect(await site.list('xa-hoi/tin/')).toEqual(['xa-hoi/tin/index.html']);
    expect(await site.list('kinh-te/')).toEqual([]);
  });

  it('lists past one page of results', async () => {
    const site = await make();
    const keys = Array.from({ length: 1005 }, (_, i) => `p/${String(i).padStart(4, '0')}`);
    // Fifty at a time: the listing is under test, not how many connections a busy machine opens at once.
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(
        keys
          .slice(i, i + 50)
          .map((k) => site.put(k, 'x', { contentType: 'text/plain', cacheControl: 'no-cache' })),
      );
    }
    expect(await site.list('p/')).toEqual(keys);
    await site.delete(keys);
    expect(await site.list('p/')).toEqual([]);
  });
});

describe.each([
  ['in-memory', async (): Promise<LeaseStore> => new MemoryLeaseStore()],
  [
    'DynamoDB (dynalite)',
    async (): Promise<LeaseStore> => new DynamoLeaseStore(standIns.documents, await standIns.table()),
  ],
])('leases: %s', (_name, make) => {
  it('gives a lease to one holder at a time, again to the same holder, and to others once released or expired', async () => {
    const leases = await make();
    expect(await leases.acquire('draft#a.md', 'one', 60_000)).toBe(true);
    expect(await leases.acquire('draft#a.md', 'two', 60_000)).toBe(false);
    expect(await leases.acquire('draft#b.md', 'two', 60_000)).toBe(true);
    expect(await leases.acquire('draft#a.md', 'one', 60_000)).toBe(true);
    await leases.release('draft#a.md', 'two');
    expect(await leases.acquire('draft#a.md', 'two', 60_000)).toBe(false);
    await leases.release('draft#a.md', 'one');
    expect(await leases.acquire('draft#a.md', 'two', 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(await leases.acquire('draft#a.md', 'three', 60_000)).toBe(true);
  });
});

describe('AWS clients as the functions make them', () => {
  it('give up on a call that is never answered instead of holding the function until Lambda ends it', async () => {
    // Accepts connections, reads the requests, never answers: a dropped keep-alive socket or a stuck endpoint.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.resume();
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const client = new S3Client({
      ...AWS_CLIENT_OPTIONS,
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      // One try, so the test waits for one timeout; the functions keep the SDK's three.
      maxAttempts: 1,
    });
    try {
      await expect(new S3SiteStore(client, 'site').get('xa-hoi/index.html')).rejects.toThrow(
        /timed out|timeout/i,
      );
      expect(sockets).toHaveLength(1);
    } finally {
      client.destroy();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 30_000);
});

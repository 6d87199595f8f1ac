import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSiteStore } from '#shared/adapters/file/stores.ts';
import { MemoryEdgeRules, MemorySiteStore } from '#shared/adapters/memory/index.ts';
import { cdnCacheKey } from '#shared/domain/article.ts';
import { CACHE_CONTROL, HTML } from '#shared/use-cases/responses.ts';
import { CDN_CACHE } from '../../infra/edge/cache-policy.ts';
import { securityHeaders } from '../../infra/edge/headers.ts';
import { InvalidationPathError, type LocalCdn, ttlSeconds } from '../../local/cdn.ts';
import { templateCdn } from '../support/template-cdn.ts';

let site: MemorySiteStore;
let rules: MemoryEdgeRules;
let clock: number;
let cdn: LocalCdn;
const stops: (() => Promise<void>)[] = [];
/** What the pipeline's CDN adapter sends for reader paths: the keys they are cached under. */
const invalidate = (c: LocalCdn, paths: string[]) => c.invalidateKeys(paths.map(cdnCacheKey));
const made = async (options: Parameters<typeof templateCdn>[0]) => {
  const { cdn: c, stop } = await templateCdn(options);
  stops.push(stop);
  return c;
};

const text = (body: Uint8Array) => new TextDecoder().decode(body);
const article = { contentType: HTML, cacheControl: CACHE_CONTROL.article };
const list = { contentType: HTML, cacheControl: CACHE_CONTROL.list };

beforeEach(async () => {
  site = new MemorySiteStore();
  rules = new MemoryEdgeRules();
  clock = Date.UTC(2026, 11, 1);
  cdn = await made({ site, edgeRules: (p) => rules.value(p), now: () => clock });
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

describe('the local CDN, as the CloudFront distribution caches', () => {
  it('answers the second read of a page from its cache, with x-cache and age', async () => {
    await site.put('xa-hoi/bai/index.html', 'bản 1', article);
    const first = await cdn.request('/xa-hoi/bai');
    expect(first.headers['x-cache']).toBe('Miss from cloudfront');
    expect(first.headers.age).toBeUndefined();
    clock += 7_000;
    const second = await cdn.request('/xa-hoi/bai');
    expect(second.headers['x-cache']).toBe('Hit from cloudfront');
    expect(second.headers.age).toBe('7');
    expect(text(second.body)).toBe('bản 1');
    expect(second.headers).toMatchObject(securityHeaders());
  });

  it('caches a page under the URI the function leaves: every spelling and any query string is one copy', async () => {
    await site.put('xa-hoi/bai/index.html', 'bản 1', article);
    await cdn.request('/xa-hoi/bai');
    for (const spelling of [
      '/xa-hoi/bai/',
      '/xa-hoi/bai/index.html',
      '/xa-hoi//bai',
      '/xa-hoi%2Fbai',
      '/xa-hoi/bai?utm_source=zalo',
    ]) {
      expect((await cdn.request(spelling)).headers['x-cache'], spelling).toBe('Hit from cloudfront');
    }
  });

  it('keeps a changed article until it is invalidated, and the viewer URI alone does not drop it', async () => {
    await site.put('xa-hoi/bai/index.html', 'bản 1', article);
    await cdn.request('/xa-hoi/bai');
    await site.put('xa-hoi/bai/index.html', 'bản 2 (đính chính)', article);
    clock += 200 * 24 * 3600 * 1000; // the article's s-maxage is a year
    expect(text((await cdn.request('/xa-hoi/bai')).body)).toBe('bản 1');
    // What an invalidation of the viewer URI does in CloudFront: nothing is cached under it.
    cdn.invalidateKeys(['/xa-hoi/bai']);
    expect(text((await cdn.request('/xa-hoi/bai')).body)).toBe('bản 1');
    // The pipeline names reader paths; the adapter drops the key they are cached under.
    invalidate(cdn, ['/xa-hoi/bai']);
    const fresh = await cdn.request('/xa-hoi/bai');
    expect(fresh.headers['x-cache']).toBe('Miss from cloudfront');
    expect(text(fresh.body)).toBe('bản 2 (đính chính)');
    expect(cdn.invalidatedPaths).toEqual(['/xa-hoi/bai', '/xa-hoi/bai/index.html']);
    expect(fresh.headers).toMatchObject(securityHeaders());
  });

  it('keeps a list for its s-maxage, then asks the bucket again (RefreshHit when unchanged)', async () => {
    await site.put('xa-hoi/index.html', 'danh sách 1', list);
    await cdn.request('/xa-hoi/');
    clock += 59_000;
    expect((await cdn.request('/xa-hoi/')).headers['x-cache']).toBe('Hit from cloudfront');
    clock += 2_000;
    expect((await cdn.request('/xa-hoi/')).headers['x-cache']).toBe('RefreshHit from cloudfront');
    await site.put('xa-hoi/index.html', 'danh sách 2', list);
    clock += 61_000;
    const changed = await cdn.request('/xa-hoi/');
    expect(changed.headers['x-cache']).toBe('Miss from cloudfront');
    expect(text(changed.body)).toBe('danh sách 2');
  });

  it('answers a missing address with the 404 page, kept only for the error-caching TTL', async () => {
    const before = await cdn.request('/xa-hoi/sap-dang');
    expect(before.status).toBe(404);
    expect(before.headers['x-cache']).toBe('Error from cloudfront');
    expect(text(before.body)).toContain('Không tìm thấy trang');
    await site.put('xa-hoi/sap-dang/index.html', 'đã đăng', article);
    expect((await cdn.request('/xa-hoi/sap-dang')).status).toBe(404);
    clock += CDN_CACHE.errorSeconds * 1000;
    expect((await cdn.request('/xa-hoi/sap-dang')).status).toBe(200);
  });

  it('drops a cached 404 when the new address is invalidated', async () => {
    await cdn.request('/xa-hoi/moi');
    await site.put('xa-hoi/moi/index.html', 'bài mới', article);
    invalidate(cdn, ['/xa-hoi/moi']);
    expect((await cdn.request('/xa-hoi/moi')).status).toBe(200);
  });

  it('invalidates by exact key or by a trailing *, and refuses a * anywhere else', async () => {
    for (const key of ['xa-hoi/a/index.html', 'xa-hoi/b/index.html', 'kinh-te/c/index.html']) {
      await site.put(key, key, article);
      await cdn.request(`/${key}`);
    }
    cdn.invalidateKeys(['/xa-hoi/*']);
    expect((await cdn.request('/xa-hoi/a')).headers['x-cache']).toBe('Miss from cloudfront');
    expect((await cdn.request('/xa-hoi/b')).headers['x-cache']).toBe('Miss from cloudfront');
    expect((await cdn.request('/kinh-te/c')).headers['x-cache']).toBe('Hit from cloudfront');
    // Case-sensitive, as CloudFront's paths are.
    cdn.invalidateKeys(['/KINH-TE/*']);
    expect((await cdn.request('/kinh-te/c')).headers['x-cache']).toBe('Hit from cloudfront');
    expect(() => cdn.invalidateKeys(['/xa-hoi/*/index.html'])).toThrow(InvalidationPathError);
    expect(() => cdn.invalidateKeys(['xa-hoi/a'])).toThrow(InvalidationPathError);
  });

  it("answers a takedown's 410 from the function before the cache, with the security headers", async () => {
    await site.put('xa-hoi/da-go/index.html', 'bài sẽ bị gỡ', article);
    await cdn.request('/xa-hoi/da-go');
    await rules.set('/xa-hoi/da-go', { status: 410 });
    for (const spelling of [
      '/xa-hoi/da-go',
      '/xa-hoi/da-go/',
      '/xa-hoi/da-go/index.html',
      '/xa-hoi%2Fda-go',
      '/xa-hoi//da-go',
    ]) {
      const gone = await cdn.request(spelling);
      expect(gone.status, spelling).toBe(410);
      expect(gone.headers['x-cache']).toBe('FunctionGeneratedResponse from cloudfront');
      expect(gone.headers).toMatchObject(securityHeaders());
    }
  });

  it('keeps a taken-down article away when the edge rules cannot be read', async () => {
    const failing = await made({
      site,
      edgeRules: async () => {
        throw new Error('KeyValueStore unavailable');
      },
      now: () => clock,
    });
    await site.put('xa-hoi/da-go/index.html', 'bài sẽ bị gỡ', article);
    await failing.request('/xa-hoi/da-go');
    // The takedown removes the page and invalidates it: without its 410, the address still shows nothing.
    await site.delete(['xa-hoi/da-go/index.html']);
    invalidate(failing, ['/xa-hoi/da-go']);
    expect((await failing.request('/xa-hoi/da-go')).status).toBe(404);
  });

  it('caches photos and assets for a day by default and a year when they say so, without the function', async () => {
    await site.put('media/abc/anh.jpg', new Uint8Array([1, 2, 3]), {
      contentType: 'image/jpeg',
      cacheControl: CACHE_CONTROL.immutable,
    });
    expect((await cdn.request('/media/abc/anh.jpg')).status).toBe(200);
    clock += 300 * 24 * 3600 * 1000;
    expect((await cdn.request('/media/abc/anh.jpg')).headers['x-cache']).toBe('Hit from cloudfront');
    await site.delete(['media/abc/anh.jpg']);
    invalidate(cdn, ['/media/abc/anh.jpg']);
    expect((await cdn.request('/media/abc/anh.jpg')).status).toBe(404);
  });

  it('turned off, serves every read from the bucket', async () => {
    const direct = await made({ site, edgeRules: (p) => rules.value(p), caching: false });
    await site.put('xa-hoi/bai/index.html', 'bản 1', article);
    await direct.request('/xa-hoi/bai');
    await site.put('xa-hoi/bai/index.html', 'bản 2', article);
    const second = await direct.request('/xa-hoi/bai');
    expect(text(second.body)).toBe('bản 2');
    expect(second.headers['x-cache']).toBe('Miss from cloudfront');
  });

  it('reads its TTLs as CloudFront does: s-maxage, then max-age, within the policy', () => {
    const table: [string | undefined, number][] = [
      [CACHE_CONTROL.article, 31_536_000],
      [CACHE_CONTROL.list, 60],
      ['public, max-age=120', 120],
      ['max-age=999999999', CDN_CACHE.pages.max],
      [undefined, CDN_CACHE.pages.default],
      ['no-cache', 0],
      ['no-store', 0],
      ['private, max-age=600', 0],
    ];
    for (const [header, ttl] of table) expect(ttlSeconds(header, CDN_CACHE.pages), String(header)).toBe(ttl);
    expect(ttlSeconds('no-cache', CDN_CACHE.files)).toBe(1);
  });
});

describe('the local CDN in front of a site kept in a folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'cdn-folder-'));
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
  });

  it('reads nothing outside the site folder, however the path is spelled', async () => {
    writeFileSync(join(root, 'secret.txt'), 'bí mật');
    const folderSite = new FileSiteStore(join(root, 'site'));
    await folderSite.put('media/a/anh.jpg', new Uint8Array([1]), {
      contentType: 'image/jpeg',
      cacheControl: 'no-cache',
    });
    const folderCdn = await made({ site: folderSite, edgeRules: async () => undefined });
    for (const path of [
      '/media/../../secret.txt',
      '/media/%2E%2E/%2E%2E/secret.txt',
      '/media/..%2F..%2Fsecret.txt',
      '/media/..%5C..%5Csecret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/../secret.txt',
      '/%2E%2E/secret.txt',
      '/xa-hoi/..%2F..%2F..%2Fsecret.txt',
    ]) {
      const answer = await folderCdn.request(path);
      expect(text(answer.body), path).not.toContain('bí mật');
      expect(answer.status, path).toBeLessThan(500);
    }
    expect((await folderCdn.request('/media/a/anh.jpg')).status).toBe(200);
  });
});

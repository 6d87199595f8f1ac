import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryEdgeRules } from '#shared/adapters/memory/index.ts';
import { articlePath, cdnCacheKey, pageKey, sectionPath, tagPath } from '#shared/domain/article.ts';
import { SAME_SITE_PATH } from '#shared/domain/edge-rules.ts';
import { securityHeaders } from '../../infra/edge/headers.ts';
import {
  EDGE_FUNCTION_MAX_BYTES,
  type EdgeResult,
  edgeAnswers,
  edgeFunctionSource,
  isResponse,
  loadEdgeFunction,
  URL_REWRITE_SOURCE_PATH,
} from '../../infra/edge/url-rewrite.ts';
import { parsePage } from '../support/html.ts';
import { SITE } from '../support/site.ts';

const rules = new MemoryEdgeRules();
const edge = loadEdgeFunction({ ...edgeAnswers(SITE), lookup: (path) => rules.value(path) });

async function objectFor(path: string): Promise<string> {
  const result: EdgeResult = await edge(path);
  if (isResponse(result)) throw new Error(`${path} answered ${result.statusCode}`);
  return result.uri.slice(1);
}
async function statusOf(path: string, run = edge): Promise<number | string> {
  const result = await run(path);
  return isResponse(result) ? result.statusCode : result.uri;
}
const slug = fc.stringMatching(/^[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,6}$/);

describe('the CloudFront Function (viewer request), as deployed', () => {
  it('maps every page path to the object the pipeline writes it to, and that is the key invalidations name', async () => {
    await fc.assert(
      fc.asyncProperty(slug, slug, fc.integer({ min: 1, max: 500 }), async (section, name, page) => {
        for (const path of [
          '/',
          sectionPath(section, page),
          articlePath(section, name),
          tagPath(name, page),
        ]) {
          expect(await objectFor(path)).toBe(pageKey(path));
          expect(`/${await objectFor(path)}`).toBe(cdnCacheKey(path));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leaves files alone', async () => {
    for (const path of [
      '/assets/site.0123456789.css',
      '/media/0123456789abcdef/sin-suoi-ho.jpg',
      '/404.html',
      '/rss.xml',
      '/xa-hoi/rss.xml',
    ]) {
      expect(await objectFor(path)).toBe(path.slice(1));
      expect(cdnCacheKey(path)).toBe(path);
    }
  });

  it('reads every spelling of an address as one path (one cache key per page)', async () => {
    const table: [string, string][] = [
      ['/xa-hoi/bai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi/bai/', 'xa-hoi/bai/index.html'],
      ['/xa-hoi/bai/index.html', 'xa-hoi/bai/index.html'],
      ['/xa-hoi//bai', 'xa-hoi/bai/index.html'],
      ['//xa-hoi/bai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi/bai//', 'xa-hoi/bai/index.html'],
      ['/xa-hoi%2Fbai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi%2fbai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi%5Cbai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi%5cbai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi\\bai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi/./bai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi/khac/../bai', 'xa-hoi/bai/index.html'],
      ['/../xa-hoi/bai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi/%2E%2E/xa-hoi/bai', 'xa-hoi/bai/index.html'],
      ['/xa-hoi/b%61i', 'xa-hoi/bai/index.html'],
      ['/xa-hoi/bai/index.html/', 'xa-hoi/bai/index.html/index.html'],
      ['/xa-hoi/', 'xa-hoi/index.html'],
      ['/xa-hoi/index.html', 'xa-hoi/index.html'],
      ['/xa-hoi//', 'xa-hoi/index.html'],
      ['/', 'index.html'],
      ['//', 'index.html'],
      ['/index.html', 'index.html'],
      ['/..', 'index.html'],
      ['/tag/lai-chau/', 'tag/lai-chau/index.html'],
      ['/tag/lai-chau', 'tag/lai-chau/index.html'],
      ['/xa-hoi/page/2', 'xa-hoi/page/2/index.html'],
      ['/media/../rss.xml', 'rss.xml'],
      ['/xa-hoi/%E1%BA%A3nh', `xa-hoi/${encodeURIComponent('ảnh')}/index.html`],
      ['/xa-hoi/%e1%ba%a3nh', `xa-hoi/${encodeURIComponent('ảnh')}/index.html`],
    ];
    for (const [uri, object] of table) expect(await objectFor(uri), uri).toBe(object);
  });

  it('answers 400 for an address that cannot be read, never 5xx', async () => {
    for (const uri of [
      '/xa-hoi/%',
      '/xa-hoi/%zz',
      '/xa-hoi/%E1%BA',
      '/xa-hoi/%00bai',
      '/xa-hoi/bai%0A',
      '/%7F',
    ]) {
      const result = await edge(uri);
      expect(isResponse(result) && result.statusCode, uri).toBe(400);
      if (!isResponse(result)) continue;
      expect(
        parsePage(result.body?.data ?? '').text(parsePage(result.body?.data ?? '').byTag('h1')[0] as never),
      ).toBe('Địa chỉ không hợp lệ');
    }
  });

  it('sends a section address without its slash to the section page', async () => {
    const result = await edge('/kinh-te');
    expect(result).toMatchObject({
      statusCode: 301,
      headers: { location: { value: '/kinh-te/' }, 'cache-control': { value: 'public, max-age=3600' } },
    });
  });

  it('holds a takedown and a move for every spelling of the address', async () => {
    await rules.set('/xa-hoi/da-go', { status: 410 });
    await rules.set('/xa-hoi/ten-cu', { status: 301, location: '/xa-hoi/ten-moi' });
    const spellings = (path: string) => {
      const [, section, name] = path.split('/');
      return [
        path,
        `${path}/`,
        `${path}/index.html`,
        `/${section}//${name}`,
        `/${section}%2F${name}`,
        `/${section}%2f${name}`,
        `/${section}%5C${name}`,
        `/${section}/./${name}`,
        `/${section}/x/../${name}`,
        `/${section}/${name}?utm_source=zalo`.split('?')[0] ?? '',
        `/${section}/${(name ?? '').replace('a', '%61')}`,
      ];
    };
    for (const uri of spellings('/xa-hoi/da-go')) expect(await statusOf(uri), uri).toBe(410);
    for (const uri of spellings('/xa-hoi/ten-cu')) {
      expect(await edge(uri), uri).toMatchObject({
        statusCode: 301,
        headers: { location: { value: '/xa-hoi/ten-moi' } },
      });
    }
    const gone = await edge('/xa-hoi/da-go/');
    if (!isResponse(gone)) throw new Error('expected a response');
    const page = parsePage(gone.body?.data ?? '');
    expect(page.text(page.byTag('h1')[0] as never)).toBe('Bài viết không còn');
    expect(page.byTag('html')[0]?.attrs).toContainEqual({ name: 'lang', value: 'vi' });
    await rules.set('/xa-hoi/da-go', undefined);
    expect(await objectFor('/xa-hoi/da-go')).toBe('xa-hoi/da-go/index.html');
  });

  it('puts the security headers on its own answers (301, 410, 400)', async () => {
    await rules.set('/xa-hoi/da-go', { status: 410 });
    for (const uri of ['/kinh-te', '/xa-hoi/da-go', '/xa-hoi/%zz']) {
      const result = await edge(uri);
      if (!isResponse(result)) throw new Error(`${uri} was passed on`);
      const headers = Object.fromEntries(Object.entries(result.headers).map(([k, v]) => [k, v.value]));
      expect(headers, uri).toMatchObject(securityHeaders());
      expect(headers['permissions-policy']).toContain('geolocation=()');
      expect(headers['strict-transport-security']).not.toContain('preload');
    }
    const preloading = loadEdgeFunction({
      ...edgeAnswers(SITE, { hstsPreload: true }),
      lookup: async () => undefined,
    });
    const answer = await preloading('/kinh-te');
    expect(isResponse(answer) && answer.headers['strict-transport-security']?.value).toBe(
      'max-age=63072000; includeSubDomains; preload',
    );
  });

  it('follows only same-site redirects, whatever the store holds', async () => {
    const stored = new Map<string, string>([
      ['/xa-hoi/a', '301 //evil.example/x'],
      ['/xa-hoi/b', '301 /\\evil.example'],
      ['/xa-hoi/c', '301 https://evil.example/'],
      ['/xa-hoi/d', '301 /xa-hoi/"><script>'],
      ['/xa-hoi/e', 'garbage'],
      ['/xa-hoi/f', '301 /xa-hoi/dung'],
    ]);
    const run = loadEdgeFunction({ ...edgeAnswers(SITE), lookup: async (path) => stored.get(path) });
    for (const path of ['/xa-hoi/a', '/xa-hoi/b', '/xa-hoi/c', '/xa-hoi/d', '/xa-hoi/e']) {
      expect(await statusOf(path, run), path).toBe(`${path}/index.html`);
    }
    expect(await run('/xa-hoi/f')).toMatchObject({
      statusCode: 301,
      headers: { location: { value: '/xa-hoi/dung' } },
    });
    // The pipeline refuses to store such a rule in the first place.
    await expect(rules.set('/xa-hoi/x', { status: 301, location: '//evil.example/' })).rejects.toThrow(
      /path of this site/,
    );
    await expect(rules.set('/xa-hoi/x', { status: 301, location: '/\\evil.example' })).rejects.toThrow();
    // One pattern: the function's copy is the domain's.
    expect(readFileSync(URL_REWRITE_SOURCE_PATH, 'utf8')).toContain(
      `const SAME_SITE_PATH = /${SAME_SITE_PATH.source}/;`,
    );
  });

  it('serves an address as if it had no rule when the store cannot be read', async () => {
    const failing = loadEdgeFunction({
      ...edgeAnswers(SITE),
      lookup: async () => {
        throw new Error('KeyValueStore unavailable');
      },
    });
    // The page of a taken-down article is gone from the bucket and the cache: the reader gets a 404, not it.
    expect(await statusOf('/xa-hoi/da-go', failing)).toBe('/xa-hoi/da-go/index.html');
  });

  it("fits in CloudFront's 10 KB limit for function code", () => {
    const source = edgeFunctionSource({
      storeId: 'x'.repeat(36),
      ...edgeAnswers(SITE, { hstsPreload: true }),
    });
    expect(Buffer.byteLength(source)).toBeLessThanOrEqual(EDGE_FUNCTION_MAX_BYTES);
  });
});

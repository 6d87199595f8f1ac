import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryEdgeRules } from '#shared/adapters/memory/index.ts';
import { articlePath, pageKey, sectionPath } from '#shared/domain/article.ts';
import { renderGonePage } from '#shared/render/pages.ts';
import { type EdgeResult, isResponse, loadEdgeFunction } from '../../infra/edge/url-rewrite.ts';
import { parsePage } from '../support/html.ts';
import { SITE } from '../support/site.ts';

const rules = new MemoryEdgeRules();
const edge = loadEdgeFunction({ gonePage: renderGonePage(SITE), lookup: (path) => rules.value(path) });

async function objectFor(path: string): Promise<string> {
  const result: EdgeResult = await edge(path);
  if (isResponse(result)) throw new Error(`${path} answered ${result.statusCode}`);
  return result.uri.slice(1);
}
const slug = fc.stringMatching(/^[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,6}$/);

describe('the CloudFront Function (viewer request), as deployed', () => {
  it('maps every page path to the object the pipeline writes it to', async () => {
    await fc.assert(
      fc.asyncProperty(slug, slug, fc.integer({ min: 1, max: 500 }), async (section, articleSlug, page) => {
        for (const path of ['/', sectionPath(section, page), articlePath(section, articleSlug)]) {
          expect(await objectFor(path)).toBe(pageKey(path));
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
    ]) {
      expect(await objectFor(path)).toBe(path.slice(1));
    }
  });

  it('sends a section address without its slash to the section page', async () => {
    expect(await edge('/kinh-te')).toEqual({
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: { location: { value: '/kinh-te/' }, 'cache-control': { value: 'public, max-age=3600' } },
    });
  });

  it('redirects a moved article for good, and answers 410 with a Vietnamese page for one taken down', async () => {
    await rules.set('/xa-hoi/ten-cu', { status: 301, location: '/xa-hoi/ten-moi' });
    await rules.set('/xa-hoi/da-go', { status: 410 });
    expect(await edge('/xa-hoi/ten-cu')).toMatchObject({
      statusCode: 301,
      headers: { location: { value: '/xa-hoi/ten-moi' } },
    });
    const gone = await edge('/xa-hoi/da-go');
    if (!isResponse(gone)) throw new Error('expected a response');
    expect(gone.statusCode).toBe(410);
    const page = parsePage(gone.body?.data ?? '');
    expect(page.text(page.byTag('h1')[0] as never)).toBe('Bài viết không còn');
    expect(page.byTag('html')[0]?.attrs).toContainEqual({ name: 'lang', value: 'vi' });
    await rules.set('/xa-hoi/da-go', undefined);
    expect(await objectFor('/xa-hoi/da-go')).toBe('xa-hoi/da-go/index.html');
  });
});

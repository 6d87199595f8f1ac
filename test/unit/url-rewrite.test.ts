import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { articlePath, pageKey, sectionPath } from '#shared/domain/article.ts';
import { isRedirect, loadUrlRewrite } from '../../infra/edge/url-rewrite.ts';

const rewrite = loadUrlRewrite();
const objectFor = (path: string): string => {
  const result = rewrite(path);
  if (isRedirect(result)) throw new Error(`${path} redirected`);
  return result.uri.slice(1);
};
const slug = fc.stringMatching(/^[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,6}$/);

describe('URL rewrite (the CloudFront Function source)', () => {
  it('maps every page path to the object the pipeline writes it to', () => {
    fc.assert(
      fc.property(slug, slug, fc.integer({ min: 1, max: 500 }), (section, articleSlug, page) => {
        for (const path of ['/', sectionPath(section, page), articlePath(section, articleSlug)]) {
          expect(objectFor(path)).toBe(pageKey(path));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('leaves files alone', () => {
    for (const path of [
      '/assets/site.0123456789.css',
      '/media/0123456789abcdef/sin-suoi-ho.jpg',
      '/404.html',
      '/robots.txt',
    ]) {
      expect(objectFor(path)).toBe(path.slice(1));
    }
  });

  it('sends a section address without its slash to the section page', () => {
    expect(rewrite('/kinh-te')).toEqual({
      statusCode: 301,
      statusDescription: 'Moved Permanently',
      headers: { location: { value: '/kinh-te/' }, 'cache-control': { value: 'public, max-age=3600' } },
    });
  });
});

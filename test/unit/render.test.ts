import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ArticleRecord, type Teaser, tagSlug } from '#shared/domain/article.ts';
import { normalizeLine } from '#shared/domain/text.ts';
import { renderArticlePage, renderListPage } from '#shared/render/pages.ts';
import { parsePage } from '../support/html.ts';
import { SITE } from '../support/site.ts';

function article(fields: Partial<ArticleRecord> = {}): ArticleRecord {
  return {
    id: 'xa-hoi/tin',
    draftKey: 'xa-hoi/tin.md',
    section: 'xa-hoi',
    slug: 'tin',
    path: '/xa-hoi/tin',
    title: 'Tiêu đề',
    lead: 'Sapo.',
    excerpt: 'Sapo.',
    author: { name: 'Phóng viên', role: 'Ban Thời sự' },
    tags: ['Lai Châu'],
    publishedAt: '2023-12-30T14:00:00.000Z',
    sortKey: '2023-12-30T14:00:00.000Z#xa-hoi/tin',
    status: 'live',
    contentHash: 'h',
    bodyHtml: '<p>Nội dung.</p>\n',
    version: 1,
    formerPaths: [],
    settled: true,
    ...fields,
  };
}

const teaser = (i: number, title = `Tin ${i}`, excerpt = `Trích ${i}`): Teaser => ({
  id: `t${i}`,
  section: 'kinh-te',
  title,
  path: `/kinh-te/tin-${i}`,
  excerpt,
  publishedAt: '2023-12-30T09:00:00.000Z',
  sortKey: `2023-12-30T09:00:00.000Z#t${i}`,
});

/** The element structure of a page: what would change if text escaped into markup. */
const shape = (markup: string) => {
  const page = parsePage(markup);
  return { tags: page.elements.map((e) => e.tagName).join(','), attributes: page.attributes().join(',') };
};

describe('article page', () => {
  it('shows the anatomy of the seed page in order', () => {
    const markup = renderArticlePage({
      site: SITE,
      article: article({ updatedAt: '2024-01-01T01:02:00.000Z' }),
      related: [teaser(1)],
    });
    const page = parsePage(markup);
    const order = ['clock', 'section-label', 'published', 'lead', 'body', 'byline', 'related'].map((cls) =>
      page.elements.indexOf(page.byClass(cls)[0] as (typeof page.elements)[number]),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(page.text(page.byTag('h1')[0] as never)).toBe('Tiêu đề');
    expect(page.text(page.byClass('published')[0] as never)).toBe(
      'Thứ bảy, 30/12/2023 - 21:00 · Cập nhật: Thứ hai, 01/01/2024 - 08:02',
    );
    expect(page.text(page.byClass('byline')[0] as never)).toBe('Phóng viên - Ban Thời sự');
    expect(page.byTag('html')[0]?.attrs).toContainEqual({ name: 'lang', value: 'vi' });
  });

  it('runs no inline script: the only script is the external clock; structured data is JSON, not code', () => {
    const page = parsePage(renderArticlePage({ site: SITE, article: article(), related: [] }));
    const scripts = page.byTag('script');
    expect(scripts).toHaveLength(2);
    expect(page.attr(scripts[0] as never, 'type')).toBe('application/ld+json');
    expect(page.attr(scripts[1] as never, 'src')).toMatch(/^\/assets\/clock\.[0-9a-f]+\.js$/);
    expect(page.text(scripts[1] as never)).toBe('');
    expect(page.attributes().filter((a) => /\[on/.test(a))).toEqual([]);
  });

  it('describes the article to search engines (NewsArticle) and link previews (Open Graph, Twitter)', () => {
    const markup = renderArticlePage({
      site: SITE,
      article: article({
        title: 'Lũ quét </script><script>alert(1)</script> ở Mường Tè',
        updatedAt: '2023-12-31T01:00:00.000Z',
        photos: [
          {
            url: '/media/abc/a.jpg',
            caption: 'Bà con bản Sin Suối Hồ.',
            credit: 'THANH HOA',
            width: 1200,
            height: 800,
          },
        ],
      }),
      related: [],
    });
    const page = parsePage(markup);
    const [ld] = page.byTag('script');
    const data = JSON.parse(page.text(ld as never));
    expect(data).toMatchObject({
      '@type': 'NewsArticle',
      headline: 'Lũ quét </script><script>alert(1)</script> ở Mường Tè',
      datePublished: '2023-12-30T21:00:00+07:00',
      dateModified: '2023-12-31T08:00:00+07:00',
      author: [{ '@type': 'Person', name: 'Phóng viên', jobTitle: 'Ban Thời sự' }],
      image: [
        {
          url: 'https://baolaichau.example/media/abc/a.jpg',
          caption: 'Bà con bản Sin Suối Hồ.',
          creditText: 'THANH HOA',
          width: 1200,
          height: 800,
        },
      ],
      publisher: { '@type': 'NewsMediaOrganization', name: SITE.siteName },
    });
    const meta = (property: string) =>
      page.elements.find(
        (e) => e.tagName === 'meta' && (page.attr(e, 'property') ?? page.attr(e, 'name')) === property,
      );
    expect(page.attr(meta('og:type') as never, 'content')).toBe('article');
    expect(page.attr(meta('og:image') as never, 'content')).toBe(
      'https://baolaichau.example/media/abc/a.jpg',
    );
    expect(page.attr(meta('twitter:card') as never, 'content')).toBe('summary_large_image');
    expect(page.attr(meta('description') as never, 'content')).toBe('Sapo.');
    expect(markup).toContain('<link rel="canonical" href="https://baolaichau.example/xa-hoi/tin">');
  });

  it('is byte-identical for the same input', () => {
    const a = renderArticlePage({ site: SITE, article: article(), related: [teaser(1), teaser(2)] });
    const b = renderArticlePage({
      site: SITE,
      article: structuredClone(article()),
      related: [teaser(1), teaser(2)],
    });
    expect(a).toBe(b);
  });

  it('keeps any text from a draft as text: the page structure never changes', () => {
    const benign = shape(renderArticlePage({ site: SITE, article: article(), related: [teaser(1)] }));
    const text = fc.oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      fc.constantFrom(
        '<script>alert(1)</script>',
        '"><img src=x onerror=alert(1)>',
        "' onmouseover='x",
        '</title><b>',
        '&lt;b&gt;',
        '<!--',
        ']]>',
        '</p></article><iframe src=//x>',
      ),
    );
    fc.assert(
      fc.property(text, text, text, text, text, (title, lead, name, role, tag) => {
        const hostile = article({
          title: normalizeLine(title) || 'x',
          lead: normalizeLine(lead) || 'x',
          excerpt: normalizeLine(lead) || 'x',
          author: { name: normalizeLine(name) || 'x', role: normalizeLine(role) || 'x' },
          // As drafts give them: a tag with no letter or digit is left out when the draft is read.
          tags: [tagSlug(normalizeLine(tag)) ? normalizeLine(tag) : 'x'],
        });
        const markup = renderArticlePage({
          site: SITE,
          article: hostile,
          related: [teaser(1, hostile.title, hostile.lead)],
        });
        expect(shape(markup)).toEqual(benign);
        const page = parsePage(markup);
        expect(page.text(page.byTag('h1')[0] as never)).toBe(hostile.title);
        expect(page.text(page.byClass('lead')[0] as never)).toBe(hostile.lead);
      }),
      { numRuns: 300 },
    );
  });
});

describe('list pages', () => {
  it('home lists the teasers given, in order, with section labels', () => {
    const page = parsePage(renderListPage({ site: SITE, teasers: [teaser(2), teaser(1)] }));
    const links = page.byTag('h2').map((h) => page.text(h));
    expect(links).toEqual(['Tin 2', 'Tin 1']);
    expect(page.byClass('teaser').map((t) => page.text(t))).toEqual([
      'Kinh tếTin 2Trích 2',
      'Kinh tếTin 1Trích 1',
    ]);
  });

  it('archive pages link to their neighbours and say their number, not how many there are', () => {
    const page = parsePage(
      renderListPage({
        site: SITE,
        section: 'kinh-te',
        teasers: [teaser(1)],
        page: 2,
        newer: '/kinh-te/',
        older: '/kinh-te/page/1',
      }),
    );
    const hrefs = page
      .byTag('a')
      .filter((a) => page.attr(a, 'rel'))
      .map((a) => [page.attr(a, 'rel'), page.attr(a, 'href')]);
    expect(hrefs).toEqual([
      ['prev', '/kinh-te/'],
      ['next', '/kinh-te/page/1'],
    ]);
    expect(page.text(page.byTag('h1')[0] as never)).toBe('Kinh tế - Trang 2');
    expect(page.text(page.byClass('pagination')[0] as never)).not.toMatch(/\//);
  });

  it('says so when a section is empty', () => {
    const page = parsePage(renderListPage({ site: SITE, section: 'the-thao', teasers: [] }));
    expect(page.text(page.byClass('empty')[0] as never)).toBe('Chưa có bài viết.');
  });
});

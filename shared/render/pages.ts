import { type ArticleRecord, sectionPath, type Teaser } from '../domain/article.ts';
import { formatDateLine, formatIsoVietnam } from '../domain/dates.ts';
import { findSection, type SiteConfig } from '../domain/site.ts';
import { html, type SafeHtml, trustedHtml } from './html.ts';
import { layout } from './layout.ts';

function sectionName(site: SiteConfig, slug: string): string {
  return findSection(site, slug)?.name ?? slug;
}

/** `Name - Role`, as the seed's byline. */
export function bylineOf(author: ArticleRecord['author']): string {
  return author.role ? `${author.name} - ${author.role}` : author.name;
}

function teaserItem(site: SiteConfig, teaser: Teaser, level: 'h2' | 'h3', withSection: boolean): SafeHtml {
  const heading =
    level === 'h2'
      ? html`<h2><a href="${teaser.path}">${teaser.title}</a></h2>`
      : html`<h3><a href="${teaser.path}">${teaser.title}</a></h3>`;
  const label = withSection
    ? html`<p class="section-label"><a href="${sectionPath(teaser.section)}">${sectionName(site, teaser.section)}</a></p>`
    : '';
  return html`<li class="teaser">${label}${heading}<p>${teaser.excerpt}</p></li>\n`;
}

export interface ArticlePageInput {
  readonly site: SiteConfig;
  readonly article: ArticleRecord;
  readonly related: readonly Teaser[];
}

/**
 * The article page, top to bottom as in the seed: section, headline, published time (Vietnam time), lead,
 * body with photos, byline, related teasers.
 */
export function renderArticlePage({ site, article, related }: ArticlePageInput): string {
  const published = new Date(article.publishedAt);
  const updated = article.updatedAt ? new Date(article.updatedAt) : undefined;
  const main = html`<article class="story">
<p class="section-label"><a href="${sectionPath(article.section)}">${sectionName(site, article.section)}</a></p>
<h1>${article.title}</h1>
<p class="published"><time datetime="${formatIsoVietnam(published)}">${formatDateLine(published)}</time>${
    updated
      ? html` · Cập nhật: <time datetime="${formatIsoVietnam(updated)}">${formatDateLine(updated)}</time>`
      : ''
  }</p>
<p class="lead">${article.lead}</p>
<div class="body">
${trustedHtml(article.bodyHtml)}</div>
<p class="byline">${bylineOf(article.author)}</p>
${
  article.tags.length > 0
    ? html`<p class="tags">Từ khóa: ${article.tags.map((t, i) => html`${i > 0 ? ', ' : ''}<span class="tag">${t}</span>`)}</p>\n`
    : ''
}</article>
${
  related.length > 0
    ? html`<section class="related" aria-labelledby="related-heading">
<h2 id="related-heading">Tin liên quan</h2>
<ul class="teasers">
${related.map((t) => teaserItem(site, t, 'h3', false))}</ul>
</section>`
    : ''
}`;
  return layout({
    site,
    title: article.title,
    description: article.excerpt,
    path: article.path,
    main,
    currentSection: article.section,
  });
}

export interface ListPageInput {
  readonly site: SiteConfig;
  /** Section slug, or undefined for the home page. */
  readonly section?: string;
  readonly teasers: readonly Teaser[];
  /** 1-based page number and page count, for section pages. */
  readonly page?: number;
  readonly pageCount?: number;
}

/** The home page (latest across sections) or one page of a section's list (latest first). */
export function renderListPage({ site, section, teasers, page = 1, pageCount = 1 }: ListPageInput): string {
  const isHome = section === undefined;
  const heading = isHome ? 'Tin mới nhất' : sectionName(site, section);
  const pageSuffix = page > 1 ? ` - Trang ${page}` : '';
  const pagination =
    !isHome && pageCount > 1
      ? html`<nav class="pagination" aria-label="Phân trang">
${page > 1 ? html`<a rel="prev" href="${sectionPath(section, page - 1)}">« Trang trước</a>` : html`<span></span>`}
<span>Trang ${page}/${pageCount}</span>
${page < pageCount ? html`<a rel="next" href="${sectionPath(section, page + 1)}">Trang sau »</a>` : html`<span></span>`}
</nav>\n`
      : '';
  const main = html`<h1>${heading}${pageSuffix}</h1>
${
  teasers.length > 0
    ? html`<ul class="teasers">
${teasers.map((t) => teaserItem(site, t, 'h2', isHome))}</ul>\n`
    : html`<p class="empty">Chưa có bài viết.</p>\n`
}${pagination}`;
  return layout({
    site,
    title: isHome ? site.siteName : `${heading}${pageSuffix}`,
    description: isHome ? `${site.siteName}: tin mới nhất` : `${heading} - ${site.siteName}`,
    path: isHome ? '/' : sectionPath(section, page),
    main,
    ...(isHome ? {} : { currentSection: section }),
  });
}

/** The page readers get for an article that was taken down (410 Gone). */
export function renderGonePage(site: SiteConfig): string {
  const main = html`<h1>Bài viết không còn</h1>
<p>Bài viết này đã được gỡ bỏ và không còn trên trang.</p>
<p><a href="/">Về trang chủ</a></p>
`;
  return layout({ site, title: 'Bài viết không còn', path: '/410.html', main });
}

/** The page readers get for an address that has no page. */
export function renderNotFoundPage(site: SiteConfig): string {
  const main = html`<h1>Không tìm thấy trang</h1>
<p>Trang bạn tìm không tồn tại hoặc đã được chuyển đi.</p>
<p><a href="/">Về trang chủ</a></p>
`;
  return layout({ site, title: 'Không tìm thấy trang', path: '/404.html', main });
}

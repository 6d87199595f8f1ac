import { type ArticleRecord, sectionPath, type Teaser, tagPath, tagSlug } from '../domain/article.ts';
import type { ShownComment } from '../domain/comments.ts';
import { formatDateLine, formatIsoVietnam } from '../domain/dates.ts';
import { findSection, type SiteConfig } from '../domain/site.ts';
import { FAVICON } from './assets.ts';
import { commentsSection } from './comments.ts';
import { feedPath } from './feeds.ts';
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
  /** Its approved comments, oldest first. */
  readonly comments?: readonly ShownComment[];
  /** Whether its thread still takes comments (`threadOpen`). */
  readonly commentsOpen?: boolean;
}

/**
 * The article page, top to bottom as in the seed: section, headline, published time (Vietnam time), lead,
 * body with photos, byline, related teasers.
 */
export function renderArticlePage({
  site,
  article,
  related,
  comments = [],
  commentsOpen = false,
}: ArticlePageInput): string {
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
${article.correction ? correctionNotice(article.correction) : ''}<p class="lead">${article.lead}</p>
<div class="body">
${trustedHtml(article.bodyHtml)}</div>
<p class="byline">${bylineOf(article.author)}</p>
${
  article.tags.length > 0
    ? html`<p class="tags">Từ khóa: ${article.tags.map((t, i) => {
        const slug = tagSlug(t);
        const label = slug
          ? html`<a class="tag" href="${tagPath(slug)}">${t}</a>`
          : html`<span class="tag">${t}</span>`;
        return html`${i > 0 ? ', ' : ''}${label}`;
      })}</p>\n`
    : ''
}${commentsSection(article, comments, commentsOpen, site.comments.closeAfterDays)}</article>
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
    ogType: 'article',
    head: articleHead(site, article),
    feed: {
      title: `${sectionName(site, article.section)} - ${site.siteName}`,
      path: feedPath(article.section),
    },
  });
}

/** The "Đính chính" notice an article shows under its time line, linking to every correction. */
function correctionNotice(correction: { readonly note: string; readonly at: string }): SafeHtml {
  const at = new Date(correction.at);
  return html`<aside class="correction" aria-label="Đính chính"><p><strong>Đính chính</strong> (<time datetime="${formatIsoVietnam(at)}">${formatDateLine(at)}</time>): ${correction.note} <a href="/dinh-chinh/">Các bài đính chính</a></p></aside>
`;
}

/**
 * What search engines and link previews read of an article: `NewsArticle` structured data (JSON-LD) and
 * the Open Graph and Twitter card tags.
 */
function articleHead(site: SiteConfig, article: ArticleRecord): SafeHtml {
  const url = `${site.siteUrl}${article.path}`;
  const published = formatIsoVietnam(new Date(article.publishedAt));
  const modified = article.updatedAt ? formatIsoVietnam(new Date(article.updatedAt)) : published;
  const photos = article.photos ?? [];
  const photo = photos[0];
  const absolute = (path: string) => `${site.siteUrl}${path}`;
  const data = {
    '@context': 'https://schema.org',
    '@type': 'NewsArticle',
    headline: article.title,
    description: article.excerpt,
    url,
    mainEntityOfPage: { '@type': 'WebPage', '@id': url },
    datePublished: published,
    dateModified: modified,
    inLanguage: 'vi',
    articleSection: sectionName(site, article.section),
    ...(article.tags.length > 0 ? { keywords: article.tags.join(', ') } : {}),
    author: [
      {
        '@type': 'Person',
        name: article.author.name,
        ...(article.author.role ? { jobTitle: article.author.role } : {}),
      },
    ],
    // schema.org's own place for a correction: a CorrectionComment with its text and time.
    ...(article.correction
      ? {
          correction: {
            '@type': 'CorrectionComment',
            text: article.correction.note,
            datePublished: formatIsoVietnam(new Date(article.correction.at)),
          },
        }
      : {}),
    ...(photos.length > 0
      ? {
          image: photos.map((p) => ({
            '@type': 'ImageObject',
            url: absolute(p.url),
            ...(p.caption ? { caption: p.caption } : {}),
            ...(p.credit ? { creditText: p.credit } : {}),
            ...(p.width && p.height ? { width: p.width, height: p.height } : {}),
          })),
        }
      : {}),
    publisher: {
      '@type': 'NewsMediaOrganization',
      name: site.siteName,
      url: `${site.siteUrl}/`,
      logo: { '@type': 'ImageObject', url: absolute(FAVICON.path) },
    },
  };
  // JSON inside <script>: `<` escaped, so no value can close the element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return html`<meta property="article:published_time" content="${published}">
<meta property="article:modified_time" content="${modified}">
<meta property="article:section" content="${sectionName(site, article.section)}">
${article.tags.map((t) => html`<meta property="article:tag" content="${t}">\n`)}${
  photo
    ? html`<meta property="og:image" content="${absolute(photo.url)}">
${photo.width && photo.height ? html`<meta property="og:image:width" content="${photo.width}">\n<meta property="og:image:height" content="${photo.height}">\n` : ''}${photo.caption ? html`<meta property="og:image:alt" content="${photo.caption}">\n` : ''}<meta name="twitter:card" content="summary_large_image">
<meta name="twitter:image" content="${absolute(photo.url)}">
`
    : html`<meta name="twitter:card" content="summary">\n`
}<meta name="twitter:title" content="${article.title}">
<meta name="twitter:description" content="${article.excerpt}">
<script type="application/ld+json">${trustedHtml(json)}</script>
`;
}

export interface ListPageInput {
  readonly site: SiteConfig;
  /** Section slug, or undefined for the home page (or a tag's page). */
  readonly section?: string;
  /** A tag's page: its slug and the spelling shown. */
  readonly tag?: { readonly slug: string; readonly name: string };
  readonly teasers: readonly Teaser[];
  /** An archive page's number (`page/1` the oldest); the list's front page has none. */
  readonly page?: number;
  /** The page of newer articles ("Trang trước"): the next archive page, or the front page from the newest. */
  readonly newer?: string;
  /** The page of older articles ("Trang sau"): the archive page before. */
  readonly older?: string;
}

/**
 * The home page (latest across sections), a section's or a tag's front page (its latest), or one of its
 * archive pages. Archive pages say their number and nothing of how many there are, so that a page that
 * holds the same articles stays the same page.
 */
export function renderListPage({ site, section, tag, teasers, page, newer, older }: ListPageInput): string {
  const isHome = section === undefined && tag === undefined;
  const heading = tag
    ? `Chủ đề: ${tag.name}`
    : section === undefined
      ? 'Tin mới nhất'
      : sectionName(site, section);
  const pathOf = (n?: number) => (tag ? tagPath(tag.slug, n) : sectionPath(section ?? '', n));
  const pageSuffix = page === undefined ? '' : ` - Trang ${page}`;
  const pagination =
    !isHome && (newer !== undefined || older !== undefined)
      ? html`<nav class="pagination" aria-label="Phân trang">
${newer === undefined ? html`<span></span>` : html`<a rel="prev" href="${newer}">« Trang trước</a>`}
<span>${page === undefined ? 'Mới nhất' : `Trang ${page}`}</span>
${older === undefined ? html`<span></span>` : html`<a rel="next" href="${older}">Trang sau »</a>`}
</nav>\n`
      : '';
  const main = html`<h1>${heading}${pageSuffix}</h1>
${
  teasers.length > 0
    ? html`<ul class="teasers">
${teasers.map((t) => teaserItem(site, t, 'h2', section === undefined))}</ul>\n`
    : html`<p class="empty">Chưa có bài viết.</p>\n`
}${pagination}`;
  const feed =
    section === undefined ? undefined : { title: `${heading} - ${site.siteName}`, path: feedPath(section) };
  return layout({
    site,
    title: isHome ? site.siteName : `${heading}${pageSuffix}`,
    description: isHome ? `${site.siteName}: tin mới nhất` : `${heading} - ${site.siteName}`,
    path: isHome ? '/' : pathOf(page),
    main,
    ...(section === undefined ? {} : { currentSection: section }),
    ...(feed ? { feed } : {}),
  });
}

/** `/dinh-chinh/`: the articles corrected with a visible note, the latest first, each with its note and time. */
export function renderCorrectionsPage(
  site: SiteConfig,
  corrected: readonly { readonly teaser: Teaser; readonly correction: { note: string; at: string } }[],
): string {
  const main = html`<h1>Đính chính</h1>
<p>Những bài viết đã được đính chính sau khi đăng, kèm nội dung đính chính.</p>
${
  corrected.length > 0
    ? html`<ul class="teasers">
${corrected.map(({ teaser, correction }) => {
  const at = new Date(correction.at);
  return html`<li class="teaser"><h2><a href="${teaser.path}">${teaser.title}</a></h2>
<p class="correction-line"><strong>Đính chính</strong> <time datetime="${formatIsoVietnam(at)}">${formatDateLine(at)}</time>: ${correction.note}</p></li>
`;
})}</ul>
`
    : html`<p class="empty">Chưa có bài viết nào được đính chính.</p>
`
}`;
  return layout({
    site,
    title: 'Đính chính',
    description: `Các bài viết được đính chính - ${site.siteName}`,
    path: '/dinh-chinh/',
    main,
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

/** The page readers get for an address that cannot be read (a broken escape, a control character): 400. */
export function renderBadRequestPage(site: SiteConfig): string {
  const main = html`<h1>Địa chỉ không hợp lệ</h1>
<p>Địa chỉ trang bạn nhập có ký tự không đọc được. Hãy kiểm tra lại đường dẫn.</p>
<p><a href="/">Về trang chủ</a></p>
`;
  return layout({ site, title: 'Địa chỉ không hợp lệ', path: '/400.html', main });
}

/** The page readers get for an address that has no page. */
export function renderNotFoundPage(site: SiteConfig): string {
  const main = html`<h1>Không tìm thấy trang</h1>
<p>Trang bạn tìm không tồn tại hoặc đã được chuyển đi.</p>
<p><a href="/">Về trang chủ</a></p>
`;
  return layout({ site, title: 'Không tìm thấy trang', path: '/404.html', main });
}

/** The answer a reader gets after posting a comment: waiting for a moderator, or why it was refused. */
export function renderCommentAnswer(
  site: SiteConfig,
  answer: { readonly accepted: boolean; readonly messages: readonly string[]; readonly back?: string },
): string {
  const back = answer.back ?? '/';
  const main = answer.accepted
    ? html`<section class="answer" aria-labelledby="answer-heading">
<h1 id="answer-heading">Cảm ơn bạn đã gửi bình luận</h1>
<p>Bình luận của bạn đang chờ ban biên tập duyệt và sẽ hiện dưới bài viết khi được duyệt.</p>
<p><a href="${back}#binh-luan">Quay lại bài viết</a></p>
</section>
`
    : html`<section class="answer" aria-labelledby="answer-heading">
<h1 id="answer-heading">Bình luận chưa được gửi</h1>
<ul>
${answer.messages.map((m) => html`<li>${m}</li>\n`)}</ul>
<p><a href="${back}#binh-luan">Quay lại bài viết</a></p>
</section>
`;
  return layout({
    site,
    title: answer.accepted ? 'Bình luận đang chờ duyệt' : 'Bình luận chưa được gửi',
    path: '/api/comments',
    main,
    head: html`<meta name="robots" content="noindex">\n`,
  });
}

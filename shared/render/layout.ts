import type { SiteConfig } from '../domain/site.ts';
import { CLOCK_SCRIPT, FAVICON, STYLESHEET } from './assets.ts';
import { html, type SafeHtml } from './html.ts';

export interface LayoutInput {
  readonly site: SiteConfig;
  /** The document title's first part; the site name follows. */
  readonly title: string;
  readonly description?: string;
  /** Path of the canonical URL of this page. */
  readonly path: string;
  readonly main: SafeHtml;
  /** The section this page belongs to, marked in the navigation. */
  readonly currentSection?: string;
  /** More for the head: an article's link preview and structured data. */
  readonly head?: SafeHtml;
  /** Open Graph type: `website` unless the page says otherwise. */
  readonly ogType?: 'website' | 'article';
  /** The RSS feed readers' apps find from this page (the site's, or its section's). */
  readonly feed?: { readonly title: string; readonly path: string };
}

/** The page shell every page shares: header with the clock and sections, main content, footer. */
export function layout(input: LayoutInput): string {
  const { site } = input;
  const documentTitle = input.title === site.siteName ? site.siteName : `${input.title} - ${site.siteName}`;
  const page = html`<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${documentTitle}</title>
${input.description ? html`<meta name="description" content="${input.description}">\n` : ''}<link rel="canonical" href="${site.siteUrl}${input.path}">
<meta property="og:site_name" content="${site.siteName}">
<meta property="og:locale" content="vi_VN">
<meta property="og:type" content="${input.ogType ?? 'website'}">
<meta property="og:title" content="${input.title}">
${input.description ? html`<meta property="og:description" content="${input.description}">\n` : ''}<meta property="og:url" content="${site.siteUrl}${input.path}">
${input.head ?? ''}<link rel="alternate" type="application/rss+xml" title="${input.feed?.title ?? site.siteName}" href="${input.feed?.path ?? '/rss.xml'}">
<link rel="icon" href="${FAVICON.path}" type="image/svg+xml">
<link rel="stylesheet" href="${STYLESHEET.path}">
<script src="${CLOCK_SCRIPT.path}" defer></script>
</head>
<body>
<header class="site-header">
<div class="wrap">
<span class="clock" data-clock></span>
<a class="site-name" href="/">${site.siteName}</a>
<nav aria-label="Chuyên mục">
<ul class="sections">
${site.sections.map(
  (s) =>
    html`<li><a href="/${s.slug}/"${s.slug === input.currentSection ? html` aria-current="page"` : ''}>${s.name}</a></li>\n`,
)}</ul>
</nav>
</div>
</header>
<main class="wrap">
${input.main}
</main>
<footer class="site-footer">
<div class="wrap">© ${site.siteName} · <a href="/dinh-chinh/">Đính chính</a></div>
</footer>
</body>
</html>
`;
  return page.toString();
}

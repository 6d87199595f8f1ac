import { sectionPath, type Teaser } from '../domain/article.ts';
import { formatIsoVietnam, toVietnamTime } from '../domain/dates.ts';
import { findSection, type SiteConfig } from '../domain/site.ts';
import { xmlText } from '../domain/text.ts';
import { type HtmlValue, html, type SafeHtml } from './html.ts';

// Feeds and sitemaps, every one written with the `xml` tag below.

/**
 * The `html` tag for XML: it escapes &, <, >, " and ' as entities XML also defines, and drops from every
 * value the characters XML 1.0 forbids (see `xmlText`). Draft text has none since the text rules remove
 * them, but a record written before those rules may, and one would make the whole feed or sitemap
 * unreadable to every reader and crawler.
 */
function xml(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  return html(strings, ...values.map(xmlValue));
}

/** A value without forbidden characters; markup (`SafeHtml`) here is made by `xml` itself. */
function xmlValue(value: HtmlValue): HtmlValue {
  if (typeof value === 'string') return xmlText(value);
  if (Array.isArray(value)) return value.map(xmlValue);
  return value;
}

/** Articles a feed carries, newest first. */
export const FEED_COUNT = 50;
/** Google News reads articles of the last two days from a news sitemap. */
export const NEWS_WINDOW_MS = 48 * 3600_000;

/**
 * RFC 822 date-time, as RSS 2.0 requires (`Sat, 30 Dec 2023 14:00:00 +0000`): the platform's HTTP date, its
 * zone written as a numeric offset.
 */
export function rfc822(iso: string): string {
  return new Date(iso).toUTCString().replace(/ GMT$/, ' +0000');
}

/** A teaser's guid: its article id, which no correction, new title or move changes. */
export function guidOf(site: SiteConfig, teaser: Teaser): string {
  return `${site.siteUrl}/#article-${teaser.id}`;
}

export function feedPath(section?: string): string {
  return section ? `${sectionPath(section)}rss.xml` : '/rss.xml';
}

/** RSS 2.0 for the site or one section: the latest {@link FEED_COUNT} live articles. */
export function renderRss(input: { site: SiteConfig; section?: string; teasers: readonly Teaser[] }): string {
  const { site, section } = input;
  const name = section ? `${findSection(site, section)?.name ?? section} - ${site.siteName}` : site.siteName;
  const link = `${site.siteUrl}${section ? sectionPath(section) : '/'}`;
  const items = input.teasers.slice(0, FEED_COUNT);
  const newest = items[0];
  return xml`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>${name}</title>
<link>${link}</link>
<description>${section ? `Tin ${findSection(site, section)?.name ?? section} mới nhất` : 'Tin mới nhất'} - ${site.siteName}</description>
<language>vi</language>
<atom:link href="${site.siteUrl}${feedPath(section)}" rel="self" type="application/rss+xml"/>
${newest ? xml`<lastBuildDate>${rfc822(latestChange(items))}</lastBuildDate>\n` : ''}${items.map(
  (t) => xml`<item>
<title>${t.title}</title>
<link>${site.siteUrl}${t.path}</link>
<guid isPermaLink="false">${guidOf(site, t)}</guid>
<pubDate>${rfc822(t.publishedAt)}</pubDate>
<category>${findSection(site, t.section)?.name ?? t.section}</category>
<description>${t.excerpt}</description>
</item>
`,
)}</channel>
</rss>
`.toString();
}

function latestChange(teasers: readonly Teaser[]): string {
  // ISO 8601 UTC strings of one format sort as the instants they name.
  return teasers.map(lastModified).sort().at(-1) ?? '';
}

export function lastModified(teaser: Teaser): string {
  return teaser.updatedAt ?? teaser.publishedAt;
}

/** `2024-05`: the month (Vietnam time) an article's sitemap is named by. */
export function sitemapMonth(publishedAt: string): string {
  const { year, month } = toVietnamTime(new Date(publishedAt));
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** The instant a month (Vietnam time) starts, as a UTC sort-key prefix. */
export function monthStart(month: string): string {
  const [year = 0, m = 1] = month.split('-').map(Number);
  return new Date(Date.UTC(year, m - 1, 1) - 7 * 3600_000).toISOString();
}

export function nextMonth(month: string): string {
  const [year = 0, m = 1] = month.split('-').map(Number);
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
}

export function sitemapKey(month: string): string {
  return `sitemaps/${month}.xml`;
}

/** One month's articles, with when each last changed. */
export function renderSitemap(site: SiteConfig, teasers: readonly Teaser[]): string {
  return xml`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${teasers.map((t) => remembered(sitemapEntries, `${site.siteUrl}${t.path}\n${lastModified(t)}`, () => xml`<url><loc>${site.siteUrl}${t.path}</loc><lastmod>${formatIsoVietnam(new Date(lastModified(t)))}</lastmod></url>\n`))}</urlset>
`.toString();
}

/**
 * A month's sitemap is written again on every publish and takedown of the month, and nearly all its
 * entries are the same as the last time: each entry's markup is kept, by what it is made of, so that a
 * warm function (or a build) renders only the new ones. Bounded, as a newsroom's month is.
 */
const sitemapEntries = new Map<string, SafeHtml>();
/** The news sitemap's entries, kept the same way: it is written again on every publish. */
const newsEntries = new Map<string, SafeHtml>();

function remembered(cache: Map<string, SafeHtml>, key: string, make: () => SafeHtml): SafeHtml {
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = make();
    if (cache.size >= 100_000) cache.clear();
    cache.set(key, entry);
  }
  return entry;
}

/**
 * The sitemap index `robots.txt` names: the fronts' sitemap, the news sitemap (when there is any article),
 * then one sitemap a month, oldest first (each well under the 50,000 URLs a sitemap may hold).
 */
export function renderSitemapIndex(site: SiteConfig, months: readonly string[]): string {
  const entry = (key: string): SafeHtml => xml`<sitemap><loc>${site.siteUrl}/${key}</loc></sitemap>\n`;
  return xml`<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${entry(FRONT_SITEMAP_KEY)}${months.length > 0 ? entry(NEWS_SITEMAP_KEY) : ''}${months.map((m) => entry(sitemapKey(m)))}</sitemapindex>
`.toString();
}

export const SITEMAP_INDEX_KEY = 'sitemap.xml';
export const FRONT_SITEMAP_KEY = 'sitemaps/front.xml';
export const NEWS_SITEMAP_KEY = 'news-sitemap.xml';

/** Home and section fronts: they change all day. */
export function renderFrontSitemap(site: SiteConfig): string {
  const paths = ['/', ...site.sections.map((s) => sectionPath(s.slug))];
  return xml`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
${paths.map((p) => xml`<url><loc>${site.siteUrl}${p}</loc><changefreq>hourly</changefreq></url>\n`)}</urlset>
`.toString();
}

/**
 * The Google News sitemap: articles published within two days of the newest one (measured from the
 * newest article, not the clock, so that the file is a function of the index alone), at most 1,000. A site
 * without articles has none (a sitemap may not be empty).
 */
export function renderNewsSitemap(site: SiteConfig, latest: readonly Teaser[]): string {
  const newest = latest[0];
  const since = newest ? new Date(newest.publishedAt).getTime() - NEWS_WINDOW_MS : 0;
  const recent = latest.filter((t) => new Date(t.publishedAt).getTime() > since).slice(0, 1000);
  return xml`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
${recent.map((t) =>
  remembered(
    newsEntries,
    `${site.siteUrl}${t.path}\n${site.siteName}\n${t.publishedAt}\n${t.title}`,
    () => xml`<url>
<loc>${site.siteUrl}${t.path}</loc>
<news:news>
<news:publication><news:name>${site.siteName}</news:name><news:language>vi</news:language></news:publication>
<news:publication_date>${formatIsoVietnam(new Date(t.publishedAt))}</news:publication_date>
<news:title>${t.title}</news:title>
</news:news>
</url>
`,
  ),
)}</urlset>
`.toString();
}

export function renderRobotsTxt(site: SiteConfig): string {
  return `User-agent: *
Allow: /
Disallow: /desk/
Disallow: /api/

Sitemap: ${site.siteUrl}/${SITEMAP_INDEX_KEY}
`;
}

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SiteConfig } from '#shared/domain/site.ts';
import type { CorpusDraft } from './corpus.ts';

/**
 * The same corpus as projects of the peers a newsroom could pick instead: Eleventy 3 and Hugo, each
 * building what this pipeline publishes from it: a page per article in a layout with the site header, the
 * home page (latest 20) and every section's list, 20 a page, latest first. The peers are spared what only
 * this pipeline does (validation, related teasers, image checks), so the comparison leans their way.
 */

function write(path: string, body: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
}

/** The drafts as they are, plus images, under `root` (the layout of the drafts bucket). */
export function writeDrafts(root: string, corpus: readonly CorpusDraft[]): void {
  for (const d of corpus) {
    write(join(root, d.key), d.text);
    if (d.image) write(join(root, d.image.key), d.image.bytes);
  }
}

const header = (site: SiteConfig, link: (slug: string) => string) =>
  `<header><a href="/">${site.siteName}</a><nav>${site.sections
    .map((s) => `<a href="${link(s.slug)}">${s.name}</a>`)
    .join('')}</nav></header>`;

export function writeEleventyProject(root: string, corpus: readonly CorpusDraft[], site: SiteConfig): void {
  const src = join(root, 'src');
  writeDrafts(src, corpus);
  for (const s of site.sections) {
    write(join(src, s.slug, `${s.slug}.11tydata.json`), JSON.stringify({ layout: 'article.njk' }));
  }
  write(
    join(src, '_includes/base.njk'),
    `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{{ title | escape }}</title></head><body>${header(
      site,
      (slug) => `/${slug}/`,
    )}<main>{{ content | safe }}</main></body></html>`,
  );
  write(
    join(src, '_includes/article.njk'),
    `---\nlayout: base.njk\n---\n<article><h1>{{ title | escape }}</h1><time datetime="{{ publishedAt.toISOString() }}">{{ publishedAt | vnDate }}</time><p class="lead">{{ lead | escape }}</p>{{ content | safe }}<p class="byline">{{ author.name | escape }}</p></article>`,
  );
  const teasers = (items: string) =>
    `<ul>{% for a in ${items} %}<li><a href="{{ a.url }}">{{ a.data.title | escape }}</a><p>{{ a.data.lead | escape }}</p></li>{% endfor %}</ul>`;
  write(
    join(src, 'index.njk'),
    `---\nlayout: base.njk\ntitle: Trang chủ\n---\n${teasers('collections.latest')}`,
  );
  write(
    join(src, 'sections.njk'),
    `---\nlayout: base.njk\npagination:\n  data: collections.sectionPages\n  size: 1\n  alias: p\npermalink: "/{{ p.section }}/{% if p.n > 1 %}page/{{ p.n }}/{% endif %}index.html"\neleventyComputed:\n  title: "{{ p.section }}"\n---\n${teasers(
      'p.items',
    )}{% if p.n < p.count %}<a href="/{{ p.section }}/page/{{ p.n + 1 }}/">Trang sau</a>{% endif %}`,
  );
  write(
    join(root, 'eleventy.config.mjs'),
    `export default function (config) {
  config.setQuietMode(true);
  config.addPassthroughCopy('src/**/images/*.jpg');
  config.addFilter('vnDate', (d) => d.toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' }));
  const newestFirst = (api) =>
    api.getFilteredByGlob('src/*/*.md').sort((a, b) => b.data.publishedAt - a.data.publishedAt);
  config.addCollection('latest', (api) => newestFirst(api).slice(0, 20));
  config.addCollection('sectionPages', (api) => {
    const pages = [];
    for (const section of ${JSON.stringify(site.sections.map((s) => s.slug))}) {
      const items = newestFirst(api).filter((a) => a.data.section === section);
      const count = Math.max(1, Math.ceil(items.length / 20));
      for (let n = 1; n <= count; n++) pages.push({ section, n, count, items: items.slice((n - 1) * 20, n * 20) });
    }
    return pages;
  });
  return { dir: { input: 'src', includes: '_includes', output: 'out' }, markdownTemplateEngine: false };
}
`,
  );
}

export function writeHugoProject(root: string, corpus: readonly CorpusDraft[], site: SiteConfig): void {
  for (const d of corpus) {
    write(join(root, 'content', d.key), d.text);
    if (d.image) write(join(root, 'static', d.image.key), d.image.bytes);
  }
  write(
    join(root, 'hugo.toml'),
    `baseURL = "https://example.org/"
languageCode = "vi"
timeZone = "Asia/Ho_Chi_Minh"
title = ${JSON.stringify(site.siteName)}
disableKinds = ["taxonomy", "term", "robotsTXT", "404"]
paginate = 20
[frontmatter]
date = ["publishedAt", ":default"]
`,
  );
  const base = `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{{ .Title }}</title></head><body>${header(
    site,
    (slug) => `{{ "${slug}/" | relURL }}`,
  )}<main>{{ block "main" . }}{{ end }}</main></body></html>`;
  write(join(root, 'layouts/_default/baseof.html'), base);
  const teasers = (pages: string) =>
    `<ul>{{ range ${pages} }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><p>{{ .Params.lead }}</p></li>{{ end }}</ul>`;
  write(
    join(root, 'layouts/_default/single.html'),
    `{{ define "main" }}<article><h1>{{ .Title }}</h1><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date | time.Format "02/01/2006 - 15:04" }}</time><p class="lead">{{ .Params.lead }}</p>{{ .Content }}<p class="byline">{{ .Params.author.name }}</p></article><h2>Tin liên quan</h2><ul>{{ $p := . }}{{ range seq 5 }}{{ with $p.PrevInSection }}{{ $p = . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><p>{{ .Params.lead }}</p></li>{{ end }}{{ end }}</ul>{{ end }}`,
  );
  write(
    join(root, 'layouts/_default/list.html'),
    `{{ define "main" }}{{ $p := .Paginate .Pages.ByDate.Reverse }}${teasers(
      '$p.Pages',
    )}{{ if $p.HasNext }}<a href="{{ $p.Next.URL }}">Trang sau</a>{{ end }}{{ end }}`,
  );
  write(
    join(root, 'layouts/index.html'),
    `{{ define "main" }}${teasers('first 20 .Site.RegularPages.ByDate.Reverse')}{{ end }}`,
  );
}

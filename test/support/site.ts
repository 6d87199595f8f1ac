import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ArticleRecord } from '#shared/domain/article.ts';
import { parseSiteConfig, type SiteConfig } from '#shared/domain/site.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLES = join(ROOT, 'examples/drafts');

/** The site settings the repo ships in cdk.json: what ops deploy and what the local stack runs. */
export const SITE: SiteConfig = parseSiteConfig(
  JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context.newsroom,
);

export const SEED_KEY = 'xay-dung-dang/nang-cao-nang-luc-lanh-dao.md';
export const SEED_IMAGE_KEY = 'xay-dung-dang/images/sin-suoi-ho.jpg';
export const SEED_SLUG =
  'nang-cao-nang-luc-lanh-dao-suc-chien-dau-cua-dang-bo-tinh-nhiem-vu-trong-tam-xuyen-suot';
export const SEED_PATH = `/xay-dung-dang/${SEED_SLUG}`;
export const SEED_BYLINE =
  'Vũ Mạnh Hà - Ủy viên dự khuyết Ban Chấp hành Trung ương Đảng, Phó Bí thư Thường trực Tỉnh ủy';

export const EXAMPLE_KEYS = [
  'giao-duc/no-luc-hoc-tap-ren-luyen.md',
  'kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia.md',
  'xa-hoi/ngan-chan-lua-dao-qua-dien-thoai.md',
  SEED_KEY,
] as const;

export function example(key: string): Buffer {
  return readFileSync(join(EXAMPLES, key));
}

/** A minimal valid draft, with fields replaced or removed (`undefined`) as a test needs. */
export function draftText(fields: Record<string, unknown> = {}, body = 'Nội dung bài viết.'): string {
  const base: Record<string, unknown> = {
    title: 'Tin thử nghiệm',
    section: 'xa-hoi',
    publishedAt: '2024-01-02T08:00:00+07:00',
    author: { name: 'Phóng viên' },
    lead: 'Đoạn sapo của bài thử nghiệm.',
    ...fields,
  };
  const lines = Object.entries(base)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  return `---\n${lines.join('\n')}\n---\n\n${body}\n`;
}

/**
 * An index record for article `n`, published `minute` minutes after 2024-01-01 00:00 UTC (by default `n`),
 * live, in kinh-te (even `n`) or xa-hoi (odd); `fields` override any of it.
 */
export function articleRecord(n: number, fields: Partial<ArticleRecord> = {}, minute = n): ArticleRecord {
  const section = fields.section ?? (n % 2 === 0 ? 'kinh-te' : 'xa-hoi');
  const publishedAt = new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString();
  const id = fields.id ?? `bai-${n}`;
  return {
    id,
    draftKey: `${section}/${id}.md`,
    section,
    slug: id,
    path: `/${section}/${id}`,
    title: `Bài ${n}: “Gỡ khó” cho đồng bào`,
    lead: 'Sapo',
    excerpt: 'Sapo',
    author: { name: 'Phóng viên' },
    tags: [],
    publishedAt,
    sortKey: `${publishedAt}#${id}`,
    status: 'live',
    contentHash: 'h',
    bodyHtml: '<p>x</p>',
    version: 1,
    formerPaths: [],
    settled: true,
    ...fields,
  };
}

/** The step names docs/convergence.md lists (`1. \`name\``) between two phrases of its text. */
export function stepsNamedInConvergence(from: string, to: string): string[] {
  const doc = readFileSync(join(ROOT, 'docs/convergence.md'), 'utf8');
  const section = doc.slice(doc.indexOf(from), doc.indexOf(to));
  return [...section.matchAll(/^\d+\. `([a-z-]+)`/gm)].map((m) => m[1] ?? '');
}

import { readFileSync } from 'node:fs';
import type { SiteConfig } from '#shared/domain/site.ts';

/**
 * A deterministic corpus of realistic drafts: Vietnamese news prose built from the words of the seed
 * article, 6-10 paragraphs (5-8 KB), several sections and tags, one article in five with a photo.
 */
export interface CorpusDraft {
  readonly key: string;
  readonly text: string;
  readonly image?: { readonly key: string; readonly bytes: Uint8Array };
}

// The repo root: benchmarks run from it (npm run bench), also once bundled elsewhere.
const root = `${process.cwd()}/`;
const seedText = readFileSync(`${root}examples/drafts/xay-dung-dang/nang-cao-nang-luc-lanh-dao.md`, 'utf8');
const WORDS = seedText
  .split('---')[2]
  ?.replace(/!\[[^\]]*\]\([^)]*\)/g, '')
  .split(/\s+/)
  .map((w) => w.replace(/[.,;:!?“”"()]/g, ''))
  .filter((w) => w.length > 0) ?? ['tin'];
const PHOTO = new Uint8Array(readFileSync(`${root}examples/drafts/xay-dung-dang/images/sin-suoi-ho.jpg`));
const TAGS = [
  'Lai Châu',
  'Đảng bộ tỉnh',
  'nông thôn mới',
  'giáo dục',
  'kinh tế',
  'văn hoá',
  'y tế',
  'giao thông',
];

/** Mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateCorpus(count: number, site: SiteConfig, seed = 20231230): CorpusDraft[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const sentence = () => {
    const s = words(16 + Math.floor(random() * 12));
    return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
  };
  const paragraph = () => Array.from({ length: 4 + Math.floor(random() * 2) }, sentence).join(' ');
  const drafts: CorpusDraft[] = [];
  const start = Date.UTC(2023, 0, 1);
  for (let i = 0; i < count; i++) {
    const section = pick(site.sections).slug;
    const key = `${section}/bai-${String(i).padStart(6, '0')}.md`;
    // The number first: a slug is cut at 100 characters, and every article needs its own.
    const title = `Tin ${i}: ${sentence().slice(0, -1).split(' ').slice(0, 10).join(' ')}`;
    // Five minutes apart: even 100,000 articles lie in the past (a future one would be scheduled, not built).
    const at = new Date(start + i * 5 * 60_000 + Math.floor(random() * 4) * 60_000);
    const withPhoto = random() < 0.2;
    const paragraphs = Array.from({ length: 6 + Math.floor(random() * 5) }, paragraph);
    if (withPhoto) paragraphs.splice(2, 0, `![${sentence()}](images/anh-${i}.jpg "Ảnh: PHÓNG VIÊN")`);
    const front = [
      '---',
      `title: ${JSON.stringify(title)}`,
      `section: ${section}`,
      `publishedAt: ${at.toISOString().replace('.000Z', '+00:00')}`,
      'author:',
      '  name: Phóng viên',
      `lead: ${JSON.stringify(paragraph())}`,
      `tags: ${JSON.stringify([pick(TAGS), pick(TAGS)])}`,
      '---',
      '',
    ].join('\n');
    drafts.push({
      key,
      text: `${front}${paragraphs.join('\n\n')}\n`,
      ...(withPhoto ? { image: { key: `${section}/images/anh-${i}.jpg`, bytes: PHOTO } } : {}),
    });
  }
  return drafts;
}

import * as z from 'zod/mini';
import { SLUG_PATTERN } from './slug.ts';

/** A section of the site, as ops configure it: its URL slug and the name readers see. */
export interface Section {
  readonly slug: string;
  readonly name: string;
}

/** What a newsroom configures about its site; the same settings drive the local stack and the CDK app. */
export interface SiteConfig {
  readonly siteName: string;
  /** Absolute base URL readers use, without a trailing slash. */
  readonly siteUrl: string;
  readonly sections: readonly Section[];
  /** Readers' comments (docs/comments.md). */
  readonly comments: CommentSettings;
}

export interface CommentSettings {
  /** Days after publication a thread stays open (7 unless set); 0 takes no comments at all. */
  readonly closeAfterDays: number;
  /** Words that flag a comment for a moderator's attention, matched without tone marks (đ as d). */
  readonly flagWords: readonly string[];
}

/**
 * Words flagged unless the newsroom lists its own: the commonest spam and an insult. Matched without tone
 * marks, so a short word would flag innocent ones ("ngu" is also "ngủ", "ngữ"): only phrases that stay
 * distinct once folded.
 */
export const DEFAULT_FLAG_WORDS = ['khốn nạn', 'cá độ', 'lô đề', 'vay tiền nhanh', 'casino', 'nhà cái'];

export class SiteConfigError extends Error {
  override readonly name = 'SiteConfigError';
}

/** First path segments the site uses for itself: no section may be named so. */
export const RESERVED_TOP_LEVEL = new Set([
  'assets',
  'media',
  'tag',
  'tags',
  'reports',
  'feed',
  'rss',
  'sitemap',
  'page',
  'api',
  'dinh-chinh',
  'desk',
  '_local',
]);

const siteConfigSchema = z.object({
  siteName: z.string().check(z.minLength(1)),
  siteUrl: z.pipe(
    z.string().check(z.regex(/^https?:\/\/[^/\s]+(?:\/[^\s]*)?$/, 'must be an absolute http(s) URL')),
    z.transform((u) => u.replace(/\/+$/, '')),
  ),
  sections: z
    .array(
      z.object({
        slug: z.string().check(
          z.regex(SLUG_PATTERN, 'must be lowercase ASCII words joined by "-"'),
          z.refine(
            (slug) => !RESERVED_TOP_LEVEL.has(slug),
            'is used by the site itself (assets, media, tag, ...)',
          ),
        ),
        name: z.string().check(z.minLength(1)),
      }),
    )
    .check(
      z.minLength(1, 'list at least one section'),
      z.refine((s) => new Set(s.map((x) => x.slug)).size === s.length, 'section slugs must be unique'),
    ),
  comments: z.optional(
    z.object({
      closeAfterDays: z.optional(z.number().check(z.int(), z.gte(0), z.lte(3650))),
      flagWords: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(60)))),
    }),
  ),
});

/** Validates site settings, throwing one error that lists every problem. */
export function parseSiteConfig(input: unknown): SiteConfig {
  const result = siteConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SiteConfigError(`Invalid site settings (newsroom context):\n${lines.join('\n')}`);
  }
  const { comments, ...rest } = result.data;
  return {
    ...rest,
    comments: {
      closeAfterDays: comments?.closeAfterDays ?? 7,
      flagWords: comments?.flagWords ?? DEFAULT_FLAG_WORDS,
    },
  };
}

export function findSection(site: SiteConfig, slug: string): Section | undefined {
  return site.sections.find((s) => s.slug === slug);
}

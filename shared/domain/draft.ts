import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { z } from 'zod';
import { type ParsedBody, parseBody } from './body.ts';
import { parseIsoWithOffset } from './dates.ts';
import type { Problem } from './problems.ts';
import { findSection, type SiteConfig } from './site.ts';
import { isValidSlug, MAX_SLUG_LENGTH, slugify } from './slug.ts';
import { charLength, normalizeLine, normalizeText } from './text.ts';

export type DraftStatus = 'published' | 'withdrawn';

/** A draft that passed validation: every text NFC-normalised, every field checked. */
export interface Draft {
  /** The drafts-bucket key it was read from. */
  readonly key: string;
  readonly id: string;
  readonly title: string;
  readonly section: string;
  readonly slug: string;
  /** Whether the editor set `slug:`; a slug made from the title does not change when the title is corrected. */
  readonly slugSet: boolean;
  readonly lead: string;
  readonly author: { readonly name: string; readonly role?: string };
  readonly publishedAt?: Date;
  readonly tags: readonly string[];
  readonly status: DraftStatus;
  readonly body: ParsedBody;
  /** Images the body uses: `src` as written and the drafts-bucket key it points at. */
  readonly images: readonly { readonly src: string; readonly key: string }[];
  /** Hash of the normalised draft: equal for drafts that differ only in encoding details. */
  readonly contentHash: string;
}

export type ParseResult =
  | { readonly ok: true; readonly draft: Draft; readonly warnings: readonly Problem[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

export const LIMITS = {
  title: 250,
  lead: 1500,
  authorName: 120,
  authorRole: 250,
  tag: 60,
  tags: 20,
  id: 200,
} as const;

const KNOWN_FIELDS = ['title', 'section', 'lead', 'author', 'publishedAt', 'tags', 'slug', 'id', 'status'];

const FIELD_HINTS: Record<string, string> = {
  title: 'title: "Tiêu đề bài viết"',
  section: 'section: xay-dung-dang',
  lead: 'lead: "Đoạn sapo in đậm dưới tiêu đề"',
  author: 'author:\n  name: Tên tác giả',
  'author.name': 'author:\n  name: Tên tác giả',
};

/** Draft key without `.md`: the default article id. */
export function defaultIdForKey(key: string): string {
  return key.replace(/\.md$/i, '');
}

/**
 * Reads a draft file: UTF-8 text, YAML front matter between `---` lines, Markdown body.
 * Returns every problem at once rather than stopping at the first.
 */
export function parseDraft(key: string, bytes: Uint8Array, site: SiteConfig): ParseResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return rejected({
      field: 'draft',
      code: 'invalid_encoding',
      message: 'The file is not valid UTF-8 text. Save it as "UTF-8" in your editor and upload it again.',
    });
  }
  text = normalizeText(text.replace(/\r\n?/g, '\n'));

  const split = splitFrontMatter(text);
  if ('problem' in split) return rejected(split.problem);

  const doc = parseDocument(split.frontMatter, {
    schema: 'core',
    customTags: [],
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
  });
  const yamlProblems = [...doc.errors, ...doc.warnings].map(
    (e): Problem => ({
      field: 'front matter',
      code: 'invalid_yaml',
      message: `The front matter is not valid YAML (${e.message.split('\n')[0]}). Check the line it names: quote text that contains ":" or starts with a special character.`,
    }),
  );
  if (yamlProblems.length > 0) return { ok: false, problems: yamlProblems };
  if (!isMap(doc.contents)) {
    return rejected({
      field: 'front matter',
      code: 'not_a_mapping',
      message: 'The front matter must be a list of "field: value" lines (title, section, lead, author).',
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 50 });
  } catch (err) {
    return rejected({
      field: 'front matter',
      code: 'invalid_yaml',
      message: `The front matter could not be read (${(err as Error).message}). Remove anchors and aliases (& and *).`,
    });
  }
  return validate(key, data as Record<string, unknown>, split.body, site);
}

function rejected(problem: Problem): ParseResult {
  return { ok: false, problems: [problem] };
}

function splitFrontMatter(text: string): { frontMatter: string; body: string } | { problem: Problem } {
  const lines = text.split('\n');
  const first = lines[0]?.trimEnd();
  if (first !== '---') {
    const code = first?.startsWith('---') ? 'unsupported_front_matter' : 'missing_front_matter';
    const message =
      code === 'unsupported_front_matter'
        ? `The front matter must open with a line of exactly "---" (found "${first?.slice(0, 20)}"); only YAML front matter is accepted.`
        : 'The draft must start with front matter: a line "---", the fields (title, section, lead, author), and another "---".';
    return { problem: { field: 'front matter', code, message } };
  }
  const end = lines.findIndex((l, i) => i > 0 && (l.trimEnd() === '---' || l.trimEnd() === '...'));
  if (end < 0) {
    return {
      problem: {
        field: 'front matter',
        code: 'unterminated_front_matter',
        message:
          'The front matter has no closing "---" line. Add one after the last field, before the article text.',
      },
    };
  }
  return { frontMatter: lines.slice(1, end).join('\n'), body: lines.slice(end + 1).join('\n') };
}

const line = (max: number) => z.string().transform(normalizeLine).pipe(z.string().min(1).max(max));

function schemaFor(site: SiteConfig) {
  return z.object({
    title: line(LIMITS.title),
    section: z
      .string()
      .transform(normalizeLine)
      .superRefine((slug, ctx) => {
        if (!findSection(site, slug)) {
          ctx.addIssue({
            code: 'custom',
            params: { code: 'unknown_section' },
            message: `"${slug}" is not a section of this site. Use one of: ${site.sections.map((s) => s.slug).join(', ')}.`,
          });
        }
      }),
    lead: line(LIMITS.lead),
    author: z.object({
      name: line(LIMITS.authorName),
      role: line(LIMITS.authorRole).optional(),
    }),
    publishedAt: z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined) return undefined;
        const date = parseIsoWithOffset(value);
        if (!date) {
          ctx.addIssue({
            code: 'custom',
            params: { code: 'invalid_date' },
            message: `"${value}" is not a real date and time with an offset. Write it like 2023-12-30T21:00:00+07:00.`,
          });
          return z.NEVER;
        }
        return date;
      }),
    tags: z
      .array(line(LIMITS.tag))
      .max(LIMITS.tags)
      .optional()
      .transform((tags) => [...new Set(tags ?? [])]),
    slug: z
      .string()
      .transform(normalizeLine)
      .superRefine((slug, ctx) => {
        if (!isValidSlug(slug)) {
          ctx.addIssue({
            code: 'custom',
            params: { code: 'invalid_slug' },
            message: `"${slug}" is not a valid slug: use lowercase ASCII letters, digits and "-", at most ${MAX_SLUG_LENGTH} characters (for example "${slugify(slug) || 'ten-bai-viet'}").`,
          });
        }
      })
      .optional(),
    id: z
      .string()
      .transform(normalizeLine)
      .pipe(
        z
          .string()
          .min(1)
          .max(LIMITS.id)
          .regex(/^[\p{L}\p{N}._/-]+$/u),
      )
      .optional(),
    status: z.enum(['published', 'withdrawn']).optional(),
  });
}

function validate(
  key: string,
  data: Record<string, unknown>,
  bodyText: string,
  site: SiteConfig,
): ParseResult {
  const problems: Problem[] = [];
  const warnings: Problem[] = Object.keys(data)
    .filter((k) => !KNOWN_FIELDS.includes(k))
    .map((k) => ({
      field: k,
      code: 'unknown_field',
      message: `"${k}" is not a draft field and was ignored. Known fields: ${KNOWN_FIELDS.join(', ')}.`,
    }));

  const result = schemaFor(site).safeParse(data);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(toProblem(issue, data));
  }

  const body = parseBody(bodyText);
  const images: { src: string; key: string }[] = [];
  for (const src of body.imageSrcs) {
    const resolved = resolveImageKey(key, src);
    if (typeof resolved === 'string') images.push({ src, key: resolved });
    else problems.push(resolved);
  }
  if (bodyText.trim() === '') {
    problems.push({
      field: 'body',
      code: 'empty_body',
      message: 'The article has no text. Write the body below the closing "---" of the front matter.',
    });
  }

  if (!result.success || problems.length > 0) return { ok: false, problems };
  const f = result.data;
  const slug = f.slug ?? slugify(f.title);
  if (slug === '') {
    return rejected({
      field: 'title',
      code: 'empty_slug',
      message: 'No URL can be made from this title (it has no letters or digits). Add a "slug:" field.',
    });
  }
  const author = f.author.role ? { name: f.author.name, role: f.author.role } : { name: f.author.name };
  const draft: Draft = {
    key,
    id: f.id ?? defaultIdForKey(key),
    title: f.title,
    section: f.section,
    slug,
    slugSet: f.slug !== undefined,
    lead: f.lead,
    author,
    ...(f.publishedAt ? { publishedAt: f.publishedAt } : {}),
    tags: f.tags,
    status: f.status ?? 'published',
    body,
    images,
    contentHash: createHash('sha256')
      .update(JSON.stringify([f, bodyText]))
      .digest('hex'),
  };
  return { ok: true, draft, warnings };
}

/** Where an image the draft names lives in the drafts bucket; it must sit in the draft's own folder. */
export function resolveImageKey(draftKey: string, src: string): string | Problem {
  const outside: Problem = {
    field: 'body',
    code: 'image_outside_folder',
    message: `The image "${src}" must be a file uploaded beside the draft, written as a relative path such as images/photo.jpg.`,
  };
  if (/^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith('/') || src.includes('\\')) return outside;
  let path: string;
  try {
    path = decodeURIComponent(src);
  } catch {
    return outside;
  }
  const folder = posix.dirname(draftKey);
  const joined = posix.normalize(posix.join(folder === '.' ? '' : folder, path));
  const inside =
    folder === '.' ? !joined.startsWith('../') && joined !== '..' : joined.startsWith(`${folder}/`);
  if (!inside || joined.startsWith('/')) return outside;
  if (!/\.(jpe?g|png|webp|gif|avif)$/i.test(joined)) {
    return {
      field: 'body',
      code: 'unsupported_image_type',
      message: `The image "${src}" is not a JPEG, PNG, WebP, GIF or AVIF file. Convert it to JPEG and upload it again.`,
    };
  }
  return joined;
}

type ZodIssue = z.core.$ZodIssue;

function toProblem(issue: ZodIssue, data: Record<string, unknown>): Problem {
  const field = issue.path.map(String).join('.') || 'front matter';
  const input = issue.path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    data,
  );
  const hint = FIELD_HINTS[field] ? ` For example:\n${FIELD_HINTS[field]}` : '';
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) {
        return {
          field,
          code: 'required',
          message: `"${field}" is missing. Add it to the front matter.${hint}`,
        };
      }
      return {
        field,
        code: 'wrong_type',
        message: `"${field}" must be ${describe(issue.expected)}, not ${describeValue(input)}.${hint}`,
      };
    case 'too_small':
      return { field, code: 'empty', message: `"${field}" is empty. Write it in the front matter.${hint}` };
    case 'too_big':
      return {
        field,
        code: 'too_long',
        message:
          issue.origin === 'array'
            ? `"${field}" has too many entries: at most ${issue.maximum}.`
            : `"${field}" is ${charLength(String(input))} characters long: at most ${issue.maximum} are allowed. Shorten it.`,
      };
    case 'invalid_value':
      return {
        field,
        code: 'invalid_value',
        message: `"${field}" must be one of: ${issue.values.map(String).join(', ')}.`,
      };
    case 'invalid_format':
      return {
        field,
        code: 'invalid_format',
        message: `"${field}" may only contain letters, digits, ".", "_", "-" and "/".`,
      };
    case 'custom': {
      const code = (issue.params as { code?: string } | undefined)?.code ?? 'invalid';
      return { field, code, message: issue.message };
    }
    default:
      return { field, code: 'invalid', message: `"${field}": ${issue.message}.` };
  }
}

function describe(expected: string): string {
  return expected === 'object'
    ? 'a group of fields (indented lines below it)'
    : expected === 'array'
      ? 'a list'
      : expected === 'string'
        ? 'text'
        : expected;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'empty';
  if (typeof value === 'object') return 'a group of fields';
  if (typeof value === 'string') return 'text';
  return `a ${typeof value} (${String(value)})`;
}

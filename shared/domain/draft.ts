import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import * as z from 'zod/mini';
import { ID_PATTERN, tagSlug } from './article.ts';
import { type ParsedBody, parseBody } from './body.ts';
import { parseIsoWithOffset } from './dates.ts';
import { decodeDraft, encodeUtf8 } from './encoding.ts';
import { excerpt } from './excerpt.ts';
import type { ProblemCode } from './messages.ts';
import { type Problem, problem } from './problems.ts';
import { findSection, type SiteConfig } from './site.ts';
import { isValidSlug, MAX_SLUG_LENGTH, slugify } from './slug.ts';
import {
  charLength,
  hasInvisible,
  INVISIBLE_MARK,
  markInvisible,
  normalizeLine,
  normalizeText,
  removeInvisible,
} from './text.ts';

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
  /** The lead as teasers show it (see `excerpt.ts`), worked out with the rest of the draft. */
  readonly excerpt: string;
  readonly author: { readonly name: string; readonly role?: string };
  readonly publishedAt?: Date;
  readonly tags: readonly string[];
  readonly status: DraftStatus;
  /** A correction note the article shows ("Đính chính"), when the editor gives one. */
  readonly correction?: string;
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
  correction: 500,
  title: 250,
  lead: 1500,
  authorName: 120,
  authorRole: 250,
  tag: 60,
  tags: 20,
  id: 200,
} as const;

const KNOWN_FIELDS = [
  'title',
  'section',
  'lead',
  'author',
  'publishedAt',
  'tags',
  'slug',
  'id',
  'status',
  'correction',
];

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
  const decoded = decodeDraft(bytes);
  if ('problem' in decoded) return rejected(decoded.problem);
  const raw = decoded.text.includes('\r') ? decoded.text.replace(/\r\n?/g, '\n') : decoded.text;
  // As `normalizeText` does, in two steps: whether anything was removed tells which fields to warn about.
  const clean = removeInvisible(raw);
  const text = clean.normalize('NFC');

  const split = splitFrontMatter(text);
  if ('problem' in split) return rejected(split.problem);

  let data: unknown;
  try {
    // The core schema: strings, numbers, booleans, null, lists and groups; no tags that build objects or run
    // code, and a repeated key is an error.
    data = load(split.frontMatter, { schema: CORE_SCHEMA });
  } catch (err) {
    const detail = (err as Error).message.split('\n')[0] ?? '';
    return rejected(problem('invalid_yaml', { field: 'front matter', detail }));
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return rejected(problem('not_a_mapping', { field: 'front matter' }));
  // An alias (`*name`) of a list or group shares it: a few lines can then stand for millions of values (a
  // "billion laughs" document) to whatever walks them. Front matter never needs one.
  if (repeatsCollection(data)) {
    return rejected(
      problem('invalid_yaml', {
        field: 'front matter',
        detail: 'a list or group is repeated with an alias (*name); write it out instead',
      }),
    );
  }
  const fields = data as Record<string, unknown>;
  const cleaned = clean.length === raw.length ? invisibleFields(fields) : whereRemoved(raw, split, fields);
  return validate(key, fields, split.body, site, cleaned);
}

/**
 * Where the text rules removed characters from a draft that had some typed in (see `text.ts`): the fields
 * (`title`, `author.name`, `tags[2]`) and `body`, as the editor wrote them. Found by reading the draft again
 * with a mark in place of each such character (a rare path: most drafts have none). A mark where the front
 * matter's structure was (on a `---` line, after a quoted value) changes how it reads: then the
 * front matter as a whole is named, with the fields the draft as read shows (YAML escapes such as
 * `"\u200B"` make those).
 */
function whereRemoved(
  raw: string,
  split: { frontMatter: string; body: string },
  data: Record<string, unknown>,
): string[] {
  const marked = splitFrontMatter(markInvisible(raw).normalize('NFC'));
  if ('problem' in marked || normalizeText(marked.frontMatter) !== split.frontMatter) {
    return ['front matter', ...invisibleFields(data)];
  }
  const inBody = marked.body.includes(INVISIBLE_MARK) ? ['body'] : [];
  if (!marked.frontMatter.includes(INVISIBLE_MARK)) return [...invisibleFields(data), ...inBody];
  let markedData: unknown;
  try {
    markedData = load(marked.frontMatter, { schema: CORE_SCHEMA });
  } catch {
    markedData = undefined;
  }
  if (markedData === null || typeof markedData !== 'object' || Array.isArray(markedData)) {
    return ['front matter', ...invisibleFields(data), ...inBody];
  }
  return [...invisibleFields(markedData as Record<string, unknown>), ...inBody];
}

/** The draft fields (dotted paths, list entries by index) whose text holds characters the rules remove. */
function invisibleFields(data: Record<string, unknown>): string[] {
  const found: string[] = [];
  const visit = (value: unknown, path: string) => {
    if (typeof value === 'string') {
      if (hasInvisible(value)) found.push(path);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => {
        visit(v, `${path}[${i}]`);
      });
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) visitEntry(k, v, `${path}.`);
    }
  };
  const visitEntry = (key: string, value: unknown, prefix: string) => {
    const name = removeInvisible(key);
    const path = `${prefix}${name}`.slice(0, 60);
    if (name !== key) found.push(path);
    visit(value, path);
  };
  for (const [k, v] of Object.entries(data)) {
    if (KNOWN_FIELDS.includes(removeInvisible(k))) visitEntry(k, v, '');
  }
  return [...new Set(found)];
}

/** Whether a loaded YAML value holds the same list or group twice (only an alias makes that happen). */
function repeatsCollection(root: object): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (seen.has(value)) return true;
    seen.add(value);
    stack.push(...Object.values(value));
  }
  return false;
}

function rejected(p: Problem): ParseResult {
  return { ok: false, problems: [p] };
}

/**
 * A draft's front matter as plain data and its body, for a form to fill in (the desk); nothing is checked:
 * parseDraft decides what the pipeline takes.
 */
export function draftFields(text: string): { fields: Record<string, unknown>; body: string } {
  const split = splitFrontMatter(text);
  if ('problem' in split) return { fields: {}, body: text };
  try {
    const data = load(split.frontMatter, { schema: CORE_SCHEMA });
    return {
      fields: data && typeof data === 'object' ? (data as Record<string, unknown>) : {},
      body: split.body,
    };
  } catch {
    return { fields: {}, body: split.body };
  }
}

function splitFrontMatter(text: string): { frontMatter: string; body: string } | { problem: Problem } {
  const firstEnd = text.indexOf('\n');
  const first = (firstEnd < 0 ? text : text.slice(0, firstEnd)).trimEnd();
  if (first !== '---') {
    return first.startsWith('---')
      ? { problem: problem('unsupported_front_matter', { field: 'front matter', found: first.slice(0, 20) }) }
      : { problem: problem('missing_front_matter', { field: 'front matter' }) };
  }
  // The first line after the opening one that is `---` or `...` (trailing spaces allowed) closes it.
  let start = firstEnd + 1;
  while (firstEnd >= 0 && start <= text.length) {
    const end = text.indexOf('\n', start);
    const lineEnd = end < 0 ? text.length : end;
    const candidate = text.slice(start, lineEnd).trimEnd();
    if (candidate === '---' || candidate === '...') {
      return { frontMatter: text.slice(firstEnd + 1, start - 1), body: text.slice(lineEnd + 1) };
    }
    if (end < 0) break;
    start = end + 1;
  }
  return { problem: problem('unterminated_front_matter', { field: 'front matter' }) };
}

/** Text on one line: normalised first, then checked (empty after normalising counts as empty). */
const line = (max: number) =>
  z.pipe(z.pipe(z.string(), z.transform(normalizeLine)), z.string().check(z.minLength(1), z.maxLength(max)));

/** Slugs the site uses itself at the second level of an address (`/<section>/page/2`). */
export const RESERVED_SLUGS = new Set(['page', 'index', 'feed', 'rss']);

/** A custom check's issue, carrying what the message catalogue needs. */
function issue(
  ctx: z.core.$RefinementCtx<unknown>,
  code: ProblemCode,
  params: Record<string, string | number>,
) {
  ctx.addIssue({ code: 'custom', params: { code, ...params }, message: code });
}

// Building a schema costs far more than using it: one per site's settings.
const schemas = new WeakMap<SiteConfig, ReturnType<typeof buildSchema>>();
function schemaFor(site: SiteConfig) {
  let schema = schemas.get(site);
  if (!schema) {
    schema = buildSchema(site);
    schemas.set(site, schema);
  }
  return schema;
}

function buildSchema(site: SiteConfig) {
  const sectionList = site.sections.map((s) => s.slug).join(', ');
  const normalized = () => z.pipe(z.string(), z.transform(normalizeLine));
  return z.object({
    title: line(LIMITS.title),
    section: normalized().check(
      z.superRefine((slug, ctx) => {
        if (!findSection(site, slug)) issue(ctx, 'unknown_section', { value: slug, allowed: sectionList });
      }),
    ),
    lead: line(LIMITS.lead),
    author: z.object({
      name: line(LIMITS.authorName),
      role: z.optional(line(LIMITS.authorRole)),
    }),
    // Checked here, turned into a Date once the whole draft is valid.
    publishedAt: z.optional(
      z.string().check(
        z.superRefine((value, ctx) => {
          if (!parseIsoWithOffset(value)) issue(ctx, 'invalid_date', { value: value.slice(0, 60) });
        }),
      ),
    ),
    tags: z.optional(z.array(line(LIMITS.tag)).check(z.maxLength(LIMITS.tags))),
    slug: z.optional(
      normalized().check(
        z.superRefine((slug, ctx) => {
          const suggestion = slugify(slug) || 'ten-bai-viet';
          if (!isValidSlug(slug)) {
            issue(ctx, 'invalid_slug', { value: slug.slice(0, 120), max: MAX_SLUG_LENGTH, suggestion });
          } else if (RESERVED_SLUGS.has(slug)) {
            issue(ctx, 'reserved_slug', { value: slug, suggestion: `${slug}-bai-viet` });
          }
        }),
      ),
    ),
    id: z.optional(
      z.pipe(normalized(), z.string().check(z.minLength(1), z.maxLength(LIMITS.id), z.regex(ID_PATTERN))),
    ),
    status: z.optional(z.enum(['published', 'withdrawn'])),
    correction: z.optional(line(LIMITS.correction)),
  });
}

export const BODY_LIMITS = { characters: 200_000, images: 30 } as const;

/** Distinct tags that name a tag page (a tag with no letter or digit has no address and is left out). */
function usableTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].filter((t) => tagSlug(t) !== '');
}

function validate(
  key: string,
  data: Record<string, unknown>,
  bodyText: string,
  site: SiteConfig,
  cleaned: readonly string[],
): ParseResult {
  const problems: Problem[] = [];
  const known = KNOWN_FIELDS.join(', ');
  const warnings = Object.keys(data)
    .filter((k) => !KNOWN_FIELDS.includes(k))
    .map((k) => problem('unknown_field', { field: k.slice(0, 60), known }));
  for (const field of cleaned) warnings.push(problem('invisible_characters_removed', { field }));
  if (Array.isArray(data.tags)) {
    for (const tag of data.tags) {
      if (typeof tag === 'string' && tag.trim() !== '' && tagSlug(tag) === '') {
        warnings.push(problem('tag_without_letters', { field: 'tags', tag: tag.slice(0, 60) }));
      }
    }
  }

  const result = schemaFor(site).safeParse(data);
  if (!result.success) {
    for (const zodIssue of result.error.issues) problems.push(toProblem(zodIssue, data));
  }

  if (bodyText.trim() === '') problems.push(problem('empty_body', { field: 'body' }));
  // A string never has more characters than UTF-16 units: only a long one needs counting.
  const length = bodyText.length > BODY_LIMITS.characters ? charLength(bodyText) : bodyText.length;
  if (length > BODY_LIMITS.characters) {
    problems.push(problem('body_too_long', { field: 'body', length, max: BODY_LIMITS.characters }));
    return { ok: false, problems };
  }
  const body = parseBody(bodyText);
  if (body.imageSrcs.length > BODY_LIMITS.images) {
    problems.push(
      problem('too_many_images', { field: 'body', count: body.imageSrcs.length, max: BODY_LIMITS.images }),
    );
  }
  const images: { src: string; key: string }[] = [];
  for (const src of body.imageSrcs) {
    const resolved = resolveImageKey(key, src);
    if (typeof resolved === 'string') images.push({ src, key: resolved });
    else problems.push(resolved);
  }

  if (!result.success || problems.length > 0) return { ok: false, problems };
  const f = result.data;
  const id = f.id ?? defaultIdForKey(key);
  // A file name may have spaces and punctuation; as an id it only has to be short and printable.
  if (f.id === undefined && (charLength(id) > LIMITS.id || /[\p{Cc}\p{Cf}]/u.test(id) || id.trim() === '')) {
    return rejected(problem('bad_key', { field: 'id', key: key.slice(0, 120) }));
  }
  const slug = f.slug ?? slugify(f.title);
  if (slug === '') return rejected(problem('empty_slug', { field: 'title' }));
  if (RESERVED_SLUGS.has(slug)) {
    return rejected(problem('reserved_slug', { field: 'slug', value: slug, suggestion: `${slug}-bai-viet` }));
  }
  const author = f.author.role ? { name: f.author.name, role: f.author.role } : { name: f.author.name };
  const publishedAt = f.publishedAt === undefined ? undefined : parseIsoWithOffset(f.publishedAt);
  const draft: Draft = {
    key,
    id,
    title: f.title,
    section: f.section,
    slug,
    slugSet: f.slug !== undefined,
    lead: f.lead,
    excerpt: excerpt(f.lead),
    author,
    ...(publishedAt ? { publishedAt } : {}),
    tags: usableTags(f.tags ?? []),
    ...(f.correction ? { correction: f.correction } : {}),
    status: f.status ?? 'published',
    body,
    images,
    // Hashed as UTF-8 bytes (the same bytes `update` would make of the string, made faster).
    contentHash: createHash('sha256')
      .update(
        encodeUtf8(
          JSON.stringify([
            { ...f, publishedAt: publishedAt?.toISOString(), tags: [...new Set(f.tags ?? [])] },
            bodyText,
          ]),
        ),
      )
      .digest('hex'),
  };
  return { ok: true, draft, warnings };
}

/** Where an image the draft names lives in the drafts bucket; it must sit in the draft's own folder. */
export function resolveImageKey(draftKey: string, src: string): string | Problem {
  const shown = src.slice(0, 120);
  const outside = problem('image_outside_folder', { field: 'body', src: shown });
  if (/^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith('/') || src.includes('\\')) return outside;
  let path: string;
  try {
    path = decodeURIComponent(src);
  } catch {
    return outside;
  }
  const folder = posix.dirname(posix.normalize(draftKey));
  const base = folder === '.' || folder === '/' ? '' : folder;
  const joined = posix.normalize(posix.join(base, path));
  const inside = base === '' ? !joined.startsWith('../') && joined !== '..' : joined.startsWith(`${base}/`);
  if (!inside || joined.startsWith('/') || joined.split('/').includes('..')) return outside;
  if (!/\.(jpe?g|png|webp|gif|avif)$/i.test(joined))
    return problem('unsupported_image_type', { field: 'body', src: shown });
  return joined;
}

type ZodIssue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, { vi: string; en: string }> = {
  object: {
    vi: 'một nhóm trường (các dòng thụt vào bên dưới)',
    en: 'a group of fields (indented lines below it)',
  },
  array: { vi: 'một danh sách', en: 'a list' },
  string: { vi: 'văn bản', en: 'text' },
  number: { vi: 'một số', en: 'a number' },
  boolean: { vi: 'đúng/sai', en: 'true/false' },
  null: { vi: 'để trống', en: 'empty' },
};

function typeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

function toProblem(zodIssue: ZodIssue, data: Record<string, unknown>): Problem {
  const field = zodIssue.path.map(String).join('.') || 'front matter';
  const input = zodIssue.path.reduce<unknown>(
    (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined),
    data,
  );
  const example = FIELD_HINTS[field];
  const withExample = example ? { example } : {};
  switch (zodIssue.code) {
    case 'invalid_type': {
      if (input === undefined) return problem('required', { field, ...withExample });
      const expected = TYPE_NAMES[zodIssue.expected] ?? { vi: zodIssue.expected, en: zodIssue.expected };
      const got = TYPE_NAMES[typeOf(input)] ?? { vi: typeOf(input), en: typeOf(input) };
      return problem('wrong_type', {
        field,
        expected: expected.en,
        expectedVi: expected.vi,
        got: got.en,
        gotVi: got.vi,
        ...withExample,
      });
    }
    case 'too_small':
      return problem('empty', { field, ...withExample });
    case 'too_big':
      return zodIssue.origin === 'array'
        ? problem('too_many', { field, max: Number(zodIssue.maximum) })
        : problem('too_long', { field, length: charLength(String(input)), max: Number(zodIssue.maximum) });
    case 'invalid_value':
      return problem('invalid_value', { field, allowed: zodIssue.values.map(String).join(', ') });
    case 'custom': {
      const { code, ...params } = (zodIssue.params ?? {}) as { code: ProblemCode } & Record<
        string,
        string | number
      >;
      return problem(code, { field, ...params });
    }
    default:
      return problem('invalid_format', { field, max: LIMITS.id });
  }
}

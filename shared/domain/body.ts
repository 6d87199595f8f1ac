import type { MarkdownIt as MarkdownParser, Token } from 'markdown-it';
import MarkdownIt from 'markdown-it';
import { removeInvisible } from './text.ts';

/**
 * The article body: CommonMark with raw HTML switched off (it reaches readers as text), links limited to
 * http(s), mailto and relative URLs, headings shifted one level down (the headline is the page's only h1),
 * and a paragraph holding nothing but an image rendered as a photo: `<figure>` with caption and credit.
 */

/** A published image as the page refers to it. */
export interface PublishedImage {
  readonly url: string;
  readonly width?: number;
  readonly height?: number;
  /** Renditions for readers' screens, as `srcset` values: WebP, and the original's format. */
  readonly sources?: { readonly webp: string; readonly original: string };
}

/** The width a photo takes on the page: the article column on wide screens, the screen on phones. */
export const PHOTO_SIZES = '(min-width: 48rem) 46rem, calc(100vw - 2rem)';

/** Looks up where an image the draft refers to (by its `src` as written) was published. */
export type ImageResolver = (src: string) => PublishedImage | undefined;

export interface ParsedBody {
  /** The rendered body in pieces, an image between each two: one more piece than images. */
  readonly html: readonly string[];
  readonly images: readonly ImageSlot[];
  /** Every image `src` as written in the body, in order of appearance, without repeats. */
  readonly imageSrcs: readonly string[];
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const ALLOWED_LINK_SCHEMES = new Set(['http', 'https', 'mailto']);

export function isAllowedLink(url: string): boolean {
  const scheme = SCHEME.exec(url.trim())?.[1]?.toLowerCase();
  return scheme === undefined || ALLOWED_LINK_SCHEMES.has(scheme);
}

const md = new MarkdownIt('commonmark', { html: false, linkify: false, typographer: false });
md.validateLink = isAllowedLink;

// Character references are decoded after the draft's text rules ran: `&#x202E;` or `&shy;` would bring back a
// character those rules remove. Text, code and image titles lose them again here.
const INVISIBLE_CARRIERS = new Set(['text', 'code_inline', 'fence', 'code_block']);
function dropInvisible(tokens: readonly Token[]): void {
  for (const token of tokens) {
    if (INVISIBLE_CARRIERS.has(token.type)) token.content = removeInvisible(token.content);
    const title = token.attrGet('title');
    if (typeof title === 'string') token.attrSet('title', removeInvisible(title));
    // An image's caption is its children's text.
    if (token.children) dropInvisible(token.children);
  }
}
md.core.ruler.push('invisible', (state) => dropInvisible(state.tokens));

// Mark paragraphs that consist of one image: they become figures.
md.core.ruler.push('figures', (state) => {
  const tokens = state.tokens;
  for (let i = 0; i + 2 < tokens.length; i++) {
    const open = tokens[i];
    const inline = tokens[i + 1];
    const close = tokens[i + 2];
    if (open?.type !== 'paragraph_open' || inline?.type !== 'inline' || close?.type !== 'paragraph_close')
      continue;
    const children = (inline.children ?? []).filter((c) => !(c.type === 'text' && c.content.trim() === ''));
    const only = children[0];
    if (children.length === 1 && only?.type === 'image') {
      open.meta = { figure: true };
      close.meta = { figure: true };
      only.meta = { figure: true };
    }
  }
});

/**
 * Plain text up to the next character some inline rule may start at: markdown-it's own `text` rule, with
 * the same characters, as one native scan. Its character-by-character loop costs each letter outside ASCII
 * a function call, and a Vietnamese paragraph is mostly such letters (the scan makes a body ~6% faster to
 * parse). Same tokens as the stock rule, for any input (a property test checks).
 */
export function nativeTextScan(parser: MarkdownParser): void {
  const run = /[^\n!#$%&*+\-:<=>@[\\\]^_`{}~]+/y;
  parser.inline.ruler.at('text', (state, silent) => {
    run.lastIndex = state.pos;
    if (!run.test(state.src)) return false;
    const end = Math.min(run.lastIndex, state.posMax);
    if (end <= state.pos) return false;
    if (!silent) state.pending += state.src.slice(state.pos, end);
    state.pos = end;
    return true;
  });
}
nativeTextScan(md);

const rules = md.renderer.rules;
rules.paragraph_open = (tokens, idx, options, _env, self) =>
  tokens[idx]?.meta?.figure ? '' : self.renderToken(tokens, idx, options);
rules.paragraph_close = (tokens, idx, options, _env, self) =>
  tokens[idx]?.meta?.figure ? '' : self.renderToken(tokens, idx, options);
rules.heading_open = (tokens, idx) => `<h${headingLevel(tokens[idx])}>`;
rules.heading_close = (tokens, idx) => `</h${headingLevel(tokens[idx])}>\n`;
rules.image = (tokens, idx, options, env) => {
  const token = tokens[idx];
  if (!token) return '';
  // Where an image goes is only known once it is published: the body keeps a slot for it.
  (env as unknown as ParseEnv).slots.push({
    src: String(token.attrGet('src') ?? ''),
    caption: md.renderer.renderInlineAsText(token.children ?? [], options, env).trim(),
    credit: String(token.attrGet('title') ?? '').trim(),
    figure: token.meta?.figure === true,
  });
  return SLOT;
};

/**
 * Marks an image's place in the rendered body. Markdown-it turns any U+0000 in its input into U+FFFD, so the
 * character appears in its output only where an image rule put it.
 */
const SLOT = '\u0000';

interface ParseEnv {
  slots: ImageSlot[];
}

/** An image of the body, as written: rendered once its published address is known. */
export interface ImageSlot {
  readonly src: string;
  readonly caption: string;
  readonly credit: string;
  /** Alone in its paragraph: shown as a photo with its caption and credit. */
  readonly figure: boolean;
}

function renderImage(slot: ImageSlot, image: PublishedImage | undefined, photos: Photo[]): string {
  const esc = md.utils.escapeHtml;
  const { caption, credit } = slot;
  if (!image) return esc(caption);
  const size = image.width && image.height ? ` width="${image.width}" height="${image.height}"` : '';
  // The first photo is usually in the first screen: it loads at once; the others when scrolled near.
  const loading = photos.length === 0 ? '' : ' loading="lazy"';
  photos.push({
    url: image.url,
    caption,
    credit: credit.replace(/^ảnh\s*:\s*/iu, ''),
    ...(image.width && image.height ? { width: image.width, height: image.height } : {}),
  });
  const sources = image.sources;
  const img = sources
    ? `<picture><source type="image/webp" srcset="${esc(sources.webp)}" sizes="${PHOTO_SIZES}"><img src="${esc(image.url)}" srcset="${esc(sources.original)}" sizes="${PHOTO_SIZES}" alt="${esc(caption)}"${size}${loading} decoding="async"></picture>`
    : `<img src="${esc(image.url)}" alt="${esc(caption)}"${size}${loading} decoding="async">`;
  if (!slot.figure) return img;
  const parts = [
    caption ? `<span class="caption">${esc(caption)}</span>` : '',
    credit ? `<span class="credit">${esc(credit)}</span>` : '',
  ].filter((p) => p !== '');
  const figcaption = parts.length > 0 ? `<figcaption>${parts.join(' ')}</figcaption>` : '';
  return `<figure class="photo">${img}${figcaption}</figure>\n`;
}

/** A published photo of the body, as structured data describes it. */
export interface Photo {
  readonly url: string;
  readonly caption: string;
  /** Who took it: the credit line without its `Ảnh:` prefix. */
  readonly credit: string;
  readonly width?: number;
  readonly height?: number;
}

function headingLevel(token: Token | undefined): number {
  const level = Number(token?.tag.slice(1) ?? 2);
  return Math.min(level + 1, 6);
}

/**
 * Parses and renders a Markdown body once, when the draft is read; its images are filled in later, when
 * they have addresses. The result is plain data: it can be stored, or passed between threads.
 */
export function parseBody(markdown: string): ParsedBody {
  const tokens = md.parse(markdown, {});
  const imageSrcs: string[] = [];
  for (const token of tokens) {
    for (const child of token.children ?? []) {
      const src = child.type === 'image' ? child.attrGet('src') : null;
      if (src !== null && !imageSrcs.includes(String(src))) imageSrcs.push(String(src));
    }
  }
  const env: ParseEnv = { slots: [] };
  const html = md.renderer.render(tokens, md.options, env as unknown as Record<string, unknown>);
  return { html: env.slots.length === 0 ? [html] : html.split(SLOT), images: env.slots, imageSrcs };
}

/** Renders a parsed body to HTML; the output contains no markup from the draft itself. */
export function renderBody(body: ParsedBody, resolveImage: ImageResolver): string {
  return renderBodyWithPhotos(body, resolveImage).html;
}

/** The body's HTML, and its photos in order, for the page's structured data and link previews. */
export function renderBodyWithPhotos(
  body: ParsedBody,
  resolveImage: ImageResolver,
): { html: string; photos: Photo[] } {
  const photos: Photo[] = [];
  let html = body.html[0] ?? '';
  body.images.forEach((slot, i) => {
    html += renderImage(slot, resolveImage(slot.src), photos) + (body.html[i + 1] ?? '');
  });
  return { html, photos };
}

import mammoth from 'mammoth';
import { type DefaultTreeAdapterMap, parseFragment } from 'parse5';
import { slugify } from '../domain/slug.ts';
import { normalizeLine } from '../domain/text.ts';

type Node = DefaultTreeAdapterMap['childNode'];
type Element = DefaultTreeAdapterMap['element'];

/** What a Word document becomes: the draft's title and body (Markdown), and the images it carries. */
export interface ConvertedDocument {
  /** The first heading, or the first paragraph in the Title style; none when the document has neither. */
  readonly title?: string;
  readonly body: string;
  readonly images: readonly {
    readonly name: string;
    readonly contentType: string;
    readonly bytes: Uint8Array;
  }[];
  /** What mammoth could not carry over (an unknown style, an embedded object), for the editor to check. */
  readonly notes: readonly string[];
}

/** The largest .docx the desk converts. */
export const MAX_DOCX_BYTES = 20 * 1024 * 1024;

const IMAGE_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
};

/**
 * Converts a .docx with mammoth: headings, paragraphs, bold and italic, lists, links, and images with their
 * captions (a paragraph in Word's Caption style right after an image). Anything else comes over as text.
 */
export async function convertDocx(bytes: Uint8Array, imageFolder = 'images'): Promise<ConvertedDocument> {
  const images: { name: string; contentType: string; bytes: Uint8Array }[] = [];
  const result = await mammoth.convertToHtml(
    { buffer: Buffer.from(bytes) },
    {
      styleMap: ["p[style-name='Caption'] => p.caption:fresh", "p[style-name='Title'] => h1:fresh"],
      convertImage: mammoth.images.imgElement(async (image) => {
        const ext = IMAGE_TYPES[image.contentType];
        if (!ext) return { src: '' };
        const name = `anh-${images.length + 1}.${ext}`;
        images.push({ name, contentType: image.contentType, bytes: new Uint8Array(await image.read()) });
        return { src: `${imageFolder}/${name}` };
      }),
    },
  );
  const nodes = parseFragment(result.value).childNodes;
  let title: string | undefined;
  const blocks: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i];
    if (!node || !isElement(node)) continue;
    const tag = node.tagName;
    if (/^h[1-6]$/.test(tag)) {
      const text = normalizeLine(plain(node));
      if (text === '') continue;
      if (title === undefined) title = text;
      else blocks.push(`${tag === 'h1' || tag === 'h2' ? '##' : '###'} ${escapeInline(text)}`);
      continue;
    }
    if (tag === 'ul' || tag === 'ol') {
      blocks.push(listItems(node, tag === 'ol'));
      continue;
    }
    if (tag === 'p') {
      const img = node.childNodes.find((c): c is Element => isElement(c) && c.tagName === 'img');
      if (img) {
        const src = attr(img, 'src');
        if (!src) continue;
        const next = nodes[i + 1];
        const caption =
          next && isElement(next) && attr(next, 'class') === 'caption' ? normalizeLine(plain(next)) : '';
        if (caption) i++;
        const alt = caption || normalizeLine(attr(img, 'alt') ?? '');
        blocks.push(`![${escapeInline(alt)}](${src})`);
        continue;
      }
      const text = inline(node).trim();
      if (text !== '') blocks.push(text);
    }
  }
  return {
    ...(title ? { title } : {}),
    body: `${blocks.join('\n\n')}\n`,
    images,
    notes: result.messages.map((m) => m.message),
  };
}

/** The draft key a converted document goes to, in its section's folder: its title's slug. */
export function draftKeyFor(section: string, title: string): string {
  let name = '';
  for (const word of slugify(title).split('-')) {
    if (name !== '' && name.length + 1 + word.length > 80) break;
    name = name === '' ? word.slice(0, 80) : `${name}-${word}`;
  }
  return `${section}/${name || 'bai-viet'}.md`;
}

function isElement(node: Node): node is Element {
  return 'tagName' in node;
}

function attr(el: Element, name: string): string | undefined {
  return el.attrs.find((a) => a.name === name)?.value;
}

function plain(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  return 'childNodes' in node ? node.childNodes.map(plain).join('') : '';
}

/** Markdown's own characters in text, escaped: the words say what they say and nothing more. */
function escapeInline(text: string): string {
  return text.replace(/([\\`*_[\]<>#|])/g, '\\$1');
}

function inline(node: Node): string {
  if (node.nodeName === '#text') return escapeInline((node as DefaultTreeAdapterMap['textNode']).value);
  if (!isElement(node)) return '';
  const inner = node.childNodes.map(inline).join('');
  switch (node.tagName) {
    case 'strong':
    case 'b':
      return inner.trim() ? `**${inner}**` : inner;
    case 'em':
    case 'i':
      return inner.trim() ? `*${inner}*` : inner;
    case 'a': {
      const href = attr(node, 'href') ?? '';
      return /^(https?:|mailto:)/i.test(href) ? `[${inner}](${href.replace(/\)/g, '%29')})` : inner;
    }
    case 'br':
      return '\n';
    default:
      return inner;
  }
}

function listItems(list: Element, ordered: boolean): string {
  const items = list.childNodes.filter((c): c is Element => isElement(c) && c.tagName === 'li');
  return items.map((li, n) => `${ordered ? `${n + 1}.` : '-'} ${inline(li).trim()}`).join('\n');
}

import { normalizeLine } from './text.ts';

export const MAX_EXCERPT_LENGTH = 200;
const ELLIPSIS = '...';

/**
 * The teaser excerpt of a lead: the whole lead when it fits in {@link MAX_EXCERPT_LENGTH} characters,
 * otherwise the longest run of whole words that fits with a trailing `...`, the `...` included in the count.
 */
export function excerpt(lead: string, max = MAX_EXCERPT_LENGTH): string {
  const text = normalizeLine(lead);
  if (text.length <= max) return text;
  // Characters as readers count them (code points), only as far as the cut needs.
  if (offsetOfCodePoint(text, max) >= text.length) return text;
  const room = max - ELLIPSIS.length;
  const roomEnd = offsetOfCodePoint(text, room);
  // Cut at the last space that leaves room for the ellipsis; a space right after the cut is a boundary too.
  const space = text.lastIndexOf(' ', roomEnd);
  const kept = text.slice(0, space > 0 ? space : roomEnd);
  // Punctuation hanging at the cut reads badly before an ellipsis ("dân,..."): drop it.
  return `${kept.replace(/[\s,;:.\-–—]+$/u, '')}${ELLIPSIS}`;
}

/** Where the code point numbered `n` (from 0) starts in `text`; the text's length when it has no more. */
function offsetOfCodePoint(text: string, n: number): number {
  let offset = 0;
  for (let i = 0; i < n && offset < text.length; i++) {
    const unit = text.charCodeAt(offset);
    const pair = unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(offset + 1) & 0xfc00) === 0xdc00;
    offset += pair ? 2 : 1;
  }
  return offset;
}

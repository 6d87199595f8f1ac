import { normalizeLine } from './text.ts';

export const MAX_EXCERPT_LENGTH = 200;
const ELLIPSIS = '...';

/**
 * The teaser excerpt of a lead: the whole lead when it fits in {@link MAX_EXCERPT_LENGTH} characters,
 * otherwise the longest run of whole words that fits with a trailing `...`, the `...` included in the count.
 */
export function excerpt(lead: string, max = MAX_EXCERPT_LENGTH): string {
  const text = normalizeLine(lead);
  // Characters as readers count them (code points), only as far as the cut needs.
  if (text.length <= max) return text;
  const chars: string[] = [];
  for (const char of text) if (chars.push(char) > max) break;
  if (chars.length <= max) return text;
  const room = max - ELLIPSIS.length;
  // Cut at the last space that leaves room for the ellipsis; a space right after the cut is a boundary too.
  let cut = -1;
  for (let i = room; i > 0; i--) {
    if (chars[i] === ' ') {
      cut = i;
      break;
    }
  }
  const kept = (cut > 0 ? chars.slice(0, cut) : chars.slice(0, room)).join('');
  // Punctuation hanging at the cut reads badly before an ellipsis ("dân,..."): drop it.
  return `${kept.replace(/[\s,;:.\-–—]+$/u, '')}${ELLIPSIS}`;
}

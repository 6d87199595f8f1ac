/**
 * Text rules applied to every piece of draft text before anything else looks at it.
 *
 * Vietnamese can be typed in composed (NFC) or decomposed (NFD) form, and Word pastes bring invisible
 * characters along. Normalising first means that slugs, comparisons, hashes and pages never depend on how
 * the editor's keyboard encoded a tone mark.
 */

/** Zero-width characters, bidi controls and the BOM: invisible, and a way to disguise text. */
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\u00AD]/gu;
/** C0 and C1 control characters except tab, line feed and carriage return. */
const CONTROL = /[^\P{Cc}\t\n\r]/gu;

/** NFC, with control characters removed: for any text (body, lead) where line breaks still matter. */
export function normalizeText(text: string): string {
  return text.normalize('NFC').replace(CONTROL, '').replace(INVISIBLE, '');
}

/** NFC, one line: invisible and control characters removed, whitespace runs folded to one space, trimmed. */
export function normalizeLine(text: string): string {
  return normalizeText(text).replace(/\s+/gu, ' ').trim();
}

/** The number of characters a reader sees (code points, after NFC), not UTF-16 units. */
export function charLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

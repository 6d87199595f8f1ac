import { Buffer } from 'node:buffer';

/**
 * Text rules applied to every piece of draft text before anything else looks at it.
 *
 * Vietnamese can be typed in composed (NFC) or decomposed (NFD) form, and Word pastes bring invisible
 * characters along. Normalising first means that slugs, comparisons, hashes and pages never depend on how
 * the editor's keyboard encoded a tone mark.
 */

/**
 * What the rules remove from draft text:
 * - every character XML 1.0 forbids, which would make the feeds and sitemaps unreadable: C0 controls but
 *   tab, line feed and carriage return, U+FFFE, U+FFFF, and a surrogate without its pair (a YAML escape
 *   such as `"\uD800"` makes one);
 * - the C1 controls (U+007F-U+009F) and the noncharacters (U+FDD0-U+FDEF, U+nFFFE and U+nFFFF of every
 *   plane): XML allows them but advises against them, and no text needs them;
 * - every format character (`\p{Cf}`): zero-width spaces and joiners, bidi controls, the BOM, the soft
 *   hyphen, the Arabic letter mark, tag characters. Invisible, and a way to disguise text: a bidi override
 *   shows a headline backwards, tag characters hide words from readers but not from machines. The
 *   zero-width joiner U+200D goes too, although emoji sequences use it (a family emoji then shows as the
 *   faces it is made of, a subdivision flag, made with tag characters, as a black flag): Vietnamese needs
 *   none of them, and one rule without exceptions is one that can be checked (a test compares the pattern
 *   with `\p{Cf}` for every code point).
 *
 * Written without the `u` flag, astral characters as their surrogate pairs. It only runs on text that
 * {@link MAYBE_STRIPPED} flagged.
 */
const STRIPPED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890\u0891\u08E2\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFDD0-\uFDEF\uFEFF\uFFF9-\uFFFB\uFFFE\uFFFF]|\uD804[\uDCBD\uDCCD]|\uD80D[\uDC30-\uDC3F]|\uD82F[\uDCA0-\uDCA3]|\uD834[\uDD73-\uDD7A]|\uDB40[\uDC01\uDC20-\uDC7F]|[\uD83F\uD87F\uD8BF\uD8FF\uD93F\uD97F\uD9BF\uD9FF\uDA3F\uDA7F\uDABF\uDAFF\uDB3F\uDB7F\uDBBF\uDBFF][\uDFFE\uDFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The fast path: whether text may hold anything {@link STRIPPED} removes, lone surrogates aside (those
 * `isWellFormed` finds). It flags more than that, whole blocks Vietnamese text does not use (Arabic and
 * Syriac, the high surrogates of astral planes other than the emoji's), so as to stay one character class
 * of 16 ranges: V8 scans such a class about as fast as the BMP-only class before it, and one of 17 ranges
 * or more, or an alternation, several times slower (27 µs against 95-280 µs on a 36 KB body).
 */
const MAYBE_STRIPPED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u0600-\u08FF\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\uD804-\uD834\uD83F\uD87F-\uDBFF\uFDD0-\uFDEF\uFEFF\uFFF9-\uFFFF]/;

/** Whether the text holds a character the rules remove (see {@link STRIPPED}). */
export function hasInvisible(text: string): boolean {
  if (!MAYBE_STRIPPED.test(text) && text.isWellFormed()) return false;
  STRIPPED.lastIndex = 0;
  return STRIPPED.test(text);
}

/** The text without the characters the rules remove: the same string when there is none. */
export function removeInvisible(text: string): string {
  return MAYBE_STRIPPED.test(text) || !text.isWellFormed() ? text.replace(STRIPPED, '') : text;
}

/**
 * Stands, in {@link markInvisible}'s output, for a character the rules remove. A noncharacter, so removed
 * itself; unlike most of what it stands for, YAML accepts it in any text.
 */
export const INVISIBLE_MARK = '\uFDD0';

/** The text with each character the rules remove replaced by {@link INVISIBLE_MARK}: to tell where they were. */
export function markInvisible(text: string): string {
  return MAYBE_STRIPPED.test(text) || !text.isWellFormed() ? text.replace(STRIPPED, INVISIBLE_MARK) : text;
}

/**
 * NFC, with invisible and control characters removed: for any text (body, lead) where line breaks still
 * matter. Removed first: NFC then composes a tone mark with the letter an invisible character kept it from.
 */
export function normalizeText(text: string): string {
  return removeInvisible(text).normalize('NFC');
}

/** Characters XML 1.0 allows nowhere in a document (see {@link xmlText}). */
const XML_FORBIDDEN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const MAYBE_XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * Text without the characters XML 1.0 forbids: what feeds and sitemaps print. Draft text never has one
 * (see {@link STRIPPED}); a record written before those rules may, and one would make the whole file
 * unreadable to every feed reader and crawler.
 */
export function xmlText(text: string): string {
  return MAYBE_XML_FORBIDDEN.test(text) || !text.isWellFormed() ? text.replace(XML_FORBIDDEN, '') : text;
}

/**
 * NFC, one line: invisible and control characters removed, whitespace runs folded to one space, trimmed.
 * The result is a string of its own, never a view of the text it was cut from (see {@link ownCopy}).
 */
export function normalizeLine(text: string): string {
  const nfc = normalizeText(text);
  // Most lines have nothing to fold: the test costs a fifth of the replace, and the copy less still.
  return FOLDABLE.test(nfc) ? nfc.replace(/\s+/gu, ' ').trim() : ownCopy(nfc.trim());
}

/**
 * A string that shares no memory with another. V8 keeps a substring of 13 characters or more as a view of
 * its whole source, and returns a string that needs no change (normalised, trimmed) as it is: a headline
 * read from a draft's front matter would keep the whole front matter alive for as long as a list holds the
 * headline (1.3 KB an article, 13 MB at 10,000).
 */
function ownCopy(text: string): string {
  return Buffer.from(text, 'utf16le').toString('utf16le');
}

/** Whitespace other than a space, or two spaces in a row: what folding would change. */
const FOLDABLE = /[^\S ]| {2}/u;

/** The number of characters a reader sees (code points, after NFC), not UTF-16 units. */
export function charLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

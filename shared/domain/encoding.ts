import { isUtf8, transcode } from 'node:buffer';
import { type Problem, problem } from './problems.ts';

/** How big a draft file may be. Pictures are separate files; 512 KB is a very long article. */
export const MAX_DRAFT_BYTES = 512 * 1024;

/**
 * Turns a draft file's bytes into text. UTF-8 (with or without BOM) and UTF-16 with a BOM are read; other
 * bytes are rejected, with a specific reason when they look like a legacy Vietnamese encoding.
 */
export function decodeDraft(bytes: Uint8Array): { text: string } | { problem: Problem } {
  if (bytes.byteLength > MAX_DRAFT_BYTES) {
    return {
      problem: problem('draft_too_large', { field: 'draft', size: bytes.byteLength, max: MAX_DRAFT_BYTES }),
    };
  }
  const utf16 =
    bytes[0] === 0xff && bytes[1] === 0xfe
      ? 'utf-16le'
      : bytes[0] === 0xfe && bytes[1] === 0xff
        ? 'utf-16be'
        : undefined;
  try {
    // Valid UTF-8, the usual case, is checked and decoded by Node's native fast paths.
    const text =
      utf16 === undefined && isUtf8(bytes)
        ? decodeValidUtf8(bytes).replace(/^\uFEFF/, '')
        : new TextDecoder(utf16 ?? 'utf-8', { fatal: true }).decode(bytes);
    const tcvn3 = tcvn3Sample(text);
    if (tcvn3)
      return {
        problem: problem('legacy_encoding', { field: 'draft', encoding: 'TCVN3 (ABC)', sample: tcvn3 }),
      };
    return { text };
  } catch {
    const sample = windows1258Sample(bytes);
    if (sample)
      return { problem: problem('legacy_encoding', { field: 'draft', encoding: 'Windows-1258', sample }) };
    return { problem: problem('invalid_encoding', { field: 'draft' }) };
  }
}

/*
 * Vietnamese text is mostly letters outside ASCII, where V8's own UTF-8 conversions (`toString`,
 * `TextDecoder`, `TextEncoder`) take a slow path: for the benchmark's drafts, ICU's converter behind
 * `buffer.transcode` decodes about 6 times as fast and encodes about twice as fast.
 */

/** The text of bytes already known to be valid UTF-8 (a byte order mark, if any, is kept). */
export function decodeValidUtf8(bytes: Uint8Array): string {
  return transcode(bytes, 'utf8', 'utf16le').toString('utf16le');
}

/**
 * Text as UTF-8. A string holding a lone surrogate (which no valid input produces) has no UTF-8 form; like
 * `TextEncoder`, this writes U+FFFD in its place.
 */
export function encodeUtf8(text: string): Uint8Array {
  try {
    return transcode(Buffer.from(text, 'utf16le'), 'utf16le', 'utf8');
  } catch {
    // ICU refuses a lone surrogate; checking for one first (`isWellFormed`) would cost more than this.
    return new TextEncoder().encode(text);
  }
}

/** Bytes that Windows-1258 uses for Vietnamese letters and combining tone marks. */
const CP1258_VIETNAMESE = new Set([
  0xc3, 0xe3, 0xc2, 0xe2, 0xd0, 0xf0, 0xd5, 0xf5, 0xdd, 0xfd, 0xcc, 0xec, 0xde, 0xd2, 0xf2,
]);

function windows1258Sample(bytes: Uint8Array): string | undefined {
  let hits = 0;
  for (const b of bytes) if (CP1258_VIETNAMESE.has(b)) hits++;
  if (hits < 3) return undefined;
  const text = new TextDecoder('windows-1258').decode(bytes).normalize('NFC');
  const word = text.split(/\s+/).find((w) => /[ăâđơưĂÂĐƠƯ\u1EA0-\u1EF9]/u.test(w));
  return word?.slice(0, 30) ?? text.slice(0, 30);
}

/**
 * Text typed with TCVN3 (ABC) fonts and pasted as if it were Unicode: Vietnamese letters come out as Latin-1
 * symbols ("Hµ Néi" for "Hà Nội"). Many of those symbols, and no real Vietnamese letters, give it away.
 */
const TCVN3_SYMBOLS = /[¸µ¶·¹¨©ª«¬®§¡¢£¤¥¦]/gu;
const VIETNAMESE_LETTERS = /[ăâđêôơưĂÂĐÊÔƠƯ\u1EA0-\u1EF9]/u;

const TCVN3_SYMBOL = /[¸µ¶·¹¨©ª«¬®§¡¢£¤¥¦]/u;

function tcvn3Sample(text: string): string | undefined {
  // Almost every draft has none of these symbols at all: one scan settles it.
  if (!TCVN3_SYMBOL.test(text)) return undefined;
  // Line by line: a TCVN3 paragraph pasted into an otherwise Unicode draft is still caught.
  for (const line of text.normalize('NFC').split(/\r\n?|\n/)) {
    const hits = line.match(TCVN3_SYMBOLS)?.length ?? 0;
    if (hits < 4 || VIETNAMESE_LETTERS.test(line)) continue;
    const word = line.split(/\s+/).find((w) => TCVN3_SYMBOL.test(w));
    return word?.slice(0, 30);
  }
  return undefined;
}

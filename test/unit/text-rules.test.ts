import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import { describe, expect, it } from 'vitest';
import { nativeTextScan } from '#shared/domain/body.ts';
import { decodeValidUtf8, encodeUtf8 } from '#shared/domain/encoding.ts';
import { excerpt, MAX_EXCERPT_LENGTH } from '#shared/domain/excerpt.ts';
import { isValidSlug, MAX_SLUG_LENGTH, slugify } from '#shared/domain/slug.ts';
import {
  charLength,
  hasInvisible,
  normalizeLine,
  normalizeText,
  removeInvisible,
  xmlText,
} from '#shared/domain/text.ts';
import { ROOT, SEED_SLUG } from '../support/site.ts';

const run = promisify(execFile);

const SEED_TITLE =
  'Nâng cao năng lực lãnh đạo, sức chiến đấu của Đảng bộ tỉnh - nhiệm vụ trọng tâm, xuyên suốt';

/** Vietnamese-looking text: letters with every tone mark, đ/Đ, punctuation and spaces, in any normal form. */
const vietnameseWord = fc
  .array(
    fc.constantFrom(
      ...'aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ'.split(''),
      ...'\u0300\u0301\u0303\u0309\u0323'.split(''),
    ),
    {
      minLength: 1,
      maxLength: 9,
    },
  )
  .map((cs) => cs.join(''));
const vietnameseText = fc
  .array(fc.oneof(vietnameseWord, fc.constantFrom(',', '-', '“', '”', '(', ')', '2023', ':')), {
    maxLength: 60,
  })
  .map((ws) => ws.join(' '));
const anyForm = (text: string) => fc.constantFrom(text.normalize('NFC'), text.normalize('NFD'), text);

/**
 * What the text rules remove, written with Unicode properties: format characters, surrogates (the `u` flag
 * matches one only alone), noncharacters, and C0 and C1 controls but tab, line feed and carriage return.
 */
const REMOVED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\p{Cf}\p{Cs}\p{Noncharacter_Code_Point}\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;
/** What XML 1.0 allows nowhere (its `Char` production, negated). */
const XML_FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Any UTF-16 units, lone surrogates included, mixed with Vietnamese, emoji and the characters removed. */
const anyUnits = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)),
      fc.constantFrom(
        '\uD800',
        '\uDFFF',
        '\uFFFE',
        '\uFFFF',
        '\u0008',
        '\u061C',
        '\u202E',
        '\u200D',
        '\u00AD',
      ),
      fc.constantFrom('\u{E0041}', '\u{E0001}', '\u{110BD}', '\u{1D173}', '\u{1FFFF}', '\uFDD0', '\uFEFF'),
      fc.constantFrom('😀', '👨\u200D👩\u200D👧', '🇻🇳', 'ạ', 'a\u0300', ' ', '\n', '\t', '\r', 'Đ'),
      fc.string({ unit: 'grapheme', maxLength: 4 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('slug', () => {
  it('matches the seed article', () => {
    expect(slugify(SEED_TITLE)).toBe(SEED_SLUG);
  });

  it('turns đ and Đ into d and removes tone marks', () => {
    expect(slugify('Đường đến trường Điện Biên')).toBe('duong-den-truong-dien-bien');
    expect(slugify('Hòa bình, hoà hợp: ỦY BAN')).toBe('hoa-binh-hoa-hop-uy-ban');
  });

  it('cuts at a word boundary within 100 characters', () => {
    const slug = slugify(`${'chương trình mục tiêu quốc gia '.repeat(8)}cuối`);
    expect(slug.length).toBeLessThanOrEqual(MAX_SLUG_LENGTH);
    expect(`${'chuong-trinh-muc-tieu-quoc-gia-'.repeat(8)}`.startsWith(`${slug}-`)).toBe(true);
  });

  it('ignores zero-width and bidi characters pasted into a title', () => {
    expect(slugify('Tin\u200B tức\u202E mới\uFEFF')).toBe('tin-tuc-moi');
  });

  it('gives the same valid slug for any normal form of the same text', () => {
    fc.assert(
      fc.property(
        vietnameseText.chain((t) => fc.tuple(fc.constant(t), anyForm(t))),
        ([text, form]) => {
          const slug = slugify(form);
          expect(slug).toBe(slugify(text.normalize('NFC')));
          expect(slug).toBe(slugify(text.normalize('NFD')));
          if (slug !== '') expect(isValidSlug(slug)).toBe(true);
          expect(slugify(slug)).toBe(slug);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never exceeds the limit and never splits a word unless one word is longer than the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z0-9]{1,30}$/), { minLength: 1, maxLength: 20 }),
        (words) => {
          const slug = slugify(words.join(' '));
          expect(slug.length).toBeLessThanOrEqual(MAX_SLUG_LENGTH);
          const full = words.join('-');
          if ((words[0]?.length ?? 0) <= MAX_SLUG_LENGTH) {
            expect(full === slug || full.startsWith(`${slug}-`)).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('excerpt', () => {
  it('keeps a lead that fits, without an ellipsis', () => {
    const lead = 'Vâng lời thầy, cô giáo, đoàn kết bạn bè.';
    expect(excerpt(lead)).toBe(lead);
  });

  it('cuts a long lead at a word boundary and ends it with ...', () => {
    const lead =
      'Nâng cao năng lực lãnh đạo, sức chiến đấu của Đảng bộ luôn được xác định là mục tiêu chính, nhiệm vụ trọng tâm, xuyên suốt trong các nhiệm kỳ Đại hội Đảng bộ tỉnh. Không ngừng nâng cao năng lực lãnh đạo, sức chiến đấu của Đảng bộ là một yêu cầu.';
    const cut = excerpt(lead);
    expect(cut).toBe(
      'Nâng cao năng lực lãnh đạo, sức chiến đấu của Đảng bộ luôn được xác định là mục tiêu chính, nhiệm vụ trọng tâm, xuyên suốt trong các nhiệm kỳ Đại hội Đảng bộ tỉnh. Không ngừng nâng cao năng lực...',
    );
  });

  it('is at most 200 characters, a whole-word prefix of the lead, with ... exactly when cut', () => {
    fc.assert(
      fc.property(vietnameseText.chain(anyForm), (lead) => {
        const text = normalizeLine(lead);
        const out = excerpt(lead);
        expect(charLength(out)).toBeLessThanOrEqual(MAX_EXCERPT_LENGTH);
        if (charLength(text) <= MAX_EXCERPT_LENGTH) {
          expect(out).toBe(text);
        } else {
          expect(out.endsWith('...')).toBe(true);
          const kept = out.slice(0, -3);
          expect(text.startsWith(kept)).toBe(true);
          // The cut falls between words: the next character of the lead is a space or punctuation.
          const next = text.slice(kept.length)[0] ?? ' ';
          expect(/[\s,;:.\-–—]/u.test(next)).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('counts a character outside the Basic Multilingual Plane (an emoji) as one, and never splits it', () => {
    const word = fc.oneof(vietnameseWord, fc.constantFrom('😀', '𠀀𠀁', '🇻🇳', 'ồ😀'));
    const lead = fc.array(word, { minLength: 30, maxLength: 90 }).map((ws) => ws.join(' '));
    fc.assert(
      fc.property(lead, (text) => {
        const line = normalizeLine(text);
        const out = excerpt(text);
        expect(charLength(out)).toBeLessThanOrEqual(MAX_EXCERPT_LENGTH);
        expect(out.isWellFormed()).toBe(true);
        if (charLength(line) <= MAX_EXCERPT_LENGTH) expect(out).toBe(line);
        else expect(line.startsWith(out.slice(0, -3))).toBe(true);
      }),
      { numRuns: 500 },
    );
    const emoji = '😀'.repeat(MAX_EXCERPT_LENGTH);
    expect(excerpt(emoji)).toBe(emoji);
    expect(excerpt(`${emoji}😀`)).toBe(`${'😀'.repeat(MAX_EXCERPT_LENGTH - 3)}...`);
  });
});

describe('UTF-8', () => {
  it('encodes any text as TextEncoder does (U+FFFD for a lone surrogate) and decodes it back', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
        ),
        vietnameseText,
        (a, b) => {
          for (const text of [a, b, a + b]) {
            const bytes = encodeUtf8(text);
            expect(Buffer.from(bytes).equals(Buffer.from(new TextEncoder().encode(text)))).toBe(true);
            expect(decodeValidUtf8(bytes)).toBe(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
          }
        },
      ),
      { numRuns: 1000 },
    );
    expect(decodeValidUtf8(encodeUtf8('\uFEFFViệt'))).toBe('\uFEFFViệt');
    expect([...encodeUtf8('a\uD800b')]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62]);
  });
});

describe('normalisation', () => {
  it('composes decomposed Vietnamese', () => {
    expect(normalizeText('Ho\u0300a bi\u0300nh')).toBe('Hòa bình');
  });

  it('removes control, zero-width and bidi characters, keeps line breaks in body text', () => {
    expect(normalizeText('a\u0000b\u0007c\u200Bd\u202Ee\nf\tg')).toBe('abcde\nf\tg');
    expect(normalizeLine('  Tiêu\u00A0đề \n mới\u2066 ')).toBe('Tiêu đề mới');
  });

  it('removes exactly the format characters and those XML forbids or advises against, for every code point', () => {
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const char = String.fromCodePoint(cp);
      const removed = REMOVED.test(char);
      if (
        hasInvisible(`a${char}b`) !== removed ||
        removeInvisible(`a${char}b`) !== (removed ? 'ab' : `a${char}b`)
      )
        expect.unreachable(`U+${cp.toString(16).toUpperCase()} should be ${removed ? 'removed' : 'kept'}`);
      if (removed && XML_FORBIDDEN.test(normalizeText(char))) expect.unreachable(`U+${cp.toString(16)}`);
    }
    // A surrogate alone goes; a pair (an emoji, a tag character) is one character and goes only if it is one.
    expect(normalizeText('a\uD800b\uDBFFc\uDC00d\uDFFF')).toBe('abcd');
    expect(normalizeText('\uDC00\uD83D\uDE00\uD83D')).toBe('😀');
    expect(normalizeText('cờ 🇻🇳 \u{E0041}\u{E0001}\u{1FFFE}\u{10FFFF}x')).toBe('cờ 🇻🇳 x');
    // A character removed between a letter and its tone mark no longer keeps them apart.
    expect(normalizeText('Ho\u200Ba\u0300')).toBe('Hoà');
  });

  it('leaves nothing XML forbids and no format character, is idempotent, and changes no other text', () => {
    fc.assert(
      fc.property(anyUnits, (s) => {
        for (const out of [normalizeText(s), normalizeLine(s)]) {
          expect(XML_FORBIDDEN.test(out)).toBe(false);
          expect(/\p{Cf}/u.test(out)).toBe(false);
          expect(out.isWellFormed()).toBe(true);
        }
        expect(normalizeText(normalizeText(s))).toBe(normalizeText(s));
        expect(normalizeLine(normalizeLine(s))).toBe(normalizeLine(s));
        if (!REMOVED.test(s)) expect(normalizeText(s)).toBe(s.normalize('NFC'));
        expect(hasInvisible(s)).toBe(REMOVED.test(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('prints nothing XML forbids in feeds and sitemaps, and leaves any other text as it is', () => {
    fc.assert(
      fc.property(anyUnits, (s) => {
        const out = xmlText(s);
        expect(XML_FORBIDDEN.test(out)).toBe(false);
        if (!XML_FORBIDDEN.test(s)) expect(out).toBe(s);
        else expect(out.length).toBeLessThan(s.length);
      }),
      { numRuns: 2000 },
    );
    expect(xmlText('Tin\uFFFE \u0008mới\uD800 \u202E')).toBe('Tin mới \u202E');
  });

  it('gives each line a string of its own: keeping a headline does not keep the draft it came from', async () => {
    // Strings cut from a larger one can share its memory (V8 does for 13 characters or more): a list that
    // keeps 10,000 headlines would keep 10,000 front matters. Measured in a process of its own.
    const { stdout } = await run(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', join(ROOT, 'test/support/retained-fields.ts')],
      { cwd: ROOT },
    );
    const { heldPerDraft, ownPerDraft } = JSON.parse(stdout) as { heldPerDraft: number; ownPerDraft: number };
    expect(ownPerDraft).toBeGreaterThan(400);
    expect(heldPerDraft).toBeLessThan(1.5 * ownPerDraft);
  }, 60_000);

  it('is idempotent and leaves no invisible or control characters, for any input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 80 }),
        fc.string({ unit: 'binary', maxLength: 80 }),
        fc.string({
          unit: fc.constantFrom(' ', '\t', '\n', '\u00A0', '\u3000', '\uFEFF', 'ạ', 'x'),
          maxLength: 20,
        }),
        (a, b, c) => {
          for (const s of [a, b, c, a + c + b]) {
            const line = normalizeLine(s);
            expect(normalizeLine(line)).toBe(line);
            expect(line).toBe(line.normalize('NFC'));
            expect(/[\p{Cc}\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/u.test(line)).toBe(false);
            // One line: words apart by single spaces, none at either end, no word lost.
            expect(line).not.toMatch(/[^\S ]| {2}|^ | $/u);
            expect(line.split(' ').filter((w) => w !== '')).toEqual(
              normalizeText(s)
                .split(/\s+/u)
                .filter((w) => w !== ''),
            );
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('Markdown text scan', () => {
  const options = { html: false, linkify: false, typographer: false } as const;
  const stock = new MarkdownIt('commonmark', options);
  const scanned = new MarkdownIt('commonmark', options);
  nativeTextScan(scanned);
  /** Markdown-ish text: every character an inline rule starts at, constructs that nest, Vietnamese words. */
  const markdown = fc
    .array(
      fc.oneof(
        vietnameseWord,
        fc.constantFrom(...'\n!#$%&*+-:<=>@[\\]^_`{}~ ()"\'.,;|0123456789\t\u00a0\u0000'.split('')),
        fc.constantFrom(
          '[a](b)',
          '![ảnh](x.jpg "Ảnh: TTXVN")',
          '**đậm**',
          '_nghiêng_',
          '`mã`',
          '&amp;',
          '&#7871;',
        ),
        fc.constantFrom('\n\n', '> ', '- ', '1. ', '## ', '    ', '<https://a.vn>', '[x]: /y', '\\*'),
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(''));

  it("gives the same tokens and HTML as markdown-it's own text rule, for any input", () => {
    fc.assert(
      fc.property(markdown, (source) => {
        expect(JSON.stringify(scanned.parse(source, {}))).toBe(JSON.stringify(stock.parse(source, {})));
        expect(scanned.render(source)).toBe(stock.render(source));
      }),
      { numRuns: 3000 },
    );
  });
});

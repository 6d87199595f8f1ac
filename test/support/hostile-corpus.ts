import { deflateSync } from 'node:zlib';
import { draftText, example, SEED_IMAGE_KEY } from './site.ts';

/**
 * Drafts a newsroom meets: broken by editors and word processors, or written to attack readers. Each case
 * says what must happen: `published` (with the text made safe) or the code of the rejection.
 */
export interface HostileCase {
  readonly name: string;
  readonly key: string;
  readonly body: Uint8Array;
  /** Other files uploaded beside it first (images). */
  readonly files?: Readonly<Record<string, Uint8Array>>;
  readonly expect: 'published' | string;
  /** The fields a published draft loses invisible characters from: one warning each, in this order. */
  readonly warns?: readonly string[];
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const ok = (fields: Record<string, unknown> = {}, body?: string) => utf8(draftText(fields, body));

/** A PNG whose header claims the given size (the pixel data is irrelevant to the checks). */
export function pngOfSize(width: number, height: number): Uint8Array {
  const header = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(header, 0);
  header.writeUInt32BE(13, 8);
  header.write('IHDR', 12, 'ascii');
  header.writeUInt32BE(width, 16);
  header.writeUInt32BE(height, 20);
  header.writeUInt8(8, 24);
  header.writeUInt8(2, 25);
  return new Uint8Array(Buffer.concat([header, deflateSync(Buffer.alloc(16))]));
}

const photo = () => new Uint8Array(example(SEED_IMAGE_KEY));
const withImage = (src: string) => ok({ title: 'Bài có ảnh' }, `Mở đầu.\n\n![Chú thích](${src} "Ảnh: PV")\n`);

/** The hostile markup published as text: none of it may run or leave its element. */
export const XSS_BODY = [
  '<script>window.__xss = 1; alert(1)</script>',
  '<img src=x onerror="window.__xss = 1">',
  '<iframe src="javascript:window.__xss=1"></iframe>',
  '<svg onload="window.__xss = 1"><script>alert(1)</script></svg>',
  '<style>body { background: url("javascript:alert(1)") }</style>',
  '<div style="width: expression(alert(1))">css</div>',
  '<a href="javascript:alert(1)">raw link</a>',
  '[link](javascript:alert(1)) [upper](JaVaScRiPt:alert(1)) [tab](java&#x09;script:alert(1))',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) [vb](vbscript:msgbox(1))',
  '&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;',
  '[quoted](https://example.com "a\\" onmouseover=\\"window.__xss=1")',
  '<https://example.com/an-toan> <javascript:alert(1)> <mailto:toasoan@example.vn>',
  '![x](images/x.jpg "\\" onerror=\\"window.__xss=1")',
].join('\n\n');

export const HOSTILE_CASES: readonly HostileCase[] = [
  // Markup that must reach readers as text.
  {
    name: 'script and handlers in every field',
    key: 'xa-hoi/xss.md',
    body: ok(
      {
        title: '<script>window.__xss=1</script> Tiêu đề',
        lead: '"><img src=x onerror="window.__xss=1">',
        author: { name: '</p><script>window.__xss=1</script>', role: "' onmouseover='window.__xss=1" },
        tags: ['<b onmouseover="window.__xss=1">thẻ</b>'],
      },
      XSS_BODY,
    ),
    files: { 'xa-hoi/images/x.jpg': photo() },
    expect: 'published',
  },
  // Encodings and invisible characters.
  {
    name: 'invalid UTF-8',
    key: 'xa-hoi/hong.md',
    body: new Uint8Array([0x2d, 0x2d, 0x2d, 0x0a, 0xc3, 0x28, 0xa0, 0xa1]),
    expect: 'invalid_encoding',
  },
  {
    name: 'Windows-1258 bytes',
    key: 'xa-hoi/cp1258.md',
    // "Tin tức Đà Nẵng" typed in Windows-1258: Đ is 0xD0, ă 0xE3, combining tones.
    body: new Uint8Array([
      ...utf8('---\ntitle: "Tin t'),
      0x75,
      0xec,
      0x63,
      0x20,
      0xd0,
      0x61,
      0xcc,
      0x20,
      0x4e,
      0xe3,
      0xf2,
      0x6e,
      0x67,
      ...utf8('"\n---\nx'),
    ]),
    expect: 'legacy_encoding',
  },
  {
    name: 'TCVN3 text pasted as Unicode',
    key: 'xa-hoi/tcvn3.md',
    body: ok(
      { title: 'TØnh ñy Lai Ch©u häp b¸o' },
      'Hµ Néi, ngµy 30 th¸ng 12 n¨m 2023. §¶ng bé tØnh ®· ®Ò ra c¸c chñ tr­¬ng.',
    ),
    expect: 'legacy_encoding',
  },
  {
    name: 'UTF-16 with BOM',
    key: 'xa-hoi/utf16.md',
    body: new Uint8Array(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(draftText({ title: 'Tin UTF-16' }), 'utf16le')]),
    ),
    expect: 'published',
  },
  {
    name: 'UTF-8 with BOM',
    key: 'xa-hoi/bom.md',
    body: new Uint8Array([0xef, 0xbb, 0xbf, ...ok({ title: 'Tin có BOM' })]),
    expect: 'published',
  },
  {
    name: 'CRLF line endings',
    key: 'xa-hoi/crlf.md',
    body: utf8(draftText({ title: 'Tin CRLF' }).replace(/\n/g, '\r\n')),
    expect: 'published',
  },
  {
    name: 'lone CR line endings',
    key: 'xa-hoi/cr.md',
    body: utf8(draftText({ title: 'Tin CR' }).replace(/\n/g, '\r')),
    expect: 'published',
  },
  {
    name: 'NUL and control characters',
    key: 'xa-hoi/nul.md',
    body: ok({ title: 'Tin\u0000 có\u0007 ký tự\u001b điều khiển' }),
    expect: 'published',
    warns: ['title'],
  },
  {
    name: 'zero-width and bidi overrides',
    key: 'xa-hoi/bidi.md',
    body: ok({ title: 'Tin\u200b ẩn\u202e dấu\u2066', slug: undefined }),
    expect: 'published',
    warns: ['title'],
  },
  // Characters XML 1.0 forbids, and format characters (`\p{Cf}`): they would make the feeds and sitemaps
  // unreadable, or disguise text. Typed in (the file holds the character) or written as a YAML escape
  // (`"\b"`, `"\ud800"`: `draftText` writes JSON, and JSON escapes those).
  {
    name: 'U+FFFE in a title',
    key: 'xa-hoi/fffe.md',
    body: ok({ title: 'Tin\uFFFE nông thôn mới' }),
    expect: 'published',
    warns: ['title'],
  },
  {
    name: 'a backspace (U+0008) in a lead, as a YAML escape',
    key: 'xa-hoi/backspace.md',
    body: ok({ title: 'Tin có sapo lạ', lead: 'Sapo\u0008 có ký tự lùi.' }),
    expect: 'published',
    warns: ['lead'],
  },
  {
    name: 'a lone surrogate in a byline, as the YAML escape "\\uD800"',
    key: 'xa-hoi/surrogate.md',
    body: ok({ title: 'Tin có bút danh lạ', author: { name: 'Phóng\uD800 viên', role: 'Cộng tác viên' } }),
    expect: 'published',
    warns: ['author.name'],
  },
  {
    name: 'U+061C ARABIC LETTER MARK in an author role',
    key: 'xa-hoi/alm.md',
    body: ok({ title: 'Tin có chức danh lạ', author: { name: 'Phóng viên', role: 'Phóng\u061C viên ảnh' } }),
    expect: 'published',
    warns: ['author.role'],
  },
  {
    name: 'a tag character (U+E0041) in a tag',
    key: 'xa-hoi/tag-char.md',
    body: ok({ title: 'Tin có từ khóa lạ', tags: ['Lai Châu', 'Nông\u{E0041} thôn'] }),
    expect: 'published',
    warns: ['tags[1]'],
  },
  {
    name: 'a bidi override (U+202E) and U+FFFE in a photo caption and credit',
    key: 'xa-hoi/caption.md',
    body: ok(
      { title: 'Tin có chú thích ảnh lạ' },
      'Mở đầu.\n\n![Bà con\u202E bản Sin Suối Hồ\uFFFE](images/x.jpg "Ảnh:\u202E PV")\n',
    ),
    files: { 'xa-hoi/images/x.jpg': photo() },
    expect: 'published',
    warns: ['body'],
  },
  {
    name: 'every kind at once, typed in and escaped',
    key: 'xa-hoi/tat-ca.md',
    body: utf8(
      '---\ntitle: "Tin\u202E tổng\uFFFE hợp\\b"\nsection: xa-hoi\nlead: "Sapo\\uD800 \u061C"\n' +
        'publishedAt: 2024-01-02T08:00:00+07:00\nauthor:\n  name: "A\\u0008"\n  role: B\u{E0041}\n' +
        'tags: [Một, "Hai\\U000E0041", Ba\u00AD]\n---\n\nNội\u200B dung.\n',
    ),
    expect: 'published',
    warns: ['title', 'lead', 'author.name', 'author.role', 'tags[1]', 'tags[2]', 'body'],
  },
  {
    name: 'decomposed Vietnamese (NFD)',
    key: 'xa-hoi/nfd.md',
    body: ok({ title: 'Hòa bình và hoà hợp'.normalize('NFD') }),
    expect: 'published',
  },
  // Front matter.
  {
    name: 'no front matter',
    key: 'xa-hoi/khong-khai-bao.md',
    body: utf8('Chỉ có nội dung.'),
    expect: 'missing_front_matter',
  },
  {
    name: 'unterminated front matter',
    key: 'xa-hoi/chua-dong.md',
    body: utf8('---\ntitle: "x"\nsection: xa-hoi\n'),
    expect: 'unterminated_front_matter',
  },
  {
    name: 'front matter that is a list',
    key: 'xa-hoi/danh-sach.md',
    body: utf8('---\n- a\n- b\n---\nx'),
    expect: 'not_a_mapping',
  },
  {
    name: 'wrong types',
    key: 'xa-hoi/sai-kieu.md',
    body: ok({ title: 42, author: 'Phóng viên' }),
    expect: 'wrong_type',
  },
  {
    name: 'a YAML tag that would run code',
    key: 'xa-hoi/the-yaml.md',
    body: utf8('---\ntitle: !!js/function "function(){ return 1 }"\n---\nx'),
    expect: 'invalid_yaml',
  },
  {
    name: 'an alias bomb',
    key: 'xa-hoi/bom-alias.md',
    body: utf8(
      `---\na: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\ntitle: x\n---\nx`,
    ),
    expect: 'invalid_yaml',
  },
  {
    name: 'duplicate keys',
    key: 'xa-hoi/trung-khoa.md',
    body: utf8('---\ntitle: a\ntitle: b\n---\nx'),
    expect: 'invalid_yaml',
  },
  {
    name: 'a ---js block',
    key: 'xa-hoi/js.md',
    body: utf8('---js\n{ title: (function(){ globalThis.__ran = 1; return "x" })() }\n---\nx'),
    expect: 'unsupported_front_matter',
  },
  {
    name: 'a ---coffee block',
    key: 'xa-hoi/coffee.md',
    body: utf8('---coffee\ntitle: "x"\n---\nx'),
    expect: 'unsupported_front_matter',
  },
  {
    name: 'a date without offset',
    key: 'xa-hoi/ngay.md',
    body: ok({ publishedAt: '2023-12-30T21:00:00' }),
    expect: 'invalid_date',
  },
  {
    name: 'an impossible date',
    key: 'xa-hoi/30-2.md',
    body: ok({ publishedAt: '2023-02-30T10:00:00+07:00' }),
    expect: 'invalid_date',
  },
  {
    name: 'an unknown field (a warning only)',
    key: 'xa-hoi/truong-la.md',
    body: ok({ category: 'x' }),
    expect: 'published',
  },
  {
    name: 'an oversized title',
    key: 'xa-hoi/dai.md',
    body: ok({ title: 'Rất dài '.repeat(100) }),
    expect: 'too_long',
  },
  // Sizes.
  {
    name: 'a draft over the size limit',
    key: 'xa-hoi/qua-lon.md',
    body: ok({}, 'chữ '.repeat(150_000)),
    expect: 'draft_too_large',
  },
  {
    name: 'a body over the length limit',
    key: 'xa-hoi/than-dai.md',
    body: ok({}, 'a'.repeat(200_001)),
    expect: 'body_too_long',
  },
  {
    name: 'too many images',
    key: 'xa-hoi/nhieu-anh.md',
    body: ok({}, Array.from({ length: 31 }, (_, i) => `![ảnh ${i}](images/a${i}.jpg)`).join('\n\n')),
    expect: 'too_many_images',
  },
  {
    // Within the body's length limit, but each quote is six characters once rendered (`&quot;`): over what
    // one DynamoDB item holds. Refused on the first try, not retried into the dead letters.
    name: 'a body that renders past the item limit',
    key: 'xa-hoi/ngoac-kep.md',
    body: ok({}, `Mở đầu ${'"'.repeat(190_000)}`),
    expect: 'article_too_large',
  },
  // Images.
  {
    name: 'an image that climbs out of the folder',
    key: 'xa-hoi/leo.md',
    body: withImage('../kinh-te/images/x.jpg'),
    expect: 'image_outside_folder',
  },
  {
    name: 'an image by absolute URL',
    key: 'xa-hoi/url.md',
    body: withImage('https://example.com/x.jpg'),
    expect: 'image_outside_folder',
  },
  // Not an image at all for the Markdown parser (its link check refuses the scheme): shown as text.
  {
    name: 'a javascript: image',
    key: 'xa-hoi/js-anh.md',
    body: withImage('javascript:alert(1)'),
    expect: 'published',
  },
  {
    name: 'an SVG image',
    key: 'xa-hoi/svg.md',
    body: withImage('images/x.svg'),
    files: { 'xa-hoi/images/x.svg': utf8('<svg onload="alert(1)"/>') },
    expect: 'unsupported_image_type',
  },
  {
    name: 'a PDF named .jpg',
    key: 'xa-hoi/pdf.md',
    body: withImage('images/tai-lieu.jpg'),
    files: { 'xa-hoi/images/tai-lieu.jpg': utf8('%PDF-1.7\n...') },
    expect: 'image_type_mismatch',
  },
  {
    name: 'a PNG named .jpg',
    key: 'xa-hoi/png-jpg.md',
    body: withImage('images/doi-ten.jpg'),
    files: { 'xa-hoi/images/doi-ten.jpg': pngOfSize(800, 600) },
    expect: 'image_type_mismatch',
  },
  {
    name: 'an empty image',
    key: 'xa-hoi/rong.md',
    body: withImage('images/rong.jpg'),
    files: { 'xa-hoi/images/rong.jpg': new Uint8Array() },
    expect: 'image_empty',
  },
  {
    name: 'huge dimensions',
    key: 'xa-hoi/khong-lo.md',
    body: withImage('images/lon.png'),
    files: { 'xa-hoi/images/lon.png': pngOfSize(50_000, 40_000) },
    expect: 'image_dimensions',
  },
  {
    name: 'an image over the size limit',
    key: 'xa-hoi/anh-nang.md',
    body: withImage('images/nang.jpg'),
    files: { 'xa-hoi/images/nang.jpg': new Uint8Array(20 * 1024 * 1024 + 1) },
    expect: 'image_too_large',
  },
  // Images whose header passes but whose pixels cannot, or must not, be decoded.
  {
    name: 'a JPEG of garbage after its first bytes',
    key: 'xa-hoi/rac.md',
    body: withImage('images/rac.jpg'),
    files: { 'xa-hoi/images/rac.jpg': new Uint8Array([0xff, 0xd8, 0xff, ...new Array(2000).fill(0x07)]) },
    expect: 'image_undecodable',
  },
  {
    name: 'a JPEG cut off halfway through uploading',
    key: 'xa-hoi/cut.md',
    body: withImage('images/cut.jpg'),
    files: { 'xa-hoi/images/cut.jpg': photo().subarray(0, Math.floor(photo().byteLength / 2)) },
    expect: 'image_undecodable',
  },
  {
    name: 'an animated GIF of too many frames',
    key: 'xa-hoi/gif-dai.md',
    body: withImage('images/dai.gif'),
    files: { 'xa-hoi/images/dai.gif': gifOfFrames(2_000, 8, 8) },
    expect: 'image_frames',
  },
  {
    // Under a kilobyte that decodes to 30 frames of 2,000 × 2,000 (libvips paints each on the GIF's
    // screen): 120 million pixels.
    name: 'an animated GIF that decodes to too many pixels',
    key: 'xa-hoi/gif-bom.md',
    body: withImage('images/bom.gif'),
    files: { 'xa-hoi/images/bom.gif': gifOfFrames(30, 2_000, 2_000) },
    expect: 'image_frames',
  },
  // Keys and addresses.
  {
    name: 'a key with spaces, + and Unicode',
    key: 'xa-hoi/Tin tức +1 (bản cuối).md',
    body: ok({ title: 'Tin có tên tệp lạ' }),
    expect: 'published',
  },
  {
    name: 'a key with percent signs',
    key: 'xa-hoi/giam-50%-gia.md',
    body: ok({ title: 'Giảm 50% giá' }),
    expect: 'published',
  },
  {
    name: 'a key with ..',
    key: 'xa-hoi/../thoi-su/cham-cham.md',
    body: ok({ title: 'Tên tệp có hai chấm' }),
    expect: 'published',
  },
  {
    name: 'a very long key',
    // Long enough to be refused as an id, short enough for the local S3 stand-in's file names (255 bytes).
    key: `xa-hoi/${'rat-dai-'.repeat(25)}.md`,
    body: ok({ title: 'Tên tệp rất dài' }),
    expect: 'bad_key',
  },
  {
    name: 'a reserved slug',
    key: 'xa-hoi/page.md',
    body: ok({ title: 'Trang', slug: 'page' }),
    expect: 'reserved_slug',
  },
  {
    name: 'a title that makes a reserved slug',
    key: 'xa-hoi/page-tieu-de.md',
    body: ok({ title: 'Page' }),
    expect: 'reserved_slug',
  },
];

/**
 * A GIF animation of `frames` frames on a `width` × `height` screen, each frame one pixel: tiny as a file,
 * as large as its screen times its frames when decoded (libvips takes a screen over 2,048 pixels a side
 * for a broken header, and the frames' own size instead).
 */
export function gifOfFrames(frames: number, width: number, height: number): Uint8Array {
  const screen = Buffer.alloc(13);
  screen.write('GIF89a', 0, 'ascii');
  screen.writeUInt16LE(width, 6);
  screen.writeUInt16LE(height, 8);
  // A global colour table of two colours (black, white).
  screen.writeUInt8(0x80, 10);
  const palette = Buffer.from([0, 0, 0, 255, 255, 255]);
  const loop = Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00]);
  const frame = Buffer.from([
    // Graphic control: 0.1 s delay.
    ...[0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00],
    // Image descriptor: a 1 × 1 frame at the top left, then its LZW data.
    ...[0x2c, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00],
    ...[0x02, 0x02, 0x44, 0x01, 0x00],
  ]);
  const body = Buffer.concat(Array.from({ length: frames }, () => frame));
  return new Uint8Array(Buffer.concat([screen, palette, loop, body, Buffer.from([0x3b])]));
}

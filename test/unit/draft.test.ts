import { describe, expect, it } from 'vitest';
import { renderBody, renderBodyWithPhotos } from '#shared/domain/body.ts';
import { parseDraft } from '#shared/domain/draft.ts';
import { draftText, EXAMPLE_KEYS, example, SEED_KEY, SEED_SLUG, SITE } from '../support/site.ts';

const parse = (text: string | Buffer, key = 'xa-hoi/tin.md') =>
  parseDraft(key, typeof text === 'string' ? Buffer.from(text) : text, SITE);

function problemsOf(text: string | Buffer) {
  const result = parse(text);
  if (result.ok) throw new Error('expected the draft to be rejected');
  return result.problems;
}

describe('parsing drafts', () => {
  it('reads every example draft', () => {
    for (const key of EXAMPLE_KEYS) {
      const result = parseDraft(key, example(key), SITE);
      expect(result.ok, key).toBe(true);
    }
  });

  it('reads the seed article: fields, slug, id, image', () => {
    const result = parseDraft(SEED_KEY, example(SEED_KEY), SITE);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const { draft } = result;
    expect(draft.id).toBe('xay-dung-dang/nang-cao-nang-luc-lanh-dao');
    expect(draft.slug).toBe(SEED_SLUG);
    expect(draft.section).toBe('xay-dung-dang');
    expect(draft.publishedAt?.toISOString()).toBe('2023-12-30T14:00:00.000Z');
    expect(draft.author).toEqual({
      name: 'Vũ Mạnh Hà',
      role: 'Ủy viên dự khuyết Ban Chấp hành Trung ương Đảng, Phó Bí thư Thường trực Tỉnh ủy',
    });
    expect(draft.tags).toEqual(['Đảng bộ tỉnh', 'Lai Châu', 'xây dựng Đảng']);
    expect(draft.images).toEqual([
      { src: 'images/sin-suoi-ho.jpg', key: 'xay-dung-dang/images/sin-suoi-ho.jpg' },
    ]);
  });

  it('gives the same draft for NFD text, CRLF line endings and a BOM', () => {
    const nfc = parseDraft(SEED_KEY, example(SEED_KEY), SITE);
    const odd = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(example(SEED_KEY).toString('utf8').normalize('NFD').replace(/\n/g, '\r\n')),
    ]);
    const nfd = parseDraft(SEED_KEY, odd, SITE);
    if (!nfc.ok || !nfd.ok) throw new Error('both must parse');
    expect(nfd.draft.contentHash).toBe(nfc.draft.contentHash);
    expect(nfd.draft.title).toBe(nfc.draft.title);
    expect(renderBody(nfd.draft.body, () => undefined)).toBe(renderBody(nfc.draft.body, () => undefined));
  });

  it('reports every problem at once, one per field, each saying what to do', () => {
    const problems = problemsOf(draftText({ title: undefined, section: 'the-gioi' }));
    expect(problems.map((p) => [p.field, p.code])).toEqual([
      ['title', 'required'],
      ['section', 'unknown_section'],
    ]);
    // Editors read Vietnamese, ops read English; both say what to do.
    expect(problems[0]?.message).toMatch(/^Thiếu trường "title"\. Hãy thêm vào phần khai báo\./);
    expect(problems[0]?.messageEn).toMatch(/"title" is missing\. Add it to the front matter\./);
    expect(problems[1]?.message).toContain('không phải chuyên mục');
    expect(problems[1]?.message).toContain('xay-dung-dang');
  });

  it('checks types, formats and values of every field', () => {
    const problems = problemsOf(
      draftText({
        title: '   ',
        lead: 42,
        author: 'Phóng viên',
        publishedAt: '2023-12-30 21:00',
        tags: 'Lai Châu',
        slug: 'Không Hợp Lệ',
        status: 'draft',
      }),
    );
    expect(problems.map((p) => [p.field, p.code])).toEqual([
      ['title', 'empty'],
      ['lead', 'wrong_type'],
      ['author', 'wrong_type'],
      ['publishedAt', 'invalid_date'],
      ['tags', 'wrong_type'],
      ['slug', 'invalid_slug'],
      ['status', 'invalid_value'],
    ]);
    expect(problems.find((p) => p.field === 'slug')?.message).toContain('khong-hop-le');
  });

  it('requires author.name and limits lengths', () => {
    const problems = problemsOf(draftText({ author: { role: 'Phóng viên' }, title: 'Tiêu đề '.repeat(40) }));
    expect(problems.map((p) => [p.field, p.code])).toEqual([
      ['title', 'too_long'],
      ['author.name', 'required'],
    ]);
  });

  it('rejects drafts without front matter, unterminated, or in another front-matter language', () => {
    expect(problemsOf('Chỉ có nội dung.')[0]?.code).toBe('missing_front_matter');
    expect(problemsOf('---\ntitle: "x"\n')[0]?.code).toBe('unterminated_front_matter');
    expect(problemsOf('---js\n{ title: (function(){ return 1 })() }\n---\nx')[0]?.code).toBe(
      'unsupported_front_matter',
    );
    expect(problemsOf('---\n- a\n- b\n---\nx')[0]?.code).toBe('not_a_mapping');
  });

  it('rejects YAML that a permissive parser would run or expand: tags, duplicate keys', () => {
    expect(problemsOf('---\ntitle: !!js/function "function(){}"\n---\nx')[0]?.code).toBe('invalid_yaml');
    expect(problemsOf('---\ntitle: a\ntitle: b\n---\nx')[0]?.code).toBe('invalid_yaml');
  });

  it('rejects text that is not UTF-8', () => {
    const latin1 = Buffer.from('---\ntitle: "Ti\xeau \xf0\xe8"\n---\n', 'latin1');
    expect(problemsOf(latin1)[0]?.code).toBe('invalid_encoding');
  });

  it('warns about unknown fields without rejecting', () => {
    const result = parse(draftText({ category: 'x' }));
    expect(result.ok).toBe(true);
    if (result.ok)
      expect(result.warnings.map((w) => [w.field, w.code])).toEqual([['category', 'unknown_field']]);
  });

  it('leaves out, with a warning, a tag that could have no tag page', () => {
    const result = parse(draftText({ tags: ['Lai Châu', '!!!', 'Nông thôn mới'] }));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.draft.tags).toEqual(['Lai Châu', 'Nông thôn mới']);
    expect(result.warnings.map((w) => [w.field, w.code, w.message])).toEqual([
      ['tags', 'tag_without_letters', 'Từ khóa "!!!" không có chữ hay số nào nên được bỏ qua.'],
    ]);
  });

  it('removes invisible characters with a warning naming each field, or the front matter they sat in', () => {
    const fieldsOf = (text: string) => {
      const result = parse(text);
      if (!result.ok) throw new Error(JSON.stringify(result.problems));
      return result.warnings.filter((w) => w.code === 'invisible_characters_removed').map((w) => w.field);
    };
    const result = parse(
      draftText({ title: 'Tin\u200B mới\uFFFE', tags: ['Một', 'Hai\uD800'] }, 'Chữ\u00AD.'),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect([result.draft.title, result.draft.tags]).toEqual(['Tin mới', ['Một', 'Hai']]);
    expect(result.warnings.map((w) => [w.field, w.code])).toEqual([
      ['title', 'invisible_characters_removed'],
      ['tags[1]', 'invisible_characters_removed'],
      ['body', 'invisible_characters_removed'],
    ]);
    expect(result.warnings[0]?.message).toMatch(/^Trường "title" có ký tự ẩn/);
    expect(result.warnings[2]?.messageEn).toMatch(/^The body held invisible or control characters/);
    // Between a value and the end of its line, the character is outside any field.
    expect(fieldsOf(draftText({ title: 'Tin' }).replace('"Tin"', '"Tin"\u200B'))).toEqual(['front matter']);
    // A BOM opens the file, and is no text of the draft; nor is an emoji an invisible character.
    expect(fieldsOf(`\uFEFF${draftText({ title: 'Tin 😀 🇻🇳' })}`)).toEqual([]);
  });

  it('accepts images only from the draft folder', () => {
    const body =
      '![a](../khac/anh.jpg)\n\n![b](/etc/passwd.jpg)\n\n![c](https://x.example/a.jpg)\n\n![d](images/tai-lieu.pdf)';
    const problems = problemsOf(draftText({}, body));
    expect(problems.map((p) => p.code)).toEqual([
      'image_outside_folder',
      'image_outside_folder',
      'image_outside_folder',
      'unsupported_image_type',
    ]);
  });

  it('defaults status, id and slug; an explicit slug and id win', () => {
    const plain = parse(draftText());
    const custom = parse(draftText({ slug: 'ban-tin-sang', id: 'bt-2024-01', status: 'withdrawn' }));
    if (!plain.ok || !custom.ok) throw new Error('both must parse');
    expect([plain.draft.id, plain.draft.slug, plain.draft.status]).toEqual([
      'xa-hoi/tin',
      'tin-thu-nghiem',
      'published',
    ]);
    expect([custom.draft.id, custom.draft.slug, custom.draft.status]).toEqual([
      'bt-2024-01',
      'ban-tin-sang',
      'withdrawn',
    ]);
  });
});

describe('the body', () => {
  const render = (markdown: string) => {
    const result = parse(draftText({}, markdown));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return renderBody(result.draft.body, (src) => ({ url: `/media/abc/${src.split('/').pop()}` }));
  };

  it('renders a photo paragraph as a figure with caption and credit', () => {
    expect(render('![Bà con bản Sin Suối Hồ.](images/a.jpg "Ảnh: THANH HOA")')).toBe(
      '<figure class="photo"><img src="/media/abc/a.jpg" alt="Bà con bản Sin Suối Hồ." decoding="async"><figcaption><span class="caption">Bà con bản Sin Suối Hồ.</span> <span class="credit">Ảnh: THANH HOA</span></figcaption></figure>\n',
    );
  });

  it('loads the first photo at once and the ones below it lazily, and lists them for structured data', () => {
    const result = parse(
      draftText({}, '![Một.](images/a.jpg "Ảnh: THANH HOA")\n\nChữ.\n\n![Hai.](images/b.png)'),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const { html, photos } = renderBodyWithPhotos(result.draft.body, (src) => ({
      url: `/media/abc/${src.split('/').pop()}`,
      width: 800,
      height: 600,
    }));
    expect(html.match(/<img [^>]*>/g)).toEqual([
      '<img src="/media/abc/a.jpg" alt="Một." width="800" height="600" decoding="async">',
      '<img src="/media/abc/b.png" alt="Hai." width="800" height="600" loading="lazy" decoding="async">',
    ]);
    expect(photos).toEqual([
      { url: '/media/abc/a.jpg', caption: 'Một.', credit: 'THANH HOA', width: 800, height: 600 },
      { url: '/media/abc/b.png', caption: 'Hai.', credit: '', width: 800, height: 600 },
    ]);
  });

  it('passes no raw HTML through', () => {
    const out = render('<script>alert(1)</script>\n\nChữ <img src=x onerror=alert(1)> và <b>đậm</b>');
    expect(out).not.toMatch(/<script|<img|<b>/);
    expect(out).toContain('&lt;script&gt;');
  });

  it('links only http(s), mailto and relative URLs', () => {
    const out = render(
      '[a](javascript:alert(1)) [b](https://baolaichau.vn/) [c](mailto:toasoan@example.vn) [d](/kinh-te/) [e](data:text/html,x) [f](vbscript:x)',
    );
    expect(out).toContain('<a href="https://baolaichau.vn/">b</a>');
    expect(out).toContain('<a href="mailto:toasoan@example.vn">c</a>');
    expect(out).toContain('<a href="/kinh-te/">d</a>');
    expect(out).not.toMatch(/href="(javascript|data|vbscript):/);
  });

  it('keeps the headline the only h1', () => {
    expect(render('# Một\n\n## Hai')).toBe('<h2>Một</h2>\n<h3>Hai</h3>\n');
  });
});

describe("the editors' guide", () => {
  it('documents every error code an editor can get', async () => {
    const { readFileSync } = await import('node:fs');
    const { MESSAGES } = await import('#shared/domain/messages.ts');
    const readme = readFileSync(new URL('../../docs/editors.md', import.meta.url), 'utf8');
    const missing = Object.keys(MESSAGES).filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});

describe('character references in the body', () => {
  it('cannot bring back a character the text rules remove (bidi overrides, soft hyphens, zero widths)', () => {
    const refs = '&#x202E;&shy;&#8203;&#xFEFF;&#x2066;&#1564;';
    const body = [
      `Đoạn${refs} văn.`,
      `Mã \`x${refs}y\`.`,
      '```',
      `khối${refs}`,
      '```',
      `![Chú${refs} thích](images/x.jpg "Ảnh: PV${refs}")`,
    ].join('\n\n');
    const result = parse(draftText({}, body));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const html = renderBody(result.draft.body, (src) => ({ url: `/media/abc/${src.split('/').pop()}` }));
    expect(html).toContain('Đoạn văn.');
    expect(html).toContain('Chú thích');
    expect(html).not.toMatch(/[\u00AD\u200B\u202E\u2066\uFEFF\u061C]/);
    expect(html).not.toMatch(/&#|&shy;/);
  });
});

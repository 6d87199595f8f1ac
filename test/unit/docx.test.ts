import { describe, expect, it } from 'vitest';
import { parseDraft } from '#shared/domain/draft.ts';
import { convertDocx, draftKeyFor } from '#shared/use-cases/docx.ts';
import { seedDocx } from '../support/seed-docx.ts';
import { SEED_SLUG, SITE } from '../support/site.ts';

describe('a Word document as a draft', () => {
  it('gives the seed article: its title, its paragraphs, the photo with its caption', async () => {
    const converted = await convertDocx(await seedDocx());
    expect(converted.title).toBe(
      'Nâng cao năng lực lãnh đạo, sức chiến đấu của Đảng bộ tỉnh - nhiệm vụ trọng tâm, xuyên suốt',
    );
    expect(converted.images.map((i) => [i.name, i.contentType])).toEqual([['anh-1.jpg', 'image/jpeg']]);
    expect(converted.body).toContain(
      '![Phó Bí thư Thường trực Tỉnh ủy Vũ Mạnh Hà thăm hỏi, động viên bà con bản Sin Suối Hồ (xã Sin Suối Hồ, huyện Phong Thổ).](images/anh-1.jpg)',
    );
    expect(converted.body).toContain('**In đậm** và *in nghiêng*');
    expect(converted.body).toMatch(/^Khi chia tách thành lập, tỉnh Lai Châu/);
    // It is a draft the pipeline takes, once the form gives the rest.
    const text = `---\ntitle: ${JSON.stringify(converted.title)}\nsection: xay-dung-dang\nauthor: { name: "Vũ Mạnh Hà" }\nlead: "Sapo."\n---\n\n${converted.body}`;
    const key = draftKeyFor('xay-dung-dang', converted.title ?? '');
    expect(key).toBe(`xay-dung-dang/${SEED_SLUG.slice(0, 80).replace(/-[^-]*$/, '')}.md`);
    const parsed = parseDraft(key, Buffer.from(text), SITE);
    expect(parsed.ok && parsed.draft.images.map((i) => i.key)).toEqual(['xay-dung-dang/images/anh-1.jpg']);
  });

  it('escapes what Markdown would read as markup', async () => {
    const { Document, Packer, Paragraph } = await import('docx');
    const doc = new Document({
      sections: [{ children: [new Paragraph('Tiêu đề'), new Paragraph('Giá *rất* <b>rẻ</b> [x](y)')] }],
    });
    const converted = await convertDocx(await Packer.toBuffer(doc));
    expect(converted.body).toContain('Giá \\*rất\\* \\<b\\>rẻ\\</b\\> \\[x\\](y)');
  });
});

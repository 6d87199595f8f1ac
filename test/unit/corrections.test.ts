import { describe, expect, it } from 'vitest';
import { parsePage } from '../support/html.ts';
import { memoryPipeline } from '../support/memory-pipeline.ts';
import { draftText } from '../support/site.ts';

// A correction carries a visible note: a "Đính chính" notice with its time on the article, the
// CorrectionComment in its structured data, and a line on /dinh-chinh/.

const KEY = 'xa-hoi/cau-treo.md';
const PATH = '/xa-hoi/cau-treo-ban-mo-duoc-khanh-thanh';
const base = { title: 'Cầu treo bản Mồ được khánh thành', publishedAt: '2024-05-01T08:00:00+07:00' };
const NOTE = 'Bài viết trước đây ghi sai tên xã: đúng là xã Sin Suối Hồ.';

async function setup() {
  const p = memoryPipeline();
  await p.init();
  await p.change(KEY, draftText(base));
  const page = () =>
    Buffer.from(p.site.objects.get(`${PATH.slice(1)}/index.html`)?.bytes ?? []).toString('utf8');
  const corrections = () =>
    Buffer.from(p.site.objects.get('dinh-chinh/index.html')?.bytes ?? []).toString('utf8');
  return { p, page, corrections };
}

describe('a correction', () => {
  it('shows on the article with its time, in its JSON-LD, and on /dinh-chinh/', async () => {
    const { p, page, corrections } = await setup();
    expect(corrections()).toContain('Chưa có bài viết nào được đính chính.');
    expect(page()).not.toContain('class="correction"');
    await p.change(
      KEY,
      draftText({ ...base, title: 'Cầu treo bản Mồ được khánh thành đúng hẹn', correction: NOTE }),
    );
    const doc = parsePage(page());
    const [notice] = doc.byClass('correction');
    expect(notice && doc.text(notice)).toMatch(
      /^Đính chính \((Chủ nhật|Thứ (hai|ba|tư|năm|sáu|bảy)), \d{2}\/\d{2}\/\d{4} - \d{2}:\d{2}\): Bài viết trước đây ghi sai tên xã/,
    );
    const script = doc.byTag('script').find((s) => doc.attr(s, 'type') === 'application/ld+json');
    const data = JSON.parse(script ? doc.text(script) : '{}');
    expect(data.correction).toMatchObject({ '@type': 'CorrectionComment', text: NOTE });
    // The headline was corrected in place: the address readers have stays.
    expect(corrections()).toContain(`href="${PATH}"`);
    expect(corrections()).toContain('Bài viết trước đây ghi sai tên xã');
  });

  it('keeps the time the note was first published through later edits; a new note is a new correction', async () => {
    const { p, page } = await setup();
    await p.change(KEY, draftText({ ...base, correction: NOTE }));
    // The notice's own time, as the page states it.
    const time = () => page().match(/class="correction".*?datetime="([^"]+)"/s)?.[1];
    const at = time();
    expect(at).toMatch(/\+07:00$/);
    await p.change(KEY, draftText({ ...base, lead: 'Sapo đã sửa lại.', correction: NOTE }));
    expect(time()).toBe(at);
    await p.change(KEY, draftText({ ...base, correction: `${NOTE} Xin lỗi bạn đọc.` }));
    expect(time()).not.toBe(at);
  });

  it('leaves /dinh-chinh/ when the note is removed or the article taken down', async () => {
    const { p, corrections } = await setup();
    await p.change(KEY, draftText({ ...base, correction: NOTE }));
    expect(corrections()).toContain(PATH);
    await p.change(KEY, draftText(base));
    expect(corrections()).not.toContain(PATH);
    await p.change(KEY, draftText({ ...base, correction: NOTE }));
    await p.change(KEY, undefined);
    expect(corrections()).not.toContain(PATH);
  });

  it('refuses a note over 500 characters, naming the field', async () => {
    const { p } = await setup();
    const [report] = await p.change(KEY, draftText({ ...base, correction: 'đ'.repeat(501) }));
    expect(report?.status).toBe('rejected');
    expect(report?.errors.map((e) => e.field)).toEqual(['correction']);
  });
});

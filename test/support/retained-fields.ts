// Run in a process of its own with --expose-gc (test/unit/text-rules.test.ts): parses drafts, keeps only the
// fields a list or index keeps of each (headline, lead, byline, section, tags), and prints how much heap
// they hold against their own size. A field that is a view of its draft's text would hold that whole text.
import { parseDraft } from '#shared/domain/draft.ts';
import { draftText, SITE } from './site.ts';

declare const gc: () => void;

const COUNT = 2000;
const used = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

/** The fields of draft `i` that a list or index keeps. */
function fieldsOf(i: number): string[] {
  const text = draftText(
    {
      title: `Tin ${i}: Nâng cao năng lực lãnh đạo, sức chiến đấu của Đảng bộ tỉnh`,
      lead: `Sapo ${i}: ${'Toàn tỉnh đã tổ chức quán triệt, học tập các nghị quyết của Đảng. '.repeat(4)}`,
      author: { name: 'Nguyễn Văn Thành', role: 'Phóng viên thường trú' },
      section: 'xay-dung-dang',
      tags: ['Lai Châu', 'Nông thôn mới ở các huyện vùng cao'],
      // A long field the article does not keep (an editor's note): the front matter is large, as it can be.
      ghiChu: `Ghi chú ${i} của biên tập viên về nguồn tin và ảnh. `.repeat(60),
    },
    'Nội dung bài viết. '.repeat(200),
  );
  const parsed = parseDraft(`xay-dung-dang/tin-${i}.md`, new TextEncoder().encode(text), SITE);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  const d = parsed.draft;
  return [d.title, d.lead, d.author.name, d.author.role ?? '', d.section, ...d.tags];
}

// Compiled code and the schema, built on first use, are not what is measured.
for (let i = 0; i < 500; i++) fieldsOf(i);
const kept: string[][] = [];
const before = used();
for (let i = 0; i < COUNT; i++) kept.push(fieldsOf(i));
const held = used() - before;
// What the strings themselves take: two bytes a character at most, and a header each.
const own = kept.flat().reduce((n, s) => n + 2 * s.length + 16, 0);
console.log(JSON.stringify({ heldPerDraft: held / COUNT, ownPerDraft: own / COUNT }));

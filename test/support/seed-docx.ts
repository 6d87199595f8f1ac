import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Document, HeadingLevel, ImageRun, Packer, Paragraph, TextRun } from 'docx';
import { EXAMPLES, SEED_KEY } from './site.ts';

/** The seed article as a reporter would send it in Word: its title, paragraphs, the photo and its caption. */
export async function seedDocx(): Promise<Buffer> {
  const text = readFileSync(join(EXAMPLES, SEED_KEY), 'utf8');
  const [, front = '', body = ''] = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text) ?? [];
  const title = /^title: "(.*)"$/m.exec(front)?.[1] ?? '';
  const photo = readFileSync(join(EXAMPLES, 'xay-dung-dang/images/sin-suoi-ho.jpg'));
  const children: Paragraph[] = [new Paragraph({ text: title, heading: HeadingLevel.TITLE })];
  for (const block of body
    .split(/\n{2,}/)
    .map((b) => b.trim())
    .filter(Boolean)) {
    const image = /^!\[(.*)\]\((.*?)(?: "(.*)")?\)$/.exec(block);
    if (image) {
      children.push(
        new Paragraph({
          children: [new ImageRun({ type: 'jpg', data: photo, transformation: { width: 600, height: 400 } })],
        }),
        new Paragraph({ text: image[1] ?? '', style: 'Caption' }),
      );
      continue;
    }
    children.push(new Paragraph({ children: [new TextRun(block)] }));
  }
  // A little of everything the desk carries over: bold, italic, a list, a link.
  children.push(
    new Paragraph({
      children: [
        new TextRun({ text: 'In đậm', bold: true }),
        new TextRun(' và '),
        new TextRun({ text: 'in nghiêng', italics: true }),
      ],
    }),
  );
  const doc = new Document({
    styles: { paragraphStyles: [{ id: 'Caption', name: 'Caption', run: { italics: true } }] },
    sections: [{ children }],
  });
  return Packer.toBuffer(doc);
}

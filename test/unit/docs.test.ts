import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/site.ts';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as `-`. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

describe('the documentation', () => {
  it('keeps the README short enough to read in five minutes', () => {
    expect(read('README.md').split('\n').length).toBeLessThan(150);
  });

  it.each(DOCS)('%s links only to files and headings that exist', (doc) => {
    // Links in examples (fenced code) are the example's, not the document's.
    const text = read(doc).replace(/^```[\s\S]*?^```/gm, '');
    const links = [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] ?? '');
    for (const link of links.filter((l) => !/^[a-z]+:/.test(l))) {
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? doc : join(dirname(doc), path);
      expect(existsSync(join(ROOT, target)), `${doc} → ${link}`).toBe(true);
      if (anchor && target.endsWith('.md')) {
        const headings = [...read(target).matchAll(/^#+ (.+)$/gm)].map((m) => anchorOf(m[1] ?? ''));
        expect(headings, `${doc} → ${link}`).toContain(anchor);
      }
    }
  });

  it('walks an upload through code that exists, in at most 15 files', () => {
    const hops = [...read('docs/architecture.md').matchAll(/`([\w./-]+\.ts):([\w.]+)`/g)].map((m) => ({
      file: m[1] ?? '',
      name: m[2] ?? '',
    }));
    expect(hops.length).toBeGreaterThan(10);
    for (const { file, name } of hops) {
      expect(existsSync(join(ROOT, file)), file).toBe(true);
      const source = read(file);
      const [owner, member] = name.includes('.') ? name.split('.') : [undefined, name];
      if (owner) expect(source, `${file}:${name}`).toMatch(new RegExp(`class ${owner}\\b`));
      const declared = owner
        ? new RegExp(`^\\s+(?:async\\s+)?\\*?${member}\\(`, 'm')
        : new RegExp(`(?:function\\*?|const|let)\\s+${member}\\b`);
      expect(source, `${file}:${name}`).toMatch(declared);
    }
    expect(new Set(hops.map((h) => h.file)).size).toBeLessThanOrEqual(15);
  });
});

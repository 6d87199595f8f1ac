// What a newsroom's day costs in CloudFront invalidation paths, on the in-memory pipeline (the same use cases
// as in AWS): an archive of 300 articles, then a busy day of 60 new articles, 20 corrections (half of them
// headlines), 5 renames and 5 takedowns, 10 of the new articles with a photo (2 of those taken down).
// Run: npx tsx bench/cdn-cost.ts
import { cdnCacheKey } from '#shared/domain/article.ts';
import { memoryPipeline } from '../test/support/memory-pipeline.ts';
import { draftText, example, SEED_IMAGE_KEY, SITE } from '../test/support/site.ts';

const p = memoryPipeline();
await p.init();
const sections = SITE.sections.map((s) => s.slug);
const draft = (n: number, fields: Record<string, unknown> = {}, body?: string) =>
  draftText(
    {
      title: `Tin số ${n} về đời sống bà con vùng cao`,
      section: sections[n % sections.length],
      // One every half hour, as a paper publishes: the archive's are in the past, the day's new ones after them.
      publishedAt: new Date(Date.UTC(2024, 0, 1) + n * 30 * 60_000).toISOString(),
      ...fields,
    },
    body,
  );
const keyOf = (n: number) => `${sections[n % sections.length]}/tin-${n}.md`;

for (let n = 0; n < 300; n++) await p.change(keyOf(n), draft(n));
const counted = () => p.cdn.invalidated.flat().map(cdnCacheKey).length;
const costs: [string, number, number][] = [];
async function measure(what: string, times: number, step: (i: number) => Promise<unknown>) {
  const before = counted();
  for (let i = 0; i < times; i++) await step(i);
  costs.push([what, times, counted() - before]);
}
const photo = new Uint8Array(example(SEED_IMAGE_KEY));
await measure('new article', 50, (i) => p.change(keyOf(300 + i), draft(300 + i)));
await measure('new article with a photo', 10, async (i) => {
  const n = 350 + i;
  await p.change(`${sections[n % sections.length]}/images/anh-${n}.jpg`, photo);
  return p.change(keyOf(n), draft(n, {}, `Mở đầu.\n\n![Ảnh](images/anh-${n}.jpg "Ảnh: PV")\n`));
});
await measure('correction of the body', 10, (i) =>
  p.change(keyOf(200 + i), draft(200 + i, {}, 'Nội dung đã sửa.')),
);
await measure('correction of the headline', 10, (i) =>
  p.change(keyOf(210 + i), draft(210 + i, { title: `Tin số ${210 + i} (đã sửa tiêu đề)` })),
);
await measure('rename (new slug)', 5, (i) =>
  p.change(keyOf(220 + i), draft(220 + i, { slug: `tin-moi-${i}` })),
);
await measure('takedown', 3, (i) => p.change(keyOf(230 + i), undefined));
await measure('takedown of an article with a photo', 2, (i) => p.change(keyOf(350 + i), undefined));

const total = costs.reduce((sum, [, , paths]) => sum + paths, 0);
console.log('| change | how many | invalidation paths | paths each |');
console.log('|---|---|---|---|');
for (const [what, times, paths] of costs)
  console.log(`| ${what} | ${times} | ${paths} | ${(paths / times).toFixed(1)} |`);
const month = total * 30;
console.log(
  `\nA day: ${total} paths; 30 such days: ${month} paths, US$${(Math.max(0, month - 1000) * 0.005).toFixed(2)} a month after the free 1,000.`,
);

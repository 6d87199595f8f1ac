import sharp from 'sharp';
import { beforeEach, describe, expect, it } from 'vitest';
import { rebuildSite } from '#shared/use-cases/rebuild.ts';
import { memoryPipeline } from '../support/memory-pipeline.ts';
import { draftText, example, SEED_IMAGE_KEY } from '../support/site.ts';

type Pipeline = ReturnType<typeof memoryPipeline>;
let p: Pipeline;

beforeEach(async () => {
  p = memoryPipeline();
  await p.init();
});

const seedPhoto = () => new Uint8Array(example(SEED_IMAGE_KEY));
const withPhoto = (title: string, section: string, src = 'images/anh.jpg', caption = 'Ảnh') =>
  draftText({ title, section }, `Mở đầu.\n\n![${caption}](${src} "Ảnh: PV")\n`);

/** Every site object of photos (originals, renditions, records). */
const media = () => [...p.site.objects.keys()].filter((k) => k.startsWith('media/')).sort();
const invalidated = () => p.cdn.invalidated.flat();

async function publishWithPhoto(key: string, title: string, section: string) {
  const folder = key.slice(0, key.lastIndexOf('/'));
  await p.change(`${folder}/images/anh.jpg`, seedPhoto());
  const [report] = await p.change(key, withPhoto(title, section));
  expect(report?.status).toBe('published');
}

describe("a takedown takes the article's photos down", () => {
  it('removes every size of its photo from the site and the CDN, and brings them back with the article', async () => {
    await publishWithPhoto('xa-hoi/bai-a.md', 'Bài A', 'xa-hoi');
    const published = media();
    expect(published.length).toBeGreaterThan(3); // original, renditions, record
    await p.change('xa-hoi/bai-a.md', undefined);
    expect(media()).toEqual([]);
    for (const key of published) expect(invalidated(), key).toContain(`/${key}`);
    // Uploaded again: published again, in full.
    await p.change('xa-hoi/bai-a.md', withPhoto('Bài A', 'xa-hoi'));
    expect(media()).toEqual(published);
  });

  it('keeps a photo another live article shows, until that one is down too', async () => {
    // The same file beside two drafts in two folders: one photo on the site.
    await publishWithPhoto('xa-hoi/bai-a.md', 'Bài A', 'xa-hoi');
    await publishWithPhoto('kinh-te/bai-b.md', 'Bài B', 'kinh-te');
    const published = media();
    await p.change('xa-hoi/bai-a.md', draftText({ title: 'Bài A', section: 'xa-hoi', status: 'withdrawn' }));
    expect(media()).toEqual(published);
    await p.change('kinh-te/bai-b.md', undefined);
    expect(media()).toEqual([]);
  });

  it('takes a photo off the site when a correction drops it, and only that one', async () => {
    await p.change('xa-hoi/images/anh.jpg', seedPhoto());
    const png = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#c33' } })
      .png()
      .toBuffer();
    await p.change('xa-hoi/images/khac.png', new Uint8Array(png));
    const both = `Mở đầu.\n\n![Ảnh](images/anh.jpg "Ảnh: PV")\n\n![Khác](images/khac.png "Ảnh: PV")\n`;
    await p.change('xa-hoi/bai-a.md', draftText({ title: 'Bài A', section: 'xa-hoi' }, both));
    const jpeg = media().filter((k) => !k.includes('/khac'));
    expect(media().some((k) => k.includes('/khac'))).toBe(true);
    await p.change('xa-hoi/bai-a.md', withPhoto('Bài A', 'xa-hoi'));
    expect(media()).toEqual(jpeg);
  });

  it('takes the photos of an article moved into the future off the site until it is due', async () => {
    await publishWithPhoto('xa-hoi/bai-a.md', 'Bài A', 'xa-hoi');
    const published = media();
    const later = draftText(
      { title: 'Bài A', section: 'xa-hoi', publishedAt: '2030-01-01T08:00:00+07:00' },
      'Mở đầu.\n\n![Ảnh](images/anh.jpg "Ảnh: PV")\n',
    );
    const [scheduled] = await p.change('xa-hoi/bai-a.md', later);
    expect(scheduled?.status).toBe('scheduled');
    expect(media()).toEqual([]);
    await p.fire('xa-hoi/bai-a.md');
    expect(media()).toEqual(published);
  });

  it('stays so through a rebuild', async () => {
    await publishWithPhoto('xa-hoi/bai-a.md', 'Bài A', 'xa-hoi');
    await publishWithPhoto('kinh-te/bai-b.md', 'Bài B', 'kinh-te');
    await p.change('kinh-te/images/khac.jpg', seedPhoto().slice()); // same bytes, another name
    await p.change('xa-hoi/bai-a.md', undefined);
    const kept = media();
    await rebuildSite(p.deps, { now: new Date('2024-06-01T00:00:00Z') });
    expect(media()).toEqual(kept);
    await p.change('kinh-te/bai-b.md', undefined);
    await rebuildSite(p.deps, { now: new Date('2024-06-02T00:00:00Z') });
    expect(media()).toEqual([]);
  });

  it('counts the photos of an article recorded before photos were counted once it is published again', async () => {
    await publishWithPhoto('xa-hoi/bai-a.md', 'Bài A', 'xa-hoi');
    await publishWithPhoto('kinh-te/bai-b.md', 'Bài B', 'kinh-te');
    const published = media();
    await p.index.setPhotosOf('xa-hoi/bai-a', []);
    await p.index.setPhotosOf('kinh-te/bai-b', []);
    // The upgrade's rebuild: every draft applied again.
    await rebuildSite(p.deps, { now: new Date('2024-06-01T00:00:00Z') });
    await p.change('xa-hoi/bai-a.md', undefined);
    expect(media()).toEqual(published); // bai-b shows it: counted by the rebuild
  });

  it('takes down the photos of an article recorded before photos were counted', async () => {
    await publishWithPhoto('xa-hoi/bai-a.md', 'Bài A', 'xa-hoi');
    // As a table written by an earlier version holds it: the record names its photos, nothing counts them.
    await p.index.setPhotosOf('xa-hoi/bai-a', []);
    await p.change('xa-hoi/bai-a.md', undefined);
    expect(media()).toEqual([]);
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import { pageKey } from '#shared/domain/article.ts';
import { reportKey } from '#shared/ports.ts';
import { rebuildSite } from '#shared/use-cases/rebuild.ts';
import { syncChange } from '#shared/use-cases/sync-draft.ts';
import { parsePage } from '../support/html.ts';
import { memoryPipeline } from '../support/memory-pipeline.ts';
import { draftText, EXAMPLE_KEYS, example, SEED_IMAGE_KEY, SEED_KEY, SEED_PATH } from '../support/site.ts';

type Pipeline = ReturnType<typeof memoryPipeline>;

function linksIn(p: Pipeline, path: string, cls = 'teaser'): string[] {
  const markup = p.site.text(pageKey(path));
  if (markup === undefined) throw new Error(`no page at ${path}`);
  const page = parsePage(markup);
  return page.byClass(cls).flatMap((t) => {
    const links = page.elements.filter((e) => e.tagName === 'a' && page.attr(e, 'href') && t !== e);
    return links
      .filter((a) => isInside(a, t))
      .map((a) => page.attr(a, 'href') ?? '')
      .filter((h) => !h.endsWith('/'));
  });
}

/** The links of a list page's pagination, as [rel, href]. */
function navOf(p: Pipeline, path: string): string[][] {
  const page = parsePage(p.site.text(pageKey(path)) ?? '');
  return page
    .byTag('a')
    .filter((a) => page.attr(a, 'rel'))
    .map((a) => [page.attr(a, 'rel') ?? '', page.attr(a, 'href') ?? '']);
}

/** The list pages (section and tag pages) written to the site from now on, taken since the last call. */
function writesOf(p: Pipeline) {
  const written = new Set<string>();
  const put = p.site.put.bind(p.site);
  p.site.put = async (key, body, options) => {
    written.add(key);
    return put(key, body, options);
  };
  return {
    lists() {
      const lists = [...written].filter((k) => /^(xa-hoi\/(index\.html|page\/)|tag\/)/.test(k)).sort();
      written.clear();
      return lists;
    },
  };
}

function isInside(node: { parentNode?: unknown }, ancestor: unknown): boolean {
  for (let n = node.parentNode; n; n = (n as { parentNode?: unknown }).parentNode)
    if (n === ancestor) return true;
  return false;
}

async function publishExamples(p: Pipeline) {
  await p.change(SEED_IMAGE_KEY, example(SEED_IMAGE_KEY));
  for (const key of EXAMPLE_KEYS) await p.change(key, example(key));
}

describe('publishing drafts', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = memoryPipeline();
    await p.init();
  });

  it('publishes the examples: pages, home newest first, sections, related teasers', async () => {
    await publishExamples(p);
    expect(linksIn(p, '/')).toEqual([
      SEED_PATH,
      '/kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia',
      '/giao-duc/no-luc-hoc-tap-ren-luyen',
      '/xa-hoi/can-co-bien-phap-cap-bach-ngan-chan-lua-dao-qua-dien-thoai',
    ]);
    expect(linksIn(p, '/xay-dung-dang/')).toEqual([SEED_PATH]);
    // The seed page shows the three others, nearest in time first, as the seed does.
    expect(linksIn(p, SEED_PATH)).toEqual([
      '/kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia',
      '/giao-duc/no-luc-hoc-tap-ren-luyen',
      '/xa-hoi/can-co-bien-phap-cap-bach-ngan-chan-lua-dao-qua-dien-thoai',
    ]);
    expect(p.drafts.report(SEED_KEY)).toMatchObject({
      status: 'published',
      errors: [],
      url: `https://baolaichau.example${SEED_PATH}`,
    });
    const image = [...p.site.objects.keys()].find((k) => k.startsWith('media/'));
    expect(image).toMatch(/^media\/[0-9a-f]{16}\/sin-suoi-ho\.jpg$/);
    expect(p.site.text(pageKey(SEED_PATH))).toContain(`src="/${image}"`);
  });

  it('publishes the same site whatever order the drafts arrive in', async () => {
    await publishExamples(p);
    const forward = p.snapshot();
    const q = memoryPipeline();
    await q.init();
    for (const key of [...EXAMPLE_KEYS].reverse()) await q.change(key, example(key));
    await q.change(SEED_IMAGE_KEY, example(SEED_IMAGE_KEY));
    expect(q.snapshot()).toEqual(forward);
  });

  it('a rejected draft changes nothing on the site and says why', async () => {
    await publishExamples(p);
    const before = p.snapshot();
    const reports = await p.change('xa-hoi/sai.md', draftText({ title: undefined, section: 'the-gioi' }));
    expect(reports[0]).toMatchObject({ status: 'rejected', draftKey: 'xa-hoi/sai.md' });
    expect(reports[0]?.errors.map((e) => e.field)).toEqual(['title', 'section']);
    expect(p.snapshot()).toEqual(before);
  });

  it('a rejected correction leaves the previous version live', async () => {
    await publishExamples(p);
    const page = p.site.text(pageKey(SEED_PATH));
    const broken = example(SEED_KEY).toString('utf8').replace('section: xay-dung-dang', 'section: khong-co');
    const [report] = await p.change(SEED_KEY, broken);
    expect(report?.status).toBe('rejected');
    expect(p.site.text(pageKey(SEED_PATH))).toBe(page);
    expect(linksIn(p, '/')).toContain(SEED_PATH);
  });

  it('processing the same change again writes nothing', async () => {
    await publishExamples(p);
    const before = p.snapshot();
    let writes = 0;
    const put = p.site.put.bind(p.site);
    p.site.put = async (...args) => {
      writes += 1;
      return put(...args);
    };
    await p.change(SEED_KEY, example(SEED_KEY));
    await p.change(SEED_KEY, Buffer.from(example(SEED_KEY).toString('utf8').normalize('NFD')));
    expect(writes).toBe(0);
    expect(p.snapshot()).toEqual(before);
  });

  it('a correction keeps the URL, shows when it was updated, and lists show the new headline', async () => {
    await publishExamples(p);
    const corrected = example('xa-hoi/ngan-chan-lua-dao-qua-dien-thoai.md')
      .toString('utf8')
      .replace(
        'title: "Cần có biện pháp cấp bách ngăn chặn lừa đảo qua điện thoại"',
        'title: "Cảnh giác lừa đảo qua điện thoại"\nslug: can-co-bien-phap-cap-bach-ngan-chan-lua-dao-qua-dien-thoai',
      );
    await p.change('xa-hoi/ngan-chan-lua-dao-qua-dien-thoai.md', corrected);
    const path = '/xa-hoi/can-co-bien-phap-cap-bach-ngan-chan-lua-dao-qua-dien-thoai';
    const page = parsePage(p.site.text(pageKey(path)) ?? '');
    expect(page.text(page.byTag('h1')[0] as never)).toBe('Cảnh giác lừa đảo qua điện thoại');
    expect(page.text(page.byClass('published')[0] as never)).toMatch(
      /^Thứ bảy, 30\/12\/2023 - 09:15 · Cập nhật: /,
    );
    for (const list of ['/', '/xa-hoi/', SEED_PATH]) {
      expect(p.site.text(pageKey(list)), list).toContain('Cảnh giác lừa đảo qua điện thoại');
      expect(p.site.text(pageKey(list)), list).not.toContain('Cần có biện pháp cấp bách');
    }
  });

  it('deleting a draft takes the article down from its page, every list and every related teaser', async () => {
    await publishExamples(p);
    const path = '/kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia';
    const [report] = await p.change('kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia.md', undefined);
    expect(report?.status).toBe('withdrawn');
    expect(p.site.objects.has(pageKey(path))).toBe(false);
    for (const [key] of p.site.objects) {
      if (key.endsWith('.html')) expect(p.site.text(key), key).not.toContain(`href="${path}"`);
    }
    expect(p.edge.rules.get(path)).toEqual({ status: 410 });
    expect(await p.index.auditOf('kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia')).toMatchObject([
      { action: 'published', path },
      { action: 'taken-down', path, draftKey: 'kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia.md' },
    ]);
  });

  it('an address that was taken down can be used by a new article, and then answers with its page', async () => {
    await p.change('xa-hoi/cu.md', draftText({ title: 'Tin trùng tên' }));
    await p.change('xa-hoi/cu.md', undefined);
    expect(p.edge.rules.get('/xa-hoi/tin-trung-ten')).toEqual({ status: 410 });
    const [report] = await p.change('xa-hoi/moi.md', draftText({ title: 'Tin trùng tên' }));
    expect(report?.status).toBe('published');
    expect(p.edge.rules.has('/xa-hoi/tin-trung-ten')).toBe(false);
    expect(p.site.text(pageKey('/xa-hoi/tin-trung-ten'))).toContain('Tin trùng tên');
  });

  it('status: withdrawn takes an article down and re-publishing brings it back', async () => {
    await publishExamples(p);
    const key = 'giao-duc/no-luc-hoc-tap-ren-luyen.md';
    const text = example(key).toString('utf8');
    await p.change(key, text.replace('section: giao-duc', 'section: giao-duc\nstatus: withdrawn'));
    expect(linksIn(p, '/')).not.toContain('/giao-duc/no-luc-hoc-tap-ren-luyen');
    expect(p.edge.rules.get('/giao-duc/no-luc-hoc-tap-ren-luyen')).toEqual({ status: 410 });
    await p.change(key, text);
    expect(p.edge.rules.has('/giao-duc/no-luc-hoc-tap-ren-luyen')).toBe(false);
    expect(linksIn(p, '/')).toContain('/giao-duc/no-luc-hoc-tap-ren-luyen');
    expect(linksIn(p, SEED_PATH)).toContain('/giao-duc/no-luc-hoc-tap-ren-luyen');
  });

  it('a draft whose image is not there yet is published when the image arrives', async () => {
    const [first] = await p.change(SEED_KEY, example(SEED_KEY));
    expect(first?.status).toBe('rejected');
    expect(first?.errors[0]?.code).toBe('image_missing');
    expect(p.site.objects.has(pageKey(SEED_PATH))).toBe(false);
    const [second] = await p.change(SEED_IMAGE_KEY, example(SEED_IMAGE_KEY));
    expect(second).toMatchObject({ draftKey: SEED_KEY, status: 'published' });
    expect(p.site.objects.has(pageKey(SEED_PATH))).toBe(true);
  });

  it('an image looks again only at the drafts that name it, however many share its folder', async () => {
    for (let i = 0; i < 30; i++)
      await p.change(`xay-dung-dang/tin-${i}.md`, draftText({ title: `Tin ${i}` }));
    await p.change(SEED_KEY, example(SEED_KEY));
    const read: string[] = [];
    const get = p.drafts.get.bind(p.drafts);
    p.drafts.get = (key, limit) => {
      read.push(key);
      return get(key, limit);
    };
    const reports = await p.change(SEED_IMAGE_KEY, example(SEED_IMAGE_KEY));
    expect(reports.map((r) => [r.draftKey, r.status])).toEqual([[SEED_KEY, 'published']]);
    expect(read.filter((k) => k.endsWith('.md'))).toEqual([SEED_KEY]);
    // A draft that no longer names the image is not looked at when it changes again.
    const text = example(SEED_KEY)
      .toString('utf8')
      .replace(/!\[[^\]]*\]\([^)]*\)/g, '');
    expect(text).not.toContain('sin-suoi-ho.jpg');
    await p.change(SEED_KEY, text);
    expect(await p.change(SEED_IMAGE_KEY, example(SEED_IMAGE_KEY))).toEqual([]);
  });

  it('refuses a second article at an address already taken', async () => {
    await p.change('xa-hoi/mot.md', draftText({ title: 'Tin trùng' }));
    const deleted: string[] = [];
    const remove = p.site.delete.bind(p.site);
    p.site.delete = async (keys) => {
      deleted.push(...keys);
      await remove(keys);
    };
    const [report] = await p.change('xa-hoi/hai.md', draftText({ title: 'Tin trùng' }));
    expect(report?.status).toBe('rejected');
    expect(report?.errors[0]).toMatchObject({ field: 'slug', code: 'slug_taken' });
    // The refused draft, and then its deletion, leave the other article's page and address as they were.
    const page = p.site.text(pageKey('/xa-hoi/tin-trung'));
    expect(page).toContain('<h1>Tin trùng</h1>');
    await p.change('xa-hoi/hai.md', undefined);
    expect(p.site.text(pageKey('/xa-hoi/tin-trung'))).toBe(page);
    expect(deleted).not.toContain(pageKey('/xa-hoi/tin-trung'));
    expect(await p.index.holderOf('/xa-hoi/tin-trung')).toBe('xa-hoi/mot');
    expect(p.edge.rules.has('/xa-hoi/tin-trung')).toBe(false);
  });

  it('keeps the address when a correction changes the headline', async () => {
    await p.change('xa-hoi/tin.md', draftText({ title: 'Tin ban đầu' }));
    await p.change('xa-hoi/tin.md', draftText({ title: 'Tin đã sửa tiêu đề' }));
    expect(linksIn(p, '/xa-hoi/')).toEqual(['/xa-hoi/tin-ban-dau']);
    expect(p.site.text(pageKey('/xa-hoi/tin-ban-dau'))).toContain('<h1>Tin đã sửa tiêu đề</h1>');
    expect(p.edge.rules.size).toBe(0);
  });

  it('moves an article when its slug changes: old addresses redirect for good, lists link the new one', async () => {
    await p.change('xa-hoi/tin.md', draftText());
    await p.change('xa-hoi/tin.md', draftText({ slug: 'tin-moi' }));
    expect(p.site.objects.has(pageKey('/xa-hoi/tin-thu-nghiem'))).toBe(false);
    expect(linksIn(p, '/xa-hoi/')).toEqual(['/xa-hoi/tin-moi']);
    expect(p.edge.rules.get('/xa-hoi/tin-thu-nghiem')).toEqual({ status: 301, location: '/xa-hoi/tin-moi' });
    // A second move: both earlier addresses go straight to the newest (no redirect chains).
    await p.change('xa-hoi/tin.md', draftText({ slug: 'tin-moi-nhat', section: 'kinh-te' }));
    expect(p.edge.rules.get('/xa-hoi/tin-thu-nghiem')).toEqual({
      status: 301,
      location: '/kinh-te/tin-moi-nhat',
    });
    expect(p.edge.rules.get('/xa-hoi/tin-moi')).toEqual({ status: 301, location: '/kinh-te/tin-moi-nhat' });
    expect(p.edge.rules.has('/kinh-te/tin-moi-nhat')).toBe(false);
    // The old addresses stay the article's: another article cannot take them.
    const [other] = await p.change('xa-hoi/khac.md', draftText({ title: 'Khác', slug: 'tin-moi' }));
    expect(other?.errors[0]?.code).toBe('slug_taken');
  });

  it('keeps archive pages stable: page 1 holds the first 20, a publish and a takedown rewrite one or two', async () => {
    const minute = (i: number) => new Date(Date.UTC(2024, 0, 2, 1, i)).toISOString();
    const publish = (i: number, at = minute(i)) =>
      p.change(`xa-hoi/tin-${i}.md`, draftText({ title: `Tin số ${i}`, publishedAt: at }));
    for (let i = 0; i < 41; i++) await publish(i);
    const tin = (...ns: number[]) => ns.map((n) => `/xa-hoi/tin-so-${n}`);
    const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, k) => from - k);
    expect(linksIn(p, '/xa-hoi/')).toEqual(tin(...range(40, 21)));
    expect(linksIn(p, '/xa-hoi/page/1')).toEqual(tin(...range(19, 0)));
    expect(linksIn(p, '/xa-hoi/page/2')).toEqual(tin(...range(39, 20)));
    // The third bucket is filling (it holds the 41st): its article is on the front page, and it has no page yet.
    expect(p.site.objects.has(pageKey('/xa-hoi/page/3'))).toBe(false);
    // Read back in time: the front's "Trang sau" goes to the page of the first article it does not show.
    expect(navOf(p, '/xa-hoi/')).toEqual([['next', '/xa-hoi/page/2']]);
    expect(navOf(p, '/xa-hoi/page/2')).toEqual([
      ['prev', '/xa-hoi/'],
      ['next', '/xa-hoi/page/1'],
    ]);
    expect(navOf(p, '/xa-hoi/page/1')).toEqual([['prev', '/xa-hoi/page/2']]);
    expect(p.site.text(pageKey('/xa-hoi/page/2'))).toContain('<h1>Xã hội - Trang 2</h1>');

    const written = writesOf(p);
    await publish(41);
    expect(written.lists()).toEqual(['xa-hoi/index.html']);
    // A takedown leaves a gap in the page that held the article; nothing moves.
    await p.change('xa-hoi/tin-5.md', undefined);
    expect(written.lists()).toEqual(['xa-hoi/page/1/index.html']);
    expect(linksIn(p, '/xa-hoi/page/1')).toEqual(tin(...range(19, 6), ...range(4, 0)));
    // An article dated in the past joins the page of its time.
    await publish(99, new Date(Date.UTC(2024, 0, 2, 1, 5, 30)).toISOString());
    expect(written.lists()).toEqual(['xa-hoi/page/1/index.html']);
    expect(linksIn(p, '/xa-hoi/page/1')).toEqual(tin(...range(19, 6), 99, ...range(4, 0)));
    // The 21st article of the filling bucket opens the next one: the full one gets its page, linked both ways.
    for (let i = 42; i < 60; i++) await publish(i);
    expect(written.lists()).toEqual(['xa-hoi/index.html']);
    await publish(60);
    expect(written.lists()).toEqual([
      'xa-hoi/index.html',
      'xa-hoi/page/2/index.html',
      'xa-hoi/page/3/index.html',
    ]);
    expect(linksIn(p, '/xa-hoi/page/3')).toEqual(tin(...range(59, 40)));
    expect(navOf(p, '/xa-hoi/page/3')).toEqual([
      ['prev', '/xa-hoi/'],
      ['next', '/xa-hoi/page/2'],
    ]);
    expect(navOf(p, '/xa-hoi/page/2')).toEqual([
      ['prev', '/xa-hoi/page/3'],
      ['next', '/xa-hoi/page/1'],
    ]);
  });

  it('lists an article on the page of each of its tags, and follows its corrections and takedown', async () => {
    const tagged = (tags: string[], title = 'Mùa lúa chín ở Phong Thổ') =>
      draftText({ title, tags, publishedAt: '2024-01-03T08:00:00+07:00' });
    await p.change('xa-hoi/lua.md', tagged(['Phong Thổ', 'nông nghiệp']));
    await p.change(
      'kinh-te/che.md',
      draftText({ title: 'Chè Tam Đường', section: 'kinh-te', tags: ['PHONG THỔ'] }),
    );
    expect(linksIn(p, '/tag/phong-tho/')).toEqual([
      '/xa-hoi/mua-lua-chin-o-phong-tho',
      '/kinh-te/che-tam-duong',
    ]);
    expect(linksIn(p, '/tag/nong-nghiep/')).toEqual(['/xa-hoi/mua-lua-chin-o-phong-tho']);
    // The newest article's spelling names the page.
    expect(p.site.text(pageKey('/tag/phong-tho/'))).toContain('<h1>Chủ đề: Phong Thổ</h1>');
    // A correction that drops a tag drops the article from that tag's page; a tag nobody has loses its page.
    await p.change('xa-hoi/lua.md', tagged(['Phong Thổ']));
    expect(p.site.objects.has(pageKey('/tag/nong-nghiep/'))).toBe(false);
    expect(linksIn(p, '/tag/phong-tho/')).toHaveLength(2);
    await p.change('xa-hoi/lua.md', undefined);
    expect(linksIn(p, '/tag/phong-tho/')).toEqual(['/kinh-te/che-tam-duong']);
  });

  it("archives a tag's articles as a section's, however many there are", async () => {
    for (let i = 0; i < 205; i++) {
      const at = new Date(Date.UTC(2024, 0, 1, 0, i)).toISOString().replace('.000Z', '+00:00');
      await p.change(
        `xa-hoi/tin-${i}.md`,
        draftText({ title: `Tin số ${i}`, publishedAt: at, tags: ['Lai Châu'] }),
      );
    }
    expect(linksIn(p, '/tag/lai-chau/')[0]).toBe('/xa-hoi/tin-so-204');
    expect(linksIn(p, '/tag/lai-chau/page/1').at(-1)).toBe('/xa-hoi/tin-so-0');
    expect(linksIn(p, '/tag/lai-chau/page/10')).toHaveLength(20);
    expect(linksIn(p, '/tag/lai-chau/page/10')[0]).toBe('/xa-hoi/tin-so-199');
    // The five newest fill the eleventh bucket: on the front page, with no page of their own yet.
    expect(p.site.objects.has(pageKey('/tag/lai-chau/page/11'))).toBe(false);
    expect(navOf(p, '/tag/lai-chau/')).toEqual([['next', '/tag/lai-chau/page/10']]);
    expect(linksIn(p, '/xa-hoi/page/10')).toEqual(linksIn(p, '/tag/lai-chau/page/10'));
    // A tag no live article has any more has no pages, archive included.
    for (let i = 0; i < 205; i++) await p.change(`xa-hoi/tin-${i}.md`, draftText({ title: `Tin số ${i}` }));
    expect(p.site.objects.has(pageKey('/tag/lai-chau/'))).toBe(false);
    expect(await p.site.list('tag/lai-chau/')).toEqual([]);
  }, 60_000);

  it('a change that failed half-way is redone in full when retried', async () => {
    await publishExamples(p);
    const key = 'xa-hoi/ngan-chan-lua-dao-qua-dien-thoai.md';
    const moved = example(key).toString('utf8').replace('section: xa-hoi', 'section: thoi-su');
    const send = p.render.send.bind(p.render);
    p.render.send = async () => {
      throw new Error('queue unavailable');
    };
    await expect(p.change(key, moved)).rejects.toThrow('queue unavailable');
    expect(p.drafts.report(key)?.status).toBe('failed');
    p.render.send = send;
    // The retry: the same draft, delivered again.
    const [report] = await p.change(key, moved);
    expect(report?.status).toBe('published');
    const newPath = '/thoi-su/can-co-bien-phap-cap-bach-ngan-chan-lua-dao-qua-dien-thoai';
    expect(linksIn(p, '/thoi-su/')).toEqual([newPath]);
    expect(linksIn(p, '/xa-hoi/')).toEqual([]);
    expect(linksIn(p, '/')).toContain(newPath);
    expect(
      p.site.objects.has(pageKey('/xa-hoi/can-co-bien-phap-cap-bach-ngan-chan-lua-dao-qua-dien-thoai')),
    ).toBe(false);
    expect(p.cdn.invalidated.flat()).toContain(
      '/xa-hoi/can-co-bien-phap-cap-bach-ngan-chan-lua-dao-qua-dien-thoai',
    );
    expect((await p.index.get('xa-hoi/ngan-chan-lua-dao-qua-dien-thoai'))?.settled).toBe(true);
  });

  it('a render whose CDN invalidation failed invalidates when the queue delivers it again', async () => {
    await publishExamples(p);
    const key = 'giao-duc/no-luc-hoc-tap-ren-luyen.md';
    const invalidate = p.cdn.invalidate.bind(p.cdn);
    p.cdn.invalidate = async () => {
      throw new Error('throttled');
    };
    await expect(p.change(key, undefined)).rejects.toThrow('throttled');
    p.cdn.invalidate = invalidate;
    await p.deliverRenders();
    expect(p.cdn.invalidated.flat()).toContain('/giao-duc/no-luc-hoc-tap-ren-luyen');
    expect(p.site.objects.has(pageKey('/giao-duc/no-luc-hoc-tap-ren-luyen'))).toBe(false);
    expect(linksIn(p, SEED_PATH)).not.toContain('/giao-duc/no-luc-hoc-tap-ren-luyen');
    expect((await p.index.get('giao-duc/no-luc-hoc-tap-ren-luyen'))?.settled).toBe(true);
  });

  it('a change read before a newer upload never overwrites it, even when both are processed at once', async () => {
    const key = 'xa-hoi/tin.md';
    const v1 = draftText({ title: 'Bản thứ nhất' });
    const v2 = draftText({ title: 'Bản thứ hai' });
    p.drafts.put(key, v1);
    // The first delivery reads version 1, then stalls (a slow instance) until version 2 is uploaded.
    let release: () => void = () => {};
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    const get = p.drafts.get.bind(p.drafts);
    let reads = 0;
    p.drafts.get = async (k) => {
      const object = await get(k);
      if (k === key && ++reads === 1) await stalled;
      return object;
    };
    const first = syncChange(p.deps, { key, eventTime: new Date('2024-01-02T01:00:00Z') });
    await new Promise((r) => setTimeout(r, 5));
    p.drafts.put(key, v2);
    const second = syncChange(p.deps, { key, eventTime: new Date('2024-01-02T01:01:00Z') });
    await new Promise((r) => setTimeout(r, 5));
    release();
    await Promise.all([first, second]);
    await p.deliverRenders();
    expect((await p.index.get('xa-hoi/tin'))?.title).toBe('Bản thứ hai');
    expect(p.site.text(pageKey('/xa-hoi/ban-thu-nhat'))).toContain('<h1>Bản thứ hai</h1>');
    expect(linksIn(p, '/xa-hoi/')).toEqual(['/xa-hoi/ban-thu-nhat']);
  });

  describe('scheduled publishing', () => {
    const future = '2030-01-01T07:00:00+07:00';

    it('keeps an article with a future time off the site, then publishes it on its own at that time', async () => {
      await publishExamples(p);
      const [report] = await p.change(
        'xa-hoi/sap-toi.md',
        draftText({ title: 'Tin sắp tới', publishedAt: future }),
      );
      expect(report).toMatchObject({
        status: 'scheduled',
        scheduledFor: '2030-01-01T00:00:00.000Z',
        errors: [],
      });
      expect(p.site.objects.has(pageKey('/xa-hoi/tin-sap-toi'))).toBe(false);
      expect(linksIn(p, '/')).not.toContain('/xa-hoi/tin-sap-toi');
      expect(p.scheduler.due.get('xa-hoi/sap-toi.md')?.toISOString()).toBe('2030-01-01T00:00:00.000Z');
      const [live] = await p.fire('xa-hoi/sap-toi.md');
      expect(live?.status).toBe('published');
      expect(linksIn(p, '/')[0]).toBe('/xa-hoi/tin-sap-toi');
      expect(p.site.text(pageKey('/xa-hoi/tin-sap-toi'))).toContain('Thứ ba, 01/01/2030 - 07:00');
    });

    it('reschedules when the time changes, and publishes at once when it is brought into the past', async () => {
      const key = 'xa-hoi/doi-gio.md';
      await p.change(key, draftText({ title: 'Đổi giờ', publishedAt: future }));
      await p.change(key, draftText({ title: 'Đổi giờ', publishedAt: '2031-06-01T08:00:00+07:00' }));
      expect(p.scheduler.due.get(key)?.toISOString()).toBe('2031-06-01T01:00:00.000Z');
      const [report] = await p.change(
        key,
        draftText({ title: 'Đổi giờ', publishedAt: '2024-01-01T08:00:00+07:00' }),
      );
      expect(report?.status).toBe('published');
      expect(p.scheduler.due.has(key)).toBe(false);
      expect(linksIn(p, '/xa-hoi/')).toEqual(['/xa-hoi/doi-gio']);
    });

    it('cancels the schedule of a draft that is deleted or withdrawn before its time', async () => {
      await p.change('xa-hoi/huy.md', draftText({ title: 'Huỷ', publishedAt: future }));
      await p.change('xa-hoi/huy.md', undefined);
      expect(p.scheduler.due.has('xa-hoi/huy.md')).toBe(false);
      await p.change('xa-hoi/rut.md', draftText({ title: 'Rút', publishedAt: future }));
      await p.change('xa-hoi/rut.md', draftText({ title: 'Rút', publishedAt: future, status: 'withdrawn' }));
      expect(p.scheduler.due.has('xa-hoi/rut.md')).toBe(false);
    });

    it('takes a live article off the site when its time moves into the future, keeping its address for its return', async () => {
      await publishExamples(p);
      const key = 'giao-duc/no-luc-hoc-tap-ren-luyen.md';
      const path = '/giao-duc/no-luc-hoc-tap-ren-luyen';
      const later = example(key).toString('utf8').replace('2023-12-30T15:00:00+07:00', future);
      const [report] = await p.change(key, later);
      expect(report?.status).toBe('scheduled');
      expect(p.site.objects.has(pageKey(path))).toBe(false);
      expect(p.edge.rules.has(path)).toBe(false);
      expect(linksIn(p, SEED_PATH)).not.toContain(path);
      const [taken] = await p.change(
        'giao-duc/khac.md',
        draftText({ title: 'Khác', section: 'giao-duc', slug: 'no-luc-hoc-tap-ren-luyen' }),
      );
      expect(taken?.errors[0]?.code).toBe('slug_taken');
      await p.fire(key);
      expect(linksIn(p, '/giao-duc/')).toContain(path);
    });
  });

  describe('rebuild', () => {
    const rebuild = () => rebuildSite(p.deps, { now: new Date('2024-06-01T00:00:00Z') });

    it('recreates the edge rules from the table: redirects of renamed articles, 410s of those taken down', async () => {
      const moved = 'xa-hoi/doi-ten.md';
      await p.change(moved, draftText({ title: 'Tên cũ' }));
      await p.change(moved, draftText({ title: 'Tên cũ', slug: 'ten-moi' }));
      const gone = 'kinh-te/go-bo.md';
      await p.change(gone, draftText({ title: 'Bài gỡ', section: 'kinh-te' }));
      await p.change(gone, draftText({ title: 'Bài gỡ', section: 'kinh-te', slug: 'bai-go-2' }));
      await p.change(gone, undefined);
      const rules = new Map(p.edge.rules);
      expect(rules.get('/xa-hoi/ten-cu')).toEqual({ status: 301, location: '/xa-hoi/ten-moi' });
      expect(rules.get('/kinh-te/bai-go')).toEqual({ status: 410 });
      expect(rules.get('/kinh-te/bai-go-2')).toEqual({ status: 410 });
      // The edge store is lost (a new distribution, a deleted store): a rebuild puts back every rule.
      p.edge.rules.clear();
      await rebuild();
      expect(new Map(p.edge.rules)).toEqual(rules);
    });

    it('regenerates the same site, byte for byte, over the existing one or from an empty bucket', async () => {
      await publishExamples(p);
      await p.change(
        'xa-hoi/ngan-chan-lua-dao-qua-dien-thoai.md',
        example('xa-hoi/ngan-chan-lua-dao-qua-dien-thoai.md')
          .toString('utf8')
          .replace('title: "Cần', 'title: "Khẩn: Cần'),
      );
      await p.change('giao-duc/no-luc-hoc-tap-ren-luyen.md', undefined);
      const incremental = p.snapshot();
      await rebuild();
      expect(p.snapshot()).toEqual(incremental);
      await p.site.delete([...p.site.objects.keys()]);
      const result = await rebuild();
      expect(result).toMatchObject({ drafts: 3, removed: 0 });
      expect(p.snapshot()).toEqual(incremental);
    });

    it("leaves an editor's report as it is unless what it says changed", async () => {
      await publishExamples(p);
      const before = p.drafts.report(SEED_KEY);
      await rebuild();
      // The report still names the editor's upload, not the rebuild.
      expect(p.drafts.report(SEED_KEY)).toEqual(before);
      // Also as the S3 store writes reports (with a final newline), and whatever the editor's upload time.
      const stored = { ...before, uploadedAt: '2024-05-01T08:00:00.000Z' };
      p.drafts.put(reportKey(SEED_KEY), `${JSON.stringify(stored, null, 2)}\n`);
      await rebuild();
      expect(p.drafts.report(SEED_KEY)).toEqual(stored);
      // A draft that no longer passes (here: its section left the site's settings) gets a new report.
      const moved = example(SEED_KEY)
        .toString('utf8')
        .replace('section: xay-dung-dang', 'section: khong-con');
      p.drafts.put(SEED_KEY, moved);
      await rebuild();
      expect(p.drafts.report(SEED_KEY)).toMatchObject({
        status: 'rejected',
        uploadedAt: '2024-06-01T00:00:00.000Z',
      });
    });

    it('invalidates the pages it changed once, at the end, and everything at once past its limit', async () => {
      await publishExamples(p);
      // As after a renderer change: every article page is written anew.
      await p.site.delete([...p.site.objects.keys()]);
      p.cdn.invalidated.length = 0;
      await rebuild();
      const articles = [
        SEED_PATH,
        '/kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia',
        '/giao-duc/no-luc-hoc-tap-ren-luyen',
        '/xa-hoi/can-co-bien-phap-cap-bach-ngan-chan-lua-dao-qua-dien-thoai',
      ];
      expect(p.cdn.invalidated).toHaveLength(1);
      expect(p.cdn.invalidated[0]).toEqual(expect.arrayContaining(articles));
      await p.site.delete([...p.site.objects.keys()]);
      p.cdn.invalidated.length = 0;
      await rebuildSite(p.deps, {
        now: new Date('2024-06-01T00:00:00Z'),
        pathsOneByOne: articles.length - 1,
      });
      expect(p.cdn.invalidated).toEqual([['/*']]);
      // Nothing changed: nothing to invalidate.
      p.cdn.invalidated.length = 0;
      await rebuild();
      expect(p.cdn.invalidated).toEqual([]);
    });

    it('catches up with drafts whose events were lost', async () => {
      await publishExamples(p);
      p.drafts.put('xa-hoi/moi.md', draftText({ title: 'Tin chưa xử lý' }));
      p.drafts.remove('kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia.md');
      await rebuild();
      expect(linksIn(p, '/xa-hoi/')).toContain('/xa-hoi/tin-chua-xu-ly');
      expect(linksIn(p, '/')).not.toContain('/kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia');
      expect(p.site.objects.has(pageKey('/kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia'))).toBe(false);
    });
  });

  it('renders lists only once the lagging list indexes show the change that asked for them', async () => {
    const lagging = memoryPipeline({ indexLag: 3 });
    await lagging.init();
    await publishExamples(lagging as Pipeline);
    const corrected = example('kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia.md')
      .toString('utf8')
      .replace('title: "“Gỡ khó” chương trình mục tiêu quốc gia"', 'title: "Gỡ khó cho vùng cao"');
    await lagging.change('kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia.md', corrected);
    await lagging.change('xa-hoi/ngan-chan-lua-dao-qua-dien-thoai.md', undefined);
    // Had a render read the indexes as they were when its job arrived, these would show the old state.
    expect(lagging.site.text(pageKey('/'))).toContain('Gỡ khó cho vùng cao');
    expect(linksIn(lagging as Pipeline, '/')).not.toContain(
      '/xa-hoi/can-co-bien-phap-cap-bach-ngan-chan-lua-dao-qua-dien-thoai',
    );
    expect(linksIn(lagging as Pipeline, SEED_PATH)).toEqual([
      '/kinh-te/go-kho-chuong-trinh-muc-tieu-quoc-gia',
      '/giao-duc/no-luc-hoc-tap-ren-luyen',
    ]);
    expect(lagging.site.text(pageKey(SEED_PATH))).toContain('Gỡ khó cho vùng cao');
  });
});

import { beforeEach, describe, expect, it } from 'vitest';
import { pageKey } from '#shared/domain/article.ts';
import { reportKey } from '#shared/ports.ts';
import { memoryPipeline } from '../support/memory-pipeline.ts';
import { draftText } from '../support/site.ts';

type Pipeline = ReturnType<typeof memoryPipeline>;

const MINUTE = 60_000;
/** Longer than any settle time used here: the lost event would have arrived by then. */
const LATER = 30 * MINUTE;

function counting(p: Pipeline) {
  const calls = { gets: 0, listings: 0 };
  const { drafts } = p;
  const get = drafts.get.bind(drafts);
  const listVersions = drafts.listVersions.bind(drafts);
  drafts.get = (...args) => {
    calls.gets += 1;
    return get(...args);
  };
  drafts.listVersions = (...args) => {
    calls.listings += 1;
    return listVersions(...args);
  };
  return calls;
}

describe('reconcile: what events missed is brought into line', () => {
  let p: Pipeline;
  beforeEach(async () => {
    p = memoryPipeline();
    await p.init();
  });

  it('finds nothing to do on a site every event reached, and reads no draft to know it', async () => {
    for (let i = 0; i < 5; i++) await p.change(`xa-hoi/tin-${i}.md`, draftText({ title: `Tin ${i}` }));
    p.advance(LATER);
    const before = p.snapshot();
    const calls = counting(p);
    const result = await p.reconcile();
    expect(result).toEqual({
      compared: 5,
      differences: { new: 0, changed: 0, removed: 0, due: 0 },
      applied: 0,
      failed: 0,
      complete: true,
    });
    expect(calls).toEqual({ gets: 0, listings: 1 });
    expect(p.snapshot()).toEqual(before);
  });

  // Table: what the bucket holds against what was applied -> the difference found and the site after.
  it.each([
    {
      name: 'an upload whose event was lost is published',
      before: async (_p: Pipeline) => {},
      lost: (q: Pipeline) => q.lostEvent('xa-hoi/moi.md', draftText({ title: 'Tin mất sự kiện' })),
      found: 'new',
      page: ['/xa-hoi/tin-mat-su-kien', true],
    },
    {
      name: 'a correction whose event was lost is applied',
      before: (q: Pipeline) => q.change('xa-hoi/sua.md', draftText({ title: 'Bản đầu' })).then(() => {}),
      lost: (q: Pipeline) => q.lostEvent('xa-hoi/sua.md', draftText({ title: 'Bản đầu' }, 'Đã sửa lại.')),
      found: 'changed',
      page: ['/xa-hoi/ban-dau', 'Đã sửa lại.'],
    },
    {
      name: 'a deletion whose event was lost takes the article down',
      before: (q: Pipeline) => q.change('xa-hoi/xoa.md', draftText({ title: 'Sẽ bị xoá' })).then(() => {}),
      lost: (q: Pipeline) => q.lostEvent('xa-hoi/xoa.md', undefined),
      found: 'removed',
      page: ['/xa-hoi/se-bi-xoa', false],
    },
  ] as const)('$name', async ({ before, lost, found, page }) => {
    await before(p);
    lost(p);
    p.advance(LATER);
    const result = await p.reconcile();
    expect(result.differences).toEqual({ new: 0, changed: 0, removed: 0, due: 0, [found]: 1 });
    expect(result.applied).toBe(1);
    const [path, expected] = page;
    const markup = p.site.text(pageKey(path));
    if (expected === false) expect(markup).toBeUndefined();
    else if (expected === true) expect(markup).toBeDefined();
    else expect(markup).toContain(expected);
    // Brought into line, it is no difference any more.
    expect((await p.reconcile()).differences).toEqual({ new: 0, changed: 0, removed: 0, due: 0 });
  });

  it('publishes a scheduled draft whose scheduled delivery never came', async () => {
    const key = 'xa-hoi/hen-gio.md';
    const [report] = await p.change(
      key,
      draftText({ title: 'Tin hẹn giờ', publishedAt: '2024-05-19T12:00:00+07:00' }),
    );
    expect(report?.status).toBe('scheduled');
    // The schedule fires into a failure (or never): nothing but the reconcile brings it.
    p.scheduler.due.delete(key);
    p.advance(6 * 60 * MINUTE);
    expect((await p.reconcile()).differences.due).toBe(1);
    expect(p.site.text(pageKey('/xa-hoi/tin-hen-gio'))).toContain('Tin hẹn giờ');
    expect(p.drafts.report(key)?.status).toBe('published');
    expect((await p.reconcile()).differences.due).toBe(0);
  });

  it('leaves a draft that is not due yet, and one whose event may still be on its way', async () => {
    await p.change('xa-hoi/sau.md', draftText({ title: 'Để sau', publishedAt: '2030-01-01T08:00:00+07:00' }));
    p.lostEvent('xa-hoi/vua-gui.md', draftText({ title: 'Vừa gửi' }));
    const result = await p.reconcile({ settleMs: 10 * MINUTE });
    expect(result.differences).toEqual({ new: 0, changed: 0, removed: 0, due: 0 });
    expect(p.site.text(pageKey('/xa-hoi/vua-gui'))).toBeUndefined();
  });

  it('works within its budget and resumes where it stopped, until every upload is in line', async () => {
    for (let i = 0; i < 7; i++) p.lostEvent(`xa-hoi/lo-${i}.md`, draftText({ title: `Lỡ ${i}` }));
    p.advance(LATER);
    const runs = [];
    for (let run = 0; run < 4; run++) runs.push(await p.reconcile({ budget: 3 }));
    expect(runs.map((r) => [r.applied, r.complete])).toEqual([
      [3, false],
      [3, false],
      [1, true],
      [0, true],
    ]);
    for (let i = 0; i < 7; i++) expect(p.drafts.report(`xa-hoi/lo-${i}.md`)?.status).toBe('published');
  });

  it('stops before a change when told to (the function is out of time), losing nothing', async () => {
    for (let i = 0; i < 3; i++) p.lostEvent(`xa-hoi/gio-${i}.md`, draftText({ title: `Giờ ${i}` }));
    p.advance(LATER);
    let left = 1;
    const first = await p.reconcile({ stop: () => left-- <= 0 });
    expect([first.applied, first.complete]).toEqual([1, false]);
    const second = await p.reconcile();
    expect([second.applied, second.complete]).toEqual([2, true]);
  });

  it('re-publishes the drafts using an image whose upload event was lost', async () => {
    const key = 'xa-hoi/cho-anh.md';
    const [report] = await p.change(key, draftText({ title: 'Chờ ảnh' }, '![Ảnh](images/anh.jpg)'));
    expect(report?.status).toBe('rejected');
    const { default: sharp } = await import('sharp');
    const jpeg = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#369' } })
      .jpeg()
      .toBuffer();
    p.lostEvent('xa-hoi/images/anh.jpg', new Uint8Array(jpeg));
    p.advance(LATER);
    expect((await p.reconcile()).differences.new).toBe(1);
    expect(p.drafts.report(key)?.status).toBe('published');
    expect(p.drafts.objects.has(reportKey(key))).toBe(true);
  });

  it('retries next run an upload whose change failed, and counts it', async () => {
    p.lostEvent('xa-hoi/hong.md', draftText({ title: 'Hỏng tạm thời' }));
    p.advance(LATER);
    const put = p.site.put.bind(p.site);
    p.site.put = async () => {
      throw new Error('S3 is down');
    };
    const failed = await p.reconcile();
    expect([failed.failed, failed.applied]).toEqual([1, 0]);
    p.site.put = put;
    const healed = await p.reconcile();
    expect([healed.differences.new, healed.applied]).toEqual([1, 1]);
    expect(p.site.text(pageKey('/xa-hoi/hong-tam-thoi'))).toBeDefined();
  });
});

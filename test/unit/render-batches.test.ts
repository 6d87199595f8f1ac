import { describe, expect, it } from 'vitest';
import { messageGroupOf } from '#shared/adapters/sqs/render-queue.ts';
import type { RenderJob } from '#shared/ports.ts';
import { makeRenderHandler } from '../../functions/render/handler.ts';
import { memoryPipeline } from '../support/memory-pipeline.ts';
import { draftText } from '../support/site.ts';
import { sqsEvent } from '../support/sqs-events.ts';

/** A FIFO delivery of render jobs, each message in its view's group, as the render-jobs queue hands them over. */
const delivery = (jobs: readonly RenderJob[]) =>
  sqsEvent(
    jobs.map((job) => JSON.stringify(job)),
    jobs.map((job) => messageGroupOf(job.view)),
  );

describe('render deliveries', () => {
  it("hands back only a failed view's messages; the other views render", async () => {
    const p = memoryPipeline();
    await p.init();
    await p.change('xa-hoi/tin.md', draftText({ title: 'Tin xã hội' }));
    await p.change('kinh-te/tin.md', draftText({ title: 'Tin kinh tế', section: 'kinh-te' }));
    // Gone from the bucket, so that each view must write its page again.
    await p.site.delete(['index.html', 'xa-hoi/index.html', 'kinh-te/index.html']);
    // The section page of kinh-te cannot be written; the rest can.
    const put = p.site.put.bind(p.site);
    p.site.put = async (key, body, options) => {
      if (key.startsWith('kinh-te/index.html')) throw new Error('S3 is down');
      return put(key, body, options);
    };
    const writes: string[] = [];
    const counting = p.site.put.bind(p.site);
    p.site.put = async (key, body, options) => {
      writes.push(key);
      return counting(key, body, options);
    };
    const render = makeRenderHandler(p.deps);
    const response = await render(
      delivery([
        { view: 'section/kinh-te' },
        { view: 'home' },
        { view: 'section/kinh-te' },
        { view: 'section/xa-hoi' },
        { view: 'home' },
      ]),
    );
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm0' }, { itemIdentifier: 'm2' }] });
    // Each view that could render did, once for all its messages; the failed one is still to come.
    expect(writes.filter((k) => k === 'xa-hoi/index.html')).toHaveLength(1);
    expect(writes.filter((k) => k === 'index.html')).toHaveLength(1);
    expect(p.site.text('xa-hoi/index.html')).toContain('Tin xã hội');
    expect(p.site.text('kinh-te/index.html')).toBeUndefined();
  });
});

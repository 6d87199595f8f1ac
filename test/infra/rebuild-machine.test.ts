import { createHash } from 'node:crypto';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryOpsMetrics, MemoryRebuildWork } from '#shared/adapters/memory/index.ts';
import { makeIngestHandler } from '../../functions/ingest/handler.ts';
import {
  APPLY_BATCH,
  RENDER_BATCH,
  RebuildMachine,
  SWEEP_BATCH,
  WITHDRAWN_SEGMENTS,
} from '../../infra/constructs/rebuild-machine.ts';
import { runStateMachine } from '../../local/state-machine.ts';
import { memoryPipeline, silentLog } from '../support/memory-pipeline.ts';
import { draftText, EXAMPLE_KEYS, example, SEED_IMAGE_KEY } from '../support/site.ts';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

/** The rebuild state machine as the stack defines it, with its buckets and function named plainly. */
function machine(concurrency = 7) {
  const stack = new Stack(new App(), 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  const rebuild = new RebuildMachine(stack, 'Rebuild', {
    ingest: LambdaFunction.fromFunctionArn(
      stack,
      'Ingest',
      'arn:aws:lambda:us-east-1:123456789012:function:ingest',
    ),
    drafts: Bucket.fromBucketName(stack, 'Drafts', 'drafts'),
    site: Bucket.fromBucketName(stack, 'Site', 'site'),
    concurrency,
    logRetention: RetentionDays.ONE_MONTH,
  });
  const template = Template.fromStack(stack);
  const [resource] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const workId = stack.getLogicalId(rebuild.work.node.defaultChild as never);
  const parts = resource?.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const ref = (p as { Ref?: string }).Ref;
      if (ref === workId) return 'work';
      if (ref === 'AWS::Partition') return 'aws';
      throw new Error(`unexpected token ${JSON.stringify(p)}`);
    })
    .join('');
  return { template, definition: JSON.parse(text) as Record<string, unknown> };
}

/**
 * Runs the definition against a memory pipeline as Step Functions would: its tasks through the ingest
 * handler, its S3 item readers over the pipeline's buckets (with ETags as S3 lists them) and the work kept.
 */
function runAgainst(
  p: ReturnType<typeof memoryPipeline>,
  definition: Record<string, unknown>,
  execution: { Name: string; StartTime: string },
  trace?: string[],
) {
  const work = new MemoryRebuildWork();
  const handler = makeIngestHandler({
    ...p.deps,
    draftsBucket: 'drafts',
    log: silentLog,
    metrics: new MemoryOpsMetrics(),
    rebuildWork: work,
  });
  const objects = (bucket: string) => [...(bucket === 'drafts' ? p.drafts.objects : p.site.objects)];
  return runStateMachine(definition, {
    invoke: (payload) => handler(payload as never),
    listObjects: async (bucket) =>
      objects(bucket)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([Key, value]) =>
          bucket === 'drafts' ? { Key, Etag: `"${md5(value as Uint8Array)}"` } : { Key },
        ),
    getJson: async (bucket, key) => {
      expect(bucket).toBe('work');
      return JSON.parse(work.kept.get(key) ?? 'null');
    },
    execution,
    concurrency: 3,
    ...(trace ? { trace } : {}),
  });
}

describe('the rebuild state machine', () => {
  let template: Template;
  let definition: Record<string, unknown>;
  beforeAll(() => {
    ({ template, definition } = machine());
  });

  it('maps over the drafts bucket, the plan of views and the site bucket in bounded batches', () => {
    const states = definition.States as Record<string, Record<string, unknown>>;
    const map = (name: string) => states[name] as Record<string, unknown>;
    expect(map('Apply every draft')).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 7,
      ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { Bucket: 'drafts' } },
      ItemBatcher: {
        MaxItemsPerBatch: APPLY_BATCH,
        BatchInput: { 'run.$': '$$.Execution.Name', 'now.$': '$$.Execution.StartTime' },
      },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' } },
    });
    expect(map('Render every view')).toMatchObject({
      MaxConcurrency: 7,
      ItemReader: {
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { Bucket: 'work', 'Key.$': '$.plan.key' },
      },
      ItemBatcher: { MaxItemsPerBatch: RENDER_BATCH },
    });
    expect(map('Sweep the site')).toMatchObject({
      ItemReader: { Parameters: { Bucket: 'site' } },
      ItemBatcher: { MaxItemsPerBatch: SWEEP_BATCH },
    });
    expect(map('Answer 410 again')).toMatchObject({ MaxConcurrency: WITHDRAWN_SEGMENTS });
    // No map tolerates a failed batch: the execution fails, and a redrive resumes it there.
    for (const state of Object.values(states)) {
      if (state.Type === 'Map') expect(state.ToleratedFailurePercentage ?? 0).toBe(0);
    }
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 14, Status: 'Enabled' })] },
    });
  });

  it('run as defined, its steps in the ingest function give the incremental site, byte for byte', async () => {
    const p = memoryPipeline();
    await p.init();
    await p.change(SEED_IMAGE_KEY, example(SEED_IMAGE_KEY));
    for (const key of EXAMPLE_KEYS) await p.change(key, example(key));
    for (let i = 0; i < 45; i++) {
      const at = new Date(Date.UTC(2024, 0, 3, 1, i)).toISOString();
      await p.change(
        `xa-hoi/tin-${i}.md`,
        draftText({ title: `Tin số ${i}`, publishedAt: at, tags: ['Lai Châu'] }),
      );
    }
    await p.change('xa-hoi/tin-7.md', undefined);
    await p.change('giao-duc/no-luc-hoc-tap-ren-luyen.md', undefined);
    const incremental = p.snapshot();

    const trace: string[] = [];
    const run = () =>
      runAgainst(
        p,
        definition,
        { Name: `rebuild-${trace.length}`, StartTime: '2024-05-20T00:00:00.000Z' },
        trace,
      );
    // Over the existing site, then from an empty bucket.
    await run();
    expect(p.snapshot()).toEqual(incremental);
    await p.site.delete([...p.site.objects.keys()]);
    await run();
    expect(p.snapshot()).toEqual(incremental);
    expect(new Set(trace)).toEqual(
      new Set([
        'Write the site frame',
        'Apply a batch of drafts',
        'Catch up with lost removals',
        'Answer 410 for a part of the table',
        'Plan every view',
        'Render a batch of views',
        'Sweep a batch of site objects',
        'Finish',
      ]),
    );
    expect(p.cdn.invalidated.at(-1)).toEqual(['/*']);
  }, 60_000);

  it('sweeps pages no view owns: an article gone without its event, a tag no article has', async () => {
    const p = memoryPipeline();
    await p.init();
    await p.change(
      'xa-hoi/a.md',
      draftText({ title: 'Bài A', tags: ['Sìn Hồ'], publishedAt: '2024-02-01T08:00:00+07:00' }),
    );
    await p.change('xa-hoi/b.md', draftText({ title: 'Bài B', publishedAt: '2024-02-02T08:00:00+07:00' }));
    // The draft is deleted and its event lost: the catch-up step takes the article down.
    p.lostEvent('xa-hoi/a.md', undefined);
    p.advance(60 * 60_000);
    await runAgainst(p, definition, { Name: 'rebuild', StartTime: '2024-05-19T06:00:00.000Z' });
    expect(p.site.objects.has('xa-hoi/bai-a/index.html')).toBe(false);
    expect(await p.site.list('tag/sin-ho/')).toEqual([]);
    expect(p.site.objects.has('xa-hoi/bai-b/index.html')).toBe(true);
    expect(p.edge.rules.get('/xa-hoi/bai-a')).toEqual({ status: 410 });
  });
});

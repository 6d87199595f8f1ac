import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { synthesize } from '../../local/synth.ts';
import { draftText } from '../support/site.ts';
import { s3Of } from '../support/stand-ins.ts';

/**
 * The CDK app with one grant taken away (test/support/apps/render-without-page-writes.ts: the render role
 * may no longer put pages in the site bucket), synthesized as ops would synthesize it. Nothing local is
 * edited: the local stack built from it refuses the render function's writes with S3's own error, the
 * render jobs are retried and dead-lettered, and the dead letters' alarm goes off, as they would in AWS.
 */
describe('a deployment whose render role lost its write to the site bucket', () => {
  let stack: LocalStack;
  let dataDir: string;
  const lines: string[] = [];

  beforeAll(async () => {
    const assemblyDir = await synthesize({ app: 'test/support/apps/render-without-page-writes.ts' });
    dataDir = mkdtempSync(join(tmpdir(), 'newsroom-least-privilege-'));
    stack = await startLocalStack({
      assemblyDir,
      dataDir,
      s3Port: 0,
      dynamoPort: 0,
      sitePort: 0,
      // A changed app's report is not the app's: it stays out of the test run's access report.
      accessReportDir: '',
      log: (line) => lines.push(line),
    });
    await s3Of(stack).send(
      new PutObjectCommand({
        Bucket: stack.names.draftsBucket,
        Key: 'kinh-te/bai-moi.md',
        Body: draftText({ title: 'Gỡ khó cho doanh nghiệp', section: 'kinh-te' }),
      }),
    );
    await stack.whenIdle();
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses the render function's page writes with S3's AccessDenied, naming the role and the page", async () => {
    const render = (await stack.accessReport()).callers['Render/Role'];
    expect(render?.actions['s3:PutObject']?.allowed ?? 0).toBe(0);
    expect(render?.actions['s3:PutObject']?.refused).toBeGreaterThan(0);
    expect(render?.refusals.join('\n')).toMatch(
      new RegExp(
        `is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::${stack.names.siteBucket}/\\S+ because no identity-based policy allows the s3:PutObject action`,
      ),
    );
    // The function's own error says so too, as its log would in CloudWatch.
    expect(lines.some((l) => l.includes('AccessDenied'))).toBe(true);
  });

  it('retries each render job and then keeps it in the dead letters, where the alarm sees it', async () => {
    const deadLetters = join(dataDir, 'dead-letters');
    const renderDeadLetters = existsSync(deadLetters)
      ? readFileSync(
          join(
            deadLetters,
            `${(await stack.alarms()).find((a) => a.name.startsWith('RenderJobsDeadLetters'))?.queue}.jsonl`,
          ),
          'utf8',
        )
      : '';
    expect(renderDeadLetters.trim().split('\n').length).toBeGreaterThan(0);
    expect(renderDeadLetters).toContain('kinh-te');
    const alarm = (await stack.alarms()).find((a) => a.name.startsWith('RenderJobsDeadLetters'));
    expect(alarm).toMatchObject({ state: 'ALARM', metric: 'ApproximateNumberOfMessagesVisible' });
    expect(alarm?.value).toBeGreaterThanOrEqual(alarm?.threshold ?? 1);
    // CloudWatch may publish it to the ops topic (the topic's and the key's policies let it).
    const sent = readFileSync(join(dataDir, 'alarm-notifications.jsonl'), 'utf8');
    expect(sent).toContain(alarm?.name);
    // The ingest function kept its own grants: the article page and the editor's report exist.
    const report = await s3Of(stack).send(
      new GetObjectCommand({ Bucket: stack.names.draftsBucket, Key: 'reports/kinh-te/bai-moi.md.json' }),
    );
    expect(JSON.parse((await report.Body?.transformToString()) ?? '{}')).toMatchObject({
      status: 'published',
    });
  });

  it('leaves the readers without the lists render could not write', async () => {
    const home = await fetch(`${stack.siteUrl}/kinh-te/`);
    expect(await home.text()).not.toContain('Gỡ khó cho doanh nghiệp');
  });
});

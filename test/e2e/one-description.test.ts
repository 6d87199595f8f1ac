import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { synthesize } from '../../local/synth.ts';
import { draftText } from '../support/site.ts';
import { s3Of } from '../support/stand-ins.ts';

// biome-ignore lint/suspicious/noExplicitAny: a template is JSON of any shape; each edit names what it changes.
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };

/**
 * The CDK app's description with three things taken out, as a change to the app would leave them out: the
 * distribution's `/api/*` behaviour, the desk function's `DESK_CLIENT_ID`, and the article table's section
 * index. Nothing local is edited: the local stack built from it fails where AWS would.
 */
function withoutThreeThings(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'newsroom-changed-app-'));
  // The templates are edited; the bundles are the same, so they are linked rather than copied.
  for (const entry of readdirSync(source)) {
    if (entry.endsWith('.template.json') || entry === 'manifest.json')
      cpSync(join(source, entry), join(dir, entry));
    else cpSync(join(source, entry), join(dir, entry), { recursive: true, verbatimSymlinks: true });
  }
  const edit = (file: string, change: (t: Template) => void) => {
    const path = join(dir, file);
    const template = JSON.parse(readFileSync(path, 'utf8')) as Template;
    change(template);
    writeFileSync(path, JSON.stringify(template));
  };
  edit('NewsroomPipeline.template.json', (t) => {
    for (const r of Object.values(t.Resources)) {
      if (r.Type === 'AWS::CloudFront::Distribution') {
        const config = r.Properties.DistributionConfig;
        config.CacheBehaviors = config.CacheBehaviors.filter(
          (b: { PathPattern: string }) => b.PathPattern !== '/api/*',
        );
      }
      if (
        r.Type === 'AWS::Lambda::Function' &&
        r.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'desk'
      ) {
        delete r.Properties.Environment.Variables.DESK_CLIENT_ID;
      }
    }
  });
  edit('NewsroomState.template.json', (t) => {
    for (const r of Object.values(t.Resources)) {
      if (r.Type === 'AWS::DynamoDB::GlobalTable' && r.Properties.TableName === 'newsroom-articles') {
        r.Properties.GlobalSecondaryIndexes = r.Properties.GlobalSecondaryIndexes.filter(
          (i: { IndexName: string }) => i.IndexName !== 'bySection',
        );
        r.Properties.Replicas[0].GlobalSecondaryIndexes =
          r.Properties.Replicas[0].GlobalSecondaryIndexes.filter(
            (i: { IndexName: string }) => i.IndexName !== 'bySection',
          );
      }
    }
  });
  return dir;
}

describe('the local stack, from a description that lacks a behaviour, a variable and an index', () => {
  let stack: LocalStack;
  let dataDir: string;
  let assemblyDir: string;

  beforeAll(async () => {
    assemblyDir = withoutThreeThings(await synthesize());
    dataDir = mkdtempSync(join(tmpdir(), 'newsroom-changed-'));
    stack = await startLocalStack({ assemblyDir, dataDir, s3Port: 0, dynamoPort: 0, sitePort: 0 });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(assemblyDir, { recursive: true, force: true });
  });

  it('refuses a comment post as CloudFront does when no behaviour takes POST for the path', async () => {
    const res = await fetch(`${stack.siteUrl}/api/comments`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'article=x&name=a&text=b',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('not configured to allow the HTTP request method');
  });

  it('answers every desk call with 500 when the desk function cannot start without its variable', async () => {
    const res = await fetch(`${stack.siteUrl}/desk/api/sign-in`, {
      method: 'POST',
      body: JSON.stringify({ username: 'bientap', password: 'x' }),
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('fails the publish that needs the missing index, and keeps its message in the dead letters', async () => {
    const s3 = s3Of(stack);
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.names.draftsBucket,
        Key: 'kinh-te/bai-moi.md',
        Body: draftText({ title: 'Bài mới', section: 'kinh-te' }),
      }),
    );
    await stack.whenIdle();
    s3.destroy();
    // The article's related teasers come from the section's index: DynamoDB refuses the Query, every try.
    expect((await fetch(`${stack.siteUrl}/kinh-te/bai-moi`)).status).toBe(404);
    const deadLetters = join(dataDir, 'dead-letters');
    const kept = existsSync(deadLetters) ? readdirSync(deadLetters) : [];
    expect(kept.join()).toMatch(/DeadLetters/);
    expect(kept.map((f) => readFileSync(join(deadLetters, f), 'utf8')).join()).toContain('bai-moi');
    const section = await fetch(`${stack.siteUrl}/kinh-te/`);
    expect(await section.text()).not.toContain('Bài mới');
  }, 120_000);
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTICLE_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { awsShapedResolver, readCloudAssembly, resourcesOfType } from '../../local/cloud-assembly.ts';
import { Authorizer } from '../../local/iam/authorizer.ts';
import { type IamModel, type Identity, iamModel } from '../../local/iam/model.ts';
import { accessReport } from '../../local/iam/report.ts';
import { ensureTable } from '../../local/stack.ts';
import { type StandIns, startStandIns } from '../../local/stand-ins.ts';
import { synthesize } from '../../local/synth.ts';

/**
 * The stand-ins decide each call by the synthesized template's policies, as IAM would: the caller known by
 * the access key it signs with, its role's grants and their conditions, the bucket's own policy; a refusal
 * is the service's own error, which the SDK raises as it would in AWS.
 */
let dir: string;
let model: IamModel;
let standIns: StandIns;
let names: { drafts: string; site: string; articles: string };
const clients: { destroy(): void }[] = [];

beforeAll(async () => {
  const assembly = readCloudAssembly(await synthesize());
  const resolver = awsShapedResolver({ assembly });
  const distribution = resourcesOfType(assembly, 'AWS::CloudFront::Distribution')[0];
  model = iamModel(assembly, resolver, {
    enforce: true,
    services: {
      'cloudfront.amazonaws.com': {
        'aws:SourceArn': `arn:aws:cloudfront::000000000000:distribution/${distribution ? resolver.ref(distribution) : ''}`,
      },
    },
  });
  const buckets = resourcesOfType(assembly, 'AWS::S3::Bucket').map((b) => resolver.ref(b));
  const tables = [
    ...resourcesOfType(assembly, 'AWS::DynamoDB::GlobalTable'),
    ...resourcesOfType(assembly, 'AWS::DynamoDB::Table'),
  ];
  names = {
    drafts: buckets.find((b) => b.includes('-drafts-')) ?? '',
    site: buckets.find((b) => b.includes('-site-')) ?? '',
    articles: tables
      .filter((t) => t.logicalId.startsWith('Articles'))
      .map((t) => resolver.ref(t))
      .join(''),
  };
  dir = mkdtempSync(join(tmpdir(), 'newsroom-iam-'));
  standIns = await startStandIns({
    s3Dir: join(dir, 's3'),
    s3Port: 0,
    dynamoPort: 0,
    buckets,
    versionedBuckets: [names.drafts],
    iam: model,
  });
  const admin = dynamoAs(identity('deployment'));
  for (const table of tables)
    await ensureTable(admin.dynamo, resolver.ref(table), table.resource.Properties ?? {});
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await standIns?.close();
  rmSync(dir, { recursive: true, force: true });
});

function identity(name: string): Identity {
  const found = model.identities.find((i) => i.name === name);
  if (!found) throw new Error(`no ${name}: ${model.identities.map((i) => i.name).join(', ')}`);
  return found;
}

const credentials = (who: Identity) => ({
  accessKeyId: who.accessKeyId,
  secretAccessKey: who.secretAccessKey,
  ...(who.sessionToken ? { sessionToken: who.sessionToken } : {}),
});

function s3As(who: Identity | { accessKeyId: string; secretAccessKey: string }): S3Client {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: standIns.s3Endpoint,
    forcePathStyle: true,
    credentials: 'policies' in who ? credentials(who) : who,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

function dynamoAs(who: Identity | { accessKeyId: string; secretAccessKey: string }) {
  const dynamo = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: standIns.dynamoEndpoint,
    credentials: 'policies' in who ? credentials(who) : who,
    maxAttempts: 1,
  });
  clients.push(dynamo);
  return { dynamo, documents: DynamoDBDocumentClient.from(dynamo) };
}

/** The error name the SDK raises for a call, or 'ok'. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (err) {
    return (err as { name?: string }).name ?? String(err);
  }
}

const put = (bucket: () => string, key: string) => (s3: S3Client) =>
  s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: 'x' }));
const putItem = (pk: string) => (d: DynamoDBDocumentClient) =>
  d.send(new PutCommand({ TableName: names.articles, Item: { pk, sk: 'x' } }));

describe('S3 decides by the role, the condition and the bucket policy', () => {
  const drafts = () => names.drafts;
  const site = () => names.site;
  it.each([
    ['Ingest/Role', 'writes a report', put(drafts, 'reports/kinh-te/a.md.json'), 'ok'],
    ['Ingest/Role', 'writes a draft (only reports are its)', put(drafts, 'kinh-te/a.md'), 'AccessDenied'],
    ['Render/Role', 'writes a page', put(site, 'kinh-te/a/index.html'), 'ok'],
    ['Render/Role', 'writes a draft', put(drafts, 'kinh-te/b.md'), 'AccessDenied'],
    ['editor (bientap)', 'uploads a draft', put(drafts, 'kinh-te/c.md'), 'ok'],
    [
      'editor (bientap)',
      'forges a report (denied outright)',
      put(drafts, 'reports/kinh-te/c.md.json'),
      'AccessDenied',
    ],
    ['editor (bientap)', 'writes the site', put(site, 'index.html'), 'AccessDenied'],
    [
      'Desk/Function/Role',
      'lists the drafts',
      (s3: S3Client) => s3.send(new ListObjectsV2Command({ Bucket: names.drafts, Prefix: 'kinh-te/' })),
      'ok',
    ],
    [
      'cloudfront.amazonaws.com',
      'reads a page for the distribution',
      (s3: S3Client) => s3.send(new GetObjectCommand({ Bucket: names.site, Key: 'kinh-te/a/index.html' })),
      'ok',
    ],
    [
      'cloudfront.amazonaws.com',
      'reads a draft',
      (s3: S3Client) => s3.send(new GetObjectCommand({ Bucket: names.drafts, Key: 'kinh-te/c.md' })),
      'AccessDenied',
    ],
    [
      'deployment',
      "deletes a draft's version (the bucket keeps every version from everyone but break-glass)",
      (s3: S3Client) =>
        s3.send(new DeleteObjectCommand({ Bucket: names.drafts, Key: 'kinh-te/c.md', VersionId: 'v1' })),
      'AccessDenied',
    ],
  ] as const)('%s %s: %s', async (who, _what, call, expected) => {
    expect(await outcome(() => call(s3As(identity(who))))).toBe(expected);
  });

  it("refuses with S3's words: who, which action on which resource, and why", async () => {
    const err = await put(drafts, 'kinh-te/d.md')(s3As(identity('Render/Role'))).catch((e: unknown) => e);
    expect((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
    expect((err as Error).message).toMatch(
      new RegExp(
        `^User: arn:aws:sts::000000000000:assumed-role/[^ ]+ is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::${names.drafts}/kinh-te/d.md because no identity-based policy allows the s3:PutObject action$`,
      ),
    );
    const denied = await put(
      drafts,
      'reports/x.json',
    )(s3As(identity('editor (bientap)'))).catch((e: unknown) => e);
    expect((denied as Error).message).toMatch(/with an explicit deny in an identity-based policy$/);
  });

  it('knows no key that no identity of the template has', async () => {
    const stranger = s3As({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' });
    expect(await outcome(() => put(drafts, 'kinh-te/e.md')(stranger))).toBe('InvalidAccessKeyId');
  });

  it("takes a presigned upload as the signer's own call", async () => {
    const url = (who: string) =>
      getSignedUrl(
        s3As(identity(who)),
        new PutObjectCommand({ Bucket: names.drafts, Key: 'kinh-te/anh.jpg', ContentType: 'image/jpeg' }),
        { expiresIn: 300 },
      );
    const upload = async (who: string) =>
      (await fetch(await url(who), { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: 'x' }))
        .status;
    expect(await upload('Desk/Function/Role')).toBe(200);
    expect(await upload('Render/Role')).toBe(403);
  });
});

describe('DynamoDB decides by the table, the index and dynamodb:LeadingKeys', () => {
  it.each([
    ['Render/Role', putItem('archive#2026-12#1'), 'ok'],
    ['Render/Role', putItem('article#ten-bai'), 'AccessDeniedException'],
    ['Desk/Function/Role', putItem('secret#desk'), 'ok'],
    ['Desk/Function/Role', putItem('secret#comments'), 'AccessDeniedException'],
    ['Ingest/Role', putItem('article#ten-bai'), 'ok'],
    ['editor (bientap)', putItem('article#ten-bai'), 'AccessDeniedException'],
  ] as const)('%s %#: %s', async (who, call, expected) => {
    expect(await outcome(() => call(dynamoAs(identity(who)).documents))).toBe(expected);
  });

  it('lets a role query the indexes it was granted and no other', async () => {
    const query = (who: string, index: string) =>
      outcome(() =>
        dynamoAs(identity(who)).documents.send(
          new QueryCommand({
            TableName: names.articles,
            IndexName: index,
            KeyConditionExpression: '#p = :p',
            ExpressionAttributeNames: { '#p': 'gsi' },
            ExpressionAttributeValues: { ':p': 'x' },
          }),
        ),
      );
    const { byTime, byTag } = ARTICLE_TABLE.indexes;
    expect(await query('Desk/Function/Role', byTime.name)).not.toBe('AccessDeniedException');
    expect(await query('Desk/Function/Role', byTag.name)).toBe('AccessDeniedException');
  });

  it('answers a key no one has as DynamoDB does', async () => {
    const stranger = dynamoAs({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' });
    expect(await outcome(() => putItem('article#x')(stranger.documents))).toBe('UnrecognizedClientException');
  });
});

describe('the access report', () => {
  it('names what each role did, what it was refused, and the grants no call used', async () => {
    const report = accessReport(model, await standIns.accessRecords());
    const render = report.callers['Render/Role'];
    expect(render?.actions['s3:PutObject']?.allowed).toBeGreaterThan(0);
    expect(render?.actions['s3:PutObject']?.refused).toBeGreaterThan(0);
    expect(render?.refusals.some((r) => r.includes(`${names.drafts}/kinh-te/b.md`))).toBe(true);
    // Render never invalidated the CDN here: that grant is unused in this run, and listed so.
    expect(render?.unusedGrants.some((g) => g.grant.endsWith(':cloudfront:CreateInvalidation'))).toBe(true);
    expect(render?.unusedGrants.some((g) => g.grant.endsWith(':s3:PutObject'))).toBe(false);
  });

  it('lets everything through when enforcement is off, and still records what would be refused', async () => {
    const lax = new Authorizer({ ...model, enforce: false });
    const decision = await lax.decide(identity('editor (bientap)'), {
      action: 's3:PutObject',
      resource: `arn:aws:s3:::${names.site}/index.html`,
    });
    expect(decision).toMatchObject({ allowed: true, refused: true });
    expect(lax.records()['editor (bientap)']?.refusals).toHaveLength(1);
  });
});

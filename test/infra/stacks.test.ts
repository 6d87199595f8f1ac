import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARTICLE_TABLE, COMMENT_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { ACCEPTED_SUFFIXES, classifyKey } from '#shared/domain/upload-keys.ts';
import { buildApp } from '../../infra/app.ts';
import {
  COMMENTS_API_THROTTLE,
  COMMENTS_FORWARDED_HEADERS,
  ORIGIN_VERIFY_HEADER,
} from '../../infra/constructs/comments-api.ts';
import { CDN_CACHE, FILE_PATH_PREFIXES } from '../../infra/edge/cache-policy.ts';
import { PERMISSIONS_POLICY } from '../../infra/edge/headers.ts';
import { edgeAnswers, edgeFunctionSource } from '../../infra/edge/url-rewrite.ts';
import { readSettings } from '../../infra/settings.ts';
import { DRAFT_BUCKET_ACTIONS, DRAFT_VERSION_ACTIONS } from '../../infra/stateful-stack.ts';
import { ROOT, SITE } from '../support/site.ts';

const context = JSON.parse(readFileSync(`${ROOT}cdk.json`, 'utf8')).context;

function synth(newsroom: Record<string, unknown> = {}) {
  const app = new App({ context: { ...context, newsroom: { ...context.newsroom, ...newsroom } } });
  const { stateful, pipeline } = buildApp(app);
  // Synthesising runs cdk-nag (AWS Solutions rules): it throws on any finding not acknowledged.
  app.synth();
  return {
    app,
    stateful: Template.fromStack(stateful),
    pipeline: Template.fromStack(pipeline),
    pipelineStack: pipeline,
  };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
function statements(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Statement[],
  );
}
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

let stateful: Template;
let pipeline: Template;
let outdir: string;

beforeAll(() => {
  let app: App;
  ({ stateful, pipeline, app } = synth({ alertEmail: 'ops@baolaichau.example' }));
  outdir = app.outdir;
});

describe('stateful stack', () => {
  it('keeps the versions of site objects a while, so that a bad render can be undone', () => {
    stateful.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['newsroom-site-'])] }),
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } })]),
      },
    });
  });

  it('keeps every draft version, encrypted, private, logged, TLS-only, old versions expiring', () => {
    stateful.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['newsroom-drafts-'])] }),
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: Match.anyValue(),
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'drafts/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 365 } })]),
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    const policies = Object.values(stateful.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(3);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('keeps every draft version from any single mistake: locked a while, and only break-glass may delete one', () => {
    stateful.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['newsroom-drafts-'])] }),
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } },
      },
    });
    const breakGlass = 'arn:aws:iam::123456789012:role/newsroom-break-glass';
    const { stateful: guarded } = synth({ breakGlassRoleArn: breakGlass });
    const policies = Object.values(guarded.findResources('AWS::S3::BucketPolicy'));
    const drafts = policies.find((p) => JSON.stringify(p.Properties.Bucket).includes('Drafts'));
    const denies = ((drafts?.Properties.PolicyDocument.Statement ?? []) as Statement[]).filter(
      (st) => st.Effect === 'Deny' && JSON.stringify(st).includes('aws:PrincipalArn'),
    );
    const denied = denies.flatMap(actionsOf).sort();
    expect(denied).toEqual([...DRAFT_VERSION_ACTIONS, ...DRAFT_BUCKET_ACTIONS].sort());
    for (const st of denies) {
      const except = (st as unknown as { Condition: { ArnNotLike: Record<string, unknown> } }).Condition
        .ArnNotLike['aws:PrincipalArn'];
      expect(JSON.stringify(except)).toContain(breakGlass);
      // Deleting a version for good is break-glass only; the deployment may change what the stack manages.
      if (actionsOf(st).includes('s3:DeleteObjectVersion')) expect(except).toEqual([breakGlass]);
      else expect(JSON.stringify(except)).toContain('cfn-exec-role');
    }
  });

  it("lets only this account's CloudFront distributions read the site bucket", () => {
    const site = Object.values(stateful.findResources('AWS::S3::BucketPolicy')).find((p) =>
      JSON.stringify(p).includes('cloudfront.amazonaws.com'),
    );
    const grant = site?.Properties.PolicyDocument.Statement.find(
      (s: { Sid?: string }) => s.Sid === 'CloudFrontOriginAccessControlRead',
    );
    expect(grant).toMatchObject({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Condition: { StringEquals: { 'AWS:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('retains stateful resources; the table has point-in-time recovery and deletion protection', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::DynamoDB::GlobalTable', 'AWS::CloudFront::KeyValueStore']) {
      for (const resource of Object.values(stateful.findResources(type))) {
        expect(resource.DeletionPolicy, type).toBe('Retain');
      }
    }
    stateful.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'newsroom-articles',
      Replicas: [
        Match.objectLike({
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
        }),
      ],
    });
  });

  it('creates the article table with the keys and indexes the code queries (the local stack uses the same)', () => {
    const table = Object.values(stateful.findResources('AWS::DynamoDB::GlobalTable'))[0]?.Properties;
    expect(table.KeySchema).toEqual([{ AttributeName: ARTICLE_TABLE.partitionKey, KeyType: 'HASH' }]);
    const indexes = Object.fromEntries(
      (table.GlobalSecondaryIndexes as { IndexName: string; KeySchema: unknown; Projection: unknown }[]).map(
        (i) => [i.IndexName, { keys: i.KeySchema, projection: i.Projection }],
      ),
    );
    const { byTime, bySection, byDraft } = ARTICLE_TABLE.indexes;
    expect(indexes[byTime.name]?.keys).toEqual([
      { AttributeName: byTime.partitionKey, KeyType: 'HASH' },
      { AttributeName: byTime.sortKey, KeyType: 'RANGE' },
    ]);
    expect(indexes[bySection.name]?.projection).toEqual({
      ProjectionType: 'INCLUDE',
      NonKeyAttributes: [...ARTICLE_TABLE.teaserAttributes],
    });
    expect(indexes[byDraft.name]?.projection).toEqual({ ProjectionType: 'KEYS_ONLY' });
  });
});

describe('pipeline stack', () => {
  it('finds the stateful resources by name, with no CloudFormation exports between the stacks', () => {
    expect(JSON.stringify(pipeline.toJSON())).not.toContain('Fn::ImportValue');
  });

  it('holds the rebuild state machine, its tasks in the ingest function, its work in a bucket of its own', () => {
    const [machine] = Object.values(pipeline.findResources('AWS::StepFunctions::StateMachine'));
    const parts = machine?.Properties.DefinitionString['Fn::Join'][1] as unknown[];
    // The definition's text, with the function's ARN named by its logical id.
    const definition = parts
      .map((p) => (typeof p === 'string' ? p : JSON.stringify(p).replaceAll('"', "'")))
      .join('');
    const [ingestId] = Object.keys(
      pipeline.findResources('AWS::Lambda::Function', {
        Properties: { FunctionName: Match.stringLikeRegexp('-ingest$') },
      }),
    );
    expect(definition).toContain(`{'Fn::GetAtt':['${ingestId}','Arn']}`);
    for (const step of ['frame', 'apply', 'catch-up', 'withdrawn', 'plan', 'render', 'sweep', 'finish'])
      expect(definition).toContain(`"step":"${step}"`);
    pipeline.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: Match.stringLikeRegexp('-ingest$'),
      Environment: { Variables: Match.objectLike({ REBUILD_WORK_BUCKET: Match.anyValue() }) },
    });
    pipeline.hasOutput('RebuildStateMachineArn', Match.anyValue());
    // The maps' concurrency is the setting's.
    expect(definition).toContain(`"MaxConcurrency":${context.newsroom.rebuildConcurrency ?? 40}`);
  });

  it("lets the render function write the archive pages' items of the table and nothing else of it", () => {
    const writes = statements(pipeline).filter((s) => actionsOf(s).includes('dynamodb:PutItem'));
    const archive = writes.filter((s) => JSON.stringify(s).includes('archive#*'));
    expect(archive).toHaveLength(1);
    expect(archive[0]).toMatchObject({
      Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['archive#*'] } },
    });
    expect(actionsOf(archive[0] as Statement).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });

  it('buffers draft events in a queue with a dead-letter queue; render jobs in a FIFO queue with its own', () => {
    // Draft events, render jobs, a dead-letter queue each, and scheduled deliveries' dead letters.
    pipeline.resourceCountIs('AWS::SQS::Queue', 5);
    pipeline.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: Match.absent(),
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    pipeline.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: false,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    const mappings = Object.values(pipeline.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(2);
    for (const m of mappings) expect(m.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  it('sends every created and removed object to the queue, unfiltered: an upper-case suffix is seen too', () => {
    const notifications = Object.values(pipeline.findResources('Custom::S3BucketNotifications'))[0];
    const configs = notifications?.Properties.NotificationConfiguration.QueueConfigurations as {
      Events: string[];
      Filter?: { Key: { FilterRules: { Name: string; Value: string }[] } };
    }[];
    expect(configs.map((c) => c.Events.join()).sort()).toEqual(['s3:ObjectCreated:*', 's3:ObjectRemoved:*']);
    // What S3 would pass: a key passes a configuration when it matches all of its rules, letter case and all.
    const rulesOf = (c: (typeof configs)[number]) => c.Filter?.Key.FilterRules ?? [];
    const passes = (key: string) =>
      configs.some((c) =>
        rulesOf(c).every((r) =>
          r.Name.toLowerCase() === 'suffix' ? key.endsWith(r.Value) : key.startsWith(r.Value),
        ),
      );
    for (const suffix of ACCEPTED_SUFFIXES) {
      for (const key of [
        `xa-hoi/bai${suffix}`,
        `xa-hoi/BAI${suffix.toUpperCase()}`,
        `x/Anh${suffix.replace(/.$/, (c) => c.toUpperCase())}`,
      ]) {
        expect(passes(key), key).toBe(true);
        expect(classifyKey(key), key).not.toBe('ignored');
      }
    }
    // The reports reach the queue too, and the code leaves them be.
    expect(classifyKey('reports/xa-hoi/bai.md.json')).toBe('ignored');
    expect(classifyKey('reports/xa-hoi/BAI.MD')).toBe('ignored');
  });

  it('deploys each function as one ESM bundle with its source map, and sharp for Linux on arm64 beside ingest and desk', () => {
    const functions = Object.values(pipeline.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    );
    for (const f of functions) {
      const service = f.Properties.Environment.Variables.POWERTOOLS_SERVICE_NAME;
      expect(f.Properties.Handler).toBe('index.handler');
      expect(f.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      const asset = join(outdir, `asset.${String(f.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
      expect(readFileSync(join(asset, 'index.mjs'), 'utf8')).toMatch(/export\{\w+ as handler\}/);
      expect(existsSync(join(asset, 'index.mjs.map'))).toBe(true);
      expect(existsSync(join(asset, 'node_modules/@img/sharp-linux-arm64/lib')), service).toBe(
        service === 'ingest' || service === 'desk',
      );
    }
  });

  it('runs each function on arm64 Node 24 with tracing, its configuration wired, no managed policies', () => {
    const functions = Object.values(pipeline.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    );
    expect(functions).toHaveLength(5);
    for (const f of functions) {
      expect(f.Properties.Runtime).toBe('nodejs24.x');
      expect(f.Properties.Architectures).toEqual(['arm64']);
      expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(f.Properties.Environment.Variables.SITE_CONFIG).toBe(JSON.stringify(SITE));
    }
    pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'ingest',
          DRAFTS_BUCKET: Match.anyValue(),
          SITE_BUCKET: Match.anyValue(),
          ARTICLE_TABLE: 'newsroom-articles',
          RENDER_QUEUE_URL: Match.anyValue(),
          SCHEDULE_TARGET_ARN: Match.anyValue(),
          SCHEDULER_ROLE_ARN: Match.anyValue(),
          SCHEDULE_DEAD_LETTER_ARN: Match.anyValue(),
          EDGE_RULES_STORE_ARN: Match.anyValue(),
          DISTRIBUTION_ID: Match.anyValue(),
        }),
      },
    });
    const roles = Object.entries(pipeline.findResources('AWS::IAM::Role')).filter(([id]) =>
      /^(Ingest|Render|CommentsFunction|DeskFunction|NotFoundFunction)/.test(id),
    );
    expect(roles).toHaveLength(5);
    for (const [, role] of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('lets the ingest function make every DynamoDB call the adapters make, and the render function every read', () => {
    const calls = (file: string) =>
      [
        ...readFileSync(new URL(`../../shared/adapters/dynamodb/${file}`, import.meta.url), 'utf8').matchAll(
          /new (\w+)Command\(/g,
        ),
      ]
        .map((m) => `dynamodb:${m[1]}`)
        .map((a) =>
          /^dynamodb:(Get|Put|Update|Delete)$/.test(a)
            ? `${a}Item`
            : a === 'dynamodb:BatchWrite'
              ? 'dynamodb:BatchWriteItem'
              : a,
        );
    const made = new Set([...calls('article-index.ts'), ...calls('leases.ts')]);
    expect(made.size).toBeGreaterThan(4);
    const actionsOfRole = (prefix: string) =>
      new Set(
        Object.entries(pipeline.findResources('AWS::IAM::Policy'))
          .filter(([id]) => id.startsWith(prefix))
          .flatMap(([, p]) => (p.Properties.PolicyDocument.Statement as Statement[]).flatMap(actionsOf)),
      );
    const ingest = actionsOfRole('IngestRole');
    expect([...made].filter((a) => !ingest.has(a))).toEqual([]);
    const render = actionsOfRole('RenderRole');
    expect(['dynamodb:GetItem', 'dynamodb:Query'].filter((a) => !render.has(a))).toEqual([]);
  });

  it('grants only named actions: no "*" in any action, "*" as a resource only for X-Ray', () => {
    const all = statements(pipeline);
    expect(all.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
    const starResource = all.filter((s) => s.Resource === '*');
    // X-Ray for the functions and the rebuild state machine; the state machine's log delivery (CloudWatch
    // Logs documents these actions on "*" only).
    expect(starResource.flatMap(actionsOf).sort()).toEqual(
      [
        ...Array(6).fill(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']).flat(),
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ].sort(),
    );
    const ingestActions = Object.entries(pipeline.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('IngestRole'))
      .flatMap(([, p]) => (p.Properties.PolicyDocument.Statement as Statement[]).flatMap(actionsOf));
    expect(new Set(ingestActions)).toEqual(
      new Set([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
        's3:DeleteObject',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:Query',
        // A rebuild finds the withdrawn articles by a scan.
        'dynamodb:Scan',
        'sqs:SendMessage',
        'cloudfront:CreateInvalidation',
        'cloudfront-keyvaluestore:DescribeKeyValueStore',
        'cloudfront-keyvaluestore:PutKey',
        'cloudfront-keyvaluestore:DeleteKey',
        'scheduler:CreateSchedule',
        'scheduler:UpdateSchedule',
        'scheduler:DeleteSchedule',
        'iam:PassRole',
        'sqs:ReceiveMessage',
        'sqs:ChangeMessageVisibility',
        'sqs:GetQueueUrl',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
  });

  it('serves the site through CloudFront with origin access control and the URL rewrite the local server runs', () => {
    pipeline.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const fn = Object.values(pipeline.findResources('AWS::CloudFront::Function'))[0]?.Properties;
    expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    expect(fn.FunctionConfig.KeyValueStoreAssociations).toHaveLength(1);
    // The code is the source file with the store id (known at deploy) and the 410 page filled in.
    const [before, , after] = fn.FunctionCode['Fn::Join'][1] as [string, unknown, string];
    expect(`${before}STORE${after}`).toBe(edgeFunctionSource({ storeId: 'STORE', ...edgeAnswers(SITE) }));
    pipeline.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Logging: Match.objectLike({ Prefix: 'cdn/' }),
        CacheBehaviors: Match.arrayWith([Match.objectLike({ PathPattern: '/media/*' })]),
      }),
    });
    pipeline.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: Match.objectLike({
            ContentSecurityPolicy: Match.stringLikeRegexp("script-src 'self'"),
          }),
          StrictTransportSecurity: Match.objectLike({ AccessControlMaxAgeSec: 63072000 }),
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
        }),
      }),
    });
    pipeline.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ MinTTL: 0, MaxTTL: 31536000 }),
    });
  });

  it('caches pages for their own lifetimes, keyed by the URI alone, and fails over to the 404 page', () => {
    // The cache policies come from the same constants as the pages' own Cache-Control.
    pipeline.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        MinTTL: CDN_CACHE.pages.min,
        DefaultTTL: CDN_CACHE.pages.default,
        MaxTTL: CDN_CACHE.pages.max,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          QueryStringsConfig: { QueryStringBehavior: 'none' },
          HeadersConfig: { HeaderBehavior: 'none' },
          CookiesConfig: { CookieBehavior: 'none' },
        }),
      }),
    });
    const config = Object.values(pipeline.findResources('AWS::CloudFront::Distribution'))[0]?.Properties
      .DistributionConfig;
    // No custom error responses: CloudFront would apply them to every behaviour, the APIs' answers too. An
    // address the bucket has no object for fails over to the not-found function's origin instead.
    expect(config.CustomErrorResponses).toBeUndefined();
    const groups = config.OriginGroups.Items as {
      FailoverCriteria: { StatusCodes: { Items: number[] } };
      Members: { Items: { OriginId: string }[] };
    }[];
    expect(groups).toHaveLength(1);
    expect(groups[0]?.FailoverCriteria.StatusCodes.Items).toEqual([403, 404]);
    const origins = config.Origins as {
      Id: string;
      S3OriginConfig?: unknown;
      CustomOriginConfig?: unknown;
    }[];
    const [primary, fallback] = (groups[0]?.Members.Items ?? []).map((m) =>
      origins.find((o) => o.Id === m.OriginId),
    );
    expect(primary?.S3OriginConfig).toBeDefined();
    expect(fallback?.CustomOriginConfig).toBeDefined();
    expect(config.DefaultCacheBehavior.TargetOriginId).toBe((groups[0] as unknown as { Id: string }).Id);
    // The managed CachingOptimized policy for media and assets, whose TTLs the model copies.
    const optimized = '658327ea-f89d-4fab-a63d-7e88639e58f6';
    expect(
      (config.CacheBehaviors as { PathPattern: string; CachePolicyId: string }[]).map((b) => [
        b.PathPattern,
        b.CachePolicyId,
      ]),
    ).toEqual([
      ...FILE_PATH_PREFIXES.map((p) => [`${p}*`, optimized]),
      // The comments API: nothing cached (the managed CachingDisabled policy); the desk, nothing shared.
      ['/api/*', '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'],
      ['/desk/api/*', expect.anything()],
      ['/desk/preview/*', '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'],
      ['/desk/*', '4135ea2d-6df8-44a3-9df3-4b5a84be39ad'],
    ]);
    expect(CDN_CACHE.files).toEqual({ min: 1, default: 86_400, max: 31_536_000 });
  });

  it('sends a Permissions-Policy, and HSTS preload only when the settings ask for it', () => {
    const policy = (template: Template) =>
      Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'))[0]?.Properties
        .ResponseHeadersPolicyConfig;
    expect(policy(pipeline).CustomHeadersConfig.Items).toEqual([
      { Header: 'Permissions-Policy', Value: PERMISSIONS_POLICY, Override: true },
    ]);
    expect(policy(pipeline).SecurityHeadersConfig.StrictTransportSecurity.Preload).toBe(false);
    const preloading = synth({ hstsPreload: true }).pipeline;
    expect(policy(preloading).SecurityHeadersConfig.StrictTransportSecurity.Preload).toBe(true);
    const code = JSON.stringify(
      Object.values(preloading.findResources('AWS::CloudFront::Function'))[0]?.Properties.FunctionCode,
    );
    expect(code).toContain('includeSubDomains; preload');
    expect(code).toContain('permissions-policy');
  });

  it('uses the newsroom domain with TLS 1.2 when one is configured', () => {
    const withDomain = synth({
      siteUrl: 'https://baolaichau.example',
      domainName: 'baolaichau.example',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab',
    }).pipeline;
    withDomain.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['baolaichau.example'],
        ViewerCertificate: Match.objectLike({
          MinimumProtocolVersion: 'TLSv1.2_2021',
          SslSupportMethod: 'sni-only',
        }),
      }),
    });
  });

  it('lets EventBridge Scheduler invoke only the ingest function (and the comments digest), by their own roles', () => {
    pipeline.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
      }),
    });
    const invoke = statements(pipeline).filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke.length).toBeGreaterThan(0);
    // The ingest function by name (one-time publish schedules) or by reference (the reconcile schedule);
    // the comments function only from the digest's own role.
    for (const [id, policy] of Object.entries(pipeline.findResources('AWS::IAM::Policy'))) {
      for (const s of policy.Properties.PolicyDocument.Statement as Statement[]) {
        if (!actionsOf(s).includes('lambda:InvokeFunction')) continue;
        const resources = JSON.stringify(s.Resource);
        if (id.startsWith('CommentsDigestRole')) expect(resources).toMatch(/CommentsFunction/);
        else expect(resources).toMatch(/:function:newsroom-ingest|IngestFunction/);
        expect(resources).not.toMatch(id.startsWith('CommentsDigestRole') ? /Ingest/ : /CommentsFunction/);
      }
    }
  });

  it('builds the site frame and lists right after each deployment that changes the render function', () => {
    pipeline.hasResourceProperties('Custom::Trigger', {
      ExecuteOnHandlerChange: true,
      InvocationType: 'RequestResponse',
    });
  });

  it('alarms on dead letters, stuck queues, errors and throttles, to an encrypted topic that mails ops', () => {
    const alarms = Object.values(pipeline.findResources('AWS::CloudWatch::Alarm'));
    const metrics = alarms.map((a) => a.Properties.MetricName).sort();
    expect(metrics).toEqual(
      [
        // Dead letters waiting (draft events, render jobs, scheduled deliveries), and one about to expire.
        ...Array(3).fill('ApproximateNumberOfMessagesVisible'),
        ...Array(3).fill('ApproximateAgeOfOldestMessage'),
        // Queues stuck.
        ...Array(2).fill('ApproximateAgeOfOldestMessage'),
        ...['Errors', 'Throttles', 'Duration'].flatMap((m) => Array(5).fill(m)),
        'OldestPendingCommentMinutes',
        'FailedMessages',
        'ReconcileDifferences',
        'ReconcileFailures',
        'TargetErrorCount',
        'InvocationDroppedCount',
      ].sort(),
    );
    // The functions' own metrics are alarmed where Powertools publishes them.
    const ingest = Object.values(pipeline.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'ingest',
    );
    const namespace = ingest?.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE;
    expect(namespace).toBe('Newsroom/newsroom');
    for (const name of ['FailedMessages', 'ReconcileDifferences', 'ReconcileFailures']) {
      pipeline.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: namespace,
        MetricName: name,
        Dimensions: [{ Name: 'service', Value: 'ingest' }],
      });
    }
    // Near the timeout: 80% of it.
    pipeline.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      Threshold: ingest?.Properties.Timeout * 1000 * 0.8,
    });
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toHaveLength(1);
    pipeline.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    pipeline.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@baolaichau.example',
    });
    pipeline.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('reconciles on a schedule (every 15 minutes unless set), its failed invocations kept', () => {
    const schedules = Object.values(pipeline.findResources('AWS::Scheduler::Schedule')).filter((s) =>
      JSON.stringify(s.Properties.Target.Arn).includes('IngestFunction'),
    );
    expect(schedules).toHaveLength(1);
    const [reconcile] = schedules;
    expect(reconcile?.Properties.ScheduleExpression).toBe('rate(15 minutes)');
    expect(JSON.parse(reconcile?.Properties.Target.Input)).toEqual({ reconcile: {} });
    expect(JSON.stringify(reconcile?.Properties.Target.Arn)).toContain('IngestFunction');
    expect(JSON.stringify(reconcile?.Properties.Target.DeadLetterConfig)).toContain(
      'ScheduledDeliveriesDeadLetters',
    );
    const every5 = synth({ reconcileEveryMinutes: 5 }).pipeline;
    every5.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  it('alarms on readers getting 5xx and on viewer-request function errors where CloudFront has its metrics', () => {
    const region = process.env.CDK_DEFAULT_REGION;
    process.env.CDK_DEFAULT_REGION = 'us-east-1';
    try {
      const { pipeline: inUsEast1 } = synth();
      inUsEast1.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/CloudFront',
        MetricName: '5xxErrorRate',
        Dimensions: Match.arrayWith([{ Name: 'Region', Value: 'Global' }]),
      });
      inUsEast1.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/CloudFront',
        MetricName: 'FunctionExecutionErrors',
      });
    } finally {
      if (region === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = region;
    }
  });

  it('keeps a scheduled draft whose delivery failed every retry, in a queue the Scheduler role may send to', () => {
    const queues = pipeline.findResources('AWS::SQS::Queue');
    const dlqId = Object.keys(queues).find((id) => id.startsWith('ScheduledDeliveriesDeadLetters'));
    expect(dlqId).toBeDefined();
    const ingest = Object.values(pipeline.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'ingest',
    );
    expect(ingest?.Properties.Environment.Variables.SCHEDULE_DEAD_LETTER_ARN).toEqual({
      'Fn::GetAtt': [dlqId, 'Arn'],
    });
    const schedulerPolicy = Object.values(pipeline.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes('SchedulerRole'),
    );
    expect(JSON.stringify(schedulerPolicy?.Properties.PolicyDocument)).toContain('sqs:SendMessage');
    expect(JSON.stringify(schedulerPolicy?.Properties.PolicyDocument)).toContain(dlqId);
    const alarmed = Object.values(pipeline.findResources('AWS::CloudWatch::Alarm')).some((a) =>
      JSON.stringify(a.Properties.Dimensions).includes(dlqId ?? '?'),
    );
    expect(alarmed).toBe(true);
    // And a due draft the function failed on (Scheduler invokes it asynchronously) lands there too.
    pipeline.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
  });

  it("lets CloudWatch publish this account's alarms to the topic and use its key, and no one else", () => {
    const conditions = {
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLike: { 'aws:SourceArn': expect.anything() },
    };
    const policy = Object.values(pipeline.findResources('AWS::SNS::TopicPolicy'))[0]?.Properties
      .PolicyDocument;
    const publish = (policy.Statement as Record<string, unknown>[]).filter((s) => s.Effect === 'Allow');
    expect(publish).toEqual([
      expect.objectContaining({
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: expect.objectContaining(conditions),
      }),
    ]);
    const arn = JSON.stringify(publish[0]?.Condition);
    expect(arn).toContain(':cloudwatch:');
    expect(arn).toContain(':alarm:*');
    const key = Object.values(pipeline.findResources('AWS::KMS::Key'))[0]?.Properties.KeyPolicy;
    const forCloudWatch = (key.Statement as Record<string, unknown>[]).filter((s) =>
      JSON.stringify(s.Principal).includes('cloudwatch.amazonaws.com'),
    );
    expect(forCloudWatch).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: expect.objectContaining(conditions),
      }),
    ]);
  });
});

describe('checks at synth', () => {
  it('fails on a cdk-nag finding nobody acknowledged', () => {
    const app = new App({ context });
    buildApp(app);
    const extra = new Stack(app, 'Extra');
    new Queue(extra, 'Plain');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3|AwsSolutions-SQS4/);
  });

  it('refuses settings that are missing or wrong, naming the field', () => {
    expect(() => readSettings(new App())).toThrow(/no "newsroom" context/);
    const wrong = (extra: Record<string, unknown>) =>
      readSettings(new App({ context: { newsroom: { ...context.newsroom, ...extra } } }));
    expect(() => wrong({ sections: [{ slug: 'Thời sự', name: 'x' }] })).toThrow(/sections\.0\.slug/);
    expect(() => wrong({ domainName: 'baolaichau.example' })).toThrow(
      /certificateArn: set domainName and certificateArn together/,
    );
    expect(() =>
      wrong({
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
        domainName: 'x.example',
      }),
    ).toThrow(/us-east-1/);
    expect(() => wrong({ alertEmail: 'ops' })).toThrow(/alertEmail: must be an email address/);
    expect(() => wrong({ logRetentionDays: 10 })).toThrow(/logRetentionDays/);
  });
});

describe('comments in AWS', () => {
  const policyActions = (template: Template, prefix: string) =>
    Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith(prefix))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);

  it('keeps comments in their own table, the pending ones in a sparse moderation index', () => {
    const { moderation } = COMMENT_TABLE.indexes;
    stateful.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TableName: 'newsroom-comments',
      KeySchema: [
        { AttributeName: COMMENT_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: COMMENT_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: COMMENT_TABLE.timeToLive, Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({
          IndexName: moderation.name,
          KeySchema: [
            { AttributeName: moderation.partitionKey, KeyType: 'HASH' },
            { AttributeName: moderation.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        }),
      ],
      Replicas: [
        Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ],
    });
  });

  it('posts through CloudFront /api/* to an HTTP API: every method, nothing cached, the viewer address passed on', () => {
    const config = Object.values(pipeline.findResources('AWS::CloudFront::Distribution'))[0]?.Properties
      .DistributionConfig;
    const api = (config.CacheBehaviors as Record<string, unknown>[]).find((b) => b.PathPattern === '/api/*');
    expect(api?.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']);
    pipeline.hasResourceProperties('AWS::CloudFront::OriginRequestPolicy', {
      OriginRequestPolicyConfig: Match.objectLike({
        HeadersConfig: { HeaderBehavior: 'whitelist', Headers: COMMENTS_FORWARDED_HEADERS },
        CookiesConfig: { CookieBehavior: 'none' },
        QueryStringsConfig: { QueryStringBehavior: 'none' },
      }),
    });
    // The function refuses what does not come through CloudFront, which adds the header.
    const origin = (config.Origins as Record<string, Record<string, unknown>>[]).find(
      (o) => o.Id === api?.TargetOriginId,
    );
    expect(origin?.OriginCustomHeaders).toEqual([
      expect.objectContaining({ HeaderName: ORIGIN_VERIFY_HEADER }),
    ]);
    const fn = Object.values(pipeline.findResources('AWS::Lambda::Function')).find(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'comments',
    );
    expect(fn?.Properties.Environment.Variables).toEqual(
      expect.objectContaining({
        COMMENT_TABLE: 'newsroom-comments',
        ARTICLE_TABLE: 'newsroom-articles',
        ORIGIN_SECRET: expect.anything(),
      }),
    );
    pipeline.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /api/comments' });
    pipeline.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: Match.objectLike({
        ThrottlingRateLimit: COMMENTS_API_THROTTLE.rateLimit,
        ThrottlingBurstLimit: COMMENTS_API_THROTTLE.burstLimit,
      }),
    });
  });

  it('grants the comments function its own table, article records to read, and nothing else', () => {
    const granted = policyActions(pipeline, 'CommentsFunctionRole');
    const dynamo = granted.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((s) => [actionsOf(s).sort(), JSON.stringify(s.Resource)])).toEqual([
      [
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        expect.stringMatching(/table\/newsroom-comments".*index\/moderation/),
      ],
      [['dynamodb:GetItem'], expect.stringContaining('newsroom-articles')],
    ]);
    expect(granted.flatMap(actionsOf).filter((a) => !/^(dynamodb|logs|xray):/.test(a))).toEqual([]);
    // The render function reads the comments a page shows; the ingest function too, for a page written ahead.
    for (const role of ['RenderRole', 'IngestRole']) {
      const reads = policyActions(pipeline, role).filter((s) =>
        JSON.stringify(s.Resource).includes('comments'),
      );
      expect(reads.flatMap(actionsOf).sort()).toEqual(['dynamodb:Query']);
    }
  });

  it('mails the digest through SES only when moderators and a sender are set, on its own schedule', () => {
    const digest = Object.values(pipeline.findResources('AWS::Scheduler::Schedule')).find((s) =>
      JSON.stringify(s.Properties.Target.Arn).includes('CommentsFunction'),
    );
    expect(digest?.Properties.ScheduleExpression).toBe('rate(1 hour)');
    expect(JSON.parse(digest?.Properties.Target.Input)).toEqual({ digest: {} });
    expect(statements(pipeline).flatMap(actionsOf)).not.toContain('ses:SendEmail');
    const mailing = synth({
      moderatorEmails: ['bientap@baolaichau.example'],
      commentDigestFrom: 'noreply@baolaichau.example',
    }).pipeline;
    const ses = statements(mailing).filter((s) => actionsOf(s).includes('ses:SendEmail'));
    expect(ses.map((s) => JSON.stringify(s.Resource))).toEqual([
      expect.stringContaining(':identity/noreply@baolaichau.example'),
    ]);
    expect(() =>
      readSettings(
        new App({ context: { newsroom: { ...context.newsroom, moderatorEmails: ['a@b.example'] } } }),
      ),
    ).toThrow(/commentDigestFrom/);
  });

  it('blocks a flood at the edge with a WAF rate rule when the settings ask for one (us-east-1)', () => {
    pipeline.resourceCountIs('AWS::WAFv2::WebACL', 0);
    const region = process.env.CDK_DEFAULT_REGION;
    process.env.CDK_DEFAULT_REGION = 'us-east-1';
    try {
      const { pipeline: guarded } = synth({ commentWafPostsPerFiveMinutes: 100 });
      guarded.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'CLOUDFRONT',
        Rules: [
          Match.objectLike({
            Action: { Block: {} },
            Statement: {
              RateBasedStatement: Match.objectLike({
                Limit: 100,
                AggregateKeyType: 'IP',
                ScopeDownStatement: Match.objectLike({
                  ByteMatchStatement: Match.objectLike({ SearchString: '/api/' }),
                }),
              }),
            },
          }),
        ],
      });
      guarded.hasResourceProperties('AWS::CloudFront::Distribution', {
        DistributionConfig: Match.objectLike({ WebACLId: Match.anyValue() }),
      });
    } finally {
      if (region === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = region;
    }
  });
});

describe('the desk in AWS', () => {
  it('signs editors in with a Cognito user pool an admin fills: no self sign-up, a strong password, no client secret', () => {
    stateful.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
      DeletionProtection: 'ACTIVE',
    });
    stateful.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH']),
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
    });
  });

  it('needs a Cognito ID token on every desk route but sign-in, the page itself and the shareable previews', () => {
    const routes = Object.values(pipeline.findResources('AWS::ApiGatewayV2::Route'))
      .map((r) => [r.Properties.RouteKey, r.Properties.AuthorizationType ?? 'NONE'])
      .filter(([key]) => String(key).includes('/desk/'))
      .sort();
    expect(routes).toEqual([
      ['ANY /desk/api/{proxy+}', 'JWT'],
      ['GET /desk/preview/{token}', 'NONE'],
      // The desk page and its script and stylesheet: nothing in them is an editor's.
      ['GET /desk/{file}', 'NONE'],
      ['POST /desk/api/sign-in', 'NONE'],
    ]);
    pipeline.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: Match.objectLike({ Audience: [Match.anyValue()] }),
    });
    // The token reaches the API only in a cache key that keeps nothing.
    pipeline.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({
        DefaultTTL: 0,
        MaxTTL: 1,
        ParametersInCacheKeyAndForwardedToOrigin: Match.objectLike({
          HeadersConfig: { HeaderBehavior: 'whitelist', Headers: ['Authorization'] },
        }),
      }),
    });
  });

  it('lets the browser upload to the drafts bucket from the site only, and the desk page connect there only', () => {
    stateful.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          Match.objectLike({
            AllowedMethods: ['PUT'],
            AllowedOrigins: [new URL(SITE.siteUrl).origin],
            AllowedHeaders: ['content-type'],
          }),
        ],
      },
    });
    const csp = JSON.stringify(
      Object.values(pipeline.findResources('AWS::CloudFront::ResponseHeadersPolicy')).map(
        (p) =>
          p.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy
            .ContentSecurityPolicy,
      ),
    );
    expect(csp).toMatch(/connect-src 'self' https:\/\/.*\.s3\./);
  });

  it("grants the desk function the drafts bucket's objects and versions, article reads, and its own key item", () => {
    const granted = Object.entries(pipeline.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('DeskFunctionRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as (Statement & { Condition?: unknown })[]);
    expect(new Set(granted.flatMap(actionsOf))).toEqual(
      new Set([
        's3:GetObject',
        's3:GetObjectVersion',
        's3:PutObject',
        's3:ListBucket',
        's3:ListBucketVersions',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
    const put = granted.find((s) => actionsOf(s).includes('dynamodb:PutItem'));
    expect(put?.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['secret#desk'] },
    });
  });
});

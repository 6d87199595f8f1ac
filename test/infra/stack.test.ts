import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARTICLE_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { URL_REWRITE_SOURCE_PATH } from '../../infra/edge/url-rewrite.ts';
import { NewsroomStack } from '../../infra/newsroom-stack.ts';
import { readSettings } from '../../infra/settings.ts';
import { ROOT, SITE } from '../support/site.ts';

const context = JSON.parse(readFileSync(`${ROOT}cdk.json`, 'utf8')).context;
let template: Template;

beforeAll(() => {
  const app = new App({ context });
  const stack = new NewsroomStack(app, 'Newsroom', { settings: readSettings(app) });
  template = Template.fromStack(stack);
});

describe('CDK app', () => {
  it('keeps every draft version, encrypted, private and TLS-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('creates the article table with the same keys and indexes the local stack uses', () => {
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    const table = Object.values(tables)[0]?.Properties;
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
    expect(table.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.Replicas[0].DeletionProtectionEnabled).toBe(true);
  });

  it('feeds draft events through a queue with a dead-letter queue, reporting failures per message', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const notifications = template.findResources('Custom::S3BucketNotifications');
    const config = Object.values(notifications)[0]?.Properties.NotificationConfiguration.QueueConfigurations;
    const suffixes = config.map(
      (c: { Events: string[]; Filter: { Key: { FilterRules: { Value: string }[] } } }) => [
        c.Events[0],
        c.Filter.Key.FilterRules[0]?.Value,
      ],
    );
    expect(suffixes).toContainEqual(['s3:ObjectCreated:*', '.md']);
    expect(suffixes).toContainEqual(['s3:ObjectRemoved:*', '.md']);
    expect(suffixes).toContainEqual(['s3:ObjectCreated:*', '.jpg']);
  });

  it('runs the ingest function on arm64 with its configuration wired', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      Runtime: 'nodejs24.x',
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          DRAFTS_BUCKET: Match.anyValue(),
          SITE_BUCKET: Match.anyValue(),
          ARTICLE_TABLE: Match.anyValue(),
          SITE_CONFIG: JSON.stringify(SITE),
        }),
      },
    });
  });

  it('serves the site through CloudFront with origin access control and the URL rewrite the local server runs', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: readFileSync(URL_REWRITE_SOURCE_PATH, 'utf8'),
      FunctionConfig: Match.objectLike({ Runtime: 'cloudfront-js-2.0' }),
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        CustomErrorResponses: Match.arrayWith([
          Match.objectLike({ ErrorCode: 404, ResponsePagePath: '/404.html' }),
        ]),
      }),
    });
  });

  it('refuses to synthesise without valid settings, naming the problem', () => {
    expect(() => readSettings(new App())).toThrow(/no "newsroom" context/);
    const bad = new App({
      context: { newsroom: { ...context.newsroom, sections: [{ slug: 'Thời sự', name: 'x' }] } },
    });
    expect(() => readSettings(bad)).toThrow(/sections\.0\.slug/);
  });
});

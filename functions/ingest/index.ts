import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT_OPTIONS } from '#shared/adapters/client-options.ts';
import { KeyValueStoreEdgeRules } from '#shared/adapters/cloudfront/edge-rules.ts';
import { CloudFrontInvalidator } from '#shared/adapters/cloudfront/invalidator.ts';
import { PowertoolsOpsMetrics } from '#shared/adapters/cloudwatch/metrics.ts';
import { DynamoAppliedUploads } from '#shared/adapters/dynamodb/applied-uploads.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoLeaseStore } from '#shared/adapters/dynamodb/leases.ts';
import { S3DraftStore, S3SiteStore } from '#shared/adapters/s3/stores.ts';
import { EventBridgePublishScheduler } from '#shared/adapters/scheduler/eventbridge.ts';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import { SqsRenderQueue } from '#shared/adapters/sqs/render-queue.ts';
import { requireEnv, siteConfigFromEnv } from '#shared/config.ts';
import { makeIngestHandler } from './handler.ts';

// Composition root: configuration and clients are made once per container, at cold start.
const site = siteConfigFromEnv();
const draftsBucket = requireEnv('DRAFTS_BUCKET');
const siteBucket = requireEnv('SITE_BUCKET');
const articleTable = requireEnv('ARTICLE_TABLE');
const renderQueueUrl = requireEnv('RENDER_QUEUE_URL');
const distributionId = requireEnv('DISTRIBUTION_ID');
const edgeRulesStoreArn = requireEnv('EDGE_RULES_STORE_ARN');
const scheduleTargetArn = requireEnv('SCHEDULE_TARGET_ARN');
const schedulerRoleArn = requireEnv('SCHEDULER_ROLE_ARN');
const scheduleDeadLetterArn = requireEnv('SCHEDULE_DEAD_LETTER_ARN');

const s3 = new S3Client(AWS_CLIENT_OPTIONS);
const documents = DynamoDBDocumentClient.from(new DynamoDBClient(AWS_CLIENT_OPTIONS), {
  marshallOptions: { removeUndefinedValues: true },
});

export const handler = makeIngestHandler({
  draftsBucket,
  drafts: new S3DraftStore(s3, draftsBucket),
  site: new S3SiteStore(s3, siteBucket),
  index: new DynamoArticleIndex(documents, articleTable),
  applied: new DynamoAppliedUploads(documents, articleTable),
  render: new SqsRenderQueue(new SQSClient(AWS_CLIENT_OPTIONS), renderQueueUrl),
  leases: new DynamoLeaseStore(documents, articleTable),
  cdn: new CloudFrontInvalidator(new CloudFrontClient(AWS_CLIENT_OPTIONS), distributionId),
  edge: new KeyValueStoreEdgeRules(new CloudFrontKeyValueStoreClient(AWS_CLIENT_OPTIONS), edgeRulesStoreArn),
  scheduler: new EventBridgePublishScheduler(new SchedulerClient(AWS_CLIENT_OPTIONS), {
    targetArn: scheduleTargetArn,
    roleArn: schedulerRoleArn,
    deadLetterArn: scheduleDeadLetterArn,
  }),
  images: new SharpRenditions(),
  config: site,
  log: new Logger({ serviceName: 'ingest' }),
  // Its `service` dimension from POWERTOOLS_SERVICE_NAME, as the log's.
  metrics: new PowertoolsOpsMetrics(new Metrics({ namespace: requireEnv('POWERTOOLS_METRICS_NAMESPACE') })),
});

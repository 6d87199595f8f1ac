import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AWS_CLIENT_OPTIONS, type StoreClients, storeClients } from '#shared/adapters/client-options.ts';
import { KeyValueStoreEdgeRules } from '#shared/adapters/cloudfront/edge-rules.ts';
import { CloudFrontInvalidator } from '#shared/adapters/cloudfront/invalidator.ts';
import { PowertoolsOpsMetrics } from '#shared/adapters/cloudwatch/metrics.ts';
import { DynamoAppliedUploads } from '#shared/adapters/dynamodb/applied-uploads.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoComments } from '#shared/adapters/dynamodb/comments.ts';
import { DynamoLeaseStore } from '#shared/adapters/dynamodb/leases.ts';
import { S3RebuildWork } from '#shared/adapters/s3/rebuild-work.ts';
import { S3DraftStore, S3SiteStore } from '#shared/adapters/s3/stores.ts';
import { EventBridgePublishScheduler } from '#shared/adapters/scheduler/eventbridge.ts';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import { SqsRenderQueue } from '#shared/adapters/sqs/render-queue.ts';
import { parseSiteConfigJson } from '#shared/config.ts';
import { INGEST_ENVIRONMENT } from './environment.ts';
import type { IngestHandlerDeps } from './handler.ts';

export interface IngestOverrides extends Partial<IngestHandlerDeps> {
  readonly clients?: StoreClients;
}

/**
 * The ingest function's object graph, from its environment, as Lambda runs it: every port's AWS adapter.
 * The local stack and the tests use the same factory and override only what they must (queues, CDN,
 * scheduler, clients); a part that is overridden needs none of its environment.
 */
export function composeIngest(env: NodeJS.ProcessEnv, overrides: IngestOverrides = {}): IngestHandlerDeps {
  const vars = INGEST_ENVIRONMENT.read(env);
  const draftsBucket = overrides.draftsBucket ?? vars.DRAFTS_BUCKET;
  const siteBucket = vars.SITE_BUCKET;
  const table = vars.ARTICLE_TABLE;
  const config = overrides.config ?? parseSiteConfigJson(vars.SITE_CONFIG);
  const { clients = storeClients() } = overrides;
  const { s3, documents } = clients;
  return {
    draftsBucket,
    config,
    drafts: new S3DraftStore(s3, draftsBucket),
    site: new S3SiteStore(s3, siteBucket),
    index: new DynamoArticleIndex(documents, table),
    applied: new DynamoAppliedUploads(documents, table),
    leases: new DynamoLeaseStore(documents, table),
    shownComments: overrides.shownComments ?? new DynamoComments(documents, vars.COMMENT_TABLE),
    images: new SharpRenditions(),
    render: overrides.render ?? new SqsRenderQueue(new SQSClient(AWS_CLIENT_OPTIONS), vars.RENDER_QUEUE_URL),
    cdn:
      overrides.cdn ??
      new CloudFrontInvalidator(new CloudFrontClient(AWS_CLIENT_OPTIONS), vars.DISTRIBUTION_ID),
    edge:
      overrides.edge ??
      new KeyValueStoreEdgeRules(
        new CloudFrontKeyValueStoreClient(AWS_CLIENT_OPTIONS),
        vars.EDGE_RULES_STORE_ARN,
      ),
    scheduler:
      overrides.scheduler ??
      new EventBridgePublishScheduler(new SchedulerClient(AWS_CLIENT_OPTIONS), {
        targetArn: vars.SCHEDULE_TARGET_ARN,
        roleArn: vars.SCHEDULER_ROLE_ARN,
        deadLetterArn: vars.SCHEDULE_DEAD_LETTER_ARN,
      }),
    ...(vars.REBUILD_WORK_BUCKET ? { rebuildWork: new S3RebuildWork(s3, vars.REBUILD_WORK_BUCKET) } : {}),
    log: overrides.log ?? new Logger({ serviceName: 'ingest' }),
    // Its `service` dimension from POWERTOOLS_SERVICE_NAME, as the log's.
    metrics:
      overrides.metrics ??
      new PowertoolsOpsMetrics(new Metrics({ namespace: vars.POWERTOOLS_METRICS_NAMESPACE })),
    ...withoutClients(overrides),
  };
}

function withoutClients({ clients: _, ...rest }: IngestOverrides): Partial<IngestHandlerDeps> {
  return rest;
}

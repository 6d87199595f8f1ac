import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { AttributeType, Billing, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ARTICLE_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { REPORTS_PREFIX } from '#shared/ports.ts';
import { PipelineFunction } from './constructs/pipeline-function.ts';
import { SECURITY_HEADERS } from './edge/headers.ts';
import { URL_REWRITE_SOURCE_PATH } from './edge/url-rewrite.ts';
import type { NewsroomSettings } from './settings.ts';

export interface NewsroomStackProps extends StackProps {
  readonly settings: NewsroomSettings;
}

const IMAGE_SUFFIXES = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.avif'];

/**
 * A first deployable pipeline: drafts bucket -> SQS (with a dead-letter queue) -> ingest function -> site
 * bucket and article table, the site behind CloudFront with the same URL rewrite the local server runs.
 */
export class NewsroomStack extends Stack {
  constructor(scope: Construct, id: string, props: NewsroomStackProps) {
    super(scope, id, props);
    const { settings } = props;

    const drafts = new Bucket(this, 'Drafts', {
      versioned: true,
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(settings.draftVersionRetentionDays) }],
    });
    const site = new Bucket(this, 'Site', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const { indexes, teaserAttributes } = ARTICLE_TABLE;
    const table = new TableV2(this, 'Articles', {
      partitionKey: { name: ARTICLE_TABLE.partitionKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: indexes.byTime.name,
          partitionKey: { name: indexes.byTime.partitionKey, type: AttributeType.STRING },
          sortKey: { name: indexes.byTime.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...teaserAttributes],
        },
        {
          indexName: indexes.bySection.name,
          partitionKey: { name: indexes.bySection.partitionKey, type: AttributeType.STRING },
          sortKey: { name: indexes.bySection.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...teaserAttributes],
        },
        {
          indexName: indexes.byDraft.name,
          partitionKey: { name: indexes.byDraft.partitionKey, type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
      ],
    });

    const ingestTimeout = Duration.seconds(60);
    const deadLetters = new Queue(this, 'DraftEventsDeadLetters', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const draftEvents = new Queue(this, 'DraftEvents', {
      visibilityTimeout: Duration.seconds(ingestTimeout.toSeconds() * 6),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    const toQueue = new SqsDestination(draftEvents);
    for (const suffix of ['.md', ...IMAGE_SUFFIXES]) {
      drafts.addEventNotification(EventType.OBJECT_CREATED, toQueue, { suffix });
      drafts.addEventNotification(EventType.OBJECT_REMOVED, toQueue, { suffix });
    }

    const ingest = new PipelineFunction(this, 'Ingest', {
      entry: fileURLToPath(new URL('../functions/ingest/index.ts', import.meta.url)),
      description: 'Publishes, corrects and takes down articles when drafts change',
      timeout: ingestTimeout,
      logRetention: settings.logRetentionDays as RetentionDays,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'ingest',
        DRAFTS_BUCKET: drafts.bucketName,
        SITE_BUCKET: site.bucketName,
        ARTICLE_TABLE: table.tableName,
        SITE_CONFIG: JSON.stringify(settings.site),
      },
    }).fn;
    drafts.grantRead(ingest);
    drafts.grantPut(ingest, `${REPORTS_PREFIX}*`);
    site.grantReadWrite(ingest);
    site.grantDelete(ingest);
    table.grantReadWriteData(ingest);
    ingest.addEventSource(new SqsEventSource(draftEvents, { batchSize: 10, reportBatchItemFailures: true }));

    const urlRewrite = new cloudfront.Function(this, 'UrlRewrite', {
      code: cloudfront.FunctionCode.fromFile({ filePath: URL_REWRITE_SOURCE_PATH }),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      comment: 'Maps reader URLs to site-bucket objects',
    });
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: SECURITY_HEADERS['content-security-policy'] ?? '',
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
      },
    });
    new cloudfront.Distribution(this, 'Cdn', {
      comment: `${settings.site.siteName} site`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(site),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        functionAssociations: [
          { function: urlRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
        ],
      },
      errorResponses: [
        { httpStatus: 403, responseHttpStatus: 404, responsePagePath: '/404.html', ttl: Duration.minutes(1) },
        { httpStatus: 404, responseHttpStatus: 404, responsePagePath: '/404.html', ttl: Duration.minutes(1) },
      ],
    });
  }
}

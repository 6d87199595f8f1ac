import { fileURLToPath } from 'node:url';
import { Annotations, CfnOutput, Duration, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { OriginGroup, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination as InvocationFailuresTo } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, EventType } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Schedule, ScheduleExpression, ScheduleGroup, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Trigger } from 'aws-cdk-lib/triggers';
import type { Construct } from 'constructs';
import { metricsNamespace } from '#shared/adapters/cloudwatch/metrics.ts';
import { ARCHIVE_KEY_PREFIX, ARTICLE_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { type OpsMetricName, REPORTS_PREFIX } from '#shared/ports.ts';
import { API_PREFIX } from '#shared/render/comments.ts';
import { DESK_API, DESK_PREVIEW } from '../functions/desk/handler.ts';
import { INGEST_ENVIRONMENT } from '../functions/ingest/environment.ts';
import { RENDER_ENVIRONMENT } from '../functions/render/environment.ts';
import { CommentsApi } from './constructs/comments-api.ts';
import { DeskApi } from './constructs/desk-api.ts';
import { NotFoundPage } from './constructs/not-found.ts';
import { People } from './constructs/people.ts';
import { PipelineFunction } from './constructs/pipeline-function.ts';
import { RebuildMachine } from './constructs/rebuild-machine.ts';
import { CDN_CACHE, FILE_PATH_PREFIXES } from './edge/cache-policy.ts';
import { CONTENT_SECURITY_POLICY, HSTS_MAX_AGE_SECONDS, PERMISSIONS_POLICY } from './edge/headers.ts';
import { EDGE_FUNCTION_MAX_BYTES, edgeAnswers, edgeFunctionSource } from './edge/url-rewrite.ts';
import { EVENT_SOURCES } from './event-sources.ts';
import { acknowledgeWildcardResources } from './nag.ts';
import { resourceNames } from './names.ts';
import type { NewsroomSettings } from './settings.ts';

/** A dead letter this old alarms: SQS keeps them 14 days. */
export const DEAD_LETTER_AGE_ALARM_DAYS = 10;
/** Readers' requests answered 5xx, in percent over five minutes, that alarm. */
export const CDN_5XX_RATE_ALARM_PERCENT = 1;

export interface PipelineStackProps extends StackProps {
  readonly settings: NewsroomSettings;
}

const entry = (path: string) => fileURLToPath(new URL(`../functions/${path}`, import.meta.url));

/**
 * Everything that can be rebuilt from the stateful stack: queues, functions, the CDN, alarms and dashboard.
 *
 *   drafts bucket --S3 events--> draft-events queue --> ingest --> table, new pages, render queue
 *   render queue (FIFO, one group per page or list) --> render --> site bucket, CDN invalidations
 */
export class PipelineStack extends Stack {
  readonly distribution: cloudfront.Distribution;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { settings } = props;
    // The stateful stack's resources, found by name (see names.ts): no exports between the two stacks.
    const names = resourceNames(settings.resourcePrefix);
    const bucket = (id: string, bucketName: string) =>
      Bucket.fromBucketAttributes(this, id, { bucketName, region: this.region });
    const drafts = bucket('DraftsBucket', names.draftsBucket);
    const site = bucket('SiteBucket', names.siteBucket);
    const accessLogs = bucket('AccessLogsBucket', names.accessLogsBucket);
    const table = TableV2.fromTableName(this, 'ArticleTable', names.articleTable);
    const logRetention = settings.logRetentionDays as RetentionDays;

    // --- CDN ---------------------------------------------------------------------------------------
    const edgeRulesArn = StringParameter.valueForStringParameter(this, names.edgeRulesStoreParameter);
    const edgeRules = cloudfront.KeyValueStore.fromKeyValueStoreArn(this, 'EdgeRules', edgeRulesArn);
    const answers = edgeAnswers(settings.site, { hstsPreload: settings.hstsPreload });
    const storeIdLength = 36; // a KeyValueStore id is a UUID
    if (
      Buffer.byteLength(edgeFunctionSource({ storeId: 'x'.repeat(storeIdLength), ...answers })) >
      EDGE_FUNCTION_MAX_BYTES
    ) {
      throw new Error(
        `The viewer-request function is over CloudFront's ${EDGE_FUNCTION_MAX_BYTES}-byte limit.`,
      );
    }
    const urlRewrite = new cloudfront.Function(this, 'UrlRewrite', {
      code: cloudfront.FunctionCode.fromInline(
        edgeFunctionSource({ storeId: Fn.select(1, Fn.split('/', edgeRulesArn)), ...answers }),
      ),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      keyValueStore: edgeRules,
      comment: 'Redirects and removals from the edge rules; maps reader URLs to site-bucket objects',
    });
    const securityHeaders = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'CSP without inline scripts, HSTS, nosniff, no framing, referrer and permissions policies',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_SECONDS),
          includeSubdomains: true,
          preload: settings.hstsPreload,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
      },
      customHeadersBehavior: {
        customHeaders: [{ header: 'Permissions-Policy', value: PERMISSIONS_POLICY, override: true }],
      },
    });
    // Pages carry their own lifetimes (Cache-Control s-maxage): articles a year, invalidated when they
    // change; lists a minute, never invalidated.
    const pagesCache = new cloudfront.CachePolicy(this, 'PagesCache', {
      comment: 'Honours the Cache-Control each page is stored with',
      minTtl: Duration.seconds(CDN_CACHE.pages.min),
      defaultTtl: Duration.seconds(CDN_CACHE.pages.default),
      maxTtl: Duration.seconds(CDN_CACHE.pages.max),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // An address the bucket has no object for (S3 answers 403: CloudFront may not list it) is asked of the
    // not-found function instead, which answers with the 404 page: a custom error response would do the same
    // to every behaviour's answers, the APIs' own 403s and 404s among them.
    const notFound = new NotFoundPage(this, 'NotFound', { site: settings.site, logRetention });
    const origin = new OriginGroup({
      primaryOrigin: S3BucketOrigin.withOriginAccessControl(site),
      fallbackOrigin: notFound.origin,
      fallbackStatusCodes: [403, 404],
    });
    Annotations.of(this).acknowledgeWarning(
      '@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac',
      "The site bucket policy in the stateful stack grants read to this account's CloudFront distributions (stateful-stack.ts).",
    );
    const files: cloudfront.BehaviorOptions = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: securityHeaders,
    };
    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: `${settings.site.siteName}: site`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_200,
      enableLogging: true,
      logBucket: accessLogs,
      logFilePrefix: 'cdn/',
      ...(settings.domain
        ? {
            domainNames: [settings.domain.name],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', settings.domain.certificateArn),
            minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: pagesCache,
        responseHeadersPolicy: securityHeaders,
        functionAssociations: [
          { function: urlRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
        ],
      },
      // Media and assets are named by their content: cached for good, no rewriting needed.
      additionalBehaviors: Object.fromEntries(FILE_PATH_PREFIXES.map((prefix) => [`${prefix}*`, files])),
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'A newspaper is read worldwide (readers abroad, the diaspora): no geographic restriction.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'Static pages; the one form (comments) has its own limits and bans in the function, and a WAF rate rule when commentWafPostsPerFiveMinutes is set (us-east-1).',
    });
    if (!settings.domain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain CloudFront serves its default certificate, whose TLS policy cannot be set; setting domainName and certificateArn enforces TLS 1.2.',
      });
    }
    const distributionArn = `arn:${this.partition}:cloudfront::${this.account}:distribution/${this.distribution.distributionId}`;

    // --- Queues ------------------------------------------------------------------------------------
    // Ten messages a delivery, one at a time; one is started only with MESSAGE_TIME_RESERVE_MS (30 s) left,
    // so a delivery ends in time whatever its messages hold (docs/operations.md).
    const ingestTimeout = Duration.seconds(90);
    const renderTimeout = Duration.seconds(60);
    const queueDefaults = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true };
    const draftEventsDlq = new Queue(this, 'DraftEventsDeadLetters', {
      ...queueDefaults,
      retentionPeriod: Duration.days(14),
    });
    const draftEvents = new Queue(this, 'DraftEvents', {
      ...queueDefaults,
      visibilityTimeout: Duration.seconds(ingestTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: draftEventsDlq, maxReceiveCount: 5 },
    });
    const renderDlq = new Queue(this, 'RenderJobsDeadLetters', {
      ...queueDefaults,
      fifo: true,
      retentionPeriod: Duration.days(14),
    });
    const renderJobs = new Queue(this, 'RenderJobs', {
      ...queueDefaults,
      fifo: true,
      contentBasedDeduplication: false,
      visibilityTimeout: Duration.seconds(renderTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: renderDlq, maxReceiveCount: 5 },
    });
    // Every change, unfiltered: S3's suffix filters match letter case exactly (`BAI.MD` would pass unseen),
    // so the ingest function decides what it acts on (classifyKey, shared/domain/upload-keys.ts). The cost is
    // one message for each report the function writes, which it ignores.
    const toQueue = new SqsDestination(draftEvents);
    drafts.addEventNotification(EventType.OBJECT_CREATED, toQueue);
    drafts.addEventNotification(EventType.OBJECT_REMOVED, toQueue);

    // --- Functions ---------------------------------------------------------------------------------
    const tableArn = table.tableArn;
    const indexArn = (name: string) => `${tableArn}/index/${name}`;
    const { byTime, bySection, byDraft, byTag, byUpload, byArchivePage } = ARTICLE_TABLE.indexes;
    const siteConfig = JSON.stringify(settings.site);
    // The approved comments an article page shows: one Query of the comments table, nothing else of it.
    const commentTableArn = `arn:${this.partition}:dynamodb:${this.region}:${this.account}:table/${names.commentTable}`;
    const readComments = new PolicyStatement({ actions: ['dynamodb:Query'], resources: [commentTableArn] });
    const sitePages = [
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [site.arnForObjects('*')],
      }),
      // Listing lets a missing object answer "no such key" instead of "access denied".
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [site.bucketArn] }),
    ];

    // Scheduled drafts: EventBridge Scheduler invokes the ingest function at their time, with this role.
    const ingestName = `${settings.resourcePrefix}-ingest`;
    const ingestArn = `arn:${this.partition}:lambda:${this.region}:${this.account}:function:${ingestName}`;
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler bring scheduled drafts back to the ingest function',
    });
    schedulerRole.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [ingestArn] }),
    );
    // A due draft whose delivery failed every retry waits here instead of being dropped (alarmed below).
    const scheduledDlq = new Queue(this, 'ScheduledDeliveriesDeadLetters', {
      ...queueDefaults,
      retentionPeriod: Duration.days(14),
    });
    scheduledDlq.grantSendMessages(schedulerRole);
    Validations.of(scheduledDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "It is EventBridge Scheduler's dead-letter queue (a target's DeadLetterConfig, set per schedule at run time), which cdk-nag cannot see.",
    });
    const schedules = `arn:${this.partition}:scheduler:${this.region}:${this.account}:schedule/default/publish-*`;

    const ingest = new PipelineFunction(this, 'Ingest', {
      functionName: ingestName,
      entry: entry('ingest/index.ts'),
      description: 'Publishes, corrects and takes down articles when drafts change',
      service: 'ingest',
      timeout: ingestTimeout,
      // One full vCPU (Lambda gives one per 1,769 MB): a 20 MB photo is decoded and resized in seconds, and
      // photos are prepared one at a time, so this is room for the largest one with the rest of a draft.
      memorySize: 1769,
      // Photo renditions (sharp, libvips): native code, installed for the function's platform.
      nativeModules: ['sharp'],
      logRetention,
      environment: INGEST_ENVIRONMENT.values({
        DRAFTS_BUCKET: drafts.bucketName,
        SITE_BUCKET: site.bucketName,
        ARTICLE_TABLE: table.tableName,
        RENDER_QUEUE_URL: renderJobs.queueUrl,
        COMMENT_TABLE: names.commentTable,
        DISTRIBUTION_ID: this.distribution.distributionId,
        EDGE_RULES_STORE_ARN: edgeRulesArn,
        SCHEDULE_TARGET_ARN: ingestArn,
        SCHEDULER_ROLE_ARN: schedulerRole.roleArn,
        SCHEDULE_DEAD_LETTER_ARN: scheduledDlq.queueArn,
        SITE_CONFIG: siteConfig,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(settings.resourcePrefix),
      }),
      permissions: [
        new PolicyStatement({ actions: ['s3:GetObject'], resources: [drafts.arnForObjects('*')] }),
        new PolicyStatement({
          actions: [
            'cloudfront-keyvaluestore:DescribeKeyValueStore',
            'cloudfront-keyvaluestore:PutKey',
            'cloudfront-keyvaluestore:DeleteKey',
          ],
          resources: [edgeRulesArn],
        }),
        new PolicyStatement({ actions: ['s3:ListBucket'], resources: [drafts.bucketArn] }),
        new PolicyStatement({
          actions: ['s3:PutObject'],
          resources: [drafts.arnForObjects(`${REPORTS_PREFIX}*`)],
        }),
        ...sitePages,
        new PolicyStatement({
          // UpdateItem appends to an article's audit history; BatchWriteItem writes its tag items.
          actions: [
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
            'dynamodb:DeleteItem',
            'dynamodb:BatchWriteItem',
            'dynamodb:Query',
            // A rebuild finds the withdrawn articles by a scan (no index lists them).
            'dynamodb:Scan',
          ],
          resources: [
            tableArn,
            indexArn(byTime.name),
            indexArn(bySection.name),
            indexArn(byDraft.name),
            indexArn(byTag.name),
            indexArn(byUpload.name),
            indexArn(byArchivePage.name),
          ],
        }),
        readComments,
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [renderJobs.queueArn] }),
        new PolicyStatement({ actions: ['cloudfront:CreateInvalidation'], resources: [distributionArn] }),
        new PolicyStatement({
          actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule'],
          resources: [schedules],
        }),
        new PolicyStatement({ actions: ['iam:PassRole'], resources: [schedulerRole.roleArn] }),
      ],
    });
    // Scheduler invokes the function asynchronously: a due draft whose processing failed after Lambda's own
    // retries is kept beside the deliveries Scheduler could not make.
    ingest.fn.configureAsyncInvoke({ onFailure: new InvocationFailuresTo(scheduledDlq), retryAttempts: 2 });
    ingest.fn.addEventSource(
      new SqsEventSource(draftEvents, { ...EVENT_SOURCES.ingest, reportBatchItemFailures: true }),
    );
    // Anti-entropy: compares the drafts bucket with what was applied and heals what lost events left
    // (uploads never seen, removals never applied, scheduled drafts that never went live).
    new Schedule(this, 'Reconcile', {
      description: 'Brings the site in line with the drafts bucket where events were lost',
      schedule: ScheduleExpression.rate(Duration.minutes(settings.reconcileEveryMinutes)),
      target: new LambdaInvoke(ingest.fn, {
        input: ScheduleTargetInput.fromObject({ reconcile: {} }),
        role: schedulerRole,
        deadLetterQueue: scheduledDlq,
        retryAttempts: 2,
      }),
    });
    acknowledgeWildcardResources(
      schedulerRole,
      [`${ingest.fn.functionArn}:*`],
      "The schedule's target grant covers the ingest function's versions and aliases (`:*`): that one function only.",
    );
    acknowledgeWildcardResources(
      ingest.role,
      [drafts.arnForObjects('*'), drafts.arnForObjects(`${REPORTS_PREFIX}*`), site.arnForObjects('*')],
      'Object keys are chosen by editors and by the site layout, so object-level S3 access names the bucket, not the keys; writes to the drafts bucket are limited to reports/.',
    );
    acknowledgeWildcardResources(
      ingest.role,
      [schedules],
      'One schedule per scheduled draft, named publish-<hash of its key>: only schedules with that prefix.',
    );

    // The rebuild of a site of any size: a state machine whose tasks are steps the ingest function runs.
    const rebuild = new RebuildMachine(this, 'Rebuild', {
      ingest: ingest.fn,
      drafts,
      site,
      concurrency: settings.rebuildConcurrency,
      logRetention,
    });
    ingest.fn.addEnvironment(INGEST_ENVIRONMENT.name('REBUILD_WORK_BUCKET'), rebuild.work.bucketName);
    acknowledgeWildcardResources(
      ingest.role,
      [rebuild.work.arnForObjects('rebuilds/*')],
      "The rebuild's work, in its own bucket: each execution's objects are named by the execution.",
    );
    new CfnOutput(this, 'RebuildStateMachineArn', {
      value: rebuild.stateMachine.stateMachineArn,
      description: 'Start a rebuild: npm run rebuild -- --aws (docs/operations.md)',
    });

    const render = new PipelineFunction(this, 'Render', {
      entry: entry('render/index.ts'),
      description: 'Renders article pages and lists from the article table',
      service: 'render',
      timeout: renderTimeout,
      logRetention,
      environment: RENDER_ENVIRONMENT.values({
        SITE_BUCKET: site.bucketName,
        ARTICLE_TABLE: table.tableName,
        COMMENT_TABLE: names.commentTable,
        DISTRIBUTION_ID: this.distribution.distributionId,
        SITE_CONFIG: siteConfig,
      }),
      permissions: [
        ...sitePages,
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:Query'],
          resources: [
            tableArn,
            indexArn(byTime.name),
            indexArn(bySection.name),
            indexArn(byTag.name),
            indexArn(byArchivePage.name),
          ],
        }),
        // A list's render opens its archive pages: items under `archive#`, and nothing else of the table.
        new PolicyStatement({
          actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ARCHIVE_KEY_PREFIX}*`] } },
        }),
        readComments,
        new PolicyStatement({ actions: ['cloudfront:CreateInvalidation'], resources: [distributionArn] }),
      ],
    });
    render.fn.addEventSource(
      new SqsEventSource(renderJobs, { ...EVENT_SOURCES.render, reportBatchItemFailures: true }),
    );
    acknowledgeWildcardResources(
      render.role,
      [site.arnForObjects('*')],
      'Pages are site objects whose keys depend on the articles, the sections and the number of pages.',
    );

    // Readers' comments: `POST /api/comments` on this distribution, to the comments function.
    const comments = new CommentsApi(this, 'Comments', {
      settings,
      names,
      articleTableArn: tableArn,
      logRetention,
      deadLetters: scheduledDlq,
    });
    // The function answers with pages (thanks, refusals): the site's security headers on them too.
    this.distribution.addBehavior(`${API_PREFIX}*`, comments.behavior.origin, {
      ...comments.behavior,
      responseHeadersPolicy: securityHeaders,
    });
    // The editors' desk: its page, API and previews, from the desk function with its own CSP.
    const desk = new DeskApi(this, 'Desk', {
      settings,
      names,
      drafts,
      articleTableArn: tableArn,
      logRetention,
    });
    this.distribution.addBehavior(`${DESK_API}*`, desk.apiBehavior.origin, desk.apiBehavior);
    this.distribution.addBehavior(`${DESK_PREVIEW}*`, desk.previewBehavior.origin, desk.previewBehavior);
    this.distribution.addBehavior('/desk/*', desk.previewBehavior.origin, {
      ...desk.previewBehavior,
      functionAssociations: [
        { function: urlRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST },
      ],
    });

    // What the people may do with their own credentials: the editors' and the moderators' policies.
    new People(this, 'People', { drafts, commentTableName: names.commentTable, renderJobs });
    // What `npm run comments` needs to moderate the deployed site (docs/comments.md).
    new CfnOutput(this, 'CommentTable', { value: names.commentTable });
    new CfnOutput(this, 'RenderQueueUrl', { value: renderJobs.queueUrl });
    const wafLimit = settings.comments.wafPostsPerFiveMinutes;
    if (wafLimit !== undefined && this.region === 'us-east-1') {
      this.distribution.attachWebAclId(CommentsApi.rateLimitAcl(this, wafLimit).attrArn);
    } else if (wafLimit !== undefined) {
      Annotations.of(this).addWarning(
        'commentWafPostsPerFiveMinutes needs the pipeline stack in us-east-1 (CloudFront web ACLs live there): no WAF rule was made.',
      );
    }

    // A new deployment has an empty site bucket: build the stylesheet, error page and every (empty) list
    // before readers arrive, and again whenever the render code changes.
    new Trigger(this, 'BuildSiteAfterDeploy', {
      handler: render.fn,
      executeAfter: [this.distribution],
      executeOnHandlerChange: true,
      timeout: Duration.minutes(5),
    });

    // The singleton function CDK uses to configure the bucket notifications on deploy.
    const notificationsHandler = this.node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'CDK-provided handler that sets the drafts bucket notifications at deploy time; the managed policy only lets it write its logs.',
      });
    }

    // --- Operations --------------------------------------------------------------------------------
    const alarmKey = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the ops alarm topic',
      enableKeyRotation: true,
    });
    // A topic policy replaces SNS's default one, and the topic's key is its own: CloudWatch may publish this
    // account's alarms to it, and use the key to do so, and nothing else may.
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    const fromOwnAlarms = {
      StringEquals: { 'aws:SourceAccount': this.account },
      ArnLike: { 'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*` },
    };
    alarmKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsUseTheKey',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy: this key
        conditions: fromOwnAlarms,
      }),
    );
    this.alarmTopic = new Topic(this, 'Alarms', {
      displayName: `${settings.site.siteName} pipeline alarms`,
      masterKey: alarmKey,
      enforceSSL: true,
    });
    this.alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: fromOwnAlarms,
      }),
    );
    if (settings.alertEmail) this.alarmTopic.addSubscription(new EmailSubscription(settings.alertEmail));
    const notify = new SnsAction(this.alarmTopic);
    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(notify);
      a.addOkAction(notify);
      return a;
    };
    const queues: [string, IQueue, IQueue][] = [
      ['DraftEvents', draftEvents, draftEventsDlq],
      ['RenderJobs', renderJobs, renderDlq],
    ];
    alarm(
      'ScheduledDeliveriesDeadLettersAlarm',
      scheduledDlq.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      1,
      'A scheduled draft was not published when due (Scheduler could not deliver it, or the ingest function failed on it after its retries): it is not live. The message names its draftKey: fix the cause, then upload the draft again.',
    );
    for (const [name, queue, dlq] of queues) {
      alarm(
        `${name}DeadLettersAlarm`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        1,
        `${name}: messages failed every retry and wait in the dead-letter queue. Read the function logs, fix, then redrive (docs/operations.md).`,
      );
      alarm(
        `${name}OldestMessageAlarm`,
        queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        600,
        `${name}: a message has waited over 10 minutes; publishing is stuck or far behind.`,
      );
    }
    for (const [name, dlq] of [
      ['DraftEvents', draftEventsDlq],
      ['RenderJobs', renderDlq],
      ['ScheduledDeliveries', scheduledDlq],
    ] as const) {
      alarm(
        `${name}DeadLetterAgeAlarm`,
        dlq.metricApproximateAgeOfOldestMessage({ period: Duration.hours(1), statistic: 'Maximum' }),
        DEAD_LETTER_AGE_ALARM_DAYS * 86_400,
        `${name}: a dead letter has waited ${DEAD_LETTER_AGE_ALARM_DAYS} days; it expires at 14 and its change is then lost. Redrive it (docs/operations.md).`,
      );
    }
    // The pipeline's own metrics (Powertools, embedded in the function's log).
    const own = (metricName: OpsMetricName, period: Duration) =>
      new cloudwatch.Metric({
        namespace: metricsNamespace(settings.resourcePrefix),
        metricName,
        dimensionsMap: { service: 'ingest' },
        statistic: 'Sum',
        period,
      });
    alarm(
      'IngestFailedMessagesAlarm',
      own('FailedMessages', Duration.minutes(5)),
      1,
      'Ingest: messages failed and were handed back for another try (a fault outside the draft: S3, DynamoDB, CloudFront). Read the function logs; after five tries they go to the dead letters.',
    );
    const reconcilePeriod = Duration.minutes(Math.max(settings.reconcileEveryMinutes, 5));
    alarm(
      'ReconcileDifferencesAlarm',
      own('ReconcileDifferences', reconcilePeriod),
      1,
      'Reconcile found uploads whose events were lost (or a schedule that never fired) and brought them into line. Once is S3 or Scheduler losing an event; every run means the bucket notification or the schedule is broken.',
    );
    alarm(
      'ReconcileFailuresAlarm',
      own('ReconcileFailures', reconcilePeriod),
      1,
      'Reconcile could not bring an upload into line; it tries again next run. Read the ingest logs ("reconcile could not bring an upload into line").',
    );
    // The one-time publish schedules and the reconcile schedule are in the default group.
    const schedulesGroup = ScheduleGroup.fromDefaultScheduleGroup(this, 'DefaultScheduleGroup');
    alarm(
      'SchedulerTargetErrorsAlarm',
      schedulesGroup.metricTargetErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      1,
      'Scheduler could not invoke the ingest function for a scheduled draft or a reconcile (it retries, then dead-letters).',
    );
    alarm(
      'SchedulerDroppedAlarm',
      schedulesGroup.metricDropped({ period: Duration.minutes(5), statistic: 'Sum' }),
      1,
      'Scheduler dropped an invocation after its retries (and could not dead-letter it): a scheduled draft may not be live; the next reconcile publishes it.',
    );
    if (this.region === 'us-east-1') {
      // CloudFront publishes its metrics in us-east-1 only, and an alarm watches its own region's metrics.
      const cdnMetric = (metricName: string, statistic: string, dimensions: Record<string, string>) =>
        new cloudwatch.Metric({
          namespace: 'AWS/CloudFront',
          metricName,
          dimensionsMap: { ...dimensions, Region: 'Global' },
          statistic,
          period: Duration.minutes(5),
        });
      alarm(
        'Cdn5xxRateAlarm',
        cdnMetric('5xxErrorRate', 'Average', { DistributionId: this.distribution.distributionId }),
        CDN_5XX_RATE_ALARM_PERCENT,
        `Readers get server errors: over ${CDN_5XX_RATE_ALARM_PERCENT}% of requests answered 5xx (the site bucket or its access from CloudFront).`,
      );
      alarm(
        'UrlRewriteErrorsAlarm',
        cdnMetric('FunctionExecutionErrors', 'Sum', { FunctionName: urlRewrite.functionName }),
        1,
        'The viewer-request function failed: readers get 503 for the requests it failed on. Check its code against the edge rules.',
      );
    } else {
      Annotations.of(this).addWarning(
        'CloudFront metrics are in us-east-1 only: deploy the pipeline stack there to get the CDN 5xx and viewer-request function alarms (README, Alarms).',
      );
    }
    const functions: [string, IFunction, Duration][] = [
      ['Ingest', ingest.fn, ingestTimeout],
      ['Render', render.fn, renderTimeout],
      ['Comments', comments.fn.fn, comments.fn.fn.timeout ?? Duration.seconds(10)],
      ['Desk', desk.fn.fn, desk.fn.fn.timeout ?? Duration.seconds(29)],
      ['NotFound', notFound.fn.fn, notFound.fn.fn.timeout ?? Duration.seconds(5)],
    ];
    comments.alarms(alarm, settings);
    for (const [name, fn, timeout] of functions) {
      alarm(
        `${name}DurationAlarm`,
        fn.metricDuration({ period: Duration.minutes(5), statistic: 'Maximum' }),
        timeout.toMilliseconds() * 0.8,
        `${name}: an invocation ran past 80% of its ${timeout.toSeconds()} s timeout; work is close to being cut off.`,
      );
      alarm(
        `${name}ErrorsAlarm`,
        fn.metricErrors({ period: Duration.minutes(5) }),
        1,
        `${name} function errors.`,
      );
      alarm(
        `${name}ThrottlesAlarm`,
        fn.metricThrottles({ period: Duration.minutes(5) }),
        1,
        `${name} function throttled.`,
      );
    }

    new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(24),
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Waiting messages',
            left: queues.map(([name, q]) => q.metricApproximateNumberOfMessagesVisible({ label: name })),
            right: queues.map(([name, , dlq]) =>
              dlq.metricApproximateNumberOfMessagesVisible({ label: `${name} DLQ` }),
            ),
          }),
          new cloudwatch.GraphWidget({
            title: 'Oldest message age (s)',
            left: queues.map(([name, q]) => q.metricApproximateAgeOfOldestMessage({ label: name })),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Invocations and errors',
            left: functions.map(([name, fn]) => fn.metricInvocations({ label: `${name} invocations` })),
            right: functions.map(([name, fn]) => fn.metricErrors({ label: `${name} errors` })),
          }),
          new cloudwatch.GraphWidget({
            title: 'Duration p95 (ms)',
            left: functions.map(([name, fn]) => fn.metricDuration({ label: name, statistic: 'p95' })),
          }),
        ],
      ],
    });
  }
}

import { Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { metricsNamespace } from '#shared/adapters/cloudwatch/metrics.ts';
import { COMMENT_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { COMMENTS_ENDPOINT } from '#shared/render/comments.ts';
import { COMMENTS_ENVIRONMENT } from '../../functions/comments/environment.ts';
import { acknowledgeWildcardResources } from '../nag.ts';
import type { ResourceNames } from '../names.ts';
import type { NewsroomSettings } from '../settings.ts';
import { originApi } from './origin-api.ts';
import { PipelineFunction } from './pipeline-function.ts';

/** API Gateway's own throttle in front of the function: far above a newsroom's readers, far below a flood. */
export const COMMENTS_API_THROTTLE = { rateLimit: 20, burstLimit: 40 } as const;
/** The header CloudFront adds to what it forwards; the function refuses a request without it. */
export const ORIGIN_VERIFY_HEADER = 'x-origin-verify';
/** What CloudFront passes on to the comments function: where the post came from, and who sent it. */
export const COMMENTS_FORWARDED_HEADERS = [
  'Origin',
  'Referer',
  'Sec-Fetch-Site',
  'Content-Type',
  'CloudFront-Viewer-Address',
];

export interface CommentsApiProps {
  readonly settings: NewsroomSettings;
  readonly names: ResourceNames;
  readonly articleTableArn: string;
  readonly logRetention: RetentionDays;
  /** Where a digest the schedule could not deliver waits (the scheduled deliveries' dead letters). */
  readonly deadLetters: IQueue;
}

/**
 * Readers' comments in AWS: `POST /api/comments` on the site's own distribution, through an HTTP API to
 * the comments function (an HTTP API, not a Function URL: CloudFront's origin access control for Function
 * URLs wants the viewer to sign the body's hash, which a plain HTML form cannot), and the schedule that
 * sends the moderators' digest.
 */
export class CommentsApi extends Construct {
  readonly fn: PipelineFunction;
  /** The `/api/*` behaviour: nothing cached, every method, the headers the function needs. */
  readonly behavior: cloudfront.BehaviorOptions;

  constructor(scope: Construct, id: string, props: CommentsApiProps) {
    super(scope, id);
    const { settings, names } = props;
    const stack = Stack.of(this);
    const commentTableArn = `arn:${stack.partition}:dynamodb:${stack.region}:${stack.account}:table/${names.commentTable}`;
    const { moderation } = COMMENT_TABLE.indexes;
    // Not a secret kept from ops, a name no one outside the account knows: the stack's own id.
    const originSecret = Fn.select(2, Fn.split('/', stack.stackId));
    const { moderatorEmails, digestFrom } = settings.comments;
    const mailing = moderatorEmails.length > 0 && digestFrom !== undefined;
    this.fn = new PipelineFunction(this, 'Function', {
      entry: new URL('../../functions/comments/index.ts', import.meta.url).pathname,
      description: "Takes readers' comments and sends the moderators' digest",
      service: 'comments',
      timeout: Duration.seconds(10),
      memorySize: 256,
      logRetention: props.logRetention,
      environment: COMMENTS_ENVIRONMENT.values({
        COMMENT_TABLE: names.commentTable,
        ARTICLE_TABLE: names.articleTable,
        SITE_CONFIG: JSON.stringify(settings.site),
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(settings.resourcePrefix),
        ORIGIN_SECRET: originSecret,
        ...(mailing ? { DIGEST_FROM: digestFrom, MODERATOR_EMAILS: moderatorEmails.join(',') } : {}),
      }),
      permissions: [
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
          resources: [commentTableArn, `${commentTableArn}/index/${moderation.name}`],
        }),
        // Whether the article is live, and since when: its record, read only.
        new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [props.articleTableArn] }),
        ...(mailing
          ? [
              new PolicyStatement({
                actions: ['ses:SendEmail'],
                resources: [
                  `arn:${stack.partition}:ses:${stack.region}:${stack.account}:identity/${digestFrom}`,
                ],
              }),
            ]
          : []),
      ],
    });

    const { api, origin } = originApi(this, {
      description: "Readers' comment form posts, behind the site's CloudFront distribution",
      throttle: COMMENTS_API_THROTTLE,
      originHeaders: { [ORIGIN_VERIFY_HEADER]: originSecret },
    });
    api.addRoutes({
      path: COMMENTS_ENDPOINT,
      methods: [HttpMethod.ANY],
      integration: new HttpLambdaIntegration('Post', this.fn.fn),
    });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'A public form for readers, who have no accounts: the function checks origin, limits and bans, and every comment waits for a moderator.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-APIG1',
      reason:
        "Access logs would keep every reader's address; the function logs each post without personal data instead.",
    });

    const forwarded = new cloudfront.OriginRequestPolicy(this, 'Forwarded', {
      comment:
        'What the comments function reads: Origin, Referer, Sec-Fetch-Site, Content-Type, the viewer address',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList(...COMMENTS_FORWARDED_HEADERS),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    this.behavior = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      originRequestPolicy: forwarded,
    };

    const schedulerRole = new Role(this, 'DigestRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: "Lets EventBridge Scheduler send the moderators' digest",
    });
    new Schedule(this, 'Digest', {
      description: 'Tells the moderators which comments wait for them, and how long the oldest has waited',
      schedule: ScheduleExpression.rate(Duration.minutes(settings.comments.digestEveryMinutes)),
      target: new LambdaInvoke(this.fn.fn, {
        input: ScheduleTargetInput.fromObject({ digest: {} }),
        role: schedulerRole,
        deadLetterQueue: props.deadLetters,
        retryAttempts: 2,
      }),
    });
    acknowledgeWildcardResources(
      schedulerRole,
      [`${this.fn.fn.functionArn}:*`],
      "The digest schedule's target grant covers the comments function's versions and aliases (`:*`): that one function only.",
    );
  }

  /** The alarm on a comment waiting too long for a moderator (the digest publishes its age). */
  alarms(
    alarm: (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => void,
    settings: NewsroomSettings,
  ): void {
    alarm(
      'OldestPendingCommentAlarm',
      new cloudwatch.Metric({
        namespace: metricsNamespace(settings.resourcePrefix),
        metricName: 'OldestPendingCommentMinutes',
        dimensionsMap: { service: 'comments' },
        period: Duration.minutes(settings.comments.digestEveryMinutes),
        statistic: 'Maximum',
      }),
      settings.comments.oldestPendingAlarmHours * 60,
      `A comment has waited ${settings.comments.oldestPendingAlarmHours} h for a moderator: run npm run comments -- pending (docs/comments.md).`,
    );
  }

  /**
   * A WAF web ACL for the distribution that blocks an address posting comments more than `limit` times in
   * five minutes (CloudFront's web ACLs live in us-east-1 only).
   */
  static rateLimitAcl(scope: Construct, limit: number): wafv2.CfnWebACL {
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: false,
    });
    return new wafv2.CfnWebACL(scope, 'CommentsRateLimit', {
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('site'),
      rules: [
        {
          name: 'comment-posts-per-address',
          priority: 0,
          action: { block: {} },
          visibilityConfig: visibility('comment-posts-per-address'),
          statement: {
            rateBasedStatement: {
              limit,
              aggregateKeyType: 'IP',
              scopeDownStatement: {
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'STARTS_WITH',
                  searchString: '/api/',
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              },
            },
          },
        },
      ],
    });
  }
}

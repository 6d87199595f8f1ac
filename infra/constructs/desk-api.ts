import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ARTICLE_TABLE } from '#shared/adapters/dynamodb/schema.ts';
import { deskContentSecurityPolicy } from '#shared/desk/app.ts';
import { DESK_ENVIRONMENT } from '../../functions/desk/environment.ts';
import { DESK_API, DESK_PREVIEW } from '../../functions/desk/handler.ts';
import { HSTS_MAX_AGE_SECONDS } from '../edge/headers.ts';
import { acknowledgeWildcardResources } from '../nag.ts';
import type { ResourceNames } from '../names.ts';
import type { NewsroomSettings } from '../settings.ts';
import { originApi } from './origin-api.ts';
import { PipelineFunction } from './pipeline-function.ts';

export interface DeskApiProps {
  readonly settings: NewsroomSettings;
  readonly names: ResourceNames;
  readonly drafts: IBucket;
  readonly articleTableArn: string;
  readonly logRetention: RetentionDays;
}

/**
 * The editors' desk in AWS: its API (`/desk/api/*`, an HTTP API whose routes all need a Cognito ID token
 * but sign-in; `/desk/preview/*`, the shareable previews) and the behaviours and headers the distribution
 * serves it with. The page itself comes from the function too (`GET /desk/`), with no bucket behind it.
 */
export class DeskApi extends Construct {
  readonly fn: PipelineFunction;
  readonly apiBehavior: cloudfront.BehaviorOptions;
  readonly previewBehavior: cloudfront.BehaviorOptions;
  readonly headers: cloudfront.ResponseHeadersPolicy;

  constructor(scope: Construct, id: string, props: DeskApiProps) {
    super(scope, id);
    const { settings, names, drafts } = props;
    const stack = Stack.of(this);
    const userPoolId = StringParameter.valueForStringParameter(this, names.deskUserPoolParameter);
    const clientId = StringParameter.valueForStringParameter(this, names.deskClientParameter);
    const { byTime, bySection } = ARTICLE_TABLE.indexes;
    const table = props.articleTableArn;
    this.fn = new PipelineFunction(this, 'Function', {
      entry: new URL('../../functions/desk/index.ts', import.meta.url).pathname,
      description: "The editors' desk: board, uploads, Word conversion, previews, history",
      service: 'desk',
      timeout: Duration.seconds(29),
      // Word documents and preview photos are decoded here (sharp, as the ingest function).
      memorySize: 1024,
      nativeModules: ['sharp'],
      logRetention: props.logRetention,
      environment: DESK_ENVIRONMENT.values({
        DRAFTS_BUCKET: drafts.bucketName,
        ARTICLE_TABLE: names.articleTable,
        SITE_CONFIG: JSON.stringify(settings.site),
        DESK_CLIENT_ID: clientId,
      }),
      permissions: [
        // Reading drafts, reports and their versions; writing a draft (a takedown, a restore, and the
        // presigned uploads, which act with this role's rights).
        new PolicyStatement({
          actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'],
          resources: [drafts.arnForObjects('*')],
        }),
        new PolicyStatement({
          actions: ['s3:ListBucket', 's3:ListBucketVersions'],
          resources: [drafts.bucketArn],
        }),
        new PolicyStatement({
          actions: ['dynamodb:GetItem', 'dynamodb:Query'],
          resources: [table, `${table}/index/${byTime.name}`, `${table}/index/${bySection.name}`],
        }),
        // Its preview-link key, made once: that one item only.
        new PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [table],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['secret#desk'] } },
        }),
      ],
    });
    acknowledgeWildcardResources(
      this.fn.role,
      [drafts.arnForObjects('*')],
      'Drafts and photos are named by editors; writes are further limited by the function to section folders.',
    );

    const { api, origin } = originApi(this, {
      description: "The editors' desk, behind the site's CloudFront distribution",
      throttle: { rateLimit: 20, burstLimit: 40 },
    });
    const integration = new HttpLambdaIntegration('Desk', this.fn.fn);
    const authorizer = new HttpJwtAuthorizer(
      'Editors',
      `https://cognito-idp.${stack.region}.amazonaws.com/${userPoolId}`,
      { jwtAudience: [clientId] },
    );
    api.addRoutes({ path: `${DESK_API}{proxy+}`, methods: [HttpMethod.ANY], integration, authorizer });
    // Without a token: signing in, and the shareable previews (their link is their key).
    api.addRoutes({ path: `${DESK_API}sign-in`, methods: [HttpMethod.POST], integration });
    api.addRoutes({ path: `${DESK_PREVIEW}{token}`, methods: [HttpMethod.GET], integration });
    // The page itself, from the function too (the viewer-request function makes `/desk/` its index.html).
    api.addRoutes({ path: '/desk/{file}', methods: [HttpMethod.GET], integration });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Every desk route needs a Cognito ID token but two: sign-in itself, and a shareable preview, whose signed, expiring link is its credential.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-APIG1',
      reason:
        'The function logs each change with the editor and the draft; access logs would add only addresses.',
    });

    // The editor's token has to reach the API, and CloudFront forwards Authorization only as part of a cache
    // key: one that keeps nothing (a second at most, never shared between editors).
    const byEditor = new cloudfront.CachePolicy(this, 'ByEditor', {
      comment: 'Desk API: nothing kept; the Authorization header reaches the API',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('Authorization'),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
    });
    const forwarded = new cloudfront.OriginRequestPolicy(this, 'Forwarded', {
      comment: 'Desk API: the body type (the query is in the cache key, so forwarded)',
      headerBehavior: cloudfront.OriginRequestHeaderBehavior.allowList('Content-Type'),
      queryStringBehavior: cloudfront.OriginRequestQueryStringBehavior.none(),
      cookieBehavior: cloudfront.OriginRequestCookieBehavior.none(),
    });
    const uploads = `https://${drafts.bucketName}.s3.${stack.region}.amazonaws.com`;
    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: "The desk's own CSP: its scripts, and uploads to the drafts bucket only",
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: deskContentSecurityPolicy(uploads), override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_SECONDS),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.SAME_ORIGIN, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [{ header: 'X-Robots-Tag', value: 'noindex, nofollow', override: true }],
      },
    });
    this.apiBehavior = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      cachePolicy: byEditor,
      originRequestPolicy: forwarded,
      responseHeadersPolicy: this.headers,
    };
    /** The page, its script and stylesheet, and the shareable previews: nothing kept. */
    this.previewBehavior = {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      responseHeadersPolicy: this.headers,
    };
  }
}

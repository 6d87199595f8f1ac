import { Duration, Validations } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { SiteConfig } from '#shared/domain/site.ts';
import { NOT_FOUND_ENVIRONMENT } from '../../functions/not-found/environment.ts';
import { originApi } from './origin-api.ts';
import { PipelineFunction } from './pipeline-function.ts';

/** API Gateway's throttle in front of it: well above what readers' mistyped links make, below a scan. */
export const NOT_FOUND_API_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

export interface NotFoundPageProps {
  readonly site: SiteConfig;
  readonly logRetention: RetentionDays;
}

/**
 * The site's "page not found" as an origin: a small function behind an HTTP API that answers every GET and
 * HEAD with the 404 page and status 404. The distribution fails over to it when the site bucket has no
 * object for an address, instead of a custom error response, which CloudFront applies to every behaviour and
 * would replace the comments' and the desk's own 403s and 404s with this page.
 */
export class NotFoundPage extends Construct {
  readonly fn: PipelineFunction;
  readonly origin: cloudfront.IOrigin;

  constructor(scope: Construct, id: string, props: NotFoundPageProps) {
    super(scope, id);
    this.fn = new PipelineFunction(this, 'Function', {
      entry: new URL('../../functions/not-found/index.ts', import.meta.url).pathname,
      description: 'Answers addresses the site bucket has no page for with the 404 page',
      service: 'not-found',
      timeout: Duration.seconds(5),
      memorySize: 256,
      logRetention: props.logRetention,
      environment: NOT_FOUND_ENVIRONMENT.values({ SITE_CONFIG: JSON.stringify(props.site) }),
      permissions: [],
    });
    const { api, origin } = originApi(this, {
      description: "The site's 404 page, the distribution's failover origin",
      throttle: NOT_FOUND_API_THROTTLE,
    });
    this.origin = origin;
    const integration = new HttpLambdaIntegration('NotFound', this.fn.fn);
    api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.GET, HttpMethod.HEAD], integration });
    api.addRoutes({ path: '/', methods: [HttpMethod.GET, HttpMethod.HEAD], integration });
    Validations.of(api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'It answers every reader the same public 404 page: there is nothing to authorize.',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-APIG1',
      reason: "Access logs would keep readers' addresses; the distribution's own logs record these requests.",
    });
  }
}

import { Fn } from 'aws-cdk-lib';
import { HttpApi, HttpStage, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { Construct } from 'constructs';

/**
 * An HTTP API that the distribution reaches as an origin: one auto-deployed `$default` stage with its own
 * throttle, and the origin CloudFront talks to it through (HTTPS only, with any headers it adds).
 */
export function originApi(
  scope: Construct,
  options: {
    readonly description: string;
    readonly throttle: ThrottleSettings;
    readonly originHeaders?: Record<string, string>;
  },
): { readonly api: HttpApi; readonly origin: cloudfront.IOrigin } {
  const api = new HttpApi(scope, 'Api', { description: options.description, createDefaultStage: false });
  new HttpStage(scope, 'Stage', {
    httpApi: api,
    stageName: '$default',
    autoDeploy: true,
    throttle: options.throttle,
  });
  const origin = new HttpOrigin(Fn.select(2, Fn.split('/', api.apiEndpoint)), {
    protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
    ...(options.originHeaders ? { customHeaders: options.originHeaders } : {}),
  });
  return { api, origin };
}

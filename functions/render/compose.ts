import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { AWS_CLIENT_OPTIONS, type StoreClients, storeClients } from '#shared/adapters/client-options.ts';
import { CloudFrontInvalidator } from '#shared/adapters/cloudfront/invalidator.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoComments } from '#shared/adapters/dynamodb/comments.ts';
import { S3SiteStore } from '#shared/adapters/s3/stores.ts';
import { parseSiteConfigJson } from '#shared/config.ts';
import type { RenderDeps } from '#shared/use-cases/render.ts';
import { RENDER_ENVIRONMENT } from './environment.ts';

export interface RenderOverrides extends Partial<RenderDeps> {
  readonly clients?: StoreClients;
}

/**
 * The render function's object graph, from its environment, as Lambda runs it. The local stack and the tests
 * use the same factory, overriding the CDN (and their clients).
 */
export function composeRender(env: NodeJS.ProcessEnv, overrides: RenderOverrides = {}): RenderDeps {
  const vars = RENDER_ENVIRONMENT.read(env);
  const siteBucket = vars.SITE_BUCKET;
  const table = vars.ARTICLE_TABLE;
  const config = overrides.config ?? parseSiteConfigJson(vars.SITE_CONFIG);
  const { clients, ...rest } = overrides;
  const { s3, documents } = clients ?? storeClients();
  return {
    config,
    site: new S3SiteStore(s3, siteBucket),
    index: new DynamoArticleIndex(documents, table),
    shownComments: rest.shownComments ?? new DynamoComments(documents, vars.COMMENT_TABLE),
    cdn:
      rest.cdn ?? new CloudFrontInvalidator(new CloudFrontClient(AWS_CLIENT_OPTIONS), vars.DISTRIBUTION_ID),
    log: rest.log ?? new Logger({ serviceName: 'render' }),
    ...rest,
  };
}

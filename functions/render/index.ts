import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT_OPTIONS } from '#shared/adapters/client-options.ts';
import { CloudFrontInvalidator } from '#shared/adapters/cloudfront/invalidator.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { S3SiteStore } from '#shared/adapters/s3/stores.ts';
import { requireEnv, siteConfigFromEnv } from '#shared/config.ts';
import { makeRenderHandler } from './handler.ts';

// Composition root: configuration and clients are made once per container, at cold start.
const site = siteConfigFromEnv();
const siteBucket = requireEnv('SITE_BUCKET');
const articleTable = requireEnv('ARTICLE_TABLE');
const distributionId = requireEnv('DISTRIBUTION_ID');
const documents = DynamoDBDocumentClient.from(new DynamoDBClient(AWS_CLIENT_OPTIONS), {
  marshallOptions: { removeUndefinedValues: true },
});

export const handler = makeRenderHandler({
  site: new S3SiteStore(new S3Client(AWS_CLIENT_OPTIONS), siteBucket),
  index: new DynamoArticleIndex(documents, articleTable),
  cdn: new CloudFrontInvalidator(new CloudFrontClient(AWS_CLIENT_OPTIONS), distributionId),
  config: site,
  log: new Logger({ serviceName: 'render' }),
});

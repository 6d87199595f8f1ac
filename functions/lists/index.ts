import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { S3SiteStore } from '#shared/adapters/s3/stores.ts';
import { requireEnv, siteConfigFromEnv } from '#shared/config.ts';
import { makeListsHandler } from './handler.ts';

// Composition root: configuration and clients are made once per container, at cold start.
const site = siteConfigFromEnv();
const siteBucket = requireEnv('SITE_BUCKET');
const articleTable = requireEnv('ARTICLE_TABLE');
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});

export const handler = makeListsHandler({
  site: new S3SiteStore(new S3Client({}), siteBucket),
  index: new DynamoArticleIndex(documents, articleTable),
  config: site,
  log: new Logger({ serviceName: 'lists' }),
});

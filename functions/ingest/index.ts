import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { S3DraftStore, S3SiteStore } from '#shared/adapters/s3/stores.ts';
import { pipelineConfigFromEnv } from '#shared/config.ts';
import { publishSiteFrame } from '#shared/use-cases/site-frame.ts';
import { makeIngestHandler } from './handler.ts';

// Composition root: configuration and clients are made once per container, at cold start.
const config = pipelineConfigFromEnv();
const logger = new Logger({ serviceName: 'ingest' });
const s3 = new S3Client({});
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
const site = new S3SiteStore(s3, config.siteBucket);
let frame: Promise<void> | undefined;

export const handler = makeIngestHandler({
  draftsBucket: config.draftsBucket,
  drafts: new S3DraftStore(s3, config.draftsBucket),
  site,
  index: new DynamoArticleIndex(documents, config.articleTable),
  config: config.site,
  log: logger,
  ready: () => {
    frame ??= publishSiteFrame(site, config.site).catch((err: unknown) => {
      frame = undefined;
      throw err;
    });
    return frame;
  },
});

import { Logger } from '@aws-lambda-powertools/logger';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { S3Client } from '@aws-sdk/client-s3';
import { AWS_CLIENT_OPTIONS, type StoreClients, storeClients } from '#shared/adapters/client-options.ts';
import { CognitoEditorSignIn } from '#shared/adapters/cognito/sign-in.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoSecret } from '#shared/adapters/dynamodb/secret.ts';
import { S3DeskDrafts } from '#shared/adapters/s3/desk.ts';
import { SharpRenditions } from '#shared/adapters/sharp/renditions.ts';
import { parseSiteConfigJson } from '#shared/config.ts';
import { DESK_ENVIRONMENT } from './environment.ts';
import type { DeskHandlerDeps } from './handler.ts';

export interface DeskOverrides extends Partial<DeskHandlerDeps> {
  readonly clients?: StoreClients;
}

/**
 * The desk function's object graph, from its environment, as Lambda runs it. The local stack overrides the
 * sign-in (a users file instead of Cognito) and its clients.
 */
export function composeDesk(env: NodeJS.ProcessEnv, overrides: DeskOverrides = {}): DeskHandlerDeps {
  const vars = DESK_ENVIRONMENT.read(env);
  const { clients, ...rest } = overrides;
  const { s3, documents } = clients ?? storeClients();
  const table = vars.ARTICLE_TABLE;
  const index = new DynamoArticleIndex(documents, table);
  // Upload URLs carry no checksum of an empty body: the browser's body is the one S3 receives.
  const signer = new S3Client({ ...AWS_CLIENT_OPTIONS, requestChecksumCalculation: 'WHEN_REQUIRED' });
  return {
    config: rest.config ?? parseSiteConfigJson(vars.SITE_CONFIG),
    drafts: new S3DeskDrafts(s3, signer, vars.DRAFTS_BUCKET),
    articles: index,
    lists: index,
    images: new SharpRenditions(),
    secret: new DynamoSecret(documents, table, { pk: 'secret#desk' }),
    signIn:
      rest.signIn ??
      new CognitoEditorSignIn(new CognitoIdentityProviderClient(AWS_CLIENT_OPTIONS), vars.DESK_CLIENT_ID),
    log: rest.log ?? new Logger({ serviceName: 'desk' }),
    ...rest,
  };
}

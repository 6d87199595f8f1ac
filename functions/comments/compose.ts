import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { AWS_CLIENT_OPTIONS, type StoreClients, storeClients } from '#shared/adapters/client-options.ts';
import { PowertoolsOpsMetrics } from '#shared/adapters/cloudwatch/metrics.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoComments } from '#shared/adapters/dynamodb/comments.ts';
import { SesModeratorDigest } from '#shared/adapters/ses/digest.ts';
import { requireEnv, siteConfigFromEnv } from '#shared/config.ts';
import type { CommentsHandlerDeps } from './handler.ts';

export interface CommentsOverrides extends Partial<CommentsHandlerDeps> {
  readonly clients?: StoreClients;
}

/**
 * The comments function's object graph, from its environment, as Lambda runs it. The local stack and the
 * tests use the same factory, overriding the digest (printed locally) and their clients.
 */
export function composeComments(
  env: NodeJS.ProcessEnv,
  overrides: CommentsOverrides = {},
): CommentsHandlerDeps {
  const need = (name: string) => requireEnv(name, env);
  const { clients, ...rest } = overrides;
  const { documents } = clients ?? storeClients();
  const comments = new DynamoComments(documents, need('COMMENT_TABLE'));
  const log = rest.log ?? new Logger({ serviceName: 'comments' });
  return {
    config: rest.config ?? siteConfigFromEnv(env),
    comments,
    limits: comments,
    bans: comments,
    secret: comments,
    articles: new DynamoArticleIndex(documents, need('ARTICLE_TABLE')),
    log,
    metrics:
      rest.metrics ??
      new PowertoolsOpsMetrics(new Metrics({ namespace: need('POWERTOOLS_METRICS_NAMESPACE') })),
    digest:
      rest.digest ??
      new SesModeratorDigest(
        new SESv2Client(AWS_CLIENT_OPTIONS),
        need('DIGEST_FROM'),
        need('MODERATOR_EMAILS')
          .split(',')
          .map((e) => e.trim()),
      ),
    ...(env.ORIGIN_SECRET ? { originSecret: env.ORIGIN_SECRET } : {}),
    ...rest,
  };
}

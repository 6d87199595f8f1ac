import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { AWS_CLIENT_OPTIONS, type StoreClients, storeClients } from '#shared/adapters/client-options.ts';
import { PowertoolsOpsMetrics } from '#shared/adapters/cloudwatch/metrics.ts';
import { DynamoArticleIndex } from '#shared/adapters/dynamodb/article-index.ts';
import { DynamoComments } from '#shared/adapters/dynamodb/comments.ts';
import { SesModeratorDigest } from '#shared/adapters/ses/digest.ts';
import { ConfigError, parseSiteConfigJson } from '#shared/config.ts';
import type { ModeratorDigest } from '#shared/ports.ts';
import { COMMENTS_ENVIRONMENT } from './environment.ts';
import type { CommentsHandlerDeps } from './handler.ts';

export interface CommentsOverrides extends Partial<CommentsHandlerDeps> {
  readonly clients?: StoreClients;
}

/**
 * The comments function's object graph, from its environment, as Lambda runs it. The digest is mailed
 * through SES when the deployment names its sender and recipients; without them the digest schedule only
 * measures how long the oldest comment has waited (the alarm's metric). Tests override their clients.
 */
export function composeComments(
  env: NodeJS.ProcessEnv,
  overrides: CommentsOverrides = {},
): CommentsHandlerDeps {
  const vars = COMMENTS_ENVIRONMENT.read(env);
  const { clients, ...rest } = overrides;
  const { documents } = clients ?? storeClients();
  const comments = new DynamoComments(documents, vars.COMMENT_TABLE);
  const log = rest.log ?? new Logger({ serviceName: 'comments' });
  const digest = rest.digest ?? mailedDigest(vars.DIGEST_FROM, vars.MODERATOR_EMAILS);
  return {
    config: rest.config ?? parseSiteConfigJson(vars.SITE_CONFIG),
    comments,
    limits: comments,
    bans: comments,
    secret: comments,
    articles: new DynamoArticleIndex(documents, vars.ARTICLE_TABLE),
    log,
    metrics:
      rest.metrics ?? new PowertoolsOpsMetrics(new Metrics({ namespace: vars.POWERTOOLS_METRICS_NAMESPACE })),
    ...(digest ? { digest } : {}),
    originSecret: vars.ORIGIN_SECRET,
    ...rest,
  };
}

function mailedDigest(from: string | undefined, to: string | undefined): ModeratorDigest | undefined {
  const recipients = (to ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (from === undefined && recipients.length === 0) return undefined;
  if (from === undefined || recipients.length === 0) {
    throw new ConfigError('DIGEST_FROM and MODERATOR_EMAILS are set together or not at all.');
  }
  return new SesModeratorDigest(new SESv2Client(AWS_CLIENT_OPTIONS), from, recipients);
}

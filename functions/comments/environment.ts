import { functionEnvironment, mayHave, needs } from '#shared/environment.ts';

/** The comments function's environment: what the comments construct sets, and what its composition reads. */
export const COMMENTS_ENVIRONMENT = functionEnvironment({
  COMMENT_TABLE: needs('the comments table'),
  ARTICLE_TABLE: needs('the article table, read to know whether an article takes comments'),
  SITE_CONFIG: needs('the site settings, JSON'),
  POWERTOOLS_METRICS_NAMESPACE: needs("the namespace of the pipeline's own metrics"),
  ORIGIN_SECRET: needs('the value CloudFront adds to every request it forwards; others are refused'),
  DIGEST_FROM: mayHave("the verified sender of the moderators' digest; with MODERATOR_EMAILS, or neither"),
  MODERATOR_EMAILS: mayHave("who gets the moderators' digest, comma-separated; without it no mail is sent"),
});

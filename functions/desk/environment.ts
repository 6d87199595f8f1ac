import { functionEnvironment, needs } from '#shared/environment.ts';

/** The desk function's environment: what the desk construct sets, and what its composition reads. */
export const DESK_ENVIRONMENT = functionEnvironment({
  DRAFTS_BUCKET: needs('the drafts bucket, where every desk change is an upload'),
  ARTICLE_TABLE: needs('the article table (the board, the preview-link key)'),
  SITE_CONFIG: needs('the site settings, JSON'),
  DESK_CLIENT_ID: needs("the desk's Cognito app client, which editors sign in through"),
});

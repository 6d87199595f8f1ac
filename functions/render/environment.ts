import { functionEnvironment, needs } from '#shared/environment.ts';

/** The render function's environment: what the pipeline stack sets, and what its composition reads. */
export const RENDER_ENVIRONMENT = functionEnvironment({
  SITE_BUCKET: needs('the site bucket, where pages and lists are written'),
  ARTICLE_TABLE: needs('the article table'),
  COMMENT_TABLE: needs('the comments table, whose approved comments an article page shows'),
  DISTRIBUTION_ID: needs('the CloudFront distribution whose copies are invalidated'),
  SITE_CONFIG: needs('the site settings, JSON'),
});

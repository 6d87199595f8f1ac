import { functionEnvironment, mayHave, needs } from '#shared/environment.ts';

/** The ingest function's environment: what the pipeline stack sets, and what its composition reads. */
export const INGEST_ENVIRONMENT = functionEnvironment({
  DRAFTS_BUCKET: needs('the drafts bucket, read and reported to'),
  SITE_BUCKET: needs('the site bucket, where article pages and media are written'),
  ARTICLE_TABLE: needs('the article table'),
  COMMENT_TABLE: needs('the comments table, whose approved comments an article page shows'),
  RENDER_QUEUE_URL: needs('the render jobs queue (FIFO)'),
  DISTRIBUTION_ID: needs('the CloudFront distribution whose copies are invalidated'),
  EDGE_RULES_STORE_ARN: needs('the KeyValueStore holding redirects and removals'),
  SCHEDULE_TARGET_ARN: needs("what a scheduled draft's schedule invokes: this function"),
  SCHEDULER_ROLE_ARN: needs('the role EventBridge Scheduler invokes it with'),
  SCHEDULE_DEAD_LETTER_ARN: needs('where a scheduled delivery that failed waits'),
  SITE_CONFIG: needs('the site settings, JSON'),
  POWERTOOLS_METRICS_NAMESPACE: needs("the namespace of the pipeline's own metrics"),
  REBUILD_WORK_BUCKET: mayHave("the rebuild's work bucket; without it the function runs no rebuild steps"),
});

/**
 * The article table's shape, shared by the CDK stack and the local stack so that both create the same table.
 *
 * One partition key, `pk`: `article#<id>` for articles, `path#<url path>` for URL claims. Live articles also
 * carry `feed` ("live") and `sectionFeed` (their section): two sparse indexes sorted by `sortKey` (publication
 * time, then id) answer "latest N overall" and "latest N in section X" by Query. A third index finds an
 * article by the draft key that published it. A live article's tags are items of their own,
 * `tag#<tag slug>#<id>`, carrying `tagFeed` (the slug) and the teaser: the fourth index answers "latest N
 * with tag X". Each upload the pipeline applied is an item, `applied#<drafts-bucket key>`, carrying
 * `uploadFeed` ("applied") and its key as `uploadKey`: the fifth index lists them in key order, as S3 lists
 * the bucket, for a reconcile to compare the two page by page. Each archive page a list opened after its first
 * is an item, `archive#<list>#<number>`, carrying `archiveList` and the sort key it starts after as
 * `archiveAfter`: the sixth index finds the page that holds a sort key, in one Query; `archive#<list>` names
 * the newest (read consistently, as the index follows a moment behind).
 */
export const ARTICLE_TABLE = {
  partitionKey: 'pk',
  indexes: {
    byTime: { name: 'byTime', partitionKey: 'feed', sortKey: 'sortKey' },
    bySection: { name: 'bySection', partitionKey: 'sectionFeed', sortKey: 'sortKey' },
    byDraft: { name: 'byDraft', partitionKey: 'draftKey' },
    byTag: { name: 'byTag', partitionKey: 'tagFeed', sortKey: 'sortKey' },
    byUpload: { name: 'byUpload', partitionKey: 'uploadFeed', sortKey: 'uploadKey' },
    byArchivePage: { name: 'byArchivePage', partitionKey: 'archiveList', sortKey: 'archiveAfter' },
  },
  /** Attributes the archive pages' index carries besides its keys: the page's number. */
  archiveAttributes: ['pageNumber'],
  /** Attributes the uploads index carries besides its keys: what a reconcile compares. */
  uploadAttributes: ['etag', 'dueAt', 'appliedAt'],
  /** Attributes the list indexes carry besides their keys: exactly what a teaser shows. */
  teaserAttributes: ['id', 'section', 'title', 'path', 'excerpt', 'publishedAt', 'updatedAt'],
} as const;

export const LIVE_FEED = 'live';
/** What every archive page's item key starts with (the render function may write those items only). */
export const ARCHIVE_KEY_PREFIX = 'archive#';
export const UPLOAD_FEED = 'applied';

/**
 * The comments table's shape, shared by the CDK stack and the local stack.
 *
 * `pk` + `sk`. A comment is `article#<id>` / `comment#<created at>#<comment id>`, so an article's comments
 * are one Query, oldest first; `comment#<comment id>` / `at` points to it. A pending comment carries `queue`
 * ("pending") and `queueOrder` (flagged first, then oldest): the sparse `moderation` index is the queue, and
 * a decision removes both. Posting counters (`limit#…`) and bans carry `expiresAt`, DynamoDB's time to
 * live (seconds); the key that hashes readers' addresses is `secret` / `key`.
 */
export const COMMENT_TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLive: 'expiresAt',
  indexes: {
    moderation: { name: 'moderation', partitionKey: 'queue', sortKey: 'queueOrder' },
  },
} as const;

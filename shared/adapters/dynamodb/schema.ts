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
 * the bucket, for a reconcile to compare the two page by page.
 */
export const ARTICLE_TABLE = {
  partitionKey: 'pk',
  indexes: {
    byTime: { name: 'byTime', partitionKey: 'feed', sortKey: 'sortKey' },
    bySection: { name: 'bySection', partitionKey: 'sectionFeed', sortKey: 'sortKey' },
    byDraft: { name: 'byDraft', partitionKey: 'draftKey' },
    byTag: { name: 'byTag', partitionKey: 'tagFeed', sortKey: 'sortKey' },
    byUpload: { name: 'byUpload', partitionKey: 'uploadFeed', sortKey: 'uploadKey' },
  },
  /** Attributes the uploads index carries besides its keys: what a reconcile compares. */
  uploadAttributes: ['etag', 'dueAt', 'appliedAt'],
  /** Attributes the list indexes carry besides their keys: exactly what a teaser shows. */
  teaserAttributes: ['id', 'section', 'title', 'path', 'excerpt', 'publishedAt', 'updatedAt'],
} as const;

export const LIVE_FEED = 'live';
export const UPLOAD_FEED = 'applied';

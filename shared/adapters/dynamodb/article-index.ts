import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ArchiveList, type ArchivePage, FIRST_PAGE } from '../../domain/archive.ts';
import { type ArticleRecord, listedTags, type Teaser, teaserOf } from '../../domain/article.ts';
import { backoffMs } from '../../domain/backoff.ts';
import type { ArticleIndex, AuditEntry, DownArticle, TablePart, TeaserQuery } from '../../ports.ts';
import { isConditionFailure } from './errors.ts';
import { ARCHIVE_KEY_PREFIX, ARTICLE_TABLE, LIVE_FEED } from './schema.ts';

const { indexes } = ARTICLE_TABLE;
const articleKey = (id: string) => `article#${id}`;
const pathKey = (path: string) => `path#${path}`;
// A list's archive pages after the first, and the head item naming its newest.
const archiveHead = (list: ArchiveList) => `${ARCHIVE_KEY_PREFIX}${list}`;
const archiveKey = (list: ArchiveList, number: number) => `${ARCHIVE_KEY_PREFIX}${list}#${number}`;
const toPage = (item: Record<string, unknown>): ArchivePage => ({
  number: Number(item.pageNumber),
  after: String(item.archiveAfter),
});
// One item per article: its history as a list, appended to atomically.
const auditKey = (id: string) => `audit#${id}`;
// One item per tag of a live article: the tag's list is a Query on the byTag index.
const tagKey = (tag: string, id: string) => `tag#${tag}#${id}`;
// Which images a draft names, and which drafts name an image (a string set, changed atomically).
const draftImagesKey = (draftKey: string) => `draftImages#${draftKey}`;
const imageUsersKey = (imageKey: string) => `imageUsers#${imageKey}`;

/**
 * Who uses what, both ways: an owner's item lists the things it uses (`images`), each thing's item holds the
 * set of its owners (`drafts`, whatever the owners are). Drafts name images in the drafts bucket; articles
 * show photos on the site.
 */
interface Usage {
  readonly owned: (owner: string) => string;
  readonly users: (thing: string) => string;
}
const DRAFT_IMAGES: Usage = { owned: draftImagesKey, users: imageUsersKey };
const ARTICLE_PHOTOS: Usage = {
  owned: (articleId) => `articlePhotos#${articleId}`,
  users: (siteKey) => `photoUsers#${siteKey}`,
};

/**
 * Index attributes that are not part of the record. `indexedTags`: the tags whose items may exist for the
 * article, always a superset of them, so that a put interrupted half-way still knows what to clean up.
 */
const STORAGE_ONLY = new Set(['pk', 'feed', 'sectionFeed', 'indexedTags']);

function toRecord(item: Record<string, unknown>): ArticleRecord {
  return Object.fromEntries(
    Object.entries(item).filter(([k]) => !STORAGE_ONLY.has(k)),
  ) as unknown as ArticleRecord;
}

function toTeaser(item: Record<string, unknown>): Teaser {
  return {
    id: String(item.id),
    section: String(item.section),
    title: String(item.title),
    path: String(item.path),
    excerpt: String(item.excerpt),
    publishedAt: String(item.publishedAt),
    sortKey: String(item.sortKey),
    ...(typeof item.updatedAt === 'string' ? { updatedAt: item.updatedAt } : {}),
  };
}

/** The article index on DynamoDB: one table, lists served by Query on sparse indexes, never by Scan. */
export class DynamoArticleIndex implements ArticleIndex {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async get(id: string): Promise<ArticleRecord | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: articleKey(id) }, ConsistentRead: true }),
    );
    return out.Item ? toRecord(out.Item) : undefined;
  }

  async *withdrawn(part?: TablePart): AsyncIterable<DownArticle[]> {
    // No index lists them (a sparse index of every withdrawn article would cost a write on each takedown
    // for a rebuild's sake): a scan, projected to the addresses, run by rebuilds only.
    const pages = paginateScan(
      { client: this.client },
      {
        TableName: this.table,
        FilterExpression: 'begins_with(pk, :article) AND #status = :withdrawn',
        ProjectionExpression: 'id, #path, formerPaths',
        ExpressionAttributeNames: { '#status': 'status', '#path': 'path' },
        ExpressionAttributeValues: { ':article': 'article#', ':withdrawn': 'withdrawn' },
        ...(part ? { Segment: part.segment, TotalSegments: part.of } : {}),
      },
    );
    for await (const page of pages) {
      yield (page.Items ?? []).map((item) => ({
        id: String(item.id),
        path: String(item.path),
        formerPaths: Array.isArray(item.formerPaths) ? item.formerPaths.map(String) : [],
      }));
    }
  }

  async put(record: ArticleRecord): Promise<void> {
    const live = record.status === 'live' ? { feed: LIVE_FEED, sectionFeed: record.section } : {};
    const tags = record.status === 'live' ? listedTags(record) : [];
    const before = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: articleKey(record.id) },
        ProjectionExpression: 'indexedTags',
        ConsistentRead: true,
      }),
    );
    const indexed = (before.Item?.indexedTags as string[] | undefined) ?? [];
    // Tag items first, then the record naming every tag item that may exist, then the stale items go.
    const teaser = teaserOf(record);
    await this.#batch(
      tags.map((tag) => ({ PutRequest: { Item: { pk: tagKey(tag, record.id), tagFeed: tag, ...teaser } } })),
    );
    const stale = indexed.filter((t) => !tags.includes(t));
    const item = { pk: articleKey(record.id), ...record, ...live };
    await this.client.send(
      new PutCommand({
        TableName: this.table,
        Item: { ...item, indexedTags: [...new Set([...tags, ...stale])] },
      }),
    );
    if (stale.length > 0) {
      await this.#batch(stale.map((tag) => ({ DeleteRequest: { Key: { pk: tagKey(tag, record.id) } } })));
      await this.client.send(new PutCommand({ TableName: this.table, Item: { ...item, indexedTags: tags } }));
    }
  }

  async settle(id: string, version: number): Promise<void> {
    // One update of attributes no index carries: no tag item and no list changes.
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: articleKey(id) },
          UpdateExpression: 'SET #s = :t REMOVE #p, #c',
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: {
            '#s': 'settled',
            '#p': 'pendingFrom',
            '#c': 'claimedAhead',
            '#v': 'version',
          },
          ExpressionAttributeValues: { ':t': true, ':v': version },
        }),
      );
    } catch (err) {
      // A newer change recorded since: it settles itself.
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed (throttling) a few times. */
  async #batch(requests: Record<string, unknown>[]): Promise<void> {
    for (let i = 0; i < requests.length; i += 25) {
      let pending: Record<string, unknown>[] | undefined = requests.slice(i, i + 25);
      for (let attempt = 0; pending && pending.length > 0; attempt++) {
        if (attempt >= 8)
          throw new Error(`DynamoDB left ${pending.length} tag items unwritten after 8 tries`);
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt, 50, 2000)));
        const out = await this.client.send(
          new BatchWriteCommand({ RequestItems: { [this.table]: pending as never } }),
        );
        pending = out.UnprocessedItems?.[this.table] as Record<string, unknown>[] | undefined;
      }
    }
  }

  async teasers(given: TeaserQuery): Promise<Teaser[]> {
    // From the oldest: after the smallest sort key there is.
    const query = given.from === 'oldest' ? { ...given, after: given.after ?? '' } : given;
    const index = query.tag ? indexes.byTag : query.section ? indexes.bySection : indexes.byTime;
    const range = query.after !== undefined && query.before !== undefined;
    const ascending = query.after !== undefined && !range;
    const bound = query.before ?? (query.after === '' ? undefined : query.after);
    // Sort keys end in `#<id>`, so a range's bounds (instants) never equal one: BETWEEN is exclusive here.
    const condition = range
      ? ' AND #s BETWEEN :a AND :s'
      : bound === undefined
        ? ''
        : ascending
          ? ' AND #s > :s'
          : ' AND #s < :s';
    const input: QueryCommandInput = {
      TableName: this.table,
      IndexName: index.name,
      KeyConditionExpression: `#p = :p${condition}`,
      ExpressionAttributeNames: {
        '#p': index.partitionKey,
        ...(bound === undefined ? {} : { '#s': 'sortKey' }),
      },
      ExpressionAttributeValues: {
        ':p': query.tag ?? query.section ?? LIVE_FEED,
        ...(bound === undefined ? {} : { ':s': bound }),
        ...(range ? { ':a': query.after } : {}),
      },
      ScanIndexForward: ascending,
    };
    const teasers: Teaser[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const remaining = query.limit === undefined ? undefined : query.limit - teasers.length;
      const out = await this.client.send(
        new QueryCommand({
          ...input,
          ...(remaining === undefined ? {} : { Limit: remaining }),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) teasers.push(toTeaser(item));
      start = out.LastEvaluatedKey;
    } while (start && (query.limit === undefined || teasers.length < query.limit));
    return teasers;
  }

  async idForDraft(draftKey: string): Promise<string | undefined> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: indexes.byDraft.name,
        KeyConditionExpression: '#d = :d',
        ExpressionAttributeNames: { '#d': indexes.byDraft.partitionKey },
        ExpressionAttributeValues: { ':d': draftKey },
      }),
    );
    const ids = (out.Items ?? []).map((i) => String(i.pk).replace(/^article#/, ''));
    return ids[0];
  }

  async newestPage(list: ArchiveList): Promise<ArchivePage> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: archiveHead(list) }, ConsistentRead: true }),
    );
    return out.Item ? toPage(out.Item) : FIRST_PAGE;
  }

  async pageHolding(list: ArchiveList, sortKey: string): Promise<ArchivePage> {
    // The newest page from its head item (consistent); the older ones are long in the index.
    const newest = await this.newestPage(list);
    if (newest.after < sortKey) return newest;
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: indexes.byArchivePage.name,
        KeyConditionExpression: '#l = :l AND #a < :s',
        ExpressionAttributeNames: { '#l': indexes.byArchivePage.partitionKey, '#a': 'archiveAfter' },
        ExpressionAttributeValues: { ':l': list, ':s': sortKey },
        ScanIndexForward: false,
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    return item ? toPage(item) : FIRST_PAGE;
  }

  async archivePages(list: ArchiveList): Promise<ArchivePage[]> {
    const pages = [FIRST_PAGE];
    const found = paginateQuery(
      { client: this.client },
      {
        TableName: this.table,
        IndexName: indexes.byArchivePage.name,
        KeyConditionExpression: '#l = :l',
        ExpressionAttributeNames: { '#l': indexes.byArchivePage.partitionKey },
        ExpressionAttributeValues: { ':l': list },
      },
    );
    for await (const page of found) for (const item of page.Items ?? []) pages.push(toPage(item));
    // The index may not show the newest page yet: its head item does.
    const newest = await this.newestPage(list);
    if (newest.number > (pages.at(-1) as ArchivePage).number) pages.push(newest);
    return pages;
  }

  async archivePage(list: ArchiveList, number: number): Promise<ArchivePage | undefined> {
    if (number === 1) return FIRST_PAGE;
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: archiveKey(list, number) }, ConsistentRead: true }),
    );
    return out.Item ? toPage(out.Item) : undefined;
  }

  async openPage(list: ArchiveList, page: ArchivePage): Promise<ArchivePage> {
    let opened = page;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk: archiveKey(list, page.number),
            archiveList: list,
            archiveAfter: page.after,
            pageNumber: page.number,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      // Opened by an earlier try of this render: that page stands.
      opened = (await this.archivePage(list, page.number)) ?? page;
    }
    // The head names the newest page; it never goes back.
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: archiveHead(list) },
          UpdateExpression: 'SET archiveAfter = :a, pageNumber = :n',
          ConditionExpression: 'attribute_not_exists(pageNumber) OR pageNumber < :n',
          ExpressionAttributeValues: { ':a': opened.after, ':n': opened.number },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    return opened;
  }

  async claimPath(path: string, id: string): Promise<string | undefined> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: pathKey(path), owner: id },
          ConditionExpression: 'attribute_not_exists(pk) OR #o = :id',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':id': id },
        }),
      );
      return undefined;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      const out = await this.client.send(
        new GetCommand({ TableName: this.table, Key: { pk: pathKey(path) }, ConsistentRead: true }),
      );
      return String(out.Item?.owner ?? 'unknown');
    }
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: auditKey(entry.articleId) },
        UpdateExpression: 'SET entries = list_append(if_not_exists(entries, :none), :entry)',
        ExpressionAttributeValues: { ':none': [], ':entry': [entry] },
      }),
    );
  }

  async auditOf(articleId: string): Promise<AuditEntry[]> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: auditKey(articleId) }, ConsistentRead: true }),
    );
    return (out.Item?.entries as AuditEntry[] | undefined) ?? [];
  }

  async setImagesOf(draftKey: string, imageKeys: readonly string[]): Promise<void> {
    await this.#setUses(DRAFT_IMAGES, draftKey, imageKeys);
  }

  async draftsNaming(imageKey: string): Promise<string[]> {
    return this.#usersOf(DRAFT_IMAGES, imageKey);
  }

  async photosOf(articleId: string): Promise<string[]> {
    return this.#usedBy(ARTICLE_PHOTOS, articleId);
  }

  async setPhotosOf(articleId: string, siteKeys: readonly string[]): Promise<void> {
    await this.#setUses(ARTICLE_PHOTOS, articleId, siteKeys);
  }

  async articlesShowing(siteKey: string): Promise<string[]> {
    return this.#usersOf(ARTICLE_PHOTOS, siteKey);
  }

  async #usedBy(usage: Usage, owner: string): Promise<string[]> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: usage.owned(owner) }, ConsistentRead: true }),
    );
    return (out.Item?.images as string[] | undefined) ?? [];
  }

  async #setUses(usage: Usage, owner: string, keys: readonly string[]): Promise<void> {
    const next = [...new Set(keys)].sort();
    const current = await this.#usedBy(usage, owner);
    if (current.length === next.length && current.every((k, i) => k === next[i])) return;
    // Added first, removed last: a change cut short leaves a thing used by one owner too many, which costs
    // one needless look (or keeps a photo a while longer), never one too few.
    for (const key of next.filter((k) => !current.includes(k))) await this.#users(usage, key, 'ADD', owner);
    if (next.length > 0) {
      await this.client.send(
        new PutCommand({ TableName: this.table, Item: { pk: usage.owned(owner), images: next } }),
      );
    } else {
      await this.client.send(new DeleteCommand({ TableName: this.table, Key: { pk: usage.owned(owner) } }));
    }
    for (const key of current.filter((k) => !next.includes(k)))
      await this.#users(usage, key, 'DELETE', owner);
  }

  async #usersOf(usage: Usage, key: string): Promise<string[]> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: usage.users(key) }, ConsistentRead: true }),
    );
    return [...((out.Item?.drafts as Set<string> | undefined) ?? [])].sort();
  }

  async #users(usage: Usage, key: string, action: 'ADD' | 'DELETE', owner: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: usage.users(key) },
        UpdateExpression: `${action} drafts :owner`,
        ExpressionAttributeValues: { ':owner': new Set([owner]) },
      }),
    );
  }

  async holderOf(path: string): Promise<string | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { pk: pathKey(path) }, ConsistentRead: true }),
    );
    return out.Item ? String(out.Item.owner) : undefined;
  }

  async releasePath(path: string, id: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: pathKey(path) },
          ConditionExpression: '#o = :id',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':id': id },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }
}

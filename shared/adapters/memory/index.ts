import { createHash } from 'node:crypto';
import { type ArchiveList, type ArchivePage, FIRST_PAGE, pageHolding } from '../../domain/archive.ts';
import type { ArticleRecord, Teaser } from '../../domain/article.ts';
import { listedTags, teaserOf } from '../../domain/article.ts';
import { encodeEdgeRule } from '../../domain/edge-rules.ts';
import { compareKeys } from '../../domain/upload-keys.ts';
import {
  type AppliedUpload,
  type AppliedUploads,
  type ArticleIndex,
  type AuditEntry,
  type CdnInvalidator,
  type DownArticle,
  type DraftStore,
  type EdgeRule,
  type EdgeRules,
  type EditorReport,
  type LeaseStore,
  type OpsMetricName,
  type OpsMetrics,
  type PublishScheduler,
  type PutOptions,
  type RebuildWork,
  type RenderJob,
  type RenderQueue,
  reportKey,
  type SiteStore,
  type StoredObject,
  type TablePart,
  type TeaserQuery,
  type UploadVersion,
  type ViewId,
} from '../../ports.ts';

/** Keys a listing page holds, as S3 gives them. */
const LISTING_PAGE = 1000;

/** An object's ETag as S3 gives it for a single-part upload: the MD5 of its bytes. */
function md5Of(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** In-memory drafts bucket, for domain tests. */
export class MemoryDraftStore implements DraftStore {
  readonly objects = new Map<string, Uint8Array>();
  readonly #uploaded = new Map<string, Date>();

  put(key: string, body: string | Uint8Array, at = new Date()): void {
    this.objects.set(key, typeof body === 'string' ? new TextEncoder().encode(body) : body);
    this.#uploaded.set(key, at);
  }
  remove(key: string): void {
    this.objects.delete(key);
    this.#uploaded.delete(key);
  }
  report(draftKey: string): EditorReport | undefined {
    const bytes = this.objects.get(reportKey(draftKey));
    return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as EditorReport) : undefined;
  }
  async get(key: string, limit?: { readonly maxBytes: number }): Promise<StoredObject | undefined> {
    const bytes = this.objects.get(key);
    if (!bytes) return undefined;
    const etag = md5Of(bytes);
    if (limit && bytes.byteLength > limit.maxBytes) {
      return { bytes: new Uint8Array(), size: bytes.byteLength, tooLarge: true, etag };
    }
    return { bytes, size: bytes.byteLength, etag };
  }
  async *listVersions(options: { readonly after?: string } = {}): AsyncIterable<UploadVersion[]> {
    const { after } = options;
    const keys = [...this.objects.keys()]
      .filter((k) => after === undefined || compareKeys(k, after) > 0)
      .sort(compareKeys);
    for (let i = 0; i < keys.length; i += LISTING_PAGE) {
      yield keys.slice(i, i + LISTING_PAGE).map((key) => ({
        key,
        etag: md5Of(this.objects.get(key) ?? new Uint8Array()),
        modifiedAt: this.#uploaded.get(key) ?? new Date(0),
      }));
    }
  }
  async putReport(report: EditorReport): Promise<void> {
    this.put(reportKey(report.draftKey), JSON.stringify(report, null, 2));
  }
}

interface MemoryObject extends StoredObject {
  readonly cacheControl: string;
}

/** In-memory site bucket, for domain tests. */
export class MemorySiteStore implements SiteStore {
  readonly objects = new Map<string, MemoryObject>();

  text(key: string): string | undefined {
    const o = this.objects.get(key);
    return o ? new TextDecoder().decode(o.bytes) : undefined;
  }
  async put(key: string, body: string | Uint8Array, options: PutOptions): Promise<void> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    this.objects.set(key, { bytes, contentType: options.contentType, cacheControl: options.cacheControl });
  }
  async get(key: string): Promise<StoredObject | undefined> {
    return this.objects.get(key);
  }
  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

/** Where an in-memory index keeps whole records: a map by default; a folder keeps memory small. */
export interface RecordStore {
  get(id: string): ArticleRecord | undefined;
  set(id: string, record: ArticleRecord): void;
}

class RecordMap implements RecordStore {
  readonly #records = new Map<string, ArticleRecord>();
  get(id: string): ArticleRecord | undefined {
    return this.#records.get(id);
  }
  set(id: string, record: ArticleRecord): void {
    // Records are never changed in place (every field is read-only); a copy keeps the caller's object apart.
    this.#records.set(id, { ...record });
  }
}

/**
 * In-memory article index with the same query semantics as the DynamoDB one. Live articles are kept sorted
 * newest first, overall and per section, so that queries cost a binary search, as an index would.
 */
export class MemoryArticleIndex implements ArticleIndex {
  readonly records: RecordStore;
  readonly paths = new Map<string, string>();
  readonly #overall = new SortedTeasers();
  readonly #bySection = new Map<string, SortedTeasers>();
  readonly #byTag = new Map<string, SortedTeasers>();
  /** Ids by draft key, in the order they were first stored (as a scan of `records` would find them). */
  readonly #byDraft = new Map<string, string[]>();
  readonly #draftImages = new Usage();
  readonly #articlePhotos = new Usage();

  constructor(records: RecordStore = new RecordMap()) {
    this.records = records;
  }

  async get(id: string): Promise<ArticleRecord | undefined> {
    const record = this.records.get(id);
    return record;
  }

  readonly #withdrawn = new Set<string>();

  async *withdrawn(part?: TablePart): AsyncIterable<DownArticle[]> {
    const down: DownArticle[] = [];
    const ids = [...this.#withdrawn].sort();
    for (const id of part ? ids.filter((_, i) => i % part.of === part.segment) : ids) {
      const record = this.records.get(id);
      if (record?.status === 'withdrawn')
        down.push({ id, path: record.path, formerPaths: record.formerPaths });
    }
    yield down;
  }

  async put(record: ArticleRecord): Promise<void> {
    if (record.status === 'withdrawn') this.#withdrawn.add(record.id);
    else this.#withdrawn.delete(record.id);
    const previous = this.records.get(record.id);
    if (previous?.status === 'live' && record.status === 'live' && samePlaces(previous, record)) {
      // Still in the same lists at the same place (a record settled, a headline corrected): the teaser is
      // swapped where it stands, with no list shifting.
      this.records.set(record.id, record);
      const teaser = teaserOf(record);
      this.#overall.replace(teaser);
      this.#sectionList(record.section).replace(teaser);
      for (const tag of listedTags(record)) this.#list(this.#byTag, tag).replace(teaser);
      return;
    }
    if (previous?.status === 'live') {
      this.#overall.remove(previous.sortKey);
      this.#sectionList(previous.section).remove(previous.sortKey);
      for (const tag of listedTags(previous)) this.#list(this.#byTag, tag).remove(previous.sortKey);
    }
    if (previous && previous.draftKey !== record.draftKey) {
      const ids = this.#byDraft.get(previous.draftKey)?.filter((id) => id !== record.id) ?? [];
      if (ids.length > 0) this.#byDraft.set(previous.draftKey, ids);
      else this.#byDraft.delete(previous.draftKey);
    }
    if (!previous || previous.draftKey !== record.draftKey) {
      this.#byDraft.set(record.draftKey, [...(this.#byDraft.get(record.draftKey) ?? []), record.id]);
    }
    this.records.set(record.id, record);
    if (record.status === 'live') {
      // One teaser object in every list it is in (teasers are never changed in place).
      const teaser = teaserOf(record);
      this.#overall.insert(teaser);
      this.#sectionList(record.section).insert(teaser);
      for (const tag of listedTags(record)) this.#list(this.#byTag, tag).insert(teaser);
    }
  }

  async settle(id: string, version: number): Promise<void> {
    const record = this.records.get(id);
    if (!record || record.version !== version) return;
    const { pendingFrom: _, claimedAhead: __, ...rest } = record;
    // The teaser does not change, so the lists keep the one they hold.
    this.records.set(id, { ...rest, settled: true });
  }

  async teasers(query: TeaserQuery): Promise<Teaser[]> {
    const { section, tag, before, limit } = query;
    const after = query.from === 'oldest' ? (query.after ?? '') : query.after;
    const list =
      (tag ? this.#byTag.get(tag) : section ? this.#bySection.get(section) : this.#overall) ?? NONE;
    if (after !== undefined && before !== undefined) {
      const end = list.firstAtOrBelow(after);
      const start = list.firstAtOrBelow(before, true);
      return list.slice(start, limit === undefined ? end : Math.min(end, start + limit));
    }
    if (after !== undefined) {
      // Oldest first from just after `after`: the newest-first run before it, reversed.
      const end = list.firstAtOrBelow(after);
      return list.slice(limit === undefined ? 0 : Math.max(0, end - limit), end).reverse();
    }
    const start = before === undefined ? 0 : list.firstAtOrBelow(before, true);
    return list.slice(start, limit === undefined ? list.size : start + limit);
  }

  #sectionList(section: string): SortedTeasers {
    return this.#list(this.#bySection, section);
  }

  #list(lists: Map<string, SortedTeasers>, name: string): SortedTeasers {
    let list = lists.get(name);
    if (!list) {
      list = new SortedTeasers();
      lists.set(name, list);
    }
    return list;
  }

  async idForDraft(draftKey: string): Promise<string | undefined> {
    return this.#byDraft.get(draftKey)?.[0];
  }

  /** Each list's archive pages after the first, by number. */
  readonly archives = new Map<ArchiveList, ArchivePage[]>();

  async newestPage(list: ArchiveList): Promise<ArchivePage> {
    return this.archives.get(list)?.at(-1) ?? FIRST_PAGE;
  }
  async pageHolding(list: ArchiveList, sortKey: string): Promise<ArchivePage> {
    return pageHolding(await this.archivePages(list), sortKey);
  }
  async archivePages(list: ArchiveList): Promise<ArchivePage[]> {
    return [FIRST_PAGE, ...(this.archives.get(list) ?? [])];
  }
  async archivePage(list: ArchiveList, number: number): Promise<ArchivePage | undefined> {
    return (await this.archivePages(list))[number - 1];
  }
  async openPage(list: ArchiveList, page: ArchivePage): Promise<ArchivePage> {
    const opened = this.archives.get(list) ?? [];
    const existing = opened[page.number - 2];
    if (existing) return existing;
    if (page.number !== opened.length + 2)
      throw new Error(
        `page ${page.number} of ${list} is not the next one (${opened.length + 1} is the newest)`,
      );
    this.archives.set(list, [...opened, { ...page }]);
    return page;
  }
  async claimPath(path: string, id: string): Promise<string | undefined> {
    const holder = this.paths.get(path);
    if (holder !== undefined && holder !== id) return holder;
    this.paths.set(path, id);
    return undefined;
  }
  async releasePath(path: string, id: string): Promise<void> {
    if (this.paths.get(path) === id) this.paths.delete(path);
  }
  async holderOf(path: string): Promise<string | undefined> {
    return this.paths.get(path);
  }
  readonly audits = new Map<string, AuditEntry[]>();
  async appendAudit(entry: AuditEntry): Promise<void> {
    // Every field is a string: a shallow copy keeps the caller's object apart.
    this.audits.set(entry.articleId, [...(this.audits.get(entry.articleId) ?? []), { ...entry }]);
  }
  async auditOf(articleId: string): Promise<AuditEntry[]> {
    return this.audits.get(articleId) ?? [];
  }
  async setImagesOf(draftKey: string, imageKeys: readonly string[]): Promise<void> {
    this.#draftImages.set(draftKey, imageKeys);
  }
  async draftsNaming(imageKey: string): Promise<string[]> {
    return this.#draftImages.usersOf(imageKey);
  }
  async photosOf(articleId: string): Promise<string[]> {
    return this.#articlePhotos.usedBy(articleId);
  }
  async setPhotosOf(articleId: string, siteKeys: readonly string[]): Promise<void> {
    this.#articlePhotos.set(articleId, siteKeys);
  }
  async articlesShowing(siteKey: string): Promise<string[]> {
    return this.#articlePhotos.usersOf(siteKey);
  }

  /** Everything but the records themselves, for {@link importState} in another process. */
  exportState(): IndexState {
    const ids = [...new Set([...this.#byDraft.values()].flat())];
    const articles = ids.flatMap((id) => {
      const record = this.records.get(id);
      if (!record) return [];
      const { draftKey, status } = record;
      return [{ teaser: teaserOf(record), status, draftKey, listedTags: listedTags(record) }];
    });
    return {
      articles,
      paths: [...this.paths.entries()],
      archives: [...this.archives.entries()],
      audits: [...this.audits.entries()],
      draftImages: this.#draftImages.entries(),
      articlePhotos: this.#articlePhotos.entries(),
    };
  }

  /** Takes up a state {@link exportState} gave, over records already in this index's record store. */
  importState(state: IndexState): void {
    for (const { teaser, status, draftKey, listedTags: tags } of state.articles) {
      this.#byDraft.set(draftKey, [...(this.#byDraft.get(draftKey) ?? []), teaser.id]);
      if (status === 'withdrawn') this.#withdrawn.add(teaser.id);
      if (status !== 'live') continue;
      this.#overall.insert(teaser);
      this.#sectionList(teaser.section).insert(teaser);
      for (const tag of tags) this.#list(this.#byTag, tag).insert(teaser);
    }
    for (const [path, id] of state.paths) this.paths.set(path, id);
    for (const [list, pages] of state.archives) this.archives.set(list, [...pages]);
    for (const [id, entries] of state.audits) this.audits.set(id, [...entries]);
    for (const [owner, things] of state.draftImages) this.#draftImages.set(owner, things);
    for (const [owner, things] of state.articlePhotos) this.#articlePhotos.set(owner, things);
  }
}

/**
 * What a {@link MemoryArticleIndex} holds besides whole records, as plain data: enough to answer every
 * query again in another process, with the records read from their store (a folder).
 */
export interface IndexState {
  /** Every article, in the order first stored: what its lists need of it. */
  readonly articles: readonly {
    readonly teaser: Teaser;
    readonly status: ArticleRecord['status'];
    readonly draftKey: string;
    readonly listedTags: readonly string[];
  }[];
  readonly paths: readonly (readonly [string, string])[];
  readonly archives: readonly (readonly [ArchiveList, readonly ArchivePage[]])[];
  readonly audits: readonly (readonly [string, readonly AuditEntry[]])[];
  readonly draftImages: readonly (readonly [string, readonly string[]])[];
  readonly articlePhotos: readonly (readonly [string, readonly string[]])[];
}

/** Who uses what, both ways: drafts naming images, articles showing photos. */
class Usage {
  readonly #uses = new Map<string, string[]>();
  readonly #users = new Map<string, Set<string>>();
  entries(): [string, string[]][] {
    return [...this.#uses.entries()];
  }
  usedBy(owner: string): string[] {
    return [...(this.#uses.get(owner) ?? [])];
  }
  set(owner: string, things: readonly string[]): void {
    for (const thing of this.#uses.get(owner) ?? []) this.#users.get(thing)?.delete(owner);
    const next = [...new Set(things)].sort();
    if (next.length > 0) this.#uses.set(owner, next);
    else this.#uses.delete(owner);
    for (const thing of next) {
      const owners = this.#users.get(thing) ?? new Set<string>();
      owners.add(owner);
      this.#users.set(thing, owners);
    }
  }
  usersOf(thing: string): string[] {
    return [...(this.#users.get(thing) ?? [])].sort();
  }
}

/** In-memory render queue: keeps jobs until a test drains them, as the real queue delivers them later. */
/**
 * The render queue as SQS FIFO delivers it: one job at a time per message group, groups side by side, and a
 * job whose render fails kept at the head of its group and delivered again (marked redelivered) before the
 * group moves on. Jobs are grouped by `groupOf` (the view, by default, as the SQS adapter groups them).
 */
export class MemoryRenderQueue implements RenderQueue {
  readonly #groups = new Map<string, { job: RenderJob; redelivered: boolean; tries: number }[]>();
  constructor(private readonly groupOf: (job: RenderJob) => string = (job) => job.view) {}

  async send(jobs: readonly RenderJob[]): Promise<void> {
    for (const job of jobs) {
      const group = this.groupOf(job);
      const queued = this.#groups.get(group);
      if (queued) queued.push({ job, redelivered: false, tries: 0 });
      else this.#groups.set(group, [{ job, redelivered: false, tries: 0 }]);
    }
  }

  /** Jobs not yet rendered, oldest group first. */
  get pending(): RenderJob[] {
    return [...this.#groups.values()].flat().map((q) => q.job);
  }

  /**
   * One delivery round: the head job of each group `pick` chooses (given the group's place among those
   * with jobs; the first is always delivered), rendered concurrently. Returns the failures, with how often
   * each of those jobs has failed; `delivered` is 0 when no job was waiting.
   */
  async deliverRound(
    render: (job: RenderJob, redelivered: boolean) => Promise<unknown>,
    pick: (place: number) => boolean = () => true,
  ): Promise<{ delivered: number; failures: { error: unknown; tries: number }[] }> {
    const heads = [...this.#groups.entries()].filter((_, i) => i === 0 || pick(i));
    const failures: { error: unknown; tries: number }[] = [];
    await Promise.all(
      heads.map(async ([group, queued]) => {
        const head = queued[0];
        if (!head) return;
        try {
          await render(head.job, head.redelivered);
          queued.shift();
          if (queued.length === 0 && this.#groups.get(group) === queued) this.#groups.delete(group);
        } catch (error) {
          head.redelivered = true;
          head.tries += 1;
          failures.push({ error, tries: head.tries });
        }
      }),
    );
    return { delivered: heads.length, failures };
  }

  /** Renders every job, one at a time, oldest group first; a failure stops the drain and is thrown. */
  async drain(render: (job: RenderJob, redelivered: boolean) => Promise<unknown>): Promise<void> {
    for (;;) {
      const round = await this.deliverRound(render, () => false);
      if (round.failures[0]) throw round.failures[0].error;
      if (round.delivered === 0) return;
    }
  }
}

/** In-memory leases, with the same expiry rules as the DynamoDB ones. */
export class MemoryLeaseStore implements LeaseStore {
  readonly leases = new Map<string, { holder: string; expiresAt: number }>();
  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const current = this.leases.get(name);
    if (current && current.holder !== holder && current.expiresAt > now) return false;
    this.leases.set(name, { holder, expiresAt: now + ttlMs });
    return true;
  }
  async release(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }
}

/** In-memory edge rules: path to rule. */
export class MemoryEdgeRules implements EdgeRules {
  readonly rules = new Map<string, EdgeRule>();
  async set(path: string, rule: EdgeRule | undefined): Promise<void> {
    if (rule) {
      encodeEdgeRule(rule); // refuses what the stores refuse
      this.rules.set(path, rule);
    } else this.rules.delete(path);
  }
  /** The value the edge function reads for a path, as the CloudFront KeyValueStore holds it. */
  async value(path: string): Promise<string | undefined> {
    const rule = this.rules.get(path);
    return rule ? encodeEdgeRule(rule) : undefined;
  }
}

/** Whether two records of one article are in the same lists at the same place, from the same draft. */
function samePlaces(a: ArticleRecord, b: ArticleRecord): boolean {
  if (a.sortKey !== b.sortKey || a.section !== b.section || a.draftKey !== b.draftKey) return false;
  const tags = listedTags(a);
  const other = listedTags(b);
  return tags.length === other.length && tags.every((t, i) => t === other[i]);
}

/**
 * Teasers newest first (by descending sort key), in chunks of at most {@link CHUNK} so that an insert or a
 * removal moves at most a chunk, not the whole list: a 100k-article site is built in time proportional to
 * its size, whatever order its articles arrive in.
 */
class SortedTeasers {
  readonly #chunks: Teaser[][] = [];
  size = 0;

  /** Position of the first teaser whose sort key is below `key` (or at or below, unless `strictly`). */
  firstAtOrBelow(key: string, strictly = false): number {
    const [chunk, at] = this.#find(key, strictly);
    let position = at;
    for (let c = 0; c < chunk; c++) position += (this.#chunks[c] as Teaser[]).length;
    return position;
  }

  slice(start: number, end: number): Teaser[] {
    const out: Teaser[] = [];
    let offset = 0;
    for (const chunk of this.#chunks) {
      if (offset >= end) break;
      const next = offset + chunk.length;
      if (next > start)
        out.push(...chunk.slice(Math.max(0, start - offset), Math.min(chunk.length, end - offset)));
      offset = next;
    }
    return out;
  }

  insert(teaser: Teaser): void {
    const [c, at] = this.#find(teaser.sortKey, false);
    const chunk = this.#chunks[Math.min(c, this.#chunks.length - 1)];
    if (!chunk) {
      this.#chunks.push([teaser]);
    } else {
      // Past the last chunk's end means at the end of the last chunk.
      chunk.splice(c < this.#chunks.length ? at : chunk.length, 0, teaser);
      if (chunk.length > 2 * CHUNK)
        this.#chunks.splice(this.#chunks.indexOf(chunk) + 1, 0, chunk.splice(CHUNK));
    }
    this.size += 1;
  }

  /** Puts a teaser in place of the one with the same sort key. */
  replace(teaser: Teaser): void {
    const [c, at] = this.#find(teaser.sortKey, false);
    const chunk = this.#chunks[c];
    if (chunk?.[at]?.sortKey === teaser.sortKey) chunk[at] = teaser;
  }

  remove(sortKey: string): void {
    const [c, at] = this.#find(sortKey, false);
    const chunk = this.#chunks[c];
    if (chunk?.[at]?.sortKey !== sortKey) return;
    chunk.splice(at, 1);
    if (chunk.length === 0) this.#chunks.splice(c, 1);
    this.size -= 1;
  }

  /** The chunk, and the place in it, of the first teaser below `key` (or at or below, unless `strictly`). */
  #find(key: string, strictly: boolean): [number, number] {
    const below = (k: string) => (strictly ? k < key : k <= key);
    // The first chunk whose last (oldest) teaser is below the key holds the place.
    let lo = 0;
    let hi = this.#chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.#chunks[mid] as Teaser[];
      if (below((chunk[chunk.length - 1] as Teaser).sortKey)) hi = mid;
      else lo = mid + 1;
    }
    const chunk = this.#chunks[lo];
    if (!chunk) return [lo, 0];
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (below((chunk[mid] as Teaser).sortKey)) b = mid;
      else a = mid + 1;
    }
    return [lo, a];
  }
}

const CHUNK = 512;
const NONE = new SortedTeasers();

/** In-memory scheduler: remembers which draft is due when; tests fire them. */
export class MemoryScheduler implements PublishScheduler {
  readonly due = new Map<string, Date>();
  async schedule(draftKey: string, at: Date): Promise<void> {
    this.due.set(draftKey, at);
  }
  async cancel(draftKey: string): Promise<void> {
    this.due.delete(draftKey);
  }
}

/** In-memory CDN: remembers which paths it was told to drop. */
export class MemoryCdnInvalidator implements CdnInvalidator {
  readonly invalidated: string[][] = [];
  async invalidate(paths: readonly string[]): Promise<void> {
    if (paths.length > 0) this.invalidated.push([...paths]);
  }
}

/** In-memory applied uploads, for domain tests. */
export class MemoryAppliedUploads implements AppliedUploads {
  readonly uploads = new Map<string, AppliedUpload>();
  #resume: string | undefined;

  async record(applied: AppliedUpload): Promise<void> {
    this.uploads.set(applied.key, applied);
  }
  async forget(key: string): Promise<void> {
    this.uploads.delete(key);
  }
  async *between(after: string | undefined, through: string | undefined): AsyncIterable<AppliedUpload[]> {
    const within = [...this.uploads.values()]
      .filter((u) => after === undefined || compareKeys(u.key, after) > 0)
      .filter((u) => through === undefined || compareKeys(u.key, through) <= 0)
      .sort((a, b) => compareKeys(a.key, b.key));
    // Pages, as a query gives them: a caller must not depend on getting them all at once.
    for (let i = 0; i < within.length; i += 100) yield within.slice(i, i + 100);
  }
  async resumePoint(): Promise<string | undefined> {
    return this.#resume;
  }
  async setResumePoint(after: string | undefined): Promise<void> {
    this.#resume = after;
  }
}

/** Metrics counted in memory: what a test (or the local stack's log) reads back. */
export class MemoryOpsMetrics implements OpsMetrics {
  readonly counted: { name: OpsMetricName; value: number }[] = [];
  #pending: { name: OpsMetricName; value: number }[] = [];

  constructor(
    private readonly onFlush?: (counted: readonly { name: OpsMetricName; value: number }[]) => void,
  ) {}

  count(name: OpsMetricName, value: number): void {
    this.#pending.push({ name, value });
  }
  flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    this.counted.push(...pending);
    if (pending.length > 0) this.onFlush?.(pending);
  }
  total(name: OpsMetricName): number {
    return this.counted.filter((c) => c.name === name).reduce((n, c) => n + c.value, 0);
  }
}

/** A rebuild's work kept in memory, for tests of its steps. */
export class MemoryRebuildWork implements RebuildWork {
  readonly kept = new Map<string, string>();
  async keepFound(run: string, batch: string, views: readonly ViewId[]): Promise<void> {
    this.kept.set(`${run}/found/${batch}`, JSON.stringify(views));
  }
  async *found(run: string): AsyncIterable<ViewId[]> {
    for (const [key, json] of [...this.kept].sort(([a], [b]) => (a < b ? -1 : 1)))
      if (key.startsWith(`${run}/found/`)) yield JSON.parse(json) as ViewId[];
  }
  async keepPlan(run: string, views: readonly ViewId[]): Promise<{ bucket: string; key: string }> {
    const key = `${run}/views.json`;
    this.kept.set(key, JSON.stringify(views));
    return { bucket: 'memory', key };
  }
}

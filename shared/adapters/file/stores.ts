import { createHash } from 'node:crypto';
import {
  closeSync,
  type Dirent,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { ArticleRecord } from '../../domain/article.ts';
import { decodeValidUtf8, encodeUtf8 } from '../../domain/encoding.ts';
import { compareKeys } from '../../domain/upload-keys.ts';
import {
  type DraftStore,
  type EditorReport,
  type PutOptions,
  reportKey,
  type SiteStore,
  type StoredObject,
  type UploadVersion,
} from '../../ports.ts';
import { MemoryArticleIndex, type RecordStore } from '../memory/index.ts';

/**
 * Drafts and site as folders on a local disk: the site folder is what a static server would serve, and
 * nothing is held in memory but the objects' metadata. For benchmarks and tools that work on a whole site at
 * once. Files are read and written synchronously: for small files on a local disk that costs a fraction of
 * a hand-off to libuv's thread pool and back.
 */
class Folder {
  readonly #root: string;
  readonly #made = new Set<string>();

  constructor(root: string) {
    // Absolute and without a trailing separator, as readdir reports the folders below it.
    this.#root = resolve(root);
  }

  path(key: string): string {
    const segments = key.split('/');
    if (key.startsWith('/') || segments.some((s) => s === '..' || s === '.' || s === '')) {
      throw new Error(`not a storable key: ${JSON.stringify(key)}`);
    }
    return join(this.#root, ...segments);
  }

  read(key: string, maxBytes?: number): { bytes: Uint8Array; size: number; etag: string } | undefined {
    // A missing file is common (a first build asks for every page before writing it): no exception for it.
    // One open, one fstat and one read: the fewest system calls that also honour the size limit.
    let fd: number;
    try {
      fd = openSync(this.path(key), 'r');
    } catch (error) {
      if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw error;
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) return undefined;
      const etag = fileVersion(stat);
      if (maxBytes !== undefined && stat.size > maxBytes) {
        return { bytes: new Uint8Array(), size: stat.size, etag };
      }
      const bytes = Buffer.allocUnsafeSlow(stat.size);
      let read = 0;
      while (read < bytes.byteLength) {
        const n = readSync(fd, bytes, read, bytes.byteLength - read, read);
        if (n === 0) break;
        read += n;
      }
      return { bytes: bytes.subarray(0, read), size: read, etag };
    } finally {
      closeSync(fd);
    }
  }

  /** A file's version and time, as a listing gives them; undefined when it is gone. */
  version(key: string): { etag: string; modifiedAt: Date } | undefined {
    const stat = statSync(this.path(key), { throwIfNoEntry: false });
    return stat?.isFile() ? { etag: fileVersion(stat), modifiedAt: stat.mtime } : undefined;
  }

  /** Whether a file (not a folder) is stored at the key; a quick answer without an exception. */
  exists(key: string): boolean {
    try {
      return statSync(this.path(key), { throwIfNoEntry: false })?.isFile() === true;
    } catch (error) {
      // A key below a file: nothing can be stored there.
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
      throw error;
    }
  }

  write(key: string, body: string | Uint8Array): void {
    const file = this.path(key);
    const folder = dirname(file);
    if (!this.#made.has(folder)) {
      mkdirSync(folder, { recursive: true });
      this.#made.add(folder);
    }
    writeFileSync(file, typeof body === 'string' ? encodeUtf8(body) : body);
  }

  remove(key: string): void {
    rmSync(this.path(key), { force: true });
  }

  /** Every key below a prefix, sorted as S3 lists them (by UTF-8 bytes, which for these keys is code order). */
  keys(prefix: string): string[] {
    // Walk only the deepest folder the prefix names, not the whole tree.
    const folder = prefix.includes('/') ? this.path(prefix.slice(0, prefix.lastIndexOf('/'))) : this.#root;
    let entries: Dirent[];
    try {
      entries =
        folder === this.#root
          ? // Dot-folders at the top are a tool's own (a build keeps its state in one), never content.
            readdirSync(folder, { withFileTypes: true })
              .filter((e) => !e.name.startsWith('.'))
              .flatMap((e) =>
                e.isDirectory()
                  ? [e, ...readdirSync(join(folder, e.name), { recursive: true, withFileTypes: true })]
                  : [e],
              )
          : readdirSync(folder, { recursive: true, withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return [];
      throw error;
    }
    // Every entry's folder is the root or below it, as readdir joined it: the key is what follows the root.
    const root = this.#root;
    const start = root.endsWith(sep) ? root.length : root.length + 1;
    const keys: string[] = [];
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const below = entry.parentPath.length > root.length ? entry.parentPath.slice(start) : '';
      const key =
        below === '' ? entry.name : `${sep === '/' ? below : below.split(sep).join('/')}/${entry.name}`;
      if (key.startsWith(prefix)) keys.push(key);
    }
    return keys.sort();
  }
}

/** A file's version without reading it: its size and modification time (a rewrite changes the time). */
function fileVersion(stat: { size: number; mtimeMs: number }): string {
  return `${stat.size}-${Math.round(stat.mtimeMs * 1000)}`;
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

export class FileDraftStore implements DraftStore {
  readonly #folder: Folder;

  constructor(root: string) {
    this.#folder = new Folder(root);
  }

  /** Uploads a draft or image, as an editor would. */
  async put(key: string, body: string | Uint8Array): Promise<void> {
    this.#folder.write(key, body);
  }

  async get(key: string, limit?: { readonly maxBytes: number }): Promise<StoredObject | undefined> {
    const got = this.#folder.read(key, limit?.maxBytes);
    if (!got) return undefined;
    return limit && got.size > limit.maxBytes ? { ...got, tooLarge: true } : got;
  }

  async *listVersions(options: { readonly after?: string } = {}): AsyncIterable<UploadVersion[]> {
    const { after } = options;
    const keys = this.#folder
      .keys('')
      .filter((k) => after === undefined || compareKeys(k, after) > 0)
      .sort(compareKeys);
    for (let i = 0; i < keys.length; i += 1000) {
      const page: UploadVersion[] = [];
      for (const key of keys.slice(i, i + 1000)) {
        const version = this.#folder.version(key);
        if (version) page.push({ key, ...version });
      }
      yield page;
    }
  }

  async putReport(report: EditorReport): Promise<void> {
    this.#folder.write(reportKey(report.draftKey), JSON.stringify(report, null, 2));
  }
}

export class FileSiteStore implements SiteStore {
  readonly #folder: Folder;
  /** Content type and cache lifetime of what this store wrote; a file it did not write has none. */
  readonly #meta = new Map<string, PutOptions>();

  constructor(root: string) {
    this.#folder = new Folder(root);
  }

  async put(key: string, body: string | Uint8Array, options: PutOptions): Promise<void> {
    this.#folder.write(key, body);
    this.#meta.set(key, { contentType: options.contentType, cacheControl: options.cacheControl });
  }

  async get(key: string): Promise<StoredObject | undefined> {
    // A first build asks for every page before writing it: a missing page is answered by a stat that
    // reports it (a third of the cost of a failed open, which builds an exception).
    if (!this.#folder.exists(key)) return undefined;
    const got = this.#folder.read(key);
    return got && { ...got, ...this.#meta.get(key) };
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      this.#folder.remove(key);
      this.#meta.delete(key);
    }
  }

  async list(prefix: string): Promise<string[]> {
    return this.#folder.keys(prefix);
  }
}

/**
 * An article index whose whole records (rendered bodies included) live as JSON files in a folder, while the
 * sorted teaser lists it answers queries from stay in memory: a site of any size in little memory.
 */
export class FileArticleIndex extends MemoryArticleIndex {
  /**
   * @param options.remember keep every record read or written in memory too (a build that renders every
   *   page reads each record many times: memory for speed), writing them to their files on {@link flush}.
   */
  readonly #remembered: RememberedRecords | undefined;

  constructor(root: string, options: { readonly remember?: boolean } = {}) {
    const remembered = options.remember ? new RememberedRecords(new RecordFolder(root)) : undefined;
    super(remembered ?? new RecordFolder(root));
    this.#remembered = remembered;
  }

  /** Writes the records changed since to their files (with `remember`; otherwise each is written at once). */
  flush(): void {
    this.#remembered?.flush();
  }
}

/**
 * Records kept in memory in front of a folder of them: each read from its file once, and written to it
 * once, by {@link flush} (a change writes its record several times on its way).
 */
class RememberedRecords implements RecordStore {
  readonly #known = new Map<string, ArticleRecord | undefined>();
  readonly #unwritten = new Set<string>();
  constructor(private readonly folder: RecordFolder) {}
  get(id: string): ArticleRecord | undefined {
    if (!this.#known.has(id)) this.#known.set(id, this.folder.get(id));
    return this.#known.get(id);
  }
  set(id: string, record: ArticleRecord): void {
    this.#known.set(id, { ...record });
    this.#unwritten.add(id);
  }
  flush(): void {
    for (const id of this.#unwritten) {
      const record = this.#known.get(id);
      if (record) this.folder.set(id, record);
    }
    this.#unwritten.clear();
  }
}

class RecordFolder implements RecordStore {
  readonly #folder: Folder;

  constructor(root: string) {
    this.#folder = new Folder(root);
  }

  get(id: string): ArticleRecord | undefined {
    const got = this.#folder.read(RecordFolder.key(id));
    return got && (JSON.parse(decodeValidUtf8(got.bytes)) as ArticleRecord);
  }

  set(id: string, record: ArticleRecord): void {
    this.#folder.write(RecordFolder.key(id), JSON.stringify(record));
  }

  /** One flat file per article: ids may hold slashes and any letter; a long one is named by its hash. */
  static key(id: string): string {
    const name = encodeURIComponent(id);
    return `${name.length <= 200 ? name : createHash('sha256').update(id).digest('hex')}.json`;
  }
}

import { createHash } from 'node:crypto';
import { cdnCacheKey } from '#shared/domain/article.ts';
import type { SiteConfig } from '#shared/domain/site.ts';
import type { CdnInvalidator, SiteStore, StoredObject } from '#shared/ports.ts';
import { NOT_FOUND_KEY } from '#shared/use-cases/site-frame.ts';
import { type CacheTtls, CDN_CACHE, FILE_PATH_PREFIXES } from '../infra/edge/cache-policy.ts';
import { type SecurityHeaderOptions, securityHeaders } from '../infra/edge/headers.ts';
import { type EdgeResult, edgeAnswers, isResponse, loadEdgeFunction } from '../infra/edge/url-rewrite.ts';

/** What the CDN answers a reader with. */
export interface CdnAnswer {
  readonly status: number;
  readonly statusText?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface LocalCdnOptions {
  /** The origin: the site bucket. */
  readonly site: SiteStore;
  readonly config: SiteConfig;
  /** The edge rules' value for a path (the KeyValueStore the function reads); may throw. */
  readonly edgeRules: (path: string) => Promise<string | undefined>;
  /** Keep copies as CloudFront does (the default); off, every request goes to the bucket. */
  readonly caching?: boolean;
  readonly headers?: SecurityHeaderOptions;
  /** Milliseconds since the epoch; tests move it on. */
  readonly now?: () => number;
}

interface Copy {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  readonly etag?: string;
  storedAt: number;
  readonly ttlMs: number;
}

/** CloudFront's own limits on an invalidation path. */
export class InvalidationPathError extends Error {
  override readonly name = 'InvalidationPathError';
}

const MAX_COPIES = 20_000;
const encoder = new TextEncoder();

/**
 * The distribution of infra/pipeline-stack.ts, on a laptop: the viewer-request function (the same file
 * CloudFront runs) answers or rewrites each request; what it passes on is cached under the URI it leaves and
 * nothing else (no query string, no headers: the cache policies forward none), for the TTLs of the cache
 * policies and each object's `Cache-Control` (`s-maxage` first); an address the bucket has no object for is
 * answered with the 404 page, kept for the error-caching TTL; invalidation drops copies by exact key or by a
 * trailing `*`. Answers carry `x-cache` and `age` as CloudFront's do, and the response headers policy's
 * security headers. Invalidations take effect at once (CloudFront takes seconds to a few minutes).
 */
export class LocalCdn implements CdnInvalidator {
  readonly #copies = new Map<string, Copy>();
  readonly #edge: (uri: string) => Promise<EdgeResult>;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #now: () => number;
  /** Every invalidation path asked for, in order: what the same changes would cost in CloudFront. */
  readonly invalidatedPaths: string[] = [];

  constructor(private readonly options: LocalCdnOptions) {
    this.#headers = securityHeaders(options.headers);
    this.#edge = loadEdgeFunction({
      ...edgeAnswers(options.config, options.headers),
      lookup: options.edgeRules,
    });
    this.#now = options.now ?? Date.now;
  }

  get caching(): boolean {
    return this.options.caching ?? true;
  }

  /** Whether a copy is kept under this cache key (and not yet expired). */
  holds(key: string): boolean {
    const copy = this.#copies.get(key);
    return copy !== undefined && this.#now() - copy.storedAt < copy.ttlMs;
  }

  /** Answers a GET or HEAD for a request target (path and query, as the reader sent it). */
  async request(target: string, method: 'GET' | 'HEAD' = 'GET'): Promise<CdnAnswer> {
    const answer = await this.#answer(target.split('?')[0] ?? '/');
    return method === 'HEAD' ? { ...answer, body: new Uint8Array() } : answer;
  }

  /** Paths as readers request them; each is dropped under the key it is cached under. */
  async invalidate(paths: readonly string[]): Promise<void> {
    this.invalidateKeys(paths.map(cdnCacheKey));
  }

  /** As CreateInvalidation: each path matches a key exactly, or every key it starts when it ends in `*`. */
  invalidateKeys(paths: readonly string[]): void {
    for (const path of paths) {
      if (!path.startsWith('/')) throw new InvalidationPathError(`"${path}" does not start with "/"`);
      const star = path.indexOf('*');
      if (star !== -1 && star !== path.length - 1) {
        throw new InvalidationPathError(`"${path}": "*" may only be the last character`);
      }
    }
    this.invalidatedPaths.push(...paths);
    for (const path of paths) {
      if (path.endsWith('*')) {
        const prefix = path.slice(0, -1);
        for (const key of this.#copies.keys()) if (key.startsWith(prefix)) this.#copies.delete(key);
      } else {
        this.#copies.delete(path);
      }
    }
  }

  async #answer(uri: string): Promise<CdnAnswer> {
    const file = FILE_PATH_PREFIXES.some((prefix) => uri.startsWith(prefix));
    let key = uri;
    if (!file) {
      const result = await this.#edge(uri);
      if (isResponse(result)) {
        // The function's own answer: built before the cache, never cached.
        const own = Object.fromEntries(Object.entries(result.headers).map(([k, v]) => [k, v.value]));
        return {
          status: result.statusCode,
          statusText: result.statusDescription,
          headers: { ...own, ...this.#headers, 'x-cache': 'FunctionGeneratedResponse from cloudfront' },
          body: encoder.encode(result.body?.data ?? ''),
        };
      }
      key = result.uri;
    }
    const now = this.#now();
    const copy = this.#copies.get(key);
    if (copy && now - copy.storedAt < copy.ttlMs) return this.#served(copy, 'Hit', now);
    const fetched = await this.#fromOrigin(key, file ? CDN_CACHE.files : CDN_CACHE.pages);
    if (!this.caching) return { ...fetched, headers: { ...fetched.headers, ...this.#headers } };
    if (copy && copy.etag !== undefined && copy.etag === fetched.etag && fetched.status === 200) {
      // Expired, and the origin says it has not changed (a conditional GET answered 304).
      copy.storedAt = now;
      return this.#served(copy, 'RefreshHit', now);
    }
    if (fetched.ttlMs > 0 && fetched.status < 500) {
      if (this.#copies.size >= MAX_COPIES) this.#copies.delete(this.#copies.keys().next().value as string);
      this.#copies.set(key, { ...fetched, storedAt: now });
    }
    const kind = fetched.status === 200 ? 'Miss' : 'Error';
    return {
      ...fetched,
      headers: { ...fetched.headers, ...this.#headers, 'x-cache': `${kind} from cloudfront` },
    };
  }

  #served(copy: Copy, kind: 'Hit' | 'RefreshHit', now: number): CdnAnswer {
    const age = String(Math.floor((now - copy.storedAt) / 1000));
    return {
      status: copy.status,
      headers: { ...copy.headers, ...this.#headers, age, 'x-cache': `${kind} from cloudfront` },
      body: copy.body,
    };
  }

  /** Asks the bucket for the object at a cache key, as CloudFront asks S3 through origin access control. */
  async #fromOrigin(uri: string, ttls: CacheTtls): Promise<Omit<Copy, 'storedAt'>> {
    const objectKey = bucketKeyOf(uri);
    let found: StoredObject | undefined;
    try {
      found = objectKey === undefined ? undefined : await originRead(() => this.options.site.get(objectKey));
      if (found) {
        // S3 always has an ETag; a store that keeps none gets one from the bytes, as S3 computes it.
        const etag = found.etag ?? `"${createHash('md5').update(found.bytes).digest('hex')}"`;
        return {
          status: 200,
          headers: objectHeaders({ ...found, etag }),
          body: found.bytes,
          etag,
          ttlMs: ttlSeconds(found.cacheControl, ttls) * 1000,
        };
      }
      // No object: S3 answers 403 (CloudFront may not list the bucket); the error response turns it into the
      // 404 page, kept for the error-caching TTL (S3's error carries no Cache-Control).
      const notFound = await originRead(() => this.options.site.get(NOT_FOUND_KEY));
      return {
        status: 404,
        headers: notFound ? objectHeaders(notFound) : { 'content-type': 'text/plain; charset=utf-8' },
        body: notFound?.bytes ?? encoder.encode('Not Found'),
        ttlMs: CDN_CACHE.errorSeconds * 1000,
      };
    } catch {
      return {
        status: 502,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        body: encoder.encode('Không đọc được trang từ kho lưu trữ. Hãy thử lại sau giây lát.'),
        ttlMs: 0,
      };
    }
  }
}

function objectHeaders(object: StoredObject): Record<string, string> {
  return {
    'content-type': object.contentType ?? 'application/octet-stream',
    ...(object.cacheControl ? { 'cache-control': object.cacheControl } : {}),
    ...(object.etag ? { etag: object.etag } : {}),
  };
}

/**
 * The bucket key a cache key names, or undefined when it names none: a key with a `.` or `..` segment, a
 * backslash or a control character could reach outside the bucket in a store kept in folders, so it is
 * refused rather than read.
 */
export function bucketKeyOf(uri: string): string | undefined {
  let key: string;
  try {
    key = decodeURIComponent(uri).replace(/^\/+/, '');
  } catch {
    return undefined;
  }
  if (key === '' || key.endsWith('/')) return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a control character never names a site object.
  if (/[\\\u0000-\u001f\u007f]/.test(key)) return undefined;
  if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..'))
    return undefined;
  return key;
}

/**
 * How long CloudFront keeps an object, in seconds: `s-maxage`, else `max-age`, within the policy's minimum
 * and maximum; the policy's default when the object says neither; the minimum when it says `no-cache`,
 * `no-store` or `private`.
 */
export function ttlSeconds(cacheControl: string | undefined, ttls: CacheTtls): number {
  const directives = new Map<string, string | undefined>();
  for (const part of (cacheControl ?? '').split(',')) {
    const [name, value] = part.trim().toLowerCase().split('=');
    if (name) directives.set(name, value);
  }
  if (['no-cache', 'no-store', 'private'].some((d) => directives.has(d))) return ttls.min;
  const stated = Number(directives.get('s-maxage') ?? directives.get('max-age'));
  if (!Number.isFinite(stated) || !(directives.has('s-maxage') || directives.has('max-age'))) {
    return ttls.default;
  }
  return Math.min(Math.max(stated, ttls.min), ttls.max);
}

/**
 * Reads from the site bucket, trying again when the connection drops, as CloudFront retries its origin.
 * (The S3 stand-in resets a read that races with a write of the same object.)
 */
async function originRead<T>(read: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 25 * attempt));
    }
  }
}

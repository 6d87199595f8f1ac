import { createHash } from 'node:crypto';
import { type Behavior, type DistributionModel, matchesPathPattern, type Origin } from './distribution.ts';

/** What the CDN answers a reader with. */
export interface CdnAnswer {
  readonly status: number;
  readonly statusText?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** A reader's request as it reaches the distribution. */
export interface ViewerRequest {
  readonly method: string;
  /** Path and query, as the reader sent them. */
  readonly target: string;
  /** Lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
  readonly viewer?: { readonly address: string; readonly port: number };
}

/** A request as CloudFront sends it to a custom origin: only the headers its policies forward. */
export interface OriginRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** What the distribution's origins are on this machine. */
export interface LocalOrigins {
  /** An S3 origin's object (by the origin's domain name and the key); undefined when there is none. */
  s3(domainName: string, key: string): Promise<S3Object | undefined>;
  /** A custom origin (an HTTP API, by its domain name). */
  http(domainName: string, request: OriginRequest): Promise<CdnAnswer>;
}

export interface S3Object {
  readonly bytes: Uint8Array;
  readonly contentType?: string;
  readonly cacheControl?: string;
  readonly etag?: string;
}

export interface LocalCdnOptions {
  readonly distribution: DistributionModel;
  readonly origins: LocalOrigins;
  /** The KeyValueStore a function reads, by the store id its code names; the value of a key, or undefined. */
  readonly keyValueStore: (storeId: string, key: string) => Promise<string | undefined>;
  /** Keep copies as CloudFront does (the default); off, every request goes to the origin. */
  readonly caching?: boolean;
  /** Milliseconds since the epoch; tests move it on. */
  readonly now?: () => number;
  /** What a response headers policy's value becomes here (an AWS endpoint it names, on this machine). */
  readonly localHeader?: (name: string, value: string) => string;
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

type ViewerFunction = (event: unknown) => Promise<
  | { uri: string; querystring?: unknown; headers?: unknown }
  | {
      statusCode: number;
      statusDescription?: string;
      headers?: Record<string, { value: string }>;
      body?: { data?: string } | string;
    }
>;

const MAX_COPIES = 20_000;
const encoder = new TextEncoder();
const CACHEABLE = new Set(['GET', 'HEAD']);

/**
 * A CloudFront distribution on a laptop, run from its template (local/distribution.ts reads it): each
 * request goes to the first behaviour whose path pattern matches, is refused (403) for a method the
 * behaviour does not allow, passes its viewer-request function (the code CloudFront runs, from the
 * template, with its KeyValueStore), and is cached under the URI the function leaves plus the cache
 * policy's headers and query strings, for the policy's TTLs and the answer's `Cache-Control` (`s-maxage`
 * first). Origins are the site bucket (a missing object answers 403, as S3 answers CloudFront without list
 * permission), HTTP APIs (only the headers the policies forward, the origin's own headers added) and origin
 * groups (a failover status code sends a GET or HEAD to the second member). Custom error responses apply to
 * every behaviour, as CloudFront applies them. Response headers policies set their headers; answers carry
 * `x-cache` and `age`. Invalidations drop copies by exact key or trailing `*`, at once.
 */
export class LocalCdn {
  readonly #copies = new Map<string, Copy>();
  readonly #functions = new Map<string, ViewerFunction>();
  readonly #now: () => number;
  /** Every invalidation path asked for, in order: what the same changes would cost in CloudFront. */
  readonly invalidatedPaths: string[] = [];

  constructor(private readonly options: LocalCdnOptions) {
    this.#now = options.now ?? Date.now;
  }

  get caching(): boolean {
    return this.options.caching ?? true;
  }

  get distributionId(): string {
    return this.options.distribution.id;
  }

  /** Whether a copy is kept under this cache key (the URI the function leaves), and not yet expired. */
  holds(key: string): boolean {
    const copy = this.#copies.get(key);
    return copy !== undefined && this.#now() - copy.storedAt < copy.ttlMs;
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
        for (const key of this.#copies.keys())
          if (key === path || key.startsWith(`${path}?`)) this.#copies.delete(key);
      }
    }
  }

  /** Answers a reader's request as the distribution would. */
  async request(request: ViewerRequest | string, method = 'GET'): Promise<CdnAnswer> {
    const viewer: ViewerRequest = typeof request === 'string' ? { method, target: request } : request;
    const answer = await this.#answer(viewer, true);
    return viewer.method === 'HEAD' ? { ...answer, body: new Uint8Array() } : answer;
  }

  async #answer(viewer: ViewerRequest, withErrorPages: boolean): Promise<CdnAnswer> {
    const [rawPath = '/', query = ''] = viewer.target.split(/\?(.*)/s);
    const behavior = this.#behaviorFor(rawPath);
    const policyHeaders = (answer: CdnAnswer): CdnAnswer =>
      withPolicy(answer, behavior, this.options.localHeader);
    if (!behavior.allowedMethods.includes(viewer.method)) {
      return cloudFrontError(
        403,
        'This distribution is not configured to allow the HTTP request method that was used for this request.',
      );
    }
    let uri = rawPath;
    if (behavior.viewerRequest) {
      const result = await this.#viewerFunction(behavior.viewerRequest).call(undefined, {
        version: '1.0',
        context: { eventType: 'viewer-request', distributionId: this.options.distribution.id },
        viewer: { ip: viewer.viewer?.address ?? '127.0.0.1' },
        request: { method: viewer.method, uri: rawPath, querystring: {}, headers: {}, cookies: {} },
      });
      if ('statusCode' in result) {
        // The function's own answer: built before the cache, never cached.
        const own = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, v.value]));
        const data = typeof result.body === 'string' ? result.body : (result.body?.data ?? '');
        return {
          status: result.statusCode,
          ...(result.statusDescription ? { statusText: result.statusDescription } : {}),
          headers: { ...own, 'x-cache': 'FunctionGeneratedResponse from cloudfront' },
          body: encoder.encode(data),
        };
      }
      uri = result.uri;
    }
    if (uri === '/' && this.options.distribution.defaultRootObject) {
      uri = `/${this.options.distribution.defaultRootObject}`;
    }
    const headers = viewer.headers ?? {};
    const cacheKey = [
      uri,
      ...(behavior.cache.queryStrings === 'none' || query === '' ? [] : [`?${query}`]),
      ...behavior.cache.headers.map((h) => `\n${h}:${headers[h] ?? ''}`),
    ].join('');
    const cacheable = this.caching && CACHEABLE.has(viewer.method) && behavior.cache.max > 0;
    const now = this.#now();
    const copy = cacheable ? this.#copies.get(cacheKey) : undefined;
    if (copy && now - copy.storedAt < copy.ttlMs) return policyHeaders(served(copy, 'Hit', now));

    const fetched = await this.#fromOrigin(behavior.targetOriginId, behavior, viewer, uri, query);
    const error = this.options.distribution.errorResponses.find((e) => e.errorCode === fetched.status);
    if (error && withErrorPages) {
      // Distribution-wide: whatever the behaviour and origin, the error page replaces the answer.
      const page = error.responsePagePath
        ? await this.#answer({ method: 'GET', target: error.responsePagePath }, false)
        : fetched;
      const replaced: CdnAnswer = {
        status: error.responseCode ?? fetched.status,
        headers: { ...page.headers, 'x-cache': 'Error from cloudfront' },
        body: page.body,
      };
      if (cacheable)
        this.#keep(cacheKey, { ...replaced, storedAt: now, ttlMs: error.errorCachingMinTtl * 1000 });
      return policyHeaders(replaced);
    }
    const ttlMs =
      fetched.status >= 500
        ? 0
        : ttlSeconds(fetched.headers['cache-control'], behavior.cache, fetched.status) * 1000;
    if (copy && copy.etag !== undefined && copy.etag === fetched.headers.etag && fetched.status === 200) {
      // Expired, and the origin says it has not changed (a conditional GET answered 304).
      copy.storedAt = now;
      return policyHeaders(served(copy, 'RefreshHit', now));
    }
    if (cacheable && ttlMs > 0) {
      this.#keep(cacheKey, {
        ...fetched,
        ...(fetched.headers.etag ? { etag: fetched.headers.etag } : {}),
        storedAt: now,
        ttlMs,
      });
    }
    const kind = fetched.status < 400 ? 'Miss' : 'Error';
    return policyHeaders({
      ...fetched,
      headers: { ...fetched.headers, 'x-cache': `${kind} from cloudfront` },
    });
  }

  #keep(key: string, copy: Copy): void {
    if (this.#copies.size >= MAX_COPIES) this.#copies.delete(this.#copies.keys().next().value as string);
    this.#copies.set(key, copy);
  }

  #behaviorFor(path: string): Behavior {
    const found = this.options.distribution.behaviors.find((b) => matchesPathPattern(b.pathPattern, path));
    if (!found) throw new Error('a distribution always has a default behaviour');
    return found;
  }

  #viewerFunction(fn: NonNullable<Behavior['viewerRequest']>): ViewerFunction {
    const known = this.#functions.get(fn.name);
    if (known) return known;
    // The code CloudFront runs, with its `cloudfront` module: a KeyValueStore by id.
    const source = fn.code.replace(/^import (\w+) from 'cloudfront';$/m, 'const $1 = cloudfrontModule;');
    const cloudfrontModule = {
      kvs: (storeId: string) => ({
        get: async (key: string) => {
          const value = await this.options.keyValueStore(storeId, key);
          if (value === undefined) throw new Error(`Key ${key} not found`);
          return value;
        },
      }),
    };
    const made = new Function('cloudfrontModule', `${source}\nreturn handler;`)(
      cloudfrontModule,
    ) as ViewerFunction;
    this.#functions.set(fn.name, made);
    return made;
  }

  async #fromOrigin(
    originId: string,
    behavior: Behavior,
    viewer: ViewerRequest,
    uri: string,
    query: string,
  ): Promise<CdnAnswer> {
    const origin: Origin | undefined = this.options.distribution.origins.get(originId);
    if (!origin) throw new Error(`the distribution has no origin ${originId}`);
    try {
      if (origin.kind === 'group') {
        const [primary, secondary] = origin.members;
        const first = await this.#fromOrigin(primary ?? '', behavior, viewer, uri, query);
        const failsOver = ['GET', 'HEAD', 'OPTIONS'].includes(viewer.method);
        if (secondary && failsOver && origin.failoverStatusCodes.includes(first.status)) {
          return this.#fromOrigin(secondary, behavior, viewer, uri, query);
        }
        return first;
      }
      if (origin.kind === 's3') {
        const key = bucketKeyOf(uri);
        const found =
          key === undefined
            ? undefined
            : await originRead(() => this.options.origins.s3(origin.domainName, key));
        if (!found) {
          return {
            status: 403,
            headers: { 'content-type': 'application/xml' },
            body: encoder.encode(
              '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
            ),
          };
        }
        // S3 always has an ETag; a store that keeps none gets one from the bytes, as S3 computes it.
        const etag = found.etag ?? `"${createHash('md5').update(found.bytes).digest('hex')}"`;
        return {
          status: 200,
          headers: {
            'content-type': found.contentType ?? 'application/octet-stream',
            ...(found.cacheControl ? { 'cache-control': found.cacheControl } : {}),
            etag,
          },
          body: found.bytes,
        };
      }
      return await this.options.origins.http(origin.domainName, {
        method: viewer.method,
        path: `${origin.originPath}${uri}`,
        query: forwardedQuery(query, behavior),
        headers: { ...forwardedHeaders(viewer, behavior), ...origin.headers, host: origin.domainName },
        body: viewer.body ?? new Uint8Array(),
      });
    } catch {
      return {
        status: 502,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        body: encoder.encode('Không đọc được trang từ nơi lưu trữ. Hãy thử lại sau giây lát.'),
      };
    }
  }
}

/** The headers CloudFront passes on: the cache key's and the origin request policy's, and its own. */
function forwardedHeaders(viewer: ViewerRequest, behavior: Behavior): Record<string, string> {
  const wanted = new Set([...behavior.cache.headers, ...(behavior.originRequest?.headers ?? [])]);
  const out: Record<string, string> = {
    'user-agent': 'Amazon CloudFront',
    via: '2.0 local.cloudfront.net (CloudFront)',
  };
  for (const name of wanted) {
    if (name === 'cloudfront-viewer-address') {
      // Set by CloudFront from the connection; a reader's own header of that name is not passed on.
      out[name] = `${viewer.viewer?.address ?? '127.0.0.1'}:${viewer.viewer?.port ?? 0}`;
      continue;
    }
    const value = viewer.headers?.[name];
    if (value !== undefined) out[name] = value;
  }
  const length = viewer.body?.byteLength ?? 0;
  if (length > 0) out['content-length'] = String(length);
  return out;
}

function forwardedQuery(query: string, behavior: Behavior): string {
  const rules = [behavior.cache.queryStrings, behavior.originRequest?.queryStrings ?? 'none'];
  if (rules.includes('all')) return query;
  const names = new Set(rules.flatMap((r) => (Array.isArray(r) ? r : [])));
  if (names.size === 0) return '';
  const params = new URLSearchParams(query);
  return [...params]
    .filter(([k]) => names.has(k))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

function withPolicy(
  answer: CdnAnswer,
  behavior: Behavior,
  local: (name: string, value: string) => string = (_, v) => v,
): CdnAnswer {
  const headers: Record<string, string> = { ...answer.headers };
  for (const h of behavior.responseHeaders) {
    if (h.override || headers[h.name] === undefined) headers[h.name] = local(h.name, h.value);
  }
  return { ...answer, headers };
}

function served(copy: Copy, kind: 'Hit' | 'RefreshHit', now: number): CdnAnswer {
  const age = String(Math.floor((now - copy.storedAt) / 1000));
  return {
    status: copy.status,
    headers: { ...copy.headers, age, 'x-cache': `${kind} from cloudfront` },
    body: copy.body,
  };
}

function cloudFrontError(status: number, message: string): CdnAnswer {
  return {
    status,
    headers: { 'content-type': 'text/html', 'x-cache': 'Error from cloudfront' },
    body: encoder.encode(
      `<HTML><HEAD><TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>${status} ERROR</H1><H2>The request could not be satisfied.</H2><HR noshade size="1px">${message}</BODY></HTML>`,
    ),
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
 * How long CloudFront keeps an answer, in seconds: `s-maxage`, else `max-age`, within the policy's minimum
 * and maximum; the minimum when it says `no-cache`, `no-store` or `private`; without either, the policy's
 * default for a success and CloudFront's 10 s error caching for a 4xx.
 */
export function ttlSeconds(
  cacheControl: string | undefined,
  ttls: { readonly min: number; readonly default: number; readonly max: number },
  status = 200,
): number {
  const directives = new Map<string, string | undefined>();
  for (const part of (cacheControl ?? '').split(',')) {
    const [name, value] = part.trim().toLowerCase().split('=');
    if (name) directives.set(name, value);
  }
  if (['no-cache', 'no-store', 'private'].some((d) => directives.has(d))) return ttls.min;
  const stated = Number(directives.get('s-maxage') ?? directives.get('max-age'));
  if (!Number.isFinite(stated) || !(directives.has('s-maxage') || directives.has('max-age'))) {
    return status >= 400 ? Math.min(10, ttls.max) : ttls.default;
  }
  return Math.min(Math.max(stated, ttls.min), ttls.max);
}

/**
 * Reads from an origin, trying again when the connection drops, as CloudFront retries its origin. (The S3
 * stand-in resets a read that races with a write of the same object.)
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

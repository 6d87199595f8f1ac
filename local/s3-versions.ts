import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { SIGNING_PARAMETERS } from './iam/requests.ts';

/**
 * What s3rver lacks and S3 does for the drafts bucket, in front of it: object versions (every upload and
 * deletion kept, listed with `?versions`, read and copied by `versionId`) and the signature check of a
 * presigned URL (a URL signed for one key, type and size writes nothing else). Everything else, and every
 * other bucket, passes through untouched.
 */
export interface VersioningOptions {
  /** Where s3rver listens. */
  readonly target: { readonly host: string; readonly port: number };
  /** Where versions are kept (their bytes and an index per bucket). */
  readonly dir: string;
  readonly versioned: readonly string[];
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly region: string;
  /**
   * Decides each request as IAM would (local/iam/): told the request, it answers the refusal S3 would send,
   * or nothing to let it through. With it, requests reach s3rver unsigned (s3rver knows one key pair only).
   */
  readonly gate?: S3Gate;
}

export interface S3Gate {
  /** The secret of an access key the gate knows, to check a presigned URL's signature; undefined if unknown. */
  secretOf(accessKeyId: string): string | undefined;
  /** Whether S3 answers this caller 403 rather than 404 for a missing key (it may not list the bucket). */
  hidesMissing(req: IncomingMessage, url: URL): Promise<boolean>;
  /** The refusal S3 answers (403 AccessDenied and its message), or undefined when the request may go on. */
  check(
    req: IncomingMessage,
    url: URL,
    body: Buffer | undefined,
  ): Promise<{ readonly status: number; readonly code: string; readonly message: string } | undefined>;
}

interface KeptVersion {
  readonly versionId: string;
  readonly at: string;
  readonly deleted: boolean;
  readonly size: number;
  readonly etag: string;
  readonly contentType?: string;
  readonly metadata: Record<string, string>;
}

class NodeSha256 {
  readonly #hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bufferOf(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(bufferOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

function bufferOf(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function createVersioningProxy(options: VersioningOptions): Server {
  const indexes = new Map<string, Record<string, KeptVersion[]>>();
  const folder = (bucket: string) => join(options.dir, bucket);
  const indexOf = (bucket: string) => {
    let index = indexes.get(bucket);
    if (!index) {
      mkdirSync(join(folder(bucket), 'objects'), { recursive: true });
      try {
        index = JSON.parse(readFileSync(join(folder(bucket), 'index.json'), 'utf8')) as Record<
          string,
          KeptVersion[]
        >;
      } catch {
        index = {};
      }
      indexes.set(bucket, index);
    }
    return index;
  };
  const keep = (bucket: string, key: string, version: KeptVersion, bytes?: Uint8Array) => {
    const index = indexOf(bucket);
    if (bytes) writeFileSync(join(folder(bucket), 'objects', version.versionId), bytes);
    index[key] = [version, ...(index[key] ?? [])];
    const file = join(folder(bucket), 'index.json');
    writeFileSync(`${file}.part`, JSON.stringify(index));
    renameSync(`${file}.part`, file);
  };
  const find = (bucket: string, key: string, versionId: string) =>
    indexOf(bucket)[key]?.find((v) => v.versionId === versionId);
  const bytesOf = (bucket: string, versionId: string) =>
    readFileSync(join(folder(bucket), 'objects', versionId));
  const signerFor = (credentials: { accessKeyId: string; secretAccessKey: string }) =>
    new SignatureV4({
      credentials,
      region: options.region,
      service: 's3',
      sha256: NodeSha256,
      uriEscapePath: false,
      applyChecksum: false,
    });

  /** Whether a presigned request carries the signature its method, path, signed headers and query make. */
  async function presignedValid(req: IncomingMessage, url: URL): Promise<'ok' | 'expired' | 'mismatch'> {
    const accessKeyId = url.searchParams.get('X-Amz-Credential')?.split('/')[0] ?? '';
    const secret = options.gate ? options.gate.secretOf(accessKeyId) : options.credentials.secretAccessKey;
    if (secret === undefined) return 'mismatch';
    const signer = signerFor({ accessKeyId, secretAccessKey: secret });
    const given = url.searchParams.get('X-Amz-Signature');
    const date = url.searchParams.get('X-Amz-Date') ?? '';
    const expires = Number(url.searchParams.get('X-Amz-Expires'));
    const signingDate = new Date(
      date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
    );
    if (Number.isNaN(signingDate.getTime()) || !Number.isFinite(expires)) return 'mismatch';
    if (Date.now() > signingDate.getTime() + expires * 1000) return 'expired';
    const signed = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
    const headers: Record<string, string> = {};
    for (const name of signed) headers[name] = String(req.headers[name] ?? '');
    const query: Record<string, string> = {};
    for (const [name, value] of url.searchParams) if (name !== 'X-Amz-Signature') query[name] = value;
    // The payload hash the signer read from a header before it moved that header into the query.
    const payload = query['X-Amz-Content-Sha256'];
    if (payload !== undefined) {
      delete query['X-Amz-Content-Sha256'];
      headers['X-Amz-Content-Sha256'] = payload;
    }
    const [hostname, port] = (req.headers.host ?? '').split(':');
    const out = await signer.presign(
      {
        method: req.method ?? 'GET',
        protocol: 'http:',
        hostname: hostname ?? '',
        ...(port ? { port: Number(port) } : {}),
        path: url.pathname,
        query,
        headers,
      },
      {
        signingDate,
        expiresIn: expires,
        signableHeaders: new Set(signed),
        unhoistableHeaders: new Set(signed),
      },
    );
    return out.query?.['X-Amz-Signature'] === given ? 'ok' : 'mismatch';
  }

  function forward(
    req: IncomingMessage,
    res: ServerResponse,
    body?: Buffer,
    headers: Record<string, string | string[] | undefined> = req.headers,
    hideMissing = false,
  ): Promise<{ status: number; etag?: string }> {
    return new Promise((resolve, reject) => {
      const sent: Record<string, string | string[] | undefined> = {
        ...headers,
        ...(body ? { 'content-length': String(body.byteLength) } : {}),
      };
      if (body) delete sent['transfer-encoding'];
      const upstream = request(
        {
          host: options.target.host,
          port: options.target.port,
          method: req.method,
          path: req.url,
          headers: sent,
        },
        (answer) => {
          if (hideMissing && answer.statusCode === 404) {
            answer.resume();
            s3Error(res, 403, 'AccessDenied', 'Access Denied');
            resolve({ status: 403 });
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          // A client that stops reading (a body it refuses unread) ends the call to s3rver too.
          res.on('close', () => {
            if (!answer.complete) answer.destroy();
          });
          answer.pipe(res);
          answer.on('end', () =>
            resolve({
              status: answer.statusCode ?? 502,
              ...(typeof answer.headers.etag === 'string' ? { etag: answer.headers.etag } : {}),
            }),
          );
        },
      );
      upstream.on('error', reject);
      if (body) upstream.end(body);
      else req.pipe(upstream);
    });
  }

  const s3Error = (res: ServerResponse, status: number, code: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`,
    );
  };

  async function readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** Checked by the gate; s3rver, which knows only its own key pair, is given the request unsigned. */
  function strip(req: IncomingMessage, url: URL) {
    delete req.headers.authorization;
    delete req.headers['x-amz-security-token'];
    if (SIGNING_PARAMETERS.some((name) => url.searchParams.has(name))) {
      for (const name of SIGNING_PARAMETERS) url.searchParams.delete(name);
      req.url = `${url.pathname}${url.search}`;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    // A CORS preflight is not signed (the browser sends none of the request's headers): S3 answers it from
    // the bucket's CORS rules alone.
    if (url.searchParams.has('X-Amz-Signature') && req.method !== 'OPTIONS') {
      const check = await presignedValid(req, url);
      if (check !== 'ok') {
        await readBody(req);
        return s3Error(
          res,
          403,
          check === 'expired' ? 'AccessDenied' : 'SignatureDoesNotMatch',
          check === 'expired'
            ? 'Request has expired'
            : 'The request signature we calculated does not match the signature you provided.',
        );
      }
    }
    // Decided before the request is stripped of its signature, which says who asks.
    const hideMissing =
      !!options.gate &&
      (req.method === 'GET' || req.method === 'HEAD') &&
      key !== '' &&
      !url.searchParams.has('versionId') &&
      (await options.gate.hidesMissing(req, url));
    if (options.gate && req.method !== 'OPTIONS') {
      // DeleteObjects names its keys in the body: S3 authorizes each.
      const body = req.method === 'POST' && url.searchParams.has('delete') ? await readBody(req) : undefined;
      const refusal = await options.gate.check(req, url, body);
      if (refusal) {
        if (!body) await readBody(req);
        return s3Error(res, refusal.status, refusal.code, refusal.message);
      }
      if (body) {
        strip(req, url);
        await forward(req, res, body);
        return;
      }
    }
    if (options.gate) strip(req, url);
    if (!options.versioned.includes(bucket)) {
      await forward(req, res, undefined, req.headers, hideMissing);
      return;
    }
    const versionId = url.searchParams.get('versionId');
    if (req.method === 'GET' && key === '' && url.searchParams.has('versions')) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const entries = Object.entries(indexOf(bucket))
        .filter(([k]) => k.startsWith(prefix))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .flatMap(([k, versions]) =>
          versions.map((v, i) =>
            v.deleted
              ? `<DeleteMarker><Key>${xml(k)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${i === 0}</IsLatest><LastModified>${v.at}</LastModified></DeleteMarker>`
              : `<Version><Key>${xml(k)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${i === 0}</IsLatest><LastModified>${v.at}</LastModified><ETag>${v.etag}</ETag><Size>${v.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
          ),
        );
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${bucket}</Name><Prefix>${xml(prefix)}</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>${entries.join('')}</ListVersionsResult>`,
      );
      return;
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && key !== '' && versionId) {
      const version = find(bucket, key, versionId);
      if (!version || version.deleted)
        return s3Error(res, 404, 'NoSuchVersion', 'The specified version does not exist.');
      const bytes = bytesOf(bucket, versionId);
      res.writeHead(200, {
        'content-type': version.contentType ?? 'application/octet-stream',
        'content-length': String(bytes.byteLength),
        etag: version.etag,
        'last-modified': new Date(version.at).toUTCString(),
        'x-amz-version-id': versionId,
        ...Object.fromEntries(Object.entries(version.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
      });
      res.end(req.method === 'HEAD' ? undefined : bytes);
      return;
    }
    if (req.method === 'PUT' && key !== '') {
      let body = await readBody(req);
      // A checksum the request carries (signed into a presigned URL, or as a header) is the body's, or S3
      // refuses the upload.
      const sha256 = url.searchParams.get('x-amz-checksum-sha256') ?? req.headers['x-amz-checksum-sha256'];
      if (typeof sha256 === 'string' && createHash('sha256').update(body).digest('base64') !== sha256) {
        return s3Error(
          res,
          400,
          'BadDigest',
          'The SHA256 you specified did not match the calculated checksum.',
        );
      }
      const headers = { ...req.headers };
      const copySource =
        typeof headers['x-amz-copy-source'] === 'string' ? headers['x-amz-copy-source'] : undefined;
      const copiedVersion = copySource ? /[?&]versionId=([^&]+)/.exec(copySource)?.[1] : undefined;
      let copied: KeptVersion | undefined;
      if (copySource && copiedVersion) {
        // A copy of an older version: S3 makes it the newest; s3rver is given its bytes to store.
        const [, sourceBucket = '', ...sourceKey] = decodeURIComponent(copySource.split('?')[0] ?? '')
          .replace(/^\/?/, '/')
          .split('/');
        copied = find(sourceBucket, sourceKey.join('/'), decodeURIComponent(copiedVersion));
        if (!copied || copied.deleted)
          return s3Error(res, 404, 'NoSuchVersion', 'The specified version does not exist.');
        body = bytesOf(sourceBucket, copied.versionId);
        delete headers['x-amz-copy-source'];
        const replace = headers['x-amz-metadata-directive'] === 'REPLACE';
        delete headers['x-amz-metadata-directive'];
        if (!replace) for (const [k, v] of Object.entries(copied.metadata)) headers[`x-amz-meta-${k}`] = v;
        if (!headers['content-type'] && copied.contentType) headers['content-type'] = copied.contentType;
      }
      const versionIdNew = randomBytes(12).toString('hex');
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      const metadata: Record<string, string> = {};
      for (const [k, v] of Object.entries(headers))
        if (k.startsWith('x-amz-meta-') && typeof v === 'string') metadata[k.slice(11)] = v;
      for (const [k, v] of url.searchParams)
        if (k.toLowerCase().startsWith('x-amz-meta-')) metadata[k.toLowerCase().slice(11)] = v;
      const keepUpload = () =>
        keep(
          bucket,
          key,
          {
            versionId: versionIdNew,
            at: new Date().toISOString(),
            deleted: false,
            size: body.byteLength,
            etag,
            ...(headers['content-type'] ? { contentType: String(headers['content-type']) } : {}),
            metadata,
          },
          body,
        );
      if (copied) {
        // Answered as S3 answers a copy, after s3rver stored the bytes.
        const stored = await new Promise<number>((resolve, reject) => {
          const sent: Record<string, string | string[] | undefined> = {
            ...headers,
            'content-length': String(body.byteLength),
          };
          delete sent['transfer-encoding'];
          const upstream = request(
            {
              host: options.target.host,
              port: options.target.port,
              method: 'PUT',
              path: req.url,
              headers: sent,
            },
            (answer) => {
              answer.resume();
              answer.on('end', () => resolve(answer.statusCode ?? 502));
            },
          );
          upstream.on('error', reject);
          upstream.end(body);
        });
        if (stored >= 300) return s3Error(res, 502, 'InternalError', 'The copy could not be stored');
        keepUpload();
        res.writeHead(200, { 'content-type': 'application/xml', 'x-amz-version-id': versionIdNew });
        res.end(
          `<?xml version="1.0" encoding="UTF-8"?>\n<CopyObjectResult><LastModified>${new Date().toISOString()}</LastModified><ETag>${etag}</ETag></CopyObjectResult>`,
        );
        return;
      }
      res.setHeader('x-amz-version-id', versionIdNew);
      const answer = await forward(req, res, body, headers);
      if (answer.status < 300) keepUpload();
      return;
    }
    if (req.method === 'DELETE' && key !== '' && !versionId) {
      const answer = await forward(req, res);
      if (answer.status < 300 && indexOf(bucket)[key]?.[0]?.deleted === false) {
        keep(bucket, key, {
          versionId: randomBytes(12).toString('hex'),
          at: new Date().toISOString(),
          deleted: true,
          size: 0,
          etag: '',
          metadata: {},
        });
      }
      return;
    }
    await forward(req, res, undefined, req.headers, hideMissing);
  }

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) s3Error(res, 500, 'InternalError', String(err));
      else res.destroy();
    });
  });
}

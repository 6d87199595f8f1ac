import { createServer, type Server } from 'node:http';
import type { SiteConfig } from '#shared/domain/site.ts';
import type { SiteStore } from '#shared/ports.ts';
import { renderGonePage } from '#shared/render/pages.ts';
import type { RebuildProgress, RebuildResult } from '#shared/use-cases/rebuild.ts';
import { NOT_FOUND_KEY } from '#shared/use-cases/site-frame.ts';

export const REBUILD_PATH = '/_local/rebuild';

/**
 * Reads from the site bucket, trying again when the connection drops, as CloudFront retries its origin.
 * (The S3 stand-in resets a read that races with a write of the same object.)
 */
async function fromOrigin<T>(read: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 25 * attempt));
    }
  }
}

import { SECURITY_HEADERS } from '../infra/edge/headers.ts';
import { isResponse, loadEdgeFunction } from '../infra/edge/url-rewrite.ts';

/**
 * The local CDN: serves the site bucket over HTTP through the CloudFront Function's code (edge rules for
 * moved and taken-down articles, URL rewriting), with the response security headers and the 404 page.
 */
export function createSiteServer(
  site: SiteStore,
  config: SiteConfig,
  edgeRules: (path: string) => Promise<string | undefined>,
  rebuild?: (onProgress: (progress: RebuildProgress) => void) => Promise<RebuildResult>,
): Server {
  const edge = loadEdgeFunction({ gonePage: renderGonePage(config), lookup: edgeRules });
  return createServer(async (req, res) => {
    try {
      // Local only (the server listens on 127.0.0.1): `npm run rebuild` asks the running stack to rebuild,
      // since the stand-ins' files belong to this process. Progress streams back one JSON line at a time.
      if (req.method === 'POST' && req.url === REBUILD_PATH && rebuild) {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        try {
          const result = await rebuild((progress) => res.write(`${JSON.stringify(progress)}\n`));
          res.end(`${JSON.stringify({ result })}\n`);
        } catch (err) {
          // The status line is long gone: the failure is the stream's last line.
          res.end(`${JSON.stringify({ error: String(err) })}\n`);
        }
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const result = await edge(url.pathname);
      if (isResponse(result)) {
        const headers = Object.fromEntries(Object.entries(result.headers).map(([k, v]) => [k, v.value]));
        res.writeHead(result.statusCode, result.statusDescription, { ...headers, ...SECURITY_HEADERS });
        res.end(req.method === 'HEAD' ? undefined : result.body?.data);
        return;
      }
      let key: string;
      try {
        key = decodeURIComponent(result.uri).replace(/^\/+/, '');
      } catch {
        key = '';
      }
      const found = key === '' ? undefined : await fromOrigin(() => site.get(key));
      const object = found ?? (await fromOrigin(() => site.get(NOT_FOUND_KEY)));
      res.writeHead(found ? 200 : 404, {
        'content-type': object?.contentType ?? 'text/plain; charset=utf-8',
        'cache-control': found?.cacheControl ?? 'no-cache',
        'content-length': object?.bytes.byteLength ?? 9,
        ...SECURITY_HEADERS,
      });
      res.end(req.method === 'HEAD' ? undefined : (object?.bytes ?? 'Not Found'));
    } catch (err) {
      res
        .writeHead(502, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`Site store error: ${String(err)}`);
    }
  });
}

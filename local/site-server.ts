import { createServer, type Server } from 'node:http';
import type { SiteConfig } from '#shared/domain/site.ts';
import type { SiteStore } from '#shared/ports.ts';
import { renderGonePage } from '#shared/render/pages.ts';
import { NOT_FOUND_KEY } from '#shared/use-cases/site-frame.ts';
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
): Server {
  const edge = loadEdgeFunction({ gonePage: renderGonePage(config), lookup: edgeRules });
  return createServer(async (req, res) => {
    try {
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
      const found = key === '' ? undefined : await site.get(key);
      const object = found ?? (await site.get(NOT_FOUND_KEY));
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

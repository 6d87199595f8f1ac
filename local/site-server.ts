import { createServer, type Server } from 'node:http';
import type { SiteStore } from '#shared/ports.ts';
import { NOT_FOUND_KEY } from '#shared/use-cases/site-frame.ts';
import { SECURITY_HEADERS } from '../infra/edge/headers.ts';
import { isRedirect, loadUrlRewrite } from '../infra/edge/url-rewrite.ts';

/**
 * The local CDN: serves the site bucket over HTTP with the CloudFront Function's URL rewriting, the
 * response security headers and the custom 404 page.
 */
export function createSiteServer(site: SiteStore): Server {
  const rewrite = loadUrlRewrite();
  return createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', ...SECURITY_HEADERS }).end();
        return;
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const result = rewrite(url.pathname);
      if (isRedirect(result)) {
        const headers = Object.fromEntries(Object.entries(result.headers).map(([k, v]) => [k, v.value]));
        res.writeHead(result.statusCode, { ...headers, ...SECURITY_HEADERS }).end();
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
      const status = found ? 200 : 404;
      res.writeHead(status, {
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

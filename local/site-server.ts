import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { RebuildProgress, RebuildResult } from '#shared/use-cases/rebuild.ts';
import { securityHeaders } from '../infra/edge/headers.ts';
import type { LocalCdn } from './cdn.ts';

export const REBUILD_PATH = '/_local/rebuild';
/** The file below the local stack's data folder that holds the rebuild token. */
export const REBUILD_TOKEN_FILE = 'rebuild-token';

export interface SiteServerOptions {
  /** What readers read through: the local CDN in front of the site bucket. */
  readonly cdn: LocalCdn;
  /** `npm run rebuild` asks the running stack to rebuild, sending this token. */
  readonly rebuild?: {
    readonly token: string;
    readonly run: (onProgress: (progress: RebuildProgress) => void) => Promise<RebuildResult>;
  };
}

/**
 * The local site over HTTP on 127.0.0.1: every GET and HEAD through the local CDN. Safe on a shared laptop:
 * a request must name this server in its Host header (a page elsewhere that rebinds its DNS name to
 * 127.0.0.1 is refused), no path reads outside the site bucket (the CDN refuses `..` and backslashes), and a
 * rebuild needs the token `npm start` prints (a page elsewhere can post to 127.0.0.1 but cannot know it).
 */
export function createSiteServer({ cdn, rebuild }: SiteServerOptions): Server {
  // The server's own answers carry the security headers too, as the CDN's do.
  const own = (headers: Record<string, string>) => ({ ...securityHeaders(), ...headers });
  const server = createServer(async (req, res) => {
    try {
      if (!isOwnHost(req)) {
        res.writeHead(421, own({ 'content-type': 'text/plain; charset=utf-8' }));
        res.end('This server answers only as 127.0.0.1 or localhost.');
        return;
      }
      if (req.method === 'POST' && req.url === REBUILD_PATH && rebuild) {
        if (!tokenMatches(req.headers.authorization, rebuild.token)) {
          res.writeHead(
            401,
            own({ 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' }),
          );
          res.end('A rebuild needs the token that npm start printed (npm run rebuild sends it).');
          return;
        }
        // Progress streams back one JSON line at a time.
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        try {
          const result = await rebuild.run((progress) => res.write(`${JSON.stringify(progress)}\n`));
          res.end(`${JSON.stringify({ result })}\n`);
        } catch (err) {
          // The status line is long gone: the failure is the stream's last line.
          res.end(`${JSON.stringify({ error: String(err) })}\n`);
        }
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, own({ allow: 'GET, HEAD' })).end();
        return;
      }
      const answer = await cdn.request(req.url ?? '/', req.method);
      const head = req.method === 'HEAD';
      res.writeHead(answer.status, answer.statusText, {
        ...answer.headers,
        ...(head ? {} : { 'content-length': answer.body.byteLength }),
      });
      res.end(head ? undefined : answer.body);
    } catch (err) {
      res
        .writeHead(502, own({ 'content-type': 'text/plain; charset=utf-8' }))
        .end(`Site error: ${String(err)}`);
    }
  });
  return server;
}

/** The Host header names this server: 127.0.0.1, localhost or [::1], at the port it listens on. */
function isOwnHost(req: IncomingMessage): boolean {
  const host = req.headers.host?.toLowerCase();
  const port = req.socket.localPort;
  if (!host || port === undefined) return false;
  return ['127.0.0.1', 'localhost', '[::1]'].some(
    (name) => host === `${name}:${port}` || (port === 80 && host === name),
  );
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const wanted = Buffer.from(token);
  return given.byteLength === wanted.byteLength && timingSafeEqual(given, wanted);
}

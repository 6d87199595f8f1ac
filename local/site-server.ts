import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { securityHeaders } from '../infra/edge/headers.ts';
import type { LocalCdn } from './cdn.ts';

export const REBUILD_PATH = '/_local/rebuild';
/** The largest request body the local server reads: API Gateway's own limit (10 MB). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The file below the local stack's data folder that holds the rebuild token. */
export const REBUILD_TOKEN_FILE = 'rebuild-token';

export interface SiteServerOptions {
  /** The distribution: every reader's request, the APIs' included, goes through it as through CloudFront. */
  readonly cdn: LocalCdn;
  /** `npm run rebuild` asks the running stack to rebuild, sending this token. */
  readonly rebuild?: {
    readonly token: string;
    readonly run: (
      onProgress: (progress: { phase: string; done: number; total: number }) => void,
    ) => Promise<unknown>;
  };
  /**
   * IAM is off (`npm start -- --no-iam`): every page says so at its top, and every answer in `x-local-iam`,
   * so nobody takes what works here for what the deployment allows.
   */
  readonly iamOff?: boolean;
}

/** The line every page shows while IAM is off. */
export const IAM_OFF_BANNER =
  '<p role="alert" style="margin:0;padding:.5rem 1rem;background:#7a1c1c;color:#fff;font:600 14px/1.4 system-ui,sans-serif">Chạy thử không kiểm tra quyền (IAM tắt: npm start -- --no-iam): mọi lệnh gọi đều được phép, điều AWS sẽ không làm.</p>';

/**
 * The local site over HTTP on 127.0.0.1: every request through the local distribution, which routes it by
 * the template's behaviours (the site bucket, the comments and desk APIs). Safe on a shared laptop: a request
 * must name this server in its Host header (a page elsewhere that rebinds its DNS name to 127.0.0.1 is
 * refused), no path reads outside the site bucket (the CDN refuses `..` and backslashes), and a rebuild
 * needs the token `npm start` prints (a page elsewhere can post to 127.0.0.1 but cannot know it).
 */
export function createSiteServer({ cdn, rebuild, iamOff }: SiteServerOptions): Server {
  // The server's own answers carry the security headers too, as the distribution's do.
  const plain = { ...securityHeaders(), 'content-type': 'text/plain; charset=utf-8' };
  const server = createServer(async (req, res) => {
    try {
      if (!isOwnHost(req)) {
        res.writeHead(421, plain);
        res.end('This server answers only as 127.0.0.1 or localhost.');
        return;
      }
      if (req.method === 'POST' && req.url === REBUILD_PATH && rebuild) {
        if (!tokenMatches(req.headers.authorization, rebuild.token)) {
          res.writeHead(401, { ...plain, 'www-authenticate': 'Bearer' });
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
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string') headers[name] = value;
        else if (Array.isArray(value)) headers[name] = value.join(', ');
      }
      const method = req.method ?? 'GET';
      const answer = await cdn.request({
        method,
        target: req.url ?? '/',
        headers,
        body: await readBody(req),
        viewer: { address: req.socket.remoteAddress ?? '127.0.0.1', port: req.socket.remotePort ?? 0 },
      });
      const head = method === 'HEAD';
      const html = String(answer.headers['content-type'] ?? '').startsWith('text/html');
      const body =
        iamOff && html
          ? Buffer.from(
              Buffer.from(answer.body)
                .toString('utf8')
                .replace(/<body[^>]*>/, (tag) => `${tag}${IAM_OFF_BANNER}`),
            )
          : answer.body;
      res.writeHead(answer.status, answer.statusText, {
        ...answer.headers,
        ...(iamOff ? { 'x-local-iam': 'off' } : {}),
        ...(head ? {} : { 'content-length': body.byteLength }),
      });
      res.end(head ? undefined : body);
    } catch (err) {
      res.writeHead(502, plain).end(`Site error: ${String(err)}`);
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

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    // Read past the bound, not kept: the function answers a body too large as API Gateway hands it over.
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { deskContentSecurityPolicy } from '#shared/desk/app.ts';
import type { RenderJob } from '#shared/ports.ts';
import { API_PREFIX } from '#shared/render/comments.ts';
import type { RebuildProgress, RebuildResult } from '#shared/use-cases/rebuild.ts';
import { DESK_API } from '../functions/desk/handler.ts';
import { securityHeaders } from '../infra/edge/headers.ts';
import type { LocalCdn } from './cdn.ts';

export const REBUILD_PATH = '/_local/rebuild';
/** Where the moderation command sends render jobs to the running stack (with the rebuild token). */
export const RENDER_JOBS_PATH = '/_local/render-jobs';
/** The largest request body the local server reads: API Gateway's own limit (10 MB). */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** The file below the local stack's data folder that holds the rebuild token. */
export const REBUILD_TOKEN_FILE = 'rebuild-token';

export interface SiteServerOptions {
  /** What readers read through: the local CDN in front of the site bucket. */
  readonly cdn: LocalCdn;
  /** `npm run rebuild` asks the running stack to rebuild, sending this token. */
  readonly rebuild?: {
    readonly token: string;
    readonly run: (onProgress: (progress: RebuildProgress) => void) => Promise<RebuildResult>;
    /** Render jobs from `npm run comments`, sent to the stack's render queue. */
    readonly sendJobs?: (jobs: readonly RenderJob[]) => Promise<void>;
  };
  /** The editors' desk: its page, and its API behind sign-in, as CloudFront and API Gateway serve them. */
  readonly desk?: {
    readonly handler: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
    /** The claims of a signed-in editor's token (API Gateway's JWT authorizer); none: 401. */
    readonly verify: (authorization: string | undefined) => Promise<Record<string, unknown> | undefined>;
    /** Where the browser uploads drafts to (the S3 endpoint), for the desk's content security policy. */
    readonly uploadOrigin: string;
  };
  /** `POST /api/comments`: the comments function, invoked as API Gateway invokes it (payload 2.0). */
  readonly comments?: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
}

/**
 * The local site over HTTP on 127.0.0.1: every GET and HEAD through the local CDN. Safe on a shared laptop:
 * a request must name this server in its Host header (a page elsewhere that rebinds its DNS name to
 * 127.0.0.1 is refused), no path reads outside the site bucket (the CDN refuses `..` and backslashes), and a
 * rebuild needs the token `npm start` prints (a page elsewhere can post to 127.0.0.1 but cannot know it).
 */
export function createSiteServer({ cdn, rebuild, comments, desk }: SiteServerOptions): Server {
  // The server's own answers carry the security headers too, as the CDN's do.
  const own = (headers: Record<string, string>) => ({ ...securityHeaders(), ...headers });
  const server = createServer(async (req, res) => {
    try {
      if (!isOwnHost(req)) {
        res.writeHead(421, own({ 'content-type': 'text/plain; charset=utf-8' }));
        res.end('This server answers only as 127.0.0.1 or localhost.');
        return;
      }
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      // The desk's behaviours: the page, its API and the shareable previews, all from the desk function.
      if (desk && (path === '/desk' || path.startsWith('/desk/'))) {
        const event = await apiEvent(req);
        // API Gateway's JWT authorizer: every desk route but sign-in and the shareable previews.
        if (path.startsWith(DESK_API) && path !== `${DESK_API}sign-in`) {
          const claims = await desk.verify(req.headers.authorization);
          if (!claims) {
            res.writeHead(401, own({ 'content-type': 'application/json' })).end('{"message":"Unauthorized"}');
            return;
          }
          Object.assign(event.requestContext, { authorizer: { jwt: { claims, scopes: [] } } });
        }
        const result = await desk.handler(event);
        // The desk's own response headers policy, as CloudFront adds it to every desk answer.
        res.writeHead(
          result.statusCode ?? 200,
          own({
            ...stringHeaders(result.headers),
            'content-security-policy': deskContentSecurityPolicy(desk.uploadOrigin),
            'x-robots-tag': 'noindex, nofollow',
          }),
        );
        res.end(result.body ?? '');
        return;
      }
      // CloudFront's `/api/*` behaviour: nothing cached, every method, forwarded to the function behind it.
      if (req.url?.startsWith(API_PREFIX) && comments) {
        const result = await comments(await apiEvent(req));
        res.writeHead(result.statusCode ?? 200, own({ ...stringHeaders(result.headers) }));
        res.end(result.body ?? '');
        return;
      }
      if (req.method === 'POST' && req.url === RENDER_JOBS_PATH && rebuild?.sendJobs) {
        if (!tokenMatches(req.headers.authorization, rebuild.token)) {
          res.writeHead(401, own({ 'content-type': 'text/plain; charset=utf-8' }));
          res.end('Render jobs need the token that npm start printed (npm run comments sends it).');
          return;
        }
        const { jobs } = JSON.parse((await readBody(req)).toString('utf8')) as { jobs: RenderJob[] };
        await rebuild.sendJobs(jobs);
        res.writeHead(202, own({ 'content-type': 'application/json' })).end('{"queued":true}');
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

/**
 * The event API Gateway (HTTP API, payload 2.0) hands the function for a request CloudFront forwarded: the
 * headers the origin request policy passes, lower-cased, with `cloudfront-viewer-address` set by the CDN
 * (a reader's own is replaced), and the body in base64.
 */
async function apiEvent(req: IncomingMessage): Promise<APIGatewayProxyEventV2> {
  const body = await readBody(req);
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const name of ['origin', 'referer', 'content-type', 'user-agent', 'authorization']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  headers['cloudfront-viewer-address'] = `${address}:${req.socket.remotePort ?? 0}`;
  const method = req.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: `${method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    isBase64Encoded: true,
    body: body.toString('base64'),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: req.headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: address,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${method} ${url.pathname}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}

function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));
}

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { S3Gate } from '../s3-versions.ts';
import type { AccessRequest, Authorizer } from './authorizer.ts';
import { accessKeyOf, dynamoRequests, s3Requests } from './requests.ts';

/** A refusal as the service answers it. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * Decides a request's authorizations in order and answers the first refusal: the caller by its access key
 * (a key no identity has is refused as AWS refuses it), then each action as IAM decides it.
 */
export async function firstRefusal(
  authorizer: Authorizer,
  accessKeyId: string | undefined,
  requests: readonly AccessRequest[],
  refusal: { readonly unknownKey: Refusal; readonly denied: (message: string) => Refusal },
): Promise<Refusal | undefined> {
  const identity = accessKeyId === undefined ? 'anonymous' : authorizer.identity(accessKeyId);
  if (identity === undefined) return authorizer.enforcing ? refusal.unknownKey : undefined;
  for (const r of requests) {
    const decision = await authorizer.decide(identity, r);
    if (!decision.allowed) return refusal.denied(decision.message);
  }
  return undefined;
}

/** The S3 stand-in's gate: each request authorized as S3 authorizes it, refused with S3's 403. */
export function s3Gate(authorizer: Authorizer): S3Gate {
  return {
    secretOf: (accessKeyId) => authorizer.identity(accessKeyId)?.secretAccessKey,
    // S3 tells a caller that may not list the bucket 403, not 404, for a key that is not there.
    async hidesMissing(req, url) {
      const key = accessKeyOf(req.headers, url);
      const identity = key === undefined ? 'anonymous' : authorizer.identity(key);
      if (!identity || !authorizer.enforcing) return false;
      const bucket = url.pathname.split('/')[1] ?? '';
      const list = await authorizer.decide(
        identity,
        { action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}` },
        { record: false },
      );
      return !list.allowed;
    },
    check: (req, url, body) =>
      firstRefusal(
        authorizer,
        accessKeyOf(req.headers, url),
        s3Requests(req.method ?? 'GET', url, req.headers, body?.toString('utf8')),
        {
          unknownKey: {
            status: 403,
            code: 'InvalidAccessKeyId',
            message: 'The AWS Access Key Id you provided does not exist in our records.',
          },
          denied: (message) => ({ status: 403, code: 'AccessDenied', message }),
        },
      ),
  };
}

/**
 * The DynamoDB stand-in's gate: a proxy in front of dynalite that authorizes each call of the JSON API
 * (the table or index, `dynamodb:LeadingKeys`) and answers a refusal as DynamoDB does: 400 with
 * `AccessDeniedException` (or `UnrecognizedClientException` for a key no one has).
 */
export function dynamoGate(
  authorizer: Authorizer,
  target: { readonly host: string; readonly port: number },
): Server {
  const { account, region, tables } = authorizer.model;
  const arnOf = (table: string, index?: string) =>
    `arn:aws:dynamodb:${region}:${account}:table/${table}${index ? `/index/${index}` : ''}`;
  return createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let input: Record<string, unknown> = {};
      try {
        input = JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        // dynalite answers a body that is not JSON as DynamoDB does.
      }
      const refusal = await firstRefusal(
        authorizer,
        accessKeyOf(req.headers),
        dynamoRequests(operation, input, tables, arnOf),
        {
          unknownKey: {
            status: 400,
            code: 'UnrecognizedClientException',
            message: 'The security token included in the request is invalid.',
          },
          denied: (message) => ({ status: 400, code: 'AccessDeniedException', message }),
        },
      );
      if (refusal) {
        res.writeHead(refusal.status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': randomUUID(),
        });
        res.end(
          JSON.stringify({ __type: `com.amazon.coral.service#${refusal.code}`, Message: refusal.message }),
        );
        return;
      }
      const upstream = request(
        {
          host: target.host,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.byteLength) },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', (err) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: String(err),
          }),
        );
      });
      upstream.end(body);
    })();
  });
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

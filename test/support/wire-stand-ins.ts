import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Minimal stand-ins, on loopback, for the two AWS APIs nothing on npm emulates: SQS (JSON protocol:
 * SendMessage, SendMessageBatch) and CloudFront invalidations (REST-XML: CreateInvalidation). The real SDK
 * clients talk to them over HTTP, so the adapters' requests are checked as they go on the wire.
 */

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

export interface SentMessage {
  readonly queueUrl: string;
  readonly body: string;
  readonly groupId?: string;
  readonly deduplicationId?: string;
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startSqsStandIn() {
  const sent: SentMessage[] = [];
  let failNext = 0;
  const server = createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const input = JSON.parse((await body(req)) || '{}');
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(payload));
    };
    if (failNext > 0) {
      failNext -= 1;
      reply(500, { __type: 'com.amazonaws.sqs#InternalError', message: 'injected failure' });
      return;
    }
    const entries =
      target === 'AmazonSQS.SendMessage'
        ? [{ Id: 'single', ...input }]
        : target === 'AmazonSQS.SendMessageBatch'
          ? input.Entries
          : undefined;
    if (!entries) {
      reply(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation', message: target });
      return;
    }
    const successful = entries.map((e: Record<string, string>) => {
      sent.push({
        queueUrl: input.QueueUrl,
        body: e.MessageBody ?? '',
        ...(e.MessageGroupId ? { groupId: e.MessageGroupId } : {}),
        ...(e.MessageDeduplicationId ? { deduplicationId: e.MessageDeduplicationId } : {}),
      });
      return { Id: e.Id, MessageId: randomUUID(), MD5OfMessageBody: md5(e.MessageBody ?? '') };
    });
    reply(200, target === 'AmazonSQS.SendMessage' ? successful[0] : { Successful: successful, Failed: [] });
  });
  const endpoint = await listen(server);
  return {
    endpoint,
    queueUrl: (name: string) => `${endpoint}/000000000000/${name}`,
    sent,
    failNextRequests(n: number) {
      failNext = n;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function startCloudFrontStandIn() {
  const invalidations: { distributionId: string; paths: string[]; callerReference: string }[] = [];
  const server = createServer(async (req, res) => {
    const match = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/.exec(req.url ?? '');
    const xml = await body(req);
    if (req.method !== 'POST' || !match) {
      res.writeHead(404).end();
      return;
    }
    const paths = [...xml.matchAll(/<Path>([^<]*)<\/Path>/g)].map((m) => m[1] ?? '');
    const callerReference = /<CallerReference>([^<]*)<\/CallerReference>/.exec(xml)?.[1] ?? '';
    const quantity = Number(/<Quantity>(\d+)<\/Quantity>/.exec(xml)?.[1]);
    if (quantity !== paths.length) {
      res
        .writeHead(400, { 'content-type': 'text/xml' })
        .end('<ErrorResponse><Error><Code>InvalidArgument</Code></Error></ErrorResponse>');
      return;
    }
    invalidations.push({ distributionId: match[1] ?? '', paths, callerReference });
    const id = `I${invalidations.length}`;
    res
      .writeHead(201, { 'content-type': 'text/xml', location: `${req.url}/${id}` })
      .end(
        `<?xml version="1.0" encoding="UTF-8"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>${id}</Id><Status>InProgress</Status><CreateTime>${new Date().toISOString()}</CreateTime>${xml.replace(/<\?xml[^>]*>/, '')}</Invalidation>`,
      );
  });
  const endpoint = await listen(server);
  return {
    endpoint,
    invalidations,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The CloudFront KeyValueStore data API (REST-JSON, SigV4a-signed): DescribeKeyValueStore, PutKey and
 * DeleteKey with ETag preconditions, as the real service checks them.
 */
export async function startKeyValueStoreStandIn() {
  const values = new Map<string, string>();
  let version = 1;
  let conflictNext = 0;
  const etag = () => `ETAG${version}`;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const match = /^\/key-value-stores\/([^/]+)(?:\/keys\/(.+))?$/.exec(url.pathname);
    const input = await body(req);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    if (!match) return reply(404, { message: 'no such route' });
    const key = match[2] ? decodeURIComponent(match[2]) : undefined;
    if (req.method === 'GET' && !key) {
      return reply(
        200,
        {
          KvsARN: decodeURIComponent(match[1] ?? ''),
          ItemCount: values.size,
          TotalSizeInBytes: 0,
          Created: 0,
        },
        { etag: etag() },
      );
    }
    if (req.headers['if-match'] !== etag() || conflictNext > 0) {
      conflictNext = Math.max(0, conflictNext - 1);
      return reply(409, { message: 'ETag mismatch' }, { 'x-amzn-errortype': 'ConflictException' });
    }
    if (req.method === 'PUT' && key) {
      values.set(key, JSON.parse(input).Value);
    } else if (req.method === 'DELETE' && key) {
      if (!values.delete(key))
        return reply(404, { message: 'no such key' }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
    } else {
      return reply(400, { message: 'unsupported' });
    }
    version += 1;
    return reply(200, { ItemCount: values.size, TotalSizeInBytes: 0 }, { etag: etag() });
  });
  const endpoint = await listen(server);
  return {
    endpoint,
    values,
    /** The next `n` writes lose a race with another writer. */
    conflictNext(n: number) {
      conflictNext = n;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** EventBridge Scheduler (REST-JSON): CreateSchedule, UpdateSchedule, DeleteSchedule. */
export async function startSchedulerStandIn() {
  const schedules = new Map<string, Record<string, unknown>>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const name = /^\/schedules\/([^/]+)$/.exec(url.pathname)?.[1];
    const input = await body(req);
    const reply = (status: number, payload: unknown, errorType?: string) =>
      res
        .writeHead(status, {
          'content-type': 'application/json',
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        })
        .end(JSON.stringify(payload));
    if (!name) return reply(404, { Message: 'no such route' });
    const key = decodeURIComponent(name);
    if (req.method === 'POST') {
      if (schedules.has(key)) return reply(409, { Message: 'exists' }, 'ConflictException');
      schedules.set(key, JSON.parse(input));
      return reply(200, { ScheduleArn: `arn:aws:scheduler:us-east-1:000000000000:schedule/default/${key}` });
    }
    if (req.method === 'PUT') {
      if (!schedules.has(key)) return reply(404, { Message: 'missing' }, 'ResourceNotFoundException');
      schedules.set(key, JSON.parse(input));
      return reply(200, { ScheduleArn: `arn:aws:scheduler:us-east-1:000000000000:schedule/default/${key}` });
    }
    if (req.method === 'DELETE') {
      if (!schedules.delete(key)) return reply(404, { Message: 'missing' }, 'ResourceNotFoundException');
      return reply(200, {});
    }
    return reply(400, { Message: 'unsupported' });
  });
  const endpoint = await listen(server);
  return { endpoint, schedules, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

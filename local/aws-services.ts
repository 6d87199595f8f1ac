import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessRequest } from './iam/authorizer.ts';
import { accessKeyOf } from './iam/requests.ts';

/** An error as the AWS service answers it: its HTTP status and error code. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** What the local world does when a deployed bundle calls one of these services. */
export interface ServiceBackends {
  /** SQS: a message sent to a queue (by its URL); FIFO queues get a group and a deduplication id. */
  readonly sendMessage: (
    queueUrl: string,
    message: { body: string; groupId?: string; deduplicationId?: string },
  ) => void;
  /** CloudFront: an invalidation of the distribution with this id. */
  readonly invalidate: (distributionId: string, paths: readonly string[]) => void;
  /** CloudFront KeyValueStore, by the store's ARN. */
  readonly keyValueStore: (arn: string) => LocalKeyValueStore;
  /** EventBridge Scheduler: a schedule made, changed or deleted (by group and name). */
  readonly schedules: LocalSchedules;
  /** SES (v2): a message sent. */
  readonly sendEmail: (message: {
    from: string;
    to: readonly string[];
    subject: string;
    text: string;
  }) => void;
  /**
   * IAM: told who signed the call (its access key) and what the service authorizes for it, throws the
   * service's refusal (a `ServiceError`), or returns to let the call go on.
   */
  readonly authorize?: (accessKeyId: string | undefined, requests: readonly AccessRequest[]) => Promise<void>;
}

export interface LocalKeyValueStore {
  get(key: string): string | undefined;
  put(key: string, value: string): void;
  delete(key: string): boolean;
  readonly size: number;
  readonly bytes: number;
}

export interface ScheduleDefinition {
  readonly name: string;
  readonly group: string;
  readonly expression: string;
  readonly target: { readonly Arn: string; readonly Input?: string; readonly RoleArn?: string };
  readonly actionAfterCompletion?: string;
}

export interface LocalSchedules {
  create(schedule: ScheduleDefinition): void;
  update(schedule: ScheduleDefinition): void;
  delete(group: string, name: string): void;
  has(group: string, name: string): boolean;
}

/**
 * The AWS APIs the deployed bundles call that have no stand-in on npm, answered on one local port as each
 * service answers them (the wire protocol the SDK speaks for it, its errors): SQS (JSON protocol:
 * SendMessage, SendMessageBatch), CloudFront (CreateInvalidation), CloudFront KeyValueStore
 * (DescribeKeyValueStore, GetKey, PutKey, DeleteKey, with its ETag), EventBridge Scheduler (Create, Update,
 * Get, DeleteSchedule) and SES v2 (SendEmail). The bundles reach it through `AWS_ENDPOINT_URL_<SERVICE>`.
 * Signatures are not checked.
 */
export async function startAwsServices(
  backends: ServiceBackends,
  port = 0,
): Promise<{ endpoint: string; server: Server }> {
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    try {
      await route(backends, req, body, res);
    } catch (err) {
      const e = err instanceof ServiceError ? err : new ServiceError(500, 'InternalFailure', String(err));
      fail(req, res, e);
    }
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function route(b: ServiceBackends, req: IncomingMessage, body: string, res: ServerResponse) {
  const target = req.headers['x-amz-target'];
  const url = new URL(req.url ?? '/', 'http://local');
  const path = decodeURIComponent(url.pathname);
  await b.authorize?.(accessKeyOf(req.headers), authorizations(req, url, path, body));
  if (typeof target === 'string' && target.startsWith('AmazonSQS.'))
    return sqs(b, target.slice(10), body, res);
  const invalidation = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/.exec(path);
  if (invalidation && req.method === 'POST') return invalidate(b, invalidation[1] ?? '', body, res);
  const store =
    /^\/key-value-stores\/(arn:aws:cloudfront::\d+:key-value-store\/[0-9a-f-]+)(?:\/keys\/(.+))?$/.exec(path);
  if (store) return keyValueStore(b, req, store[1] ?? '', store[2], body, res);
  const schedule = /^\/schedules\/([^/]+)$/.exec(path);
  if (schedule) return scheduler(b, req, schedule[1] ?? '', url, body, res);
  if (path === '/v2/email/outbound-emails' && req.method === 'POST') return sendEmail(b, body, res);
  throw new ServiceError(400, 'UnknownOperationException', `${req.method} ${path} is not modelled locally`);
}

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/**
 * What each service authorizes for a call, per its actions reference: `SendMessageBatch` is
 * `sqs:SendMessage` on the queue; a schedule's target role is also passed (`iam:PassRole`, with
 * `iam:PassedToService`); SES authorizes the sending identity of the `From` address.
 */
function authorizations(req: IncomingMessage, url: URL, path: string, body: string): AccessRequest[] {
  const target = req.headers['x-amz-target'];
  const input = (() => {
    try {
      return JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return {};
    }
  })();
  if (typeof target === 'string' && target.startsWith('AmazonSQS.')) {
    const operation = target.slice(10);
    const queue = /\/(\d+)\/([^/]+)$/.exec(String(input.QueueUrl ?? ''));
    const action = operation === 'SendMessageBatch' ? 'SendMessage' : operation;
    return [
      {
        action: `sqs:${action}`,
        resource: `arn:aws:sqs:${REGION}:${queue?.[1] ?? ACCOUNT}:${queue?.[2] ?? ''}`,
      },
    ];
  }
  const invalidation = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation$/.exec(path);
  if (invalidation)
    return [
      {
        action: 'cloudfront:CreateInvalidation',
        resource: `arn:aws:cloudfront::${ACCOUNT}:distribution/${invalidation[1]}`,
      },
    ];
  const store =
    /^\/key-value-stores\/(arn:aws:cloudfront::\d+:key-value-store\/[0-9a-f-]+)(?:\/keys\/(.+))?$/.exec(path);
  if (store) {
    const byMethod: Record<string, string> = { GET: 'GetKey', PUT: 'PutKey', DELETE: 'DeleteKey' };
    const action =
      store[2] === undefined ? 'DescribeKeyValueStore' : (byMethod[req.method ?? ''] ?? 'GetKey');
    return [{ action: `cloudfront-keyvaluestore:${action}`, resource: store[1] ?? '' }];
  }
  const schedule = /^\/schedules\/([^/]+)$/.exec(path);
  if (schedule) {
    const group = String(input.GroupName ?? url.searchParams.get('groupName') ?? 'default');
    const byMethod: Record<string, string> = {
      POST: 'CreateSchedule',
      PUT: 'UpdateSchedule',
      DELETE: 'DeleteSchedule',
    };
    const action = byMethod[req.method ?? ''] ?? 'GetSchedule';
    const role = (input.Target as { RoleArn?: string } | undefined)?.RoleArn;
    return [
      {
        action: `scheduler:${action}`,
        resource: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${group}/${schedule[1]}`,
      },
      ...(role && (action === 'CreateSchedule' || action === 'UpdateSchedule')
        ? [
            {
              action: 'iam:PassRole',
              resource: role,
              context: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
            },
          ]
        : []),
    ];
  }
  if (path === '/v2/email/outbound-emails') {
    const from = String(input.FromEmailAddress ?? '');
    const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
    return [{ action: 'ses:SendEmail', resource: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${address}` }];
  }
  return [];
}

function sqs(b: ServiceBackends, operation: string, body: string, res: ServerResponse) {
  const input = JSON.parse(body || '{}') as Record<string, unknown>;
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const queueUrl = String(input.QueueUrl ?? '');
  const fifo = queueUrl.endsWith('.fifo');
  const check = (entry: Record<string, unknown>) => {
    const text = String(entry.MessageBody ?? '');
    if (text === '') throw new ServiceError(400, 'MissingParameter', 'The request must contain MessageBody.');
    if (Buffer.byteLength(text) > 256 * 1024) {
      throw new ServiceError(
        400,
        'InvalidParameterValue',
        'One or more parameters are invalid: message too long.',
      );
    }
    if (fifo && !entry.MessageGroupId) {
      throw new ServiceError(
        400,
        'MissingParameter',
        'The request must contain the parameter MessageGroupId.',
      );
    }
    return text;
  };
  const send = (entry: Record<string, unknown>) => {
    const text = check(entry);
    b.sendMessage(queueUrl, {
      body: text,
      ...(entry.MessageGroupId ? { groupId: String(entry.MessageGroupId) } : {}),
      ...(entry.MessageDeduplicationId ? { deduplicationId: String(entry.MessageDeduplicationId) } : {}),
    });
    return { MessageId: randomUUID(), MD5OfMessageBody: md5(text) };
  };
  if (operation === 'SendMessage') return json(res, 200, send(input));
  if (operation === 'SendMessageBatch') {
    const entries = (input.Entries ?? []) as Record<string, unknown>[];
    if (entries.length === 0 || entries.length > 10) {
      throw new ServiceError(
        400,
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
        'Between 1 and 10 entries.',
      );
    }
    return json(res, 200, {
      Successful: entries.map((e) => ({ Id: e.Id, ...send(e) })),
      Failed: [],
    });
  }
  throw new ServiceError(400, 'UnsupportedOperation', `SQS ${operation} is not modelled locally`);
}

function invalidate(b: ServiceBackends, distributionId: string, body: string, res: ServerResponse) {
  const paths = [...body.matchAll(/<Path>([^<]*)<\/Path>/g)].map((m) => unescapeXml(m[1] ?? ''));
  const quantity = Number(/<Quantity>(\d+)<\/Quantity>/.exec(body)?.[1] ?? -1);
  if (quantity !== paths.length) {
    throw new ServiceError(400, 'InconsistentQuantities', 'Quantity does not match the number of paths.');
  }
  for (const p of paths) {
    const star = p.indexOf('*');
    if (!p.startsWith('/') || (star !== -1 && star !== p.length - 1)) {
      throw new ServiceError(400, 'InvalidArgument', `Invalid invalidation path: ${p}`);
    }
  }
  b.invalidate(distributionId, paths);
  const id = `I${randomUUID().replace(/-/g, '').slice(0, 13).toUpperCase()}`;
  res.writeHead(201, {
    'content-type': 'text/xml',
    location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${distributionId}/invalidation/${id}`,
  });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>${id}</Id><Status>Completed</Status><CreateTime>${new Date().toISOString()}</CreateTime><InvalidationBatch><Paths><Quantity>${paths.length}</Quantity><Items>${paths.map((p) => `<Path>${escapeXml(p)}</Path>`).join('')}</Items></Paths><CallerReference>local</CallerReference></InvalidationBatch></Invalidation>`,
  );
}

const etags = new Map<string, number>();

function keyValueStore(
  b: ServiceBackends,
  req: IncomingMessage,
  arn: string,
  key: string | undefined,
  body: string,
  res: ServerResponse,
) {
  const store = b.keyValueStore(arn);
  const etag = () => `KVS${etags.get(arn) ?? 0}`;
  const changed = () => etags.set(arn, (etags.get(arn) ?? 0) + 1);
  const described = () => ({
    ItemCount: store.size,
    TotalSizeInBytes: store.bytes,
    KvsARN: arn,
    Created: Math.floor(Date.now() / 1000),
    Status: 'READY',
  });
  const ifMatch = () => {
    if (req.headers['if-match'] !== etag()) {
      throw new ServiceError(
        409,
        'ConflictException',
        'The ETag does not match the store: describe it again.',
      );
    }
  };
  if (key === undefined && req.method === 'GET') return json(res, 200, described(), { etag: etag() });
  if (key !== undefined && req.method === 'GET') {
    const value = store.get(key);
    if (value === undefined) throw new ServiceError(404, 'ResourceNotFoundException', `Key ${key} not found`);
    return json(res, 200, { Key: key, Value: value, ItemCount: store.size, TotalSizeInBytes: store.bytes });
  }
  if (key !== undefined && req.method === 'PUT') {
    ifMatch();
    const { Value } = JSON.parse(body) as { Value: string };
    if (Buffer.byteLength(key) > 512 || Buffer.byteLength(Value) > 1024) {
      throw new ServiceError(400, 'ValidationException', 'A key is at most 512 bytes and a value 1 KB.');
    }
    store.put(key, Value);
    changed();
    return json(res, 200, { ItemCount: store.size, TotalSizeInBytes: store.bytes }, { etag: etag() });
  }
  if (key !== undefined && req.method === 'DELETE') {
    ifMatch();
    if (!store.delete(key)) throw new ServiceError(404, 'ResourceNotFoundException', `Key ${key} not found`);
    changed();
    return json(res, 200, { ItemCount: store.size, TotalSizeInBytes: store.bytes }, { etag: etag() });
  }
  throw new ServiceError(400, 'ValidationException', `${req.method} on a key value store is not modelled`);
}

function scheduler(
  b: ServiceBackends,
  req: IncomingMessage,
  name: string,
  url: URL,
  body: string,
  res: ServerResponse,
) {
  const input = JSON.parse(body || '{}') as Record<string, unknown>;
  const group = String(input.GroupName ?? url.searchParams.get('groupName') ?? 'default');
  const definition = (): ScheduleDefinition => ({
    name,
    group,
    expression: String(input.ScheduleExpression ?? ''),
    target: input.Target as ScheduleDefinition['target'],
    ...(input.ActionAfterCompletion ? { actionAfterCompletion: String(input.ActionAfterCompletion) } : {}),
  });
  const arn = `arn:aws:scheduler:us-east-1:000000000000:schedule/${group}/${name}`;
  if (req.method === 'POST') {
    if (b.schedules.has(group, name)) {
      throw new ServiceError(409, 'ConflictException', `Schedule ${name} already exists.`);
    }
    b.schedules.create(definition());
    return json(res, 200, { ScheduleArn: arn });
  }
  if (req.method === 'PUT') {
    if (!b.schedules.has(group, name)) {
      throw new ServiceError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    }
    b.schedules.update(definition());
    return json(res, 200, { ScheduleArn: arn });
  }
  if (req.method === 'DELETE') {
    if (!b.schedules.has(group, name)) {
      throw new ServiceError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    }
    b.schedules.delete(group, name);
    return json(res, 200, {});
  }
  if (req.method === 'GET') {
    if (!b.schedules.has(group, name)) {
      throw new ServiceError(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
    }
    return json(res, 200, { Name: name, GroupName: group, Arn: arn });
  }
  throw new ServiceError(400, 'ValidationException', `${req.method} on a schedule is not modelled`);
}

function sendEmail(b: ServiceBackends, body: string, res: ServerResponse) {
  const input = JSON.parse(body) as {
    FromEmailAddress?: string;
    Destination?: { ToAddresses?: string[] };
    Content?: { Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string } } } };
  };
  const to = input.Destination?.ToAddresses ?? [];
  if (!input.FromEmailAddress || to.length === 0) {
    throw new ServiceError(400, 'BadRequestException', 'A sender and at least one recipient are required.');
  }
  b.sendEmail({
    from: input.FromEmailAddress,
    to,
    subject: input.Content?.Simple?.Subject?.Data ?? '',
    text: input.Content?.Simple?.Body?.Text?.Data ?? '',
  });
  return json(res, 200, { MessageId: randomUUID() });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Each protocol's error shape: SQS's JSON, CloudFront's XML, the REST services' `x-amzn-errortype`. */
function fail(req: IncomingMessage, res: ServerResponse, e: ServiceError) {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith('AmazonSQS.')) {
    return json(
      res,
      e.status,
      { __type: `com.amazonaws.sqs#${e.code}`, message: e.message },
      {
        'x-amzn-query-error': `${e.code};Sender`,
      },
    );
  }
  if (req.url?.startsWith('/2020-05-31/')) {
    res.writeHead(e.status, { 'content-type': 'text/xml' });
    return res.end(
      `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message></Error></ErrorResponse>`,
    );
  }
  json(res, e.status, { message: e.message }, { 'x-amzn-errortype': e.code });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const unescapeXml = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

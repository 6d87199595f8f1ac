import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionBuildOptions, withLiteralKeys } from '../../infra/bundling/function-bundle.ts';
import { ROOT } from '../support/site.ts';
import { startStandIns } from '../support/stand-ins.ts';

const run = promisify(execFile);
const PROBE = join(ROOT, 'test/support/sdk-probe.ts');
/** The role credentials Lambda puts in a function's environment; s3rver checks signatures against them. */
const CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_SESSION_TOKEN: 'session-token-of-the-role',
};

interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | undefined>;
  readonly body: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const KVS = 'arn:aws:cloudfront::123456789012:key-value-store/0f0e0d0c-0b0a-4909-8807-060504030201';

/**
 * Answers SQS, CloudFront, its KeyValueStore and EventBridge Scheduler as they answer these calls: the first
 * schedule and the first key write lose a race (409), a schedule or key that is not there is a 404.
 */
function recorder() {
  let requests: Recorded[] = [];
  const seen = new Set<string>();
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const failure = (res: ServerResponse, status: number, type: string) =>
    json(res, status, { message: `${type} from the recorder` }, { 'x-amzn-errortype': type });
  const answer = (req: IncomingMessage, body: string, res: ServerResponse) => {
    const target = req.headers['x-amz-target'];
    const url = decodeURIComponent(req.url ?? '');
    const once = (key: string) => !seen.has(key) && seen.add(key) !== undefined;
    if (target === 'AmazonSQS.SendMessageBatch') {
      const entries = (JSON.parse(body) as { Entries: { Id: string; MessageBody: string }[] }).Entries;
      return json(res, 200, {
        Successful: entries.map((e) => ({
          Id: e.Id,
          MessageId: `message-${e.Id}`,
          MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex'),
        })),
        Failed: [],
      });
    }
    if (req.method === 'POST' && url.startsWith('/2020-05-31/distribution/E2PROBE/invalidation')) {
      res.writeHead(201, { 'content-type': 'text/xml', location: `${url}/I2PROBE` });
      return res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">' +
          '<Id>I2PROBE</Id><Status>InProgress</Status><CreateTime>2026-11-26T08:30:00Z</CreateTime>' +
          '<InvalidationBatch><Paths><Quantity>0</Quantity></Paths><CallerReference>r</CallerReference></InvalidationBatch></Invalidation>',
      );
    }
    if (url === `/key-value-stores/${KVS}` && req.method === 'GET') {
      return json(
        res,
        200,
        { ItemCount: 3, TotalSizeInBytes: 120, KvsARN: KVS, Created: 1_764_000_000 },
        { etag: 'ETAG1' },
      );
    }
    if (url.startsWith(`/key-value-stores/${KVS}/keys/`)) {
      if (req.method === 'PUT') {
        if (once('put key')) return failure(res, 409, 'ConflictException');
        return json(res, 200, { ItemCount: 4, TotalSizeInBytes: 160 }, { etag: 'ETAG2' });
      }
      if (req.method === 'DELETE') return failure(res, 404, 'ResourceNotFoundException');
    }
    if (url.startsWith('/schedules/')) {
      if (req.method === 'POST' && once('create schedule')) return failure(res, 409, 'ConflictException');
      if (req.method === 'POST' || req.method === 'PUT') {
        return json(res, 200, { ScheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/s' });
      }
      if (req.method === 'DELETE') return failure(res, 404, 'ResourceNotFoundException');
    }
    failure(res, 400, 'ValidationException');
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method ?? '',
        url: (req.url ?? '').replace(UUID, '<uuid>'),
        headers: {
          'content-type': req.headers['content-type'],
          'x-amz-target': req.headers['x-amz-target'] as string | undefined,
          'if-match': req.headers['if-match'],
          credential: /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1],
          'x-amz-security-token': req.headers['x-amz-security-token'] as string | undefined,
        },
        body: body.replace(UUID, '<uuid>'),
      });
      answer(req, body, res);
    });
  });
  return {
    server,
    /** The requests since the last call, and a fresh start for the races. */
    take(): Recorded[] {
      const taken = requests;
      requests = [];
      seen.clear();
      return taken;
    },
  };
}

describe('function bundles', () => {
  let standIns: Awaited<ReturnType<typeof startStandIns>>;
  const rec = recorder();
  let recorderUrl = '';
  const dir = mkdtempSync(join(tmpdir(), 'newsroom-bundle-'));

  beforeAll(async () => {
    standIns = await startStandIns();
    rec.server.listen(0, '127.0.0.1');
    await new Promise((resolve) => rec.server.once('listening', resolve));
    recorderUrl = `http://127.0.0.1:${(rec.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await standIns?.stop();
    await new Promise((resolve) => rec.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  async function probe(args: string[]): Promise<{ results: Record<string, unknown>; requests: Recorded[] }> {
    const { stdout } = await run(process.execPath, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        ...CREDENTIALS,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        PROBE_RECORDER: recorderUrl,
        PROBE_S3: standIns.s3Endpoint,
        PROBE_DYNAMO: standIns.dynamoEndpoint,
        PROBE_TABLE: await standIns.table(),
      },
    });
    return { results: JSON.parse(stdout), requests: rec.take() };
  }

  it('send the same requests and read the same answers as the SDK run from source', async () => {
    const bundle = join(dir, 'probe.mjs');
    await build(functionBuildOptions(PROBE, bundle));
    const source = await probe(['--import', 'tsx', PROBE]);
    const bundled = await probe([bundle]);

    expect(bundled.results).toEqual(source.results);
    expect(bundled.requests).toEqual(source.requests);

    // And what both did is what the adapters are for, typed errors included.
    const r = source.results;
    expect(r['site.get']).toEqual({
      ok: { text: '<h1>Gỡ khó</h1>', contentType: 'text/html; charset=utf-8', cacheControl: 'max-age=60' },
    });
    expect(r['site.get missing']).toEqual({ ok: null });
    expect(r['site.get deleted']).toEqual({ ok: null });
    expect(r['drafts.get limited']).toEqual({ ok: { tooLarge: true, size: expect.any(Number) } });
    expect((r['index.get'] as { ok: { title: string } }).ok.title).toBe('“Gỡ khó” cho đồng bào vùng cao');
    expect((r['index.teasers by tag'] as { ok: unknown[] }).ok).toHaveLength(1);
    expect(r['index.claimPath taken']).toEqual({ ok: 'go-kho-cho-dong-bao' });
    expect(r['index.draftsNaming']).toEqual({ ok: [[], ['kinh-te/go-kho-cho-dong-bao.md']] });
    expect(r['leases.acquire']).toEqual({ ok: true });
    expect(r['leases.acquire held']).toEqual({ ok: false });
    for (const step of [
      'queue.send',
      'cdn.invalidate',
      'edge.set 301',
      'edge.set clear',
      'scheduler.schedule',
      'scheduler.cancel',
    ]) {
      expect(r[step], step).toEqual({ ok: null });
    }
    const store = `/key-value-stores/${encodeURIComponent(KVS).replace(UUID, '<uuid>')}`;
    const calls = source.requests.map(
      (q) => `${q.method} ${q.headers['x-amz-target'] ?? q.url.split('?')[0]}`,
    );
    expect(calls).toEqual([
      'POST AmazonSQS.SendMessageBatch',
      'POST /2020-05-31/distribution/E2PROBE/invalidation',
      `GET ${store}`,
      `PUT ${store}/keys/%2Fkinh-te%2Fcu`,
      `GET ${store}`,
      `PUT ${store}/keys/%2Fkinh-te%2Fcu`,
      `GET ${store}`,
      `DELETE ${store}/keys/%2Fkinh-te%2Fkhong-co`,
      expect.stringMatching(/^POST \/schedules\//),
      expect.stringMatching(/^PUT \/schedules\//),
      expect.stringMatching(/^DELETE \/schedules\//),
    ]);
    // Every call is signed with the role's credentials from the environment.
    for (const q of bundled.requests) {
      expect(q.headers.credential).toBe('S3RVER');
      expect(q.headers['x-amz-security-token']).toBe(CREDENTIALS.AWS_SESSION_TOKEN);
    }
  }, 60_000);

  it('leave out the operations and the credential sources a function never uses', async () => {
    for (const fn of ['ingest', 'render']) {
      const out = join(dir, `${fn}.mjs`);
      await build({
        ...functionBuildOptions(join(ROOT, `functions/${fn}/index.ts`), out, ['sharp']),
        sourcemap: false,
      });
      const code = readFileSync(out, 'utf8');
      // Used: kept.
      expect(code, fn).toContain('PutObject');
      // S3 and CloudFront operations no function calls, and the SDK's profile, SSO and STS credential sources.
      for (const unused of [
        'ListBucketInventoryConfigurations',
        'PutBucketLifecycleConfiguration',
        'CreateDistributionWithStagingConfig',
        'AssumeRoleWithWebIdentity',
        'sso_session',
      ]) {
        expect(code.includes(unused), `${fn} bundles ${unused}`).toBe(false);
      }
    }
  }, 60_000);
});

describe('literal schema keys', () => {
  it('turn a computed key naming a string constant of the file into that string, and nothing else', () => {
    const source = [
      'const _h = "http";',
      'const _e = "error";',
      'const n0 = "com.amazonaws.s3";',
      'export var Get$ = [9, n0, "Get", { [_h]: ["GET", "/{Key+}", 200], [_e]: "client" }, () => In$];',
      'export var Other$ = { [n0]: 1, [_missing]: 2, text: "[_h]: stays in strings too" };',
    ].join('\n');
    const out = withLiteralKeys(source);
    expect(out).toContain('{ "http": ["GET", "/{Key+}", 200], "error": "client" }');
    expect(out).toContain('{ [n0]: 1, [_missing]: 2,');
    expect(out.split('\n').slice(0, 3)).toEqual(source.split('\n').slice(0, 3));
  });
});

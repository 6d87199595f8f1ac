import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awsShapedResolver,
  type CloudAssembly,
  type LambdaFunction,
  lambdaFunctions,
  readCloudAssembly,
} from '../../local/cloud-assembly.ts';
import { FunctionError, LocalFunctionRuntime } from '../../local/lambda/runtime.ts';
import { synthesize } from '../../local/synth.ts';

/** Every setting a deployment can give, each away from its default. */
const FULL_SETTINGS = {
  resourcePrefix: 'laichau',
  domainName: 'baolaichau.example',
  certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-4909-8807-060504030201',
  alertEmail: 'vanhanh@baolaichau.example',
  moderatorEmails: ['toasoan@baolaichau.example', 'kiemduyet@baolaichau.example'],
  commentDigestFrom: 'binhluan@baolaichau.example',
  commentDigestEveryMinutes: 30,
  oldestPendingCommentAlarmHours: 12,
  commentWafPostsPerFiveMinutes: 100,
  breakGlassRoleArn: 'arn:aws:iam::123456789012:role/break-glass',
  hstsPreload: true,
  reconcileEveryMinutes: 5,
  rebuildConcurrency: 20,
  draftLockDays: 60,
  logRetentionDays: 30,
};

const OUR_FUNCTIONS = [
  'Ingest/Function',
  'Render/Function',
  'Comments/Function/Function',
  'Desk/Function/Function',
  'NotFound/Function/Function',
];

/** What Lambda gives every function besides its own variables: a region and its role's credentials. */
const SERVICE = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'ASIALOCALROLE',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
  AWS_SESSION_TOKEN: 'local-session',
};

const functionsOf = (assembly: CloudAssembly) =>
  lambdaFunctions(assembly, awsShapedResolver({ assembly })).filter((f) => OUR_FUNCTIONS.includes(f.id));

async function starts(fn: LambdaFunction): Promise<void> {
  const runtime = new LocalFunctionRuntime({ fn, serviceEnvironment: SERVICE });
  try {
    await runtime.warm();
  } finally {
    await runtime.stop();
  }
}

describe.each([
  ['the default settings', {}],
  ['a full set of settings', FULL_SETTINGS],
])('every function synthesized with %s', (_, settings) => {
  let functions: LambdaFunction[] = [];

  beforeAll(async () => {
    functions = functionsOf(readCloudAssembly(await synthesize({ settings })));
  }, 240_000);

  it('is a bundle of the assembly that loads in a process of its own with exactly its template environment', async () => {
    expect(functions.map((f) => f.id).sort()).toEqual([...OUR_FUNCTIONS].sort());
    // Loaded side by side: each in its own process, with nothing of this one's environment.
    const failures = (
      await Promise.allSettled(functions.map(async (fn) => ({ fn: fn.id, started: await starts(fn) })))
    ).filter((r) => r.status === 'rejected');
    expect(failures.map((f) => String((f as PromiseRejectedResult).reason))).toEqual([]);
  }, 120_000);
});

describe('a function whose template lacks a variable it needs', () => {
  let assembly: CloudAssembly;
  beforeAll(async () => {
    assembly = readCloudAssembly(await synthesize());
  }, 240_000);

  it('fails at load, naming the variable, as every invocation in AWS would', async () => {
    const render = functionsOf(assembly).find((f) => f.id === 'Render/Function');
    if (!render) throw new Error('no render function in the assembly');
    const { DISTRIBUTION_ID: _, ...without } = render.environment;
    const failure = await starts({ ...render, environment: without }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(FunctionError);
    expect((failure as FunctionError).errorType).toBe('ConfigError');
    expect((failure as FunctionError).errorMessage).toMatch(/DISTRIBUTION_ID is not set/);
  }, 60_000);

  it('answers the reader with the 404 page from the not-found function, as CloudFront fails over to it', async () => {
    const notFound = functionsOf(assembly).find((f) => f.id === 'NotFound/Function/Function');
    if (!notFound) throw new Error('no not-found function in the assembly');
    const runtime = new LocalFunctionRuntime({ fn: notFound, serviceEnvironment: SERVICE });
    afterAll(() => runtime.stop());
    const answer = (await runtime.invoke({
      version: '2.0',
      rawPath: '/kinh-te/khong-co',
      requestContext: { http: { method: 'GET', path: '/kinh-te/khong-co' } },
    })) as { statusCode: number; headers: Record<string, string>; body: string };
    expect(answer.statusCode).toBe(404);
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
    expect(answer.headers['cache-control']).toMatch(/s-maxage=10/);
    expect(answer.body).toContain('Không tìm thấy trang');
  }, 60_000);
});

import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';
import {
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  paginateScan,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  type LocalKeyValueStore,
  type ScheduleDefinition,
  type ServiceBackends,
  ServiceError,
  startAwsServices,
} from './aws-services.ts';
import { LocalCdn, type S3Object } from './cdn.ts';
import {
  awsShapedResolver,
  type CloudAssembly,
  type Found,
  type LambdaFunction,
  lambdaFunctions,
  readCloudAssembly,
  resolveValue,
  resourcesOfType,
} from './cloud-assembly.ts';
import { startCognito, type UserPoolDefinition } from './cognito.ts';
import { distributionModels } from './distribution.ts';
import { httpApiModels, LocalHttpApi } from './http-api.ts';
import { type AccessRequest, Authorizer } from './iam/authorizer.ts';
import { type IamModel, type Identity, iamModel } from './iam/model.ts';
import { type AccessReport, accessReport } from './iam/report.ts';
import { LocalFunctionRuntime } from './lambda/runtime.ts';
import { LocalQueue } from './queue.ts';
import { toS3EventRecord } from './s3-notifications.ts';
import { createSiteServer, REBUILD_TOKEN_FILE } from './site-server.ts';
import { startStandIns } from './stand-ins.ts';
import { runStateMachine } from './state-machine.ts';
import { ROOT, synthesize } from './synth.ts';

export { REBUILD_TOKEN_FILE };

/** The file below the data folder where a running stack says how to reach it (the moderation CLI reads it). */
export const ENDPOINTS_FILE = 'endpoints.json';
/** Below the data folder: what each caller did and was refused in the last run (written when it stops). */
export const ACCESS_REPORT_FILE = 'access-report.json';
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
/**
 * Execution environments (processes) a function gets at most here (`LOCAL_MAX_ENVIRONMENTS`); Lambda would
 * start up to the mapping's concurrency. More than two only add processes competing for a laptop's cores.
 */
const MAX_ENVIRONMENTS = Math.max(1, Number(process.env.LOCAL_MAX_ENVIRONMENTS ?? 2));

export interface LocalStackOptions {
  /** Settings over cdk.json's `newsroom` context, for the synthesized app. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** A cloud assembly to run instead of synthesizing one (a test's changed app). */
  readonly assemblyDir?: string;
  /** Where the stand-ins keep their files; state survives a restart. */
  readonly dataDir: string;
  readonly s3Port: number;
  readonly dynamoPort: number;
  readonly sitePort: number;
  /** The AWS APIs that have no npm stand-in (SQS, CloudFront, Scheduler, SES); any free port when 0. */
  readonly servicesPort?: number;
  readonly cognitoPort?: number;
  /** Start from empty state. */
  readonly reset?: boolean;
  /** A folder of drafts to upload at start (those not in the bucket yet). */
  readonly examplesDir?: string;
  /** Cache as CloudFront does in front of the site (the default); off, every read goes to the origin. */
  readonly cdnCaching?: boolean;
  /** The CDN's clock (milliseconds); tests move it on to let lists expire. */
  readonly cdnNow?: () => number;
  /** How old an upload must be for the periodic reconcile to count it as lost (a minute). */
  readonly reconcileSettleMs?: number;
  /**
   * Decide every call by the template's IAM policies (the default; `LOCAL_IAM=off` turns it off). Off, every
   * call goes through and the report still says what would have been refused.
   */
  readonly iam?: boolean;
  /** A folder to write this run's access report into when it stops (`NEWSROOM_ACCESS_REPORT_DIR`). */
  readonly accessReportDir?: string;
  readonly log?: (line: string) => void;
}

/** Credentials as the SDK takes them. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** The physical names of what editors and ops touch, as the template names them. */
export interface LocalNames {
  readonly draftsBucket: string;
  readonly siteBucket: string;
  readonly articleTable: string;
  readonly commentTable: string;
  readonly renderQueueUrl: string;
}

export interface LocalStack {
  readonly s3Endpoint: string;
  readonly dynamoEndpoint: string;
  readonly servicesEndpoint: string;
  readonly cognitoEndpoint: string;
  readonly siteUrl: string;
  readonly names: LocalNames;
  /** The queues, by name, as their event source mappings deliver them. */
  readonly queues: ReadonlyMap<string, LocalQueue>;
  /** What readers read through; the functions invalidate it as they invalidate CloudFront. */
  readonly cdn: LocalCdn;
  /** What `npm run rebuild` sends to be let in (also in `<dataDir>/rebuild-token`). */
  readonly rebuildToken: string;
  /** The desk's first editor, made on the first start with a temporary password to change at first sign-in. */
  readonly deskUser?: { readonly username: string; readonly password: string };
  /** The desk's user pool and app client, in cognito-local. */
  readonly desk: { readonly userPoolId: string; readonly clientId: string };
  /**
   * Whose credentials the people use: the editor (the editors' policy of the template: drafts in, reports
   * out), the moderator (the moderators' policy) and the deployment's administrator.
   */
  readonly credentials: {
    readonly editor: LocalCredentials;
    readonly moderator: LocalCredentials;
    readonly deployment: LocalCredentials;
  };
  /** Whether calls are decided by the template's IAM policies. */
  readonly iamEnforced: boolean;
  /** What each caller did and was refused so far, and the grants no call used. */
  accessReport(): Promise<AccessReport>;
  /** The template's alarms as their metrics stand here (the dead-letter queues' depth), by alarm name. */
  alarms(): Promise<readonly LocalAlarm[]>;
  /** Every email SES would have sent (the moderators' digest), newest last; each is also a file. */
  readonly mail: readonly SentMail[];
  /** Resolves when every change uploaded so far has been processed. */
  whenIdle(): Promise<void>;
  /** Runs a reconcile now, counting every difference at once (none is left to its event), and waits for it. */
  reconcile(): Promise<void>;
  /** Invokes a function of the template by its construct id (`Comments/Function/Function`), as Lambda does. */
  invoke(functionId: string, event: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export interface LocalAlarm {
  readonly name: string;
  readonly metric: string;
  readonly queue: string;
  readonly value: number;
  readonly threshold: number;
  readonly state: 'OK' | 'ALARM';
}

export interface SentMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly file: string;
}

/**
 * The deployment of the CDK app, on one machine: `cdk synth` describes it (synthesized once per checkout and
 * settings) and everything here is built from that description, not from a list of its own. The buckets,
 * tables, queues and their dead letters, the bucket's notifications, the event source mappings, the
 * schedules, the HTTP APIs with their routes and authorizer, the distribution with its behaviours, and the
 * user pool come from the templates; each function runs from its bundle in the assembly with exactly its
 * template environment (see local/lambda/runtime.ts), and reaches S3 (s3rver), DynamoDB (dynalite),
 * Cognito (cognito-local) and the other AWS APIs (local/aws-services.ts) through the SDK's own
 * `AWS_ENDPOINT_URL_<SERVICE>` settings. What the template cannot say is listed in docs/local-stack.md.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  if (options.reset) rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  const assemblyDir =
    options.assemblyDir ??
    (await synthesize({ ...(options.settings ? { settings: options.settings } : {}), log }));
  const assembly = readCloudAssembly(assemblyDir);

  // The services first: queue URLs name their endpoint.
  const queues = new Map<string, LocalQueue>();
  const queueByUrl = new Map<string, QueueModel>();
  const stores = new Map<string, FileKeyValueStore>();
  const mail: SentMail[] = [];
  let cdn: LocalCdn | undefined;
  const schedules = new LocalScheduler(join(options.dataDir, 'schedules.json'), (schedule) => {
    log(`schedule due: ${schedule.group}/${schedule.name}`);
    void invokeAsync(
      schedule.target.Arn,
      JSON.parse(schedule.target.Input ?? '{}'),
      schedule.name,
      schedule.target.RoleArn,
    );
  });
  const recentDeduplication = new Map<string, number>();
  // Set once the IAM model is read (below); nothing calls the services before.
  let authorizeService: ServiceBackends['authorize'];
  const services = await startAwsServices(
    {
      authorize: (accessKeyId, requests) => authorizeService?.(accessKeyId, requests) ?? Promise.resolve(),
      sendMessage(queueUrl, message) {
        const model = queueByUrl.get(queueUrl);
        if (!model) throw new Error(`no queue ${queueUrl}`);
        if (model.fifo && message.deduplicationId) {
          // FIFO queues drop a message whose deduplication id was seen in the last five minutes.
          const key = `${model.name}\n${message.deduplicationId}`;
          const seen = recentDeduplication.get(key);
          if (seen !== undefined && Date.now() - seen < 5 * 60_000) return;
          recentDeduplication.set(key, Date.now());
        }
        deliver(model, message.body, message.groupId);
      },
      invalidate(distributionId, paths) {
        if (!cdn || cdn.distributionId !== distributionId)
          throw new Error(`no distribution ${distributionId}`);
        cdn.invalidateKeys(paths);
      },
      keyValueStore(arn) {
        const store = stores.get(arn);
        if (!store) throw new Error(`no key value store ${arn}`);
        return store;
      },
      schedules,
      sendEmail(message) {
        const dir = join(options.dataDir, 'mail');
        mkdirSync(dir, { recursive: true });
        const file = join(
          dir,
          `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}.eml`,
        );
        writeFileSync(
          file,
          `From: ${message.from}\nTo: ${message.to.join(', ')}\nSubject: ${message.subject}\nContent-Type: text/plain; charset=utf-8\n\n${message.text}`,
        );
        mail.push({ ...message, file });
        log(`mail (SES) to ${message.to.join(', ')}: ${message.subject} (${relative(ROOT, file)})`);
      },
    },
    options.servicesPort ?? 0,
  );
  const servicesEndpoint = services.endpoint;

  const resolver = awsShapedResolver({
    assembly,
    account: ACCOUNT,
    region: REGION,
    override(found, attribute) {
      if (
        found.resource.Type === 'AWS::SQS::Queue' &&
        (attribute === undefined || attribute === 'QueueUrl')
      ) {
        const arn = resolverArn(found);
        return `${servicesEndpoint}/${ACCOUNT}/${arn.split(':').pop()}`;
      }
      return undefined;
    },
  });
  const resolverArn = (found: Found) =>
    awsShapedResolver({ assembly, account: ACCOUNT, region: REGION }).attribute(found, 'Arn');
  const resolve = (found: Found, value: unknown) => resolveValue(assembly, found.stack, value, resolver);

  // --- Who may do what: the template's IAM, every caller with credentials of its own --------------------
  const distributionFound = resourcesOfType(assembly, 'AWS::CloudFront::Distribution')[0];
  const distributionArn = distributionFound
    ? `arn:aws:cloudfront::${ACCOUNT}:distribution/${resolver.ref(distributionFound)}`
    : '';
  const enforce = options.iam ?? process.env.LOCAL_IAM !== 'off';
  const iam: IamModel = iamModel(assembly, resolver, {
    enforce,
    // CloudFront reads the site bucket through its origin access control, as the distribution.
    services: { 'cloudfront.amazonaws.com': { 'aws:SourceArn': distributionArn } },
  });
  const authorizer = new Authorizer(iam);
  if (!enforce)
    log('warning: IAM is not enforced (LOCAL_IAM=off): every call is allowed, and the site says so');
  const credentialsOf = (identity: Identity): LocalCredentials => ({
    accessKeyId: identity.accessKeyId,
    secretAccessKey: identity.secretAccessKey,
    ...(identity.sessionToken ? { sessionToken: identity.sessionToken } : {}),
  });
  const roleOf = (logicalId: string | undefined): Identity | undefined => {
    const role = resourcesOfType(assembly, 'AWS::IAM::Role').find((r) => r.logicalId === logicalId);
    const arn = role ? resolver.attribute(role, 'Arn') : undefined;
    return iam.identities.find((i) => i.arn === arn && i.kind === 'role');
  };
  const person = (kind: string) => {
    const found = iam.identities.find((i) => i.kind === 'person' && i.name.startsWith(kind));
    if (!found) throw new Error(`no ${kind} in the IAM model`);
    return found;
  };
  const deployment = authorizer.named('deployment');
  authorizeService = async (accessKeyId, requests) => {
    const identity = accessKeyId ? authorizer.identity(accessKeyId) : undefined;
    const sqs = requests[0]?.action.startsWith('sqs:') || requests[0]?.action.startsWith('cloudfront:');
    if (!identity) {
      if (!enforce) return;
      throw new ServiceError(
        403,
        sqs ? 'InvalidClientTokenId' : 'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    }
    for (const request of requests) {
      const decision = await authorizer.decide(identity, request);
      if (!decision.allowed)
        throw new ServiceError(403, sqs ? 'AccessDenied' : 'AccessDeniedException', decision.message);
    }
  };
  /**
   * A call AWS makes for the template's own wiring (a service reaching a function, a queue, a topic): decided
   * here as IAM decides it, and told to the log when refused (in AWS it would fail as quietly).
   */
  const permitted = async (identity: Identity, request: AccessRequest, what: string) => {
    const decision = await authorizer.decide(identity, request);
    if (decision.refused)
      log(`error: ${what}: ${decision.message}${decision.allowed ? ' (allowed: IAM is off)' : ''}`);
    return decision.allowed;
  };
  const serviceIdentity = (service: string, sourceArn: string): Identity => ({
    name: service,
    kind: 'service',
    principal: service,
    accessKeyId: '',
    secretAccessKey: '',
    policies: [],
    context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT },
  });

  // --- S3 and DynamoDB ------------------------------------------------------------------------------
  const readByVersion = bucketsReadByVersion(assembly, resolver);
  const buckets = resourcesOfType(assembly, 'AWS::S3::Bucket').map((b) => ({
    name: resolver.ref(b),
    // Versions are kept where a function reads them (the desk's history); elsewhere they would only be disk.
    versioned:
      (b.resource.Properties?.VersioningConfiguration as { Status?: string } | undefined)?.Status ===
        'Enabled' && readByVersion.has(resolver.ref(b)),
    cors: b.resource.Properties?.CorsConfiguration
      ? (resolve(b, b.resource.Properties.CorsConfiguration) as { CorsRules: Record<string, unknown>[] })
      : undefined,
  }));
  const s3Dir = join(options.dataDir, 's3');
  const dynamoDir = join(options.dataDir, 'dynamodb');
  mkdirSync(s3Dir, { recursive: true });
  mkdirSync(dynamoDir, { recursive: true });
  const standIns = await startStandIns({
    s3Dir,
    dynamoDir,
    s3Port: options.s3Port,
    dynamoPort: options.dynamoPort,
    buckets: buckets.map((b) => b.name),
    versionedBuckets: buckets.filter((b) => b.versioned).map((b) => b.name),
    iam,
    onFailure: (error) => log(`error: the S3 and DynamoDB stand-ins failed: ${error.message}`),
  });
  const { s3Endpoint, dynamoEndpoint } = standIns;
  const s3As = (identity: Identity) =>
    new S3Client({
      region: REGION,
      credentials: credentialsOf(identity),
      endpoint: s3Endpoint,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  // The stack's own setup is the deployment's (CloudFormation's role); the examples are an editor's upload.
  const s3 = s3As(deployment);
  const s3Editor = s3As(person('editor'));
  const s3Cdn = s3As(authorizer.named('cloudfront.amazonaws.com'));
  const dynamo = new DynamoDBClient({
    region: REGION,
    credentials: credentialsOf(deployment),
    endpoint: dynamoEndpoint,
  });
  const tables = resourcesOfType(assembly, 'AWS::DynamoDB::GlobalTable').concat(
    resourcesOfType(assembly, 'AWS::DynamoDB::Table'),
  );
  for (const table of tables) await ensureTable(dynamo, resolver.ref(table), table.resource.Properties ?? {});
  const released = await releaseLeftLeases(
    dynamo,
    tables.map((t) => resolver.ref(t)),
  );
  if (released > 0) log(`released ${released} leases the last run held when it stopped`);

  // --- Cognito --------------------------------------------------------------------------------------
  const pools: UserPoolDefinition[] = resourcesOfType(assembly, 'AWS::Cognito::UserPool').map((pool) => {
    const props = pool.resource.Properties ?? {};
    return {
      id: resolver.ref(pool),
      name: String(resolve(pool, props.UserPoolName) ?? pool.logicalId),
      mfaConfiguration: String(props.MfaConfiguration ?? 'OFF'),
      ...(props.Policies
        ? { passwordPolicy: (props.Policies as { PasswordPolicy: Record<string, unknown> }).PasswordPolicy }
        : {}),
      clients: resourcesOfType(assembly, 'AWS::Cognito::UserPoolClient')
        .filter((c) => resolve(c, c.resource.Properties?.UserPoolId) === resolver.ref(pool))
        .map((c) => ({
          id: resolver.ref(c),
          name: c.logicalId,
          authFlows: (c.resource.Properties?.ExplicitAuthFlows ?? []) as string[],
        })),
    };
  });
  const cognito = await startCognito({
    dir: join(options.dataDir, 'cognito'),
    pools,
    ...(options.cognitoPort ? { port: options.cognitoPort } : {}),
  });
  const deskPool = pools[0];
  const deskClient = deskPool?.clients[0];
  if (!deskPool || !deskClient)
    throw new Error('the template has no user pool with an app client for the desk');
  const deskUser = await ensureFirstEditor(cognito.endpoint, deskPool.id, credentialsOf(deployment));

  // --- Functions ------------------------------------------------------------------------------------
  const serviceEnvironment = {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_SQS: servicesEndpoint,
    AWS_ENDPOINT_URL_CLOUDFRONT: servicesEndpoint,
    // The KeyValueStore client puts the account before the host: a name, not an address.
    AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE: servicesEndpoint.replace('127.0.0.1', 'localhost'),
    AWS_ENDPOINT_URL_SCHEDULER: servicesEndpoint,
    AWS_ENDPOINT_URL_SESV2: servicesEndpoint,
    AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.endpoint,
    // s3rver stores aws-chunked framing as the object's bytes: the SDK sends plain bodies instead.
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    // The bundles carry sharp for Linux on arm64; this machine's own build of it is found here.
    NODE_PATH: join(ROOT, 'node_modules'),
  };
  const functions = lambdaFunctions(assembly, resolver);
  const mappings = resourcesOfType(assembly, 'AWS::Lambda::EventSourceMapping').map((m) => ({
    found: m,
    props: m.resource.Properties ?? {},
  }));
  const runtimes = new Map<string, LocalFunctionRuntime>();
  const roleOfFunction = new Map<string, Identity>();
  for (const fn of functions) {
    const role = roleOf(fn.role);
    if (!role) throw new Error(`the function ${fn.id} has no execution role in the template`);
    roleOfFunction.set(fn.arn, role);
    // Lambda writes the function's log lines to its log group with the role's credentials.
    const logGroup = (
      assembly.stacks.find((st) => st.name === fn.stack)?.resources[fn.logicalId]?.Properties
        ?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined
    )?.LogGroup?.Ref;
    const group = logGroup
      ? resourcesOfType(assembly, 'AWS::Logs::LogGroup').find((g) => g.logicalId === logGroup)
      : undefined;
    // Without a log group of its own, Lambda makes /aws/lambda/<name> (with the role) at the first line.
    const groupArn = group
      ? resolver.attribute(group, 'Arn').replace(/:\*$/, '')
      : `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${fn.functionName}`;
    const cannotLog = `${fn.id} may not write its logs (they would be lost)`;
    if (!group) await permitted(role, { action: 'logs:CreateLogGroup', resource: groupArn }, cannotLog);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
      await permitted(role, { action, resource: `${groupArn}:log-stream:local` }, cannotLog);
    const mapping = mappings.find((m) => resolve(m.found, m.props.FunctionName) === fn.functionName);
    const concurrency = Number(
      (mapping?.props.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ??
        MAX_ENVIRONMENTS,
    );
    runtimes.set(
      fn.arn,
      new LocalFunctionRuntime({
        fn,
        // What Lambda adds: the role's credentials, as the session it assumes for the function.
        serviceEnvironment: {
          ...serviceEnvironment,
          AWS_ACCESS_KEY_ID: role.accessKeyId,
          AWS_SECRET_ACCESS_KEY: role.secretAccessKey,
          AWS_SESSION_TOKEN: role.sessionToken ?? '',
        },
        concurrency: Math.min(concurrency, MAX_ENVIRONMENTS),
        onLog: (line) => logLine(fn, line, log),
      }),
    );
  }
  const runtimeOf = (arnOrName: string): LocalFunctionRuntime => {
    const arn = arnOrName.replace(/:(\$LATEST|\d+)$/, '');
    const runtime =
      runtimes.get(arn) ?? [...runtimes.values()].find((r) => r.fn.functionName === arn || r.fn.id === arn);
    if (!runtime) throw new Error(`no function ${arnOrName} in the template`);
    return runtime;
  };
  const invokeConfigs = resourcesOfType(assembly, 'AWS::Lambda::EventInvokeConfig');
  /** An asynchronous invocation (Scheduler, S3 to Lambda): retried as its invoke config says, then its destination. */
  async function invokeAsync(arn: string, event: unknown, what: string, roleArn?: string): Promise<void> {
    const runtime = runtimeOf(arn);
    // The scheduler invokes its target with the schedule's role: a role that may not is a target error.
    const caller = roleArn ? iam.identities.find((i) => i.arn === roleArn) : undefined;
    if (roleArn && !caller) {
      log(`error: ${what}: the schedule's role ${roleArn} is not in the template`);
      return;
    }
    if (caller && !(await permitted(caller, { action: 'lambda:InvokeFunction', resource: arn }, what)))
      return;
    const config = invokeConfigs.find(
      (c) => resolve(c, c.resource.Properties?.FunctionName) === runtime.fn.functionName,
    );
    const retries = Number(config?.resource.Properties?.MaximumRetryAttempts ?? 2);
    for (let attempt = 0; ; attempt++) {
      try {
        await runtime.invoke(event);
        return;
      } catch (err) {
        if (attempt >= retries) {
          log(`error: ${what} failed after ${attempt + 1} tries: ${String(err)}`);
          const destination = (
            config?.resource.Properties?.DestinationConfig as
              | { OnFailure?: { Destination?: unknown } }
              | undefined
          )?.OnFailure?.Destination;
          if (destination && config) {
            // Lambda sends the failed event to its destination with the function's own role.
            const target = String(resolve(config, destination));
            const role = roleOfFunction.get(runtime.fn.arn);
            const allowed =
              !role ||
              (await permitted(
                role,
                { action: 'sqs:SendMessage', resource: target },
                `${what}'s destination`,
              ));
            if (allowed)
              keepDeadLetter(
                target.split(':').pop() ?? '',
                JSON.stringify({ requestPayload: event, error: String(err) }),
              );
          }
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  // --- Queues, their dead letters and event source mappings -----------------------------------------
  interface QueueModel {
    readonly name: string;
    readonly arn: string;
    readonly url: string;
    readonly fifo: boolean;
    readonly maxReceives?: number;
    readonly deadLetterArn?: string;
  }
  const queueModels = resourcesOfType(assembly, 'AWS::SQS::Queue').map((q): QueueModel => {
    const props = q.resource.Properties ?? {};
    const arn = resolverArn(q);
    const redrive = props.RedrivePolicy
      ? (resolve(q, props.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number })
      : undefined;
    return {
      name: arn.split(':').pop() ?? q.logicalId,
      arn,
      url: resolver.ref(q),
      fifo: props.FifoQueue === true,
      ...(redrive
        ? { maxReceives: Number(redrive.maxReceiveCount), deadLetterArn: redrive.deadLetterTargetArn }
        : {}),
    };
  });
  for (const model of queueModels) queueByUrl.set(model.url, model);
  const deadLetterFile = (queueName: string) => join(options.dataDir, 'dead-letters', `${queueName}.jsonl`);
  const keepDeadLetter = (queueName: string, body: string) => {
    mkdirSync(join(options.dataDir, 'dead-letters'), { recursive: true });
    appendFileSync(deadLetterFile(queueName), `${JSON.stringify({ at: new Date().toISOString(), body })}\n`);
    void evaluateAlarms();
  };

  // --- The alarms on queue depth, as CloudWatch would raise them, and their notifications ------------
  const alarmModels = resourcesOfType(assembly, 'AWS::CloudWatch::Alarm').flatMap((a) => {
    const props = a.resource.Properties ?? {};
    if (props.Namespace !== 'AWS/SQS' || props.MetricName !== 'ApproximateNumberOfMessagesVisible') return [];
    const dimension = ((props.Dimensions ?? []) as { Name: string; Value: unknown }[]).find(
      (d) => d.Name === 'QueueName',
    );
    return [
      {
        name: String(props.AlarmName ? resolve(a, props.AlarmName) : a.logicalId),
        queue: String(resolve(a, dimension?.Value)),
        threshold: Number(props.Threshold ?? 1),
        operator: String(props.ComparisonOperator ?? 'GreaterThanOrEqualToThreshold'),
        topics: ((props.AlarmActions ?? []) as unknown[]).map((t) => String(resolve(a, t))),
      },
    ];
  });
  const topicKeys = new Map(
    resourcesOfType(assembly, 'AWS::SNS::Topic').map((t) => [
      resolver.ref(t),
      t.resource.Properties?.KmsMasterKeyId
        ? String(resolve(t, t.resource.Properties.KmsMasterKeyId))
        : undefined,
    ]),
  );
  const alarmStates = new Map<string, 'OK' | 'ALARM'>();
  const depthOf = (queueName: string) => {
    const queue = queues.get(queueName);
    if (queue) return queue.size;
    const file = deadLetterFile(queueName);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
  };
  const alarmsNow = (): LocalAlarm[] =>
    alarmModels.map((a) => {
      const value = depthOf(a.queue);
      const breaching =
        a.operator === 'GreaterThanThreshold'
          ? value > a.threshold
          : a.operator === 'LessThanThreshold'
            ? value < a.threshold
            : a.operator === 'LessThanOrEqualToThreshold'
              ? value <= a.threshold
              : value >= a.threshold;
      return {
        name: a.name,
        metric: 'ApproximateNumberOfMessagesVisible',
        queue: a.queue,
        value,
        threshold: a.threshold,
        state: breaching ? 'ALARM' : 'OK',
      };
    });
  async function evaluateAlarms() {
    for (const alarm of alarmsNow()) {
      const before = alarmStates.get(alarm.name) ?? 'OK';
      alarmStates.set(alarm.name, alarm.state);
      if (alarm.state !== 'ALARM' || before === 'ALARM') continue;
      log(
        `alarm ${alarm.name}: ALARM (${alarm.metric} of ${alarm.queue} is ${alarm.value}, threshold ${alarm.threshold})`,
      );
      const model = alarmModels.find((a) => a.name === alarm.name);
      // CloudWatch publishes to the alarm's topics as cloudwatch.amazonaws.com, encrypting with the topic's key.
      const cloudWatch = serviceIdentity(
        'cloudwatch.amazonaws.com',
        `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarm.name}`,
      );
      for (const topic of model?.topics ?? []) {
        const key = topicKeys.get(topic);
        const ok =
          (await permitted(cloudWatch, { action: 'sns:Publish', resource: topic }, `alarm ${alarm.name}`)) &&
          (!key ||
            ((await permitted(cloudWatch, { action: 'kms:GenerateDataKey', resource: key }, alarm.name)) &&
              (await permitted(cloudWatch, { action: 'kms:Decrypt', resource: key }, alarm.name))));
        if (!ok) continue;
        mkdirSync(options.dataDir, { recursive: true });
        appendFileSync(
          join(options.dataDir, 'alarm-notifications.jsonl'),
          `${JSON.stringify({ at: new Date().toISOString(), topic, ...alarm })}\n`,
        );
      }
    }
  }
  for (const model of queueModels) {
    const mapping = mappings.find((m) => resolve(m.found, m.props.EventSourceArn) === model.arn);
    // A queue nothing consumes (a dead-letter queue) keeps its messages in .local/dead-letters/.
    if (!mapping) continue;
    const fn = runtimeOf(String(resolve(mapping.found, mapping.props.FunctionName)));
    // Lambda polls the queue with the function's role; without these, AWS refuses to create the mapping.
    const poller = roleOfFunction.get(fn.fn.arn);
    const poll = async (actions: readonly string[]) => {
      for (const action of actions) {
        if (poller && !(await authorizer.decide(poller, { action, resource: model.arn })).allowed)
          return `The provided execution role does not have permissions to call ${action.split(':')[1]} on SQS (${fn.fn.id}, ${model.name})`;
      }
      return undefined;
    };
    const cannotPoll = await poll(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']);
    if (cannotPoll) throw new Error(`the deployment would fail: ${cannotPoll}`);
    const reportsFailures = ((mapping.props.FunctionResponseTypes ?? []) as string[]).includes(
      'ReportBatchItemFailures',
    );
    const deadLetterName = model.deadLetterArn?.split(':').pop();
    const queue = new LocalQueue(
      async (event: SQSEvent) => {
        await poll(['sqs:ReceiveMessage']);
        const result = (await fn.invoke(event)) as SQSBatchResponse | undefined;
        await poll(['sqs:DeleteMessage']);
        // Without ReportBatchItemFailures, Lambda reads no partial answer: the batch succeeded.
        return reportsFailures ? result : undefined;
      },
      {
        batchSize: Number(mapping.props.BatchSize ?? 10),
        concurrency: Number(
          (mapping.props.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ??
            5,
        ),
        ...(model.maxReceives ? { maxReceives: model.maxReceives } : {}),
        arn: model.arn,
        dir: join(options.dataDir, 'queues', model.name),
        onDeadLetter: (body, error) => {
          log(
            `${model.name}: a message failed every try and went to ${deadLetterName ?? 'nowhere'}: ${body.slice(0, 200)} (${String(error)})`,
          );
          if (deadLetterName) keepDeadLetter(deadLetterName, body);
        },
      },
    );
    queues.set(model.name, queue);
  }
  function deliver(model: QueueModel, body: string, groupId?: string) {
    const queue = queues.get(model.name);
    if (queue) queue.send(body, groupId);
    else keepDeadLetter(model.name, body);
  }

  // S3 event notifications, as the template configures them (every event type named, to its queue).
  const notifications = resourcesOfType(assembly, 'Custom::S3BucketNotifications').map((n) => ({
    bucket: String(resolve(n, n.resource.Properties?.BucketName)),
    queues: ((resolve(n, n.resource.Properties?.NotificationConfiguration) as Record<string, unknown>)
      ?.QueueConfigurations ?? []) as { Events: string[]; QueueArn: string }[],
  }));
  // S3 sends them as s3.amazonaws.com for the bucket: the queue's policy must let it, or S3 refuses the
  // notification configuration and the deployment fails.
  const s3Sends = (bucket: string, queueArn: string) =>
    authorizer.decide(serviceIdentity('s3.amazonaws.com', `arn:aws:s3:::${bucket}`), {
      action: 'sqs:SendMessage',
      resource: queueArn,
    });
  for (const n of notifications) {
    for (const target of n.queues) {
      const decision = await s3Sends(n.bucket, target.QueueArn);
      if (!decision.allowed)
        throw new Error(
          `the deployment would fail: Unable to validate the following destination configurations (${n.bucket} to ${target.QueueArn}): ${decision.message}`,
        );
    }
  }
  standIns.onS3Event((event) => {
    for (const raw of event.Records) {
      for (const n of notifications.filter((x) => x.bucket === raw.s3.bucket.name)) {
        for (const target of n.queues.filter((q) => q.Events.some((e) => eventMatches(e, raw.eventName)))) {
          const model = queueModels.find((m) => m.arn === target.QueueArn);
          void s3Sends(n.bucket, target.QueueArn);
          if (model) deliver(model, JSON.stringify({ Records: [toS3EventRecord(raw, REGION)] }));
        }
      }
    }
  });

  // --- The edge rules store, the distribution and the HTTP APIs -------------------------------------
  for (const kvs of resourcesOfType(assembly, 'AWS::CloudFront::KeyValueStore')) {
    const arn = resolver.attribute(kvs, 'Arn');
    stores.set(
      arn,
      new FileKeyValueStore(join(options.dataDir, 'key-value-stores', `${kvs.logicalId}.json`)),
    );
  }
  const apis = new Map(
    httpApiModels(assembly, resolver).map((model) => [
      model.id,
      new LocalHttpApi({
        model,
        async invoke(arn, event) {
          // API Gateway invokes the function as apigateway.amazonaws.com for the route: its permissions decide.
          const e = event as {
            routeKey?: string;
            requestContext?: { apiId?: string; stage?: string; http?: { method?: string } };
          };
          const [, path = ''] = (e.routeKey ?? '').split(' ');
          const sourceArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${e.requestContext?.apiId}/${e.requestContext?.stage}/${e.requestContext?.http?.method}${path}`;
          const decision = await authorizer.decide(serviceIdentity('apigateway.amazonaws.com', sourceArn), {
            action: 'lambda:InvokeFunction',
            resource: arn,
          });
          if (!decision.allowed)
            throw new Error(`API Gateway may not invoke the function: ${decision.message}`);
          return runtimeOf(arn).invoke(event);
        },
        localIssuer: (issuer) => {
          const pool = /^https:\/\/cognito-idp\.[^/]+\.amazonaws\.com\/(.+)$/.exec(issuer)?.[1];
          return pool ? cognito.issuer(pool) : issuer;
        },
      }),
    ]),
  );
  const [distribution] = distributionModels(assembly, resolver);
  if (!distribution) throw new Error('the template has no CloudFront distribution');
  const bucketOfDomain = (domain: string) => domain.replace(/\.s3\.[^.]+\.amazonaws\.com$/, '');
  const localCdn = new LocalCdn({
    distribution,
    caching: options.cdnCaching ?? true,
    ...(options.cdnNow ? { now: options.cdnNow } : {}),
    // A bucket's S3 address in a header (the desk's CSP lets the browser upload there) is the S3 stand-in here.
    localHeader: (_name, value) =>
      buckets.reduce(
        (v, b) => v.replaceAll(`https://${b.name}.s3.${REGION}.amazonaws.com`, s3Endpoint),
        value,
      ),
    keyValueStore: async (storeId, key) => {
      const store = [...stores.entries()].find(([arn]) => arn.endsWith(`/${storeId}`))?.[1];
      if (!store) throw new Error(`no key value store ${storeId}`);
      return store.get(key);
    },
    origins: {
      s3: (domain, key) => readObject(s3Cdn, bucketOfDomain(domain), key),
      async http(domain, request) {
        const api = apis.get(domain.split('.')[0] ?? '');
        if (!api) throw new Error(`no origin ${domain}`);
        return api.handle(request);
      },
    },
  });
  cdn = localCdn;
  const names = localNames(assembly, resolver, notifications, distribution, bucketOfDomain, queueModels);

  // --- Schedules from the template ------------------------------------------------------------------
  const timers: NodeJS.Timeout[] = [];
  for (const schedule of resourcesOfType(assembly, 'AWS::Scheduler::Schedule')) {
    const props = resolve(schedule, schedule.resource.Properties) as {
      ScheduleExpression: string;
      State?: string;
      Target: { Arn: string; Input?: string; RoleArn?: string };
    };
    const every = rateMs(props.ScheduleExpression);
    if (every === undefined || props.State === 'DISABLED') continue;
    const timer = setInterval(
      () =>
        void invokeAsync(
          props.Target.Arn,
          JSON.parse(props.Target.Input ?? '{}'),
          schedule.logicalId,
          props.Target.RoleArn,
        ),
      every,
    );
    timer.unref();
    timers.push(timer);
  }
  schedules.resume();

  // --- The site, the rebuild --------------------------------------------------------------------------
  const ingest = (() => {
    const target = notifications[0]?.queues[0]?.QueueArn;
    const mapping = mappings.find((m) => resolve(m.found, m.props.EventSourceArn) === target);
    return mapping ? runtimeOf(String(resolve(mapping.found, mapping.props.FunctionName))) : undefined;
  })();
  let reconciling: Promise<unknown> = Promise.resolve();
  const reconcileNow = (settleMs: number) => {
    reconciling = reconciling
      .then(() => ingest?.invoke({ reconcile: { budget: Number.MAX_SAFE_INTEGER, settleMs } }))
      .catch((err: unknown) => log(`error: reconcile failed: ${String(err)}`));
    return reconciling;
  };
  const whenIdle = async () => {
    do {
      // Events of uploads already answered may still be on their way from the stand-ins' thread.
      await standIns.flush();
      await reconciling;
      for (const queue of queues.values()) await queue.whenIdle();
    } while ([...queues.values()].some((q) => q.size > 0));
  };
  const stateMachine = resourcesOfType(assembly, 'AWS::StepFunctions::StateMachine')[0];
  // The state machine reads its item lists and invokes the steps with its own role.
  const machineRole = roleOf(
    (stateMachine?.resource.Properties?.RoleArn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
      'Fn::GetAtt'
    ]?.[0],
  );
  const s3Machine = machineRole ? s3As(machineRole) : s3;
  const rebuild = async (onProgress: (progress: { phase: string; done: number; total: number }) => void) => {
    if (!stateMachine) throw new Error('the template has no rebuild state machine');
    const definition = JSON.parse(
      String(resolve(stateMachine, stateMachine.resource.Properties?.DefinitionString)),
    );
    // What the steps report, summed by step: the drafts applied, the views rendered, the pages swept.
    const totals = new Map<string, number>();
    const add = (key: string, n: unknown) => {
      if (typeof n === 'number') totals.set(key, (totals.get(key) ?? 0) + n);
    };
    await runStateMachine(
      definition,
      {
        invoke: async (payload) => {
          const target = ingest?.fn.arn ?? '';
          if (
            machineRole &&
            !(await permitted(
              machineRole,
              { action: 'lambda:InvokeFunction', resource: target },
              'the rebuild',
            ))
          )
            throw new Error(`the rebuild's state machine may not invoke ${target}`);
          const result = (await runtimeOf(target).invoke(payload)) as Record<string, unknown>;
          const step = String((payload as { rebuildStep?: { step?: string } }).rebuildStep?.step ?? 'step');
          for (const [field, value] of Object.entries(result ?? {})) add(`${step}.${field}`, value);
          add(`${step}.tasks`, 1);
          const phase = step === 'apply' ? 'drafts' : step === 'render' ? 'pages' : step;
          const done =
            step === 'apply'
              ? totals.get('apply.applied')
              : step === 'render'
                ? totals.get('render.rendered')
                : totals.get(`${step}.tasks`);
          const total = step === 'render' ? totals.get('plan.views') : undefined;
          onProgress({ phase, done: done ?? 0, total: total ?? done ?? 0 });
          return result;
        },
        listObjects: (bucket) => listObjects(s3Machine, bucket),
        getJson: async (bucket, key) =>
          JSON.parse(
            new TextDecoder().decode((await readObject(s3Machine, bucket, key))?.bytes ?? new Uint8Array()),
          ),
        execution: { Name: `local-${Date.now()}`, StartTime: new Date().toISOString() },
        concurrency: MAX_ENVIRONMENTS,
      },
      {},
    );
    const output = {
      drafts: totals.get('apply.applied') ?? 0,
      pages: totals.get('render.rendered') ?? 0,
      removed: totals.get('sweep.removed') ?? 0,
    };
    await whenIdle();
    return output;
  };
  const rebuildToken = randomBytes(24).toString('base64url');
  await writeFile(join(options.dataDir, REBUILD_TOKEN_FILE), `${rebuildToken}\n`, { mode: 0o600 });
  const server: Server = createSiteServer({
    cdn: localCdn,
    rebuild: { token: rebuildToken, run: rebuild },
    iamOff: !enforce,
  });
  server.listen(options.sitePort, '127.0.0.1');
  await once(server, 'listening');
  const sitePort = (server.address() as AddressInfo).port;
  const siteUrl = `http://127.0.0.1:${sitePort}`;
  // The desk's browser uploads straight to the drafts bucket: the template's CORS rules, with this
  // machine's site origins beside the deployed one.
  for (const bucket of buckets.filter((b) => b.cors)) {
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: bucket.name,
        CORSConfiguration: {
          CORSRules: (bucket.cors?.CorsRules ?? []).map((r) => ({
            AllowedMethods: r.AllowedMethods as string[],
            AllowedOrigins: [
              ...((r.AllowedOrigins ?? []) as string[]),
              siteUrl,
              `http://localhost:${sitePort}`,
            ],
            ...(r.AllowedHeaders ? { AllowedHeaders: r.AllowedHeaders as string[] } : {}),
            ...(r.ExposedHeaders ? { ExposeHeaders: r.ExposedHeaders as string[] } : {}),
            ...(r.MaxAge !== undefined ? { MaxAgeSeconds: Number(r.MaxAge) } : {}),
          })),
        },
      }),
    );
  }
  writeFileSync(
    join(options.dataDir, ENDPOINTS_FILE),
    JSON.stringify(
      {
        AWS_REGION: REGION,
        AWS_ENDPOINT_URL_S3: s3Endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
        AWS_ENDPOINT_URL_SQS: servicesEndpoint,
        DRAFTS_BUCKET: names.draftsBucket,
        SITE_BUCKET: names.siteBucket,
        ARTICLE_TABLE: names.articleTable,
        COMMENT_TABLE: names.commentTable,
        RENDER_QUEUE_URL: names.renderQueueUrl,
        siteUrl,
        // The people's credentials (the moderation CLI is a moderator), as their IAM users would have, and
        // the deployment's administrator's.
        credentials: {
          editor: credentialsOf(person('editor')),
          moderator: credentialsOf(person('moderator')),
          deployment: credentialsOf(deployment),
        },
        iamEnforced: enforce,
      },
      null,
      2,
    ),
    { mode: 0o600 },
  );

  // What a deployment does before readers arrive: the triggers (the site's frame and every list).
  for (const trigger of resourcesOfType(assembly, 'Custom::Trigger')) {
    const version = (trigger.resource.Properties?.HandlerArn as { Ref?: string } | undefined)?.Ref;
    const fnRef = version ? trigger.stack.resources[version]?.Properties?.FunctionName : undefined;
    if (fnRef === undefined) continue;
    const name = String(resolve(trigger, fnRef));
    // The trigger's provider invokes the function's version with its own role.
    const provider = (
      trigger.resource.Properties?.ServiceToken as { 'Fn::GetAtt'?: [string, string] } | undefined
    )?.['Fn::GetAtt']?.[0];
    const providerRole = provider
      ? roleOf(
          (
            trigger.stack.resources[provider]?.Properties?.Role as
              | { 'Fn::GetAtt'?: [string, string] }
              | undefined
          )?.['Fn::GetAtt']?.[0],
        )
      : undefined;
    const versionArn = `${runtimeOf(name).fn.arn}:1`;
    if (
      providerRole &&
      !(await permitted(
        providerRole,
        { action: 'lambda:InvokeFunction', resource: versionArn },
        `the deployment trigger ${trigger.logicalId}`,
      ))
    )
      continue;
    await runtimeOf(name)
      .invoke({ RequestType: 'Create', ResourceProperties: {} })
      .catch((err: unknown) =>
        log(`error: the deployment trigger ${trigger.logicalId} failed: ${String(err)}`),
      );
  }
  // What a previous run kept and did not finish (it was stopped, or killed).
  let resumed = 0;
  for (const queue of queues.values()) resumed += queue.resume();
  if (resumed > 0) log(`resumed ${resumed} queued messages from the last run`);
  // A reconcile at start: an event lost while the stand-ins were stopped is found at once.
  await reconcileNow(0);
  const reconcileTimer = setInterval(() => void reconcileNow(options.reconcileSettleMs ?? 60_000), 60_000);
  reconcileTimer.unref();
  if (options.examplesDir) {
    const uploaded = await uploadMissing(s3Editor, names.draftsBucket, options.examplesDir);
    if (uploaded > 0) log(`uploaded ${uploaded} example files to s3://${names.draftsBucket}/`);
    await whenIdle();
  }

  return {
    s3Endpoint,
    dynamoEndpoint,
    servicesEndpoint,
    cognitoEndpoint: cognito.endpoint,
    siteUrl,
    names,
    queues,
    cdn: localCdn,
    rebuildToken,
    ...(deskUser ? { deskUser } : {}),
    desk: { userPoolId: deskPool.id, clientId: deskClient.id },
    credentials: {
      editor: credentialsOf(person('editor')),
      moderator: credentialsOf(person('moderator')),
      deployment: credentialsOf(deployment),
    },
    iamEnforced: enforce,
    accessReport: async () => accessReport(iam, authorizer.records(), await standIns.accessRecords()),
    alarms: async () => alarmsNow(),
    mail,
    whenIdle,
    reconcile: () => reconcileNow(0).then(() => whenIdle()),
    invoke: (functionId, event) => runtimeOf(functionId).invoke(event),
    async stop() {
      clearInterval(reconcileTimer);
      for (const timer of timers) clearInterval(timer);
      schedules.stop();
      await whenIdle();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      services.server.closeAllConnections();
      await new Promise<void>((resolve) => services.server.close(() => resolve()));
      await Promise.all([...runtimes.values()].map((r) => r.stop()));
      await cognito.stop();
      const report = accessReport(iam, authorizer.records(), await standIns.accessRecords());
      writeFileSync(join(options.dataDir, ACCESS_REPORT_FILE), JSON.stringify(report, null, 2));
      const reportDir = options.accessReportDir ?? process.env.NEWSROOM_ACCESS_REPORT_DIR;
      if (reportDir) {
        mkdirSync(reportDir, { recursive: true });
        writeFileSync(
          join(reportDir, `${Date.now()}-${randomUUID().slice(0, 8)}.json`),
          JSON.stringify(report),
        );
      }
      await standIns.close();
      for (const client of [s3, s3Editor, s3Cdn, s3Machine]) client.destroy();
      dynamo.destroy();
    },
  };
}

/** The buckets some role of the template may read versions of (`s3:GetObjectVersion`, `s3:ListBucketVersions`). */
function bucketsReadByVersion(
  assembly: CloudAssembly,
  resolver: ReturnType<typeof awsShapedResolver>,
): Set<string> {
  const names = new Set<string>();
  for (const policy of resourcesOfType(assembly, 'AWS::IAM::Policy')) {
    const document = resolveValue(
      assembly,
      policy.stack,
      policy.resource.Properties?.PolicyDocument,
      resolver,
    ) as {
      Statement?: { Action?: string | string[]; Resource?: string | string[] }[];
    };
    for (const statement of document?.Statement ?? []) {
      const actions = [statement.Action ?? []].flat();
      if (!actions.some((a) => a === 's3:GetObjectVersion' || a === 's3:ListBucketVersions')) continue;
      for (const resource of [statement.Resource ?? []].flat()) {
        const bucket = /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1];
        if (bucket) names.add(bucket);
      }
    }
  }
  return names;
}

function localNames(
  assembly: CloudAssembly,
  resolver: ReturnType<typeof awsShapedResolver>,
  notifications: { bucket: string }[],
  distribution: ReturnType<typeof distributionModels>[number],
  bucketOfDomain: (domain: string) => string,
  queues: { name: string; url: string; fifo: boolean; maxReceives?: number }[],
): LocalNames {
  const tables = resourcesOfType(assembly, 'AWS::DynamoDB::GlobalTable').map((t) => resolver.ref(t));
  const s3Origin = [...distribution.origins.values()].find((o) => o.kind === 's3');
  return {
    draftsBucket: notifications[0]?.bucket ?? '',
    siteBucket: s3Origin && s3Origin.kind === 's3' ? bucketOfDomain(s3Origin.domainName) : '',
    articleTable: tables.find((t) => t.endsWith('-articles')) ?? '',
    commentTable: tables.find((t) => t.endsWith('-comments')) ?? '',
    renderQueueUrl: queues.find((q) => q.fifo && q.maxReceives !== undefined)?.url ?? '',
  };
}

/** Whether a notification's event type (`s3:ObjectCreated:*`) covers an event S3 sent (`ObjectCreated:Put`). */
function eventMatches(configured: string, eventName: string): boolean {
  const wanted = configured.replace(/^s3:/, '');
  return wanted.endsWith('*') ? eventName.startsWith(wanted.slice(0, -1)) : wanted === eventName;
}

/** `rate(15 minutes)` in milliseconds; undefined for what is not a rate. */
export function rateMs(expression: string): number | undefined {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) return undefined;
  const unit = m[2]?.startsWith('minute') ? 60_000 : m[2]?.startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
}

/** A function's log line on the console: Powertools' JSON as `level message`, anything else as it came. */
function logLine(fn: LambdaFunction, line: string, log: (line: string) => void) {
  try {
    const entry = JSON.parse(line) as {
      level?: string;
      message?: string;
      draftKey?: string;
      path?: string;
      error?: unknown;
      _aws?: unknown;
    };
    if (entry._aws) return; // an embedded metric, for CloudWatch
    const level = (entry.level ?? 'INFO').toUpperCase();
    if (level === 'DEBUG' || (level === 'INFO' && process.env.LOCAL_LOG_LEVEL !== 'INFO')) return;
    const detail = entry.draftKey ?? entry.path ?? (entry.error ? JSON.stringify(entry.error) : '');
    log(
      `${fn.id.split('/')[0]?.toLowerCase()}: ${level === 'INFO' ? '' : `${level.toLowerCase()}: `}${entry.message ?? line}${detail ? `: ${detail}` : ''}`,
    );
  } catch {
    log(`${fn.id.split('/')[0]?.toLowerCase()}: ${line}`);
  }
}

/** The tables of an assembly, by logical id: their template properties (keys, indexes, projections, TTL). */
export function tableDefinitions(assembly: CloudAssembly): Map<string, Record<string, unknown>> {
  return new Map(
    [
      ...resourcesOfType(assembly, 'AWS::DynamoDB::GlobalTable'),
      ...resourcesOfType(assembly, 'AWS::DynamoDB::Table'),
    ].map((t) => [t.logicalId, t.resource.Properties ?? {}]),
  );
}

/** Creates a table as its template resource describes it; a table made from an older template gets the indexes added since. */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  props: Record<string, unknown>,
): Promise<void> {
  const wanted = ((props.GlobalSecondaryIndexes ?? []) as GlobalSecondaryIndex[]).map((i) => ({
    IndexName: i.IndexName,
    KeySchema: i.KeySchema,
    Projection: i.Projection,
  }));
  const attributes = props.AttributeDefinitions as AttributeDefinition[];
  let existing: string[] | undefined;
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    existing = (Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName ?? '');
  } catch (err) {
    if ((err as { name?: string }).name !== 'ResourceNotFoundException') throw err;
  }
  if (existing === undefined) {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributes,
        KeySchema: props.KeySchema as KeySchemaElement[],
        ...(wanted.length > 0 ? { GlobalSecondaryIndexes: wanted } : {}),
      }),
    );
  } else {
    for (const index of wanted.filter((i) => !existing.includes(i.IndexName ?? ''))) {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: attributes,
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
      await untilActive(client, tableName);
    }
  }
  await untilActive(client, tableName);
}

async function untilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((i) => i.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Deletes every lease item (`lease#…`) left by a killed run: one local stack per folder, so nobody holds them. */
async function releaseLeftLeases(client: DynamoDBClient, tables: readonly string[]): Promise<number> {
  let released = 0;
  for (const table of tables) {
    const pages = paginateScan(
      { client },
      {
        TableName: table,
        FilterExpression: 'begins_with(pk, :lease)',
        ExpressionAttributeValues: { ':lease': { S: 'lease#' } },
        ProjectionExpression: 'pk',
      },
    );
    try {
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          if (!item.pk) continue;
          await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: item.pk } }));
          released += 1;
        }
      }
    } catch (err) {
      // A table whose key is not `pk` alone holds no leases.
      if ((err as { name?: string }).name !== 'ValidationException') throw err;
    }
  }
  return released;
}

/** The desk's first editor, made once through the user pool's admin API, with a temporary password. */
async function ensureFirstEditor(endpoint: string, userPoolId: string, credentials: LocalCredentials) {
  const client = new CognitoIdentityProviderClient({ region: REGION, endpoint, credentials });
  const username = 'bientap';
  try {
    await client.send(new AdminGetUserCommand({ UserPoolId: userPoolId, Username: username }));
    return undefined;
  } catch (err) {
    if ((err as { name?: string }).name !== 'UserNotFoundException') throw err;
  }
  // Cognito's policy for this pool: upper and lower case, a digit and a symbol, twelve or more.
  const password = `Tam-${randomBytes(6).toString('base64url')}-9a`;
  await client.send(
    new AdminCreateUserCommand({
      UserPoolId: userPoolId,
      Username: username,
      TemporaryPassword: password,
      MessageAction: 'SUPPRESS',
      UserAttributes: [
        { Name: 'name', Value: 'Biên tập viên' },
        { Name: 'email', Value: 'bientap@localhost' },
      ],
    }),
  );
  client.destroy();
  return { username, password };
}

async function readObject(s3: S3Client, bucket: string, key: string): Promise<S3Object | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return {
      bytes: await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ...(out.ContentType ? { contentType: out.ContentType } : {}),
      ...(out.CacheControl ? { cacheControl: out.CacheControl } : {}),
      ...(out.ETag ? { etag: out.ETag } : {}),
    };
  } catch (err) {
    // A caller that may not list the bucket (CloudFront) is told 403 for a missing key: as missing to it.
    const name = (err as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'AccessDenied') return undefined;
    throw err;
  }
}

async function listObjects(s3: S3Client, bucket: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const o of page.Contents ?? [])
      items.push({ Key: o.Key, Etag: o.ETag, Size: o.Size, LastModified: o.LastModified?.toISOString() });
    token = page.NextContinuationToken;
  } while (token);
  return items;
}

/** Uploads every file below `dir` that the drafts bucket does not have yet, images before drafts. */
async function uploadMissing(s3: S3Client, bucket: string, dir: string): Promise<number> {
  const files = (readdirSync(dir, { recursive: true }) as string[])
    .map((f) => relative(dir, join(dir, f)).split(sep).join('/'))
    .filter((f) => /\.(md|jpe?g|png|webp|gif|avif)$/i.test(f))
    .sort((a, b) => Number(a.endsWith('.md')) - Number(b.endsWith('.md')) || a.localeCompare(b));
  let uploaded = 0;
  for (const key of files) {
    try {
      await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      continue;
    } catch (err) {
      if ((err as { name?: string }).name !== 'NotFound') throw err;
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(join(dir, key)) }));
    uploaded += 1;
  }
  return uploaded;
}

/** A KeyValueStore kept in a JSON file, so the edge rules survive a restart as CloudFront's do. */
class FileKeyValueStore implements LocalKeyValueStore {
  readonly #values: Map<string, string>;
  constructor(private readonly file: string) {
    this.#values = new Map(
      existsSync(file)
        ? Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)
        : [],
    );
  }
  get(key: string) {
    return this.#values.get(key);
  }
  put(key: string, value: string) {
    this.#values.set(key, value);
    this.#save();
  }
  delete(key: string) {
    const had = this.#values.delete(key);
    if (had) this.#save();
    return had;
  }
  get size() {
    return this.#values.size;
  }
  get bytes() {
    let n = 0;
    for (const [k, v] of this.#values) n += Buffer.byteLength(k) + Buffer.byteLength(v);
    return n;
  }
  #save() {
    mkdirSync(join(this.file, '..'), { recursive: true });
    writeFileSync(`${this.file}.part`, JSON.stringify(Object.fromEntries(this.#values)));
    writeFileSync(this.file, readFileSync(`${this.file}.part`));
    rmSync(`${this.file}.part`, { force: true });
  }
}

/**
 * EventBridge Scheduler's one-time schedules (`at(...)`), kept in a file: each fires at its time (or at
 * the next start, if the machine was off then) and is removed, as `ActionAfterCompletion: DELETE` does.
 */
class LocalScheduler {
  readonly #schedules = new Map<string, ScheduleDefinition>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  constructor(
    private readonly file: string,
    private readonly fire: (schedule: ScheduleDefinition) => void,
  ) {
    if (existsSync(file)) {
      for (const s of JSON.parse(readFileSync(file, 'utf8')) as ScheduleDefinition[])
        this.#schedules.set(`${s.group}/${s.name}`, s);
    }
  }
  resume() {
    for (const s of this.#schedules.values()) this.#arm(s);
  }
  has(group: string, name: string) {
    return this.#schedules.has(`${group}/${name}`);
  }
  create(schedule: ScheduleDefinition) {
    this.#schedules.set(`${schedule.group}/${schedule.name}`, schedule);
    this.#save();
    this.#arm(schedule);
  }
  update(schedule: ScheduleDefinition) {
    this.create(schedule);
  }
  delete(group: string, name: string) {
    const key = `${group}/${name}`;
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
    this.#schedules.delete(key);
    this.#save();
  }
  stop() {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
  #arm(schedule: ScheduleDefinition) {
    const key = `${schedule.group}/${schedule.name}`;
    clearTimeout(this.#timers.get(key));
    const at = /^at\((.+)\)$/.exec(schedule.expression)?.[1];
    if (!at) return;
    const when = Date.parse(at.endsWith('Z') ? at : `${at}Z`);
    // setTimeout holds at most 24.8 days: a later schedule is looked at again then.
    const delay = Math.min(Math.max(0, when - Date.now()), 2_000_000_000);
    const timer = setTimeout(() => {
      if (Date.now() < when) return this.#arm(schedule);
      if (schedule.actionAfterCompletion === 'DELETE') this.delete(schedule.group, schedule.name);
      this.fire(schedule);
    }, delay);
    timer.unref();
    this.#timers.set(key, timer);
  }
  #save() {
    mkdirSync(join(this.file, '..'), { recursive: true });
    writeFileSync(this.file, JSON.stringify([...this.#schedules.values()]));
  }
}

import { createHash } from 'node:crypto';
import {
  type CloudAssembly,
  constructPath,
  type Found,
  type LocalResolver,
  resolveValue,
  resourcesOfType,
} from '../cloud-assembly.ts';

/** A policy document as IAM reads it (statements after CloudFormation resolved their references). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[];
}

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Record<string, unknown>;
}

export interface NamedPolicy {
  /** The policy's logical id in the template (or the AWS managed policy's name). */
  readonly name: string;
  readonly document: PolicyDocument;
}

/**
 * Who makes a call: a function's execution role, a person (an editor with the editors' policy, a moderator,
 * the deployment's administrator) or an AWS service acting for a resource (CloudFront reading the site
 * bucket, S3 sending an event to a queue). Each has credentials of its own, so the stand-ins know who calls.
 */
export interface Identity {
  /** What the access report calls it: the role's construct path (`Render/Role`), or the person. */
  readonly name: string;
  readonly kind: 'role' | 'person' | 'service';
  /** The principal the request is evaluated as: a session ARN, a user ARN, or a service principal. */
  readonly principal: string;
  /** The role's (or user's) own ARN, `aws:PrincipalArn` of its requests. */
  readonly arn?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly policies: readonly NamedPolicy[];
  /** Condition keys AWS sets on every request of this caller (`aws:SourceArn` for a service). */
  readonly context: Readonly<Record<string, string>>;
}

/** A resource-based policy (bucket, queue, topic, key, function permissions) and the resource it guards. */
export interface ResourcePolicy extends NamedPolicy {
  readonly resource: string;
}

/** The partition key of a table and of each of its indexes: what `dynamodb:LeadingKeys` is read from. */
export interface TableKeys {
  readonly partitionKey: string;
  readonly indexes: Readonly<Record<string, string>>;
}

/** Everything the stand-ins need to decide a call as IAM would, from the template; plain data. */
export interface IamModel {
  readonly account: string;
  readonly region: string;
  /** Off: every call is allowed (and still recorded); `LOCAL_IAM=off` or `npm start -- --no-iam`. */
  readonly enforce: boolean;
  readonly identities: readonly Identity[];
  readonly resourcePolicies: readonly ResourcePolicy[];
  readonly tables: Readonly<Record<string, TableKeys>>;
}

/**
 * AWS managed policies the template attaches by ARN. Their documents are AWS's (the policy reference); a
 * policy not listed here grants nothing locally, and the model says so.
 */
const AWS_MANAGED: Readonly<Record<string, PolicyDocument>> = {
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
};

/** The construct ids of the people's policies in the template (infra/constructs/people.ts). */
const PEOPLE_POLICIES = { editor: 'People/Editors', moderator: 'People/Moderators' } as const;

/** The people of the local stack: their users' names, as a deployment's IAM users or SSO sessions would be. */
const LOCAL_PEOPLE = { editor: 'bientap', moderator: 'kiemduyet' } as const;

/** The role CloudFormation deploys with in a CDK-bootstrapped account; the local stack's own setup calls. */
const deploymentRoleArn = (account: string, region: string) =>
  `arn:aws:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-${region}`;

/**
 * Reads the template's roles and their policies (inline, `AWS::IAM::Policy`, managed), the people's
 * managed policies and every resource-based policy, into the model the stand-ins decide by.
 */
export function iamModel(
  assembly: CloudAssembly,
  resolver: LocalResolver,
  options: { readonly enforce: boolean; readonly services: Readonly<Record<string, Record<string, string>>> },
): IamModel {
  const { account, region } = resolver;
  const resolve = (found: Found, value: unknown) => resolveValue(assembly, found.stack, value, resolver);
  const document = (found: Found, value: unknown) => resolve(found, value) as PolicyDocument;
  const refersTo = (list: unknown, logicalId: string) =>
    Array.isArray(list) && list.some((r) => (r as { Ref?: string })?.Ref === logicalId);
  const policies = resourcesOfType(assembly, 'AWS::IAM::Policy');
  const managed = resourcesOfType(assembly, 'AWS::IAM::ManagedPolicy');
  const managedByArn = (found: Found, arn: unknown): NamedPolicy[] => {
    const ref = (arn as { Ref?: string } | undefined)?.Ref;
    const own = ref ? managed.find((m) => m.logicalId === ref && m.stack === found.stack) : undefined;
    if (own)
      return [{ name: own.logicalId, document: document(own, own.resource.Properties?.PolicyDocument) }];
    const text = String(resolve(found, arn));
    const awsName = /^arn:aws:iam::aws:policy\/(.+)$/.exec(text)?.[1];
    const known = awsName ? AWS_MANAGED[awsName] : undefined;
    return known && awsName ? [{ name: awsName.split('/').pop() ?? awsName, document: known }] : [];
  };
  const identities: Identity[] = [];
  for (const role of resourcesOfType(assembly, 'AWS::IAM::Role')) {
    const props = role.resource.Properties ?? {};
    const attached: NamedPolicy[] = [
      ...((props.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]).map((p) => ({
        name: `${role.logicalId}/${p.PolicyName}`,
        document: document(role, p.PolicyDocument),
      })),
      ...policies
        .filter((p) => p.stack === role.stack && refersTo(p.resource.Properties?.Roles, role.logicalId))
        .map((p) => ({ name: p.logicalId, document: document(p, p.resource.Properties?.PolicyDocument) })),
      ...((props.ManagedPolicyArns ?? []) as unknown[]).flatMap((arn) => managedByArn(role, arn)),
      ...managed
        .filter((m) => m.stack === role.stack && refersTo(m.resource.Properties?.Roles, role.logicalId))
        .map((m) => ({ name: m.logicalId, document: document(m, m.resource.Properties?.PolicyDocument) })),
    ];
    const name = resolver.ref(role);
    const arn = resolver.attribute(role, 'Arn');
    identities.push({
      name: constructPath(role).split('/').slice(1, -1).join('/') || role.logicalId,
      kind: 'role',
      principal: `arn:aws:sts::${account}:assumed-role/${name}/${name}`,
      arn,
      ...keysOf(arn, 'ASIA'),
      sessionToken: `local-session-${hash(arn).slice(0, 16)}`,
      policies: attached,
      context: {},
    });
  }
  const person = (who: keyof typeof PEOPLE_POLICIES): Identity => {
    const arn = `arn:aws:iam::${account}:user/${LOCAL_PEOPLE[who]}`;
    const path = PEOPLE_POLICIES[who];
    const policy = managed.find((m) => constructPath(m).split('/').slice(1, -1).join('/') === path);
    return {
      name: `${who} (${LOCAL_PEOPLE[who]})`,
      kind: 'person',
      principal: arn,
      arn,
      ...keysOf(arn, 'AKIA'),
      policies: policy
        ? [{ name: policy.logicalId, document: document(policy, policy.resource.Properties?.PolicyDocument) }]
        : [],
      context: {},
    };
  };
  identities.push(person('editor'), person('moderator'));
  const deployer = deploymentRoleArn(account, region);
  identities.push({
    name: 'deployment',
    kind: 'role',
    principal: deployer.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/').concat('/local'),
    arn: deployer,
    ...keysOf(deployer, 'ASIA'),
    sessionToken: 'local-session-deployment',
    // What CDK's bootstrap gives CloudFormation's execution role: AdministratorAccess.
    policies: [
      {
        name: 'AdministratorAccess',
        document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
    ],
    context: {},
  });
  for (const [service, context] of Object.entries(options.services)) {
    const id = `${service}|${JSON.stringify(context)}`;
    identities.push({
      name: service,
      kind: 'service',
      principal: service,
      ...keysOf(id, 'ASIA'),
      policies: [],
      context: { 'aws:SourceAccount': account, ...context },
    });
  }

  const resourcePolicies: ResourcePolicy[] = [];
  const guard = (type: string, key: string, doc: string) => {
    for (const p of resourcesOfType(assembly, type)) {
      const targets = p.resource.Properties?.[key];
      for (const target of Array.isArray(targets) ? targets : [targets]) {
        if (target === undefined) continue;
        resourcePolicies.push({
          name: p.logicalId,
          resource: String(resolve(p, target)),
          document: document(p, p.resource.Properties?.[doc]),
        });
      }
    }
  };
  for (const p of resourcesOfType(assembly, 'AWS::S3::BucketPolicy')) {
    resourcePolicies.push({
      name: p.logicalId,
      resource: `arn:aws:s3:::${String(resolve(p, p.resource.Properties?.Bucket))}`,
      document: document(p, p.resource.Properties?.PolicyDocument),
    });
  }
  guard('AWS::SQS::QueuePolicy', 'Queues', 'PolicyDocument');
  guard('AWS::SNS::TopicPolicy', 'Topics', 'PolicyDocument');
  // A queue policy names its queues by URL; IAM decides by the queue's ARN.
  for (const [i, p] of resourcePolicies.entries()) {
    const url = /^https?:\/\/[^/]+\/(\d+)\/([^/]+)$/.exec(p.resource);
    if (url) resourcePolicies[i] = { ...p, resource: `arn:aws:sqs:${region}:${url[1]}:${url[2]}` };
  }
  for (const key of resourcesOfType(assembly, 'AWS::KMS::Key')) {
    resourcePolicies.push({
      name: key.logicalId,
      resource: resolver.attribute(key, 'Arn'),
      document: document(key, key.resource.Properties?.KeyPolicy),
    });
  }
  // A function's permissions (AWS::Lambda::Permission) together are its resource policy.
  const permissions = new Map<string, PolicyStatement[]>();
  for (const p of resourcesOfType(assembly, 'AWS::Lambda::Permission')) {
    const props = resolve(p, p.resource.Properties) as {
      Action: string;
      FunctionName: string;
      Principal: string;
      SourceArn?: string;
      SourceAccount?: string;
    };
    const fn = props.FunctionName.startsWith('arn:')
      ? props.FunctionName
      : `arn:aws:lambda:${region}:${account}:function:${props.FunctionName}`;
    const condition: Record<string, Record<string, string>> = {};
    if (props.SourceArn) condition.ArnLike = { 'AWS:SourceArn': props.SourceArn };
    if (props.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': props.SourceAccount };
    permissions.set(fn, [
      ...(permissions.get(fn) ?? []),
      {
        Sid: p.logicalId,
        Effect: 'Allow',
        Principal: props.Principal.includes('.') ? { Service: props.Principal } : { AWS: props.Principal },
        Action: props.Action,
        Resource: fn,
        ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
      },
    ]);
  }
  for (const [fn, statements] of permissions) {
    resourcePolicies.push({
      name: `permissions of ${fn.split(':').pop()}`,
      resource: fn,
      document: { Version: '2012-10-17', Statement: statements },
    });
  }

  const tables: Record<string, TableKeys> = {};
  for (const table of [
    ...resourcesOfType(assembly, 'AWS::DynamoDB::GlobalTable'),
    ...resourcesOfType(assembly, 'AWS::DynamoDB::Table'),
  ]) {
    const props = table.resource.Properties ?? {};
    const hashOf = (schema: unknown) =>
      ((schema ?? []) as { AttributeName: string; KeyType: string }[]).find((k) => k.KeyType === 'HASH')
        ?.AttributeName ?? '';
    tables[resolver.ref(table)] = {
      partitionKey: hashOf(props.KeySchema),
      indexes: Object.fromEntries(
        ((props.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: unknown }[]).map((i) => [
          i.IndexName,
          hashOf(i.KeySchema),
        ]),
      ),
    };
  }
  return { account, region, enforce: options.enforce, identities, resourcePolicies, tables };
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Credentials of the shape AWS issues (`AKIA…` for users, `ASIA…` for sessions), the same every run. */
function keysOf(seed: string, prefix: 'AKIA' | 'ASIA') {
  const digest = createHash('sha256').update(seed).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let id = prefix;
  for (let i = 0; id.length < 20; i++) id += alphabet[(digest[i] ?? 0) % 32];
  return { accessKeyId: id, secretAccessKey: createHash('sha256').update(`secret:${seed}`).digest('base64') };
}

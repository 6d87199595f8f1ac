import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One resource of a synthesized template, as CloudFormation reads it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface StackTemplate {
  readonly name: string;
  readonly resources: Readonly<Record<string, TemplateResource>>;
  readonly parameters: Readonly<Record<string, { readonly Type: string; readonly Default?: string }>>;
  readonly outputs: Readonly<Record<string, { readonly Value: unknown }>>;
}

/** What `cdk synth` wrote: each stack's template, in deployment order, and the folder its assets are in. */
export interface CloudAssembly {
  readonly dir: string;
  readonly stacks: readonly StackTemplate[];
}

export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** Reads a cloud assembly folder (`cdk.out`): its manifest names the stacks and their templates. */
export function readCloudAssembly(dir: string): CloudAssembly {
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new TemplateError(`${dir} holds no cloud assembly (no manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const stacks = Object.entries(manifest.artifacts)
    .filter(([, a]) => a.type === 'aws:cloudformation:stack')
    .map(([name, a]) => {
      const template = JSON.parse(readFileSync(join(dir, a.properties?.templateFile ?? ''), 'utf8')) as {
        Resources?: Record<string, TemplateResource>;
        Parameters?: StackTemplate['parameters'];
        Outputs?: StackTemplate['outputs'];
      };
      return {
        name,
        resources: template.Resources ?? {},
        parameters: template.Parameters ?? {},
        outputs: template.Outputs ?? {},
      };
    });
  return { dir, stacks };
}

/** A resource found in the assembly, with the stack it is in. */
export interface Found {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly resource: TemplateResource;
}

export function resourcesOfType(assembly: CloudAssembly, type: string): Found[] {
  return assembly.stacks.flatMap((stack) =>
    Object.entries(stack.resources)
      .filter(([, r]) => r.Type === type)
      .map(([logicalId, resource]) => ({ stack, logicalId, resource })),
  );
}

/** The construct path CDK recorded for a resource (`NewsroomPipeline/Ingest/Function/Resource`). */
export function constructPath(found: Found): string {
  return String(found.resource.Metadata?.['aws:cdk:path'] ?? `${found.stack.name}/${found.logicalId}`);
}

/**
 * What the local world answers for a reference to one of its resources: `Ref` and `Fn::GetAtt` resolve
 * through it. It decides the names, ARNs and URLs of the local stand-ins.
 */
export interface LocalResolver {
  /** The account and region the local world pretends to be in. */
  readonly account: string;
  readonly region: string;
  ref(found: Found): string;
  attribute(found: Found, attribute: string): string;
}

/**
 * Resolves CloudFormation's intrinsic functions in a template value, as CloudFormation would at deploy
 * time, with the local world's answers for references: `Ref` (resources, parameters, pseudo parameters),
 * `Fn::GetAtt`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::Sub`, and SSM parameters read from the
 * `AWS::SSM::Parameter` resources of the assembly (the stateful stack writes them, the pipeline stack reads
 * them). Anything else is a `TemplateError` naming it.
 */
export function resolveValue(
  assembly: CloudAssembly,
  stack: StackTemplate,
  value: unknown,
  resolver: LocalResolver,
): unknown {
  const resolve = (v: unknown): unknown => resolveValue(assembly, stack, v, resolver);
  const text = (v: unknown): string => {
    const r = resolve(v);
    if (typeof r !== 'string' && typeof r !== 'number') {
      throw new TemplateError(`expected a string, got ${JSON.stringify(r)}`);
    }
    return String(r);
  };
  if (Array.isArray(value)) return value.map(resolve);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? [];
  if (entries.length !== 1 || key === undefined || !(key === 'Ref' || key.startsWith('Fn::'))) {
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  }
  switch (key) {
    case 'Ref':
      return refOf(assembly, stack, String(arg), resolver);
    case 'Fn::GetAtt': {
      const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
      return resolver.attribute(findIn(stack, String(id)), String(attribute));
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      return (resolve(parts) as unknown[]).map((p) => text(p)).join(separator);
    }
    case 'Fn::Select': {
      const [index, list] = arg as [unknown, unknown];
      const items = resolve(list) as unknown[];
      const picked = items[Number(resolve(index))];
      if (picked === undefined) throw new TemplateError(`Fn::Select ${index} of ${JSON.stringify(items)}`);
      return picked;
    }
    case 'Fn::Split': {
      const [separator, source] = arg as [string, unknown];
      return text(source).split(separator);
    }
    case 'Fn::Sub': {
      const [template, variables = {}] = Array.isArray(arg) ? arg : [arg, {}];
      return String(template).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name in (variables as Record<string, unknown>)) {
          return text((variables as Record<string, unknown>)[name]);
        }
        if (name.includes('.')) {
          const [id, attribute] = name.split('.');
          return resolver.attribute(findIn(stack, String(id)), String(attribute));
        }
        return text({ Ref: name });
      });
    }
    default:
      throw new TemplateError(`${key} is not modelled locally (in ${stack.name})`);
  }
}

function refOf(assembly: CloudAssembly, stack: StackTemplate, name: string, resolver: LocalResolver): string {
  switch (name) {
    case 'AWS::AccountId':
      return resolver.account;
    case 'AWS::Region':
      return resolver.region;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return stack.name;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${resolver.region}:${resolver.account}:stack/${stack.name}/00000000-0000-4000-8000-${stackNumber(stack.name)}`;
    case 'AWS::NoValue':
      return '';
  }
  const parameter = stack.parameters[name];
  if (parameter) {
    if (parameter.Type.startsWith('AWS::SSM::Parameter::Value')) {
      return ssmParameter(assembly, String(parameter.Default), resolver);
    }
    if (parameter.Default !== undefined) return parameter.Default;
    throw new TemplateError(`parameter ${name} of ${stack.name} has no default`);
  }
  return resolver.ref(findIn(stack, name));
}

/** An SSM parameter's value, as the stack that writes it (an `AWS::SSM::Parameter` resource) sets it. */
function ssmParameter(assembly: CloudAssembly, parameterName: string, resolver: LocalResolver): string {
  for (const found of resourcesOfType(assembly, 'AWS::SSM::Parameter')) {
    const props = found.resource.Properties ?? {};
    if (resolveValue(assembly, found.stack, props.Name, resolver) === parameterName) {
      return String(resolveValue(assembly, found.stack, props.Value, resolver));
    }
  }
  if (parameterName.startsWith('/cdk-bootstrap/')) return '0';
  throw new TemplateError(`no stack of the assembly writes the SSM parameter ${parameterName}`);
}

function findIn(stack: StackTemplate, logicalId: string): Found {
  const resource = stack.resources[logicalId];
  if (!resource) throw new TemplateError(`${stack.name} has no resource ${logicalId}`);
  return { stack, logicalId, resource };
}

/** Twelve hex digits that stay the same for a stack's name: its local stack id. */
function stackNumber(name: string): string {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h.toString(16).padStart(12, '0').slice(-12);
}

/** A short id that stays the same for a resource: what a generated physical name looks like. */
export function localId(found: Found, length = 13): string {
  return (stackNumber(`${found.stack.name}/${found.logicalId}`) + stackNumber(found.logicalId))
    .toUpperCase()
    .slice(0, length);
}

/**
 * Names and ARNs shaped as AWS makes them: a resource's own name where the template gives one (a bucket's,
 * a table's, a function's), else one generated from its logical id. `override` answers first, for the
 * resources the local world stands in for (a queue's URL on the local SQS endpoint, say).
 */
export function awsShapedResolver(options: {
  readonly account?: string;
  readonly region?: string;
  readonly assembly: CloudAssembly;
  readonly override?: (found: Found, attribute?: string) => string | undefined;
}): LocalResolver {
  const account = options.account ?? '000000000000';
  const region = options.region ?? 'us-east-1';
  const resolver: LocalResolver = {
    account,
    region,
    ref(found) {
      return options.override?.(found) ?? refName(found);
    },
    attribute(found, attribute) {
      return options.override?.(found, attribute) ?? attributeOf(found, attribute);
    },
  };
  const prop = (found: Found, name: string) => {
    const value = found.resource.Properties?.[name];
    return value === undefined
      ? undefined
      : String(resolveValue(options.assembly, found.stack, value, resolver));
  };
  const refName = (found: Found): string => {
    switch (found.resource.Type) {
      case 'AWS::S3::Bucket':
        return prop(found, 'BucketName') ?? found.logicalId.toLowerCase();
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::DynamoDB::Table':
        return prop(found, 'TableName') ?? found.logicalId;
      case 'AWS::Lambda::Function':
        return prop(found, 'FunctionName') ?? `${found.stack.name}-${found.logicalId}`;
      case 'AWS::IAM::Role':
        return prop(found, 'RoleName') ?? `${found.stack.name}-${found.logicalId}`;
      case 'AWS::SQS::Queue':
        return `https://sqs.${region}.amazonaws.com/${account}/${queueName(found)}`;
      case 'AWS::CloudFront::Distribution':
        return `E${localId(found)}`;
      case 'AWS::Cognito::UserPool':
        return `${region}_${localId(found, 9)}`;
      case 'AWS::Cognito::UserPoolClient':
        return localId(found, 26).toLowerCase();
      case 'AWS::ApiGatewayV2::Api':
        return localId(found, 10).toLowerCase();
      // These answer Ref with their ARN.
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${region}:${account}:stateMachine:${found.logicalId}`;
      case 'AWS::SNS::Topic':
        return `arn:aws:sns:${region}:${account}:${found.logicalId}`;
      default:
        return found.logicalId;
    }
  };
  const queueName = (found: Found) =>
    prop(found, 'QueueName') ??
    `${found.stack.name}-${found.logicalId}${found.resource.Properties?.FifoQueue ? '.fifo' : ''}`;
  const attributeOf = (found: Found, attribute: string): string => {
    const name = refName(found);
    switch (`${found.resource.Type}.${attribute}`) {
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${name}`;
      case 'AWS::S3::Bucket.RegionalDomainName':
        return `${name}.s3.${region}.amazonaws.com`;
      case 'AWS::SQS::Queue.Arn':
        return `arn:aws:sqs:${region}:${account}:${queueName(found)}`;
      case 'AWS::SQS::Queue.QueueName':
        return queueName(found);
      case 'AWS::SQS::Queue.QueueUrl':
        return name;
      case 'AWS::Lambda::Function.Arn':
        return `arn:aws:lambda:${region}:${account}:function:${name}`;
      case 'AWS::IAM::Role.Arn':
        return `arn:aws:iam::${account}:role/${name}`;
      case 'AWS::DynamoDB::GlobalTable.Arn':
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${region}:${account}:table/${name}`;
      case 'AWS::ApiGatewayV2::Api.ApiEndpoint':
        return `https://${name}.execute-api.${region}.amazonaws.com`;
      case 'AWS::CloudFront::Distribution.DomainName':
        return `d${name.toLowerCase()}.cloudfront.net`;
      case 'AWS::CloudFront::KeyValueStore.Arn':
        return `arn:aws:cloudfront::${account}:key-value-store/${uuidOf(found)}`;
      case 'AWS::CloudFront::KeyValueStore.Id':
        return uuidOf(found);
      case 'AWS::Cognito::UserPool.Arn':
        return `arn:aws:cognito-idp:${region}:${account}:userpool/${name}`;
      case 'AWS::KMS::Key.Arn':
        return `arn:aws:kms:${region}:${account}:key/${uuidOf(found)}`;
      case 'AWS::SNS::Topic.TopicArn':
        return `arn:aws:sns:${region}:${account}:${found.logicalId}`;
      case 'AWS::StepFunctions::StateMachine.Name':
        return found.logicalId;
      case 'AWS::Logs::LogGroup.Arn':
        return `arn:aws:logs:${region}:${account}:log-group:/aws/${found.logicalId}:*`;
      case 'AWS::StepFunctions::StateMachine.Arn':
        return name;
      default:
        return `${found.logicalId}.${attribute}`;
    }
  };
  return resolver;
}

function uuidOf(found: Found): string {
  const hex = (localId(found, 13) + localId({ ...found, logicalId: `${found.logicalId}#` }, 13))
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '0')
    .padEnd(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A function of the assembly as Lambda would run it: its code's folder, handler, limits and environment. */
export interface LambdaFunction {
  /** The construct path without the stack and the trailing `Resource` (`Ingest/Function`). */
  readonly id: string;
  readonly logicalId: string;
  readonly stack: string;
  readonly functionName: string;
  readonly arn: string;
  /** The folder of its bundle, inside the assembly. */
  readonly codeDir: string;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Exactly the variables its template sets, references resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** The logical id of its execution role, in its stack. */
  readonly role?: string;
}

/**
 * Every function of the assembly whose code is a bundle in the assembly (CDK's own inline handlers, which
 * only run during a deployment, are left out).
 */
export function lambdaFunctions(assembly: CloudAssembly, resolver: LocalResolver): LambdaFunction[] {
  return resourcesOfType(assembly, 'AWS::Lambda::Function').flatMap((found) => {
    const props = found.resource.Properties ?? {};
    const asset = found.resource.Metadata?.['aws:asset:path'];
    if (typeof asset !== 'string') return [];
    const resolve = (v: unknown) => resolveValue(assembly, found.stack, v, resolver);
    const variables = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables ?? {}) as Record<string, unknown>;
    const role = props.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
    return [
      {
        id: constructPath(found)
          .split('/')
          .slice(1)
          .filter((p) => p !== 'Resource')
          .join('/'),
        logicalId: found.logicalId,
        stack: found.stack.name,
        functionName: resolver.ref(found),
        arn: resolver.attribute(found, 'Arn'),
        codeDir: join(assembly.dir, asset),
        handler: String(props.Handler ?? 'index.handler'),
        runtime: String(props.Runtime ?? ''),
        timeoutSeconds: Number(props.Timeout ?? 3),
        memoryMb: Number(props.MemorySize ?? 128),
        environment: Object.fromEntries(
          Object.entries(variables).map(([name, value]) => [name, String(resolve(value))]),
        ),
        ...(role?.['Fn::GetAtt'] ? { role: role['Fn::GetAtt'][0] } : {}),
      },
    ];
  });
}

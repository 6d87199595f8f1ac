import type { AccessRequest } from './authorizer.ts';
import type { TableKeys } from './model.ts';

/**
 * The access key a SigV4 request is signed with: from the `Authorization` header, or a presigned URL's
 * `X-Amz-Credential`. Undefined for an unsigned (anonymous) request.
 */
export function accessKeyOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  url?: URL,
): string | undefined {
  const authorization = headers.authorization;
  const fromHeader =
    typeof authorization === 'string' ? /Credential=([^/,\s]+)\//.exec(authorization)?.[1] : undefined;
  return fromHeader ?? url?.searchParams.get('X-Amz-Credential')?.split('/')[0] ?? undefined;
}

/** The query parameters of a presigned URL that sign it (removed once the stand-in has checked them). */
export const SIGNING_PARAMETERS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
] as const;

/**
 * What S3 authorizes for a path-style request (the action per the S3 actions reference, with the condition
 * keys S3 supplies): `GET /b/k` is `s3:GetObject` on `arn:aws:s3:::b/k`, `GET /b?list-type=2&prefix=p` is
 * `s3:ListBucket` on the bucket with `s3:prefix`, a copy is `s3:PutObject` on the target and
 * `s3:GetObject` on the source, `DeleteObjects` is `s3:DeleteObject` for each key. An OPTIONS preflight is
 * answered from the CORS rules without authorization (an empty list).
 */
export function s3Requests(
  method: string,
  url: URL,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body?: string,
): AccessRequest[] {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const q = url.searchParams;
  const header = (name: string) => {
    const v = headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  if (method === 'OPTIONS') return [];
  if (bucket === '') return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const objectArn = `${bucketArn}/${key}`;
  if (key === '') {
    const sub = (name: string, get: string, put: string, del?: string): AccessRequest[] | undefined =>
      q.has(name)
        ? [
            {
              action: method === 'PUT' ? put : method === 'DELETE' ? (del ?? put) : get,
              resource: bucketArn,
            },
          ]
        : undefined;
    const listing = (action: string): AccessRequest[] => [
      {
        action,
        resource: bucketArn,
        context: {
          ...(q.get('prefix') !== null ? { 's3:prefix': q.get('prefix') ?? '' } : {}),
          ...(q.get('delimiter') !== null ? { 's3:delimiter': q.get('delimiter') ?? '' } : {}),
          ...(q.get('max-keys') !== null ? { 's3:max-keys': q.get('max-keys') ?? '' } : {}),
        },
      },
    ];
    if (method === 'POST' && q.has('delete')) {
      return [...(body ?? '').matchAll(/<Object>([\s\S]*?)<\/Object>/g)].map((m) => {
        const inner = m[1] ?? '';
        const k = unescapeXml(/<Key>([\s\S]*?)<\/Key>/.exec(inner)?.[1] ?? '');
        const version = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(inner)?.[1];
        return {
          action: version ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
          resource: `${bucketArn}/${k}`,
        };
      });
    }
    return (
      sub('cors', 's3:GetBucketCORS', 's3:PutBucketCORS') ??
      sub('policy', 's3:GetBucketPolicy', 's3:PutBucketPolicy', 's3:DeleteBucketPolicy') ??
      sub('versioning', 's3:GetBucketVersioning', 's3:PutBucketVersioning') ??
      sub('notification', 's3:GetBucketNotification', 's3:PutBucketNotification') ??
      sub('lifecycle', 's3:GetLifecycleConfiguration', 's3:PutLifecycleConfiguration') ??
      sub('location', 's3:GetBucketLocation', 's3:GetBucketLocation') ??
      sub('uploads', 's3:ListBucketMultipartUploads', 's3:ListBucketMultipartUploads') ??
      (q.has('versions')
        ? listing('s3:ListBucketVersions')
        : method === 'PUT'
          ? [{ action: 's3:CreateBucket', resource: bucketArn }]
          : method === 'DELETE'
            ? [{ action: 's3:DeleteBucket', resource: bucketArn }]
            : listing('s3:ListBucket'))
    );
  }
  const versionId = q.get('versionId');
  const versioned: Record<string, string> = versionId ? { 's3:versionid': versionId } : {};
  if (method === 'GET' || method === 'HEAD') {
    if (q.has('tagging'))
      return [
        { action: versionId ? 's3:GetObjectVersionTagging' : 's3:GetObjectTagging', resource: objectArn },
      ];
    return [
      { action: versionId ? 's3:GetObjectVersion' : 's3:GetObject', resource: objectArn, context: versioned },
    ];
  }
  if (method === 'DELETE') {
    if (q.has('uploadId')) return [{ action: 's3:AbortMultipartUpload', resource: objectArn }];
    return [
      {
        action: versionId ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
        resource: objectArn,
        context: versioned,
      },
    ];
  }
  if (method === 'PUT' && q.has('tagging')) return [{ action: 's3:PutObjectTagging', resource: objectArn }];
  // PUT, a part of a multipart upload, and the POSTs that start and complete one are all s3:PutObject.
  const encryption = header('x-amz-server-side-encryption') ?? q.get('x-amz-server-side-encryption');
  const put: AccessRequest = {
    action: 's3:PutObject',
    resource: objectArn,
    context: encryption ? { 's3:x-amz-server-side-encryption': encryption } : {},
  };
  const copySource = header('x-amz-copy-source');
  if (method === 'PUT' && copySource) {
    const [path = '', query = ''] = copySource.split('?');
    const source = decodeURIComponent(path).replace(/^\//, '');
    const sourceVersion = new URLSearchParams(query).get('versionId');
    return [
      put,
      { action: sourceVersion ? 's3:GetObjectVersion' : 's3:GetObject', resource: `arn:aws:s3:::${source}` },
    ];
  }
  return [put];
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

type AttributeValue = { S?: string; N?: string; B?: string };
const valueText = (v: AttributeValue | undefined) => v?.S ?? v?.N ?? v?.B;

/**
 * What DynamoDB authorizes for a call of its JSON API (`X-Amz-Target: DynamoDB_20120810.<Operation>`): the
 * operation on the table (or the index a query names), with `dynamodb:LeadingKeys` the partition key
 * values the call touches. A transaction is authorized item by item, as each item's own action.
 */
export function dynamoRequests(
  operation: string,
  input: Record<string, unknown>,
  tables: Readonly<Record<string, TableKeys>>,
  arnOf: (table: string, index?: string) => string,
): AccessRequest[] {
  const leading = (table: string, values: (string | undefined)[]): Record<string, string[]> => {
    const keys = values.filter((v): v is string => v !== undefined);
    return tables[table] && keys.length > 0 ? { 'dynamodb:LeadingKeys': [...new Set(keys)] } : {};
  };
  const itemKey = (table: string, item: unknown) =>
    valueText((item as Record<string, AttributeValue> | undefined)?.[tables[table]?.partitionKey ?? '']);
  const single = (action: string, table: string, item: unknown, fields = input): AccessRequest => ({
    action: `dynamodb:${action}`,
    resource: arnOf(table),
    context: {
      ...leading(table, [itemKey(table, item)]),
      ...attributesOf(action, fields, item),
      ...(typeof fields.ReturnValues === 'string' ? { 'dynamodb:ReturnValues': fields.ReturnValues } : {}),
    },
  });
  const table = String(input.TableName ?? '');
  switch (operation) {
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return [single(operation, table, input.Key)];
    case 'PutItem':
      return [single(operation, table, input.Item)];
    case 'Query': {
      const index = typeof input.IndexName === 'string' ? input.IndexName : undefined;
      const partitionKey = index ? tables[table]?.indexes[index] : tables[table]?.partitionKey;
      return [
        {
          action: 'dynamodb:Query',
          resource: arnOf(table, index),
          context: {
            ...leading(table, [queriedPartition(input, partitionKey)]),
            ...attributesOf('Query', input, undefined),
            ...(typeof input.Select === 'string' ? { 'dynamodb:Select': input.Select } : {}),
          },
        },
      ];
    }
    case 'Scan': {
      const index = typeof input.IndexName === 'string' ? input.IndexName : undefined;
      return [{ action: 'dynamodb:Scan', resource: arnOf(table, index) }];
    }
    case 'BatchWriteItem':
    case 'BatchGetItem': {
      const items = (input.RequestItems ?? {}) as Record<string, unknown>;
      return Object.entries(items).map(([name, requests]) => {
        const keys =
          operation === 'BatchGetItem'
            ? ((requests as { Keys?: unknown[] }).Keys ?? []).map((k) => itemKey(name, k))
            : (requests as { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } }[]).map((r) =>
                itemKey(name, r.PutRequest?.Item ?? r.DeleteRequest?.Key),
              );
        return { action: `dynamodb:${operation}`, resource: arnOf(name), context: leading(name, keys) };
      });
    }
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const entries = (input.TransactItems ?? []) as Record<
        string,
        { TableName: string; Key?: unknown; Item?: unknown }
      >[];
      return entries.flatMap((entry) =>
        Object.entries(entry).map(([kind, item]) => {
          const action =
            kind === 'Put'
              ? 'PutItem'
              : kind === 'Update'
                ? 'UpdateItem'
                : kind === 'Delete'
                  ? 'DeleteItem'
                  : kind === 'Get'
                    ? 'GetItem'
                    : 'ConditionCheckItem';
          return single(action, item.TableName, item.Key ?? item.Item, item as Record<string, unknown>);
        }),
      );
    }
    case 'ListTables':
      return [{ action: 'dynamodb:ListTables', resource: '*' }];
    default:
      return [{ action: `dynamodb:${operation}`, resource: arnOf(table) }];
  }
}

const EXPRESSION_WORDS = new Set([
  'SET',
  'ADD',
  'REMOVE',
  'DELETE',
  'if_not_exists',
  'list_append',
  'AND',
  'OR',
  'NOT',
]);

/**
 * `dynamodb:Attributes`: the attribute names a call reads or writes, as DynamoDB supplies them: an item's
 * names for a put, the key's and the update expression's for an update, the projection's for a read that
 * names one (a read of whole items supplies none).
 */
function attributesOf(
  action: string,
  input: Record<string, unknown>,
  item: unknown,
): Record<string, string[]> {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const fromExpression = (expression: unknown) =>
    String(expression ?? '')
      .split(/[\s,=+\-()<>]+/)
      .filter((t) => t !== '' && !t.startsWith(':') && !EXPRESSION_WORDS.has(t))
      .map((t) => {
        const first = t.split(/[.[]/)[0] ?? t;
        return first.startsWith('#') ? (names[first] ?? first) : first;
      });
  const keyNames = item && typeof item === 'object' ? Object.keys(item) : [];
  const found =
    action === 'PutItem'
      ? keyNames
      : action === 'UpdateItem'
        ? [...keyNames, ...fromExpression(input.UpdateExpression)]
        : action === 'DeleteItem'
          ? keyNames
          : input.ProjectionExpression
            ? fromExpression(input.ProjectionExpression)
            : [];
  return found.length > 0 ? { 'dynamodb:Attributes': [...new Set(found)] } : {};
}

/** The partition key value a query's key condition fixes (`#pk = :pk`, names and values substituted). */
function queriedPartition(
  input: Record<string, unknown>,
  partitionKey: string | undefined,
): string | undefined {
  if (!partitionKey) return undefined;
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
  const legacy = (input.KeyConditions ?? {}) as Record<string, { AttributeValueList?: AttributeValue[] }>;
  if (legacy[partitionKey]) return valueText(legacy[partitionKey].AttributeValueList?.[0]);
  const expression = String(input.KeyConditionExpression ?? '');
  const nameOf = (token: string) => (token.startsWith('#') ? names[token] : token);
  for (const m of expression.matchAll(/([#\w.]+)\s*=\s*(:\w+)|(:\w+)\s*=\s*([#\w.]+)/g)) {
    const [attribute, placeholder] = m[1] ? [m[1], m[2]] : [m[4], m[3]];
    if (attribute && placeholder && nameOf(attribute) === partitionKey) return valueText(values[placeholder]);
  }
  return undefined;
}

import { describe, expect, it } from 'vitest';
import { accessKeyOf, dynamoRequests, s3Requests } from '../../local/iam/requests.ts';

const B = 'arn:aws:s3:::drafts';

describe('what S3 authorizes for a request', () => {
  it.each([
    [
      'GET',
      '/drafts/kinh-te/a.md',
      {},
      undefined,
      [{ action: 's3:GetObject', resource: `${B}/kinh-te/a.md`, context: {} }],
    ],
    [
      'HEAD',
      '/drafts/kinh-te/a%20b.md',
      {},
      undefined,
      [{ action: 's3:GetObject', resource: `${B}/kinh-te/a b.md`, context: {} }],
    ],
    [
      'GET',
      '/drafts/kinh-te/a.md?versionId=v1',
      {},
      undefined,
      [{ action: 's3:GetObjectVersion', resource: `${B}/kinh-te/a.md`, context: { 's3:versionid': 'v1' } }],
    ],
    [
      'GET',
      '/drafts?list-type=2&prefix=kinh-te%2F',
      {},
      undefined,
      [{ action: 's3:ListBucket', resource: B, context: { 's3:prefix': 'kinh-te/' } }],
    ],
    [
      'GET',
      '/drafts?versions&prefix=',
      {},
      undefined,
      [{ action: 's3:ListBucketVersions', resource: B, context: { 's3:prefix': '' } }],
    ],
    ['PUT', '/drafts?cors', {}, undefined, [{ action: 's3:PutBucketCORS', resource: B }]],
    [
      'PUT',
      '/drafts/kinh-te/a.md',
      { 'x-amz-server-side-encryption': 'aws:kms' },
      undefined,
      [
        {
          action: 's3:PutObject',
          resource: `${B}/kinh-te/a.md`,
          context: { 's3:x-amz-server-side-encryption': 'aws:kms' },
        },
      ],
    ],
    [
      'PUT',
      '/drafts/kinh-te/a.md',
      { 'x-amz-copy-source': '/drafts/kinh-te/a.md?versionId=v0' },
      undefined,
      [
        { action: 's3:PutObject', resource: `${B}/kinh-te/a.md`, context: {} },
        { action: 's3:GetObjectVersion', resource: `${B}/kinh-te/a.md` },
      ],
    ],
    [
      'DELETE',
      '/drafts/kinh-te/a.md?versionId=v0',
      {},
      undefined,
      [
        {
          action: 's3:DeleteObjectVersion',
          resource: `${B}/kinh-te/a.md`,
          context: { 's3:versionid': 'v0' },
        },
      ],
    ],
    [
      'POST',
      '/drafts?delete',
      {},
      '<Delete><Object><Key>a&amp;b.md</Key></Object><Object><Key>c.md</Key><VersionId>v9</VersionId></Object></Delete>',
      [
        { action: 's3:DeleteObject', resource: `${B}/a&b.md` },
        { action: 's3:DeleteObjectVersion', resource: `${B}/c.md` },
      ],
    ],
    ['OPTIONS', '/drafts/kinh-te/a.md', {}, undefined, []],
  ] as const)('%s %s', (method, path, headers, body, expected) => {
    expect(s3Requests(method, new URL(path, 'http://s3'), headers, body)).toEqual(expected);
  });

  it('knows the caller by the key of the Authorization header or of a presigned URL', () => {
    expect(
      accessKeyOf({
        authorization:
          'AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261208/us-east-1/s3/aws4_request, SignedHeaders=host',
      }),
    ).toBe('ASIAEXAMPLE');
    expect(
      accessKeyOf(
        {},
        new URL('http://s3/b/k?X-Amz-Credential=AKIAEXAMPLE%2F20261208%2Fus-east-1%2Fs3%2Faws4_request'),
      ),
    ).toBe('AKIAEXAMPLE');
    expect(accessKeyOf({}, new URL('http://s3/b/k'))).toBeUndefined();
  });
});

describe('what DynamoDB authorizes for a call', () => {
  const tables = { articles: { partitionKey: 'pk', indexes: { byTime: 'feed' } } };
  const arnOf = (table: string, index?: string) => `table/${table}${index ? `/index/${index}` : ''}`;
  it.each([
    [
      'PutItem',
      { TableName: 'articles', Item: { pk: { S: 'archive#2026-12' }, sk: { S: 'p1' } } },
      [
        {
          action: 'dynamodb:PutItem',
          resource: 'table/articles',
          context: { 'dynamodb:LeadingKeys': ['archive#2026-12'], 'dynamodb:Attributes': ['pk', 'sk'] },
        },
      ],
    ],
    [
      'UpdateItem',
      {
        TableName: 'articles',
        Key: { pk: { S: 'limit#x' }, sk: { S: 'count' } },
        UpdateExpression: 'ADD posts :one SET #e = :expires',
        ExpressionAttributeNames: { '#e': 'expiresAt' },
        ReturnValues: 'ALL_NEW',
      },
      [
        {
          action: 'dynamodb:UpdateItem',
          resource: 'table/articles',
          context: {
            'dynamodb:LeadingKeys': ['limit#x'],
            'dynamodb:Attributes': ['pk', 'sk', 'posts', 'expiresAt'],
            'dynamodb:ReturnValues': 'ALL_NEW',
          },
        },
      ],
    ],
    [
      'Query',
      {
        TableName: 'articles',
        IndexName: 'byTime',
        KeyConditionExpression: '#f = :feed AND publishedAt < :before',
        ExpressionAttributeNames: { '#f': 'feed' },
        ExpressionAttributeValues: { ':feed': { S: 'all' }, ':before': { S: '2026' } },
      },
      [
        {
          action: 'dynamodb:Query',
          resource: 'table/articles/index/byTime',
          context: { 'dynamodb:LeadingKeys': ['all'] },
        },
      ],
    ],
    ['Scan', { TableName: 'articles' }, [{ action: 'dynamodb:Scan', resource: 'table/articles' }]],
    [
      'BatchWriteItem',
      {
        RequestItems: {
          articles: [
            { PutRequest: { Item: { pk: { S: 'article#a' } } } },
            { DeleteRequest: { Key: { pk: { S: 'article#b' } } } },
          ],
        },
      },
      [
        {
          action: 'dynamodb:BatchWriteItem',
          resource: 'table/articles',
          context: { 'dynamodb:LeadingKeys': ['article#a', 'article#b'] },
        },
      ],
    ],
    [
      'TransactWriteItems',
      {
        TransactItems: [
          { Put: { TableName: 'articles', Item: { pk: { S: 'a' } } } },
          { Delete: { TableName: 'articles', Key: { pk: { S: 'b' } } } },
        ],
      },
      [
        {
          action: 'dynamodb:PutItem',
          resource: 'table/articles',
          context: { 'dynamodb:LeadingKeys': ['a'], 'dynamodb:Attributes': ['pk'] },
        },
        {
          action: 'dynamodb:DeleteItem',
          resource: 'table/articles',
          context: { 'dynamodb:LeadingKeys': ['b'], 'dynamodb:Attributes': ['pk'] },
        },
      ],
    ],
  ] as const)('%s', (operation, input, expected) => {
    expect(dynamoRequests(operation, input as Record<string, unknown>, tables, arnOf)).toEqual(expected);
  });
});

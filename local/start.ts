import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ACCESS_REPORT_FILE, REBUILD_TOKEN_FILE, startLocalStack } from './stack.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    reset: { type: 'boolean', default: false },
    'no-examples': { type: 'boolean', default: false },
    'no-cdn': { type: 'boolean', default: false },
    'no-iam': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`npm start [-- --reset] [-- --no-examples] [-- --no-cdn] [-- --no-iam]
  --reset        start from empty buckets and table (deletes .local/)
  --no-examples  do not upload the example drafts
  --no-cdn       serve straight from the site bucket, without the CloudFront cache model
  --no-iam       allow every call (for debugging; LOCAL_IAM=off does the same): the site says so
Ports: S3_PORT (4569), DYNAMODB_PORT (8000), PORT (3000), AWS_SERVICES_PORT (4570: SQS, CloudFront,
Scheduler, SES), COGNITO_PORT (4571). State: LOCAL_DATA_DIR (.local/).`);
  process.exit(0);
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    console.error(`${name}=${raw} is not a port number (0-65535).`);
    process.exit(2);
  }
  return n;
}

const dataDir = process.env.LOCAL_DATA_DIR ?? `${root}.local`;
const stack = await startLocalStack({
  dataDir,
  s3Port: port('S3_PORT', 4569),
  dynamoPort: port('DYNAMODB_PORT', 8000),
  sitePort: port('PORT', 3000),
  servicesPort: port('AWS_SERVICES_PORT', 4570),
  cognitoPort: port('COGNITO_PORT', 4571),
  reset: values.reset,
  cdnCaching: !values['no-cdn'],
  iam: !values['no-iam'] && process.env.LOCAL_IAM !== 'off',
  ...(values['no-examples'] ? {} : { examplesDir: `${root}examples/drafts` }),
  log: (line) => console.log(line),
});

const editor = stack.credentials.editor;
console.log(`
Newsroom pipeline running locally.

  Site      ${stack.siteUrl}/    ${stack.cdn.caching ? 'through the CDN model: cached as CloudFront caches (x-cache, age)' : 'straight from the bucket (--no-cdn)'}
  S3        ${stack.s3Endpoint}    buckets: ${stack.names.draftsBucket} (upload drafts here), ${stack.names.siteBucket}
  DynamoDB  ${stack.dynamoEndpoint}    tables: ${stack.names.articleTable}, ${stack.names.commentTable}
  SQS, CloudFront, Scheduler, SES  ${stack.servicesEndpoint}    Cognito  ${stack.cognitoEndpoint}
  IAM       ${stack.iamEnforced ? "every call decided by the template's policies" : 'NOT ENFORCED (--no-iam): every call is allowed'}; report: ${dataDir}/${ACCESS_REPORT_FILE} at stop

Publish a draft as an editor (the template's editors' policy; images first, then the draft):
  export AWS_ACCESS_KEY_ID=${editor.accessKeyId} AWS_SECRET_ACCESS_KEY=${editor.secretAccessKey} AWS_DEFAULT_REGION=us-east-1
  aws --endpoint-url ${stack.s3Endpoint} s3 cp examples/drafts/xay-dung-dang/ s3://${stack.names.draftsBucket}/xay-dung-dang/ --recursive
Editors' desk: ${stack.siteUrl}/desk/${stack.deskUser ? `    user ${stack.deskUser.username}, temporary password ${stack.deskUser.password} (shown once; a new one is chosen at first sign-in)` : ''}
  editors in user pool ${stack.desk.userPoolId} (cognito-local, ${stack.cognitoEndpoint})
Readers' comments wait for a moderator: npm run comments -- pending, then approve <id> (docs/comments.md)
Rebuild every page: npm run rebuild    (token: ${stack.rebuildToken}, also in ${dataDir}/${REBUILD_TOKEN_FILE})
Read the editor's report:
  aws --endpoint-url ${stack.s3Endpoint} s3 cp s3://${stack.names.draftsBucket}/reports/xay-dung-dang/nang-cao-nang-luc-lanh-dao.md.json -

Ctrl-C stops everything; state is kept in .local/ (npm start -- --reset starts afresh).
`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  console.log('\nStopping...');
  await stack.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());

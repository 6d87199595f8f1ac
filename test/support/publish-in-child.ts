// Run as its own process (see the end-to-end test): starts a fresh local stack, uploads the example drafts
// with the seed article in NFD form, and prints the seed page's bytes, base64, as the last line.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { pageKey } from '#shared/domain/article.ts';
import { startLocalStack } from '../../local/stack.ts';
import { EXAMPLE_KEYS, EXAMPLES, SEED_IMAGE_KEY, SEED_KEY, SEED_PATH } from './site.ts';
import { s3Of } from './stand-ins.ts';

const stack = await startLocalStack({
  dataDir: mkdtempSync(join(tmpdir(), 'newsroom-child-')),
  s3Port: 0,
  dynamoPort: 0,
  sitePort: 0,
});
const s3 = s3Of(stack);
const put = (key: string, body: Buffer | string) =>
  s3.send(new PutObjectCommand({ Bucket: stack.names.draftsBucket, Key: key, Body: body }));
await put(SEED_KEY, readFileSync(join(EXAMPLES, SEED_KEY), 'utf8').normalize('NFD'));
for (const key of [...EXAMPLE_KEYS].filter((k) => k !== SEED_KEY).reverse())
  await put(key, readFileSync(join(EXAMPLES, key)));
await put(SEED_IMAGE_KEY, readFileSync(join(EXAMPLES, SEED_IMAGE_KEY)));
await stack.whenIdle();
const response = await fetch(`${stack.siteUrl}${SEED_PATH}`);
const bytes = Buffer.from(await response.arrayBuffer());
await stack.stop();
s3.destroy();
process.stdout.write(
  `\n${JSON.stringify({ status: response.status, key: pageKey(SEED_PATH), page: bytes.toString('base64') })}\n`,
);

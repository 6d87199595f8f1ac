// The end-to-end burst, run by bench/run.ts in its own process (with a TypeScript loader: the local stack
// reads files beside its sources). By hand: npx tsx bench/burst.ts 100
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseSiteConfig, type SiteConfig } from '#shared/domain/site.ts';
import { reportKey } from '#shared/ports.ts';
import { startLocalStack } from '../local/stack.ts';
import { generateCorpus } from './corpus.ts';

const POLL_MS = 100;
const UPLOADERS = 16;

/**
 * A burst of `count` drafts uploaded through the S3 API into the local stack (s3rver, dynalite, the real
 * handlers behind local queues): when each one's page went live (its report says published; the page is
 * written before that), and when every list had caught up (the queues drained). Peak RSS is the whole
 * process: the stack and this uploader.
 */
async function burst(count: number, site: SiteConfig) {
  const dataDir = mkdtempSync(join(process.cwd(), 'node_modules/.cache/burst-'));
  const stack = await startLocalStack({ dataDir, s3Port: 0, dynamoPort: 0, sitePort: 0, reset: true });
  const s3 = new S3Client({
    endpoint: stack.s3Endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: stack.credentials.editor,
  });
  const corpus = generateCorpus(count, site, 7);
  const uploadedAt = new Map<string, number>();
  const liveAt = new Map<string, number>();
  const failed: string[] = [];
  const t0 = performance.now();

  let polling = true;
  const poll = (async () => {
    while (polling) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: stack.names.draftsBucket,
            Prefix: 'reports/',
            ContinuationToken: token,
          }),
        );
        for (const { Key } of page.Contents ?? []) {
          const draftKey = Key?.slice('reports/'.length, -'.json'.length);
          if (!draftKey || liveAt.has(draftKey) || failed.includes(draftKey)) continue;
          const now = performance.now();
          const text = await (
            await s3.send(
              new GetObjectCommand({ Bucket: stack.names.draftsBucket, Key: reportKey(draftKey) }),
            )
          ).Body?.transformToString();
          // s3rver lists an object while it still writes its file (S3 shows it whole or not at all): a
          // report read half-written is read again at the next poll.
          let report: { status?: string };
          try {
            report = JSON.parse(text ?? '');
          } catch {
            continue;
          }
          if (report.status === 'published') liveAt.set(draftKey, now);
          else failed.push(draftKey);
        }
        token = page.NextContinuationToken;
      } while (token);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();

  const queue = [...corpus];
  await Promise.all(
    Array.from({ length: UPLOADERS }, async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        if (d.image) {
          await s3.send(
            new PutObjectCommand({ Bucket: stack.names.draftsBucket, Key: d.image.key, Body: d.image.bytes }),
          );
        }
        await s3.send(new PutObjectCommand({ Bucket: stack.names.draftsBucket, Key: d.key, Body: d.text }));
        uploadedAt.set(d.key, performance.now());
      }
    }),
  );
  const uploadedMs = performance.now() - t0;
  await stack.whenIdle();
  const idleMs = performance.now() - t0;
  while (liveAt.size + failed.length < count) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  polling = false;
  await poll;
  const allLiveMs = Math.max(...liveAt.values()) - t0;
  const latencies = [...liveAt].map(([key, at]) => at - (uploadedAt.get(key) ?? at)).sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  await stack.stop();
  s3.destroy();
  rmSync(dataDir, { recursive: true, force: true });
  return {
    task: 'burst',
    count,
    live: liveAt.size,
    failed: failed.length,
    uploadedMs,
    allLiveMs,
    listsCaughtUpMs: idleMs,
    p50Ms: pct(0.5),
    p95Ms: pct(0.95),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

const site = parseSiteConfig(JSON.parse(readFileSync(`${process.cwd()}/cdk.json`, 'utf8')).context.newsroom);
console.log(JSON.stringify(await burst(Number(process.argv[2] ?? '1000'), site)));

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import { REBUILD_PATH, REBUILD_TOKEN_FILE } from './site-server.ts';

/**
 * `npm run rebuild`: asks the running local stack (`npm start`) to regenerate every page and list from the
 * drafts and the table, and shows its progress. In AWS the same rebuild runs in the ingest function
 * (`aws lambda invoke --payload '{"rebuild":{}}'`, see docs/operations.md).
 */
const port = process.env.PORT ?? '3000';
const url = `http://127.0.0.1:${port}${REBUILD_PATH}`;

// The running stack wrote its token beside its state (LOCAL_DATA_DIR, .local/ by default).
const dataDir = process.env.LOCAL_DATA_DIR ?? fileURLToPath(new URL('../.local', import.meta.url));
let token = process.env.REBUILD_TOKEN;
if (!token) {
  try {
    token = readFileSync(`${dataDir}/${REBUILD_TOKEN_FILE}`, 'utf8').trim();
  } catch {
    console.error(
      `No rebuild token in ${dataDir}/${REBUILD_TOKEN_FILE}: is "npm start" running (LOCAL_DATA_DIR)?`,
    );
    process.exit(1);
  }
}

let response: Response;
try {
  response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
} catch {
  console.error(
    `No local stack answers at 127.0.0.1:${port}. Start it with "npm start" (PORT sets its port).`,
  );
  process.exit(1);
}
if (!response.ok || !response.body) {
  console.error(`The local stack refused the rebuild: ${response.status} ${await response.text()}`);
  process.exit(1);
}

const bars = new Map<string, SingleBar>();
const label = { drafts: 'Drafts applied', pages: 'Pages rendered' } as Record<string, string>;
let buffered = '';
const decoder = new TextDecoder();
for await (const chunk of response.body) {
  buffered += decoder.decode(chunk as Uint8Array, { stream: true });
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines.filter((l) => l.trim() !== '')) {
    const message = JSON.parse(line) as {
      phase?: string;
      done?: number;
      total?: number;
      result?: Record<string, number>;
      error?: string;
    };
    if (message.error) {
      for (const bar of bars.values()) bar.stop();
      console.error(`The rebuild failed: ${message.error}`);
      process.exit(1);
    }
    if (message.result) {
      for (const bar of bars.values()) bar.stop();
      const { drafts, pages, removed } = message.result;
      console.log(
        `Rebuilt: ${drafts} drafts applied, ${pages} pages and lists rendered, ${removed} stray pages removed.`,
      );
      continue;
    }
    const phase = message.phase ?? 'drafts';
    let bar = bars.get(phase);
    if (!bar) {
      for (const other of bars.values()) other.stop();
      bar = new SingleBar({
        format: `${(label[phase] ?? phase).padEnd(15)} [{bar}] {value}/{total}`,
        hideCursor: true,
      });
      bar.start(message.total ?? 0, 0);
      bars.set(phase, bar);
    }
    bar.update(message.done ?? 0);
  }
}

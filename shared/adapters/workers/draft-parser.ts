import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, type Worker, workerData } from 'node:worker_threads';
import { type ParseResult, parseDraft } from '../../domain/draft.ts';
import type { SiteConfig } from '../../domain/site.ts';
import { startModuleWorker } from './start-worker.ts';

/**
 * Drafts parsed on worker threads: reading, validating and rendering a body is most of the CPU a rebuild
 * spends, and each draft is independent of the others, so a machine's other cores take that part while the
 * main thread keeps the index and writes the pages. When every worker already has a few drafts queued, the
 * main thread parses the next one itself, so that neither waits for the other. A parse result is plain data
 * (the body is rendered HTML with slots for its images), so it crosses threads as it is.
 *
 * The worker runs this same module: bundled or not, the file that holds this code starts the workers.
 */
export class WorkerDraftParser {
  readonly #site: SiteConfig;
  readonly #backlog: number;
  /** Per worker: replies not yet handled here (`pending`), and drafts not yet parsed there (`queued`, shared). */
  readonly #workers: { worker: Worker; pending: number; queued: Int32Array }[];
  readonly #waiting = new Map<number, { resolve: (r: ParseResult) => void; reject: (e: Error) => void }>();
  #next = 0;
  /** How many drafts were parsed where: the workers' share against this thread's. */
  readonly parsed = { inWorkers: 0, here: 0 };

  /**
   * @param backlog drafts queued on a worker before this thread parses the next one itself: enough that a
   *   worker never waits for work, few enough that this thread, when it has nothing else to do, shares it.
   */
  constructor(site: SiteConfig, threads = Math.max(1, availableParallelism() - 1), backlog = 4) {
    this.#site = site;
    this.#backlog = backlog;
    this.#workers = Array.from({ length: threads }, () => {
      const queued = new Int32Array(new SharedArrayBuffer(4));
      const worker = startModuleWorker(import.meta.url, { role: ROLE, site, queued });
      const slot = { worker, pending: 0, queued };
      worker.on('message', (message: Reply) => {
        slot.pending -= 1;
        if (slot.pending === 0) worker.unref();
        const waiting = this.#waiting.get(message.id);
        this.#waiting.delete(message.id);
        if (!waiting) return;
        if ('error' in message) waiting.reject(new Error(message.error));
        else waiting.resolve(message.result);
      });
      worker.on('error', (error) => {
        for (const w of this.#waiting.values()) w.reject(error);
        this.#waiting.clear();
      });
      // An idle worker does not keep the process alive; one with drafts to parse does.
      worker.unref();
      return slot;
    });
  }

  /**
   * Parses on the least busy worker, or on this thread when every worker has its backlog; the same result as
   * {@link parseDraft} either way.
   */
  parse = (key: string, bytes: Uint8Array): Promise<ParseResult> => {
    // What a worker has left to do, as it counts it: replies it sent may still wait for this thread.
    const slot = this.#workers.reduce((a, b) =>
      Atomics.load(b.queued, 0) < Atomics.load(a.queued, 0) ? b : a,
    );
    if (Atomics.load(slot.queued, 0) >= this.#backlog) {
      this.parsed.here += 1;
      try {
        return Promise.resolve(parseDraft(key, bytes, this.#site));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.parsed.inWorkers += 1;
    const id = this.#next++;
    slot.pending += 1;
    Atomics.add(slot.queued, 0, 1);
    slot.worker.ref();
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      slot.worker.postMessage({ id, key, bytes } satisfies Request);
    });
  };

  async close(): Promise<void> {
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()));
  }
}

const ROLE = 'newsroom-draft-parser';

interface Request {
  readonly id: number;
  readonly key: string;
  readonly bytes: Uint8Array;
}
type Reply =
  | { readonly id: number; readonly result: ParseResult }
  | { readonly id: number; readonly error: string };

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE && parentPort) {
  const port = parentPort;
  const { site, queued } = workerData as { site: SiteConfig; queued: Int32Array };
  port.on('message', ({ id, key, bytes }: Request) => {
    let reply: Reply;
    try {
      reply = { id, result: parseDraft(key, bytes, site) };
    } catch (error) {
      reply = { id, error: error instanceof Error ? error.message : String(error) };
    }
    Atomics.sub(queued, 0, 1);
    port.postMessage(reply);
  });
}

/** Whether this thread is one of the parser's workers (a bundle that holds the parser skips its own work). */
export const isDraftParserWorker = !isMainThread && (workerData as { role?: string } | null)?.role === ROLE;

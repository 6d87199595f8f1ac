import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { PublishScheduler } from '../../ports.ts';

/** setTimeout cannot wait longer than about 24.8 days; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The local stand-in for EventBridge Scheduler: a timer per scheduled draft, kept in a JSON file so that
 * schedules survive a restart (one that fell due while the stack was stopped fires at start).
 */
export class TimerPublishScheduler implements PublishScheduler {
  readonly #due = new Map<string, Date>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly fire: (draftKey: string, at: Date) => void,
  ) {
    if (existsSync(file)) {
      for (const [key, at] of Object.entries(
        JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>,
      )) {
        this.#arm(key, new Date(at));
      }
    }
  }

  async schedule(draftKey: string, at: Date): Promise<void> {
    this.#arm(draftKey, at);
    await this.#save();
  }

  async cancel(draftKey: string): Promise<void> {
    clearTimeout(this.#timers.get(draftKey));
    this.#timers.delete(draftKey);
    if (this.#due.delete(draftKey)) await this.#save();
  }

  /** Stops every timer (the stack is shutting down); the schedules stay in the file. */
  stop(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  #arm(draftKey: string, at: Date): void {
    clearTimeout(this.#timers.get(draftKey));
    this.#due.set(draftKey, at);
    const wait = at.getTime() - Date.now();
    const timer = setTimeout(
      () => {
        if (wait > MAX_TIMER_MS) return this.#arm(draftKey, at);
        this.#timers.delete(draftKey);
        this.#due.delete(draftKey);
        void this.#save();
        this.fire(draftKey, at);
      },
      Math.max(0, Math.min(wait, MAX_TIMER_MS)),
    );
    timer.unref();
    this.#timers.set(draftKey, timer);
  }

  async #save(): Promise<void> {
    const snapshot = JSON.stringify(
      Object.fromEntries([...this.#due].map(([k, at]) => [k, at.toISOString()])),
      null,
      2,
    );
    this.#writing = this.#writing.then(async () => {
      await writeFile(`${this.file}.tmp`, snapshot);
      await rename(`${this.file}.tmp`, this.file);
    });
    await this.#writing;
  }
}

import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { type EdgeRule, encodeEdgeRule } from '../../domain/edge-rules.ts';
import type { EdgeRules } from '../../ports.ts';

/**
 * Edge rules for the local site server: the KeyValueStore's stand-in, kept in a JSON file beside the other
 * local state so that redirects and takedowns survive a restart.
 */
export class FileEdgeRules implements EdgeRules {
  readonly #values: Map<string, string>;
  #writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {
    this.#values = new Map(
      existsSync(file)
        ? Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>)
        : [],
    );
  }

  async set(path: string, rule: EdgeRule | undefined): Promise<void> {
    if (rule) this.#values.set(path, encodeEdgeRule(rule));
    else this.#values.delete(path);
    const snapshot = JSON.stringify(Object.fromEntries(this.#values), null, 2);
    this.#writing = this.#writing.then(async () => {
      await writeFile(`${this.file}.tmp`, snapshot);
      await rename(`${this.file}.tmp`, this.file);
    });
    await this.#writing;
  }

  /** The value the edge function reads for a path. */
  async value(path: string): Promise<string | undefined> {
    return this.#values.get(path);
  }
}

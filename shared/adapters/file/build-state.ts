import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppliedUpload, EdgeRule } from '../../ports.ts';
import { type IndexState, MemoryAppliedUploads, MemoryEdgeRules } from '../memory/index.ts';
import { FileArticleIndex } from './stores.ts';

/** The dot-folder under a build's output that keeps what the build knows between runs. */
export const BUILD_STATE_FOLDER = '.newsroom';
const STATE_FILE = 'state.json';
/** Present while a build runs: found at the start, the last build stopped half-way and its state is not trusted. */
const RUNNING_FILE = 'running';
/** Bumped when the state's shape changes: an older state is not read, and the build starts afresh. */
const STATE_VERSION = 1;

interface SavedState {
  readonly version: number;
  readonly index: IndexState;
  readonly applied: readonly AppliedUpload[];
  readonly edgeRules: readonly (readonly [string, EdgeRule])[];
}

/**
 * A build's memory between runs, in `<out>/.newsroom/`: the article records (a file each, as
 * {@link FileArticleIndex} keeps them), and one JSON file with the lists, the addresses, the archive pages,
 * the uploads applied and the edge rules. Without it (or with one of another version, or one a build that
 * stopped half-way left), the build is fresh.
 */
export class BuildState {
  readonly index: FileArticleIndex;
  readonly applied = new MemoryAppliedUploads();
  readonly edge = new MemoryEdgeRules();
  /** Whether no earlier build left a state: the whole site is built. */
  readonly fresh: boolean;
  readonly #folder: string;

  constructor(out: string) {
    this.#folder = join(out, BUILD_STATE_FOLDER);
    mkdirSync(this.#folder, { recursive: true });
    const running = join(this.#folder, RUNNING_FILE);
    const saved = existsSync(running) ? undefined : this.#read();
    this.fresh = saved === undefined;
    const records = join(this.#folder, 'records');
    // A fresh build writes every record again: none may be left from a build that did not finish.
    if (this.fresh) rmSync(records, { recursive: true, force: true });
    writeFileSync(running, '');
    this.index = new FileArticleIndex(records, { remember: true });
    if (saved) {
      this.index.importState(saved.index);
      for (const upload of saved.applied) this.applied.uploads.set(upload.key, upload);
      for (const [path, rule] of saved.edgeRules) this.edge.rules.set(path, rule);
    }
  }

  #read(): SavedState | undefined {
    const file = join(this.#folder, STATE_FILE);
    if (!existsSync(file)) return undefined;
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
    return saved.version === STATE_VERSION ? saved : undefined;
  }

  /** Writes the state, whole or not at all (a build stopped while saving leaves the previous one). */
  save(): void {
    this.index.flush();
    const state: SavedState = {
      version: STATE_VERSION,
      index: this.index.exportState(),
      applied: [...this.applied.uploads.values()],
      edgeRules: [...this.edge.rules.entries()],
    };
    const file = join(this.#folder, STATE_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify(state));
    renameSync(`${file}.tmp`, file);
    rmSync(join(this.#folder, RUNNING_FILE), { force: true });
  }
}

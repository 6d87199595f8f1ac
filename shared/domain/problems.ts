/** One thing wrong with a draft, in terms an editor can act on. */
export interface Problem {
  /** The front-matter field (dotted path), or `draft`/`body` for the file as a whole. */
  readonly field: string;
  /** Stable, machine-readable reason. */
  readonly code: string;
  /** What is wrong and what to do about it. */
  readonly message: string;
}

/**
 * A draft that can never be published as it is: retrying will not help, the editor has to change it.
 * Carries every problem found, not just the first.
 */
export class DraftRejectedError extends Error {
  override readonly name = 'DraftRejectedError';
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
    this.problems = problems;
  }
}

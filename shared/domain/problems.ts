import { MESSAGES, type MessageParams, type ProblemCode } from './messages.ts';

/** One thing wrong with a draft, in terms an editor can act on. */
export interface Problem {
  /** The front-matter field (dotted path), or `draft`, `front matter`, `body` for the file as a whole. */
  readonly field: string;
  /** Stable, machine-readable reason. */
  readonly code: ProblemCode;
  /** What is wrong and what to do about it, in Vietnamese: what the editor reads. */
  readonly message: string;
  /** The same in English, for ops. */
  readonly messageEn: string;
}

/** A problem with both its texts, from the catalogue. */
export function problem(code: ProblemCode, params: MessageParams): Problem {
  const texts = MESSAGES[code];
  return { field: params.field, code, message: texts.vi(params), messageEn: texts.en(params) };
}

/**
 * A draft that can never be published as it is: retrying will not help, the editor has to change it.
 * Carries every problem found, not just the first.
 */
export class DraftRejectedError extends Error {
  override readonly name = 'DraftRejectedError';
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    super(problems.map((p) => `${p.field}: ${p.messageEn}`).join('; '));
    this.problems = problems;
  }
}

import { synthesize } from '../../local/synth.ts';

/**
 * Synthesizes the CDK app once, before any test file runs: the local stack, the table stand-ins and the
 * bundle tests all read the same cloud assembly (kept under a hash of the app's inputs).
 */
export default async function setup(): Promise<void> {
  await synthesize();
}

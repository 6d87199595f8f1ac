import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, synthesize } from '../../local/synth.ts';
import { ACCESS_REPORT_DIR, writeAccessReport } from '../../scripts/access-report.ts';

/**
 * Synthesizes the CDK app once, before any test file runs: the local stack, the table stand-ins and the
 * bundle tests all read the same cloud assembly (kept under a hash of the app's inputs). Each local stack
 * of the run writes what its callers did to `test-results/access/`; at the end they are merged into the
 * access report (`test-results/access-report.json`, `npm run access-report`).
 */
export default async function setup(): Promise<() => void> {
  rmSync(join(ROOT, ACCESS_REPORT_DIR), { recursive: true, force: true });
  await synthesize();
  return () => {
    const summary = writeAccessReport();
    if (summary) console.log(summary);
  };
}

// Prints "N passed, N failed" from vitest's JSON report. A test file that failed to load counts as a failure,
// and a missing report (vitest did not get as far as writing it) as no test run.
import { existsSync, readFileSync } from 'node:fs';

const path = process.argv[2];
if (!path || !existsSync(path)) {
  console.log('0 passed, 0 failed');
} else {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((a) => a.status === 'failed'),
  ).length;
  console.log(`${report.numPassedTests} passed, ${report.numFailedTests + brokenFiles} failed`);
}

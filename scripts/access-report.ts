import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AccessReport, mergeReports } from '../local/iam/report.ts';
import { ROOT } from '../local/synth.ts';

/** Where each local stack of a test run writes its report (`NEWSROOM_ACCESS_REPORT_DIR` in vitest.config.ts). */
export const ACCESS_REPORT_DIR = 'test-results/access';
const MERGED = 'test-results/access-report.json';
const READABLE = 'test-results/access-report.md';
/** The table of docs/operations.md that says why a grant is there though no test uses it. */
const REASONS = 'docs/operations.md';

/** `Render/Role s3:PutObject` for a grant id `RenderRoleDefaultPolicy…#2:s3:PutObject` of that caller. */
export function grantKey(caller: string, grant: string): string {
  const action = grant.slice(grant.indexOf(':', grant.indexOf('#')) + 1);
  return `${caller} ${action}`;
}

/** A resource policy's grant, named by the policy without CDK's hash (`SitePolicy s3:GetObject`). */
function resourceGrantKey(grant: string): string {
  const policy = grant.slice(0, grant.indexOf('#')).replace(/[0-9A-F]{8}$/, '');
  return grantKey(policy, grant);
}

/** Every grant no call of the run used, as `caller action` (one line each, sorted). */
export function unusedGrants(report: AccessReport): string[] {
  const keys = new Set<string>();
  for (const [caller, c] of Object.entries(report.callers))
    for (const g of c.unusedGrants) keys.add(grantKey(caller, g.grant));
  for (const g of report.unusedResourceGrants) keys.add(resourceGrantKey(g.grant));
  return [...keys].sort();
}

/** The reasons written in docs/operations.md: rows `| caller | action | why |` of its grants table. */
export function writtenReasons(text = readFileSync(join(ROOT, REASONS), 'utf8')): Map<string, string> {
  const section = text.split('\n## ').find((s) => s.startsWith('Grants no test uses')) ?? '';
  const reasons = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const [, caller, action, why] = cells;
    if (!caller || !action || !why || caller === 'caller' || /^-+$/.test(caller)) continue;
    reasons.set(`${caller.replace(/`/g, '')} ${action.replace(/`/g, '')}`, why);
  }
  return reasons;
}

/** Merges the run's reports into test-results/access-report.{json,md}; a one-line summary, or nothing. */
export function writeAccessReport(): string | undefined {
  const dir = join(ROOT, ACCESS_REPORT_DIR);
  if (!existsSync(dir)) return undefined;
  const reports = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AccessReport);
  if (reports.length === 0) return undefined;
  const report = mergeReports(reports);
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  writeFileSync(join(ROOT, MERGED), JSON.stringify(report, null, 2));
  writeFileSync(join(ROOT, READABLE), readable(report));
  const refusals = Object.values(report.callers).reduce((n, c) => n + c.refusals.length, 0);
  const unused = unusedGrants(report);
  const reasons = writtenReasons();
  const unexplained = unused.filter((u) => !reasons.has(u));
  return `access report (${reports.length} local stacks): ${Object.keys(report.callers).length} callers, ${refusals} refusals, ${unused.length} grants no test used, ${unexplained.length} of them without a written reason (${READABLE})`;
}

function readable(report: AccessReport): string {
  const out = [
    '# Access report',
    '',
    report.enforced ? 'IAM enforced in every run.' : 'IAM was OFF in some run.',
    '',
  ];
  for (const [caller, c] of Object.entries(report.callers).sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`## ${caller}`, '', `${c.kind}: \`${c.principal}\``, '');
    const actions = Object.entries(c.actions).sort(([a], [b]) => a.localeCompare(b));
    if (actions.length > 0) {
      out.push('| action | allowed | refused | resources (some) |', '|---|---|---|---|');
      for (const [action, v] of actions)
        out.push(
          `| ${action} | ${v.allowed} | ${v.refused} | ${v.resources.map((r) => `\`${r}\``).join(' ')} |`,
        );
      out.push('');
    }
    for (const r of c.refusals) out.push(`- refused: ${r}`);
    for (const g of c.unusedGrants)
      out.push(`- unused: ${grantKey(caller, g.grant)} on ${g.resources.join(', ')}`);
    out.push('');
  }
  out.push('## Resource policies: grants no call used', '');
  for (const g of report.unusedResourceGrants) out.push(`- ${resourceGrantKey(g.grant)}`);
  return `${out.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const summary = writeAccessReport();
  if (!summary) {
    console.error(`No reports in ${ACCESS_REPORT_DIR}/: run the tests first (npm test).`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(join(ROOT, MERGED), 'utf8')) as AccessReport;
  console.log(readFileSync(join(ROOT, READABLE), 'utf8'));
  console.log(summary);
  if (process.argv.includes('--check')) {
    const reasons = writtenReasons();
    const unused = unusedGrants(report);
    const unexplained = unused.filter((u) => !reasons.has(u));
    const stale = [...reasons.keys()].filter((k) => !unused.includes(k));
    for (const u of unexplained) console.error(`no test uses "${u}" and ${REASONS} says not why`);
    for (const s of stale)
      console.error(`${REASONS} explains "${s}", but a test uses it now (or it is gone)`);
    if (unexplained.length > 0 || stale.length > 0) process.exit(1);
    console.log('every grant no test uses has its reason in docs/operations.md');
  }
}

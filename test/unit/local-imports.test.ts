import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/site.ts';

describe('the local stack', () => {
  it('imports nothing of the functions or the use cases: it runs the deployed bundles', () => {
    const files = (readdirSync(join(ROOT, 'local'), { recursive: true }) as string[]).filter((f) =>
      /\.(ts|mjs)$/.test(f),
    );
    expect(files.length).toBeGreaterThan(5);
    const offending = files.flatMap((file) =>
      [...readFileSync(join(ROOT, 'local', file), 'utf8').matchAll(/from '([^']+)'/g)]
        .map((m) => m[1] ?? '')
        .filter((spec) => /(^|\/)functions\/|use-cases\//.test(spec))
        .map((spec) => `${file}: ${spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('keeps the IAM evaluator (AGPL-3.0) out of everything that is deployed', () => {
    const deployed = ['functions', 'shared', 'infra'].flatMap((dir) =>
      (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
        .filter((f) => /\.(ts|mjs|js)$/.test(f))
        .map((f) => join(dir, f)),
    );
    const offending = deployed.filter((file) =>
      /from '(@cloud-copilot\/|[./]*local\/)/.test(readFileSync(join(ROOT, file), 'utf8')),
    );
    expect(offending).toEqual([]);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).not.toContain('@cloud-copilot/iam-simulate');
    expect(Object.keys(pkg.devDependencies)).toContain('@cloud-copilot/iam-simulate');
  });
});

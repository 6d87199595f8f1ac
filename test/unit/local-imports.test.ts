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
});

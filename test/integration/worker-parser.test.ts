import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/site.ts';

const run = promisify(execFile);

describe('drafts parsed on worker threads', () => {
  it('give a rebuild the same site and the same editors’ reports, byte for byte', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'test/support/rebuild-in-workers.ts')],
      { cwd: ROOT, maxBuffer: 256 * 1024 * 1024 },
    );
    type Site = {
      objects: Record<string, string>;
      reports: Record<string, string>;
      parsed?: { inWorkers: number; here: number };
    };
    const { inThread, inWorkers, shared } = JSON.parse(stdout) as Record<
      'inThread' | 'inWorkers' | 'shared',
      Site
    >;
    // The hostile drafts are rejected with the same reasons, the others published the same way.
    expect(Object.keys(inThread.reports).length).toBeGreaterThan(60);
    expect(Object.values(inThread.reports).some((r) => r.includes('"rejected"'))).toBe(true);
    expect(Object.keys(inThread.objects).filter((k) => k.endsWith('/index.html')).length).toBeGreaterThan(60);
    // All on the workers, and shared between them and the thread that keeps the index (a busy worker's
    // overflow parsed there).
    expect(inWorkers.parsed?.here).toBe(0);
    expect(shared.parsed?.here).toBeGreaterThan(0);
    expect(shared.parsed?.inWorkers).toBeGreaterThan(0);
    for (const other of [inWorkers, shared]) {
      expect(other.reports).toEqual(inThread.reports);
      expect(Object.keys(other.objects).sort()).toEqual(Object.keys(inThread.objects).sort());
      for (const [key, bytes] of Object.entries(inThread.objects))
        expect(other.objects[key], key).toBe(bytes);
    }
  }, 60_000);
});

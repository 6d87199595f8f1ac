import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySiteStore } from '#shared/adapters/memory/index.ts';
import { createSiteServer, REBUILD_PATH } from '../../local/site-server.ts';
import { SITE } from '../support/site.ts';

describe('local site server', () => {
  const servers: ReturnType<typeof createSiteServer>[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('reports a rebuild that fails half way as the last line of its progress, and keeps serving', async () => {
    const site = new MemorySiteStore();
    await site.put('index.html', '<!doctype html><title>Trang chủ</title>', {
      contentType: 'text/html; charset=utf-8',
      cacheControl: 'no-cache',
    });
    const server = createSiteServer(
      site,
      SITE,
      async () => undefined,
      async (onProgress) => {
        onProgress({ phase: 'drafts', done: 1, total: 3 });
        throw new Error('The table does not have the specified index: byTag');
      },
    );
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const response = await fetch(`${base}${REBUILD_PATH}`, { method: 'POST' });
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ phase: 'drafts', done: 1, total: 3 });
    expect(lines.at(-1)).toEqual({ error: 'Error: The table does not have the specified index: byTag' });
    // The process is still up: readers still get pages.
    const home = await fetch(`${base}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain('Trang chủ');
  });
});

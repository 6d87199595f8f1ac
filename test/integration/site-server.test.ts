import { once } from 'node:events';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySiteStore } from '#shared/adapters/memory/index.ts';
import { createSiteServer, REBUILD_PATH, type SiteServerOptions } from '../../local/site-server.ts';
import { templateCdn } from '../support/template-cdn.ts';

const TOKEN = 'test-token-0123456789';

describe('local site server', () => {
  const servers: ReturnType<typeof createSiteServer>[] = [];
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) s.close();
    for (const stop of stops.splice(0)) await stop();
  });

  async function serve(rebuild: NonNullable<SiteServerOptions['rebuild']>['run'], iamOff = false) {
    const site = new MemorySiteStore();
    await site.put('index.html', '<!doctype html><title>Trang chủ</title><body><h1>Trang chủ</h1></body>', {
      contentType: 'text/html; charset=utf-8',
      cacheControl: 'no-cache',
    });
    const { cdn, stop } = await templateCdn({ site, edgeRules: async () => undefined });
    stops.push(stop);
    const server = createSiteServer({ cdn, rebuild: { token: TOKEN, run: rebuild }, iamOff });
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  /** A raw request, so that the Host header is what the test says (fetch sets its own). */
  function get(
    port: number,
    path: string,
    host: string,
  ): Promise<{ status: number; body: string; csp: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            csp: String(res.headers['content-security-policy'] ?? ''),
          }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('reports a rebuild that fails half way as the last line of its progress, and keeps serving', async () => {
    const port = await serve(async (onProgress) => {
      onProgress({ phase: 'drafts', done: 1, total: 3 });
      throw new Error('The table does not have the specified index: byTag');
    });
    const base = `http://127.0.0.1:${port}`;
    const response = await fetch(`${base}${REBUILD_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
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

  it('rebuilds only for a request that carries the token npm start printed', async () => {
    let rebuilds = 0;
    const port = await serve(async () => {
      rebuilds += 1;
      return { drafts: 0, pages: 0, removed: 0 } as never;
    });
    const base = `http://127.0.0.1:${port}`;
    for (const headers of [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${TOKEN}x` },
    ] as Record<string, string>[]) {
      const refused = await fetch(`${base}${REBUILD_PATH}`, { method: 'POST', headers });
      expect(refused.status).toBe(401);
    }
    expect(rebuilds).toBe(0);
    const allowed = await fetch(`${base}${REBUILD_PATH}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(allowed.status).toBe(200);
    await allowed.text();
    expect(rebuilds).toBe(1);
  });

  it('says on every page, and in a header, when IAM is off, and nothing when it is on', async () => {
    const off = await serve(async () => ({}) as never, true);
    const page = await fetch(`http://127.0.0.1:${off}/`);
    expect(page.headers.get('x-local-iam')).toBe('off');
    expect(await page.text()).toContain('<body><p role="alert"');
    const on = await serve(async () => ({}) as never);
    const plain = await fetch(`http://127.0.0.1:${on}/`);
    expect(plain.headers.get('x-local-iam')).toBeNull();
    expect(await plain.text()).not.toContain('IAM tắt');
  });

  it('answers only when the Host header names it (a rebound DNS name is refused)', async () => {
    const port = await serve(async () => ({}) as never);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`]) {
      expect((await get(port, '/', host)).status, host).toBe(200);
    }
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1:${port + 1}`,
      `127.0.0.1.evil.example:${port}`,
    ]) {
      const answer = await get(port, '/', host);
      expect(answer.status, host).toBe(421);
      expect(answer.csp, host).toContain("default-src 'self'");
      expect(answer.body).not.toContain('Trang chủ');
    }
  });
});

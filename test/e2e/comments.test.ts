/// <reference lib="dom" />
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { launchBrowser } from '../support/browser.ts';
import { EXAMPLES, ROOT, SEED_PATH, SITE } from '../support/site.ts';

// A reader comments on the seed article with JavaScript off, a moderator approves it with the command, and
// the comment is on the page, through the CDN model, escaped; floods and other sites get nowhere.

const run = promisify(execFile);
const VNU = join(ROOT, 'node_modules/vnu-jar/build/dist/vnu.jar');
const AXE = join(ROOT, 'node_modules/axe-core/axe.min.js');
// The seed article is from 2023: its thread is open for this test.
const OPEN = { ...SITE, comments: { ...SITE.comments, closeAfterDays: 3650 } };
const HOSTILE = 'Bài viết rất hay!\n<script>alert("xss")</script> \u202Egnol\u202C www.example.vn';

let stack: LocalStack;
let browser: Browser;
let dataDir: string;
/** The comment the first test approved: the last one deletes it and bars its network. */
let approved: { id: string; client: string } | undefined;

/** `npm run comments -- …` against this stack, as a moderator runs it. */
async function moderate(...args: string[]): Promise<string> {
  const url = new URL(stack.siteUrl);
  const { stdout } = await run('node', ['--import', 'tsx', join(ROOT, 'cli/comments.ts'), ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      LOCAL_DATA_DIR: dataDir,
      PORT: url.port,
      DYNAMODB_PORT: new URL(stack.dynamoEndpoint).port,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  return stdout;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'newsroom-comments-'));
  stack = await startLocalStack({
    settings: { comments: OPEN.comments },
    dataDir,
    s3Port: 0,
    dynamoPort: 0,
    sitePort: 0,
    examplesDir: EXAMPLES,
  });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('comments on the seed article', () => {
  it('posts with JavaScript off, waits for a moderator, and shows once approved, escaped', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    await page.goto(`${stack.siteUrl}${SEED_PATH}`);
    const box = page.locator('section.comments');
    expect(await box.locator('h2').textContent()).toBe('Bình luận');
    expect(await box.textContent()).toContain('Hiện tại chưa có bình luận');
    expect(await box.locator('h3').textContent()).toBe('Viết bình luận');
    await page.getByLabel('Họ tên').fill('Lò Văn Sinh');
    await page.getByLabel('Email (không bắt buộc, không hiển thị)').fill('lo.sinh@example.vn');
    await page.getByLabel('Nội dung bình luận').fill(HOSTILE);
    await Promise.all([
      page.waitForURL(/\/api\/comments$/),
      page.getByRole('button', { name: 'Gửi bình luận' }).click(),
    ]);
    expect(await page.locator('h1').textContent()).toBe('Cảm ơn bạn đã gửi bình luận');
    expect(await page.textContent('main')).toContain('đang chờ ban biên tập duyệt');
    // Not shown before a moderator says so.
    await page.goto(`${stack.siteUrl}${SEED_PATH}`);
    expect(await page.locator('.comment').count()).toBe(0);

    const pending = JSON.parse(await moderate('pending', '--json')) as {
      id: string;
      article: string;
      name: string;
      text: string;
      createdAt: string;
      flags: { code: string }[];
    }[];
    expect(pending).toHaveLength(1);
    const [comment] = pending;
    expect(comment).toMatchObject({
      article: 'xay-dung-dang/nang-cao-nang-luc-lanh-dao',
      name: 'Lò Văn Sinh',
    });
    // Bidi controls are gone; the link is flagged for the moderator.
    expect(comment?.text).toBe('Bài viết rất hay!\n<script>alert("xss")</script> gnol www.example.vn');
    expect(comment?.flags.map((f) => f.code)).toEqual(['links']);
    expect(JSON.stringify(pending)).not.toContain('lo.sinh@example.vn');
    expect(await moderate('approve', comment?.id ?? '')).toContain('approved');
    approved = { id: comment?.id ?? '', client: (comment as { client?: string } | undefined)?.client ?? '' };
    await stack.whenIdle();

    // The reader reloads the article (the browser keeps a page for minutes otherwise).
    await page.reload();
    const shown = page.locator('.comment');
    expect(await shown.count()).toBe(1);
    expect(await shown.locator('strong').textContent()).toBe('Lò Văn Sinh');
    expect(await shown.locator('.comment-text').textContent()).toContain('<script>alert("xss")</script>');
    expect(await page.locator('section.comments script').count()).toBe(0);
    expect(await shown.locator('time').textContent()).toMatch(
      /^(Chủ nhật|Thứ (hai|ba|tư|năm|sáu|bảy)), \d{2}\/\d{2}\/\d{4} - \d{2}:\d{2}$/,
    );
    expect(await page.locator('section.comments').textContent()).not.toContain('Hiện tại chưa có bình luận');
    expect(await page.content()).not.toContain('lo.sinh@example.vn');
    await context.close();
  }, 120_000);

  it('answers a flood from one address with 429s and a cross-site post with 403; none reaches the page', async () => {
    // As a browser posts the form: from the site's page (fetch metadata says same-origin), or from another site.
    const send = (origin: string, i: number) =>
      fetch(`${stack.siteUrl}/api/comments`, {
        method: 'POST',
        headers: {
          origin,
          'sec-fetch-site': origin === stack.siteUrl ? 'same-origin' : 'cross-site',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          article: 'xay-dung-dang/nang-cao-nang-luc-lanh-dao',
          name: 'Máy',
          text: `Quảng cáo số ${i}`,
        }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await send(stack.siteUrl, i)).status);
    // One post per 30 s from a network: the first goes through unless the reader above posted within the
    // window; every one after it is past the limit.
    const [first, ...rest] = statuses;
    expect([200, 429]).toContain(first);
    expect(rest).toEqual(Array(11).fill(429));
    const crossSite = await send('https://evil.example', 99);
    // The function's own refusal, through the distribution as deployed: its status, its page.
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.get('content-type')).toMatch(/^text\/html/);
    // With the site's security headers, as the distribution's /api/* behaviour sets them.
    expect(crossSite.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(crossSite.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await crossSite.text()).toContain('Bình luận chỉ được gửi từ trang bài viết');
    // And one from a browser that sends no fetch metadata is judged by its Origin.
    const old = await fetch(`${stack.siteUrl}/api/comments`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        article: 'xay-dung-dang/nang-cao-nang-luc-lanh-dao',
        name: 'A',
        text: 'B',
      }),
    });
    expect(old.status).toBe(403);
    // At most that first one waits for a moderator; none shows.
    const waiting = (JSON.parse(await moderate('pending', '--json')) as { text: string }[]).filter((c) =>
      c.text.startsWith('Quảng cáo số'),
    );
    expect(waiting.length).toBe(first === 200 ? 1 : 0);
    const page = await (await fetch(`${stack.siteUrl}${SEED_PATH}`)).text();
    expect(page).not.toContain('Quảng cáo số');
  }, 60_000);

  it('passes axe and the Nu HTML Checker on an article with comments, and on the answer page', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    const found: string[] = [];
    const files: string[] = [];
    for (const path of [SEED_PATH, '/api/comments']) {
      const response = await page.goto(`${stack.siteUrl}${path}`);
      const file = join(dataDir, `${files.length}.html`);
      writeFileSync(file, (await response?.text()) ?? '');
      files.push(file);
      await page.addScriptTag({ path: AXE });
      const violations: { id: string; impact: string | null }[] = await page.evaluate(async () => {
        const axe = (window as unknown as { axe: { run(): Promise<{ violations: never[] }> } }).axe;
        return (await axe.run()).violations;
      });
      for (const v of violations)
        if (v.impact === 'serious' || v.impact === 'critical') found.push(`${path}: ${v.id}`);
    }
    expect(found).toEqual([]);
    await context.close();
    const { stdout } = await run(
      'java',
      ['-jar', VNU, '--format', 'json', '--stdout', '--exit-zero-always', ...files],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    const errors = (JSON.parse(stdout).messages as { type: string; message: string }[]).filter(
      (m) => m.type === 'error',
    );
    expect(errors).toEqual([]);
  }, 120_000);

  it("deletes a comment with the moderator's credentials and bars its network: the page drops it, a post is refused", async () => {
    if (!approved) throw new Error('the first test approves a comment');
    expect(await moderate('delete', approved.id)).toContain('deleted (personal data removed)');
    expect(await moderate('ban', approved.client)).toContain(`banned ${approved.client}`);
    await stack.whenIdle();
    const page = await (await fetch(`${stack.siteUrl}${SEED_PATH}`)).text();
    expect(page).not.toContain('Lò Văn Sinh');
    // Past the posting window or not, the network is refused first, with the moderators' words.
    const post = await fetch(`${stack.siteUrl}/api/comments`, {
      method: 'POST',
      headers: { 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        article: 'xay-dung-dang/nang-cao-nang-luc-lanh-dao',
        name: 'Sinh',
        text: 'Lại',
      }),
    });
    expect(post.status).toBe(403);
    expect(await post.text()).toContain('đã bị ban biên tập tạm dừng');
  });
});

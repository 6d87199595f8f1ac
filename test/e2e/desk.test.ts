/// <reference lib="dom" />
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminCreateUserCommand,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { enrolAuthenticator } from '../support/authenticator.ts';
import { launchBrowser } from '../support/browser.ts';
import { seedDocx } from '../support/seed-docx.ts';
import { ROOT, SEED_SLUG } from '../support/site.ts';

const AXE = join(ROOT, 'node_modules/axe-core/axe.min.js');

// A new editor at the desk, in Chromium: sign in, send the seed article as a Word document, check and
// preview it, publish, correct the headline with a note, restore the first version, take the article down.

const TITLE = 'Nâng cao năng lực lãnh đạo, sức chiến đấu của Đảng bộ tỉnh - nhiệm vụ trọng tâm, xuyên suốt';
const PATH = `/xay-dung-dang/${SEED_SLUG}`;
const NOTE = 'Tiêu đề trước đây thiếu chữ "Lai Châu".';

let stack: LocalStack;
let browser: Browser;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'newsroom-desk-'));
  stack = await startLocalStack({ dataDir, s3Port: 0, dynamoPort: 0, sitePort: 0 });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Serious and critical accessibility violations axe-core finds on the page as it is, and any overflow. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations: { id: string; impact: string | null }[] = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: never[] }> } }).axe;
    return (await axe.run()).violations;
  });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  return [
    ...violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
    ...(overflow > 0 ? [`${overflow}px wider than the screen`] : []),
  ];
}

/** Waits for the pipeline to apply what was sent, and for the page to say so. */
async function settled(page: Page, label: string) {
  await page.waitForFunction((text) => document.getElementById('report-state')?.textContent === text, label, {
    timeout: 30_000,
  });
  await stack.whenIdle();
}

const read = async (path: string) => {
  const res = await fetch(`${stack.siteUrl}${path}`);
  return { status: res.status, text: await res.text() };
};

describe('the desk', () => {
  it('takes a new editor from a Word document to a published, corrected, restored and taken-down article', async () => {
    // The page's CSP rightly refuses injected scripts; axe is the test's, not the page's.
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${stack.siteUrl}/desk/`);
    const user = stack.deskUser;
    if (!user) throw new Error('npm start made no editor');
    await page.getByLabel('Tên đăng nhập').fill(user.username);
    await page.getByLabel('Mật khẩu', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    // The first sign-in, with the temporary password npm start printed: the user pool asks for a new one.
    await page.getByLabel('Mật khẩu mới').fill('Mat-khau-moi-2026!');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('button', { name: 'Viết bài mới' }).click();
    const form = page.locator('#editor');

    // The Word document becomes a draft, shown before it is sent.
    await form.getByLabel('Chuyên mục').selectOption('xay-dung-dang');
    await form.getByLabel('Tải lên tệp Word (.docx)').setInputFiles({
      name: 'bai-viet.docx',
      mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      buffer: await seedDocx(),
    });
    await page.waitForFunction(() =>
      document.getElementById('docx-note')?.textContent?.startsWith('Đã chuyển'),
    );
    expect(await form.getByLabel('Tiêu đề', { exact: true }).inputValue()).toBe(TITLE);
    expect(await form.getByLabel('Nội dung (Markdown)').inputValue()).toContain('](images/anh-1.jpg)');
    // The form with the converted draft in it, at 390 px.
    expect(await seriousViolations(page)).toEqual([]);
    await form
      .getByLabel('Sapo')
      .fill('Nâng cao năng lực lãnh đạo, sức chiến đấu của Đảng bộ luôn được xác định là mục tiêu chính.');
    await form.getByLabel('Tác giả', { exact: true }).fill('Vũ Mạnh Hà');
    await form.getByLabel('Chức danh tác giả').fill('Phó Bí thư Thường trực Tỉnh ủy');

    // The page as it will be published, photo and all, before anything is public.
    await form.getByRole('button', { name: 'Xem trước', exact: true }).click();
    const preview = page.frameLocator('#preview-frame');
    await expect.poll(() => preview.locator('h1').textContent(), { timeout: 20_000 }).toBe(TITLE);
    expect(await preview.locator('figure.photo img').getAttribute('src')).toMatch(
      /^data:image\/webp;base64,/,
    );
    expect(await preview.locator('meta[name="robots"]').getAttribute('content')).toBe('noindex, nofollow');
    expect((await read(PATH)).status).toBe(404);

    await form.getByRole('button', { name: 'Gửi đăng' }).click();
    await settled(page, 'Đã đăng');
    expect(await page.locator('#report-link').getAttribute('href')).toBe(PATH);
    const published = await read(PATH);
    expect(published.status).toBe(200);
    expect(published.text).toContain(`<h1>${TITLE}</h1>`);

    // The board says so, with who did it.
    await page.getByRole('button', { name: '« Về bảng bài viết' }).first().click();
    const row = page.locator('#rows tr').filter({ hasText: TITLE });
    await expect.poll(() => row.locator('.state').textContent()).toBe('Đã đăng');
    expect(await seriousViolations(page)).toEqual([]);
    expect(await row.textContent()).toContain('bientap');

    // A corrected headline with a visible note.
    await row.getByRole('button', { name: 'Sửa' }).click();
    await expect.poll(() => form.getByLabel('Tiêu đề', { exact: true }).inputValue()).toBe(TITLE);
    await form.getByLabel('Tiêu đề', { exact: true }).fill(`${TITLE} Lai Châu`);
    await form.getByLabel('Đính chính (không bắt buộc, hiện trên bài)').fill(NOTE);
    await form.getByRole('button', { name: 'Gửi đăng' }).click();
    await expect.poll(() => page.locator('#report-state').textContent(), { timeout: 30_000 }).toBe('Đã đăng');
    await stack.whenIdle();
    await expect
      .poll(async () => (await read(PATH)).text, { timeout: 20_000 })
      .toContain(`<h1>${TITLE} Lai Châu</h1>`);
    expect((await read(PATH)).text).toContain('Tiêu đề trước đây thiếu chữ &quot;Lai Châu&quot;.');
    await expect.poll(async () => (await read('/dinh-chinh/')).text, { timeout: 70_000 }).toContain(PATH);

    // History: both versions, who made them; the first restored.
    await page.getByRole('button', { name: '« Về bảng bài viết' }).first().click();
    await page
      .locator('#rows tr')
      .filter({ hasText: 'Lai Châu' })
      .getByRole('button', { name: 'Lịch sử' })
      .click();
    await expect.poll(() => page.locator('#versions li').count()).toBe(2);
    expect(await page.locator('#versions').textContent()).toContain('bientap');
    await page.getByRole('button', { name: 'So với bản trước' }).click();
    await expect.poll(() => page.locator('#diff ins').first().textContent()).toContain('Lai Châu');
    await page.getByRole('button', { name: 'Khôi phục bản này' }).click();
    await expect.poll(() => page.locator('#versions li').count()).toBe(3);
    await stack.whenIdle();
    await expect
      .poll(async () => (await read(PATH)).text, { timeout: 20_000 })
      .toContain(`<h1>${TITLE}</h1>`);
    expect((await read(PATH)).text).not.toContain('class="correction"');

    // Taken down from the board, after a confirmation.
    await page.getByRole('button', { name: '« Về bảng bài viết' }).last().click();
    await page.locator('#rows tr').filter({ hasText: TITLE }).getByRole('button', { name: 'Gỡ bài' }).click();
    await stack.whenIdle();
    await expect.poll(async () => (await read(PATH)).status, { timeout: 20_000 }).toBe(410);
    await expect
      .poll(() => page.locator('#rows tr').filter({ hasText: TITLE }).locator('.state').textContent(), {
        timeout: 15_000,
      })
      .toBe('Đã gỡ');
    await context.close();
  }, 240_000);

  it('answers 401 to anonymous calls, and its upload URLs write their own key only', async () => {
    for (const [method, route] of [
      ['GET', 'board'],
      ['GET', 'config'],
      ['POST', 'uploads'],
      ['POST', 'convert'],
      ['POST', 'preview'],
      ['POST', 'preview-links'],
      ['GET', 'draft?key=xa-hoi/a.md'],
      ['GET', 'versions?key=xa-hoi/a.md'],
      ['GET', 'diff?key=xa-hoi/a.md'],
      ['POST', 'restore'],
      ['POST', 'take-down'],
      ['GET', 'report?key=xa-hoi/a.md'],
    ] as const) {
      const res = await fetch(`${stack.siteUrl}/desk/api/${route}`, {
        method,
        headers: { authorization: 'Bearer forged' },
      });
      expect(res.status, `${method} ${route}`).toBe(401);
    }
    const editor = await editorWithPassword('phongvien', 'Phong-vien-2026!');
    const signIn = await fetch(`${stack.siteUrl}/desk/api/sign-in`, {
      method: 'POST',
      body: JSON.stringify(editor),
    });
    const { token } = (await signIn.json()) as { token: string };
    expect(
      (
        await fetch(`${stack.siteUrl}/desk/api/sign-in`, {
          method: 'POST',
          body: JSON.stringify({ username: 'bientap', password: 'sai' }),
        })
      ).status,
    ).toBe(401);
    const asked = await fetch(`${stack.siteUrl}/desk/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({
        key: 'xa-hoi/bai-a.md',
        contentType: 'text/markdown; charset=utf-8',
        size: 5,
        sha256: createHash('sha256').update('xin!!').digest('base64'),
      }),
    });
    const { url, headers } = (await asked.json()) as { url: string; headers: Record<string, string> };
    const other = await fetch(url.replace('/bai-a.md?', '/bai-b.md?'), {
      method: 'PUT',
      headers,
      body: 'xin!!',
    });
    expect(other.status).toBe(403);
    // Nor other bytes than those it was asked for.
    expect((await fetch(url, { method: 'PUT', headers, body: 'khac!' })).status).toBe(400);
    expect((await fetch(url, { method: 'PUT', headers, body: 'xin!!' })).status).toBe(200);
    // Nor a key outside the sections' folders, whatever the editor asks.
    const outside = await fetch(`${stack.siteUrl}/desk/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ key: 'reports/x.md.json', contentType: 'text/markdown', size: 5, sha256: 'x' }),
    });
    expect(outside.status).toBe(400);
    // The desk's response headers policy, as the template sets it: uploads may go to the drafts bucket only
    // (the S3 stand-in here), and nothing of the desk is indexed.
    const desk = await fetch(`${stack.siteUrl}/desk/`);
    expect(desk.headers.get('content-security-policy')).toContain(`connect-src 'self' ${stack.s3Endpoint};`);
    expect(desk.headers.get('x-robots-tag')).toBe('noindex, nofollow');
    // The desk's own 404, through the distribution as deployed: its status and its JSON, not the site's page.
    const missing = await fetch(`${stack.siteUrl}/desk/api/khong-co-chuc-nang`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await missing.json()) as { error: string }).error).toMatch(/[ạảãáàâăêôơư]/);
    expect((await fetch(`${stack.siteUrl}/desk/preview/khong.hop-le`)).status).toBe(404);
  }, 60_000);

  it('signs in an editor who set up two-step sign-in with the code of their authenticator app', async () => {
    const editor = await editorWithPassword('thuky', 'Thu-ky-toa-soan-2026!');
    // The editor adds the desk to an authenticator app (as any Cognito client lets them) and turns it on.
    const cognito = new CognitoIdentityProviderClient({
      region: 'us-east-1',
      endpoint: stack.cognitoEndpoint,
      credentials: stack.credentials.deployment,
    });
    const totp = await enrolAuthenticator(cognito, stack.desk.clientId, editor);
    cognito.destroy();

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${stack.siteUrl}/desk/`);
    await page.getByLabel('Tên đăng nhập').fill(editor.username);
    await page.getByLabel('Mật khẩu', { exact: true }).fill(editor.password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    // A wrong code is named as such, and the editor stays at the code.
    await page.getByLabel('Mã xác thực (6 chữ số)').fill('000000' === totp.generate() ? '111111' : '000000');
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await expect.poll(() => page.locator('#sign-in-error').textContent()).toMatch(/Mã xác thực không đúng/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Mã xác thực (6 chữ số)').fill(totp.generate());
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.getByRole('button', { name: 'Viết bài mới' }).waitFor();
    expect(await page.locator('#who').textContent()).toContain(editor.username);
    await context.close();
  }, 60_000);
});

/** An editor an admin made, whose own password is set (the first sign-in done). */
async function editorWithPassword(username: string, password: string) {
  const cognito = new CognitoIdentityProviderClient({
    region: 'us-east-1',
    endpoint: stack.cognitoEndpoint,
    credentials: stack.credentials.deployment,
  });
  await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: stack.desk.userPoolId,
      Username: username,
      TemporaryPassword: 'Tam-thoi-2026!',
      MessageAction: 'SUPPRESS',
    }),
  );
  const first = await cognito.send(
    new InitiateAuthCommand({
      ClientId: stack.desk.clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: username, PASSWORD: 'Tam-thoi-2026!' },
    }),
  );
  await cognito.send(
    new RespondToAuthChallengeCommand({
      ClientId: stack.desk.clientId,
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: first.Session,
      ChallengeResponses: { USERNAME: username, NEW_PASSWORD: password },
    }),
  );
  cognito.destroy();
  return { username, password };
}

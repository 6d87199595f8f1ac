import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DESK_FILES } from '#shared/desk/app.ts';
import { draftFields } from '#shared/domain/draft.ts';
import { MAX_DRAFT_BYTES } from '#shared/domain/encoding.ts';
import { IMAGE_LIMITS } from '#shared/domain/images.ts';
import { reportKey } from '#shared/domain/report.ts';
import type { EditorSignIn, Log, SignInAnswer, SignInStep } from '#shared/ports.ts';
import {
  board,
  type DeskDeps,
  deskMayWrite,
  diffVersions,
  openPreview,
  previewDraft,
  previewLink,
  restoreVersion,
  takeDownDraft,
  versionsOf,
} from '#shared/use-cases/desk.ts';
import { convertDocx, draftKeyFor, MAX_DOCX_BYTES } from '#shared/use-cases/docx.ts';

export interface DeskHandlerDeps extends DeskDeps {
  readonly signIn: EditorSignIn;
  readonly log: Log;
}

/** The desk API's own prefix, and the shareable previews' (the only route without sign-in but sign-in itself). */
export const DESK_API = '/desk/api/';
export const DESK_PREVIEW = '/desk/preview/';

type Result = APIGatewayProxyStructuredResultV2;

const json = (statusCode: number, body: unknown): Result => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});
const refuse = (statusCode: number, error: string) => json(statusCode, { error });

/** Why a sign-in step was refused, as the editor reads it. */
const SIGN_IN_REFUSALS: Record<Extract<SignInAnswer, { kind: 'refused' }>['reason'], string> = {
  credentials: 'Tên đăng nhập hoặc mật khẩu không đúng.',
  code: 'Mã xác thực không đúng. Hãy nhập mã 6 chữ số đang hiện trong ứng dụng xác thực.',
  'new-password':
    'Mật khẩu mới chưa đạt yêu cầu: ít nhất 12 ký tự, có chữ hoa, chữ thường, chữ số và ký hiệu.',
  expired: 'Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại từ đầu.',
  unsupported: 'Tài khoản này cần một bước xác thực mà bàn biên tập chưa hỗ trợ. Hãy liên hệ quản trị.',
};

/** The sign-in step a form sent: the password, a new password, or an authenticator code (with its session). */
function signInStep(body: Record<string, unknown>): SignInStep | undefined {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const username = text(body.username);
  const session = text(body.session);
  if (!username) return undefined;
  const newPassword = text(body.newPassword);
  const code = text(body.code)?.replace(/\s+/g, '');
  if (session && newPassword) return { kind: 'new-password', username, session, newPassword };
  if (session && code) return { kind: body.setup === true ? 'totp-setup' : 'totp', username, session, code };
  const password = text(body.password);
  return password ? { kind: 'password', username, password } : undefined;
}

/** Who is calling: the editor API Gateway's JWT authorizer (or the local stack, the same way) let through. */
export function editorOf(event: APIGatewayProxyEventV2): string | undefined {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } })
    .authorizer?.jwt?.claims;
  // The user pool's own name for the editor, never `name`: an editor may rewrite their attributes.
  const name = claims?.['cognito:username'] ?? claims?.username ?? claims?.sub;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * The editors' desk API (API Gateway HTTP API, payload 2.0): sign-in, the board, presigned uploads, Word
 * conversion, previews and their shareable links, versions, differences, restore and takedown. It does
 * nothing an editor could not do with the CLI: every change is an upload to the drafts bucket.
 */
export function makeDeskHandler(deps: DeskHandlerDeps) {
  return async function handle(event: APIGatewayProxyEventV2): Promise<Result> {
    try {
      return await route(deps, event);
    } catch (err) {
      deps.log.error('desk request failed', { path: event.rawPath, error: err });
      return refuse(500, 'Có lỗi ở máy chủ; hãy thử lại sau ít phút.');
    }
  };
}

async function route(deps: DeskHandlerDeps, event: APIGatewayProxyEventV2): Promise<Result> {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  const query = new URLSearchParams(event.rawQueryString ?? '');
  // `/desk/index.html` is how CloudFront's viewer-request function names `/desk/`.
  const file = DESK_FILES.find(
    (f) => f.path === path || (f.path === '/desk/' && (path === '/desk' || path === '/desk/index.html')),
  );
  if (file && (method === 'GET' || method === 'HEAD')) {
    return {
      statusCode: 200,
      headers: { 'content-type': file.contentType, 'cache-control': 'no-cache' },
      body: method === 'HEAD' ? '' : file.body,
    };
  }
  if (method === 'GET' && path.startsWith(DESK_PREVIEW)) {
    const opened = await openPreview(deps, path.slice(DESK_PREVIEW.length));
    return opened.kind === 'page'
      ? {
          statusCode: 200,
          headers: {
            'content-type': 'text/html; charset=utf-8',
            'cache-control': 'no-store',
            'x-robots-tag': 'noindex, nofollow',
          },
          body: opened.html,
        }
      : {
          statusCode: opened.status,
          headers: {
            'content-type': 'text/plain; charset=utf-8',
            'cache-control': 'no-store',
            'x-robots-tag': 'noindex',
          },
          body: opened.message,
        };
  }
  const body = readJson(event);
  if (method === 'POST' && path === `${DESK_API}sign-in`) {
    const step = signInStep(body);
    if (!step) return refuse(400, 'Hãy nhập tên đăng nhập và mật khẩu.');
    const answer = await deps.signIn.signIn(step);
    if (answer.kind === 'refused') return refuse(401, SIGN_IN_REFUSALS[answer.reason]);
    return json(200, answer);
  }
  const editor = editorOf(event);
  if (!editor) return refuse(401, 'Chưa đăng nhập.');
  const key = typeof body.key === 'string' ? body.key : (query.get('key') ?? '');
  switch (`${method} ${path.slice(DESK_API.length)}`) {
    case 'GET config':
      return json(200, { editor, siteUrl: deps.config.siteUrl, sections: deps.config.sections });
    case 'GET board':
      return json(
        200,
        await board(deps, {
          ...(query.get('section') ? { section: query.get('section') ?? '' } : {}),
          ...(query.get('state') ? { state: query.get('state') ?? '' } : {}),
        }),
      );
    case 'POST uploads': {
      const contentType = String(body.contentType ?? '');
      const size = Number(body.size);
      if (!deskMayWrite(key, deps.config))
        return refuse(
          400,
          `Không thể tải lên "${key.slice(0, 120)}": tệp phải nằm trong thư mục một chuyên mục, là .md hoặc ảnh.`,
        );
      const max = key.endsWith('.md') ? MAX_DRAFT_BYTES : IMAGE_LIMITS.bytes;
      if (!Number.isInteger(size) || size <= 0 || size > max)
        return refuse(400, `Tệp quá lớn (tối đa ${Math.round(max / 1024 / 1024)} MB).`);
      if (!/^(text\/markdown|image\/(jpeg|png|gif|webp|avif))(;.*)?$/.test(contentType))
        return refuse(400, 'Loại tệp không được nhận.');
      const sha256 = String(body.sha256 ?? '');
      if (!/^[A-Za-z0-9+/]{43}=$/.test(sha256)) return refuse(400, 'Thiếu mã kiểm tra (SHA-256) của tệp.');
      return json(200, await deps.drafts.uploadUrl(key, { contentType, size, sha256, editor }));
    }
    case 'POST convert': {
      const data = Buffer.from(String(body.data ?? ''), 'base64');
      if (data.byteLength === 0 || data.byteLength > MAX_DOCX_BYTES)
        return refuse(400, 'Tệp Word trống hoặc quá lớn (tối đa 20 MB).');
      let converted: Awaited<ReturnType<typeof convertDocx>>;
      try {
        converted = await convertDocx(data);
      } catch {
        return refuse(400, 'Không đọc được tệp Word này (.docx). Hãy lưu lại bằng Word rồi thử lại.');
      }
      const section = String(body.section ?? '');
      return json(200, {
        ...converted,
        images: converted.images.map((i) => ({ ...i, bytes: Buffer.from(i.bytes).toString('base64') })),
        ...(converted.title && section ? { key: draftKeyFor(section, converted.title) } : {}),
      });
    }
    case 'POST preview': {
      if (!deskMayWrite(key, deps.config))
        return refuse(400, 'Bản nháp phải nằm trong thư mục một chuyên mục.');
      return json(200, await previewDraft(deps, key, new TextEncoder().encode(String(body.text ?? ''))));
    }
    case 'POST preview-links': {
      const link = await previewLink(
        deps,
        key,
        typeof body.versionId === 'string' ? body.versionId : undefined,
      );
      return json(200, { path: `${DESK_PREVIEW}${link.token}`, expiresAt: link.expiresAt });
    }
    case 'GET draft': {
      const stored = await deps.drafts.read(key, query.get('versionId') ?? undefined);
      if (!stored) return refuse(404, 'Không có bản nháp này.');
      const text = new TextDecoder().decode(stored.bytes);
      return json(200, { key, text, ...draftFields(text), versionId: stored.versionId });
    }
    case 'GET report': {
      const stored = await deps.drafts.read(reportKey(key));
      if (!stored) return json(200, { pending: true });
      return json(200, JSON.parse(new TextDecoder().decode(stored.bytes)));
    }
    case 'GET versions':
      return json(200, await versionsOf(deps, key));
    case 'GET diff': {
      const parts = await diffVersions(deps, key, query.get('from') ?? '', query.get('to') ?? '');
      return parts ? json(200, parts) : refuse(404, 'Không có phiên bản này.');
    }
    case 'POST restore': {
      const versionId = String(body.versionId ?? '');
      if (!(await deps.drafts.read(key, versionId))) return refuse(404, 'Không có phiên bản này.');
      await restoreVersion(deps, key, versionId, editor);
      deps.log.info('draft version restored', { draftKey: key, versionId });
      return json(200, { restored: versionId });
    }
    case 'POST take-down':
      if (!(await takeDownDraft(deps, key, editor))) return refuse(404, 'Không có bản nháp này.');
      deps.log.info('draft taken down from the desk', { draftKey: key });
      return json(200, { takenDown: key });
    default:
      return refuse(404, 'Không có chức năng này.');
  }
}

function readJson(event: APIGatewayProxyEventV2): Record<string, unknown> {
  if (!event.body) return {};
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { posix } from 'node:path';
import { diffLines } from 'diff';
import type { ArticleRecord } from '../domain/article.ts';
import type { PublishedImage } from '../domain/body.ts';
import { parseDraft } from '../domain/draft.ts';
import type { Problem } from '../domain/problems.ts';
import type { EditorReport } from '../domain/report.ts';
import type { SiteConfig } from '../domain/site.ts';
import { classifyKey } from '../domain/upload-keys.ts';
import type {
  ArticleLists,
  Articles,
  DeskDrafts,
  DeskSecret,
  DraftVersion,
  ImageRenditions,
} from '../ports.ts';
import { renderArticlePage } from '../render/pages.ts';
import { liveRecord } from './article-changes.ts';
import { relatedFor } from './related.ts';

/** What the desk reads and writes: the drafts bucket (through the desk's port) and the article table. */
export interface DeskDeps {
  readonly drafts: DeskDrafts;
  readonly articles: Pick<Articles, 'get'>;
  readonly lists: ArticleLists;
  readonly images: ImageRenditions;
  readonly secret: DeskSecret;
  readonly config: SiteConfig;
  readonly now?: () => Date;
}

/** A draft as the board shows it: its state from its report, its headline and section from its article. */
export interface BoardRow {
  readonly key: string;
  readonly state: EditorReport['status'];
  readonly title: string;
  readonly section?: string;
  readonly by?: string;
  readonly at: string;
  readonly url?: string;
  readonly scheduledFor?: string;
  readonly errors: readonly Problem[];
  readonly warnings: readonly Problem[];
}

/** The board: every draft with a report, the latest change first, filtered by section and state. */
export async function board(
  deps: DeskDeps,
  filter: { readonly section?: string; readonly state?: string } = {},
  limit = 200,
): Promise<BoardRow[]> {
  const rows: BoardRow[] = [];
  for (const report of await deps.drafts.reports(limit)) {
    const record = report.articleId ? await deps.articles.get(report.articleId) : undefined;
    const section = record?.section ?? report.draftKey.split('/')[0];
    if (filter.state && report.status !== filter.state) continue;
    if (filter.section && section !== filter.section) continue;
    rows.push({
      key: report.draftKey,
      state: report.status,
      title: record?.draftKey === report.draftKey ? record.title : posix.basename(report.draftKey, '.md'),
      ...(section ? { section } : {}),
      ...(report.uploadedBy ? { by: report.uploadedBy } : {}),
      at: report.uploadedAt,
      ...(report.url ? { url: report.url } : {}),
      ...(report.scheduledFor ? { scheduledFor: report.scheduledFor } : {}),
      errors: report.errors,
      warnings: report.warnings,
    });
  }
  return rows.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

export type Preview =
  | { readonly ok: true; readonly html: string; readonly path: string }
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly warnings: readonly Problem[] };

/**
 * The page a draft will make, exactly as the renderer makes it (its related teasers as they would be), with
 * photos inline (they are not published yet), marked never to be indexed. Nothing is written.
 */
export async function previewDraft(deps: DeskDeps, key: string, text: Uint8Array): Promise<Preview> {
  const parsed = parseDraft(key, text, deps.config);
  if (!parsed.ok) return { ok: false, problems: parsed.problems, warnings: [] };
  const { draft } = parsed;
  const prev = await deps.articles.get(draft.id);
  const images = new Map<string, PublishedImage>();
  for (const image of draft.images) {
    const stored = await deps.drafts.read(image.key);
    if (!stored) continue;
    try {
      const [small] = await deps.images.renditions(stored.bytes, [800]);
      if (small) {
        images.set(image.src, {
          url: `data:image/${small.format};base64,${Buffer.from(small.bytes).toString('base64')}`,
          width: small.width,
          height: small.height,
        });
      }
    } catch {
      // Not an image the pipeline takes: the publish says why; the preview shows it without.
    }
  }
  const now = (deps.now?.() ?? new Date()).toISOString();
  const record: ArticleRecord = {
    ...liveRecord(draft, {
      slug: draft.slugSet || !prev ? draft.slug : prev.slug,
      publishedAt: draft.publishedAt?.toISOString() ?? prev?.publishedAt ?? now,
      images,
      ...(draft.correction ? { correction: { note: draft.correction, at: now } } : {}),
    }),
    settled: true,
  };
  const related = await relatedFor(deps.lists, record);
  const page = renderArticlePage({ site: deps.config, article: record, related });
  const html = page
    .replace('<head>\n', '<head>\n<meta name="robots" content="noindex, nofollow">\n')
    .replace(
      '<main class="wrap">',
      '<p class="preview-banner" role="status">Bản xem trước: chưa đăng, không ai khác thấy trang này.</p>\n<main class="wrap">',
    );
  return { ok: true, html, path: record.path };
}

/** How long a shareable preview link works unless told. */
export const PREVIEW_LINK_HOURS = 24;

const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/** A link anyone can open until it expires, to the page a draft version will make. Unguessable: signed. */
export async function previewLink(
  deps: Pick<DeskDeps, 'secret' | 'now'>,
  key: string,
  versionId: string | undefined,
  hours = PREVIEW_LINK_HOURS,
): Promise<{ token: string; expiresAt: string }> {
  const expiresAt = new Date((deps.now?.() ?? new Date()).getTime() + hours * 3600_000).toISOString();
  const payload = b64(JSON.stringify({ k: key, v: versionId ?? null, e: expiresAt }));
  const signature = createHmac('sha256', await deps.secret.key())
    .update(payload)
    .digest('base64url');
  return { token: `${payload}.${signature}`, expiresAt };
}

export type OpenedPreview =
  | { readonly kind: 'page'; readonly html: string }
  | { readonly kind: 'refused'; readonly status: 404 | 410; readonly message: string };

/**
 * Opens a shareable preview: the draft version it names, rendered as a preview, until the link expires or
 * the article is published from that draft (then the page itself is the preview).
 */
export async function openPreview(deps: DeskDeps, token: string): Promise<OpenedPreview> {
  const [payload = '', signature = ''] = token.split('.');
  const wanted = createHmac('sha256', await deps.secret.key())
    .update(payload)
    .digest();
  const given = Buffer.from(signature, 'base64url');
  const unknown = { kind: 'refused', status: 404, message: 'Liên kết xem trước không đúng.' } as const;
  if (given.byteLength !== wanted.byteLength || !timingSafeEqual(given, wanted)) return unknown;
  let link: { k: string; v: string | null; e: string };
  try {
    link = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return unknown;
  }
  if (Date.parse(link.e) < (deps.now?.() ?? new Date()).getTime()) {
    return {
      kind: 'refused',
      status: 410,
      message: 'Liên kết xem trước đã hết hạn. Hãy xin một liên kết mới.',
    };
  }
  const stored = await deps.drafts.read(link.k, link.v ?? undefined);
  if (!stored) return { kind: 'refused', status: 410, message: 'Bản nháp này không còn.' };
  const preview = await previewDraft(deps, link.k, stored.bytes);
  if (!preview.ok) return { kind: 'refused', status: 410, message: 'Bản nháp này chưa hợp lệ để xem trước.' };
  // Published from this draft since: the page itself is there to read, and the link has done its work.
  const parsed = parseDraft(link.k, stored.bytes, deps.config);
  const record = parsed.ok ? await deps.articles.get(parsed.draft.id) : undefined;
  if (record?.status === 'live' && record.draftKey === link.k) {
    return {
      kind: 'refused',
      status: 410,
      message: `Bài viết đã đăng: ${deps.config.siteUrl}${record.path}`,
    };
  }
  return { kind: 'page', html: preview.html };
}

/** A draft's versions, newest first. */
export function versionsOf(deps: Pick<DeskDeps, 'drafts'>, key: string): Promise<DraftVersion[]> {
  return deps.drafts.versions(key);
}

/** What changed between two versions of a draft, line by line. */
export async function diffVersions(
  deps: Pick<DeskDeps, 'drafts'>,
  key: string,
  from: string,
  to: string,
): Promise<{ readonly added: boolean; readonly removed: boolean; readonly text: string }[] | undefined> {
  const [a, b] = await Promise.all([deps.drafts.read(key, from), deps.drafts.read(key, to)]);
  if (!a || !b) return undefined;
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return diffLines(decode(a.bytes), decode(b.bytes)).map((part) => ({
    added: part.added === true,
    removed: part.removed === true,
    text: part.value,
  }));
}

/** An older version becomes the current one again, as the editor's change: the pipeline applies it. */
export function restoreVersion(
  deps: Pick<DeskDeps, 'drafts'>,
  key: string,
  versionId: string,
  editor: string,
) {
  return deps.drafts.restore(key, versionId, editor);
}

/**
 * Takes the article down as an editor would with the CLI: the draft stays, marked `status: withdrawn`, so
 * that its history keeps it and a restore brings it back. Returns false when there is no such draft.
 */
export async function takeDownDraft(
  deps: Pick<DeskDeps, 'drafts'>,
  key: string,
  editor: string,
): Promise<boolean> {
  const current = await deps.drafts.read(key);
  if (!current) return false;
  const text = withField(new TextDecoder().decode(current.bytes), 'status', 'withdrawn');
  await deps.drafts.write(key, new TextEncoder().encode(text), 'text/markdown; charset=utf-8', editor);
  return true;
}

/** A draft's text with one top-level front matter field set (replaced where it is, or added at the end). */
export function withField(text: string, field: string, value: string): string {
  const match = /^(\uFEFF?---\r?\n)([\s\S]*?)(\r?\n---(?:\r?\n|$))/.exec(text);
  if (!match) return text;
  const [all, open = '', body = '', close = ''] = match;
  const line = `${field}: ${JSON.stringify(value)}`;
  const pattern = new RegExp(`^${field}:.*$`, 'm');
  const fields = pattern.test(body) ? body.replace(pattern, line) : `${body}\n${line}`;
  return `${open}${fields}${close}${text.slice(all.length)}`;
}

/** Whether a key is one the desk may write a draft or an image to: inside a section's folder, as the CLI. */
export function deskMayWrite(key: string, config: SiteConfig): boolean {
  const [section, ...rest] = key.split('/');
  if (!section || rest.length === 0 || key.includes('..') || key.startsWith('/')) return false;
  if (!config.sections.some((s) => s.slug === section)) return false;
  return classifyKey(key) !== 'ignored';
}

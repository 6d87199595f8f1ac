import { isIPv4, isIPv6 } from 'node:net';
import { ID_PATTERN } from './article.ts';
import { charLength, normalizeLine, normalizeText } from './text.ts';

/**
 * Readers' comments: what a posted form must hold, what gets a moderator's attention, and how a reader's
 * address is reduced before anything keeps it. Pure: the comments function, the moderation command and the
 * renderer all decide from here.
 */

export const COMMENT_LIMITS = { text: 2000, name: 50, email: 254, id: 200 } as const;

/** A comment as stored: never shown before a moderator approves it. */
export interface ReaderComment {
  readonly id: string;
  readonly articleId: string;
  readonly name: string;
  readonly text: string;
  /** Given by the reader for the moderators only; never shown, never logged. */
  readonly email?: string;
  /** The reader's network (/24 or /64), as a keyed hash; never the address itself. */
  readonly client: string;
  readonly createdAt: string;
  readonly status: 'pending' | 'approved' | 'rejected';
  readonly flags: readonly CommentFlag[];
  /** Who decided, when, and (for a rejection) why. */
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly reason?: string;
}

/** What shows on the page of an approved comment. */
export interface ShownComment {
  readonly id: string;
  readonly name: string;
  readonly text: string;
  readonly createdAt: string;
}

/** Why a comment was refused, for the reader, in Vietnamese, naming the field. */
export interface CommentRefusal {
  readonly field: 'article' | 'name' | 'email' | 'text' | 'form';
  readonly code: string;
  readonly message: string;
}

/** What a moderator is asked to look at: flagged comments come first. */
export interface CommentFlag {
  readonly code: 'links' | 'repeated' | 'word';
  readonly detail: string;
}

/** A comment as the reader sent it, checked and cleaned. */
export interface CommentPost {
  readonly articleId: string;
  readonly name: string;
  readonly text: string;
  readonly email?: string;
  /** The hidden field only robots fill in. */
  readonly honeypot: boolean;
}

export const HONEYPOT_FIELD = 'website';

const vnNumber = (n: number) => n.toLocaleString('de-DE');
const EMAIL =
  /^[^\s@<>()[\]\\,;:"]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

/**
 * Reads the fields of a posted form: NFC, invisible, control, bidi and format characters removed, the
 * name on one line, the comment's line breaks kept (at most two in a row), every limit checked. Every
 * problem is reported at once, each naming its field.
 */
export function readCommentForm(
  fields: ReadonlyMap<string, string>,
): { ok: true; post: CommentPost } | { ok: false; refusals: CommentRefusal[] } {
  const refusals: CommentRefusal[] = [];
  const articleId = normalizeLine(fields.get('article') ?? '');
  if (!ID_PATTERN.test(articleId) || articleId.length > COMMENT_LIMITS.id) {
    refusals.push({
      field: 'article',
      code: 'article_unknown',
      message: 'Không rõ bình luận cho bài viết nào. Hãy quay lại trang bài viết và gửi lại từ đó.',
    });
  }
  const name = normalizeLine(fields.get('name') ?? '');
  if (name === '') {
    refusals.push({
      field: 'name',
      code: 'name_missing',
      message: `Bạn chưa nhập tên. Hãy nhập tên hiển thị (tối đa ${COMMENT_LIMITS.name} ký tự).`,
    });
  } else if (charLength(name) > COMMENT_LIMITS.name) {
    refusals.push({
      field: 'name',
      code: 'name_too_long',
      message: `Tên dài ${vnNumber(charLength(name))} ký tự, quá giới hạn ${COMMENT_LIMITS.name} ký tự. Hãy rút gọn.`,
    });
  }
  const email = normalizeLine(fields.get('email') ?? '');
  if (email !== '' && (email.length > COMMENT_LIMITS.email || !EMAIL.test(email))) {
    refusals.push({
      field: 'email',
      code: 'email_invalid',
      message:
        'Địa chỉ email không hợp lệ (ví dụ đúng: ten@example.vn). Hãy sửa lại, hoặc để trống vì email không bắt buộc.',
    });
  }
  const text = commentText(fields.get('text') ?? '');
  if (text === '') {
    refusals.push({
      field: 'text',
      code: 'text_missing',
      message: 'Bạn chưa viết bình luận. Hãy nhập nội dung rồi gửi lại.',
    });
  } else if (charLength(text) > COMMENT_LIMITS.text) {
    refusals.push({
      field: 'text',
      code: 'text_too_long',
      message: `Bình luận dài ${vnNumber(charLength(text))} ký tự, quá giới hạn ${vnNumber(COMMENT_LIMITS.text)} ký tự. Hãy rút gọn rồi gửi lại.`,
    });
  }
  if (refusals.length > 0) return { ok: false, refusals };
  return {
    ok: true,
    post: {
      articleId,
      name,
      text,
      ...(email ? { email: email.toLowerCase() } : {}),
      honeypot: (fields.get(HONEYPOT_FIELD) ?? '') !== '',
    },
  };
}

/** A comment's text as kept: normalised, each line trimmed of trailing space, at most one empty line in a row. */
export function commentText(raw: string): string {
  return normalizeText(raw)
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[^\S\n]+/gu, ' ').trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Lowercase, tone marks removed, `đ` to `d`: how flagged words are matched. */
export function foldVietnamese(text: string): string {
  return text.normalize('NFC').replace(/[đĐ]/gu, 'd').normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

const LINK = /\bhttps?:\/\/|\bwww\.|\b[a-z0-9-]+\.(?:com|net|org|vn|info|xyz|top|io|ru|cn|biz|click|link)\b/i;

/**
 * Why a moderator should look twice: links, text repeated (a run of one character or word, or a comment
 * the article already has), words from the newsroom's list (matched folded, so tone marks and `đ` do not
 * hide them). Flagged comments still wait for a decision like any other; nothing is refused for this.
 */
export function commentFlags(
  text: string,
  options: { readonly words: readonly string[]; readonly earlier: readonly string[] },
): CommentFlag[] {
  const flags: CommentFlag[] = [];
  if (LINK.test(text)) flags.push({ code: 'links', detail: 'có đường link' });
  const folded = foldVietnamese(text);
  const same = (t: string) => foldVietnamese(t).replace(/\s+/g, ' ').trim();
  if (/(.)\1{9,}/u.test(text) || /\b(\S+)(?:\s+\1\b){4,}/u.test(folded)) {
    flags.push({ code: 'repeated', detail: 'lặp lại ký tự hoặc từ' });
  } else if (options.earlier.some((t) => same(t) === same(text))) {
    flags.push({ code: 'repeated', detail: 'trùng một bình luận đã gửi cho bài này' });
  }
  const words = folded.split(/[^\p{L}\p{N}]+/u);
  const joined = ` ${words.join(' ')} `;
  const found = options.words.filter((w) => {
    const word = foldVietnamese(w).trim();
    return word !== '' && joined.includes(` ${word} `);
  });
  if (found.length > 0) flags.push({ code: 'word', detail: `có từ trong danh sách: ${found.join(', ')}` });
  return flags;
}

/**
 * The reader's network, the most of the address kept anywhere, and only as a keyed hash: the first three
 * octets of IPv4 (/24), the first four groups of IPv6 (/64). An IPv4 address mapped into IPv6 counts as
 * IPv4. Anything else is no address at all.
 */
export function clientNetwork(address: string): string | undefined {
  const plain = address.trim().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain)?.[1];
  const v4 = mapped ?? plain;
  if (isIPv4(v4)) return `${v4.split('.').slice(0, 3).join('.')}.0/24`;
  if (!isIPv6(plain)) return undefined;
  const [head = '', tail = ''] = plain.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = plain.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = plain.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** Whether an article still takes comments: threads close `closeAfterDays` after publication. */
export function threadOpen(publishedAt: string, closeAfterDays: number, now: Date): boolean {
  return now.getTime() < Date.parse(publishedAt) + closeAfterDays * 86_400_000;
}

/** The order of the moderation queue: flagged first, then oldest first. */
export function queueOrder(comment: Pick<ReaderComment, 'flags' | 'createdAt' | 'id'>): string {
  return `${comment.flags.length > 0 ? 0 : 1}#${comment.createdAt}#${comment.id}`;
}

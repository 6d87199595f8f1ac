import type { ArticleRecord } from '../domain/article.ts';
import { COMMENT_LIMITS, HONEYPOT_FIELD, type ShownComment } from '../domain/comments.ts';
import { formatDateLine, formatIsoVietnam } from '../domain/dates.ts';
import { html, type SafeHtml } from './html.ts';

/** The site's own API, on its own CDN behaviour: caching disabled, every method. */
export const API_PREFIX = '/api/';
/** Where the comment form posts: the comments function, behind the same CDN, never cached. */
export const COMMENTS_ENDPOINT = `${API_PREFIX}comments`;

/** A comment's text as the page shows it: escaped, paragraphs at empty lines, line breaks kept. */
export function commentBody(text: string): SafeHtml {
  const paragraphs = text.split(/\n{2,}/);
  return html`${paragraphs.map(
    (p) => html`<p>${p.split('\n').map((line, i) => html`${i > 0 ? html`<br>` : ''}${line}`)}</p>`,
  )}`;
}

/**
 * The seed's comments box, under the byline: "Bình luận" with the approved comments (name, Vietnam time,
 * text), "Hiện tại chưa có bình luận" when there are none, and a plain form to write one, which works
 * without JavaScript; a closed thread says so instead of the form.
 */
export function commentsSection(
  article: ArticleRecord,
  comments: readonly ShownComment[],
  open: boolean,
  closeAfterDays: number,
): SafeHtml {
  const list =
    comments.length === 0
      ? html`<p class="empty">Hiện tại chưa có bình luận</p>`
      : html`<ol class="comment-list">
${comments.map((c) => {
  const at = new Date(c.createdAt);
  return html`<li class="comment" id="binh-luan-${c.id}"><p class="comment-meta"><strong>${c.name}</strong> · <time datetime="${formatIsoVietnam(at)}">${formatDateLine(at)}</time></p>
<div class="comment-text">${commentBody(c.text)}</div></li>
`;
})}</ol>`;
  const form = open
    ? html`<h3 id="write-comment">Viết bình luận</h3>
<form class="comment-form" method="post" action="${COMMENTS_ENDPOINT}" aria-labelledby="write-comment">
<input type="hidden" name="article" value="${article.id}">
<p><label for="comment-name">Họ tên</label>
<input id="comment-name" name="name" type="text" required maxlength="${COMMENT_LIMITS.name}" autocomplete="name"></p>
<p><label for="comment-email">Email (không bắt buộc, không hiển thị)</label>
<input id="comment-email" name="email" type="email" maxlength="${COMMENT_LIMITS.email}" autocomplete="email"></p>
<p><label for="comment-text">Nội dung bình luận</label>
<textarea id="comment-text" name="text" required rows="5" maxlength="${COMMENT_LIMITS.text}"></textarea></p>
<p class="hp" aria-hidden="true"><label for="comment-${HONEYPOT_FIELD}">Để trống ô này</label>
<input id="comment-${HONEYPOT_FIELD}" name="${HONEYPOT_FIELD}" type="text" tabindex="-1" autocomplete="off"></p>
<p class="comment-note">Bình luận được ban biên tập duyệt trước khi đăng.</p>
<p><button type="submit">Gửi bình luận</button></p>
</form>`
    : html`<p class="comment-note">Bài viết đã đóng bình luận (bình luận mở ${closeAfterDays} ngày sau khi đăng).</p>`;
  return html`<section class="comments" id="binh-luan" aria-labelledby="comments-heading">
<h2 id="comments-heading">Bình luận</h2>
${list}
${form}
</section>
`;
}

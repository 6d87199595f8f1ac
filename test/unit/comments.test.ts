import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryComments } from '#shared/adapters/memory/comments.ts';
import { MemoryArticleIndex, MemoryRenderQueue } from '#shared/adapters/memory/index.ts';
import {
  COMMENT_LIMITS,
  clientNetwork,
  commentFlags,
  foldVietnamese,
  readCommentForm,
} from '#shared/domain/comments.ts';
import { hasInvisible } from '#shared/domain/text.ts';
import { commentBody } from '#shared/render/comments.ts';
import {
  banClient,
  decideComment,
  deleteComment,
  type PostDeps,
  postComment,
  renderClosedThreads,
} from '#shared/use-cases/comments.ts';
import { silentLog } from '../support/memory-pipeline.ts';
import { articleRecord, SITE } from '../support/site.ts';

const form = (fields: Record<string, string | undefined>) =>
  new Map(
    Object.entries({ article: 'bai-1', name: 'Nguyễn Văn A', text: 'Bài viết rất hay.', ...fields }).filter(
      (e): e is [string, string] => e[1] !== undefined,
    ),
  );

describe('reading a comment form', () => {
  it.each([
    { case: 'no name', fields: { name: '' }, codes: ['name_missing'] },
    {
      case: 'a name of spaces and invisible marks',
      fields: { name: ' \u200b\u202e ' },
      codes: ['name_missing'],
    },
    { case: 'a name of 51 characters', fields: { name: 'a'.repeat(51) }, codes: ['name_too_long'] },
    { case: 'no comment', fields: { text: '' }, codes: ['text_missing'] },
    { case: 'a comment of line breaks only', fields: { text: '\n \r\n\t' }, codes: ['text_missing'] },
    { case: 'a comment of 2,001 characters', fields: { text: 'ă'.repeat(2001) }, codes: ['text_too_long'] },
    { case: 'a malformed email', fields: { email: 'ten@' }, codes: ['email_invalid'] },
    { case: 'an email with markup', fields: { email: '<a@b.vn>' }, codes: ['email_invalid'] },
    { case: 'no article', fields: { article: '' }, codes: ['article_unknown'] },
    { case: 'an article id with markup', fields: { article: '<script>' }, codes: ['article_unknown'] },
    {
      case: 'everything missing',
      fields: { article: '', name: '', text: '' },
      codes: ['article_unknown', 'name_missing', 'text_missing'],
    },
  ])('refuses $case, naming the field in Vietnamese', ({ fields, codes }) => {
    const result = readCommentForm(form(fields));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.refusals.map((r) => r.code)).toEqual(codes);
    for (const r of result.refusals) expect(r.message).toMatch(/[ạảãáàâăêôơưđ]/);
  });

  it('keeps exactly 2,000 characters (counted as readers see them, tone marks composed)', () => {
    const decomposed = 'a\u0306'.repeat(COMMENT_LIMITS.text); // ă typed as a + combining breve
    const result = readCommentForm(form({ text: decomposed }));
    expect(result.ok && result.post.text).toBe('ă'.repeat(COMMENT_LIMITS.text));
  });

  it('takes an email only for the moderators, lower-cased; none when left empty', () => {
    const given = readCommentForm(form({ email: 'Ten.Ho@BaoLaiChau.vn' }));
    expect(given.ok && given.post.email).toBe('ten.ho@baolaichau.vn');
    const empty = readCommentForm(form({ email: '' }));
    expect(empty.ok && 'email' in empty.post).toBe(false);
  });

  it('notices the hidden field only robots fill in', () => {
    const robot = readCommentForm(form({ website: 'http://spam.example' }));
    expect(robot.ok && robot.post.honeypot).toBe(true);
  });

  it('keeps any text it accepts NFC, without invisible, control or bidi characters, within the limit', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.string({ maxLength: 80 }),
        (text, name) => {
          const result = readCommentForm(form({ text, name }));
          if (!result.ok) return;
          for (const kept of [result.post.text, result.post.name]) {
            expect(hasInvisible(kept)).toBe(false);
            expect(kept.normalize('NFC')).toBe(kept);
            expect(kept.trim()).not.toBe('');
          }
          expect([...result.post.name].length).toBeLessThanOrEqual(COMMENT_LIMITS.name);
          expect(result.post.name).not.toMatch(/\n/);
        },
      ),
    );
  });
});

describe('showing a comment', () => {
  it('escapes everything a reader typed: only its own paragraphs and line breaks are markup', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const shown = commentBody(text)
          .toString()
          .replace(/<\/?p>|<br>/g, '');
        expect(shown).not.toMatch(/[<>"]/);
      }),
    );
  });

  it('keeps line breaks and paragraphs, and shows a link as text', () => {
    expect(commentBody('Dòng một\nDòng hai\n\n<a href="x">link</a> https://x.vn').toString()).toBe(
      '<p>Dòng một<br>Dòng hai</p><p>&lt;a href=&quot;x&quot;&gt;link&lt;/a&gt; https://x.vn</p>',
    );
  });
});

describe("a reader's network", () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['203.0.113.1', '203.0.113.0/24'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['2001:db8:abcd:12:1:2:3:4', '2001:db8:abcd:12::/64'],
    ['2001:0DB8:ABCD:0012::9', '2001:db8:abcd:12::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['[2001:db8::1]', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['not an address', undefined],
    ['203.0.113.999', undefined],
    ['', undefined],
  ])('%s → %s', (address, network) => {
    expect(clientNetwork(address)).toBe(network);
  });
});

describe('flags for a moderator', () => {
  const flags = (text: string, earlier: string[] = []) =>
    commentFlags(text, { words: SITE.comments.flagWords, earlier }).map((f) => f.code);

  it.each([
    ['Bài viết hay, cảm ơn tác giả.', []],
    ['Xem thêm tại https://spam.example/x', ['links']],
    ['Vào www.keo-nha-cai.top ngay', ['links', 'word']],
    ['Hayyyyyyyyyyyyy quá', ['repeated']],
    ['mua mua mua mua mua mua', ['repeated']],
    ['Tham gia CÁ ĐỘ bóng đá', ['word']],
    ['tham gia ca do bong da', ['word']],
    ['Tôi đi ngủ sớm để đọc báo', []],
  ])('%s → %j', (text, expected) => {
    expect(flags(text)).toEqual(expected);
  });

  it('flags a comment the article already has, whatever its case or spacing', () => {
    expect(flags('Bài  viết HAY', ['bài viết hay'])).toEqual(['repeated']);
  });

  it('folds Vietnamese as the word list is matched: tone marks off, đ as d', () => {
    expect(foldVietnamese('Đường Điện Biên Phủ')).toBe('duong dien bien phu');
  });
});

describe('posting a comment', () => {
  const LIVE = articleRecord(1, { publishedAt: '2024-05-19T03:00:00.000Z' });
  const site = { ...SITE, siteUrl: 'https://baolaichau.example' };
  async function setup(at = '2024-05-20T03:00:00.000Z') {
    const index = new MemoryArticleIndex();
    await index.put(LIVE);
    const comments = new MemoryComments();
    let now = Date.parse(at);
    const deps: PostDeps = {
      comments,
      limits: comments,
      bans: comments,
      secret: comments,
      articles: index,
      config: site,
      log: silentLog,
      now: () => new Date(now),
    };
    const post = (fields: Record<string, string> = {}, headers: Record<string, string | undefined> = {}) =>
      postComment(deps, {
        fields: form({ article: LIVE.id, ...fields }),
        origin: 'https://baolaichau.example',
        clientAddress: '203.0.113.77',
        ...headers,
      });
    return { deps, comments, post, advance: (ms: number) => (now += ms) };
  }

  it('keeps an accepted comment as pending, with a hash of the network and never the address', async () => {
    const { comments, post } = await setup();
    expect(await post({ email: 'doc.gia@example.vn' })).toEqual({ kind: 'accepted', articlePath: LIVE.path });
    const [kept] = [...comments.comments.values()];
    expect(kept?.status).toBe('pending');
    expect(kept?.client).toMatch(/^[0-9a-f]{24}$/);
    expect(JSON.stringify(kept)).not.toContain('203.0.113');
    expect(kept?.email).toBe('doc.gia@example.vn');
  });

  it.each([
    { case: 'another site', headers: { origin: 'https://evil.example' } },
    { case: 'a look-alike host', headers: { origin: 'https://baolaichau.example.evil.example' } },
    {
      case: 'no Origin, a Referer elsewhere',
      headers: { origin: '', referer: 'https://evil.example/baolaichau.example/' },
    },
    { case: 'neither Origin nor Referer', headers: { origin: '' } },
  ])('refuses a post from $case (403)', async ({ headers }) => {
    const { comments, post } = await setup();
    const outcome = await post({}, headers);
    expect(outcome).toMatchObject({ kind: 'refused', status: 403, refusals: [{ code: 'cross_site' }] });
    expect(comments.comments.size).toBe(0);
  });

  it('takes a post without Origin whose Referer is a page of the site', async () => {
    const { post } = await setup();
    expect((await post({}, { origin: '', referer: `https://baolaichau.example${LIVE.path}` })).kind).toBe(
      'accepted',
    );
  });

  it('answers a second post within 30 seconds with 429 and how long to wait, then takes it', async () => {
    const { post, advance } = await setup();
    await post();
    const again = await post({ text: 'Thêm một ý nữa.' });
    expect(again).toMatchObject({ kind: 'refused', status: 429, refusals: [{ code: 'too_many' }] });
    expect(again.kind === 'refused' && again.retryAfter).toBeGreaterThan(0);
    advance(31_000);
    expect((await post({ text: 'Thêm một ý nữa.' })).kind).toBe('accepted');
  });

  it('takes at most ten a day from one network, counted afresh the next day', async () => {
    const { post, advance } = await setup();
    const kinds: string[] = [];
    for (let i = 0; i < 12; i++) {
      kinds.push((await post({ text: `Ý kiến số ${i}` })).kind);
      advance(31_000);
    }
    expect(kinds).toEqual([...Array(10).fill('accepted'), 'refused', 'refused']);
    advance(86_400_000);
    expect((await post({ text: 'Hôm sau' })).kind).toBe('accepted');
  });

  it('counts one network as one reader: another address of the same /24 waits too', async () => {
    const { post } = await setup();
    await post();
    expect((await post({}, { clientAddress: '203.0.113.5' })).kind).toBe('refused');
    expect((await post({}, { clientAddress: '198.51.100.5' })).kind).toBe('accepted');
  });

  it('refuses a thread closed 7 days after publication, and an article that is not live', async () => {
    const late = await setup('2024-05-26T03:00:01.000Z');
    expect(await late.post()).toMatchObject({ status: 403, refusals: [{ code: 'thread_closed' }] });
    const { post } = await setup();
    expect(await post({ article: 'khong-co' })).toMatchObject({
      status: 404,
      refusals: [{ code: 'article_unknown' }],
    });
  });

  it('answers a robot that filled the hidden field as if accepted, and keeps nothing', async () => {
    const { comments, post } = await setup();
    expect((await post({ website: 'spam' })).kind).toBe('accepted');
    expect(comments.comments.size).toBe(0);
  });

  it('refuses a banned network', async () => {
    const { comments, post, advance } = await setup();
    await post();
    const [first] = [...comments.comments.values()];
    await banClient(
      { comments, bans: comments, render: new MemoryRenderQueue() },
      first?.client ?? '',
      'bientap',
    );
    advance(60_000);
    expect(await post()).toMatchObject({ status: 403, refusals: [{ code: 'banned' }] });
  });
});

describe('moderating', () => {
  it('records who decided and when, and renders the article page again', async () => {
    const comments = new MemoryComments();
    const render = new MemoryRenderQueue();
    const deps = { comments, bans: comments, render, now: () => new Date('2024-05-20T04:00:00Z') };
    await comments.add({
      id: 'c1',
      articleId: 'bai-1',
      name: 'A',
      text: 'x',
      email: 'a@b.vn',
      client: 'f'.repeat(24),
      createdAt: '2024-05-20T03:00:00.000Z',
      status: 'pending',
      flags: [],
    });
    const approved = await decideComment(deps, 'c1', { status: 'approved', by: 'bientap' });
    expect(approved).toMatchObject({
      status: 'approved',
      decidedBy: 'bientap',
      decidedAt: '2024-05-20T04:00:00.000Z',
    });
    expect(render.pending).toEqual([{ view: 'article/bai-1' }]);
    expect(await comments.shownOn('bai-1')).toEqual([
      { id: 'c1', name: 'A', text: 'x', createdAt: '2024-05-20T03:00:00.000Z' },
    ]);
    await deleteComment(deps, 'c1', 'bientap');
    expect(comments.comments.size).toBe(0);
    expect(comments.removed.get('c1')).toEqual({ by: 'bientap', at: '2024-05-20T04:00:00.000Z' });
    await expect(decideComment(deps, 'c1', { status: 'approved', by: 'x' })).rejects.toThrow(/No comment/);
  });
});

describe('closing threads', () => {
  it('renders again the pages whose thread closed lately, and only those', async () => {
    const index = new MemoryArticleIndex();
    const now = Date.parse('2024-06-01T12:00:00Z');
    const ago = (hours: number) => new Date(now - hours * 3600_000).toISOString();
    const day = 24;
    await index.put(
      articleRecord(1, { publishedAt: ago(7 * day + 0.5), sortKey: `${ago(7 * day + 0.5)}#bai-1` }),
    );
    await index.put(
      articleRecord(2, { publishedAt: ago(7 * day - 1), sortKey: `${ago(7 * day - 1)}#bai-2` }),
    );
    await index.put(
      articleRecord(3, { publishedAt: ago(7 * day + 3), sortKey: `${ago(7 * day + 3)}#bai-3` }),
    );
    const render = new MemoryRenderQueue();
    expect(await renderClosedThreads({ index, render, config: SITE }, new Date(now))).toBe(1);
    expect(render.pending).toEqual([{ view: 'article/bai-1' }]);
  });
});

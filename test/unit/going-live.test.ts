import { describe, expect, it } from 'vitest';
import type { ArticleRecord } from '#shared/domain/article.ts';
import { articleState } from '#shared/domain/article-state.ts';
import type { AuditEntry } from '#shared/domain/audit.ts';
import { type DownAs, GOING_DOWN_STEPS, isDownAs, planGoingDown } from '#shared/domain/going-down.ts';
import { GOING_LIVE_STEPS, type GoingLiveFacts, planGoingLive } from '#shared/domain/going-live.ts';
import { articleRecord, stepsNamedInConvergence } from '../support/site.ts';

const A = '/xa-hoi/bai-1';
const B = '/xa-hoi/ten-moi';

/** The article as a draft makes it: live at `path`, not settled, no former addresses yet. */
function next(path = A, version = 1): ArticleRecord {
  return articleRecord(1, {
    section: 'xa-hoi',
    path,
    slug: path.split('/')[2] ?? '',
    version,
    settled: false,
  });
}

const line = (action: AuditEntry['action'], path: string): AuditEntry => ({
  articleId: 'bai-1',
  action,
  draftKey: 'xa-hoi/bai-1.md',
  actor: 'AWS:EDITOR',
  at: '2024-01-01T00:00:00.000Z',
  path,
});

function plan(facts: Partial<GoingLiveFacts> & Pick<GoingLiveFacts, 'next'>, rebuild = false) {
  const result = planGoingLive(
    { prev: undefined, holders: new Map(), lastLine: undefined, ...facts },
    { rebuild },
  );
  return result.ok ? result.steps.map((s) => s.kind) : `refused: held by ${result.holder}`;
}

describe('planning an article going live', () => {
  // Table: the record as it stands × the draft → the steps, in order.
  it.each([
    {
      state: 'absent (a new article)',
      kind: 'absent',
      facts: { next: next() },
      steps: [
        'note-intent',
        'claim',
        'write-page-ahead',
        'open-address',
        'record',
        'send-jobs',
        'audit',
        'settle',
      ],
    },
    {
      state: 'absent, in a rebuild',
      kind: 'absent',
      facts: { next: next() },
      rebuild: true,
      steps: ['claim', 'open-address', 'record', 'audit', 'settle'],
    },
    {
      state: 'live and settled, corrected in place',
      kind: 'live',
      facts: {
        prev: articleRecord(1, { section: 'xa-hoi', path: A, settled: true }),
        next: next(A, 2),
        lastLine: line('published', A),
      },
      steps: ['claim', 'open-address', 'record', 'send-jobs', 'settle'],
    },
    {
      state: 'live and settled, renamed',
      kind: 'live',
      facts: {
        prev: articleRecord(1, { section: 'xa-hoi', path: A, settled: true }),
        next: next(B, 2),
        lastLine: line('published', A),
      },
      steps: [
        'note-intent',
        'claim',
        'claim-former',
        'write-page-ahead',
        'open-address',
        'record',
        'send-jobs',
        'redirect',
        'remove-pages',
        'audit',
        'settle',
      ],
    },
    {
      state: 'changing toward B, interrupted after the history said so (a retry)',
      kind: 'changing',
      facts: {
        prev: articleRecord(1, {
          section: 'xa-hoi',
          path: A,
          settled: false,
          claimedAhead: [B],
          pendingFrom: [{ section: 'xa-hoi', sortKey: 'k', path: A, tags: [] }],
        }),
        next: next(B, 2),
        lastLine: line('moved', B),
      },
      steps: [
        'claim',
        'claim-former',
        'write-page-ahead',
        'open-address',
        'record',
        'send-jobs',
        'redirect',
        'remove-pages',
        'settle',
      ],
    },
    {
      state: 'down (withdrawn), back at its address',
      kind: 'down',
      facts: {
        prev: articleRecord(1, { section: 'xa-hoi', path: A, status: 'withdrawn', settled: true }),
        next: next(A, 2),
        lastLine: line('taken-down', A),
      },
      steps: [
        'note-intent',
        'claim',
        'write-page-ahead',
        'open-address',
        'record',
        'send-jobs',
        'audit',
        'settle',
      ],
    },
  ])('$state', ({ facts, kind, rebuild, steps }) => {
    expect(articleState(facts.prev).kind).toBe(kind);
    expect(plan(facts, rebuild)).toEqual(steps);
  });

  it('refuses an address another article holds, before anything is written', () => {
    expect(plan({ next: next(B), holders: new Map([[B, 'bai-khac']]) })).toBe('refused: held by bai-khac');
  });

  it('keeps as former only the old addresses no other article has taken', () => {
    const prev = articleRecord(1, {
      section: 'xa-hoi',
      path: A,
      formerPaths: ['/xa-hoi/cu'],
      status: 'withdrawn',
      settled: true,
    });
    const result = planGoingLive(
      { prev, next: next(B, 2), holders: new Map([['/xa-hoi/cu', 'bai-khac']]), lastLine: undefined },
      { rebuild: false },
    );
    if (!result.ok) throw new Error('refused');
    const redirects = result.steps.filter((s) => s.kind === 'redirect').map((s) => s.from);
    expect(redirects).toEqual([A]);
    const record = result.steps.find((s) => s.kind === 'record');
    expect(record?.kind === 'record' && record.record.formerPaths).toEqual([A]);
  });

  it('applies its steps in the order docs/convergence.md argues, by the same names', () => {
    const named = stepsNamedInConvergence('A change that makes an article live', 'A takedown is planned');
    expect(named).toEqual([...GOING_LIVE_STEPS]);
    // Every plan is that order, some steps left out.
    const full = plan({
      prev: articleRecord(1, { section: 'xa-hoi', path: A, settled: true }),
      next: next(B, 2),
      lastLine: line('published', A),
    });
    expect(full).toEqual([...GOING_LIVE_STEPS]);
  });
});

describe('the state an article is in', () => {
  it.each([
    { record: undefined, kind: 'absent' },
    { record: articleRecord(1, { status: 'new', settled: false, claimedAhead: [A] }), kind: 'new' },
    { record: articleRecord(1, { settled: true }), kind: 'live' },
    { record: articleRecord(1, { status: 'scheduled', settled: true }), kind: 'down' },
    { record: articleRecord(1, { status: 'withdrawn', settled: false }), kind: 'changing' },
  ])('$kind', ({ record, kind }) => {
    expect(articleState(record).kind).toBe(kind);
  });

  it('reads an unsettled change as changing, toward its status, from where it showed', () => {
    const from = [{ section: 'xa-hoi', sortKey: 'k', path: A, tags: [] }];
    expect(
      articleState(articleRecord(1, { path: B, settled: false, pendingFrom: from, claimedAhead: [B] })),
    ).toEqual({
      kind: 'changing',
      toward: 'live',
      from,
      claimedAhead: [B],
    });
  });
});

describe('planning a takedown', () => {
  const live = articleRecord(1, { section: 'xa-hoi', path: B, formerPaths: [A], settled: true });
  const down = (downAs: DownAs, holders = new Map<string, string | undefined>()) =>
    planGoingDown({ prev: live, holders, lastLine: line('published', B) }, downAs).map((s) =>
      'path' in s ? `${s.kind} ${s.path}` : s.kind,
    );

  it.each([
    {
      downAs: 'withdrawn' as const,
      steps: ['record', 'send-jobs', `gone ${B}`, `gone ${A}`, 'audit', 'settle'],
    },
    { downAs: 'scheduled' as const, steps: ['record', 'send-jobs', `unredirect ${A}`, 'audit', 'settle'] },
  ])(
    '$downAs: the record first, then the jobs, the addresses, the history, the settle',
    ({ downAs, steps }) => {
      expect(down(downAs)).toEqual(steps);
    },
  );

  it('leaves alone an address another article has claimed', () => {
    expect(down('withdrawn', new Map([[A, 'bai-khac']]))).not.toContain(`gone ${A}`);
  });

  it('is done already when down as asked and settled', () => {
    expect(isDownAs({ ...live, status: 'withdrawn' }, 'withdrawn')).toBe(true);
    expect(isDownAs({ ...live, status: 'withdrawn', settled: false }, 'withdrawn')).toBe(false);
    expect(isDownAs({ ...live, status: 'withdrawn' }, 'scheduled')).toBe(true);
    expect(isDownAs({ ...live, status: 'scheduled' }, 'withdrawn')).toBe(false);
  });

  it('applies its steps in the order docs/convergence.md argues, by the same names', () => {
    const named = stepsNamedInConvergence('A takedown is planned', '## 4.');
    expect(named).toEqual([...GOING_DOWN_STEPS]);
  });
});

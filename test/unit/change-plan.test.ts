import { describe, expect, it } from 'vitest';
import type { ArticleRecord } from '#shared/domain/article.ts';
import { CHANGE_STEPS, type ChangeFacts, type DraftAsRead, planChange } from '#shared/domain/change-plan.ts';
import { parseDraft } from '#shared/domain/draft.ts';
import { problem } from '#shared/domain/problems.ts';
import { articleRecord, draftText, SITE, stepsNamedInConvergence } from '../support/site.ts';

const KEY = 'xa-hoi/bai-1.md';
const NOW = new Date('2024-03-01T00:00:00Z');

function valid(fields: Record<string, unknown> = {}): DraftAsRead {
  const parsed = parseDraft(KEY, Buffer.from(draftText({ id: 'bai-1', ...fields })), SITE);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return { kind: 'valid', draft: parsed.draft, warnings: parsed.warnings };
}

const live = articleRecord(1, { section: 'xa-hoi', draftKey: KEY, slug: 'cu', path: '/xa-hoi/cu' });
const scheduled = { ...live, status: 'scheduled' } satisfies ArticleRecord;
const halfWay = { ...live, settled: false } satisfies ArticleRecord;
const future = { publishedAt: '2024-04-01T08:00:00+07:00' };

function plan(draft: DraftAsRead, prev?: ArticleRecord, more: Partial<ChangeFacts> = {}) {
  const result = planChange({
    key: KEY,
    uploadedAt: NOW,
    now: NOW,
    draft,
    id: 'bai-1',
    prev,
    otherDraft: undefined,
    siteUrl: 'https://baotinh.vn',
    ...more,
  });
  return {
    status: result.report.status,
    steps: result.steps.map((s) => ('downAs' in s ? `${s.kind} ${s.downAs}` : s.kind)),
    report: result.report,
  };
}

describe('planning a change to a draft key: state × draft → report and steps', () => {
  it.each([
    {
      state: 'absent',
      draft: 'gone',
      prev: undefined,
      read: { kind: 'gone' } as const,
      status: 'withdrawn',
      steps: ['cancel-schedule', 'take-down withdrawn'],
    },
    {
      state: 'live',
      draft: 'gone',
      prev: live,
      read: { kind: 'gone' } as const,
      status: 'withdrawn',
      steps: ['cancel-schedule', 'take-down withdrawn'],
    },
    {
      state: 'live',
      draft: 'withdrawn',
      prev: live,
      read: valid({ status: 'withdrawn' }),
      status: 'withdrawn',
      steps: ['cancel-schedule', 'take-down withdrawn'],
    },
    {
      state: 'live',
      draft: 'too large',
      prev: live,
      read: { kind: 'too-large', size: 9, max: 1 } as const,
      status: 'rejected',
      steps: ['finish-interrupted'],
    },
    {
      state: 'changing',
      draft: 'invalid',
      prev: halfWay,
      read: { kind: 'invalid', problems: [problem('required', { field: 'title' })] } as const,
      status: 'rejected',
      steps: ['finish-interrupted'],
    },
    {
      state: 'absent',
      draft: 'due',
      prev: undefined,
      read: valid(),
      status: 'published',
      steps: ['cancel-schedule', 'publish'],
    },
    {
      state: 'live',
      draft: 'due (a correction)',
      prev: live,
      read: valid(),
      status: 'published',
      steps: ['publish'],
    },
    {
      state: 'down (scheduled)',
      draft: 'due',
      prev: scheduled,
      read: valid(),
      status: 'published',
      steps: ['cancel-schedule', 'publish'],
    },
    {
      state: 'absent',
      draft: 'in the future',
      prev: undefined,
      read: valid(future),
      status: 'scheduled',
      steps: ['schedule'],
    },
    {
      state: 'live',
      draft: 'in the future',
      prev: live,
      read: valid(future),
      status: 'scheduled',
      steps: ['take-down scheduled', 'schedule'],
    },
    {
      state: 'changing',
      draft: 'in the future',
      prev: halfWay,
      read: valid(future),
      status: 'scheduled',
      steps: ['take-down scheduled', 'schedule'],
    },
    {
      state: 'down (scheduled)',
      draft: 'in the future',
      prev: scheduled,
      read: valid(future),
      status: 'scheduled',
      steps: ['schedule'],
    },
  ])('$state, draft $draft: $status', ({ prev, read, status, steps }) => {
    const result = plan(read, prev);
    expect(result.status).toBe(status);
    expect(result.steps).toEqual(steps);
  });

  it('refuses a draft whose id another draft in the bucket has, and finishes what was interrupted', () => {
    const other = { ...live, draftKey: 'xa-hoi/khac.md' };
    const result = plan(valid(), other, { otherDraft: 'xa-hoi/khac.md' });
    expect(result.steps).toEqual(['finish-interrupted']);
    expect(result.report.errors.map((e) => e.code)).toEqual(['duplicate_id']);
  });

  it('publishes a corrected headline at the address readers have; a slug: field moves it', () => {
    expect(plan(valid({ title: 'Tiêu đề đã sửa' }), live).report.url).toBe('https://baotinh.vn/xa-hoi/cu');
    expect(plan(valid({ slug: 'moi' }), live).report.url).toBe('https://baotinh.vn/xa-hoi/moi');
  });

  it('counts a publication time reached by the upload as due, though the clock lags', () => {
    const at = new Date('2024-04-01T01:00:00Z');
    expect(plan(valid(future), undefined, { uploadedAt: at, now: NOW }).status).toBe('published');
  });

  it('tells the editor when a scheduled draft goes live', () => {
    expect(plan(valid(future)).report.scheduledFor).toBe('2024-04-01T01:00:00.000Z');
  });

  it('applies its steps in the order docs/convergence.md argues, by the same names', () => {
    const named = stepsNamedInConvergence(
      'A change to a draft key is planned',
      'A change that makes an article live',
    );
    expect(named).toEqual([...CHANGE_STEPS]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatDateLine,
  formatIsoVietnam,
  parseIsoWithOffset,
  VIETNAMESE_WEEKDAYS,
} from '#shared/domain/dates.ts';

/** An independent oracle: ICU's own Asia/Ho_Chi_Minh rules, through Intl. */
function icuVietnamParts(instant: Date) {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Ho_Chi_Minh',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(instant);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { weekday, line: `${get('day')}/${get('month')}/${get('year')} - ${get('hour')}:${get('minute')}` };
}

describe('Vietnam time on pages', () => {
  it('formats the seed article time', () => {
    expect(formatDateLine(new Date('2023-12-30T14:00:00Z'))).toBe('Thứ bảy, 30/12/2023 - 21:00');
    expect(formatIsoVietnam(new Date('2023-12-30T14:00:00Z'))).toBe('2023-12-30T21:00:00+07:00');
  });

  it('names every weekday in Vietnamese, Sunday first', () => {
    // 2024-05-19 was a Sunday.
    const names = [0, 1, 2, 3, 4, 5, 6].map(
      (d) => formatDateLine(new Date(Date.UTC(2024, 4, 19 + d, 3, 37))).split(',')[0],
    );
    expect(names).toEqual(['Chủ nhật', 'Thứ hai', 'Thứ ba', 'Thứ tư', 'Thứ năm', 'Thứ sáu', 'Thứ bảy']);
  });

  it('rolls over to the next day in Vietnam before UTC does', () => {
    expect(formatDateLine(new Date('2023-12-31T17:30:00Z'))).toBe('Thứ hai, 01/01/2024 - 00:30');
  });

  it('agrees with the IANA zone for any instant since 1976, whatever the process TZ', () => {
    const original = process.env.TZ;
    try {
      fc.assert(
        fc.property(
          fc.date({
            min: new Date('1976-01-01T00:00:00Z'),
            max: new Date('2100-01-01T00:00:00Z'),
            noInvalidDate: true,
          }),
          fc.constantFrom(
            'UTC',
            'America/Los_Angeles',
            'Asia/Ho_Chi_Minh',
            'Pacific/Kiritimati',
            'Europe/London',
          ),
          (instant, tz) => {
            process.env.TZ = tz;
            const icu = icuVietnamParts(instant);
            expect(formatDateLine(instant)).toBe(`${VIETNAMESE_WEEKDAYS[icu.weekday]}, ${icu.line}`);
          },
        ),
        { numRuns: 500 },
      );
    } finally {
      process.env.TZ = original;
    }
  });
});

describe('publishedAt parsing', () => {
  it('reads an offset and converts to the instant', () => {
    expect(parseIsoWithOffset('2023-12-30T21:00:00+07:00')?.toISOString()).toBe('2023-12-30T14:00:00.000Z');
    expect(parseIsoWithOffset('2023-12-30T14:00Z')?.toISOString()).toBe('2023-12-30T14:00:00.000Z');
    expect(parseIsoWithOffset('2023-12-30T09:00:00.250-05:00')?.toISOString()).toBe(
      '2023-12-30T14:00:00.250Z',
    );
  });

  it('rejects a time without an offset, and impossible dates', () => {
    for (const bad of [
      '2023-12-30T21:00:00',
      '2023-12-30',
      '2023-02-30T10:00:00+07:00',
      '2023-13-01T10:00:00+07:00',
      '2023-12-30T24:00:00+07:00',
      '2023-12-30T21:00:00+25:00',
      'hôm qua',
    ]) {
      expect(parseIsoWithOffset(bad), bad).toBeUndefined();
    }
  });

  it('round-trips every instant written with any whole-minute offset', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1900-01-01T00:00:00Z'),
          max: new Date('2200-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (instant, offset) => {
          const local = new Date(instant.getTime() + offset * 60_000).toISOString().slice(0, 23);
          const sign = offset < 0 ? '-' : '+';
          const abs = Math.abs(offset);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseIsoWithOffset(`${local}${zone}`)?.getTime()).toBe(instant.getTime());
        },
      ),
      { numRuns: 500 },
    );
  });
});

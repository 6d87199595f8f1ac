/**
 * Vietnam time for pages. Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is
 * exact for every date a newsroom publishes, and it makes pages independent of the server's `TZ` and of the
 * ICU data the runtime ships with.
 */
export const VIETNAM_OFFSET_MINUTES = 7 * 60;

export const VIETNAMESE_WEEKDAYS = [
  'Chủ nhật',
  'Thứ hai',
  'Thứ ba',
  'Thứ tư',
  'Thứ năm',
  'Thứ sáu',
  'Thứ bảy',
] as const;

export interface VietnamTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: (typeof VIETNAMESE_WEEKDAYS)[number];
}

export function toVietnamTime(instant: Date): VietnamTime {
  const shifted = new Date(instant.getTime() + VIETNAM_OFFSET_MINUTES * 60_000);
  return {
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
    hour: shifted.getUTCHours(),
    minute: shifted.getUTCMinutes(),
    weekday: VIETNAMESE_WEEKDAYS[shifted.getUTCDay()] ?? 'Chủ nhật',
  };
}

const two = (n: number): string => String(n).padStart(2, '0');

/** `Thứ bảy, 30/12/2023 - 21:00`: the published line of an article page. */
export function formatDateLine(instant: Date): string {
  const t = toVietnamTime(instant);
  return `${t.weekday}, ${two(t.day)}/${two(t.month)}/${t.year} - ${two(t.hour)}:${two(t.minute)}`;
}

/** `2023-12-30T21:00:00+07:00`: machine-readable, in Vietnam time, for `<time datetime>`. */
export function formatIsoVietnam(instant: Date): string {
  const t = toVietnamTime(instant);
  const seconds = two(instant.getUTCSeconds());
  return `${t.year}-${two(t.month)}-${two(t.day)}T${two(t.hour)}:${two(t.minute)}:${seconds}+07:00`;
}

const ISO_WITH_OFFSET =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an ISO 8601 date-time that states its offset (`Z` or `±hh:mm`). Returns undefined for anything
 * else, including impossible dates such as 30 February, which `Date` would silently roll over.
 */
export function parseIsoWithOffset(text: string): Date | undefined {
  const m = ISO_WITH_OFFSET.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  let offsetMinutes = 0;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 14 || om > 59) return undefined;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMinutes * 60_000;
  return new Date(utc);
}

import { AnalyzerError } from '../common/errors.ts';
import { sanitize } from '../common/text.ts';
import type { TimeWindow } from '../common/types.ts';

/*
 * Time windows for `scan` and `reexport`: parsing `--since` / `--until`, and the previous window
 * of the same length (what the trend compares against, lib/scan/trend.ts). Pure: no clock is read
 * here (callers pass `now`), no AWS.
 */

const UNIT_MS = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;
type Unit = keyof typeof UNIT_MS;

/**
 * Longest window accepted: 400 days. CloudWatch Logs keeps what the retention setting says (up
 * to 10 years), but a scan that long would read for hours; a typo such as `--since 2400h` is
 * much likelier than a need for it.
 */
const MAX_WINDOW_MS = 400 * UNIT_MS.d;
/** One or more `<integer><unit>` parts, e.g. `24h`, `90m`, `1d12h`. */
const DURATION = /^(?:\d{1,7}[smhdw])+$/;
const DURATION_PART = /(\d{1,7})([smhdw])/g;
/** ISO-8601 date, or date-time with a `Z` or an offset: a bare local time is ambiguous at 3 a.m. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A date-time without a zone: refused with its own hint. */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?$/i;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** A `--since` / `--until` value that cannot be read, or a window that makes no sense. */
class WindowError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WindowError';
  }
}

/**
 * Parses a duration such as `24h`, `90m`, `7d`, `2w` or `1d12h` into milliseconds; undefined
 * when the text is not a duration (units: s, m, h, d, w; case-insensitive).
 *
 * @example parseDuration('90m') // 5400000
 */
function parseDuration(text: string): number | undefined {
  const compact = text.trim().toLowerCase();
  if (!DURATION.test(compact)) return undefined;
  let total = 0;
  for (const match of compact.matchAll(DURATION_PART)) {
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
  }
  return total;
}

/**
 * Formats milliseconds as the shortest duration text that parses back to them, largest units
 * first (`1d12h`, `90m` → `1h30m`); `0s` for zero.
 */
function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  let rest = Math.round(ms / 1000) * 1000;
  let text = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return text === '' ? '0s' : text;
}

/** Whether the text's leading YYYY-MM-DD exists: Date.parse rolls 2026-02-30 over to March 2. */
function isCalendarDate(text: string): boolean {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Reads one `--since` / `--until` value: a duration means that long before `now`, with or without
 * a leading minus (`-24h` is how many people write "24 hours ago"); otherwise an ISO-8601 date
 * (UTC midnight) or date-time with `Z` or an offset.
 *
 * @param option The option's name, for the error message.
 * @throws WindowError naming the option and what it accepts.
 */
function parseTimeArgument(text: string, option: string, now: number): number {
  const value = text.trim();
  const duration = parseDuration(value.startsWith('-') ? value.slice(1) : value);
  if (duration !== undefined) return now - duration;
  if (ISO_DATE.test(value) || ISO_TIME.test(value)) {
    if (!isCalendarDate(value)) {
      throw new WindowError(`${option} ${sanitize(value)} is not a date on the calendar`);
    }
    const time = Date.parse(ISO_DATE.test(value) ? `${value}T00:00:00Z` : value);
    if (Number.isFinite(time)) return time;
  }
  if (LOCAL_TIME.test(value)) {
    throw new WindowError(
      `${option} ${sanitize(value)} has no time zone: add Z for UTC or an offset such as +02:00`,
    );
  }
  throw new WindowError(
    `${option} must be a duration such as 24h, 90m or 7d, or an ISO-8601 time such as 2026-11-25T08:00:00Z (got "${sanitize(text)}")`,
  );
}

/**
 * The window [since, until) from the command's options: `since` defaults to `defaultSince`
 * (a duration such as `24h`), `until` to `now`. Both accept durations (before `now`) or ISO times.
 *
 * @throws WindowError when a value cannot be read, since is not before until, or the window is
 *   longer than 400 days.
 */
function resolveWindow(
  since: string | undefined,
  until: string | undefined,
  now: number,
  defaultSince = '24h',
): TimeWindow {
  const end = until === undefined ? now : parseTimeArgument(until, '--until', now);
  const start = parseTimeArgument(since ?? defaultSince, '--since', now);
  if (start < 0) throw new WindowError('--since lies before 1970');
  if (start >= end) {
    throw new WindowError(
      `--since (${new Date(start).toISOString()}) must be before --until (${new Date(end).toISOString()})`,
    );
  }
  if (end - start > MAX_WINDOW_MS) {
    throw new WindowError(
      `the window is ${formatDuration(end - start)} long; at most 400d can be read at once`,
    );
  }
  return { start, end };
}

/** The window of the same length just before `window`: what the trend compares against. */
function previousWindow(window: TimeWindow): TimeWindow {
  const length = window.end - window.start;
  return { start: window.start - length, end: window.start };
}

/** `2026-11-25 08:00:00Z → 2026-11-26 08:00:00Z (24h)`, for headings. */
function describeWindow(window: TimeWindow): string {
  const time = (ms: number) =>
    new Date(ms)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
  return `${time(window.start)} -> ${time(window.end)} (${formatDuration(window.end - window.start)})`;
}

export {
  describeWindow,
  formatDuration,
  MAX_WINDOW_MS,
  parseDuration,
  parseTimeArgument,
  previousWindow,
  resolveWindow,
  WindowError,
};

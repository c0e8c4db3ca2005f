import { byCountThenCode, countByClass, countByCode, fileSystemsOf } from '../analyze/analysis.ts';
import { CLASS_ORDER } from '../analyze/classify.ts';
import { formatTable } from '../analyze/email.ts';
import { AnalyzerError } from '../shared/errors.ts';
import { display, sanitize } from '../shared/text.ts';
import type { FailureClass, FailureRecord } from '../shared/types.ts';

/*
 * Time windows for `scan` and `reexport`: parsing `--since` / `--until`, the previous window of
 * the same length, and the trend between two windows (per class, new codes, file systems that
 * started or stopped failing), rendered for a terminal, an email and JSON. Pure: no clock is read
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

/** A time window [start, end) in epoch milliseconds. */
interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

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
 * Reads one `--since` / `--until` value: a duration means that long before `now`; otherwise an
 * ISO-8601 date (UTC midnight) or date-time with `Z` or an offset.
 *
 * @param option The option's name, for the error message.
 * @throws WindowError naming the option and what it accepts.
 */
function parseTimeArgument(text: string, option: string, now: number): number {
  const value = text.trim();
  const duration = parseDuration(value);
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

/** What the trend needs of one window's analysis: its counts, not its records. */
interface WindowSummary {
  readonly window: TimeWindow;
  readonly events: number;
  readonly records: number;
  readonly unparseable: number;
  readonly byClass: Readonly<Record<FailureClass, number>>;
  readonly byCode: ReadonlyMap<string, number>;
  /** File systems with at least one record, sorted. */
  readonly fileSystems: readonly string[];
}

/**
 * Reduces an analysis to the counts a trend compares, so the previous window's records need not
 * stay in memory while the current one is read.
 */
function summarizeWindow(
  window: TimeWindow,
  analysis: {
    readonly events: number;
    readonly records: readonly FailureRecord[];
    readonly unparseable: readonly unknown[];
  },
): WindowSummary {
  return {
    window,
    events: analysis.events,
    records: analysis.records.length,
    unparseable: analysis.unparseable.length,
    byClass: { ...countByClass(analysis.records) },
    byCode: new Map(countByCode(analysis.records)),
    fileSystems: fileSystemsOf(analysis),
  };
}

/**
 * Adds two summaries of parts of the same window (e.g. two pages of FilterLogEvents), so a window
 * read only for its counts never needs all its events in memory. The window is `first`'s.
 */
function mergeSummaries(first: WindowSummary, second: WindowSummary): WindowSummary {
  const byClass = {} as Record<FailureClass, number>;
  for (const cls of CLASS_ORDER) byClass[cls] = first.byClass[cls] + second.byClass[cls];
  const byCode = new Map(first.byCode);
  for (const [code, count] of second.byCode) byCode.set(code, (byCode.get(code) ?? 0) + count);
  return {
    window: first.window,
    events: first.events + second.events,
    records: first.records + second.records,
    unparseable: first.unparseable + second.unparseable,
    byClass,
    // In countByCode's order.
    byCode: new Map([...byCode].sort(byCountThenCode)),
    fileSystems: [...new Set([...first.fileSystems, ...second.fileSystems])].sort(),
  };
}

/** This window against the previous one, for one class (or the total). */
interface TrendRow {
  readonly current: number;
  readonly previous: number;
  readonly change: number;
}

/** The trend between the current window and the previous one of the same length. */
interface Trend {
  readonly current: TimeWindow;
  readonly previous: TimeWindow;
  /** Every class, in severity order. */
  readonly classes: ReadonlyArray<TrendRow & { readonly class: FailureClass }>;
  /** Every event read, failures or not. */
  readonly events: TrendRow;
  /** All failure records. */
  readonly total: TrendRow;
  readonly unparseable: TrendRow;
  /** Codes seen in this window and not in the previous one, most frequent first. */
  readonly newCodes: ReadonlyArray<{ readonly code: string; readonly count: number }>;
  /** Codes seen in the previous window and not in this one. */
  readonly goneCodes: readonly string[];
  /** File systems with failures now and none in the previous window. */
  readonly startedFailing: readonly string[];
  /** File systems with failures in the previous window and none now. */
  readonly stoppedFailing: readonly string[];
}

function row(current: number, previous: number): TrendRow {
  return { current, previous, change: current - previous };
}

/** Compares two windows' summaries: per class, the total, new and gone codes, file systems. */
function compareWindows(current: WindowSummary, previous: WindowSummary): Trend {
  const newCodes = [...current.byCode]
    .filter(([code]) => !previous.byCode.has(code))
    .map(([code, count]) => ({ code, count }));
  const goneCodes = [...previous.byCode.keys()].filter((code) => !current.byCode.has(code)).sort();
  const now = new Set(current.fileSystems);
  const before = new Set(previous.fileSystems);
  return {
    current: current.window,
    previous: previous.window,
    classes: CLASS_ORDER.map((cls) => ({
      class: cls,
      ...row(current.byClass[cls], previous.byClass[cls]),
    })),
    events: row(current.events, previous.events),
    total: row(current.records, previous.records),
    unparseable: row(current.unparseable, previous.unparseable),
    newCodes,
    goneCodes,
    startedFailing: current.fileSystems.filter((id) => !before.has(id)),
    stoppedFailing: previous.fileSystems.filter((id) => !now.has(id)),
  };
}

function signed(change: number): string {
  if (change > 0) return `+${change}`;
  return change === 0 ? '0' : String(change);
}

const MAX_LISTED = 10;

function listed(items: readonly string[]): string {
  const shown = items.slice(0, MAX_LISTED).map((item) => display(item, 80));
  const more = items.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/**
 * The trend as plain text lines: a table of the classes present in either window (this window,
 * previous, change), the total, then new codes and the file systems that started or stopped
 * failing. `paint` colours a change cell (the terminal's red for more, green for fewer).
 */
function trendLines(
  trend: Trend,
  paint: (text: string, change: number) => string,
  heading: readonly string[],
): string[] {
  const lines = [...heading];
  const present = trend.classes.filter((entry) => entry.current > 0 || entry.previous > 0);
  if (present.length === 0 && trend.unparseable.current + trend.unparseable.previous === 0) {
    lines.push('  No failures in either window.');
    return lines;
  }
  const counted: Array<[label: string, row: TrendRow]> = present.map((entry) => [
    entry.class,
    entry,
  ]);
  counted.push(['all failures', trend.total]);
  if (trend.unparseable.current + trend.unparseable.previous > 0) {
    counted.push(['unparseable', trend.unparseable]);
  }
  const rows = counted.map(([label, { current, previous, change }]) => [
    label,
    String(current),
    String(previous),
    signed(change),
  ]);
  const table = formatTable(['class', 'this window', 'previous', 'change'], rows, {
    align: ['left', 'right', 'right', 'right'],
    // Only the change cell is painted, and only when something changed.
    paint: (cell, row, column) => {
      const change = column === 3 ? (counted[row]?.[1].change ?? 0) : 0;
      return change === 0 ? cell : paint(cell, change);
    },
  });
  lines.push(...table);
  if (trend.newCodes.length > 0) {
    lines.push(
      `  New codes: ${listed(trend.newCodes.map((entry) => `${entry.code} (${entry.count})`))}`,
    );
  }
  if (trend.goneCodes.length > 0) lines.push(`  No longer seen: ${listed(trend.goneCodes)}`);
  if (trend.startedFailing.length > 0) {
    lines.push(`  Started failing: ${listed(trend.startedFailing)}`);
  }
  if (trend.stoppedFailing.length > 0) {
    lines.push(`  Stopped failing: ${listed(trend.stoppedFailing)}`);
  }
  if (trend.events.previous === 0 && trend.events.current > 0) {
    // Every failure then reads as new: say why that may be an artefact.
    lines.push(
      '  The previous window holds no events at all: quiet, or older than the log group retention.',
    );
  }
  return lines;
}

/** The trend for a terminal; with `color`, more failures in red and fewer in green. */
function renderTrendTerminal(trend: Trend, options: { readonly color?: boolean } = {}): string {
  const paint =
    options.color === true
      ? (text: string, change: number) => `\u001b[${change > 0 ? '31' : '32'}m${text}\u001b[0m`
      : (text: string) => text;
  const heading = [`Trend against the previous window, ${describeWindow(trend.previous)}:`];
  return `${trendLines(trend, paint, heading).join('\n')}\n`;
}

/** The trend as a plain-text email section, titled like the email's other sections. */
function renderTrendEmail(trend: Trend): string {
  const title = 'TREND AGAINST THE PREVIOUS WINDOW';
  const heading = [
    title,
    '-'.repeat(title.length),
    `This window:     ${describeWindow(trend.current)}`,
    `Previous window: ${describeWindow(trend.previous)}`,
    '',
  ];
  return `${trendLines(trend, (text) => text, heading).join('\n')}\n`;
}

/** The trend for `--json`: windows as ISO times, classes as an object in severity order. */
function trendToJson(trend: Trend): Record<string, unknown> {
  const iso = (window: TimeWindow) => ({
    start: new Date(window.start).toISOString(),
    end: new Date(window.end).toISOString(),
  });
  return {
    window: iso(trend.current),
    previousWindow: iso(trend.previous),
    byClass: Object.fromEntries(
      trend.classes.map((entry) => [
        entry.class,
        { current: entry.current, previous: entry.previous, change: entry.change },
      ]),
    ),
    events: trend.events,
    total: trend.total,
    unparseable: trend.unparseable,
    newCodes: trend.newCodes,
    goneCodes: trend.goneCodes,
    startedFailing: trend.startedFailing,
    stoppedFailing: trend.stoppedFailing,
  };
}

export type { TimeWindow, Trend, TrendRow, WindowSummary };
export {
  compareWindows,
  describeWindow,
  formatDuration,
  MAX_WINDOW_MS,
  mergeSummaries,
  parseDuration,
  parseTimeArgument,
  previousWindow,
  renderTrendEmail,
  renderTrendTerminal,
  resolveWindow,
  summarizeWindow,
  trendToJson,
  WindowError,
};

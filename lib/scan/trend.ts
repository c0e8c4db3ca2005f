import { byCountThenCode, countByClass, countByCode, fileSystemsOf } from '../analyze/analysis.ts';
import { CLASS_ORDER } from '../common/classes.ts';
import { display } from '../common/text.ts';
import type { FailureClass, FailureRecord, TimeWindow } from '../common/types.ts';
import { formatTable, section } from '../render/layout.ts';
import { describeWindow } from './window.ts';

/*
 * The trend between two windows of `scan` (per class, new codes, file systems that started or
 * stopped failing), rendered for a terminal, an email and JSON. Pure: no clock, no AWS.
 */

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
    fileSystems: fileSystemsOf(analysis.records),
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
  const heading = section('TREND AGAINST THE PREVIOUS WINDOW', [
    `This window:     ${describeWindow(trend.current)}`,
    `Previous window: ${describeWindow(trend.previous)}`,
    '',
  ]);
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

export type { Trend, TrendRow, WindowSummary };
export {
  compareWindows,
  mergeSummaries,
  renderTrendEmail,
  renderTrendTerminal,
  summarizeWindow,
  trendToJson,
};

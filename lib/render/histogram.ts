import { plural } from './layout.ts';

/*
 * A per-class histogram over time as text: one row per class, one character per time bucket, the
 * character's height the bucket's count on a scale shared by every row (so classes compare at a
 * glance), the row's total at its end. Block characters for a terminal, an ASCII ramp for an email
 * (plain text, any font). Pure: the callers count (lib/scan/histogram.ts, the digest).
 */

/** One class's counts, one per bucket, oldest first. */
interface HistogramRow {
  readonly label: string;
  readonly counts: readonly number[];
}

interface Histogram {
  /** Start of the first bucket, epoch milliseconds. */
  readonly start: number;
  readonly bucketMs: number;
  readonly rows: readonly HistogramRow[];
}

/** Eighths of a block, then the full block: a terminal's sparkline. */
const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;
/** The same seven steps in ASCII, lowest first. */
const ASCII = ['_', '-', '~', '=', '+', '*', '#'] as const;

/** The character of one count: the empty mark for 0, else a step of the ramp (never 0 for 1+). */
function mark(count: number, peak: number, ramp: readonly string[], empty: string): string {
  if (count <= 0 || peak <= 0) return empty;
  // The peak gets the top step; any count at all at least the lowest one.
  const step = Math.min(ramp.length - 1, Math.max(0, Math.ceil((count / peak) * ramp.length) - 1));
  return ramp[step] ?? empty;
}

/** "10:00", or "11-25 10:00" when the span crosses days; UTC. */
function stamp(at: number, withDay: boolean): string {
  const iso = new Date(at).toISOString();
  return withDay ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

/** "1 h", "15 min", "1 d": a bucket's length. */
function lengthText(ms: number): string {
  if (ms % 86_400_000 === 0) return plural(ms / 86_400_000, 'day');
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}

/**
 * The histogram as lines: a heading (bucket length, span, peak), one row per label with a count,
 * and a time axis under the bars. `ascii` for an email. Empty when no row has a count.
 */
function histogramLines(
  histogram: Histogram,
  options: { readonly ascii?: boolean; readonly indent?: string } = {},
): string[] {
  const rows = histogram.rows.filter((row) => row.counts.some((count) => count > 0));
  if (rows.length === 0) return [];
  const indent = options.indent ?? '  ';
  const ramp = options.ascii === true ? ASCII : BLOCKS;
  const empty = options.ascii === true ? '.' : '·';
  const buckets = Math.max(...histogram.rows.map((row) => row.counts.length));
  const peak = Math.max(...rows.flatMap((row) => row.counts));
  const labelWidth = Math.max(...rows.map((row) => row.label.length));
  const end = histogram.start + buckets * histogram.bucketMs;
  const withDay =
    new Date(histogram.start).toISOString().slice(0, 10) !==
    new Date(end - 1).toISOString().slice(0, 10);
  const lines = [
    `${indent}1 column = ${lengthText(histogram.bucketMs)}, ${stamp(histogram.start, true)} to ${stamp(end, true)} UTC; tallest mark: ${plural(peak, 'failure')}.`,
  ];
  for (const row of rows) {
    const bars = Array.from({ length: buckets }, (_, index) =>
      mark(row.counts[index] ?? 0, peak, ramp, empty),
    ).join('');
    const total = row.counts.reduce((sum, count) => sum + count, 0);
    lines.push(`${indent}${row.label.padEnd(labelWidth)}  ${bars}  ${total}`);
  }
  const first = stamp(histogram.start, withDay);
  const last = stamp(end, withDay);
  const gap = Math.max(1, buckets - first.length - last.length);
  lines.push(`${indent}${' '.repeat(labelWidth)}  ${first}${' '.repeat(gap)}${last}`);
  return lines;
}

export type { Histogram, HistogramRow };
export { histogramLines };

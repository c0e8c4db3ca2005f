import { CLASS_ORDER } from '../common/classes.ts';
import type { FailureRecord, TimeWindow } from '../common/types.ts';
import type { Histogram } from '../render/histogram.ts';

/*
 * `scan`'s failures over time: the window cut into buckets of a round length (at most 30 of them),
 * each record counted in its class's bucket by its log event's time. Records without a time are
 * counted apart, never placed. Pure: no clock, no AWS.
 */

/** Round bucket lengths, shortest first: a bucket is the shortest that gives at most MAX_BUCKETS. */
const LENGTHS_MS = [
  60_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000,
  43_200_000, 86_400_000, 604_800_000,
];
/** Columns in a row: fits a terminal beside the class names and totals. */
const MAX_BUCKETS = 30;

/** The failures of a window per class and bucket, and how many records had no time. */
interface FailureHistogram extends Histogram {
  readonly untimed: number;
}

/** The bucket length for a window: the shortest round length with at most MAX_BUCKETS buckets. */
function bucketLength(window: TimeWindow): number {
  const span = Math.max(1, window.end - window.start);
  return LENGTHS_MS.find((ms) => Math.ceil(span / ms) <= MAX_BUCKETS) ?? 604_800_000;
}

/** Counts `records` per class (severity order) and bucket of `window`; out-of-window times are ignored. */
function failureHistogram(window: TimeWindow, records: readonly FailureRecord[]): FailureHistogram {
  const bucketMs = bucketLength(window);
  const buckets = Math.max(1, Math.ceil((window.end - window.start) / bucketMs));
  const counts = new Map(CLASS_ORDER.map((cls) => [cls, new Array<number>(buckets).fill(0)]));
  let untimed = 0;
  for (const record of records) {
    if (record.timestamp === undefined || !Number.isFinite(record.timestamp)) {
      untimed += 1;
      continue;
    }
    const index = Math.floor((record.timestamp - window.start) / bucketMs);
    const row = counts.get(record.class);
    if (row === undefined || index < 0 || index >= buckets) continue;
    row[index] = (row[index] ?? 0) + 1;
  }
  return {
    start: window.start,
    bucketMs,
    rows: CLASS_ORDER.map((cls) => ({ label: cls, counts: counts.get(cls) ?? [] })),
    untimed,
  };
}

/** The histogram for `--json`: bucket length, start, and the counts of every class. */
function histogramToJson(histogram: FailureHistogram): Record<string, unknown> {
  return {
    start: new Date(histogram.start).toISOString(),
    bucketSeconds: histogram.bucketMs / 1000,
    byClass: Object.fromEntries(histogram.rows.map((row) => [row.label, row.counts])),
    untimed: histogram.untimed,
  };
}

export type { FailureHistogram };
export { bucketLength, failureHistogram, histogramToJson };

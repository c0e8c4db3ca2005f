import { describe, expect, it } from 'vitest';
import { analyzeBatches } from '../../../lib/analyze/analysis.ts';
import type { TimeWindow } from '../../../lib/common/types.ts';
import { histogramLines } from '../../../lib/render/histogram.ts';
import { bucketLength, failureHistogram, histogramToJson } from '../../../lib/scan/histogram.ts';
import { batch, json } from '../../helpers/events.ts';

const HOUR = 3_600_000;
const START = Date.parse('2026-11-25T00:00:00Z');
const DAY: TimeWindow = { start: START, end: START + 24 * HOUR };

/** Records of `code` at these hours after START (undefined: an event without a time). */
function records(code: string, hours: readonly (number | undefined)[]) {
  const events = hours.map((hour, index) => ({
    message: json(code, `/ns1/f-${code}-${index}.bin`),
    ...(hour === undefined ? {} : { timestamp: START + hour * HOUR + 60_000 }),
  }));
  const analysis = analyzeBatches([batch(events)]);
  // The event builder gives every event a time; take it away where the test says so.
  return analysis.records.map((record, index) =>
    hours[index] === undefined ? { ...record, timestamp: undefined } : record,
  );
}

describe('Function: failureHistogram', () => {
  it('counts each record in its class and hour, and counts the ones without a time apart', () => {
    // Prepare
    const failed = [
      ...records('InternalAutoExportError', [0, 0, 5, 23]),
      ...records('S3ExportAccessDenied', [5, undefined]),
    ];

    // Act
    const histogram = failureHistogram(DAY, failed);

    // Assess
    expect(histogram.bucketMs).toBe(HOUR);
    const row = (label: string) => histogram.rows.find((entry) => entry.label === label)?.counts;
    expect(row('transient')).toEqual([2, 0, 0, 0, 0, 1, ...new Array(17).fill(0), 1]);
    expect(row('permission')?.[5]).toBe(1);
    expect(row('permission')?.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(histogram.untimed).toBe(1);
    expect(histogramToJson(histogram)).toMatchObject({
      start: '2026-11-25T00:00:00.000Z',
      bucketSeconds: 3600,
      untimed: 1,
    });
  });

  it.each([
    [90 * 60_000, 300_000],
    [24 * HOUR, HOUR],
    [7 * 24 * HOUR, 6 * HOUR],
    [400 * 24 * HOUR, 7 * 24 * HOUR],
  ])('cuts a window of %d ms into buckets of %d ms, at most 30 (or weeks)', (span, expected) => {
    // Act
    const length = bucketLength({ start: START, end: START + span });

    // Assess
    expect(length).toBe(expected);
  });
});

describe('Function: histogramLines', () => {
  it('draws one row per class with failures, on one scale, with totals and a time axis', () => {
    // Prepare
    const histogram = failureHistogram(DAY, [
      ...records('InternalAutoExportError', [0, 0, 0, 0, 0, 0, 0, 0, 1, 23]),
      ...records('S3ExportAccessDenied', [12]),
    ]);

    // Act
    const terminal = histogramLines(histogram);
    const ascii = histogramLines(histogram, { ascii: true });

    // Assess
    expect(terminal).toEqual([
      '  1 column = 1 h, 11-25 00:00 to 11-26 00:00 UTC; tallest mark: 8 failures.',
      `  permission  ${'·'.repeat(12)}▁${'·'.repeat(11)}  1`,
      `  transient   █▁${'·'.repeat(21)}▁  10`,
      `              00:00${' '.repeat(14)}00:00`,
    ]);
    expect(ascii[2]).toBe(`  transient   #_${'.'.repeat(21)}_  10`);
    expect(ascii.join('\n')).toMatch(/^[\x20-\x7e\n]*$/);
  });

  it('is empty when no class has a failure', () => {
    // Act
    const lines = histogramLines(failureHistogram(DAY, []));

    // Assess
    expect(lines).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { analyzeBatches } from '../../../lib/analyze/analysis.ts';
import type { TimeWindow } from '../../../lib/common/types.ts';
import {
  compareWindows,
  mergeSummaries,
  renderTrendEmail,
  renderTrendTerminal,
  summarizeWindow,
  trendToJson,
} from '../../../lib/scan/trend.ts';
import { batch, json } from '../../helpers/events.ts';
import { FS } from '../../helpers/fixtures.ts';

const OTHER_FS = 'fs-0fedcba9876543210';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TODAY: TimeWindow = { start: NOW - DAY, end: NOW };
const YESTERDAY: TimeWindow = { start: NOW - 2 * DAY, end: NOW - DAY };

/** The summary of one window holding these (code, path) failures on a file system's stream. */
function summary(window: TimeWindow, failures: Array<[code: string, fs?: string]>) {
  const batches = failures.map(([code, fs = FS], index) =>
    batch([{ message: json(code, `/ns1/file-${index}.bin`) }], `datarepo_${fs}`),
  );
  return summarizeWindow(window, analyzeBatches(batches));
}

describe('Function: compareWindows', () => {
  it('counts per class, new and gone codes, and file systems that started or stopped failing', () => {
    // Prepare
    const current = summary(TODAY, [
      ['S3ExportAccessDenied'],
      ['S3ExportAccessDenied'],
      ['InternalAutoExportError', OTHER_FS],
    ]);
    const previous = summary(YESTERDAY, [
      ['S3ExportResourceBusy', FS],
      ['S3ExportResourceBusy', 'fs-0aaaaaaaaaaaaaaaa'],
    ]);

    // Act
    const trend = compareWindows(current, previous);

    // Assess
    expect(trend.classes.find((entry) => entry.class === 'permission')).toEqual({
      class: 'permission',
      current: 2,
      previous: 0,
      change: 2,
    });
    expect(trend.classes.find((entry) => entry.class === 'busy')).toMatchObject({ change: -2 });
    expect(trend.total).toEqual({ current: 3, previous: 2, change: 1 });
    expect(trend.newCodes).toEqual([
      { code: 'S3ExportAccessDenied', count: 2 },
      { code: 'InternalAutoExportError', count: 1 },
    ]);
    expect(trend.goneCodes).toEqual(['S3ExportResourceBusy']);
    expect(trend.startedFailing).toEqual([OTHER_FS]);
    expect(trend.stoppedFailing).toEqual(['fs-0aaaaaaaaaaaaaaaa']);
  });

  it('has no changes between two equal windows', () => {
    // Prepare
    const failures: Array<[string]> = [['S3ExportAccessDenied'], ['InternalAutoExportError']];

    // Act
    const trend = compareWindows(summary(TODAY, failures), summary(YESTERDAY, failures));

    // Assess
    expect(trend.classes.every((entry) => entry.change === 0)).toBe(true);
    expect(trend.newCodes).toEqual([]);
    expect(trend.startedFailing).toEqual([]);
    expect(trend.stoppedFailing).toEqual([]);
  });
});

describe('Function: mergeSummaries', () => {
  it('adds up the pages of a window to the summary of the whole window', () => {
    // Prepare
    const first = summary(TODAY, [['S3ExportAccessDenied'], ['InternalAutoExportError', OTHER_FS]]);
    const second = summary(TODAY, [['S3ExportAccessDenied'], ['S3ExportNewMode']]);
    const whole = summary(TODAY, [
      ['S3ExportAccessDenied'],
      ['InternalAutoExportError', OTHER_FS],
      ['S3ExportAccessDenied'],
      ['S3ExportNewMode'],
    ]);

    // Act
    const merged = mergeSummaries(first, second);

    // Assess
    expect(merged).toEqual(whole);
    expect(merged.fileSystems).toEqual([FS, OTHER_FS].sort());
  });
});

describe('Function: renderTrendTerminal', () => {
  const trend = compareWindows(
    summary(TODAY, [
      ['S3ExportAccessDenied'],
      ['S3ExportAccessDenied'],
      ['InternalAutoExportError', OTHER_FS],
    ]),
    summary(YESTERDAY, [
      ['InternalAutoExportError', OTHER_FS],
      ['InternalAutoExportError', OTHER_FS],
    ]),
  );

  it('shows a table of the classes present, the total and the news', () => {
    // Act
    const text = renderTrendTerminal(trend);

    // Assess
    expect(text).toBe(
      [
        'Trend against the previous window, 2026-11-23 12:00:00Z -> 2026-11-24 12:00:00Z (1d):',
        '  class         this window  previous  change',
        '  permission              2         0      +2',
        '  transient               1         2      -1',
        '  all failures            3         2      +1',
        '  New codes: S3ExportAccessDenied (2)',
        `  Started failing: ${FS}`,
        '',
      ].join('\n'),
    );
  });

  it('warns that an empty previous window may lie beyond the log retention', () => {
    // Prepare
    const empty = compareWindows(
      summary(TODAY, [['S3ExportAccessDenied']]),
      summary(YESTERDAY, []),
    );

    // Act
    const terminal = renderTrendTerminal(empty);
    const email = renderTrendEmail(empty);

    // Assess
    const note =
      '  The previous window holds no events at all: quiet, or older than the log group retention.';
    expect(terminal).toContain(note);
    expect(email).toContain(note);
    expect(renderTrendTerminal(trend)).not.toContain('retention');
    expect(trendToJson(empty)['events']).toEqual({ current: 1, previous: 0, change: 1 });
  });

  it('paints more failures red and fewer green, and only with color', () => {
    // Act
    const colored = renderTrendTerminal(trend, { color: true });

    // Assess
    expect(colored).toContain('\u001b[31m+2\u001b[0m');
    expect(colored).toContain('\u001b[32m-1\u001b[0m');
    expect(renderTrendEmail(trend)).not.toContain('\u001b');
  });

  it('keeps the columns where they are without color when it paints', () => {
    // Act
    const colored = renderTrendTerminal(trend, { color: true });

    // Assess
    expect(colored.replace(/\u001b\[\d+m/g, '')).toBe(renderTrendTerminal(trend));
  });

  it('says so when neither window has failures', () => {
    // Prepare
    const quiet = compareWindows(summary(TODAY, []), summary(YESTERDAY, []));

    // Act
    const text = renderTrendTerminal(quiet);

    // Assess
    expect(text).toContain('  No failures in either window.\n');
  });
});

describe('Function: renderTrendEmail', () => {
  it('is a titled plain-text section naming both windows', () => {
    // Prepare
    const trend = compareWindows(
      summary(TODAY, [['S3ExportAccessDenied']]),
      summary(YESTERDAY, []),
    );

    // Act
    const text = renderTrendEmail(trend);

    // Assess
    expect(text.split('\n').slice(0, 6)).toEqual([
      'TREND AGAINST THE PREVIOUS WINDOW',
      '---------------------------------',
      'This window:     2026-11-24 12:00:00Z -> 2026-11-25 12:00:00Z (1d)',
      'Previous window: 2026-11-23 12:00:00Z -> 2026-11-24 12:00:00Z (1d)',
      '',
      '  class         this window  previous  change',
    ]);
    expect(text).toMatch(/^ {2}permission {14}1 {9}0 {6}\+1$/m);
  });

  it('escapes untrusted codes before they reach a terminal', () => {
    // Prepare
    const hostile = compareWindows(summary(TODAY, [['Evil\u001b[2JCode']]), summary(YESTERDAY, []));

    // Act
    const text = renderTrendTerminal(hostile);

    // Assess
    expect(text).not.toContain('\u001b');
    expect(text).toContain('Evil\\x1b[2JCode (1)');
  });
});

describe('Function: trendToJson', () => {
  it('gives ISO windows and every class with its counts', () => {
    // Prepare
    const trend = compareWindows(
      summary(TODAY, [['S3ExportAccessDenied']]),
      summary(YESTERDAY, []),
    );

    // Act
    const document = trendToJson(trend);

    // Assess
    expect(document).toMatchObject({
      window: { start: '2026-11-24T12:00:00.000Z', end: '2026-11-25T12:00:00.000Z' },
      previousWindow: { start: '2026-11-23T12:00:00.000Z', end: '2026-11-24T12:00:00.000Z' },
      total: { current: 1, previous: 0, change: 1 },
      newCodes: [{ code: 'S3ExportAccessDenied', count: 1 }],
      startedFailing: [FS],
      stoppedFailing: [],
    });
    expect(Object.keys(document['byClass'] as object)).toHaveLength(8);
    expect((document['byClass'] as Record<string, unknown>)['permission']).toEqual({
      current: 1,
      previous: 0,
      change: 1,
    });
  });
});

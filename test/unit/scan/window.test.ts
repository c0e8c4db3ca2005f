import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeBatches } from '../../../lib/analyze/analysis.ts';
import {
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
  type TimeWindow,
  trendToJson,
  WindowError,
} from '../../../lib/scan/window.ts';
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

describe('Function: parseDuration', () => {
  it('reads the usual durations and combinations', () => {
    // Prepare
    const inputs = ['24h', '90m', '7d', '2w', '30s', '1d12h', ' 15M '];

    // Act
    const parsed = inputs.map(parseDuration);

    // Assess
    expect(parsed).toEqual([24 * HOUR, 90 * 60_000, 7 * DAY, 14 * DAY, 30_000, 36 * HOUR, 900_000]);
  });

  it('is undefined for anything that is not a duration', () => {
    // Prepare
    const inputs = ['', 'h', '24', '-1h', '1.5h', '24 h', '1y', '2026-11-25', 'yesterday'];

    // Act
    const parsed = inputs.map(parseDuration);

    // Assess
    expect(parsed).toEqual(inputs.map(() => undefined));
  });

  it('parses back every duration it formats (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 * 86_400 }), (secondsCount) => {
        // Prepare
        const ms = secondsCount * 1000;

        // Act
        const text = formatDuration(ms);

        // Assess
        expect(parseDuration(text)).toBe(ms);
      }),
    );
  });

  it('sums the parts of any combination of units (property)', () => {
    const part = fc.tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.constantFrom('s', 'm', 'h', 'd', 'w'),
    );
    const size: Record<string, number> = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        // Prepare
        const text = parts.map(([count, unit]) => `${count}${unit}`).join('');

        // Act
        const parsed = parseDuration(text);

        // Assess
        expect(parsed).toBe(
          parts.reduce((sum, [count, unit]) => sum + count * (size[unit] ?? 0), 0),
        );
      }),
    );
  });

  it('never throws, whatever the text (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        // Act
        const parsed = parseDuration(text);

        // Assess
        expect(parsed === undefined || Number.isSafeInteger(parsed)).toBe(true);
      }),
    );
  });
});

describe('Function: parseTimeArgument', () => {
  it('takes a duration as that long before now', () => {
    // Act
    const time = parseTimeArgument('90m', '--since', NOW);

    // Assess
    expect(time).toBe(NOW - 90 * 60_000);
  });

  it('takes ISO dates (UTC midnight) and times with a zone', () => {
    // Prepare
    const inputs = [
      '2026-11-24',
      '2026-11-24T08:30:00Z',
      '2026-11-24T10:30:00+02:00',
      '2026-11-24T08:30Z',
    ];

    // Act
    const times = inputs.map((text) => parseTimeArgument(text, '--since', NOW));

    // Assess
    expect(times.map((time) => new Date(time).toISOString())).toEqual([
      '2026-11-24T00:00:00.000Z',
      '2026-11-24T08:30:00.000Z',
      '2026-11-24T08:30:00.000Z',
      '2026-11-24T08:30:00.000Z',
    ]);
  });

  it('refuses a local time without a zone, and garbage, naming the option', () => {
    // Act
    const local = () => parseTimeArgument('2026-11-24T08:30:00', '--until', NOW);
    const garbage = () => parseTimeArgument('yesterday\u001b[2J', '--since', NOW);

    // Assess
    expect(local).toThrow(WindowError);
    expect(local).toThrow(
      '--until 2026-11-24T08:30:00 has no time zone: add Z for UTC or an offset such as +02:00',
    );
    expect(garbage).toThrow(/^--since must be a duration such as 24h/);
    expect(garbage).toThrow('(got "yesterday\\x1b[2J")');
  });

  it('refuses a calendar date that does not exist instead of rolling it over', () => {
    // Prepare
    const inputs = ['2026-02-30', '2026-11-31T08:00:00Z', '2026-04-31T01:00:00+02:00'];

    // Act
    const parse = inputs.map((text) => () => parseTimeArgument(text, '--since', NOW));

    // Assess
    for (const attempt of parse)
      expect(attempt).toThrow(/^--since .* is not a date on the calendar/);
    expect(new Date(parseTimeArgument('2028-02-29', '--since', NOW)).toISOString()).toBe(
      '2028-02-29T00:00:00.000Z',
    );
  });
});

describe('Function: resolveWindow', () => {
  it('defaults to the last 24 hours', () => {
    // Act
    const window = resolveWindow(undefined, undefined, NOW);

    // Assess
    expect(window).toEqual(TODAY);
  });

  it('mixes durations and ISO times', () => {
    // Act
    const window = resolveWindow('2026-11-20', '48h', NOW);

    // Assess
    expect(window).toEqual({ start: Date.parse('2026-11-20T00:00:00Z'), end: NOW - 2 * DAY });
  });

  it('refuses a window that ends before it starts, or is too long', () => {
    // Act
    const backwards = () => resolveWindow('1h', '2h', NOW);
    const empty = () => resolveWindow('2026-11-20', '2026-11-20', NOW);
    const long = () => resolveWindow(`${MAX_WINDOW_MS / DAY + 1}d`, undefined, NOW);

    // Assess
    expect(backwards).toThrow(/^--since \(.*\) must be before --until/);
    expect(empty).toThrow(WindowError);
    expect(long).toThrow('at most 400d can be read at once');
  });
});

describe('Function: previousWindow', () => {
  it('is the window of the same length just before (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        fc.integer({ min: 1, max: MAX_WINDOW_MS }),
        (start, length) => {
          // Prepare
          const window = { start, end: start + length };

          // Act
          const previous = previousWindow(window);

          // Assess
          expect(previous.end).toBe(window.start);
          expect(previous.end - previous.start).toBe(length);
        },
      ),
    );
  });
});

describe('Function: describeWindow', () => {
  it('shows both ends in UTC and the length', () => {
    // Act
    const text = describeWindow(TODAY);

    // Assess
    expect(text).toBe('2026-11-24 12:00:00Z -> 2026-11-25 12:00:00Z (1d)');
  });
});

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

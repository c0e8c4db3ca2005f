import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TimeWindow } from '../../../lib/common/types.ts';
import {
  describeWindow,
  formatDuration,
  MAX_WINDOW_MS,
  parseDuration,
  parseTimeArgument,
  previousWindow,
  resolveWindow,
  WindowError,
} from '../../../lib/scan/window.ts';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const TODAY: TimeWindow = { start: NOW - DAY, end: NOW };

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

  it('takes a duration with a leading minus ("24 hours ago") as the same duration', () => {
    // Act
    const times = ['-24h', ' -90m', '-1d12h'].map((text) =>
      parseTimeArgument(text, '--since', NOW),
    );

    // Assess
    expect(times).toEqual([NOW - DAY, NOW - 90 * 60_000, NOW - 36 * HOUR]);
  });

  it('refuses two minus signs, or a minus before what is not a duration', () => {
    // Act
    const parse = ['--24h', '-2026-11-24', '-'].map(
      (text) => () => parseTimeArgument(text, '--since', NOW),
    );

    // Assess
    for (const attempt of parse) expect(attempt).toThrow(/^--since must be a duration/);
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

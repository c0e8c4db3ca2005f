import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitLinePrefix } from '../../../lib/input/lines.ts';

const RECORD = '{"errorCode":"S3ExportResourceBusy","filePath":"/ns1/a.dat"}';
const AT = Date.parse('2025-11-25T06:04:12.000Z');

describe('Function: splitLinePrefix', () => {
  it.each([
    [
      'aws logs tail',
      `2025-11-25T06:04:12.000000+00:00 datarepo_fs-0a1b2c3d4e5f60718 ${RECORD}`,
      'datarepo_fs-0a1b2c3d4e5f60718',
    ],
    ['aws logs tail --format short', `2025-11-25T06:04:12 ${RECORD}`, undefined],
    ['an export to S3', `2025-11-25T06:04:12.000Z ${RECORD}`, undefined],
    ['a console copy', `2025-11-25T06:04:12.000Z\t${RECORD}`, undefined],
    ['another zone', `2025-11-25T07:04:12.000+0100 ${RECORD}`, undefined],
  ])('reads the time and stream of %s', (_shape, line, stream) => {
    // Act
    const split = splitLinePrefix(line);

    // Assess
    expect(split).toEqual({ time: AT, stream, message: RECORD });
  });

  it.each([
    ['a bare record', RECORD],
    ['a text record', 'ERROR S3ExportResourceBusy path=/ns1/a.dat'],
    ['a time without a message', '2025-11-25T06:04:12.000Z'],
    ['an impossible date', '2025-13-45T06:04:12Z x'],
  ])('leaves %s whole', (_shape, line) => {
    // Act
    const split = splitLinePrefix(line);

    // Assess
    expect(split).toEqual({ time: undefined, stream: undefined, message: line });
  });

  it('takes only FSx stream names as a stream, so a message word is never lost', () => {
    // Act
    const split = splitLinePrefix('2025-11-25T06:04:12Z ERROR S3ExportResourceBusy path=/a');

    // Assess
    expect(split.stream).toBeUndefined();
    expect(split.message).toBe('ERROR S3ExportResourceBusy path=/a');
  });

  it('never loses or changes the message', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (line) => {
        // Act
        const split = splitLinePrefix(line);

        // Assess: the message is the line, or its tail after a recognised prefix.
        expect(line.endsWith(split.message)).toBe(true);
        if (split.time === undefined) expect(split.message).toBe(line);
      }),
    );
  });
});

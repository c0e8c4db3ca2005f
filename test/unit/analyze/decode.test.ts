import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeData, decodeLambdaEvent, defective, toBatch } from '../../../lib/analyze/decode.ts';
import { DecodeError } from '../../../lib/common/errors.ts';
import { controlMessage, lambdaEvent, payload } from '../../helpers/events.ts';

function base64Gzip(text: string | Buffer): string {
  return gzipSync(text).toString('base64');
}

describe('Function: decodeLambdaEvent', () => {
  it('decodes a subscription batch and keeps owner, group, stream and file system', () => {
    // Prepare
    const event = lambdaEvent(
      payload([
        { id: 'e1', message: 'Failed to export file because it is being used by another process.' },
      ]),
    );

    // Act
    const decoded = decodeLambdaEvent(event);

    // Assess
    expect(decoded.type).toBe('data');
    if (decoded.type !== 'data') return;
    expect(decoded.batch).toMatchObject({
      owner: '123456789012',
      logGroup: '/aws/fsx/lustre',
      logStream: 'datarepo_fs-0123456789abcdef0',
      streamFileSystemId: 'fs-0123456789abcdef0',
      subscriptionFilters: ['fsx-export-analyzer'],
    });
    expect(decoded.batch.events).toEqual([
      {
        id: 'e1',
        timestamp: 1_764_072_000_000,
        message: 'Failed to export file because it is being used by another process.',
      },
    ]);
  });

  it('skips a CONTROL_MESSAGE instead of failing', () => {
    // Prepare
    const event = lambdaEvent(controlMessage());

    // Act
    const decoded = decodeLambdaEvent(event);

    // Assess
    expect(decoded).toEqual({ type: 'skipped', messageType: 'CONTROL_MESSAGE' });
  });

  it('keeps malformed events with a defect and no time so the rest of the batch goes on', () => {
    // Prepare
    const data = payload([{ message: 'ok' }]);
    const event = lambdaEvent({
      ...data,
      logEvents: [null, { id: 5, timestamp: 'x', message: 'm' }, ...data.logEvents],
    });

    // Act
    const decoded = decodeLambdaEvent(event);

    // Assess
    if (decoded.type !== 'data') throw new Error('expected data');
    expect(decoded.batch.events).toHaveLength(3);
    expect(decoded.batch.events[0]).toEqual({
      id: '#0',
      timestamp: undefined,
      message: null,
      defect: 'log event is not an object',
    });
    // Unknown, not epoch 0: a missing time must never read as 1970.
    expect(decoded.batch.events[1]).toEqual({
      id: '#1',
      timestamp: undefined,
      message: 'm',
      defect: 'log event id is missing or not a string',
    });
    expect(decoded.batch.events[2]?.defect).toBeUndefined();
    expect(decoded.batch.events[2]?.timestamp).toBe(1_764_072_000_000);
  });

  it('takes a negative time as no time: never shown as 1969', () => {
    // Prepare
    const logEvents = [{ id: '1', timestamp: -5, message: 'm' }];

    // Act
    const decoded = toBatch({ ...payload([]), logEvents });

    // Assess
    if (decoded.type !== 'data') throw new Error('expected data');
    expect(decoded.batch.events[0]).toEqual({ id: '1', timestamp: undefined, message: 'm' });
  });

  it.each([[{ a: 1 }], ['a defect the input chose']])(
    'never takes a defect from the input (%j): the event is read as any other',
    (defect) => {
      // Prepare
      const data = payload([{ message: 'ok' }]);
      const [first] = data.logEvents;
      const event = lambdaEvent({ ...data, logEvents: [{ ...first, defect }] });

      // Act
      const decoded = decodeLambdaEvent(event);

      // Assess
      if (decoded.type !== 'data') throw new Error('expected data');
      expect(decoded.batch.events).toEqual([
        { id: first?.id, timestamp: first?.timestamp, message: 'ok' },
      ]);
    },
  );

  it('keeps the defect our own reader set', () => {
    // Prepare
    const own = defective({ id: 'x:1', timestamp: undefined, message: '{', defect: 'not JSON' });

    // Act
    const decoded = toBatch({ ...payload([]), logEvents: [own] });

    // Assess
    if (decoded.type !== 'data') throw new Error('expected data');
    expect(decoded.batch.events).toEqual([own]);
  });

  it('keeps every well-formed event as parsed, uncopied, wherever a malformed one sits (property)', () => {
    const wellFormed = fc.record({
      id: fc.string({ minLength: 1, maxLength: 6 }),
      timestamp: fc.option(fc.nat(), { nil: undefined }),
      message: fc.string({ maxLength: 6 }),
    });
    const malformed = fc.oneof(
      fc.constantFrom(null, 7, 'text', [1]),
      fc.record({ id: fc.constantFrom('', 5), message: fc.string({ maxLength: 6 }) }),
      fc.record({ id: fc.constant('e'), timestamp: fc.constantFrom('x', Number.NaN, -5) }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(wellFormed, malformed), { maxLength: 12 }),
        (raws: unknown[]) => {
          // Prepare
          const logEvents = [...raws];

          // Act
          const decoded = toBatch({ ...payload([]), logEvents });

          // Assess
          if (decoded.type !== 'data') throw new Error('expected data');
          const { events } = decoded.batch;
          expect(events).toHaveLength(raws.length);
          const asParsed = (raw: unknown, index: number) => events[index] === raw;
          // Nothing to replace: the parsed array itself, not a copy of it.
          if (raws.every(asParsed)) expect(events).toBe(logEvents);
          raws.forEach((raw, index) => {
            const event = events[index];
            const fine =
              typeof raw === 'object' &&
              raw !== null &&
              !Array.isArray(raw) &&
              typeof (raw as { id?: unknown }).id === 'string' &&
              (raw as { id: string }).id !== '' &&
              ((raw as { timestamp?: unknown }).timestamp === undefined ||
                ((raw as { timestamp: number }).timestamp >= 0 &&
                  Number.isFinite((raw as { timestamp?: unknown }).timestamp)));
            if (fine) expect(event).toBe(raw);
            else {
              expect(event).not.toBe(raw);
              expect(event?.id === `#${index}` || event?.id === 'e').toBe(true);
            }
          });
        },
      ),
    );
  });

  it.each([
    ['no awslogs', {}, 'event.awslogs is missing'],
    ['data not a string', { awslogs: { data: 42 } }, 'event.awslogs.data'],
    ['empty data', { awslogs: { data: '' } }, 'event.awslogs.data is empty'],
    ['bad base64', { awslogs: { data: 'not*base64!' } }, 'awslogs.data is not valid base64'],
    [
      'not gzip',
      { awslogs: { data: Buffer.from('hello world!').toString('base64') } },
      'is not gzip data',
    ],
    ['gzip of non-JSON', { awslogs: { data: base64Gzip('not json') } }, 'awslogs.data is not JSON'],
    [
      'truncated gzip',
      { awslogs: { data: gzipSync('{"a":1}'.repeat(100)).subarray(0, 30).toString('base64') } },
      'awslogs.data is corrupt gzip',
    ],
    ['JSON array', { awslogs: { data: base64Gzip('[]') } }, 'awslogs.data is not a JSON object'],
    [
      'logEvents not an array',
      { awslogs: { data: base64Gzip(JSON.stringify({ ...payload([]), logEvents: {} })) } },
      'awslogs.data.logEvents is not an array',
    ],
    [
      'logGroup a number',
      { awslogs: { data: base64Gzip(JSON.stringify({ ...payload([]), logGroup: 7 })) } },
      'awslogs.data.logGroup',
    ],
  ])('fails with one clear line for %s', (_name, event, message) => {
    // Prepare / Act
    const act = (): unknown => decodeLambdaEvent(event);

    // Assess
    expect(act).toThrow(DecodeError);
    expect(act).toThrow(message);
    try {
      act();
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('stops a decompression bomb at the cap without inflating it', () => {
    // Prepare: 64 MiB of zeros compress to about 64 KiB.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024)).toString('base64');
    const before = process.memoryUsage().arrayBuffers;

    // Act
    const act = (): unknown => decodeData(bomb, 1024 * 1024);

    // Assess
    expect(act).toThrow('decompresses to more than 1048576 bytes');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 1024 * 1024);
  });

  it('refuses exactly the text that is not base64, as a regular expression would (property)', () => {
    // Prepare: mostly base64 digits, some padding, URL-safe digits and characters outside both,
    // in lengths that are multiples of 4 (other lengths are refused before decoding).
    const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
    const char = fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom('Q', 'U', 'J', 'D', 'z', '0', '9', '+', '/') },
      {
        weight: 1,
        arbitrary: fc.constantFrom('=', '-', '_', '*', '.', '\t', '\r', 'é', 'Ł', '\u0000'),
      },
      // Any UTF-16 code unit: past ASCII, Node.js may read one as its low byte.
      {
        weight: 1,
        arbitrary: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
      },
    );
    const text = fc
      .array(char, { minLength: 1, maxLength: 24 })
      .map((chars) => chars.slice(0, chars.length - (chars.length % 4)).join(''))
      .filter((candidate) => candidate.length > 0);

    fc.assert(
      fc.property(text, (candidate) => {
        // Act
        let refused = false;
        try {
          decodeData(candidate);
        } catch (error) {
          refused = (error as Error).message === 'awslogs.data is not valid base64';
        }

        // Assess
        expect(refused).toBe(!BASE64.test(candidate));
      }),
      { numRuns: 5000 },
    );
  });

  it('decodes gzip whose last trailer states less than the whole, and refuses a false one', () => {
    // Prepare: the trailer's size (ISIZE) only sizes the output buffer. Two gzip members: the
    // trailer read is the second's, far smaller than the whole.
    const json = JSON.stringify(payload([{ id: '1', timestamp: 1, message: 'x'.repeat(60_000) }]));
    const cut = json.length - 10;
    const members = Buffer.concat([gzipSync(json.slice(0, cut)), gzipSync(json.slice(cut))]);
    const lying = gzipSync(json);
    lying.writeUInt32LE(7, lying.length - 4);

    // Act
    const decoded = decodeData(members.toString('base64'));

    // Assess: the whole payload; gunzip itself checks the stated size.
    expect(decoded).toEqual(JSON.parse(json));
    expect(() => decodeData(lying.toString('base64'))).toThrow('awslogs.data is corrupt gzip');
  });
});

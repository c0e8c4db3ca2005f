import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../lib/analyze/classify.ts';
import {
  forgetTexts,
  type PathDoubt,
  parseEvent,
  pathDoubt,
  recognise,
} from '../../../lib/analyze/parse.ts';
import { plainRecord } from '../../../lib/common/records.ts';
import type { FailureRecord, ParsedEvent, UnparseableEvent } from '../../../lib/common/types.ts';
import { batch } from '../../helpers/events.ts';
import { FS } from '../../helpers/fixtures.ts';

/** The catalog's codes that are one word, which a text line may hold; the rest are phrases. */
const ONE_WORD_CODES = CATALOG.filter((entry) => /^[A-Za-z][A-Za-z0-9]*$/.test(entry.code));
const PHRASE_CODES = CATALOG.filter((entry) => !ONE_WORD_CODES.includes(entry));

/** Parses one message as if it came from the default `datarepo_<fs>` stream. */
function parseOne(message: unknown): ParsedEvent {
  const input = batch([{ message }]);
  return parseEvent(input.events[0] as (typeof input.events)[0], input);
}

function asRecord(parsed: ParsedEvent): FailureRecord {
  expect(parsed.kind).toBe('record');
  return parsed as FailureRecord;
}

function asUnparseable(parsed: ParsedEvent): UnparseableEvent {
  expect(parsed.kind).toBe('unparseable');
  return parsed as UnparseableEvent;
}

/** Fills a documented template with realistic values. */
function fill(template: string): string {
  return template
    .replace('{key}', 'checkpoints/run 42/step-1200.pt')
    .replace('{bucket}', 'ml-archive.prod')
    .replace('{value}', 'GLACIER');
}

describe('Function: parseEvent (documented message text)', () => {
  const rows = CATALOG.flatMap((entry) =>
    entry.templates.map((template) => [entry.code, template] as const),
  );

  it.each(rows)('recognises the documented text of %s', (code, template) => {
    // Prepare
    const message = fill(template);

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.code).toBe(code);
    expect(record.format).toBe('text');
    if (template.includes('{key}')) expect(record.s3Key).toBe('checkpoints/run 42/step-1200.pt');
    if (template.includes('{bucket}')) expect(record.bucket).toBe('ml-archive.prod');
  });

  it('reads the text with a prefix, without its trailing period, and in other case', () => {
    // Prepare
    const message =
      '2026-11-25T10:00:00Z ERROR failed to export file because it is being used by another process';

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.code).toBe('S3ExportResourceBusy');
    expect(record.class).toBe('busy');
    expect(record.level).toBe('ERROR');
  });

  it('keeps the more specific completion-report template over its shorter sibling', () => {
    // Prepare
    const message =
      'Failed to upload data repository task completion report into bucket bk because the completion report path s3://bk/r does not belong to a data repository associated with this file system';

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.code).toBe('S3CompletionReportValidateFailure');
  });

  it('recognises a code-shaped token in free text, known or not', () => {
    // Prepare / Act
    const known = asRecord(parseOne('S3ExportAccessDenied on ns1/x path=/ns1/x.bin'));
    const unknown = asRecord(parseOne('ERROR S3ExportQuantumFlux while exporting'));

    // Assess
    expect(known.class).toBe('permission');
    expect(known.path).toBe('/ns1/x.bin');
    expect(unknown.code).toBe('S3ExportQuantumFlux');
    expect(unknown.class).toBe('unknown');
  });

  it('reads a code with a digit in it as a whole token', () => {
    // Prepare / Act
    const known = asRecord(
      parseOne('WARN S3ExportLocalObjectReleaseWithoutS3Source path=/ns1/p/two.dat'),
    );
    const unknown = asRecord(parseOne('ERROR S3Export2FastError path=/ns1/p/three.dat'));

    // Assess
    expect(known.code).toBe('S3ExportLocalObjectReleaseWithoutS3Source');
    expect(known.class).toBe('skipped');
    expect(known.path).toBe('/ns1/p/two.dat');
    expect(unknown.code).toBe('S3Export2FastError');
    expect(unknown.class).toBe('unknown');
  });

  it.each(ONE_WORD_CODES.map((entry) => [entry.code, entry] as const))(
    'recognises the catalogued code %j in a text line',
    (code, entry) => {
      // Prepare: the code alone, as a key=value line holds it, with no documented text.
      const message = `${entry.level} ${code} path=/ns1/p/one.dat`;

      // Act
      const record = asRecord(parseOne(message));

      // Assess
      expect(record.code).toBe(code);
      expect(record.class).toBe(entry.class);
      expect(record.format).toBe('text');
      expect(record.path).toBe('/ns1/p/one.dat');
    },
  );

  it.each(PHRASE_CODES.map((entry) => [entry.code] as const))(
    'leaves the error type %j, a phrase any log may hold, to JSON records',
    (code) => {
      // Prepare: the phrase in a line that is not a documented text.
      const message = `ERROR ${code} path=/ns1/p/one.dat`;

      // Act
      const event = parseOne(message);

      // Assess: shown as unparseable, not read as an FSx record.
      expect(event.kind).toBe('unparseable');
    },
  );

  it('recognises every one-word catalogued code wherever it stands among other words', () => {
    // Words that spell no code: lower case, digits and punctuation.
    const words = fc.array(
      fc.string({ unit: fc.constantFrom(...'abcdexyz0123456789.:[]-'), maxLength: 10 }),
      { maxLength: 4 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...ONE_WORD_CODES), words, words, (entry, before, after) => {
        // Prepare
        const message = [...before, entry.code, ...after].join(' ');

        // Act
        const record = asRecord(parseOne(message));

        // Assess
        expect(record.code).toBe(entry.code);
        expect(record.class).toBe(entry.class);
      }),
    );
  });

  it('takes the file-system id from the log stream when the record lacks it', () => {
    // Prepare / Act
    const record = asRecord(
      parseOne('Failed to export file because it is being used by another process.'),
    );

    // Assess
    expect(record.fileSystemId).toBe(FS);
    expect(record.logStream).toBe(`datarepo_${FS}`);
  });
});

describe('Function: parseEvent (JSON records)', () => {
  it('reads a flat record with code, path, file system and time', () => {
    // Prepare
    const message = JSON.stringify({
      errorCode: 'S3ExportResourceBusy',
      filePath: '/ns1/sim/out.h5',
      fileSystemId: 'fs-0fedcba9876543210',
      time: '2026-11-25T10:00:00Z',
    });

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record).toMatchObject({
      code: 'S3ExportResourceBusy',
      class: 'busy',
      format: 'json',
      path: '/ns1/sim/out.h5',
      // The log stream (written by FSx) names the file system; the record's own id is kept apart.
      fileSystemId: FS,
      namedFileSystemId: 'fs-0fedcba9876543210',
      time: '2026-11-25T10:00:00Z',
    });
  });

  it('matches field names case-insensitively, with underscores or dashes', () => {
    // Prepare
    const message = JSON.stringify({ ERROR_TYPE: 'Internal failure', 'File-Path': 'ns1/a' });

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.code).toBe('InternalAutoExportError');
    expect(record.path).toBe('ns1/a');
  });

  it('finds a code nested anywhere and never takes a generic type field for it', () => {
    // Prepare
    const message = JSON.stringify({
      type: 'Export',
      event: { detail: { error: { code: 'S3ExportAccessDenied' } } },
      s3Key: 'pre/a.bin',
      bucket: 'bkt',
    });

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.code).toBe('S3ExportAccessDenied');
    expect(record.s3Key).toBe('pre/a.bin');
    expect(record.bucket).toBe('bkt');
  });

  it('finds a known label in any string value', () => {
    // Prepare
    const message = JSON.stringify({ kind: 'Export', outcome: 'File too large', path: '/ns1/big' });

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.code).toBe('S3ExportFileSizeTooLarge');
    expect(record.class).toBe('limit');
  });

  it('does not take a file named like a code for the code', () => {
    // Prepare
    const message = JSON.stringify({ errorCode: 'S3ExportResourceBusy', path: 'NoDiskSpace' });

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.code).toBe('S3ExportResourceBusy');
    expect(record.path).toBe('NoDiskSpace');
  });

  it('narrows a shared label by the message text, then by the event kind', () => {
    // Prepare
    const byText = JSON.stringify({
      errorType: 'Access denied',
      message: 'Failed to restore file because access was denied to S3 object k1 in S3 bucket b1.',
    });
    const byKind = JSON.stringify({ errorType: 'Access denied', operation: 'HSM restore' });
    const byDefault = JSON.stringify({ errorType: 'Access denied' });

    // Act
    const [text, kind, fallback] = [byText, byKind, byDefault].map((m) => asRecord(parseOne(m)));

    // Assess
    expect(text?.code).toBe('Restore: access denied');
    expect(text?.class).toBe('import');
    expect(kind?.code).toBe('Restore: access denied');
    expect(fallback?.code).toBe('S3ExportAccessDenied');
    expect(fallback?.class).toBe('permission');
  });

  it('extracts key and bucket from the message text when no field has them', () => {
    // Prepare
    const message = JSON.stringify({
      level: 'WARN',
      message:
        'Export skipped: Local file is in released state and a linked S3 object with key a/b.nc was not found in bucket climate-data.',
    });

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.code).toBe('S3ExportLocalObjectReleaseWithoutS3Source');
    expect(record.s3Key).toBe('a/b.nc');
    expect(record.bucket).toBe('climate-data');
    expect(record.level).toBe('WARN');
  });

  it('reads an s3:// URI, an association id and an epoch-seconds time', () => {
    // Prepare
    const message = JSON.stringify({
      errorCode: 'InternalAutoExportError',
      target: 's3://bkt/pre/x/y.bin',
      associationId: 'dra-0123456789abcdef0',
      timestamp: 1_764_064_800,
    });

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.bucket).toBe('bkt');
    expect(record.s3Key).toBe('pre/x/y.bin');
    expect(record.associationId).toBe('dra-0123456789abcdef0');
    expect(record.time).toBe('2025-11-25T10:00:00.000Z');
  });

  it('keeps an unknown code from a code field as class unknown', () => {
    // Prepare
    const message = JSON.stringify({ errorCode: 'S3ExportNewFailure', path: '/ns1/a' });

    // Act
    const record = asRecord(parseOne(message));

    // Assess
    expect(record.code).toBe('S3ExportNewFailure');
    expect(record.class).toBe('unknown');
  });

  it('survives deeply nested and huge records within fixed bounds', () => {
    // Prepare
    const depth = 100_000;
    const nested = `${'{"inner":'.repeat(depth)}{"errorCode":"S3ExportResourceBusy"}${'}'.repeat(depth)}`;
    const wide = JSON.stringify({
      errorCode: 'S3ExportInternalError',
      noise: Array.from({ length: 50_000 }, (_, i) => i),
    });

    // Act
    const deep = parseOne(nested);
    const big = asRecord(parseOne(wide));

    // Assess
    expect(asUnparseable(deep).reason).toContain('not a documented');
    expect(big.code).toBe('S3ExportInternalError');
    expect(big.message.length).toBeLessThanOrEqual(1_000);
  });
});

describe('Function: parseEvent (unparseable)', () => {
  it.each([
    ['a number', 42, 'message is a number'],
    ['null', null, 'message is null'],
    ['an object', { errorCode: 'x' }, 'message is an object'],
    ['empty text', '   ', 'message is empty'],
    ['unknown text', 'kernel: eth0 link up', 'not a documented'],
    ['JSON without a code', '{"type":"Export","path":"/a"}', 'not a documented'],
    ['broken JSON', '{"errorCode":', 'not valid JSON (cut short?)'],
    // Read as text, the code inside would become a failure with nothing trustworthy around it.
    [
      'a JSON record cut short after its code',
      '{"errorCode":"InternalAutoExportError","filePath":"/ns1/a.b',
      'not valid JSON (cut short?)',
    ],
  ])('counts %s as unparseable with a reason and a sample', (_name, message, reason) => {
    // Prepare / Act
    const parsed = asUnparseable(parseOne(message));

    // Assess
    expect(parsed.reason).toContain(reason);
    expect(parsed.sample.length).toBeLessThanOrEqual(240);
  });

  it('reports a defect the decoder found', () => {
    // Prepare
    const input = batch([]);
    const event = { id: '#3', timestamp: 0, message: 7, defect: 'log event is not an object' };

    // Act
    const parsed = asUnparseable(parseEvent(event, input));

    // Assess
    expect(parsed.reason).toBe('log event is not an object');
  });
});

describe('Property: parsing is total', () => {
  const known = fc.constantFrom(...CATALOG.flatMap((e) => [e.code, e.label ?? e.code]));
  const jsonish = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.json(),
    fc.record({ errorCode: known, filePath: fc.string() }).map((r) => JSON.stringify(r)),
    fc
      .tuple(fc.constantFrom(...CATALOG.flatMap((e) => e.templates)), fc.string())
      .map(([template, value]) => template.replaceAll(/\{\w+\}/g, value)),
    fc.anything(),
  );

  it('never throws and always gives exactly one record or unparseable event', () => {
    fc.assert(
      fc.property(jsonish, (message) => {
        // Prepare / Act
        const parsed = parseOne(message);

        // Assess
        expect(['record', 'unparseable']).toContain(parsed.kind);
        if (parsed.kind === 'record') expect(parsed.code.length).toBeGreaterThan(0);
      }),
      { numRuns: 2_000 },
    );
  });

  it('recognises every documented template whatever values fill it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CATALOG.flatMap((e) => e.templates.map((t) => [e.code, t] as const))),
        fc.stringMatching(/^[a-z0-9][a-z0-9/_ .-]{0,40}[a-z0-9]$/),
        fc.stringMatching(/^[a-z0-9][a-z0-9.-]{1,30}[a-z0-9]$/),
        ([code, template], key, bucket) => {
          // Prepare
          const message = template
            .replace('{key}', key)
            .replace('{bucket}', bucket)
            .replace('{value}', 'DEEP_ARCHIVE');

          // Act
          const found = recognise(message);

          // Assess
          expect(found?.code).toBe(code);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('Property: a repeated text line reads as it does on its own', () => {
  // Lines of a few lengths, so that lines of one length replace each other in the memo, and the
  // same line comes back after others: documented texts (filled or not), text with a path, a
  // level and ids, unknown texts, and lines past the remembered length.
  const documented = CATALOG.flatMap((entry) => entry.templates);
  const line = fc.oneof(
    fc.constantFrom(...documented),
    fc
      .tuple(
        fc.constantFrom(...documented),
        fc.constantFrom('a', 'bb', 'a b', 'fs-0123456789abcdef0'),
      )
      .map(([template, value]) => template.replaceAll(/\{\w+\}/g, value)),
    fc
      .tuple(fc.constantFrom('ERROR', 'WARN', 'info'), fc.constantFrom('/a', '"/a b"', '/a b'))
      .map(
        ([level, path]) =>
          `${level} file_path=${path} fs-0123456789abcdef0 dra-0123456789abcdef S3ExportResourceBusy`,
      ),
    fc.constantFrom('S3ExportSomethingNew here', 'nothing to see', 'x'.repeat(400)),
    // Lines of one length that read differently (a key of one character, a documented text with
    // one letter changed): each takes over the slot of the one before it.
    fc
      .tuple(fc.constantFrom(...documented), fc.constantFrom('a', 'b', 'é', ' '))
      .map(([template, value]) => template.replaceAll(/\{\w+\}/g, value)),
    fc
      .tuple(fc.constantFrom(...documented), fc.nat(40), fc.constantFrom('x', 'F', ' '))
      .map(([template, at, char]) => template.slice(0, at) + char + template.slice(at + 1)),
    fc.constantFrom(...documented).map((template) => `${template} ${'y'.repeat(330)}`),
  );

  // A batch drawn from a few such lines, so that each comes back, often after another of its
  // length took its slot.
  const lines = fc
    .array(line, { minLength: 1, maxLength: 8 })
    .chain((pool) => fc.array(fc.constantFrom(...pool), { minLength: 1, maxLength: 40 }));

  it('gives every line of a batch the record it gives alone', () => {
    fc.assert(
      fc.property(lines, (messages) => {
        // Prepare: what each line reads as with nothing remembered.
        const alone = messages.map((message) => {
          forgetTexts();
          return parseOne(message);
        });
        forgetTexts();
        const input = batch(messages.map((message) => ({ message })));

        // Act
        const parsed = input.events.map((event) => parseEvent(event, input));
        forgetTexts();

        // Assess: the same records, but for the event ids and times of the batch.
        const fields = (parsedEvent: ParsedEvent) => {
          const {
            eventId: _id,
            timestamp: _time,
            ...rest
          } = parsedEvent.kind === 'record' ? plainRecord(parsedEvent) : parsedEvent;
          return rest;
        };
        expect(parsed.map(fields)).toEqual(alone.map(fields));
      }),
      { numRuns: 500 },
    );
  });
});

describe('Property: a line that differs from the one before only in its key reads as it does on its own', () => {
  // Lines of one documented text (after an optional prefix, in its own case or another, with the
  // head's space doubled or not) whose keys differ in their first word, so that each line after
  // the first can take its reading from the one before (templates.ts, keyedLine). Words and key
  // ends are chosen to break that: whitespace of every kind, the texts' own words, the words
  // that add a level, path or id, characters whose lower case is longer or ASCII, and keys at
  // and past the 1,024 characters a key group takes.
  const documented = CATALOG.flatMap((entry) => entry.templates).filter((text) =>
    text.includes('{key}'),
  );
  const word = fc.oneof(
    fc.constantFrom(
      'raw/1.csv',
      'a',
      'é',
      '\u0130x',
      '\u212Aey',
      'path',
      'ERROR',
      'WARN',
      'fs-0123456789abcdef0',
      'dra-0123456789abcdef',
      'because',
      'in',
      '',
      'x'.repeat(990),
      'y'.repeat(1_030),
    ),
    fc
      .array(
        fc.constantFrom('a', '/', '.', '-', ' ', '\t', '\n', '\u00a0', '\u2028', '\ufeff', 'S3'),
        {
          minLength: 1,
          maxLength: 8,
        },
      )
      .map((chars) => chars.join('')),
  );
  const rest = fc.constantFrom(
    '',
    ' in S3 bucket ml-archive',
    ' because it was not found in S3 bucket ml-archive',
    ' x  y',
    ' fs-0123456789abcdef0',
    `  ${'z'.repeat(30)}`,
  );
  const frame = fc.record({
    text: fc.constantFrom(...documented),
    prefix: fc.constantFrom('', 'ERROR ', 'note: ', 'Failed to ', '\u0130 ', 'x'.repeat(20)),
    upper: fc.boolean(),
    doubleSpace: fc.boolean(),
    rest,
    bucket: fc.constantFrom('ml-archive', 'b.c'),
  });
  type Shape = typeof frame extends fc.Arbitrary<infer T> ? T : never;
  const fill = (
    { text, prefix, upper, doubleSpace, rest: keyRest, bucket }: Shape,
    first: string,
  ) => {
    const filled = text
      .replace('{key}', `${first}${keyRest}`)
      .replace('{bucket}', bucket)
      .replace('{value}', 'GLACIER');
    const spaced = doubleSpace ? filled.replace('with key ', 'with key  ') : filled;
    return prefix + (upper ? spaced.toUpperCase() : spaced);
  };
  const lines = fc
    .array(fc.tuple(frame, fc.array(word, { minLength: 1, maxLength: 4 })), {
      minLength: 1,
      maxLength: 3,
    })
    .chain((frames) =>
      fc.array(
        fc
          .constantFrom(...frames)
          .chain(([shape, words]) => fc.constantFrom(...words).map((first) => fill(shape, first))),
        { minLength: 1, maxLength: 12 },
      ),
    );

  it('gives every line of a batch the record it gives alone', () => {
    fc.assert(
      fc.property(lines, (messages) => {
        // Prepare: what each line reads as with nothing remembered.
        const alone = messages.map((message) => {
          forgetTexts();
          return recognise(message);
        });
        forgetTexts();

        // Act
        const read = messages.map((message) => recognise(message));
        forgetTexts();

        // Assess
        expect(read).toEqual(alone);
      }),
      { numRuns: 2_000 },
    );
  });

  it('reads the first word of a new key after a line of the same text', () => {
    // Prepare: two lines of the import text the benchmark uses, whose key runs on into words.
    const line = (key: string) =>
      `Failed to import S3 object with key ${key}.csv in S3 bucket ml-archive because it was not found in S3 bucket ml-archive.`;
    // A line as long, with the same end, but another opening: not the same text.
    const otherOpening = line('raw/23').replace('import', 'export');
    const alone = recognise(otherOpening);
    forgetTexts();
    recognise(line('raw/1'));

    // Act
    const second = recognise(line('raw/22'));
    const other = recognise(otherOpening);
    const withSpace = recognise(line('raw 22'));
    forgetTexts();

    // Assess: the key as the whole match reads it, and a key with a space or another opening
    // read in full.
    expect(second?.s3Key).toBe('raw/22.csv in S3 bucket ml-archive');
    expect(second?.bucket).toBe('ml-archive');
    expect(second?.code).toBe('S3ImportObjectDeleted');
    expect(withSpace?.s3Key).toBe('raw 22.csv in S3 bucket ml-archive');
    expect(other).toEqual(alone);
    expect(other?.code).not.toBe('S3ImportObjectDeleted');
  });
});

describe('Trust: only what FSx wrote chooses the file system and the path', () => {
  // A documented text that names no key: it ends an unquoted path before it.
  const INTERNAL_TEXT =
    'Automatic export encountered an internal error while exporting a file system object';

  it("keeps the log stream's file system when the record names another one", () => {
    // Prepare
    const message =
      'ERROR S3ExportInternalError on fs-0123abcd4567ef890 path=/ns1/shared/fs-0fedcba9876543210/data.bin';

    // Act
    const record = asRecord(parseOne(message));

    // Assess: the id in the text is kept apart; the one inside the path names nothing.
    expect(record.fileSystemId).toBe(FS);
    expect(record.namedFileSystemId).toBe('fs-0123abcd4567ef890');
    expect(record.path).toBe('/ns1/shared/fs-0fedcba9876543210/data.bin');
  });

  it("uses the record's id only when the stream names no file system", () => {
    // Prepare
    const input = batch(
      [{ message: 'S3ExportInternalError in fs-0123abcd4567ef890 path=/a' }],
      'custom-stream',
    );

    // Act
    const record = asRecord(parseEvent(input.events[0] as (typeof input.events)[0], input));

    // Assess
    expect(record.fileSystemId).toBe('fs-0123abcd4567ef890');
    expect(record.namedFileSystemId).toBeUndefined();
  });

  it.each([
    ['fs-0123abcd', 'fs-0123abcd'],
    ['fs-0123456789abcdef0', 'fs-0123456789abcdef0'],
    ['fc-0123456789abcdef0', 'fc-0123456789abcdef0'],
    ['fs-0123456789abcdef01234', undefined],
    ['fs-0123abc', undefined],
  ])('reads %s as an id only in the shape FSx issues', (id, expected) => {
    // Prepare
    const input = batch([{ message: `S3ExportInternalError on ${id} path=/a` }], 'custom-stream');

    // Act
    const record = asRecord(parseEvent(input.events[0] as (typeof input.events)[0], input));

    // Assess
    expect(record.fileSystemId).toBe(expected);
  });

  it.each([
    ['file_path=/ns1/lab notes/run 3.csv', '/ns1/lab notes/run 3.csv', true],
    ['file_path="/ns1/lab notes/run 3.csv" level=ERROR', '/ns1/lab notes/run 3.csv', false],
    ['path=/ns1/a.dat level=ERROR', '/ns1/a.dat', false],
    ['path=/ns1/lab notes/run 3.csv level=ERROR', '/ns1/lab notes/run 3.csv', true],
    ['path="/ns1/unclosed quote', '/ns1/unclosed quote', true],
    [
      'path=/ns1/lab notes/x.csv Failed to export file because it is being used by another process.',
      '/ns1/lab notes/x.csv',
      false,
    ],
  ])('reads the path of %j as %j (uncertain: %s)', (text, path, uncertain) => {
    // Act
    const record = asRecord(parseOne(`ERROR S3ExportResourceBusy ${text}`));

    // Assess
    expect(record.path).toBe(path);
    expect(record.pathUncertain === true).toBe(uncertain);
  });

  it.each([
    [
      'the reported line: a path, then an id of another file system',
      'file_path=/ns1/abc/def.txt fs-0aaaaaaaaaaaaaaa1',
      '/ns1/abc/def.txt fs-0aaaaaaaaaaaaaaa1',
      true,
      'fs-0aaaaaaaaaaaaaaa1',
    ],
    [
      "a path, then the stream's own id",
      `file_path=/ns1/abc/def.txt ${FS}`,
      `/ns1/abc/def.txt ${FS}`,
      true,
      undefined,
    ],
    [
      'an id-shaped word after a space, inside the path',
      'path=/ns1/x fc-0123abcd/data.bin',
      '/ns1/x fc-0123abcd/data.bin',
      true,
      'fc-0123abcd',
    ],
    [
      'a path, an id and the documented text',
      'path=/ns1/a.bin fs-0aaaaaaaaaaaaaaa1 Failed to export file because it is being used by another process.',
      '/ns1/a.bin fs-0aaaaaaaaaaaaaaa1',
      true,
      'fs-0aaaaaaaaaaaaaaa1',
    ],
    [
      'a quoted path with an id in it',
      'file_path="/ns1/abc/def.txt fs-0aaaaaaaaaaaaaaa1"',
      '/ns1/abc/def.txt fs-0aaaaaaaaaaaaaaa1',
      false,
      undefined,
    ],
    [
      'a plain space, to the end of the line (it may run on into the message)',
      'file_path=/ns1/abc/def ghi.txt',
      '/ns1/abc/def ghi.txt',
      true,
      undefined,
    ],
    [
      'a plain space, then a shortened message',
      'file_path=/ns1/p/one.dat Automatic export encountered an internal error',
      '/ns1/p/one.dat Automatic export encountered an internal error',
      true,
      undefined,
    ],
    [
      'a plain space, ended by the documented text',
      `file_path=/ns1/abc/def ghi.txt ${INTERNAL_TEXT}`,
      '/ns1/abc/def ghi.txt',
      false,
      undefined,
    ],
    [
      'a documented text inside the name, more of the name after it',
      `file_path=/ns1/x ${INTERNAL_TEXT}.y`,
      `/ns1/x ${INTERNAL_TEXT}.y`,
      true,
      undefined,
    ],
    [
      'a documented text inside the name, right after its first word',
      `file_path=/ns1/x${INTERNAL_TEXT}`,
      `/ns1/x${INTERNAL_TEXT}`,
      true,
      undefined,
    ],
    ['a trailing space', 'file_path=/ns1/abc/def.txt ', '/ns1/abc/def.txt', false, undefined],
    [
      'a longer run of hex digits after the space (not an id)',
      `file_path=/ns1/abc/def fs-0aaaaaaaaaaaaaaaa12 ${INTERNAL_TEXT}`,
      '/ns1/abc/def fs-0aaaaaaaaaaaaaaaa12',
      false,
      undefined,
    ],
    [
      'an id inside a word after the space (not an id)',
      `file_path=/ns1/abc/def xfs-0aaaaaaaaaaaaaaa1 ${INTERNAL_TEXT}`,
      '/ns1/abc/def xfs-0aaaaaaaaaaaaaaa1',
      false,
      undefined,
    ],
  ])(
    'reads %s as uncertain only when it can be read two ways',
    (_what, text, path, uncertain, named) => {
      // Act
      const record = asRecord(parseOne(`ERROR S3ExportInternalError ${text}`));

      // Assess
      expect(record.path).toBe(path);
      expect(record.pathUncertain === true).toBe(uncertain);
      expect(record.fileSystemId).toBe(FS);
      expect(record.namedFileSystemId).toBe(named);
    },
  );

  it('counts an id an unquoted path may run on into as named, also when no stream names one', () => {
    // Prepare
    const text = 'ERROR S3ExportInternalError file_path=/ns1/abc/def.txt fs-0aaaaaaaaaaaaaaa1';
    const input = batch([{ message: text }], 'custom-stream');

    // Act
    const record = asRecord(parseEvent(input.events[0] as (typeof input.events)[0], input));

    // Assess: it fills in as any named id does, and the path stays uncertain.
    expect(record.fileSystemId).toBe('fs-0aaaaaaaaaaaaaaa1');
    expect(record.pathUncertain).toBe(true);
  });

  it('takes JSON string values whole, whatever characters they hold', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 60 }), (path) => {
        // Prepare
        const message = JSON.stringify({ errorCode: 'S3ExportResourceBusy', filePath: path });

        // Act
        const record = asRecord(parseOne(message));

        // Assess
        expect(record.path).toBe(path);
        expect(record.pathUncertain).toBeUndefined();
      }),
    );
  });

  it.each([
    ['a path', 'ERROR S3ExportInternalError path=/ns1/shared/fs-0123abcd4567ef890/data.bin'],
    [
      'an S3 key',
      'Failed to export S3 object with key data/fs-0123abcd4567ef890/x.bin in S3 bucket ml-archive due to an internal error.',
    ],
  ])('never takes an id inside %s as the file system, when no stream names one', (_where, text) => {
    // Prepare
    const input = batch([{ message: text }], 'custom-stream');

    // Act
    const record = asRecord(parseEvent(input.events[0] as (typeof input.events)[0], input));

    // Assess
    expect(record.fileSystemId).toBeUndefined();
  });

  it('still reads an id the text names outside the path', () => {
    // Prepare
    const input = batch(
      [{ message: 'ERROR S3ExportInternalError on fs-0123abcd4567ef890 path=/ns1/a.bin' }],
      'custom-stream',
    );

    // Act
    const record = asRecord(parseEvent(input.events[0] as (typeof input.events)[0], input));

    // Assess
    expect(record.fileSystemId).toBe('fs-0123abcd4567ef890');
  });
});

describe('Property: an unquoted text path is trusted only when it cannot be read two ways', () => {
  // Words that cannot spell a key, a level, a code, a documented text or an id by themselves.
  const word = fc.string({
    unit: fc.constantFrom(...'abgkmnoquvwxyz0123456789._'),
    minLength: 1,
    maxLength: 8,
  });
  const id = fc.oneof(
    fc
      .tuple(
        fc.constantFrom('fs-', 'fc-'),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 8, maxLength: 17 }),
      )
      .map(([prefix, hex]) => prefix + hex),
    fc.constant(FS),
  );
  const part = fc.record({
    separator: fc.constantFrom('/', ' ', '  ', '\t'),
    word,
    isId: fc.constant(false),
  });
  const idPart = fc.record({
    separator: fc.constantFrom('/', ' ', '  ', '\t'),
    word: id,
    isId: fc.constant(true),
  });
  // What follows the path: nothing (the end of the line), another key, or a documented text
  // (one without a key, and one whose key is filled in) that ends it.
  const ending = fc.constantFrom(
    { kind: 'end', text: '' },
    { kind: 'key', text: ' level=ERROR' },
    {
      kind: 'documented',
      text: ' Automatic export encountered an internal error while exporting a file system object',
    },
    {
      kind: 'documented',
      text: ' Failed to export S3 object with key ns1/a.dat in S3 bucket bkt due to an internal error.',
    },
    // A documented text that more of the name follows: a file named with it inside. It ends
    // nothing, so the path runs on to the end of the line.
    {
      kind: 'inside',
      text: ' Automatic export encountered an internal error while exporting a file system object.y',
    },
  );
  const line = fc.record({
    first: word,
    parts: fc.array(fc.oneof(part, idPart), { maxLength: 6 }),
    trailing: fc.constantFrom('', ' ', '  '),
    quoted: fc.boolean(),
    ending,
  });

  it('marks it uncertain, says why, and names the id, exactly as the model does', () => {
    fc.assert(
      fc.property(line, ({ first, parts, trailing, quoted, ending }) => {
        // Prepare: the model, from how the line was built. An unquoted path with whitespace is
        // in doubt unless a documented text ends it; an id-shaped word after whitespace makes it
        // doubtful in any case, and counts as named.
        const value = `/${first}${parts.map((p) => p.separator + p.word).join('')}${trailing}`;
        const runOn = parts.find((p) => p.isId && p.separator !== '/')?.word;
        const spaced = /\s/.test(value.trimEnd());
        let doubt: PathDoubt | undefined;
        if (spaced && runOn !== undefined) doubt = 'id';
        else if (spaced && ending.kind === 'key') doubt = 'cut';
        else if (spaced && ending.kind === 'end') doubt = 'message';
        // The inside text has whitespace, so the path it runs on into is always in doubt.
        if (ending.kind === 'inside') doubt = runOn === undefined ? 'message' : 'id';
        const read = ending.kind === 'inside' ? value + ending.text : value;
        const path = quoted ? `"${value}"` : value;
        const message = `ERROR S3ExportInternalError file_path=${path}${ending.text}`;

        // Act
        const record = asRecord(parseOne(message));

        // Assess
        expect(record.fileSystemId).toBe(FS);
        if (quoted) {
          expect(record.path).toBe(value);
          expect(record.pathUncertain).toBeUndefined();
          expect(record.namedFileSystemId).toBeUndefined();
        } else {
          expect(record.path).toBe(read.trimEnd());
          expect(record.pathUncertain === true).toBe(doubt !== undefined);
          if (doubt !== undefined) expect(pathDoubt(record)).toBe(doubt);
          expect(record.namedFileSystemId).toBe(runOn === FS ? undefined : runOn);
        }
      }),
    );
  });
});

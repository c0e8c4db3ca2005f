import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDocumentPieces } from '../../../cli/output.ts';
import {
  FailureList,
  jsonDocumentText,
  toJsonDocument,
  toJsonReport,
} from '../../../lib/analyze/analysis.ts';
import { CLASS_ORDER } from '../../../lib/common/classes.ts';
import type { FailureRecord } from '../../../lib/common/types.ts';
import { emptyReport, record } from '../../helpers/reports.ts';

/** The `failures` item as toJsonReport wrote it before FailureList: the shape to match. */
function oldFailureItem(failure: FailureRecord) {
  return {
    eventId: failure.eventId,
    timestamp: failure.timestamp ?? null,
    logGroup: failure.logGroup,
    logStream: failure.logStream,
    fileSystemId: failure.fileSystemId ?? null,
    class: failure.class,
    code: failure.code,
    format: failure.format,
    level: failure.level ?? null,
    path: failure.path ?? null,
    s3Key: failure.s3Key ?? null,
    bucket: failure.bucket ?? null,
    associationId: failure.associationId ?? null,
    time: failure.time ?? null,
  };
}

/** Text with everything JSON or the terminal escaping acts on, lone surrogates included. */
const awkwardText = fc.oneof(
  fc.string({
    unit: fc.constantFrom(
      'a',
      '/',
      'é',
      '"',
      '\\',
      '\n',
      '\u0000',
      '\u001f',
      '\u007f',
      '\u0085',
      '\u2028',
      '\u202e',
      '\u2066',
      '\ufeff',
      '😀',
      '\ud800',
      '\udfff',
    ),
    maxLength: 12,
  }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constant('/ns1/checkpoints/run-1/step-1.pt'),
);
const optionalText = fc.option(awkwardText, { nil: undefined });

/** Records as the parser makes them, with any text in every field the JSON output shows. */
const failureRecord = fc
  .record({
    index: fc.nat(),
    eventId: awkwardText,
    timestamp: fc.option(
      fc.oneof(fc.integer(), fc.double(), fc.constant(-0), fc.constant(Number.NaN)),
      { nil: undefined },
    ),
    logGroup: awkwardText,
    logStream: awkwardText,
    fileSystemId: optionalText,
    class: fc.constantFrom(...CLASS_ORDER),
    code: awkwardText,
    format: fc.constantFrom('json' as const, 'text' as const),
    level: fc.constantFrom('ERROR' as const, 'WARN' as const, undefined),
    path: optionalText,
    s3Key: optionalText,
    bucket: optionalText,
    associationId: optionalText,
    time: optionalText,
  })
  .map(({ index, ...fields }) => record(index, fields));

describe('Class: FailureList', () => {
  it('is written, in slices, as exactly the text of the old items made first (property)', () => {
    fc.assert(
      fc.property(fc.array(failureRecord, { maxLength: 300 }), fc.nat(3), (records, at) => {
        // Prepare: the old document, its items made first, the list among other members.
        const old = { events: records.length, failures: records.map(oldFailureItem), after: at };
        const document = { events: records.length, failures: new FailureList(records), after: at };

        // Act
        const pieces = [...jsonDocumentPieces(document)];

        // Assess
        expect(pieces.join('')).toBe(jsonDocumentText(old));
        expect(JSON.stringify(document)).toBe(JSON.stringify(old));
      }),
      { numRuns: 150 },
    );
  });

  it('makes items only for the slice asked for', () => {
    // Prepare
    const list = new FailureList(Array.from({ length: 300 }, (_, index) => record(index)));

    // Act
    const slice = list.slice(128, 256);

    // Assess
    expect(list.length).toBe(300);
    expect(slice).toHaveLength(128);
    expect(slice[0]).toEqual(oldFailureItem(record(128)));
    expect(slice.at(-1)).toEqual(oldFailureItem(record(255)));
  });
});

describe('Function: toJsonDocument', () => {
  it('writes, in pieces, the bytes of toJsonReport for a report of 1,000 records', () => {
    // Prepare
    const records = Array.from({ length: 1000 }, (_, index) =>
      record(index, { path: index % 7 === 0 ? `/ns1/\u202e${index}\u2028.bin` : `/ns1/${index}` }),
    );
    const report = emptyReport({ records });

    // Act
    const pieces = [...jsonDocumentPieces(toJsonDocument(report))];

    // Assess
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(jsonDocumentText(toJsonReport(report)));
    expect(JSON.stringify(toJsonDocument(report))).toBe(JSON.stringify(toJsonReport(report)));
  });

  it('writes a report with no records as toJsonReport does', () => {
    // Prepare
    const report = emptyReport();

    // Act
    const text = [...jsonDocumentPieces(toJsonDocument(report))].join('');

    // Assess
    expect(text).toBe(jsonDocumentText(toJsonReport(report)));
    expect(JSON.parse(text).failures).toEqual([]);
  });
});

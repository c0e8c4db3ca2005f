import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFailuresCsv } from '../../../lib/reexport/csv.ts';

/** Encodes one field as FSx documents it: guard quotes for `@ + - =`, then RFC 4180 quoting. */
function encodeField(value: string, isPath: boolean): string {
  const guarded = isPath && /^[@+\-=]/.test(value) ? `"${value}"` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

type Row = readonly [path: string, status: string, code: string];

function encode(rows: readonly Row[], eol = '\n'): string {
  return rows
    .map(([path, status, code]) =>
      [encodeField(path, true), encodeField(status, false), encodeField(code, false)].join(','),
    )
    .map((line) => `${line}${eol}`)
    .join('');
}

const CODES = ['S3AccessDenied', 'FileSizeTooLarge', 'PathSizeTooLong', 'ResourceBusy', 'S3Error'];
const path = fc
  .string({
    unit: fc.constantFrom(
      'a',
      'b',
      '/',
      ' ',
      ',',
      '"',
      "'",
      '\n',
      '\r\n',
      '@',
      '+',
      '=',
      '-',
      'é',
      '😀',
    ),
    minLength: 1,
    maxLength: 30,
  })
  // Leading/trailing space is kept by the parser; a path of only guard characters is ambiguous
  // by FSx's own encoding, so every path holds a letter.
  .map((text) => `${text}a`);
const row = fc.tuple(path, fc.constant('failed'), fc.constantFrom(...CODES));

describe('Function: parseFailuresCsv', () => {
  it("reads AWS's documented example, which has no header row", () => {
    // Prepare
    const text =
      'myRestrictedFile,failed,S3AccessDenied\ndir1/myLargeFile,failed,FileSizeTooLarge\ndir2/anotherLargeFile,failed,FileSizeTooLarge\n';

    // Act
    const parsed = parseFailuresCsv(text);

    // Assess
    expect(parsed.rows.map((r) => [r.path, r.status, r.code, r.line])).toEqual([
      ['myRestrictedFile', 'failed', 'S3AccessDenied', 1],
      ['dir1/myLargeFile', 'failed', 'FileSizeTooLarge', 2],
      ['dir2/anotherLargeFile', 'failed', 'FileSizeTooLarge', 3],
    ]);
    expect(parsed).toMatchObject({ malformed: [], cut: false });
  });

  it('decodes the documented encodings: guard quotes, commas, doubled quotes', () => {
    // Prepare
    const text = [
      '"""@filename.txt""",failed,S3AccessDenied',
      '"""+filename.txt""",failed,S3AccessDenied',
      '"file,name.txt",failed,S3AccessDenied',
      '"file""name.txt",failed,S3AccessDenied',
      "'=sum.txt',failed,S3AccessDenied",
      '',
    ].join('\r\n');

    // Act
    const parsed = parseFailuresCsv(text);

    // Assess
    expect(parsed.rows.map((r) => r.path)).toEqual([
      '@filename.txt',
      '+filename.txt',
      'file,name.txt',
      'file"name.txt',
      '=sum.txt',
    ]);
  });

  it('skips a byte order mark, a header row and blank lines; keeps a line break inside quotes', () => {
    // Prepare
    const text =
      '\uFEFFFilePath,FileStatus,ErrorCode\r\n\r\n"dir/two\nlines.bin",failed,ResourceBusy\r\nlast.bin,failed,S3Error';

    // Act
    const parsed = parseFailuresCsv(text);

    // Assess
    expect(parsed.rows).toEqual([
      { path: 'dir/two\nlines.bin', status: 'failed', code: 'ResourceBusy', line: 3 },
      { path: 'last.bin', status: 'failed', code: 'S3Error', line: 5 },
    ]);
  });

  it('counts malformed rows with their line, and reads the good rows around them', () => {
    // Prepare
    const text = [
      'a.bin,failed,S3AccessDenied',
      'two,fields',
      'b.bin,failed,S3Error,extra',
      ',failed,S3Error',
      'bad"quote,failed,S3Error',
      '"closed"tail,failed,S3Error',
      'c.bin,failed,ResourceBusy',
      '"never closed,failed,S3Error',
    ].join('\n');

    // Act
    const parsed = parseFailuresCsv(text);

    // Assess
    expect(parsed.rows.map((r) => r.path)).toEqual(['a.bin', 'c.bin']);
    expect(parsed.malformed).toEqual([
      { line: 2, reason: '2 fields instead of 3' },
      { line: 3, reason: '4 fields instead of 3' },
      { line: 4, reason: 'an empty path' },
      { line: 5, reason: 'a quotation mark inside an unquoted field' },
      { line: 6, reason: 'text after a closing quotation mark' },
      { line: 8, reason: 'a quoted field that never ends' },
    ]);
  });

  it('drops the unfinished last row of a cut report instead of misreading it', () => {
    // Prepare
    const text = 'a.bin,failed,S3AccessDenied\nb.bin,failed,S3Acc';

    // Act
    const parsed = parseFailuresCsv(text, { truncated: true });

    // Assess
    expect(parsed.rows.map((r) => r.code)).toEqual(['S3AccessDenied']);
    expect(parsed).toMatchObject({ malformed: [], cut: true });
  });

  it('property: any rows FSx could write read back exactly (LF or CRLF, with or without BOM)', () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 20 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        (rows, eol, bom) => {
          // Act
          const parsed = parseFailuresCsv(`${bom ? '\uFEFF' : ''}${encode(rows, eol)}`);

          // Assess
          expect(parsed.malformed).toEqual([]);
          expect(parsed.rows.map((r) => [r.path, r.status, r.code])).toEqual(rows);
        },
      ),
    );
  });

  it('property: a report cut at any character gives a prefix of its rows, never a wrong one', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 10 }), fc.nat(), (rows, at) => {
        // Prepare
        const text = encode(rows);
        const cut = text.slice(0, at % (text.length + 1));

        // Act
        const parsed = parseFailuresCsv(cut, { truncated: true });

        // Assess
        const read = parsed.rows.map((r) => [r.path, r.status, r.code]);
        expect(read).toEqual(rows.slice(0, read.length));
        expect(parsed.malformed).toEqual([]);
      }),
    );
  });

  it('property: any text at all parses without throwing, every row three fields', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.oneof(
            fc.constantFrom('a', ',', '"', '\n', '\r', '\uFEFF', "'", '@'),
            fc.string({ maxLength: 1 }),
          ),
          maxLength: 200,
        }),
        (text) => {
          // Act
          const parsed = parseFailuresCsv(text);

          // Assess
          for (const r of parsed.rows) expect(r.path).not.toBe('');
          for (const bad of parsed.malformed) expect(bad.line).toBeGreaterThanOrEqual(1);
        },
      ),
    );
  });
});

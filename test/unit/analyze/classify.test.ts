import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG, classify, hintFor, lookup } from '../../../lib/analyze/classify.ts';
import { CLASS_ORDER, isRetryable, mostSevere } from '../../../lib/common/classes.ts';
import type { FailureClass } from '../../../lib/common/types.ts';

describe('Function: classify', () => {
  // The classification, written out by hand so the table cannot drift from it.
  const expected: Array<[string, FailureClass]> = [
    ['S3ExportInternalError', 'transient'],
    ['InternalAutoExportError', 'transient'],
    ['Internal failure', 'transient'],
    ['S3ExportResourceBusy', 'busy'],
    ['Resource busy', 'busy'],
    ['S3ExportAccessDenied', 'permission'],
    ['Access denied', 'permission'],
    ['KMS key not found', 'permission'],
    ['S3ExportPathSizeTooLong', 'limit'],
    ['Export path too long', 'limit'],
    ['S3ExportFileSizeTooLarge', 'limit'],
    ['File too large', 'limit'],
    ['S3ExportLocalObjectReleaseWithoutS3Source', 'skipped'],
    ['File released', 'skipped'],
    ['S3ExportLocalObjectNotMatchDra', 'skipped'],
    ['Data repository path mismatch', 'skipped'],
    ['S3CompletionReportUploadFailure', 'report'],
    ['S3CompletionReportValidateFailure', 'report'],
    ['S3ImportListObjectError', 'import'],
    ['S3ImportAccessDenied', 'import'],
    ['S3ImportObjectDeleted', 'import'],
    ['NoDiskSpace', 'import'],
    ['Disk space full', 'import'],
    ['S3 bucket not found', 'import'],
    ['File name too long', 'import'],
    ['Non-POSIX compliant object', 'import'],
    ['Restore: access denied', 'import'],
    ['ResourceBusy', 'busy'],
    ['INTERNAL_ERROR', 'transient'],
    ['PathSizeTooLong', 'limit'],
  ];

  it.each(expected)('classifies %s as %s', (code, cls) => {
    // Prepare: the table in the issue.
    // Act
    const result = classify(code);

    // Assess
    expect(result).toBe(cls);
  });

  it('matches codes and labels case-insensitively and ignores surrounding space', () => {
    // Prepare
    const variants = ['s3exportresourcebusy', '  RESOURCE BUSY '];

    // Act
    const results = variants.map(classify);

    // Assess
    expect(results).toEqual(['busy', 'busy']);
  });

  it('classifies anything undocumented as unknown, which is never retried', () => {
    // Prepare
    const codes = ['S3ExportSomethingNew', 'Export', '', 'InternalError'];

    // Act
    const classes = codes.map(classify);

    // Assess
    expect(classes).toEqual(['unknown', 'unknown', 'unknown', 'unknown']);
    expect(isRetryable('unknown')).toBe(false);
  });

  it('retries only transient and busy', () => {
    // Prepare
    const all = [...CLASS_ORDER];

    // Act
    const retried = all.filter(isRetryable);

    // Assess
    expect(retried.sort()).toEqual(['busy', 'transient']);
  });

  it('gives every catalog entry a hint and at least one message template', () => {
    // Prepare / Act
    const incomplete = CATALOG.filter(
      (entry) => entry.hint.length < 20 || entry.templates.length === 0,
    );

    // Assess
    expect(incomplete).toEqual([]);
    expect(hintFor('S3ExportAccessDenied')).toContain('aws:SourceVpc');
    expect(hintFor('NotACode')).toContain('never retried');
  });

  it('returns every row that shares a label, so the parser can narrow them', () => {
    // Prepare / Act
    const rows = lookup('Access denied');

    // Assess
    expect(rows.map((row) => row.kind)).toEqual(['export', 'restore']);
  });

  it('orders severity with what needs a person first', () => {
    // Prepare / Act / Assess
    expect(mostSevere(['busy', 'permission', 'transient'])).toBe('permission');
    expect(mostSevere(['skipped', 'import'])).toBe('import');
    expect(mostSevere([])).toBeUndefined();
  });

  it('finds what the normalised spelling names, whatever the case, padding or length (property)', () => {
    // Prepare: the lookup as the catalog defines it, with no shortcut (trim, lower case, codes
    // before report codes before labels).
    const byCode = new Map<string, (typeof CATALOG)[number]>();
    for (const entry of CATALOG) byCode.set(entry.code.toLowerCase(), entry);
    for (const entry of CATALOG) {
      const code = entry.reportCode?.toLowerCase();
      if (code !== undefined && !byCode.has(code)) byCode.set(code, entry);
    }
    const reference = (value: string) => {
      const key = value.trim().toLowerCase();
      const entry = byCode.get(key);
      return entry === undefined
        ? CATALOG.filter((row) => row.label?.toLowerCase() === key)
        : [entry];
    };
    const names = CATALOG.flatMap((entry) =>
      [entry.code, entry.reportCode, entry.label].filter((name) => name !== undefined),
    );
    const padding = fc.constantFrom('', ' ', '\t', '\n', '\u00a0', '\ufeff', '\u2028', ' x');
    const respelt = fc
      .tuple(fc.constantFrom(...names), fc.array(fc.boolean(), { maxLength: 50 }))
      .map(([name, upper]) =>
        [...name]
          .map((char, index) => (upper[index] ? char.toUpperCase() : char.toLowerCase()))
          .join(''),
      );
    const value = fc
      .tuple(
        padding,
        fc.oneof(
          fc.constantFrom(...names),
          respelt,
          fc.string({ maxLength: 60 }),
          // Lower-casing the dotted I makes a longer, non-ASCII text; the Kelvin sign becomes k.
          fc.constantFrom('\u212aMS key not found', 'S3\u0130mportAccessDenied', 'İ'.repeat(20)),
        ),
        padding,
      )
      .map(([before, name, after]) => before + name + after);

    // Act / Assess: twice, so the remembered answer is checked too.
    fc.assert(
      fc.property(value, (text) => {
        const expected = reference(text).map((entry) => `${entry.code}/${entry.kind}`);
        expect(lookup(text).map((entry) => `${entry.code}/${entry.kind}`)).toEqual(expected);
        expect(lookup(text).map((entry) => `${entry.code}/${entry.kind}`)).toEqual(expected);
      }),
      { numRuns: 3000 },
    );
    expect(lookup('\u212aMS key not found').map((entry) => entry.code)).toEqual([
      'KMS key not found',
    ]);
    expect(lookup(' resource BUSY ').map((entry) => entry.code)).toEqual(['S3ExportResourceBusy']);
    expect(lookup('Failed to export file because it is being used by another process.')).toEqual(
      [],
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hintFor } from '../../../lib/analyze/classify.ts';
import { byCountThenCode, shownTarget, TotalsBuilder } from '../../../lib/analyze/totals.ts';
import { CLASS_ORDER, PERSON_CLASSES } from '../../../lib/common/classes.ts';
import { detach, targetOf } from '../../../lib/common/records.ts';
import type { FailureClass, FailureRecord, ReportTotals } from '../../../lib/common/types.ts';
import { groupByPlace, knownAccount } from '../../../lib/render/places.ts';
import { record, unparseable } from '../../helpers/reports.ts';

/**
 * The figures the builder gathers in one pass, computed the plain way: one filter or map per
 * figure over all the records. The builder looks up less per record (the last file system,
 * owner, group and stream; a set of targets per class); this holds it to the same results.
 */
function plainTotals(records: readonly FailureRecord[]) {
  const classTally = CLASS_ORDER.filter((cls) => records.some((r) => r.class === cls)).map(
    (cls) => {
      const of = records.filter((r) => r.class === cls);
      const files = new Set(
        of.flatMap((r) => {
          const target = targetOf(r);
          return target === undefined ? [] : [`${r.fileSystemId ?? ''}\u0000${target}`];
        }),
      );
      const fileSystems = new Set(of.map((r) => r.fileSystemId ?? '').filter((id) => id !== ''));
      // A record that counts no file system makes the class table say "unknown".
      const withoutFileSystem = of.some((r) => (r.fileSystemId ?? '') === '');
      return {
        cls,
        records: of.length,
        files: files.size,
        fileSystems: fileSystems.size,
        withoutFileSystem,
      };
    },
  );
  const accounts = new Map<string, string | undefined>();
  for (const r of records) {
    if (r.fileSystemId === undefined) continue;
    const account = knownAccount(r.owner);
    if (!accounts.has(r.fileSystemId)) accounts.set(r.fileSystemId, account);
    else if (accounts.get(r.fileSystemId) !== account) accounts.set(r.fileSystemId, undefined);
  }
  const codes = [...new Set(records.map((r) => r.code))];
  const byCode = codes
    .map((code) => [code, records.filter((r) => r.code === code).length] as [string, number])
    .sort(byCountThenCode);
  const codeClasses = new Map(
    codes.map((code) => [code, records.find((r) => r.code === code)?.class as FailureClass]),
  );
  const groupIds = [...new Set(records.map((r) => r.fileSystemId ?? 'unknown'))].sort();
  const byFileSystem = groupIds.map((id) => [
    id,
    Object.fromEntries(
      CLASS_ORDER.map((cls) => [
        cls,
        records.filter((r) => (r.fileSystemId ?? 'unknown') === id && r.class === cls).length,
      ]),
    ),
  ]);
  const findings = PERSON_CLASSES.filter((cls) => records.some((r) => r.class === cls)).map(
    (cls) => {
      const of = records.filter((r) => r.class === cls);
      const hints = [...new Set(of.map((r) => hintFor(r.code)))];
      const groups = hints.map((hint) => {
        const mine = of.filter((r) => hintFor(r.code) === hint);
        const mineCodes = [...new Set(mine.map((r) => r.code))];
        return {
          hint,
          count: mine.length,
          codes: mineCodes
            .map((code) => [code, mine.filter((r) => r.code === code).length])
            .sort((a, b) => byCountThenCode(a as [string, number], b as [string, number])),
          places: groupByPlace(mine, {
            fileSystemId: (r) => r.fileSystemId,
            account: (r) => knownAccount(r.owner),
            sample: shownTarget,
          }),
        };
      });
      return { cls, count: of.length, groups: groups.sort((a, b) => b.count - a.count) };
    },
  );
  const byClass = Object.fromEntries(
    CLASS_ORDER.map((cls) => [cls, records.filter((r) => r.class === cls).length]),
  );
  return { classTally, accounts, byCode, codeClasses, byFileSystem, findings, byClass };
}

function totalsOf(records: readonly FailureRecord[], keep?: (text: string) => string) {
  const builder = new TotalsBuilder(keep);
  for (const r of records) builder.addRecord(r);
  return builder.totals();
}

function comparable(totals: ReportTotals) {
  const { classTally, accounts, byCode, codeClasses, byFileSystem, findings, byClass } = totals;
  return { classTally, accounts, byCode, codeClasses, byFileSystem, findings, byClass };
}

const CLASSES: FailureClass[] = [...CLASS_ORDER];
const recordArb = fc
  .record({
    cls: fc.constantFrom(...CLASSES),
    code: fc.constantFrom('S3ExportInternalError', 'S3ExportAccessDenied', 'NewCode', 'Other'),
    // `unknown` and '' spelled as ids too: they must not merge with records that name none.
    fileSystemId: fc.constantFrom(undefined, '', 'unknown', 'fs-0123456789abcdef0', 'fs-1'),
    owner: fc.constantFrom('123456789012', '210987654321', 'unknown', ' '),
    // Paths, keys and buckets whose targets spell one another (`s3://b/kt/k/1` three ways).
    path: fc.constantFrom(
      undefined,
      '/ns1/a',
      '/ns1/b',
      'ns1/a',
      '/ns1//a',
      's3://bkt/k/1',
      's3://b/kt/k/1',
      's3://bkt',
      'k/1',
    ),
    s3Key: fc.constantFrom(undefined, 'k/1', 'k/2', 'kt/k/1', 's3://bkt/k/2'),
    bucket: fc.constantFrom(undefined, 'bkt', 'b', 'b/kt', ''),
  })
  .map(({ cls, ...fields }) => ({ class: cls, ...fields }));

describe('TotalsBuilder', () => {
  it('gathers the same figures as one plain pass per figure (property)', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 60 }), (specs) => {
        // Prepare: runs of one file system and owner, as batches have, and mixed ones.
        const records = specs.map((spec, index) => record(index, spec));

        // Act
        const totals = totalsOf(records);

        // Assess
        expect(comparable(totals)).toEqual(plainTotals(records));
        // Every class in severity order, as the JSON output writes them.
        expect(Object.keys(totals.byClass)).toEqual(CLASS_ORDER);
        for (const [, counts] of totals.byFileSystem)
          expect(Object.keys(counts)).toEqual(CLASS_ORDER);
        expect(totals.records).toBe(records.length);
        expect(totals.onlyImport).toBe(
          records.length > 0 && records.every((r) => r.class === 'import'),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same totals when it keeps copies of its keys (a folded input)', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 40 }), (specs) => {
        // Prepare
        const records = specs.map((spec, index) => record(index, spec));

        // Act / Assess
        expect(totalsOf(records, detach)).toEqual(totalsOf(records));
      }),
      { numRuns: 100 },
    );
  });

  it('counts one file for one target string, however the record spelt it', () => {
    // Prepare: `s3://b/kt/k/1` four ways, `s3://bkt/k/1` two ways, `k/1` two ways
    const spellings: Partial<FailureRecord>[] = [
      { path: 's3://b/kt/k/1' },
      { path: undefined, bucket: 'b', s3Key: 'kt/k/1' },
      { path: undefined, bucket: 'b/kt', s3Key: 'k/1' },
      { path: undefined, s3Key: 's3://b/kt/k/1' },
      { path: 's3://bkt/k/1' },
      { path: undefined, bucket: 'bkt', s3Key: 'k/1' },
      { path: 'k/1' },
      { path: undefined, s3Key: 'k/1' },
    ];
    const records = spellings.map((spelling, index) => record(index, spelling));

    // Act
    const totals = totalsOf(records);
    const copies = totalsOf(records, detach);

    // Assess
    expect(totals.classTally).toEqual([
      { cls: 'transient', records: 8, files: 3, fileSystems: 1, withoutFileSystem: false },
    ]);
    expect(totals.classTally).toEqual(plainTotals(records).classTally);
    expect(copies.classTally).toEqual(totals.classTally);
  });

  it('counts distinct files as the plain pass does past 4,096 of them in one class', () => {
    // Prepare: 9,000 busy records on 6,000 distinct paths, some written twice, plus a copy
    const records = Array.from({ length: 9_000 }, (_, index) => {
      const file = index % 6_000;
      return record(index, { class: 'busy', path: `/ns1/run-${file % 97}/step-${file}.pt` });
    });

    // Act
    const totals = totalsOf(records);
    const copies = totalsOf(records, detach);

    // Assess
    expect(totals.classTally).toEqual(plainTotals(records).classTally);
    expect(totals.classTally).toEqual([
      { cls: 'busy', records: 9_000, files: 6_000, fileSystems: 1, withoutFileSystem: false },
    ]);
    expect(copies.classTally).toEqual(totals.classTally);
  });

  it('counts the window, untimed events and the groups and streams of unparseable events too', () => {
    // Prepare
    const builder = new TotalsBuilder();
    builder.addRecord(record(0, { timestamp: 5, logStream: 'datarepo_fs-1' }));
    builder.addUnparseable(unparseable(1, { timestamp: undefined, logGroup: 'other' }));
    builder.addRecord(record(2, { timestamp: 3, logGroup: 'other' }));
    builder.addUnparseable(unparseable(3, { timestamp: 9 }));

    // Act
    const totals = builder.totals();

    // Assess
    expect(totals.window).toEqual({ first: 3, last: 9 });
    expect(totals.untimed).toBe(1);
    expect(totals.logGroups).toEqual(['/aws/fsx/lustre', 'other']);
    expect(totals.logStreams).toEqual(['datarepo_fs-1', 'datarepo_fs-0123456789abcdef0']);
    expect(totals.unparseable).toBe(2);
    expect(totals.unparseableWithoutFileSystem).toBe(false);
  });

  it('notes an unparseable event from a stream that names no file system, whichever comes first', () => {
    // Prepare: the event of no file system comes after one of a file system, on a known stream.
    const builder = new TotalsBuilder();
    builder.addUnparseable(unparseable(0));
    builder.addUnparseable(unparseable(1, { logStream: 'other' }));
    builder.addUnparseable(unparseable(2));

    // Act
    const totals = builder.totals();

    // Assess
    expect(totals.unparseableFileSystems).toBe(1);
    expect(totals.unparseableWithoutFileSystem).toBe(true);
  });
});

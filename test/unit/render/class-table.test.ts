import { describe, expect, it } from 'vitest';
import { reportTotals } from '../../../lib/analyze/analysis.ts';
import { CLASS_ORDER } from '../../../lib/common/classes.ts';
import {
  type ClassTableRow,
  classTableLines,
  classTableRows,
} from '../../../lib/render/class-table.ts';
import { emptyReport, record, unparseable } from '../../helpers/reports.ts';

// \n is the only control character an email body may hold (and no tab is ever written).
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('Function: classTableLines', () => {
  /** A row of plain counts, as a digest would pass them. */
  function row(label: ClassTableRow['label'], records: number): ClassTableRow {
    return { label, records, files: records, fileSystems: 1, action: `act on ${label}` };
  }

  it('orders the rows by severity, unparseable last, and drops empty ones', () => {
    // Prepare
    const rows = [row('unparseable', 4), row('busy', 2), row('import', 0), row('permission', 1)];

    // Act
    const lines = classTableLines(rows);

    // Assess
    expect(lines).toEqual([
      '  Class        Records  Files  File systems  What happens',
      '  permission         1      1             1  act on permission',
      '  busy               2      2             1  act on busy',
      '  unparseable        4      4             1  act on unparseable',
    ]);
  });

  it('returns no lines at all for no rows or only empty rows', () => {
    // Prepare
    const empty = [row('transient', 0), row('unparseable', 0)];

    // Act
    const lines = [classTableLines([]), classTableLines(empty)];

    // Assess
    expect(lines).toEqual([[], []]);
  });

  it('keeps every line within the email width with every class and large counts', () => {
    // Prepare
    const rows: ClassTableRow[] = [...CLASS_ORDER, 'unparseable' as const].map((label) => ({
      label,
      records: 1_234_567,
      files: undefined,
      fileSystems: 0,
      action: `\u001b[31m${'very long action '.repeat(10)}`,
    }));

    // Act
    const lines = classTableLines(rows);

    // Assess
    expect(lines).toHaveLength(CLASS_ORDER.length + 2);
    expect(lines.slice(1).map((line) => line.trim().split(/ +/)[0])).toEqual([
      ...CLASS_ORDER,
      'unparseable',
    ]);
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(76);
      expect(line).not.toMatch(FORBIDDEN);
    }
    expect(lines[1]).toMatch(/^ {2}permission +1234567 +- +- +\\x1b\[31mvery lo.*action$/);
  });
});

describe('Function: classTableRows', () => {
  it('counts records, distinct files per file system and file systems per class', () => {
    // Prepare
    const report = emptyReport({
      dryRun: true,
      records: [
        record(0, { path: '/ns1/a.bin' }),
        record(1, { path: '/ns1/a.bin' }),
        record(2, { path: '/ns1/a.bin', fileSystemId: 'fs-22222222' }),
        record(3, { path: undefined, s3Key: 'k', bucket: 'b' }),
        record(4, { class: 'limit', path: undefined, fileSystemId: undefined }),
      ],
      unparseable: [
        unparseable(5),
        unparseable(6, { logStream: 'datarepo_fs-33333333' }),
        unparseable(7, { logStream: 'other' }),
      ],
    });

    // Act
    const rows = classTableRows(reportTotals(report), report.dryRun);

    // Assess
    expect(rows).toEqual([
      { label: 'limit', records: 1, files: 0, fileSystems: 0, action: 'a person must act' },
      {
        label: 'transient',
        records: 4,
        files: 3,
        fileSystems: 2,
        action: 'would be re-exported',
      },
      {
        label: 'unparseable',
        records: 3,
        files: undefined,
        fileSystems: 2,
        action: 'a person should read them',
      },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { checkOutcomes, markFailedAgain } from '../../../lib/reexport/outcomes.ts';
import { interpretReport } from '../../../lib/reexport/report.ts';
import {
  describeCode,
  fakeFsx,
  fakeLedger,
  fakeReports,
  taskStatus,
  trackedTask,
} from '../../helpers/fake-ports.ts';
import { DRA_REPORT_PATH, FS } from '../../helpers/fixtures.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const T1 = 'task-00000000000000001';
const T2 = 'task-00000000000000002';
const URL1 = `${DRA_REPORT_PATH}/${T1}/failures.csv`;
const URL2 = `${DRA_REPORT_PATH}/${T2}/failures.csv`;

function whole(text: string) {
  const bytes = Buffer.byteLength(text);
  return { ok: true as const, text, bytes, totalBytes: bytes, truncated: false };
}

describe('Function: interpretReport', () => {
  it("classifies each failed file with the analyzer's table and escalates the task's own paths", () => {
    // Prepare
    const text =
      '/ns1/a.bin,failed,S3AccessDenied\nns1/big.bin,failed,FileSizeTooLarge\nns1/x,succeeded,\n';

    // Act
    const report = interpretReport(URL1, whole(text), ['ns1/a.bin'], describeCode);

    // Assess
    expect(report).toMatchObject({
      state: 'read',
      files: [
        { path: 'ns1/a.bin', code: 'S3AccessDenied', class: 'permission', escalated: true },
        { path: 'ns1/big.bin', code: 'FileSizeTooLarge', class: 'limit', escalated: false },
      ],
      otherStatus: 1,
      malformed: [],
      truncated: false,
    });
    expect(report.state === 'read' && report.hints.get('S3AccessDenied')).toContain('s3:PutObject');
  });

  it('keeps a path that failed again as busy or internal under the attempt limit instead of escalating it', () => {
    // Prepare
    const text =
      'ns1/a.bin,failed,ResourceBusy\nns1/b.bin,failed,InternalAutoExportError\nns1/c.bin,failed,S3AccessDenied\n';

    // Act
    const report = interpretReport(
      URL1,
      whole(text),
      ['ns1/a.bin', 'ns1/b.bin', 'ns1/c.bin'],
      describeCode,
    );

    // Assess
    expect(
      report.state === 'read' &&
        report.files.map((file) => [file.path, file.class, file.again, file.escalated]),
    ).toEqual([
      ['ns1/a.bin', 'busy', true, false],
      ['ns1/b.bin', 'transient', true, false],
      ['ns1/c.bin', 'permission', true, true],
    ]);
  });

  it('says why a report could not be read', () => {
    // Act
    const report = interpretReport(
      URL1,
      { ok: false, error: 'KmsDenied', message: 'not authorized to perform: kms:Decrypt' },
      ['ns1/a.bin'],
      describeCode,
    );

    // Assess
    expect(report).toEqual({
      state: 'unreadable',
      url: URL1,
      error: 'KmsDenied',
      message: 'not authorized to perform: kms:Decrypt',
    });
  });

  it('lists an unknown code as unknown, and a cut report as truncated', () => {
    // Act
    const report = interpretReport(
      URL1,
      {
        ok: true,
        text: 'ns1/a.bin,failed,BrandNewCode\nns1/b',
        bytes: 34,
        totalBytes: 9000,
        truncated: true,
      },
      ['ns1/a.bin', 'ns1/b'],
      describeCode,
    );

    // Assess
    expect(report).toMatchObject({
      state: 'read',
      files: [{ path: 'ns1/a.bin', code: 'BrandNewCode', class: 'unknown', escalated: true }],
      truncated: true,
      totalBytes: 9000,
    });
  });
});

describe('Function: checkOutcomes with completion reports', () => {
  it('reads the report of every task that ended with failures, and only those', async () => {
    // Prepare
    const ledger = fakeLedger();
    await ledger.port.trackTask(trackedTask(T1));
    await ledger.port.trackTask(trackedTask(T2, { paths: ['ns1/b.bin'] }));
    const fsx = fakeFsx({
      known: [
        taskStatus(T1),
        taskStatus(T2, { lifecycle: 'FAILED', totalCount: 1, succeededCount: 0, failedCount: 1 }),
      ],
    });
    const reports = fakeReports({ [URL2]: 'ns1/b.bin,failed,S3AccessDenied\n' });

    // Act
    const report = await checkOutcomes(
      { ledger: ledger.port, fsx: fsx.port, reports: reports.port },
      { region: 'eu-west-1', now: () => NOW, describeCode },
    );

    // Assess
    expect(reports.reads).toEqual([URL2]);
    const failed = report.finished.find((finished) => finished.tracked.taskId === T2);
    expect(failed?.report).toMatchObject({
      state: 'read',
      files: [{ path: 'ns1/b.bin', code: 'S3AccessDenied', class: 'permission', escalated: true }],
    });
    expect(
      report.finished.find((finished) => finished.tracked.taskId === T1)?.report,
    ).toBeUndefined();
  });

  it('keeps the task reported when the read throws: the task is closed already', async () => {
    // Prepare
    const ledger = fakeLedger();
    await ledger.port.trackTask(trackedTask(T2));
    const fsx = fakeFsx({ known: [taskStatus(T2, { lifecycle: 'FAILED', failedCount: 1 })] });
    const reports = {
      read: async () => {
        throw new TypeError('a bug');
      },
    };

    // Act
    const report = await checkOutcomes(
      { ledger: ledger.port, fsx: fsx.port, reports },
      { region: 'eu-west-1', now: () => NOW, describeCode },
    );

    // Assess
    expect(report.finished[0]?.report).toEqual({
      state: 'unreadable',
      url: URL2,
      error: 'TypeError',
      message: 'a bug',
    });
  });
});

describe('Function: markFailedAgain', () => {
  it("marks each path that failed again on its attempt history, once, with the report's code", async () => {
    // Prepare
    const ledger = fakeLedger({ seed: { 'ns1/a.bin': [T1], 'ns1/b.log': [T1] } });
    const text =
      'ns1/a.bin,failed,S3AccessDenied\nns1/a.bin,failed,S3AccessDenied\nns1/z,failed,S3Error\n';
    const report = {
      generatedAt: NOW.toISOString(),
      region: 'eu-west-1',
      stillOpen: 0,
      finished: [
        {
          tracked: trackedTask(T1, { paths: ['ns1/a.bin', 'ns1/b.log'] }),
          lifecycle: 'FAILED',
          status: undefined,
          failuresCsv: URL1,
          report: interpretReport(URL1, whole(text), ['ns1/a.bin', 'ns1/b.log'], describeCode),
        },
      ],
    };

    // Act
    const marked = await markFailedAgain(ledger.port, report);
    const histories = await ledger.port.attempts(FS, ['ns1/a.bin', 'ns1/b.log']);

    // Assess
    expect(marked).toBe(1);
    expect(histories.get('ns1/a.bin')?.failedWith).toEqual({
      code: 'S3AccessDenied',
      class: 'permission',
      taskId: T1,
    });
    expect(histories.get('ns1/b.log')?.failedWith).toBeUndefined();
  });
});

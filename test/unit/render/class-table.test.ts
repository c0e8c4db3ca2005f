import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reportTotals } from '../../../lib/analyze/analysis.ts';
import { planReexports } from '../../../lib/analyze/plan.ts';
import { CLASS_ORDER } from '../../../lib/common/classes.ts';
import type {
  ExportTask,
  FailureRecord,
  FoldedReport,
  Report,
  TaskOutcome,
} from '../../../lib/common/types.ts';
import {
  type ClassTableRow,
  classTableLines,
  classTableRows,
  notReexportedNote,
  notReexportedOf,
} from '../../../lib/render/class-table.ts';
import { emptyReport, escalatedReport, record, unparseable } from '../../helpers/reports.ts';

/** The sections the note under the table names, as in the email. */
const SEE = {
  unplanned: 'RE-EXPORTS',
  escalated: 'WHAT NEEDS A PERSON',
  outcomes: 'RE-EXPORTS',
} as const;

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

    // Assess: a record or event that names no file system is said to be on an unknown one.
    expect(rows).toEqual([
      {
        label: 'limit',
        records: 1,
        files: 0,
        fileSystems: 0,
        unknownFileSystem: true,
        action: 'a person must act',
      },
      {
        label: 'transient',
        records: 4,
        files: 3,
        fileSystems: 2,
        unknownFileSystem: false,
        action: 'would be re-exported',
      },
      {
        label: 'unparseable',
        records: 3,
        files: undefined,
        fileSystems: 2,
        unknownFileSystem: true,
        action: 'a person should read them',
      },
    ]);
  });

  it('says "unknown" in the File systems column, as the lists of places do, never "-"', () => {
    // Prepare: one transient record on FS and one on no file system; a limit record on none.
    const report = emptyReport({
      records: [
        record(0),
        record(1, { fileSystemId: undefined }),
        record(2, { class: 'limit', fileSystemId: undefined }),
      ],
    });

    // Act
    const lines = classTableLines(classTableRows(reportTotals(report), report.dryRun));

    // Assess
    expect(lines).toEqual([
      '  Class      Records  Files  File systems  What happens',
      '  limit            1      1       unknown  a person must act',
      '  transient        2      2   1 + unknown  re-exported',
    ]);
  });
});

describe('Class table: retryable records that could not be re-exported', () => {
  /**
   * A report of `records` planned by the real planner, the ones at `unplannedAt` given a path
   * with `..` so that the plan cannot re-export them.
   */
  function reportWith(
    records: FailureRecord[],
    unplannedAt: readonly number[],
    overrides: Partial<Report> = {},
  ): Report {
    const planned = records.map((item, index) =>
      unplannedAt.includes(index) ? { ...item, path: `/ns1/../file-${index}.bin` } : item,
    );
    const plan = planReexports(planned, {
      maxPathsPerTask: 100,
      busyDelaySeconds: 300,
      reportPath: 's3://bucket/reports',
      associations: new Map(),
      associationErrors: new Map(),
    });
    return emptyReport({ records: planned, plan, ...overrides });
  }

  const records = [
    record(0),
    record(1),
    record(2),
    record(3, { class: 'busy', code: 'S3ExportResourceBusy' }),
    record(4, { class: 'busy', code: 'S3ExportResourceBusy' }),
    record(5, { class: 'permission', code: 'S3ExportAccessDenied' }),
  ];

  it('marks a class with some records not re-exported, and says none for a class with all', () => {
    // Prepare
    const dry = reportWith(records, [1, 3, 4], { dryRun: true });
    const live = reportWith(records, [1, 3, 4], { dryRun: false });

    // Act
    const actions = [dry, live].map((report) =>
      classTableRows(reportTotals(report), report.dryRun, notReexportedOf(report)).map(
        (row) => `${row.label}: ${row.action}`,
      ),
    );
    const note = notReexportedNote(reportTotals(dry), notReexportedOf(dry), SEE);

    // Assess
    expect(actions).toEqual([
      [
        'permission: a person must act',
        'transient: would be re-exported *',
        'busy: would not be re-exported *',
      ],
      ['permission: a person must act', 'transient: re-exported *', 'busy: not re-exported *'],
    ]);
    expect(note).toBe(
      '* 1 of 3 transient records and 2 of 2 busy records could not be re-exported: see RE-EXPORTS below.',
    );
  });

  it('leaves the table and the note as they were when every retryable record is re-exported', () => {
    // Prepare
    const report = reportWith(records, []);

    // Act
    const marked = classTableRows(reportTotals(report), false, notReexportedOf(report));
    const note = notReexportedNote(reportTotals(report), notReexportedOf(report), SEE);

    // Assess
    expect(marked).toEqual(classTableRows(reportTotals(report), false));
    expect(note).toBeUndefined();
  });

  it('marks only the classes with records not re-exported when a folded report kept the first', () => {
    // Prepare: all 3 transient records not re-exportable, only the first listed; busy all fine.
    const listed = reportWith(records, [0], { dryRun: true });
    const folded = {
      totals: reportTotals(listed),
      unplanned: { count: 3, byClass: { transient: 3 }, groups: [] },
      awaitingMapping: 0,
      recordsOmitted: 0,
      unparseableOmitted: 0,
      eventIdsOmitted: 0,
    } satisfies FoldedReport;
    const report = { ...listed, folded };

    // Act
    const rows = classTableRows(reportTotals(report), true, notReexportedOf(report));
    const note = notReexportedNote(reportTotals(report), notReexportedOf(report), SEE);

    // Assess
    expect(rows.map((row) => `${row.label}: ${row.action}`)).toEqual([
      'permission: a person must act',
      'transient: would not be re-exported *',
      'busy: would re-export after delay',
    ]);
    expect(note).toBe('* 3 of 3 transient records could not be re-exported: see RE-EXPORTS below.');
  });

  it('counts the records of escalated paths as not re-exported, as the pipeline leaves them', async () => {
    // Prepare
    const report = await escalatedReport();

    // Act
    const totals = reportTotals(report);
    const rows = classTableRows(totals, false, notReexportedOf(report));
    const note = notReexportedNote(totals, notReexportedOf(report), SEE);

    // Assess
    expect(report.escalated?.map((escalation) => escalation.path)).toEqual(['ns1/a', 'ns1/w']);
    expect(rows.map((row) => `${row.label}: ${row.action}`)).toEqual([
      'transient: re-exported *',
      'busy: not re-exported *',
    ]);
    expect(note).toBe(
      '* 2 of 3 transient records and 1 of 1 busy record reached the re-export limit: see WHAT NEEDS A PERSON below.',
    );
  });

  /** The plan's tasks of `report` (transient first, then busy), each given an outcome. */
  function withOutcomes(
    report: Report,
    outcome: (task: ExportTask, index: number) => TaskOutcome,
  ): Report {
    return { ...report, outcomes: report.plan.tasks.map(outcome) };
  }

  it('counts the records of live refused and deferred tasks as not re-exported, per class', () => {
    // Prepare: the transient task (3 records) refused, the busy one (2 records) deferred.
    const refused = withOutcomes(reportWith(records, []), (task, index) =>
      index === 0
        ? { status: 'refused', task, error: 'AccessDenied', reason: 'r', retryLater: false }
        : { status: 'started', task, taskId: 'task-1', lifecycle: 'PENDING' },
    );
    const deferred = withOutcomes(reportWith(records, [1]), (task, index) =>
      index === 0
        ? { status: 'started', task, taskId: 'task-1', lifecycle: 'PENDING' }
        : { status: 'deferred', task, reason: 'busy files wait 300 s' },
    );

    // Act
    const [rows, notes] = [
      [refused, deferred].map((report) =>
        classTableRows(reportTotals(report), false, notReexportedOf(report)).map(
          (row) => `${row.label}: ${row.action}`,
        ),
      ),
      [refused, deferred].map((report) =>
        notReexportedNote(reportTotals(report), notReexportedOf(report), SEE),
      ),
    ];

    // Assess
    expect(rows).toEqual([
      [
        'permission: a person must act',
        'transient: not re-exported *',
        'busy: re-export after delay',
      ],
      ['permission: a person must act', 'transient: re-exported *', 'busy: not re-exported *'],
    ]);
    expect(notes).toEqual([
      '* 3 of 3 transient records could not be re-exported: their task was refused or deferred to a person; see RE-EXPORTS below.',
      '* 1 of 3 transient records could not be re-exported: see RE-EXPORTS below. 2 of 2 busy records could not be re-exported: their task was refused or deferred to a person; see RE-EXPORTS below.',
    ]);
  });

  it("counts a dry run's tasks the Lambda would refuse as not re-exported", () => {
    // Prepare: `analyze --associations FILE` without REPORT_PATH: the busy task has no report path.
    const report = withOutcomes(reportWith(records, [], { dryRun: true }), (task, index) =>
      index === 0
        ? { status: 'planned', task }
        : { status: 'planned', task, note: 'no S3 association', refusal: 'NoReportPath' },
    );

    // Act
    const rows = classTableRows(reportTotals(report), true, notReexportedOf(report));
    const note = notReexportedNote(reportTotals(report), notReexportedOf(report), SEE);

    // Assess
    expect(rows.map((row) => `${row.label}: ${row.action}`)).toEqual([
      'permission: a person must act',
      'transient: would be re-exported',
      'busy: would not be re-exported *',
    ]);
    expect(note).toBe(
      '* 2 of 2 busy records would not be re-exported: the Lambda would refuse their task; see RE-EXPORTS below.',
    );
  });

  it('says "its task" of one record left to a person, "their task" of more', () => {
    // Prepare: one busy record; its task refused (live) or one the Lambda would refuse (dry run).
    const one = [record(0), record(3, { class: 'busy', code: 'S3ExportResourceBusy' })];
    const live = withOutcomes(reportWith(one, []), (task, index) =>
      index === 0
        ? { status: 'started', task, taskId: 'task-1', lifecycle: 'PENDING' }
        : { status: 'refused', task, error: 'AccessDenied', reason: 'r', retryLater: false },
    );
    const dry = withOutcomes(reportWith(one, [], { dryRun: true }), (task, index) =>
      index === 0
        ? { status: 'planned', task }
        : { status: 'planned', task, refusal: 'NoReportPath' },
    );

    // Act
    const notes = [live, dry].map((report) =>
      notReexportedNote(reportTotals(report), notReexportedOf(report), SEE),
    );

    // Assess
    expect(notes).toEqual([
      '* 1 of 1 busy record could not be re-exported: its task was refused or deferred to a person; see RE-EXPORTS below.',
      '* 1 of 1 busy record would not be re-exported: the Lambda would refuse its task; see RE-EXPORTS below.',
    ]);
  });

  it("counts a folded report's refused tasks by their class, and says when it cannot tell all", () => {
    // Prepare: only the first record kept; the transient task names two events, one unplanned.
    const full = withOutcomes(reportWith(records, [1], { dryRun: true }), (task) => ({
      status: 'planned',
      task,
      refusal: 'NoReportPath',
    }));
    const folded = (eventIdsOmitted: number): Report => ({
      ...full,
      records: full.records.slice(0, 1),
      folded: {
        totals: reportTotals(full),
        unplanned: { count: 1, byClass: { transient: 1 }, groups: [] },
        awaitingMapping: 0,
        recordsOmitted: 5,
        unparseableOmitted: 0,
        eventIdsOmitted,
      },
    });

    // Act
    const notes = [folded(0), folded(7)].map((report) =>
      notReexportedNote(reportTotals(report), notReexportedOf(report), SEE),
    );

    // Assess
    expect(notes).toEqual([
      '* 1 of 3 transient records could not be re-exported: see RE-EXPORTS below. 2 of 3 transient records and 2 of 2 busy records would not be re-exported: the Lambda would refuse their task; see RE-EXPORTS below.',
      // Every task refused: all planned records are, whichever ids the fold left out.
      '* 1 of 3 transient records could not be re-exported: see RE-EXPORTS below. 2 of 3 transient records and 2 of 2 busy records would not be re-exported: the Lambda would refuse their task; see RE-EXPORTS below.',
    ]);
  });

  it('counts every planned record of a folded class whose tasks are all refused, even in mixed tasks', () => {
    // Prepare: a path failed both ways, so its task carries both classes; no record kept.
    const task = (id: string, classes: ExportTask['classes'], eventIds: string[]): ExportTask => ({
      fileSystemId: 'fs-0123456789abcdef0',
      paths: [id],
      eventIds,
      classes,
      delaySeconds: 300,
      clientRequestToken: id,
      reportPath: undefined,
    });
    const full = reportWith(
      [
        ...records.slice(0, 5),
        record(6),
        record(7, { class: 'busy', code: 'S3ExportResourceBusy' }),
      ],
      [1],
      { dryRun: true },
    );
    const folded = (outcomes: TaskOutcome[]): Report => ({
      ...full,
      records: [],
      plan: { ...full.plan, tasks: outcomes.map((outcome) => outcome.task) },
      outcomes,
      folded: {
        totals: reportTotals(full),
        unplanned: { count: 1, byClass: { transient: 1 }, groups: [] },
        awaitingMapping: 0,
        recordsOmitted: 7,
        unparseableOmitted: 0,
        eventIdsOmitted: 0,
      },
    });
    const refused = (outcome: ExportTask): TaskOutcome => ({
      status: 'planned',
      task: outcome,
      refusal: 'NoReportPath',
    });
    const mixed = task(
      'a',
      ['transient', 'busy'],
      ['ev-0', 'ev-2', 'ev-3', 'ev-4', 'ev-6', 'ev-7'],
    );
    const allRefused = folded([refused(mixed)]);
    const oneGoesAhead = folded([
      refused(task('a', ['transient', 'busy'], ['ev-0', 'ev-3', 'ev-4', 'ev-7'])),
      refused(task('b', ['transient'], ['ev-2'])),
      { status: 'planned', task: task('c', ['transient'], ['ev-6']) },
    ]);

    // Act
    const [rows, notes] = [
      [allRefused, oneGoesAhead].map((report) =>
        classTableRows(reportTotals(report), true, notReexportedOf(report)).map(
          (row) => `${row.label}: ${row.action}`,
        ),
      ),
      [allRefused, oneGoesAhead].map((report) =>
        notReexportedNote(reportTotals(report), notReexportedOf(report), SEE),
      ),
    ];

    // Assess
    expect(rows).toEqual([
      ['transient: would not be re-exported *', 'busy: would not be re-exported *'],
      ['transient: would be re-exported *', 'busy: would not be re-exported *'],
    ]);
    expect(notes).toEqual([
      '* 1 of 4 transient records could not be re-exported: see RE-EXPORTS below. 3 of 4 transient records and 3 of 3 busy records would not be re-exported: the Lambda would refuse their task; see RE-EXPORTS below.',
      // A transient task goes ahead: how many transient records the mixed one holds is not known.
      '* 1 of 4 transient records could not be re-exported: see RE-EXPORTS below. At least 1 of 4 transient records and 3 of 3 busy records would not be re-exported: the Lambda would refuse their task (the input is too large to tell every one); see RE-EXPORTS below.',
    ]);
  });

  it('counts a folded class per file system when the tasks of one file system are all refused', () => {
    // Prepare: one file system without a report path (every task refused), another fine; each
    // path failed both ways, so every task carries both classes; no record kept.
    const other = 'fs-0fedcba987654321a';
    const busy = { class: 'busy', code: 'S3ExportResourceBusy' } as const;
    const full = emptyReport({
      dryRun: true,
      records: [
        record(0),
        record(1),
        record(2, busy),
        record(3, { fileSystemId: other }),
        record(4, { ...busy, fileSystemId: other }),
      ],
    });
    const task = (fileSystemId: string, eventIds: string[]): ExportTask => ({
      fileSystemId,
      paths: ['a'],
      eventIds,
      classes: ['transient', 'busy'],
      delaySeconds: 300,
      clientRequestToken: fileSystemId,
      reportPath: undefined,
    });
    const refused = task(full.records[0]?.fileSystemId ?? '', ['ev-0', 'ev-1', 'ev-2']);
    const fine = task(other, ['ev-3', 'ev-4']);
    const report: Report = {
      ...full,
      records: [],
      plan: { tasks: [refused, fine], unplanned: [], awaitingMapping: [] },
      outcomes: [
        { status: 'planned', task: refused, refusal: 'NoReportPath' },
        { status: 'planned', task: fine },
      ],
      folded: {
        totals: reportTotals(full),
        unplanned: { count: 0, byClass: {}, groups: [] },
        awaitingMapping: 0,
        recordsOmitted: 5,
        unparseableOmitted: 0,
        eventIdsOmitted: 0,
      },
    };

    // Act
    const note = notReexportedNote(reportTotals(report), notReexportedOf(report), SEE);

    // Assess: exact, as the refusal is the whole file system's.
    expect(note).toBe(
      '* 2 of 3 transient records and 1 of 2 busy records would not be re-exported: the Lambda would refuse their task; see RE-EXPORTS below.',
    );
  });

  it('says of each retryable class exactly what happens to its records (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ busy: fc.boolean(), unplanned: fc.boolean() }), { maxLength: 30 }),
        fc.boolean(),
        (items, dryRun) => {
          // Prepare
          const built = items.map((item, index) =>
            record(index, item.busy ? { class: 'busy', code: 'S3ExportResourceBusy' } : {}),
          );
          const unplannedAt = items.flatMap((item, index) => (item.unplanned ? [index] : []));
          const report = reportWith(built, unplannedAt, { dryRun });

          // Act
          const totals = reportTotals(report);
          const rows = classTableRows(totals, dryRun, notReexportedOf(report));
          const note = notReexportedNote(totals, notReexportedOf(report), SEE) ?? '';

          // Assess
          for (const cls of ['transient', 'busy'] as const) {
            const all = items.filter((item) => item.busy === (cls === 'busy'));
            const notDone = all.filter((item) => item.unplanned).length;
            const row = rows.find((candidate) => candidate.label === cls);
            if (all.length === 0) {
              expect(row).toBeUndefined();
              continue;
            }
            expect(row?.action.endsWith(' *')).toBe(notDone > 0);
            expect(/\bnot (be )?re-exported/.test(row?.action ?? '')).toBe(notDone === all.length);
            expect(note.includes(`${notDone} of ${all.length} ${cls} record`)).toBe(notDone > 0);
          }
        },
      ),
    );
  });
});

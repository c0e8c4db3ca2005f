import { describe, expect, it } from 'vitest';
import { checkOutcomes } from '../../../lib/reexport/outcomes.ts';
import { fakeFsx, fakeLedger, taskStatus, trackedTask } from '../../helpers/fake-ports.ts';

const NOW = new Date('2026-11-25T12:00:00Z');
const OPTIONS = { region: 'eu-west-1', now: () => NOW };
const REPORT = 's3://ml-archive/datasets/fsx-export-analyzer-reports';

const T1 = 'task-00000000000000001';
const T2 = 'task-00000000000000002';
const T3 = 'task-00000000000000003';

/** A ledger that tracks the given tasks, all open. */
async function ledgerWith(...tasks: ReturnType<typeof trackedTask>[]) {
  const ledger = fakeLedger();
  for (const task of tasks) await ledger.port.trackTask(task);
  return ledger;
}

describe('Function: checkOutcomes', () => {
  it('reports the tasks that ended, closes them, and keeps the running ones open', async () => {
    // Prepare
    const ledger = await ledgerWith(
      trackedTask(T1, { startedAt: '2026-11-25T11:00:00.000Z' }),
      trackedTask(T2, { startedAt: '2026-11-25T10:00:00.000Z' }),
      trackedTask(T3),
    );
    const fsx = fakeFsx({
      known: [
        taskStatus(T1),
        taskStatus(T2, {
          lifecycle: 'FAILED',
          totalCount: 3,
          succeededCount: 1,
          failedCount: 2,
          failureMessage: 'Some files failed',
        }),
        taskStatus(T3, { lifecycle: 'EXECUTING', endTime: undefined }),
      ],
    });

    // Act
    const report = await checkOutcomes({ ledger: ledger.port, fsx: fsx.port }, OPTIONS);

    // Assess
    expect(
      report.finished.map((finished) => [finished.tracked.taskId, finished.lifecycle]),
    ).toEqual([
      [T2, 'FAILED'],
      [T1, 'SUCCEEDED'],
    ]);
    expect(report.finished[0]).toMatchObject({
      status: { failedCount: 2, failureMessage: 'Some files failed' },
      failuresCsv: `${REPORT}/${T2}/failures.csv`,
    });
    expect(report.finished[1]?.failuresCsv).toBeUndefined();
    expect(report.stillOpen).toBe(1);
    expect(report.generatedAt).toBe(NOW.toISOString());
    expect(ledger.state.tasks.get(T1)?.closed).toBe('SUCCEEDED');
    expect(ledger.state.tasks.get(T2)?.closed).toBe('FAILED');
    expect(ledger.state.tasks.get(T3)?.closed).toBeUndefined();
    expect(fsx.described).toEqual([[T2, T1, T3]]);
  });

  it('reports a task only once when two runs overlap', async () => {
    // Prepare
    const ledger = await ledgerWith(trackedTask(T1));
    const fsx = fakeFsx({ known: [taskStatus(T1, { lifecycle: 'CANCELED' })] });

    // Act
    const [first, second] = await Promise.all([
      checkOutcomes({ ledger: ledger.port, fsx: fsx.port }, OPTIONS),
      checkOutcomes({ ledger: ledger.port, fsx: fsx.port }, OPTIONS),
    ]);

    // Assess
    expect(first.finished.length + second.finished.length).toBe(1);
  });

  it('closes a task FSx has not known for more than a day as UNKNOWN', async () => {
    // Prepare
    const ledger = await ledgerWith(
      trackedTask(T1, { startedAt: '2026-11-24T11:59:00.000Z' }),
      trackedTask(T2, { startedAt: '2026-11-24T12:01:00.000Z' }),
    );
    const fsx = fakeFsx({ known: [] });

    // Act
    const report = await checkOutcomes({ ledger: ledger.port, fsx: fsx.port }, OPTIONS);

    // Assess
    expect(report.finished).toEqual([
      {
        tracked: expect.objectContaining({ taskId: T1 }),
        lifecycle: 'UNKNOWN',
        status: undefined,
        failuresCsv: `${REPORT}/${T1}/failures.csv`,
      },
    ]);
    expect(report.stillOpen).toBe(1);
  });

  it('does not ask FSx when no task is open', async () => {
    // Prepare
    const fsx = fakeFsx();

    // Act
    const report = await checkOutcomes({ ledger: fakeLedger().port, fsx: fsx.port }, OPTIONS);

    // Assess
    expect(report).toMatchObject({ finished: [], stillOpen: 0 });
    expect(fsx.described).toEqual([]);
  });

  it('closes nothing when FSx cannot be asked, so the next run reports it', async () => {
    // Prepare
    const ledger = await ledgerWith(trackedTask(T1));
    const fsx = fakeFsx({ failing: ['describeTasks'] });

    // Act
    const run = checkOutcomes({ ledger: ledger.port, fsx: fsx.port }, OPTIONS);

    // Assess
    await expect(run).rejects.toThrow('throttled');
    expect(ledger.state.tasks.get(T1)?.closed).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { DeferredExport } from '../../../lib/common/ports.ts';
import {
  createRetrierRun,
  hasNews,
  type QueuedExport,
  type RetrierOptions,
  RetryLaterError,
} from '../../../lib/reexport/retrier.ts';
import { clientRequestToken } from '../../../lib/reexport/rules.ts';
import { fakeFsx, fakeLedger, taskStatus } from '../../helpers/fake-ports.ts';
import { FS } from '../../helpers/fixtures.ts';

const OTHER_FS = 'fs-0fedcba9876543210';
const REPORT = 's3://ml-archive/datasets/fsx-export-analyzer-reports';
const NOW = new Date('2026-11-25T12:00:00Z');

const OPTIONS: RetrierOptions = {
  maxAttempts: 3,
  coalesceWindowSeconds: 300,
  maxReceives: 5,
  maxPathsPerTask: 100,
  reportPath: undefined,
  region: 'eu-west-1',
  now: () => NOW,
};

/** A queued message of {@link FS} with the given paths, deferred because the file was busy. */
function queued(
  messageId: string,
  paths: readonly string[],
  overrides: Partial<DeferredExport> = {},
  receiveCount = 1,
): QueuedExport {
  return {
    messageId,
    receiveCount,
    message: {
      version: 1,
      fileSystemId: FS,
      paths,
      eventIds: [`ev-${messageId}`],
      classes: ['busy'],
      reason: 'busy',
      reportPath: REPORT,
      logGroup: '/aws/fsx/lustre',
      logStream: `datarepo_${FS}`,
      deferredAt: `2026-11-25T11:5${messageId.length % 10}:00.000Z`,
      ...overrides,
    },
  };
}

/** Settles every message as the batch processor would (in parallel), collecting the failures. */
async function settleAll(
  run: ReturnType<typeof createRetrierRun>,
  items: readonly QueuedExport[],
): Promise<Map<string, unknown>> {
  const failures = new Map<string, unknown>();
  await Promise.all(
    items.map((item) =>
      run.settle(item.messageId).catch((error: unknown) => {
        failures.set(item.messageId, error);
      }),
    ),
  );
  return failures;
}

describe('Function: createRetrierRun', () => {
  it('coalesces the messages of a file system into one task with a deterministic token', async () => {
    // Prepare
    const fsx = fakeFsx();
    const ledger = fakeLedger();
    const items = [
      queued('m1', ['ns1/b', 'ns1/a']),
      queued('m2', ['ns1/a', 'ns1/c'], { eventIds: ['ev-z', 'ev-a'] }),
    ];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: ledger.port }, OPTIONS);

    // Act
    const failures = await settleAll(run, items);
    const report = await run.report();

    // Assess
    expect(failures.size).toBe(0);
    const token = clientRequestToken(FS, ['ns1/a', 'ns1/b', 'ns1/c'], ['ev-a', 'ev-m1', 'ev-z']);
    expect(fsx.started).toEqual([
      {
        fileSystemId: FS,
        paths: ['ns1/a', 'ns1/b', 'ns1/c'],
        clientRequestToken: token,
        reportPath: REPORT,
      },
    ]);
    expect(report.started).toMatchObject([
      { taskId: 'task-00000000000000001', lifecycle: 'PENDING', messages: 2 },
    ]);
    expect(ledger.state.attempts.get(`${FS} ns1/c`)?.taskIds).toEqual(['task-00000000000000001']);
    expect([...ledger.state.tasks.values()][0]?.task).toMatchObject({
      startedBy: 'retrier',
      clientRequestToken: token,
      startedAt: NOW.toISOString(),
    });
    expect(hasNews(report)).toBe(true);
  });

  it('decides each file system once, however many records await it', async () => {
    // Prepare
    const fsx = fakeFsx();
    const ledger = fakeLedger();
    const items = [
      queued('m1', ['ns1/a']),
      queued('m2', ['ns1/b']),
      queued('m3', ['x/1'], { fileSystemId: OTHER_FS }),
      queued('m4', ['ns1/c']),
    ];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: ledger.port }, OPTIONS);

    // Act
    await settleAll(run, items);
    const report = await run.report();

    // Assess
    expect(fsx.started.map((request) => [request.fileSystemId, request.paths])).toEqual(
      expect.arrayContaining([
        [FS, ['ns1/a', 'ns1/b', 'ns1/c']],
        [OTHER_FS, ['x/1']],
      ]),
    );
    expect(fsx.started).toHaveLength(2);
    expect(ledger.calls.filter((call) => call === 'claimWindow')).toHaveLength(2);
    expect(report.started.map((start) => start.task.fileSystemId)).toEqual([FS, OTHER_FS]);
  });

  it('makes every record wait while a task runs on the file system', async () => {
    // Prepare
    const running = taskStatus('task-0aaaaaaaaaaaaaaaa', { lifecycle: 'EXECUTING' });
    const fsx = fakeFsx({ active: { [FS]: [running] } });
    const ledger = fakeLedger();
    const items = [queued('m1', ['ns1/a']), queued('m2', ['ns1/b'])];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: ledger.port }, OPTIONS);

    // Act
    const failures = await settleAll(run, items);
    const report = await run.report();

    // Assess
    expect([...failures.keys()].sort()).toEqual(['m1', 'm2']);
    expect(failures.get('m1')).toBeInstanceOf(RetryLaterError);
    expect(String(failures.get('m1'))).toContain('task-0aaaaaaaaaaaaaaaa (EXECUTING)');
    expect(fsx.started).toEqual([]);
    expect(ledger.calls).not.toContain('claimWindow');
    expect(report.waiting).toEqual([
      { fileSystemId: FS, messages: 2, reason: expect.stringContaining('is running') },
    ]);
    expect(hasNews(report)).toBe(false);
  });

  it('waits when another invocation already started a task in this coalescing window', async () => {
    // Prepare
    const fsx = fakeFsx();
    const ledger = fakeLedger();
    await ledger.port.claimWindow(FS, NOW, 300);
    const items = [queued('m1', ['ns1/a'])];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: ledger.port }, OPTIONS);

    // Act
    const failures = await settleAll(run, items);

    // Assess
    expect(String(failures.get('m1'))).toContain('300-second coalescing window');
    expect(fsx.started).toEqual([]);
  });

  it('puts the oldest messages in the task and makes those that do not fit wait', async () => {
    // Prepare
    const fsx = fakeFsx();
    const paths = (prefix: string) => Array.from({ length: 40 }, (_, i) => `${prefix}/${i}`);
    const items = [
      queued('new', paths('c'), { deferredAt: '2026-11-25T11:59:00.000Z' }),
      queued('old', paths('a'), { deferredAt: '2026-11-25T11:00:00.000Z' }),
      queued('mid', paths('b'), { deferredAt: '2026-11-25T11:30:00.000Z' }),
      queued('dup', paths('a').slice(0, 5), { deferredAt: '2026-11-25T11:59:30.000Z' }),
    ];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: fakeLedger().port }, OPTIONS);

    // Act
    const failures = await settleAll(run, items);

    // Assess
    expect([...failures.keys()]).toEqual(['new']);
    expect(String(failures.get('new'))).toContain('did not fit');
    expect(fsx.started[0]?.paths).toHaveLength(80);
  });

  it('escalates paths with K attempts and re-exports the rest of their messages', async () => {
    // Prepare
    const fsx = fakeFsx();
    const ledger = fakeLedger({
      seed: { 'ns1/a': ['task-1', 'task-2', 'task-3'], 'ns1/b': ['task-1', 'task-2', 'task-3'] },
    });
    const items = [queued('m1', ['ns1/a']), queued('m2', ['ns1/b', 'ns1/c'])];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: ledger.port }, OPTIONS);

    // Act
    const failures = await settleAll(run, items);
    const report = await run.report();

    // Assess
    expect(failures.size).toBe(0);
    expect(report.escalated).toEqual([
      {
        fileSystemId: FS,
        path: 'ns1/a',
        taskIds: ['task-1', 'task-2', 'task-3'],
        lastAttemptAt: '2026-11-25T11:00:00.000Z',
        reportPath: REPORT,
      },
      expect.objectContaining({ path: 'ns1/b' }),
    ]);
    expect(fsx.started.map((request) => request.paths)).toEqual([['ns1/c']]);
    expect(report.started[0]?.messages).toBe(1);
  });

  it('finishes a batch whose paths all ran out of attempts without asking FSx', async () => {
    // Prepare
    const fsx = fakeFsx();
    const ledger = fakeLedger({ seed: { 'ns1/a': ['t1', 't2', 't3'] } });
    const items = [queued('m1', ['ns1/a']), queued('m2', ['ns1/a'])];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: ledger.port }, OPTIONS);

    // Act
    const failures = await settleAll(run, items);
    const report = await run.report();

    // Assess
    expect(failures.size).toBe(0);
    expect(report.escalated).toHaveLength(1);
    expect(ledger.calls).toEqual(['attempts']);
    expect(fsx.started).toEqual([]);
  });

  it('makes the records wait when FSx refuses for now, after claiming the window', async () => {
    // Prepare
    const fsx = fakeFsx({
      results: [{ ok: false, error: 'DataRepositoryTaskExecuting', message: 'busy' }],
    });
    const ledger = fakeLedger();
    const items = [queued('m1', ['ns1/a'])];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: ledger.port }, OPTIONS);

    // Act
    const failures = await settleAll(run, items);

    // Assess
    expect(String(failures.get('m1'))).toContain('DataRepositoryTaskExecuting');
    expect(ledger.state.attempts.size).toBe(0);
  });

  it('hands a permanent refusal to a person and lets its records go', async () => {
    // Prepare
    const fsx = fakeFsx({ results: [{ ok: false, error: 'BadRequest', message: 'No path' }] });
    const items = [queued('m1', ['ns1/a'])];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: fakeLedger().port }, OPTIONS);

    // Act
    const failures = await settleAll(run, items);
    const report = await run.report();

    // Assess
    expect(failures.size).toBe(0);
    expect(report.refused).toMatchObject([
      { error: 'BadRequest', reason: expect.stringContaining('No path'), messages: 1 },
    ]);
  });

  it('derives the report path from the associations, or takes REPORT_PATH', async () => {
    // Prepare
    const derived = fakeFsx();
    const overridden = fakeFsx();
    const items = [queued('m1', ['ns1/a'], { reportPath: undefined })];

    // Act
    await settleAll(
      createRetrierRun(items, { fsx: derived.port, ledger: fakeLedger().port }, OPTIONS),
      items,
    );
    await settleAll(
      createRetrierRun(
        items,
        { fsx: overridden.port, ledger: fakeLedger().port },
        { ...OPTIONS, reportPath: 's3://other/reports' },
      ),
      items,
    );

    // Assess
    expect(derived.listed).toEqual([FS]);
    expect(derived.started[0]?.reportPath).toBe(REPORT);
    expect(overridden.listed).toEqual([]);
    expect(overridden.started[0]?.reportPath).toBe('s3://other/reports');
  });

  it('refuses for good without an association, and waits when they cannot be read', async () => {
    // Prepare
    const none = fakeFsx({ associations: [] });
    const unreadable = fakeFsx({ associations: new Error('ThrottlingException: slow down') });
    const items = [queued('m1', ['ns1/a'], { reportPath: undefined })];
    const noneRun = createRetrierRun(items, { fsx: none.port, ledger: fakeLedger().port }, OPTIONS);
    const unreadableRun = createRetrierRun(
      items,
      { fsx: unreadable.port, ledger: fakeLedger().port },
      OPTIONS,
    );

    // Act
    const noneFailures = await settleAll(noneRun, items);
    const unreadableFailures = await settleAll(unreadableRun, items);

    // Assess
    expect(noneFailures.size).toBe(0);
    expect((await noneRun.report()).refused).toMatchObject([{ error: 'NoReportPath' }]);
    expect(String(unreadableFailures.get('m1'))).toContain('ThrottlingException: slow down');
  });

  it.each([
    ['the FSx task query', { fsx: { failing: ['activeTasks' as const] }, ledger: {} }],
    ['the ledger', { fsx: {}, ledger: { failing: ['attempts' as const] } }],
  ])('makes every record wait when %s fails', async (_, setup) => {
    // Prepare
    const fsx = fakeFsx(setup.fsx);
    const items = [queued('m1', ['ns1/a']), queued('m2', ['ns1/b'])];
    const run = createRetrierRun(
      items,
      { fsx: fsx.port, ledger: fakeLedger(setup.ledger).port },
      OPTIONS,
    );

    // Act
    const failures = await settleAll(run, items);

    // Assess
    expect(failures.size).toBe(2);
    expect(String(failures.get('m2'))).toContain('could not decide');
    expect(fsx.started).toEqual([]);
  });

  it('tells which waiting messages are on their last receive, with their re-export', async () => {
    // Prepare
    const running = taskStatus('task-0aaaaaaaaaaaaaaaa', { lifecycle: 'PENDING' });
    const fsx = fakeFsx({ active: { [FS]: [running] } });
    const items = [queued('last', ['ns1/a'], {}, 5), queued('early', ['ns1/b'], {}, 4)];
    const run = createRetrierRun(items, { fsx: fsx.port, ledger: fakeLedger().port }, OPTIONS);

    // Act
    const failures = await settleAll(run, items);
    const report = await run.report();

    // Assess
    expect(failures.size).toBe(2);
    expect(report.deadLettered).toEqual([
      {
        messageId: 'last',
        receiveCount: 5,
        task: expect.objectContaining({ fileSystemId: FS, paths: ['ns1/a'], reportPath: REPORT }),
        reason: expect.stringContaining('task-0aaaaaaaaaaaaaaaa (PENDING)'),
        deferredReason: 'busy',
        deferredAt: items[0]?.message.deferredAt,
      },
    ]);
    expect(hasNews(report)).toBe(true);
  });

  it('rejects a message id that is not part of the batch', async () => {
    // Prepare
    const run = createRetrierRun([], { fsx: fakeFsx().port, ledger: fakeLedger().port }, OPTIONS);

    // Act
    const settling = run.settle('stranger');

    // Assess
    await expect(settling).rejects.toThrow('message stranger is not part of this batch');
  });
});

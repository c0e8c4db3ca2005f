import { describe, expect, it } from 'vitest';
import { toJsonReport } from '../../../lib/analyze/analysis.ts';
import {
  type DurableOptions,
  type PipelineOptions,
  processBatches,
} from '../../../lib/analyze/pipeline.ts';
import { clientRequestToken } from '../../../lib/reexport/rules.ts';
import { batch, type EventSpec } from '../../helpers/events.ts';
import { fakeDeferral, fakeFsx, fakeLedger } from '../../helpers/fake-ports.ts';
import { DRA, DRA_REPORT_PATH, FS } from '../../helpers/fixtures.ts';

const OPTIONS: PipelineOptions = {
  maxPathsPerTask: 100,
  busyDelaySeconds: 600,
  reportPath: undefined,
  region: 'eu-west-1',
  dryRun: false,
  now: () => new Date('2026-11-25T12:00:00Z'),
};

const internal = (path: string): EventSpec => ({
  message: JSON.stringify({ errorCode: 'InternalAutoExportError', filePath: path }),
});

describe('Function: processBatches', () => {
  it('starts one task for the transient paths with the derived report path', async () => {
    // Prepare
    const fsx = fakeFsx();
    const input = [batch([internal('/ns1/a'), internal('/ns1/b')])];

    // Act
    const report = await processBatches(input, OPTIONS, fsx.port);

    // Assess
    expect(fsx.listed).toEqual([FS]);
    expect(fsx.started).toEqual([
      {
        fileSystemId: FS,
        paths: ['ns1/a', 'ns1/b'],
        clientRequestToken: report.plan.tasks[0]?.clientRequestToken,
        reportPath: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
      },
    ]);
    expect(report.outcomes).toMatchObject([
      { status: 'started', taskId: 'task-00000000000000001', lifecycle: 'PENDING' },
    ]);
    expect(report).toMatchObject({
      events: 2,
      generatedAt: '2026-11-25T12:00:00.000Z',
      region: 'eu-west-1',
    });
  });

  it('defers busy paths instead of starting them at once', async () => {
    // Prepare
    const fsx = fakeFsx();
    const input = [
      batch([
        {
          message: 'Failed to export file because it is being used by another process. path=/ns1/w',
        },
      ]),
    ];

    // Act
    const report = await processBatches(input, OPTIONS, fsx.port);
    const now = await processBatches(input, { ...OPTIONS, busyDelaySeconds: 0 }, fsx.port);

    // Assess
    expect(report.outcomes).toMatchObject([{ status: 'deferred' }]);
    expect(now.outcomes).toMatchObject([{ status: 'started' }]);
    expect(fsx.started).toHaveLength(1);
  });

  it('reports an FSx refusal with its meaning and goes on with the next task', async () => {
    // Prepare
    const fsx = fakeFsx({
      results: [{ ok: false, error: 'DataRepositoryTaskExecuting', message: 'A task is running' }],
    });
    const paths = Array.from({ length: 150 }, (_, i) => internal(`/ns1/f${i}`));

    // Act
    const report = await processBatches([batch(paths)], OPTIONS, fsx.port);

    // Assess
    expect(report.outcomes.map((o) => o.status)).toEqual(['refused', 'started']);
    expect(report.outcomes[0]).toMatchObject({
      error: 'DataRepositoryTaskExecuting',
      retryLater: true,
    });
    if (report.outcomes[0]?.status === 'refused') {
      expect(report.outcomes[0].reason).toContain('another data repository task is executing');
      expect(report.outcomes[0].reason).toContain('A task is running');
    }
  });

  it('refuses to start without a report path and says why', async () => {
    // Prepare
    const none = fakeFsx({ associations: [] });
    const broken = fakeFsx({ associations: new Error('AccessDeniedException: not allowed') });
    const input = [batch([internal('/ns1/a')])];

    // Act
    const [noAssociation, unreadable] = await Promise.all([
      processBatches(input, OPTIONS, none.port),
      processBatches(input, OPTIONS, broken.port),
    ]);

    // Assess
    expect(noAssociation.outcomes).toMatchObject([
      { status: 'refused', error: 'NoReportPath', retryLater: false },
    ]);
    expect(unreadable.outcomes).toMatchObject([
      { status: 'refused', error: 'NoReportPath', retryLater: true },
    ]);
    if (unreadable.outcomes[0]?.status === 'refused') {
      expect(unreadable.outcomes[0].reason).toContain('AccessDeniedException: not allowed');
    }
    expect([...none.started, ...broken.started]).toEqual([]);
  });

  it('never calls FSx in a dry run', async () => {
    // Prepare
    const fsx = fakeFsx();

    // Act
    const report = await processBatches(
      [batch([internal('/ns1/a')])],
      { ...OPTIONS, dryRun: true },
      fsx.port,
    );

    // Assess
    expect(fsx.listed).toEqual([]);
    expect(fsx.started).toEqual([]);
    expect(report.outcomes).toMatchObject([{ status: 'planned' }]);
  });

  describe('in a dry run with --associations FILE', () => {
    const OTHER = 'fs-0fedcba9876543210';
    const NO_S3 = 'fs-0aaaabbbbccccdddd';
    const known = {
      source: 'dra.json',
      byFileSystem: new Map([
        [FS, [DRA]],
        [NO_S3, []],
      ]),
    };
    const input = [
      batch([internal('/ns1/a')]),
      batch([internal('/ns1/b')], `datarepo_${OTHER}`),
      batch([internal('/ns1/c')], `datarepo_${NO_S3}`),
    ];

    it('notes each task without a report path, naming its file system and the file', async () => {
      // Act
      const report = await processBatches(
        input,
        { ...OPTIONS, dryRun: true, knownAssociations: known },
        undefined,
      );

      // Assess
      const byFileSystem = new Map(report.outcomes.map((item) => [item.task.fileSystemId, item]));
      expect(byFileSystem.get(FS)).toEqual({
        status: 'planned',
        task: expect.objectContaining({ reportPath: DRA_REPORT_PATH }),
      });
      expect(byFileSystem.get(OTHER)).toMatchObject({
        status: 'planned',
        task: { reportPath: undefined },
        note: `${OTHER} is not in dra.json: the Lambda reads this file system's associations from FSx for the task's completion report; this dry run has no report path (add the file system to the file, or set REPORT_PATH).`,
      });
      expect(byFileSystem.get(NO_S3)).toMatchObject({
        status: 'planned',
        note: `dra.json lists no S3 data repository association of ${NO_S3} to hold the completion report: the Lambda would refuse this task (NoReportPath) unless REPORT_PATH is set.`,
        refusal: 'NoReportPath',
      });
      // Only that one would be refused: the others would start.
      expect(byFileSystem.get(OTHER)).not.toHaveProperty('refusal');
      expect(byFileSystem.get(FS)).not.toHaveProperty('refusal');
      // --json carries it as the outcome's `note`.
      expect(toJsonReport(report)['outcomes']).toContainEqual(
        expect.objectContaining({ fileSystemId: OTHER, note: expect.stringMatching(/^fs-0f/) }),
      );
    });

    it('leaves S3-key-only records of a file system the file leaves out awaiting mapping', async () => {
      // Prepare: the Lambda would read OTHER's associations from FSx and map the key.
      const keyOnly: EventSpec = {
        message: JSON.stringify({
          errorCode: 'S3ExportInternalError',
          s3Key: 'k/a.pt',
          bucket: 'b',
        }),
      };
      const keyInput = [...input, batch([keyOnly], `datarepo_${OTHER}`)];

      // Act
      const report = await processBatches(
        keyInput,
        { ...OPTIONS, dryRun: true, knownAssociations: known },
        undefined,
      );

      // Assess: not a person's work, and nothing "could not be read".
      expect(report.plan.unplanned).toEqual([]);
      expect(report.plan.awaitingMapping).toEqual([
        expect.objectContaining({
          fileSystemId: OTHER,
          target: 's3://b/k/a.pt',
          reason: `only an S3 key is known: the Lambda maps it to a path with the data repository associations it reads from FSx, and ${OTHER} is not in dra.json`,
        }),
      ]);
      expect(report.plan.awaitingMappingNotes).toEqual([`${OTHER} is not in dra.json`]);
      expect(JSON.stringify(toJsonReport(report))).not.toContain('could not be read');
    });

    it('notes nothing when REPORT_PATH gives every task its report path', async () => {
      // Act
      const report = await processBatches(
        input,
        { ...OPTIONS, dryRun: true, reportPath: 's3://r/p', knownAssociations: known },
        undefined,
      );

      // Assess
      expect(report.outcomes).toHaveLength(3);
      for (const outcome of report.outcomes) expect(outcome).not.toHaveProperty('note');
    });
  });

  it('does not read associations when a report path override and paths are given', async () => {
    // Prepare
    const fsx = fakeFsx();

    // Act
    await processBatches(
      [batch([internal('/ns1/a')])],
      { ...OPTIONS, reportPath: 's3://r/p' },
      fsx.port,
    );

    // Assess
    expect(fsx.listed).toEqual([]);
    expect(fsx.started[0]?.reportPath).toBe('s3://r/p');
  });
});

const busyFile = (path: string): EventSpec => ({
  message: `Failed to export file because it is being used by another process. path=${path}`,
});

/** Pipeline options with a queue and a ledger (either may be left out). */
function durableOptions(durable: Partial<DurableOptions>): PipelineOptions {
  return {
    ...OPTIONS,
    durable: {
      deferral: undefined,
      ledger: undefined,
      retryLaterSeconds: 300,
      maxAttempts: 3,
      ...durable,
    },
  };
}

describe('Function: processBatches with a deferral queue and a ledger', () => {
  it('queues busy paths with the busy delay and says when the retrier takes them', async () => {
    // Prepare
    const fsx = fakeFsx();
    const queue = fakeDeferral();
    const input = [batch([busyFile('/ns1/w1'), busyFile('/ns1/w2')])];

    // Act
    const report = await processBatches(input, durableOptions({ deferral: queue.port }), fsx.port);

    // Assess
    expect(fsx.started).toEqual([]);
    expect(report.outcomes).toEqual([
      {
        status: 'queued',
        task: report.plan.tasks[0],
        delaySeconds: 600,
        reason: 'busy',
        detail: expect.stringContaining('wait 600 s for their writer'),
        notBefore: '2026-11-25T12:10:00.000Z',
      },
    ]);
    expect(queue.deferred).toEqual([
      {
        delaySeconds: 600,
        message: {
          version: 1,
          fileSystemId: FS,
          paths: ['ns1/w1', 'ns1/w2'],
          eventIds: ['ev-0', 'ev-1'],
          classes: ['busy'],
          reason: 'busy',
          reportPath: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
          logGroup: '/aws/fsx/lustre',
          logStream: `datarepo_${FS}`,
          deferredAt: '2026-11-25T12:00:00.000Z',
        },
      },
    ]);
  });

  it.each([
    'DataRepositoryTaskExecuting',
    'ServiceLimitExceeded',
    'Throttling',
    'InternalServerError',
    'NetworkError',
  ])('queues a task refused with %s for RETRY_LATER_SECONDS', async (error) => {
    // Prepare
    const fsx = fakeFsx({ results: [{ ok: false, error, message: 'try later' }] });
    const queue = fakeDeferral();

    // Act
    const report = await processBatches(
      [batch([internal('/ns1/a')])],
      durableOptions({ deferral: queue.port, retryLaterSeconds: 120 }),
      fsx.port,
    );

    // Assess
    expect(fsx.started).toHaveLength(1);
    expect(report.outcomes).toMatchObject([{ status: 'queued', reason: error, delaySeconds: 120 }]);
    expect(queue.deferred).toMatchObject([
      { delaySeconds: 120, message: { reason: error, paths: ['ns1/a'] } },
    ]);
  });

  it('keeps a permanent refusal as refused: a person must act, nothing is queued', async () => {
    // Prepare
    const fsx = fakeFsx({ results: [{ ok: false, error: 'BadRequest', message: 'Invalid path' }] });
    const queue = fakeDeferral();

    // Act
    const report = await processBatches(
      [batch([internal('/ns1/a')])],
      durableOptions({ deferral: queue.port }),
      fsx.port,
    );

    // Assess
    expect(report.outcomes).toMatchObject([
      { status: 'refused', error: 'BadRequest', retryLater: false },
    ]);
    expect(queue.deferred).toEqual([]);
  });

  it('queues a task whose report path is missing because the associations could not be read', async () => {
    // Prepare
    const fsx = fakeFsx({ associations: new Error('ThrottlingException: Rate exceeded') });
    const queue = fakeDeferral();

    // Act
    const report = await processBatches(
      [batch([internal('/ns1/a')])],
      durableOptions({ deferral: queue.port }),
      fsx.port,
    );

    // Assess
    expect(report.outcomes).toMatchObject([{ status: 'queued', reason: 'NoReportPath' }]);
    expect(queue.deferred[0]?.message.reportPath).toBeUndefined();
  });

  it('records the attempt and tracks every started task in the ledger', async () => {
    // Prepare
    const fsx = fakeFsx();
    const ledger = fakeLedger();

    // Act
    const report = await processBatches(
      [batch([internal('/ns1/a'), internal('/ns1/b')])],
      durableOptions({ ledger: ledger.port }),
      fsx.port,
    );

    // Assess
    expect(report.escalated).toEqual([]);
    expect(ledger.state.attempts.get(`${FS} ns1/a`)?.taskIds).toEqual(['task-00000000000000001']);
    expect(ledger.state.attempts.get(`${FS} ns1/b`)?.taskIds).toEqual(['task-00000000000000001']);
    expect([...ledger.state.tasks.values()].map((entry) => entry.task)).toEqual([
      {
        taskId: 'task-00000000000000001',
        fileSystemId: FS,
        paths: ['ns1/a', 'ns1/b'],
        clientRequestToken: report.plan.tasks[0]?.clientRequestToken,
        reportPath: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
        startedAt: '2026-11-25T12:00:00.000Z',
        startedBy: 'analyzer',
      },
    ]);
  });

  it('escalates paths re-exported K times and starts the rest with a recomputed token', async () => {
    // Prepare
    const fsx = fakeFsx();
    const ledger = fakeLedger({
      seed: { 'ns1/a': ['task-1', 'task-2', 'task-3'], 'ns1/b': ['task-1'] },
    });
    const input = [
      batch([internal('/ns1/a'), internal('/ns1/b'), { id: 'ev-c', ...internal('/ns1/c') }]),
    ];

    // Act
    const report = await processBatches(input, durableOptions({ ledger: ledger.port }), fsx.port);

    // Assess
    expect(report.escalated).toEqual([
      {
        fileSystemId: FS,
        path: 'ns1/a',
        taskIds: ['task-1', 'task-2', 'task-3'],
        lastAttemptAt: '2026-11-25T11:00:00.000Z',
        reportPath: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
      },
    ]);
    expect(fsx.started).toEqual([
      expect.objectContaining({
        paths: ['ns1/b', 'ns1/c'],
        clientRequestToken: clientRequestToken(FS, ['ns1/b', 'ns1/c'], ['ev-1', 'ev-c']),
      }),
    ]);
    expect(report.outcomes).toMatchObject([
      { status: 'started', task: { paths: ['ns1/b', 'ns1/c'], eventIds: ['ev-1', 'ev-c'] } },
    ]);
    expect(ledger.state.attempts.get(`${FS} ns1/a`)?.taskIds).toHaveLength(3);
  });

  it('starts no task at all when every path of it has run out of attempts', async () => {
    // Prepare
    const fsx = fakeFsx();
    const queue = fakeDeferral();
    const ledger = fakeLedger({
      seed: { 'ns1/a': ['t1', 't2', 't3'], 'ns1/w': ['t1', 't2', 't3'] },
    });
    const input = [batch([internal('/ns1/a'), busyFile('/ns1/w')])];

    // Act
    const report = await processBatches(
      input,
      durableOptions({ ledger: ledger.port, deferral: queue.port }),
      fsx.port,
    );

    // Assess
    expect(report.escalated?.map((escalation) => escalation.path)).toEqual(['ns1/a', 'ns1/w']);
    expect(report.outcomes).toEqual([]);
    expect(fsx.started).toEqual([]);
    expect(queue.deferred).toEqual([]);
  });

  it('fails when the queue refuses the deferral, so Lambda retries the batch', async () => {
    // Prepare
    const queue = fakeDeferral(new Error('DeferralError: could not defer 1 of 1 messages'));

    // Act
    const run = processBatches(
      [batch([busyFile('/ns1/w')])],
      durableOptions({ deferral: queue.port }),
      fakeFsx().port,
    );

    // Assess
    await expect(run).rejects.toThrow('DeferralError: could not defer 1 of 1 messages');
  });

  it.each(['attempts', 'recordAttempt', 'trackTask'] as const)(
    'fails when the ledger fails in %s',
    async (method) => {
      // Prepare
      const ledger = fakeLedger({ failing: [method] });

      // Act
      const run = processBatches(
        [batch([internal('/ns1/a')])],
        durableOptions({ ledger: ledger.port }),
        fakeFsx().port,
      );

      // Assess
      await expect(run).rejects.toThrow(`LedgerError: ${method} failed`);
    },
  );

  it('touches neither the queue nor the ledger in a dry run', async () => {
    // Prepare
    const queue = fakeDeferral();
    const ledger = fakeLedger({ seed: { 'ns1/a': ['t1', 't2', 't3'] } });

    // Act
    const report = await processBatches(
      [batch([internal('/ns1/a'), busyFile('/ns1/w')])],
      { ...durableOptions({ deferral: queue.port, ledger: ledger.port }), dryRun: true },
      fakeFsx().port,
    );

    // Assess
    expect(report.outcomes.map((outcome) => outcome.status)).toEqual(['planned', 'planned']);
    expect(ledger.calls).toEqual([]);
    expect(queue.deferred).toEqual([]);
  });

  it('leaves the report without escalations when no ledger is configured', async () => {
    // Prepare
    const input = [batch([internal('/ns1/a')])];

    // Act
    const report = await processBatches(input, OPTIONS, fakeFsx().port);

    // Assess
    expect(report).not.toHaveProperty('escalated');
  });
});

import { describe, expect, it } from 'vitest';
import {
  type ExportRequest,
  type FsxPort,
  type PipelineOptions,
  processBatches,
  type StartResult,
} from '../../lib/pipeline.ts';
import type { Association } from '../../lib/types.ts';
import { batch, type EventSpec } from '../helpers/events.ts';
import { DRA, FS } from '../helpers/fixtures.ts';

const OPTIONS: PipelineOptions = {
  maxPathsPerTask: 100,
  busyDelaySeconds: 600,
  reportPath: undefined,
  region: 'eu-west-1',
  dryRun: false,
  now: () => new Date('2026-11-25T12:00:00Z'),
};

/** A recording fake of the FSx port: answers each start with the next scripted result. */
function fakeFsx(
  results: StartResult[] = [],
  associations: readonly Association[] | Error = [DRA],
) {
  const started: ExportRequest[] = [];
  const listed: string[] = [];
  const port: FsxPort = {
    async listAssociations(fileSystemId) {
      listed.push(fileSystemId);
      if (associations instanceof Error) throw associations;
      return associations;
    },
    async startExport(request) {
      started.push(request);
      return (
        results.shift() ?? {
          ok: true,
          taskId: `task-${String(started.length).padStart(17, '0')}`,
          lifecycle: 'PENDING',
        }
      );
    },
  };
  return { port, started, listed };
}

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
    const fsx = fakeFsx([
      { ok: false, error: 'DataRepositoryTaskExecuting', message: 'A task is running' },
    ]);
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
    const none = fakeFsx([], []);
    const broken = fakeFsx([], new Error('AccessDeniedException: not allowed'));
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

import { describe, expect, it } from 'vitest';
import { reportLog } from '../../../lib/analyze/telemetry.ts';
import { FS } from '../../helpers/fixtures.ts';
import { emptyReport, queuedOutcome, record, startedOutcome, task } from '../../helpers/reports.ts';

describe('Function: reportLog', () => {
  it('logs every task a live run started, refused, deferred or queued, with its paths', () => {
    // Prepare
    const started = task({ clientRequestToken: 'fea-started', paths: ['ns1/a.bin', 'ns1/b.bin'] });
    const refused = task({ clientRequestToken: 'fea-refused', paths: ['ns1/r.bin'] });
    const deferred = task({
      clientRequestToken: 'fea-deferred',
      paths: ['ns1/d.bin'],
      delaySeconds: 300,
    });
    const queued = task({ clientRequestToken: 'fea-queued', paths: ['ns1/q.bin'] });
    const report = emptyReport({
      dryRun: false,
      records: [record(0)],
      outcomes: [
        startedOutcome(started, 'task-1'),
        {
          status: 'refused',
          task: refused,
          error: 'BadRequest',
          reason: 'outside every association',
          retryLater: false,
        },
        { status: 'deferred', task: deferred, reason: 'busy files wait 300 s' },
        queuedOutcome(queued, 'busy files wait 600 s'),
      ],
    });

    // Act
    const lines = reportLog(report).slice(1);

    // Assess: one line each, in the report's order, naming the task and every path.
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'Re-export started',
        fields: {
          fileSystemId: FS,
          paths: 2,
          clientRequestToken: 'fea-started',
          pathList: ['ns1/a.bin', 'ns1/b.bin'],
          taskId: 'task-1',
          lifecycle: 'PENDING',
        },
      },
      {
        level: 'warn',
        message: 'Re-export refused',
        fields: {
          fileSystemId: FS,
          paths: 1,
          clientRequestToken: 'fea-refused',
          pathList: ['ns1/r.bin'],
          error: 'BadRequest',
          reason: 'outside every association',
          retryLater: false,
        },
      },
      {
        level: 'warn',
        message: 'Re-export deferred',
        fields: {
          fileSystemId: FS,
          paths: 1,
          clientRequestToken: 'fea-deferred',
          pathList: ['ns1/d.bin'],
          reason: 'busy files wait 300 s',
          delaySeconds: 300,
        },
      },
      {
        level: 'info',
        message: 'Re-export queued',
        fields: {
          fileSystemId: FS,
          paths: 1,
          clientRequestToken: 'fea-queued',
          pathList: ['ns1/q.bin'],
          reason: 'busy',
          delaySeconds: 600,
        },
      },
    ]);
  });

  it('logs no line per task of a dry run, whose tasks analyze --json lists', () => {
    // Prepare
    const planned = task();
    const report = emptyReport({
      dryRun: true,
      records: [record(0)],
      outcomes: [{ status: 'planned', task: planned }],
    });

    // Act
    const lines = reportLog(report);

    // Assess
    expect(lines.map((line) => line.message)).toEqual(['Batch analyzed']);
  });
});

import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { reportLog } from '../../../lib/analyze/telemetry.ts';
import type { Escalation } from '../../../lib/common/types.ts';
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
          part: 1,
          parts: 1,
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
          part: 1,
          parts: 1,
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
          part: 1,
          parts: 1,
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
          part: 1,
          parts: 1,
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

  it.each([
    ['ASCII', 'a'],
    ['3-byte UTF-8', '\u20ac'],
  ])(
    'splits a task of 100 paths of 4,096 %s characters, and its escalations, over lines that each fit a log event',
    (_, char) => {
      // Prepare: the largest task FSx takes, each path also escalated to a person.
      const paths = Array.from({ length: 100 }, (_, index) => {
        const prefix = `ns1/${String(index).padStart(3, '0')}/`;
        return prefix + char.repeat(4_096 - prefix.length);
      });
      const big = task({ clientRequestToken: 'fea-big', paths });
      const escalated: Escalation[] = paths.map((path) => ({
        fileSystemId: FS,
        path,
        taskIds: ['task-0'],
        lastAttemptAt: '2025-11-25T12:00:00.000Z',
        reportPath: undefined,
      }));
      const report = emptyReport({
        dryRun: false,
        records: [record(0)],
        outcomes: [startedOutcome(big, 'task-1')],
        escalated,
      });

      // Act
      const lines = reportLog(report).slice(1);

      // Assess: no line passes 200,000 bytes of list nor a log event (256 KB before 2025), each
      // part names the task, and the parts give back every path in order.
      const started = lines.filter((line) => line.message === 'Re-export started');
      const escalations = lines.filter(
        (line) => line.message === 'Re-exports escalated to a person',
      );
      expect(started.length).toBeGreaterThan(1);
      expect(escalations.length).toBeGreaterThan(1);
      expect(started.length + escalations.length).toBe(lines.length);
      for (const line of lines) {
        const json = JSON.stringify({ level: line.level, message: line.message, ...line.fields });
        expect(Buffer.byteLength(json, 'utf8')).toBeLessThan(262_144);
      }
      for (const [index, line] of started.entries()) {
        expect(line.fields).toMatchObject({
          fileSystemId: FS,
          clientRequestToken: 'fea-big',
          taskId: 'task-1',
          paths: 100,
          part: index + 1,
          parts: started.length,
        });
      }
      expect(started.flatMap((line) => line.fields?.['pathList'] as string[])).toEqual(paths);
      expect(escalations.flatMap((line) => line.fields?.['escalated'] as Escalation[])).toEqual(
        escalated,
      );
    },
  );
});

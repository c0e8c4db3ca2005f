import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { retrierLog } from '../../../lib/reexport/telemetry.ts';
import { FS } from '../../helpers/fixtures.ts';
import { retrierReport, task } from '../../helpers/reports.ts';

describe('Function: retrierLog', () => {
  it('names paths as the analyzer does: `paths` a count, `pathList` the paths', () => {
    // Prepare
    const started = task({ clientRequestToken: 'fea-s', paths: ['ns1/a.bin', 'ns1/b.bin'] });
    const refused = task({ clientRequestToken: 'fea-r', paths: ['ns1/r.bin'] });
    const dead = task({ clientRequestToken: 'fea-d', paths: ['ns1/d.bin'] });
    const report = retrierReport({
      messages: 3,
      started: [{ task: started, taskId: 'task-1', lifecycle: 'PENDING', messages: 1 }],
      refused: [{ task: refused, error: 'BadRequest', reason: 'no association', messages: 1 }],
      deadLettered: [
        {
          messageId: 'm-1',
          receiveCount: 5,
          task: dead,
          reason: 'busy',
          deferredReason: 'busy',
          deferredAt: '2026-11-25T11:00:00.000Z',
        },
      ],
    });

    // Act
    const lines = retrierLog(report, 0).slice(1);

    // Assess
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'Re-export started',
        fields: {
          fileSystemId: FS,
          paths: 2,
          clientRequestToken: 'fea-s',
          part: 1,
          parts: 1,
          taskId: 'task-1',
          lifecycle: 'PENDING',
          messages: 1,
          pathList: ['ns1/a.bin', 'ns1/b.bin'],
        },
      },
      {
        level: 'warn',
        message: 'Re-export refused',
        fields: {
          fileSystemId: FS,
          paths: 1,
          clientRequestToken: 'fea-r',
          part: 1,
          parts: 1,
          error: 'BadRequest',
          reason: 'no association',
          messages: 1,
          pathList: ['ns1/r.bin'],
        },
      },
      {
        level: 'error',
        message: 'Deferred re-export dead-lettered',
        fields: {
          fileSystemId: FS,
          paths: 1,
          clientRequestToken: 'fea-d',
          part: 1,
          parts: 1,
          messageId: 'm-1',
          receiveCount: 5,
          reason: 'busy',
          pathList: ['ns1/d.bin'],
        },
      },
    ]);
  });

  it('splits a refused task of 100 paths of 4,096 3-byte characters over lines that fit a log event', () => {
    // Prepare
    const paths = Array.from({ length: 100 }, (_, index) => {
      const prefix = `ns1/${String(index).padStart(3, '0')}/`;
      return prefix + '\u20ac'.repeat(4_096 - prefix.length);
    });
    const refused = task({ clientRequestToken: 'fea-big', paths });
    const report = retrierReport({
      messages: 3,
      refused: [{ task: refused, error: 'BadRequest', reason: 'no association', messages: 2 }],
    });

    // Act
    const lines = retrierLog(report, 0).slice(1);

    // Assess
    expect(lines.length).toBeGreaterThan(1);
    for (const [index, line] of lines.entries()) {
      const json = JSON.stringify({ level: line.level, message: line.message, ...line.fields });
      expect(Buffer.byteLength(json, 'utf8')).toBeLessThan(262_144);
      expect(line.fields).toMatchObject({
        clientRequestToken: 'fea-big',
        paths: 100,
        part: index + 1,
        parts: lines.length,
      });
    }
    expect(lines.flatMap((line) => line.fields?.['pathList'] as string[])).toEqual(paths);
  });
});

import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  escalationLines,
  LOG_LIST_BYTES,
  logParts,
  taskLines,
} from '../../../lib/common/log-lines.ts';
import type { Escalation } from '../../../lib/common/types.ts';
import { FS } from '../../helpers/fixtures.ts';

/** A log event is at most 256 KB in the oldest limit any Region applied (docs/fsx-facts.md). */
const EVENT_BYTES = 262_144;

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** 100 paths of 4,096 characters, each made of `char` after a numbered prefix. */
function longPaths(char: string): string[] {
  return Array.from({ length: 100 }, (_, index) => {
    const prefix = `ns1/${String(index).padStart(3, '0')}/`;
    return prefix + char.repeat(4_096 - prefix.length);
  });
}

describe('Function: taskLines', () => {
  it.each([
    ['ASCII', 'a', 3],
    ['3-byte UTF-8', '\u20ac', 7],
    ['JSON-escaped control', '\u0001', 13],
  ])(
    'splits 100 paths of 4,096 %s characters over lines that each fit a log event',
    (_, char, expected) => {
      // Prepare
      const paths = longPaths(char);
      const task = { fileSystemId: FS, clientRequestToken: 'fea-big', paths };

      // Act
      const lines = taskLines('warn', 'Re-export refused', task, { error: 'BadRequest' });

      // Assess: every line is a whole log event, names the task, and the parts list every path
      // in order.
      expect(lines).toHaveLength(expected);
      for (const [index, line] of lines.entries()) {
        expect(jsonBytes({ level: 'WARN', message: line.message, ...line.fields })).toBeLessThan(
          EVENT_BYTES,
        );
        expect(jsonBytes(line.fields?.['pathList'])).toBeLessThanOrEqual(LOG_LIST_BYTES);
        expect(line).toMatchObject({
          level: 'warn',
          message: 'Re-export refused',
          fields: {
            fileSystemId: FS,
            clientRequestToken: 'fea-big',
            paths: 100,
            part: index + 1,
            parts: expected,
            error: 'BadRequest',
          },
        });
      }
      expect(lines.flatMap((line) => line.fields?.['pathList'] as string[])).toEqual(paths);
    },
  );

  it('logs a small task on one line, part 1 of 1', () => {
    // Act
    const lines = taskLines(
      'info',
      'Re-export started',
      { fileSystemId: FS, clientRequestToken: 'fea-1', paths: ['ns1/a.bin'] },
      { taskId: 'task-1' },
    );

    // Assess
    expect(lines).toEqual([
      {
        level: 'info',
        message: 'Re-export started',
        fields: {
          fileSystemId: FS,
          paths: 1,
          clientRequestToken: 'fea-1',
          part: 1,
          parts: 1,
          taskId: 'task-1',
          pathList: ['ns1/a.bin'],
        },
      },
    ]);
  });
});

describe('Function: logParts', () => {
  it('keeps on one part a list that fits, measured exactly when the quick bound says it may not', () => {
    // Prepare: 100 paths of 400 ASCII characters: 40 KB of JSON, over 200 KB by the 6-byte bound.
    const paths = Array.from({ length: 100 }, (_, index) => `${index}/${'a'.repeat(396)}`);

    // Act
    const parts = logParts(paths);

    // Assess
    expect(parts).toEqual([paths]);
  });

  it('keeps one empty part for an empty list, so a task still gets its line', () => {
    // Act
    const parts = logParts([]);

    // Assess
    expect(parts).toEqual([[]]);
  });
});

describe('Function: escalationLines', () => {
  it('splits many escalations of long paths over lines that each fit a log event', () => {
    // Prepare
    const escalated: Escalation[] = longPaths('\u20ac').map((path, index) => ({
      fileSystemId: FS,
      path,
      taskIds: [`task-${index}`],
      lastAttemptAt: '2026-11-25T12:00:00.000Z',
      reportPath: undefined,
    }));

    // Act
    const lines = escalationLines(escalated);

    // Assess
    expect(lines.length).toBeGreaterThan(1);
    for (const [index, line] of lines.entries()) {
      expect(jsonBytes({ level: 'WARN', message: line.message, ...line.fields })).toBeLessThan(
        EVENT_BYTES,
      );
      expect(line.fields).toMatchObject({ paths: 100, part: index + 1, parts: lines.length });
    }
    expect(lines.flatMap((line) => line.fields?.['escalated'] as Escalation[])).toEqual(escalated);
  });

  it('writes no line when nothing was escalated', () => {
    // Act
    const lines = escalationLines([]);

    // Assess
    expect(lines).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { Escalation } from '../../../lib/common/types.ts';
import { escalationLines } from '../../../lib/render/escalations.ts';
import { FS } from '../../helpers/fixtures.ts';

/** A stand-in for the re-export rule, so the test sees which task's failures are named. */
const failuresCsv = (reportPath: string, taskId: string): string =>
  `${reportPath}${taskId}/failures.csv`;

function escalation(path: string, overrides: Partial<Escalation> = {}): Escalation {
  return {
    fileSystemId: FS,
    path,
    taskIds: ['task-00000000000000001', 'task-00000000000000002'],
    lastAttemptAt: '2026-11-25T10:00:00.000Z',
    reportPath: 's3://bucket/reports/',
    ...overrides,
  };
}

describe('Function: escalationLines', () => {
  it('lists each path with its tasks, the last task failures.csv and a by-hand command', () => {
    // Prepare
    const escalated = [escalation('ns1/a.bin'), escalation('ns1/b.bin', { reportPath: undefined })];

    // Act
    const lines = escalationLines(escalated, failuresCsv, "the analyzer's log");

    // Assess
    expect(lines[0]).toMatch(/^\* 2 paths failed again after repeated re-exports/);
    expect(lines).toContain(`  On ${FS}:`);
    expect(lines).toContain('    ns1/a.bin');
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain(
      ' 2 re-exports: task-00000000000000001, task-00000000000000002; last at 2026-11-25T10:00:00.000Z.',
    );
    expect(lines.filter((line) => line.startsWith('      Failures:'))).toEqual([
      '      Failures: s3://bucket/reports/task-00000000000000002/failures.csv',
    ]);
    expect(lines).toContain('  Re-export by hand with:');
    expect(
      lines.find((line) => line.startsWith('    aws fsx create-data-repository-task')),
    ).toContain("--paths 'ns1/a.bin' 'ns1/b.bin'");
    expect(lines.at(-1)).toBe('');
  });

  it('names the account of each file system when the caller knows it', () => {
    // Prepare
    const other = 'fs-0fedcba9876543210';
    const escalated = [escalation('ns1/a.bin'), escalation('ns1/b.bin', { fileSystemId: other })];

    // Act
    const lines = escalationLines(escalated, failuresCsv, "the analyzer's log", (id) =>
      id === FS ? '123456789012' : undefined,
    );

    // Assess
    expect(lines).toContain(`  On ${FS}, account 123456789012:`);
    expect(lines).toContain(`  On ${other}:`);
  });

  it('gives no lines when nothing was escalated', () => {
    // Act
    const lines = escalationLines([], failuresCsv, "the analyzer's log");

    // Assess
    expect(lines).toEqual([]);
  });
});

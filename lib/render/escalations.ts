import { display } from '../common/text.ts';
import type { Escalation, ExportTask } from '../common/types.ts';
import { commandLines } from './commands.ts';
import { bullet, PATH_CHARS, plural, WIDTH, wrap } from './layout.ts';
import { placeText } from './places.ts';

/*
 * Paths re-exported too often, as the summary email, the retrier's email and the terminal all
 * show them under "needs a person".
 */

const MAX_FILE_SYSTEMS = 20;
const MAX_PATHS = 50;

/** Where the failures.csv of a task lies, given its completion report path (a re-export rule). */
type FailuresCsv = (reportPath: string, taskId: string) => string;

/** The escalated paths of one file system as a task, so `exportCommand` can name them. */
function escalatedTask(fileSystemId: string, escalations: readonly Escalation[]): ExportTask {
  return {
    fileSystemId,
    paths: escalations.map((escalation) => escalation.path),
    eventIds: [],
    classes: [],
    delaySeconds: 0,
    clientRequestToken: '',
    reportPath: escalations.find((escalation) => escalation.reportPath !== undefined)?.reportPath,
  };
}

/**
 * Paths re-exported too often, under "needs a person": per file system (and its account, when
 * `accountOf` knows it), each path with the tasks that re-exported it and when, where the last
 * task's failures are (`failuresCsv`), and a command to re-export them by hand once the cause is
 * fixed. `listedIn` names the log that lists every escalated path (the email's own function's).
 */
function escalationLines(
  escalated: readonly Escalation[],
  failuresCsv: FailuresCsv,
  listedIn: string,
  accountOf: (fileSystemId: string) => string | undefined = () => undefined,
): string[] {
  if (escalated.length === 0) return [];
  const reported = escalated.some((escalation) => escalation.failedWith !== undefined);
  const lines = bullet(
    `${plural(escalated.length, 'path')} failed again after ${reported ? 'their re-exports' : 'repeated re-exports'} and will not be re-exported automatically any more. Read the tasks' failures.csv, fix the cause, then re-export by hand:`,
  );
  const byFileSystem = new Map<string, Escalation[]>();
  for (const escalation of escalated) {
    const group = byFileSystem.get(escalation.fileSystemId) ?? [];
    group.push(escalation);
    byFileSystem.set(escalation.fileSystemId, group);
  }
  for (const [fileSystemId, group] of [...byFileSystem].slice(0, MAX_FILE_SYSTEMS)) {
    lines.push('', `  On ${placeText({ fileSystemId, account: accountOf(fileSystemId) })}:`);
    for (const escalation of group.slice(0, MAX_PATHS)) {
      const tasks = escalation.taskIds.map((id) => display(id, 64));
      const last = escalation.taskIds.at(-1);
      lines.push(`    ${display(escalation.path, PATH_CHARS)}`);
      lines.push(
        ...wrap(
          `${plural(escalation.taskIds.length, 're-export')}: ${tasks.join(', ')}; last at ${display(escalation.lastAttemptAt ?? 'unknown', 64)}.`,
          '      ',
          WIDTH,
          '      ',
        ),
      );
      if (escalation.failedWith !== undefined) {
        const { code, taskId } = escalation.failedWith;
        lines.push(
          ...wrap(
            `Task ${display(taskId, 64)} reported ${display(code, 80)} (${escalation.failedWith.class}) for it in its completion report.`,
            '      ',
            WIDTH,
            '      ',
          ),
        );
      }
      if (last !== undefined && escalation.reportPath !== undefined) {
        lines.push(`      Failures: ${display(failuresCsv(escalation.reportPath, last), 400)}`);
      }
    }
    if (group.length > MAX_PATHS) {
      lines.push(`    and ${plural(group.length - MAX_PATHS, 'more path')}`);
    }
    lines.push(
      ...commandLines(escalatedTask(fileSystemId, group), 'Re-export by hand with:', listedIn),
    );
  }
  if (byFileSystem.size > MAX_FILE_SYSTEMS) {
    lines.push(`  and ${plural(byFileSystem.size - MAX_FILE_SYSTEMS, 'more file system')}`);
  }
  lines.push('');
  return lines;
}

export type { FailuresCsv };
export { escalationLines };

import type { ExportTask } from '../common/types.ts';
import { WIDTH, wrap } from './layout.ts';
import { shellArg, shellQuote } from './shell.ts';

/*
 * The AWS CLI commands a person pastes to re-export paths by hand, as the emails and the
 * terminal print them (create-data-repository-task: docs/fsx-facts.md#createdatarepositorytask).
 */

const MAX_COMMAND_PATHS = 10;
/** A command keeps adding paths only while it is shorter than this (it always names one). */
const COMMAND_CHARS = 4_000;

/**
 * The AWS CLI command that re-exports a task's paths by hand. It names at most ten paths (and
 * stops early on very long ones) so it stays pasteable; `pathsShown` tells the caller to say so.
 */
function exportCommand(task: ExportTask): { command: string; pathsShown: number } {
  const report =
    task.reportPath === undefined
      ? 'Enabled=false'
      : `Enabled=true,Path=${task.reportPath},Format=REPORT_CSV_20191124,Scope=FAILED_FILES_ONLY`;
  const quoted: string[] = [];
  let length = 0;
  for (const path of task.paths.slice(0, MAX_COMMAND_PATHS)) {
    const arg = shellQuote(path);
    if (quoted.length > 0 && length + arg.length + 1 > COMMAND_CHARS) break;
    quoted.push(arg);
    length += arg.length + 1;
  }
  const command = [
    'aws fsx create-data-repository-task',
    `--file-system-id ${shellArg(task.fileSystemId)}`,
    '--type EXPORT_TO_REPOSITORY',
    `--paths ${quoted.join(' ')}`,
    `--report ${shellArg(report)}`,
  ].join(' ');
  return { command, pathsShown: quoted.length };
}

/** A lead line and the task's by-hand export command, saying when it names only some paths. */
function commandLines(task: ExportTask, lead: string): string[] {
  const { command, pathsShown } = exportCommand(task);
  const lines = [`  ${lead}`, `    ${command}`];
  if (pathsShown < task.paths.length) {
    lines.push(
      ...wrap(
        `(The command names the first ${pathsShown} of ${task.paths.length} paths; run it again with the others, listed in the analyzer's logs.)`,
        '  ',
        WIDTH,
        '  ',
      ),
    );
  }
  return lines;
}

export { commandLines, exportCommand };

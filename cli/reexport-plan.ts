import { CLASS_ORDER } from '../lib/analyze/classify.ts';
import { DEFAULT_MAX_EVENTS } from '../lib/aws/logs.ts';
import { display, sanitize } from '../lib/shared/text.ts';
import type { FailureClass, Plan } from '../lib/shared/types.ts';
import { PROGRAM, plural, UsageError } from './common.ts';
import type { WindowOptions } from './log-window.ts';

/*
 * What `reexport` accepts and shows: the classes a person may re-export, the plan as it is
 * printed before anything starts, and the command that plans exactly the same again.
 */

/** Classes whose records are failed exports of a file: what a re-export can fix. */
const EXPORT_CLASSES: ReadonlySet<FailureClass> = new Set([
  'permission',
  'limit',
  'transient',
  'busy',
  'skipped',
]);

/** Why the other classes cannot be chosen. */
const NOT_EXPORT: Readonly<Partial<Record<FailureClass, string>>> = {
  import:
    'import and restore events are not export failures: there is nothing to re-export (FSx imports again on its own, or run an import task)',
  report:
    'report failures are completion reports that could not be written, not files that failed to export',
  unknown:
    'unknown codes are never re-exported: their meaning is not documented; read them with "scan" and re-export by hand if you are sure',
};

const MAX_SAMPLE_PATHS = 5;

/** Parses `--class` values (comma-separated, repeatable) into a set of export classes. */
function parseClasses(values: readonly string[]): Set<FailureClass> {
  const classes = new Set<FailureClass>();
  const known = new Set<string>(CLASS_ORDER);
  for (const value of values) {
    for (const part of value.split(',')) {
      const name = part.trim().toLowerCase();
      if (name === '') continue;
      if (!known.has(name)) {
        throw new UsageError(
          `--class "${sanitize(part.trim())}" is not a class; choose from ${[...EXPORT_CLASSES].join(', ')}`,
          'reexport',
        );
      }
      const cls = name as FailureClass;
      const why = NOT_EXPORT[cls];
      if (why !== undefined) throw new UsageError(`--class ${cls}: ${why}`, 'reexport');
      classes.add(cls);
    }
  }
  if (classes.size === 0) {
    throw new UsageError(
      `--class is required: which failures did you fix? (${[...EXPORT_CLASSES].join(', ')})`,
      'reexport',
    );
  }
  return classes;
}

/** The plan, per file system: tasks, paths, a sample of paths, the token and the report path. */
function planLines(plan: Plan, records: number, dryRun: boolean): string[] {
  const fileSystems = [...new Set(plan.tasks.map((task) => task.fileSystemId))];
  const paths = plan.tasks.reduce((sum, task) => sum + task.paths.length, 0);
  const lines = [
    `Re-export plan: ${plural(plan.tasks.length, 'task')} on ${plural(fileSystems.length, 'file system')}, ${plural(paths, 'path')} (from ${plural(records, 'failure')}).`,
  ];
  if (fileSystems.length < plan.tasks.length) {
    lines.push(
      'FSx runs one data repository task at a time per file system: after the first task of a file system starts, FSx refuses the next ones until it ends; run the same command again then (it starts only what is missing).',
    );
  }
  for (const fileSystemId of fileSystems) {
    const tasks = plan.tasks.filter((task) => task.fileSystemId === fileSystemId);
    const count = tasks.reduce((sum, task) => sum + task.paths.length, 0);
    lines.push('', `${fileSystemId}: ${plural(tasks.length, 'task')}, ${plural(count, 'path')}`);
    tasks.forEach((task, index) => {
      lines.push(
        `  task ${index + 1}: ${plural(task.paths.length, 'path')} (${task.classes.join(', ')}), token ${task.clientRequestToken}`,
      );
      const report =
        task.reportPath ??
        (dryRun
          ? 'derived from the data repository associations at start time'
          : 'none: no data repository association found or readable (set REPORT_PATH)');
      lines.push(`    report: ${display(report)}`);
      for (const path of task.paths.slice(0, MAX_SAMPLE_PATHS)) lines.push(`    ${display(path)}`);
      if (task.paths.length > MAX_SAMPLE_PATHS) {
        lines.push(`    ... and ${task.paths.length - MAX_SAMPLE_PATHS} more`);
      }
    });
  }
  if (plan.awaitingMapping.length > 0) {
    lines.push(
      '',
      `Mapped when run: ${plural(plan.awaitingMapping.length, 'failure')} name only an S3 key; the data repository associations map them to paths (a dry run does not read them)`,
    );
  }
  if (plan.unplanned.length > 0) {
    const reasons = new Map<string, number>();
    for (const item of plan.unplanned)
      reasons.set(item.reason, (reasons.get(item.reason) ?? 0) + 1);
    lines.push('', `Not re-exported: ${plural(plan.unplanned.length, 'failure')}`);
    for (const [reason, count] of [...reasons].sort((a, b) => b[1] - a[1])) {
      lines.push(`  ${count} × ${display(reason)}`);
    }
  }
  return lines;
}

/** A shell word: as is when it only holds safe characters, else single-quoted. */
function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that plans exactly this again: the same options with the window pinned to ISO
 * times. A relative window (--since 24h) moves, and with it the failures and the task tokens, so
 * a later run must name the same instants to start only what is missing.
 */
function rerunCommand(
  options: WindowOptions,
  classes: ReadonlySet<FailureClass>,
  region: string | undefined,
): string {
  const words = [
    PROGRAM,
    'reexport',
    '--log-group',
    options.logGroup,
    '--class',
    [...classes].join(','),
    ...(options.fileSystemId === undefined ? [] : ['--file-system-id', options.fileSystemId]),
    '--since',
    new Date(options.window.start).toISOString(),
    '--until',
    new Date(options.window.end).toISOString(),
    ...(region === undefined ? [] : ['--region', region]),
    ...(options.maxEvents === DEFAULT_MAX_EVENTS
      ? []
      : ['--max-events', String(options.maxEvents)]),
  ];
  return sanitize(words.map(shellWord).join(' '));
}

export { EXPORT_CLASSES, parseClasses, planLines, rerunCommand };

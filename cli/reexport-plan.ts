import { jsonDocumentText, shownPath } from '../lib/analyze/analysis.ts';
import { DEFAULT_MAX_EVENTS } from '../lib/aws/logs.ts';
import { CLASS_ORDER } from '../lib/common/classes.ts';
import { display, sanitize } from '../lib/common/text.ts';
import type { ExportTask, FailureClass, Plan, Unplanned } from '../lib/common/types.ts';
import { PROGRAM, plural, UsageError } from './common.ts';
import type { WindowOptions } from './log-window.ts';
import type { AssociationWarning, StartOutcome } from './reexport-tasks.ts';

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

/** How much of the plan to show: sample paths and items, or all of them (`--paths`). */
interface PlanView {
  readonly dryRun: boolean;
  readonly allPaths: boolean;
}

/** The first MAX_SAMPLE_PATHS lines, or all with `allPaths`, and how many more there are. */
function bounded(lines: readonly string[], allPaths: boolean): string[] {
  if (allPaths || lines.length <= MAX_SAMPLE_PATHS) return [...lines];
  return [
    ...lines.slice(0, MAX_SAMPLE_PATHS),
    `    ... and ${lines.length - MAX_SAMPLE_PATHS} more`,
  ];
}

/** One line per failure left out: its file system, what it named, and its event. */
function unplannedItem(item: Unplanned): string {
  // Shown one way everywhere: relative to the file-system root, as FSx tasks take paths.
  const target =
    item.target === undefined
      ? 'no path or S3 key'
      : display(item.target.startsWith('s3://') ? item.target : shownPath(item.target));
  return `    ${item.fileSystemId ?? 'no file system'} ${target} (event ${display(item.eventId)})`;
}

/** "Not re-exported": the reasons, most frequent first, each with the failures it is about. */
function unplannedLines(unplanned: readonly Unplanned[], allPaths: boolean): string[] {
  const byReason = new Map<string, Unplanned[]>();
  for (const item of unplanned) {
    const items = byReason.get(item.reason);
    if (items === undefined) byReason.set(item.reason, [item]);
    else items.push(item);
  }
  const lines = ['', `Not re-exported: ${plural(unplanned.length, 'failure')}`];
  for (const [reason, items] of [...byReason].sort((a, b) => b[1].length - a[1].length)) {
    lines.push(`  ${items.length} × ${display(reason)}`);
    lines.push(...bounded(items.map(unplannedItem), allPaths));
  }
  return lines;
}

/** The plan, per file system: tasks, paths (a sample, or all), the token and the report path. */
function planLines(plan: Plan, records: number, view: PlanView): string[] {
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
        (view.dryRun
          ? 'derived from the data repository associations at start time'
          : 'none: no data repository association found or readable (set REPORT_PATH)');
      lines.push(`    report: ${display(report)}`);
      lines.push(
        ...bounded(
          task.paths.map((path) => `    ${display(path)}`),
          view.allPaths,
        ),
      );
    });
  }
  if (plan.awaitingMapping.length > 0) {
    lines.push(
      '',
      `Mapped when run: ${plural(plan.awaitingMapping.length, 'failure')} name only an S3 key; the data repository associations map them to paths (a dry run does not read them)`,
    );
  }
  if (plan.unplanned.length > 0) lines.push(...unplannedLines(plan.unplanned, view.allPaths));
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

/** What one run of `reexport` found and did: the --json document's content. */
interface RunRecord {
  readonly window: WindowOptions;
  readonly classes: ReadonlySet<FailureClass>;
  readonly dryRun: boolean;
  readonly events: number;
  readonly failures: number;
  readonly unparseable: number;
  readonly plan: Plan;
  readonly warnings: readonly AssociationWarning[];
  readonly results: readonly { readonly task: ExportTask; readonly outcome: StartOutcome }[];
  /** The command that plans the same again, window pinned (see rerunCommand). */
  readonly rerun: string;
}

const STATUS = { started: 'started', 'already started': 'alreadyStarted', refused: 'refused' };

/**
 * `reexport --json`: the plan and what starting it gave, as one JSON document. Every path, item
 * and result is listed in full; field names are a stable interface (docs/cli.md#reexport).
 */
function runJson(run: RunRecord): string {
  const { window, plan } = run;
  return jsonDocumentText({
    dryRun: run.dryRun,
    logGroup: window.logGroup,
    fileSystemId: window.fileSystemId ?? null,
    window: {
      start: new Date(window.window.start).toISOString(),
      end: new Date(window.window.end).toISOString(),
    },
    classes: [...run.classes],
    events: run.events,
    failures: run.failures,
    unparseable: run.unparseable,
    warnings: run.warnings,
    tasks: plan.tasks.map((task) => ({
      fileSystemId: task.fileSystemId,
      paths: task.paths,
      classes: task.classes,
      eventIds: task.eventIds,
      clientRequestToken: task.clientRequestToken,
      reportPath: task.reportPath ?? null,
    })),
    notReexported: plan.unplanned,
    awaitingMapping: plan.awaitingMapping,
    results: run.results.map(({ task, outcome }) => ({
      fileSystemId: task.fileSystemId,
      clientRequestToken: task.clientRequestToken,
      paths: task.paths.length,
      status: STATUS[outcome.status],
      taskId: outcome.status === 'refused' ? null : outcome.taskId,
      reason: outcome.status === 'refused' ? outcome.reason : null,
    })),
    rerun: run.rerun,
  });
}

export type { PlanView, RunRecord };
export { EXPORT_CLASSES, MAX_SAMPLE_PATHS, parseClasses, planLines, rerunCommand, runJson };

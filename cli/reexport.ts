import { parseArgs } from 'node:util';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FSxClient } from '@aws-sdk/client-fsx';
import { analyzeBatches } from '../lib/analyze/analysis.ts';
import { CLASS_ORDER } from '../lib/analyze/classify.ts';
import { associationsNeeded, type PlanOptions, planReexports } from '../lib/analyze/plan.ts';
import { errorName } from '../lib/aws/aws-errors.ts';
import { createFsxAdapter, FsxCallError } from '../lib/aws/fsx.ts';
import { createLedger } from '../lib/aws/ledger.ts';
import { createLogsClient, DEFAULT_MAX_EVENTS } from '../lib/aws/logs.ts';
import { describeWindow } from '../lib/scan/window.ts';
import { loadConfig, loadReexportConfig } from '../lib/shared/config.ts';
import { describeError } from '../lib/shared/errors.ts';
import { DEFAULT_LOG_GROUP } from '../lib/shared/fsx.ts';
import { explainFsxError } from '../lib/shared/fsx-errors.ts';
import type { FsxPort, FsxTaskPort, LedgerPort } from '../lib/shared/ports.ts';
import { display, sanitize } from '../lib/shared/text.ts';
import type {
  Association,
  ExportTask,
  FailureClass,
  FailureRecord,
  Plan,
} from '../lib/shared/types.ts';
import {
  clientOptions,
  complain,
  EXIT_FAILURE,
  EXIT_OK,
  type Io,
  line,
  PROGRAM,
  parseOrUsage,
  plural,
  UsageError,
} from './common.ts';
import { readWindow, WINDOW_ARGS, type WindowOptions, windowOptions } from './scan.ts';

/*
 * `reexport`: after a person fixed the cause (a bucket policy, a KMS key...), re-exports the paths
 * that failed with the chosen classes in a window. Same plan as the Lambda (lib/plan.ts: relative
 * paths, deduplicated, at most 100 per task, deterministic ClientRequestToken, report path inside
 * a data repository association), but with no busy delay: a person is acting now. Shows the plan,
 * asks before starting (or --yes), and --dry-run never calls FSx.
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

const help = `Usage: ${PROGRAM} reexport [--log-group NAME] --class CLASS[,CLASS] [options]

After you fixed the cause of export failures (a bucket policy, a KMS key, a path...), re-exports
the files that failed with CLASS in the window: reads the window as "scan" does, plans
EXPORT_TO_REPOSITORY tasks with the same rules as the Lambda (paths relative to the file-system
root, deduplicated, at most 100 per task, a deterministic ClientRequestToken so a second run
starts nothing new, a completion report inside a data repository association), shows the plan,
asks, then starts the tasks. Busy files are not delayed: you are acting now. A relative window
(--since 24h) moves with the clock, and with it the tokens: to run the same plan again, use the
command it prints at the end, which pins --since and --until.

Classes: ${[...EXPORT_CLASSES].join(', ')} (import, report and unknown are not export failures).

Options:
  --log-group NAME        log group to read, name or ARN (default ${DEFAULT_LOG_GROUP})
  --class CLASS[,CLASS]   the classes to re-export (required; repeatable)
  --file-system-id ID     only the streams datarepo_ID of this file system
  --since TIME            window start: a duration before now (24h, 90m, 7d) or an ISO-8601
                          time; default 24h
  --until TIME            window end, excluded; same forms; default now
  --dry-run               show the plan and stop: never calls FSx (report paths and paths
                          known only by S3 key are resolved at start time)
  --yes                   start without asking (needed when standard input is not a terminal)
  --region REGION         AWS Region (default: AWS_REGION, the profile's Region)
  --max-events N          stop when the window holds more than N events (default ${DEFAULT_MAX_EVENTS})
  -h, --help              this text

Environment: REPORT_PATH overrides the completion-report path. With LEDGER_TABLE (the deployed
stack's table), started tasks are recorded as attempts and tracked, so the stack's outcome check
emails their results. Needs logs:FilterLogEvents, fsx:DescribeDataRepositoryAssociations,
fsx:DescribeDataRepositoryTasks and fsx:CreateDataRepositoryTask (and dynamodb:* on the table).

Exit status: 0 every task started (or already started, or nothing to do, or declined);
1 FSx refused a task, or an AWS call failed; 2 bad usage, unknown log group, missing
permission or credentials, or standard input is not a terminal without --yes.
`;

/** The AWS clients reexport uses; tests pass clients pointed at local servers. */
interface ReexportDeps {
  readonly logsClient?: (region: string | undefined) => CloudWatchLogsClient;
  readonly fsxClient?: (region: string | undefined) => FSxClient;
  readonly dynamoClient?: (region: string | undefined) => DynamoDBClient;
  readonly now?: () => number;
}

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

/** Associations of the file systems the plan needs; a failure is kept as that file system's error. */
async function readAssociations(
  records: readonly FailureRecord[],
  classes: ReadonlySet<FailureClass>,
  reportPath: string | undefined,
  fsx: FsxPort,
): Promise<Pick<PlanOptions, 'associations' | 'associationErrors'>> {
  const associations = new Map<string, readonly Association[]>();
  const associationErrors = new Map<string, string>();
  for (const fileSystemId of associationsNeeded(records, reportPath, classes)) {
    try {
      associations.set(fileSystemId, await fsx.listAssociations(fileSystemId));
    } catch (error) {
      // An SDK error's message rarely says what it is ("not authorized"): its name does.
      const name = error instanceof FsxCallError ? 'Error' : errorName(error);
      associationErrors.set(
        fileSystemId,
        name === 'Error' ? describeError(error) : `${name}: ${describeError(error)}`,
      );
    }
  }
  return { associations, associationErrors };
}

type StartOutcome =
  | { readonly status: 'started' | 'already started'; readonly taskId: string }
  | { readonly status: 'refused'; readonly reason: string };

/**
 * Starts one task, as the Lambda does (same adapter, same FSx error table). "Already started" is
 * told apart by FSx's idempotency: the same token returns the task it started before, which was
 * active before this run, or has even ended (a new task is PENDING or EXECUTING).
 */
async function startTask(
  task: ExportTask,
  fsx: FsxPort,
  activeBefore: ReadonlySet<string>,
  associationError: string | undefined,
): Promise<StartOutcome> {
  if (task.reportPath === undefined) {
    return {
      status: 'refused',
      reason:
        associationError === undefined
          ? 'no completion report path: the file system has no data repository association; set REPORT_PATH'
          : `no completion report path: the data repository associations could not be read (${display(associationError, 300)}); allow fsx:DescribeDataRepositoryAssociations or set REPORT_PATH`,
    };
  }
  const result = await fsx.startExport({
    fileSystemId: task.fileSystemId,
    paths: task.paths,
    clientRequestToken: task.clientRequestToken,
    reportPath: task.reportPath,
  });
  if (!result.ok) {
    const info = explainFsxError(result.error);
    const when = info.retryLater
      ? ' Try again later: the same command starts only what is missing.'
      : '';
    return {
      status: 'refused',
      reason: `${result.error}: ${info.meaning} (${display(result.message, 300)}).${when}`,
    };
  }
  const fresh =
    !activeBefore.has(result.taskId) &&
    (result.lifecycle === 'PENDING' || result.lifecycle === 'EXECUTING');
  return { status: fresh ? 'started' : 'already started', taskId: result.taskId };
}

/** Task ids active on each file system before starting: to recognise "already started". */
async function activeTaskIds(
  fileSystems: readonly string[],
  fsx: FsxTaskPort,
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const fileSystemId of fileSystems) {
    try {
      for (const task of await fsx.activeTasks(fileSystemId)) ids.add(task.taskId);
    } catch {
      // Only the wording "started" / "already started" depends on it; starting goes on.
    }
  }
  return ids;
}

/** Runs `reexport`; see `help`. */
async function command(args: string[], io: Io, deps: ReexportDeps = {}): Promise<number> {
  const { values } = parseOrUsage('reexport', () =>
    parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        ...WINDOW_ARGS,
        class: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    io.stdout(help);
    return EXIT_OK;
  }
  const classes = parseClasses(values.class ?? []);
  const now = deps.now ?? Date.now;
  const options = windowOptions(values, 'reexport', now());
  const dryRun = values['dry-run'] === true;
  const yes = values.yes === true;
  if (dryRun && yes) throw new UsageError('--dry-run and --yes cannot be combined', 'reexport');
  // Checked before any AWS call: a script without --yes should fail fast, not after the read.
  if (!dryRun && !yes && (io.stdinIsTTY !== true || io.prompt === undefined)) {
    throw new UsageError(
      'standard input is not a terminal: pass --yes to start without asking',
      'reexport',
    );
  }
  const config = loadConfig({ DRY_RUN: 'true', REPORT_PATH: io.env['REPORT_PATH'] });
  const { ledgerTable, attemptWindowHours } = loadReexportConfig({
    LEDGER_TABLE: io.env['LEDGER_TABLE'],
    ATTEMPT_WINDOW_HOURS: io.env['ATTEMPT_WINDOW_HOURS'],
  });
  const region = values.region;

  const logs = (deps.logsClient ?? createLogsClient)(region);
  let records: FailureRecord[];
  let unparseable: number;
  let events: number;
  try {
    const read = await readWindow(logs, options, options.window, 'window', io, now);
    if (typeof read === 'number') return read;
    const analysis = analyzeBatches(read.batches);
    records = analysis.records.filter((record) => classes.has(record.class));
    unparseable = analysis.unparseable.length;
    events = analysis.events;
  } finally {
    logs.destroy();
  }
  io.stdout(
    line(
      `${plural(records.length, 'failure')} of class ${[...classes].join(', ')} among ${plural(events, 'event')} of ${sanitize(options.logGroup)}, ${describeWindow(options.window)}.`,
    ),
  );
  if (unparseable > 0) {
    // Their paths are unknown, so they cannot be re-exported; scan shows them.
    io.stdout(
      line(
        `${plural(unparseable, 'event')} could not be read as FSx records and may hide more failures: "scan" shows samples.`,
      ),
    );
  }
  if (records.length === 0) {
    io.stdout('Nothing to re-export.\n');
    return EXIT_OK;
  }

  const planOptions = (extra: Pick<PlanOptions, 'associations' | 'associationErrors'>) => ({
    maxPathsPerTask: 100,
    // A person is acting now: busy files are re-exported at once, as they asked.
    busyDelaySeconds: 0,
    reportPath: config.reportPath,
    classes,
    ...extra,
  });
  if (dryRun) {
    const plan = planReexports(
      records,
      planOptions({ associations: new Map(), associationErrors: new Map() }),
    );
    io.stdout(line(planLines(plan, records.length, true).join('\n')));
    io.stdout(
      '\nDry run: nothing started and FSx not called. Report paths, and the paths of failures known only by S3 key, are resolved from the data repository associations at start time.\n',
    );
    io.stdout(
      line(
        `To start this plan (the same window, pinned):\n  ${rerunCommand(options, classes, region)} --yes`,
      ),
    );
    return EXIT_OK;
  }

  const fsxClient = deps.fsxClient?.(region) ?? new FSxClient(clientOptions(region));
  try {
    const fsx = createFsxAdapter(fsxClient, { cacheSeconds: 0 });
    const associations = await readAssociations(records, classes, config.reportPath, fsx);
    const plan = planReexports(records, planOptions(associations));
    io.stdout(line(planLines(plan, records.length, false).join('\n')));
    if (plan.tasks.length === 0) {
      io.stdout('\nNothing to start.\n');
      if (plan.unplanned.length === 0) return EXIT_OK;
      complain(
        io,
        `nothing started: ${plural(plan.unplanned.length, 'failure')} could not be planned; see "Not re-exported" above for why`,
      );
      return EXIT_FAILURE;
    }
    const fileSystems = [...new Set(plan.tasks.map((task) => task.fileSystemId))];
    if (!yes) {
      const answer = await io.prompt?.(
        `Start ${plural(plan.tasks.length, 'export task')} on ${plural(fileSystems.length, 'file system')}? [y/N] `,
      );
      if (!/^\s*y(?:es)?\s*$/i.test(answer ?? '')) {
        io.stdout('Nothing started.\n');
        return EXIT_OK;
      }
    }
    const ledger: LedgerPort | undefined =
      ledgerTable === undefined
        ? undefined
        : createLedger(deps.dynamoClient?.(region) ?? new DynamoDBClient(clientOptions(region)), {
            tableName: ledgerTable,
            attemptWindowHours,
          });
    const activeBefore = await activeTaskIds(fileSystems, fsx);
    let refused = 0;
    let unrecorded = 0;
    let ledgerProblem = '';
    io.stdout('\n');
    for (const task of plan.tasks) {
      const outcome = await startTask(
        task,
        fsx,
        activeBefore,
        associations.associationErrors.get(task.fileSystemId),
      );
      const what = `${task.fileSystemId} ${plural(task.paths.length, 'path')}`;
      if (outcome.status === 'refused') {
        refused++;
        // FSx's error names and task ids come from the endpoint: escaped like any AWS text.
        io.stdout(line(`refused          ${what}: ${sanitize(outcome.reason)}`));
        continue;
      }
      io.stdout(
        line(
          outcome.status === 'started'
            ? `started          ${what}: ${sanitize(outcome.taskId)}`
            : `already started  ${what}: ${sanitize(outcome.taskId)} (same token ${task.clientRequestToken})`,
        ),
      );
      if (ledger !== undefined && task.reportPath !== undefined) {
        // Idempotent per task id: a second run records and tracks nothing new. A ledger failure
        // must not keep the next tasks from starting: it is counted and reported once at the end.
        const at = new Date(now());
        try {
          await ledger.recordAttempt(task.fileSystemId, task.paths, outcome.taskId, at);
          await ledger.trackTask({
            taskId: outcome.taskId,
            fileSystemId: task.fileSystemId,
            paths: task.paths,
            clientRequestToken: task.clientRequestToken,
            reportPath: task.reportPath,
            startedAt: at.toISOString(),
            startedBy: 'reexport',
          });
        } catch (error) {
          unrecorded++;
          ledgerProblem = describeError(error);
        }
      }
    }
    // The same window pinned: the command a person can run again to start only what is missing.
    const again = `${rerunCommand(options, classes, region)} --yes`;
    if (refused > 0) {
      io.stdout(
        line(
          `\nOnce the cause is gone (e.g. the running task has ended), start the rest with the same window:\n  ${again}`,
        ),
      );
      complain(io, `${plural(refused, 'task')} of ${plan.tasks.length} refused (see above)`);
    } else {
      io.stdout(line(`\nThe same window again (starts nothing new):\n  ${again}`));
    }
    if (unrecorded > 0) {
      complain(
        io,
        `${plural(unrecorded, 'started task')} could not be recorded in LEDGER_TABLE ${ledgerTable} (${ledgerProblem}): the stack will not email their outcome; check the table and dynamodb permissions`,
      );
    }
    return refused > 0 || unrecorded > 0 ? EXIT_FAILURE : EXIT_OK;
  } finally {
    fsxClient.destroy();
  }
}

export type { ReexportDeps };
export { command, help, parseClasses };

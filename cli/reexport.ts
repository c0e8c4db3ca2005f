import { parseArgs } from 'node:util';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FSxClient } from '@aws-sdk/client-fsx';
import { analyzeBatches } from '../lib/analyze/analysis.ts';
import { type PlanOptions, planReexports } from '../lib/analyze/plan.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { clientOptions } from '../lib/aws/http.ts';
import { createLedger } from '../lib/aws/ledger.ts';
import { createLogsClient, createLogWindowReader, DEFAULT_MAX_EVENTS } from '../lib/aws/logs.ts';
import { recordStart } from '../lib/reexport/rules.ts';
import { describeWindow } from '../lib/scan/window.ts';
import { loadConfig, loadReexportConfig } from '../lib/shared/config.ts';
import { describeError } from '../lib/shared/errors.ts';
import { DEFAULT_LOG_GROUP } from '../lib/shared/fsx.ts';
import type { FsxPort, FsxTaskPort, LedgerPort } from '../lib/shared/ports.ts';
import { sanitize } from '../lib/shared/text.ts';
import type { FailureClass, FailureRecord, Plan } from '../lib/shared/types.ts';
import {
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
import { readWindow, WINDOW_ARGS, type WindowOptions, windowOptions } from './log-window.ts';
import { EXPORT_CLASSES, parseClasses, planLines, rerunCommand } from './reexport-plan.ts';
import { activeTaskIds, readAssociations, startTask } from './reexport-tasks.ts';

/*
 * `reexport`: after a person fixed the cause (a bucket policy, a KMS key...), re-exports the paths
 * that failed with the chosen classes in a window. Same plan as the Lambda (lib/analyze/plan.ts,
 * lib/reexport/rules.ts: relative paths, deduplicated, at most 100 per task, deterministic
 * ClientRequestToken, report path inside a data repository association), but with no busy delay:
 * a person is acting now. Shows the plan, asks before starting (or --yes), and --dry-run never
 * calls FSx (docs/cli.md#reexport).
 */

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

/** What a run needs once its arguments are read: the window, the classes, the settings. */
interface Run {
  readonly io: Io;
  readonly deps: ReexportDeps;
  readonly now: () => number;
  readonly window: WindowOptions;
  readonly classes: ReadonlySet<FailureClass>;
  readonly region: string | undefined;
  readonly reportPath: string | undefined;
  readonly ledgerTable: string | undefined;
  readonly attemptWindowHours: number;
}

/** The plan's options: the Lambda's, without the busy delay, for the chosen classes. */
function planOptions(
  run: Run,
  extra: Pick<PlanOptions, 'associations' | 'associationErrors'>,
): PlanOptions {
  return {
    maxPathsPerTask: 100,
    // A person is acting now: busy files are re-exported at once, as they asked.
    busyDelaySeconds: 0,
    reportPath: run.reportPath,
    classes: run.classes,
    ...extra,
  };
}

/**
 * Reads the window and prints what it holds; the failures of the chosen classes, or the exit
 * status when there is nothing more to do (the read failed, or nothing to re-export).
 */
async function readFailures(run: Run): Promise<FailureRecord[] | number> {
  const { io, window: options, classes } = run;
  const client = (run.deps.logsClient ?? createLogsClient)(run.region);
  let records: FailureRecord[];
  let unparseable: number;
  let events: number;
  try {
    const logs = createLogWindowReader(client);
    const read = await readWindow(logs, options, options.window, 'window', io, run.now);
    if (typeof read === 'number') return read;
    const analysis = analyzeBatches(read.batches);
    records = analysis.records.filter((record) => classes.has(record.class));
    unparseable = analysis.unparseable.length;
    events = analysis.events;
  } finally {
    client.destroy();
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
  return records;
}

/** --dry-run: the plan without associations, and the command that starts it. */
function showDryRun(run: Run, records: readonly FailureRecord[]): number {
  const { io } = run;
  const plan = planReexports(
    records,
    planOptions(run, { associations: new Map(), associationErrors: new Map() }),
  );
  io.stdout(line(planLines(plan, records.length, true).join('\n')));
  io.stdout(
    '\nDry run: nothing started and FSx not called. Report paths, and the paths of failures known only by S3 key, are resolved from the data repository associations at start time.\n',
  );
  io.stdout(
    line(
      `To start this plan (the same window, pinned):\n  ${rerunCommand(run.window, run.classes, run.region)} --yes`,
    ),
  );
  return EXIT_OK;
}

/** Whether to start: --yes, or the person's answer to the question. */
async function confirmed(run: Run, plan: Plan, yes: boolean): Promise<boolean> {
  if (yes) return true;
  const fileSystems = new Set(plan.tasks.map((task) => task.fileSystemId));
  const answer = await run.io.prompt?.(
    `Start ${plural(plan.tasks.length, 'export task')} on ${plural(fileSystems.size, 'file system')}? [y/N] `,
  );
  if (/^\s*y(?:es)?\s*$/i.test(answer ?? '')) return true;
  run.io.stdout('Nothing started.\n');
  return false;
}

/** The ledger of LEDGER_TABLE, where started tasks are recorded; undefined when it is not set. */
function openLedger(run: Run): LedgerPort | undefined {
  if (run.ledgerTable === undefined) return undefined;
  const client =
    run.deps.dynamoClient?.(run.region) ?? new DynamoDBClient(clientOptions(run.region));
  return createLedger(client, {
    tableName: run.ledgerTable,
    attemptWindowHours: run.attemptWindowHours,
  });
}

/** What starting the tasks came to: refusals, and started tasks the ledger did not take. */
interface Started {
  readonly refused: number;
  readonly unrecorded: number;
  readonly ledgerProblem: string;
}

/** Starts every task of the plan, one line each, and records the started ones in the ledger. */
async function startAll(
  run: Run,
  plan: Plan,
  fsx: FsxPort & FsxTaskPort,
  associationErrors: ReadonlyMap<string, string>,
): Promise<Started> {
  const { io } = run;
  const ledger = openLedger(run);
  const fileSystems = [...new Set(plan.tasks.map((task) => task.fileSystemId))];
  const activeBefore = await activeTaskIds(fileSystems, fsx);
  let refused = 0;
  let unrecorded = 0;
  let ledgerProblem = '';
  io.stdout('\n');
  for (const task of plan.tasks) {
    const association = associationErrors.get(task.fileSystemId);
    const outcome = await startTask(task, fsx, activeBefore, association);
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
      const request = { ...task, reportPath: task.reportPath };
      try {
        await recordStart(ledger, request, outcome.taskId, new Date(run.now()), 'reexport');
      } catch (error) {
        unrecorded++;
        ledgerProblem = describeError(error);
      }
    }
  }
  return { refused, unrecorded, ledgerProblem };
}

/** The closing lines: the command to run again, what was refused or not recorded; the exit status. */
function finish(run: Run, plan: Plan, started: Started): number {
  const { io } = run;
  // The same window pinned: the command a person can run again to start only what is missing.
  const again = `${rerunCommand(run.window, run.classes, run.region)} --yes`;
  if (started.refused > 0) {
    io.stdout(
      line(
        `\nOnce the cause is gone (e.g. the running task has ended), start the rest with the same window:\n  ${again}`,
      ),
    );
    complain(io, `${plural(started.refused, 'task')} of ${plan.tasks.length} refused (see above)`);
  } else {
    io.stdout(line(`\nThe same window again (starts nothing new):\n  ${again}`));
  }
  if (started.unrecorded > 0) {
    complain(
      io,
      `${plural(started.unrecorded, 'started task')} could not be recorded in LEDGER_TABLE ${run.ledgerTable} (${started.ledgerProblem}): the stack will not email their outcome; check the table and dynamodb permissions`,
    );
  }
  return started.refused > 0 || started.unrecorded > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** Plans with the associations FSx gives, shows the plan, asks, and starts it. */
async function startPlan(run: Run, records: readonly FailureRecord[], yes: boolean) {
  const { io } = run;
  const fsxClient = run.deps.fsxClient?.(run.region) ?? new FSxClient(clientOptions(run.region));
  try {
    const fsx = createFsxAdapter(fsxClient, { cacheSeconds: 0 });
    const associations = await readAssociations(records, run.classes, run.reportPath, fsx);
    const plan = planReexports(records, planOptions(run, associations));
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
    if (!(await confirmed(run, plan, yes))) return EXIT_OK;
    return finish(run, plan, await startAll(run, plan, fsx, associations.associationErrors));
  } finally {
    fsxClient.destroy();
  }
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
  const window = windowOptions(values, 'reexport', now());
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
  const run: Run = {
    io,
    deps,
    now,
    window,
    classes,
    region: values.region,
    reportPath: config.reportPath,
    ledgerTable,
    attemptWindowHours,
  };
  const records = await readFailures(run);
  if (typeof records === 'number') return records;
  return dryRun ? showDryRun(run, records) : startPlan(run, records, yes);
}

export type { ReexportDeps };
export { command, help };

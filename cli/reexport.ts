import { parseArgs } from 'node:util';
import { FSxClient } from '@aws-sdk/client-fsx';
import { analyzeBatches } from '../lib/analyze/analysis.ts';
import { planReexports } from '../lib/analyze/plan.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { clientOptions } from '../lib/aws/http.ts';
import { createLogsClient, createLogWindowReader, DEFAULT_MAX_EVENTS } from '../lib/aws/logs.ts';
import { loadConfig, loadReexportConfig } from '../lib/common/config.ts';
import { DEFAULT_LOG_GROUP } from '../lib/common/fsx.ts';
import { sanitize } from '../lib/common/text.ts';
import type { FailureRecord, Plan } from '../lib/common/types.ts';
import { describeWindow } from '../lib/scan/window.ts';
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
import { joinDashedTimes, readWindow, WINDOW_ARGS, windowOptions } from './log-window.ts';
import {
  EXPORT_CLASSES,
  MAX_SAMPLE_PATHS,
  parseClasses,
  planLines,
  rerunCommand,
} from './reexport-plan.ts';
import {
  finish,
  planOptions,
  printJson,
  type ReexportDeps,
  type Run,
  say,
  startAll,
  type WindowRead,
} from './reexport-run.ts';
import { associationWarnings, readAssociations } from './reexport-tasks.ts';

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
  --paths                 list every path of every task, and every failure not re-exported
                          (default: the first ${MAX_SAMPLE_PATHS} of each)
  --json                  print only one JSON document: the plan (every task with its file
                          system, paths, token and report path; every failure left out, with
                          its reason), warnings, and what each task gave (started, already
                          started, refused); needs --yes or --dry-run, as nothing can be asked
  --region REGION         AWS Region (default: AWS_REGION, the profile's Region)
  --max-events N          stop when the window holds more than N events (default ${DEFAULT_MAX_EVENTS})
  -h, --help              this text

Before asking, a data repository association that is MISCONFIGURED (automatic export has
stopped there) is named on stderr. A path under no association of its file system is not
re-exported: it is listed under "Not re-exported" with its reason.

Environment: REPORT_PATH overrides the completion-report path. With LEDGER_TABLE (the deployed
stack's table), started tasks are recorded as attempts and tracked, so the stack's outcome check
emails their results. Needs logs:FilterLogEvents, fsx:DescribeDataRepositoryAssociations,
fsx:DescribeDataRepositoryTasks and fsx:CreateDataRepositoryTask; with LEDGER_TABLE also
dynamodb:UpdateItem, dynamodb:PutItem and dynamodb:GetItem on the table.

Exit status: 0 every task started (or already started, or nothing to do, or declined);
1 FSx refused a task, an AWS call failed, nothing started because every failure was left out
(see "Not re-exported"), or tasks started but not recorded in LEDGER_TABLE (every task is still
started); 2 bad usage (including --dry-run with --yes), unknown log group, missing permission or
credentials, standard input is not a terminal without --yes, or --json without --yes or
--dry-run.
`;

/**
 * Reads the window and prints what it holds: the failures of the chosen classes with the counts
 * around them, or the exit status when the read failed.
 */
async function readFailures(run: Run): Promise<WindowRead | number> {
  const { window: options, classes, io } = run;
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
  say(
    run,
    line(
      `${plural(records.length, 'failure')} of class ${[...classes].join(', ')} among ${plural(events, 'event')} of ${sanitize(options.logGroup)}, ${describeWindow(options.window)}.`,
    ),
  );
  if (unparseable > 0) {
    // Their paths are unknown, so they cannot be re-exported; scan shows them.
    say(
      run,
      line(
        `${plural(unparseable, 'event')} could not be read as FSx records and may hide more failures: "scan" shows samples.`,
      ),
    );
  }
  return { records, events, unparseable };
}

/** --dry-run: the plan without associations, and the command that starts it. */
function showDryRun(run: Run, read: WindowRead): number {
  const plan = planReexports(
    read.records,
    planOptions(run, { associations: new Map(), associationErrors: new Map() }),
  );
  const view = { dryRun: true, allPaths: run.allPaths };
  say(run, line(planLines(plan, read.records.length, view).join('\n')));
  say(
    run,
    '\nDry run: nothing started and FSx not called. Report paths, and the paths of failures known only by S3 key, are resolved from the data repository associations at start time.\n',
  );
  say(
    run,
    line(
      `To start this plan (the same window, pinned):\n  ${rerunCommand(run.window, run.classes, run.region)} --yes`,
    ),
  );
  printJson(run, read, plan, [], []);
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

/**
 * Plans with the associations FSx gives (the plan leaves out paths outside every association,
 * with their reason), shows the plan and warns of MISCONFIGURED associations, asks, and starts it.
 */
async function startPlan(run: Run, read: WindowRead, yes: boolean) {
  const { io } = run;
  const fsxClient = run.deps.fsxClient?.(run.region) ?? new FSxClient(clientOptions(run.region));
  try {
    const fsx = createFsxAdapter(fsxClient, { cacheSeconds: 0 });
    const associations = await readAssociations(read.records, run.classes, fsx);
    const warnings = associationWarnings(associations.associations);
    const plan = planReexports(read.records, planOptions(run, associations));
    const view = { dryRun: false, allPaths: run.allPaths };
    say(run, line(planLines(plan, read.records.length, view).join('\n')));
    for (const warning of warnings) complain(io, `warning: ${warning.message}`);
    if (plan.tasks.length === 0) {
      say(run, '\nNothing to start.\n');
      printJson(run, read, plan, warnings, []);
      if (plan.unplanned.length === 0) return EXIT_OK;
      const where = run.json ? '"notReexported"' : '"Not re-exported" above';
      complain(
        io,
        `nothing started: ${plural(plan.unplanned.length, 'failure')} could not be planned; see ${where} for why`,
      );
      return EXIT_FAILURE;
    }
    if (!(await confirmed(run, plan, yes))) return EXIT_OK;
    const started = await startAll(run, plan, fsx, associations.associationErrors);
    printJson(run, read, plan, warnings, started.results);
    return finish(run, plan, started);
  } finally {
    fsxClient.destroy();
  }
}

/** Runs `reexport`; see `help`. */
async function command(args: string[], io: Io, deps: ReexportDeps = {}): Promise<number> {
  const { values } = parseOrUsage('reexport', () =>
    parseArgs({
      args: joinDashedTimes(args),
      allowPositionals: false,
      strict: true,
      options: {
        ...WINDOW_ARGS,
        class: { type: 'string', multiple: true },
        'dry-run': { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        json: { type: 'boolean' },
        paths: { type: 'boolean' },
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
  const json = values.json === true;
  if (dryRun && yes) throw new UsageError('--dry-run and --yes cannot be combined', 'reexport');
  if (json && !dryRun && !yes) {
    throw new UsageError(
      '--json prints one document and cannot ask: pass --yes to start without asking, or --dry-run',
      'reexport',
    );
  }
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
    dryRun,
    json,
    allPaths: values.paths === true,
  };
  const read = await readFailures(run);
  if (typeof read === 'number') return read;
  if (read.records.length === 0) {
    say(run, 'Nothing to re-export.\n');
    printJson(run, read, { tasks: [], unplanned: [], awaitingMapping: [] }, [], []);
    return EXIT_OK;
  }
  return dryRun ? showDryRun(run, read) : startPlan(run, read, yes);
}

export type { ReexportDeps };
export { command, help };

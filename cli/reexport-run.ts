import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { FSxClient } from '@aws-sdk/client-fsx';
import type { PlanOptions } from '../lib/analyze/plan.ts';
import { clientOptions } from '../lib/aws/http.ts';
import { createLedger } from '../lib/aws/ledger.ts';
import { describeError } from '../lib/common/errors.ts';
import type { FsxPort, FsxTaskPort, LedgerPort } from '../lib/common/ports.ts';
import { sanitize } from '../lib/common/text.ts';
import type { ExportTask, FailureClass, FailureRecord, Plan } from '../lib/common/types.ts';
import { recordStart } from '../lib/reexport/rules.ts';
import { complain, EXIT_FAILURE, EXIT_OK, type Io, line, plural } from './common.ts';
import type { WindowOptions } from './log-window.ts';
import { type RunRecord, rerunCommand, runJson } from './reexport-plan.ts';
import {
  type AssociationWarning,
  activeTaskIds,
  type StartOutcome,
  startTask,
} from './reexport-tasks.ts';

/*
 * A run of `reexport` once its arguments are read: its settings, how it prints (text for a
 * person, or one JSON document), and the start of its plan with the ledger and the closing lines.
 */

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
  readonly dryRun: boolean;
  /** --json: stdout holds only the document, printed once at the end. */
  readonly json: boolean;
  /** --paths: every path and item instead of a sample. */
  readonly allPaths: boolean;
}

/** What the window held: the failures of the chosen classes, and the counts around them. */
interface WindowRead {
  readonly records: FailureRecord[];
  readonly events: number;
  readonly unparseable: number;
}

/** Prints text for a person; nothing with --json, whose document is all stdout holds. */
function say(run: Run, text: string): void {
  if (!run.json) run.io.stdout(text);
}

/** With --json, prints the document of the run: the plan, its warnings, the results. */
function printJson(
  run: Run,
  read: WindowRead,
  plan: Plan,
  warnings: readonly AssociationWarning[],
  results: RunRecord['results'],
): void {
  if (!run.json) return;
  const { records, events, unparseable } = read;
  run.io.stdout(
    line(
      runJson({
        window: run.window,
        classes: run.classes,
        dryRun: run.dryRun,
        events,
        failures: records.length,
        unparseable,
        plan,
        warnings,
        results,
        rerun: `${rerunCommand(run.window, run.classes, run.region)} --yes`,
      }),
    ),
  );
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

/** What starting the tasks came to: each outcome, refusals, started tasks the ledger did not take. */
interface Started {
  readonly results: RunRecord['results'];
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
  const ledger = openLedger(run);
  const fileSystems = [...new Set(plan.tasks.map((task) => task.fileSystemId))];
  const activeBefore = await activeTaskIds(fileSystems, fsx);
  let refused = 0;
  let unrecorded = 0;
  let ledgerProblem = '';
  const results: { task: ExportTask; outcome: StartOutcome }[] = [];
  say(run, '\n');
  for (const task of plan.tasks) {
    const association = associationErrors.get(task.fileSystemId);
    const outcome = await startTask(task, fsx, activeBefore, association);
    results.push({ task, outcome });
    const what = `${task.fileSystemId} ${plural(task.paths.length, 'path')}`;
    if (outcome.status === 'refused') {
      refused++;
      // FSx's error names and task ids come from the endpoint: escaped like any AWS text.
      say(run, line(`refused          ${what}: ${sanitize(outcome.reason)}`));
      continue;
    }
    say(
      run,
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
  return { results, refused, unrecorded, ledgerProblem };
}

/** The closing lines: the command to run again, what was refused or not recorded; the exit status. */
function finish(run: Run, plan: Plan, started: Started): number {
  const { io } = run;
  // The same window pinned: the command a person can run again to start only what is missing.
  const again = `${rerunCommand(run.window, run.classes, run.region)} --yes`;
  if (started.refused > 0) {
    say(
      run,
      line(
        `\nOnce the cause is gone (e.g. the running task has ended), start the rest with the same window:\n  ${again}`,
      ),
    );
    const where = run.json ? 'see "results"' : 'see above';
    complain(io, `${plural(started.refused, 'task')} of ${plan.tasks.length} refused (${where})`);
  } else {
    say(run, line(`\nThe same window again (starts nothing new):\n  ${again}`));
  }
  if (started.unrecorded > 0) {
    complain(
      io,
      `${plural(started.unrecorded, 'started task')} could not be recorded in LEDGER_TABLE ${run.ledgerTable} (${started.ledgerProblem}): the stack will not email their outcome; check the table and dynamodb permissions`,
    );
  }
  return started.refused > 0 || started.unrecorded > 0 ? EXIT_FAILURE : EXIT_OK;
}

export type { ReexportDeps, Run, WindowRead };
export { finish, planOptions, printJson, say, startAll };

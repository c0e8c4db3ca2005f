import { describeError } from '../common/errors.ts';
import type {
  FsxTaskPort,
  LedgerPort,
  ReportPort,
  ReportRead,
  TaskStatus,
  TrackedTask,
} from '../common/ports.ts';
import { type CompletionReport, type DescribeCode, interpretReport } from './report.ts';
import { failuresCsvPath } from './rules.ts';

/*
 * The outcome check, without AWS: which of the tasks we started have ended, and what FSx says
 * about them. functions/outcomes.ts runs it on a schedule and emails one follow-up per run.
 */

/** Lifecycles after which a task changes no more. */
const FINAL_LIFECYCLES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);
/** A task FSx does not know after this long is closed as UNKNOWN (expired from its history). */
const UNKNOWN_AFTER_MS = 24 * 60 * 60 * 1000;

/** A tracked task whose outcome this run reports. */
interface FinishedTask {
  readonly tracked: TrackedTask;
  /** SUCCEEDED, FAILED, CANCELED, or UNKNOWN when FSx no longer knows the task. */
  readonly lifecycle: string;
  /** What FSx reported; undefined for UNKNOWN. */
  readonly status: TaskStatus | undefined;
  /** Where FSx wrote the failed files of the task, when it has a completion report. */
  readonly failuresCsv: string | undefined;
  /** What failures.csv said, or why it could not be read; absent when not read. */
  readonly report?: CompletionReport;
}

/** What one outcome check found; the follow-up email and the metrics read only this. */
interface OutcomeReport {
  readonly generatedAt: string;
  readonly region: string | undefined;
  /** Tasks that ended since the last run, in start order; reported by this run only. */
  readonly finished: readonly FinishedTask[];
  /** Tasks still PENDING or EXECUTING (or briefly unknown), checked again on the next run. */
  readonly stillOpen: number;
}

interface OutcomeOptions {
  readonly region: string | undefined;
  /** Clock; injectable for tests. */
  readonly now?: () => Date;
  /** Classifies completion-report codes; with `reports`, failures.csv is read back. */
  readonly describeCode?: DescribeCode;
}

interface OutcomePorts {
  readonly ledger: LedgerPort;
  readonly fsx: FsxTaskPort;
  /** Reads completion reports; without it (or `describeCode`) reports are only pointed at. */
  readonly reports?: ReportPort;
}

function byStart(a: TrackedTask, b: TrackedTask): number {
  if (a.startedAt !== b.startedAt) return a.startedAt < b.startedAt ? -1 : 1;
  return a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0;
}

/**
 * Looks up every open task in FSx and closes those that ended (or that FSx has not known for a
 * day). Only the caller whose `closeTask` wins reports a task, so two overlapping runs never
 * report it twice. A failed task's paths need no new ledger entry: they were counted as attempts
 * when the task started. Ledger and FSx errors propagate (the scheduled run fails and the next
 * one tries again: nothing was closed that was not reported).
 */
async function checkOutcomes(ports: OutcomePorts, options: OutcomeOptions): Promise<OutcomeReport> {
  const now = options.now?.() ?? new Date();
  // The port promises no order. The DynamoDB ledger sorts by start time alone, and the retrier
  // starts tasks on several file systems at the same instant: the task id breaks those ties, so
  // the email lists them the same way on every run.
  const open = [...(await ports.ledger.openTasks())].sort(byStart);
  const statuses =
    open.length === 0 ? [] : await ports.fsx.describeTasks(open.map((task) => task.taskId));
  const byId = new Map<string, TaskStatus>();
  for (const status of statuses) byId.set(status.taskId, status);
  const finished: FinishedTask[] = [];
  let stillOpen = 0;
  for (const tracked of open) {
    const status = byId.get(tracked.taskId);
    let lifecycle: string;
    if (status !== undefined && FINAL_LIFECYCLES.has(status.lifecycle)) {
      lifecycle = status.lifecycle;
    } else if (
      status === undefined &&
      now.getTime() - Date.parse(tracked.startedAt) > UNKNOWN_AFTER_MS
    ) {
      lifecycle = 'UNKNOWN';
    } else {
      stillOpen++;
      continue;
    }
    if (!(await ports.ledger.closeTask(tracked.taskId, lifecycle, now))) continue;
    const reportPath = status?.reportPath ?? tracked.reportPath;
    finished.push({
      tracked,
      lifecycle,
      status,
      // A task that succeeded whole writes no failures.csv (FAILED_FILES_ONLY).
      failuresCsv:
        lifecycle === 'SUCCEEDED' && (status?.failedCount ?? 0) === 0
          ? undefined
          : failuresCsvPath(reportPath, tracked.taskId),
    });
  }
  const { reports } = ports;
  const { describeCode } = options;
  const read =
    reports === undefined || describeCode === undefined
      ? finished
      : await Promise.all(
          finished.map(async (task) => {
            if (task.failuresCsv === undefined) return task;
            // An S3 refusal comes back as a named error the email states. The tasks are closed
            // already: even a bug in the read must not lose their report.
            const got = await reports.read(task.failuresCsv).catch(
              (error: unknown): ReportRead => ({
                ok: false,
                error: error instanceof Error ? error.name : 'Error',
                message: describeError(error),
              }),
            );
            const report = interpretReport(task.failuresCsv, got, task.tracked.paths, describeCode);
            return { ...task, report };
          }),
        );
  return { generatedAt: now.toISOString(), region: options.region, finished: read, stillOpen };
}

/**
 * Marks on its attempt history every path a finished task re-exported that its completion report
 * says failed again, with the report's code: the next failure of that path is escalated to a
 * person with that code instead of re-exported again (rules.ts, reachedAttemptLimit). Idempotent;
 * a ledger error propagates, so the run fails before its email and the next run does it again.
 * Returns how many paths were marked.
 */
async function markFailedAgain(ledger: LedgerPort, report: OutcomeReport): Promise<number> {
  const at = new Date(report.generatedAt);
  let marked = 0;
  for (const finished of report.finished) {
    if (finished.report?.state !== 'read') continue;
    const seen = new Set<string>();
    for (const file of finished.report.files) {
      if (!file.escalated || seen.has(file.path)) continue;
      seen.add(file.path);
      const failure = { code: file.code, class: file.class, taskId: finished.tracked.taskId };
      await ledger.markFailed(finished.tracked.fileSystemId, file.path, failure, at);
      marked++;
    }
  }
  return marked;
}

export type { FinishedTask, OutcomeOptions, OutcomePorts, OutcomeReport };
export { checkOutcomes, markFailedAgain };

import { createHash } from 'node:crypto';
import { MAX_TASK_PATHS } from '../common/fsx.ts';
import { explainFsxError } from '../common/fsx-errors.ts';
import type { AttemptHistory, ExportRequest, LedgerPort, TrackedTask } from '../common/ports.ts';
import type { Association, Escalation } from '../common/types.ts';

/*
 * The rules of a re-export, each defined once: the analyzer's pipeline, the retrier and the CLI's
 * `reexport` all start tasks by them (docs/design.md#re-export-rules). Pure: no AWS.
 */

/** Folder under a data repository association's S3 path where our completion reports go. */
const REPORT_FOLDER = 'fsx-export-analyzer-reports';

/** Why a task was not started: an FSx error name (or `NoReportPath`), in words, and whether it may pass later. */
interface Refusal {
  readonly error: string;
  readonly reason: string;
  /** The same request can succeed later without a person (the task is queued when it can be). */
  readonly retryLater: boolean;
}

/**
 * Derives the idempotency token for a task from the file system, its paths and the log event ids
 * behind them: a duplicate delivery of the same batch gives the same token, so FSx returns the
 * task it already started instead of starting a second one. 47 characters of `[A-Za-z0-9_-]`
 * (docs/design.md#planning-a-task).
 */
function clientRequestToken(
  fileSystemId: string,
  paths: readonly string[],
  eventIds: readonly string[],
): string {
  const digest = createHash('sha256')
    .update(fileSystemId)
    .update('\0')
    .update(paths.join('\0'))
    .update('\0\0')
    .update(eventIds.join('\0'))
    .digest('base64url');
  return `fea-${digest.slice(0, 43)}`;
}

/**
 * Paths per task from a configured maximum: a whole number from 1 to the 100 FSx allows
 * (docs/fsx-facts.md#createdatarepositorytask).
 */
function pathsPerTask(configured: number): number {
  return Math.min(Math.max(1, Math.floor(configured)), MAX_TASK_PATHS);
}

function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

/**
 * An association's file-system path as paths are compared with it: relative to the root, with a
 * trailing slash (`ns1/`), or '' for the whole file system.
 */
function associationRoot(fileSystemPath: string): string {
  return withSlash(fileSystemPath).replace(/^\/+/, '');
}

/**
 * Whether a path relative to the file-system root lies under an association's root (see
 * associationRoot): the path with a trailing slash starts with the root, written without making
 * that string, as thousands of paths are checked against each association.
 */
function isUnderRoot(path: string, root: string): boolean {
  if (root === '' || path.startsWith(root)) return true;
  return root.length === path.length + 1 && !path.endsWith('/') && root.startsWith(path);
}

/** Whether a path relative to the file-system root lies under an association's path. */
function isUnder(path: string, fileSystemPath: string): boolean {
  return isUnderRoot(path, associationRoot(fileSystemPath));
}

/**
 * Chooses where a task's completion report goes: inside the association that covers most of the
 * task's paths (FSx rejects a report path outside every association), preferring AVAILABLE ones.
 * Ties go to the lowest association id so the choice, and so the request, is deterministic.
 */
function reportPathFor(
  paths: readonly string[],
  associations: readonly Association[],
): string | undefined {
  const ranked = associations
    .filter((association) => association.dataRepositoryPath.startsWith('s3://'))
    .map((association) => {
      const root = associationRoot(association.fileSystemPath);
      return {
        association,
        available: association.lifecycle === 'AVAILABLE' ? 1 : 0,
        covered: paths.filter((path) => isUnderRoot(path, root)).length,
      };
    })
    .sort(
      (a, b) =>
        b.available - a.available ||
        b.covered - a.covered ||
        a.association.associationId.localeCompare(b.association.associationId),
    );
  const chosen = ranked[0]?.association;
  if (chosen === undefined) return undefined;
  return `${chosen.dataRepositoryPath.replace(/\/+$/, '')}/${REPORT_FOLDER}`;
}

/**
 * Where FSx writes an export task's FAILED_FILES_ONLY report: `{path}/task-{id}/failures.csv`,
 * where `{id}` is the 17-digit id the API documents, so the folder is the TaskId itself
 * (`task-0123456789abcdef0`), not `task-task-…`.
 *
 * @example failuresCsvPath('s3://b/r/', 'task-0123456789abcdef0') // 's3://b/r/task-0123456789abcdef0/failures.csv'
 */
function failuresCsvPath(reportPath: string, taskId: string): string {
  const folder = taskId.startsWith('task-') ? taskId : `task-${taskId}`;
  return `${reportPath.replace(/\/+$/, '')}/${folder}/failures.csv`;
}

/**
 * The attempt limit: a path re-exported `maxAttempts` times within the ledger's window, or one
 * whose last re-export task's completion report says it failed again, is escalated to a person
 * instead of re-exported again (docs/design.md#the-attempts-ledger-and-the-attempt-limit).
 */
function reachedAttemptLimit(
  history: AttemptHistory | undefined,
  maxAttempts: number,
): history is AttemptHistory {
  return (
    history !== undefined &&
    (history.taskIds.length >= maxAttempts || history.failedWith !== undefined)
  );
}

/** What a person is told about a path past the attempt limit: its history and report path. */
function escalationOf(
  fileSystemId: string,
  path: string,
  history: AttemptHistory,
  reportPath: string | undefined,
): Escalation {
  return {
    fileSystemId,
    path,
    taskIds: history.taskIds,
    lastAttemptAt: history.lastAttemptAt,
    reportPath,
    ...(history.failedWith === undefined ? {} : { failedWith: history.failedWith }),
  };
}

/**
 * After FSx accepted a task: records it as an attempt on each of its paths and tracks it for the
 * outcome check. Both writes are idempotent per task id, so a retried start records nothing twice.
 * A ledger error propagates; each caller decides what it means.
 */
async function recordStart(
  ledger: LedgerPort,
  request: ExportRequest,
  taskId: string,
  at: Date,
  startedBy: TrackedTask['startedBy'],
): Promise<void> {
  await ledger.recordAttempt(request.fileSystemId, request.paths, taskId, at);
  await ledger.trackTask({
    taskId,
    fileSystemId: request.fileSystemId,
    paths: request.paths,
    clientRequestToken: request.clientRequestToken,
    reportPath: request.reportPath,
    startedAt: at.toISOString(),
    startedBy,
  });
}

/**
 * The refusal of a task that has no completion-report path: for good when the file system has no
 * association to hold it, for now when its associations could not be read (`associationError`).
 */
function missingReportPath(associationError: string | undefined): Refusal {
  return {
    error: 'NoReportPath',
    reason:
      associationError === undefined
        ? 'the file system has no data repository association to hold the completion report; set REPORT_PATH or link a data repository'
        : `the data repository associations could not be read (${associationError}); set REPORT_PATH to start tasks without them`,
    retryLater: associationError !== undefined,
  };
}

/** The refusal of a task FSx did not start: its error's meaning and FSx's own message. */
function fsxRefusal(error: string, message: string): Refusal {
  const info = explainFsxError(error);
  return { error, reason: `${info.meaning} (${message})`, retryLater: info.retryLater };
}

export type { Refusal };
export {
  associationRoot,
  clientRequestToken,
  escalationOf,
  failuresCsvPath,
  fsxRefusal,
  isUnder,
  isUnderRoot,
  missingReportPath,
  pathsPerTask,
  reachedAttemptLimit,
  recordStart,
  reportPathFor,
};

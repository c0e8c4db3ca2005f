import { associationsNeeded, type PlanOptions } from '../lib/analyze/plan.ts';
import { errorName } from '../lib/aws/aws-errors.ts';
import { FsxCallError } from '../lib/aws/fsx.ts';
import { describeError } from '../lib/common/errors.ts';
import { explainFsxError } from '../lib/common/fsx-errors.ts';
import type { FsxPort, FsxTaskPort } from '../lib/common/ports.ts';
import { display } from '../lib/common/text.ts';
import type { Association, ExportTask, FailureClass, FailureRecord } from '../lib/common/types.ts';

/*
 * What `reexport` asks FSx: the associations its plan needs, the tasks already active, and the
 * start of one task, worded for a person at a terminal.
 */

/**
 * Associations of every file system with a failure of the classes, even with REPORT_PATH set:
 * they map S3 keys, hold the report, tell which paths lie outside every association and which
 * association is MISCONFIGURED. A failure is kept as that file system's error.
 */
async function readAssociations(
  records: readonly FailureRecord[],
  classes: ReadonlySet<FailureClass>,
  fsx: FsxPort,
): Promise<Pick<PlanOptions, 'associations' | 'associationErrors'>> {
  const associations = new Map<string, readonly Association[]>();
  const associationErrors = new Map<string, string>();
  for (const fileSystemId of associationsNeeded(records, undefined, classes)) {
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

/** An association whose automatic export has stopped: worth a warning before anything starts. */
interface AssociationWarning {
  readonly fileSystemId: string;
  readonly associationId: string;
  readonly lifecycle: string;
  readonly message: string;
}

/**
 * The MISCONFIGURED associations among those read: while one is, FSx neither exports its
 * changes automatically nor logs a failure for them (docs/fsx-facts.md#data-repository-associations).
 */
function associationWarnings(
  associations: ReadonlyMap<string, readonly Association[]>,
): AssociationWarning[] {
  const warnings: AssociationWarning[] = [];
  for (const fileSystemId of [...associations.keys()].sort()) {
    for (const association of associations.get(fileSystemId) ?? []) {
      if (association.lifecycle !== 'MISCONFIGURED') continue;
      const { associationId, lifecycle } = association;
      warnings.push({
        fileSystemId,
        associationId,
        lifecycle,
        message: `data repository association ${associationId} (${association.fileSystemPath} -> ${association.dataRepositoryPath}) of ${fileSystemId} is MISCONFIGURED: automatic export has stopped there and FSx logs no failure for what it misses; "doctor" shows the fix`,
      });
    }
  }
  return warnings;
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

export type { AssociationWarning, StartOutcome };
export { activeTaskIds, associationWarnings, readAssociations, startTask };

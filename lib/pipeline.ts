import { describeError } from './errors.ts';
import { explainFsxError } from './fsx-errors.ts';
import { associationsNeeded, type ExportTask, type PlanOptions, planReexports } from './plan.ts';
import { type Analysis, analyzeBatches, type Report, type TaskOutcome } from './report.ts';
import type { Association, LogBatch } from './types.ts';

/** A request to start one export task, as the FSx adapter needs it. */
interface ExportRequest {
  readonly fileSystemId: string;
  readonly paths: readonly string[];
  readonly clientRequestToken: string;
  readonly reportPath: string;
}

/** What FSx answered to CreateDataRepositoryTask, already translated by the adapter. */
type StartResult =
  | { readonly ok: true; readonly taskId: string; readonly lifecycle: string }
  | {
      readonly ok: false;
      /** Normalised error name: an FSx error shape name, `Throttling`, `NetworkError`, `AccessDenied`, or the SDK's name. */
      readonly error: string;
      readonly message: string;
    };

/**
 * The narrow port through which the pipeline reaches FSx. The real adapter lives in
 * `lib/aws/fsx.ts`; tests pass a plain object.
 */
interface FsxPort {
  /** The file system's data repository associations (cached by the adapter). Throws on failure. */
  listAssociations(fileSystemId: string): Promise<readonly Association[]>;
  /** Starts an EXPORT_TO_REPOSITORY task; never throws for an FSx refusal. */
  startExport(request: ExportRequest): Promise<StartResult>;
}

interface PipelineOptions {
  readonly maxPathsPerTask: number;
  readonly busyDelaySeconds: number;
  readonly reportPath: string | undefined;
  readonly region: string | undefined;
  /** No AWS calls at all: tasks are planned, not started; associations are not read. */
  readonly dryRun: boolean;
  /** Clock for `generatedAt`; injectable for tests. */
  readonly now?: () => Date;
}

async function readAssociations(
  analysis: Analysis,
  options: PipelineOptions,
  fsx: FsxPort | undefined,
): Promise<Pick<PlanOptions, 'associations' | 'associationErrors'>> {
  const associations = new Map<string, readonly Association[]>();
  const associationErrors = new Map<string, string>();
  if (fsx === undefined || options.dryRun) return { associations, associationErrors };
  const needed = associationsNeeded(analysis.records, options.reportPath);
  await Promise.all(
    needed.map(async (fileSystemId) => {
      try {
        associations.set(fileSystemId, await fsx.listAssociations(fileSystemId));
      } catch (error) {
        associationErrors.set(fileSystemId, describeError(error));
      }
    }),
  );
  return { associations, associationErrors };
}

async function execute(
  task: ExportTask,
  options: PipelineOptions,
  fsx: FsxPort | undefined,
  associationErrors: ReadonlyMap<string, string>,
): Promise<TaskOutcome> {
  if (options.dryRun || fsx === undefined) return { status: 'planned', task };
  if (task.delaySeconds > 0) {
    // Starting a busy file's export at once would most likely fail busy again and pause
    // automatic export meanwhile; it waits for its writer instead.
    return {
      status: 'deferred',
      task,
      reason: `busy files wait ${task.delaySeconds} s for their writer to finish; no deferral queue is configured, so re-export them after that (or set BUSY_DELAY_SECONDS=0)`,
    };
  }
  if (task.reportPath === undefined) {
    const error = associationErrors.get(task.fileSystemId);
    return {
      status: 'refused',
      task,
      error: 'NoReportPath',
      reason:
        error === undefined
          ? 'the file system has no data repository association to hold the completion report; set REPORT_PATH or link a data repository'
          : `the data repository associations could not be read (${error}); set REPORT_PATH to start tasks without them`,
      retryLater: error !== undefined,
    };
  }
  const result = await fsx.startExport({
    fileSystemId: task.fileSystemId,
    paths: task.paths,
    clientRequestToken: task.clientRequestToken,
    reportPath: task.reportPath,
  });
  if (result.ok) {
    return { status: 'started', task, taskId: result.taskId, lifecycle: result.lifecycle };
  }
  const info = explainFsxError(result.error);
  return {
    status: 'refused',
    task,
    error: result.error,
    reason: `${info.meaning} (${result.message})`,
    retryLater: info.retryLater,
  };
}

/**
 * Runs the whole analysis on decoded batches: parse and classify every event, plan the
 * re-exports, start them through the FSx port (unless dry run), and return the report.
 * Per-record and per-task problems end up in the report; only a bug throws.
 */
async function processBatches(
  batches: readonly LogBatch[],
  options: PipelineOptions,
  fsx: FsxPort | undefined,
  skippedMessages = 0,
): Promise<Report> {
  const analysis = analyzeBatches(batches);
  const { associations, associationErrors } = await readAssociations(analysis, options, fsx);
  const plan = planReexports(analysis.records, {
    maxPathsPerTask: options.maxPathsPerTask,
    busyDelaySeconds: options.busyDelaySeconds,
    reportPath: options.reportPath,
    associations,
    associationErrors,
  });
  // One file system runs one task at a time, so tasks are started one after another.
  const outcomes: TaskOutcome[] = [];
  for (const task of plan.tasks) {
    outcomes.push(await execute(task, options, fsx, associationErrors));
  }
  return {
    generatedAt: (options.now?.() ?? new Date()).toISOString(),
    region: options.region,
    dryRun: options.dryRun,
    sources: analysis.sources,
    skippedMessages,
    events: analysis.events,
    records: analysis.records,
    unparseable: analysis.unparseable,
    plan,
    outcomes,
  };
}

export type { ExportRequest, FsxPort, PipelineOptions, StartResult };
export { processBatches };

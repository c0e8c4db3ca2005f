import {
  CreateDataRepositoryTaskCommand,
  type DataRepositoryTask,
  type DataRepositoryTaskFilter,
  DescribeDataRepositoryAssociationsCommand,
  type DescribeDataRepositoryAssociationsCommandOutput,
  DescribeDataRepositoryTasksCommand,
  type FSxClient,
} from '@aws-sdk/client-fsx';
import { AnalyzerError } from '../common/errors.ts';
import { ASSOCIATIONS_PAGE_SIZE, TASK_ID, toAssociation } from '../common/fsx.ts';
import type {
  ExportRequest,
  FsxPort,
  FsxTaskPort,
  StartResult,
  TaskStatus,
} from '../common/ports.ts';
import { truncateEnd } from '../common/text.ts';
import type { Association } from '../common/types.ts';
import { ACCESS_DENIED, errorField, isNetworkError, THROTTLING } from './aws-errors.ts';
import { allPages } from './calls.ts';

interface FsxAdapterOptions {
  /** How long a file system's associations are reused, in seconds; 0 turns the cache off. */
  readonly cacheSeconds: number;
  /** Clock in milliseconds; injectable for tests. */
  readonly now?: () => number;
}

/**
 * A file system has at most 8 associations, so one page is the norm; the bound only stops a
 * NextToken that never ends from looping for the rest of the invocation.
 */
const MAX_PAGES = 20;
const MAX_MESSAGE = 300;
/** DescribeDataRepositoryTasks takes at most 50 TaskIds and answers at most 50 tasks a page. */
const TASK_PAGE_SIZE = 50;
const ACTIVE_LIFECYCLES = ['PENDING', 'EXECUTING'];

/**
 * An FSx call that failed after the SDK's retries. `errorName` is normalised like a StartResult
 * error (`Throttling`, `NetworkError`, `AccessDenied`, an FSx error shape name…); `cause` keeps
 * the SDK error.
 */
class FsxCallError extends AnalyzerError {
  public readonly errorName: string;

  public constructor(message: string, errorName: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FsxCallError';
    this.errorName = errorName;
  }
}

/** CreateDataRepositoryTask's documented errors (docs/fsx-facts.md#createdatarepositorytask): reported under their own name. */
const DOCUMENTED = new Set([
  'DataRepositoryTaskExecuting',
  'ServiceLimitExceeded',
  'IncompatibleParameterError',
  'BadRequest',
  'FileSystemNotFound',
  'UnsupportedOperation',
  'InternalServerError',
]);
// Generic AWS errors are not in the FSx model; the SDK gives them the wire code as their name.
// FSx counts these further throttling codes too (the shared set is what every adapter agrees on).
const FSX_THROTTLING = new Set([
  ...THROTTLING,
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);

/** Normalises a thrown value to the error names the pipeline's FSx error table knows. */
function errorName(error: unknown): string {
  const name = errorField(error, 'name');
  if (name !== undefined && DOCUMENTED.has(name)) return name;
  if (name !== undefined && FSX_THROTTLING.has(name)) return 'Throttling';
  if (name !== undefined && ACCESS_DENIED.has(name)) return 'AccessDenied';
  if (isNetworkError(error)) return 'NetworkError';
  // A plain `Error` says nothing; its name would only read "Error" in the summary.
  return name === undefined || name === 'Error' ? 'UnexpectedError' : name;
}

/** The error's first line, at most 300 characters; FSx shapes also carry it as `Message`. */
function errorMessage(error: unknown): string {
  const text =
    errorField(error, 'message') ??
    errorField(error, 'Message') ??
    (error instanceof Error ? '' : String(error));
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? '';
  return truncateEnd(line.length > 0 ? line : 'no error message', MAX_MESSAGE);
}

function isNotFound(error: unknown): boolean {
  return errorField(error, 'name') === 'DataRepositoryAssociationNotFound';
}

function isTaskNotFound(error: unknown): boolean {
  return errorField(error, 'name') === 'DataRepositoryTaskNotFound';
}

/** Wraps an SDK error in a one-line FsxCallError naming the call and what it was about. */
function callError(operation: string, subject: string, error: unknown): FsxCallError {
  const name = errorName(error);
  return new FsxCallError(
    `FSx ${operation} for ${subject} failed: ${name}: ${errorMessage(error)}`,
    name,
    {
      cause: error,
    },
  );
}

function toTaskStatus(task: DataRepositoryTask): TaskStatus | undefined {
  if (task.TaskId === undefined || task.TaskId === '') return undefined;
  return {
    taskId: task.TaskId,
    // File Cache tasks carry a FileCacheId instead; the ports only deal with file systems.
    fileSystemId: task.FileSystemId ?? task.FileCacheId ?? '',
    lifecycle: task.Lifecycle ?? 'UNKNOWN',
    totalCount: task.Status?.TotalCount,
    succeededCount: task.Status?.SucceededCount,
    failedCount: task.Status?.FailedCount,
    failureMessage: task.FailureDetails?.Message,
    reportPath: task.Report?.Path,
    endTime: task.EndTime?.toISOString(),
  };
}

/**
 * Creates the FSx adapter the pipeline, the retrier and the outcome check use. Associations are
 * cached per file system for `cacheSeconds` in this instance, so a warm container reads them once
 * per period instead of once per log batch. `startExport` never throws for an FSx refusal;
 * `activeTasks` and `describeTasks` throw an FsxCallError (after the SDK's retries) and leave the
 * decision to the caller.
 */
// Over 60 lines: the factory's closure is the port; each of its four methods is short.
function createFsxAdapter(client: FSxClient, options: FsxAdapterOptions): FsxAdapter {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { expires: number; associations: readonly Association[] }>();

  async function describeAll(fileSystemId: string): Promise<readonly Association[]> {
    const entries = await allPages(MAX_PAGES, async (token) => {
      let response: DescribeDataRepositoryAssociationsCommandOutput;
      try {
        response = await client.send(
          new DescribeDataRepositoryAssociationsCommand({
            Filters: [{ Name: 'file-system-id', Values: [fileSystemId] }],
            MaxResults: ASSOCIATIONS_PAGE_SIZE,
            ...(token === undefined ? {} : { NextToken: token }),
          }),
        );
      } catch (error) {
        // FSx answers "not found" instead of an empty list when the file system has none.
        if (isNotFound(error)) return { items: [], next: undefined };
        throw error;
      }
      return { items: response.Associations, next: response.NextToken };
    });
    if (entries === undefined) {
      throw new Error(
        `DescribeDataRepositoryAssociations for ${fileSystemId} returned more than ${MAX_PAGES} pages`,
      );
    }
    const associations: Association[] = [];
    for (const entry of entries) {
      const association = toAssociation(entry, fileSystemId);
      if (association !== undefined) associations.push(association);
    }
    return associations;
  }

  async function listAssociations(fileSystemId: string): Promise<readonly Association[]> {
    const cached = cache.get(fileSystemId);
    if (cached !== undefined && cached.expires > now()) return cached.associations;
    const associations = Object.freeze(await describeAll(fileSystemId));
    // Failures are not cached: the next batch tries again.
    if (options.cacheSeconds > 0) {
      cache.set(fileSystemId, { expires: now() + options.cacheSeconds * 1000, associations });
    }
    return associations;
  }

  async function startExport(request: ExportRequest): Promise<StartResult> {
    try {
      const response = await client.send(
        new CreateDataRepositoryTaskCommand({
          Type: 'EXPORT_TO_REPOSITORY',
          FileSystemId: request.fileSystemId,
          Paths: [...request.paths],
          ClientRequestToken: request.clientRequestToken,
          Report: {
            Enabled: true,
            Path: request.reportPath,
            Format: 'REPORT_CSV_20191124',
            Scope: 'FAILED_FILES_ONLY',
          },
        }),
      );
      const task = response.DataRepositoryTask;
      if (task?.TaskId === undefined || task.TaskId === '') {
        return {
          ok: false,
          error: 'UnexpectedResponse',
          message: 'CreateDataRepositoryTask answered without DataRepositoryTask.TaskId',
        };
      }
      return { ok: true, taskId: task.TaskId, lifecycle: task.Lifecycle ?? 'UNKNOWN' };
    } catch (error) {
      // A refusal is an outcome for the summary, not a failed invocation: Lambda's retry would
      // replay the whole batch and most likely meet the same refusal.
      return { ok: false, error: errorName(error), message: errorMessage(error) };
    }
  }

  /** Every page of one DescribeDataRepositoryTasks query; SDK errors propagate unchanged. */
  async function describeTaskPages(
    query: { TaskIds: string[] } | { Filters: DataRepositoryTaskFilter[] },
  ): Promise<TaskStatus[]> {
    const entries = await allPages(MAX_PAGES, async (token) => {
      const response = await client.send(
        new DescribeDataRepositoryTasksCommand({
          ...query,
          MaxResults: TASK_PAGE_SIZE,
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      return { items: response.DataRepositoryTasks, next: response.NextToken };
    });
    if (entries === undefined) {
      throw new Error(`DescribeDataRepositoryTasks returned more than ${MAX_PAGES} pages`);
    }
    const tasks: TaskStatus[] = [];
    for (const task of entries) {
      const status = toTaskStatus(task);
      if (status !== undefined) tasks.push(status);
    }
    return tasks;
  }

  async function activeTasks(fileSystemId: string): Promise<readonly TaskStatus[]> {
    let tasks: TaskStatus[];
    try {
      tasks = await describeTaskPages({
        Filters: [
          { Name: 'file-system-id', Values: [fileSystemId] },
          { Name: 'task-lifecycle', Values: [...ACTIVE_LIFECYCLES] },
        ],
      });
    } catch (error) {
      // Like the associations call, "not found" for a filter means nothing matched.
      if (isTaskNotFound(error)) return [];
      throw callError('DescribeDataRepositoryTasks', `active tasks of ${fileSystemId}`, error);
    }
    // Checked again here: waiting on another file system's task would delay for nothing.
    return tasks.filter(
      (task) => task.fileSystemId === fileSystemId && ACTIVE_LIFECYCLES.includes(task.lifecycle),
    );
  }

  /**
   * One chunk of at most 50 ids. FSx fails the whole call with DataRepositoryTaskNotFound when
   * any id is unknown (expired from its history, another Region), so the chunk is then asked id
   * by id and only the unknown ones are left out: dropping the whole chunk would leave its known
   * tasks open in the ledger for ever.
   */
  async function describeChunk(taskIds: string[]): Promise<TaskStatus[]> {
    try {
      return await describeTaskPages({ TaskIds: taskIds });
    } catch (error) {
      if (!isTaskNotFound(error)) {
        throw callError('DescribeDataRepositoryTasks', `${taskIds.length} task ids`, error);
      }
    }
    const tasks: TaskStatus[] = [];
    for (const taskId of taskIds) {
      try {
        tasks.push(...(await describeTaskPages({ TaskIds: [taskId] })));
      } catch (error) {
        if (!isTaskNotFound(error)) throw callError('DescribeDataRepositoryTasks', taskId, error);
      }
    }
    return tasks;
  }

  async function describeTasks(taskIds: readonly string[]): Promise<readonly TaskStatus[]> {
    // Ids that cannot be task ids are unknown by definition; sending them would fail the chunk.
    const wanted = [...new Set(taskIds)].filter((taskId) => TASK_ID.test(taskId));
    const found = new Map<string, TaskStatus>();
    for (let start = 0; start < wanted.length; start += TASK_PAGE_SIZE) {
      for (const task of await describeChunk(wanted.slice(start, start + TASK_PAGE_SIZE))) {
        found.set(task.taskId, task);
      }
    }
    // In the order asked, without anything FSx added that was not asked for.
    return wanted.flatMap((taskId) => {
      const task = found.get(taskId);
      return task === undefined ? [] : [task];
    });
  }

  return { listAssociations, startExport, activeTasks, describeTasks };
}

/** The FSx adapter: the pipeline's port and the task queries of the retrier and outcome check. */
type FsxAdapter = FsxPort & FsxTaskPort;

export type { FsxAdapter, FsxAdapterOptions };
export { createFsxAdapter, FsxCallError };

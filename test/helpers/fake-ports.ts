import { classify, hintFor } from '../../lib/analyze/classify.ts';
import type {
  AttemptHistory,
  DeferralPort,
  DeferredExport,
  ExportRequest,
  FsxPort,
  FsxTaskPort,
  LedgerPort,
  ReportPort,
  ReportRead,
  StartResult,
  TaskStatus,
  TrackedTask,
} from '../../lib/common/ports.ts';
import type { Association, ReportedFailure } from '../../lib/common/types.ts';
import type { FinishedTask } from '../../lib/reexport/outcomes.ts';
import { type DescribeCode, interpretReport } from '../../lib/reexport/report.ts';
import { DRA, DRA_REPORT_PATH, FS, taskId } from './fixtures.ts';

/*
 * In-memory fakes of the durable re-export ports, for the pure core's unit tests: no SDK, no
 * HTTP. Each records what it was asked, and can be told to fail.
 */

/** A deferral port that keeps what it was given; `error` makes `defer` throw instead. */
function fakeDeferral(error?: Error) {
  const deferred: { message: DeferredExport; delaySeconds: number }[] = [];
  const port: DeferralPort = {
    async defer(items) {
      if (error !== undefined) throw error;
      deferred.push(...items);
    },
  };
  return { port, deferred };
}

interface LedgerState {
  /** `<fs> <path>` → task ids, oldest first. */
  readonly attempts: Map<
    string,
    { taskIds: string[]; lastAttemptAt: string; failedWith?: ReportedFailure }
  >;
  readonly windows: Set<string>;
  readonly tasks: Map<string, { task: TrackedTask; closed: string | undefined }>;
}

/**
 * An attempts ledger in a few maps, with the port's semantics: recording a task twice changes
 * nothing, a window is claimed once, a task closes once. `seed` pre-loads attempts as
 * `{ [path]: taskIds }` of one file system; `failing` names methods that throw.
 */
function fakeLedger(
  options: {
    fileSystemId?: string;
    seed?: Record<string, readonly string[]>;
    failing?: ReadonlyArray<keyof LedgerPort>;
  } = {},
) {
  const state: LedgerState = { attempts: new Map(), windows: new Set(), tasks: new Map() };
  const key = (fileSystemId: string, path: string) => `${fileSystemId} ${path}`;
  for (const [path, taskIds] of Object.entries(options.seed ?? {})) {
    state.attempts.set(key(options.fileSystemId ?? FS, path), {
      taskIds: [...taskIds],
      lastAttemptAt: '2026-11-25T11:00:00.000Z',
    });
  }
  const calls: string[] = [];
  const guard = (name: keyof LedgerPort): void => {
    calls.push(name);
    if (options.failing?.includes(name)) throw new Error(`LedgerError: ${name} failed`);
  };
  const port: LedgerPort = {
    async attempts(fileSystemId, paths) {
      guard('attempts');
      const found = new Map<string, AttemptHistory>();
      for (const path of paths) {
        const entry = state.attempts.get(key(fileSystemId, path));
        if (entry !== undefined) {
          found.set(path, {
            fileSystemId,
            path,
            taskIds: [...entry.taskIds],
            lastAttemptAt: entry.lastAttemptAt,
            ...(entry.failedWith === undefined ? {} : { failedWith: entry.failedWith }),
          });
        }
      }
      return found;
    },
    async recordAttempt(fileSystemId, paths, taskId, at) {
      guard('recordAttempt');
      for (const path of paths) {
        const entry = state.attempts.get(key(fileSystemId, path)) ?? {
          taskIds: [],
          lastAttemptAt: at.toISOString(),
        };
        if (!entry.taskIds.includes(taskId)) {
          entry.taskIds.push(taskId);
          entry.lastAttemptAt = at.toISOString();
        }
        state.attempts.set(key(fileSystemId, path), entry);
      }
    },
    async markFailed(fileSystemId, path, failure) {
      guard('markFailed');
      const entry = state.attempts.get(key(fileSystemId, path));
      if (entry !== undefined) entry.failedWith = failure;
    },
    async claimWindow(fileSystemId, at, windowSeconds) {
      guard('claimWindow');
      const start = Math.floor(at.getTime() / 1000 / windowSeconds) * windowSeconds;
      const id = `${fileSystemId} ${start}`;
      if (state.windows.has(id)) return false;
      state.windows.add(id);
      return true;
    },
    async trackTask(task) {
      guard('trackTask');
      if (!state.tasks.has(task.taskId)) state.tasks.set(task.taskId, { task, closed: undefined });
    },
    async openTasks() {
      guard('openTasks');
      return [...state.tasks.values()]
        .filter((entry) => entry.closed === undefined)
        .map((entry) => entry.task);
    },
    async closeTask(taskId, lifecycle) {
      guard('closeTask');
      const entry = state.tasks.get(taskId);
      if (entry === undefined || entry.closed !== undefined) return false;
      entry.closed = lifecycle;
      return true;
    },
    async reopenTask(taskId) {
      guard('reopenTask');
      const entry = state.tasks.get(taskId);
      if (entry !== undefined) entry.closed = undefined;
    },
  };
  return { port, state, calls };
}

/** A tracked task of the default file system, for ledgers seeded by hand. */
function trackedTask(taskId: string, overrides: Partial<TrackedTask> = {}): TrackedTask {
  return {
    taskId,
    fileSystemId: FS,
    paths: ['ns1/a.bin'],
    clientRequestToken: `fea-${taskId}`,
    reportPath: DRA_REPORT_PATH,
    startedAt: '2026-11-25T11:00:00.000Z',
    startedBy: 'analyzer',
    ...overrides,
  };
}

/** A finished or running task as FSx describes it. */
function taskStatus(taskId: string, overrides: Partial<TaskStatus> = {}): TaskStatus {
  return {
    taskId,
    fileSystemId: FS,
    lifecycle: 'SUCCEEDED',
    totalCount: 1,
    succeededCount: 1,
    failedCount: 0,
    failureMessage: undefined,
    reportPath: DRA_REPORT_PATH,
    endTime: '2026-11-25T11:30:00.000Z',
    ...overrides,
  };
}

/**
 * An FSx port with task queries: starts answer with the scripted results (then succeed with
 * numbered task ids), `active` lists the running tasks per file system, `known` the tasks
 * `describeTasks` finds. `failing` names methods that throw.
 */
function fakeFsx(
  options: {
    results?: StartResult[];
    associations?: readonly Association[] | Error;
    active?: Record<string, readonly TaskStatus[]>;
    known?: readonly TaskStatus[];
    failing?: ReadonlyArray<'activeTasks' | 'describeTasks'>;
  } = {},
) {
  const results = [...(options.results ?? [])];
  const started: ExportRequest[] = [];
  const listed: string[] = [];
  const described: string[][] = [];
  const port: FsxPort & FsxTaskPort = {
    async listAssociations(fileSystemId) {
      listed.push(fileSystemId);
      const associations = options.associations ?? [DRA];
      if (associations instanceof Error) throw associations;
      return associations;
    },
    async startExport(request) {
      started.push(request);
      return (
        results.shift() ?? {
          ok: true,
          taskId: taskId(started.length),
          lifecycle: 'PENDING',
        }
      );
    },
    async activeTasks(fileSystemId) {
      if (options.failing?.includes('activeTasks')) throw new Error('FsxCallError: throttled');
      return options.active?.[fileSystemId] ?? [];
    },
    async describeTasks(taskIds) {
      described.push([...taskIds]);
      if (options.failing?.includes('describeTasks')) throw new Error('FsxCallError: throttled');
      return (options.known ?? []).filter((task) => taskIds.includes(task.taskId));
    },
  };
  return { port, started, listed, described };
}

/**
 * Two tasks the outcome check found ended: `succeeded` (10 of 10, started by `reexport`) and
 * `failed` (1 of 4 exported, its failures.csv under `reportPath`).
 */
function endedTasks(succeeded: string, failed: string, reportPath: string): FinishedTask[] {
  return [
    {
      tracked: trackedTask(succeeded, { startedBy: 'reexport' }),
      lifecycle: 'SUCCEEDED',
      status: taskStatus(succeeded, { totalCount: 10, succeededCount: 10 }),
      failuresCsv: undefined,
    },
    {
      tracked: trackedTask(failed, { paths: ['ns1/a', 'ns1/b', 'ns1/c', 'ns1/d'] }),
      lifecycle: 'FAILED',
      status: taskStatus(failed, {
        lifecycle: 'FAILED',
        totalCount: 4,
        succeededCount: 1,
        failedCount: 3,
        failureMessage: 'Some files could not be exported',
      }),
      failuresCsv: `${reportPath}/${failed}/failures.csv`,
    },
  ];
}

/**
 * A report port that answers from a map of `s3://` addresses: text is a whole report, a
 * ReportRead is answered as it is, and an address not in the map is NoSuchKey. `reads` records
 * every address asked for.
 */
function fakeReports(objects: Record<string, string | ReportRead> = {}) {
  const reads: string[] = [];
  const port: ReportPort = {
    async read(url) {
      reads.push(url);
      const found = objects[url];
      if (found === undefined) {
        return { ok: false, error: 'NoSuchKey', message: 'The specified key does not exist.' };
      }
      if (typeof found !== 'string') return found;
      const bytes = Buffer.byteLength(found);
      return { ok: true, text: found, bytes, totalBytes: bytes, truncated: false };
    },
  };
  return { port, reads };
}

/** Completion-report codes, classified with the analyzer's table as functions/outcomes.ts does. */
const describeCode: DescribeCode = (code) => ({ class: classify(code), hint: hintFor(code) });

/**
 * A failed task whose completion report was read: two of its four paths failed again (one
 * denied, one busy), a file under none of them failed too, and one row was malformed. With a
 * second task whose report could not be read (`readError`), when given.
 */
function reportedTasks(failed: string, reportPath: string, readError?: string): FinishedTask[] {
  const tracked = trackedTask(failed, { paths: ['ns1/a.bin', 'ns1/b.log', 'ns1/c', 'ns1/d'] });
  const url = `${reportPath}/${failed}/failures.csv`;
  const text = [
    'ns1/a.bin,failed,S3AccessDenied',
    'ns1/b.log,failed,ResourceBusy',
    'ns1/c/inside.dat,failed,FileSizeTooLarge',
    'broken row',
    '',
  ].join('\n');
  const bytes = Buffer.byteLength(text);
  const read: FinishedTask = {
    tracked,
    lifecycle: 'FAILED',
    status: taskStatus(failed, {
      lifecycle: 'FAILED',
      totalCount: 4,
      succeededCount: 1,
      failedCount: 3,
      failureMessage: 'Some files could not be exported',
    }),
    failuresCsv: url,
    report: interpretReport(
      url,
      { ok: true, text, bytes, totalBytes: bytes, truncated: false },
      tracked.paths,
      describeCode,
    ),
  };
  if (readError === undefined) return [read];
  const other = `${failed.slice(0, -1)}9`;
  const otherUrl = `${reportPath}/${other}/failures.csv`;
  return [
    read,
    {
      tracked: trackedTask(other, { paths: ['ns1/e.bin'] }),
      lifecycle: 'FAILED',
      status: taskStatus(other, {
        lifecycle: 'FAILED',
        totalCount: 1,
        succeededCount: 0,
        failedCount: 1,
      }),
      failuresCsv: otherUrl,
      report: interpretReport(
        otherUrl,
        { ok: false, error: readError, message: 'Access Denied' },
        ['ns1/e.bin'],
        describeCode,
      ),
    },
  ];
}

export {
  describeCode,
  endedTasks,
  fakeDeferral,
  fakeFsx,
  fakeLedger,
  fakeReports,
  reportedTasks,
  taskStatus,
  trackedTask,
};

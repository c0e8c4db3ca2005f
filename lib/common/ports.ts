import type {
  Association,
  BacklogReadings,
  BatchGroup,
  Checked,
  DigestWindow,
  FailureClass,
  Increment,
  LogBatch,
  Recovered,
  ReportedFailure,
  RollDecision,
  TimeWindow,
  WindowOpening,
  WindowStatus,
  WindowView,
} from './types.ts';

/*
 * Ports for durable re-export (deferral queue, attempts ledger, task outcomes), alert digests and
 * the CLI's log reads. Pure types: the adapters live in lib/aws/ (sqs.ts, ledger.ts, fsx.ts,
 * digests.ts, logs.ts) and tests pass plain objects.
 */

/**
 * A re-export waiting in the deferral queue: the body of one SQS message. Paths are already
 * normalised (relative to the file-system root) and at most 100.
 */
interface DeferredExport {
  readonly version: 1;
  readonly fileSystemId: string;
  readonly paths: readonly string[];
  /** Log events whose failures these paths retry: they make the task token deterministic. */
  readonly eventIds: readonly string[];
  readonly classes: readonly FailureClass[];
  /** Why it waits: `busy`, or the FSx error that refused it (e.g. `DataRepositoryTaskExecuting`). */
  readonly reason: string;
  /** Completion-report path chosen by the analyzer; the retrier derives one when undefined. */
  readonly reportPath: string | undefined;
  readonly logGroup: string;
  readonly logStream: string;
  /** When the analyzer deferred it (ISO-8601). */
  readonly deferredAt: string;
  /** Organization mode: the member account that owns the file system; absent: the home account. */
  readonly account?: string;
}

/** Sends re-exports to the deferral queue. */
interface DeferralPort {
  /**
   * Enqueues every item with its delay (0–900 s). Resolves only when all were accepted; throws
   * otherwise, so the caller fails and Lambda retries rather than lose a path.
   */
  defer(items: readonly { message: DeferredExport; delaySeconds: number }[]): Promise<void>;
}

/** What the ledger knows of one (file system, path). */
interface AttemptHistory {
  readonly fileSystemId: string;
  readonly path: string;
  /** Tasks that re-exported this path within the attempts window, oldest first. */
  readonly taskIds: readonly string[];
  readonly lastAttemptAt: string | undefined;
  /**
   * Set by the outcome check when a re-export task's completion report says the path failed
   * again: the path is then escalated with this code instead of being re-exported again.
   */
  readonly failedWith?: ReportedFailure;
}

/** A task we started, remembered until its outcome has been reported. */
interface TrackedTask {
  readonly taskId: string;
  readonly fileSystemId: string;
  readonly paths: readonly string[];
  readonly clientRequestToken: string;
  readonly reportPath: string;
  readonly startedAt: string;
  /** Who started it: a function of the stack, or a person with `fsx-export-analyzer reexport`. */
  readonly startedBy: 'analyzer' | 'retrier' | 'reexport';
  /** Organization mode: the member account that owns the file system; absent: the home account. */
  readonly account?: string;
}

/** The attempts ledger and task tracking, in DynamoDB. All writes are idempotent. */
interface LedgerPort {
  /** Attempt histories for the given paths; paths never attempted are absent from the map. */
  attempts(
    fileSystemId: string,
    paths: readonly string[],
  ): Promise<ReadonlyMap<string, AttemptHistory>>;
  /**
   * Records that `taskId` re-exported these paths. Recording the same task again changes nothing
   * (a retried invocation must not count twice).
   */
  recordAttempt(
    fileSystemId: string,
    paths: readonly string[],
    taskId: string,
    at: Date,
  ): Promise<void>;
  /**
   * Claims the right to start one new task on a file system in the coalescing window that
   * contains `at`. True for exactly one caller per (file system, window), even concurrently.
   */
  claimWindow(fileSystemId: string, at: Date, windowSeconds: number): Promise<boolean>;
  /** Remembers a started task for the outcome check. Idempotent per task id. */
  trackTask(task: TrackedTask): Promise<void>;
  /** Tasks whose outcome has not been reported yet, in no promised order: callers sort. */
  openTasks(): Promise<readonly TrackedTask[]>;
  /** Marks a task's outcome as reported; true only for the first caller (no double report). */
  closeTask(taskId: string, lifecycle: string, at: Date): Promise<boolean>;
  /**
   * Undoes `closeTask` when the report could not be sent, so the next run reports the task.
   * Only reopens the close made at `closedAt` (never another run's).
   */
  reopenTask(taskId: string, closedAt: Date): Promise<void>;
  /**
   * Marks a path that failed again in a re-export task (its completion report) on its attempt
   * history, so the next failure escalates it with that code. Idempotent; a path with no live
   * history is left alone (its window has passed).
   */
  markFailed(fileSystemId: string, path: string, failure: ReportedFailure, at: Date): Promise<void>;
}

/** A data repository task as DescribeDataRepositoryTasks reports it. */
interface TaskStatus {
  readonly taskId: string;
  readonly fileSystemId: string;
  /** PENDING, EXECUTING, FAILED, SUCCEEDED, CANCELED or CANCELING. */
  readonly lifecycle: string;
  readonly totalCount: number | undefined;
  readonly succeededCount: number | undefined;
  readonly failedCount: number | undefined;
  /** FailureDetails.Message, when FAILED. */
  readonly failureMessage: string | undefined;
  readonly reportPath: string | undefined;
  readonly endTime: string | undefined;
}

/** FSx task queries the retrier and the outcome check need, beyond FsxPort. */
interface FsxTaskPort {
  /** PENDING or EXECUTING tasks on the file system (any type: FSx runs one at a time). */
  activeTasks(fileSystemId: string): Promise<readonly TaskStatus[]>;
  /** The tasks with these ids (any number; the adapter pages by 50). Unknown ids are omitted. */
  describeTasks(taskIds: readonly string[]): Promise<readonly TaskStatus[]>;
}

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

/** A window of a log group to read: the CLI's `scan` and `reexport`. */
interface LogWindowQuery {
  /** A log group name, or a log group ARN. */
  readonly logGroup: string;
  /** Only the `datarepo_<id>` streams of this file system when set. */
  readonly fileSystemId?: string | undefined;
  /** [start, end) in epoch milliseconds. */
  readonly window: TimeWindow;
}

/** Where a read is after a page. */
interface ReadProgress {
  readonly events: number;
  readonly pages: number;
  readonly elapsedMs: number;
}

interface ReadOptions {
  /** Called after every page, with the totals so far. */
  readonly onProgress?: (progress: ReadProgress) => void;
  /**
   * Streaming: each page's events are handed over as batches (one per log stream) and not kept,
   * so memory stays at one page, the result's `batches` is empty and `maxEvents` does not apply.
   */
  readonly onPage?: (batches: LogBatch[]) => void;
  /** Stops the read with an error past this many events, unless `onPage`. */
  readonly maxEvents?: number;
  /** Aborts the request in flight (Ctrl-C). */
  readonly abortSignal?: AbortSignal;
  /** Clock in milliseconds, for `elapsedMs`; injectable for tests. */
  readonly now?: () => number;
}

/** A window read in full: its events as batches, one per log stream. */
interface LogWindow extends ReadProgress {
  readonly batches: LogBatch[];
}

/** Reads a window of a log group, page after page. The adapter lives in lib/aws/logs.ts. */
interface LogWindowPort {
  /** Every event of the window, grouped per log stream; throws when the read fails. */
  read(query: LogWindowQuery, options?: ReadOptions): Promise<LogWindow>;
}

/** What the digest store did with one batch group. */
interface ObserveResult {
  /** The group opened a window: show its failures in this invocation's summary. */
  readonly alerted: boolean;
  /** Held, but with an escalation new to this window. */
  readonly urgent: boolean;
  /** End of the window the failures were counted in (epoch seconds). */
  readonly windowEnd: number;
}

/** Something the digest run must publish and then acknowledge. */
interface PendingWork {
  readonly digests: readonly DigestWindow[];
  readonly recovered: readonly Recovered[];
  /** Due windows whose roll lost a race with an analyzer; the next run takes them. */
  readonly skipped: number;
  /**
   * Present when the table was too big to scan in one run: groups past the cut were not looked
   * at. Their repeats alert once their windows go stale (DigestRules.isStale).
   */
  readonly truncated?: true;
}

/** The alert windows of every digest group (docs/design.md#alert-digests). */
interface DigestStore {
  /** Counts a batch group into its group's window, opening one when the group is quiet. */
  observe(group: BatchGroup): Promise<ObserveResult>;
  /** Rolls every due window and returns every unpublished digest and recovery notice. */
  collect(): Promise<PendingWork>;
  /** Clears what a published email carried. */
  acknowledge(work: Pick<PendingWork, 'digests' | 'recovered'>): Promise<void>;
}

/**
 * The pure rules of the alert windows (lib/digest/windows.ts), which the digest store applies
 * with conditional writes.
 */
interface DigestRules {
  /** What a batch group opens a window with. */
  opening(group: BatchGroup): WindowOpening;
  /** What a batch group adds to an open window, given what the window already tracks. */
  increment(view: WindowView, group: BatchGroup): Increment;
  /** Whether an open window is past its end by a full window: its repeats alert. */
  isStale(windowEnd: number, now: number, windowSeconds: number): boolean;
  /** What the digest run does with a window (`pending` digests unpublished, `urgent` failures). */
  decideRoll(
    status: WindowStatus,
    windowEnd: number,
    held: number,
    now: number,
    windowSeconds: number,
    pending?: number,
    urgent?: number,
  ): RollDecision;
}

/** What reading a completion report from S3 gave: its first bytes, or why it could not be read. */
type ReportRead =
  | {
      readonly ok: true;
      /** The text read, at most the adapter's byte cap (decoded as UTF-8). */
      readonly text: string;
      /** Bytes read. */
      readonly bytes: number;
      /** The object's whole size, when S3 said it. */
      readonly totalBytes: number | undefined;
      /** The object is longer than the cap: `text` is its beginning only. */
      readonly truncated: boolean;
    }
  | {
      readonly ok: false;
      /** `NoSuchKey`, `NoSuchBucket`, `AccessDenied`, `KmsDenied`, `Throttled`, `NetworkError`, or S3's own error name. */
      readonly error: string;
      /** S3's message, one line. */
      readonly message: string;
    };

/** Reads task completion reports (`s3://bucket/key`). The adapter lives in lib/aws/s3.ts. */
interface ReportPort {
  /** Reads the first bytes of an object, up to the adapter's cap. Never throws for an S3 error. */
  read(s3Url: string): Promise<ReportRead>;
}

/**
 * Reads the automatic-export backlog of file systems from CloudWatch (lib/aws/metrics.ts). Never
 * throws: a failed read gives every file system a "could not check" entry, so no email or doctor
 * run fails for it.
 */
interface BacklogPort {
  /** The newest backlog age of each file system (at most 500 per call, deduplicated). */
  ages(fileSystemIds: readonly string[], now: Date): Promise<BacklogReadings>;
}

/** Failures per class and bucket, oldest bucket first, by class. */
type FailureSeries = ReadonlyMap<string, readonly number[]>;

/**
 * Reads the analyzer's own Failures metric per class back from CloudWatch (lib/aws/metrics.ts):
 * the digest's failures over time. Never throws: a failed read is a "could not check".
 */
interface FailureSeriesPort {
  /** Failures of each class in each `periodSeconds` bucket of [start, end). */
  failuresByClass(
    classes: readonly string[],
    window: TimeWindow,
    periodSeconds: number,
  ): Promise<Checked<FailureSeries>>;
}

export type {
  AttemptHistory,
  BacklogPort,
  DeferralPort,
  DeferredExport,
  DigestRules,
  DigestStore,
  ExportRequest,
  FailureSeries,
  FailureSeriesPort,
  FsxPort,
  FsxTaskPort,
  LedgerPort,
  LogWindow,
  LogWindowPort,
  LogWindowQuery,
  ObserveResult,
  PendingWork,
  ReadOptions,
  ReadProgress,
  ReportPort,
  ReportRead,
  StartResult,
  TaskStatus,
  TrackedTask,
};

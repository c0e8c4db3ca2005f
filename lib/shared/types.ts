/**
 * Domain types shared by the pure core (decode → parse → classify → plan → render).
 * Nothing here depends on AWS SDK types: adapters in lib/aws/ translate at the edge.
 */

/** The eight classes every recognised record falls into. */
export type FailureClass =
  | 'transient'
  | 'busy'
  | 'permission'
  | 'limit'
  | 'skipped'
  | 'report'
  | 'import'
  | 'unknown';

/** Which FSx activity a documented event belongs to. */
export type EventKind = 'export' | 'import' | 'restore' | 'report';

/** One CloudWatch Logs subscription payload after decoding, `DATA_MESSAGE` only. */
export interface LogBatch {
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  /** File-system id taken from a `datarepo_<fs-id>` stream name, when it has one. */
  readonly streamFileSystemId: string | undefined;
  readonly events: readonly LogEvent[];
}

/**
 * One log event. `message` is `unknown` because a malformed payload may carry anything there;
 * the parser counts non-strings as unparseable instead of failing the batch.
 */
export interface LogEvent {
  readonly id: string;
  readonly timestamp: number;
  readonly message: unknown;
  /** Set by the decoder when the event itself was malformed (not an object, id not a string…). */
  readonly defect?: string;
}

/** Where a record came from, kept for the summary and console links. */
export interface EventOrigin {
  readonly eventId: string;
  readonly timestamp: number;
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
}

/** A log event recognised as an FSx data repository record. */
export interface FailureRecord extends EventOrigin {
  readonly kind: 'record';
  /** Canonical identifier: the documented error code (old table) or the label when only the new table has it. Unknown codes are kept as written. */
  readonly code: string;
  readonly class: FailureClass;
  /** How the record was recognised. */
  readonly format: 'json' | 'text';
  /** The log stream's file system (FSx names the stream), else the one the record names. */
  readonly fileSystemId: string | undefined;
  /**
   * Another file system the record's own text names: the stream wins, and such a record is shown
   * but never re-exported (text inside a record never chooses what is re-exported).
   */
  readonly namedFileSystemId?: string | undefined;
  /** File path as written in the record (not yet normalised). */
  readonly path: string | undefined;
  /**
   * The path was read from free text without a closing delimiter and may have been cut at a
   * space: shown, never re-exported (a cut path can name a parent folder).
   */
  readonly pathUncertain?: boolean | undefined;
  readonly s3Key: string | undefined;
  readonly bucket: string | undefined;
  readonly associationId: string | undefined;
  /** Time the record states, as ISO-8601 when it could be read; otherwise the log event time is used. */
  readonly time: string | undefined;
  readonly level: 'ERROR' | 'WARN' | undefined;
  /** Raw message, truncated; untrusted. */
  readonly message: string;
}

/** A log event that is not recognisable as an FSx data repository record. */
export interface UnparseableEvent extends EventOrigin {
  readonly kind: 'unparseable';
  /** Why it could not be read, e.g. "message is not a string". */
  readonly reason: string;
  /** Truncated raw sample; untrusted. */
  readonly sample: string;
}

/** The outcome of parsing one log event: every event is exactly one of these. */
export type ParsedEvent = FailureRecord | UnparseableEvent;

/** A data repository association, reduced to what mapping and report paths need. */
export interface Association {
  readonly associationId: string;
  readonly fileSystemId: string;
  readonly lifecycle: string;
  /** e.g. `/ns1` or `/ns1/`; `/` links the whole file system. */
  readonly fileSystemPath: string;
  /** e.g. `s3://bucket/prefix/`. */
  readonly dataRepositoryPath: string;
}

/** An SNS message as we publish it: one per invocation. */
export interface Publication {
  /** Printable ASCII, one line, fewer than 100 characters. */
  readonly subject: string;
  /** Plain text for email, under the 256 KB SNS limit. */
  readonly body: string;
  /** SNS message attributes for subscription filter policies. A list becomes `String.Array`. */
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
}

/** A re-export we intend to start: one CreateDataRepositoryTask request. */
export interface ExportTask {
  readonly fileSystemId: string;
  /** Paths relative to the file-system root, no leading slash, sorted, unique. */
  readonly paths: readonly string[];
  /** Log events whose failures this task retries, sorted, unique. */
  readonly eventIds: readonly string[];
  readonly classes: readonly FailureClass[];
  /** How long to wait before starting: 0 for internal errors, the busy delay for busy files. */
  readonly delaySeconds: number;
  /** Deterministic idempotency token: the same failures always give the same token. */
  readonly clientRequestToken: string;
  /** S3 path for the FAILED_FILES_ONLY completion report; undefined when no association is known. */
  readonly reportPath: string | undefined;
}
/** A retryable failure that cannot be re-exported, and why. */
export interface Unplanned {
  readonly fileSystemId: string | undefined;
  readonly eventId: string;
  readonly class: FailureClass;
  /** What the record named: its path, or its S3 key as `s3://bucket/key`. */
  readonly target: string | undefined;
  readonly reason: string;
}
export interface Plan {
  readonly tasks: readonly ExportTask[];
  readonly unplanned: readonly Unplanned[];
}

/** What happened to one planned re-export. */
export type TaskOutcome =
  | {
      readonly status: 'started';
      readonly task: ExportTask;
      readonly taskId: string;
      readonly lifecycle: string;
    }
  | {
      readonly status: 'refused';
      readonly task: ExportTask;
      /** FSx error name, e.g. DataRepositoryTaskExecuting. */
      readonly error: string;
      /** Our explanation, from the FSx error table. */
      readonly reason: string;
      readonly retryLater: boolean;
    }
  | { readonly status: 'deferred'; readonly task: ExportTask; readonly reason: string }
  | {
      /** Sent to the deferral queue: the retrier starts it once FSx and the file are free. */
      readonly status: 'queued';
      readonly task: ExportTask;
      /** SQS delay before the retrier first sees it. */
      readonly delaySeconds: number;
      /** `busy`, or the FSx error that refused the start (e.g. `DataRepositoryTaskExecuting`). */
      readonly reason: string;
      /** Why, in words, for the summary. */
      readonly detail: string;
      /** Earliest time the retrier looks at it (ISO-8601). */
      readonly notBefore: string;
    }
  | { readonly status: 'planned'; readonly task: ExportTask };
/**
 * A path that is not re-exported again because it was re-exported `maxAttempts` times within the
 * attempts window and still fails: a person takes over, with the history to start from.
 */
export interface Escalation {
  readonly fileSystemId: string;
  readonly path: string;
  /** Tasks that re-exported it within the window, oldest first. */
  readonly taskIds: readonly string[];
  readonly lastAttemptAt: string | undefined;
  /** Completion-report path of those tasks, where their failures.csv lie (when known). */
  readonly reportPath: string | undefined;
}
/** The batches' origin, for headers and console links. */
export interface Source {
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly events: number;
}
/** Everything one analysis produced; renderers and the JSON output read only this. */
export interface Report {
  readonly generatedAt: string;
  /** AWS Region for console links; undefined when unknown (CLI without AWS settings). */
  readonly region: string | undefined;
  readonly dryRun: boolean;
  readonly sources: readonly Source[];
  /** Payloads skipped because they were not DATA_MESSAGE (CloudWatch health checks). */
  readonly skippedMessages: number;
  readonly events: number;
  readonly records: readonly FailureRecord[];
  readonly unparseable: readonly UnparseableEvent[];
  readonly plan: Plan;
  readonly outcomes: readonly TaskOutcome[];
  /** Paths a person must take over after too many re-exports (only with an attempts ledger). */
  readonly escalated?: readonly Escalation[];
}

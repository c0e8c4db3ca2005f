/**
 * Domain types shared by the pure core (decode → parse → classify → plan → render).
 * Nothing here depends on AWS SDK types: adapters in lib/aws/ translate at the edge.
 * Over 400 lines on purpose: the one vocabulary every folder and adapter speaks, in one place.
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
  /**
   * True when the input named no log group and `logGroup` is the CLI's assumption (`--log-group`
   * not given, so /aws/fsx/lustre); absent when the input or the person named it.
   */
  readonly logGroupAssumed?: true;
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
  /**
   * Epoch milliseconds; undefined when the input carries no time (a bare log line read by
   * `analyze`). A subscription event always has one.
   */
  readonly timestamp: number | undefined;
  readonly message: unknown;
  /** Set by the decoder when the event itself was malformed (not an object, id not a string…). */
  readonly defect?: string;
}

/** Where a record came from, kept for the summary and console links. */
export interface EventOrigin {
  readonly eventId: string;
  /** The log event's time (epoch milliseconds); undefined when the input carried none. */
  readonly timestamp: number | undefined;
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
  /**
   * Retryable failures that name only an S3 key, in a dry run that did not read the data
   * repository associations (or whose `--associations FILE` leaves their file system out): the
   * Lambda maps them to paths and re-exports them, so no person is needed;
   * `analyze --associations FILE` shows their paths.
   */
  readonly awaitingMapping: readonly Unplanned[];
  /**
   * Why `analyze --associations FILE` could not map some of them, one per file system the file
   * leaves out (`fs-… is not in FILE`); absent when there is none.
   */
  readonly awaitingMappingNotes?: readonly string[];
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
  | {
      readonly status: 'planned';
      readonly task: ExportTask;
      /**
       * What the dry run could not tell of the task, in words: set when `analyze --associations
       * FILE` gave it no completion report path (lib/analyze/pipeline.ts, plannedOutcome).
       */
      readonly note?: string;
      /** Set when the Lambda would refuse the task before asking FSx: the error it would give. */
      readonly refusal?: 'NoReportPath';
    };
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
  /** The code a re-export task's completion report gave the path, when it failed again there. */
  readonly failedWith?: ReportedFailure;
  /** Organization mode: the member account that owns the file system; absent: the home account. */
  readonly account?: string;
}
/** A path's failure in a re-export task, as the task's completion report gave it. */
export interface ReportedFailure {
  /** The ErrorCode of failures.csv (`S3AccessDenied`…). */
  readonly code: string;
  readonly class: FailureClass;
  readonly taskId: string;
}
/** The batches' origin, for headers and console links. */
export interface Source {
  readonly owner: string;
  readonly logGroup: string;
  /** As in LogBatch: the log group is assumed, not known. Outputs say so. */
  readonly logGroupAssumed?: true;
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
  /**
   * Set only when the input was too large to keep every record (`analyze` on a huge file):
   * the statistics of every event; `records`, `unparseable` and the plan's lists then hold the
   * first ones only (docs/cli.md#large-inputs).
   */
  readonly folded?: FoldedReport;
}

/** Items of one place (file system and account): how many, and a few distinct samples. */
export interface PlaceCount {
  readonly fileSystemId: string | undefined;
  readonly account: string | undefined;
  readonly count: number;
  /** Untrusted, first seen first. */
  readonly samples: readonly string[];
}

/** Codes that share one remediation hint within a class, with a few affected files per place. */
export interface HintGroup {
  readonly hint: string;
  readonly count: number;
  /** Most frequent first. */
  readonly codes: ReadonlyArray<readonly [code: string, count: number]>;
  /** The file systems (and accounts) of its records, each with a few shown targets (untrusted). */
  readonly places: readonly PlaceCount[];
}

/** A class a person must act on, split by remediation hint. */
export interface PersonFinding {
  readonly cls: FailureClass;
  readonly count: number;
  readonly groups: readonly HintGroup[];
}

/** One class's row of the class table, before it knows whether the report is a dry run. */
export interface ClassTally {
  readonly cls: FailureClass;
  readonly records: number;
  /** Distinct targets (path, else S3 object) per file system, added up. */
  readonly files: number;
  readonly fileSystems: number;
  /** Some of its records name no file system: the class table then says "unknown". */
  readonly withoutFileSystem: boolean;
}

/**
 * What every output counts of a report's records and unparseable events, computed in one pass
 * (lib/analyze/totals.ts), so no output walks the records again.
 */
export interface ReportTotals {
  readonly records: number;
  readonly unparseable: number;
  readonly byClass: Readonly<Record<FailureClass, number>>;
  /** Most frequent first, ties by code. */
  readonly byCode: ReadonlyArray<readonly [code: string, count: number]>;
  /** The class shown for each code: that of its first record. */
  readonly codeClasses: ReadonlyMap<string, FailureClass>;
  /** Per file system (`unknown` for records without one), in id order: counts per class. */
  readonly byFileSystem: ReadonlyArray<
    readonly [fileSystemId: string, counts: Readonly<Record<FailureClass, number>>]
  >;
  /** Per file system, the account its records came from when they name exactly one. */
  readonly accounts: ReadonlyMap<string, string | undefined>;
  /** File systems named by records, sorted. */
  readonly fileSystemIds: readonly string[];
  readonly findings: readonly PersonFinding[];
  /** Class table rows, in severity order, classes with records only. */
  readonly classTally: readonly ClassTally[];
  /** File systems of unparseable events, from `datarepo_<id>` stream names. */
  readonly unparseableFileSystems: number;
  /** Some unparseable event came from a stream that names no file system (not `datarepo_<id>`). */
  readonly unparseableWithoutFileSystem: boolean;
  /** Earliest and latest known event time (ms); undefined when no event has one. */
  readonly window: { readonly first: number; readonly last: number } | undefined;
  /** Events without a (valid) time. */
  readonly untimed: number;
  /** Log groups and streams of the events, first seen first. */
  readonly logGroups: readonly string[];
  readonly logStreams: readonly string[];
  /** Every record is of class `import` (false when there is none). */
  readonly onlyImport: boolean;
}

/** Retryable failures not re-exported for one reason, by place. */
export interface UnplannedGroup {
  readonly reason: string;
  readonly count: number;
  readonly places: readonly PlaceCount[];
}

/** The whole of a report too large to keep every record; its lists hold the first items. */
export interface FoldedReport {
  readonly totals: ReportTotals;
  /**
   * Every retryable failure not re-exported: in all, per class (the class table's note) and
   * grouped by reason (the plan lists only the first ones).
   */
  readonly unplanned: {
    readonly count: number;
    readonly byClass: Readonly<Partial<Record<FailureClass, number>>>;
    readonly groups: readonly UnplannedGroup[];
  };
  readonly awaitingMapping: number;
  /** Records and unparseable events past the kept ones. */
  readonly recordsOmitted: number;
  readonly unparseableOmitted: number;
  /** Event ids left out of the tasks' `eventIds` past the kept ones. */
  readonly eventIdsOmitted: number;
}

/*
 * Alert digests (docs/design.md#alert-digests): failures are grouped per (file system or log
 * group, class); each group has an alert window in the store (lib/aws/digests.ts) that follows the
 * rules of lib/digest/windows.ts.
 */

/** The class of a digest group: a failure class, or the log group's unparseable events. */
export type DigestClass = FailureClass | 'unparseable';

/** What a digest group is about: a file system, or a log group when the records name none. */
export interface GroupKey {
  readonly scopeKind: 'fileSystem' | 'logGroup';
  /** File-system id or log-group name; untrusted. */
  readonly scope: string;
  readonly cls: DigestClass;
}

/** Re-export outcomes of a group's failures, counted per failure (log event). */
export interface OutcomeCounts {
  readonly started: number;
  readonly queued: number;
  /** Listed with a command for a person (no deferral queue). A dry run's planned tasks count nowhere. */
  readonly deferred: number;
  readonly refused: number;
  /** Paths handed to a person after K re-exports. */
  readonly escalated: number;
}

/** One group's failures in one batch. */
export interface BatchGroup {
  readonly key: GroupKey;
  readonly failures: number;
  /** Per failure: the short hash of its path (or S3 target), undefined when it names none. */
  readonly targets: readonly (string | undefined)[];
  /** Display samples (sanitised, truncated, never empty) by path hash, first seen first. */
  readonly samples: ReadonlyMap<string, string>;
  readonly codes: ReadonlyMap<string, number>;
  readonly outcomes: OutcomeCounts;
  /** Short hashes of the escalated paths. */
  readonly escalations: readonly string[];
  /** Log event ids, so the summary can show exactly the groups that alert. */
  readonly eventIds: readonly string[];
  /** Latest event time, epoch seconds. */
  readonly lastAt: number;
  /** Log groups the failures came from, for the digest's Logs Insights link. */
  readonly logGroups: readonly string[];
}

/** Held failures of one window, or what one batch group adds to them. */
export interface FailureCounts {
  readonly held: number;
  /** Held failures whose path had not failed in this or the previous window. */
  readonly newFailures: number;
  /** Held failures whose path already failed in this or the previous window. */
  readonly recurringFailures: number;
  /** Held failures with no path, or past the path-tracking bound: neither new nor recurring. */
  readonly untracked: number;
  readonly outcomes: OutcomeCounts;
  /** Failures per code; past MAX_CODES distinct codes the rest count under one "other" code. */
  readonly codes: ReadonlyMap<string, number>;
}

/** Counters of one window of one group. */
export interface WindowCounters extends FailureCounts {
  /** Display samples of held paths, at most MAX_SAMPLES (softly: concurrent writers may add one batch's worth). */
  readonly samples: readonly string[];
}

/** One digest entry: the failures held in one window of one group. */
export interface DigestWindow extends WindowCounters {
  readonly key: GroupKey;
  /** Log groups the group's failures came from (for the Logs Insights link). */
  readonly logGroups: readonly string[];
  /** Window start and end, epoch seconds. */
  readonly windowStart: number;
  readonly windowEnd: number;
}

/** A group that had no failure for a full window: it alerts at once again next time. */
export interface Recovered {
  readonly key: GroupKey;
  /** Last failure seen, epoch seconds. */
  readonly lastFailureAt: number;
  /** When the quiet window ended, epoch seconds. */
  readonly windowEnd: number;
  readonly windowSeconds: number;
}

/** A group's state: OPEN while its alert window runs, QUIET before and after. */
export type WindowStatus = 'OPEN' | 'QUIET';

/** What the tracked sets of the open window already hold, as read from the store. */
export interface WindowView {
  readonly hashes: ReadonlySet<string>;
  readonly previousHashes: ReadonlySet<string>;
  readonly escalated: ReadonlySet<string>;
  readonly samples: number;
  readonly codes: ReadonlySet<string>;
}

/** What a batch group opens a window with: the path hashes and escalations it tracks. */
export interface WindowOpening {
  /** Distinct path hashes, at most MAX_HASHES. */
  readonly hashes: readonly string[];
  /** Distinct escalated path hashes, at most MAX_ESCALATED. */
  readonly escalated: readonly string[];
}

/** The increments one batch group adds to an open window. */
export interface Increment extends FailureCounts {
  readonly addHashes: readonly string[];
  readonly addSamples: readonly string[];
  /** Escalated path hashes new to this window: each makes the batch urgent. */
  readonly newEscalations: readonly string[];
  /** The first of `newEscalations` the window still has room to remember (MAX_ESCALATED). */
  readonly rememberEscalations: readonly string[];
}

/** What a due window turns into. */
export type RollDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'digest' | 'renew'; readonly nextStart: number; readonly nextEnd: number }
  | { readonly kind: 'recover' };

/** One count a feature reports, emitted by lib/aws/telemetry.ts as a CloudWatch EMF metric. */
export interface MetricPoint {
  readonly name: string;
  readonly value: number;
  /** Its own dimension set (e.g. Class); without it the point joins the invocation's totals. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** One structured log line a feature composes, written by lib/aws/telemetry.ts. */
export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** A queued message whose body could not be read: it fails on every receive, then dead-letters. */
export interface UnreadMessage {
  readonly messageId: string;
  /** SQS ApproximateReceiveCount: deliveries so far, this one included. */
  readonly receiveCount: number;
  readonly reason: string;
}

/** What a feature tells operators about one step: its metrics and log lines, as data. */
export interface Telemetry {
  readonly metrics: readonly MetricPoint[];
  readonly logs: readonly LogLine[];
}

/** A time window [start, end) in epoch milliseconds (`scan`, `reexport`, the log reader). */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/*
 * `doctor`: what lib/aws/inventory.ts reads (file systems, their associations, the subscription
 * filters of their event log groups) and what a scheduled doctor keeps between runs.
 */

/** How bad a doctor finding can be, mildest first. PROBLEM and UNKNOWN make `doctor` exit 1. */
export const SEVERITIES = ['OK', 'NOTE', 'WARN', 'PROBLEM', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];
/** What a doctor finding can be about. `topic`: the summary topic's subscriptions (whom alerts reach). */
export const CHECKS = [
  'file-system',
  'logging',
  'subscription',
  'associations',
  'association',
  'topic',
  'backlog',
] as const;
export type Check = (typeof CHECKS)[number];

/** What a lookup found, or why it could not look. */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly permission: string;
      readonly denied?: boolean;
    };

export interface LoggingFacts {
  /** DISABLED | WARN_ONLY | ERROR_ONLY | WARN_ERROR (anything else is shown as is). */
  readonly level: string;
  /** A log group ARN; undefined means the default group. */
  readonly destination: string | undefined;
}

/** A file system as DescribeFileSystems describes it, reduced to what doctor checks. */
export interface FileSystemFacts {
  readonly fileSystemId: string;
  readonly lifecycle: string;
  /** The Name tag, if any. */
  readonly name: string | undefined;
  /** arn:<partition>:fsx:<region>:<account>:file-system/<id>: gives the fix commands' ARNs. */
  readonly arn: string | undefined;
  readonly ownerId: string | undefined;
  readonly creationTime: Date | undefined;
  /** undefined: the file system has no LogConfiguration (logging off). */
  readonly logging: LoggingFacts | undefined;
}

export interface AssociationFacts {
  readonly associationId: string;
  readonly lifecycle: string;
  readonly fileSystemPath: string | undefined;
  readonly dataRepositoryPath: string | undefined;
  readonly failureMessage: string | undefined;
  /** S3.AutoExportPolicy.Events; empty when the association has no automatic export. */
  readonly exportEvents: readonly string[];
  /** S3.AutoImportPolicy.Events: kept in the fix command, which sets the whole S3 block. */
  readonly importEvents: readonly string[];
  readonly importedFileChunkSize: number | undefined;
}

export interface SubscriptionFilterFacts {
  readonly filterName: string;
  readonly destinationArn: string;
  readonly filterPattern: string;
}

export type LogGroupFacts =
  | { readonly exists: true; readonly filters: readonly SubscriptionFilterFacts[] }
  | { readonly exists: false };

export interface FileSystemInventory {
  readonly fileSystem: FileSystemFacts;
  readonly associations: Checked<readonly AssociationFacts[]>;
}

/** One subscription of the summary topic (ListSubscriptionsByTopic), without its endpoint. */
export interface TopicSubscriptionFacts {
  /** email, sqs, https, ... */
  readonly protocol: string;
  /** false while SNS waits for the endpoint to confirm (SubscriptionArn "PendingConfirmation"). */
  readonly confirmed: boolean;
}

export type TopicFacts =
  | { readonly exists: true; readonly subscriptions: readonly TopicSubscriptionFacts[] }
  | { readonly exists: false };

/** The summary topic doctor was given, and its subscriptions. */
export interface TopicInventory {
  readonly topicArn: string;
  readonly lookup: Checked<TopicFacts>;
}

/** Everything doctor looked at, as read by lib/aws/inventory.ts. */
export interface Inventory {
  readonly region: string | undefined;
  /** FSx for Lustre file systems only, in DescribeFileSystems order. */
  readonly fileSystems: readonly FileSystemInventory[];
  /** Keyed by log group name. */
  readonly logGroups: ReadonlyMap<string, Checked<LogGroupFacts>>;
  /** Absent: no topic was given (doctor without --topic-arn), so whom alerts reach is not checked. */
  readonly topic?: TopicInventory;
  /** The automatic-export backlog per file system (lib/aws/metrics.ts); absent: not read. */
  readonly backlog?: BacklogReadings;
}

/**
 * The automatic-export backlog of one file system: the newest data point of FSx's
 * AgeOfOldestQueuedMessage metric (namespace AWS/FSx, Publisher AutoExport), the age of the oldest
 * change on the file system not yet exported to S3 (docs/fsx-facts.md#export-backlog).
 */
export interface BacklogFacts {
  /** Seconds; undefined when CloudWatch has no data point in the lookback window. */
  readonly ageSeconds: number | undefined;
  /** When that data point was taken (epoch milliseconds). */
  readonly at: number | undefined;
}

/** The backlog of each file system asked for, by file system id: read, or why it could not be. */
export type BacklogReadings = ReadonlyMap<string, Checked<BacklogFacts>>;

/** What a scheduled doctor keeps of a run: enough to tell the next run what changed. */
export interface FindingState {
  readonly key: string;
  readonly fileSystemId: string;
  readonly check: Check;
  /** The severity a person last heard of (or would have: OK and NOTE are not emailed). */
  readonly severity: Severity;
  /**
   * The last run could not check this (UNKNOWN) for the first time and kept quiet: `severity`
   * is still the one before, or UNKNOWN when the finding was new then.
   */
  readonly unconfirmed?: boolean | undefined;
}

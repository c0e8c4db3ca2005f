import { describeError } from '../common/errors.ts';
import type {
  DeferralPort,
  DeferredExport,
  ExportRequest,
  FsxPort,
  LedgerPort,
} from '../common/ports.ts';
import type {
  Association,
  Escalation,
  ExportTask,
  FailureRecord,
  LogBatch,
  Report,
  TaskOutcome,
} from '../common/types.ts';
import {
  clientRequestToken,
  escalationOf,
  fsxRefusal,
  missingReportPath,
  type Refusal,
  reachedAttemptLimit,
  recordStart,
} from '../reexport/rules.ts';
import { type Analysis, analyzeBatches } from './analysis.ts';
import { associationsNeeded, type PlanOptions, planReexports } from './plan.ts';

/**
 * Durable re-export: where waiting re-exports go and what remembers earlier attempts. Without it
 * (the CLI, or a stack without queue and table) busy and refused re-exports are only reported.
 */
interface DurableOptions {
  /** The deferral queue; undefined: busy and retry-later tasks are reported, not queued. */
  readonly deferral: DeferralPort | undefined;
  /** The attempts ledger; undefined: no attempt limit, nothing tracked for the outcome check. */
  readonly ledger: LedgerPort | undefined;
  /** Delay of a task refused with a retry-later error (DataRepositoryTaskExecuting, throttling…). */
  readonly retryLaterSeconds: number;
  /** K: a path re-exported this many times within the ledger's window is escalated instead. */
  readonly maxAttempts: number;
}

interface PipelineOptions {
  readonly maxPathsPerTask: number;
  readonly busyDelaySeconds: number;
  readonly reportPath: string | undefined;
  readonly region: string | undefined;
  /** No AWS calls at all: tasks are planned, not started; associations are not read from FSx. */
  readonly dryRun: boolean;
  /**
   * Associations known without asking FSx (`analyze --associations FILE`), so a dry run maps S3
   * keys to paths as the Lambda does; `source` names the file in reasons.
   */
  readonly knownAssociations?: {
    readonly source: string;
    readonly byFileSystem: ReadonlyMap<string, readonly Association[]>;
  };
  /** Clock for `generatedAt`; injectable for tests. */
  readonly now?: () => Date;
  /** Queue and ledger; absent: today's report-only behaviour. */
  readonly durable?: DurableOptions;
}

async function readAssociations(
  analysis: Analysis,
  options: PipelineOptions,
  fsx: FsxPort | undefined,
): Promise<Pick<PlanOptions, 'associations' | 'associationErrors' | 'associationsLeftOut'>> {
  const associations = new Map<string, readonly Association[]>();
  const associationErrors = new Map<string, string>();
  const known = options.knownAssociations;
  // A dry run without an associations file reads none: no pass over the records to name them.
  if (known === undefined && (fsx === undefined || options.dryRun)) {
    return { associations, associationErrors };
  }
  const needed = associationsNeeded(analysis.records, options.reportPath);
  if (known !== undefined) {
    // A file system the file leaves out is not an error: the Lambda would read its associations
    // from FSx, so its S3-key-only records await mapping as with no file at all.
    const associationsLeftOut = new Map<string, string>();
    for (const fileSystemId of needed) {
      const found = known.byFileSystem.get(fileSystemId);
      if (found !== undefined) associations.set(fileSystemId, found);
      else associationsLeftOut.set(fileSystemId, leftOutNote(fileSystemId, known.source));
    }
    return { associations, associationErrors, associationsLeftOut };
  }
  if (fsx === undefined) return { associations, associationErrors };
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

/**
 * A dry run's task. With `analyze --associations FILE` and no REPORT_PATH, a task whose file
 * system the file leaves out, or lists without an S3 association, has no completion report path:
 * the Lambda would read the associations from FSx, or refuse the task (NoReportPath). The note
 * says so, naming the file system and the file, instead of showing the task as simply planned.
 */
function plannedOutcome(
  task: ExportTask,
  known: PipelineOptions['knownAssociations'],
  associationsLeftOut: ReadonlyMap<string, string> | undefined,
): TaskOutcome {
  if (known === undefined || task.reportPath !== undefined) return { status: 'planned', task };
  const missing = associationsLeftOut?.get(task.fileSystemId);
  if (missing === undefined) {
    return {
      status: 'planned',
      task,
      note: `${known.source} lists no S3 data repository association of ${task.fileSystemId} to hold the completion report: the Lambda would refuse this task (NoReportPath) unless REPORT_PATH is set.`,
      refusal: 'NoReportPath',
    };
  }
  return {
    status: 'planned',
    task,
    note: `${missing}: the Lambda reads this file system's associations from FSx for the task's completion report; this dry run has no report path (add the file system to the file, or set REPORT_PATH).`,
  };
}

/** Why a dry run has no associations for a file system that `analyze --associations FILE` leaves out. */
function leftOutNote(fileSystemId: string, source: string): string {
  return `${fileSystemId} is not in ${source}`;
}

/** What a task's run produced beyond its outcome: the message to queue, if any. */
interface Executed {
  readonly outcome: TaskOutcome;
  readonly deferral?: { message: DeferredExport; delaySeconds: number };
}

function notBefore(now: Date, delaySeconds: number): string {
  return new Date(now.getTime() + delaySeconds * 1000).toISOString();
}

function deferredMessage(task: ExportTask, reason: string, batch: LogBatch, now: Date) {
  const message: DeferredExport = {
    version: 1,
    fileSystemId: task.fileSystemId,
    paths: task.paths,
    eventIds: task.eventIds,
    classes: task.classes,
    reason,
    reportPath: task.reportPath,
    logGroup: batch.logGroup,
    logStream: batch.logStream,
    deferredAt: now.toISOString(),
  };
  return message;
}

/** The outcome of a task that waits in the deferral queue, and the message that makes it wait. */
function queue(
  task: ExportTask,
  reason: string,
  detail: string,
  delaySeconds: number,
  batch: LogBatch,
  now: Date,
): Executed {
  return {
    outcome: {
      status: 'queued',
      task,
      delaySeconds,
      reason,
      detail,
      notBefore: notBefore(now, delaySeconds),
    },
    deferral: { message: deferredMessage(task, reason, batch, now), delaySeconds },
  };
}

async function execute(
  task: ExportTask,
  options: PipelineOptions,
  fsx: FsxPort | undefined,
  read: Pick<PlanOptions, 'associationErrors' | 'associationsLeftOut'>,
  origin: LogBatch,
  now: Date,
): Promise<Executed> {
  if (options.dryRun || fsx === undefined) {
    return { outcome: plannedOutcome(task, options.knownAssociations, read.associationsLeftOut) };
  }
  const deferral = options.durable?.deferral;
  if (task.delaySeconds > 0) {
    // Starting a busy file's export at once would most likely fail busy again and pause
    // automatic export meanwhile; it waits for its writer instead.
    if (deferral !== undefined) {
      return queue(
        task,
        'busy',
        `busy files wait ${task.delaySeconds} s for their writer to finish; the retrier then re-exports them`,
        task.delaySeconds,
        origin,
        now,
      );
    }
    return {
      outcome: {
        status: 'deferred',
        task,
        reason: `busy files wait ${task.delaySeconds} s for their writer to finish; no deferral queue is configured, so re-export them after that (or set BUSY_DELAY_SECONDS=0)`,
      },
    };
  }
  let refusal: Refusal;
  if (task.reportPath === undefined) {
    refusal = missingReportPath(read.associationErrors.get(task.fileSystemId));
  } else {
    const request: ExportRequest = {
      fileSystemId: task.fileSystemId,
      paths: task.paths,
      clientRequestToken: task.clientRequestToken,
      reportPath: task.reportPath,
    };
    const result = await fsx.startExport(request);
    if (result.ok) {
      const ledger = options.durable?.ledger;
      // Recorded only once FSx accepted the task: a refusal is no attempt. A LedgerError fails
      // the invocation; the retry gets the same task back (same token) and records it again,
      // which the ledger ignores.
      if (ledger !== undefined) await recordStart(ledger, request, result.taskId, now, 'analyzer');
      return {
        outcome: { status: 'started', task, taskId: result.taskId, lifecycle: result.lifecycle },
      };
    }
    refusal = fsxRefusal(result.error, result.message);
  }
  if (refusal.retryLater && deferral !== undefined) {
    const delay = options.durable?.retryLaterSeconds ?? 0;
    return queue(task, refusal.error, refusal.reason, delay, origin, now);
  }
  return { outcome: { status: 'refused', task, ...refusal } };
}

/** Which log batch a task's first event came from, for the deferred message's origin. */
function originOf(
  task: ExportTask,
  batchOfEvent: ReadonlyMap<string, LogBatch>,
  fallback: LogBatch,
): LogBatch {
  return batchOfEvent.get(task.eventIds[0] ?? '') ?? fallback;
}

/**
 * The task without the paths that need a person: same report path, and a token recomputed from
 * the remaining paths and the log events behind them (so a redelivery computes it again).
 */
function withoutPaths(
  task: ExportTask,
  remaining: ReadonlySet<string>,
  records: readonly FailureRecord[],
  planOptions: PlanOptions,
): ExportTask {
  const wanted = new Set(task.eventIds);
  const ids: string[] = [];
  for (const record of records) {
    if (!wanted.has(record.eventId)) continue;
    // The plan resolves a record's path (S3 key through the associations, normalisation); asking
    // it for this one record keeps that logic in one place. Only escalations get here.
    const path = planReexports([record], planOptions).tasks[0]?.paths[0];
    if (path !== undefined && remaining.has(path)) ids.push(record.eventId);
  }
  const paths = task.paths.filter((path) => remaining.has(path));
  const eventIds = [...new Set(ids)].sort();
  return {
    fileSystemId: task.fileSystemId,
    paths,
    eventIds,
    classes: task.classes,
    delaySeconds: task.delaySeconds,
    clientRequestToken: clientRequestToken(task.fileSystemId, paths, eventIds),
    reportPath: task.reportPath,
  };
}

/**
 * Splits off the paths re-exported `maxAttempts` times within the window: they are escalated to a
 * person with their history, the rest stays a task (undefined when nothing is left).
 */
async function applyAttemptLimit(
  task: ExportTask,
  ledger: LedgerPort,
  maxAttempts: number,
  records: readonly FailureRecord[],
  planOptions: PlanOptions,
): Promise<{ task: ExportTask | undefined; escalated: Escalation[] }> {
  const histories = await ledger.attempts(task.fileSystemId, task.paths);
  const escalated: Escalation[] = [];
  const remaining = new Set<string>();
  for (const path of task.paths) {
    const history = histories.get(path);
    if (reachedAttemptLimit(history, maxAttempts)) {
      escalated.push(escalationOf(task.fileSystemId, path, history, task.reportPath));
    } else remaining.add(path);
  }
  if (escalated.length === 0) return { task, escalated };
  if (remaining.size === 0) return { task: undefined, escalated };
  return { task: withoutPaths(task, remaining, records, planOptions), escalated };
}

/**
 * Runs the whole analysis on decoded batches: parse and classify every event, plan the
 * re-exports, start them through the FSx port (unless dry run), and return the report.
 * Per-record and per-task problems end up in the report. With durable options, paths past the
 * attempt limit are escalated, started tasks are recorded in the ledger, and what must wait is
 * queued; a ledger or queue failure then throws, so the invocation fails and is retried whole.
 */
async function processBatches(
  batches: readonly LogBatch[],
  options: PipelineOptions,
  fsx: FsxPort | undefined,
  skippedMessages = 0,
): Promise<Report> {
  const now = options.now?.() ?? new Date();
  const analysis = analyzeBatches(batches);
  const planOptions: PlanOptions = {
    maxPathsPerTask: options.maxPathsPerTask,
    busyDelaySeconds: options.busyDelaySeconds,
    reportPath: options.reportPath,
    ...(await readAssociations(analysis, options, fsx)),
  };
  const plan = planReexports(analysis.records, planOptions);
  const live = !options.dryRun && fsx !== undefined;
  const ledger = live ? options.durable?.ledger : undefined;
  // Which batch an event came from, for a queued task's origin: needed only with several
  // batches (one batch is every task's origin), so a subscription's batch maps no event ids.
  const batchOfEvent = new Map<string, LogBatch>();
  if (live && options.durable?.deferral !== undefined && batches.length > 1) {
    for (const batch of batches)
      for (const event of batch.events) batchOfEvent.set(event.id, batch);
  }
  // One file system runs one task at a time, so tasks are started one after another.
  const outcomes: TaskOutcome[] = [];
  const escalated: Escalation[] = [];
  const deferrals: { message: DeferredExport; delaySeconds: number }[] = [];
  for (const planned of plan.tasks) {
    let task: ExportTask | undefined = planned;
    if (ledger !== undefined) {
      const limited = await applyAttemptLimit(
        planned,
        ledger,
        options.durable?.maxAttempts ?? Number.POSITIVE_INFINITY,
        analysis.records,
        planOptions,
      );
      task = limited.task;
      escalated.push(...limited.escalated);
    }
    if (task === undefined) continue;
    const origin = originOf(task, batchOfEvent, batches[0] ?? EMPTY_BATCH);
    const executed = await execute(task, options, fsx, planOptions, origin, now);
    outcomes.push(executed.outcome);
    if (executed.deferral !== undefined) deferrals.push(executed.deferral);
  }
  // One call for all of them (the adapter batches by ten); it resolves only when SQS accepted
  // every message, so a `queued` outcome in the summary is true.
  if (deferrals.length > 0) await options.durable?.deferral?.defer(deferrals);
  return {
    generatedAt: now.toISOString(),
    region: options.region,
    dryRun: options.dryRun,
    sources: analysis.sources,
    skippedMessages,
    events: analysis.events,
    records: analysis.records,
    unparseable: analysis.unparseable,
    plan,
    outcomes,
    ...(ledger === undefined ? {} : { escalated }),
  };
}

const EMPTY_BATCH: LogBatch = {
  owner: 'unknown',
  logGroup: 'unknown',
  logStream: 'unknown',
  subscriptionFilters: [],
  streamFileSystemId: undefined,
  events: [],
};

export type { DurableOptions, PipelineOptions };
export { leftOutNote, plannedOutcome, processBatches };

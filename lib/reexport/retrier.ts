import { clientRequestToken, reportPathFor } from '../analyze/plan.ts';
import { AnalyzerError, describeError } from '../shared/errors.ts';
import { MAX_TASK_PATHS } from '../shared/fsx.ts';
import { explainFsxError } from '../shared/fsx-errors.ts';
import type {
  AttemptHistory,
  DeferredExport,
  FsxPort,
  FsxTaskPort,
  LedgerPort,
} from '../shared/ports.ts';
import type { Escalation, ExportTask, FailureClass } from '../shared/types.ts';

/*
 * The retrier's decisions, without AWS: given the deferral messages of one SQS batch, which ones
 * become one export task per file system, which wait (come back to the queue), which a person
 * takes over. functions/retrier.ts feeds the messages through Powertools' batch processor and
 * asks `settle()` per record; every record of a file system awaits the same memoised decision, so
 * the batch is coalesced across records although each record is handled on its own.
 */

/** One deferral message of the batch, parsed. */
interface QueuedExport {
  readonly messageId: string;
  /** SQS ApproximateReceiveCount: deliveries so far, this one included. */
  readonly receiveCount: number;
  readonly message: DeferredExport;
}

interface RetrierOptions {
  /** K: a path re-exported this many times within the ledger's window goes to a person. */
  readonly maxAttempts: number;
  readonly coalesceWindowSeconds: number;
  /** N: the queue's maxReceiveCount; a message received N times and waiting again is lost to the DLQ. */
  readonly maxReceives: number;
  /** At most this many paths per task (FSx allows 100). */
  readonly maxPathsPerTask: number;
  /** REPORT_PATH: report path for messages that carry none, instead of deriving one. */
  readonly reportPath: string | undefined;
  readonly region: string | undefined;
  /** Clock; injectable for tests. */
  readonly now?: () => Date;
}

interface RetrierPorts {
  readonly fsx: FsxPort & FsxTaskPort;
  readonly ledger: LedgerPort;
}

/** A task the retrier started, and how many messages it coalesced. */
interface RetrierStart {
  readonly task: ExportTask;
  readonly taskId: string;
  readonly lifecycle: string;
  readonly messages: number;
}

/** A task FSx refused for good: its paths go to a person. */
interface RetrierRefusal {
  readonly task: ExportTask;
  readonly error: string;
  readonly reason: string;
  readonly messages: number;
}

/** Messages of a file system that go back to the queue, and why. */
interface RetrierWait {
  readonly fileSystemId: string;
  readonly messages: number;
  readonly reason: string;
}

/** A message that waits again after its last allowed receive: SQS moves it to the DLQ. */
interface DeadLetter {
  readonly messageId: string;
  readonly receiveCount: number;
  /** Its re-export as a task, for the by-hand command (token and report path included). */
  readonly task: ExportTask;
  /** Why it waited this last time. */
  readonly reason: string;
  /** Why the analyzer deferred it (`busy`, an FSx error). */
  readonly deferredReason: string;
  readonly deferredAt: string;
}

/** What one retrier invocation did; the retrier email and the metrics read only this. */
interface RetrierReport {
  readonly generatedAt: string;
  readonly region: string | undefined;
  /** Messages decided (malformed ones are not among them). */
  readonly messages: number;
  readonly started: readonly RetrierStart[];
  readonly escalated: readonly Escalation[];
  readonly refused: readonly RetrierRefusal[];
  readonly waiting: readonly RetrierWait[];
  readonly deadLettered: readonly DeadLetter[];
}

/** Thrown for a record that must come back to the queue; its message says why. */
class RetryLaterError extends AnalyzerError {
  public constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** The decision for one file system's messages. */
interface GroupDecision {
  /** messageId → why it must come back; messages not in the map are done. */
  readonly waits: Map<string, string>;
  started: RetrierStart | undefined;
  refused: RetrierRefusal | undefined;
  readonly escalated: Escalation[];
  readonly deadLettered: DeadLetter[];
}

interface RetrierRun {
  /**
   * Resolves once the message is done (started, escalated, refused for good); throws a
   * RetryLaterError when it must come back to the queue.
   */
  settle(messageId: string): Promise<void>;
  /** Decides every group not asked for yet, then reports the whole batch. */
  report(): Promise<RetrierReport>;
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Oldest first, so a message that did not fit in a task is the first to fit in the next. */
function byAge(a: QueuedExport, b: QueuedExport): number {
  if (a.message.deferredAt !== b.message.deferredAt) {
    return a.message.deferredAt < b.message.deferredAt ? -1 : 1;
  }
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0;
}

/** A set of deferral messages as one task (no report path decided yet). */
function taskOf(
  fileSystemId: string,
  paths: Iterable<string>,
  items: readonly QueuedExport[],
  reportPath: string | undefined,
): ExportTask {
  const sortedPaths = unique(paths);
  const eventIds: string[] = [];
  const classes = new Set<FailureClass>();
  for (const item of items) {
    for (const id of item.message.eventIds) eventIds.push(id);
    for (const cls of item.message.classes) classes.add(cls);
  }
  const sortedIds = unique(eventIds);
  return {
    fileSystemId,
    paths: sortedPaths,
    eventIds: sortedIds,
    classes: [...classes].sort(),
    delaySeconds: 0,
    clientRequestToken: clientRequestToken(fileSystemId, sortedPaths, sortedIds),
    reportPath,
  };
}

function escalation(
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
  };
}

/**
 * Decides one file system's messages: (a) paths past the attempt limit go to a person; (b) a task
 * PENDING or EXECUTING there makes every message wait; (c) the rest is coalesced, oldest message
 * first, into one task of at most `maxPathsPerTask` paths (what does not fit waits); (d) only the
 * caller that claims the file system's coalescing window starts it; (e) FSx's answer decides the
 * rest. A query that fails (after the SDK's retries) makes the undecided messages wait: nothing is
 * started twice (deterministic token, ADD-only ledger) and nothing is lost.
 */
async function decideGroup(
  fileSystemId: string,
  items: readonly QueuedExport[],
  ports: RetrierPorts,
  options: RetrierOptions,
  now: Date,
): Promise<GroupDecision> {
  const decision: GroupDecision = {
    waits: new Map(),
    started: undefined,
    refused: undefined,
    escalated: [],
    deadLettered: [],
  };
  const sorted = [...items].sort(byAge);
  let undecided: readonly QueuedExport[] = sorted;
  const waitAll = (pending: readonly QueuedExport[], reason: string): void => {
    for (const item of pending) decision.waits.set(item.messageId, reason);
  };
  try {
    // (a) The attempt limit, on every path of the group at once.
    const histories = await ports.ledger.attempts(
      fileSystemId,
      unique(sorted.flatMap((item) => item.message.paths)),
    );
    const remainingOf = new Map<string, string[]>();
    const pending: QueuedExport[] = [];
    const told = new Set<string>();
    for (const item of sorted) {
      const remaining: string[] = [];
      for (const path of item.message.paths) {
        const history = histories.get(path);
        if (history === undefined || history.taskIds.length < options.maxAttempts) {
          remaining.push(path);
        } else if (!told.has(path)) {
          told.add(path);
          const reportPath = item.message.reportPath ?? options.reportPath;
          decision.escalated.push(escalation(fileSystemId, path, history, reportPath));
        }
      }
      // A message whose paths all went to a person is done.
      if (remaining.length > 0) {
        remainingOf.set(item.messageId, remaining);
        pending.push(item);
      }
    }
    undecided = pending;
    if (pending.length === 0) return decision;

    // (b) FSx runs one task at a time per file system; starting another would be refused.
    const active = await ports.fsx.activeTasks(fileSystemId);
    if (active.length > 0) {
      const names = active
        .slice(0, 3)
        .map((task) => `${task.taskId} (${task.lifecycle})`)
        .join(', ');
      waitAll(pending, `a data repository task is running on ${fileSystemId}: ${names}`);
      return decision;
    }

    // (c) Coalesce, oldest first, up to the task's path limit.
    const maxPaths = Math.min(Math.max(1, Math.floor(options.maxPathsPerTask)), MAX_TASK_PATHS);
    const paths = new Set<string>();
    const chosen: QueuedExport[] = [];
    for (const item of pending) {
      const remaining = remainingOf.get(item.messageId) ?? [];
      let added = 0;
      for (const path of remaining) if (!paths.has(path)) added++;
      if (paths.size + added > maxPaths) {
        decision.waits.set(
          item.messageId,
          `its paths did not fit in this window's task of at most ${maxPaths} paths on ${fileSystemId}`,
        );
        continue;
      }
      for (const path of remaining) paths.add(path);
      chosen.push(item);
    }
    undecided = chosen;
    let reportPath =
      chosen.find((item) => item.message.reportPath !== undefined)?.message.reportPath ??
      options.reportPath;
    if (reportPath === undefined) {
      try {
        reportPath = reportPathFor(unique(paths), await ports.fsx.listAssociations(fileSystemId));
      } catch (error) {
        waitAll(
          chosen,
          `the data repository associations could not be read: ${describeError(error)}`,
        );
        return decision;
      }
    }
    const task = taskOf(fileSystemId, paths, chosen, reportPath);
    if (task.reportPath === undefined) {
      decision.refused = {
        task,
        error: 'NoReportPath',
        reason:
          'the file system has no data repository association to hold the completion report; set REPORT_PATH or link a data repository',
        messages: chosen.length,
      };
      return decision;
    }

    // (d) One new task per file system and window, even with concurrent invocations.
    const claimed = await ports.ledger.claimWindow(
      fileSystemId,
      now,
      options.coalesceWindowSeconds,
    );
    if (!claimed) {
      waitAll(
        chosen,
        `a task was already started on ${fileSystemId} in this ${options.coalesceWindowSeconds}-second coalescing window`,
      );
      return decision;
    }

    // (e) Start it.
    const result = await ports.fsx.startExport({
      fileSystemId,
      paths: task.paths,
      clientRequestToken: task.clientRequestToken,
      reportPath: task.reportPath,
    });
    if (result.ok) {
      await ports.ledger.recordAttempt(fileSystemId, task.paths, result.taskId, now);
      await ports.ledger.trackTask({
        taskId: result.taskId,
        fileSystemId,
        paths: task.paths,
        clientRequestToken: task.clientRequestToken,
        reportPath: task.reportPath,
        startedAt: now.toISOString(),
        startedBy: 'retrier',
      });
      decision.started = {
        task,
        taskId: result.taskId,
        lifecycle: result.lifecycle,
        messages: chosen.length,
      };
      return decision;
    }
    const info = explainFsxError(result.error);
    if (info.retryLater) {
      waitAll(chosen, `FSx refused the task for now: ${result.error}: ${result.message}`);
      return decision;
    }
    decision.refused = {
      task,
      error: result.error,
      reason: `${info.meaning} (${result.message})`,
      messages: chosen.length,
    };
    return decision;
  } catch (error) {
    waitAll(undecided, `the retrier could not decide: ${describeError(error)}`);
    return decision;
  }
}

/** The dead-letter notices of a decided group: messages that wait after their last receive. */
function deadLettersOf(
  items: readonly QueuedExport[],
  decision: GroupDecision,
  options: RetrierOptions,
): void {
  for (const item of items) {
    const reason = decision.waits.get(item.messageId);
    if (reason === undefined || item.receiveCount < options.maxReceives) continue;
    const { message } = item;
    decision.deadLettered.push({
      messageId: item.messageId,
      receiveCount: item.receiveCount,
      task: taskOf(
        message.fileSystemId,
        message.paths,
        [item],
        message.reportPath ?? options.reportPath,
      ),
      reason,
      deferredReason: message.reason,
      deferredAt: message.deferredAt,
    });
  }
}

/**
 * Prepares the decisions for one SQS batch of deferral messages. Nothing runs until a record is
 * settled (or the report asked for); each file system is then decided once, and every record of
 * it awaits that one decision.
 */
function createRetrierRun(
  items: readonly QueuedExport[],
  ports: RetrierPorts,
  options: RetrierOptions,
): RetrierRun {
  const now = options.now?.() ?? new Date();
  const byFileSystem = new Map<string, QueuedExport[]>();
  const itemById = new Map<string, QueuedExport>();
  for (const item of items) {
    itemById.set(item.messageId, item);
    const group = byFileSystem.get(item.message.fileSystemId);
    if (group === undefined) byFileSystem.set(item.message.fileSystemId, [item]);
    else group.push(item);
  }
  const decisions = new Map<string, Promise<GroupDecision>>();

  function decisionFor(fileSystemId: string): Promise<GroupDecision> {
    let decision = decisions.get(fileSystemId);
    if (decision === undefined) {
      const group = byFileSystem.get(fileSystemId) ?? [];
      decision = decideGroup(fileSystemId, group, ports, options, now).then((decided) => {
        deadLettersOf(group, decided, options);
        return decided;
      });
      decisions.set(fileSystemId, decision);
    }
    return decision;
  }

  async function settle(messageId: string): Promise<void> {
    const item = itemById.get(messageId);
    if (item === undefined) throw new Error(`message ${messageId} is not part of this batch`);
    const decision = await decisionFor(item.message.fileSystemId);
    const reason = decision.waits.get(messageId);
    if (reason !== undefined) throw new RetryLaterError(reason);
  }

  async function report(): Promise<RetrierReport> {
    const fileSystems = [...byFileSystem.keys()].sort();
    const decided = await Promise.all(fileSystems.map(decisionFor));
    const started: RetrierStart[] = [];
    const refused: RetrierRefusal[] = [];
    const escalated: Escalation[] = [];
    const waiting: RetrierWait[] = [];
    const deadLettered: DeadLetter[] = [];
    decided.forEach((decision, index) => {
      if (decision.started !== undefined) started.push(decision.started);
      if (decision.refused !== undefined) refused.push(decision.refused);
      escalated.push(...decision.escalated);
      deadLettered.push(...decision.deadLettered);
      const reasons = new Map<string, number>();
      for (const reason of decision.waits.values()) {
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      for (const [reason, messages] of reasons) {
        waiting.push({ fileSystemId: fileSystems[index] ?? '', messages, reason });
      }
    });
    return {
      generatedAt: now.toISOString(),
      region: options.region,
      messages: items.length,
      started,
      escalated,
      refused,
      waiting,
      deadLettered,
    };
  }

  return { settle, report };
}

/** Whether the report holds anything a person should read: the retrier emails only then. */
function hasNews(report: RetrierReport): boolean {
  return (
    report.started.length > 0 ||
    report.escalated.length > 0 ||
    report.refused.length > 0 ||
    report.deadLettered.length > 0
  );
}

export type {
  DeadLetter,
  QueuedExport,
  RetrierOptions,
  RetrierPorts,
  RetrierRefusal,
  RetrierReport,
  RetrierRun,
  RetrierStart,
  RetrierWait,
};
export { createRetrierRun, hasNews, RetryLaterError };

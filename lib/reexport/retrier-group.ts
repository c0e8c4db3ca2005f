import { describeError } from '../common/errors.ts';
import type {
  DeferredExport,
  ExportRequest,
  FsxPort,
  FsxTaskPort,
  LedgerPort,
} from '../common/ports.ts';
import type { Escalation, ExportTask, FailureClass } from '../common/types.ts';
import {
  clientRequestToken,
  escalationOf,
  fsxRefusal,
  missingReportPath,
  pathsPerTask,
  reachedAttemptLimit,
  recordStart,
  reportPathFor,
} from './rules.ts';

/*
 * The retrier's decision for one file system's deferral messages, without AWS: which paths a
 * person takes over, which messages wait, and the one task that starts. retrier.ts runs it once
 * per file system of a batch (docs/design.md#the-deferral-queue-and-the-retrier).
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
  /** Organization mode: the member account that owns the file system; absent: the home account. */
  readonly account?: string;
}

/** A task FSx refused for good: its paths go to a person. */
interface RetrierRefusal {
  readonly task: ExportTask;
  readonly error: string;
  readonly reason: string;
  readonly messages: number;
  /** Organization mode: the member account that owns the file system; absent: the home account. */
  readonly account?: string;
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
  /** Organization mode: the member account that owns the file system; absent: the home account. */
  readonly account?: string;
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

/** Marks every message of `items` to come back to the queue, for `reason`. */
function waitAll(decision: GroupDecision, items: readonly QueuedExport[], reason: string): void {
  for (const item of items) decision.waits.set(item.messageId, reason);
}

/** The messages with paths left to re-export, and those paths per message. */
interface Remaining {
  readonly pending: readonly QueuedExport[];
  readonly remainingOf: ReadonlyMap<string, readonly string[]>;
}

/**
 * (a) The attempt limit, on every path of the group at once: a path past it goes to a person
 * (once, with the report path of the first message naming it); a message whose paths all went
 * to a person is done.
 */
async function applyAttemptLimit(
  fileSystemId: string,
  sorted: readonly QueuedExport[],
  ports: RetrierPorts,
  options: RetrierOptions,
  decision: GroupDecision,
): Promise<Remaining> {
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
      if (!reachedAttemptLimit(history, options.maxAttempts)) {
        remaining.push(path);
      } else if (!told.has(path)) {
        told.add(path);
        const reportPath = item.message.reportPath ?? options.reportPath;
        decision.escalated.push(escalationOf(fileSystemId, path, history, reportPath));
      }
    }
    if (remaining.length > 0) {
      remainingOf.set(item.messageId, remaining);
      pending.push(item);
    }
  }
  return { pending, remainingOf };
}

/**
 * (b) Why the group waits when a task is PENDING or EXECUTING on the file system (FSx runs one at
 * a time, so starting another would be refused); undefined when none is.
 */
async function runningTask(fileSystemId: string, ports: RetrierPorts): Promise<string | undefined> {
  const active = await ports.fsx.activeTasks(fileSystemId);
  if (active.length === 0) return undefined;
  const names = active
    .slice(0, 3)
    .map((task) => `${task.taskId} (${task.lifecycle})`)
    .join(', ');
  return `a data repository task is running on ${fileSystemId}: ${names}`;
}

/**
 * (c) Coalesces the pending messages, oldest first, into the paths of one task of at most
 * `maxPathsPerTask` paths; a message that does not fit waits for the next window.
 */
function coalesce(
  fileSystemId: string,
  { pending, remainingOf }: Remaining,
  options: RetrierOptions,
  decision: GroupDecision,
): { chosen: QueuedExport[]; paths: Set<string> } {
  const maxPaths = pathsPerTask(options.maxPathsPerTask);
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
  return { chosen, paths };
}

/**
 * (d) Claims the file system's coalescing window (one new task per window, even with concurrent
 * invocations), then (e) starts the task: FSx's answer decides the chosen messages.
 */
async function claimAndStart(
  task: ExportTask,
  request: ExportRequest,
  chosen: readonly QueuedExport[],
  context: { ports: RetrierPorts; options: RetrierOptions; now: Date; decision: GroupDecision },
): Promise<void> {
  const { ports, options, now, decision } = context;
  const { fileSystemId } = request;
  const claimed = await ports.ledger.claimWindow(fileSystemId, now, options.coalesceWindowSeconds);
  if (!claimed) {
    waitAll(
      decision,
      chosen,
      `a task was already started on ${fileSystemId} in this ${options.coalesceWindowSeconds}-second coalescing window`,
    );
    return;
  }
  const result = await ports.fsx.startExport(request);
  if (result.ok) {
    await recordStart(ports.ledger, request, result.taskId, now, 'retrier');
    decision.started = {
      task,
      taskId: result.taskId,
      lifecycle: result.lifecycle,
      messages: chosen.length,
    };
    return;
  }
  const refusal = fsxRefusal(result.error, result.message);
  if (refusal.retryLater) {
    waitAll(decision, chosen, `FSx refused the task for now: ${result.error}: ${result.message}`);
    return;
  }
  decision.refused = {
    task,
    error: refusal.error,
    reason: refusal.reason,
    messages: chosen.length,
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
  try {
    const remaining = await applyAttemptLimit(fileSystemId, sorted, ports, options, decision);
    undecided = remaining.pending;
    if (remaining.pending.length === 0) return decision;
    const running = await runningTask(fileSystemId, ports);
    if (running !== undefined) {
      waitAll(decision, remaining.pending, running);
      return decision;
    }
    const { chosen, paths } = coalesce(fileSystemId, remaining, options, decision);
    undecided = chosen;
    let reportPath =
      chosen.find((item) => item.message.reportPath !== undefined)?.message.reportPath ??
      options.reportPath;
    if (reportPath === undefined) {
      try {
        reportPath = reportPathFor(unique(paths), await ports.fsx.listAssociations(fileSystemId));
      } catch (error) {
        const reason = `the data repository associations could not be read: ${describeError(error)}`;
        waitAll(decision, chosen, reason);
        return decision;
      }
    }
    const task = taskOf(fileSystemId, paths, chosen, reportPath);
    if (task.reportPath === undefined) {
      // Unreadable associations made the messages wait above: only "no association" gets here.
      const { error, reason } = missingReportPath(undefined);
      decision.refused = { task, error, reason, messages: chosen.length };
      return decision;
    }
    const request: ExportRequest = {
      fileSystemId,
      paths: task.paths,
      clientRequestToken: task.clientRequestToken,
      reportPath: task.reportPath,
    };
    await claimAndStart(task, request, chosen, { ports, options, now, decision });
    return decision;
  } catch (error) {
    waitAll(decision, undecided, `the retrier could not decide: ${describeError(error)}`);
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

export type {
  DeadLetter,
  GroupDecision,
  QueuedExport,
  RetrierOptions,
  RetrierPorts,
  RetrierRefusal,
  RetrierStart,
};
export { deadLettersOf, decideGroup };

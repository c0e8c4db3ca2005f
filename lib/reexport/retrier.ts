import { AnalyzerError } from '../common/errors.ts';
import type { Escalation } from '../common/types.ts';
import {
  type DeadLetter,
  deadLettersOf,
  decideGroup,
  type GroupDecision,
  type QueuedExport,
  type RetrierOptions,
  type RetrierPorts,
  type RetrierRefusal,
  type RetrierStart,
} from './retrier-group.ts';

/*
 * The retrier's decisions, without AWS: given the deferral messages of one SQS batch, which ones
 * become one export task per file system, which wait (come back to the queue), which a person
 * takes over. functions/retrier.ts feeds the messages through Powertools' batch processor and
 * asks `settle()` per record; every record of a file system awaits the same memoised decision, so
 * the batch is coalesced across records although each record is handled on its own.
 */

/** Messages of a file system that go back to the queue, and why. */
interface RetrierWait {
  readonly fileSystemId: string;
  readonly messages: number;
  readonly reason: string;
  /** Organization mode: the member account that owns the file system; absent: the home account. */
  readonly account?: string;
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

interface RetrierRun {
  /**
   * Resolves once the message is done (started, escalated, refused for good); throws a
   * RetryLaterError when it must come back to the queue.
   */
  settle(messageId: string): Promise<void>;
  /** Decides every group not asked for yet, then reports the whole batch. */
  report(): Promise<RetrierReport>;
}

/**
 * Prepares the decisions for one SQS batch of deferral messages. Nothing runs until a record is
 * settled (or the report asked for); each file system is then decided once, and every record of
 * it awaits that one decision.
 */
// Over 60 lines: a closure over one batch; its length is the run's two methods, each short.
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
  RetrierStart,
} from './retrier-group.ts';
export type { RetrierReport, RetrierRun, RetrierWait };
export { createRetrierRun, hasNews, RetryLaterError };

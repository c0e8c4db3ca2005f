import type { Report } from '../common/types.ts';
import { VERSION } from '../common/version.ts';
import { countOutcomes } from './analysis.ts';

/*
 * What one analyzer invocation did, as its Lambda result (recorded for asynchronous on-success
 * destinations, and replayed by the idempotency store for a duplicate batch).
 */

/** What one invocation did; Lambda records it for asynchronous on-success destinations. */
interface AnalyzerResult {
  readonly events: number;
  readonly records: number;
  readonly unparseable: number;
  readonly tasksStarted: number;
  readonly tasksRefused: number;
  readonly tasksDeferred: number;
  /** Tasks sent to the deferral queue; present only when a queue or a ledger is configured. */
  readonly tasksQueued?: number;
  /** Paths handed to a person after K attempts; present only with a queue or a ledger. */
  readonly pathsEscalated?: number;
  /** SNS MessageId of the summary, or null when nothing was published. */
  readonly published: string | null;
  /** Failures held back for the digest; present only when digests are on. */
  readonly heldForDigest?: number;
  readonly dryRun: boolean;
  /** The release of the analyzer that did it (package.json `version`). */
  readonly version: string;
}

/** What the invocation did beyond the report. */
interface Delivery {
  /** SNS MessageId of the summary, or null when nothing was published. */
  readonly published: string | null;
  /** Failures held for the digest; undefined when digests are off. */
  readonly heldForDigest: number | undefined;
  /** Whether durable re-export (a deferral queue or a ledger) is configured. */
  readonly durable: boolean;
}

/** The result of an invocation that analysed a batch. */
function analyzerResult(report: Report, delivery: Delivery): AnalyzerResult {
  const counts = countOutcomes(report.outcomes);
  return {
    events: report.events,
    records: report.records.length,
    unparseable: report.unparseable.length,
    tasksStarted: counts.started.tasks,
    tasksRefused: counts.refused.tasks,
    tasksDeferred: counts.deferred.tasks,
    ...(delivery.durable
      ? { tasksQueued: counts.queued.tasks, pathsEscalated: report.escalated?.length ?? 0 }
      : {}),
    published: delivery.published,
    ...(delivery.heldForDigest === undefined ? {} : { heldForDigest: delivery.heldForDigest }),
    dryRun: report.dryRun,
    version: VERSION,
  };
}

/** The result of an invocation whose payload was not a batch of log events. */
function skippedResult(dryRun: boolean): AnalyzerResult {
  return {
    events: 0,
    records: 0,
    unparseable: 0,
    tasksStarted: 0,
    tasksRefused: 0,
    tasksDeferred: 0,
    published: null,
    dryRun,
    version: VERSION,
  };
}

export type { AnalyzerResult, Delivery };
export { analyzerResult, skippedResult };

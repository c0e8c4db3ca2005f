import type { Context } from 'aws-lambda';
import type { Config, ReexportConfig } from '../common/config.ts';
import { describeError } from '../common/errors.ts';
import { tracingReady } from './clients.ts';
import { logger, metrics } from './telemetry.ts';

/*
 * What the Lambda entry points in functions/ share: their configuration read once per container,
 * what that configuration lets the container touch, and the wrapper that gives each invocation its
 * log context and flushes its metrics. The reading and settling of an SQS batch: sqs-batch.ts.
 */

/**
 * Loads a function's configuration at cold start. A bad setting fails the start, with a log line
 * that says which variable to fix.
 */
function loadOrLog<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    logger.error('Invalid configuration', { reason: describeError(error) });
    throw error;
  }
}

/**
 * The AWS resources a container may change, derived once from its configuration. A dry run makes
 * no such call: no FSx task, no deferral queue, no ledger (so no attempts, idempotency records or
 * alert windows either), and no publish (each email is logged instead; lib/aws/sns.ts, deliver).
 * The scheduled functions keep their own state in the ledger table either way; only their emails
 * follow `topicArn`.
 */
interface Reach {
  /** Whether FSx may be asked for associations and export tasks. */
  readonly fsx: boolean;
  /** The ledger table of attempts, tasks, idempotency records and alert windows. */
  readonly ledgerTable: string | undefined;
  readonly deferralQueueUrl: string | undefined;
  /** The SNS topic the emails go to; undefined in a dry run. */
  readonly topicArn: string | undefined;
}

/** What the container of `config` (and, for the re-export functions, `reexport`) may change. */
function reachOf(
  config: Config,
  reexport?: Pick<ReexportConfig, 'ledgerTable' | 'deferralQueueUrl'>,
): Reach {
  if (config.dryRun) {
    return { fsx: false, ledgerTable: undefined, deferralQueueUrl: undefined, topicArn: undefined };
  }
  return {
    fsx: true,
    ledgerTable: reexport?.ledgerTable,
    deferralQueueUrl: reexport?.deferralQueueUrl,
    topicArn: config.summaryTopicArn,
  };
}

/**
 * A Lambda entry point around `run`: the logger gets the invocation's context, and the metrics
 * are flushed whether the invocation succeeds or fails.
 */
function lambdaHandler<E, R>(
  run: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return async (event, context) => {
    logger.addContext(context);
    await tracingReady;
    try {
      return await run(event, context);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    }
  };
}

export type { Reach };
export { lambdaHandler, loadOrLog, reachOf };

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { Config, ReexportConfig } from '../common/config.ts';
import { describeError } from '../common/errors.ts';
import type { UnreadMessage } from '../common/types.ts';
import { tracingReady } from './clients.ts';
import { logger, metrics } from './telemetry.ts';

/*
 * What the Lambda entry points in functions/ share: their configuration read once per container,
 * what that configuration lets the container touch, the wrapper that gives each invocation its
 * log context and flushes its metrics, and the reading and settling of an SQS batch.
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

/** ApproximateReceiveCount as a number; 1 when SQS sent something unreadable. */
function receiveCountOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

/** One SQS record whose body was read. */
interface ReceivedMessage<T> {
  readonly messageId: string;
  /** SQS ApproximateReceiveCount: deliveries so far, this one included. */
  readonly receiveCount: number;
  readonly message: T;
}

/**
 * Reads every record's body first, so the decisions see the whole batch; the records whose body
 * `parse` refuses are set apart, with the reason.
 */
function readRecords<T>(
  records: readonly SQSRecord[],
  parse: (body: string) => T,
): { items: ReceivedMessage<T>[]; unread: UnreadMessage[] } {
  const items: ReceivedMessage<T>[] = [];
  const unread: UnreadMessage[] = [];
  for (const record of records) {
    const { messageId } = record;
    const receiveCount = receiveCountOf(record);
    try {
      items.push({ messageId, receiveCount, message: parse(record.body) });
    } catch (error) {
      unread.push({ messageId, receiveCount, reason: describeError(error) });
    }
  }
  return { items, unread };
}

/**
 * Settles each SQS record and answers with those that failed (ReportBatchItemFailures): only
 * they come back to the queue, after its visibility timeout. A record that must wait is an answer,
 * not a failure of the function, so even a batch where every record failed does not throw.
 */
async function settleRecords(
  records: readonly SQSRecord[],
  settle: (record: SQSRecord) => Promise<void>,
  context: Context,
): Promise<SQSBatchResponse> {
  // A new processor per invocation: it keeps the batch's state in the instance.
  const processor = new BatchProcessor(EventType.SQS);
  const response = await processPartialResponse({ Records: [...records] }, settle, processor, {
    context,
    throwOnFullBatchFailure: false,
  });
  return { batchItemFailures: response.batchItemFailures };
}

export type { Reach, ReceivedMessage };
export { lambdaHandler, loadOrLog, reachOf, readRecords, settleRecords };

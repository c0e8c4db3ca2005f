import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { describeError } from '../common/errors.ts';
import type { UnreadMessage } from '../common/types.ts';

/*
 * The reading and settling of an SQS batch (the retrier's deferral queue). A module of its own,
 * apart from lambda.ts, which every function imports: Powertools batch then stays out of the
 * functions that read no queue (scripts/build.mjs: splitting keeps it in organization mode's
 * chunk of the analyzer, which settles Kinesis records with it).
 */

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

export type { ReceivedMessage };
export { readRecords, settleRecords };

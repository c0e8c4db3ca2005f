import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, KinesisStreamBatchResponse, KinesisStreamRecord } from 'aws-lambda';

/*
 * The analyzer's Kinesis event source (organization mode, docs/organization.md): each record is
 * settled on its own and only the records that failed are answered (ReportBatchItemFailures), so
 * one bad record never sinks its batch. Kinesis then retries from the first failed record; with
 * BisectBatchOnFunctionError and the on-failure destination, a record that keeps failing ends in
 * the failure queue instead of blocking its shard.
 */

/**
 * Settles each Kinesis record with `settle` (Powertools batch) and answers the ones that threw.
 * Even a batch where every record failed does not throw: the answer says so.
 */
async function settleKinesisRecords(
  records: readonly KinesisStreamRecord[],
  settle: (record: KinesisStreamRecord) => Promise<void>,
  context: Context,
): Promise<KinesisStreamBatchResponse> {
  // A new processor per invocation: it keeps the batch's state in the instance.
  const processor = new BatchProcessor(EventType.KinesisDataStreams);
  const response = await processPartialResponse({ Records: [...records] }, settle, processor, {
    context,
    throwOnFullBatchFailure: false,
    // In shard order, one after another: a file system runs one task at a time.
    processInParallel: false,
  });
  return { batchItemFailures: response.batchItemFailures };
}

export { settleKinesisRecords };

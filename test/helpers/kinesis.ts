import { gzipSync } from 'node:zlib';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

/*
 * Kinesis events as a Logs destination backed by a Kinesis data stream delivers them to the
 * analyzer (organization mode): each record's data is the gzip subscription payload.
 */

/** The shard and stream every fixture record claims to come from. */
const STREAM_ARN = 'arn:aws:kinesis:eu-west-1:123456789012:stream/fsx-export-analyzer-logs';

/** A Kinesis record whose data is `data` (a payload object is gzipped first, as Logs does). */
function kinesisRecord(data: unknown, sequence: number): KinesisStreamRecord {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: `pk-${sequence}`,
      sequenceNumber: String(
        49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n +
          BigInt(sequence),
      ),
      data: gzipSync(text).toString('base64'),
      approximateArrivalTimestamp: 1_764_072_000 + sequence,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${sequence}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/fsx-export-analyzer-analyzer',
    awsRegion: 'eu-west-1',
    eventSourceARN: STREAM_ARN,
  };
}

/** A Kinesis event of one record per payload, in order. */
function kinesisEvent(payloads: readonly unknown[]): KinesisStreamEvent {
  return { Records: payloads.map((data, index) => kinesisRecord(data, index + 1)) };
}

export { kinesisEvent, kinesisRecord, STREAM_ARN };

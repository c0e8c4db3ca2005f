import { type Decoded, decodeData, toBatch } from '../analyze/decode.ts';
import { DecodeError } from '../common/errors.ts';

/*
 * Kinesis records that carry CloudWatch Logs subscription payloads: what a Logs destination backed
 * by a Kinesis data stream writes (organization mode, docs/organization.md). Each record's data is
 * the same gzip payload as `awslogs.data`; its `owner` is the account that wrote the logs. The CLI
 * (lib/input/read.ts) and the analyzer's Kinesis event source both decode records here.
 */

/**
 * Decodes one Kinesis record's `kinesis.data`. `at` names the record in messages
 * (`record 3`), so a bad record is reported where it is.
 *
 * @throws DecodeError with a one-line reason that starts with `at`.
 */
function decodeKinesisData(data: unknown, at: string, maxDecompressedBytes: number): Decoded {
  if (typeof data !== 'string') throw new DecodeError(`${at}: kinesis.data is not a string`);
  let payload: unknown;
  try {
    payload = decodeData(data, maxDecompressedBytes);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    // The decoder names the Lambda field; here the same bytes sit in kinesis.data.
    throw new DecodeError(`${at}: ${error.message.replace(/^awslogs\.data/, 'kinesis.data')}`, {
      cause: error,
    });
  }
  return toBatch(payload, `${at}: kinesis.data`);
}

/** Whether a Lambda event is a Kinesis event (`Records` of `aws:kinesis` records). */
function isKinesisEvent(event: unknown): event is { Records: unknown[] } {
  if (event === null || typeof event !== 'object') return false;
  const records = (event as { Records?: unknown }).Records;
  if (!Array.isArray(records) || records.length === 0) return false;
  return records.every(
    (record) =>
      record !== null &&
      typeof record === 'object' &&
      (record as { eventSource?: unknown }).eventSource === 'aws:kinesis',
  );
}

export { decodeKinesisData, isKinesisEvent };

import type { FailureRecord } from './types.ts';

/**
 * What a record points at: its path, else its S3 object (`s3://bucket/key`, or the key alone
 * without a bucket), else nothing.
 */
export function targetOf(record: FailureRecord): string | undefined {
  if (record.path !== undefined) return record.path;
  if (record.s3Key === undefined) return undefined;
  return record.bucket === undefined ? record.s3Key : `s3://${record.bucket}/${record.s3Key}`;
}

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

/**
 * A copy of a string that shares no memory with the text it was cut from. V8 keeps a substring
 * as a slice of its parent, so one short path kept from a 64 KiB chunk of a huge input keeps the
 * whole chunk alive; whatever outlives its line (a map key, a sample) is stored detached.
 */
export function detach(text: string): string {
  // Concatenation then slice makes V8 flatten into a new string of this length only.
  return ` ${text}`.slice(1);
}

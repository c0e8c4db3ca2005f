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

const LATIN1 = /^[\u0000-\u00ff]*$/;

/**
 * A flat copy of a string that shares no memory with the text it was cut from. V8 keeps a
 * substring as a slice of its parent, so one short path kept from a 64 KiB chunk of a huge input
 * keeps the whole chunk alive; whatever outlives its line (a map key, a sample) is copied. Every
 * UTF-16 code unit survives (lone surrogates too); Latin-1 text stays one byte per character.
 */
export function detach(text: string): string {
  return LATIN1.test(text)
    ? Buffer.from(text, 'latin1').toString('latin1')
    : Buffer.from(text, 'utf16le').toString('utf16le');
}

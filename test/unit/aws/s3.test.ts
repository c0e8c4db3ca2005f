import { Readable } from 'node:stream';
import { GetObjectCommand, type GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createS3ReportReader, parseS3Url } from '../../../lib/aws/s3.ts';

const s3Mock = mockClient(S3Client);
const URL =
  's3://ml-archive/datasets/fsx-export-analyzer-reports/task-00000000000000002/failures.csv';

/** A GetObject answer whose body streams `chunks`, as the SDK hands it over. */
function answer(chunks: readonly string[], contentRange?: string): GetObjectCommandOutput {
  return {
    $metadata: {},
    Body: Readable.from(chunks.map((chunk) => Buffer.from(chunk))) as never,
    ...(contentRange === undefined ? {} : { ContentRange: contentRange }),
  };
}

/** An S3 error as the SDK throws it: its wire code as `name`. */
function s3Error(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 403 } });
}

describe('Function: createS3ReportReader', () => {
  beforeEach(() => s3Mock.reset());

  it('reads a report with one ranged GetObject on its bucket and key', async () => {
    // Prepare
    s3Mock
      .on(GetObjectCommand)
      .resolves(answer(['a.bin,failed,', 'S3AccessDenied\n'], 'bytes 0-28/29'));
    const reader = createS3ReportReader(new S3Client({ region: 'eu-west-1' }), { maxBytes: 1024 });

    // Act
    const read = await reader.read(URL);

    // Assess
    expect(read).toEqual({
      ok: true,
      text: 'a.bin,failed,S3AccessDenied\n',
      bytes: 28,
      totalBytes: 29,
      truncated: true,
    });
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: 'ml-archive',
      Key: 'datasets/fsx-export-analyzer-reports/task-00000000000000002/failures.csv',
      Range: 'bytes=0-1023',
    });
  });

  it('stops at the cap even when the server ignores the Range header', async () => {
    // Prepare
    s3Mock.on(GetObjectCommand).resolves(answer(['0123456789', 'abcdefghij', 'never read']));
    const reader = createS3ReportReader(new S3Client({ region: 'eu-west-1' }), { maxBytes: 15 });

    // Act
    const read = await reader.read(URL);

    // Assess
    expect(read).toEqual({
      ok: true,
      text: '0123456789abcde',
      bytes: 15,
      totalBytes: undefined,
      truncated: true,
    });
  });

  it('reads a whole small report as not truncated, and an empty one (416 InvalidRange) as empty', async () => {
    // Prepare
    const reader = createS3ReportReader(new S3Client({ region: 'eu-west-1' }), { maxBytes: 100 });
    s3Mock
      .on(GetObjectCommand)
      .resolvesOnce(answer(['x,failed,S3Error\n'], 'bytes 0-16/17'))
      .rejectsOnce(s3Error('InvalidRange', 'The requested range is not satisfiable'));

    // Act
    const small = await reader.read(URL);
    const empty = await reader.read(URL);

    // Assess
    expect(small).toMatchObject({ ok: true, bytes: 17, totalBytes: 17, truncated: false });
    expect(empty).toEqual({ ok: true, text: '', bytes: 0, totalBytes: 0, truncated: false });
  });

  it.each([
    ['NoSuchKey', 'The specified key does not exist.', 'NoSuchKey'],
    ['NoSuchBucket', 'The specified bucket does not exist', 'NoSuchBucket'],
    ['AccessDenied', 'Access Denied', 'AccessDenied'],
    [
      'AccessDenied',
      'User: arn:aws:sts::1:assumed-role/r is not authorized to perform: kms:Decrypt on the resource',
      'KmsDenied',
    ],
    ['KMS.DisabledException', 'The key is disabled', 'KmsDenied'],
    ['SlowDown', 'Please reduce your request rate.', 'Throttled'],
    ['ECONNREFUSED', 'connect ECONNREFUSED', 'NetworkError'],
    ['InternalError', 'We encountered an internal error.', 'InternalError'],
  ])('turns %s (%s) into the named error %s, never a throw', async (name, message, expected) => {
    // Prepare
    const error =
      name === 'ECONNREFUSED'
        ? Object.assign(new Error(message), { code: 'ECONNREFUSED' })
        : s3Error(name, message);
    s3Mock.on(GetObjectCommand).rejects(error);
    const reader = createS3ReportReader(new S3Client({ region: 'eu-west-1' }), { maxBytes: 100 });

    // Act
    const read = await reader.read(URL);

    // Assess
    expect(read).toEqual({ ok: false, error: expected, message });
  });

  it('refuses an address that is not s3://bucket/key without calling S3', async () => {
    // Prepare
    const reader = createS3ReportReader(new S3Client({ region: 'eu-west-1' }), { maxBytes: 100 });

    // Act
    const read = await reader.read('https://example.com/failures.csv');

    // Assess
    expect(read).toMatchObject({ ok: false, error: 'InvalidUrl' });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('refuses a cap that is not a positive whole number', () => {
    expect(() => createS3ReportReader(new S3Client({}), { maxBytes: 0 })).toThrow(RangeError);
  });
});

describe('Function: parseS3Url', () => {
  it('splits bucket and key, and refuses anything else', () => {
    expect(parseS3Url('s3://b/k/x.csv')).toEqual({ bucket: 'b', key: 'k/x.csv' });
    expect(parseS3Url('s3://b/')).toBeUndefined();
    expect(parseS3Url('s3:/b/k')).toBeUndefined();
  });
});

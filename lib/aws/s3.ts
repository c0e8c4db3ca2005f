import type { S3Client } from '@aws-sdk/client-s3';
import type { ReportPort, ReportRead } from '../common/ports.ts';
import { truncateEnd } from '../common/text.ts';
import { ACCESS_DENIED, errorField, isNetworkError, THROTTLING } from './aws-errors.ts';

/*
 * The report port on S3: reads the first bytes of a task completion report with GetObject and a
 * Range header, so a report of any size costs at most `maxBytes` of memory and transfer. What it
 * cannot read comes back as a named error, never a throw: the outcome check says it in the email
 * (docs/operate.md#completion-reports).
 *
 * The S3 client code (about 130 KiB with its checksum and S3 middleware) is imported at the first
 * read, not with this module: the Lambda bundle keeps it in a chunk of its own (scripts/build.mjs:
 * splitting), which the outcome check's runs that read no report never load or compile.
 */

interface S3ReportOptions {
  /** Bytes read at most from the start of a report; past them the read is `truncated`. */
  readonly maxBytes: number;
}

const MAX_MESSAGE = 300;
/** S3's throttling answer (503 SlowDown), next to the names every adapter shares. */
const S3_THROTTLING = new Set([...THROTTLING, 'SlowDown', 'ServiceUnavailable']);

/** `s3://bucket/key` as bucket and key; undefined for anything else. */
function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (match === null) return undefined;
  return { bucket: match[1] as string, key: match[2] as string };
}

/** The object's size from `Content-Range: bytes 0-99/1234`, when S3 sent it. */
function totalFrom(contentRange: string | undefined): number | undefined {
  const total = contentRange === undefined ? undefined : /\/(\d+)\s*$/.exec(contentRange)?.[1];
  return total === undefined ? undefined : Number(total);
}

/**
 * Normalises a GetObject error. A KMS failure (S3 answers `KMS.*` codes, or AccessDenied naming
 * kms:Decrypt) is told apart from a plain denial: the fix is on the key, not the bucket.
 */
function readError(error: unknown): ReportRead & { ok: false } {
  const name = errorField(error, 'name') ?? errorField(error, 'Code') ?? 'Error';
  const message = truncateEnd(
    (errorField(error, 'message') ?? name).split('\n', 1)[0] ?? '',
    MAX_MESSAGE,
  );
  let normalised = name;
  if (name.startsWith('KMS.') || (ACCESS_DENIED.has(name) && /\bkms\b/i.test(message))) {
    normalised = 'KmsDenied';
  } else if (ACCESS_DENIED.has(name)) normalised = 'AccessDenied';
  else if (S3_THROTTLING.has(name)) normalised = 'Throttled';
  else if (isNetworkError(error, message)) normalised = 'NetworkError';
  return { ok: false, error: normalised, message };
}

/** Reads at most `limit` bytes of a body stream, then stops reading (the rest is never fetched). */
async function readCapped(
  body: AsyncIterable<Uint8Array> | undefined,
  limit: number,
): Promise<{ bytes: Uint8Array; more: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let more = false;
  if (body !== undefined) {
    for await (const chunk of body) {
      const room = limit - size;
      if (chunk.byteLength > room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        more = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.byteLength;
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { bytes, more };
}

/**
 * Creates the report reader on `client`, or on the client `client()` gives at the first read
 * (lib/aws/s3-client.ts). Asks S3 for bytes 0 to `maxBytes - 1` and also stops reading the
 * body at `maxBytes`, in case a server ignores the Range header. An empty object answers 416
 * InvalidRange to any range: that is an empty report, not an error.
 *
 * @throws RangeError when `maxBytes` is not a positive whole number.
 */
function createS3ReportReader(
  client: S3Client | (() => Promise<S3Client>),
  options: S3ReportOptions,
): ReportPort {
  if (!Number.isInteger(options.maxBytes) || options.maxBytes <= 0) {
    throw new RangeError(`maxBytes must be a positive whole number, got ${options.maxBytes}`);
  }
  const { maxBytes } = options;
  return {
    async read(s3Url: string): Promise<ReportRead> {
      const location = parseS3Url(s3Url);
      if (location === undefined) {
        return { ok: false, error: 'InvalidUrl', message: 'not an s3://bucket/key address' };
      }
      try {
        const { GetObjectCommand } = await import('@aws-sdk/client-s3');
        const s3 = typeof client === 'function' ? await client() : client;
        const output = await s3.send(
          new GetObjectCommand({
            Bucket: location.bucket,
            Key: location.key,
            Range: `bytes=0-${maxBytes - 1}`,
          }),
        );
        const body = output.Body as AsyncIterable<Uint8Array> | undefined;
        const { bytes, more } = await readCapped(body, maxBytes);
        const totalBytes = totalFrom(output.ContentRange) ?? (more ? undefined : bytes.byteLength);
        return {
          ok: true,
          text: new TextDecoder('utf-8').decode(bytes),
          bytes: bytes.byteLength,
          totalBytes,
          truncated: more || (totalBytes !== undefined && totalBytes > bytes.byteLength),
        };
      } catch (error) {
        if (errorField(error, 'name') === 'InvalidRange') {
          return { ok: true, text: '', bytes: 0, totalBytes: 0, truncated: false };
        }
        return readError(error);
      }
    },
  };
}

export type { S3ReportOptions };
export { createS3ReportReader, parseS3Url };

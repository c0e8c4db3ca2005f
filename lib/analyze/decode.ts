import { isAscii } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
// zod/mini keeps the Lambda bundle small; the messages are ours, so no locale is needed.
import * as z from 'zod/mini';
import { DecodeError, describeError } from '../common/errors.ts';
import { fileSystemIdFromStream } from '../common/fsx.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../common/limits.ts';
import type { LogBatch, LogEvent } from '../common/types.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const LambdaEventSchema = z.object(
  {
    awslogs: z.object(
      { data: z.string({ error: 'is not a string' }).check(z.minLength(1, 'is empty')) },
      { error: 'is missing or not an object' },
    ),
  },
  { error: 'is not a JSON object' },
);

const text = z.string({ error: 'is not a string' });
const PayloadSchema = z.object({
  messageType: text,
  owner: text,
  logGroup: text,
  logStream: text,
  subscriptionFilters: z.optional(z.array(text, { error: 'is not an array' })),
  logEvents: z.array(z.unknown(), { error: 'is not an array' }),
});

/** A decoded subscription payload: a batch of log events, or a message we skip. */
type Decoded =
  | { readonly type: 'data'; readonly batch: LogBatch }
  | { readonly type: 'skipped'; readonly messageType: string };

function firstIssue(error: z.core.$ZodError, prefix: string): string {
  const issue = error.issues[0];
  if (issue === undefined) return `${prefix} is invalid`;
  const path = [prefix, ...issue.path.map(String)].join('.');
  return `${path} ${issue.message}`;
}

/**
 * Turns one raw log event into a `LogEvent` without failing: a malformed event is kept with a
 * `defect` so the parser counts it as unparseable and the rest of the batch goes on. An event
 * without a usable time keeps `timestamp: undefined` (shown as "unknown"), never epoch 0.
 */
function toLogEvent(raw: unknown, index: number): LogEvent {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      id: `#${index}`,
      timestamp: undefined,
      message: raw,
      defect: 'log event is not an object',
    };
  }
  const { id, timestamp, message } = raw as Record<string, unknown>;
  if (typeof id === 'string' && id.length > 0) {
    // Well-formed (the norm), or with no time at all: use the parsed object as it is instead of
    // copying it (a copy would also drop the `defect` the CLI's line reader sets).
    if (timestamp === undefined || (typeof timestamp === 'number' && Number.isFinite(timestamp))) {
      return raw as LogEvent;
    }
  }
  const event = {
    id: typeof id === 'string' && id.length > 0 ? id : `#${index}`,
    timestamp: typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : undefined,
    message,
  };
  if (typeof id !== 'string' || id.length === 0) {
    return { ...event, defect: 'log event id is missing or not a string' };
  }
  return event;
}

/**
 * Validates a decoded subscription payload (the JSON inside `awslogs.data`) and turns it into a
 * batch. `CONTROL_MESSAGE` and other non-data payloads are skipped, not failed.
 *
 * @throws DecodeError when the payload's shape is wrong (e.g. `logEvents` is not an array).
 */
function toBatch(payload: unknown, where = 'payload'): Decoded {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new DecodeError(`${where} is not a JSON object`);
  }
  const messageType = (payload as Record<string, unknown>)['messageType'];
  if (typeof messageType === 'string' && messageType !== 'DATA_MESSAGE') {
    return { type: 'skipped', messageType };
  }
  const parsed = PayloadSchema.safeParse(payload);
  if (!parsed.success) throw new DecodeError(firstIssue(parsed.error, where));
  const { owner, logGroup, logStream, subscriptionFilters, logEvents } = parsed.data;
  return {
    type: 'data',
    batch: {
      owner,
      logGroup,
      logStream,
      subscriptionFilters: subscriptionFilters ?? [],
      streamFileSystemId: fileSystemIdFromStream(logStream),
      events: logEvents.map(toLogEvent),
    },
  };
}

/**
 * Decodes `awslogs.data`: base64, then gzip with a cap on the decompressed size (a decompression
 * bomb fails fast instead of exhausting memory), then JSON.
 *
 * @throws DecodeError with a one-line reason.
 */
function decodeData(data: string, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): unknown {
  const compact = data.includes('\n') || data.includes(' ') ? data.replace(/\s+/g, '') : data;
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
    throw new DecodeError('awslogs.data is not valid base64');
  }
  const compressed = Buffer.from(compact, 'base64');
  if (compressed.length < 2 || compressed[0] !== 0x1f || compressed[1] !== 0x8b) {
    throw new DecodeError('awslogs.data is not gzip data');
  }
  let json: Buffer;
  try {
    json = gunzipSync(compressed, { maxOutputLength: maxDecompressedBytes });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecodeError(
        `awslogs.data decompresses to more than ${maxDecompressedBytes} bytes (MAX_DECOMPRESSED_BYTES)`,
        { cause: error },
      );
    }
    throw new DecodeError(`awslogs.data is corrupt gzip: ${describeError(error)}`, {
      cause: error,
    });
  }
  try {
    // Payloads are nearly always ASCII; checking that and decoding as latin1 (the same string
    // for ASCII) is several times cheaper than the UTF-8 decoder (docs/design.md#benchmark).
    return JSON.parse(isAscii(json) ? json.toString('latin1') : json.toString('utf8'));
  } catch (error) {
    throw new DecodeError(`awslogs.data is not JSON: ${describeError(error)}`, { cause: error });
  }
}

/**
 * Decodes a Lambda event from a CloudWatch Logs subscription, `{ awslogs: { data } }`.
 *
 * @throws DecodeError when the event or its payload cannot be decoded.
 */
function decodeLambdaEvent(
  event: unknown,
  maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Decoded {
  const parsed = LambdaEventSchema.safeParse(event);
  if (!parsed.success) throw new DecodeError(firstIssue(parsed.error, 'event'));
  return toBatch(decodeData(parsed.data.awslogs.data, maxDecompressedBytes), 'awslogs.data');
}

export type { Decoded };
export { decodeData, decodeLambdaEvent, toBatch };

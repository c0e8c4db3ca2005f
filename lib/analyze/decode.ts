import { isAscii } from 'node:buffer';
import { constants, gunzipSync } from 'node:zlib';
// zod/mini keeps the Lambda bundle small; the messages are ours, so no locale is needed.
import * as z from 'zod/mini';
import { DecodeError, describeError } from '../common/errors.ts';
import { fileSystemIdFromStream } from '../common/fsx.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../common/limits.ts';
import type { LogBatch, LogEvent } from '../common/types.ts';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Largest gunzip output buffer a gzip trailer may ask for; a larger payload takes more chunks. */
const MAX_OUTPUT_CHUNK = 64 * 1024 * 1024;
/** Deflate's largest expansion, 1032:1 (https://www.zlib.net/zlib_tech.html). */
const MAX_DEFLATE_RATIO = 1032;

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
  // An array, not walked element by element here: toLogEvent checks each event and keeps a
  // malformed one with a defect instead of failing the batch (and no copy of 10,000 is made).
  logEvents: z.custom<unknown[]>((value) => Array.isArray(value), { error: 'is not an array' }),
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
 * A usable log event time: milliseconds since 1970, as CloudWatch Logs stores them
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_InputLogEvent.html).
 * A negative time is not one FSx can have written: it stays unknown rather than shown as 1969.
 */
function isEpochMillis(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * The events whose `defect` our own readers set (lib/input/read.ts). A `defect` on any other event
 * came with the input: it is never trusted (it need not even be a string).
 */
const OWN_DEFECTS = new WeakSet<LogEvent>();

/** Marks an event built by our own reader as defective, so {@link toBatch} keeps its `defect`. */
function defective(event: LogEvent & { readonly defect: string }): LogEvent {
  OWN_DEFECTS.add(event);
  return event;
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
  const { id, timestamp, message, defect } = raw as Record<string, unknown>;
  if (typeof id === 'string' && id.length > 0) {
    // Well-formed (the norm), or with no time at all: use the parsed object as it is instead of
    // copying it (a copy would also drop the `defect` the CLI's line reader sets). An input
    // event's own `defect` is dropped by the copy below.
    if (
      (timestamp === undefined || isEpochMillis(timestamp)) &&
      (defect === undefined || OWN_DEFECTS.has(raw as LogEvent))
    ) {
      return raw as LogEvent;
    }
  }
  const event = {
    id: typeof id === 'string' && id.length > 0 ? id : `#${index}`,
    timestamp: isEpochMillis(timestamp) ? timestamp : undefined,
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
      events: toLogEvents(logEvents),
    },
  };
}

/**
 * The batch's events: the parsed array itself when every event is well-formed (the norm), so a
 * batch's 10,000 events are not copied into a second array; otherwise a copy with the malformed
 * events replaced (toLogEvent).
 */
function toLogEvents(raws: unknown[]): LogEvent[] {
  for (let index = 0; index < raws.length; index++) {
    const raw = raws[index];
    const event = toLogEvent(raw, index);
    if (event === raw) continue;
    const events = raws.slice(0, index) as LogEvent[];
    events.push(event);
    for (let rest = index + 1; rest < raws.length; rest++)
      events.push(toLogEvent(raws[rest], rest));
    return events;
  }
  return raws as LogEvent[];
}

/**
 * Whether base64 text decoded to every byte its length promises (3 per 4 characters, less the
 * padding), is ASCII and holds no character of the URL-safe alphabet. Node.js decodes leniently:
 * it skips a character outside the alphabet and stops at a `=` inside the text, so either yields
 * fewer bytes; `-` and `_` it reads as digits, and a character past ASCII may be read as its low
 * byte. So this holds exactly for the text BASE64 matches (the property test in decode.test.ts
 * checks that on every Node.js the tests run on) and costs no regular-expression scan of 100 KB;
 * a text it refuses is checked with BASE64 itself.
 */
function isFullBase64(text: string, decoded: Buffer): boolean {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (
    decoded.length === (text.length / 4) * 3 - padding &&
    Buffer.byteLength(text, 'utf8') === text.length &&
    !text.includes('-') &&
    !text.includes('_')
  );
}

/**
 * The output buffer for gunzip: the size the gzip trailer states (ISIZE, the length modulo 2^32)
 * plus one byte, so a payload decompresses into one buffer instead of 16 KiB chunks that are then
 * copied together. Only a hint: a trailer that lies costs more chunks, never a wrong result, and
 * it is kept within the cap (past the cap gunzip fails anyway), 64 MiB, and at least zlib's default.
 */
function outputChunkSize(compressed: Buffer, maxDecompressedBytes: number): number {
  const stated = compressed.length >= 18 ? compressed.readUInt32LE(compressed.length - 4) : 0;
  // Deflate expands at most about 1032 times, so a larger stated size is a lying trailer (bytes
  // after the stream): not worth a buffer of the cap's size on every decode.
  const most = Math.min(
    maxDecompressedBytes + 1,
    MAX_OUTPUT_CHUNK,
    compressed.length * MAX_DEFLATE_RATIO + 1,
  );
  return Math.max(constants.Z_DEFAULT_CHUNK, Math.min(stated + 1, most));
}

/**
 * Decodes `awslogs.data`: base64, then gzip with a cap on the decompressed size (a decompression
 * bomb fails fast instead of exhausting memory), then JSON.
 *
 * @throws DecodeError with a one-line reason.
 */
function decodeData(data: string, maxDecompressedBytes = DEFAULT_MAX_DECOMPRESSED_BYTES): unknown {
  const compact = data.includes('\n') || data.includes(' ') ? data.replace(/\s+/g, '') : data;
  if (compact.length % 4 !== 0) throw new DecodeError('awslogs.data is not valid base64');
  const compressed = Buffer.from(compact, 'base64');
  if (!isFullBase64(compact, compressed) && !BASE64.test(compact)) {
    throw new DecodeError('awslogs.data is not valid base64');
  }
  if (compressed.length < 2 || compressed[0] !== 0x1f || compressed[1] !== 0x8b) {
    throw new DecodeError('awslogs.data is not gzip data');
  }
  let json: Buffer;
  try {
    json = gunzipSync(compressed, {
      maxOutputLength: maxDecompressedBytes,
      chunkSize: outputChunkSize(compressed, maxDecompressedBytes),
    });
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
export { decodeData, decodeLambdaEvent, defective, toBatch };

import { deflateSync, gzipSync } from 'node:zlib';
import type { FailureClass } from '../../lib/common/types.ts';

/*
 * The bad-input corpus: every kind of hostile or broken input the analyzer must survive, as
 * generators (nothing big is committed). Each kind says at which level it is broken and what the
 * analyzer must make of it. The inputs an operator copies out of AWS (Kinesis events, on-failure
 * records, `aws logs` output) are in input-kinds.ts. corpus.test.ts runs every kind through the
 * pure path and the CLI; docs/design.md#bad-input-what-each-kind-produces documents what each
 * one produces.
 *
 * Levels, and what `build()` returns:
 * - `event`: the Lambda event as the handler receives it (any value), or a string: the text of a
 *   file as the CLI reads it (empty files, NDJSON, raw lines). The pure path is
 *   `decodeLambdaEvent` for a value and `readInput` (the CLI's decoder) for a string.
 * - `payload`: the decoded subscription payload, what `awslogs.data` holds after base64 and gzip
 *   (any value), or its JSON text when `JSON.stringify` cannot write it (100,000 levels deep).
 *   The pure path is `toBatch`; the harness also wraps it in a Lambda event.
 * - `message`: the `message` of one log event (any value). The harness puts it between two good
 *   records ({@link goodEvents}) in a `DATA_MESSAGE` payload.
 *
 * Kinds that do not fail the whole input carry the two good records too, so the harness can check
 * that the rest of the batch is still analysed.
 */

type Expect =
  /** The whole input is refused with one line (DecodeError in the Lambda, InputError in the CLI). */
  | { readonly kind: 'error'; readonly message: RegExp }
  /** The bad event is counted unparseable with this reason; the others are analysed. */
  | { readonly kind: 'unparseable'; readonly reason: RegExp }
  /**
   * Every event is read as an FSx record (the input is odd but readable); `bad` is what the
   * records other than the two good ones must be: none, or how many and the first one's fields.
   */
  | { readonly kind: 'record'; readonly bad: 'none' | BadRecords }
  /** A non-data payload (CONTROL_MESSAGE): skipped and counted, no event read. */
  | { readonly kind: 'skipped' };

/** The records a kind makes besides the two good ones: how many, and the first one's fields. */
interface BadRecords {
  readonly count: number;
  readonly first: {
    readonly code: string;
    readonly class: FailureClass;
    /** Exactly, or matching the pattern (for paths too long or too odd to write out). */
    readonly path: string | RegExp | undefined;
    /** Checked when given: where the input says the record was logged, and when. */
    readonly logStream?: string;
    readonly fileSystemId?: string | undefined;
    readonly timestamp?: number;
    /** Checked when given: in a planned task, or not re-exported for a reason matching this. */
    readonly plan?: 'planned' | RegExp;
  };
}

interface Kind {
  readonly name: string;
  readonly level: 'event' | 'payload' | 'message';
  build(): unknown;
  /** What the Lambda (and the pure path) makes of it. */
  readonly expect: Expect;
  /**
   * What `analyze FILE` makes of it, when the CLI's input detection reads the file differently
   * (a JSON scalar on one line is a raw log message to the CLI, not a Lambda event).
   */
  readonly cli?: Expect;
  /**
   * The one line `analyze` prints on stderr about how it read a readable input (the batch inside
   * an on-failure record, say), after `<file>: `; none when absent.
   */
  readonly note?: RegExp;
  /** Log events the input holds when it is not refused; default 3 (two good ones and the bad one). */
  readonly events?: number;
  /** False when the input cannot carry the two good records (a bare number is no batch). */
  readonly good?: boolean;
}

const FS = 'fs-0123456789abcdef0';
const STREAM = `datarepo_${FS}`;
/** Paths of the two good records that accompany every bad event. */
const GOOD_PATHS = ['/ns1/corpus/good-a.bin', '/ns1/corpus/good-b.bin'] as const;
/** Id of the bad log event that message-level kinds put between the good ones. */
const BAD_ID = 'corpus-bad-event';
/** Default MAX_DECOMPRESSED_BYTES (32 MiB); the bomb decompresses to 8 times as much. */
const MAX_DECOMPRESSED_BYTES = 32 * 1024 * 1024;
const MIB = 1024 * 1024;

/** Terminal and text-direction tricks: clear screen, OSC title, CR/LF, C1 CSI, bidi override. */
const HOSTILE = '\u001b[2J\u001b]0;pwned\u0007\r\nBcc: evil@example.com\u009b31m\u202egnp.exe';

interface RawLogEvent {
  id?: unknown;
  timestamp?: unknown;
  message?: unknown;
}

function record(path: string, code = 'S3ExportInternalError'): string {
  return JSON.stringify({ errorCode: code, filePath: path });
}

/** The two good records (transient JSON records of {@link FS}) every kind carries. */
function goodEvents(): [RawLogEvent, RawLogEvent] {
  return [
    { id: 'corpus-good-a', timestamp: 1_764_072_000_000, message: record(GOOD_PATHS[0]) },
    { id: 'corpus-good-b', timestamp: 1_764_072_000_002, message: record(GOOD_PATHS[1]) },
  ];
}

/** The bad events between the two good ones. */
function withGood(...bad: unknown[]): unknown[] {
  const [a, b] = goodEvents();
  return [a, ...bad, b];
}

/** A DATA_MESSAGE payload of {@link STREAM} holding `logEvents`. */
function payload(logEvents: unknown, overrides: Record<string, unknown> = {}) {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/fsx/lustre',
    logStream: STREAM,
    subscriptionFilters: ['fsx-export-analyzer'],
    logEvents,
    ...overrides,
  };
}

/** The payload a message-level kind becomes: its message between the two good records. */
function messagePayload(message: unknown) {
  return payload(withGood({ id: BAD_ID, timestamp: 1_764_072_000_001, message }));
}

/** A Lambda event whose `awslogs.data` is `base64(gzip(content))`. */
function lambdaEvent(content: unknown): { awslogs: { data: string } } {
  const bytes =
    typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content);
  return { awslogs: { data: gzipSync(bytes).toString('base64') } };
}

/** A good Lambda event (two good records), for kinds that break its encoding. */
function goodData(): string {
  return lambdaEvent(payload(withGood())).awslogs.data;
}

/** JSON text of an object nested `depth` levels deep in `field`, closed properly. */
function nested(depth: number, field = 'a'): string {
  const open = `{"${field}":`.repeat(depth);
  return `${open}{}${'}'.repeat(depth)}`;
}

/**
 * One line made of a documented message's opening words, repeated: the template's lazy
 * `(?<key>.+?)` scans to the end of the line from every repetition.
 */
function repeatedPrefixLine(chars: number): string {
  const unit = 'Failed to import S3 object with key k in S3 bucket ';
  return unit.repeat(Math.ceil(chars / unit.length)).slice(0, chars);
}

/**
 * A decompression bomb: gzip members concatenated (RFC 1952 allows it, and gunzip reads them
 * all). The first holds the start of a payload, the others 1 MiB of blanks each, so it inflates
 * to `mebibytes` MiB from about 1 KiB per MiB.
 */
function bomb(mebibytes: number): Buffer {
  const head = gzipSync('{"messageType":"DATA_MESSAGE","logEvents":[');
  const blanks = gzipSync(Buffer.alloc(MIB, 0x20));
  return Buffer.concat([head, ...Array.from({ length: mebibytes }, () => blanks)]);
}

/** A batch of `count` events: the two good records and transient, busy and unknown ones. */
function bigBatch(count: number): unknown[] {
  const [a, b] = goodEvents();
  const events: RawLogEvent[] = [a];
  for (let index = 1; index < count - 1; index++) {
    const path = `/ns1/batch/dir-${index % 97}/file-${index}.bin`;
    const message =
      index % 3 === 0
        ? `Failed to export file because it is being used by another process. path=${path}`
        : record(path, index % 3 === 1 ? 'S3ExportInternalError' : `S3ExportMystery${index}`);
    events.push({ id: `batch-${index}`, timestamp: 1_764_072_000_000 + index, message });
  }
  events.push(b);
  return events;
}

const UNPARSEABLE_TEXT = /^not a documented FSx data repository event/;

const KINDS: readonly Kind[] = [
  // The wire: base64 and gzip.
  {
    name: 'malformed base64',
    level: 'event',
    build: () => ({ awslogs: { data: '@@@ this is not base64 @@@' } }),
    expect: { kind: 'error', message: /^awslogs\.data is not valid base64$/ },
  },
  {
    name: 'base64 wrapped with CR/LF and spaces (valid once stripped)',
    level: 'event',
    build: () => {
      const lines = goodData().match(/.{1,76}/g) ?? [];
      return { awslogs: { data: ` ${lines.join('\r\n')}\n ` } };
    },
    expect: { kind: 'record', bad: 'none' },
    events: 2,
  },
  {
    name: 'base64 in the URL-safe alphabet',
    level: 'event',
    build: () => ({
      awslogs: { data: `${goodData().replace(/\+/g, '-').replace(/\//g, '_')}-_` },
    }),
    expect: { kind: 'error', message: /^awslogs\.data is not valid base64$/ },
  },
  {
    name: 'truncated base64 (length not a multiple of 4)',
    level: 'event',
    build: () => {
      const data = goodData();
      return { awslogs: { data: data.slice(0, Math.floor(data.length / 2) + 1) } };
    },
    expect: { kind: 'error', message: /^awslogs\.data is not valid base64$/ },
  },
  {
    name: 'base64 truncated at a 4-character boundary',
    level: 'event',
    build: () => {
      const data = goodData();
      return { awslogs: { data: data.slice(0, Math.floor(data.length / 8) * 4) } };
    },
    expect: { kind: 'error', message: /^awslogs\.data is corrupt gzip: unexpected end of file$/ },
  },
  {
    name: 'gzip that is not gzip (plain text)',
    level: 'event',
    build: () => ({ awslogs: { data: Buffer.from('plain text, no gzip').toString('base64') } }),
    expect: { kind: 'error', message: /^awslogs\.data is not gzip data$/ },
  },
  {
    name: 'zlib deflate instead of gzip',
    level: 'event',
    build: () => ({
      awslogs: { data: deflateSync(JSON.stringify(payload(withGood()))).toString('base64') },
    }),
    expect: { kind: 'error', message: /^awslogs\.data is not gzip data$/ },
  },
  {
    name: 'truncated gzip',
    level: 'event',
    build: () => {
      const gzip = gzipSync(JSON.stringify(payload(withGood())));
      return { awslogs: { data: gzip.subarray(0, gzip.length - 20).toString('base64') } };
    },
    expect: { kind: 'error', message: /^awslogs\.data is corrupt gzip: unexpected end of file$/ },
  },
  {
    name: 'gzip with a wrong checksum',
    level: 'event',
    build: () => {
      const gzip = Buffer.from(gzipSync(JSON.stringify(payload(withGood()))));
      const crc = gzip.length - 8;
      gzip[crc] = (gzip[crc] ?? 0) ^ 0xff;
      return { awslogs: { data: gzip.toString('base64') } };
    },
    expect: { kind: 'error', message: /^awslogs\.data is corrupt gzip: incorrect data check$/ },
  },
  {
    name: 'gzip of non-JSON text',
    level: 'event',
    build: () => lambdaEvent('FSx says hello, not JSON'),
    expect: { kind: 'error', message: /^awslogs\.data is not JSON: Unexpected token/ },
  },
  {
    name: 'gzip of non-JSON text starting with terminal escapes',
    level: 'event',
    build: () => lambdaEvent(`${HOSTILE} not JSON`),
    expect: { kind: 'error', message: /^awslogs\.data is not JSON: / },
  },
  {
    name: 'gzip of an empty string',
    level: 'event',
    build: () => lambdaEvent(''),
    expect: { kind: 'error', message: /^awslogs\.data is not JSON: Unexpected end of JSON input$/ },
  },
  {
    name: 'decompression bomb (256 MiB, 8 times MAX_DECOMPRESSED_BYTES)',
    level: 'event',
    build: () => ({
      awslogs: { data: bomb((8 * MAX_DECOMPRESSED_BYTES) / MIB).toString('base64') },
    }),
    expect: {
      kind: 'error',
      message:
        /^awslogs\.data decompresses to more than 33554432 bytes \(MAX_DECOMPRESSED_BYTES\)$/,
    },
  },
  {
    name: 'invalid UTF-8 bytes inside the gzip',
    level: 'event',
    build: () => {
      const [a, b] = goodEvents();
      const head = JSON.stringify(payload([a])).slice(0, -2);
      const bad = Buffer.concat([
        Buffer.from(
          `,{"id":"${BAD_ID}","timestamp":1764072000001,"message":"Failed to export file because it is being used by another process. path=/ns1/bad-`,
        ),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
        Buffer.from('.bin"},'),
      ]);
      return lambdaEvent(
        Buffer.concat([Buffer.from(head), bad, Buffer.from(`${JSON.stringify(b)}]}`)]),
      );
    },
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: {
          code: 'S3ExportResourceBusy',
          class: 'busy',
          path: /^\/ns1\/bad-\ufffd+\(\ufffd+\.bin$/,
        },
      },
    },
  },

  // The file, as the CLI reads it.
  {
    name: 'empty file',
    level: 'event',
    build: () => '',
    expect: { kind: 'error', message: /^is empty$/ },
  },
  {
    name: 'whitespace-only file',
    level: 'event',
    build: () => ' \n\t\r\n  \n',
    expect: { kind: 'error', message: /^is empty$/ },
  },
  {
    name: 'binary file with NUL bytes (a raw gzip)',
    level: 'event',
    build: () => gzipSync(JSON.stringify(payload(withGood()))).toString('latin1'),
    expect: { kind: 'error', message: /^is not a text file \(it contains NUL bytes\)$/ },
  },
  {
    name: 'NDJSON with a line that is not JSON and carries terminal escapes',
    level: 'event',
    build: () => `${JSON.stringify(lambdaEvent(payload(withGood())))}\n${HOSTILE}{"awslogs":\n`,
    expect: { kind: 'error', message: /^line 2: is not valid JSON: / },
  },
  {
    name: 'extremely long single line (1 MB raw text)',
    level: 'event',
    build: () =>
      [
        `Failed to export S3 object with key ${'k'.repeat(MIB)} in S3 bucket ml-archive due to an internal error.`,
        `Failed to export file because it is being used by another process. path=${GOOD_PATHS[0]}`,
        `Failed to export file because it is being used by another process. path=${GOOD_PATHS[1]}`,
      ].join('\n'),
    // An S3 key is at most 1,024 bytes, so a 1 MB "key" is not a record FSx could have written.
    expect: { kind: 'unparseable', reason: UNPARSEABLE_TEXT },
  },

  // JSON of the wrong shape: the Lambda event.
  {
    name: 'event is not an object (a number)',
    level: 'event',
    build: () => 42,
    expect: { kind: 'error', message: /^event is not a JSON object$/ },
    cli: { kind: 'unparseable', reason: UNPARSEABLE_TEXT },
    events: 1,
    good: false,
  },
  {
    name: 'event is JSON null',
    level: 'event',
    build: () => null,
    expect: { kind: 'error', message: /^event is not a JSON object$/ },
    cli: { kind: 'unparseable', reason: UNPARSEABLE_TEXT },
    events: 1,
    good: false,
  },
  {
    name: 'awslogs missing',
    level: 'event',
    build: () => ({ logs: { data: goodData() } }),
    expect: { kind: 'error', message: /^event\.awslogs is missing or not an object$/ },
    cli: { kind: 'error', message: /^is JSON but neither a Lambda event, a subscription payload/ },
  },
  {
    name: 'awslogs is a string',
    level: 'event',
    build: () => ({ awslogs: goodData() }),
    expect: { kind: 'error', message: /^event\.awslogs is missing or not an object$/ },
  },
  {
    name: 'awslogs.data is a number',
    level: 'event',
    build: () => ({ awslogs: { data: 12345 } }),
    expect: { kind: 'error', message: /^event\.awslogs\.data is not a string$/ },
  },
  {
    name: 'awslogs.data is null',
    level: 'event',
    build: () => ({ awslogs: { data: null } }),
    expect: { kind: 'error', message: /^event\.awslogs\.data is not a string$/ },
  },
  {
    name: 'awslogs.data is empty',
    level: 'event',
    build: () => ({ awslogs: { data: '' } }),
    expect: { kind: 'error', message: /^event\.awslogs\.data is empty$/ },
  },

  // JSON of the wrong shape: the subscription payload.
  {
    name: 'payload is an array',
    level: 'payload',
    build: () => [payload(withGood())],
    expect: { kind: 'error', message: /is not a JSON object$/ },
  },
  {
    name: 'payload is a JSON string',
    level: 'payload',
    build: () => JSON.stringify('DATA_MESSAGE'),
    expect: { kind: 'error', message: /is not a JSON object$/ },
  },
  {
    name: 'logEvents is an object, not an array',
    level: 'payload',
    build: () => payload({ 0: goodEvents()[0] }),
    expect: { kind: 'error', message: /\.logEvents is not an array$/ },
  },
  {
    name: 'logEvents is null',
    level: 'payload',
    build: () => payload(null),
    expect: { kind: 'error', message: /\.logEvents is not an array$/ },
  },
  {
    name: 'logEvents missing',
    level: 'payload',
    build: () => {
      const { logEvents: _dropped, ...rest } = payload(withGood());
      return rest;
    },
    expect: { kind: 'error', message: /\.logEvents is not an array$/ },
  },
  {
    name: 'logGroup is a number',
    level: 'payload',
    build: () => payload(withGood(), { logGroup: 404 }),
    expect: { kind: 'error', message: /\.logGroup is not a string$/ },
  },
  {
    name: 'logStream is null',
    level: 'payload',
    build: () => payload(withGood(), { logStream: null }),
    expect: { kind: 'error', message: /\.logStream is not a string$/ },
  },
  {
    name: 'messageType missing',
    level: 'payload',
    build: () => {
      const { messageType: _dropped, ...rest } = payload(withGood());
      return rest;
    },
    expect: { kind: 'error', message: /\.messageType is not a string$/ },
  },
  {
    name: 'subscriptionFilters is a string',
    level: 'payload',
    build: () => payload(withGood(), { subscriptionFilters: 'fsx-export-analyzer' }),
    expect: { kind: 'error', message: /\.subscriptionFilters is not an array$/ },
  },
  {
    name: 'CONTROL_MESSAGE (subscription health check, no logEvents)',
    level: 'payload',
    build: () => ({
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
    }),
    expect: { kind: 'skipped' },
    events: 0,
  },
  {
    name: 'unknown messageType carrying events',
    level: 'payload',
    build: () => payload(withGood(), { messageType: 'DATA_MESSAGE_V2' }),
    expect: { kind: 'skipped' },
    events: 0,
  },
  {
    name: 'log stream and group names with terminal escapes',
    level: 'payload',
    build: () =>
      payload(withGood(), {
        logStream: `${STREAM}${HOSTILE}`,
        logGroup: `/aws/fsx/lustre${HOSTILE}\u0000`,
        owner: `1234${HOSTILE}`,
      }),
    expect: { kind: 'record', bad: 'none' },
    events: 2,
  },

  // JSON of the wrong shape: one log event.
  {
    name: 'a log event is null',
    level: 'payload',
    build: () => payload(withGood(null)),
    expect: { kind: 'unparseable', reason: /^log event is not an object$/ },
  },
  {
    name: 'a log event is a number',
    level: 'payload',
    build: () => payload(withGood(7)),
    expect: { kind: 'unparseable', reason: /^log event is not an object$/ },
  },
  {
    name: 'a log event is an array',
    level: 'payload',
    build: () => payload(withGood([BAD_ID, 1, record('/ns1/in-array.bin')])),
    expect: { kind: 'unparseable', reason: /^log event is not an object$/ },
  },
  {
    name: 'a log event without id',
    level: 'payload',
    build: () => payload(withGood({ timestamp: 1, message: record('/ns1/no-id.bin') })),
    expect: { kind: 'unparseable', reason: /^log event id is missing or not a string$/ },
  },
  {
    name: 'a log event whose id is a number',
    level: 'payload',
    build: () => payload(withGood({ id: 17, timestamp: 1, message: record('/ns1/id17.bin') })),
    expect: { kind: 'unparseable', reason: /^log event id is missing or not a string$/ },
  },
  {
    name: 'a log event whose timestamp is a string',
    level: 'payload',
    build: () =>
      payload(
        withGood({ id: BAD_ID, timestamp: '2025-11-25T12:00:00Z', message: record('/ns1/t.bin') }),
      ),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: '/ns1/t.bin' },
      },
    },
  },
  {
    name: 'a log event whose timestamp is out of the Date range',
    level: 'payload',
    build: () => payload(withGood({ id: BAD_ID, timestamp: 1e300, message: record('/ns1/t.bin') })),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: '/ns1/t.bin' },
      },
    },
  },
  {
    name: 'a log event without message',
    level: 'payload',
    build: () => payload(withGood({ id: BAD_ID, timestamp: 1 })),
    expect: { kind: 'unparseable', reason: /^message is missing/ },
  },
  {
    name: 'message is an object nested 100,000 levels deep',
    level: 'payload',
    build: () => {
      const [a, b] = goodEvents();
      return `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/aws/fsx/lustre","logStream":"${STREAM}","subscriptionFilters":[],"logEvents":[${JSON.stringify(a)},{"id":"${BAD_ID}","timestamp":1,"message":${nested(100_000)}},${JSON.stringify(b)}]}`;
    },
    expect: { kind: 'unparseable', reason: /^message is an object, not a string$/ },
  },
  {
    name: 'duplicate event ids',
    level: 'payload',
    build: () =>
      payload(
        withGood(
          { id: 'corpus-good-a', timestamp: 1, message: record('/ns1/dup-1.bin') },
          { id: 'corpus-good-a', timestamp: 2, message: record('/ns1/dup-2.bin') },
        ),
      ),
    expect: {
      kind: 'record',
      bad: {
        count: 2,
        first: { code: 'S3ExportInternalError', class: 'transient', path: '/ns1/dup-1.bin' },
      },
    },
    events: 4,
  },
  {
    name: 'a batch of 10,000 events',
    level: 'payload',
    build: () => payload(bigBatch(10_000)),
    expect: {
      kind: 'record',
      bad: {
        count: 9_998,
        first: {
          code: 'S3ExportInternalError',
          class: 'transient',
          path: '/ns1/batch/dir-1/file-1.bin',
        },
      },
    },
    events: 10_000,
  },

  // The message.
  {
    name: 'message is a number',
    level: 'message',
    build: () => 3.14,
    expect: { kind: 'unparseable', reason: /^message is a number, not a string$/ },
  },
  {
    name: 'message is null',
    level: 'message',
    build: () => null,
    expect: { kind: 'unparseable', reason: /^message is null, not a string$/ },
  },
  {
    name: 'message is an object',
    level: 'message',
    build: () => ({ errorCode: 'S3ExportInternalError', filePath: '/ns1/object.bin' }),
    expect: { kind: 'unparseable', reason: /^message is an object, not a string$/ },
  },
  {
    name: 'message is an array',
    level: 'message',
    build: () => [record('/ns1/array.bin')],
    expect: { kind: 'unparseable', reason: /^message is an array, not a string$/ },
  },
  {
    name: 'message is an empty string',
    level: 'message',
    build: () => '',
    expect: { kind: 'unparseable', reason: /^message is empty$/ },
  },
  {
    name: 'message is only whitespace and control characters',
    level: 'message',
    build: () => ' \t\r\n\u000b\f ',
    expect: { kind: 'unparseable', reason: /^message is empty$/ },
  },
  {
    name: 'JSON message that is just a string',
    level: 'message',
    build: () => JSON.stringify('an export failed somewhere'),
    expect: { kind: 'unparseable', reason: UNPARSEABLE_TEXT },
  },
  {
    name: 'JSON message that is just a number',
    level: 'message',
    build: () => '404',
    expect: { kind: 'unparseable', reason: UNPARSEABLE_TEXT },
  },
  {
    name: 'JSON message that is an array of records',
    level: 'message',
    build: () => `[${record('/ns1/in-array.bin')}]`,
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: undefined },
      },
    },
  },
  {
    name: 'unknown error code',
    level: 'message',
    build: () => record('/ns1/unknown.bin', 'S3ExportQuantumFluctuation'),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportQuantumFluctuation', class: 'unknown', path: '/ns1/unknown.bin' },
      },
    },
  },
  {
    name: 'terminal escapes, CR/LF and bidi override in a path',
    level: 'message',
    build: () => record(`/ns1/${HOSTILE}/a.bin`),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: `/ns1/${HOSTILE}/a.bin` },
      },
    },
  },
  {
    name: 'control characters in an S3 key and bucket',
    level: 'message',
    build: () =>
      `Failed to export S3 object with key data/${HOSTILE}.bin in S3 bucket ml-archive due to an internal error.`,
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: undefined },
      },
    },
  },
  {
    name: 'terminal escapes in an error code',
    level: 'message',
    build: () => record('/ns1/code.bin', `S3Export${HOSTILE}`),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: `S3Export${HOSTILE}`, class: 'unknown', path: '/ns1/code.bin' },
      },
    },
  },
  {
    name: 'NUL bytes in a message',
    level: 'message',
    build: () =>
      '\u0000Failed to export file because it is being used by another process. path=/ns1/nul\u0000byte.bin\u0000',
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: {
          code: 'S3ExportResourceBusy',
          class: 'busy',
          path: '/ns1/nul\u0000byte.bin\u0000',
        },
      },
    },
  },
  {
    name: 'lone surrogates and U+2028 in a path',
    level: 'message',
    build: () => record('/ns1/\ud800lone\udfff\u2028sep\u2029.bin'),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: {
          code: 'S3ExportInternalError',
          class: 'transient',
          path: '/ns1/\ud800lone\udfff\u2028sep\u2029.bin',
        },
      },
    },
  },
  {
    name: 'path of 10,000 characters',
    level: 'message',
    build: () => record(`/ns1/${'deep/'.repeat(1_999)}file.bin`),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: {
          code: 'S3ExportInternalError',
          class: 'transient',
          path: /^\/ns1\/(?:deep\/)+file\.bin$/,
        },
      },
    },
  },
  {
    name: 'JSON message nested 100,000 levels deep',
    level: 'message',
    build: () =>
      `{"errorCode":"S3ExportInternalError","filePath":"/ns1/nested.bin","detail":${nested(100_000)}}`,
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: '/ns1/nested.bin' },
      },
    },
  },
  {
    name: 'JSON message with 100,000 fields',
    level: 'message',
    build: () => {
      const fields = Array.from({ length: 100_000 }, (_, index) => `"f${index}":${index}`);
      return `{"errorCode":"S3ExportInternalError","filePath":"/ns1/wide.bin",${fields.join(',')}}`;
    },
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: '/ns1/wide.bin' },
      },
    },
  },
  {
    name: 'prototype-polluting keys in a JSON message',
    level: 'message',
    build: () =>
      '{"__proto__":{"errorCode":"S3ExportAccessDenied","polluted":true},"constructor":{"prototype":{"polluted":true}},"type":"constructor","errorCode":"S3ExportInternalError","filePath":"/ns1/proto.bin"}',
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: '/ns1/proto.bin' },
      },
    },
  },
  {
    name: 'record time out of the Date range',
    level: 'message',
    build: () =>
      '{"errorCode":"S3ExportInternalError","filePath":"/ns1/time.bin","time":1e300,"timestamp":"+275760-09-13T00:00:00.001Z"}',
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: '/ns1/time.bin' },
      },
    },
  },
  {
    name: 'message of 1 MB',
    level: 'message',
    build: () =>
      JSON.stringify({
        errorCode: 'S3ExportInternalError',
        filePath: '/ns1/huge.bin',
        detail: 'x'.repeat(MIB),
      }),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: { code: 'S3ExportInternalError', class: 'transient', path: '/ns1/huge.bin' },
      },
    },
  },
  {
    name: 'message of 1 MB that is no record',
    level: 'message',
    build: () => `Failed to ${'z'.repeat(MIB)}`,
    expect: { kind: 'unparseable', reason: UNPARSEABLE_TEXT },
  },
  {
    name: 'documented opening words repeated over 64 KB',
    level: 'message',
    build: () => repeatedPrefixLine(64 * 1024),
    expect: { kind: 'unparseable', reason: UNPARSEABLE_TEXT },
  },
];

export type { BadRecords, Expect, Kind, RawLogEvent };
export {
  BAD_ID,
  FS,
  GOOD_PATHS,
  goodEvents,
  HOSTILE,
  KINDS,
  lambdaEvent,
  messagePayload,
  payload,
  record,
  repeatedPrefixLine,
  STREAM,
  UNPARSEABLE_TEXT,
  withGood,
};

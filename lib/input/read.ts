import { decodeLambdaEvent, toBatch } from '../analyze/decode.ts';
import { DecodeError, describeError, InputError } from '../shared/errors.ts';
import { DEFAULT_LOG_GROUP, fileSystemIdFromStream } from '../shared/fsx.ts';
import type { LogBatch } from '../shared/types.ts';

/*
 * Input detection for the CLI. A file may hold what Lambda receives, what it decodes, what the AWS
 * CLI prints, or just the log messages; people paste whatever they have at hand, so the format is
 * detected per file instead of being declared with an option. No AWS SDK here: `analyze` must
 * run without it.
 */

/** Placeholder for an owner or log stream the input does not name. */
const UNKNOWN = 'unknown';

/** What the CLI knows about an input beyond its text: flags, and the decompression cap. */
interface InputContext {
  /** Log group for raw lines and `filter-log-events` output (default `/aws/fsx/lustre`). */
  readonly logGroup?: string | undefined;
  /** Log stream for raw lines (default `datarepo_<fileSystemId>`, else `unknown`). */
  readonly logStream?: string | undefined;
  /** File system for raw lines, and for any batch whose stream name does not carry one. */
  readonly fileSystemId?: string | undefined;
  /** Cap on a decompressed `awslogs.data` payload. */
  readonly maxDecompressedBytes: number;
}

/** The batches one input holds, and how many non-data payloads (CONTROL_MESSAGE) it skipped. */
interface Input {
  readonly batches: LogBatch[];
  readonly skippedMessages: number;
}

type DocumentKind = 'lambda' | 'payload' | 'filter';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Which whole-input document a JSON value is, by the keys only that document has. */
function documentKind(value: unknown): DocumentKind | undefined {
  if (!isObject(value)) return undefined;
  if (Object.hasOwn(value, 'awslogs')) return 'lambda';
  if (Object.hasOwn(value, 'logEvents') || Object.hasOwn(value, 'messageType')) return 'payload';
  const { events } = value;
  if (Array.isArray(events)) return 'filter';
  return undefined;
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // One sanitised line: the parser's message quotes the input it choked on.
    return { ok: false, error: describeError(error) };
  }
}

function defaultStream(context: InputContext): string {
  if (context.logStream !== undefined) return context.logStream;
  return context.fileSystemId === undefined ? UNKNOWN : `datarepo_${context.fileSystemId}`;
}

/** `--file-system-id` fills in for streams whose name does not carry one (custom stream names). */
function withFallbackFileSystem(batch: LogBatch, context: InputContext): LogBatch {
  if (batch.streamFileSystemId !== undefined || context.fileSystemId === undefined) return batch;
  return { ...batch, streamFileSystemId: context.fileSystemId };
}

/** Where one input's batches are collected while its documents are read. */
interface Collector {
  readonly name: string;
  readonly context: InputContext;
  readonly batches: LogBatch[];
  skippedMessages: number;
}

function newCollector(name: string, context: InputContext): Collector {
  return { name, context, batches: [], skippedMessages: 0 };
}

function result(collector: Collector): Input {
  return { batches: collector.batches, skippedMessages: collector.skippedMessages };
}

/**
 * `aws logs filter-log-events` output: events of several streams in one list. They are grouped
 * into one batch per stream (first-seen order), as a subscription would have delivered them.
 * Events without `eventId` (`get-log-events` output) get `<name>#<n>` so they stay readable.
 */
function fromFilterOutput(document: JsonObject, collector: Collector): LogBatch[] {
  const { name, context } = collector;
  const { events } = document;
  const groups = new Map<string, unknown[]>();
  (events as unknown[]).forEach((raw, index) => {
    if (!isObject(raw)) {
      // Kept as is: the decoder marks it as a defective event, counted as unparseable.
      const stream = defaultStream(context);
      groups.set(stream, [...(groups.get(stream) ?? []), raw]);
      return;
    }
    const { logStreamName, eventId, timestamp, message } = raw;
    const stream =
      typeof logStreamName === 'string' && logStreamName !== ''
        ? logStreamName
        : defaultStream(context);
    const event = { id: eventId ?? `${name}#${index + 1}`, timestamp, message };
    const group = groups.get(stream) ?? [];
    group.push(event);
    groups.set(stream, group);
  });
  const batches: LogBatch[] = [];
  for (const [logStream, logEvents] of groups) {
    const decoded = toBatch(
      {
        messageType: 'DATA_MESSAGE',
        owner: UNKNOWN,
        logGroup: context.logGroup ?? DEFAULT_LOG_GROUP,
        logStream,
        subscriptionFilters: [],
        logEvents,
      },
      'events',
    );
    if (decoded.type === 'data') batches.push(decoded.batch);
  }
  return batches;
}

/** Adds one document's batches; `where` prefixes error messages ("line 3", "item 2"). */
function addDocument(
  collector: Collector,
  value: unknown,
  kind: DocumentKind,
  where: string | undefined,
): void {
  const push = (batch: LogBatch): void => {
    collector.batches.push(withFallbackFileSystem(batch, collector.context));
  };
  try {
    if (kind === 'filter') {
      for (const batch of fromFilterOutput(value as JsonObject, collector)) push(batch);
      return;
    }
    const decoded =
      kind === 'lambda'
        ? decodeLambdaEvent(value, collector.context.maxDecompressedBytes)
        : toBatch(value, 'payload');
    if (decoded.type === 'skipped') collector.skippedMessages++;
    else push(decoded.batch);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new InputError(where === undefined ? error.message : `${where}: ${error.message}`, {
      cause: error,
    });
  }
}

/**
 * Raw log messages, one per line: one batch, one event per non-blank line. Event ids are
 * `<name>:<line number>` and timestamps 0, so the same file always gives the same report (and the
 * same idempotency tokens); the real event times are unknown here anyway.
 */
function fromLines(text: string, name: string, context: InputContext): Input {
  const logStream = defaultStream(context);
  const events = text
    .split(/\r?\n/)
    .map((line, index) => ({ id: `${name}:${index + 1}`, timestamp: 0, message: line }))
    .filter((event) => event.message.trim().length > 0);
  const batch: LogBatch = {
    owner: UNKNOWN,
    logGroup: context.logGroup ?? DEFAULT_LOG_GROUP,
    logStream,
    subscriptionFilters: [],
    streamFileSystemId: fileSystemIdFromStream(logStream) ?? context.fileSystemId,
    events,
  };
  return { batches: [batch], skippedMessages: 0 };
}

function fromArray(items: readonly unknown[], collector: Collector): Input {
  items.forEach((item, index) => {
    const kind = documentKind(item);
    if (kind === undefined) {
      throw new InputError(
        `item ${index + 1} of the JSON array is neither a Lambda event nor a subscription payload`,
      );
    }
    addDocument(collector, item, kind, `item ${index + 1}`);
  });
  return result(collector);
}

/** NDJSON: every non-blank line is one document (typically one Lambda event per line). */
function fromNdjson(lines: readonly string[], collector: Collector): Input {
  lines.forEach((line, index) => {
    if (line.trim().length === 0) return;
    const where = `line ${index + 1}`;
    const parsed = tryParse(line);
    if (!parsed.ok) throw new InputError(`${where}: is not valid JSON: ${parsed.error}`);
    const kind = documentKind(parsed.value);
    if (kind === undefined) {
      throw new InputError(`${where}: is neither a Lambda event nor a subscription payload`);
    }
    addDocument(collector, parsed.value, kind, where);
  });
  return result(collector);
}

/**
 * Reads one CLI input, detecting its format:
 * a Lambda event `{ awslogs: { data } }`; a decoded subscription payload; the JSON printed by
 * `aws logs filter-log-events`; a JSON array of Lambda events or payloads; NDJSON with one of
 * those per line; otherwise raw log messages, one per line. Non-`DATA_MESSAGE` payloads are
 * counted in `skippedMessages`, not returned.
 *
 * @param name Shown in raw-line event ids (`<name>:<line>`); the CLI passes the file name.
 * @throws InputError with a one-line message (without the file name) when the input is empty or
 *   a recognised document cannot be decoded.
 */
function readInput(text: string, name: string, context: InputContext): Input {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const trimmed = body.trim();
  if (trimmed.length === 0) throw new InputError('is empty');
  // A gzip or other binary file would otherwise become lines of garbage "events".
  if (trimmed.includes('\u0000'))
    throw new InputError('is not a text file (it contains NUL bytes)');
  const collector = newCollector(name, context);
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const whole = tryParse(trimmed);
    if (whole.ok) {
      if (Array.isArray(whole.value)) return fromArray(whole.value, collector);
      const kind = documentKind(whole.value);
      if (kind !== undefined) {
        addDocument(collector, whole.value, kind, undefined);
        return result(collector);
      }
      // One JSON line is a raw log message (FSx may log JSON records); a multi-line JSON document
      // of an unknown shape is a mistake better reported than analysed line by line.
      if (trimmed.includes('\n')) {
        throw new InputError(
          'is JSON but neither a Lambda event, a subscription payload nor `aws logs filter-log-events` output',
        );
      }
      return fromLines(body, name, context);
    }
    const lines = body.split(/\r?\n/);
    const first = lines.find((line) => line.trim().length > 0) ?? '';
    const firstParsed = tryParse(first);
    if (firstParsed.ok && documentKind(firstParsed.value) !== undefined) {
      return fromNdjson(lines, collector);
    }
  }
  return fromLines(body, name, context);
}

export type { Input, InputContext };
export { readInput };

import { decodeLambdaEvent, defective, toBatch } from '../analyze/decode.ts';
import { DecodeError, describeError, InputError } from '../common/errors.ts';
import { DEFAULT_LOG_GROUP } from '../common/fsx.ts';
import { display } from '../common/text.ts';
import type { LogBatch } from '../common/types.ts';
import { type DocumentKind, documentKind, isLogEvent, type JsonObject } from './formats.ts';
import { decodeKinesisData } from './kinesis.ts';
import { splitLinePrefix } from './lines.ts';

/*
 * Input recognition for the CLI. A file may hold what Lambda receives, what it decodes, what the
 * AWS CLI prints, what the stack's on-failure queue keeps, or just log lines copied from somewhere;
 * people paste whatever they have at hand, so the format is recognised by content, never by file
 * name. Every input keeps the time and log stream it carries. No AWS SDK here: `analyze` must run
 * without it. The formats, and how each is recognised: docs/cli.md#input-formats.
 */

// The first key of each document kind as the AWS CLI and Lambda write them (formats.ts).
const DOCUMENT_OPENING =
  /^\[?\s*\{\s*"(?:awslogs|messageType|logEvents|events|Records|requestContext|version|Messages)"/;

/** Placeholder for an owner or log stream the input does not name. */
const UNKNOWN = 'unknown';

/** What the CLI knows about an input beyond its text: flags, and the decompression cap. */
interface InputContext {
  /** Log group for lines and `filter-log-events` output (default `/aws/fsx/lustre`). */
  readonly logGroup?: string | undefined;
  /** Log stream for lines that name none (default `datarepo_<fileSystemId>`, else `unknown`). */
  readonly logStream?: string | undefined;
  /** File system for lines, and for any batch whose stream name does not carry one. */
  readonly fileSystemId?: string | undefined;
  /** Cap on a decompressed `awslogs.data` payload. */
  readonly maxDecompressedBytes: number;
}

/** The batches one input holds, what it skipped, and what the reader wants the person to know. */
interface Input {
  readonly batches: LogBatch[];
  /** Payloads skipped because they were not DATA_MESSAGE (CloudWatch Logs health checks). */
  readonly skippedMessages: number;
  /** One-line remarks about how the input was read (already sanitised). */
  readonly notes: string[];
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

/** Events of one input grouped per log stream, in first-seen order, as a subscription would. */
class StreamGroups {
  readonly #groups = new Map<string, unknown[]>();
  /** Events held. */
  size = 0;

  add(stream: string, event: unknown): void {
    let group = this.#groups.get(stream);
    if (group === undefined) {
      group = [];
      this.#groups.set(stream, group);
    }
    group.push(event);
    this.size++;
  }

  clear(): void {
    this.#groups.clear();
    this.size = 0;
  }

  /** One batch per stream; events the decoder cannot read become defective, not lost. */
  batches(context: InputContext): LogBatch[] {
    const batches: LogBatch[] = [];
    for (const [logStream, logEvents] of this.#groups) {
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
      if (decoded.type !== 'data') continue;
      // The input names no log group: without --log-group, ours is only an assumption.
      batches.push(
        context.logGroup === undefined
          ? { ...decoded.batch, logGroupAssumed: true }
          : decoded.batch,
      );
    }
    return batches;
  }
}

/**
 * Where a line reader hands its batches over while it reads, so a huge input is never held
 * whole: every `everyEvents` events, the batches read so far (one per log stream) go to `take`.
 */
interface BatchSink {
  readonly everyEvents: number;
  readonly take: (batches: LogBatch[]) => void;
}

/** Where one input's batches are collected while its documents or lines are read. */
class Collector {
  batches: LogBatch[] = [];
  readonly notes: string[] = [];
  readonly streams = new StreamGroups();
  skippedMessages = 0;
  readonly name: string;
  readonly context: InputContext;
  readonly #sink: BatchSink | undefined;
  #events = 0;

  constructor(name: string, context: InputContext, sink?: BatchSink) {
    this.name = name;
    this.context = context;
    this.#sink = sink;
  }

  push(batch: LogBatch): void {
    this.batches.push(withFallbackFileSystem(batch, this.context));
    this.#events += batch.events.length;
  }

  /** Hands what was read to the sink once enough events are held. */
  flushIfFull(): void {
    const sink = this.#sink;
    if (sink === undefined || this.#events + this.streams.size < sink.everyEvents) return;
    for (const batch of this.streams.batches(this.context)) this.push(batch);
    this.streams.clear();
    const batches = this.batches;
    this.batches = [];
    this.#events = 0;
    sink.take(batches);
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }

  result(): Input {
    for (const batch of this.streams.batches(this.context)) this.push(batch);
    return { batches: this.batches, skippedMessages: this.skippedMessages, notes: this.notes };
  }
}

/** A filter-log-events event (or one line of `jq -c '.events[]'`), keeping its stream and time. */
function addLogEvent(collector: Collector, raw: JsonObject, fallbackId: string): void {
  const { logStreamName, eventId, timestamp, message } = raw;
  const stream =
    typeof logStreamName === 'string' && logStreamName !== ''
      ? logStreamName
      : defaultStream(collector.context);
  collector.streams.add(stream, { id: eventId ?? fallbackId, timestamp, message });
}

/**
 * `aws logs filter-log-events` output: events of several streams in one list, grouped into one
 * batch per stream. Events without `eventId` (`get-log-events` output) get `<name>#<n>`.
 */
function addFilterOutput(collector: Collector, document: JsonObject): void {
  const events = document['events'] as unknown[];
  events.forEach((raw, index) => {
    const id = `${collector.name}#${index + 1}`;
    if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
      addLogEvent(collector, raw as JsonObject, id);
    } else {
      // Kept as is: the decoder marks it as a defective event, counted as unparseable.
      collector.streams.add(defaultStream(collector.context), raw);
    }
  });
}

function addDecoded(collector: Collector, decoded: ReturnType<typeof toBatch>): void {
  if (decoded.type === 'skipped') collector.skippedMessages++;
  else collector.push(decoded.batch);
}

/** Kinesis records carrying CloudWatch Logs subscription payloads (the same gzip as awslogs.data). */
function addKinesis(collector: Collector, document: JsonObject, where: string): void {
  const records = document['Records'] as unknown[];
  records.forEach((record, index) => {
    const data = ((record as JsonObject)['kinesis'] as JsonObject)['data'];
    const at = `${where}record ${index + 1}`;
    let decoded: ReturnType<typeof toBatch>;
    try {
      decoded = decodeKinesisData(data, at, collector.context.maxDecompressedBytes);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      // The message already says where (`at`): not prefixed again by addDocument.
      throw new InputError(error.message, { cause: error });
    }
    addDecoded(collector, decoded);
  });
  collector.note(`read ${records.length} Kinesis record(s) carrying subscription payloads`);
}

/** A Lambda asynchronous-invocation record from the stack's on-failure queue: the batch inside. */
function addOnFailure(collector: Collector, document: JsonObject, where: string): void {
  const payload = document['requestPayload'];
  const kind = documentKind(payload);
  if (kind === undefined || kind === 'on-failure' || kind === 'sqs-messages') {
    throw new InputError(
      `${where}is a Lambda on-failure record whose requestPayload holds no log batch`,
    );
  }
  const context = (document['requestContext'] ?? {}) as JsonObject;
  const response = (document['responsePayload'] ?? {}) as JsonObject;
  const detail = [
    typeof context['condition'] === 'string' ? context['condition'] : undefined,
    typeof context['approximateInvokeCount'] === 'number'
      ? `${context['approximateInvokeCount']} attempts`
      : undefined,
    typeof response['errorType'] === 'string' ? `last error ${response['errorType']}` : undefined,
  ].filter((part) => part !== undefined);
  collector.note(
    display(
      `read the batch inside a Lambda on-failure record${detail.length > 0 ? ` (${detail.join(', ')})` : ''}: its analyzer error is not an FSx failure`,
      300,
    ),
  );
  addDocument(collector, payload, kind, where);
}

/** `aws sqs receive-message` output of the on-failure queue: each Body is one document. */
function addSqsMessages(collector: Collector, document: JsonObject, where: string): void {
  const messages = document['Messages'] as unknown[];
  messages.forEach((message, index) => {
    const at = `${where}message ${index + 1}`;
    const body = tryParse(String((message as JsonObject)['Body']));
    const kind = body.ok ? documentKind(body.value) : undefined;
    if (!body.ok || kind === undefined) {
      throw new InputError(`${at}: its Body is not a Lambda event or on-failure record`);
    }
    addDocument(collector, body.value, kind, `${at}: `);
  });
}

/** Adds one document's batches; `where` prefixes error messages ("line 3: ", "item 2: "). */
function addDocument(
  collector: Collector,
  value: unknown,
  kind: DocumentKind,
  where: string,
): void {
  const document = value as JsonObject;
  try {
    if (kind === 'filter') addFilterOutput(collector, document);
    else if (kind === 'kinesis') addKinesis(collector, document, where);
    else if (kind === 'on-failure') addOnFailure(collector, document, where);
    else if (kind === 'sqs-messages') addSqsMessages(collector, document, where);
    else if (kind === 'lambda') {
      addDecoded(collector, decodeLambdaEvent(value, collector.context.maxDecompressedBytes));
    } else addDecoded(collector, toBatch(value, 'payload'));
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    throw new InputError(`${where}${error.message}`, { cause: error });
  }
}

/**
 * What a line-oriented input turns out to be, from its first non-blank line: one document per
 * line (NDJSON of Lambda events, payloads, ...), one log event per line (`jq -c '.events[]'`),
 * or log lines, with or without a leading time and stream.
 */
type LineMode = 'documents' | 'events' | 'lines';

/** Reads an input line by line, so a file of any size needs one line of text at a time. */
interface LineReader {
  /** Adds the next line (without its line break). */
  line(text: string): void;
  /** The batches read; throws InputError when nothing was read. */
  finish(): Input;
}

/**
 * A reader for a line-oriented input. Event ids are `<name>:<line number>` when the line has no
 * id of its own, so the same file always gives the same report and the same task tokens.
 */
function createLineReader(name: string, context: InputContext, sink?: BatchSink): LineReader {
  const collector = new Collector(name, context, sink);
  const fallbackStream = defaultStream(context);
  let mode: LineMode | undefined;
  let number = 0;
  let read = 0;
  return {
    line(raw) {
      readLine(raw);
      collector.flushIfFull();
    },
    finish() {
      if (read === 0) throw new InputError('is empty');
      return collector.result();
    },
  };

  function readLine(raw: string): void {
    number++;
    const text = number === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
    if (text.trim().length === 0) return;
    read++;
    const id = `${name}:${number}`;
    if (mode === undefined) mode = lineMode(text);
    if (mode === 'documents') {
      const parsed = tryParse(text);
      if (!parsed.ok) throw new InputError(`line ${number}: is not valid JSON: ${parsed.error}`);
      const kind = documentKind(parsed.value);
      if (kind === undefined) {
        throw new InputError(
          `line ${number}: is not a Lambda event, subscription payload or on-failure record like the first line`,
        );
      }
      addDocument(collector, parsed.value, kind, `line ${number}: `);
      return;
    }
    if (mode === 'events') {
      const parsed = tryParse(text);
      if (parsed.ok && isLogEvent(parsed.value)) {
        addLogEvent(collector, parsed.value, id);
      } else {
        collector.streams.add(
          fallbackStream,
          defective({
            id,
            timestamp: undefined,
            message: text,
            defect: 'not a log event object like the other lines',
          }),
        );
      }
      return;
    }
    // A bare line carries no time: it stays unknown (shown as such), never epoch 0.
    const { time, stream, message } = splitLinePrefix(text);
    collector.streams.add(stream ?? fallbackStream, { id, timestamp: time, message });
  }
}

function lineMode(first: string): LineMode {
  if (!first.trimStart().startsWith('{')) return 'lines';
  const parsed = tryParse(first);
  if (!parsed.ok) return 'lines';
  if (documentKind(parsed.value) !== undefined) return 'documents';
  return isLogEvent(parsed.value) ? 'events' : 'lines';
}

/**
 * Reads one whole JSON document (pretty-printed output of the AWS CLI, a Lambda test event, a
 * JSON array of either); undefined when the text is not one JSON document.
 */
function readDocument(text: string, name: string, context: InputContext): Input | undefined {
  const whole = tryParse(text);
  if (!whole.ok) return undefined;
  const collector = new Collector(name, context);
  if (Array.isArray(whole.value)) {
    whole.value.forEach((item, index) => {
      const kind = documentKind(item);
      if (kind !== undefined) addDocument(collector, item, kind, `item ${index + 1}: `);
      else if (isLogEvent(item)) addLogEvent(collector, item, `${name}#${index + 1}`);
      else {
        throw new InputError(
          `item ${index + 1} of the JSON array is neither a Lambda event, a subscription payload nor a log event`,
        );
      }
    });
    return collector.result();
  }
  const kind = documentKind(whole.value);
  if (kind === undefined) return undefined;
  addDocument(collector, whole.value, kind, '');
  return collector.result();
}

/**
 * Reads one CLI input held in memory, recognising its format by content: a Lambda event
 * `{ awslogs: { data } }`; a decoded subscription payload; a Kinesis event of subscription
 * payloads; a Lambda on-failure record or `aws sqs receive-message` output holding them; the JSON
 * printed by `aws logs filter-log-events`; a JSON array of those; NDJSON of documents or of log
 * events; otherwise log lines, one event per line, with their leading time and stream when they
 * have one. Non-`DATA_MESSAGE` payloads are counted in `skippedMessages`, not returned.
 *
 * @param name Shown in line event ids (`<name>:<line>`); the CLI passes the file name.
 * @throws InputError with a one-line message (without the file name) when the input is empty,
 *   binary, or a recognised document cannot be decoded.
 */
function readInput(text: string, name: string, context: InputContext): Input {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const trimmed = body.trim();
  if (trimmed.length === 0) throw new InputError('is empty');
  // A binary file would otherwise become lines of garbage "events".
  if (trimmed.includes('\u0000')) {
    throw new InputError('is not a text file (it contains NUL bytes)');
  }
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const document = readDocument(trimmed, name, context);
    if (document !== undefined) return document;
    const firstLine = (trimmed.split('\n', 1)[0] ?? '').trimEnd();
    // A multi-line JSON document (its first line opens an object or array) of an unknown shape,
    // or broken, is a mistake better reported than analysed line by line; one JSON object per
    // line is NDJSON or FSx's own JSON records.
    // A compact document cut short opens with the key only a document has: never a log line.
    const cutDocument = !trimmed.includes('\n') && DOCUMENT_OPENING.test(trimmed);
    if ((trimmed.includes('\n') && /[{[]$/.test(firstLine)) || cutDocument) {
      const whole = tryParse(trimmed);
      throw new InputError(
        whole.ok
          ? 'is JSON but neither a Lambda event, a subscription payload, a Kinesis event, an on-failure record nor `aws logs filter-log-events` output'
          : `is not valid JSON: ${whole.error}`,
      );
    }
  }
  const reader = createLineReader(name, context);
  for (const line of body.split(/\r?\n/)) reader.line(line);
  return reader.finish();
}

export type { BatchSink, Input, InputContext, LineReader };
export { createLineReader, readInput };

import { truncateEnd } from './text.ts';
import type { FailureClass, FailureRecord, LogBatch, LogEvent, Source } from './types.ts';

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

/** The fields few records have, kept in an object of their own only when one is set. */
interface RareFields {
  readonly namedFileSystemId: string | undefined;
  readonly pathUncertain: true | undefined;
  readonly associationId: string | undefined;
  readonly time: string | undefined;
}

/** What a parsed message says of itself (see ParsedRecord): the parser's reading of it. */
interface RecordFields {
  readonly code: string;
  readonly format: 'json' | 'text';
  readonly level: 'ERROR' | 'WARN' | undefined;
  readonly path: string | undefined;
  readonly pathUncertain: boolean;
  readonly s3Key: string | undefined;
  readonly bucket: string | undefined;
  readonly associationId: string | undefined;
  readonly time: string | undefined;
}

/** Longest raw message a record shows (`message`); the log event keeps it whole. */
const MESSAGE_KEEP = 1_000;

/**
 * A failure record as the parser makes it: the lean form of {@link FailureRecord}. A batch makes
 * 10,000 of them and every one lives until the report is done, so their size is what the garbage
 * collector copies while the batch is analysed. What the log event and its batch already hold
 * (message, owner, log group and stream) is read from them, the fields few records have are kept
 * together in one object only when one is set, and `kind` is the class's own: 13 fields instead
 * of 19 (docs/design.md#benchmark). The event id and time stay fields: the plan and the totals
 * read them for every record, and reading them from the log event would touch it again. Every field reads as the interface says;
 * being getters, some are not own properties, so a copy is made with {@link plainRecord}, never
 * by spreading.
 */
class ParsedRecord implements FailureRecord {
  readonly eventId: string;
  readonly timestamp: number | undefined;
  readonly #event: LogEvent;
  readonly #batch: LogBatch;
  readonly code: string;
  readonly class: FailureClass;
  readonly format: 'json' | 'text';
  readonly level: 'ERROR' | 'WARN' | undefined;
  readonly fileSystemId: string | undefined;
  readonly path: string | undefined;
  readonly s3Key: string | undefined;
  readonly bucket: string | undefined;
  readonly #rare: RareFields | undefined;

  /**
   * `event.message` must be a string: the message `fields` were read from. `fileSystemId` and
   * `namedFileSystemId` as the interface says (the stream's, else the record's own).
   */
  constructor(
    event: LogEvent,
    batch: LogBatch,
    fields: RecordFields,
    cls: FailureClass,
    fileSystemId: string | undefined,
    namedFileSystemId: string | undefined,
  ) {
    this.eventId = event.id;
    this.timestamp = event.timestamp;
    this.#event = event;
    this.#batch = batch;
    this.code = fields.code;
    this.class = cls;
    this.format = fields.format;
    this.level = fields.level;
    this.fileSystemId = fileSystemId;
    this.path = fields.path;
    this.s3Key = fields.s3Key;
    this.bucket = fields.bucket;
    const { pathUncertain, associationId, time } = fields;
    this.#rare =
      namedFileSystemId === undefined &&
      !pathUncertain &&
      associationId === undefined &&
      time === undefined
        ? undefined
        : { namedFileSystemId, pathUncertain: pathUncertain || undefined, associationId, time };
  }

  get kind(): 'record' {
    return 'record';
  }
  get owner(): string {
    return this.#batch.owner;
  }
  get logGroup(): string {
    return this.#batch.logGroup;
  }
  get logStream(): string {
    return this.#batch.logStream;
  }
  get message(): string {
    return truncateEnd(this.#event.message as string, MESSAGE_KEEP);
  }
  get namedFileSystemId(): string | undefined {
    return this.#rare?.namedFileSystemId;
  }
  get pathUncertain(): true | undefined {
    return this.#rare?.pathUncertain;
  }
  get associationId(): string | undefined {
    return this.#rare?.associationId;
  }
  get time(): string | undefined {
    return this.#rare?.time;
  }
}

/**
 * The source one batch stands for: its account, log group (and whether that was assumed), stream
 * and event count. `text` copies each string (the fold passes {@link detach}).
 */
function sourceOf(batch: LogBatch, text: (value: string) => string = (value) => value): Source {
  return {
    owner: text(batch.owner),
    logGroup: text(batch.logGroup),
    ...(batch.logGroupAssumed === true ? { logGroupAssumed: true } : {}),
    logStream: text(batch.logStream),
    events: batch.events.length,
  };
}

/**
 * A record as a plain object with every field its own, in the interface's order: what a copy
 * of a {@link ParsedRecord} must be made from (a spread would miss the fields it reads from its
 * log event and batch).
 */
function plainRecord(record: FailureRecord): FailureRecord {
  return {
    eventId: record.eventId,
    timestamp: record.timestamp,
    owner: record.owner,
    logGroup: record.logGroup,
    logStream: record.logStream,
    kind: record.kind,
    code: record.code,
    class: record.class,
    format: record.format,
    fileSystemId: record.fileSystemId,
    namedFileSystemId: record.namedFileSystemId,
    path: record.path,
    pathUncertain: record.pathUncertain,
    s3Key: record.s3Key,
    bucket: record.bucket,
    associationId: record.associationId,
    time: record.time,
    level: record.level,
    message: record.message,
  };
}

export type { RecordFields };
export { MESSAGE_KEEP, ParsedRecord, plainRecord, sourceOf };

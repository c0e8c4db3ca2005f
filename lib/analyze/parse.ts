import { FILE_SYSTEM_ID } from '../common/fsx.ts';
import { ParsedRecord } from '../common/records.ts';
import { truncateEnd } from '../common/text.ts';
import type {
  EventKind,
  FailureRecord,
  LogBatch,
  LogEvent,
  ParsedEvent,
  UnparseableEvent,
} from '../common/types.ts';
import { CATALOG, type CatalogEntry, lookup } from './classify.ts';
import { collectFields, DRA_ID, MAX_CODE_LENGTH, toLevel } from './json-fields.ts';
import {
  type KeyedLine,
  keyedLine,
  matchTemplate,
  TEXT_NAMES_BUCKET,
  TEXT_NAMES_KEY,
  type TemplateMatch,
} from './templates.ts';

/*
 * One log message to one record. AWS has never published a sample FSx data repository event
 * record (docs/fsx-facts.md#what-aws-never-published), so nothing here assumes field names. A
 * message is read as JSON when it looks like an object (the walk: json-fields.ts), and as
 * documented message text otherwise (templates.ts); any string equal to a documented code or label
 * counts wherever it sits.
 */

/** Longest sample kept for an unparseable event. */
const SAMPLE_KEEP = 240;

// A word with a documented code prefix: an unknown code of that shape still makes a text line
// recognisable (class `unknown`) instead of unparseable. Digits belong to the word
// (`S3ExportLocalObjectReleaseWithoutS3Source`): stopping at one would leave no whole word.
const PREFIXED_CODE = /S3(?:Export|Import|CompletionReport)[A-Za-z0-9]+/;
// A code that is one word. The newer table's error types (`KMS key not found`, `File name too
// long`) are phrases that any program's log may hold: as text they would make a line that is not
// FSx's a record, so they count only in a JSON record; such a text line is shown as unparseable.
const ONE_WORD = /^[A-Za-z][A-Za-z0-9]*$/;
// Code tokens in plain text: a prefixed word, or any other one-word code of the catalog (such as
// `InternalAutoExportError`), spelt as the catalog spells it. Built from the catalog, so a code it
// adds is a token without a change here.
const CODE_TOKEN = new RegExp(
  `\\b(?:${[
    PREFIXED_CODE.source,
    ...CATALOG.map((entry) => entry.code).filter(
      (code) => ONE_WORD.test(code) && !new RegExp(`^${PREFIXED_CODE.source}$`).test(code),
    ),
  ].join('|')})\\b`,
  'g',
);
const TEXT_LEVEL = /\b(ERROR|WARN(?:ING)?)\b/;
// `file_path=…` in a key=value text line: the value is trusted whole only when it is quoted, holds
// no whitespace, or the documented text ends it; see textPath.
const TEXT_PATH_KEY = /\b(?:file_?path|local_?path|fs_?path|path)\s*[=:]\s*/i;
// Every key above ends in `path`: a line without it (most documented texts) skips the search.
const TEXT_PATH_WORD = /path/i;
const NEXT_TEXT_KEY = /\s+[A-Za-z_][\w.-]*\s*[=:]/;
// A file-system id (FSx's shape, lib/common/fsx.ts) that starts a word after whitespace: in an
// unquoted path it may be a field of its own that the path ran on into
// (docs/cli.md#what-a-records-own-text-may-decide).
const ID_AFTER_SPACE = new RegExp(`(?<=\\s)${FILE_SYSTEM_ID.source}`);
// The fixed text that a path key (`path`, any case), a level, an association id and a
// file-system id each need. Most documented lines hold none of them and skip all four searches.
const TEXT_EXTRAS = /[Pp][Aa][Tt][Hh]|ERROR|WARN|dra-|f[sc]-/;
/** One whitespace character, as `\s` means it: where a documented text may end a path. */
const WHITESPACE = /\s/;
const FULL_STOP = 0x2e;

/**
 * Chooses one entry among those a code or label names. A shared label ("Access denied") is
 * narrowed by the matched message text, then by the event kind the record states, then by the
 * documentation's order (export before restore).
 */
function narrow(
  candidates: readonly CatalogEntry[],
  template: TemplateMatch | undefined,
  kind: EventKind | undefined,
): CatalogEntry | undefined {
  if (candidates.length <= 1) return candidates[0];
  if (template !== undefined && candidates.includes(template.entry)) return template.entry;
  return candidates.find((entry) => entry.kind === kind) ?? candidates[0];
}

const NO_CODES: readonly string[] = [];

/** What a message says, before the log event's origin is added: the record's own fields. */
type Recognised = Pick<
  FailureRecord,
  | 'code'
  | 'format'
  | 'fileSystemId'
  | 'path'
  | 's3Key'
  | 'bucket'
  | 'associationId'
  | 'time'
  | 'level'
> & { readonly entry: CatalogEntry | undefined; readonly pathUncertain: boolean };

/**
 * What the message being read says. One instance serves every message: the readers below fill
 * it and the ParsedRecord constructor copies it, so a message costs no object besides its record
 * (the text-line memo below keeps one more per distinct remembered line).
 */
class Reading {
  code = '';
  entry: CatalogEntry | undefined = undefined;
  format: 'json' | 'text' = 'json';
  fileSystemId: string | undefined = undefined;
  path: string | undefined = undefined;
  pathUncertain = false;
  s3Key: string | undefined = undefined;
  bucket: string | undefined = undefined;
  associationId: string | undefined = undefined;
  time: string | undefined = undefined;
  level: 'ERROR' | 'WARN' | undefined = undefined;
}

const reading = new Reading();

/** A copy of what `from` holds, into `to`. */
function copyReading(from: Reading, to: Reading): void {
  to.code = from.code;
  to.entry = from.entry;
  to.format = from.format;
  to.fileSystemId = from.fileSystemId;
  to.path = from.path;
  to.pathUncertain = from.pathUncertain;
  to.s3Key = from.s3Key;
  to.bucket = from.bucket;
  to.associationId = from.associationId;
  to.time = from.time;
  to.level = from.level;
}

/**
 * A text line and what it read as: `known` is false when it named no code, else `reading` holds
 * a copy of what it read as. Mutable: a new line of the same length takes the slot over.
 */
interface RememberedText {
  text: string;
  known: boolean;
  readonly reading: Reading;
}

/**
 * Longest text line remembered. Documented texts without a variable part are well under it, and
 * FSx writes such a text word for word for every failure of its kind.
 */
const REMEMBERED_TEXT_LENGTH = 320;

/**
 * The last text line of each length (up to REMEMBERED_TEXT_LENGTH) and what it read as: a line
 * repeated word for word is then read once, at the cost of one string comparison, whatever other
 * lines come between (unless one of the same length). Template matching costs ~1 µs a line; a line
 * reads the same whatever came before it, so this changes nothing but the cost. Cleared by
 * forgetTexts once a caller is done with its batches, so it keeps no input alive.
 */
const rememberedTexts: (RememberedText | undefined)[] = [];

/**
 * The last text line that read as a documented text whose reading carries over to lines that
 * differ from it only in the S3 key (templates.ts, keyedLine), and what it read as. FSx writes
 * one such text for each object that failed alike, so a batch holds runs of them. Cleared by
 * forgetTexts, like the memo above.
 */
let keyedText: KeyedLine | undefined;
/** Whether keyedText served a line since it was remembered. */
let keyedServed = false;
/**
 * Keyed lines to pass over before the next is remembered, and how many that was last time:
 * doubled (up to MAX_KEYED_SKIP) whenever a remembered line is replaced before it served any, so
 * lines whose text never comes again (another bucket each) cost nearly nothing more; back to
 * none once one serves.
 */
let keyedLeft = 0;
let keyedSkip = 0;
const MAX_KEYED_SKIP = 64;

/** Remembers `text`, matched as `template`, for readUnremembered (unless passed over). */
function rememberKeyed(text: string, template: TemplateMatch): void {
  if (keyedLeft > 0) {
    keyedLeft--;
    return;
  }
  const keyed = keyedLine(text, template);
  if (keyed === undefined) return;
  if (keyedText !== undefined && !keyedServed) {
    keyedSkip = Math.min(keyedSkip === 0 ? 1 : keyedSkip * 2, MAX_KEYED_SKIP);
  }
  keyedLeft = keyedSkip;
  keyedText = keyed;
  keyedServed = false;
}

/**
 * recogniseText, or the reading of the last keyed line with this line's key when it is that line
 * with another key: the same documented text, so the same reading but for the key. A key with
 * one of TEXT_EXTRAS' words could add a level, path or id, so such a line is read in full.
 */
function readUnremembered(text: string): boolean {
  const keyed = keyedText;
  const key = keyed?.keyOf(text);
  if (keyed === undefined || key === undefined || TEXT_EXTRAS.test(key)) {
    return recogniseText(text);
  }
  readPlain(keyed.entry.code, keyed.entry, key, keyed.bucket);
  keyedServed = true;
  keyedSkip = 0;
  return true;
}

/**
 * Reads a text line into `reading` as a line with none of TEXT_EXTRAS' words reads: its code
 * (and catalog entry), and the key and bucket its documented text names. recogniseText then adds
 * what the extras say, when the line holds any.
 */
function readPlain(
  code: string,
  entry: CatalogEntry | undefined,
  key: string | undefined,
  bucket: string | undefined,
): void {
  reading.code = code;
  reading.entry = entry;
  reading.format = 'text';
  reading.fileSystemId = undefined;
  reading.path = undefined;
  reading.pathUncertain = false;
  reading.s3Key = key;
  reading.bucket = bucket;
  reading.associationId = undefined;
  reading.time = undefined;
  reading.level = entry?.level;
}

/** recogniseText, once per distinct line among the remembered ones. */
function readText(text: string): boolean {
  if (text.length > REMEMBERED_TEXT_LENGTH) return readUnremembered(text);
  const remembered = rememberedTexts[text.length];
  if (remembered !== undefined && remembered.text === text) {
    if (!remembered.known) return false;
    copyReading(remembered.reading, reading);
    return true;
  }
  const known = readUnremembered(text);
  if (remembered === undefined) {
    const copy = new Reading();
    if (known) copyReading(reading, copy);
    rememberedTexts[text.length] = { text, known, reading: copy };
  } else {
    // Lines with a variable part (an S3 key) rarely repeat: the slot is overwritten in place,
    // so that each of them costs no new objects.
    remembered.text = text;
    remembered.known = known;
    if (known) copyReading(reading, remembered.reading);
  }
  return known;
}

/**
 * Forgets the text lines parseEvent remembered (see readText): called when the batches they came
 * from are parsed, so that the memo does not keep them (or the input chunks they were cut from)
 * alive.
 */
function forgetTexts(): void {
  rememberedTexts.length = 0;
  keyedText = undefined;
  keyedServed = false;
  keyedLeft = 0;
  keyedSkip = 0;
}

/** Reads a JSON record into `reading`; false when it names no code. */
function recogniseJson(root: unknown): boolean {
  const fields = collectFields(root);
  const message = fields.message;
  // The catalogue entries a documented code or label of the record names (none: it names none).
  const candidates = fields.named;
  // Template matching reads the message field first, then any code field holding a sentence.
  // It is skipped when the code alone settles the entry and the fields already name what the
  // text could add: most JSON records then cost one walk and no regular expression.
  const only = candidates.length === 1 ? candidates[0] : undefined;
  const textCouldAdd =
    only === undefined ||
    (fields.key === undefined && TEXT_NAMES_KEY.has(only)) ||
    (fields.bucket === undefined && TEXT_NAMES_BUCKET.has(only));
  let template: TemplateMatch | undefined;
  if (textCouldAdd) {
    template = message === undefined ? undefined : matchTemplate(message);
    if (template === undefined && fields.firstCode !== undefined) {
      template = matchTemplate(fields.firstCode);
      for (const value of fields.moreCodes ?? NO_CODES) {
        if (template !== undefined) break;
        template = matchTemplate(value);
      }
    }
  }
  let entry: CatalogEntry | undefined;
  let code: string | undefined;
  if (candidates.length > 0) {
    entry = narrow(candidates, template, fields.kind);
    code = entry?.code;
  } else if (template !== undefined) {
    entry = template.entry;
    code = entry.code;
  } else {
    const raw = fields.code?.trim();
    if (raw !== undefined && raw.length > 0) code = truncateEnd(raw, MAX_CODE_LENGTH);
  }
  if (code === undefined) return false;
  reading.code = code;
  reading.entry = entry;
  reading.format = 'json';
  reading.fileSystemId = fields.fileSystemId;
  reading.path = fields.path;
  reading.pathUncertain = false;
  reading.s3Key = fields.key ?? template?.key ?? fields.s3UriKey;
  reading.bucket = fields.bucket ?? template?.bucket ?? fields.s3UriBucket;
  reading.associationId = fields.associationId;
  reading.time = fields.time;
  reading.level = fields.level ?? entry?.level;
  return true;
}

/**
 * The file-system id an unquoted text path may have run on into: the first id-shaped word after
 * whitespace in it (`/ns1/a.txt fs-0123abcd` is a path with a space, or a path and an id). Such a
 * path is uncertain, and the id counts as named. Undefined when the path holds none.
 */
function idInUnquotedPath(path: string): string | undefined {
  return ID_AFTER_SPACE.exec(path)?.[0];
}

/**
 * Why an unquoted text path cannot be trusted: it may have been cut short by another `key=` (or
 * its quote was never closed), it may run on into a file-system id, or it may run on into the
 * rest of the message (the line's own words, not a documented text that ends it).
 */
type PathDoubt = 'cut' | 'id' | 'message';

/** A text line's path: why it is uncertain (undefined: it is not), and the id it may run on into. */
interface TextPath {
  readonly path: string;
  readonly doubt: PathDoubt | undefined;
  readonly runOnId: string | undefined;
}

/**
 * Whether a documented text that ends at `end` ends there as words do: at the end of the line or
 * before whitespace, after its closing full stops if any (the templates leave them out).
 */
function endsWords(text: string, end: number): boolean {
  let index = end;
  while (text.charCodeAt(index) === FULL_STOP) index++;
  return index >= text.length || WHITESPACE.test(text.charAt(index));
}

/**
 * The path of a key=value text line. A quoted value is taken whole; an unquoted one runs to the
 * next `key=`, the start of the documented message text, or the end of the line. Lustre paths may
 * hold whitespace, so where an unquoted value with whitespace really ends cannot be known: it is
 * kept for the report but marked uncertain, so it is never re-exported, unless the documented
 * message text ends it and no id-shaped word follows a space in it. The doubt says which end is
 * in question (PathDoubt; idInUnquotedPath).
 *
 * The documented text ends the path only where it stands as words of its own (whitespace before
 * it, whitespace or the end of the line after it): a file may be named with that text inside its
 * name (`/ns1/x Failed to export file … process.y`), and cutting it there would re-export
 * `/ns1/x`, another file. Such a path runs on to the end of the line instead, and is in doubt.
 */
function textPath(
  text: string,
  documentedText: Pick<TemplateMatch, 'start' | 'end'> | undefined,
): TextPath | undefined {
  if (!TEXT_PATH_WORD.test(text)) return undefined;
  const key = TEXT_PATH_KEY.exec(text);
  if (key === null) return undefined;
  const from = key.index + key[0].length;
  const documented =
    documentedText !== undefined &&
    documentedText.start > from &&
    WHITESPACE.test(text.charAt(documentedText.start - 1)) &&
    endsWords(text, documentedText.end);
  const to = documented ? documentedText.start : text.length;
  const rest = text.slice(from, to);
  if (rest.startsWith('"')) {
    const end = rest.indexOf('"', 1);
    if (end > 0) return { path: rest.slice(1, end), doubt: undefined, runOnId: undefined };
    return { path: rest.slice(1).trimEnd(), doubt: 'cut', runOnId: undefined };
  }
  const next = NEXT_TEXT_KEY.exec(rest);
  const path = (next === null ? rest : rest.slice(0, next.index)).trimEnd();
  if (path.length === 0) return undefined;
  // Only a path with whitespace can be in doubt: most paths cost one search and nothing more.
  if (!/\s/.test(path)) return { path, doubt: undefined, runOnId: undefined };
  const runOnId = idInUnquotedPath(path);
  let doubt: PathDoubt | undefined;
  if (runOnId !== undefined) doubt = 'id';
  else if (next !== null) doubt = 'cut';
  else if (!documented) doubt = 'message';
  return { path, doubt, runOnId };
}

/**
 * Why the parser marked a text record's path uncertain, read again from its message (rare: the
 * plan asks only for records marked so): `message` when the unquoted path ran on to the end of
 * the line, `id` when it may run on into an id (idInUnquotedPath), else `cut`. A message shown
 * shortened (over MESSAGE_KEEP characters) may no longer give the same path: then `cut`.
 */
function pathDoubt(record: Pick<FailureRecord, 'message' | 'path'>): PathDoubt {
  const found = textPath(record.message, matchTemplate(record.message));
  if (found === undefined || found.path !== record.path) return 'cut';
  return found.doubt ?? 'cut';
}

/**
 * A file-system id the text names outside its path and S3 key: a folder called `fs-…` inside a
 * path names no file system, and must never choose where a re-export goes.
 */
function idOutside(
  text: string,
  path: string | undefined,
  key: string | undefined,
): string | undefined {
  // An id is `fs-…` or `fc-…`, and taking spans out (each becomes one space) cannot join one.
  if (!text.includes('fs-') && !text.includes('fc-')) return undefined;
  let rest = text;
  if (path !== undefined && path !== '') rest = rest.replace(path, ' ');
  if (key !== undefined && key !== '') rest = rest.replace(key, ' ');
  return FILE_SYSTEM_ID.exec(rest)?.[0];
}

/** Reads a line of message text into `reading`; false when it names no code. */
function recogniseText(text: string): boolean {
  const template = matchTemplate(text);
  let entry = template?.entry;
  let code = entry?.code;
  if (entry === undefined) {
    for (const token of text.match(CODE_TOKEN) ?? NO_CODES) {
      const candidates = lookup(token);
      entry = candidates[0];
      code = entry?.code ?? token;
      if (entry !== undefined) break;
    }
  }
  if (code === undefined) return false;
  readPlain(code, entry, template?.key, template?.bucket);
  if (!TEXT_EXTRAS.test(text)) {
    // Remembered for lines that differ only in the key (readUnremembered).
    if (template !== undefined) rememberKeyed(text, template);
    return true;
  }
  const found = textPath(text, template);
  // An id the path may have run on into counts as named, like one outside it
  // (docs/cli.md#what-a-records-own-text-may-decide).
  reading.fileSystemId = idOutside(text, found?.path, template?.key) ?? found?.runOnId;
  reading.path = found?.path;
  reading.pathUncertain = found?.doubt !== undefined;
  reading.associationId = DRA_ID.exec(text)?.[0];
  const level = TEXT_LEVEL.exec(text)?.[1];
  if (level !== undefined) reading.level = toLevel(level);
  return true;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Reads one log message: JSON when it is a JSON object, documented message text otherwise.
 * Returns undefined when the message is neither (the caller counts it as unparseable).
 * Never throws.
 *
 * @example
 * recognise('{"errorCode":"S3ExportResourceBusy","filePath":"/ns1/a.bin"}')
 * recognise('Failed to export file because it is being used by another process.')
 */
function recognise(message: string): Recognised | undefined {
  if (readMessage(message, message.trim()) !== undefined) return undefined;
  return {
    code: reading.code,
    entry: reading.entry,
    format: reading.format,
    fileSystemId: reading.fileSystemId,
    path: reading.path,
    pathUncertain: reading.pathUncertain,
    s3Key: reading.s3Key,
    bucket: reading.bucket,
    associationId: reading.associationId,
    time: reading.time,
    level: reading.level,
  };
}

const NOT_DOCUMENTED = 'not a documented FSx data repository event (no known code or message)';
// A record cut short (or a cut JSON document): read as text, a code inside it would become a
// failure with no trustworthy path or file system.
const CUT_JSON = 'looks like a JSON record but is not valid JSON (cut short?): not read';

/**
 * Reads one message (and its trimmed text) into `reading`. Returns why it is no record, or
 * undefined when `reading` holds the record.
 */
function readMessage(message: string, trimmed: string): string | undefined {
  if (trimmed.startsWith('{')) {
    const root = tryJson(trimmed);
    if (root === undefined) return CUT_JSON;
    return recogniseJson(root) ? undefined : NOT_DOCUMENTED;
  }
  return readText(message) ? undefined : NOT_DOCUMENTED;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function sampleOf(value: unknown): string {
  if (typeof value === 'string') return truncateEnd(value, SAMPLE_KEEP);
  try {
    return truncateEnd(String(JSON.stringify(value)), SAMPLE_KEEP);
  } catch {
    return truncateEnd(String(value), SAMPLE_KEEP);
  }
}

function unparseable(event: LogEvent, batch: LogBatch, reason: string): UnparseableEvent {
  return {
    eventId: event.id,
    timestamp: event.timestamp,
    owner: batch.owner,
    logGroup: batch.logGroup,
    logStream: batch.logStream,
    kind: 'unparseable',
    reason,
    sample: sampleOf(event.message),
  };
}

/**
 * Parses one log event of a batch into a failure record or an unparseable event. Total: every
 * input gives exactly one result and nothing is thrown, so a bad record never sinks its batch.
 */
function parseEvent(event: LogEvent, batch: LogBatch): ParsedEvent {
  if (event.defect !== undefined) return unparseable(event, batch, event.defect);
  const message = event.message;
  if (message === undefined) return unparseable(event, batch, 'message is missing');
  if (typeof message !== 'string') {
    return unparseable(event, batch, `message is ${describeType(message)}, not a string`);
  }
  const trimmed = message.trim();
  if (trimmed.length === 0) return unparseable(event, batch, 'message is empty');
  const reason = readMessage(message, trimmed);
  if (reason !== undefined) return unparseable(event, batch, reason);
  const found = reading;
  // The log stream is named by FSx; an id in the record's text only fills in when it names none.
  const streamFileSystemId = batch.streamFileSystemId;
  const named = found.fileSystemId;
  // The lean form: what the event and batch hold is read from them (lib/common/records.ts).
  return new ParsedRecord(
    event,
    batch,
    found,
    found.entry?.class ?? 'unknown',
    streamFileSystemId ?? named,
    streamFileSystemId !== undefined && named !== undefined && named !== streamFileSystemId
      ? named
      : undefined,
  );
}

export type { PathDoubt, Recognised };
export { forgetTexts, idInUnquotedPath, parseEvent, pathDoubt, recognise };

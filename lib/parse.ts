import { CATALOG, type CatalogEntry, isKnownName, lookup } from './classify.ts';
import { truncateEnd } from './text.ts';
import type {
  EventKind,
  EventOrigin,
  FailureRecord,
  LogBatch,
  LogEvent,
  ParsedEvent,
} from './types.ts';

/*
 * AWS has never published a sample FSx data repository event record (facts §1.1), so nothing here
 * assumes field names. A message is read as JSON when it looks like an object, and as documented
 * message text otherwise; a field is recognised by a case-insensitive name from a short list, and
 * any string equal to a documented code or label counts wherever it sits.
 */

/** Longest raw message kept on a record, and longest sample kept for an unparseable event. */
const MESSAGE_KEEP = 1_000;
const SAMPLE_KEEP = 240;
/** Bounds on the JSON walk, so a deeply nested or huge record cannot cost more than a normal one. */
const MAX_DEPTH = 12;
const MAX_NODES = 4_000;
const MAX_CODE_LENGTH = 128;

// Field names, compared after lower-casing and removing `_` and `-`. Earlier names win.
const CODE_FIELDS = [
  'errorcode',
  'errortype',
  'code',
  'error',
  'errorname',
  'failurecode',
  'failuretype',
  'eventcode',
];
const MESSAGE_FIELDS = [
  'message',
  'msg',
  'errormessage',
  'failuremessage',
  'logmessage',
  'detail',
  'details',
  'description',
  'reason',
];
const PATH_FIELDS = [
  'filepath',
  'localpath',
  'fspath',
  'lustrepath',
  'path',
  'file',
  'filename',
  'filesystempath',
];
const KEY_FIELDS = ['s3key', 'objectkey', 's3objectkey', 'keyvalue', 'key'];
const BUCKET_FIELDS = ['bucket', 'bucketname', 's3bucket', 's3bucketname'];
const FS_FIELDS = ['filesystemid', 'fsid', 'filesystem', 'filecacheid'];
const DRA_FIELDS = ['associationid', 'datarepositoryassociationid', 'draid', 'dra'];
const TIME_FIELDS = ['time', 'timestamp', 'eventtime', 'eventtimestamp', 'datetime', 'date'];
const LEVEL_FIELDS = ['level', 'loglevel', 'severity'];
const KIND_VALUES: Record<string, EventKind> = {
  export: 'export',
  autoexport: 'export',
  automaticexport: 'export',
  exporttorepository: 'export',
  import: 'import',
  autoimport: 'import',
  automaticimport: 'import',
  importmetadatafromrepository: 'import',
  restore: 'restore',
  hsmrestore: 'restore',
};

const FS_ID = /\b(?:fs|fc)-[0-9a-f]{8,}\b/;
const DRA_ID = /\bdra-[0-9a-f]{8,}\b/;
const S3_URI = /^s3:\/\/([^/\s]+)\/?(.*)$/;
// Code-shaped tokens in plain text: documented prefixes, so an unknown code still makes the line
// recognisable (class `unknown`) instead of unparseable.
const CODE_TOKEN =
  /\b(?:S3(?:Export|Import|CompletionReport)[A-Za-z]+|InternalAutoExportError|NoDiskSpace)\b/g;
const TEXT_LEVEL = /\b(ERROR|WARN(?:ING)?)\b/;
const TEXT_PATH = /\b(?:file_?path|local_?path|fs_?path|path)\s*[=:]\s*(?:"([^"]*)"|(\S+))/i;
const TEMPLATE_HINT = /failed to|export skipped|automatic export/i;

interface CompiledTemplate {
  readonly entry: CatalogEntry;
  readonly anchor: string;
  readonly pattern: RegExp;
}

const BUCKET_GROUP = '(?<bucket>[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])';

/** Turns a documented message text into a regular expression that captures its variable parts. */
function compileTemplate(entry: CatalogEntry, template: string): CompiledTemplate {
  const parts = template.replace(/\.$/, '').split(/(\{key\}|\{bucket\}|\{value\})/);
  let source = '';
  parts.forEach((part, index) => {
    const last = index === parts.length - 1 || (index === parts.length - 2 && parts.at(-1) === '');
    if (part === '{bucket}') source += BUCKET_GROUP;
    else if (part === '{key}') source += last ? '(?<key>\\S+)' : '(?<key>.+?)';
    else if (part === '{value}') source += last ? '(?<value>\\S+)' : '(?<value>.+?)';
    else source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+');
  });
  // The longest literal part is checked with `includes` first: far cheaper than the regex.
  const anchor = parts
    .filter((part) => !part.startsWith('{'))
    .reduce((a, b) => (b.length > a.length ? b : a), '')
    .toLowerCase();
  return { entry, anchor, pattern: new RegExp(`${source}\\.?`, 'is') };
}

// Most literal text first: a template that is a prefix of another ("…report into {bucket}" and
// "…report into bucket {bucket} because…") must not shadow the longer, more specific one.
const TEMPLATES: readonly CompiledTemplate[] = CATALOG.flatMap((entry) =>
  entry.templates.map((template) => ({
    compiled: compileTemplate(entry, template),
    literal: template.replace(/\{(?:key|bucket|value)\}/g, '').length,
  })),
)
  .sort((a, b) => b.literal - a.literal)
  .map(({ compiled }) => compiled);

interface TemplateMatch {
  readonly entry: CatalogEntry;
  readonly key: string | undefined;
  readonly bucket: string | undefined;
}

/** Matches a message against every documented template; undefined when none fits. */
function matchTemplate(text: string): TemplateMatch | undefined {
  if (!TEMPLATE_HINT.test(text)) return undefined;
  const lower = text.toLowerCase();
  for (const template of TEMPLATES) {
    if (!lower.includes(template.anchor)) continue;
    const match = template.pattern.exec(text);
    if (match === null) continue;
    const key = match.groups?.['key'];
    const bucket = match.groups?.['bucket'];
    return { entry: template.entry, key: key?.trim(), bucket };
  }
  return undefined;
}

function normaliseKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/** Everything the JSON walk found, before deciding what the record is. */
interface Fields {
  codes: Array<{ rank: number; value: string }>;
  known: string[];
  messages: Array<{ rank: number; value: string }>;
  paths: Array<{ rank: number; value: string }>;
  keys: Array<{ rank: number; value: string }>;
  buckets: Array<{ rank: number; value: string }>;
  fileSystemId: string | undefined;
  associationId: string | undefined;
  time: string | undefined;
  level: 'ERROR' | 'WARN' | undefined;
  kind: EventKind | undefined;
  s3Uri: { bucket: string; key: string } | undefined;
}

function toLevel(value: string): 'ERROR' | 'WARN' | undefined {
  const upper = value.trim().toUpperCase();
  if (upper === 'ERROR') return 'ERROR';
  if (upper === 'WARN' || upper === 'WARNING') return 'WARN';
  return undefined;
}

function toIsoTime(value: string | number): string | undefined {
  let millis: number;
  if (typeof value === 'number') {
    // Epoch seconds (the FSx API's own timestamp format) or milliseconds (CloudWatch's).
    millis = value < 1e11 ? value * 1000 : value;
  } else {
    millis = Date.parse(value);
  }
  if (!Number.isFinite(millis)) return undefined;
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function pushRanked(
  list: Array<{ rank: number; value: string }>,
  names: readonly string[],
  key: string,
  value: string,
): boolean {
  const rank = names.indexOf(key);
  if (rank < 0) return false;
  list.push({ rank, value });
  return true;
}

function best(list: Array<{ rank: number; value: string }>): string | undefined {
  let winner: { rank: number; value: string } | undefined;
  for (const item of list) if (winner === undefined || item.rank < winner.rank) winner = item;
  return winner?.value;
}

/** Walks a parsed JSON value breadth-first within fixed bounds, collecting candidate fields. */
function collectFields(root: unknown): Fields {
  const fields: Fields = {
    codes: [],
    known: [],
    messages: [],
    paths: [],
    keys: [],
    buckets: [],
    fileSystemId: undefined,
    associationId: undefined,
    time: undefined,
    level: undefined,
    kind: undefined,
    s3Uri: undefined,
  };
  const queue: Array<{ key: string; value: unknown; depth: number }> = [
    { key: '', value: root, depth: 0 },
  ];
  let visited = 0;
  for (let head = 0; head < queue.length && visited < MAX_NODES; head++) {
    visited++;
    const { key, value, depth } = queue[head] as { key: string; value: unknown; depth: number };
    if (value !== null && typeof value === 'object') {
      if (depth >= MAX_DEPTH) continue;
      if (Array.isArray(value)) {
        for (const item of value) queue.push({ key, value: item, depth: depth + 1 });
      } else {
        for (const [childKey, child] of Object.entries(value)) {
          queue.push({ key: normaliseKey(childKey), value: child, depth: depth + 1 });
        }
      }
      continue;
    }
    if (typeof value === 'number') {
      if (fields.time === undefined && TIME_FIELDS.includes(key)) fields.time = toIsoTime(value);
      continue;
    }
    if (typeof value !== 'string' || value.length === 0) continue;
    collectString(fields, key, value);
  }
  return fields;
}

function collectString(fields: Fields, key: string, value: string): void {
  if (pushRanked(fields.codes, CODE_FIELDS, key, value)) return;
  const known = value.length <= MAX_CODE_LENGTH && isKnownName(value);
  if (pushRanked(fields.messages, MESSAGE_FIELDS, key, value)) {
    if (known) fields.known.push(value);
    return;
  }
  // A file or object that happens to be named like a code is still a path, never the code.
  if (pushRanked(fields.paths, PATH_FIELDS, key, value)) {
    recordS3Uri(fields, value);
    return;
  }
  if (pushRanked(fields.keys, KEY_FIELDS, key, value)) return;
  if (pushRanked(fields.buckets, BUCKET_FIELDS, key, value)) return;
  if (known) {
    fields.known.push(value);
    return;
  }
  if (FS_FIELDS.includes(key) || (fields.fileSystemId === undefined && FS_ID.test(value))) {
    const id = FS_ID.exec(value)?.[0];
    if (id !== undefined && (fields.fileSystemId === undefined || FS_FIELDS.includes(key))) {
      fields.fileSystemId = id;
    }
    return;
  }
  if (DRA_FIELDS.includes(key) || DRA_ID.test(value)) {
    fields.associationId ??= DRA_ID.exec(value)?.[0];
    return;
  }
  if (TIME_FIELDS.includes(key)) {
    fields.time ??= toIsoTime(value);
    return;
  }
  if (LEVEL_FIELDS.includes(key)) {
    fields.level ??= toLevel(value);
    return;
  }
  const kind = KIND_VALUES[value.toLowerCase().replace(/[\s_-]/g, '')];
  if (kind !== undefined) {
    // A generic field such as `type: "Export"` tells the event kind, never the error code.
    fields.kind ??= kind;
    return;
  }
  recordS3Uri(fields, value);
}

function recordS3Uri(fields: Fields, value: string): void {
  if (fields.s3Uri !== undefined || !value.startsWith('s3://')) return;
  const match = S3_URI.exec(value);
  if (match?.[1] !== undefined) fields.s3Uri = { bucket: match[1], key: match[2] ?? '' };
}

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

interface Recognised {
  readonly code: string;
  readonly entry: CatalogEntry | undefined;
  readonly format: 'json' | 'text';
  readonly fileSystemId: string | undefined;
  readonly path: string | undefined;
  readonly s3Key: string | undefined;
  readonly bucket: string | undefined;
  readonly associationId: string | undefined;
  readonly time: string | undefined;
  readonly level: 'ERROR' | 'WARN' | undefined;
}

function recogniseJson(root: unknown): Recognised | undefined {
  const fields = collectFields(root);
  const message = best(fields.messages);
  const knownCode = fields.codes
    .filter((item) => isKnownName(item.value))
    .sort((a, b) => a.rank - b.rank)[0]?.value;
  // Template matching reads the message field first, then any code field holding a sentence.
  let template = message === undefined ? undefined : matchTemplate(message);
  if (template === undefined) {
    for (const item of fields.codes) {
      template = matchTemplate(item.value);
      if (template !== undefined) break;
    }
  }
  const named = knownCode ?? fields.known[0];
  let entry: CatalogEntry | undefined;
  let code: string | undefined;
  if (named !== undefined) {
    entry = narrow(lookup(named), template, fields.kind);
    code = entry?.code;
  } else if (template !== undefined) {
    entry = template.entry;
    code = entry.code;
  } else {
    const raw = best(fields.codes)?.trim();
    if (raw !== undefined && raw.length > 0) code = truncateEnd(raw, MAX_CODE_LENGTH);
  }
  if (code === undefined) return undefined;
  return {
    code,
    entry,
    format: 'json',
    fileSystemId: fields.fileSystemId,
    path: best(fields.paths),
    s3Key: best(fields.keys) ?? template?.key ?? fields.s3Uri?.key,
    bucket: best(fields.buckets) ?? template?.bucket ?? fields.s3Uri?.bucket,
    associationId: fields.associationId,
    time: fields.time,
    level: fields.level ?? entry?.level,
  };
}

function recogniseText(text: string): Recognised | undefined {
  const template = matchTemplate(text);
  let entry = template?.entry;
  let code = entry?.code;
  if (entry === undefined) {
    for (const token of text.match(CODE_TOKEN) ?? []) {
      const candidates = lookup(token);
      entry = candidates[0];
      code = entry?.code ?? token;
      if (entry !== undefined) break;
    }
  }
  if (code === undefined) return undefined;
  const pathMatch = TEXT_PATH.exec(text);
  const level = TEXT_LEVEL.exec(text)?.[1];
  return {
    code,
    entry,
    format: 'text',
    fileSystemId: FS_ID.exec(text)?.[0],
    path: pathMatch?.[1] ?? pathMatch?.[2],
    s3Key: template?.key,
    bucket: template?.bucket,
    associationId: DRA_ID.exec(text)?.[0],
    time: undefined,
    level: level === undefined ? entry?.level : toLevel(level),
  };
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
  const trimmed = message.trim();
  if (trimmed.startsWith('{')) {
    const root = tryJson(trimmed);
    if (root !== null && typeof root === 'object' && !Array.isArray(root)) {
      return recogniseJson(root);
    }
  }
  return recogniseText(message);
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

/**
 * Parses one log event of a batch into a failure record or an unparseable event. Total: every
 * input gives exactly one result and nothing is thrown, so a bad record never sinks its batch.
 */
function parseEvent(event: LogEvent, batch: LogBatch): ParsedEvent {
  const origin: EventOrigin = {
    eventId: event.id,
    timestamp: event.timestamp,
    owner: batch.owner,
    logGroup: batch.logGroup,
    logStream: batch.logStream,
  };
  const unparseable = (reason: string): ParsedEvent => ({
    ...origin,
    kind: 'unparseable',
    reason,
    sample: sampleOf(event.message),
  });
  if (event.defect !== undefined) return unparseable(event.defect);
  if (typeof event.message !== 'string') {
    return unparseable(`message is ${describeType(event.message)}, not a string`);
  }
  if (event.message.trim().length === 0) return unparseable('message is empty');
  const found = recognise(event.message);
  if (found === undefined) {
    return unparseable('not a documented FSx data repository event (no known code or message)');
  }
  const record: FailureRecord = {
    ...origin,
    kind: 'record',
    code: found.code,
    class: found.entry?.class ?? 'unknown',
    format: found.format,
    fileSystemId: found.fileSystemId ?? batch.streamFileSystemId,
    path: found.path,
    s3Key: found.s3Key,
    bucket: found.bucket,
    associationId: found.associationId,
    time: found.time,
    level: found.level,
    message: truncateEnd(event.message, MESSAGE_KEEP),
  };
  return record;
}

export type { Recognised };
export { parseEvent, recognise };

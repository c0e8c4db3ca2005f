import { FILE_SYSTEM_ID } from '../shared/fsx.ts';
import { truncateEnd } from '../shared/text.ts';
import type {
  EventKind,
  FailureRecord,
  LogBatch,
  LogEvent,
  ParsedEvent,
  UnparseableEvent,
} from '../shared/types.ts';
import { CATALOG, type CatalogEntry, isKnownName, lookup } from './classify.ts';

/*
 * AWS has never published a sample FSx data repository event record (docs/fsx-facts.md#what-aws-never-published), so nothing here
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

type Role = 'code' | 'message' | 'path' | 'key' | 'bucket' | 'fs' | 'dra' | 'time' | 'level';
interface RoleInfo {
  readonly role: Role;
  /** Position in its list: a lower rank wins when a record has several such fields. */
  readonly rank: number;
}

const ROLES = new Map<string, RoleInfo>();
for (const [role, names] of [
  ['code', CODE_FIELDS],
  ['message', MESSAGE_FIELDS],
  ['path', PATH_FIELDS],
  ['key', KEY_FIELDS],
  ['bucket', BUCKET_FIELDS],
  ['fs', FS_FIELDS],
  ['dra', DRA_FIELDS],
  ['time', TIME_FIELDS],
  ['level', LEVEL_FIELDS],
] as const) {
  names.forEach((name, rank) => {
    ROLES.set(name, { role, rank });
  });
}

// Records of one file system repeat the same few field names; normalising each name once per
// container keeps the walk cheap. Bounded, so hostile input cannot grow it without limit.
const ROLE_CACHE_LIMIT = 2_000;
const roleCache = new Map<string, RoleInfo | null>();

function roleOf(rawKey: string): RoleInfo | undefined {
  let info = roleCache.get(rawKey);
  if (info === undefined) {
    info = ROLES.get(rawKey.toLowerCase().replace(/[_-]/g, '')) ?? null;
    if (roleCache.size < ROLE_CACHE_LIMIT) roleCache.set(rawKey, info);
  }
  return info ?? undefined;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const DRA_ID = /\bdra-[0-9a-f]{8,}\b/;
const S3_URI = /^s3:\/\/([^/\s]+)\/?(.*)$/;
// Code-shaped tokens in plain text: documented prefixes, so an unknown code still makes the line
// recognisable (class `unknown`) instead of unparseable.
const CODE_TOKEN =
  /\b(?:S3(?:Export|Import|CompletionReport)[A-Za-z]+|InternalAutoExportError|NoDiskSpace)\b/g;
const TEXT_LEVEL = /\b(ERROR|WARN(?:ING)?)\b/;
// `file_path=…` in a key=value text line: the value is trusted whole only when it is quoted or
// runs to the end of the line; see textPath.
const TEXT_PATH_KEY = /\b(?:file_?path|local_?path|fs_?path|path)\s*[=:]\s*/i;
const NEXT_TEXT_KEY = /\s+[A-Za-z_][\w.-]*\s*[=:]/;
const TEMPLATE_HINT = /failed to|export skipped|automatic export/i;
const TEMPLATE_SCAN_LIMIT = 8_192;
const SLOW_PATH_LIMIT = 2_048;

interface CompiledTemplate {
  readonly entry: CatalogEntry;
  /** The opening words, lower case: where a documented text starts. */
  readonly head: string;
  /** The longest literal part, lower case: present in any text the template can match. */
  readonly anchor: string;
  readonly pattern: RegExp;
  /** The same pattern, sticky: tried only at the position where a documented text starts. */
  readonly sticky: RegExp;
}

const BUCKET_GROUP = '(?<bucket>[A-Za-z0-9][A-Za-z0-9._-]{0,253}[A-Za-z0-9])';

/** Turns a documented message text into a regular expression that captures its variable parts. */
function compileTemplate(entry: CatalogEntry, template: string): CompiledTemplate {
  const parts = template.replace(/\.$/, '').split(/(\{key\}|\{bucket\}|\{value\})/);
  let source = '';
  parts.forEach((part, index) => {
    const last = index === parts.length - 1 || (index === parts.length - 2 && parts.at(-1) === '');
    // Bounded groups: S3 keys are at most 1,024 bytes and report paths 4,357 characters, and an
    // unbounded lazy group makes a long line of repeated openings cost quadratic time.
    if (part === '{bucket}') source += BUCKET_GROUP;
    else if (part === '{key}') source += last ? '(?<key>\\S{1,1024})' : '(?<key>.{1,1024}?)';
    else if (part === '{value}') source += last ? '(?<value>\\S{1,4400})' : '(?<value>.{1,4400}?)';
    else source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+');
  });
  // The longest literal part is checked with `includes` first: far cheaper than the regex.
  const anchor = parts
    .filter((part) => !part.startsWith('{'))
    .reduce((a, b) => (b.length > a.length ? b : a), '')
    .toLowerCase();
  const head = (parts[0] ?? '').toLowerCase();
  return {
    entry,
    head,
    anchor,
    pattern: new RegExp(`${source}\\.?`, 'is'),
    sticky: new RegExp(`${source}\\.?`, 'iys'),
  };
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

/** Entries whose message text names an S3 key or a bucket: the text can add those fields. */
const TEXT_NAMES_KEY = new Set(CATALOG.filter((e) => e.templates.some((t) => t.includes('{key}'))));
const TEXT_NAMES_BUCKET = new Set(
  CATALOG.filter((e) => e.templates.some((t) => t.includes('{bucket}'))),
);

interface TemplateMatch {
  readonly entry: CatalogEntry;
  /** Where the documented text starts in the message. */
  readonly start: number;
  readonly key: string | undefined;
  readonly bucket: string | undefined;
}

/** Matches a message against every documented template; undefined when none fits. */
function matchTemplate(message: string): TemplateMatch | undefined {
  // A documented message is a few hundred characters plus a key of at most 1,024 bytes: reading
  // further only gives hostile input more room to cost time.
  const text =
    message.length > TEMPLATE_SCAN_LIMIT ? message.slice(0, TEMPLATE_SCAN_LIMIT) : message;
  const hint = TEMPLATE_HINT.exec(text);
  if (hint === null) return undefined;
  const lower = text.toLowerCase();
  // Fast path: a documented text begins where the hint was found, so only the templates that
  // open with the words found there are tried, and only at that position.
  for (const template of TEMPLATES) {
    if (!lower.startsWith(template.head, hint.index)) continue;
    template.sticky.lastIndex = hint.index;
    const match = applyTemplate(template.sticky, template.entry, text);
    if (match !== undefined) return match;
  }
  // Slow path, for unusual spacing or a hint word earlier in a prefix; only for lines of
  // documented length, where a search from every position stays cheap.
  if (text.length > SLOW_PATH_LIMIT) return undefined;
  for (const template of TEMPLATES) {
    if (!lower.includes(template.anchor)) continue;
    const match = applyTemplate(template.pattern, template.entry, text);
    if (match !== undefined) return match;
  }
  return undefined;
}

function applyTemplate(
  pattern: RegExp,
  entry: CatalogEntry,
  text: string,
): TemplateMatch | undefined {
  const match = pattern.exec(text);
  if (match === null) return undefined;
  const key = match.groups?.['key'];
  return { entry, start: match.index, key: key?.trim(), bucket: match.groups?.['bucket'] };
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
    // Already ISO-8601 UTC (the common case): keep it rather than parse and print it again.
    if (ISO_UTC.test(value)) return value;
    millis = Date.parse(value);
  }
  if (!Number.isFinite(millis)) return undefined;
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
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
  // Parallel arrays instead of an object per node: this runs for every field of every record.
  const keys: string[] = [''];
  const values: unknown[] = [root];
  const depths: number[] = [0];
  for (let head = 0; head < values.length; head++) {
    const value = values[head];
    const key = keys[head] as string;
    if (value !== null && typeof value === 'object') {
      const depth = (depths[head] as number) + 1;
      if (depth > MAX_DEPTH) continue;
      if (Array.isArray(value)) {
        for (const item of value) {
          if (values.length >= MAX_NODES) break;
          keys.push(key);
          values.push(item);
          depths.push(depth);
        }
      } else {
        const object = value as Record<string, unknown>;
        for (const childKey in object) {
          if (values.length >= MAX_NODES) break;
          keys.push(childKey);
          values.push(object[childKey]);
          depths.push(depth);
        }
      }
      continue;
    }
    if (typeof value === 'string') {
      if (value.length > 0) collectString(fields, roleOf(key), value);
    } else if (typeof value === 'number' && fields.time === undefined) {
      if (roleOf(key)?.role === 'time') fields.time = toIsoTime(value);
    }
  }
  return fields;
}

function collectString(fields: Fields, info: RoleInfo | undefined, value: string): void {
  const role = info?.role;
  const rank = info?.rank ?? 0;
  switch (role) {
    case 'code':
      fields.codes.push({ rank, value });
      return;
    case 'message':
      fields.messages.push({ rank, value });
      if (value.length <= MAX_CODE_LENGTH && isKnownName(value)) fields.known.push(value);
      return;
    case 'path':
      // A file or object that happens to be named like a code is still a path, never the code.
      fields.paths.push({ rank, value });
      recordS3Uri(fields, value);
      return;
    case 'key':
      fields.keys.push({ rank, value });
      return;
    case 'bucket':
      fields.buckets.push({ rank, value });
      return;
    case 'fs': {
      const id = FILE_SYSTEM_ID.exec(value)?.[0];
      if (id !== undefined) fields.fileSystemId = id;
      return;
    }
    case 'dra':
      fields.associationId ??= DRA_ID.exec(value)?.[0];
      return;
    case 'time':
      fields.time ??= toIsoTime(value);
      return;
    case 'level':
      fields.level ??= toLevel(value);
      return;
    default:
      collectOther(fields, value);
  }
}

/** A string in a field with no known role: a code or label, an id, an event kind or an S3 URI. */
function collectOther(fields: Fields, value: string): void {
  if (value.length <= MAX_CODE_LENGTH) {
    if (isKnownName(value)) {
      fields.known.push(value);
      return;
    }
    const kind = KIND_VALUES[value.toLowerCase().replace(/[\s_-]/g, '')];
    if (kind !== undefined) {
      // A generic field such as `type: "Export"` tells the event kind, never the error code.
      fields.kind ??= kind;
      return;
    }
  }
  if (fields.fileSystemId === undefined && value.includes('fs-')) {
    fields.fileSystemId = FILE_SYSTEM_ID.exec(value)?.[0];
  }
  if (fields.associationId === undefined && value.includes('dra-')) {
    fields.associationId = DRA_ID.exec(value)?.[0];
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

function recogniseJson(root: unknown): Recognised | undefined {
  const fields = collectFields(root);
  const message = best(fields.messages);
  let knownCode: { rank: number; value: string } | undefined;
  for (const item of fields.codes) {
    if ((knownCode === undefined || item.rank < knownCode.rank) && isKnownName(item.value)) {
      knownCode = item;
    }
  }
  const named = knownCode?.value ?? fields.known[0];
  const candidates = named === undefined ? [] : lookup(named);
  // Template matching reads the message field first, then any code field holding a sentence.
  // It is skipped when the code alone settles the entry and the fields already name what the
  // text could add: most JSON records then cost one walk and no regular expression.
  const only = candidates.length === 1 ? candidates[0] : undefined;
  const textCouldAdd =
    only === undefined ||
    (fields.keys.length === 0 && TEXT_NAMES_KEY.has(only)) ||
    (fields.buckets.length === 0 && TEXT_NAMES_BUCKET.has(only));
  let template: TemplateMatch | undefined;
  if (textCouldAdd) {
    template = message === undefined ? undefined : matchTemplate(message);
    for (const item of fields.codes) {
      if (template !== undefined) break;
      template = matchTemplate(item.value);
    }
  }
  let entry: CatalogEntry | undefined;
  let code: string | undefined;
  if (named !== undefined) {
    entry = narrow(candidates, template, fields.kind);
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
    pathUncertain: false,
  };
}

/**
 * The path of a key=value text line. A quoted value is taken whole; an unquoted one runs to the
 * next `key=`, the start of the documented message text, or the end of the line. An unquoted
 * value with a space that ends at another key may have been cut (or may run on): it is kept for
 * the report but marked uncertain, so it is never re-exported.
 */
function textPath(
  text: string,
  documentedFrom: number | undefined,
): { path: string; uncertain: boolean } | undefined {
  const key = TEXT_PATH_KEY.exec(text);
  if (key === null) return undefined;
  const from = key.index + key[0].length;
  const to = documentedFrom !== undefined && documentedFrom > from ? documentedFrom : text.length;
  const rest = text.slice(from, to);
  if (rest.startsWith('"')) {
    const end = rest.indexOf('"', 1);
    if (end > 0) return { path: rest.slice(1, end), uncertain: false };
    return { path: rest.slice(1).trimEnd(), uncertain: true };
  }
  const next = NEXT_TEXT_KEY.exec(rest);
  const path = (next === null ? rest : rest.slice(0, next.index)).trimEnd();
  if (path.length === 0) return undefined;
  return { path, uncertain: next !== null && /\s/.test(path) };
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
  const found = textPath(text, template?.start);
  const level = TEXT_LEVEL.exec(text)?.[1];
  return {
    code,
    entry,
    format: 'text',
    fileSystemId: FILE_SYSTEM_ID.exec(text)?.[0],
    path: found?.path,
    pathUncertain: found?.uncertain === true,
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
  if (message.trim().length === 0) return unparseable(event, batch, 'message is empty');
  const found = recognise(message);
  if (found === undefined) {
    return unparseable(
      event,
      batch,
      'not a documented FSx data repository event (no known code or message)',
    );
  }
  // The log stream is named by FSx; an id in the record's text only fills in when it names none.
  const streamFileSystemId = batch.streamFileSystemId;
  const named = found.fileSystemId;
  // Written out rather than spread: object spread is markedly slower on this hot path.
  return {
    eventId: event.id,
    timestamp: event.timestamp,
    owner: batch.owner,
    logGroup: batch.logGroup,
    logStream: batch.logStream,
    kind: 'record',
    code: found.code,
    class: found.entry?.class ?? 'unknown',
    format: found.format,
    fileSystemId: streamFileSystemId ?? named,
    namedFileSystemId:
      streamFileSystemId !== undefined && named !== undefined && named !== streamFileSystemId
        ? named
        : undefined,
    path: found.path,
    pathUncertain: found.pathUncertain || undefined,
    s3Key: found.s3Key,
    bucket: found.bucket,
    associationId: found.associationId,
    time: found.time,
    level: found.level,
    message: truncateEnd(message, MESSAGE_KEEP),
  };
}

export type { Recognised };
export { parseEvent, recognise };

import { FILE_SYSTEM_ID } from '../common/fsx.ts';
import type { EventKind } from '../common/types.ts';
import { type CatalogEntry, lookup } from './classify.ts';

/*
 * The walk over a JSON record: every string it holds, found breadth-first within fixed bounds and
 * sorted into the role its field name gives it (code, message, path, S3 key, bucket, file
 * system, association, time, level). Field names are matched case-insensitively from short
 * lists, because AWS never published the records' shape (docs/fsx-facts.md#what-aws-never-published).
 */

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

// Generic fields repeat a few values ("Export"): each spelling is normalised once, like the
// field names above (bounded the same way).
const kindCache = new Map<string, EventKind | null>();

function kindOf(value: string): EventKind | undefined {
  let kind = kindCache.get(value);
  if (kind === undefined) {
    kind = KIND_VALUES[value.toLowerCase().replace(/[\s_-]/g, '')] ?? null;
    if (kindCache.size < ROLE_CACHE_LIMIT) kindCache.set(value, kind);
  }
  return kind ?? undefined;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const DRA_ID = /\bdra-[0-9a-f]{8,}\b/;
const S3_URI = /^s3:\/\/([^/\s]+)\/?(.*)$/;
// A value that is one file-system id and nothing else (the usual `fileSystemId` field): the
// first match of FILE_SYSTEM_ID in it is then the whole value, found without a match array.
const WHOLE_FILE_SYSTEM_ID = new RegExp(`^(?:${FILE_SYSTEM_ID.source})$`);

/**
 * What the walk found in one JSON record: per role, the field that wins (the lowest rank, the
 * first of equal rank). Scalars rather than lists of candidates: this runs for every record, and
 * only the codes are ever read as a list (in walk order), which most records hold one of.
 */
interface Fields {
  /** The winning code field: the lowest rank, the first of equal rank. */
  readonly code: string | undefined;
  /** The first code field met, and the others in walk order when there are more (rare). */
  readonly firstCode: string | undefined;
  readonly moreCodes: readonly string[] | undefined;
  /** The code field of lowest rank that is a documented code or label. */
  readonly knownCode: string | undefined;
  /** The first documented code or label found in a message or a field with no known role. */
  readonly known: string | undefined;
  /**
   * What `knownCode`, else `known`, names: `lookup` of it, kept from the walk so that the
   * caller does not look the same string up again. Empty when neither is set.
   */
  readonly named: readonly CatalogEntry[];
  readonly message: string | undefined;
  readonly path: string | undefined;
  readonly key: string | undefined;
  readonly bucket: string | undefined;
  readonly fileSystemId: string | undefined;
  readonly associationId: string | undefined;
  readonly time: string | undefined;
  readonly level: 'ERROR' | 'WARN' | undefined;
  readonly kind: EventKind | undefined;
  /** The first `s3://bucket/key` URI in a path or a field with no known role. */
  readonly s3UriBucket: string | undefined;
  readonly s3UriKey: string | undefined;
}

/** No catalogue entry: one shared empty list, so a reset walk allocates nothing. */
const NO_ENTRIES: readonly CatalogEntry[] = [];

/**
 * The walk's state and what it found. One instance serves every record (reset before each
 * walk): the walk runs for every JSON record of a batch, and an object per record was a
 * measurable share of the garbage collector's work.
 */
class FieldWalk implements Fields {
  code: string | undefined = undefined;
  codeRank = 0;
  firstCode: string | undefined = undefined;
  moreCodes: string[] | undefined = undefined;
  knownCode: string | undefined = undefined;
  knownCodeRank = 0;
  knownCodeEntries: readonly CatalogEntry[] = NO_ENTRIES;
  known: string | undefined = undefined;
  knownEntries: readonly CatalogEntry[] = NO_ENTRIES;
  message: string | undefined = undefined;
  messageRank = 0;
  path: string | undefined = undefined;
  pathRank = 0;
  key: string | undefined = undefined;
  keyRank = 0;
  bucket: string | undefined = undefined;
  bucketRank = 0;
  fileSystemId: string | undefined = undefined;
  associationId: string | undefined = undefined;
  time: string | undefined = undefined;
  level: 'ERROR' | 'WARN' | undefined = undefined;
  kind: EventKind | undefined = undefined;
  s3UriBucket: string | undefined = undefined;
  s3UriKey: string | undefined = undefined;
  /** Nodes a queue would have held so far, the root included. */
  nodes = 0;
  /**
   * Objects and arrays for the next level (the first `nextCount`), with the field name their
   * items inherit; and the lists of the level being read, which hold the level after it. Kept
   * from walk to walk, like the rest (what they still hold of the last record, at most MAX_NODES
   * items, is overwritten by the next).
   */
  next: object[] = [];
  nextKeys: string[] = [];
  nextCount = 0;
  spare: object[] = [];
  spareKeys: string[] = [];

  get named(): readonly CatalogEntry[] {
    return this.knownCode === undefined ? this.knownEntries : this.knownCodeEntries;
  }

  reset(): void {
    this.code = undefined;
    this.codeRank = 0;
    this.firstCode = undefined;
    this.moreCodes = undefined;
    this.knownCode = undefined;
    this.knownCodeRank = 0;
    this.knownCodeEntries = NO_ENTRIES;
    this.known = undefined;
    this.knownEntries = NO_ENTRIES;
    this.message = undefined;
    this.messageRank = 0;
    this.path = undefined;
    this.pathRank = 0;
    this.key = undefined;
    this.keyRank = 0;
    this.bucket = undefined;
    this.bucketRank = 0;
    this.fileSystemId = undefined;
    this.associationId = undefined;
    this.time = undefined;
    this.level = undefined;
    this.kind = undefined;
    this.s3UriBucket = undefined;
    this.s3UriKey = undefined;
    this.nodes = 1;
    this.nextCount = 0;
  }
}

const walk = new FieldWalk();

function toLevel(value: string): 'ERROR' | 'WARN' | undefined {
  // The usual spellings first: trim() and toUpperCase() would make two strings of each.
  if (value === 'ERROR') return 'ERROR';
  if (value === 'WARN' || value === 'WARNING') return 'WARN';
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

/**
 * Walks a parsed JSON value breadth-first within fixed bounds, collecting candidate fields. The
 * result is valid until the next call (one object serves every record).
 *
 * Level by level rather than through a queue of every node: the strings of one level are read
 * as they are met (the order a queue would give them, since a level is its parents' children in
 * order), and only objects and arrays wait for the next level. A flat record, the usual shape,
 * then costs one loop over its fields and no list at all. `nodes` counts what a queue would have
 * held, so the bound cuts a huge record exactly where it always did.
 */
function collectFields(root: unknown): Fields {
  walk.reset();
  if (root === null || typeof root !== 'object') {
    readLeaf(walk, '', root);
    return walk;
  }
  readContainer(walk, root, '');
  for (let depth = 2; depth <= MAX_DEPTH && walk.nextCount > 0; depth++) {
    const level = walk.next;
    const levelKeys = walk.nextKeys;
    const count = walk.nextCount;
    walk.next = walk.spare;
    walk.nextKeys = walk.spareKeys;
    walk.nextCount = 0;
    walk.spare = level;
    walk.spareKeys = levelKeys;
    for (let i = 0; i < count; i++) {
      readContainer(walk, level[i] as object, levelKeys[i] as string);
    }
  }
  return walk;
}

/** Reads the strings among an object's (or array's) items and keeps the rest for the next level. */
function readContainer(walk: FieldWalk, container: object, arrayKey: string): void {
  if (Array.isArray(container)) {
    for (const item of container) {
      if (walk.nodes >= MAX_NODES) return;
      walk.nodes++;
      readItem(walk, arrayKey, item);
    }
    return;
  }
  const object = container as Record<string, unknown>;
  for (const key in object) {
    if (walk.nodes >= MAX_NODES) return;
    walk.nodes++;
    readItem(walk, key, object[key]);
  }
}

function readItem(walk: FieldWalk, key: string, value: unknown): void {
  if (value !== null && typeof value === 'object') {
    walk.next[walk.nextCount] = value;
    walk.nextKeys[walk.nextCount] = key;
    walk.nextCount++;
  } else readLeaf(walk, key, value);
}

/** One value that is neither an object nor an array, under the field name `key`. */
function readLeaf(fields: FieldWalk, key: string, value: unknown): void {
  if (typeof value === 'string') {
    if (value.length > 0) collectString(fields, roleOf(key), value);
  } else if (typeof value === 'number' && fields.time === undefined) {
    if (roleOf(key)?.role === 'time') fields.time = toIsoTime(value);
  }
}

function collectString(fields: FieldWalk, info: RoleInfo | undefined, value: string): void {
  if (info === undefined) {
    collectOther(fields, value);
    return;
  }
  const rank = info.rank;
  // A strict `<`: of fields with equal rank, the first one met wins.
  switch (info.role) {
    case 'code':
      collectCode(fields, rank, value);
      return;
    case 'message':
      if (fields.message === undefined || rank < fields.messageRank) {
        fields.message = value;
        fields.messageRank = rank;
      }
      if (fields.known === undefined && value.length <= MAX_CODE_LENGTH) {
        collectKnown(fields, value);
      }
      return;
    case 'path':
      // A file or object that happens to be named like a code is still a path, never the code.
      if (fields.path === undefined || rank < fields.pathRank) {
        fields.path = value;
        fields.pathRank = rank;
      }
      recordS3Uri(fields, value);
      return;
    case 'key':
      if (fields.key === undefined || rank < fields.keyRank) {
        fields.key = value;
        fields.keyRank = rank;
      }
      return;
    case 'bucket':
      if (fields.bucket === undefined || rank < fields.bucketRank) {
        fields.bucket = value;
        fields.bucketRank = rank;
      }
      return;
    case 'fs': {
      const id = WHOLE_FILE_SYSTEM_ID.test(value) ? value : FILE_SYSTEM_ID.exec(value)?.[0];
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
  }
}

function collectCode(fields: FieldWalk, rank: number, value: string): void {
  if (fields.firstCode === undefined) fields.firstCode = value;
  else if (fields.moreCodes === undefined) fields.moreCodes = [value];
  else fields.moreCodes.push(value);
  if (fields.code === undefined || rank < fields.codeRank) {
    fields.code = value;
    fields.codeRank = rank;
  }
  if (fields.knownCode === undefined || rank < fields.knownCodeRank) {
    const entries = lookup(value);
    if (entries.length > 0) {
      fields.knownCode = value;
      fields.knownCodeRank = rank;
      fields.knownCodeEntries = entries;
    }
  }
}

/** Takes `value` as the record's first documented code or label, when it is one. */
function collectKnown(fields: FieldWalk, value: string): boolean {
  const entries = lookup(value);
  if (entries.length === 0) return false;
  fields.known = value;
  fields.knownEntries = entries;
  return true;
}

/** A string in a field with no known role: a code or label, an id, an event kind or an S3 URI. */
function collectOther(fields: FieldWalk, value: string): void {
  if (value.length <= MAX_CODE_LENGTH) {
    // A documented name is taken only when none was found before, but is never read as more.
    if (fields.known === undefined) {
      if (collectKnown(fields, value)) return;
    } else if (lookup(value).length > 0) {
      return;
    }
    const kind = kindOf(value);
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

function recordS3Uri(fields: FieldWalk, value: string): void {
  if (fields.s3UriBucket !== undefined || !value.startsWith('s3://')) return;
  const match = S3_URI.exec(value);
  if (match?.[1] !== undefined) {
    fields.s3UriBucket = match[1];
    fields.s3UriKey = match[2] ?? '';
  }
}

export type { Fields };
export { collectFields, DRA_ID, MAX_CODE_LENGTH, toLevel };

import { FILE_SYSTEM_ID } from '../common/fsx.ts';
import type { EventKind } from '../common/types.ts';
import { isKnownName } from './classify.ts';

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

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;
const DRA_ID = /\bdra-[0-9a-f]{8,}\b/;
const S3_URI = /^s3:\/\/([^/\s]+)\/?(.*)$/;

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

export type { Fields };
export { best, collectFields, DRA_ID, MAX_CODE_LENGTH, toLevel };

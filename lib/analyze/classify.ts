import type { EventKind, FailureClass } from '../common/types.ts';

// Over 400 lines because it is the table itself: every documented row with its hint, one place.

/**
 * One documented FSx data repository event. AWS published the error table twice: the older page
 * names machine codes (`S3ExportResourceBusy`), the newer one human labels ("Resource busy") and
 * adds rows. A record may carry either, so every entry knows both where they exist.
 */
export interface CatalogEntry {
  /** Canonical id: the old-table code, or the new label where only the new table has the row. */
  readonly code: string;
  /** New-table error type, when it has one. */
  readonly label: string | undefined;
  readonly kind: EventKind;
  readonly class: FailureClass;
  readonly level: 'ERROR' | 'WARN';
  /** Documented message texts. `{key}`, `{bucket}`, `{value}` mark the variable parts. */
  readonly templates: readonly string[];
  /** Code FSx writes for the same failure in a task completion report, when documented. */
  readonly reportCode: string | undefined;
  /** What a person should do, written from the documented root cause. */
  readonly hint: string;
}

type Row = [
  code: string,
  label: string | undefined,
  kind: EventKind,
  cls: FailureClass,
  level: 'ERROR' | 'WARN',
  templates: readonly string[],
  reportCode: string | undefined,
  hint: string,
];

const IMPORT_HINT =
  'Import-side event: automatic export is not affected and it is not retried here.';

/**
 * The documented events, both table versions merged (docs/fsx-facts.md#error-tables). Rows are in the docs' order.
 * Never retried unless the class is `transient` or `busy`.
 */
const ROWS: readonly Row[] = [
  // Export events.
  [
    'S3ExportInternalError',
    undefined,
    'export',
    'transient',
    'ERROR',
    ['Failed to export S3 object with key {key} in S3 bucket {bucket} due to an internal error.'],
    'INTERNAL_ERROR',
    'Internal FSx error while exporting; re-exported automatically. If it keeps failing, check the file system is AVAILABLE and open an AWS support case.',
  ],
  [
    'S3ExportAccessDenied',
    'Access denied',
    'export',
    'permission',
    'ERROR',
    [
      'Failed to export file because access was denied to S3 object with key {key} in S3 bucket {bucket}.',
    ],
    'S3AccessDenied',
    'FSx was denied s3:PutObject. Check the AWSServiceRoleForFSxS3Access_<fs-id> role, remove aws:SourceVpc / aws:SourceVpce conditions from the bucket policy (export traffic leaves the VPC), and set S3 Object Ownership to "Bucket owner preferred" for objects from other accounts. Then re-export the paths.',
  ],
  [
    'S3ExportPathSizeTooLong',
    'Export path too long',
    'export',
    'limit',
    'ERROR',
    [
      'Failed to export file because the local file path size exceeds the maximum object key length supported by S3.',
    ],
    'PathSizeTooLong',
    'The S3 key (DRA prefix + file path) would exceed 1,024 bytes. Shorten the path or link the directory with a shorter data repository prefix; a retry cannot fix this.',
  ],
  [
    'S3ExportFileSizeTooLarge',
    'File too large',
    'export',
    'limit',
    'ERROR',
    ['Failed to export file because the file size exceeds the maximum supported S3 objects size.'],
    'FileSizeTooLarge',
    'S3 objects are limited to 5 TiB. Split the file or keep it on the file system only; a retry cannot fix this.',
  ],
  [
    'KMS key not found',
    'KMS key not found',
    'export',
    'permission',
    'ERROR',
    [
      "Failed to export file for S3 object with key {key} in S3 bucket {bucket} because the bucket's KMS key was not found.",
    ],
    undefined,
    "The bucket's default KMS key was not found. Use a key in the same Region as the bucket, allow the FSx service-linked role to use it, then re-export the paths.",
  ],
  [
    'S3ExportResourceBusy',
    'Resource busy',
    'export',
    'busy',
    'ERROR',
    ['Failed to export file because it is being used by another process.'],
    'ResourceBusy',
    'The file was being modified while FSx exported it. It is re-exported after a delay, once the writer has finished; if it keeps failing, find the process that keeps it open.',
  ],
  [
    'S3ExportLocalObjectReleaseWithoutS3Source',
    'File released',
    'export',
    'skipped',
    'WARN',
    [
      'Export skipped: Local file is in released state and a linked S3 object with key {key} was not found in bucket {bucket}.',
    ],
    undefined,
    'The file was released (HSM) but its S3 copy is gone, so its data exists nowhere FSx can export from. Restore the object in S3 or accept the loss; nothing to retry.',
  ],
  [
    'S3ExportLocalObjectNotMatchDra',
    'Data repository path mismatch',
    'export',
    'skipped',
    'WARN',
    ['Export skipped: local file does not belong to a data repository linked file system path.'],
    undefined,
    'The file is outside every data repository association, so it has no S3 destination. Move it under a linked directory or create an association if it should be exported.',
  ],
  [
    'InternalAutoExportError',
    'Internal failure',
    'export',
    'transient',
    'ERROR',
    ['Automatic export encountered an internal error while exporting a file system object'],
    undefined,
    'Automatic export hit an internal error; re-exported automatically. If it recurs, check the association is AVAILABLE (not MISCONFIGURED) and contact AWS support.',
  ],
  [
    'S3CompletionReportUploadFailure',
    'Completion report upload failure',
    'report',
    'report',
    'ERROR',
    ['Failed to upload data repository task completion report into {bucket}'],
    undefined,
    'FSx could not write a task completion report. Check the bucket exists and FSx may s3:PutObject under the report path; the task itself may have succeeded.',
  ],
  [
    'S3CompletionReportValidateFailure',
    'Completion report validation failure',
    'report',
    'report',
    'ERROR',
    [
      'Failed to upload data repository task completion report into bucket {bucket} because the completion report path {value} does not belong to a data repository associated with this file system',
    ],
    undefined,
    "The completion report path is outside every data repository association of the file system. Point REPORT_PATH (or the task request) inside an association's S3 path.",
  ],
  // Import events.
  [
    'S3ImportListObjectError',
    'List objects failure',
    'import',
    'import',
    'ERROR',
    ['Failed to list S3 objects in S3 bucket {bucket} with prefix {value}.'],
    undefined,
    'FSx could not list the bucket: check the bucket policy grants the FSx service-linked role s3:ListBucket.',
  ],
  [
    'S3ImportUnsupportedTierWarning',
    'Unsupported S3 storage class',
    'import',
    'import',
    'WARN',
    [
      'Failed to import S3 object with key {key} in S3 bucket {bucket} due to an S3 object in an unsupported tier {value}.',
    ],
    'S3ObjectInUnsupportedTier',
    `The object is in Glacier Flexible Retrieval or Deep Archive; restore it first. ${IMPORT_HINT}`,
  ],
  [
    'S3ImportSymlinkInUnsupportedTierWarning',
    'Unsupported symlink storage class',
    'import',
    'import',
    'WARN',
    [
      'Failed to import S3 object with key {key} in S3 bucket {bucket} due to an S3 symlink object in an unsupported tier {value}.',
    ],
    'S3SymlinkInUnsupportedTier',
    `The symlink object is in an archive storage class; restore it first. ${IMPORT_HINT}`,
  ],
  [
    'S3ImportAccessDenied',
    'S3 access denied',
    'import',
    'import',
    'ERROR',
    [
      'Failed to import S3 object with key {key} in S3 bucket {bucket} because access to the S3 object was denied.',
    ],
    undefined,
    'FSx needs s3:HeadObject and s3:GetObject (and the KMS key for SSE-KMS buckets). ' +
      IMPORT_HINT,
  ],
  [
    'S3ImportDeleteAccessDenied',
    'Delete access denied',
    'import',
    'import',
    'ERROR',
    [
      'Failed to delete local file for S3 object with key {key} in S3 bucket {bucket} because access to the S3 object was denied.',
    ],
    undefined,
    `Automatic import was denied access to the object. ${IMPORT_HINT}`,
  ],
  [
    'S3ImportObjectPathNotPosixCompliant',
    'Non-POSIX compliant object',
    'import',
    'import',
    'ERROR',
    [
      'Failed to import S3 object with key {key} in S3 bucket {bucket} because S3 object is not POSIX compliant.',
    ],
    'S3ObjectPathNotPosixCompliant',
    `The object key is not a valid POSIX path; rename it in S3. ${IMPORT_HINT}`,
  ],
  [
    'S3ImportObjectTypeMismatch',
    'Object type mismatch',
    'import',
    'import',
    'ERROR',
    [
      'Failed to import S3 object with key {key} in S3 bucket {bucket} because an S3 object with the same name has already been imported into the file system.',
    ],
    'S3ObjectTypeMismatch',
    `A file and a directory share the same name; rename one of them. ${IMPORT_HINT}`,
  ],
  [
    'S3ImportDirectoryMetadataUpdateError',
    'Directory metadata update failure',
    'import',
    'import',
    'ERROR',
    ['Failed to update local directory metadata due to an internal error.'],
    undefined,
    `Internal error while importing directory metadata. ${IMPORT_HINT}`,
  ],
  [
    'S3ImportObjectDeleted',
    'S3 object not found',
    'import',
    'import',
    'ERROR',
    ['Failed to import S3 object with key {key} because it was not found in S3 bucket {bucket}.'],
    'S3FileDeleted',
    `The object no longer exists in S3. ${IMPORT_HINT}`,
  ],
  [
    'S3ImportBucketDoesNotExist',
    'S3 bucket not found',
    'import',
    'import',
    'ERROR',
    [
      'Failed to import S3 object with key {key} in S3 bucket {bucket} due to bucket does not exist.',
    ],
    undefined,
    'The linked bucket no longer exists; recreate it or delete the association. Exports to it fail too.',
  ],
  [
    'S3ImportDeleteBucketDoesNotExist',
    'S3 bucket not found',
    'import',
    'import',
    'ERROR',
    [
      'Failed to delete local file for S3 object with key {key} in S3 bucket {bucket} due to bucket does not exist.',
    ],
    undefined,
    'The linked bucket no longer exists; recreate it or delete the association. Exports to it fail too.',
  ],
  [
    'S3ImportDirectoryCreateError',
    'Directory creation failure',
    'import',
    'import',
    'ERROR',
    ['Failed to create local directory due to an internal error.'],
    undefined,
    `Internal error while importing a directory. ${IMPORT_HINT}`,
  ],
  [
    'NoDiskSpace',
    'Disk space full',
    'import',
    'import',
    'ERROR',
    [
      'Failed to import S3 object with key {key} in S3 bucket {bucket} because the file system is full.',
    ],
    undefined,
    'The metadata servers are out of space: increase storage capacity or release files.',
  ],
  [
    'File name too long',
    'File name too long',
    'import',
    'import',
    'ERROR',
    [
      'Failed to import S3 object with key {key} in S3 bucket {bucket} because the file exceeds the maximum supported file name length (255).',
    ],
    undefined,
    `A file name in the key exceeds 255 bytes; rename the object. ${IMPORT_HINT}`,
  ],
  // HSM restore events (new table only; labels shared with import rows are resolved by template).
  [
    'Restore: access denied',
    'Access denied',
    'restore',
    'import',
    'ERROR',
    ['Failed to restore file because access was denied to S3 object {key} in S3 bucket {bucket}.'],
    undefined,
    'hsm_restore needs s3:HeadObject and s3:GetObject on the object. Not retried here.',
  ],
  [
    'Restore: unsupported S3 storage class',
    'Unsupported S3 storage class',
    'restore',
    'import',
    'WARN',
    [
      'Failed to restore file because S3 object {key} in bucket {bucket} was in an unsupported {value}.',
    ],
    undefined,
    'Restore the object from Glacier before hsm_restore. Not retried here.',
  ],
  [
    'Restore: S3 object not found',
    'S3 object not found',
    'restore',
    'import',
    'ERROR',
    [
      'Failed to restore file because S3 object with key {key} was not found in S3 bucket {bucket}.',
    ],
    undefined,
    'The S3 object behind a released file is gone; its data cannot be restored.',
  ],
  [
    'Restore: S3 bucket not found',
    'S3 bucket not found',
    'restore',
    'import',
    'ERROR',
    ['Failed to restore file because S3 bucket {bucket} does not exist.'],
    undefined,
    'The linked bucket no longer exists; released files cannot be restored.',
  ],
  [
    'Restore: disk space full',
    'Disk space full',
    'restore',
    'import',
    'ERROR',
    ['Failed to restore file because there was no available storage space on the file system.'],
    undefined,
    'Increase storage capacity or release other files, then restore again.',
  ],
];

/** Every documented event, in the documentation's order. */
const CATALOG: readonly CatalogEntry[] = ROWS.map(
  ([code, label, kind, cls, level, templates, reportCode, hint]) => ({
    code,
    label,
    kind,
    class: cls,
    level,
    templates,
    reportCode,
    hint,
  }),
);

const UNKNOWN_HINT =
  'Not in the documented FSx error tables, so it is never retried. Read the raw message and the FSx event-log documentation.';

function normaliseName(value: string): string {
  return value.trim().toLowerCase();
}

const NONE: readonly CatalogEntry[] = [];
const LOOKUP_CACHE_LIMIT = 2_000;
const lookupCache = new Map<string, readonly CatalogEntry[]>();
const byCode = new Map<string, CatalogEntry>();
const byLabel = new Map<string, CatalogEntry[]>();
for (const entry of CATALOG) {
  byCode.set(normaliseName(entry.code), entry);
  if (entry.reportCode !== undefined && !byCode.has(normaliseName(entry.reportCode))) {
    byCode.set(normaliseName(entry.reportCode), entry);
  }
  if (entry.label !== undefined) {
    const key = normaliseName(entry.label);
    byLabel.set(key, [...(byLabel.get(key) ?? []), entry]);
  }
}

/** The entries a code or label names, by its normalised spelling (see lookup). */
function lookupNormalised(codeOrLabel: string): readonly CatalogEntry[] {
  const key = normaliseName(codeOrLabel);
  const entry = byCode.get(key);
  return entry === undefined ? (byLabel.get(key) ?? NONE) : [entry];
}

/*
 * Most strings lookup sees are either a name spelt exactly as the catalog spells it, or no name
 * at all (a message, a path). A fresh string from JSON.parse has no hash yet, and V8 hashes it at
 * ~2 ns a character on its way into the cache, so both are told apart without the cache first:
 * the catalog's own spellings are compared whole among those of the same length, and a string
 * of a length no name has, with nothing for trim() to remove, is no name. Per length: the
 * catalog's spellings of that length, and what each names.
 */
interface Spellings {
  readonly names: string[];
  readonly found: (readonly CatalogEntry[])[];
}
const KNOWN_SPELLINGS: (Spellings | undefined)[] = [];
for (const entry of CATALOG) {
  for (const name of [entry.code, entry.reportCode, entry.label]) {
    if (name === undefined) continue;
    // The length test below relies on it: lower-casing keeps the length of ASCII text, and the
    // one character whose lower case is longer (U+0130) gives a non-ASCII result.
    if (!/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(name)) {
      throw new Error(`catalog name is not trimmed printable ASCII: ${name}`);
    }
    let spellings = KNOWN_SPELLINGS[name.length];
    if (spellings === undefined) {
      spellings = { names: [], found: [] };
      KNOWN_SPELLINGS[name.length] = spellings;
    }
    if (spellings.names.includes(name)) continue;
    spellings.names.push(name);
    spellings.found.push(lookupNormalised(name));
  }
}

/** Whether trim() would keep both ends of the text: its first and last characters are printable ASCII. */
function hasPlainEnds(text: string): boolean {
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  return first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f;
}

/**
 * Finds the catalog entries a code or label names, case-insensitively. A label shared by several
 * rows ("Access denied" is both an export and a restore label) returns them all; the caller
 * narrows them by message text or event kind.
 *
 * @example lookup('S3ExportResourceBusy') // [entry for busy]
 * @example lookup('resource busy')        // the same entry, by its new label
 */
function lookup(codeOrLabel: string): readonly CatalogEntry[] {
  const spellings = KNOWN_SPELLINGS[codeOrLabel.length];
  if (spellings === undefined) {
    // No name has this length: only a text that trim() shortens can still be one.
    if (codeOrLabel.length === 0 || hasPlainEnds(codeOrLabel)) return NONE;
  } else {
    const index = spellings.names.indexOf(codeOrLabel);
    if (index >= 0) return spellings.found[index] as readonly CatalogEntry[];
  }
  // Logs repeat the same few codes; remember each exact spelling (bounded against hostile input).
  const cached = lookupCache.get(codeOrLabel);
  if (cached !== undefined) return cached;
  const found = lookupNormalised(codeOrLabel);
  if (lookupCache.size < LOOKUP_CACHE_LIMIT) lookupCache.set(codeOrLabel, found);
  return found;
}

/** True when a string is a documented code, completion-report code or label. */
function isKnownName(value: string): boolean {
  return lookup(value).length > 0;
}

/** The class of a canonical code; `unknown` for anything not in the catalog. */
function classify(code: string): FailureClass {
  return lookup(code)[0]?.class ?? 'unknown';
}

/** Remediation hint for a code, falling back to the unknown-code hint. */
function hintFor(code: string): string {
  return lookup(code)[0]?.hint ?? UNKNOWN_HINT;
}

export { CATALOG, classify, hintFor, isKnownName, lookup };

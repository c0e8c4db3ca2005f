import { logGroupName } from './arn.ts';
import RULES from './env-rules.json' with { type: 'json' };
import type { Association, LoggingFacts } from './types.ts';

/*
 * FSx for Lustre facts and limits the code relies on, each defined once. Where each comes from,
 * with links to the AWS pages: docs/fsx-facts.md.
 */

/**
 * The log group FSx for Lustre writes data repository events to when none is configured
 * (docs/fsx-facts.md#event-logs).
 */
export const DEFAULT_LOG_GROUP = '/aws/fsx/lustre';

/**
 * The log group a file system logs to: its LogConfiguration's destination, else the default
 * group; undefined when logging is off (no configuration, or level DISABLED)
 * (docs/fsx-facts.md#event-logs).
 */
export function loggedTo(logging: LoggingFacts | undefined): string | undefined {
  if (logging === undefined || logging.level === 'DISABLED') return undefined;
  const destination = logging.destination;
  return (destination === undefined ? undefined : logGroupName(destination)) ?? DEFAULT_LOG_GROUP;
}

/** Event logging exists only for file systems created after this time (docs/fsx-facts.md#event-logs). */
export const EVENT_LOGGING_SINCE = Date.parse('2021-11-30T23:00:00Z');

/** CloudWatch Logs allows two subscription filters per log group (docs/fsx-facts.md#subscription-filters). */
export const FILTERS_PER_LOG_GROUP = 2;

/**
 * CreateDataRepositoryTask takes at most 100 paths, each at most 4,096 characters
 * (docs/fsx-facts.md#createdatarepositorytask).
 */
export const MAX_TASK_PATHS = 100;
export const MAX_PATH_LENGTH = 4096;

/**
 * Characters the DataRepositoryTaskPath, ArchivePath and CompletionReport Path patterns forbid
 * (docs/fsx-facts.md#createdatarepositorytask). Written in lib/common/env-rules.json, which
 * infra/params.cjs reads too: the package-time check of the reportPath parameter refuses the
 * same characters the functions refuse in REPORT_PATH.
 */
export const FORBIDDEN_PATH_CHARS = new RegExp(RULES.forbiddenPathChars);

/** A data repository task id; FSx fails a call naming anything else (docs/fsx-facts.md#createdatarepositorytask). */
export const TASK_ID = /^task-[0-9a-f]{17,}$/;

/** DescribeDataRepositoryAssociations answers at most 25 a page (docs/fsx-facts.md#data-repository-associations). */
export const ASSOCIATIONS_PAGE_SIZE = 25;

/**
 * A file system (`fs-`) or File Cache (`fc-`) id anywhere in a text: 8 or 17 hex digits in the
 * ids FSx has issued (docs/fsx-facts.md#event-logs); longer runs are not ids.
 */
export const FILE_SYSTEM_ID = /\b(?:fs|fc)-[0-9a-f]{8,17}\b/;

/** Whether `text` is exactly one file-system or File Cache id, as {@link FILE_SYSTEM_ID} finds them. */
export function isFileSystemId(text: string): boolean {
  return FILE_SYSTEM_ID.exec(text)?.[0] === text;
}

/** FSx names each file system's event log stream `datarepo_<file-system id>` (docs/fsx-facts.md#event-logs). */
const STREAM_PREFIX = 'datarepo_';

/** Takes the file-system id from a `datarepo_<fs-id>` log stream name. */
export function fileSystemIdFromStream(logStream: string): string | undefined {
  if (!logStream.startsWith(STREAM_PREFIX)) return undefined;
  const id = logStream.slice(STREAM_PREFIX.length);
  return isFileSystemId(id) ? id : undefined;
}

/** A DataRepositoryAssociation as the FSx API (and the AWS CLI) returns it. */
export interface ApiAssociation {
  readonly AssociationId?: string | undefined;
  readonly FileSystemId?: string | undefined;
  readonly Lifecycle?: string | undefined;
  readonly FileSystemPath?: string | undefined;
  readonly DataRepositoryPath?: string | undefined;
}

/**
 * The parts of an association that mapping S3 keys to paths and placing reports need; undefined
 * for NFS (File Cache) associations and half-created entries, which have no S3 path.
 * See docs/fsx-facts.md#data-repository-associations.
 */
export function toAssociation(
  entry: ApiAssociation,
  fileSystemId?: string,
): Association | undefined {
  const { AssociationId, FileSystemPath, DataRepositoryPath } = entry;
  const owner = entry.FileSystemId ?? fileSystemId;
  if (AssociationId === undefined || FileSystemPath === undefined) return undefined;
  if (DataRepositoryPath === undefined || owner === undefined) return undefined;
  return {
    associationId: AssociationId,
    fileSystemId: owner,
    lifecycle: entry.Lifecycle ?? 'UNKNOWN',
    fileSystemPath: FileSystemPath,
    dataRepositoryPath: DataRepositoryPath,
  };
}

/**
 * The automatic-export backlog metric: in namespace AWS/FSx, dimensions FileSystemId and
 * Publisher, FSx publishes the age in seconds of the oldest change on the file system not yet
 * exported to S3 (Publisher AutoExport). See docs/fsx-facts.md#export-backlog.
 */
export const BACKLOG_METRIC = {
  namespace: 'AWS/FSx',
  metricName: 'AgeOfOldestQueuedMessage',
  publisher: 'AutoExport',
} as const;

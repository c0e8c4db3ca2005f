import {
  CreateDataRepositoryTaskCommand,
  type DataRepositoryAssociation,
  DescribeDataRepositoryAssociationsCommand,
  type DescribeDataRepositoryAssociationsCommandOutput,
  type FSxClient,
} from '@aws-sdk/client-fsx';
import type { ExportRequest, FsxPort, StartResult } from '../pipeline.ts';
import { truncateEnd } from '../text.ts';
import type { Association } from '../types.ts';

interface FsxAdapterOptions {
  /** How long a file system's associations are reused, in seconds; 0 turns the cache off. */
  readonly cacheSeconds: number;
  /** Clock in milliseconds; injectable for tests. */
  readonly now?: () => number;
}

/** DescribeDataRepositoryAssociations accepts at most 25 results per page (facts §3.1). */
const PAGE_SIZE = 25;
/**
 * A file system has at most 8 associations, so one page is the norm; the bound only stops a
 * NextToken that never ends from looping for the rest of the invocation.
 */
const MAX_PAGES = 20;
const MAX_MESSAGE = 300;

/** CreateDataRepositoryTask's documented errors (facts §2.4): reported under their own name. */
const DOCUMENTED = new Set([
  'DataRepositoryTaskExecuting',
  'ServiceLimitExceeded',
  'IncompatibleParameterError',
  'BadRequest',
  'FileSystemNotFound',
  'UnsupportedOperation',
  'InternalServerError',
]);
// Generic AWS errors are not in the FSx model; the SDK gives them the wire code as their name.
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);
// Node socket error codes and the SDK's own timeout error: the request never got an answer.
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError']);

function field(error: unknown, name: string): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** Normalises a thrown value to the error names the pipeline's FSx error table knows. */
function errorName(error: unknown): string {
  const name = field(error, 'name');
  const code = field(error, 'code');
  if (name !== undefined && DOCUMENTED.has(name)) return name;
  if (name !== undefined && THROTTLING.has(name)) return 'Throttling';
  if (name !== undefined && ACCESS_DENIED.has(name)) return 'AccessDenied';
  if (
    (code !== undefined && NETWORK_CODES.has(code)) ||
    (name !== undefined && NETWORK_NAMES.has(name)) ||
    /socket hang up/i.test(field(error, 'message') ?? '')
  ) {
    return 'NetworkError';
  }
  // A plain `Error` says nothing; its name would only read "Error" in the summary.
  return name === undefined || name === 'Error' ? 'UnexpectedError' : name;
}

/** The error's first line, at most 300 characters; FSx shapes also carry it as `Message`. */
function errorMessage(error: unknown): string {
  const text =
    field(error, 'message') ??
    field(error, 'Message') ??
    (error instanceof Error ? '' : String(error));
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? '';
  return truncateEnd(line.length > 0 ? line : 'no error message', MAX_MESSAGE);
}

function toAssociation(
  entry: DataRepositoryAssociation,
  fileSystemId: string,
): Association | undefined {
  const { AssociationId, FileSystemPath, DataRepositoryPath } = entry;
  // NFS (File Cache) associations and half-created entries have no S3 path to map or report to.
  if (AssociationId === undefined || FileSystemPath === undefined) return undefined;
  if (DataRepositoryPath === undefined) return undefined;
  return {
    associationId: AssociationId,
    fileSystemId: entry.FileSystemId ?? fileSystemId,
    lifecycle: entry.Lifecycle ?? 'UNKNOWN',
    fileSystemPath: FileSystemPath,
    dataRepositoryPath: DataRepositoryPath,
  };
}

function isNotFound(error: unknown): boolean {
  return field(error, 'name') === 'DataRepositoryAssociationNotFound';
}

/**
 * Creates the FSx adapter the pipeline uses. Associations are cached per file system for
 * `cacheSeconds` in this instance, so a warm container reads them once per period instead of once
 * per log batch.
 */
function createFsxAdapter(client: FSxClient, options: FsxAdapterOptions): FsxPort {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { expires: number; associations: readonly Association[] }>();

  async function describeAll(fileSystemId: string): Promise<readonly Association[]> {
    const associations: Association[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      let response: DescribeDataRepositoryAssociationsCommandOutput;
      try {
        response = await client.send(
          new DescribeDataRepositoryAssociationsCommand({
            Filters: [{ Name: 'file-system-id', Values: [fileSystemId] }],
            MaxResults: PAGE_SIZE,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          }),
        );
      } catch (error) {
        // FSx answers "not found" instead of an empty list when the file system has none.
        if (isNotFound(error)) return associations;
        throw error;
      }
      for (const entry of response.Associations ?? []) {
        const association = toAssociation(entry, fileSystemId);
        if (association !== undefined) associations.push(association);
      }
      nextToken = response.NextToken;
      if (nextToken === undefined || nextToken === '') return associations;
    }
    throw new Error(
      `DescribeDataRepositoryAssociations for ${fileSystemId} returned more than ${MAX_PAGES} pages`,
    );
  }

  async function listAssociations(fileSystemId: string): Promise<readonly Association[]> {
    const cached = cache.get(fileSystemId);
    if (cached !== undefined && cached.expires > now()) return cached.associations;
    const associations = Object.freeze(await describeAll(fileSystemId));
    // Failures are not cached: the next batch tries again.
    if (options.cacheSeconds > 0) {
      cache.set(fileSystemId, { expires: now() + options.cacheSeconds * 1000, associations });
    }
    return associations;
  }

  async function startExport(request: ExportRequest): Promise<StartResult> {
    try {
      const response = await client.send(
        new CreateDataRepositoryTaskCommand({
          Type: 'EXPORT_TO_REPOSITORY',
          FileSystemId: request.fileSystemId,
          Paths: [...request.paths],
          ClientRequestToken: request.clientRequestToken,
          Report: {
            Enabled: true,
            Path: request.reportPath,
            Format: 'REPORT_CSV_20191124',
            Scope: 'FAILED_FILES_ONLY',
          },
        }),
      );
      const task = response.DataRepositoryTask;
      if (task?.TaskId === undefined || task.TaskId === '') {
        return {
          ok: false,
          error: 'UnexpectedResponse',
          message: 'CreateDataRepositoryTask answered without DataRepositoryTask.TaskId',
        };
      }
      return { ok: true, taskId: task.TaskId, lifecycle: task.Lifecycle ?? 'UNKNOWN' };
    } catch (error) {
      // A refusal is an outcome for the summary, not a failed invocation: Lambda's retry would
      // replay the whole batch and most likely meet the same refusal.
      return { ok: false, error: errorName(error), message: errorMessage(error) };
    }
  }

  return { listAssociations, startExport };
}

export type { FsxAdapterOptions };
export { createFsxAdapter };

import { randomBytes } from 'node:crypto';
import {
  AwsJsonError,
  type AwsJsonServer,
  type Fault,
  startAwsJsonServer,
} from './aws-json-server.ts';

/*
 * An in-memory FSx for Lustre, just enough for the analyzer, the retrier, the outcome check and
 * doctor: CreateDataRepositoryTask, DescribeDataRepositoryTasks, DescribeDataRepositoryAssociations
 * and DescribeFileSystems, over awsJson1_1 with the real target prefix. The rules follow the API reference (docs/fsx-facts.md)
 * where it is explicit; where it is silent (which check wins first, NextToken format) the choice
 * is marked.
 */

const TARGET_PREFIX = 'AWSSimbaAPIService_v20180301';
const ACCOUNT = '123456789012';
const TASK_TYPES = new Set([
  'EXPORT_TO_REPOSITORY',
  'IMPORT_METADATA_FROM_REPOSITORY',
  'RELEASE_DATA_FROM_FILESYSTEM',
  'AUTO_RELEASE_DATA',
]);
const LIFECYCLES = new Set([
  'PENDING',
  'EXECUTING',
  'FAILED',
  'SUCCEEDED',
  'CANCELED',
  'CANCELING',
]);
const ACTIVE = new Set(['PENDING', 'EXECUTING']);
const TERMINAL = new Set(['FAILED', 'SUCCEEDED', 'CANCELED']);
const FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,}$/;
const TASK_ID = /^task-[0-9a-f]{17,}$/;
const TOKEN = /^[A-Za-z0-9_.-]{1,63}$/;
const FORBIDDEN_PATH_CHARS = /[\u0000\u0085\u2028\u2029\r\n]/;
const TASK_PAGE_LIMIT = 50;
const ASSOCIATION_PAGE_LIMIT = 25;
/** DescribeFileSystems: MaxResults up to 2147483647; FileSystemIds at most 50 (FSX-MODEL). */
const FILE_SYSTEM_PAGE_LIMIT = 2_147_483_647;
const FILE_SYSTEM_IDS_LIMIT = 50;

/** A data repository association to seed, as the test describes it. */
interface AssociationSeed {
  readonly fileSystemPath: string;
  readonly dataRepositoryPath: string;
  /** `dra-` + 17 hex when omitted. */
  readonly associationId?: string;
  readonly lifecycle?: string;
  /** FailureDetails.Message (FSx sets it on MISCONFIGURED and FAILED associations). */
  readonly failureMessage?: string;
  /** S3.AutoExportPolicy.Events; all three (NEW, CHANGED, DELETED) unless set. `[]`: no policy. */
  readonly autoExportEvents?: readonly string[];
}

/** How DescribeFileSystems shows a seeded file system; every field has a healthy default. */
interface FileSystemSeed {
  /** LUSTRE unless set (WINDOWS, ONTAP, OPENZFS are listed too, without Lustre settings). */
  readonly fileSystemType?: string;
  /** AVAILABLE unless set. */
  readonly lifecycle?: string;
  /**
   * LustreConfiguration.LogConfiguration: WARN_ERROR to /aws/fsx/lustre unless set; `null` for
   * none at all (as FSx shows a file system that never had logging configured).
   */
  readonly logConfiguration?: { readonly Level: string; readonly Destination?: string } | null;
  /** The Name tag. */
  readonly name?: string;
  /** Clock milliseconds; the server's `now` unless set. */
  readonly creationTime?: number;
}

/** A task as DescribeDataRepositoryTasks returns it on the wire (timestamps in epoch seconds). */
interface WireTask {
  TaskId: string;
  Lifecycle: string;
  Type: string;
  CreationTime: number;
  StartTime?: number;
  EndTime?: number;
  ResourceARN: string;
  FileSystemId: string;
  Paths: string[];
  Report?: Record<string, unknown>;
  Tags?: unknown[];
  FailureDetails?: { Message: string };
  Status?: {
    TotalCount?: number;
    SucceededCount?: number;
    FailedCount?: number;
    LastUpdatedTime?: number;
  };
}

/** A task the test seeds directly, e.g. one "someone else" started. */
interface TaskSeed {
  readonly fileSystemId: string;
  readonly lifecycle?: string;
  readonly type?: string;
  readonly paths?: readonly string[];
  readonly reportPath?: string;
}

interface TaskCounts {
  readonly total?: number;
  readonly succeeded?: number;
  readonly failed?: number;
}

interface FsxServerOptions {
  /** Caps every page below the API's own limit (50 tasks, 25 associations), to test paging. */
  readonly maxPageSize?: number;
  /** Clock in milliseconds for CreationTime, StartTime, EndTime. */
  readonly now?: (() => number) | undefined;
  readonly region?: string | undefined;
}

interface FsxServer {
  readonly endpoint: string;
  readonly calls: AwsJsonServer['calls'];
  inject(fault: Fault): void;
  stop(): Promise<void>;
  /**
   * Adds a file system with its data repository associations (none: it has no repository);
   * `seed` sets what DescribeFileSystems shows of it.
   */
  addFileSystem(
    fileSystemId: string,
    associations?: readonly AssociationSeed[],
    seed?: FileSystemSeed,
  ): void;
  /** Adds a task without the API's checks; returns its id. */
  addTask(seed: TaskSeed): string;
  /**
   * Moves a task to a lifecycle. EXECUTING sets StartTime; FAILED, SUCCEEDED and CANCELED set
   * EndTime; FAILED sets FailureDetails (`failureMessage` or a default).
   */
  setLifecycle(
    taskId: string,
    lifecycle: string,
    counts?: TaskCounts,
    failureMessage?: string,
  ): void;
  /** Every task, oldest first, as the wire shows it (copies). */
  tasks(): WireTask[];
}

interface StoredAssociation {
  readonly AssociationId: string;
  readonly ResourceARN: string;
  readonly FileSystemId: string;
  readonly Lifecycle: string;
  readonly FailureDetails?: { readonly Message: string };
  readonly FileSystemPath: string;
  readonly DataRepositoryPath: string;
  readonly BatchImportMetaDataOnCreate: boolean;
  readonly ImportedFileChunkSize: number;
  readonly S3: unknown;
  readonly CreationTime: number;
}

/** A file system as DescribeFileSystems returns it on the wire (the fields doctor reads). */
interface WireFileSystem {
  readonly FileSystemId: string;
  readonly FileSystemType: string;
  readonly Lifecycle: string;
  readonly OwnerId: string;
  readonly CreationTime: number;
  readonly ResourceARN: string;
  readonly StorageCapacity: number;
  readonly Tags?: readonly { readonly Key: string; readonly Value: string }[];
  readonly LustreConfiguration?: Record<string, unknown>;
}

const bad = (message: string) => new AwsJsonError('BadRequest', message);

function hexId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

function stringList(value: unknown, what: string, max: number): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw bad(`${what} must be a list of strings`);
  }
  if (value.length > max) throw bad(`${what} has more than ${max} items`);
  return value as string[];
}

/**
 * The page size: MaxResults, at most `limit` (DescribeDataRepositoryAssociations refuses more than
 * 25; DescribeDataRepositoryTasks accepts any positive MaxResults but answers at most 50).
 */
function pageSize(
  input: Record<string, unknown>,
  limit: number,
  refuseAbove: boolean,
  cap: number | undefined,
): number {
  const max = input['MaxResults'];
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1)) {
    throw bad('MaxResults must be a positive integer');
  }
  if (refuseAbove && typeof max === 'number' && max > limit) {
    throw bad(`MaxResults must be at most ${limit}`);
  }
  return Math.min(typeof max === 'number' ? max : limit, limit, cap ?? limit);
}

// NextToken: a base64 offset. The real token is opaque; the pattern only says base64.
function pageStart(input: Record<string, unknown>): number {
  const token = input['NextToken'];
  if (token === undefined) return 0;
  const offset = typeof token === 'string' ? Number(Buffer.from(token, 'base64').toString()) : NaN;
  if (!Number.isInteger(offset) || offset < 0) throw bad('NextToken is invalid');
  return offset;
}

function page<T>(items: readonly T[], start: number, size: number): { items: T[]; next?: string } {
  const end = start + size;
  const slice = items.slice(start, end);
  return end < items.length
    ? { items: slice, next: Buffer.from(String(end)).toString('base64') }
    : { items: slice };
}

/** Filters as `[{ Name, Values }]`, validated: at most `max` filters of at most 20 values. */
function filters(value: unknown, max: number): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  if (value === undefined) return result;
  if (!Array.isArray(value) || value.length > max) throw bad(`Filters must be at most ${max}`);
  for (const filter of value as unknown[]) {
    const { Name, Values } = (filter ?? {}) as Record<string, unknown>;
    if (typeof Name !== 'string') throw bad('Filter Name is required');
    result.set(Name, new Set(stringList(Values, `Filter ${Name} Values`, 20)));
  }
  return result;
}

/** The data repository path as FSx stores it: with one trailing slash. */
function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

/**
 * Starts the in-memory FSx. File systems, associations and tasks live in this instance only;
 * `stop()` discards them.
 */
async function startFsxServer(options: FsxServerOptions = {}): Promise<FsxServer> {
  const now = options.now ?? Date.now;
  const region = options.region ?? 'us-east-1';
  const seconds = () => now() / 1000;
  const fileSystems = new Map<string, StoredAssociation[]>();
  // Same keys as fileSystems, in insertion order: what DescribeFileSystems lists.
  const described = new Map<string, WireFileSystem>();
  const tasks: WireTask[] = [];
  const tokens = new Map<string, { fingerprint: Record<string, string>; taskId: string }>();

  function arn(kind: string, id: string): string {
    return `arn:aws:fsx:${region}:${ACCOUNT}:${kind}/${id}`;
  }

  function findTask(taskId: string): WireTask {
    const task = tasks.find((candidate) => candidate.TaskId === taskId);
    if (task === undefined) throw new Error(`fsx-server: no task ${taskId}`);
    return task;
  }

  function newTaskId(): string {
    for (;;) {
      const id = hexId('task');
      if (!tasks.some((task) => task.TaskId === id)) return id;
    }
  }

  function validateReport(report: unknown, associations: readonly StoredAssociation[]) {
    if (report === null || typeof report !== 'object') throw bad('Report is required');
    const { Enabled, Path, Format, Scope } = report as Record<string, unknown>;
    if (typeof Enabled !== 'boolean') throw bad('Report.Enabled is required');
    if (!Enabled) return;
    // "If set to true, then you need to provide a report Scope, Path, and Format."
    if (typeof Path !== 'string' || Path.length < 3 || Path.length > 4357) {
      throw bad('Report.Path is required when the report is enabled');
    }
    if (FORBIDDEN_PATH_CHARS.test(Path)) throw bad('Report.Path contains invalid characters');
    if (Format !== 'REPORT_CSV_20191124') throw bad('Report.Format must be REPORT_CSV_20191124');
    if (Scope !== 'FAILED_FILES_ONLY') throw bad('Report.Scope must be FAILED_FILES_ONLY');
    const inside = associations.some((association) =>
      withSlash(Path).startsWith(withSlash(association.DataRepositoryPath)),
    );
    if (!inside) {
      throw bad(
        `The report path ${Path} is not within the data repository path of any data repository association of the file system`,
      );
    }
  }

  function createTask(input: Record<string, unknown>): unknown {
    const { Type, FileSystemId, Paths = [], Report, ClientRequestToken, Tags } = input;
    if (typeof Type !== 'string' || !TASK_TYPES.has(Type)) {
      throw bad(`Type ${String(Type)} is not a valid data repository task type`);
    }
    if (typeof FileSystemId !== 'string' || !FILE_SYSTEM_ID.test(FileSystemId)) {
      throw bad('FileSystemId is invalid');
    }
    const associations = fileSystems.get(FileSystemId);
    if (associations === undefined) {
      throw new AwsJsonError('FileSystemNotFound', `File system '${FileSystemId}' does not exist.`);
    }
    const paths = stringList(Paths, 'Paths', 100);
    if (paths.some((path) => path.length > 4096 || FORBIDDEN_PATH_CHARS.test(path))) {
      throw bad('A path is longer than 4096 characters or contains invalid characters');
    }
    if (ClientRequestToken !== undefined) {
      if (typeof ClientRequestToken !== 'string' || !TOKEN.test(ClientRequestToken)) {
        throw bad('ClientRequestToken must be 1 to 63 of [A-Za-z0-9_.-]');
      }
    }
    if (associations.length === 0) {
      // "A CreateDataRepositoryTask operation will fail if a data repository is not linked."
      throw new AwsJsonError(
        'UnsupportedOperation',
        `File system '${FileSystemId}' has no linked data repository.`,
      );
    }
    validateReport(Report, associations);

    // Idempotency (chosen order: after validation, before the busy check, as for CreateBackup:
    // a repeated request gets its task back even while that task runs).
    const fingerprint: Record<string, string> = {
      Type: JSON.stringify(Type),
      FileSystemId: JSON.stringify(FileSystemId),
      Paths: JSON.stringify(paths),
      Report: JSON.stringify(Report),
      Tags: JSON.stringify(Tags ?? null),
    };
    if (typeof ClientRequestToken === 'string') {
      const seen = tokens.get(ClientRequestToken);
      if (seen !== undefined) {
        const parameter = Object.keys(fingerprint).find(
          (name) => fingerprint[name] !== seen.fingerprint[name],
        );
        if (parameter !== undefined) {
          throw new AwsJsonError(
            'IncompatibleParameterError',
            `The client request token ${ClientRequestToken} was used with a different ${parameter}.`,
            400,
            { Parameter: parameter },
          );
        }
        return { DataRepositoryTask: structuredClone(findTask(seen.taskId)) };
      }
    }
    const running = tasks.find(
      (task) => task.FileSystemId === FileSystemId && ACTIVE.has(task.Lifecycle),
    );
    if (running !== undefined) {
      throw new AwsJsonError(
        'DataRepositoryTaskExecuting',
        `Data repository task ${running.TaskId} is currently executing on file system ${FileSystemId}.`,
      );
    }
    const taskId = newTaskId();
    const task: WireTask = {
      TaskId: taskId,
      Lifecycle: 'PENDING',
      Type,
      CreationTime: seconds(),
      ResourceARN: arn('task', taskId),
      FileSystemId,
      Paths: paths,
      Report: Report as Record<string, unknown>,
      ...(Array.isArray(Tags) ? { Tags } : {}),
    };
    tasks.push(task);
    if (typeof ClientRequestToken === 'string') {
      tokens.set(ClientRequestToken, { fingerprint, taskId });
    }
    return { DataRepositoryTask: structuredClone(task) };
  }

  function describeTasks(input: Record<string, unknown>): unknown {
    let selected: WireTask[] = tasks;
    if (input['TaskIds'] !== undefined) {
      const ids = stringList(input['TaskIds'], 'TaskIds', 50);
      if (ids.some((id) => !TASK_ID.test(id))) throw bad('A task id is invalid');
      const missing = ids.filter((id) => !tasks.some((task) => task.TaskId === id));
      // Chosen like DescribeFileSystems: one unknown id fails the whole call.
      if (missing.length > 0) {
        throw new AwsJsonError(
          'DataRepositoryTaskNotFound',
          `The data repository task or tasks you specified could not be found: ${missing.join(', ')}`,
        );
      }
      selected = tasks.filter((task) => ids.includes(task.TaskId));
    }
    for (const [name, values] of filters(input['Filters'], 3)) {
      if (name === 'file-system-id') {
        selected = selected.filter((task) => values.has(task.FileSystemId));
      } else if (name === 'task-lifecycle') {
        selected = selected.filter((task) => values.has(task.Lifecycle));
      } else if (name === 'file-cache-id' || name === 'data-repository-association-id') {
        selected = []; // No File Cache here, and tasks are not tied to associations.
      } else {
        throw bad(`Filter name ${name} is not valid`);
      }
    }
    const { items, next } = page(
      selected,
      pageStart(input),
      pageSize(input, TASK_PAGE_LIMIT, false, options.maxPageSize),
    );
    return {
      DataRepositoryTasks: items.map((task) => structuredClone(task)),
      ...(next === undefined ? {} : { NextToken: next }),
    };
  }

  function describeAssociations(input: Record<string, unknown>): unknown {
    let selected = [...fileSystems.values()].flat();
    if (input['AssociationIds'] !== undefined) {
      const ids = stringList(input['AssociationIds'], 'AssociationIds', 50);
      selected = selected.filter((association) => ids.includes(association.AssociationId));
    }
    for (const [name, values] of filters(input['Filters'], 10)) {
      if (name === 'file-system-id') {
        selected = selected.filter((association) => values.has(association.FileSystemId));
      } else if (name === 'data-repository-type') {
        selected = values.has('S3') ? selected : [];
      } else {
        throw bad(`Filter name ${name} is not valid`);
      }
    }
    const size = pageSize(input, ASSOCIATION_PAGE_LIMIT, true, options.maxPageSize);
    // FSx answers "not found" rather than an empty list (the adapter relies on reading it so).
    if (selected.length === 0) {
      throw new AwsJsonError(
        'DataRepositoryAssociationNotFound',
        'No data repository associations were found based upon the supplied parameters.',
      );
    }
    const { items, next } = page(selected, pageStart(input), size);
    return { Associations: items, ...(next === undefined ? {} : { NextToken: next }) };
  }

  function describeFileSystems(input: Record<string, unknown>): unknown {
    let selected = [...described.values()];
    if (input['FileSystemIds'] !== undefined) {
      const ids = stringList(input['FileSystemIds'], 'FileSystemIds', FILE_SYSTEM_IDS_LIMIT);
      if (ids.some((id) => !FILE_SYSTEM_ID.test(id))) throw bad('A file system id is invalid');
      const missing = ids.filter((id) => !described.has(id));
      // One unknown id fails the whole call (the API documents FileSystemNotFound for it).
      if (missing.length > 0) {
        throw new AwsJsonError(
          'FileSystemNotFound',
          `File system '${missing.join(', ')}' does not exist.`,
        );
      }
      selected = selected.filter((fileSystem) => ids.includes(fileSystem.FileSystemId));
    }
    const { items, next } = page(
      selected,
      pageStart(input),
      pageSize(input, FILE_SYSTEM_PAGE_LIMIT, false, options.maxPageSize),
    );
    return {
      FileSystems: items.map((fileSystem) => structuredClone(fileSystem)),
      ...(next === undefined ? {} : { NextToken: next }),
    };
  }

  function setLifecycle(
    taskId: string,
    lifecycle: string,
    counts?: TaskCounts,
    failureMessage?: string,
  ): void {
    if (!LIFECYCLES.has(lifecycle)) throw new Error(`fsx-server: bad lifecycle ${lifecycle}`);
    const task = findTask(taskId);
    task.Lifecycle = lifecycle;
    if (lifecycle !== 'PENDING' && task.StartTime === undefined) task.StartTime = seconds();
    if (TERMINAL.has(lifecycle)) task.EndTime = seconds();
    if (lifecycle === 'FAILED') {
      task.FailureDetails = { Message: failureMessage ?? 'Some files failed to export.' };
    }
    if (counts !== undefined) {
      task.Status = {
        ...(counts.total === undefined ? {} : { TotalCount: counts.total }),
        ...(counts.succeeded === undefined ? {} : { SucceededCount: counts.succeeded }),
        ...(counts.failed === undefined ? {} : { FailedCount: counts.failed }),
        LastUpdatedTime: seconds(),
      };
    }
  }

  const server = await startAwsJsonServer({
    targetPrefix: TARGET_PREFIX,
    jsonVersion: '1.1',
    messageField: 'Message',
    serverErrorType: 'InternalServerError',
    handlers: {
      CreateDataRepositoryTask: createTask,
      DescribeDataRepositoryTasks: describeTasks,
      DescribeDataRepositoryAssociations: describeAssociations,
      DescribeFileSystems: describeFileSystems,
    },
  });

  return {
    endpoint: server.endpoint,
    calls: server.calls,
    inject: server.inject,
    stop: server.stop,
    addFileSystem(fileSystemId, associations = [], shown: FileSystemSeed = {}) {
      if (!FILE_SYSTEM_ID.test(fileSystemId)) throw new Error(`fsx-server: bad id ${fileSystemId}`);
      const type = shown.fileSystemType ?? 'LUSTRE';
      const logConfiguration =
        shown.logConfiguration === undefined
          ? {
              Level: 'WARN_ERROR',
              Destination: `arn:aws:logs:${region}:${ACCOUNT}:log-group:/aws/fsx/lustre`,
            }
          : shown.logConfiguration;
      described.set(fileSystemId, {
        FileSystemId: fileSystemId,
        FileSystemType: type,
        Lifecycle: shown.lifecycle ?? 'AVAILABLE',
        OwnerId: ACCOUNT,
        CreationTime: (shown.creationTime ?? now()) / 1000,
        ResourceARN: arn('file-system', fileSystemId),
        StorageCapacity: 1200,
        ...(shown.name === undefined ? {} : { Tags: [{ Key: 'Name', Value: shown.name }] }),
        ...(type === 'LUSTRE'
          ? {
              LustreConfiguration: {
                DeploymentType: 'PERSISTENT_2',
                ...(logConfiguration === null ? {} : { LogConfiguration: logConfiguration }),
              },
            }
          : {}),
      });
      fileSystems.set(
        fileSystemId,
        associations.map((seed) => {
          const id = seed.associationId ?? hexId('dra');
          return {
            AssociationId: id,
            ResourceARN: arn('association', id),
            FileSystemId: fileSystemId,
            Lifecycle: seed.lifecycle ?? 'AVAILABLE',
            ...(seed.failureMessage === undefined
              ? {}
              : { FailureDetails: { Message: seed.failureMessage } }),
            FileSystemPath: seed.fileSystemPath,
            DataRepositoryPath: withSlash(seed.dataRepositoryPath),
            BatchImportMetaDataOnCreate: false,
            ImportedFileChunkSize: 1024,
            S3:
              seed.autoExportEvents?.length === 0
                ? {}
                : {
                    AutoExportPolicy: {
                      Events: [...(seed.autoExportEvents ?? ['NEW', 'CHANGED', 'DELETED'])],
                    },
                  },
            CreationTime: seconds(),
          };
        }),
      );
    },
    addTask(seed) {
      const taskId = newTaskId();
      tasks.push({
        TaskId: taskId,
        Lifecycle: 'PENDING',
        Type: seed.type ?? 'EXPORT_TO_REPOSITORY',
        CreationTime: seconds(),
        ResourceARN: arn('task', taskId),
        FileSystemId: seed.fileSystemId,
        Paths: [...(seed.paths ?? [])],
        Report:
          seed.reportPath === undefined
            ? { Enabled: false }
            : {
                Enabled: true,
                Path: seed.reportPath,
                Format: 'REPORT_CSV_20191124',
                Scope: 'FAILED_FILES_ONLY',
              },
      });
      if (seed.lifecycle !== undefined) setLifecycle(taskId, seed.lifecycle);
      return taskId;
    },
    setLifecycle,
    tasks() {
      return tasks.map((task) => structuredClone(task));
    },
  };
}

export type {
  AssociationSeed,
  FileSystemSeed,
  FsxServer,
  FsxServerOptions,
  TaskCounts,
  TaskSeed,
  WireFileSystem,
  WireTask,
};
export { startFsxServer };

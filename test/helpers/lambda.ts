import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type {
  CreateDataRepositoryTaskCommandOutput,
  DataRepositoryAssociation,
} from '@aws-sdk/client-fsx';
import type { Context, SQSRecord } from 'aws-lambda';
import { type MockInstance, vi } from 'vitest';
import type { DeferredExport } from '../../lib/common/ports.ts';
import { DRA, DRA_REPORT_PATH, FS } from './fixtures.ts';

/*
 * What the handler tests share: a cold start with a stubbed environment, a Lambda context, SQS
 * records as the event source mapping builds them, FSx responses for mocked clients, the EMF
 * documents a handler printed, and DynamoDB items in the ledger's layout (see
 * lib/aws/ledger.ts) for mocked responses.
 */

/** The summary topic the handler tests publish to. */
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-failures';
/** The ledger table the handler tests name in `LEDGER_TABLE`. */
const TABLE = 'fsx-export-analyzer-test-ledger';

/** The context Lambda passes the analyzer function; every handler test may pass it. */
const CONTEXT: Context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'fsx-export-analyzer',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fsx-export-analyzer',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/fsx-export-analyzer',
  logStreamName: '2026/11/25/[$LATEST]0123456789abcdef',
  getRemainingTimeInMillis: () => 30_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

/** Environment every handler test starts from: quiet logs, metrics on the console. */
const POWERTOOLS_ENV: Record<string, string> = {
  POWERTOOLS_DEV: 'true',
  POWERTOOLS_METRICS_DISABLED: 'false',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

/**
 * Static credentials for handler tests whose SDK clients talk to local servers, and blanks for
 * whatever a developer's shell may have set that would take precedence over them.
 */
const LOCAL_CREDENTIALS: Record<string, string> = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'not-a-secret',
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: '',
};

/** What every handler's cold start gets unless the test sets it: {@link TOPIC}, no dry run. */
const HANDLER_ENV: Record<string, string> = {
  SUMMARY_TOPIC_ARN: TOPIC,
  AWS_REGION: 'eu-west-1',
  DRY_RUN: '',
  ...POWERTOOLS_ENV,
};

/** {@link DRA} as DescribeDataRepositoryAssociations returns it. */
const WIRE_DRA: DataRepositoryAssociation = {
  AssociationId: DRA.associationId,
  FileSystemId: DRA.fileSystemId,
  Lifecycle: 'AVAILABLE',
  FileSystemPath: DRA.fileSystemPath,
  DataRepositoryPath: DRA.dataRepositoryPath,
};

type Item = Record<string, AttributeValue>;

/**
 * Loads a fresh module graph with {@link HANDLER_ENV} and then `env` stubbed, as a Lambda cold
 * start would: `load` imports the handler module (and any module whose instances the test needs,
 * such as the errors or the logger) after the reset. Undo with `vi.unstubAllEnvs()`.
 */
async function coldStartWith<T>(env: Record<string, string>, load: () => Promise<T>): Promise<T> {
  vi.resetModules();
  for (const [name, value] of Object.entries({ ...HANDLER_ENV, ...env })) vi.stubEnv(name, value);
  return load();
}

/**
 * For `afterEach` of a handler test: drops the environment {@link coldStartWith} stubbed and
 * restores the test's spies (console.log, the logger).
 */
function resetHandlerTest(): void {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
}

/** What `promise` rejects with, or `undefined` when it resolves. */
function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** The text with every run of white space (line breaks of a wrapped email too) as one space. */
function flat(text: string | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ');
}

/** The CreateDataRepositoryTask response for a task FSx accepted as `taskId` (PENDING). */
function taskCreated(
  taskId: string,
): Pick<CreateDataRepositoryTaskCommandOutput, 'DataRepositoryTask'> {
  return {
    DataRepositoryTask: {
      TaskId: taskId,
      Lifecycle: 'PENDING',
      Type: 'EXPORT_TO_REPOSITORY',
      CreationTime: new Date('2026-11-25T12:00:00Z'),
    },
  };
}

/** A deferral message body of {@link FS}, as the analyzer writes it. */
function deferred(paths: readonly string[], overrides: Partial<DeferredExport> = {}) {
  const message: DeferredExport = {
    version: 1,
    fileSystemId: FS,
    paths,
    eventIds: paths.map((path) => `ev-${path}`),
    classes: ['busy'],
    reason: 'busy',
    reportPath: DRA_REPORT_PATH,
    logGroup: '/aws/fsx/lustre',
    logStream: `datarepo_${FS}`,
    deferredAt: '2026-11-25T11:50:00.000Z',
    ...overrides,
  };
  return message;
}

/** An SQS record of the deferral queue as Lambda's event source mapping delivers it. */
function sqsRecord(messageId: string, body: unknown, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '1764071400000',
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: '1764071400000',
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(String(body)).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:fsx-export-analyzer-deferrals',
    awsRegion: 'eu-west-1',
  };
}

/** The EMF documents printed through the spied `console.log`. */
function emfDocuments(log: MockInstance<typeof console.log>): Array<Record<string, unknown>> {
  return log.mock.calls
    .map((call) => call[0])
    .filter((line): line is string => typeof line === 'string' && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The ledger's attempt item id for a path. */
function attemptId(path: string, fileSystemId = FS): string {
  return `attempt#${fileSystemId}#${createHash('sha256').update(path).digest('base64url')}`;
}

/** A live attempt item: `path` was re-exported by these tasks. */
function attemptItem(path: string, taskIds: readonly string[], fileSystemId = FS): Item {
  return {
    id: { S: attemptId(path, fileSystemId) },
    kind: { S: 'attempt' },
    fileSystemId: { S: fileSystemId },
    path: { S: path },
    taskIds: { SS: [...taskIds] },
    lastAttemptAt: { S: '2026-11-25T11:00:00.000Z' },
    expiration: { N: String(Math.floor(Date.now() / 1000) + 3600) },
  };
}

/** An open task item, as the ledger's trackTask writes it. */
function taskItem(
  taskId: string,
  options: { paths?: readonly string[]; startedAt?: string; startedBy?: string } = {},
): Item {
  return {
    id: { S: `task#${taskId}` },
    kind: { S: 'task' },
    taskId: { S: taskId },
    fileSystemId: { S: FS },
    paths: { L: (options.paths ?? ['ns1/a.bin']).map((path) => ({ S: path })) },
    clientRequestToken: { S: `fea-${taskId}` },
    reportPath: { S: DRA_REPORT_PATH },
    startedAt: { S: options.startedAt ?? new Date(Date.now() - 60_000).toISOString() },
    startedBy: { S: options.startedBy ?? 'analyzer' },
    status: { S: 'OPEN' },
    expiration: { N: String(Math.floor(Date.now() / 1000) + 14 * 86_400) },
  };
}

export {
  attemptId,
  attemptItem,
  CONTEXT,
  coldStartWith,
  deferred,
  emfDocuments,
  flat,
  LOCAL_CREDENTIALS,
  POWERTOOLS_ENV,
  rejectionOf,
  resetHandlerTest,
  sqsRecord,
  TABLE,
  TOPIC,
  taskCreated,
  taskItem,
  WIRE_DRA,
};

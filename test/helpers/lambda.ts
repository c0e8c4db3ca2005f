import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, SQSRecord } from 'aws-lambda';
import type { MockInstance } from 'vitest';
import type { DeferredExport } from '../../lib/ports.ts';
import { FS } from './fixtures.ts';

/*
 * What the handler tests share: a Lambda context, SQS records as the event source mapping builds
 * them, the EMF documents a handler printed, and DynamoDB items in the ledger's layout (see
 * lib/aws/ledger.ts) for mocked responses.
 */

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

type Item = Record<string, AttributeValue>;

/** A deferral message body of {@link FS}, as the analyzer writes it. */
function deferred(paths: readonly string[], overrides: Partial<DeferredExport> = {}) {
  const message: DeferredExport = {
    version: 1,
    fileSystemId: FS,
    paths,
    eventIds: paths.map((path) => `ev-${path}`),
    classes: ['busy'],
    reason: 'busy',
    reportPath: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
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
    reportPath: { S: 's3://ml-archive/datasets/fsx-export-analyzer-reports' },
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
  deferred,
  emfDocuments,
  POWERTOOLS_ENV,
  sqsRecord,
  taskItem,
};

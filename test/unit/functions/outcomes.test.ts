import { Readable } from 'node:stream';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  type DataRepositoryTask,
  type DataRepositoryTaskLifecycle,
  DescribeDataRepositoryTasksCommand,
  FSxClient,
} from '@aws-sdk/client-fsx';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { DRA_REPORT_PATH, FS, taskId } from '../../helpers/fixtures.ts';
import {
  CONTEXT,
  coldStartWith,
  emfDocuments,
  flat,
  rejectionOf,
  resetHandlerTest,
  TABLE,
  taskItem,
} from '../../helpers/lambda.ts';

const T1 = taskId(1);
const T2 = taskId(2);
const T3 = taskId(3);

const fsxMock = mockClient(FSxClient);
const snsMock = mockClient(SNSClient);
const ddbMock = mockClient(DynamoDBClient);
const s3Mock = mockClient(S3Client);

/** T2's completion report: its path failed again, denied. */
const FAILURES = 'ns1/a.bin,failed,S3AccessDenied\n';

let consoleLog: MockInstance<typeof console.log>;

/** A fresh copy of the outcomes module with this environment, as a cold start. */
function coldStart(env: Record<string, string> = {}) {
  return coldStartWith({ LEDGER_TABLE: TABLE, ...env }, async () => {
    const { handler } = await import('../../../functions/outcomes.ts');
    const { logger } = await import('../../../lib/aws/telemetry.ts');
    return { handler, logger };
  });
}

function wireTask(
  taskId: string,
  lifecycle: DataRepositoryTaskLifecycle,
  counts: [number, number, number],
): DataRepositoryTask {
  return {
    TaskId: taskId,
    FileSystemId: FS,
    Lifecycle: lifecycle,
    Type: 'EXPORT_TO_REPOSITORY',
    CreationTime: new Date('2026-11-25T11:00:00Z'),
    EndTime: new Date('2026-11-25T11:20:00Z'),
    Report: { Enabled: true, Path: DRA_REPORT_PATH },
    Status: { TotalCount: counts[0], SucceededCount: counts[1], FailedCount: counts[2] },
    ...(lifecycle === 'FAILED' ? { FailureDetails: { Message: 'Some files failed' } } : {}),
  };
}

describe('Function: outcomes handler', () => {
  beforeEach(() => {
    fsxMock.reset();
    snsMock.reset();
    ddbMock.reset();
    s3Mock.reset();
    s3Mock.on(GetObjectCommand).callsFake(() => ({
      Body: Readable.from([Buffer.from(FAILURES)]),
      ContentRange: `bytes 0-${FAILURES.length - 1}/${FAILURES.length}`,
    }));
    consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    ddbMock.on(ScanCommand).resolves({ Items: [taskItem(T1), taskItem(T2), taskItem(T3)] });
    ddbMock.on(UpdateItemCommand).resolves({});
    fsxMock.on(DescribeDataRepositoryTasksCommand).resolves({
      DataRepositoryTasks: [
        wireTask(T1, 'SUCCEEDED', [1, 1, 0]),
        wireTask(T2, 'FAILED', [4, 1, 3]),
        wireTask(T3, 'EXECUTING', [4, 0, 0]),
      ],
    });
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-0001' });
  });

  afterEach(resetHandlerTest);

  it('reports the tasks that ended in one email and closes them', async () => {
    // Prepare
    const { handler } = await coldStart();

    // Act
    const result = await handler({}, CONTEXT);

    // Assess
    expect(result).toEqual({ finished: 2, stillOpen: 1, published: 'msg-0001' });
    expect(fsxMock).toHaveReceivedCommandWith(DescribeDataRepositoryTasksCommand, {
      TaskIds: [T1, T2, T3],
    });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 3);
    expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { id: { S: `task#${T2}` } },
      ExpressionAttributeValues: expect.objectContaining({ ':lifecycle': { S: 'FAILED' } }),
    });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.Subject).toBe(`FSx re-export outcomes on ${FS}: 1 failed, 1 succeeded`);
    expect(flat(input?.Message)).toContain(
      `Task ${T2} on ${FS}: FAILED. 4 files, 1 exported, 3 failed.`,
    );
    expect(s3Mock).toHaveReceivedCommandTimes(GetObjectCommand, 1);
    expect(s3Mock).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: 'ml-archive',
      Key: `datasets/fsx-export-analyzer-reports/${T2}/failures.csv`,
      Range: 'bytes=0-1048575',
    });
    expect(input?.Message).toContain(`${DRA_REPORT_PATH}/${T2}/failures.csv`);
    expect(flat(input?.Message)).toContain('S3AccessDenied (permission): 1 file.');
    expect(input?.Message).toContain('ns1/a.bin  (failed again: escalated)');
    // The path is marked on its attempt history before the email goes out.
    expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { id: { S: expect.stringMatching(/^attempt#fs-0123456789abcdef0#/) } },
      ExpressionAttributeValues: expect.objectContaining({
        ':code': { S: 'S3AccessDenied' },
        ':class': { S: 'permission' },
        ':task': { S: T2 },
      }),
    });
    expect(emfDocuments(consoleLog)).toContainEqual(
      expect.objectContaining({ ReexportsSucceeded: 1, ReexportsFailed: 1, ReexportsOpen: 1 }),
    );
  });

  it('leaves out a task another run closed first, and publishes nothing when none is left', async () => {
    // Prepare
    const { handler } = await coldStart();
    ddbMock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      if (input.Key?.['id']?.S === `task#${T1}`) return {};
      throw new ConditionalCheckFailedException({ $metadata: {}, message: 'closed' });
    });
    ddbMock.on(ScanCommand).resolves({ Items: [taskItem(T2)] });

    // Act
    const result = await handler({}, CONTEXT);

    // Assess
    expect(result).toEqual({ finished: 0, stillOpen: 0, published: null });
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('asks FSx nothing when no task is open', async () => {
    // Prepare
    const { handler } = await coldStart();
    ddbMock.on(ScanCommand).resolves({ Items: [] });

    // Act
    const result = await handler({}, CONTEXT);

    // Assess
    expect(result).toEqual({ finished: 0, stillOpen: 0, published: null });
    expect(fsxMock.calls()).toHaveLength(0);
  });

  it('logs the email instead of publishing it in a dry run', async () => {
    // Prepare
    const { handler, logger } = await coldStart({ DRY_RUN: 'true', SUMMARY_TOPIC_ARN: '' });
    const info = vi.spyOn(logger, 'info');

    // Act
    const result = await handler({}, CONTEXT);

    // Assess
    expect(result.published).toBeNull();
    expect(snsMock.calls()).toHaveLength(0);
    expect(info).toHaveBeenCalledWith(
      'Dry run: outcome email not published',
      expect.objectContaining({ subject: expect.stringContaining('1 failed') }),
    );
  });

  it('fails the run when FSx cannot be asked, closing nothing', async () => {
    // Prepare
    const { handler } = await coldStart();
    fsxMock
      .on(DescribeDataRepositoryTasksCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const run = handler({}, CONTEXT);

    // Assess
    await expect(run).rejects.toMatchObject({ name: 'FsxCallError' });
    expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 0);
  });

  it.each([
    ['NoSuchKey', 'The specified key does not exist.', 'there is no failures.csv at that address'],
    ['AccessDenied', 'Access Denied', 'the outcome check may not read it'],
    ['KMS.DisabledException', 'The key is disabled', 'encrypted with a KMS key'],
    ['SlowDown', 'Please reduce your request rate.', 'S3 throttled the read'],
  ])(
    'still reports the task when its report cannot be read (%s), saying so with the command',
    async (name, message, meaning) => {
      // Prepare
      const { handler } = await coldStart();
      s3Mock
        .on(GetObjectCommand)
        .rejects(Object.assign(new Error(message), { name, $metadata: {} }));

      // Act
      const result = await handler({}, CONTEXT);

      // Assess
      expect(result).toEqual({ finished: 2, stillOpen: 1, published: 'msg-0001' });
      const text = flat(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message);
      expect(text).toContain('The completion report could not be read');
      expect(text).toContain(meaning);
      expect(text).toContain(`aws s3 cp ${DRA_REPORT_PATH}/${T2}/failures.csv -`);
      expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
    },
  );

  it('reopens the tasks and fails when a failed-again path cannot be marked, sending nothing', async () => {
    // Prepare
    const { handler } = await coldStart();
    ddbMock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
      if (input.Key?.['id']?.S?.startsWith('attempt#') === true) {
        throw Object.assign(new Error('Service unavailable'), { name: 'InternalServerError' });
      }
      return {};
    });

    // Act
    const run = handler({}, CONTEXT);

    // Assess
    await expect(run).rejects.toThrow();
    expect(snsMock.calls()).toHaveLength(0);
    expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, {
      Key: { id: { S: `task#${T2}` } },
      UpdateExpression: expect.stringContaining('REMOVE'),
    });
  });

  it('fails the cold start without a ledger table', async () => {
    // Prepare
    const loading = coldStart({ LEDGER_TABLE: '' });

    // Act
    const failure = await rejectionOf(loading);

    // Assess
    expect(failure).toMatchObject({
      name: 'ConfigError',
      message: 'Environment variable LEDGER_TABLE is required by the outcome check',
    });
  });
});

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BadRequest,
  CreateDataRepositoryTaskCommand,
  DataRepositoryTaskExecuting,
  DescribeDataRepositoryAssociationsCommand,
  FileSystemNotFound,
  FSxClient,
} from '@aws-sdk/client-fsx';
import {
  NotFoundException,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
} from '@aws-sdk/client-sns';
import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import packageJson from '../../../package.json' with { type: 'json' };
import { controlMessage, type EventSpec, lambdaEvent, payload } from '../../helpers/events.ts';
import { DRA_REPORT_PATH, FS, taskId } from '../../helpers/fixtures.ts';
import { fsxExceptions, genericError, socketError } from '../../helpers/fsx-errors.ts';
import {
  attemptId,
  attemptItem,
  CONTEXT,
  coldStartWith,
  emfDocuments,
  rejectionOf,
  resetHandlerTest,
  TABLE,
  TOPIC,
  taskCreated,
  WIRE_DRA,
} from '../../helpers/lambda.ts';

const fsxMock = mockClient(FSxClient);
const snsMock = mockClient(SNSClient);
const ddbMock = mockClient(DynamoDBClient);
const sqsMock = mockClient(SQSClient);
// The summary's export backlog: unanswered unless a test says (the section then says "unknown").
const cloudwatchMock = mockClient(CloudWatchClient);

const transient = (path: string): EventSpec => ({
  message: JSON.stringify({ errorCode: 'InternalAutoExportError', filePath: path }),
});
const denied = (path: string): EventSpec => ({
  message: JSON.stringify({ errorCode: 'S3ExportAccessDenied', filePath: path }),
});
const busy = (path: string): EventSpec => ({
  message: `Failed to export file because it is being used by another process. path=${path}`,
});

let consoleLog: MockInstance<typeof console.log>;

/**
 * Loads a fresh copy of the handler module with the given environment, as a Lambda cold start
 * would. The errors and telemetry modules come from the same fresh module graph, so `instanceof`
 * checks and spies see the instances the handler uses.
 */
function coldStart(env: Record<string, string> = {}) {
  return coldStartWith(
    {
      REPORT_PATH: '',
      MAX_PATHS_PER_TASK: '',
      BUSY_DELAY_SECONDS: '',
      ASSOCIATION_CACHE_SECONDS: '',
      MAX_DECOMPRESSED_BYTES: '',
      ...env,
    },
    async () => {
      const { handler } = await import('../../../functions/analyzer.ts');
      const errors = await import('../../../lib/common/errors.ts');
      const { logger } = await import('../../../lib/aws/telemetry.ts');
      return { handler, errors, logger };
    },
  );
}

function createdTasks() {
  return fsxMock.commandCalls(CreateDataRepositoryTaskCommand).map((call) => call.args[0].input);
}

function publishedMessages(): PublishCommandInput[] {
  return snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

describe('Function: handler', () => {
  beforeEach(() => {
    fsxMock.reset();
    snsMock.reset();
    consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({ Associations: [WIRE_DRA] });
    let taskNumber = 0;
    fsxMock.on(CreateDataRepositoryTaskCommand).callsFake(() => {
      taskNumber++;
      return taskCreated(taskId(taskNumber));
    });
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-0001' });
  });

  afterEach(resetHandlerTest);

  it('re-exports transient failures in one task and publishes one summary', async () => {
    // Prepare
    const { handler } = await coldStart();
    const event = lambdaEvent(payload([transient('/ns1/dir/a.bin'), transient('/ns1/dir/b.bin')]));

    // Act
    const result = await handler(event, CONTEXT);

    // Assess
    expect(result).toEqual({
      events: 2,
      records: 2,
      unparseable: 0,
      tasksStarted: 1,
      tasksRefused: 0,
      tasksDeferred: 0,
      published: 'msg-0001',
      dryRun: false,
      version: packageJson.version,
    });
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 1);
    expect(fsxMock).toHaveReceivedCommandWith(CreateDataRepositoryTaskCommand, {
      Type: 'EXPORT_TO_REPOSITORY',
      FileSystemId: FS,
      Paths: ['ns1/dir/a.bin', 'ns1/dir/b.bin'],
      Report: {
        Enabled: true,
        Path: DRA_REPORT_PATH,
        Format: 'REPORT_CSV_20191124',
        Scope: 'FAILED_FILES_ONLY',
      },
    });
    expect(fsxMock).toHaveReceivedCommandWith(DescribeDataRepositoryAssociationsCommand, {
      Filters: [{ Name: 'file-system-id', Values: [FS] }],
    });
    expect(createdTasks()[0]?.ClientRequestToken).toMatch(/^[A-Za-z0-9_-]{1,63}$/);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC });
    expect(publishedMessages()[0]?.Message).toContain('task-00000000000000001');
  });

  it("shows the file system's export backlog in the summary, and unknown when CloudWatch refuses", async () => {
    // Prepare
    cloudwatchMock.reset();
    cloudwatchMock
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          {
            Id: 'b0',
            Timestamps: [new Date(Date.now() - 60_000)],
            Values: [5_400],
            StatusCode: 'Complete',
          },
        ],
      })
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' }));
    const { handler } = await coldStart();

    // Act
    await handler(lambdaEvent(payload([transient('/ns1/a.bin')])), CONTEXT);
    await handler(lambdaEvent(payload([transient('/ns1/b.bin')])), CONTEXT);

    // Assess
    const [first, second] = publishedMessages().map((message) => message.Message ?? '');
    expect(first).toMatch(/EXPORT BACKLOG\n-+\n.*\n {2}fs-0123456789abcdef0 +1 h 30 min\n/);
    expect(first?.indexOf('EXPORT BACKLOG')).toBeLessThan(first?.indexOf('Sent by') ?? 0);
    expect(second).toContain('fs-0123456789abcdef0  unknown');
    expect(second?.replace(/\s+/g, ' ')).toContain('grant cloudwatch:GetMetricData to read it');
    expect(cloudwatchMock).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        expect.objectContaining({
          MetricStat: expect.objectContaining({
            Metric: expect.objectContaining({ MetricName: 'AgeOfOldestQueuedMessage' }),
          }),
        }),
      ],
    });
  });

  it('reads no backlog in a dry run', async () => {
    // Prepare
    cloudwatchMock.reset();
    const { handler } = await coldStart({ DRY_RUN: 'true' });

    // Act
    await handler(lambdaEvent(payload([transient('/ns1/a.bin')])), CONTEXT);

    // Assess
    expect(cloudwatchMock).toHaveReceivedCommandTimes(GetMetricDataCommand, 0);
  });

  it('sends the same idempotency token when the same batch arrives twice', async () => {
    // Prepare
    const { handler } = await coldStart();
    const event = lambdaEvent(payload([transient('/ns1/a'), transient('/ns1/b')]));

    // Act
    await handler(event, CONTEXT);
    await handler(event, CONTEXT);

    // Assess
    const tokens = createdTasks().map((input) => input.ClientRequestToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBeDefined();
    expect(tokens[1]).toBe(tokens[0]);
  });

  it('splits 250 distinct paths into 3 tasks of at most 100 paths', async () => {
    // Prepare
    const { handler } = await coldStart();
    const specs = Array.from({ length: 250 }, (_, index) =>
      transient(`/ns1/run/file-${String(index).padStart(3, '0')}.bin`),
    );

    // Act
    const result = await handler(lambdaEvent(payload(specs)), CONTEXT);

    // Assess
    const tasks = createdTasks();
    expect(tasks.map((input) => input.Paths?.length)).toEqual([100, 100, 50]);
    expect(new Set(tasks.flatMap((input) => input.Paths ?? [])).size).toBe(250);
    expect(tasks.every((input) => input.Paths?.every((path) => !path.startsWith('/')))).toBe(true);
    expect(new Set(tasks.map((input) => input.ClientRequestToken)).size).toBe(3);
    expect(result).toMatchObject({ tasksStarted: 3, records: 250 });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('defers busy files instead of starting a task, and says so', async () => {
    // Prepare
    const { handler } = await coldStart();
    const event = lambdaEvent(payload([busy('/ns1/open.log')]));

    // Act
    const result = await handler(event, CONTEXT);

    // Assess
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 0);
    expect(result).toMatchObject({ tasksStarted: 0, tasksDeferred: 1, published: 'msg-0001' });
    expect(publishedMessages()[0]?.Message).toMatch(
      /Deferred on fs-0123456789abcdef0: 1 path, delay 600 s/,
    );
  });

  it('maps an S3-key-only record to its file-system path through the associations', async () => {
    // Prepare
    const { handler } = await coldStart();
    const event = lambdaEvent(
      payload([
        {
          message:
            'Failed to export S3 object with key datasets/run1/x.bin in S3 bucket ml-archive due to an internal error.',
        },
      ]),
    );

    // Act
    const result = await handler(event, CONTEXT);

    // Assess
    expect(result).toMatchObject({ records: 1, tasksStarted: 1 });
    expect(fsxMock).toHaveReceivedCommandWith(CreateDataRepositoryTaskCommand, {
      FileSystemId: FS,
      Paths: ['ns1/run1/x.bin'],
    });
  });

  it('reads the associations once for several invocations of a warm container', async () => {
    // Prepare
    const { handler } = await coldStart();

    // Act
    await handler(lambdaEvent(payload([transient('/ns1/one')])), CONTEXT);
    await handler(lambdaEvent(payload([transient('/ns1/two')])), CONTEXT);
    await handler(lambdaEvent(payload([transient('/ns1/three')])), CONTEXT);

    // Assess
    expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryAssociationsCommand, 1);
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 3);
  });

  it('uses REPORT_PATH instead of the derived report path', async () => {
    // Prepare
    const { handler } = await coldStart({ REPORT_PATH: 's3://other-bucket/reports' });

    // Act
    await handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

    // Assess
    expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryAssociationsCommand, 0);
    expect(fsxMock).toHaveReceivedCommandWith(CreateDataRepositoryTaskCommand, {
      Report: {
        Enabled: true,
        Path: 's3://other-bucket/reports',
        Format: 'REPORT_CSV_20191124',
        Scope: 'FAILED_FILES_ONLY',
      },
    });
  });

  it.each([
    ...fsxExceptions(),
    [genericError('ThrottlingException', 'Rate exceeded'), 'Throttling'],
    [genericError('AccessDeniedException', 'Not authorized'), 'AccessDenied'],
    [socketError('ECONNRESET', 'read ECONNRESET'), 'NetworkError'],
  ])('reports %s as %s in the summary and still succeeds', async (error, name) => {
    // Prepare
    const { handler, logger } = await coldStart();
    const warn = vi.spyOn(logger, 'warn');
    fsxMock.on(CreateDataRepositoryTaskCommand).rejects(error);

    // Act
    const result = await handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

    // Assess
    expect(result).toMatchObject({ tasksStarted: 0, tasksRefused: 1, published: 'msg-0001' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(publishedMessages()[0]?.Message).toContain(`${name}:`);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      'Re-export refused',
      expect.objectContaining({ error: name, fileSystemId: FS }),
    );
  });

  it('reports unreadable associations instead of failing', async () => {
    // Prepare
    const { handler } = await coldStart();
    fsxMock
      .on(DescribeDataRepositoryAssociationsCommand)
      .rejects(new FileSystemNotFound({ $metadata: {}, message: 'File system not found' }));

    // Act
    const result = await handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

    // Assess
    expect(result).toMatchObject({ tasksRefused: 1, published: 'msg-0001' });
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 0);
    expect(publishedMessages()[0]?.Message).toContain('NoReportPath');
  });

  it('sends no AWS command at all in a dry run and logs the summary', async () => {
    // Prepare
    const { handler, logger } = await coldStart({ DRY_RUN: 'true', SUMMARY_TOPIC_ARN: '' });
    const info = vi.spyOn(logger, 'info');
    const event = lambdaEvent(payload([transient('/ns1/a'), busy('/ns1/b')]));

    // Act
    const result = await handler(event, CONTEXT);

    // Assess
    expect(fsxMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
    expect(result).toEqual({
      events: 2,
      records: 2,
      unparseable: 0,
      tasksStarted: 0,
      tasksRefused: 0,
      tasksDeferred: 0,
      published: null,
      dryRun: true,
      version: packageJson.version,
    });
    expect(info).toHaveBeenCalledWith(
      'Dry run: summary not published',
      expect.objectContaining({
        subject: expect.any(String),
        body: expect.stringContaining('Would start'),
      }),
    );
  });

  it('skips a CONTROL_MESSAGE without any AWS call', async () => {
    // Prepare
    const { handler } = await coldStart();
    const event = lambdaEvent(controlMessage());

    // Act
    const result = await handler(event, CONTEXT);

    // Assess
    expect(result).toMatchObject({ events: 0, published: null });
    expect(snsMock.calls()).toHaveLength(0);
    expect(fsxMock.calls()).toHaveLength(0);
  });

  it('warns and counts a message type it does not know, and skips it', async () => {
    // Prepare
    const { handler, logger } = await coldStart();
    const warn = vi.spyOn(logger, 'warn');
    const event = lambdaEvent({ ...payload([]), messageType: 'FUTURE_MESSAGE' });

    // Act
    const result = await handler(event, CONTEXT);

    // Assess
    expect(result).toMatchObject({ events: 0, published: null });
    expect(warn).toHaveBeenCalledWith('Skipped a message of an unknown type', {
      messageType: 'FUTURE_MESSAGE',
    });
    expect(emfDocuments(consoleLog).some((document) => 'UnknownMessageTypes' in document)).toBe(
      true,
    );
    expect(fsxMock.calls()).toHaveLength(0);
  });

  it('publishes nothing for a batch without findings', async () => {
    // Prepare
    const { handler } = await coldStart();
    const event = lambdaEvent(payload([]));

    // Act
    const result = await handler(event, CONTEXT);

    // Assess
    expect(result).toMatchObject({ events: 0, records: 0, published: null });
    expect(snsMock.calls()).toHaveLength(0);
  });

  it.each([
    ['bad base64', { awslogs: { data: '***not base64***' } }, /not valid base64/],
    [
      'data that is not gzip',
      { awslogs: { data: Buffer.from('{"messageType":"DATA_MESSAGE"}').toString('base64') } },
      /not gzip/,
    ],
    [
      'a decompression bomb over MAX_DECOMPRESSED_BYTES',
      lambdaEvent(payload([{ message: 'x'.repeat(50_000) }])),
      /more than 1024 bytes \(MAX_DECOMPRESSED_BYTES\)/,
    ],
    ['an event without awslogs', { hello: 'world' }, /event\.awslogs is missing/],
  ])('rejects %s with a DecodeError and logs the reason', async (_, event, reason) => {
    // Prepare
    const { handler, errors, logger } = await coldStart({ MAX_DECOMPRESSED_BYTES: '1024' });
    const error = vi.spyOn(logger, 'error');

    // Act
    const invocation = handler(event, CONTEXT);

    // Assess
    await expect(invocation).rejects.toBeInstanceOf(errors.DecodeError);
    await expect(invocation).rejects.toThrow(reason);
    expect(error).toHaveBeenCalledWith('Undecodable batch', {
      reason: expect.stringMatching(reason),
    });
    expect(fsxMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
    expect(emfDocuments(consoleLog).some((document) => 'UndecodableBatches' in document)).toBe(
      true,
    );
  });

  it('fails the invocation with a PublishError when SNS refuses, after flushing metrics', async () => {
    // Prepare
    const { handler, errors } = await coldStart();
    snsMock
      .on(PublishCommand)
      .rejects(new NotFoundException({ $metadata: {}, message: 'Topic does not exist' }));

    // Act
    const invocation = handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

    // Assess
    await expect(invocation).rejects.toBeInstanceOf(errors.PublishError);
    await expect(invocation).rejects.toThrow(
      `SNS Publish to ${TOPIC} failed: NotFoundException: Topic does not exist`,
    );
    expect(emfDocuments(consoleLog)).toContainEqual(
      expect.objectContaining({ EventsRead: 1, Records: 1 }),
    );
  });

  it('counts bad records in a good batch and still processes the rest', async () => {
    // Prepare
    const { handler } = await coldStart();
    const event = lambdaEvent(
      payload([transient('/ns1/a'), { message: 42 }, { message: 'hello, not an FSx record' }]),
    );

    // Act
    const result = await handler(event, CONTEXT);

    // Assess
    expect(result).toMatchObject({
      events: 3,
      records: 1,
      unparseable: 2,
      tasksStarted: 1,
      published: 'msg-0001',
    });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(fsxMock).toHaveReceivedCommandWith(CreateDataRepositoryTaskCommand, {
      Paths: ['ns1/a'],
    });
  });

  it('emits EMF metrics with class, file-system and error dimensions', async () => {
    // Prepare
    const { handler } = await coldStart();
    fsxMock
      .on(CreateDataRepositoryTaskCommand)
      .rejects(new DataRepositoryTaskExecuting({ $metadata: {}, message: 'busy' }));
    const event = lambdaEvent(
      payload([transient('/ns1/a'), transient('/ns1/b'), busy('/ns1/c'), { message: 7 }]),
    );

    // Act
    await handler(event, CONTEXT);

    // Assess
    const documents = emfDocuments(consoleLog);
    expect(documents).toContainEqual(
      expect.objectContaining({
        EventsRead: 4,
        Records: 3,
        Unparseable: 1,
        ReexportsStarted: 0,
        ReexportsRefused: 1,
        ReexportsDeferred: 1,
        ReexportPathsStarted: 0,
        RetryableNotPlanned: 0,
        service: 'fsx-export-analyzer',
      }),
    );
    expect(documents).toContainEqual(expect.objectContaining({ Class: 'transient', Failures: 2 }));
    expect(documents).toContainEqual(expect.objectContaining({ Class: 'busy', Failures: 1 }));
    expect(documents).toContainEqual(
      expect.objectContaining({ FileSystemId: FS, Class: 'transient', Failures: 2 }),
    );
    expect(documents).toContainEqual(
      expect.objectContaining({ Error: 'DataRepositoryTaskExecuting', ReexportsRefused: 1 }),
    );
    const main = documents.find((document) => 'EventsRead' in document) as {
      _aws: { CloudWatchMetrics: Array<{ Namespace: string }> };
    };
    expect(main._aws.CloudWatchMetrics[0]?.Namespace).toBe('FsxExportAnalyzer');
  });

  it.each([
    [
      { MAX_PATHS_PER_TASK: 'abc' },
      'Environment variable MAX_PATHS_PER_TASK must be an integer from 1 to 100 (got "abc")',
    ],
    [
      { SUMMARY_TOPIC_ARN: '' },
      'Environment variable SUMMARY_TOPIC_ARN is required unless DRY_RUN is true',
    ],
    [
      { BUSY_DELAY_SECONDS: '3600' },
      'Environment variable BUSY_DELAY_SECONDS must be an integer from 0 to 900 (got "3600")',
    ],
  ])('fails the cold start with a ConfigError naming the variable for %j', async (env, message) => {
    // Prepare
    const loading = coldStart(env);

    // Act
    const failure = await rejectionOf(loading);

    // Assess
    expect(failure).toMatchObject({ name: 'ConfigError', message });
  });

  describe('with a deferral queue and an attempts ledger', () => {
    const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/fsx-export-analyzer-deferrals';
    const durable = (env: Record<string, string> = {}) =>
      coldStart({ DEFERRAL_QUEUE_URL: QUEUE, LEDGER_TABLE: TABLE, ...env });

    /** The idempotency record of the batch (Powertools writes it first, INPROGRESS). */
    const isIdempotencyPut = (input: PutItemCommandInput) =>
      input.Item?.['status']?.S === 'INPROGRESS';

    function sentEntries() {
      return sqsMock
        .commandCalls(SendMessageBatchCommand)
        .flatMap((call) => (call.args[0].input as SendMessageBatchCommandInput).Entries ?? []);
    }

    beforeEach(() => {
      ddbMock.reset();
      sqsMock.reset();
      ddbMock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
      ddbMock.on(UpdateItemCommand).resolves({});
      ddbMock.on(PutItemCommand).resolves({});
      ddbMock.on(DeleteItemCommand).resolves({});
      sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
        Successful: (input.Entries ?? []).map((entry) => ({
          Id: entry.Id,
          MessageId: `msg-${entry.Id}`,
          MD5OfMessageBody: 'not checked by the mock',
        })),
        Failed: [],
      }));
    });

    it('queues busy files with the busy delay and says when the retrier takes them', async () => {
      // Prepare
      const { handler } = await durable();

      // Act
      const result = await handler(lambdaEvent(payload([busy('/ns1/open.log')])), CONTEXT);

      // Assess
      expect(result).toMatchObject({
        tasksStarted: 0,
        tasksDeferred: 0,
        tasksQueued: 1,
        pathsEscalated: 0,
        published: 'msg-0001',
      });
      expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 0);
      const entries = sentEntries();
      expect(entries).toHaveLength(1);
      expect(entries[0]?.DelaySeconds).toBe(600);
      expect(JSON.parse(entries[0]?.MessageBody ?? '{}')).toMatchObject({
        version: 1,
        fileSystemId: FS,
        paths: ['ns1/open.log'],
        reason: 'busy',
        classes: ['busy'],
      });
      const message = publishedMessages()[0];
      expect(message?.Subject).toContain('1 queued');
      expect(message?.Message).toMatch(
        /Queued on fs-0123456789abcdef0: 1 path, re-exported by the\s+retrier from/,
      );
    });

    it('queues a task FSx refused for now with RETRY_LATER_SECONDS', async () => {
      // Prepare
      const { handler } = await durable({ RETRY_LATER_SECONDS: '120' });
      fsxMock
        .on(CreateDataRepositoryTaskCommand)
        .rejects(new DataRepositoryTaskExecuting({ $metadata: {}, message: 'A task runs' }));

      // Act
      const result = await handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

      // Assess
      expect(result).toMatchObject({ tasksRefused: 0, tasksQueued: 1 });
      expect(sentEntries()[0]?.DelaySeconds).toBe(120);
      expect(JSON.parse(sentEntries()[0]?.MessageBody ?? '{}')).toMatchObject({
        reason: 'DataRepositoryTaskExecuting',
      });
      expect(emfDocuments(consoleLog)).toContainEqual(
        expect.objectContaining({ ReexportsQueued: 1, ReexportsRefusedPermanent: 0 }),
      );
    });

    it('counts a permanent refusal for the alarm and queues nothing', async () => {
      // Prepare
      const { handler } = await durable();
      fsxMock
        .on(CreateDataRepositoryTaskCommand)
        .rejects(new BadRequest({ $metadata: {}, message: 'Invalid path' }));

      // Act
      const result = await handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

      // Assess
      expect(result).toMatchObject({ tasksRefused: 1, tasksQueued: 0 });
      expect(sqsMock.calls()).toHaveLength(0);
      expect(emfDocuments(consoleLog)).toContainEqual(
        expect.objectContaining({ ReexportsRefused: 1, ReexportsRefusedPermanent: 1 }),
      );
    });

    it('records the attempt and the task in the ledger, and stores the result', async () => {
      // Prepare
      const { handler } = await durable();

      // Act
      const result = await handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

      // Assess
      expect(result).toMatchObject({ tasksStarted: 1 });
      expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, {
        TableName: TABLE,
        Key: { id: { S: attemptId('ns1/a') } },
      });
      expect(ddbMock).toHaveReceivedCommandWith(PutItemCommand, {
        TableName: TABLE,
        Item: expect.objectContaining({
          id: { S: 'task#task-00000000000000001' },
          startedBy: { S: 'analyzer' },
        }),
      });
      const puts = ddbMock.commandCalls(PutItemCommand).map((call) => call.args[0].input);
      expect(puts.filter(isIdempotencyPut)).toHaveLength(1);
      expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, {
        ExpressionAttributeValues: expect.objectContaining({ ':status': { S: 'COMPLETED' } }),
      });
    });

    it('escalates a path re-exported K times instead of starting it again', async () => {
      // Prepare
      const { handler } = await durable();
      ddbMock.on(BatchGetItemCommand).resolves({
        Responses: { [TABLE]: [attemptItem('ns1/a', [taskId(1), taskId(2), taskId(3)])] },
      });

      // Act
      const result = await handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

      // Assess
      expect(result).toMatchObject({ tasksStarted: 0, pathsEscalated: 1 });
      expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 0);
      const message = publishedMessages()[0];
      expect(message?.Subject).toContain('1 needs a person');
      expect(message?.Message?.replace(/\s+/g, ' ')).toContain(
        'will not be re-exported automatically any more',
      );
      expect(emfDocuments(consoleLog)).toContainEqual(
        expect.objectContaining({ ReexportsEscalated: 1 }),
      );
    });

    it('returns the stored result for a batch it already analysed, doing nothing again', async () => {
      // Prepare
      const { handler } = await durable();
      const stored = {
        events: 1,
        records: 1,
        unparseable: 0,
        tasksStarted: 1,
        tasksRefused: 0,
        tasksDeferred: 0,
        tasksQueued: 0,
        pathsEscalated: 0,
        published: 'msg-first',
        dryRun: false,
        // Written by an earlier release: a duplicate gets the result as it was recorded.
        version: '0.0.1',
      };
      ddbMock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
        if (!isIdempotencyPut(input)) return {};
        throw new ConditionalCheckFailedException({
          $metadata: {},
          message: 'The conditional request failed',
          Item: marshall({
            id: input.Item?.['id']?.S,
            status: 'COMPLETED',
            expiration: Math.floor(Date.now() / 1000) + 3600,
            data: stored,
          }),
        });
      });

      // Act
      const result = await handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

      // Assess
      expect(result).toEqual(stored);
      expect(fsxMock.calls()).toHaveLength(0);
      expect(snsMock.calls()).toHaveLength(0);
      expect(sqsMock.calls()).toHaveLength(0);
      expect(emfDocuments(consoleLog)).toContainEqual(
        expect.objectContaining({ DuplicateBatches: 1 }),
      );
    });

    it('fails a duplicate that arrives while the first is still running', async () => {
      // Prepare
      const { handler, logger } = await durable();
      const warn = vi.spyOn(logger, 'warn');
      ddbMock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
        if (!isIdempotencyPut(input)) return {};
        throw new ConditionalCheckFailedException({
          $metadata: {},
          message: 'The conditional request failed',
          Item: marshall({
            id: input.Item?.['id']?.S,
            status: 'INPROGRESS',
            expiration: Math.floor(Date.now() / 1000) + 3600,
            in_progress_expiration: Date.now() + 60_000,
          }),
        });
      });

      // Act
      const invocation = handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

      // Assess
      await expect(invocation).rejects.toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
      expect(fsxMock.calls()).toHaveLength(0);
      expect(snsMock.calls()).toHaveLength(0);
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining('being analysed by another invocation'),
        expect.any(Object),
      );
    });

    it('fails the invocation and publishes nothing when SQS refuses the deferral', async () => {
      // Prepare
      const { handler } = await durable();
      sqsMock
        .on(SendMessageBatchCommand)
        .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

      // Act
      const invocation = handler(lambdaEvent(payload([busy('/ns1/w')])), CONTEXT);

      // Assess
      await expect(invocation).rejects.toMatchObject({ name: 'DeferralError' });
      expect(snsMock.calls()).toHaveLength(0);
      // The in-progress record is removed, so Lambda's retry runs the batch again in full.
      expect(ddbMock).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
    });

    it('fails the invocation when the ledger cannot be read', async () => {
      // Prepare
      const { handler } = await durable();
      ddbMock
        .on(BatchGetItemCommand)
        .rejects(
          new ProvisionedThroughputExceededException({ $metadata: {}, message: 'Slow down' }),
        );

      // Act
      const invocation = handler(lambdaEvent(payload([transient('/ns1/a')])), CONTEXT);

      // Assess
      await expect(invocation).rejects.toMatchObject({ name: 'LedgerError' });
      expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 0);
      expect(snsMock.calls()).toHaveLength(0);
    });

    it('reads no alert window and sends every summary when DIGEST_WINDOW_MINUTES is unset', async () => {
      // Prepare
      const { handler } = await durable();

      // Act
      const result = await handler(lambdaEvent(payload([denied('/ns1/a')])), CONTEXT);

      // Assess
      expect(result.published).toBe('msg-0001');
      expect(result).not.toHaveProperty('heldForDigest');
      expect(ddbMock).toHaveReceivedCommandTimes(GetItemCommand, 0);
    });

    it('sends the full summary when the alert windows cannot be read, and counts it', async () => {
      // Prepare
      const { handler } = await durable({ DIGEST_WINDOW_MINUTES: '60' });
      ddbMock
        .on(GetItemCommand)
        .rejects(new InternalServerError({ $metadata: {}, message: 'Internal server error' }));

      // Act
      const result = await handler(
        lambdaEvent(payload([denied('/ns1/a'), denied('/ns1/b')])),
        CONTEXT,
      );

      // Assess
      expect(result).toMatchObject({ published: 'msg-0001', heldForDigest: 0 });
      expect(publishedMessages()[0]?.Subject).toMatch(/: 2 failed/);
      expect(emfDocuments(consoleLog).some((document) => 'DigestStateErrors' in document)).toBe(
        true,
      );
    });

    it('reads the export backlog while the alert windows are read, not after', async () => {
      // Prepare
      const { handler } = await durable({ DIGEST_WINDOW_MINUTES: '60' });
      const calls: string[] = [];
      ddbMock.on(GetItemCommand).callsFake(async () => {
        calls.push('window read');
        await new Promise((resolve) => setTimeout(resolve, 20));
        calls.push('window answered');
        return {};
      });
      cloudwatchMock.reset();
      cloudwatchMock.on(GetMetricDataCommand).callsFake(() => {
        calls.push('backlog read');
        return {
          MetricDataResults: [
            { Id: 'b0', Timestamps: [new Date()], Values: [5_400], StatusCode: 'Complete' },
          ],
        };
      });

      // Act
      const result = await handler(lambdaEvent(payload([denied('/ns1/a')])), CONTEXT);

      // Assess
      expect(result).toMatchObject({ published: 'msg-0001', heldForDigest: 0 });
      expect(calls.indexOf('backlog read')).toBeGreaterThanOrEqual(0);
      expect(calls.indexOf('backlog read')).toBeLessThan(calls.indexOf('window answered'));
      expect(publishedMessages()[0]?.Message).toMatch(/fs-0123456789abcdef0 +1 h 30 min\n/);
    });

    it('lets the backlog read finish before it fails when the digest gate throws', async () => {
      // Prepare
      const calls: string[] = [];
      vi.doMock('../../../lib/digest/gate.ts', async (load) => ({
        ...(await load<typeof import('../../../lib/digest/gate.ts')>()),
        gate: async () => {
          calls.push('gate threw');
          throw new Error('gate broke');
        },
      }));
      const { handler } = await durable({ DIGEST_WINDOW_MINUTES: '60' });
      cloudwatchMock.reset();
      cloudwatchMock.on(GetMetricDataCommand).callsFake(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        calls.push('backlog answered');
        return { MetricDataResults: [] };
      });

      try {
        // Act
        const failure = await rejectionOf(
          handler(lambdaEvent(payload([denied('/ns1/a')])), CONTEXT),
        );
        const seen = [...calls];

        // Assess
        expect(String(failure)).toMatch(/gate broke/);
        expect(seen).toEqual(['gate threw', 'backlog answered']);
      } finally {
        vi.doUnmock('../../../lib/digest/gate.ts');
      }
    });

    it('makes no AWS call at all in a dry run, queue and table notwithstanding', async () => {
      // Prepare
      const { handler } = await durable({ DRY_RUN: 'true' });

      // Act
      const result = await handler(
        lambdaEvent(payload([transient('/ns1/a'), busy('/ns1/b')])),
        CONTEXT,
      );

      // Assess
      expect(result).toMatchObject({ published: null, dryRun: true });
      expect(result).not.toHaveProperty('tasksQueued');
      expect([
        ...fsxMock.calls(),
        ...snsMock.calls(),
        ...ddbMock.calls(),
        ...sqsMock.calls(),
      ]).toEqual([]);
    });

    it.each([
      [
        { LEDGER_TABLE: 'a b' },
        'Environment variable LEDGER_TABLE must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -) (got "a b")',
      ],
      [
        { MAX_ATTEMPTS: '50' },
        'Environment variable MAX_ATTEMPTS must be an integer from 1 to 20 (got "50")',
      ],
      [
        { DIGEST_WINDOW_MINUTES: '90m' },
        'Environment variable DIGEST_WINDOW_MINUTES must be an integer from 0 (digests off) to 1440 (got "90m")',
      ],
    ])('fails the cold start with a ConfigError for %j', async (env, message) => {
      // Prepare
      const loading = durable(env);

      // Act
      const failure = await rejectionOf(loading);

      // Assess
      expect(failure).toMatchObject({ name: 'ConfigError', message });
    });
  });
});

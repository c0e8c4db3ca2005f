import { FSxClient } from '@aws-sdk/client-fsx';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsxAdapter, FsxCallError } from '../../lib/aws/fsx.ts';
import { createDeferralQueue, DeferralError, parseDeferredExport } from '../../lib/aws/sqs.ts';
import type { DeferredExport, ExportRequest } from '../../lib/common/ports.ts';
import { CREDENTIALS, FS } from '../helpers/fixtures.ts';
import { type FsxServer, startFsxServer } from '../servers/fsx-server.ts';
import { type SqsServer, startSqsServer } from '../servers/sqs-server.ts';

/*
 * The real SDK clients over HTTP against the local servers: what the SDK puts on the wire, how it
 * reads the errors back, and how its retry strategy meets throttling, 5xx, resets and timeouts.
 */

const OTHER_FS = 'fs-0fedcba9876543210';
// Small, so a 'timeout' fault costs well under a second per attempt. Without
// throwOnRequestTimeout, this SDK version only logs a warning when requestTimeout passes.
const REQUEST_HANDLER = {
  requestTimeout: 300,
  throwOnRequestTimeout: true,
  connectionTimeout: 1000,
};

function fsxClient(server: FsxServer): FSxClient {
  return new FSxClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 3,
    requestHandler: REQUEST_HANDLER,
  });
}

function sqsClient(server: SqsServer): SQSClient {
  return new SQSClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 3,
    requestHandler: REQUEST_HANDLER,
  });
}

function request(overrides: Partial<ExportRequest> = {}): ExportRequest {
  return {
    fileSystemId: FS,
    paths: ['ns1/a.bin', 'ns1/b.bin'],
    clientRequestToken: 'fea-0123456789abcdef',
    reportPath: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
    ...overrides,
  };
}

function deferred(overrides: Partial<DeferredExport> = {}): DeferredExport {
  return {
    version: 1,
    fileSystemId: FS,
    paths: ['ns1/a.bin'],
    eventIds: ['38115698725094532480548293752348725094532480548293750'],
    classes: ['busy'],
    reason: 'busy',
    reportPath: undefined,
    logGroup: '/aws/fsx/lustre',
    logStream: `datarepo_${FS}`,
    deferredAt: '2025-05-01T12:00:00.000Z',
    ...overrides,
  };
}

const operations = (server: { calls: readonly { operation: string }[] }) =>
  server.calls.map((call) => call.operation);

describe('Integration: FSx adapter against fsx-server', () => {
  let server: FsxServer;

  beforeEach(async () => {
    server = await startFsxServer({ maxPageSize: 5 });
    server.addFileSystem(FS, [
      { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets' },
    ]);
  });

  afterEach(async () => {
    await server.stop();
  });

  it('starts an export task over awsJson 1.1', async () => {
    // Prepare
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

    // Act
    const result = await fsx.startExport(request());

    // Assess
    expect(result).toEqual({
      ok: true,
      taskId: expect.stringMatching(/^task-[0-9a-f]{17}$/),
      lifecycle: 'PENDING',
    });
    const call = server.calls[0];
    expect(call?.headers['x-amz-target']).toBe(
      'AWSSimbaAPIService_v20180301.CreateDataRepositoryTask',
    );
    expect(call?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(call?.input).toEqual({
      Type: 'EXPORT_TO_REPOSITORY',
      FileSystemId: FS,
      Paths: ['ns1/a.bin', 'ns1/b.bin'],
      ClientRequestToken: 'fea-0123456789abcdef',
      Report: {
        Enabled: true,
        Path: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
        Format: 'REPORT_CSV_20191124',
        Scope: 'FAILED_FILES_ONLY',
      },
    });
    expect(server.tasks()[0]?.CreationTime).toEqual(expect.any(Number));
  });

  it('answers the same token with the same task', async () => {
    // Prepare
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

    // Act
    const first = await fsx.startExport(request());
    const second = await fsx.startExport(request());

    // Assess
    expect(first.ok && second.ok && first.taskId === second.taskId).toBe(true);
    expect(server.tasks()).toHaveLength(1);
  });

  it('refuses the same token with other paths as IncompatibleParameterError', async () => {
    // Prepare
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });
    await fsx.startExport(request());

    // Act
    const result = await fsx.startExport(request({ paths: ['ns1/c.bin'] }));

    // Assess
    expect(result).toMatchObject({ ok: false, error: 'IncompatibleParameterError' });
  });

  it('refuses a second task while one runs, and starts it once that one succeeded', async () => {
    // Prepare
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });
    const first = await fsx.startExport(request());
    const firstId = first.ok ? first.taskId : '';
    server.setLifecycle(firstId, 'EXECUTING');

    // Act
    const busy = await fsx.startExport(request({ clientRequestToken: 'fea-second' }));
    server.setLifecycle(firstId, 'SUCCEEDED', { total: 2, succeeded: 2, failed: 0 });
    const free = await fsx.startExport(request({ clientRequestToken: 'fea-second' }));

    // Assess
    expect(busy).toMatchObject({
      ok: false,
      error: 'DataRepositoryTaskExecuting',
      message: expect.stringContaining(firstId),
    });
    expect(free).toMatchObject({ ok: true, lifecycle: 'PENDING' });
    expect(server.tasks()).toHaveLength(2);
  });

  it('refuses a report path outside every association as BadRequest', async () => {
    // Prepare
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

    // Act
    const result = await fsx.startExport(request({ reportPath: 's3://elsewhere/reports' }));

    // Assess
    expect(result).toMatchObject({
      ok: false,
      error: 'BadRequest',
      message: expect.stringContaining('not within the data repository path'),
    });
    expect(server.tasks()).toEqual([]);
  });

  it('refuses an unknown file system as FileSystemNotFound', async () => {
    // Prepare
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

    // Act
    const result = await fsx.startExport(request({ fileSystemId: OTHER_FS }));

    // Assess
    expect(result).toMatchObject({ ok: false, error: 'FileSystemNotFound' });
  });

  it('pages through active tasks of one file system', async () => {
    // Prepare
    server.addFileSystem(OTHER_FS, []);
    // Seven active tasks (one executing, six queued by others): two pages of at most five.
    const active = [
      server.addTask({ fileSystemId: FS, lifecycle: 'EXECUTING' }),
      ...Array.from({ length: 6 }, () =>
        server.addTask({
          fileSystemId: FS,
          lifecycle: 'PENDING',
          type: 'RELEASE_DATA_FROM_FILESYSTEM',
        }),
      ),
    ];
    server.addTask({ fileSystemId: FS, lifecycle: 'SUCCEEDED' });
    server.addTask({ fileSystemId: OTHER_FS, lifecycle: 'EXECUTING' });
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

    // Act
    const tasks = await fsx.activeTasks(FS);

    // Assess
    expect(tasks.map((task) => task.taskId)).toEqual(active);
    expect(operations(server)).toEqual([
      'DescribeDataRepositoryTasks',
      'DescribeDataRepositoryTasks',
    ]);
    expect(server.calls[1]?.input['NextToken']).toEqual(expect.any(String));
  });

  it('describes tasks by id across chunks, leaving unknown ids out', async () => {
    // Prepare
    const ids = Array.from({ length: 53 }, () => server.addTask({ fileSystemId: FS }));
    const failedId = ids[51] ?? '';
    server.setLifecycle(failedId, 'FAILED', { total: 3, succeeded: 1, failed: 2 }, 'Export failed');
    const unknown = 'task-00000000000000000';
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

    // Act
    const tasks = await fsx.describeTasks([...ids, unknown]);

    // Assess
    expect(tasks.map((task) => task.taskId)).toEqual(ids);
    expect(tasks[51]).toEqual({
      taskId: failedId,
      fileSystemId: FS,
      lifecycle: 'FAILED',
      totalCount: 3,
      succeededCount: 1,
      failedCount: 2,
      failureMessage: 'Export failed',
      reportPath: undefined,
      endTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    // First chunk: 50 ids in 10 pages of 5; second chunk: refused for the unknown id, then
    // its four ids one by one.
    expect(server.calls).toHaveLength(15);
    expect(server.calls.filter((call) => call.input['NextToken'] === undefined)).toHaveLength(6);
    expect(server.calls.at(-1)?.input['TaskIds']).toEqual([unknown]);
  });

  it('lists associations page by page', async () => {
    // Prepare
    const seeds = Array.from({ length: 8 }, (_, index) => ({
      fileSystemPath: `/ns${index}`,
      dataRepositoryPath: `s3://ml-archive/ns${index}/`,
    }));
    server.addFileSystem(OTHER_FS, seeds);
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

    // Act
    const associations = await fsx.listAssociations(OTHER_FS);

    // Assess
    expect(associations.map((association) => association.fileSystemPath)).toEqual(
      seeds.map((seed) => seed.fileSystemPath),
    );
    expect(operations(server)).toEqual(Array(2).fill('DescribeDataRepositoryAssociations'));
    expect(server.calls.map((call) => call.input['MaxResults'])).toEqual([25, 25]);
  });

  it('lists no associations for a file system without any', async () => {
    // Prepare
    server.addFileSystem(OTHER_FS, []);
    const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

    // Act
    const associations = await fsx.listAssociations(OTHER_FS);

    // Assess
    expect(associations).toEqual([]);
  });

  describe('faults through the SDK', () => {
    it('retries a throttled call and succeeds', async () => {
      // Prepare
      server.inject({ operation: 'CreateDataRepositoryTask', times: 1, kind: 'throttle' });
      const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

      // Act
      const result = await fsx.startExport(request());

      // Assess
      expect(result).toMatchObject({ ok: true });
      expect(server.calls.map((call) => call.fault)).toEqual(['throttle', undefined]);
    });

    it.each([
      ['throttle', 'Throttling'],
      ['server-error', 'InternalServerError'],
      ['reset', 'NetworkError'],
      ['timeout', 'NetworkError'],
    ] as const)('reports %s on every attempt as %s after 3 attempts', async (kind, error) => {
      // Prepare
      server.inject({ operation: 'CreateDataRepositoryTask', times: Infinity, kind });
      const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

      // Act
      const result = await fsx.startExport(request());

      // Assess
      expect(result).toMatchObject({ ok: false, error });
      expect(server.calls).toHaveLength(3);
      expect(server.tasks()).toEqual([]);
    });

    it('does not retry a modelled client error', async () => {
      // Prepare
      server.inject({
        operation: 'CreateDataRepositoryTask',
        times: 1,
        kind: { type: 'ServiceLimitExceeded', message: 'Limit reached' },
      });
      const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

      // Act
      const result = await fsx.startExport(request());

      // Assess
      expect(result).toEqual({
        ok: false,
        error: 'ServiceLimitExceeded',
        message: 'Limit reached',
      });
      expect(server.calls).toHaveLength(1);
    });

    it('throws an FsxCallError when the task query keeps failing', async () => {
      // Prepare
      server.inject({ operation: '*', times: Infinity, kind: 'server-error' });
      const fsx = createFsxAdapter(fsxClient(server), { cacheSeconds: 0 });

      // Act
      const listing = fsx.activeTasks(FS);

      // Assess
      await expect(listing).rejects.toBeInstanceOf(FsxCallError);
      await expect(listing).rejects.toMatchObject({ errorName: 'InternalServerError' });
      expect(server.calls).toHaveLength(3);
    });
  });
});

describe('Integration: deferral queue against sqs-server', () => {
  let server: SqsServer;
  let clock: number;

  beforeEach(async () => {
    clock = Date.parse('2025-05-01T12:00:00.000Z');
    server = await startSqsServer({ now: () => clock, maxReceiveCount: 3 });
  });

  afterEach(async () => {
    await server.stop();
  });

  it('queues every message with its delay over awsJson 1.0', async () => {
    // Prepare
    const queue = createDeferralQueue(sqsClient(server), server.queueUrl);
    const items = Array.from({ length: 12 }, (_, index) => ({
      message: deferred({ paths: [`ns1/${index}.bin`] }),
      delaySeconds: index % 2 === 0 ? 0 : 600,
    }));

    // Act
    await queue.defer(items);

    // Assess
    expect(operations(server)).toEqual(['SendMessageBatch', 'SendMessageBatch']);
    expect(server.calls[0]?.headers['x-amz-target']).toBe('AmazonSQS.SendMessageBatch');
    expect(server.calls[0]?.headers['content-type']).toBe('application/x-amz-json-1.0');
    const stored = server.messages();
    expect(stored.map((message) => message.visibleAt - message.sentTimestamp)).toEqual(
      items.map((item) => item.delaySeconds * 1000),
    );
    const due = server.receive(10);
    expect(due.map((record) => parseDeferredExport(record.body).paths[0])).toEqual(
      items.filter((item) => item.delaySeconds === 0).map((item) => item.message.paths[0]),
    );
    expect(due[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: server.queueArn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(clock) },
      messageAttributes: {
        fileSystemId: { dataType: 'String', stringValue: FS },
        reason: { dataType: 'String', stringValue: 'busy' },
      },
    });
    expect(server.receive(10, clock + 600_000)).toHaveLength(6);
  });

  it('sends a large deferral as several messages that SQS accepts', async () => {
    // Prepare
    const queue = createDeferralQueue(sqsClient(server), server.queueUrl);
    const paths = Array.from({ length: 100 }, (_, index) => `ns1/${index}/${'é'.repeat(2000)}`);

    // Act
    await queue.defer([{ message: deferred({ paths }), delaySeconds: 0 }]);

    // Assess
    const pieces = server.messages().map((message) => parseDeferredExport(message.body));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.flatMap((piece) => piece.paths)).toEqual(paths);
  });

  it('sends entries SQS failed once more and succeeds', async () => {
    // Prepare
    server.rejectEntries(2, { code: 'InternalError', senderFault: false });
    const queue = createDeferralQueue(sqsClient(server), server.queueUrl);

    // Act
    await queue.defer(
      ['a', 'b', 'c'].map((name) => ({ message: deferred({ paths: [name] }), delaySeconds: 0 })),
    );

    // Assess
    expect(server.calls.map((call) => (call.input['Entries'] as unknown[]).length)).toEqual([3, 2]);
    expect(server.messages().map((message) => parseDeferredExport(message.body).paths[0])).toEqual([
      'c',
      'a',
      'b',
    ]);
  });

  it('throws a DeferralError for a sender fault without sending it again', async () => {
    // Prepare
    server.rejectEntries(1, { code: 'InvalidParameterValue', senderFault: true });
    const queue = createDeferralQueue(sqsClient(server), server.queueUrl);

    // Act
    const deferral = queue.defer([{ message: deferred(), delaySeconds: 0 }]);

    // Assess
    await expect(deferral).rejects.toMatchObject({
      name: 'DeferralError',
      code: 'InvalidParameterValue',
    });
    expect(server.calls).toHaveLength(1);
  });

  it('retries a throttled call through the SDK and succeeds', async () => {
    // Prepare
    server.inject({ operation: 'SendMessageBatch', times: 1, kind: 'throttle' });
    const queue = createDeferralQueue(sqsClient(server), server.queueUrl);

    // Act
    await queue.defer([{ message: deferred(), delaySeconds: 0 }]);

    // Assess
    expect(server.calls).toHaveLength(2);
    expect(server.messages()).toHaveLength(1);
  });

  it.each([
    ['throttle', 'ThrottlingException'],
    ['server-error', 'InternalFailure'],
    ['reset', 'ECONNRESET'],
    ['timeout', 'ETIMEDOUT'],
  ] as const)('throws a DeferralError when %s persists (%s)', async (kind, code) => {
    // Prepare
    server.inject({ operation: 'SendMessageBatch', times: Infinity, kind });
    const queue = createDeferralQueue(sqsClient(server), server.queueUrl);

    // Act
    const deferral = queue.defer([{ message: deferred(), delaySeconds: 0 }]);

    // Assess
    await expect(deferral).rejects.toBeInstanceOf(DeferralError);
    await expect(deferral).rejects.toMatchObject({
      code,
      message: expect.stringContaining(
        `could not defer 1 of 1 messages to SQS queue ${server.queueUrl}`,
      ),
    });
    expect(server.calls).toHaveLength(3);
    expect(server.messages()).toEqual([]);
  });

  it('reads a namespaced awsQueryCompatible error: QueueDoesNotExist', async () => {
    // Prepare
    const queue = createDeferralQueue(sqsClient(server), `${server.endpoint}/123456789012/nope`);

    // Act
    const deferral = queue.defer([{ message: deferred(), delaySeconds: 0 }]);

    // Assess
    await expect(deferral).rejects.toMatchObject({
      code: 'QueueDoesNotExist',
      message: expect.stringContaining('QueueDoesNotExist: The specified queue does not exist.'),
    });
    expect(server.calls).toHaveLength(1);
  });

  it('plays the event source mapping: failed receives end in the dead-letter queue', async () => {
    // Prepare
    const queue = createDeferralQueue(sqsClient(server), server.queueUrl);
    await queue.defer([
      { message: deferred({ paths: ['keeps-failing'] }), delaySeconds: 0 },
      { message: deferred({ paths: ['succeeds'] }), delaySeconds: 0 },
    ]);

    // Act
    const counts: string[] = [];
    for (let turn = 0; turn < 3; turn++) {
      const records = server.receive(10);
      counts.push(...records.map((record) => record.attributes.ApproximateReceiveCount));
      const failing = records.filter((record) => record.body.includes('keeps-failing'));
      server.settle(records, {
        batchItemFailures: failing.map((record) => ({ itemIdentifier: record.messageId })),
      });
    }

    // Assess
    expect(counts).toEqual(['1', '1', '2', '3']);
    expect(server.messages()).toEqual([]);
    expect(server.deadLetters().map((message) => parseDeferredExport(message.body).paths)).toEqual([
      ['keeps-failing'],
    ]);
  });
});

describe('Integration: sqs-server limits through the SDK', () => {
  let server: SqsServer;

  beforeEach(async () => {
    server = await startSqsServer();
  });

  afterEach(async () => {
    await server.stop();
  });

  it('answers SendMessage with the digests SQS computes', async () => {
    // Prepare
    const client = sqsClient(server);

    // Act
    const response = await client.send(
      new SendMessageCommand({
        QueueUrl: server.queueUrl,
        MessageBody: 'derp',
        DelaySeconds: 5,
        MessageAttributes: { timestamp: { DataType: 'Number', StringValue: '1493147359900' } },
      }),
    );

    // Assess
    // The digests AWS returns for this message, as moto's SQS tests pin them; the SDK itself
    // checks MD5OfMessageBody and would throw on a mismatch.
    expect(response).toMatchObject({
      MessageId: server.messages()[0]?.messageId,
      MD5OfMessageBody: '58fd9edd83341c29f1aebba81c31e257',
      MD5OfMessageAttributes: '235c5c510d26fb653d073faed50ae77c',
    });
    expect(server.messages()[0]?.delaySeconds).toBe(5);
  });

  it.each([
    ['11 entries', 11, 10, 'TooManyEntriesInBatchRequest'],
    ['2 entries of 200,000 bytes', 2, 200_000, 'BatchRequestTooLong'],
  ])('refuses a batch of %s', async (_, count, size, name) => {
    // Prepare
    const client = sqsClient(server);
    const entries = Array.from({ length: count }, (__, index) => ({
      Id: String(index),
      MessageBody: 'x'.repeat(size),
    }));

    // Act
    const sending = client.send(
      new SendMessageBatchCommand({ QueueUrl: server.queueUrl, Entries: entries }),
    );

    // Assess
    await expect(sending).rejects.toMatchObject({ name });
    expect(server.messages()).toEqual([]);
  });

  it('reports an entry with a delay above 900 seconds as a sender fault', async () => {
    // Prepare
    const client = sqsClient(server);

    // Act
    const response = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: server.queueUrl,
        Entries: [
          { Id: 'ok', MessageBody: 'a' },
          { Id: 'late', MessageBody: 'b', DelaySeconds: 901 },
        ],
      }),
    );

    // Assess
    expect(response.Successful?.map((entry) => entry.Id)).toEqual(['ok']);
    expect(response.Failed).toEqual([
      expect.objectContaining({ Id: 'late', SenderFault: true, Code: 'InvalidParameterValue' }),
    ]);
  });
});

import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BadRequest,
  CreateDataRepositoryTaskCommand,
  DescribeDataRepositoryAssociationsCommand,
  DescribeDataRepositoryTasksCommand,
  FSxClient,
} from '@aws-sdk/client-fsx';
import { NotFoundException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { clientRequestToken } from '../../../lib/reexport/rules.ts';
import { DRA_REPORT_PATH, FS, taskId } from '../../helpers/fixtures.ts';
import {
  attemptItem,
  CONTEXT,
  coldStartWith,
  deferred,
  emfDocuments,
  flat,
  rejectionOf,
  resetHandlerTest,
  sqsRecord,
  TABLE,
  taskCreated,
  WIRE_DRA,
} from '../../helpers/lambda.ts';

const RUNNING = 'task-0aaaaaaaaaaaaaaaa';

const fsxMock = mockClient(FSxClient);
const snsMock = mockClient(SNSClient);
const ddbMock = mockClient(DynamoDBClient);

let consoleLog: MockInstance<typeof console.log>;

/** A fresh copy of the retrier module with this environment, as a cold start. */
function coldStart(env: Record<string, string> = {}) {
  return coldStartWith(
    {
      LEDGER_TABLE: TABLE,
      REPORT_PATH: '',
      MAX_PATHS_PER_TASK: '',
      MAX_ATTEMPTS: '',
      COALESCE_WINDOW_SECONDS: '',
      MAX_RECEIVES: '',
      ...env,
    },
    async () => {
      const { handler } = await import('../../../functions/retrier.ts');
      return { handler };
    },
  );
}

function event(...records: SQSEvent['Records']): SQSEvent {
  return { Records: records };
}

function published(): string[] {
  return snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input.Message ?? '');
}

describe('Function: retrier handler', () => {
  beforeEach(() => {
    fsxMock.reset();
    snsMock.reset();
    ddbMock.reset();
    consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    fsxMock.on(DescribeDataRepositoryTasksCommand).resolves({ DataRepositoryTasks: [] });
    fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({ Associations: [WIRE_DRA] });
    fsxMock.on(CreateDataRepositoryTaskCommand).resolves(taskCreated(taskId(1)));
    ddbMock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
    ddbMock.on(PutItemCommand).resolves({});
    ddbMock.on(UpdateItemCommand).resolves({});
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-0001' });
  });

  afterEach(resetHandlerTest);

  it('coalesces the records of a file system into one task and sends one email', async () => {
    // Prepare
    const { handler } = await coldStart();
    const input = event(
      sqsRecord('m1', deferred(['ns1/b', 'ns1/a'])),
      sqsRecord('m2', deferred(['ns1/a', 'ns1/c'])),
    );

    // Act
    const response = await handler(input, CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 1);
    expect(fsxMock).toHaveReceivedCommandWith(CreateDataRepositoryTaskCommand, {
      Type: 'EXPORT_TO_REPOSITORY',
      FileSystemId: FS,
      Paths: ['ns1/a', 'ns1/b', 'ns1/c'],
      ClientRequestToken: clientRequestToken(
        FS,
        ['ns1/a', 'ns1/b', 'ns1/c'],
        ['ev-ns1/a', 'ev-ns1/b', 'ev-ns1/c'],
      ),
      Report: expect.objectContaining({ Path: DRA_REPORT_PATH }),
    });
    expect(fsxMock).toHaveReceivedCommandWith(DescribeDataRepositoryTasksCommand, {
      Filters: expect.arrayContaining([{ Name: 'file-system-id', Values: [FS] }]),
    });
    expect(ddbMock).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({ id: { S: expect.stringMatching(/^window#/) } }),
    });
    expect(ddbMock).toHaveReceivedCommandWith(PutItemCommand, {
      Item: expect.objectContaining({ startedBy: { S: 'retrier' } }),
    });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(flat(published()[0])).toContain(
      `Started task task-00000000000000001 on ${FS}: 3 paths from 2 queued messages (PENDING).`,
    );
    expect(emfDocuments(consoleLog)).toContainEqual(
      expect.objectContaining({ RetrierTasksStarted: 1, RetrierWaits: 0, DeadLettered: 0 }),
    );
  });

  it('returns every record of a busy file system and tells nobody', async () => {
    // Prepare
    const { handler } = await coldStart();
    fsxMock.on(DescribeDataRepositoryTasksCommand).resolves({
      DataRepositoryTasks: [
        {
          TaskId: RUNNING,
          FileSystemId: FS,
          Lifecycle: 'EXECUTING',
          Type: 'EXPORT_TO_REPOSITORY',
          CreationTime: new Date('2026-11-25T11:00:00Z'),
        },
      ],
    });

    // Act
    const response = await handler(
      event(sqsRecord('m1', deferred(['ns1/a'])), sqsRecord('m2', deferred(['ns1/b']))),
      CONTEXT,
    );

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: 'm1' },
      { itemIdentifier: 'm2' },
    ]);
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 0);
    expect(snsMock.calls()).toHaveLength(0);
    expect(emfDocuments(consoleLog)).toContainEqual(expect.objectContaining({ RetrierWaits: 2 }));
  });

  it('waits when another invocation claimed the coalescing window', async () => {
    // Prepare
    const { handler } = await coldStart();
    ddbMock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
      if (input.Item?.['id']?.S?.startsWith('window#') !== true) return {};
      throw new ConditionalCheckFailedException({ $metadata: {}, message: 'taken' });
    });

    // Act
    const response = await handler(event(sqsRecord('m1', deferred(['ns1/a']))), CONTEXT);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 0);
  });

  it('fails a malformed record alone and handles the others', async () => {
    // Prepare
    const { handler } = await coldStart();

    // Act
    const response = await handler(
      event(
        sqsRecord('bad', '{"version":2}'),
        sqsRecord('worse', 'not json'),
        sqsRecord('good', deferred(['ns1/a'])),
      ),
      CONTEXT,
    );

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: 'bad' },
      { itemIdentifier: 'worse' },
    ]);
    expect(fsxMock).toHaveReceivedCommandWith(CreateDataRepositoryTaskCommand, {
      Paths: ['ns1/a'],
    });
    expect(emfDocuments(consoleLog)).toContainEqual(
      expect.objectContaining({ MalformedDeferrals: 2, RetrierMessages: 3 }),
    );
  });

  it('escalates a path with K attempts in the email instead of re-exporting it', async () => {
    // Prepare
    const { handler } = await coldStart();
    ddbMock.on(BatchGetItemCommand).resolves({
      Responses: { [TABLE]: [attemptItem('ns1/a', [taskId(1), taskId(2), taskId(3)])] },
    });

    // Act
    const response = await handler(event(sqsRecord('m1', deferred(['ns1/a']))), CONTEXT);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 0);
    expect(flat(published()[0])).toContain('will not be re-exported automatically any more');
    expect(emfDocuments(consoleLog)).toContainEqual(
      expect.objectContaining({ ReexportsEscalated: 1 }),
    );
  });

  it('tells a person about a message on its last receive, with a command, before it is dead-lettered', async () => {
    // Prepare
    const { handler } = await coldStart({ MAX_RECEIVES: '3' });
    fsxMock.on(DescribeDataRepositoryTasksCommand).resolves({
      DataRepositoryTasks: [
        {
          TaskId: RUNNING,
          FileSystemId: FS,
          Lifecycle: 'PENDING',
          Type: 'EXPORT_TO_REPOSITORY',
          CreationTime: new Date('2026-11-25T11:00:00Z'),
        },
      ],
    });

    // Act
    const response = await handler(
      event(sqsRecord('last', deferred(['ns1/a']), 3), sqsRecord('early', deferred(['ns1/b']), 2)),
      CONTEXT,
    );

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: 'last' },
      { itemIdentifier: 'early' },
    ]);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const body = published()[0] ?? '';
    expect(flat(body)).toContain('Dead-lettered: re-export by hand.');
    expect(flat(body)).toContain(`Message last on ${FS}: 1 path`);
    expect(body).not.toContain('Message early');
    expect(body).toContain(
      `aws fsx create-data-repository-task --file-system-id ${FS} --type EXPORT_TO_REPOSITORY --paths 'ns1/a' --report Enabled=true,Path=${DRA_REPORT_PATH},`,
    );
    expect(emfDocuments(consoleLog)).toContainEqual(expect.objectContaining({ DeadLettered: 1 }));
  });

  it('hands a permanent refusal to a person and lets the records go', async () => {
    // Prepare
    const { handler } = await coldStart();
    fsxMock
      .on(CreateDataRepositoryTaskCommand)
      .rejects(new BadRequest({ $metadata: {}, message: 'Invalid path' }));

    // Act
    const response = await handler(event(sqsRecord('m1', deferred(['ns1/a']))), CONTEXT);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(flat(published()[0])).toContain('for good');
    expect(emfDocuments(consoleLog)).toContainEqual(
      expect.objectContaining({ ReexportsRefusedPermanent: 1 }),
    );
  });

  it('fails the whole invocation when the email cannot be published', async () => {
    // Prepare
    const { handler } = await coldStart();
    snsMock
      .on(PublishCommand)
      .rejects(new NotFoundException({ $metadata: {}, message: 'Topic does not exist' }));

    // Act
    const invocation = handler(event(sqsRecord('m1', deferred(['ns1/a']))), CONTEXT);

    // Assess
    await expect(invocation).rejects.toMatchObject({ name: 'PublishError' });
    expect(emfDocuments(consoleLog)).toContainEqual(
      expect.objectContaining({ RetrierTasksStarted: 1 }),
    );
  });

  it('returns every record untouched in a dry run', async () => {
    // Prepare
    const { handler } = await coldStart({ DRY_RUN: 'true', LEDGER_TABLE: '' });

    // Act
    const response = await handler(event(sqsRecord('m1', deferred(['ns1/a']))), CONTEXT);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
    expect([...fsxMock.calls(), ...ddbMock.calls(), ...snsMock.calls()]).toEqual([]);
  });

  it('fails the cold start without a ledger table', async () => {
    // Prepare
    const loading = coldStart({ LEDGER_TABLE: '' });

    // Act
    const failure = await rejectionOf(loading);

    // Assess
    expect(failure).toMatchObject({
      name: 'ConfigError',
      message:
        'Environment variable LEDGER_TABLE is required by the retrier unless DRY_RUN is true',
    });
  });
});

import {
  BatchGetItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateDataRepositoryTaskCommand,
  DescribeDataRepositoryAssociationsCommand,
  DescribeDataRepositoryTasksCommand,
  FSxClient,
} from '@aws-sdk/client-fsx';
import {
  AuthorizationErrorException,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { lambdaEvent, payload } from '../../helpers/events.ts';
import { DRA_REPORT_PATH, FS, taskId } from '../../helpers/fixtures.ts';
import {
  CONTEXT,
  coldStartWith,
  deferred,
  emfDocuments,
  resetHandlerTest,
  sqsRecord,
  TABLE,
  TOPIC,
  taskCreated,
  taskItem,
  WIRE_DRA,
} from '../../helpers/lambda.ts';
import { CustomNotificationSchema } from '../chat/schema.ts';

/*
 * Every function that emails also sends its chat alert when CHAT_TOPIC_ARN is set: the email
 * (plain text, with a subject) to the summary topic first, then the custom-notification JSON to
 * the chat topic. A chat topic that refuses costs neither the email nor the invocation. The
 * digest and the doctor are covered end to end in test/integration/chat.test.ts and below.
 */

const CHAT = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-chat';

const fsxMock = mockClient(FSxClient);
const snsMock = mockClient(SNSClient);
const ddbMock = mockClient(DynamoDBClient);

let consoleLog: MockInstance<typeof console.log>;

function publishes(): PublishCommandInput[] {
  return snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

/** The email went to the summary topic as text; the chat alert to the chat topic as JSON. */
function assertBothTopics(eventType: string): void {
  const [email, chat, ...rest] = publishes();
  expect(rest).toEqual([]);
  expect(email?.TopicArn).toBe(TOPIC);
  expect(email?.Subject).toBeTruthy();
  expect(chat?.TopicArn).toBe(CHAT);
  expect(chat?.Subject).toBeUndefined();
  const message = CustomNotificationSchema.parse(JSON.parse(chat?.Message ?? ''));
  expect(message.metadata?.eventType).toBe(eventType);
}

const denied = new AuthorizationErrorException({
  $metadata: {},
  message: 'User is not authorized to perform: SNS:Publish',
});
const throttled = new ThrottledException({ $metadata: {}, message: 'Rate exceeded' });

describe('Chat alerts from the functions', () => {
  beforeEach(() => {
    fsxMock.reset();
    snsMock.reset();
    ddbMock.reset();
    consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-0001' });
  });

  afterEach(resetHandlerTest);

  describe('analyzer', () => {
    async function coldStart(env: Record<string, string> = {}) {
      return coldStartWith({ CHAT_TOPIC_ARN: CHAT, ...env }, async () => {
        const { handler } = await import('../../../functions/analyzer.ts');
        return { handler };
      });
    }
    const event = () =>
      lambdaEvent(
        payload([
          {
            message: JSON.stringify({ errorCode: 'S3ExportAccessDenied', filePath: '/ns1/a.bin' }),
          },
        ]),
      );

    it('publishes the summary to both topics', async () => {
      // Prepare
      const { handler } = await coldStart();

      // Act
      const result = await handler(event(), CONTEXT);

      // Assess
      expect(result.published).toBe('msg-0001');
      assertBothTopics('fsx-export-analyzer.summary');
    });

    it.each([
      ['denied', denied],
      ['throttled', throttled],
    ])('keeps the email and succeeds when the chat topic is %s', async (_name, error) => {
      // Prepare
      const { handler } = await coldStart();
      snsMock.on(PublishCommand, { TopicArn: CHAT }).rejects(error);

      // Act
      const result = await handler(event(), CONTEXT);

      // Assess
      expect(result.published).toBe('msg-0001');
      expect(publishes().map((input) => input.TopicArn)).toEqual([TOPIC, CHAT]);
      expect(emfDocuments(consoleLog)).toContainEqual(
        expect.objectContaining({ ChatPublishFailures: 1, ChatAlertsPublished: 0 }),
      );
    });

    it('logs the chat alert instead of publishing it in a dry run', async () => {
      // Prepare
      const { handler } = await coldStart({ DRY_RUN: 'true', SUMMARY_TOPIC_ARN: '' });

      // Act
      await handler(event(), CONTEXT);

      // Assess
      expect(publishes()).toEqual([]);
    });

    it('fails the cold start on a malformed CHAT_TOPIC_ARN', async () => {
      // Act
      const loading = coldStart({ CHAT_TOPIC_ARN: 'fsx-export-chat' });

      // Assess
      await expect(loading).rejects.toMatchObject({
        name: 'ConfigError',
        message: expect.stringMatching(
          /^Environment variable CHAT_TOPIC_ARN must be an SNS topic ARN/,
        ),
      });
    });
  });

  describe('outcome check', () => {
    it('publishes the follow-up to both topics', async () => {
      // Prepare
      const { handler } = await coldStartWith(
        { LEDGER_TABLE: TABLE, CHAT_TOPIC_ARN: CHAT },
        async () => import('../../../functions/outcomes.ts'),
      );
      const t1 = taskId(1);
      ddbMock.on(ScanCommand).resolves({ Items: [taskItem(t1)] });
      ddbMock.on(UpdateItemCommand).resolves({});
      fsxMock.on(DescribeDataRepositoryTasksCommand).resolves({
        DataRepositoryTasks: [
          {
            TaskId: t1,
            FileSystemId: FS,
            Lifecycle: 'FAILED',
            Type: 'EXPORT_TO_REPOSITORY',
            CreationTime: new Date('2026-11-25T11:00:00Z'),
            EndTime: new Date('2026-11-25T11:20:00Z'),
            Report: { Enabled: true, Path: DRA_REPORT_PATH },
            Status: { TotalCount: 2, SucceededCount: 1, FailedCount: 1 },
            FailureDetails: { Message: 'Some files failed' },
          },
        ],
      });

      // Act
      const result = await handler({}, CONTEXT);

      // Assess
      expect(result.finished).toBe(1);
      assertBothTopics('fsx-export-analyzer.outcomes');
    });
  });

  describe('retrier', () => {
    it('publishes its report to both topics, and succeeds when the chat topic refuses', async () => {
      // Prepare
      const { handler } = await coldStartWith(
        { LEDGER_TABLE: TABLE, CHAT_TOPIC_ARN: CHAT, REPORT_PATH: '', MAX_PATHS_PER_TASK: '' },
        async () => import('../../../functions/retrier.ts'),
      );
      fsxMock.on(DescribeDataRepositoryTasksCommand).resolves({ DataRepositoryTasks: [] });
      fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({ Associations: [WIRE_DRA] });
      fsxMock.on(CreateDataRepositoryTaskCommand).resolves(taskCreated(taskId(1)));
      ddbMock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });
      ddbMock.on(PutItemCommand).resolves({});
      ddbMock.on(UpdateItemCommand).resolves({});
      const input = { Records: [sqsRecord('m1', deferred(['ns1/a']))] };

      // Act
      const first = await handler(input, CONTEXT);
      const sent = publishes();
      snsMock.on(PublishCommand, { TopicArn: CHAT }).rejects(denied);
      const second = await handler({ Records: [sqsRecord('m2', deferred(['ns1/b']))] }, CONTEXT);

      // Assess
      expect(first).toEqual({ batchItemFailures: [] });
      expect(second).toEqual({ batchItemFailures: [] });
      expect(sent.map((item) => item.TopicArn)).toEqual([TOPIC, CHAT]);
      expect(
        CustomNotificationSchema.parse(JSON.parse(sent[1]?.Message ?? '')).metadata?.eventType,
      ).toBe('fsx-export-analyzer.retrier');
    });
  });
});

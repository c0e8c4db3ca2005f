import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import type { AnalyzerResult } from '../../functions/analyzer.ts';
import type { DigestResult } from '../../functions/digest.ts';
import type { DoctorRunResult } from '../../functions/doctor.ts';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite.ts';
import { type EventSpec, lambdaEvent, payload } from '../helpers/events.ts';
import { FS } from '../helpers/fixtures.ts';
import { CONTEXT, coldStartWith, emfDocuments, LOCAL_CREDENTIALS } from '../helpers/lambda.ts';
import { type CloudWatchServer, startCloudWatchServer } from '../servers/cloudwatch-server.ts';
import { type FsxServer, startFsxServer } from '../servers/fsx-server.ts';
import { type LogsServer, startLogsServer } from '../servers/logs-server.ts';
import { type SnsServer, startSnsServer } from '../servers/sns-server.ts';
import { CustomNotificationSchema } from '../unit/chat/schema.ts';

/*
 * Chat alerts end to end: the analyzer and the digest run with the real SNS client against the
 * local SNS server, which holds two topics, the email topic and the chat topic. The email keeps
 * plain text on its topic, the chat topic gets custom-notification JSON, and a chat topic that
 * refuses (denied, throttled past the SDK's retries, KMS) never costs the email or the run.
 */

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-failures';
const CHAT = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-chat';

type Handlers = {
  analyzer: (event: unknown, context: Context) => Promise<AnalyzerResult>;
  digest: (event: unknown, context: Context) => Promise<DigestResult>;
};

let sequence = 0;

function denied(path: string): EventSpec {
  sequence += 1;
  return {
    id: `5${String(sequence).padStart(55, '0')}`,
    timestamp: Date.now(),
    message: JSON.stringify({ errorCode: 'S3ExportAccessDenied', filePath: path }),
  };
}

function at(time: string): Date {
  return new Date(`2026-11-25T${time}:00.000Z`);
}

describe('Chat alerts through the local SNS server', () => {
  let dynamo: LocalDynamo;
  let sns: SnsServer;
  let consoleLog: MockInstance<typeof console.log>;

  async function coldStart(env: Record<string, string> = {}): Promise<Handlers> {
    // A cold start: the handler's module graph loaded afresh with this environment.
    return coldStartWith(
      {
        ...LOCAL_CREDENTIALS,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_SNS: sns.endpoint,
        AWS_ENDPOINT_URL_FSX: 'http://127.0.0.1:9',
        AWS_LAMBDA_FUNCTION_NAME: 'fsx-export-analyzer-test-analyzer',
        AWS_MAX_ATTEMPTS: '2',
        SUMMARY_TOPIC_ARN: TOPIC,
        CHAT_TOPIC_ARN: CHAT,
        DEFERRAL_QUEUE_URL: '',
        LEDGER_TABLE: dynamo.tableName,
        DIGEST_WINDOW_MINUTES: '60',
        REPORT_PATH: '',
        MAX_PATHS_PER_TASK: '',
        ASSOCIATION_CACHE_SECONDS: '',
        MAX_DECOMPRESSED_BYTES: '',
        BUSY_DELAY_SECONDS: '',
        ...env,
      },
      async () => {
        const analyzer = await import('../../functions/analyzer.ts');
        const digest = await import('../../functions/digest.ts');
        return { analyzer: analyzer.handler, digest: digest.handler };
      },
    );
  }

  function analyze(handlers: Handlers, events: readonly EventSpec[]): Promise<AnalyzerResult> {
    return handlers.analyzer(
      lambdaEvent(payload(events, { logStream: `datarepo_${FS}` })),
      CONTEXT,
    );
  }

  const onTopic = (topicArn: string) =>
    sns.published.filter((message) => message.topicArn === topicArn);

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at('10:00'));
    consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    dynamo = await startDynalite();
    sns = await startSnsServer({ topicArn: TOPIC, moreTopicArns: [CHAT] });
  });

  afterEach(async () => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await sns.stop();
    await dynamo.stop();
  });

  it('sends the email to its topic and the chat alert to the chat topic, one thread per window', async () => {
    // Prepare
    const handlers = await coldStart();

    // Act: an alert, a repeat held for the digest, then the digest run after the window.
    await analyze(handlers, [denied('/ns1/a.bin')]);
    vi.setSystemTime(at('10:10'));
    await analyze(handlers, [denied('/ns1/b.bin')]);
    vi.setSystemTime(at('11:01'));
    const run = await handlers.digest({}, CONTEXT);

    // Assess
    expect(run.digests).toBe(1);
    const emails = onTopic(TOPIC);
    expect(emails).toHaveLength(2);
    for (const email of emails) {
      expect(email.subject).not.toBe('');
      expect(() => JSON.parse(email.message)).toThrow();
    }
    const chats = onTopic(CHAT);
    expect(chats).toHaveLength(2);
    const [alert, digest] = chats.map((message) =>
      CustomNotificationSchema.parse(JSON.parse(message.message)),
    );
    expect(chats.every((message) => message.subject === '')).toBe(true);
    expect(alert?.metadata?.eventType).toBe('fsx-export-analyzer.summary');
    expect(digest?.metadata?.eventType).toBe('fsx-export-analyzer.digest');
    expect(alert?.metadata?.threadId).toBe(`fea_${FS}_permission_2026-11-25`);
    expect(digest?.metadata?.threadId).toBe(alert?.metadata?.threadId);
  });

  it.each([
    ['denied', 'authorization-error'],
    ['throttled past the retries', 'throttle'],
    ['KMS denied', 'kms-access-denied'],
  ] as const)('keeps the email and the run when the chat topic is %s', async (_name, kind) => {
    // Prepare
    const handlers = await coldStart();
    sns.inject({ operation: 'Publish', topicArn: CHAT, times: Number.POSITIVE_INFINITY, kind });

    // Act
    const result = await analyze(handlers, [denied('/ns1/a.bin')]);

    // Assess
    expect(result.published).not.toBeNull();
    expect(onTopic(TOPIC)).toHaveLength(1);
    expect(onTopic(CHAT)).toHaveLength(0);
    expect(sns.calls.filter((call) => call.params['TopicArn'] === CHAT).length).toBeGreaterThan(0);
    expect(emfDocuments(consoleLog)).toContainEqual(
      expect.objectContaining({ ChatPublishFailures: 1 }),
    );
  });

  it('publishes the chat alert after one throttled attempt (the SDK retries it)', async () => {
    // Prepare
    const handlers = await coldStart();
    sns.inject({ operation: 'Publish', topicArn: CHAT, times: 1, kind: 'throttle' });

    // Act
    await analyze(handlers, [denied('/ns1/a.bin')]);

    // Assess
    expect(onTopic(TOPIC)).toHaveLength(1);
    expect(onTopic(CHAT)).toHaveLength(1);
  });

  it('sends no chat alert when the email fails: the run fails, and the Lambda retry sends both', async () => {
    // Prepare
    const handlers = await coldStart();
    sns.inject({ operation: 'Publish', topicArn: TOPIC, times: 5, kind: 'kms-access-denied' });

    // Act
    const failed = await analyze(handlers, [denied('/ns1/a.bin')]).then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(failed).toBeInstanceOf(Error);
    expect(onTopic(CHAT)).toHaveLength(0);
  });

  it('publishes nothing to chat without CHAT_TOPIC_ARN', async () => {
    // Prepare
    const handlers = await coldStart({ CHAT_TOPIC_ARN: '' });

    // Act
    await analyze(handlers, [denied('/ns1/a.bin')]);

    // Assess
    expect(onTopic(TOPIC)).toHaveLength(1);
    expect(sns.calls.filter((call) => call.params['TopicArn'] === CHAT)).toHaveLength(0);
  });
});

describe('Chat alerts of the scheduled doctor through the local servers', () => {
  const ANALYZER = 'fsx-export-analyzer-prod-analyzer';
  let dynamo: LocalDynamo;
  let sns: SnsServer;
  let logs: LogsServer;
  let fsx: FsxServer | undefined;
  let cloudwatch: CloudWatchServer;

  async function coldStart(
    lifecycle: string,
  ): Promise<(event: unknown, context: Context) => Promise<DoctorRunResult>> {
    await fsx?.stop();
    fsx = await startFsxServer({ region: 'eu-west-1' });
    fsx.addFileSystem(FS, [
      {
        fileSystemPath: '/ns1',
        dataRepositoryPath: 's3://ml-archive/datasets/',
        associationId: 'dra-0123456789abcdef0',
        lifecycle,
      },
    ]);
    // A cold start: the handler's module graph loaded afresh with this environment.
    return coldStartWith(
      {
        ...LOCAL_CREDENTIALS,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_SNS: sns.endpoint,
        AWS_ENDPOINT_URL_FSX: fsx.endpoint,
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.endpoint,
        AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.endpoint,
        AWS_MAX_ATTEMPTS: '1',
        SUMMARY_TOPIC_ARN: TOPIC,
        CHAT_TOPIC_ARN: CHAT,
        LEDGER_TABLE: dynamo.tableName,
        ANALYZER_FUNCTION_NAME: ANALYZER,
      },
      async () => (await import('../../functions/doctor.ts')).handler,
    );
  }

  beforeEach(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    // The test server does not list subscriptions: the summary topic has a confirmed one.
    const send = SNSClient.prototype.send;
    vi.spyOn(SNSClient.prototype, 'send').mockImplementation(function (
      this: SNSClient,
      command: unknown,
      ...rest: unknown[]
    ) {
      if (command instanceof ListSubscriptionsByTopicCommand) {
        const confirmed = { Protocol: 'email', SubscriptionArn: `${TOPIC}:0a1b2c3d` };
        return Promise.resolve({ Subscriptions: [confirmed], $metadata: {} });
      }
      return (send as (...args: unknown[]) => Promise<unknown>).call(this, command, ...rest);
    } as never);
    dynamo = await startDynalite();
    sns = await startSnsServer({ topicArn: TOPIC, moreTopicArns: [CHAT] });
    const ours = {
      filterName: 'fsx-export-analyzer',
      destinationArn: `arn:aws:lambda:eu-west-1:123456789012:function:${ANALYZER}`,
    };
    logs = await startLogsServer({
      groups: { '/aws/fsx/lustre': { subscriptionFilters: [ours] } },
    });
    // Automatic export keeps up: the backlog check stays OK.
    cloudwatch = await startCloudWatchServer();
    cloudwatch.putBacklog(FS, new Date(Date.now() - 60_000), 30);
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await fsx?.stop();
    fsx = undefined;
    await logs.stop();
    await cloudwatch.stop();
    await sns.stop();
    await dynamo.stop();
  });

  it('sends the email and the chat alert when an association breaks, and both when it is fixed', async () => {
    // Act
    await (await coldStart('AVAILABLE'))({}, CONTEXT);
    await (await coldStart('MISCONFIGURED'))({}, CONTEXT);
    sns.inject({ operation: 'Publish', topicArn: CHAT, times: 1, kind: 'authorization-error' });
    await (await coldStart('AVAILABLE'))({}, CONTEXT);

    // Assess
    expect(sns.published.map((message) => message.topicArn)).toEqual([TOPIC, CHAT, TOPIC]);
    const chat = CustomNotificationSchema.parse(JSON.parse(sns.published[1]?.message ?? ''));
    expect(chat.content.title).toBe('🔴 FSx doctor: 1 new problem');
    expect(chat.metadata?.eventType).toBe('fsx-export-analyzer.doctor');
    expect(chat.content.nextSteps?.length).toBeGreaterThan(0);
  });
});

import { ListSubscriptionsByTopicCommand, SNSClient, type Subscription } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DoctorRunResult } from '../../../functions/doctor.ts';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.ts';
import { FS } from '../../helpers/fixtures.ts';
import {
  CONTEXT,
  coldStartWith,
  flat,
  LOCAL_CREDENTIALS,
  rejectionOf,
} from '../../helpers/lambda.ts';
import { type CloudWatchServer, startCloudWatchServer } from '../../servers/cloudwatch-server.ts';
import { type FsxServer, startFsxServer } from '../../servers/fsx-server.ts';
import { type LogsServer, startLogsServer } from '../../servers/logs-server.ts';
import { type SnsServer, startSnsServer } from '../../servers/sns-server.ts';

/*
 * The scheduled doctor through its handler, with the real SDK clients over HTTP: FSx and
 * CloudWatch Logs are the local test servers, DynamoDB is dynalite (the previous run's findings),
 * SNS the test server for Publish. The test server does not list subscriptions: the topic's are
 * answered in the SDK client (`topicSubscriptions`). Each run is a cold start against the FSx of
 * that moment, as hourly runs are in practice.
 */

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-failures';
const GROUP = '/aws/fsx/lustre';
const ANALYZER = 'fsx-export-analyzer-prod-analyzer';
const OURS = {
  filterName: 'fsx-export-analyzer',
  destinationArn: `arn:aws:lambda:eu-west-1:123456789012:function:${ANALYZER}`,
};
const DRA = { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets/' };
const CONFIRMED: Subscription = { Protocol: 'email', SubscriptionArn: `${TOPIC}:0a1b2c3d` };
const PENDING: Subscription = { Protocol: 'email', SubscriptionArn: 'PendingConfirmation' };

type Handler = (event: unknown, context: Context) => Promise<DoctorRunResult>;

describe('Function: doctor handler', () => {
  let dynamo: LocalDynamo;
  let sns: SnsServer;
  let logs: LogsServer;
  let fsx: FsxServer | undefined;
  let cloudwatch: CloudWatchServer;
  /** What ListSubscriptionsByTopic answers; every other SNS call goes to the test server. */
  let topicSubscriptions: Subscription[];
  /** The topics whose subscriptions were listed, in order. */
  let listed: (string | undefined)[];

  /** A cold start whose FSx holds one file system with an association in `lifecycle`. */
  async function coldStart(lifecycle: string): Promise<Handler> {
    await fsx?.stop();
    fsx = await startFsxServer({ region: 'eu-west-1' });
    fsx.addFileSystem(FS, [{ ...DRA, associationId: 'dra-0123456789abcdef0', lifecycle }]);
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
        LEDGER_TABLE: dynamo.tableName,
        ANALYZER_FUNCTION_NAME: ANALYZER,
      },
      async () => (await import('../../../functions/doctor.ts')).handler,
    );
  }

  beforeEach(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    topicSubscriptions = [CONFIRMED];
    listed = [];
    const send = SNSClient.prototype.send;
    vi.spyOn(SNSClient.prototype, 'send').mockImplementation(function (
      this: SNSClient,
      command: unknown,
      ...rest: unknown[]
    ) {
      if (command instanceof ListSubscriptionsByTopicCommand) {
        listed.push(command.input.TopicArn);
        return Promise.resolve({ Subscriptions: topicSubscriptions, $metadata: {} });
      }
      return (send as (...args: unknown[]) => Promise<unknown>).call(this, command, ...rest);
    } as never);
    dynamo = await startDynalite();
    sns = await startSnsServer({ topicArn: TOPIC });
    logs = await startLogsServer({ groups: { [GROUP]: { subscriptionFilters: [OURS] } } });
    // Automatic export keeps up unless a test says otherwise: 30 s behind, a minute ago.
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

  it('stays quiet while all is well, emails when an association breaks and when it is fixed', async () => {
    // Prepare
    const runs: DoctorRunResult[] = [];

    // Act
    runs.push(await (await coldStart('AVAILABLE'))({}, CONTEXT));
    runs.push(await (await coldStart('MISCONFIGURED'))({}, CONTEXT));
    runs.push(await (await coldStart('MISCONFIGURED'))({}, CONTEXT));
    runs.push(await (await coldStart('AVAILABLE'))({}, CONTEXT));

    // Assess
    expect(runs.map((run) => [run.problems, run.changes, run.published !== null])).toEqual([
      [0, 0, false],
      [1, 1, true],
      [1, 0, false],
      [0, 1, true],
    ]);
    expect(sns.published.map((message) => message.subject)).toEqual([
      `FSx doctor in eu-west-1: 1 new problem: ${FS} association`,
      'FSx doctor in eu-west-1: fixed, export failures are watched again',
    ]);
    expect(flat(sns.published[0]?.message)).toContain(
      `* ${FS} association: OK -> PROBLEM: dra-0123456789abcdef0 /ns1 -> s3://ml-archive/datasets/ is MISCONFIGURED; automatic export silently stops`,
    );
    expect(sns.published[0]?.message).toContain('aws fsx update-data-repository-association');
  });

  it('alerts on the first run when something is already wrong', async () => {
    // Prepare
    const handler = await coldStart('MISCONFIGURED');

    // Act
    const run = await handler({}, CONTEXT);

    // Assess
    expect(run).toMatchObject({ problems: 1, changes: 1 });
    expect(sns.published[0]?.message).toContain(`* ${FS} association: new -> PROBLEM: `);
  });

  it('keeps the change for the next run when the email cannot be sent', async () => {
    // Prepare
    await (await coldStart('AVAILABLE'))({}, CONTEXT);
    const broken = await coldStart('MISCONFIGURED');
    sns.inject({ operation: 'Publish', times: 1, kind: 'authorization-error' });

    // Act
    const failure = await rejectionOf(broken({}, CONTEXT));
    const retry = await (await coldStart('MISCONFIGURED'))({}, CONTEXT);

    // Assess
    expect((failure as Error).name).toBe('PublishError');
    expect(retry).toMatchObject({ changes: 1 });
    expect(sns.published).toHaveLength(1);
  });

  it('stays quiet when the associations cannot be listed once, and tells when it lasts', async () => {
    // Prepare
    await (await coldStart('MISCONFIGURED'))({}, CONTEXT);
    const throttled = async (): Promise<DoctorRunResult> => {
      const handler = await coldStart('MISCONFIGURED');
      fsx?.inject({
        operation: 'DescribeDataRepositoryAssociations',
        times: 1,
        kind: 'throttle',
      });
      return handler({}, CONTEXT);
    };

    // Act
    const once = await throttled();
    const back = await (await coldStart('MISCONFIGURED'))({}, CONTEXT);
    const first = await throttled();
    const second = await throttled();

    // Assess
    expect([once, back, first, second].map((run) => run.changes)).toEqual([0, 0, 0, 1]);
    expect(sns.published.map((message) => message.subject)).toEqual([
      `FSx doctor in eu-west-1: 1 new problem: ${FS} association`,
      `FSx doctor in eu-west-1: 1 new problem: ${FS} associations`,
    ]);
    expect(flat(sns.published[1]?.message)).toContain(
      `* ${FS} associations: new -> UNKNOWN: could not check the data repository associations`,
    );
  });

  it('tells when the analyzer is no longer subscribed to the log group', async () => {
    // Prepare
    await (await coldStart('AVAILABLE'))({}, CONTEXT);
    await logs.stop();
    logs = await startLogsServer({ groups: { [GROUP]: { subscriptionFilters: [] } } });

    // Act
    const run = await (await coldStart('AVAILABLE'))({}, CONTEXT);

    // Assess
    expect(run).toMatchObject({ problems: 1, changes: 1 });
    expect(sns.published[0]?.subject).toBe(
      `FSx doctor in eu-west-1: 1 new problem: ${FS} subscription`,
    );
  });

  it('tells once when the topic has no confirmed subscription left, and when it has one again', async () => {
    // Prepare
    await (await coldStart('AVAILABLE'))({}, CONTEXT);
    topicSubscriptions = [PENDING];

    // Act
    const lost = await (await coldStart('AVAILABLE'))({}, CONTEXT);
    const still = await (await coldStart('AVAILABLE'))({}, CONTEXT);
    topicSubscriptions = [CONFIRMED, PENDING];
    const back = await (await coldStart('AVAILABLE'))({}, CONTEXT);

    // Assess
    expect(listed).toEqual([TOPIC, TOPIC, TOPIC, TOPIC]);
    expect([lost, still, back].map((run) => [run.problems, run.changes])).toEqual([
      [1, 1],
      [1, 0],
      [0, 1],
    ]);
    expect(sns.published.map((message) => message.subject)).toEqual([
      'FSx doctor in eu-west-1: 1 new problem: (all) topic',
      'FSx doctor in eu-west-1: fixed, export failures are watched again',
    ]);
    expect(flat(sns.published[0]?.message)).toContain(
      '* (all) topic: OK -> PROBLEM: summary topic fsx-export-failures has no confirmed subscription',
    );
    expect(sns.published[0]?.message).toContain(
      `aws sns confirm-subscription --region eu-west-1 --topic-arn ${TOPIC} --token <token> --authenticate-on-unsubscribe true`,
    );
  });

  it('emails when the export backlog passes the threshold, and again when it clears', async () => {
    // Prepare: 30 s behind; then two hours; then caught up.
    const runs: DoctorRunResult[] = [];
    const ago = (ms: number) => new Date(Date.now() - ms);

    // Act
    runs.push(await (await coldStart('AVAILABLE'))({}, CONTEXT));
    cloudwatch.putBacklog(FS, ago(30_000), 7_200);
    runs.push(await (await coldStart('AVAILABLE'))({}, CONTEXT));
    cloudwatch.putBacklog(FS, ago(10_000), 12);
    runs.push(await (await coldStart('AVAILABLE'))({}, CONTEXT));

    // Assess
    expect(runs.map((run) => [run.problems, run.changes, run.published !== null])).toEqual([
      [0, 0, false],
      [1, 1, true],
      [0, 1, true],
    ]);
    expect(sns.published.map((message) => message.subject)).toEqual([
      `FSx doctor in eu-west-1: 1 new problem: ${FS} backlog`,
      'FSx doctor in eu-west-1: export backlog cleared, automatic export keeps up',
    ]);
    expect(flat(sns.published[0]?.message)).toContain(
      `* ${FS} backlog: OK -> PROBLEM: automatic export is behind: the oldest change not yet exported to S3 is 2 h old`,
    );
    expect(sns.published[0]?.message).toContain(`fsx-export-analyzer scan --file-system-id ${FS}`);
    expect(flat(sns.published[1]?.message)).toContain(`* ${FS} backlog: PROBLEM -> OK`);
    expect(cloudwatch.calls.map((call) => call.operation)).toEqual([
      'GetMetricData',
      'GetMetricData',
      'GetMetricData',
    ]);
  });

  it.each([
    [
      'denied',
      { type: 'AccessDeniedException', message: 'not authorized' },
      'Grant cloudwatch:GetMetricData',
    ],
    ['throttled', 'throttle', 'Run doctor again'],
  ] as const)(
    'says "backlog unknown" when CloudWatch is %s two runs in a row, and still emails',
    async (_name, kind, fix) => {
      // Prepare
      cloudwatch.inject({ operation: 'GetMetricData', times: Number.POSITIVE_INFINITY, kind });

      // Act
      const first = await (await coldStart('AVAILABLE'))({}, CONTEXT);
      const second = await (await coldStart('AVAILABLE'))({}, CONTEXT);

      // Assess: quiet after one failed read (a hiccup), told after two.
      expect([first.changes, second.changes, second.problems]).toEqual([0, 1, 1]);
      expect(sns.published).toHaveLength(1);
      expect(sns.published[0]?.subject).toBe(
        `FSx doctor in eu-west-1: 1 new problem: ${FS} backlog`,
      );
      const body = flat(sns.published[0]?.message);
      expect(body).toContain(
        `* ${FS} backlog: new -> UNKNOWN: backlog unknown: could not read AgeOfOldestQueuedMessage`,
      );
      expect(body).toContain(fix);
    },
  );
});

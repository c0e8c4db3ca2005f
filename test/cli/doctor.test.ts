import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListSubscriptionsByTopicCommand, SNSClient, type Subscription } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { fakeIo } from '../helpers/cli.ts';
import { FS } from '../helpers/fixtures.ts';
import { type CloudWatchServer, startCloudWatchServer } from '../servers/cloudwatch-server.ts';
import { type FsxServer, startFsxServer } from '../servers/fsx-server.ts';
import { type LogGroupSeed, type LogsServer, startLogsServer } from '../servers/logs-server.ts';

// The real FSxClient and CloudWatchLogsClient of `doctor`, pointed at the local FSx and
// CloudWatch Logs servers through the standard AWS settings, as an operator's shell would. The
// topic's subscriptions are answered in the SNS client (`listTopic`): no local SNS lists them.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GROUP = '/aws/fsx/lustre';
const ANALYZER = 'arn:aws:lambda:us-east-1:123456789012:function:fsx-export-analyzer-prod-analyzer';
const OURS = { filterName: 'fsx-export-analyzer', destinationArn: ANALYZER, filterPattern: '' };
const DRA = { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets/' };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface JsonFinding {
  readonly fileSystemId: string;
  readonly check: string;
  readonly severity: string;
  readonly detail: string;
  readonly fix: string | null;
  readonly commands: string[];
}

let fsx: FsxServer;
let logs: LogsServer | undefined;
let cloudwatch: CloudWatchServer;

/** Starts the logs server with these groups (the FSx server is started for every test). */
async function logGroups(groups: Record<string, LogGroupSeed>): Promise<LogsServer> {
  logs = await startLogsServer({ groups });
  vi.stubEnv('AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', logs.endpoint);
  return logs;
}

function awsEnv(): Record<string, string> {
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
  };
}

/** Runs `fsx-export-analyzer doctor ...args` in this process, as main does. */
async function doctor(...args: string[]): Promise<Run> {
  return doctorWith({}, ...args);
}

/** `doctor` with more settings in its environment. */
async function doctorWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const io = fakeIo({ env: { ...awsEnv(), ...env } });
  const code = await main(['doctor', ...args], io);
  return { code, stdout: io.out.join(''), stderr: io.err.join('') };
}

function findings(run: Run): JsonFinding[] {
  return (JSON.parse(run.stdout) as { findings: JsonFinding[] }).findings;
}

/**
 * Answers ListSubscriptionsByTopic with `subscriptions` in every SNSClient; returns the topic and
 * the Region of each call.
 */
function listTopic(subscriptions: Subscription[]): { topicArn?: string; region: string }[] {
  const seen: { topicArn?: string; region: string }[] = [];
  vi.spyOn(SNSClient.prototype, 'send').mockImplementation(async function (
    this: SNSClient,
    command: unknown,
  ) {
    if (!(command instanceof ListSubscriptionsByTopicCommand)) throw new Error('unexpected call');
    const topicArn = command.input.TopicArn;
    seen.push({
      ...(topicArn === undefined ? {} : { topicArn }),
      region: await this.config.region(),
    });
    return { Subscriptions: subscriptions, $metadata: {} };
  } as never);
  return seen;
}

describe('doctor against local FSx and CloudWatch Logs', () => {
  beforeEach(async () => {
    fsx = await startFsxServer({ region: 'us-east-1' });
    for (const [name, value] of Object.entries(awsEnv())) vi.stubEnv(name, value);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_ENDPOINT_URL', undefined);
    vi.stubEnv('AWS_ENDPOINT_URL_FSX', fsx.endpoint);
    // The export backlog of FS: 30 s, a minute ago (automatic export keeps up).
    cloudwatch = await startCloudWatchServer();
    cloudwatch.putBacklog(FS, new Date(Date.now() - 60_000), 30);
    vi.stubEnv('AWS_ENDPOINT_URL_CLOUDWATCH', cloudwatch.endpoint);
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await fsx.stop();
    await cloudwatch.stop();
    await logs?.stop();
    logs = undefined;
  });

  it('finds nothing to fix on a watched file system and exits 0', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA]);
    await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });

    // Act
    const run = await doctor();

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      'doctor: 1 FSx for Lustre file system in us-east-1; 4 OK; watching: nothing to fix',
    );
    expect(run.stdout).toMatch(
      /fs-0123456789abcdef0 subscription OK {6}\/aws\/fsx\/lustre is subscribed/,
    );
    expect(run.stdout).not.toContain('How to fix');
    expect(run.stderr).toContain('doctor: 1 FSx for Lustre file system(s); reading associations');
    expect(logs?.calls.map((call) => call.input)).toEqual([{ logGroupName: GROUP, limit: 50 }]);
  });

  it('reports logging that is off with the update-file-system command, exit 1', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA], { logConfiguration: null });
    await logGroups({});

    // Act
    const run = await doctor('--json');

    // Assess
    expect(run.code).toBe(1);
    expect(findings(run).find((item) => item.check === 'logging')).toMatchObject({
      severity: 'PROBLEM',
      commands: [
        `aws fsx update-file-system --region us-east-1 --file-system-id ${FS} --lustre-configuration ` +
          "'LogConfiguration={Level=WARN_ERROR}'",
      ],
    });
    expect(logs?.calls).toEqual([]);
  });

  it('reports WARN_ONLY logging as a problem and still checks its log group', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA], {
      logConfiguration: {
        Level: 'WARN_ONLY',
        Destination: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/fsx/training',
      },
    });
    await logGroups({ '/aws/fsx/training': { subscriptionFilters: [OURS] } });

    // Act
    const run = await doctor('--json');

    // Assess
    expect(run.code).toBe(1);
    expect(findings(run).map((item) => [item.check, item.severity])).toEqual([
      ['logging', 'PROBLEM'],
      ['subscription', 'OK'],
      ['association', 'OK'],
      ['backlog', 'OK'],
    ]);
    expect(findings(run)[0]?.detail).toContain('export failures are ERROR events');
  });

  it('reports a log group without our subscription filter', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA]);
    await logGroups({
      [GROUP]: {
        subscriptionFilters: [
          {
            filterName: 'forwarder',
            destinationArn: 'arn:aws:lambda:us-east-1:123456789012:function:log-forwarder',
          },
        ],
      },
    });

    // Act
    const run = await doctor();

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('PROBLEM /aws/fsx/lustre has no subscription to the analyzer');
    // The detail column wraps; joined again, it names the filter that is there.
    expect(run.stdout.replace(/\n +/g, ' ')).toContain('(it has: log-forwarder)');
    expect(run.stdout).toContain('How to fix:');
    expect(run.stdout).toContain(
      'aws logs put-subscription-filter --region us-east-1 --log-group-name /aws/fsx/lustre',
    );
  });

  it('accepts the filter of the function named by --function', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA]);
    await logGroups({
      [GROUP]: {
        subscriptionFilters: [
          {
            filterName: 'custom',
            destinationArn: 'arn:aws:lambda:us-east-1:123456789012:function:my-analyzer',
          },
        ],
      },
    });

    // Act
    const run = await doctor('--function', 'my-analyzer');

    // Assess
    expect(run.code).toBe(0);
  });

  it('reports a log group that does not exist', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA]);
    await logGroups({});

    // Act
    const run = await doctor('--json');

    // Assess
    expect(run.code).toBe(1);
    expect(findings(run).find((item) => item.check === 'subscription')).toMatchObject({
      severity: 'PROBLEM',
      detail: expect.stringContaining('log group /aws/fsx/lustre does not exist'),
      commands: expect.arrayContaining([
        'aws logs create-log-group --region us-east-1 --log-group-name /aws/fsx/lustre',
      ]),
    });
  });

  it('reports a MISCONFIGURED association with its failure message', async () => {
    // Prepare
    fsx.addFileSystem(FS, [
      {
        ...DRA,
        associationId: 'dra-0123456789abcdef0',
        lifecycle: 'MISCONFIGURED',
        failureMessage: 'Amazon FSx does not have permission to access the S3 bucket',
      },
      {
        fileSystemPath: '/ns2',
        dataRepositoryPath: 's3://ml-archive/checkpoints/',
        autoExportEvents: [],
      },
    ]);
    await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });

    // Act
    const run = await doctor('--json');

    // Assess
    expect(run.code).toBe(1);
    const associations = findings(run).filter((item) => item.check === 'association');
    expect(associations.map((item) => item.severity)).toEqual(['PROBLEM', 'WARN']);
    expect(associations[0]?.detail).toBe(
      'dra-0123456789abcdef0 /ns1 -> s3://ml-archive/datasets/ is MISCONFIGURED: Amazon FSx does ' +
        'not have permission to access the S3 bucket; automatic export silently stops',
    );
    expect(associations[1]?.detail).toContain('automatic export is off for this association');
  });

  it('pages through file systems and checks only the Lustre ones', async () => {
    // Prepare
    await fsx.stop();
    fsx = await startFsxServer({ region: 'us-east-1', maxPageSize: 1 });
    vi.stubEnv('AWS_ENDPOINT_URL_FSX', fsx.endpoint);
    fsx.addFileSystem(FS, [DRA]);
    fsx.addFileSystem('fs-0aaaaaaaaaaaaaaaa', [], { fileSystemType: 'WINDOWS' });
    fsx.addFileSystem('fs-0fedcba9876543210', [], { lifecycle: 'CREATING' });
    await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });

    // Act
    const run = await doctor('--json');

    // Assess
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as { fileSystems: number };
    expect(document.fileSystems).toBe(2);
    expect(fsx.calls.filter((call) => call.operation === 'DescribeFileSystems')).toHaveLength(3);
    expect(findings(run).map((item) => [item.fileSystemId, item.check, item.severity])).toEqual([
      [FS, 'logging', 'OK'],
      [FS, 'subscription', 'OK'],
      [FS, 'association', 'OK'],
      [FS, 'backlog', 'OK'],
      ['fs-0fedcba9876543210', 'file-system', 'NOTE'],
      ['fs-0fedcba9876543210', 'logging', 'OK'],
      ['fs-0fedcba9876543210', 'subscription', 'OK'],
      ['fs-0fedcba9876543210', 'associations', 'NOTE'],
    ]);
  });

  it('writes one JSON document with stable field names', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA], { name: 'training' });
    await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });

    // Act
    const run = await doctor('--json', '--file-system-id', FS);

    // Assess
    const document = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(document).toEqual({
      region: 'us-east-1',
      fileSystems: 1,
      names: { [FS]: 'training' },
      healthy: true,
      counts: { OK: 4, NOTE: 0, WARN: 0, PROBLEM: 0, UNKNOWN: 0 },
      findings: [
        {
          key: `${FS}|logging|${FS}`,
          fileSystemId: FS,
          check: 'logging',
          subject: FS,
          severity: 'OK',
          detail: 'logging WARN_ERROR to /aws/fsx/lustre',
          fix: null,
          commands: [],
        },
        expect.objectContaining({ check: 'subscription', subject: GROUP }),
        expect.objectContaining({ check: 'association' }),
        expect.objectContaining({ check: 'backlog', severity: 'OK', commands: [] }),
      ],
    });
    expect(fsx.calls[0]?.input).toEqual({ FileSystemIds: [FS] });
  });

  it('names an unknown --file-system-id in one line, exit 2', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA]);
    await logGroups({});

    // Act
    const run = await doctor('--file-system-id', 'fs-0ffffffffffffffff');

    // Assess
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: 'fsx-export-analyzer: file system fs-0ffffffffffffffff not found in us-east-1\n',
    });
  });

  it('stops in one line naming the permission when file systems cannot be listed, exit 2', async () => {
    // Prepare
    fsx.inject({
      operation: 'DescribeFileSystems',
      times: 1,
      kind: { type: 'AccessDeniedException', message: 'User is not authorized', status: 400 },
    });
    await logGroups({});

    // Act
    const run = await doctor();

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'fsx-export-analyzer: cannot list FSx file systems in us-east-1: AccessDeniedException: ' +
        'User is not authorized (needs fsx:DescribeFileSystems)\n',
    );
  });

  it('turns a denied subscription lookup into UNKNOWN and keeps checking', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA]);
    const server = await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });
    server.inject({
      operation: 'DescribeSubscriptionFilters',
      times: 1,
      kind: { type: 'AccessDeniedException', message: 'not authorized', status: 400 },
    });

    // Act
    const run = await doctor('--json');

    // Assess
    expect(run.code).toBe(1);
    expect(findings(run).map((item) => item.severity)).toEqual(['OK', 'UNKNOWN', 'OK', 'OK']);
    expect(findings(run)[1]?.detail).toBe(
      'could not check the subscription of /aws/fsx/lustre: AccessDeniedException: not authorized ' +
        '(needs logs:DescribeSubscriptionFilters)',
    );
    expect(findings(run)[1]?.fix).toBe(
      'Grant logs:DescribeSubscriptionFilters to the identity running doctor, then run it again.',
    );
  });

  it('says so when the Region has no FSx for Lustre file system, exit 1', async () => {
    // Prepare
    fsx.addFileSystem('fs-0aaaaaaaaaaaaaaaa', [], { fileSystemType: 'ONTAP' });
    await logGroups({});

    // Act
    const run = await doctor();

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      'No FSx for Lustre file systems in us-east-1: is this the right Region (--region)?',
    );
  });

  it.each([
    [['--file-system-id', 'fs-1'], '--file-system-id must look like fs-0123456789abcdef0'],
    [['--function', 'not a name'], '--function must be a Lambda function name or ARN'],
    [['--region', 'Mars'], '--region needs a Region name such as eu-west-1 (got "Mars")'],
    [
      ['--topic-arn', 'arn:aws:sqs:us-east-1:123456789012:queue'],
      '--topic-arn must be an SNS topic ARN',
    ],
    [['extra'], 'unexpected argument "extra"'],
    [['--bogus'], 'fsx-export-analyzer: unknown option "--bogus"\n'],
  ])('refuses %j with exit 2', async (args, message) => {
    // Act
    const run = await doctor(...args);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('Try "fsx-export-analyzer doctor --help".');
    expect(fsx.calls).toEqual([]);
  });

  it("reports a --topic-arn with no confirmed subscription, read in the topic's Region", async () => {
    // Prepare
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-analyzer-prod-summary';
    fsx.addFileSystem(FS, [DRA]);
    await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });
    const seen = listTopic([{ Protocol: 'email', SubscriptionArn: 'PendingConfirmation' }]);

    // Act
    const run = await doctor('--json', '--topic-arn', topicArn);

    // Assess
    expect(run.code).toBe(1);
    expect(seen).toEqual([{ topicArn, region: 'eu-west-1' }]);
    expect(findings(run).at(-1)).toMatchObject({
      fileSystemId: '(all)',
      check: 'topic',
      severity: 'PROBLEM',
      commands: [
        `aws sns confirm-subscription --region eu-west-1 --topic-arn ${topicArn} --token <token> ` +
          '--authenticate-on-unsubscribe true',
      ],
    });
  });

  it('checks the topic of SUMMARY_TOPIC_ARN when no --topic-arn is given', async () => {
    // Prepare
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:fsx-export-analyzer-prod-summary';
    fsx.addFileSystem(FS, [DRA]);
    await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });
    const seen = listTopic([{ Protocol: 'email', SubscriptionArn: `${topicArn}:0a1b` }]);

    // Act
    const run = await doctorWith({ SUMMARY_TOPIC_ARN: topicArn });

    // Assess
    expect(run.code).toBe(0);
    expect(seen).toEqual([{ topicArn, region: 'us-east-1' }]);
    expect(run.stdout).toContain('5 OK; watching: nothing to fix');
    expect(run.stdout).toContain(
      '(all)                topic        OK      summary topic fsx-export-analyzer-prod-summary has',
    );
  });

  it('refuses a SUMMARY_TOPIC_ARN that is not a topic ARN, exit 2', async () => {
    // Act
    const run = await doctorWith({ SUMMARY_TOPIC_ARN: 'fsx-export-failures' });

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('SUMMARY_TOPIC_ARN must be an SNS topic ARN');
    expect(fsx.calls).toEqual([]);
  });

  it('reports a backlog past --backlog-threshold as a PROBLEM with where to look, exit 1', async () => {
    // Prepare: 45 minutes behind, against a 30-minute threshold.
    fsx.addFileSystem(FS, [DRA]);
    await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });
    cloudwatch.putBacklog(FS, new Date(Date.now() - 10_000), 2_700);

    // Act
    const run = await doctor('--json', '--backlog-threshold', '30m');

    // Assess
    expect(run.code).toBe(1);
    const backlog = findings(run).find((item) => item.check === 'backlog');
    expect(backlog).toMatchObject({ severity: 'PROBLEM' });
    expect(backlog?.detail).toContain(
      'automatic export is behind: the oldest change not yet exported to S3 is 45 min old',
    );
    expect(backlog?.detail).toContain('threshold 30 min');
    expect(backlog?.commands[0]).toBe(
      `fsx-export-analyzer scan --file-system-id ${FS} --since 6h --region us-east-1`,
    );
    expect(cloudwatch.calls[0]?.input).toMatchObject({
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'b0',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/FSx',
              MetricName: 'AgeOfOldestQueuedMessage',
              Dimensions: [
                { Name: 'FileSystemId', Value: FS },
                { Name: 'Publisher', Value: 'AutoExport' },
              ],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
      ],
    });
  });

  it('says "backlog unknown" with the permission to grant when GetMetricData is denied', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA]);
    await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });
    cloudwatch.inject({
      operation: 'GetMetricData',
      times: 1,
      kind: {
        type: 'AccessDeniedException',
        message: 'User is not authorized to perform: cloudwatch:GetMetricData',
      },
    });

    // Act
    const run = await doctor();

    // Assess: everything else is still checked.
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('3 OK, 1 UNKNOWN');
    expect(run.stdout).toContain('backlog      UNKNOWN backlog unknown');
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      'Grant cloudwatch:GetMetricData to the identity running doctor',
    );
  });

  it.each(['0m', '8d', 'soon'])('refuses --backlog-threshold %s with exit 2', async (value) => {
    // Act
    const run = await doctor('--backlog-threshold', value);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--backlog-threshold must be a duration from 1m to 7d');
  });

  it('runs from the built binary with the standard AWS endpoint settings', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA], { logConfiguration: { Level: 'WARN_ONLY' } });
    const server = await logGroups({ [GROUP]: { subscriptionFilters: [OURS] } });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      ...awsEnv(),
      AWS_ENDPOINT_URL_FSX: fsx.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: server.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.endpoint,
    };

    // Act
    const run = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, 'dist', 'cli.js'), 'doctor'],
        { cwd: ROOT, env },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
          resolve({ code, stdout, stderr });
        },
      );
    });

    // Assess
    expect(run.stderr).not.toContain('unexpected error');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('fs-0123456789abcdef0 logging      PROBLEM logging WARN_ONLY');
    expect(run.stdout).toContain('subscription OK');
    expect(server.calls).toHaveLength(1);
  });
});

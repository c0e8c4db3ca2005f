import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  allStatements,
  osls,
  packageInto,
  type Run,
  readTemplate,
  resource,
  resourceSpecs,
  resourcesOfType,
  specProblems,
  substitute,
  type Template,
  zipEntries,
} from './osls.ts';

// These tests package the real serverless.yml with osls, offline and without AWS credentials,
// and read the CloudFormation template it generates. The bundle comes from the global setup's
// build (dist/), as `npm run package` would build it.

const TOPIC = { Ref: 'SummaryTopic' };
const QUEUE_ARN = { 'Fn::GetAtt': ['AnalyzerFailureQueue', 'Arn'] };
const FUNCTION_ARN = { 'Fn::GetAtt': ['AnalyzerLambdaFunction', 'Arn'] };
const PSEUDO_PARAMETERS = ['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix'];
const ALARMS = {
  AnalyzerErrorsAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
  AnalyzerThrottlesAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Throttles' },
  AnalyzerDurationAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Duration' },
  AnalyzerFailureQueueAlarm: {
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
  },
  AnalyzerUnparseableAlarm: { Namespace: 'FsxExportAnalyzer', MetricName: 'Unparseable' },
  AnalyzerReexportsRefusedAlarm: {
    Namespace: 'FsxExportAnalyzer',
    MetricName: 'ReexportsRefused',
  },
} as const;

/** The second configuration: two log groups, two file systems, an email, a longer timeout. */
const CUSTOM_ARGS = [
  '--stage',
  'ci',
  '--region',
  'eu-west-1',
  '--param=logGroups=/aws/fsx/lustre,/aws/fsx/scratch-team',
  '--param=fileSystemIds=fs-0123456789abcdef0,fs-0fedcba9876543210',
  '--param=notificationEmail=ops@example.com',
  '--param=timeout=120',
];

let workDir: string;
let defaults: Template;
let custom: Template;
let defaultRun: Run;
let customRun: Run;
let ownGroupRun: Run;
let invokeRun: Run;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fsx-export-analyzer-stack-'));
  // One `osls package` at a time: each empties and rewrites the repository's .serverless/
  // before moving its output. `invoke local` packages nothing, so it runs alongside.
  const packages = (async (): Promise<[Run, Run, Run]> => {
    const first = await packageInto(join(workDir, 'default'));
    const second = await packageInto(join(workDir, 'custom'), CUSTOM_ARGS);
    const third = await packageInto(join(workDir, 'own-group'), [
      '--stage',
      'ci',
      '--param=logGroups=/aws/fsx/lustre,/aws/lambda/fsx-export-analyzer-ci-analyzer',
    ]);
    return [first, second, third];
  })();
  const invoke = osls([
    'invoke',
    'local',
    '-f',
    'analyzer',
    '-p',
    'samples/events/prod-lustre-cfd.json',
    '-e',
    'DRY_RUN=true',
  ]);
  [[defaultRun, customRun, ownGroupRun], invokeRun] = await Promise.all([packages, invoke]);
  if (defaultRun.code !== 0) throw new Error(`osls package failed:\n${defaultRun.output}`);
  if (customRun.code !== 0) throw new Error(`osls package failed:\n${customRun.output}`);
  defaults = await readTemplate(join(workDir, 'default'));
  custom = await readTemplate(join(workDir, 'custom'));
}, 180_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('Stack: osls package', () => {
  it('packages the handler it names, the bundle and its source map, nothing else', async () => {
    // Prepare
    const zip = await readFile(join(workDir, 'default', 'analyzer.zip'));
    const lambda = resource(defaults, 'AnalyzerLambdaFunction');

    // Act
    const entries = zipEntries(zip).sort();

    // Assess
    expect(lambda.Properties?.['Handler']).toBe('infra/lambda/analyzer.handler');
    expect(entries).toEqual([
      'dist/lambda/analyzer.mjs',
      'dist/lambda/analyzer.mjs.map',
      'infra/lambda/analyzer.js',
      'infra/lambda/package.json',
    ]);
  });

  it('matches the CloudFormation resource specification: types, properties, attributes, refs', () => {
    // Prepare
    const specs = resourceSpecs();

    // Act
    const problems = [...specProblems(defaults, specs), ...specProblems(custom, specs)];

    // Assess
    expect(problems).toEqual([]);
    expect(Object.keys(defaults.Resources).length).toBeGreaterThanOrEqual(22);
  });

  it('runs the function on nodejs22.x or newer, on arm64, with the sized memory and timeout', () => {
    // Prepare
    const lambda = resource(defaults, 'AnalyzerLambdaFunction');

    // Act
    const runtime = String(lambda.Properties?.['Runtime']);
    const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1]);

    // Assess
    expect(major).toBeGreaterThanOrEqual(22);
    expect(lambda.Properties?.['Architectures']).toEqual(['arm64']);
    expect(lambda.Properties?.['MemorySize']).toBe(512);
    expect(lambda.Properties?.['Timeout']).toBe(60);
    expect(resource(custom, 'AnalyzerLambdaFunction').Properties?.['Timeout']).toBe(120);
  });

  it('subscribes one filter with the empty pattern per configured log group', () => {
    // Prepare
    const expected = {
      defaults: ['/aws/fsx/lustre'],
      custom: ['/aws/fsx/lustre', '/aws/fsx/scratch-team'],
    };

    // Act
    const filters = (template: Template) =>
      resourcesOfType(template, 'AWS::Logs::SubscriptionFilter').map(([, filter]) => ({
        group: filter.Properties?.['LogGroupName'],
        pattern: filter.Properties?.['FilterPattern'],
        destination: filter.Properties?.['DestinationArn'],
      }));

    // Assess
    for (const [template, groups] of [
      [defaults, expected.defaults],
      [custom, expected.custom],
    ] as const) {
      expect(filters(template)).toEqual(
        groups.map((group) => ({ group, pattern: '', destination: FUNCTION_ARN })),
      );
    }
  });

  it("never subscribes the function's own log group, nor lets any non-FSx group invoke it", () => {
    // Prepare
    const templates = [defaults, custom];

    // Act
    const checks = templates.map((template) => {
      const ownGroup = resource(template, 'AnalyzerLogGroup').Properties?.['LogGroupName'];
      const subscribed = resourcesOfType(template, 'AWS::Logs::SubscriptionFilter').map(
        ([, filter]) => String(filter.Properties?.['LogGroupName']),
      );
      const permission = resourcesOfType(template, 'AWS::Lambda::Permission').map(([, grant]) =>
        JSON.stringify(grant.Properties?.['SourceArn']),
      );
      return { ownGroup, subscribed, permission };
    });

    // Assess
    for (const { ownGroup, subscribed, permission } of checks) {
      expect(ownGroup).toMatch(/^\/aws\/lambda\/fsx-export-analyzer-(dev|ci)-analyzer$/);
      expect(subscribed).not.toContain(ownGroup);
      for (const group of subscribed) expect(group).toMatch(/^\/aws\/fsx\//);
      expect(permission).toHaveLength(1);
      expect(permission[0]).toMatch(/":log-group:","\/aws\/fsx\//);
    }
    expect(ownGroupRun.code).not.toBe(0);
    expect(ownGroupRun.output).toContain(
      "Parameter logGroups must not contain the analyzer's own log group " +
        '/aws/lambda/fsx-export-analyzer-ci-analyzer',
    );
  });

  it('keeps every function environment value a plain string, the topic ARN only in the template', async () => {
    // Prepare
    const state = JSON.parse(
      await readFile(join(workDir, 'default', 'serverless-state.json'), 'utf8'),
    ) as { service: { functions: { analyzer: { environment: Record<string, unknown> } } } };

    // Act
    const configured = state.service.functions.analyzer.environment;
    const deployed = resource(defaults, 'AnalyzerLambdaFunction').Properties?.['Environment'];

    // Assess
    for (const value of Object.values(configured)) expect(typeof value).toBe('string');
    expect(configured).not.toHaveProperty('SUMMARY_TOPIC_ARN');
    expect(deployed).toEqual({
      Variables: { ...configured, SUMMARY_TOPIC_ARN: TOPIC },
    });
    expect(configured).toMatchObject({
      DRY_RUN: 'false',
      POWERTOOLS_SERVICE_NAME: 'fsx-export-analyzer-dev',
      POWERTOOLS_METRICS_NAMESPACE: 'FsxExportAnalyzer',
    });
  });

  it('encrypts the topic with a customer managed key that CloudWatch alarms may use', () => {
    // Prepare
    const topic = resource(defaults, 'SummaryTopic');
    const key = resource(defaults, 'AnalyzerKey');

    // Act
    const keyStatements = allStatements(key.Properties?.['KeyPolicy']);

    // Assess
    expect(topic.Properties?.['KmsMasterKeyId']).toEqual({ Ref: 'AnalyzerKey' });
    expect(key.Properties?.['EnableKeyRotation']).toBe(true);
    expect(keyStatements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      }),
    );
  });

  it('subscribes the notification email only when one is given', () => {
    // Prepare
    const condition = (template: Template) => template.Conditions?.['HasNotificationEmail'];

    // Act
    const subscription = resource(custom, 'SummaryEmailSubscription');

    // Assess
    expect(subscription.Condition).toBe('HasNotificationEmail');
    expect(subscription.Properties).toMatchObject({
      TopicArn: TOPIC,
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    expect(condition(custom)).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['ops@example.com', ''] }] });
    expect(condition(defaults)).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it('keeps batches that fail every attempt in an encrypted queue', () => {
    // Prepare
    const queue = resource(defaults, 'AnalyzerFailureQueue');

    // Act
    const invokeConfigs = resourcesOfType(defaults, 'AWS::Lambda::EventInvokeConfig');

    // Assess
    expect(
      queue.Properties?.['SqsManagedSseEnabled'] === true ||
        queue.Properties?.['KmsMasterKeyId'] !== undefined,
    ).toBe(true);
    expect(queue.Properties?.['MessageRetentionPeriod']).toBe(1_209_600);
    expect(invokeConfigs).toHaveLength(1);
    expect(invokeConfigs[0]?.[1].Properties).toEqual({
      FunctionName: { Ref: 'AnalyzerLambdaFunction' },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21_600,
      DestinationConfig: { OnFailure: { Destination: QUEUE_ARN } },
    });
  });

  it('grants no "*" or service-wide wildcard action in any policy of the stack', () => {
    // Prepare
    const statements = [...allStatements(defaults), ...allStatements(custom)];

    // Act
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    const denies = statements.filter((statement) => statement.Effect !== 'Allow');

    // Assess
    expect(allows.length).toBeGreaterThan(10);
    for (const statement of statements) expect(statement.NotAction).toBeUndefined();
    for (const action of allows.flatMap(actionsOf)) {
      expect(action).not.toBe('*');
      expect(action).not.toMatch(/^[A-Za-z0-9-]+:\*$/);
    }
    // A wide Deny only takes away: osls's deployment bucket refuses every s3:* call that is
    // not over TLS. Every Deny of the stack is of that kind.
    for (const statement of denies) {
      expect(statement).toMatchObject({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': false } },
      });
    }
  });

  it('gives the analyzer its own role with only the calls it makes, on their resources', () => {
    // Prepare
    const role = resource(custom, 'AnalyzerRole');

    // Act
    const statements = allStatements(role.Properties?.['Policies']);
    const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
    const arn = (resource: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:fsx:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
    });

    // Assess
    expect(resource(custom, 'AnalyzerLambdaFunction').Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['AnalyzerRole', 'Arn'],
    });
    expect(custom.Resources).not.toHaveProperty('IamRoleLambdaExecution');
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'fsx:CreateDataRepositoryTask',
      'fsx:DescribeDataRepositoryAssociations',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sns:Publish',
      'sqs:SendMessage',
    ]);
    expect(bySid['StartExportTasks']?.Resource).toEqual([
      arn('file-system/fs-0123456789abcdef0'),
      arn('file-system/fs-0fedcba9876543210'),
      arn('task/*'),
    ]);
    expect(bySid['PublishSummary']?.Resource).toEqual(TOPIC);
    expect(bySid['UseTopicKey']?.Resource).toEqual({ 'Fn::GetAtt': ['AnalyzerKey', 'Arn'] });
    expect(bySid['KeepFailedBatches']?.Resource).toEqual(QUEUE_ARN);
    expect(bySid['WriteOwnLogs']?.Resource).toEqual({
      'Fn::GetAtt': ['AnalyzerLogGroup', 'Arn'],
    });
    // "*" only where the API takes no resource ARN.
    const unscoped = statements.filter((statement) => statement.Resource === '*');
    expect(unscoped.flatMap(actionsOf)).toEqual(['fsx:DescribeDataRepositoryAssociations']);
    expect(
      allStatements(resource(defaults, 'AnalyzerRole').Properties?.['Policies']).find(
        (statement) => statement.Sid === 'StartExportTasks',
      )?.Resource,
    ).toEqual([arn('file-system/*'), arn('task/*')]);
  });

  it('alarms to the topic on errors, throttles, duration, failed batches, unparseable records and refused re-exports', () => {
    // Prepare
    const service = 'fsx-export-analyzer-dev';

    // Act
    const alarms = Object.fromEntries(resourcesOfType(defaults, 'AWS::CloudWatch::Alarm'));

    // Assess
    expect(Object.keys(alarms).sort()).toEqual(Object.keys(ALARMS).sort());
    for (const [logicalId, metric] of Object.entries(ALARMS)) {
      expect(alarms[logicalId]?.Properties).toMatchObject({
        ...metric,
        AlarmActions: [TOPIC],
        OKActions: [TOPIC],
      });
    }
    expect(alarms['AnalyzerDurationAlarm']?.Properties).toMatchObject({
      Statistic: 'Maximum',
      Threshold: 48_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(resource(custom, 'AnalyzerDurationAlarm').Properties?.['Threshold']).toBe(96_000);
    expect(alarms['AnalyzerFailureQueueAlarm']?.Properties).toMatchObject({
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': ['AnalyzerFailureQueue', 'QueueName'] } },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    for (const logicalId of ['AnalyzerUnparseableAlarm', 'AnalyzerReexportsRefusedAlarm']) {
      expect(alarms[logicalId]?.Properties).toMatchObject({
        Dimensions: [{ Name: 'service', Value: service }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
  });

  it('builds a dashboard of failures per class and per file system and of re-exports', () => {
    // Prepare
    const dashboard = resource(defaults, 'AnalyzerDashboard');
    const body = dashboard.Properties?.['DashboardBody'] as { 'Fn::Sub': string };

    // Act
    const { result, references } = substitute(body['Fn::Sub']);
    const parsed = JSON.parse(result) as { widgets: Array<{ properties: unknown }> };
    const text = JSON.stringify(parsed);

    // Assess
    for (const reference of references) {
      const [logicalId] = reference.split('.');
      expect(
        PSEUDO_PARAMETERS.includes(reference) ||
          defaults.Resources[String(logicalId)] !== undefined,
      ).toBe(true);
    }
    expect(text).toContain(
      'SEARCH(\'{FsxExportAnalyzer,Class,service} MetricName=\\"Failures\\" service=\\"fsx-export-analyzer-dev\\"\'',
    );
    expect(text).toContain(
      'SEARCH(\'{FsxExportAnalyzer,Class,FileSystemId,service} MetricName=\\"Failures\\"',
    );
    for (const metric of ['ReexportsStarted', 'ReexportsRefused', 'ReexportsDeferred']) {
      expect(text).toContain(`"${metric}"`);
    }
    for (const alarm of Object.keys(ALARMS)) expect(references).toContain(`${alarm}.Arn`);
    expect(text).toContain(`\${PROP('Dim.FileSystemId')}`);
  });
});

describe('Stack: osls invoke local', () => {
  it('runs the packaged handler on a bundled sample, offline, in dry run', () => {
    // Prepare
    const lines = invokeRun.output.split('\n');

    // Act
    const start = lines.lastIndexOf('{');
    const end = lines.indexOf('}', start);
    const result = JSON.parse(lines.slice(start, end + 1).join('\n')) as Record<string, unknown>;

    // Assess
    expect(invokeRun.code).toBe(0);
    expect(result).toMatchObject({ dryRun: true, published: null, tasksStarted: 0 });
    expect(result['events']).toBeGreaterThan(0);
    expect(result['records']).toBeGreaterThan(0);
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  allStatements,
  osls,
  packageInto,
  type Resource,
  type Run,
  readTemplate,
  resource,
  resourceSpecs,
  resourcesOfType,
  type Statement,
  specProblems,
  substitute,
  type Template,
  zipEntries,
} from './osls.ts';

// These tests package the real serverless.yml with osls, offline and without AWS credentials,
// and read the CloudFormation template it generates. The bundle comes from the global setup's
// build (dist/), as `npm run package` would build it.

const TOPIC = { Ref: 'SummaryTopic' };
const KEY_ARN = { 'Fn::GetAtt': ['AnalyzerKey', 'Arn'] };
const QUEUE_ARN = { 'Fn::GetAtt': ['AnalyzerFailureQueue', 'Arn'] };
const DEFERRAL_ARN = { 'Fn::GetAtt': ['DeferralQueue', 'Arn'] };
const DEAD_LETTER_ARN = { 'Fn::GetAtt': ['DeferralDeadLetterQueue', 'Arn'] };
const TABLE_ARN = { 'Fn::GetAtt': ['LedgerTable', 'Arn'] };
const FUNCTION_ARN = { 'Fn::GetAtt': ['AnalyzerLambdaFunction', 'Arn'] };
/** The functions, by the name serverless.yml gives them, and their CloudFormation ids. */
const FUNCTIONS = {
  analyzer: 'AnalyzerLambdaFunction',
  retrier: 'RetrierLambdaFunction',
  outcomes: 'OutcomesLambdaFunction',
  digest: 'DigestLambdaFunction',
  doctor: 'DoctorLambdaFunction',
} as const;
/** What each deployed function gets as a Ref on top of its plain-string environment. */
const DEPLOY_REFS = {
  analyzer: {
    SUMMARY_TOPIC_ARN: TOPIC,
    DEFERRAL_QUEUE_URL: { Ref: 'DeferralQueue' },
    LEDGER_TABLE: { Ref: 'LedgerTable' },
  },
  retrier: { SUMMARY_TOPIC_ARN: TOPIC, LEDGER_TABLE: { Ref: 'LedgerTable' } },
  outcomes: { SUMMARY_TOPIC_ARN: TOPIC, LEDGER_TABLE: { Ref: 'LedgerTable' } },
  digest: { SUMMARY_TOPIC_ARN: TOPIC, LEDGER_TABLE: { Ref: 'LedgerTable' } },
  doctor: { SUMMARY_TOPIC_ARN: TOPIC, LEDGER_TABLE: { Ref: 'LedgerTable' } },
} as const;
const SERVICE_DIMENSION = [{ Name: 'service', Value: 'fsx-export-analyzer-dev' }];
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
    MetricName: 'ReexportsRefusedPermanent',
  },
  ReexportDeadLetterAlarm: {
    Namespace: 'AWS/SQS',
    MetricName: 'ApproximateNumberOfMessagesVisible',
  },
  DeferralQueueStalledAlarm: { Namespace: 'AWS/SQS', MetricName: 'ApproximateAgeOfOldestMessage' },
  RetrierErrorsAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
  OutcomesErrorsAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
  DigestErrorsAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
  DoctorErrorsAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Errors' },
  ReexportsFailedAlarm: { Namespace: 'FsxExportAnalyzer', MetricName: 'ReexportsFailed' },
} as const;

/**
 * The second configuration: two log groups, two file systems, an email, a longer timeout, and
 * the re-export settings changed from their defaults.
 */
const CUSTOM_ARGS = [
  '--stage',
  'ci',
  '--region',
  'eu-west-1',
  '--param=logGroups=/aws/fsx/lustre,/aws/fsx/scratch-team',
  '--param=fileSystemIds=fs-0123456789abcdef0,fs-0fedcba9876543210',
  '--param=notificationEmail=ops@example.com',
  '--param=timeout=120',
  '--param=retrierTimeout=30',
  '--param=maxReceives=7',
  '--param=outcomeCheckMinutes=1',
  '--param=retryLaterSeconds=120',
  '--param=maxAttempts=4',
  '--param=attemptWindowHours=12',
  '--param=coalesceWindowSeconds=600',
  '--param=digestWindowMinutes=30',
  '--param=digestCheckMinutes=1',
  '--param=doctorCheckMinutes=15',
];

/** A function's deployed environment variables. */
function variablesOf(template: Template, logicalId: string): Record<string, unknown> {
  const environment = resource(template, logicalId).Properties?.['Environment'] as
    | { Variables?: Record<string, unknown> }
    | undefined;
  return environment?.Variables ?? {};
}

/** The statements of a role's inline policies, and the same by their Sid. */
function policiesOf(role: Resource): {
  statements: Statement[];
  bySid: Record<string, Statement>;
} {
  const statements = allStatements(role.Properties?.['Policies']);
  const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
  return { statements, bySid };
}

/** The EventBridge rules whose targets name the function `logicalId`. */
function rulesTargeting(template: Template, logicalId: string): Array<[string, Resource]> {
  return resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) =>
    JSON.stringify(rule.Properties?.['Targets']).includes(logicalId),
  );
}

/** The permissions that let EventBridge invoke the function `logicalId`. */
function eventsPermissions(template: Template, logicalId: string): Array<[string, Resource]> {
  return resourcesOfType(template, 'AWS::Lambda::Permission').filter(
    ([, grant]) =>
      grant.Properties?.['Principal'] === 'events.amazonaws.com' &&
      JSON.stringify(grant.Properties?.['FunctionName']).includes(logicalId),
  );
}

let workDir: string;
let defaults: Template;
let custom: Template;
let defaultRun: Run;
let customRun: Run;
let ownGroupRun: Run;
let invokeRun: Run;
let retrierInvokeRun: Run;

/** One deferral message as the retrier receives it from the event source mapping. */
function sqsEvent(messageId: string): object {
  const body = {
    version: 1,
    fileSystemId: 'fs-0123456789abcdef0',
    paths: ['ns1/a.dat'],
    eventIds: ['38401230283765198402'],
    classes: ['busy'],
    reason: 'busy',
    logGroup: '/aws/fsx/lustre',
    logStream: 'datarepo_fs-0123456789abcdef0',
    deferredAt: '2026-01-05T10:00:00.000Z',
  };
  return {
    Records: [
      {
        messageId,
        receiptHandle: `receipt-${messageId}`,
        body: JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: '1767607200000',
          SenderId: 'AROAEXAMPLE',
          ApproximateFirstReceiveTimestamp: '1767607800000',
        },
        messageAttributes: {},
        md5OfBody: 'not-checked',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:fsx-export-analyzer-dev-deferral',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

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
  const retrierEvent = join(workDir, 'sqs-event.json');
  await writeFile(retrierEvent, JSON.stringify(sqsEvent('message-1')));
  const invokeRetrier = osls([
    'invoke',
    'local',
    '-f',
    'retrier',
    '-p',
    retrierEvent,
    '-e',
    'DRY_RUN=true',
  ]);
  [[defaultRun, customRun, ownGroupRun], invokeRun, retrierInvokeRun] = await Promise.all([
    packages,
    invoke,
    invokeRetrier,
  ]);
  if (defaultRun.code !== 0) throw new Error(`osls package failed:\n${defaultRun.output}`);
  if (customRun.code !== 0) throw new Error(`osls package failed:\n${customRun.output}`);
  defaults = await readTemplate(join(workDir, 'default'));
  custom = await readTemplate(join(workDir, 'custom'));
}, 180_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('Stack: osls package', () => {
  it.each(Object.entries(FUNCTIONS))(
    'packages the %s handler it names, its bundle and source map, nothing else',
    async (name, logicalId) => {
      // Prepare
      const zip = await readFile(join(workDir, 'default', `${name}.zip`));
      const lambda = resource(defaults, logicalId);

      // Act
      const entries = zipEntries(zip).sort();

      // Assess
      expect(lambda.Properties?.['Handler']).toBe(`infra/lambda/${name}.handler`);
      expect(entries).toEqual(
        [
          `dist/lambda/${name}.mjs`,
          `dist/lambda/${name}.mjs.map`,
          `infra/lambda/${name}.js`,
          'infra/lambda/package.json',
        ].sort(),
      );
    },
  );

  it('matches the CloudFormation resource specification: types, properties, attributes, refs', () => {
    // Prepare
    const specs = resourceSpecs();

    // Act
    const problems = [...specProblems(defaults, specs), ...specProblems(custom, specs)];

    // Assess
    expect(problems).toEqual([]);
    expect(Object.keys(defaults.Resources).length).toBeGreaterThanOrEqual(40);
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

  it('runs the retrier and the outcome check on arm64, with 256 MB and no reserved concurrency', () => {
    // Prepare
    const logicalIds = [FUNCTIONS.retrier, FUNCTIONS.outcomes];

    // Act
    const properties = logicalIds.map((logicalId) => resource(defaults, logicalId).Properties);

    // Assess
    for (const lambda of properties) {
      expect(lambda?.['Runtime']).toBe(
        resource(defaults, FUNCTIONS.analyzer).Properties?.['Runtime'],
      );
      expect(lambda?.['Architectures']).toEqual(['arm64']);
      expect(lambda?.['MemorySize']).toBe(256);
      expect(lambda?.['Timeout']).toBe(60);
      // Reserved concurrency would throttle the event source mapping; the ledger's window
      // claim keeps concurrent retriers from starting two tasks.
      expect(lambda).not.toHaveProperty('ReservedConcurrentExecutions');
    }
    expect(resource(custom, FUNCTIONS.retrier).Properties?.['Timeout']).toBe(30);
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

  it("never subscribes the analyzer's own log group, nor lets any non-FSx group invoke it", () => {
    // Prepare
    const templates = [defaults, custom];

    // Act
    const checks = templates.map((template) => {
      const ownGroup = resource(template, 'AnalyzerLogGroup').Properties?.['LogGroupName'];
      const subscribed = resourcesOfType(template, 'AWS::Logs::SubscriptionFilter').map(
        ([, filter]) => String(filter.Properties?.['LogGroupName']),
      );
      const permission = resourcesOfType(template, 'AWS::Lambda::Permission')
        .filter(([, grant]) => JSON.stringify(grant.Properties?.['Principal']).includes('logs.'))
        .map(([, grant]) => JSON.stringify(grant.Properties?.['SourceArn']));
      const logsInvokes = resourcesOfType(template, 'AWS::Lambda::Permission')
        .filter(([, grant]) => JSON.stringify(grant.Properties?.['Principal']).includes('logs.'))
        .map(([, grant]) => grant.Properties?.['FunctionName']);
      return { ownGroup, subscribed, permission, logsInvokes };
    });

    // Assess
    for (const { ownGroup, subscribed, permission, logsInvokes } of checks) {
      expect(ownGroup).toMatch(/^\/aws\/lambda\/fsx-export-analyzer-(dev|ci)-analyzer$/);
      expect(subscribed).not.toContain(ownGroup);
      for (const group of subscribed) expect(group).toMatch(/^\/aws\/fsx\//);
      expect(permission).toHaveLength(1);
      expect(permission[0]).toMatch(/":log-group:","\/aws\/fsx\//);
      expect(logsInvokes).toEqual([FUNCTION_ARN]);
    }
    expect(ownGroupRun.code).not.toBe(0);
    expect(ownGroupRun.output).toContain(
      "Parameter logGroups must not contain the analyzer's own log group " +
        '/aws/lambda/fsx-export-analyzer-ci-analyzer',
    );
  });

  it.each(Object.entries(FUNCTIONS))(
    'keeps every %s environment value a plain string, its Refs only in the deployed template',
    async (name, logicalId) => {
      // Prepare
      const state = JSON.parse(
        await readFile(join(workDir, 'default', 'serverless-state.json'), 'utf8'),
      ) as {
        service: { functions: Record<string, { environment: Record<string, unknown> }> };
      };
      const refs = DEPLOY_REFS[name as keyof typeof DEPLOY_REFS];

      // Act
      const configured = state.service.functions[name]?.environment ?? {};
      const deployed = resource(defaults, logicalId).Properties?.['Environment'];

      // Assess
      for (const value of Object.values(configured)) expect(typeof value).toBe('string');
      for (const variable of Object.keys(refs)) expect(configured).not.toHaveProperty(variable);
      expect(deployed).toEqual({ Variables: { ...configured, ...refs } });
      // The same service dimension for all three: the alarms on EMF metrics match on it.
      expect(configured).toMatchObject({
        DRY_RUN: 'false',
        POWERTOOLS_SERVICE_NAME: 'fsx-export-analyzer-dev',
        POWERTOOLS_METRICS_NAMESPACE: 'FsxExportAnalyzer',
        NODE_OPTIONS: '--enable-source-maps',
      });
    },
  );

  it('gives each function its re-export settings from the parameters, with their defaults', () => {
    // Prepare
    const environment = variablesOf;

    // Act
    const byFunction = (template: Template) => ({
      analyzer: environment(template, FUNCTIONS.analyzer),
      retrier: environment(template, FUNCTIONS.retrier),
      outcomes: environment(template, FUNCTIONS.outcomes),
    });

    // Assess
    expect(byFunction(defaults)).toMatchObject({
      analyzer: {
        BUSY_DELAY_SECONDS: '600',
        RETRY_LATER_SECONDS: '300',
        MAX_ATTEMPTS: '3',
        ATTEMPT_WINDOW_HOURS: '24',
      },
      retrier: {
        REPORT_PATH: '',
        MAX_ATTEMPTS: '3',
        ATTEMPT_WINDOW_HOURS: '24',
        COALESCE_WINDOW_SECONDS: '300',
        MAX_RECEIVES: '5',
      },
      outcomes: { ATTEMPT_WINDOW_HOURS: '24' },
    });
    expect(byFunction(custom)).toMatchObject({
      analyzer: { RETRY_LATER_SECONDS: '120', MAX_ATTEMPTS: '4', ATTEMPT_WINDOW_HOURS: '12' },
      retrier: {
        MAX_ATTEMPTS: '4',
        ATTEMPT_WINDOW_HOURS: '12',
        COALESCE_WINDOW_SECONDS: '600',
        MAX_RECEIVES: '7',
      },
      outcomes: { ATTEMPT_WINDOW_HOURS: '12' },
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

  it('defers re-exports to an encrypted queue that dead-letters after maxReceives receives', () => {
    // Prepare
    const queues = (template: Template) => ({
      deferral: resource(template, 'DeferralQueue').Properties,
      deadLetter: resource(template, 'DeferralDeadLetterQueue').Properties,
    });

    // Act
    const byDefault = queues(defaults);
    const customised = queues(custom);

    // Assess
    expect(byDefault.deferral).toEqual({
      QueueName: 'fsx-export-analyzer-dev-deferral',
      // 6 x the retrier's 60 s timeout + the 60 s batching window.
      VisibilityTimeout: 420,
      MessageRetentionPeriod: 345_600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: DEAD_LETTER_ARN, maxReceiveCount: 5 },
    });
    expect(byDefault.deadLetter).toEqual({
      QueueName: 'fsx-export-analyzer-dev-deferral-dlq',
      MessageRetentionPeriod: 1_209_600,
      SqsManagedSseEnabled: true,
    });
    expect(customised.deferral).toMatchObject({
      QueueName: 'fsx-export-analyzer-ci-deferral',
      VisibilityTimeout: 6 * 30 + 60,
      RedrivePolicy: { deadLetterTargetArn: DEAD_LETTER_ARN, maxReceiveCount: 7 },
    });
    // The retrier's MAX_RECEIVES is the queue's maxReceiveCount, from the one parameter.
    for (const [template, { deferral }] of [
      [defaults, byDefault],
      [custom, customised],
    ] as const) {
      const variables = variablesOf(template, FUNCTIONS.retrier);
      const redrive = deferral?.['RedrivePolicy'] as { maxReceiveCount: number };
      expect(variables['MAX_RECEIVES']).toBe(String(redrive.maxReceiveCount));
    }
  });

  it('refuses the deferral queues to any caller not using TLS', () => {
    // Prepare
    const policy = resource(defaults, 'DeferralQueuePolicy').Properties;

    // Act
    const statements = allStatements(policy?.['PolicyDocument']);

    // Assess
    expect(policy?.['Queues']).toEqual([
      { Ref: 'DeferralQueue' },
      { Ref: 'DeferralDeadLetterQueue' },
    ]);
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Resource: [DEFERRAL_ARN, DEAD_LETTER_ARN],
        Condition: { Bool: { 'aws:SecureTransport': false } },
      }),
    ]);
  });

  it('keeps the ledger in an encrypted, on-demand table keyed by id, with TTL and PITR', () => {
    // Prepare
    const table = resource(defaults, 'LedgerTable') as Resource & {
      DeletionPolicy?: string;
      UpdateReplacePolicy?: string;
    };

    // Act
    const properties = table.Properties;

    // Assess
    expect(properties).toEqual({
      TableName: 'fsx-export-analyzer-dev-ledger',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.UpdateReplacePolicy).toBe('Delete');
  });

  it('feeds the retrier from the deferral queue in coalescing batches with partial failures', () => {
    // Prepare
    const mappings = resourcesOfType(defaults, 'AWS::Lambda::EventSourceMapping');

    // Act
    const [mapping] = mappings.map(([, found]) => found);

    // Assess
    expect(mappings).toHaveLength(1);
    expect(mapping?.Properties).toEqual({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 60,
      EventSourceArn: DEFERRAL_ARN,
      FunctionName: { 'Fn::GetAtt': [FUNCTIONS.retrier, 'Arn'] },
      Enabled: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mapping?.DependsOn).toEqual(['RetrierRole']);
    expect(
      Number(resource(defaults, 'DeferralQueue').Properties?.['VisibilityTimeout']),
    ).toBeGreaterThanOrEqual(
      6 * Number(resource(defaults, FUNCTIONS.retrier).Properties?.['Timeout']),
    );
  });

  it('runs the outcome check on an EventBridge schedule of outcomeCheckMinutes', () => {
    // Prepare
    const rules = (template: Template) => rulesTargeting(template, FUNCTIONS.outcomes);

    // Act
    const [ruleId, rule] = rules(defaults)[0] ?? ['', undefined];
    const permissions = eventsPermissions(defaults, FUNCTIONS.outcomes);

    // Assess
    expect(rules(defaults)).toHaveLength(1);
    expect(rule?.Properties).toMatchObject({
      ScheduleExpression: 'rate(10 minutes)',
      State: 'ENABLED',
      Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': [FUNCTIONS.outcomes, 'Arn'] } })],
    });
    expect(rules(custom)[0]?.[1].Properties?.['ScheduleExpression']).toBe('rate(1 minute)');
    expect(permissions.map(([, grant]) => grant.Properties)).toEqual([
      {
        FunctionName: { 'Fn::GetAtt': [FUNCTIONS.outcomes, 'Arn'] },
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      },
    ]);
  });

  it('outputs the deferral queue URL, the dead-letter queue URL and the table name', () => {
    // Prepare
    const outputs = defaults.Outputs as Record<string, { Value: unknown }>;

    // Act
    const values = {
      deferral: outputs['DeferralQueueUrl']?.Value,
      deadLetter: outputs['DeferralDeadLetterQueueUrl']?.Value,
      table: outputs['LedgerTableName']?.Value,
    };

    // Assess
    expect(values).toEqual({
      deferral: { Ref: 'DeferralQueue' },
      deadLetter: { Ref: 'DeferralDeadLetterQueue' },
      table: { Ref: 'LedgerTable' },
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
    const { statements, bySid } = policiesOf(role);
    const arn = (resource: string) => ({
      'Fn::Sub': `arn:\${AWS::Partition}:fsx:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
    });

    // Assess
    expect(resource(custom, 'AnalyzerLambdaFunction').Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['AnalyzerRole', 'Arn'],
    });
    expect(custom.Resources).not.toHaveProperty('IamRoleLambdaExecution');
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'fsx:CreateDataRepositoryTask',
      'fsx:DescribeDataRepositoryAssociations',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sns:Publish',
      'sqs:SendMessage',
      'sqs:SendMessage',
    ]);
    expect(bySid['StartExportTasks']?.Resource).toEqual([
      arn('file-system/fs-0123456789abcdef0'),
      arn('file-system/fs-0fedcba9876543210'),
      arn('task/*'),
    ]);
    expect(bySid['PublishSummary']?.Resource).toEqual(TOPIC);
    expect(bySid['UseTopicKey']?.Resource).toEqual(KEY_ARN);
    expect(bySid['KeepFailedBatches']?.Resource).toEqual(QUEUE_ARN);
    expect(bySid['DeferReexports']).toMatchObject({
      Action: 'sqs:SendMessage',
      Resource: DEFERRAL_ARN,
    });
    expect(bySid['UseLedger']?.Resource).toEqual(TABLE_ARN);
    expect(bySid['WriteOwnLogs']?.Resource).toEqual({
      'Fn::GetAtt': ['AnalyzerLogGroup', 'Arn'],
    });
    // "*" only where the API takes no resource ARN.
    const unscoped = statements.filter((statement) => statement.Resource === '*');
    expect(unscoped.flatMap(actionsOf)).toEqual(['fsx:DescribeDataRepositoryAssociations']);
    expect(
      policiesOf(resource(defaults, 'AnalyzerRole')).bySid['StartExportTasks']?.Resource,
    ).toEqual([arn('file-system/*'), arn('task/*')]);
  });

  it('gives the retrier its own role: the queue, export tasks, the ledger, the topic', () => {
    // Prepare
    const role = resource(custom, 'RetrierRole');

    // Act
    const { statements, bySid } = policiesOf(role);

    // Assess
    expect(resource(custom, FUNCTIONS.retrier).Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['RetrierRole', 'Arn'],
    });
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'fsx:CreateDataRepositoryTask',
      'fsx:DescribeDataRepositoryAssociations',
      'fsx:DescribeDataRepositoryTasks',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sns:Publish',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    expect(bySid['WriteOwnLogs']?.Resource).toEqual({ 'Fn::GetAtt': ['RetrierLogGroup', 'Arn'] });
    expect(bySid['ConsumeDeferralQueue']?.Resource).toEqual(DEFERRAL_ARN);
    // The same file systems as the analyzer may re-export on.
    expect(bySid['StartExportTasks']?.Resource).toEqual(
      policiesOf(resource(custom, 'AnalyzerRole')).bySid['StartExportTasks']?.Resource,
    );
    expect(bySid['UseLedger']?.Resource).toEqual(TABLE_ARN);
    expect(bySid['PublishSummary']?.Resource).toEqual(TOPIC);
    expect(bySid['UseTopicKey']?.Resource).toEqual(KEY_ARN);
    // "*" only for the FSx Describe* calls, which take no resource ARN.
    const unscoped = statements.filter((statement) => statement.Resource === '*');
    expect(unscoped.flatMap(actionsOf).sort()).toEqual([
      'fsx:DescribeDataRepositoryAssociations',
      'fsx:DescribeDataRepositoryTasks',
    ]);
  });

  it('gives the outcome check its own role: task lookups, the ledger, the topic', () => {
    // Prepare
    const role = resource(custom, 'OutcomesRole');

    // Act
    const { statements, bySid } = policiesOf(role);

    // Assess
    expect(resource(custom, FUNCTIONS.outcomes).Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['OutcomesRole', 'Arn'],
    });
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
      'fsx:DescribeDataRepositoryTasks',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sns:Publish',
    ]);
    expect(bySid['WriteOwnLogs']?.Resource).toEqual({ 'Fn::GetAtt': ['OutcomesLogGroup', 'Arn'] });
    expect(bySid['ReadTasks']?.Resource).toBe('*');
    expect(bySid['UseLedger']?.Resource).toEqual(TABLE_ARN);
    expect(bySid['PublishSummary']?.Resource).toEqual(TOPIC);
    expect(bySid['UseTopicKey']?.Resource).toEqual(KEY_ARN);
  });

  it('runs the digest function every digestCheckMinutes, one run at a time, with W from digestWindowMinutes', () => {
    // Prepare
    const rules = (template: Template) => rulesTargeting(template, FUNCTIONS.digest);

    // Act
    const [ruleId, rule] = rules(defaults)[0] ?? ['', undefined];
    const permissions = eventsPermissions(defaults, FUNCTIONS.digest);

    // Assess
    expect(rules(defaults)).toHaveLength(1);
    expect(rule?.Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': [FUNCTIONS.digest, 'Arn'] } })],
    });
    expect(rules(custom)[0]?.[1].Properties?.['ScheduleExpression']).toBe('rate(1 minute)');
    expect(permissions.map(([, grant]) => grant.Properties?.['SourceArn'])).toEqual([
      { 'Fn::GetAtt': [ruleId, 'Arn'] },
    ]);
    expect(resource(defaults, FUNCTIONS.digest).Properties).toMatchObject({
      ReservedConcurrentExecutions: 1,
      MemorySize: 256,
      Timeout: 60,
      Architectures: ['arm64'],
    });
    expect(variablesOf(defaults, FUNCTIONS.digest)).toMatchObject({ DIGEST_WINDOW_MINUTES: '60' });
    expect(variablesOf(defaults, FUNCTIONS.analyzer)).toMatchObject({
      DIGEST_WINDOW_MINUTES: '60',
    });
    expect(variablesOf(custom, FUNCTIONS.digest)).toMatchObject({ DIGEST_WINDOW_MINUTES: '30' });
    expect(variablesOf(custom, FUNCTIONS.analyzer)).toMatchObject({ DIGEST_WINDOW_MINUTES: '30' });
  });

  it('gives the digest function its own role: the ledger (scan and update), the topic', () => {
    // Prepare
    const role = resource(custom, 'DigestRole');

    // Act
    const { statements, bySid } = policiesOf(role);

    // Assess
    expect(resource(custom, FUNCTIONS.digest).Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['DigestRole', 'Arn'],
    });
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sns:Publish',
    ]);
    expect(bySid['WriteOwnLogs']?.Resource).toEqual({ 'Fn::GetAtt': ['DigestLogGroup', 'Arn'] });
    expect(bySid['UseLedger']?.Resource).toEqual(TABLE_ARN);
    expect(bySid['PublishSummary']?.Resource).toEqual(TOPIC);
    expect(bySid['UseTopicKey']?.Resource).toEqual(KEY_ARN);
  });

  it('runs the doctor every doctorCheckMinutes, one run at a time, looking for this stage analyzer', () => {
    // Prepare
    const rules = (template: Template) => rulesTargeting(template, FUNCTIONS.doctor);

    // Act
    const [, rule] = rules(defaults)[0] ?? ['', undefined];

    // Assess
    expect(rules(defaults)).toHaveLength(1);
    expect(rule?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
    });
    expect(rules(custom)[0]?.[1].Properties?.['ScheduleExpression']).toBe('rate(15 minutes)');
    expect(resource(defaults, FUNCTIONS.doctor).Properties).toMatchObject({
      ReservedConcurrentExecutions: 1,
      MemorySize: 256,
      Timeout: 60,
    });
    expect(variablesOf(defaults, FUNCTIONS.doctor)).toMatchObject({
      ANALYZER_FUNCTION_NAME: 'fsx-export-analyzer-dev-analyzer',
    });
  });

  it('gives the doctor its own read-only role: FSx and subscription describes, one ledger item, the topic', () => {
    // Prepare
    const role = resource(custom, 'DoctorRole');

    // Act
    const { statements, bySid } = policiesOf(role);

    // Assess
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'fsx:DescribeDataRepositoryAssociations',
      'fsx:DescribeFileSystems',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:DescribeSubscriptionFilters',
      'logs:PutLogEvents',
      'sns:Publish',
    ]);
    expect(bySid['WriteOwnLogs']?.Resource).toEqual({ 'Fn::GetAtt': ['DoctorLogGroup', 'Arn'] });
    expect(bySid['ReadFileSystems']?.Resource).toBe('*');
    expect(bySid['ReadSubscriptionFilters']?.Resource).toEqual({
      'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:*`,
    });
    expect(bySid['UseLedger']?.Resource).toEqual(TABLE_ARN);
    expect(bySid['PublishSummary']?.Resource).toEqual(TOPIC);
    expect(bySid['UseTopicKey']?.Resource).toEqual(KEY_ARN);
  });

  it('gives each function a role of its own and osls no default role', () => {
    // Prepare
    const roles = resourcesOfType(defaults, 'AWS::IAM::Role').map(([logicalId]) => logicalId);

    // Act
    const used = Object.values(FUNCTIONS).map((logicalId) =>
      JSON.stringify(resource(defaults, logicalId).Properties?.['Role']),
    );

    // Assess
    expect(roles.sort()).toEqual([
      'AnalyzerRole',
      'DigestRole',
      'DoctorRole',
      'OutcomesRole',
      'RetrierRole',
    ]);
    expect(new Set(used).size).toBe(5);
    expect(defaults.Resources).not.toHaveProperty('IamRoleLambdaExecution');
  });

  it('alarms to the topic on errors, throttles, duration, failed batches, unparseable records and permanently refused re-exports', () => {
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

  it('alarms to the topic on dead-lettered re-exports, a stalled deferral queue, retrier and outcome-check errors, and failed tasks', () => {
    // Prepare
    const alarms = Object.fromEntries(resourcesOfType(defaults, 'AWS::CloudWatch::Alarm'));

    // Act
    const properties = (logicalId: string) => alarms[logicalId]?.Properties;

    // Assess
    expect(properties('ReexportDeadLetterAlarm')).toMatchObject({
      AlarmName: 'fsx-export-analyzer-dev-reexports-dead-lettered',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeferralDeadLetterQueue', 'QueueName'] } },
      ],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'ignore',
    });
    expect(String(properties('ReexportDeadLetterAlarm')?.['AlarmDescription'])).toMatch(
      /^Re-exports that failed every retry: a person must re-export them; the retrier's email named them\./,
    );
    // The longest delay (900 s) plus one visibility timeout per receive.
    expect(properties('DeferralQueueStalledAlarm')).toMatchObject({
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeferralQueue', 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 900 + 5 * 420,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(resource(custom, 'DeferralQueueStalledAlarm').Properties?.['Threshold']).toBe(
      900 + 7 * (6 * 30 + 60),
    );
    for (const [logicalId, functionId] of [
      ['RetrierErrorsAlarm', FUNCTIONS.retrier],
      ['OutcomesErrorsAlarm', FUNCTIONS.outcomes],
      ['DigestErrorsAlarm', FUNCTIONS.digest],
      ['DoctorErrorsAlarm', FUNCTIONS.doctor],
    ] as const) {
      expect(properties(logicalId)).toMatchObject({
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    // The EMF metric as the outcome check emits it: only the default `service` dimension.
    expect(properties('ReexportsFailedAlarm')).toMatchObject({
      Dimensions: SERVICE_DIMENSION,
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('builds a dashboard of failures, re-exports, the retrier, outcomes and the deferral queues', () => {
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
    for (const metric of [
      'ReexportsStarted',
      'ReexportsRefused',
      'ReexportsDeferred',
      'ReexportsRefusedPermanent',
      'ReexportsQueued',
      'ReexportsEscalated',
      'RetrierTasksStarted',
      'RetrierWaits',
      'DeadLettered',
      'ReexportsSucceeded',
      'ReexportsFailed',
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
    ]) {
      expect(text).toContain(`"${metric}"`);
    }
    for (const queue of ['DeferralQueue', 'DeferralDeadLetterQueue']) {
      expect(references).toContain(`${queue}.QueueName`);
    }
    for (const logicalId of Object.values(FUNCTIONS)) expect(references).toContain(logicalId);
    for (const alarm of Object.keys(ALARMS)) expect(references).toContain(`${alarm}.Arn`);
    expect(text).toContain(`\${PROP('Dim.FileSystemId')}`);
  });
});

describe('Stack: osls invoke local', () => {
  it('runs the packaged analyzer on a bundled sample, offline, in dry run', () => {
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

  it('runs the packaged retrier on a deferral message, offline, in dry run: the message waits', () => {
    // Prepare
    const lines = retrierInvokeRun.output.split('\n');

    // Act
    const start = lines.lastIndexOf('{');
    const end = lines.indexOf('}', start);
    const result = JSON.parse(lines.slice(start, end + 1).join('\n')) as unknown;

    // Assess
    expect(retrierInvokeRun.code).toBe(0);
    // A dry run starts nothing: every record goes back to the queue as a batch item failure.
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(retrierInvokeRun.output).toContain('"RetrierMessages":1');
    expect(retrierInvokeRun.output).toContain('"service":"fsx-export-analyzer-dev"');
  });
});

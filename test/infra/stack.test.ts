import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  UPDATE_COMMAND as ALARMS_UPDATE_COMMAND,
  alarmCounts,
  alarmRows,
  formatMarkdown,
  GUIDANCE,
  renderAlarmDocs,
} from './alarms-doc.ts';
import { type FunctionName, grantLine, neededGrants, type ResourceName } from './calls.ts';
import { DEPLOYER_ACTIONS, renderDeployer, resourceTypes } from './deployer-doc.ts';
import {
  actionsOf,
  allStatements,
  osls,
  packageInto,
  type Resource,
  ROOT,
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
import { renderPermissions, UPDATE_COMMAND } from './permissions-doc.ts';

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
/** Each function's chat topic: only with a chat channel (infra/chat.yml). */
const CHAT_REF = { 'Fn::If': ['ChatOn', { Ref: 'ChatTopic' }, { Ref: 'AWS::NoValue' }] };
const DEPLOY_REFS = {
  analyzer: {
    SUMMARY_TOPIC_ARN: TOPIC,
    CHAT_TOPIC_ARN: CHAT_REF,
    DEFERRAL_QUEUE_URL: { Ref: 'DeferralQueue' },
    LEDGER_TABLE: { Ref: 'LedgerTable' },
  },
  retrier: {
    SUMMARY_TOPIC_ARN: TOPIC,
    CHAT_TOPIC_ARN: CHAT_REF,
    LEDGER_TABLE: { Ref: 'LedgerTable' },
  },
  outcomes: {
    SUMMARY_TOPIC_ARN: TOPIC,
    CHAT_TOPIC_ARN: CHAT_REF,
    LEDGER_TABLE: { Ref: 'LedgerTable' },
  },
  digest: {
    SUMMARY_TOPIC_ARN: TOPIC,
    CHAT_TOPIC_ARN: CHAT_REF,
    LEDGER_TABLE: { Ref: 'LedgerTable' },
  },
  doctor: {
    SUMMARY_TOPIC_ARN: TOPIC,
    CHAT_TOPIC_ARN: CHAT_REF,
    LEDGER_TABLE: { Ref: 'LedgerTable' },
  },
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
  AnalyzerAsyncEventsDroppedAlarm: { Namespace: 'AWS/Lambda', MetricName: 'AsyncEventsDropped' },
  AnalyzerDestinationDeliveryFailuresAlarm: {
    Namespace: 'AWS/Lambda',
    MetricName: 'DestinationDeliveryFailures',
  },
  OutcomesStoppedAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Invocations' },
  DigestStoppedAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Invocations' },
  DoctorStoppedAlarm: { Namespace: 'AWS/Lambda', MetricName: 'Invocations' },
} as const;
/** The file systems and the tag of the custom configuration. */
const CUSTOM_FILE_SYSTEMS = ['fs-0123456789abcdef0', 'fs-0fedcba9876543210'];
const CUSTOM_TAG = { key: 'team', value: 'hpc' };
/** What CloudWatch's alarms send as aws:SourceArn: any alarm of this account and Region. */
const ALARMS_OF_THIS_ACCOUNT = {
  'Fn::Sub': `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:*`,
};
/** The one kms:ViaService of the roles: SNS in this Region (both URL suffixes, for China). */
const VIA_SNS = {
  StringEquals: {
    'kms:ViaService': [
      { 'Fn::Sub': `sns.\${AWS::Region}.amazonaws.com` },
      { 'Fn::Sub': `sns.\${AWS::Region}.\${AWS::URLSuffix}` },
    ],
  },
};
/** The chunks `npm run build` wrote for a function (scripts/build.mjs), as zip entries. */
function chunksOf(name: string): string[] {
  const dir = `dist/lambda/chunks/${name}`;
  return readdirSync(join(ROOT, dir)).map((file) => `${dir}/${file}`);
}

/** A ledger grant's condition: only items whose key starts with one of the patterns. */
function leadingKeys(...patterns: unknown[]): Record<string, unknown> {
  return {
    'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns },
    Null: { 'dynamodb:LeadingKeys': 'false' },
  };
}

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
  '--param=analyzerConcurrency=25',
  `--param=fileSystemTag=${CUSTOM_TAG.key}=${CUSTOM_TAG.value}`,
  '--param=tracing=true',
  '--param=chatSlackWorkspaceId=T0123ABCD',
  '--param=chatSlackChannelId=C0123ABCD',
  '--param=reportPath=s3://ops-reports/fsx/',
  '--param=backlogThresholdMinutes=90',
];

/** An FSx ARN of the stack's account and Region, as the roles name them. */
function fsxArn(resource: string): { 'Fn::Sub': string } {
  return {
    'Fn::Sub': `arn:\${AWS::Partition}:fsx:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
  };
}

/** An Allow statement as the roles write it: Sid, Effect, Action, Resource[, Condition]. */
function allow(
  Sid: string,
  Action: string | string[],
  Resource: unknown,
  Condition?: Record<string, unknown>,
): Statement {
  return {
    Sid,
    Effect: 'Allow',
    Action,
    Resource,
    ...(Condition === undefined ? {} : { Condition }),
  };
}

/** The statements every role has: its own log group, the topic and the topic's key. */
function ownLogs(logGroup: string): Statement {
  return allow('WriteOwnLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], {
    'Fn::GetAtt': [logGroup, 'Arn'],
  });
}
const PUBLISH_SUMMARY = allow('PublishSummary', 'sns:Publish', TOPIC);
const USE_TOPIC_KEY = allow(
  'UseTopicKey',
  ['kms:GenerateDataKey', 'kms:Decrypt'],
  KEY_ARN,
  VIA_SNS,
);

/** The two export-task statements of the custom configuration: two file systems and a tag. */
const CUSTOM_EXPORT_TASKS = [
  allow(
    'StartExportTasksOnFileSystems',
    'fsx:CreateDataRepositoryTask',
    CUSTOM_FILE_SYSTEMS.map((id) => fsxArn(`file-system/${id}`)),
    { StringEquals: { [`aws:ResourceTag/${CUSTOM_TAG.key}`]: CUSTOM_TAG.value } },
  ),
  allow('StartExportTasksCreateTasks', 'fsx:CreateDataRepositoryTask', fsxArn('task/*')),
];
/** The same with the defaults: every file system, no tag condition. */
const DEFAULT_EXPORT_TASKS = [
  allow('StartExportTasksOnFileSystems', 'fsx:CreateDataRepositoryTask', [fsxArn('file-system/*')]),
  allow('StartExportTasksCreateTasks', 'fsx:CreateDataRepositoryTask', fsxArn('task/*')),
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

/** A task's failures.csv under a report folder: what the outcome check may read. */
function reportObjectArn(folder: string): { 'Fn::Sub': string } {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${folder}/task-*/failures.csv` };
}
/** In every association's report folder; and under the custom package's reportPath parameter. */
const REPORT_OBJECTS = [
  reportObjectArn('*/fsx-export-analyzer-reports'),
  reportObjectArn('ops-reports/fsx'),
];

/** The logical ids of each function's role and log group. */
const ROLE_OF: Record<FunctionName, string> = {
  analyzer: 'AnalyzerRole',
  retrier: 'RetrierRole',
  outcomes: 'OutcomesRole',
  digest: 'DigestRole',
  doctor: 'DoctorRole',
};

/** Whether a condition of the template holds: the only kind here is Fn::Equals of literals. */
function conditionHolds(template: Template, name: string): boolean {
  const condition = template.Conditions?.[name] as { 'Fn::Equals'?: unknown[] } | undefined;
  const [left, right] = condition?.['Fn::Equals'] ?? [];
  if (typeof left !== 'string' || typeof right !== 'string') {
    throw new Error(`condition ${name} is not a Fn::Equals of two strings`);
  }
  return left === right;
}

/**
 * The grant lines (calls.ts, grantLine) of a function's role in a template: its inline policies
 * and the policies attached to it whose condition holds, each action on each resource (by the
 * name calls.ts gives it) and, for the ledger, each dynamodb:LeadingKeys pattern.
 */
function grantsOf(template: Template, name: FunctionName): string[] {
  const roleId = ROLE_OF[name];
  const functionName = String(resource(template, FUNCTIONS[name]).Properties?.['FunctionName']);
  const fileSystems = policiesOf(resource(template, roleId)).bySid['StartExportTasksOnFileSystems']
    ?.Resource;
  const names = new Map<string, ResourceName>([
    [
      JSON.stringify({
        'Fn::GetAtt': [`${FUNCTIONS[name].replace(/LambdaFunction$/, '')}LogGroup`, 'Arn'],
      }),
      'ownLogGroup',
    ],
    [JSON.stringify(TABLE_ARN), 'ledgerTable'],
    [JSON.stringify(TOPIC), 'summaryTopic'],
    [JSON.stringify({ Ref: 'ChatTopic' }), 'chatTopic'],
    [JSON.stringify(KEY_ARN), 'topicKey'],
    [JSON.stringify(DEFERRAL_ARN), 'deferralQueue'],
    [JSON.stringify(QUEUE_ARN), 'failureQueue'],
    [JSON.stringify(fsxArn('task/*')), 'exportTasks'],
    [
      JSON.stringify({
        'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/fsx/*`,
      }),
      'fsxLogGroups',
    ],
    ['"*"', '*'],
    ...REPORT_OBJECTS.map((arn) => [JSON.stringify(arn), 'reportObjects'] as const),
  ]);
  // The file systems of the fileSystemIds parameter, whichever they are, are one resource here.
  for (const arn of [fileSystems ?? []].flat()) names.set(JSON.stringify(arn), 'fileSystems');
  const key = (pattern: unknown): string =>
    typeof pattern === 'string'
      ? pattern.replace(functionName, '{function}')
      : String((pattern as { 'Fn::Sub': string })['Fn::Sub']).replace(
          `\${AWS::Region}`,
          '{region}',
        );
  const attached = resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => JSON.stringify(policy.Properties?.['Roles']).includes(`"${roleId}"`))
    .filter(
      ([, policy]) => policy.Condition === undefined || conditionHolds(template, policy.Condition),
    )
    .flatMap(([, policy]) => allStatements(policy.Properties?.['PolicyDocument']));
  const lines = new Set<string>();
  for (const statement of [...policiesOf(resource(template, roleId)).statements, ...attached]) {
    expect(statement.Effect).toBe('Allow');
    const condition = statement.Condition as
      | { 'ForAllValues:StringLike'?: { 'dynamodb:LeadingKeys'?: unknown[] } }
      | undefined;
    const patterns = condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    for (const action of actionsOf(statement)) {
      for (const target of [statement.Resource].flat()) {
        const label = names.get(JSON.stringify(target)) ?? JSON.stringify(target);
        if (patterns === undefined) lines.add(grantLine(action, label));
        else for (const pattern of patterns) lines.add(grantLine(action, label, key(pattern)));
      }
    }
  }
  return [...lines].sort();
}

let workDir: string;
let defaults: Template;
let custom: Template;
/** Stage prod, the default parameters and one listed file system: every kind of alarm. */
let prod: Template;
let defaultRun: Run;
let customRun: Run;
let ownGroupRun: Run;
let invokeRun: Run;
let retrierInvokeRun: Run;
let prodPrintRun: Run;

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
  const packages = (async (): Promise<[Run, Run, Run, Run]> => {
    const first = await packageInto(join(workDir, 'default'));
    const second = await packageInto(join(workDir, 'custom'), CUSTOM_ARGS);
    const third = await packageInto(join(workDir, 'own-group'), [
      '--stage',
      'ci',
      '--param=logGroups=/aws/fsx/lustre,/aws/lambda/fsx-export-analyzer-ci-analyzer',
    ]);
    const fourth = await packageInto(join(workDir, 'prod'), [
      '--stage',
      'prod',
      `--param=fileSystemIds=${CUSTOM_FILE_SYSTEMS[0]}`,
    ]);
    return [first, second, third, fourth];
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
  // `osls print` resolves the whole configuration and writes nothing: it runs alongside too.
  const prodPrint = osls(['print', '--stage', 'prod']);
  let prodRun: Run;
  [[defaultRun, customRun, ownGroupRun, prodRun], invokeRun, retrierInvokeRun, prodPrintRun] =
    await Promise.all([packages, invoke, invokeRetrier, prodPrint]);
  if (defaultRun.code !== 0) throw new Error(`osls package failed:\n${defaultRun.output}`);
  if (customRun.code !== 0) throw new Error(`osls package failed:\n${customRun.output}`);
  if (prodRun.code !== 0) throw new Error(`osls package failed:\n${prodRun.output}`);
  defaults = await readTemplate(join(workDir, 'default'));
  custom = await readTemplate(join(workDir, 'custom'));
  prod = await readTemplate(join(workDir, 'prod'));
}, 180_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('Stack: osls package', () => {
  it.each(Object.entries(FUNCTIONS))(
    'packages the %s handler it names, its bundle, chunks and source maps, the tracing bundle, nothing else',
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
          ...chunksOf(name),
          'dist/lambda/tracing.mjs',
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

  it('runs every function on nodejs24.x, the analyzer on arm64 with the sized memory and timeout', () => {
    // Prepare
    const lambda = resource(defaults, 'AnalyzerLambdaFunction');

    // Act
    const runtimes = Object.values(defaults.Resources)
      .filter((item) => item.Type === 'AWS::Lambda::Function')
      .map((item) => item.Properties?.['Runtime']);

    // Assess
    expect(runtimes.length).toBeGreaterThanOrEqual(5);
    expect(new Set(runtimes)).toEqual(new Set(['nodejs24.x']));
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
        POWERTOOLS_TRACE_ENABLED: 'false',
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

  it("encrypts the topic with a customer managed key that only this account's alarms may use besides IAM", () => {
    // Prepare
    const topic = resource(defaults, 'SummaryTopic');
    const key = resource(defaults, 'AnalyzerKey');

    // Act
    const [administer, alarms, ...others] = allStatements(key.Properties?.['KeyPolicy']);

    // Assess
    expect(topic.Properties?.['KmsMasterKeyId']).toEqual({ Ref: 'AnalyzerKey' });
    expect(key.Properties?.['EnableKeyRotation']).toBe(true);
    expect(others).toEqual([]);
    expect(administer).toMatchObject({
      Sid: 'AccountAdministersKeyAndDelegatesUseToIam',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:root` } },
      Resource: '*',
    });
    expect(administer?.Condition).toBeUndefined();
    // The confused deputy: CloudWatch acts for this account's alarms in this Region only.
    expect(alarms).toEqual({
      Sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': ALARMS_OF_THIS_ACCOUNT },
      },
    });
  });

  it("lets only this account's alarms in this Region publish to the topic, and nobody without TLS", () => {
    // Prepare
    const policy = resource(defaults, 'SummaryTopicPolicy').Properties;

    // Act
    const statements = allStatements(policy?.['PolicyDocument']);

    // Assess
    expect(policy?.['Topics']).toEqual([TOPIC]);
    expect(statements).toEqual([
      {
        Sid: 'CloudWatchAlarmsOfThisAccountPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: TOPIC,
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: { 'aws:SourceArn': ALARMS_OF_THIS_ACCOUNT },
        },
      },
      {
        Sid: 'DenyUnencryptedTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: TOPIC,
        Condition: { Bool: { 'aws:SecureTransport': false } },
      },
    ]);
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

  it('refuses the deferral queues and the failure queue to any caller not using TLS, for every SQS action', () => {
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
      {
        Sid: 'DenyUnencryptedTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: [DEFERRAL_ARN, DEAD_LETTER_ARN],
        Condition: { Bool: { 'aws:SecureTransport': false } },
      },
    ]);
    expect(
      allStatements(
        resource(defaults, 'AnalyzerFailureQueuePolicy').Properties?.['PolicyDocument'],
      ),
    ).toEqual([
      {
        Sid: 'DenyUnencryptedTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sqs:*',
        Resource: QUEUE_ARN,
        Condition: { Bool: { 'aws:SecureTransport': false } },
      },
    ]);
    expect(resource(defaults, 'AnalyzerFailureQueuePolicy').Properties?.['Queues']).toEqual([
      { Ref: 'AnalyzerFailureQueue' },
    ]);
  });

  it('keeps the ledger in an encrypted, on-demand table keyed by id, with TTL, PITR and deletion protection', () => {
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
      DeletionProtectionEnabled: true,
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

  it("outputs the release it runs and tags the stack with it: package.json's version", async () => {
    // Prepare
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    const state = JSON.parse(
      await readFile(join(workDir, 'default', 'serverless-state.json'), 'utf8'),
    ) as { service: { provider: { stackTags: Record<string, string> } } };

    // Act
    const output = (defaults.Outputs as Record<string, { Value: unknown }>)['Version']?.Value;
    const tags = state.service.provider.stackTags;

    // Assess
    expect(output).toBe(version);
    expect(tags).toEqual({ service: 'fsx-export-analyzer', stage: 'dev', version });
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
    // A wide Deny only takes away: osls's deployment bucket refuses every s3:* call, the queues
    // every sqs:* call and the topic every sns:Publish that is not over TLS. Every Deny of the
    // stack is of that kind.
    for (const statement of denies) {
      expect(statement).toMatchObject({
        Effect: 'Deny',
        Condition: { Bool: { 'aws:SecureTransport': false } },
      });
    }
  });

  it('gives the analyzer its own role: each statement on its resources, the ledger by key prefix', () => {
    // Prepare
    const role = (template: Template) => policiesOf(resource(template, 'AnalyzerRole')).statements;

    // Act
    const statements = role(custom);

    // Assess
    expect(resource(custom, 'AnalyzerLambdaFunction').Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['AnalyzerRole', 'Arn'],
    });
    expect(custom.Resources).not.toHaveProperty('IamRoleLambdaExecution');
    expect(statements).toEqual([
      ownLogs('AnalyzerLogGroup'),
      ...CUSTOM_EXPORT_TASKS,
      allow('ReadDataRepositoryAssociations', 'fsx:DescribeDataRepositoryAssociations', '*'),
      PUBLISH_SUMMARY,
      USE_TOPIC_KEY,
      allow('KeepFailedBatches', 'sqs:SendMessage', QUEUE_ARN),
      allow('DeferReexports', 'sqs:SendMessage', DEFERRAL_ARN),
      allow(
        'LedgerAttempts',
        ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
        TABLE_ARN,
        leadingKeys('attempt#*'),
      ),
      allow('LedgerTrackTasks', 'dynamodb:PutItem', TABLE_ARN, leadingKeys('task#*')),
      allow(
        'LedgerDigestWindows',
        ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        TABLE_ARN,
        leadingKeys('digest#*'),
      ),
      allow(
        'LedgerIdempotency',
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        TABLE_ARN,
        leadingKeys('fsx-export-analyzer-ci-analyzer#*'),
      ),
    ]);
    // With the defaults: every file system of the account and Region, no tag condition.
    expect(role(defaults).slice(1, 3)).toEqual(DEFAULT_EXPORT_TASKS);
    expect(
      policiesOf(resource(defaults, 'AnalyzerRole')).bySid['LedgerIdempotency']?.Condition,
    ).toEqual(leadingKeys('fsx-export-analyzer-dev-analyzer#*'));
  });

  it('gives the retrier its own role: the queue without ChangeMessageVisibility, export tasks, the ledger by key prefix, the topic', () => {
    // Prepare
    const role = (template: Template) => policiesOf(resource(template, 'RetrierRole')).statements;

    // Act
    const statements = role(custom);

    // Assess
    expect(resource(custom, FUNCTIONS.retrier).Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['RetrierRole', 'Arn'],
    });
    expect(statements).toEqual([
      ownLogs('RetrierLogGroup'),
      allow(
        'ConsumeDeferralQueue',
        ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
        DEFERRAL_ARN,
      ),
      ...CUSTOM_EXPORT_TASKS,
      allow(
        'ReadTasksAndAssociations',
        ['fsx:DescribeDataRepositoryTasks', 'fsx:DescribeDataRepositoryAssociations'],
        '*',
      ),
      allow(
        'LedgerAttempts',
        ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
        TABLE_ARN,
        leadingKeys('attempt#*'),
      ),
      allow('LedgerClaimWindows', 'dynamodb:PutItem', TABLE_ARN, leadingKeys('window#*')),
      allow('LedgerTrackTasks', 'dynamodb:PutItem', TABLE_ARN, leadingKeys('task#*')),
      PUBLISH_SUMMARY,
      USE_TOPIC_KEY,
    ]);
    expect(role(defaults).slice(2, 4)).toEqual(DEFAULT_EXPORT_TASKS);
    for (const template of [defaults, custom]) {
      expect(role(template).flatMap(actionsOf)).not.toContain('sqs:ChangeMessageVisibility');
    }
  });

  it('gives the outcome check its own role: task lookups, a Scan apart, task# updates, the topic', () => {
    // Prepare
    const role = resource(custom, 'OutcomesRole');

    // Act
    const { statements } = policiesOf(role);

    // Assess
    expect(resource(custom, FUNCTIONS.outcomes).Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['OutcomesRole', 'Arn'],
    });
    expect(statements).toEqual([
      ownLogs('OutcomesLogGroup'),
      allow('ReadTasks', 'fsx:DescribeDataRepositoryTasks', '*'),
      // Scan has no leading key: it cannot carry dynamodb:LeadingKeys, so it stands apart.
      allow('LedgerFindOpenTasks', 'dynamodb:Scan', TABLE_ARN),
      allow('LedgerCloseTasks', 'dynamodb:UpdateItem', TABLE_ARN, leadingKeys('task#*')),
      allow('LedgerMarkFailedAgain', 'dynamodb:UpdateItem', TABLE_ARN, leadingKeys('attempt#*')),
      // Only a task's failures.csv in a report folder (and under reportPath when it is set).
      allow('ReadCompletionReports', 's3:GetObject', REPORT_OBJECTS),
      PUBLISH_SUMMARY,
      USE_TOPIC_KEY,
    ]);
    expect(policiesOf(resource(defaults, 'OutcomesRole')).bySid['ReadCompletionReports']).toEqual(
      allow('ReadCompletionReports', 's3:GetObject', [REPORT_OBJECTS[0]]),
    );
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

  it('gives the digest function its own role: a Scan apart, digest# updates, the topic', () => {
    // Prepare
    const role = resource(custom, 'DigestRole');

    // Act
    const { statements } = policiesOf(role);

    // Assess
    expect(resource(custom, FUNCTIONS.digest).Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['DigestRole', 'Arn'],
    });
    expect(statements).toEqual([
      ownLogs('DigestLogGroup'),
      allow('LedgerFindDueWindows', 'dynamodb:Scan', TABLE_ARN),
      allow('LedgerRollDigestWindows', 'dynamodb:UpdateItem', TABLE_ARN, leadingKeys('digest#*')),
      PUBLISH_SUMMARY,
      USE_TOPIC_KEY,
    ]);
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

  it('gives the doctor its own read-only role: FSx describes, /aws/fsx/* subscription filters, its one ledger item, the topic and its subscriptions', () => {
    // Prepare
    const role = resource(custom, 'DoctorRole');

    // Act
    const { statements } = policiesOf(role);

    // Assess
    expect(resource(custom, FUNCTIONS.doctor).Properties?.['Role']).toEqual({
      'Fn::GetAtt': ['DoctorRole', 'Arn'],
    });
    expect(statements).toEqual([
      ownLogs('DoctorLogGroup'),
      allow(
        'ReadFileSystems',
        ['fsx:DescribeFileSystems', 'fsx:DescribeDataRepositoryAssociations'],
        '*',
      ),
      allow('ReadSubscriptionFilters', 'logs:DescribeSubscriptionFilters', {
        'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/fsx/*`,
      }),
      allow(
        'LedgerDoctorState',
        ['dynamodb:GetItem', 'dynamodb:PutItem'],
        TABLE_ARN,
        leadingKeys({ 'Fn::Sub': `doctor#\${AWS::Region}` }),
      ),
      PUBLISH_SUMMARY,
      allow('ReadTopicSubscriptions', 'sns:ListSubscriptionsByTopic', TOPIC),
      USE_TOPIC_KEY,
    ]);
  });

  it('gives each function a role of its own and osls no default role', () => {
    // Prepare
    // The chat channel's role (infra/chat.yml) is no function's: the chat tests check it.
    const roles = resourcesOfType(defaults, 'AWS::IAM::Role')
      .map(([logicalId]) => logicalId)
      .filter((logicalId) => logicalId !== 'ChatChannelRole');

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

  it.each(Object.keys(ROLE_OF) as FunctionName[])(
    'grants %s exactly the SDK commands its code sends and what Lambda, SNS and X-Ray do with its role',
    (name) => {
      // Prepare
      const needed = {
        defaults: neededGrants(name, false),
        custom: neededGrants(name, true, true),
      };

      // Act
      const granted = { defaults: grantsOf(defaults, name), custom: grantsOf(custom, name) };

      // Assess
      expect(granted).toEqual(needed);
    },
  );

  it('bounds the analyzer with reserved concurrency (analyzerConcurrency, 10 by default)', () => {
    // Prepare
    const concurrency = (template: Template) =>
      resource(template, FUNCTIONS.analyzer).Properties?.['ReservedConcurrentExecutions'];

    // Act
    const byDefault = concurrency(defaults);

    // Assess
    expect(byDefault).toBe(10);
    expect(concurrency(custom)).toBe(25);
    // Throttled batches wait in Lambda's asynchronous queue for up to the maximum event age.
    expect(
      resourcesOfType(defaults, 'AWS::Lambda::EventInvokeConfig')[0]?.[1].Properties,
    ).toMatchObject({ MaximumEventAgeInSeconds: 21_600 });
  });

  it('keeps the deployment bucket encrypted, versioned, private and TLS-only', () => {
    // Prepare
    const bucket = resource(defaults, 'ServerlessDeploymentBucket');

    // Act
    const policy = allStatements(
      resource(defaults, 'ServerlessDeploymentBucketPolicy').Properties?.['PolicyDocument'],
    );

    // Assess
    expect(bucket.Properties).toEqual({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(policy).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: 's3:*',
        Principal: '*',
        Condition: { Bool: { 'aws:SecureTransport': false } },
      }),
    ]);
  });

  it('traces with X-Ray, and grants it, only with tracing=true', () => {
    // Prepare
    const lambdas = (template: Template) =>
      Object.values(FUNCTIONS).map((logicalId) => resource(template, logicalId).Properties);

    // Act
    const policy = resource(defaults, 'TracingPolicy');

    // Assess
    expect(policy.Condition).toBe('TracingEnabled');
    expect(policy.Properties).toEqual({
      PolicyName: 'xray-tracing',
      Roles: Object.values(ROLE_OF).map((roleId) => ({ Ref: roleId })),
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          allow('SendTraces', ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], '*'),
        ],
      },
    });
    expect(conditionHolds(defaults, 'TracingEnabled')).toBe(false);
    expect(conditionHolds(custom, 'TracingEnabled')).toBe(true);
    for (const lambda of lambdas(defaults)) expect(lambda).not.toHaveProperty('TracingConfig');
    for (const lambda of lambdas(custom)) {
      expect(lambda?.['TracingConfig']).toEqual({ Mode: 'Active' });
    }
    for (const logicalId of Object.values(FUNCTIONS)) {
      expect(variablesOf(defaults, logicalId)['POWERTOOLS_TRACE_ENABLED']).toBe('false');
      expect(variablesOf(custom, logicalId)['POWERTOOLS_TRACE_ENABLED']).toBe('true');
    }
  });

  it('warns at package time outside dev stages when neither fileSystemIds nor fileSystemTag limits the file systems', () => {
    // Prepare
    const warning = 'may start export tasks on every FSx file system of the account';

    // Act
    const outputs = { prod: prodPrintRun.output, dev: defaultRun.output, ci: customRun.output };

    // Assess
    expect(prodPrintRun.code).toBe(0);
    expect(outputs.prod).toContain(
      `Warning: stage "prod": the analyzer and the retrier ${warning}`,
    );
    expect(outputs.prod.split(warning)).toHaveLength(2);
    // A dev stage, and a stage limited by ids and a tag: no warning.
    expect(outputs.dev).not.toContain(warning);
    expect(outputs.ci).not.toContain(warning);
  });

  it('documents every role and resource policy in docs/permissions.md, generated from the template', async () => {
    // Prepare
    const path = join(ROOT, 'docs', 'permissions.md');
    const rendered = renderPermissions(defaults);

    // Act
    if (process.env['FEA_UPDATE_DOCS'] === '1') await writeFile(path, rendered);
    const current = await readFile(path, 'utf8').catch(() => '');

    // Assess
    for (const roleId of Object.values(ROLE_OF)) expect(rendered).toContain(`(role ${roleId})`);
    expect(current, `docs/permissions.md is stale: run ${UPDATE_COMMAND}`).toBe(rendered);
  });

  it('documents every alarm, what fires it and what to do, in docs/operate.md, and their count in deploy.md and the cost', async () => {
    // Prepare
    const paths = {
      operate: join(ROOT, 'docs', 'operate.md'),
      deploy: join(ROOT, 'docs', 'deploy.md'),
    };
    const current = {
      operate: await readFile(paths.operate, 'utf8'),
      deploy: await readFile(paths.deploy, 'utf8'),
    };

    // Act
    const rows = alarmRows(prod, 'prod');
    const rendered = renderAlarmDocs(prod, 'prod', current);
    if (process.env['FEA_UPDATE_DOCS'] === '1') {
      await writeFile(paths.operate, rendered.operate);
      await writeFile(paths.deploy, rendered.deploy);
    }

    // Assess: every alarm of every package has guidance, and none is left without an alarm.
    const names = rows.map((row) => row.name);
    expect(names).toHaveLength(Object.keys(ALARMS).length + 1);
    expect(alarmCounts(prod, 'prod')).toEqual({
      fixed: Object.keys(ALARMS).length,
      perFileSystem: 1,
    });
    expect(alarmCounts(defaults, 'dev')).toEqual({
      fixed: Object.keys(ALARMS).length,
      perFileSystem: 0,
    });
    expect(alarmCounts(custom, 'ci')).toEqual({
      fixed: Object.keys(ALARMS).length,
      perFileSystem: 1,
    });
    expect(rows.filter((row) => row.guidance === undefined).map((row) => row.name)).toEqual([]);
    expect(Object.keys(GUIDANCE).sort()).toEqual([...names].sort());
    // The notification quotes the description: it must lead the reader to the table.
    const descriptions = resourcesOfType(prod, 'AWS::CloudWatch::Alarm').map(
      ([logicalId, alarm]) => [
        logicalId,
        String(alarm.Properties?.['AlarmDescription']).includes('docs/operate.md'),
      ],
    );
    expect(descriptions.filter(([, leads]) => leads !== true)).toEqual([]);
    expect(rows.at(-1)).toMatchObject({
      name: 'export-backlog-<fs-id>',
      perFileSystem: true,
      condition: 'AWS/FSx `AgeOfOldestQueuedMessage` maximum ≥ 1 h in 2 periods of 5 min in a row',
    });
    expect(rendered.deploy).toContain(
      `${Object.keys(ALARMS).length} CloudWatch alarms (plus 1 per file system listed in \`fileSystemIds\`) and 1 dashboard`,
    );
    expect(current.operate, `docs/operate.md is stale: run ${ALARMS_UPDATE_COMMAND}`).toBe(
      rendered.operate,
    );
    expect(current.deploy, `docs/deploy.md is stale: run ${ALARMS_UPDATE_COMMAND}`).toBe(
      rendered.deploy,
    );
  });

  it("lists in docs/deploy.md the deployer's actions for every resource type of the stack", async () => {
    // Prepare
    const path = join(ROOT, 'docs', 'deploy.md');
    const current = await readFile(path, 'utf8');

    // Act: the chat channels are in every template (under a condition); organization mode's
    // resources come from infra/organization.yml.
    const types = resourceTypes([prod, custom]);
    const rendered = formatMarkdown(renderDeployer(current, [prod, custom]), 'docs/deploy.md');
    if (process.env['FEA_UPDATE_DOCS'] === '1') await writeFile(path, rendered);

    // Assess
    expect(types).toEqual(
      expect.arrayContaining(['AWS::Kinesis::Stream', 'AWS::Logs::Destination']),
    );
    expect(types.filter((type) => DEPLOYER_ACTIONS[type] === undefined)).toEqual([]);
    expect(Object.keys(DEPLOYER_ACTIONS).filter((type) => !types.includes(type))).toEqual([]);
    expect(rendered).toContain('`iam:PassRole`');
    expect(current, `docs/deploy.md is stale: run ${ALARMS_UPDATE_COMMAND}`).toBe(rendered);
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

  it('alarms to the topic on batches Lambda gave up on or could not keep, and on scheduled functions that stop running', () => {
    // Prepare
    const properties = (template: Template, logicalId: string) =>
      resource(template, logicalId).Properties;
    const stopped = [
      ['OutcomesStoppedAlarm', FUNCTIONS.outcomes, 600, 60],
      ['DigestStoppedAlarm', FUNCTIONS.digest, 300, 60],
      ['DoctorStoppedAlarm', FUNCTIONS.doctor, 3600, 900],
    ] as const;

    // Act
    const dropped = properties(defaults, 'AnalyzerAsyncEventsDroppedAlarm');
    const undelivered = properties(defaults, 'AnalyzerDestinationDeliveryFailuresAlarm');

    // Assess
    for (const [alarm, metric] of [
      [dropped, 'AsyncEventsDropped'],
      [undelivered, 'DestinationDeliveryFailures'],
    ] as const) {
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: FUNCTIONS.analyzer } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [TOPIC],
        OKActions: [TOPIC],
      });
    }
    // Fewer than one invocation in each of two schedule intervals; no data at all is breaching.
    for (const [logicalId, functionId, period, customPeriod] of stopped) {
      expect(properties(defaults, logicalId)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Invocations',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
        Statistic: 'Sum',
        Period: period,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [TOPIC],
        OKActions: [TOPIC],
      });
      expect(properties(custom, logicalId)?.['Period']).toBe(customPeriod);
    }
    // The schedules the periods follow (rate(10 minutes), rate(5 minutes), rate(1 hour)).
    expect(
      rulesTargeting(defaults, FUNCTIONS.outcomes)[0]?.[1].Properties?.['ScheduleExpression'],
    ).toBe('rate(10 minutes)');
  });

  it('alarms on the export backlog of each listed file system (none for *), and lets the analyzer, the digest and the doctor read it', () => {
    // Prepare
    const backlogAlarms = (template: Template) =>
      resourcesOfType(template, 'AWS::CloudWatch::Alarm').filter(
        ([, alarm]) => alarm.Properties?.['MetricName'] === 'AgeOfOldestQueuedMessage',
      );

    // Act
    const alarms = backlogAlarms(custom);
    const policy = resource(custom, 'ReadBacklogMetricsPolicy');

    // Assess
    expect(backlogAlarms(defaults)).toEqual([]);
    expect(alarms.map(([logicalId]) => logicalId).sort()).toEqual([
      'ExportBacklog0123456789abcdef0Alarm',
      'ExportBacklog0fedcba9876543210Alarm',
    ]);
    for (const [index, id] of CUSTOM_FILE_SYSTEMS.entries()) {
      expect(resource(custom, `ExportBacklog${id.slice(3)}Alarm`).Properties).toMatchObject({
        AlarmName: `fsx-export-analyzer-ci-export-backlog-${id}`,
        Namespace: 'AWS/FSx',
        MetricName: 'AgeOfOldestQueuedMessage',
        Dimensions: [
          { Name: 'FileSystemId', Value: id },
          { Name: 'Publisher', Value: 'AutoExport' },
        ],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 2,
        // backlogThresholdMinutes=90, in the metric's seconds.
        Threshold: 5400,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [TOPIC],
        OKActions: [TOPIC],
      });
      expect(alarms[index]?.[1].Properties?.['AlarmDescription']).toContain('doctor');
    }
    expect(variablesOf(defaults, FUNCTIONS.doctor)).toMatchObject({
      BACKLOG_THRESHOLD_MINUTES: '60',
    });
    expect(variablesOf(custom, FUNCTIONS.doctor)).toMatchObject({
      BACKLOG_THRESHOLD_MINUTES: '90',
    });
    // GetMetricData names no resource and has no condition key for a metric: "*", read-only.
    expect(policy.Properties).toMatchObject({
      Roles: [{ Ref: 'AnalyzerRole' }, { Ref: 'DigestRole' }, { Ref: 'DoctorRole' }],
      PolicyDocument: {
        Statement: [allow('ReadExportBacklog', 'cloudwatch:GetMetricData', '*')],
      },
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

describe('Stack: chat alerts (infra/chat.yml)', () => {
  const CHAT_IDS = [
    'ChatTopic',
    'ChatTopicPolicy',
    'ChatPublishPolicy',
    'ChatChannelRole',
    'ChatSlackChannel',
    'ChatTeamsChannel',
  ];

  it('creates nothing for chat without the chat parameters', () => {
    // Act
    const on = conditionHolds(defaults, 'ChatOn');

    // Assess
    expect(on).toBe(false);
    expect(conditionHolds(defaults, 'ChatSlack')).toBe(false);
    expect(conditionHolds(defaults, 'ChatTeams')).toBe(false);
    for (const logicalId of CHAT_IDS) {
      expect(resource(defaults, logicalId).Condition).toMatch(/^Chat(On|Slack|Teams)$/);
    }
  });

  it('creates an encrypted, TLS-only chat topic, given to every function, with a Slack channel', () => {
    // Prepare
    const topic = resource(custom, 'ChatTopic');
    const policy = resource(custom, 'ChatTopicPolicy');

    // Act
    const on = conditionHolds(custom, 'ChatOn');

    // Assess
    expect(on).toBe(true);
    expect(conditionHolds(custom, 'ChatSlack')).toBe(true);
    expect(conditionHolds(custom, 'ChatTeams')).toBe(false);
    expect(topic.Properties).toMatchObject({
      TopicName: 'fsx-export-analyzer-ci-chat',
      KmsMasterKeyId: { Ref: 'AnalyzerKey' },
    });
    expect(allStatements(policy.Properties?.['PolicyDocument'])).toEqual([
      {
        Sid: 'DenyUnencryptedTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: { Ref: 'ChatTopic' },
        Condition: { Bool: { 'aws:SecureTransport': false } },
      },
    ]);
    for (const logicalId of Object.values(FUNCTIONS)) {
      const variables = variablesOf(custom, logicalId);
      expect(variables['CHAT_TOPIC_ARN']).toEqual(CHAT_REF);
      expect(variables['SUMMARY_TOPIC_ARN']).toEqual(TOPIC);
    }
    expect(resource(custom, 'ChatPublishPolicy').Properties).toMatchObject({
      Roles: Object.values(ROLE_OF).map((roleId) => ({ Ref: roleId })),
      PolicyDocument: {
        Statement: [allow('PublishChat', 'sns:Publish', { Ref: 'ChatTopic' })],
      },
    });
  });

  it('configures the channels with a role that has no permissions and the ReadOnlyAccess guardrail', () => {
    // Prepare
    const role = resource(custom, 'ChatChannelRole');
    const slack = resource(custom, 'ChatSlackChannel');
    const teams = resource(custom, 'ChatTeamsChannel');
    const guardrail = [{ 'Fn::Sub': `arn:\${AWS::Partition}:iam::aws:policy/ReadOnlyAccess` }];

    // Act
    const trust = allStatements(role.Properties?.['AssumeRolePolicyDocument']);

    // Assess
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'chatbot.amazonaws.com' },
        Action: 'sts:AssumeRole',
      },
    ]);
    expect(role.Properties?.['Policies']).toBeUndefined();
    expect(role.Properties?.['ManagedPolicyArns']).toBeUndefined();
    expect(slack.Type).toBe('AWS::Chatbot::SlackChannelConfiguration');
    expect(slack.Properties).toEqual({
      ConfigurationName: 'fsx-export-analyzer-ci',
      SlackWorkspaceId: 'T0123ABCD',
      SlackChannelId: 'C0123ABCD',
      IamRoleArn: { 'Fn::GetAtt': ['ChatChannelRole', 'Arn'] },
      SnsTopicArns: [{ Ref: 'ChatTopic' }],
      GuardrailPolicies: guardrail,
      LoggingLevel: 'ERROR',
      UserRoleRequired: false,
    });
    expect(teams.Type).toBe('AWS::Chatbot::MicrosoftTeamsChannelConfiguration');
    expect(teams.Condition).toBe('ChatTeams');
    expect(teams.Properties).toMatchObject({
      IamRoleArn: { 'Fn::GetAtt': ['ChatChannelRole', 'Arn'] },
      SnsTopicArns: [{ Ref: 'ChatTopic' }],
      GuardrailPolicies: guardrail,
    });
    expect(custom.Outputs?.['ChatTopicArn']).toMatchObject({
      Condition: 'ChatOn',
      Value: { Ref: 'ChatTopic' },
    });
  });
});

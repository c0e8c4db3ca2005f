/*
 * What each Lambda function's code sends to AWS, and what AWS itself does with the function's
 * role, as the tables the infra tests compare with the roles of the packaged template (stack.test.ts:
 * granted = needed, nothing more) and with the code (calls.test.ts: the tables are the code's).
 *
 * Found by reading the code: every `new XxxCommand(` under lib/aws/ (and the Powertools
 * idempotency layer the analyzer uses), the adapters each functions/<name>.ts imports, and the
 * adapter methods the handler and lib/ call on them (lib/analyze/pipeline.ts,
 * lib/reexport/{rules,retrier,outcomes}.ts, functions/*.ts).
 */

type FunctionName = 'analyzer' | 'retrier' | 'outcomes' | 'digest' | 'doctor';

/**
 * What a grant applies to, named once here and resolved against each template in stack.test.ts:
 * the resources the stack creates, the file systems of the fileSystemIds parameter, and "*" for
 * the calls that take no resource ARN.
 */
type ResourceName =
  | 'ownLogGroup'
  | 'ledgerTable'
  | 'summaryTopic'
  | 'topicKey'
  | 'deferralQueue'
  | 'failureQueue'
  | 'fileSystems'
  | 'exportTasks'
  | 'fsxLogGroups'
  | 'chatTopic'
  | 'reportObjects'
  | '*';

/** One SDK command a function's code sends. */
interface CodeCall {
  /** The IAM action that authorizes it. */
  readonly action: string;
  /** The command class, constructed as `new <command>(` in `source`. */
  readonly command: string;
  /** The file that constructs the command. */
  readonly source: string;
  /** The adapter functions/<name>.ts imports that sends it (lib/aws/<adapter>.ts). */
  readonly adapter: string;
  /** The adapter's function or method that leads to the command, as named in the adapter. */
  readonly via: string;
  readonly resources: readonly ResourceName[];
  /**
   * DynamoDB keyed calls: the dynamodb:LeadingKeys pattern of the items (their `id` prefix).
   * `{function}` stands for the function's name, `{region}` for the stack's Region.
   */
  readonly keys?: string;
  /** Sent only when the stack has a chat channel (the chat parameters; infra/chat.yml). */
  readonly chatOnly?: true;
}

/** A grant the function's own code does not use: Lambda, SNS or X-Ray use the role. */
interface PlatformGrant {
  readonly actions: readonly string[];
  readonly resources: readonly ResourceName[];
  readonly by: string;
  /** Granted only with the parameter tracing=true. */
  readonly tracingOnly?: true;
}

const FSX = 'lib/aws/fsx.ts';
const LEDGER = 'lib/aws/ledger.ts';
const DIGESTS = 'lib/aws/digests.ts';
const DYNAMO = 'lib/aws/dynamo.ts';
const SNS = 'lib/aws/sns.ts';
const SQS = 'lib/aws/sqs.ts';
const INVENTORY = 'lib/aws/inventory.ts';
const DOCTOR_STATE = 'lib/aws/doctor-state.ts';
const IDEMPOTENCY = 'lib/aws/idempotency.ts';
const S3 = 'lib/aws/s3.ts';
const METRICS = 'lib/aws/metrics.ts';

/** The export backlog (createBacklogReader): GetMetricData takes no resource ARN. */
const readBacklog: CodeCall = {
  action: 'cloudwatch:GetMetricData',
  command: 'GetMetricDataCommand',
  source: METRICS,
  adapter: METRICS,
  via: 'createBacklogReader',
  resources: ['*'],
};
/** Powertools idempotency's DynamoDB layer: the commands it sends on the analyzer's behalf. */
const POWERTOOLS_DYNAMODB =
  'node_modules/@aws-lambda-powertools/idempotency/lib/esm/persistence/DynamoDBPersistenceLayer.js';

const publish: CodeCall = {
  action: 'sns:Publish',
  command: 'PublishCommand',
  source: SNS,
  adapter: SNS,
  via: 'deliver',
  resources: ['summaryTopic'],
};

/** Every function that emails sends its chat alert too, when the stack has a chat channel. */
const publishChat: CodeCall = {
  action: 'sns:Publish',
  command: 'PublishCommand',
  source: SNS,
  adapter: SNS,
  via: 'deliverChat',
  resources: ['chatTopic'],
  chatOnly: true,
};

/** The ledger's attempt items: histories (attempts) and recording one (recordAttempt). */
const attemptCalls: CodeCall[] = [
  ['BatchGetItem', LEDGER, 'attempts'],
  ['UpdateItem', LEDGER, 'recordAttempt'],
  ['PutItem', LEDGER, 'recordAttempt'],
  // recordOne's consistent read when a failed condition returns no item (getItemConsistent).
  ['GetItem', DYNAMO, 'recordAttempt'],
].map(([name, source, via]) => ({
  action: `dynamodb:${name}`,
  command: `${name}Command`,
  source: String(source),
  adapter: LEDGER,
  via: String(via),
  resources: ['ledgerTable'],
  keys: 'attempt#*',
}));

const trackTask: CodeCall = {
  action: 'dynamodb:PutItem',
  command: 'PutItemCommand',
  source: LEDGER,
  adapter: LEDGER,
  via: 'trackTask',
  resources: ['ledgerTable'],
  keys: 'task#*',
};

const startExport: CodeCall = {
  action: 'fsx:CreateDataRepositoryTask',
  command: 'CreateDataRepositoryTaskCommand',
  source: FSX,
  adapter: FSX,
  via: 'startExport',
  resources: ['fileSystems', 'exportTasks'],
};

const listAssociations: CodeCall = {
  action: 'fsx:DescribeDataRepositoryAssociations',
  command: 'DescribeDataRepositoryAssociationsCommand',
  source: FSX,
  adapter: FSX,
  via: 'listAssociations',
  resources: ['*'],
};

/** Every SDK command each function's code sends. */
const CODE_CALLS: Readonly<Record<FunctionName, readonly CodeCall[]>> = {
  analyzer: [
    startExport,
    listAssociations,
    publish,
    publishChat,
    readBacklog,
    {
      // SendMessageBatch is authorized by sqs:SendMessage (the SQS API reference).
      action: 'sqs:SendMessage',
      command: 'SendMessageBatchCommand',
      source: SQS,
      adapter: SQS,
      via: 'createDeferralQueue',
      resources: ['deferralQueue'],
    },
    ...attemptCalls,
    trackTask,
    // The alert windows (observe): a consistent read, then a conditional update.
    {
      action: 'dynamodb:GetItem',
      command: 'GetItemCommand',
      source: DYNAMO,
      adapter: DIGESTS,
      via: 'observe',
      resources: ['ledgerTable'],
      keys: 'digest#*',
    },
    {
      action: 'dynamodb:UpdateItem',
      command: 'UpdateItemCommand',
      source: DIGESTS,
      adapter: DIGESTS,
      via: 'observe',
      resources: ['ledgerTable'],
      keys: 'digest#*',
    },
    // Powertools idempotency (makeIdempotent): its records are keyed <function name>#<hash>.
    ...['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((name) => ({
      action: `dynamodb:${name}`,
      command: `${name}Command`,
      source: POWERTOOLS_DYNAMODB,
      adapter: IDEMPOTENCY,
      via: 'createIdempotencyStore',
      resources: ['ledgerTable'] as const,
      keys: '{function}#*',
    })),
  ],
  retrier: [
    {
      action: 'fsx:DescribeDataRepositoryTasks',
      command: 'DescribeDataRepositoryTasksCommand',
      source: FSX,
      adapter: FSX,
      via: 'activeTasks',
      resources: ['*'],
    },
    listAssociations,
    startExport,
    ...attemptCalls,
    {
      action: 'dynamodb:PutItem',
      command: 'PutItemCommand',
      source: LEDGER,
      adapter: LEDGER,
      via: 'claimWindow',
      resources: ['ledgerTable'],
      keys: 'window#*',
    },
    trackTask,
    publish,
    publishChat,
  ],
  outcomes: [
    {
      action: 'fsx:DescribeDataRepositoryTasks',
      command: 'DescribeDataRepositoryTasksCommand',
      source: FSX,
      adapter: FSX,
      via: 'describeTasks',
      resources: ['*'],
    },
    // openTasks scans (scanAll): no key, so no dynamodb:LeadingKeys.
    {
      action: 'dynamodb:Scan',
      command: 'ScanCommand',
      source: DYNAMO,
      adapter: LEDGER,
      via: 'openTasks',
      resources: ['ledgerTable'],
    },
    {
      action: 'dynamodb:UpdateItem',
      command: 'UpdateItemCommand',
      source: LEDGER,
      adapter: LEDGER,
      via: 'closeTask',
      resources: ['ledgerTable'],
      keys: 'task#*',
    },
    {
      action: 'dynamodb:UpdateItem',
      command: 'UpdateItemCommand',
      source: LEDGER,
      adapter: LEDGER,
      via: 'markFailed',
      resources: ['ledgerTable'],
      keys: 'attempt#*',
    },
    {
      action: 's3:GetObject',
      command: 'GetObjectCommand',
      source: S3,
      adapter: S3,
      via: 'read',
      resources: ['reportObjects'],
    },
    publish,
    publishChat,
  ],
  digest: [
    // collect scans for the due windows (scanAll): no key.
    {
      action: 'dynamodb:Scan',
      command: 'ScanCommand',
      source: DYNAMO,
      adapter: DIGESTS,
      via: 'collect',
      resources: ['ledgerTable'],
    },
    {
      action: 'dynamodb:UpdateItem',
      command: 'UpdateItemCommand',
      source: DIGESTS,
      adapter: DIGESTS,
      via: 'acknowledge',
      resources: ['ledgerTable'],
      keys: 'digest#*',
    },
    publish,
    publishChat,
    readBacklog,
    { ...readBacklog, via: 'createFailureSeriesReader' },
  ],
  doctor: [
    {
      action: 'fsx:DescribeFileSystems',
      command: 'DescribeFileSystemsCommand',
      source: INVENTORY,
      adapter: INVENTORY,
      via: 'readInventory',
      resources: ['*'],
    },
    {
      action: 'fsx:DescribeDataRepositoryAssociations',
      command: 'DescribeDataRepositoryAssociationsCommand',
      source: INVENTORY,
      adapter: INVENTORY,
      via: 'readInventory',
      resources: ['*'],
    },
    {
      action: 'logs:DescribeSubscriptionFilters',
      command: 'DescribeSubscriptionFiltersCommand',
      source: INVENTORY,
      adapter: INVENTORY,
      via: 'readInventory',
      resources: ['fsxLogGroups'],
    },
    {
      action: 'dynamodb:GetItem',
      command: 'GetItemCommand',
      source: DOCTOR_STATE,
      adapter: DOCTOR_STATE,
      via: 'load',
      resources: ['ledgerTable'],
      keys: 'doctor#{region}',
    },
    {
      action: 'dynamodb:PutItem',
      command: 'PutItemCommand',
      source: DOCTOR_STATE,
      adapter: DOCTOR_STATE,
      via: 'save',
      resources: ['ledgerTable'],
      keys: 'doctor#{region}',
    },
    publish,
    publishChat,
    {
      action: 'sns:ListSubscriptionsByTopic',
      command: 'ListSubscriptionsByTopicCommand',
      source: INVENTORY,
      adapter: INVENTORY,
      via: 'readInventory',
      resources: ['summaryTopic'],
    },
    readBacklog,
  ],
};

const OWN_LOGS: PlatformGrant = {
  actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  resources: ['ownLogGroup'],
  by: "the Lambda runtime writes the function's logs",
};
const TOPIC_KEY: PlatformGrant = {
  actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
  resources: ['topicKey'],
  by: 'SNS encrypts what sns:Publish sends to the encrypted topic, with the caller’s rights',
};
const TRACES: PlatformGrant = {
  actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  resources: ['*'],
  by: 'the Lambda runtime sends the X-Ray segments of active tracing',
  tracingOnly: true,
};

/** What AWS does with each function's role besides the calls of its code. */
const PLATFORM_GRANTS: Readonly<Record<FunctionName, readonly PlatformGrant[]>> = {
  analyzer: [
    OWN_LOGS,
    TOPIC_KEY,
    {
      actions: ['sqs:SendMessage'],
      resources: ['failureQueue'],
      by: 'Lambda sends a batch that failed every attempt to the on-failure destination',
    },
    TRACES,
  ],
  retrier: [
    OWN_LOGS,
    TOPIC_KEY,
    {
      actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      resources: ['deferralQueue'],
      by: 'the event source mapping polls the deferral queue',
    },
    TRACES,
  ],
  outcomes: [OWN_LOGS, TOPIC_KEY, TRACES],
  digest: [OWN_LOGS, TOPIC_KEY, TRACES],
  doctor: [OWN_LOGS, TOPIC_KEY, TRACES],
};

/**
 * Adapters a function imports without sending anything through them, with the reason.
 */
const IMPORTED_WITHOUT_CALLS: Readonly<Partial<Record<FunctionName, Record<string, string>>>> = {
  retrier: { [SQS]: 'parseDeferredExport only: reads the deferral message Lambda delivers' },
};

/**
 * Calls only organization mode makes (docs/organization.md), through functions/organization.ts:
 * granted by infra/organization.yml, never by the single-account stack. test/infra/
 * organization.test.ts checks the organization template grants them to these functions.
 */
const ORGANIZATION_CALLS: Readonly<Partial<Record<FunctionName, readonly CodeCall[]>>> = {
  analyzer: [
    {
      action: 'sts:AssumeRole',
      command: 'AssumeRoleCommand',
      source: 'lib/aws/accounts.ts',
      adapter: 'lib/aws/accounts.ts',
      via: 'createAccounts',
      resources: ['*'],
    },
  ],
  retrier: [
    {
      action: 'sts:AssumeRole',
      command: 'AssumeRoleCommand',
      source: 'lib/aws/accounts.ts',
      adapter: 'lib/aws/accounts.ts',
      via: 'createAccounts',
      resources: ['*'],
    },
  ],
  outcomes: [
    {
      action: 'sts:AssumeRole',
      command: 'AssumeRoleCommand',
      source: 'lib/aws/accounts.ts',
      adapter: 'lib/aws/accounts.ts',
      via: 'createAccounts',
      resources: ['*'],
    },
  ],
};

/** Adapters only the CLI uses (cli/): no function imports them, no role grants their calls. */
const CLI_ONLY_ADAPTERS: Readonly<Record<string, string>> = {
  'lib/aws/logs.ts': 'FilterLogEvents, for the CLI commands `scan` and `reexport`',
};

/** The IAM prefix of each SDK client of lib/aws/clients.ts (and s3-client.ts). */
const CLIENT_SERVICES: Readonly<Record<string, string>> = {
  dynamoClient: 'dynamodb',
  fsxClient: 'fsx',
  snsClient: 'sns',
  sqsClient: 'sqs',
  logsClient: 'logs',
  s3Client: 's3',
  metricsClient: 'cloudwatch',
};

/** Commands whose IAM action is not named after them (the SQS API reference). */
const ACTION_OF_COMMAND: Readonly<Record<string, string>> = {
  SendMessageBatchCommand: 'SendMessage',
};

/**
 * One grant as a line, `action resource [key]`, to compare sets: the key is the
 * dynamodb:LeadingKeys pattern, with `{function}` and `{region}` as in CodeCall.keys.
 */
function grantLine(action: string, resource: string, key?: string): string {
  return key === undefined ? `${action} ${resource}` : `${action} ${resource} [${key}]`;
}

/** The grant lines a function needs: its code's calls and the platform's, deduplicated, sorted. */
function neededGrants(name: FunctionName, tracing: boolean, chat = false): string[] {
  const lines = new Set<string>();
  for (const call of CODE_CALLS[name]) {
    if (call.chatOnly === true && !chat) continue;
    for (const resource of call.resources) lines.add(grantLine(call.action, resource, call.keys));
  }
  for (const grant of PLATFORM_GRANTS[name]) {
    if (grant.tracingOnly === true && !tracing) continue;
    for (const action of grant.actions) {
      for (const resource of grant.resources) lines.add(grantLine(action, resource));
    }
  }
  return [...lines].sort();
}

export type { CodeCall, FunctionName, PlatformGrant, ResourceName };
export {
  ACTION_OF_COMMAND,
  CLI_ONLY_ADAPTERS,
  CLIENT_SERVICES,
  CODE_CALLS,
  grantLine,
  IMPORTED_WITHOUT_CALLS,
  neededGrants,
  ORGANIZATION_CALLS,
  PLATFORM_GRANTS,
};

// Values serverless.yml computes from its parameters, loaded by osls through
// `${file(infra/settings.cjs):name}`. CommonJS because osls loads JavaScript variable files with
// require(). Everything here runs at package time, offline: only params, options and the service's
// own settings are read, never AWS.
'use strict';

const {
  checkBooleanVariable,
  checkIntegerVariable,
  checkKnownName,
  checkReportPathVariable,
  fail,
  refusingResolvers,
  shown,
} = require('./params.cjs');

// FSx only writes event logs to log groups whose name begins with /aws/fsx/ (docs/fsx-facts.md#event-logs), and a
// CloudWatch Logs log group name is 1-512 of these characters.
const FSX_LOG_GROUP = /^\/aws\/fsx\/[.\-_/#A-Za-z0-9]{1,503}$/;
const FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,}$/;
// Parameter fileSystemTag: `key=value`. The key becomes part of an IAM condition key
// (aws:ResourceTag/<key>), so it is kept to characters every tag and condition key accepts, with
// no `=`; `aws:` keys are AWS's own. The value may hold what FSx tag values hold.
const TAG_KEY = /^(?!aws:)[A-Za-z0-9_.:/+\-@]{1,128}$/;
const TAG_VALUE = /^[\p{L}\p{N} _.:/=+\-@]{1,256}$/u;
// Stages that may start export tasks on every file system of the account without a warning.
const DEV_STAGE = /^(dev|local|test)$|^dev[-_]/;
// Duration alarm: fires when an invocation comes this close to the timeout.
const DURATION_ALARM_SHARE = 0.8;
// The retrier's event source mapping gathers messages for up to this long (coalescing).
const RETRIER_BATCHING_WINDOW_SECONDS = 60;
// SQS limits: the longest message delay and the longest visibility timeout.
const SQS_MAX_DELAY_SECONDS = 900;
const SQS_MAX_VISIBILITY_SECONDS = 43_200;

/** Splits a comma- or whitespace-separated parameter into its distinct, non-empty items. */
function listParam(value) {
  const items = String(value ?? '')
    .split(/[\s,]+/)
    .filter((item) => item.length > 0);
  return [...new Set(items)];
}

// osls resolves a variable once per place that uses it (both roles that start export tasks): one
// warning per message and process is enough.
const warned = new Set();

/** A package-time warning on stderr, once per message; packaging goes on. */
function warn(message) {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(`Warning: ${message}`);
}

/** The analyzer's own log group, as osls names it: /aws/lambda/<service>-<stage>-analyzer. */
async function ownLogGroup(resolveVariable) {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return `/aws/lambda/${service}-${stage}-analyzer`;
}

/**
 * One `cloudwatchLog` event per log group in the `logGroups` parameter, each with the empty
 * filter pattern (every record reaches the function, which filters in code; see README.md, Design notes).
 * Refuses anything that is not an FSx log group, which also keeps the function's own log group
 * (and any other Lambda's) from ever being subscribed: no invocation loop.
 */
async function subscriptions({ resolveVariable }) {
  const groups = listParam(await resolveVariable('param:logGroups'));
  const own = await ownLogGroup(resolveVariable);
  if (groups.length === 0) fail('Parameter logGroups must name at least one log group');
  for (const group of groups) {
    if (group === own) {
      fail(`Parameter logGroups must not contain the analyzer's own log group ${own}`);
    }
    if (!FSX_LOG_GROUP.test(group)) {
      fail(
        `Parameter logGroups: "${group}" is not an FSx log group (FSx writes only to log groups ` +
          'whose name begins with /aws/fsx/)',
      );
    }
  }
  return groups.map((logGroup) => ({ cloudwatchLog: { logGroup, filter: '' } }));
}

/** The file system ids of the `fileSystemIds` parameter, or ['*'] for every one. */
async function fileSystemIds(resolveVariable) {
  const ids = listParam(await resolveVariable('param:fileSystemIds'));
  if (ids.length === 0) fail('Parameter fileSystemIds must be * or a list of file system ids');
  if (ids.includes('*') && ids.length > 1) {
    fail('Parameter fileSystemIds must be either * or a list of file system ids, not both');
  }
  for (const id of ids) {
    if (id !== '*' && !FILE_SYSTEM_ID.test(id)) {
      fail(`Parameter fileSystemIds: "${id}" is not a file system id (fs-0123456789abcdef0)`);
    }
  }
  return ids;
}

/** The `fileSystemTag` parameter (`key=value`): { key, value }, or undefined when empty. */
async function fileSystemTag(resolveVariable) {
  const text = String((await resolveVariable('param:fileSystemTag')) ?? '').trim();
  if (text === '') return undefined;
  const equals = text.indexOf('=');
  const key = equals < 0 ? '' : text.slice(0, equals).trim();
  const value = equals < 0 ? '' : text.slice(equals + 1).trim();
  if (!TAG_KEY.test(key) || !TAG_VALUE.test(value)) {
    fail(
      `Parameter fileSystemTag must be key=value, the key 1-128 of A-Z a-z 0-9 _ . : / + - @ ` +
        `(not aws:...), the value 1-256 characters (got "${text}")`,
    );
  }
  return { key, value };
}

/** An ARN of this account and Region's FSx, as CloudFormation resolves it. */
function fsxArn(resource) {
  return { 'Fn::Sub': `arn:\${AWS::Partition}:fsx:\${AWS::Region}:\${AWS::AccountId}:${resource}` };
}

/**
 * The statement that lets a role start export tasks on file systems (infra/iam.yml): on the file
 * systems the `fileSystemIds` parameter names (every file system of the account and Region for
 * `*`), and, when the `fileSystemTag` parameter is set, only on those that carry that tag
 * (aws:ResourceTag). The tasks the call creates are a second resource of the same call, granted
 * apart (StartExportTasksCreateTasks): a tag condition here would otherwise be required of the new
 * task too, which carries no tags.
 *
 * Outside dev stages, a stack that may start tasks on every file system of the account (no id
 * list, no tag) is packaged with a warning.
 */
async function exportFileSystemsStatement({ resolveVariable }) {
  const ids = await fileSystemIds(resolveVariable);
  const tag = await fileSystemTag(resolveVariable);
  const stage = String(await resolveVariable('sls:stage'));
  if (ids.includes('*') && tag === undefined && !DEV_STAGE.test(stage)) {
    warn(
      `stage "${stage}": the analyzer and the retrier may start export tasks on every FSx file ` +
        'system of the account in the Region. Limit them with --param="fileSystemIds=fs-..." ' +
        'or --param="fileSystemTag=key=value" (docs/permissions.md).',
    );
  }
  const statement = {
    Sid: 'StartExportTasksOnFileSystems',
    Effect: 'Allow',
    Action: 'fsx:CreateDataRepositoryTask',
    Resource: ids.map((id) => fsxArn(`file-system/${id}`)),
  };
  if (tag === undefined) return statement;
  return {
    ...statement,
    Condition: { StringEquals: { [`aws:ResourceTag/${tag.key}`]: tag.value } },
  };
}

/** The Duration alarm's threshold in milliseconds: 80% of the function timeout. */
async function durationAlarmThresholdMs({ resolveVariable }) {
  const timeout = Number(await resolveVariable('param:timeout'));
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 900) {
    fail('Parameter timeout must be a whole number of seconds from 1 to 900');
  }
  return Math.round(timeout * 1000 * DURATION_ALARM_SHARE);
}

/** A whole number parameter within [min, max], or a one-line error naming it. */
async function integerParam(resolveVariable, name, min, max, unit) {
  const raw = await resolveVariable(`param:${name}`);
  const text = String(raw ?? '').trim();
  const value = typeof raw === 'number' ? raw : /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(
      `Parameter ${name} must be a whole number${unit} from ${min} to ${max} (got "${shown(raw)}")`,
    );
  }
  return value;
}

/** The retrier's timeout in seconds (parameter retrierTimeout). */
function retrierTimeout(resolveVariable) {
  return integerParam(resolveVariable, 'retrierTimeout', 1, 900, ' of seconds');
}

/**
 * How long the retrier's event source mapping gathers deferral messages before invoking it. One
 * value for the mapping (serverless.yml) and the visibility timeout below, which must cover it.
 */
async function retrierBatchingWindowSeconds() {
  return RETRIER_BATCHING_WINDOW_SECONDS;
}

/**
 * The deferral queue's visibility timeout: AWS asks for at least six times the consuming
 * function's timeout, so Lambda can retry a batch when the function is throttled, plus the
 * batching window, during which the mapping already holds the messages in flight. With the
 * defaults: 6 x 60 + 60 = 420 s. It is also how long a message the retrier hands back (a partial
 * batch failure: "wait") stays invisible before its next receive.
 */
async function deferralVisibilityTimeout({ resolveVariable }) {
  const timeout = await retrierTimeout(resolveVariable);
  return Math.min(SQS_MAX_VISIBILITY_SECONDS, 6 * timeout + RETRIER_BATCHING_WINDOW_SECONDS);
}

/**
 * The deferral queue's maxReceiveCount (parameter maxReceives): after that many receives a
 * message moves to the dead-letter queue. The retrier gets the same value as MAX_RECEIVES, so it
 * knows which receive is the last and can name the paths in its email before the move.
 */
async function maxReceiveCount({ resolveVariable }) {
  return envInteger(resolveVariable, 'maxReceives');
}

// The three scheduled functions' intervals in minutes, each from its parameter.
const outcomeCheckMinutes = (resolveVariable) =>
  integerParam(resolveVariable, 'outcomeCheckMinutes', 1, 1440, ' of minutes');
const digestCheckMinutes = (resolveVariable) =>
  integerParam(resolveVariable, 'digestCheckMinutes', 1, 60, ' of minutes');
const doctorCheckMinutes = (resolveVariable) =>
  integerParam(resolveVariable, 'doctorCheckMinutes', 5, 1440, ' of minutes');

/**
 * The outcome check's schedule (parameter outcomeCheckMinutes): `rate(1 minute)` or
 * `rate(N minutes)`, the only forms EventBridge accepts for minutes.
 */
async function outcomeSchedule({ resolveVariable }) {
  const minutes = await outcomeCheckMinutes(resolveVariable);
  return minutes === 1 ? 'rate(1 minute)' : `rate(${minutes} minutes)`;
}

/**
 * The deferral-stalled alarm's threshold in seconds: the longest a message should stay in the
 * deferral queue by design, that is the longest delay SQS allows (900 s; the analyzer's delays
 * are at most that) plus one visibility timeout per receive before it is dead-lettered. Older
 * means nobody receives the queue (event source mapping disabled or deleted), and its messages
 * would otherwise expire unseen after the retention period. With the defaults: 900 + 5 x 420 =
 * 3000 s.
 */
async function deferralAgeAlarmSeconds(resolver) {
  const visibility = await deferralVisibilityTimeout(resolver);
  const receives = await maxReceiveCount(resolver);
  return SQS_MAX_DELAY_SECONDS + receives * visibility;
}

/**
 * The alert window W in minutes (parameter digestWindowMinutes), as the analyzer's and the
 * digest function's DIGEST_WINDOW_MINUTES. A string: Lambda environment values are strings.
 */
async function digestWindowMinutes({ resolveVariable }) {
  // The parameter's range (1 to 1440) lies within the variable's (0, digests off, to 1440).
  const minutes = await integerParam(
    resolveVariable,
    'digestWindowMinutes',
    1,
    1440,
    ' of minutes',
  );
  await envInteger(resolveVariable, 'digestWindowMinutes');
  return String(minutes);
}

/**
 * The digest function's schedule (parameter digestCheckMinutes): a window's digest goes out at
 * most this long after the window ends.
 */
async function digestSchedule({ resolveVariable }) {
  const minutes = await digestCheckMinutes(resolveVariable);
  return minutes === 1 ? 'rate(1 minute)' : `rate(${minutes} minutes)`;
}

/**
 * The scheduled doctor's schedule (parameter doctorCheckMinutes, 5 to 1440): how late a file
 * system that stopped being watched is noticed.
 */
async function doctorSchedule({ resolveVariable }) {
  const minutes = await doctorCheckMinutes(resolveVariable);
  if (minutes % 60 === 0) return minutes === 60 ? 'rate(1 hour)' : `rate(${minutes / 60} hours)`;
  return `rate(${minutes} minutes)`;
}

/*
 * The period, in seconds, of the alarm on each scheduled function that stops running
 * (infra/alarms.yml): one schedule interval, evaluated over two. CloudWatch limits periods times
 * evaluation periods to one day for periods under an hour and to seven days otherwise: two
 * periods of any interval the parameters accept (at most 1440 minutes) fit.
 */
async function outcomeCheckSeconds({ resolveVariable }) {
  return 60 * (await outcomeCheckMinutes(resolveVariable));
}

async function digestCheckSeconds({ resolveVariable }) {
  return 60 * (await digestCheckMinutes(resolveVariable));
}

async function doctorCheckSeconds({ resolveVariable }) {
  return 60 * (await doctorCheckMinutes(resolveVariable));
}

/**
 * The analyzer's reserved concurrency (parameter analyzerConcurrency, 1 to 1000): at most that
 * many batches are analysed at once. A flood of log batches then waits in Lambda's asynchronous
 * queue (retried for up to the 6-hour maximum event age, then kept in the failure queue) instead of
 * taking the account's concurrency from other functions or starting export tasks on FSx faster
 * than it can take them.
 */
async function analyzerConcurrency({ resolveVariable }) {
  return integerParam(resolveVariable, 'analyzerConcurrency', 1, 1000, ' of executions');
}

/** Parameter tracing: true or false. */
async function tracing(resolveVariable) {
  const raw = await resolveVariable('param:tracing');
  const text = String(raw ?? '')
    .trim()
    .toLowerCase();
  if (text !== 'true' && text !== 'false') {
    fail(`Parameter tracing must be true or false (got "${shown(raw)}")`);
  }
  return text === 'true';
}

/** provider.tracing.lambda: Active (X-Ray active tracing) with tracing=true, else none. */
async function lambdaTracing({ resolveVariable }) {
  return (await tracing(resolveVariable)) ? 'Active' : false;
}

/**
 * "true" or "false": the TracingEnabled condition of the X-Ray policy (infra/iam.yml) and the
 * functions' POWERTOOLS_TRACE_ENABLED.
 */
async function tracingEnabled({ resolveVariable }) {
  return String(await tracing(resolveVariable));
}

// Chat channel ids (docs/operate.md#chat-alerts), in the forms the channel configurations accept
// (AWS::Chatbot::SlackChannelConfiguration, AWS::Chatbot::MicrosoftTeamsChannelConfiguration).
const SLACK_WORKSPACE_ID = /^[0-9A-Z]{1,255}$/;
const SLACK_CHANNEL_ID = /^[A-Za-z0-9]{1,255}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TEAMS_CHANNEL_ID = /^[a-zA-Z0-9\-_=+/.,]*%3[aA][a-zA-Z0-9\-_=+/.,]*%40[a-zA-Z0-9\-_=+/.,]*$/;

/**
 * Which chat channel the stack creates: `slack` (chatSlackWorkspaceId and chatSlackChannelId),
 * `teams` (chatTeamsTeamId, chatTeamsTenantId and chatTeamsChannelId) or `none`. Half a set, both
 * sets, or an id of the wrong form fails packaging, naming the parameter.
 */
async function chatKind({ resolveVariable }) {
  const read = async (name) => String((await resolveVariable(`param:${name}`)) ?? '').trim();
  const slack = {
    chatSlackWorkspaceId: [
      await read('chatSlackWorkspaceId'),
      SLACK_WORKSPACE_ID,
      'a Slack workspace id such as T0123ABCD',
    ],
    chatSlackChannelId: [
      await read('chatSlackChannelId'),
      SLACK_CHANNEL_ID,
      'a Slack channel id such as C0123ABCD',
    ],
  };
  const teams = {
    chatTeamsTeamId: [await read('chatTeamsTeamId'), UUID, 'a Microsoft Teams team id (a UUID)'],
    chatTeamsTenantId: [
      await read('chatTeamsTenantId'),
      UUID,
      'a Microsoft Entra tenant id (a UUID)',
    ],
    chatTeamsChannelId: [
      await read('chatTeamsChannelId'),
      TEAMS_CHANNEL_ID,
      'a URL-encoded Teams channel id such as 19%3Aabc%40thread.tacv2',
    ],
  };
  const given = (set) => Object.values(set).some(([value]) => value !== '');
  const check = (set) => {
    for (const [name, [value, pattern, what]] of Object.entries(set)) {
      if (value === '') {
        fail(
          `Parameter ${name} is required with ${Object.keys(set)
            .filter((other) => other !== name)
            .join(' and ')}`,
        );
      }
      if (!pattern.test(value))
        fail(`Parameter ${name} must be ${what} (got "${value.slice(0, 80)}")`);
    }
  };
  if (given(slack) && given(teams)) {
    fail('Chat parameters: give either the Slack ids or the Microsoft Teams ids, not both');
  }
  if (given(slack)) {
    check(slack);
    return 'slack';
  }
  if (given(teams)) {
    check(teams);
    return 'teams';
  }
  return 'none';
}

/** "true" when the chat parameters name a channel: the chat topic and its grants are created. */
async function chatEnabled(resolver) {
  return String((await chatKind(resolver)) !== 'none');
}

// Where completion reports go unless reportPath says otherwise: a folder of this name at the
// root of each data repository association (lib/reexport/rules.ts, reportPathFor).
const REPORT_FOLDER = 'fsx-export-analyzer-reports';

/**
 * The objects the outcome check may read (s3:GetObject): each task's failures.csv in the report
 * folder of any association (`*` spans the bucket and the association's prefix), plus under the
 * reportPath parameter when it is set. Nothing else in any bucket.
 */
async function reportObjects({ resolveVariable }) {
  const raw = String((await resolveVariable('param:reportPath')) ?? '').trim();
  const arn = (path) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${path}/task-*/failures.csv` });
  const objects = [arn(`*/${REPORT_FOLDER}`)];
  if (raw !== '') {
    const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/[^*?$]*)?$/.exec(raw);
    if (match === null)
      fail(`Parameter reportPath must be s3://bucket or s3://bucket/prefix (got "${raw}")`);
    objects.push(arn(`${match[1]}${(match[2] ?? '').replace(/\/+$/, '')}`));
  }
  return objects;
}

/**
 * Parameter backlogThresholdMinutes (1 to 10080): an automatic-export backlog at least this old
 * is a doctor PROBLEM and sets off the backlog alarms. A string for the doctor's
 * BACKLOG_THRESHOLD_MINUTES (Lambda environment values are strings).
 */
async function backlogThresholdMinutes({ resolveVariable }) {
  return String(await envInteger(resolveVariable, 'backlogThresholdMinutes'));
}

/**
 * One backlog alarm per file system of the fileSystemIds parameter (none for *): FSx's
 * AgeOfOldestQueuedMessage (AWS/FSx, Publisher AutoExport, in seconds) at or past
 * backlogThresholdMinutes for two 5-minute periods, to the summary topic, and back to OK.
 * CloudFormation cannot loop over a list, so the resources are generated here and included from
 * serverless.yml as a resources entry of their own. Missing data is not breaching: FSx publishes
 * nothing for a file system without automatic export, which is not a backlog.
 */
async function backlogAlarms({ resolveVariable }) {
  const ids = (await fileSystemIds(resolveVariable)).filter((id) => id !== '*');
  const minutes = Number(await backlogThresholdMinutes({ resolveVariable }));
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const resources = {};
  for (const id of ids) {
    const suffix = id.replace(/^fs-/, '');
    resources[`ExportBacklog${suffix.charAt(0).toUpperCase()}${suffix.slice(1)}Alarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${service}-${stage}-export-backlog-${id}`,
        AlarmDescription:
          `Automatic export on ${id} is behind: the oldest change not yet exported to S3 is ` +
          `at least ${minutes} minutes old. Run fsx-export-analyzer doctor --file-system-id ${id}; ` +
          'see docs/operate.md, "The export backlog".',
        Namespace: 'AWS/FSx',
        MetricName: 'AgeOfOldestQueuedMessage',
        Dimensions: [
          { Name: 'FileSystemId', Value: id },
          { Name: 'Publisher', Value: 'AutoExport' },
        ],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 2,
        Threshold: minutes * 60,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'SummaryTopic' }],
        OKActions: [{ Ref: 'SummaryTopic' }],
      },
    };
  }
  return { Resources: resources };
}

/**
 * The parameters serverless.yml passes to a function's environment, with the variable each
 * becomes: checked at package time against the rule the function applies at every cold start
 * (lib/common/env-rules.json), so a value every invocation would refuse is never deployed.
 */
const ENVIRONMENT_PARAMS = {
  dryRun: 'DRY_RUN',
  reportPath: 'REPORT_PATH',
  maxPathsPerTask: 'MAX_PATHS_PER_TASK',
  busyDelaySeconds: 'BUSY_DELAY_SECONDS',
  associationCacheSeconds: 'ASSOCIATION_CACHE_SECONDS',
  retryLaterSeconds: 'RETRY_LATER_SECONDS',
  maxAttempts: 'MAX_ATTEMPTS',
  attemptWindowHours: 'ATTEMPT_WINDOW_HOURS',
  coalesceWindowSeconds: 'COALESCE_WINDOW_SECONDS',
  maxReceives: 'MAX_RECEIVES',
  digestWindowMinutes: 'DIGEST_WINDOW_MINUTES',
  backlogThresholdMinutes: 'BACKLOG_THRESHOLD_MINUTES',
};

/** An integer parameter of ENVIRONMENT_PARAMS, refused unless its function would accept it. */
async function envInteger(resolveVariable, name) {
  return checkIntegerVariable(
    name,
    ENVIRONMENT_PARAMS[name],
    await resolveVariable(`param:${name}`),
  );
}

// An address SNS can deliver to: local part, @, a domain with a dot; no spaces or separators.
const EMAIL = /^[^\s@,;<>"()[\]]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/;
// The retention periods CloudWatch Logs accepts (PutRetentionPolicy retentionInDays).
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

// Organization mode's parameters (infra/organization.cjs), read only with organization=true:
// given without it, they would be ignored and the stack would watch this account alone.
const ORGANIZATION_ONLY = [
  'organizationId',
  'organizationAccounts',
  'memberRoleName',
  'accountNames',
  'kinesisStreamMode',
  'kinesisShards',
  'kinesisBatchSize',
  'kinesisParallelization',
  'kinesisMaxRetries',
  'kinesisBisectOnError',
];

/**
 * The names of `--param` options and of serverless.yml's stage sections (params.<stage>) that
 * params.default does not declare, each with where it was given. osls takes such a name and
 * ignores it: a misspelt parameter would silently keep its default. Organization mode's
 * parameters given on the command line are refused too unless `organization` is true.
 */
function unknownParams(cliParams, params, organization = 'true') {
  const known = Object.keys(params?.default ?? {});
  const given = [];
  for (const item of [cliParams ?? []].flat()) {
    // osls's own form (name=value, the value not empty); osls would otherwise refuse it once
    // per variable that reads a parameter, in as many lines.
    const match = /^([^=]+)=(.*)$/s.exec(String(item));
    if (match === null) fail(`--param "${shown(item)}" is not name=value`);
    if (match[2].trim() === '') {
      fail(
        `Parameter ${shown(match[1])} (--param) has no value: give --param="${shown(match[1])}=value", ` +
          'or leave it out for its default',
      );
    }
    given.push([match[1], ' (--param)']);
  }
  for (const [section, values] of Object.entries(params ?? {})) {
    if (section === 'default') continue;
    for (const name of Object.keys(values ?? {})) {
      given.push([name, ` (params.${section} in serverless.yml)`]);
    }
  }
  for (const [name, where] of given) {
    checkKnownName(name, known, where);
    // On the command line only: a params.<stage> section may hold another stage's settings.
    if (
      where === ' (--param)' &&
      ORGANIZATION_ONLY.includes(name) &&
      String(organization).trim().toLowerCase() !== 'true'
    ) {
      fail(`Parameter ${name}${where} is read only with organization=true (docs/organization.md)`);
    }
  }
}

/**
 * Checks every parameter once, at package time, before anything is packaged: the names
 * (unknownParams), the parameters that become environment variables (ENVIRONMENT_PARAMS, with
 * the functions' own rules), notificationEmail, memorySize and logRetentionDays. The other
 * parameters are checked where their values are computed, above. serverless.yml resolves it
 * once (custom.checkedParams); a refusal is one line naming the parameter (infra/params.cjs).
 */
async function checkedParams({ options, resolveConfigurationProperty, resolveVariable }) {
  if (typeof resolveConfigurationProperty === 'function') {
    const params = await resolveConfigurationProperty(['params']);
    // Forms and names first, before any parameter is read: osls fails every read of a parameter
    // while one --param has no value.
    unknownParams(options?.param, params);
    unknownParams(options?.param, params, await resolveVariable('param:organization'));
  }
  const read = (name) => resolveVariable(`param:${name}`);
  for (const [name, variable] of Object.entries(ENVIRONMENT_PARAMS)) {
    if (variable === 'DRY_RUN') checkBooleanVariable(name, variable, await read(name));
    else if (variable === 'REPORT_PATH') checkReportPathVariable(name, variable, await read(name));
    // Its own, narrower rule first (one message whichever place resolves it first).
    else if (name === 'digestWindowMinutes') await digestWindowMinutes({ resolveVariable });
    else checkIntegerVariable(name, variable, await read(name));
  }
  const email = String((await read('notificationEmail')) ?? '').trim();
  if (email !== '' && (!EMAIL.test(email) || email.length > 254)) {
    fail(
      `Parameter notificationEmail must be an email address such as ops@example.com (got "${shown(email)}")`,
    );
  }
  await integerParam(resolveVariable, 'memorySize', 128, 10_240, ' of MB');
  const retention = Number(String((await read('logRetentionDays')) ?? '').trim() || Number.NaN);
  if (!LOG_RETENTION_DAYS.includes(retention)) {
    fail(
      `Parameter logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')} ` +
        `(got "${shown(await read('logRetentionDays'))}")`,
    );
  }
  return true;
}

module.exports = refusingResolvers({
  checkedParams,
  chatEnabled,
  chatKind,
  analyzerConcurrency,
  reportObjects,
  backlogAlarms,
  backlogThresholdMinutes,
  digestCheckSeconds,
  digestSchedule,
  doctorCheckSeconds,
  doctorSchedule,
  digestWindowMinutes,
  subscriptions,
  exportFileSystemsStatement,
  durationAlarmThresholdMs,
  lambdaTracing,
  outcomeCheckSeconds,
  retrierBatchingWindowSeconds,
  deferralVisibilityTimeout,
  maxReceiveCount,
  outcomeSchedule,
  deferralAgeAlarmSeconds,
  tracingEnabled,
});
// Not variable resolvers: for the tests (test/infra/settings.test.ts).
module.exports.ENVIRONMENT_PARAMS = ENVIRONMENT_PARAMS;
module.exports.unknownParams = unknownParams;

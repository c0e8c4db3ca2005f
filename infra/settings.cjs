// Values serverless.yml computes from its parameters, loaded by osls through
// `${file(infra/settings.cjs):name}`. CommonJS because osls loads JavaScript variable files with
// require(). Everything here runs at package time, offline: only params, options and the service's
// own settings are read, never AWS.
'use strict';

// FSx only writes event logs to log groups whose name begins with /aws/fsx/ (docs/fsx-facts.md#event-logs), and a
// CloudWatch Logs log group name is 1-512 of these characters.
const FSX_LOG_GROUP = /^\/aws\/fsx\/[.\-_/#A-Za-z0-9]{1,503}$/;
const FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,}$/;
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

function fail(message) {
  // osls prints this message inside its "Cannot resolve ..." error.
  throw new Error(message);
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

/**
 * The resources fsx:CreateDataRepositoryTask may act on: the file systems named in the
 * `fileSystemIds` parameter (or every file system of the account and Region for `*`) and the
 * tasks it creates. Task ids are only known once created, hence task/*.
 */
async function createTaskResources({ resolveVariable }) {
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
  const arn = (resource) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:fsx:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
  });
  return [...ids.map((id) => arn(`file-system/${id}`)), arn('task/*')];
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
    fail(`Parameter ${name} must be a whole number${unit} from ${min} to ${max} (got "${raw}")`);
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
  return integerParam(resolveVariable, 'maxReceives', 1, 1000, '');
}

/**
 * The outcome check's schedule (parameter outcomeCheckMinutes): `rate(1 minute)` or
 * `rate(N minutes)`, the only forms EventBridge accepts for minutes.
 */
async function outcomeSchedule({ resolveVariable }) {
  const minutes = await integerParam(
    resolveVariable,
    'outcomeCheckMinutes',
    1,
    1440,
    ' of minutes',
  );
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
  const minutes = await integerParam(
    resolveVariable,
    'digestWindowMinutes',
    1,
    1440,
    ' of minutes',
  );
  return String(minutes);
}

/**
 * The digest function's schedule (parameter digestCheckMinutes): a window's digest goes out at
 * most this long after the window ends.
 */
async function digestSchedule({ resolveVariable }) {
  const minutes = await integerParam(resolveVariable, 'digestCheckMinutes', 1, 60, ' of minutes');
  return minutes === 1 ? 'rate(1 minute)' : `rate(${minutes} minutes)`;
}

/**
 * The scheduled doctor's schedule (parameter doctorCheckMinutes, 5 to 1440): how late a file
 * system that stopped being watched is noticed.
 */
async function doctorSchedule({ resolveVariable }) {
  const minutes = await integerParam(resolveVariable, 'doctorCheckMinutes', 5, 1440, ' of minutes');
  if (minutes % 60 === 0) return minutes === 60 ? 'rate(1 hour)' : `rate(${minutes / 60} hours)`;
  return `rate(${minutes} minutes)`;
}

module.exports = {
  digestSchedule,
  doctorSchedule,
  digestWindowMinutes,
  subscriptions,
  createTaskResources,
  durationAlarmThresholdMs,
  retrierBatchingWindowSeconds,
  deferralVisibilityTimeout,
  maxReceiveCount,
  outcomeSchedule,
  deferralAgeAlarmSeconds,
};

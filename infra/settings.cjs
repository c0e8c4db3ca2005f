// Values serverless.yml computes from its parameters, loaded by osls through
// `${file(infra/settings.cjs):name}`. CommonJS because osls loads JavaScript variable files with
// require(). Everything here runs at package time, offline: only params, options and the service's
// own settings are read, never AWS.
'use strict';

// FSx only writes event logs to log groups whose name begins with /aws/fsx/ (facts §1.2), and a
// CloudWatch Logs log group name is 1-512 of these characters.
const FSX_LOG_GROUP = /^\/aws\/fsx\/[.\-_/#A-Za-z0-9]{1,503}$/;
const FILE_SYSTEM_ID = /^fs-[0-9a-f]{8,}$/;
// Duration alarm: fires when an invocation comes this close to the timeout.
const DURATION_ALARM_SHARE = 0.8;

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

module.exports = { subscriptions, createTaskResources, durationAlarmThresholdMs };

// Organization mode's package-time values (docs/organization.md), loaded by osls through
// `${file(infra/organization.cjs):name}`. With the parameter organization=false (the default) the
// stack includes infra/organization-off.yml, which adds nothing: the single-account template stays
// byte-for-byte what it was. CommonJS for the same reason as infra/settings.cjs; offline.
'use strict';

const { fail, refusingResolvers } = require('./params.cjs');

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const STREAM_MODES = ['ON_DEMAND', 'PROVISIONED'];
// Lambda's limits for a Kinesis event source mapping.
const MAX_BATCH_SIZE = 10_000;
const MAX_PARALLELIZATION = 10;
const MAX_RETRY_ATTEMPTS = 10_000;

function listParam(value) {
  return [
    ...new Set(
      String(value ?? '')
        .split(/[\s,]+/)
        .filter((item) => item.length > 0),
    ),
  ];
}

async function param(resolveVariable, name) {
  return String((await resolveVariable(`param:${name}`)) ?? '').trim();
}

async function enabled(resolveVariable) {
  const text = (await param(resolveVariable, 'organization')).toLowerCase();
  if (text !== 'true' && text !== 'false') {
    fail(`Parameter organization must be true or false (got "${text}")`);
  }
  return text === 'true';
}

/** The stack file holding organization mode's resources: empty when it is off. */
async function resourcesFile({ resolveVariable }) {
  return (await enabled(resolveVariable)) ? 'infra/organization.yml' : 'infra/organization-off.yml';
}

/**
 * Who may send logs: the organization (organizationId) or a list of accounts
 * (organizationAccounts); exactly one of them.
 */
async function senders(resolveVariable) {
  const organizationId = await param(resolveVariable, 'organizationId');
  const accounts = listParam(await param(resolveVariable, 'organizationAccounts'));
  if ((organizationId === '') === (accounts.length === 0)) {
    fail(
      'Organization mode needs exactly one of the parameters organizationId and organizationAccounts',
    );
  }
  if (organizationId !== '' && !ORGANIZATION_ID.test(organizationId)) {
    fail(
      `Parameter organizationId must be an AWS Organizations id such as o-a1b2c3d4e5 (got "${organizationId}")`,
    );
  }
  for (const account of accounts) {
    if (!ACCOUNT_ID.test(account))
      fail(`Parameter organizationAccounts has "${account}": not a 12-digit account id`);
  }
  return organizationId === '' ? { accounts } : { organizationId };
}

/**
 * The Logs destination's access policy (a JSON string; Fn::Sub fills in the Region and account):
 * only logs:PutSubscriptionFilter on this destination, for the organization's principals
 * (aws:PrincipalOrgID) or for the listed accounts.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html
 */
async function destinationPolicy({ resolveVariable }) {
  const who = await senders(resolveVariable);
  const name = await destinationName({ resolveVariable });
  const statement = {
    Sid: 'MembersSubscribe',
    Effect: 'Allow',
    Principal: who.organizationId === undefined ? { AWS: who.accounts } : '*',
    Action: 'logs:PutSubscriptionFilter',
    Resource: `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:destination:${name}`,
  };
  if (who.organizationId !== undefined) {
    statement.Condition = { StringEquals: { 'aws:PrincipalOrgID': who.organizationId } };
  }
  return { 'Fn::Sub': JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) };
}

/**
 * The condition on the role CloudWatch Logs assumes to put records: only on behalf of the
 * organization's (or the listed) accounts' log groups in this Region, and this account's (the
 * test message Logs sends when the destination is created).
 */
async function logsRoleCondition({ resolveVariable }) {
  const who = await senders(resolveVariable);
  if (who.organizationId !== undefined) {
    return { StringEquals: { 'aws:SourceOrgID': who.organizationId } };
  }
  const arns = [`\${AWS::AccountId}`, ...who.accounts].map((account) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:${account}:*`,
  }));
  return { StringLike: { 'aws:SourceArn': arns } };
}

/**
 * The statement that lets a central function assume the member role: in any account of the
 * organization (aws:ResourceOrgID), or in each listed account.
 */
async function assumeMemberRoleStatement({ resolveVariable }) {
  const who = await senders(resolveVariable);
  const role = await memberRoleName({ resolveVariable });
  const arn = (account) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::${account}:role/${role}` });
  const statement = {
    Sid: 'AssumeMemberRoles',
    Effect: 'Allow',
    Action: 'sts:AssumeRole',
    Resource: who.organizationId === undefined ? who.accounts.map(arn) : arn('*'),
  };
  if (who.organizationId !== undefined) {
    statement.Condition = { StringEquals: { 'aws:ResourceOrgID': who.organizationId } };
  }
  return statement;
}

async function memberRoleName({ resolveVariable }) {
  const name = await param(resolveVariable, 'memberRoleName');
  if (!ROLE_NAME.test(name))
    fail(`Parameter memberRoleName must be an IAM role name (got "${name}")`);
  return name;
}

async function destinationName({ resolveVariable }) {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return `${service}-${stage}-fsx-logs`;
}

/** StreamModeDetails: on-demand (default) or provisioned with kinesisShards shards. */
async function streamModeDetails({ resolveVariable }) {
  const mode = (await param(resolveVariable, 'kinesisStreamMode')).toUpperCase();
  if (!STREAM_MODES.includes(mode))
    fail(`Parameter kinesisStreamMode must be ON_DEMAND or PROVISIONED (got "${mode}")`);
  return { StreamMode: mode };
}

/** ShardCount: only for a provisioned stream (CloudFormation refuses it for on-demand). */
async function shardCount({ resolveVariable }) {
  const { StreamMode } = await streamModeDetails({ resolveVariable });
  if (StreamMode === 'ON_DEMAND') return { Ref: 'AWS::NoValue' };
  return integer(await param(resolveVariable, 'kinesisShards'), 'kinesisShards', 1, 500);
}

function integer(text, name, min, max) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`Parameter ${name} must be a whole number from ${min} to ${max} (got "${text}")`);
  }
  return value;
}

async function kinesisBatchSize({ resolveVariable }) {
  return integer(
    await param(resolveVariable, 'kinesisBatchSize'),
    'kinesisBatchSize',
    1,
    MAX_BATCH_SIZE,
  );
}

async function kinesisParallelization({ resolveVariable }) {
  return integer(
    await param(resolveVariable, 'kinesisParallelization'),
    'kinesisParallelization',
    1,
    MAX_PARALLELIZATION,
  );
}

async function kinesisMaxRetries({ resolveVariable }) {
  return integer(
    await param(resolveVariable, 'kinesisMaxRetries'),
    'kinesisMaxRetries',
    0,
    MAX_RETRY_ATTEMPTS,
  );
}

async function kinesisBisect({ resolveVariable }) {
  const text = (await param(resolveVariable, 'kinesisBisectOnError')).toLowerCase();
  if (text !== 'true' && text !== 'false')
    fail(`Parameter kinesisBisectOnError must be true or false (got "${text}")`);
  return text === 'true';
}

/** `111122223333=prod-hpc,...`, checked here so a typo fails the package, not a cold start. */
async function accountNames({ resolveVariable }) {
  const text = await param(resolveVariable, 'accountNames');
  for (const entry of text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [id, ...name] = entry.split('=');
    if (!ACCOUNT_ID.test(String(id).trim()) || name.join('=').trim() === '') {
      fail(`Parameter accountNames has "${entry}": expected <12-digit account id>=<name>`);
    }
  }
  return text;
}

module.exports = refusingResolvers({
  accountNames,
  assumeMemberRoleStatement,
  destinationName,
  destinationPolicy,
  kinesisBatchSize,
  kinesisBisect,
  kinesisMaxRetries,
  kinesisParallelization,
  logsRoleCondition,
  memberRoleName,
  resourcesFile,
  shardCount,
  streamModeDetails,
});

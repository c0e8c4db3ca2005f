import { createHash } from 'node:crypto';
import { ConfigError } from './errors.ts';
import { display } from './text.ts';
import type { ExportTask, LogBatch, Report, Telemetry } from './types.ts';

/*
 * Organization mode (docs/organization.md): one central stack analyses the FSx logs of many
 * accounts, which arrive through a CloudWatch Logs destination and a Kinesis data stream. Each
 * subscription payload's `owner` is the account that wrote the logs; FSx calls for it go through a
 * role in that account. Pure: the rules that say what carries the account, and how.
 */

/** An AWS account id: 12 digits. */
const ACCOUNT_ID = /^\d{12}$/;
/** IAM role names: 1-64 of these characters (a path is not used for the member role). */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const PARTITION = /^aws(?:-[a-z]+)*$/;

/** Settings of organization mode, from the central stack (infra/organization.yml). */
interface OrganizationConfig {
  /** The central account: its file systems use the functions' own role. */
  readonly homeAccount: string;
  /** The role each member account holds for the central functions (infra/member-account.yml). */
  readonly memberRoleName: string;
  readonly partition: string;
  /** Account names shown beside the ids (the stack parameter accountNames); may be empty. */
  readonly accountNames: ReadonlyMap<string, string>;
}

/** What reaching a member's role needs: its name, the partition, the names shown in messages. */
type MemberRoleConfig = Pick<OrganizationConfig, 'memberRoleName' | 'partition' | 'accountNames'>;

/**
 * `111122223333=prod-hpc,444455556666=ml-training`: ids and the names shown beside them.
 *
 * @throws ConfigError naming ORGANIZATION_ACCOUNT_NAMES and the entry that is wrong.
 */
function parseAccountNames(text: string | undefined): Map<string, string> {
  const names = new Map<string, string>();
  for (const entry of (text ?? '').split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const [id = '', ...rest] = trimmed.split('=');
    const name = rest.join('=').trim();
    if (!ACCOUNT_ID.test(id.trim()) || name === '') {
      throw new ConfigError(
        `Environment variable ORGANIZATION_ACCOUNT_NAMES has "${display(trimmed, 60)}": expected <12-digit account id>=<name>`,
      );
    }
    names.set(id.trim(), display(name, 64));
  }
  return names;
}

/**
 * Organization mode's settings; undefined when ORGANIZATION_ACCOUNT_ID is unset (a single-account
 * stack, whose behaviour stays exactly as it was).
 *
 * @throws ConfigError naming the variable that is missing or invalid.
 */
function loadOrganizationConfig(
  env: Record<string, string | undefined> = process.env,
): OrganizationConfig | undefined {
  const home = env['ORGANIZATION_ACCOUNT_ID'];
  if (home === undefined || home === '') return undefined;
  if (!ACCOUNT_ID.test(home)) {
    throw new ConfigError(
      'Environment variable ORGANIZATION_ACCOUNT_ID must be a 12-digit account id',
    );
  }
  const role = env['ORGANIZATION_MEMBER_ROLE'] ?? '';
  if (!ROLE_NAME.test(role)) {
    throw new ConfigError(
      'Environment variable ORGANIZATION_MEMBER_ROLE must be an IAM role name (1-64 of A-Za-z0-9+=,.@_-)',
    );
  }
  const partition = env['ORGANIZATION_PARTITION'] || 'aws';
  if (!PARTITION.test(partition)) {
    throw new ConfigError('Environment variable ORGANIZATION_PARTITION must be an AWS partition');
  }
  return {
    homeAccount: home,
    memberRoleName: role,
    partition,
    accountNames: parseAccountNames(env['ORGANIZATION_ACCOUNT_NAMES']),
  };
}

/**
 * The member account a batch's owner names, or undefined for the home account, an owner that is
 * no account id (CLI inputs), or a single-account stack. Undefined means: everything exactly as
 * in a single-account stack (keys, tokens, messages, metrics), so an existing deployment that
 * turns organization mode on re-exports nothing twice.
 */
function memberAccountOf(
  owner: string | undefined,
  organization: Pick<OrganizationConfig, 'homeAccount'> | undefined,
): string | undefined {
  if (organization === undefined || owner === undefined || !ACCOUNT_ID.test(owner)) {
    return undefined;
  }
  return owner === organization.homeAccount ? undefined : owner;
}

/** The role the central functions assume in a member account. */
function memberRoleArn(account: string, organization: MemberRoleConfig): string {
  return `arn:${organization.partition}:iam::${account}:role/${organization.memberRoleName}`;
}

/**
 * The key of a file system in a member account, for ledger items: `<account>/<fs-id>`. The home
 * account keeps the bare id (the keys of a single-account stack).
 */
function accountScopedId(fileSystemId: string, account: string | undefined): string {
  return account === undefined ? fileSystemId : `${account}/${fileSystemId}`;
}

/**
 * The ClientRequestToken sent to FSx for a member account's task: derived from the account and the
 * planned token, still 47 characters of `[A-Za-z0-9_-]` and still deterministic, so a redelivered
 * batch gets FSx's same task back. The home account sends the planned token unchanged.
 */
function accountScopedToken(token: string, account: string | undefined): string {
  if (account === undefined) return token;
  const digest = createHash('sha256').update(account).update('\0').update(token);
  return `fea-${digest.digest('base64url').slice(0, 43)}`;
}

/** `111122223333 (prod-hpc)` when the stack names the account, else the id. */
function accountLabel(
  account: string,
  organization: Pick<OrganizationConfig, 'accountNames'> | undefined,
): string {
  const name = organization?.accountNames.get(account);
  return name === undefined ? account : `${account} (${name})`;
}

/**
 * What a person reads when a member's role cannot be assumed: the account, the role, the error,
 * and the fix. Its work waits in the deferral queue meanwhile.
 */
function unassumableReason(account: string, organization: MemberRoleConfig, error: string): string {
  return display(
    `account ${accountLabel(account, organization)}: the central functions cannot assume ${memberRoleArn(account, organization)} (${error}); deploy infra/member-account.yml to the account (StackSet, docs/organization.md) or fix the role's trust policy. Its re-exports wait in the deferral queue`,
    600,
  );
}

/**
 * A member account's telemetry: points that have their own dimensions (per class, per file
 * system) gain `Account`, and every log line an `account` field. The invocation's totals keep no
 * account, so the stack's alarms on them see every account. The home account's is unchanged.
 */
function withAccountTelemetry(telemetry: Telemetry, account: string | undefined): Telemetry {
  if (account === undefined) return telemetry;
  return {
    metrics: telemetry.metrics.map((point) =>
      point.dimensions === undefined
        ? point
        : { ...point, dimensions: { ...point.dimensions, Account: account } },
    ),
    logs: telemetry.logs.map((line) => ({ ...line, fields: { ...line.fields, account } })),
  };
}

function scopedTask(task: ExportTask, account: string): ExportTask {
  return { ...task, clientRequestToken: accountScopedToken(task.clientRequestToken, account) };
}

/**
 * A member account's report shows the tokens FSx got (lib/aws/accounts.ts, memberFsx), so the
 * email's token finds the task. The home account's report is unchanged.
 */
function withAccountTokens(report: Report, account: string | undefined): Report {
  if (account === undefined) return report;
  return {
    ...report,
    plan: { ...report.plan, tasks: report.plan.tasks.map((task) => scopedTask(task, account)) },
    outcomes: report.outcomes.map((outcome) => ({
      ...outcome,
      task: scopedTask(outcome.task, account),
    })),
  };
}

/**
 * The batch as the outputs show it: its owner written `<id> (<name>)` when the stack names the
 * account, so every email and report that names the account names it the same way. Only the
 * shown owner changes; routing has already read the id.
 */
function withAccountName(batch: LogBatch, organization: OrganizationConfig | undefined): LogBatch {
  const label = accountLabel(batch.owner, organization);
  return label === batch.owner ? batch : { ...batch, owner: label };
}

export type { MemberRoleConfig, OrganizationConfig };
export {
  ACCOUNT_ID,
  accountLabel,
  accountScopedId,
  accountScopedToken,
  loadOrganizationConfig,
  memberAccountOf,
  memberRoleArn,
  parseAccountNames,
  ROLE_NAME,
  unassumableReason,
  withAccountName,
  withAccountTelemetry,
  withAccountTokens,
};

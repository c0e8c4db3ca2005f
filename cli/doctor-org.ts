import { FSxClient } from '@aws-sdk/client-fsx';
import { STSClient } from '@aws-sdk/client-sts';
import { createAccounts } from '../lib/aws/accounts.ts';
import { credentialsProblem, isMissingCredentials } from '../lib/aws/aws-errors.ts';
import { clientOptions } from '../lib/aws/http.ts';
import { readMemberInventory } from '../lib/aws/member-doctor.ts';
import { parseArn } from '../lib/common/arn.ts';
import { AnalyzerError } from '../lib/common/errors.ts';
import { memberRoleArn, ROLE_NAME } from '../lib/common/organization.ts';
import { diagnose } from '../lib/doctor/diagnose.ts';
import {
  diagnoseOrganization,
  type MemberReading,
  parseMemberAccounts,
  renderOrganizationText,
} from '../lib/doctor/organization.ts';
import { EXIT_FAILURE, EXIT_OK, type Io, UsageError } from './common.ts';

/*
 * `doctor --org`: the doctor's checks in every member account of organization mode, through the
 * member role (docs/organization.md), as one table. Loaded only when `doctor --org` runs.
 */

/** The role infra/member-account.yml creates (its MemberRoleName default). */
const DEFAULT_MEMBER_ROLE = 'fsx-export-analyzer-member';
/** Shows in each member's CloudTrail as who assumed the role. */
const SESSION_NAME = 'fsx-export-analyzer-doctor';

interface OrgOptions {
  readonly accounts: string | undefined;
  readonly memberRole: string | undefined;
  readonly destination: string | undefined;
  readonly region: string | undefined;
}

/** The partition of the Region's ARNs (role ARNs name it): aws-cn, aws-us-gov, else aws. */
function partitionOf(region: string, destination: string | undefined): string {
  const fromArn = destination === undefined ? undefined : parseArn(destination)?.partition;
  if (fromArn !== undefined) return fromArn;
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function checkDestination(value: string | undefined): void {
  if (value === undefined) return;
  const arn = parseArn(value);
  if (arn?.service !== 'logs' || !/^destination:[^:*]{1,512}$/.test(arn.resource)) {
    throw new UsageError(
      `--destination must be a CloudWatch Logs destination ARN, arn:aws:logs:<region>:<account>:destination:<name> (got "${value}")`,
      'doctor',
    );
  }
}

/**
 * Stops the run (exit 2, as `doctor`, `scan` and `reexport` do) when the SDK cannot load
 * credentials to ask STS with: that is the caller's setup, not a finding about any member, so it is said once
 * rather than as an UNKNOWN role per account. Any other failure is left to each member's AssumeRole,
 * which reports it on the member's row.
 */
async function requireCredentials(sts: STSClient): Promise<void> {
  try {
    await sts.config.credentials();
  } catch (error) {
    if (isMissingCredentials(error))
      throw new AnalyzerError(credentialsProblem(error), { cause: error });
  }
}

/** Runs `doctor --org` with its checked options; exit 0 when every member is watched. */
async function organizationDoctor(options: OrgOptions, io: Io): Promise<number> {
  if (options.accounts === undefined) {
    throw new UsageError(
      '--org needs --accounts: the member account ids, 111122223333,444455556666 (id=name to show a name)',
      'doctor',
    );
  }
  const parsed = parseMemberAccounts(options.accounts);
  if ('error' in parsed) throw new UsageError(parsed.error, 'doctor');
  const memberRoleName = options.memberRole ?? DEFAULT_MEMBER_ROLE;
  if (!ROLE_NAME.test(memberRoleName)) {
    throw new UsageError(
      `--member-role must be an IAM role name (1-64 of A-Za-z0-9+=,.@_-) (got "${memberRoleName}")`,
      'doctor',
    );
  }
  checkDestination(options.destination);
  const sts = new STSClient(clientOptions(options.region));
  const probe = new FSxClient(clientOptions(options.region));
  try {
    let region: string;
    try {
      region = await probe.config.region();
    } catch {
      throw new UsageError('no AWS Region: pass --region or set AWS_REGION', 'doctor');
    }
    await requireCredentials(sts);
    const organization = {
      memberRoleName,
      partition: partitionOf(region, options.destination),
      accountNames: new Map<string, string>(),
    };
    const accounts = createAccounts(sts, { organization, sessionName: SESSION_NAME });
    const readings: MemberReading[] = [];
    for (const member of parsed.accounts) {
      io.stderr(`doctor: member account ${member.account}: assuming ${memberRoleName}\n`);
      const read = await readMemberInventory(accounts, member.account, {
        region,
        progress: (text) => io.stderr(`${text}\n`),
      });
      const roleArn = memberRoleArn(member.account, organization);
      readings.push(
        read.kind === 'read'
          ? {
              ...member,
              roleArn,
              kind: 'checked',
              result: diagnose(read.inventory, {
                logsDestination: { arn: options.destination },
              }),
            }
          : { ...member, roleArn, ...read },
      );
    }
    const result = diagnoseOrganization(readings, region);
    io.stdout(renderOrganizationText(result));
    return result.healthy ? EXIT_OK : EXIT_FAILURE;
  } finally {
    sts.destroy();
    probe.destroy();
  }
}

export { DEFAULT_MEMBER_ROLE, organizationDoctor };

import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../lib/doctor/diagnose.ts';
import {
  diagnoseOrganization,
  type MemberReading,
  parseMemberAccounts,
  renderOrganizationText,
} from '../../../lib/doctor/organization.ts';
import { ACCOUNT, filter, GROUP, HOSTILE, inventory, subscribed } from '../../helpers/doctor.ts';

const DESTINATION =
  'arn:aws:logs:eu-west-1:111122223333:destination:fsx-export-analyzer-prod-fsx-logs';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/fsx-export-analyzer-member`;
const OTHER_ACCOUNT = '222233334444';
const ORG = { logsDestination: { arn: undefined } };

/** A member read through its role, its log group subscribed to `destinations`. */
function checked(...destinations: string[]): MemberReading {
  const setup = inventory({
    logGroups: { [GROUP]: subscribed(...destinations.map((arn) => filter(arn))) },
  });
  return {
    account: ACCOUNT,
    name: 'prod-hpc',
    roleArn: ROLE,
    kind: 'checked',
    result: diagnose(setup, ORG),
  };
}

const unassumable: MemberReading = {
  account: OTHER_ACCOUNT,
  name: undefined,
  roleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/fsx-export-analyzer-member`,
  kind: 'unassumable',
  reason: 'AccessDenied: not authorized to perform: sts:AssumeRole',
  refused: true,
};

describe('Function: parseMemberAccounts', () => {
  it('reads ids and names, each account once, in the order given', () => {
    // Act
    const parsed = parseMemberAccounts(` ${ACCOUNT}=prod-hpc, ${OTHER_ACCOUNT},${ACCOUNT},`);

    // Assess
    expect(parsed).toEqual({
      accounts: [
        { account: ACCOUNT, name: 'prod-hpc' },
        { account: OTHER_ACCOUNT, name: undefined },
      ],
    });
  });

  it.each([
    ['1234', '--accounts has "1234": expected <12-digit account id>[=<name>]'],
    [`${ACCOUNT}=`, `--accounts has "${ACCOUNT}=": expected <12-digit account id>[=<name>]`],
    [' , ', '--accounts names no account'],
  ])('refuses %j with one line', (text, error) => {
    // Act
    const parsed = parseMemberAccounts(text);

    // Assess
    expect(parsed).toEqual({ error });
  });

  it('shows a hostile name sanitised', () => {
    // Act
    const parsed = parseMemberAccounts(`${ACCOUNT}=${HOSTILE}`);

    // Assess
    expect('accounts' in parsed && parsed.accounts[0]?.name).not.toMatch(/[\u0000-\u001f\u202e]/);
  });
});

describe('Function: diagnoseOrganization', () => {
  it('is healthy when every member is subscribed to the central destination', () => {
    // Act
    const result = diagnoseOrganization([checked(DESTINATION)], 'eu-west-1');

    // Assess
    expect(result.healthy).toBe(true);
    expect(result.rows).toEqual([
      {
        account: ACCOUNT,
        name: 'prod-hpc',
        fileSystems: '1',
        role: 'OK',
        subscription: 'OK',
        logging: 'OK',
        associations: 'OK',
        verdict: 'OK',
      },
    ]);
    expect(result.issues).toEqual([]);
  });

  it('takes a subscription to the analyzer function as missing in a member account', () => {
    // Act
    const result = diagnoseOrganization(
      [checked('arn:aws:lambda:eu-west-1:123456789012:function:fsx-export-analyzer-prod-analyzer')],
      'eu-west-1',
    );

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.rows[0]).toMatchObject({ subscription: 'PROBLEM', verdict: 'PROBLEM' });
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]).toMatchObject({ check: 'subscription', severity: 'PROBLEM' });
    expect(result.issues[0]?.commands).toEqual([
      "aws logs put-subscription-filter --region eu-west-1 --log-group-name /aws/fsx/lustre --filter-name fsx-export-analyzer --filter-pattern '' --destination-arn '<OrganizationLogDestinationArn>'",
    ]);
  });

  it('makes an unassumable member a PROBLEM with the fix, its checks not made', () => {
    // Act
    const result = diagnoseOrganization([checked(DESTINATION), unassumable], 'eu-west-1');

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.rows[1]).toEqual({
      account: OTHER_ACCOUNT,
      name: '',
      fileSystems: '-',
      role: 'PROBLEM',
      subscription: '-',
      logging: '-',
      associations: '-',
      verdict: 'PROBLEM',
    });
    expect(result.issues[0]?.detail).toContain(
      `cannot assume ${unassumable.roleArn} (AccessDenied`,
    );
    expect(result.issues[0]?.fix).toContain('Deploy infra/member-account.yml to the account');
  });

  it('makes a member UNKNOWN, not a PROBLEM, when STS could not be asked', () => {
    // Prepare
    const reading: MemberReading = {
      ...unassumable,
      reason: 'Error: connect ECONNREFUSED 127.0.0.1:9',
      refused: false,
    };

    // Act
    const result = diagnoseOrganization([reading], 'eu-west-1');

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.rows[0]).toMatchObject({ role: 'UNKNOWN', verdict: 'UNKNOWN' });
    expect(result.issues[0]?.fix).toContain('STS could not be asked');
    expect(renderOrganizationText(result)).not.toContain('No FSx for Lustre file system');
  });

  it('makes a member whose file systems cannot be listed UNKNOWN', () => {
    // Prepare
    const reading: MemberReading = {
      ...unassumable,
      kind: 'unlisted',
      reason: 'could not list: AccessDeniedException',
    };

    // Act
    const result = diagnoseOrganization([checked(DESTINATION), reading], 'eu-west-1');

    // Assess
    expect(result.healthy).toBe(false);
    expect(result.rows[1]).toMatchObject({ role: 'OK', fileSystems: '-', verdict: 'UNKNOWN' });
    expect(result.issues[0]?.fix).toContain('fsx:DescribeFileSystems');
  });

  it('makes a member without file systems a NOTE, but a run with none anywhere not healthy', () => {
    // Prepare
    const empty: MemberReading = {
      ...checked(DESTINATION),
      kind: 'checked',
      result: diagnose({ region: 'eu-west-1', fileSystems: [], logGroups: new Map() }, ORG),
    };

    // Act
    const alone = diagnoseOrganization([empty], 'eu-west-1');
    const beside = diagnoseOrganization([empty, checked(DESTINATION)], 'eu-west-1');

    // Assess
    expect(alone.rows[0]).toMatchObject({ fileSystems: '0', verdict: 'NOTE', subscription: '-' });
    expect(alone.healthy).toBe(false);
    expect(renderOrganizationText(alone)).toContain(
      'No FSx for Lustre file system in any member account in eu-west-1: is this the right Region (--region)?',
    );
    expect(beside.healthy).toBe(true);
  });
});

describe('Function: diagnose, in a member account (logsDestination)', () => {
  it('subscribes a missing log group to the destination, not to a function', () => {
    // Prepare
    const setup = inventory({
      logGroups: { [GROUP]: { ok: true, value: { exists: false } } },
    });

    // Act
    const result = diagnose(setup, { logsDestination: { arn: DESTINATION } });

    // Assess
    const found = result.findings.find((item) => item.check === 'subscription');
    expect(found?.severity).toBe('PROBLEM');
    expect(found?.fix).toContain('deploy infra/member-account.yml to the account with it');
    expect(found?.commands).toEqual([
      'aws logs create-log-group --region eu-west-1 --log-group-name /aws/fsx/lustre',
      `aws logs put-subscription-filter --region eu-west-1 --log-group-name /aws/fsx/lustre --filter-name fsx-export-analyzer --filter-pattern '' --destination-arn ${DESTINATION}`,
    ]);
    expect(found?.commands.join(' ')).not.toContain('lambda');
  });

  it('asks to free a slot of a full log group, then to deploy the member stack again', () => {
    // Prepare
    const full = subscribed(
      filter('arn:aws:lambda:eu-west-1:123456789012:function:a', 'a'),
      filter('arn:aws:firehose:eu-west-1:123456789012:deliverystream/b', 'b'),
    );

    // Act
    const result = diagnose(inventory({ logGroups: { [GROUP]: full } }), {
      logsDestination: { arn: DESTINATION },
    });

    // Assess
    const found = result.findings.find((item) => item.check === 'subscription');
    expect(found?.severity).toBe('PROBLEM');
    expect(found?.fix).toContain('deploy infra/member-account.yml to the account again');
    expect(found?.commands).toHaveLength(2);
  });
});

describe('Function: renderOrganizationText', () => {
  it('prints the summary, one row per member and the fixes, within 100 columns', () => {
    // Prepare
    const result = diagnoseOrganization([checked(DESTINATION), unassumable], 'eu-west-1');

    // Act
    const text = renderOrganizationText(result);

    // Assess
    const lines = text.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'doctor --org: 2 member accounts in eu-west-1; 1 OK, 1 PROBLEM; NOT fully watched: see below',
      '',
      'ACCOUNT       NAME              FS  ROLE     SUBSCRIPTION  LOGGING  ASSOCIATIONS  VERDICT',
      `${ACCOUNT}  prod-hpc          1   OK       OK            OK       OK            OK`,
      `${OTHER_ACCOUNT}  -                 -   PROBLEM  -             -        -             PROBLEM`,
    ]);
    expect(lines[6]).toBe('How to fix (run the commands in the account named):');
    expect(lines[7]).toMatch(
      new RegExp(`^1\\. ${OTHER_ACCOUNT} role \\(PROBLEM\\): cannot assume`),
    );
    expect(lines.every((line) => line.length <= 100 || line.includes('arn:'))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import {
  accountLabel,
  accountScopedId,
  accountScopedToken,
  loadOrganizationConfig,
  memberAccountOf,
  memberRoleArn,
  unassumableReason,
  withAccountTelemetry,
} from '../../../lib/common/organization.ts';

const ENV = {
  ORGANIZATION_ACCOUNT_ID: '111122223333',
  ORGANIZATION_MEMBER_ROLE: 'fsx-export-analyzer-member',
  ORGANIZATION_PARTITION: 'aws',
  ORGANIZATION_ACCOUNT_NAMES: '222233334444=prod-hpc, 333344445555=ml=training',
};

describe('Function: loadOrganizationConfig', () => {
  it('is undefined without ORGANIZATION_ACCOUNT_ID: a single-account stack', () => {
    // Act / Assess
    expect(loadOrganizationConfig({})).toBeUndefined();
    expect(loadOrganizationConfig({ ORGANIZATION_ACCOUNT_ID: '' })).toBeUndefined();
  });

  it('reads the home account, the member role and the account names', () => {
    // Act
    const config = loadOrganizationConfig(ENV);

    // Assess
    expect(config?.homeAccount).toBe('111122223333');
    expect(config?.memberRoleName).toBe('fsx-export-analyzer-member');
    expect([...(config?.accountNames ?? [])]).toEqual([
      ['222233334444', 'prod-hpc'],
      ['333344445555', 'ml=training'],
    ]);
  });

  it.each([
    [{ ORGANIZATION_ACCOUNT_ID: '1234' }, 'ORGANIZATION_ACCOUNT_ID'],
    [{ ORGANIZATION_MEMBER_ROLE: 'a role' }, 'ORGANIZATION_MEMBER_ROLE'],
    [{ ORGANIZATION_PARTITION: 'mars' }, 'ORGANIZATION_PARTITION'],
    [{ ORGANIZATION_ACCOUNT_NAMES: '12=short' }, 'ORGANIZATION_ACCOUNT_NAMES'],
    [{ ORGANIZATION_ACCOUNT_NAMES: '222233334444=' }, 'ORGANIZATION_ACCOUNT_NAMES'],
  ])('fails fast on %j, naming the variable', (override, variable) => {
    // Act / Assess
    expect(() => loadOrganizationConfig({ ...ENV, ...override })).toThrow(variable);
  });
});

describe('Account scoping', () => {
  const organization = loadOrganizationConfig(ENV);

  it('treats the home account, CLI owners and a single-account stack as no member', () => {
    // Act / Assess
    expect(memberAccountOf('111122223333', organization)).toBeUndefined();
    expect(memberAccountOf('unknown', organization)).toBeUndefined();
    expect(memberAccountOf('222233334444', undefined)).toBeUndefined();
    expect(memberAccountOf('222233334444', organization)).toBe('222233334444');
  });

  it('keeps single-account keys and tokens byte-identical, and scopes a member', () => {
    // Prepare
    const token = 'fea-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

    // Act
    const member = accountScopedToken(token, '222233334444');

    // Assess
    expect(accountScopedId('fs-0123456789abcdef0', undefined)).toBe('fs-0123456789abcdef0');
    expect(accountScopedId('fs-0123456789abcdef0', '222233334444')).toBe(
      '222233334444/fs-0123456789abcdef0',
    );
    expect(accountScopedToken(token, undefined)).toBe(token);
    expect(member).toMatch(/^fea-[A-Za-z0-9_-]{43}$/);
    expect(member).not.toBe(token);
    expect(accountScopedToken(token, '222233334444')).toBe(member);
    expect(accountScopedToken(token, '333344445555')).not.toBe(member);
  });

  it('names the role, the account (with its name) and the fix when a role cannot be assumed', () => {
    // Prepare
    if (organization === undefined) throw new Error('no config');

    // Act
    const reason = unassumableReason('222233334444', organization, 'AccessDenied: not authorized');

    // Assess
    expect(memberRoleArn('222233334444', organization)).toBe(
      'arn:aws:iam::222233334444:role/fsx-export-analyzer-member',
    );
    expect(accountLabel('222233334444', organization)).toBe('222233334444 (prod-hpc)');
    expect(reason).toContain('account 222233334444 (prod-hpc)');
    expect(reason).toContain('AccessDenied: not authorized');
    expect(reason).toContain('infra/member-account.yml');
    expect(reason).toContain('wait in the deferral queue');
  });

  it("adds the member's account to dimensioned metrics and log lines, not to the totals", () => {
    // Prepare
    const telemetry = {
      metrics: [
        { name: 'Records', value: 2 },
        { name: 'Failures', value: 1, dimensions: { Class: 'transient' } },
      ],
      logs: [{ level: 'info' as const, message: 'done', fields: { tasks: 1 } }],
    };

    // Act
    const member = withAccountTelemetry(telemetry, '222233334444');

    // Assess
    expect(withAccountTelemetry(telemetry, undefined)).toBe(telemetry);
    expect(member.metrics).toEqual([
      { name: 'Records', value: 2 },
      {
        name: 'Failures',
        value: 1,
        dimensions: { Class: 'transient', Account: '222233334444' },
      },
    ]);
    expect(member.logs[0]?.fields).toEqual({ tasks: 1, account: '222233334444' });
  });
});

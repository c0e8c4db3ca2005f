import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createAccounts,
  memberDeferral,
  memberFsx,
  memberLedger,
  unreachableFsx,
} from '../../../lib/aws/accounts.ts';
import { loadOrganizationConfig } from '../../../lib/common/organization.ts';
import type { DeferredExport, ExportRequest, FsxPort } from '../../../lib/common/ports.ts';
import { fakeLedger } from '../../helpers/fake-ports.ts';

const stsMock = mockClient(STSClient);
const MEMBER = '222233334444';
const organization = loadOrganizationConfig({
  ORGANIZATION_ACCOUNT_ID: '111122223333',
  ORGANIZATION_MEMBER_ROLE: 'fsx-export-analyzer-member',
});
if (organization === undefined) throw new Error('organization config');

function credentialsUntil(expiration: Date) {
  return {
    Credentials: {
      AccessKeyId: 'ASIAEXAMPLE',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: expiration,
    },
  };
}

describe('Function: createAccounts', () => {
  beforeEach(() => stsMock.reset());

  it("assumes the member's role once and reuses the credentials until shortly before expiry", async () => {
    // Prepare
    let clock = Date.parse('2026-12-07T10:00:00Z');
    stsMock
      .on(AssumeRoleCommand)
      .resolves(credentialsUntil(new Date(Date.parse('2026-12-07T11:00:00Z'))));
    const accounts = createAccounts(new STSClient({ region: 'eu-west-1' }), {
      organization,
      sessionName: 'fsx-export-analyzer-analyzer',
      now: () => clock,
    });

    // Act
    const first = await accounts.credentials(MEMBER)();
    await Promise.all([accounts.credentials(MEMBER)(), accounts.check(MEMBER)]);
    clock = Date.parse('2026-12-07T10:56:00Z');
    await accounts.credentials(MEMBER)();

    // Assess
    expect(first.accessKeyId).toBe('ASIAEXAMPLE');
    expect(accounts.assumeRoleCalls()).toBe(2);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/fsx-export-analyzer-member`,
      RoleSessionName: 'fsx-export-analyzer-analyzer',
    });
  });

  it('says which account cannot be assumed and how to fix it, and waits a minute before asking again', async () => {
    // Prepare
    let clock = Date.parse('2026-12-07T10:00:00Z');
    const denied = Object.assign(new Error('User is not authorized to perform sts:AssumeRole'), {
      name: 'AccessDenied',
    });
    stsMock.on(AssumeRoleCommand).rejects(denied);
    const accounts = createAccounts(new STSClient({ region: 'eu-west-1' }), {
      organization,
      sessionName: 'analyzer',
      now: () => clock,
    });

    // Act
    const reason = await accounts.check(MEMBER);
    const again = await accounts.check(MEMBER);
    clock += 61_000;
    await accounts.check(MEMBER);

    // Assess
    expect(reason).toContain(`account ${MEMBER}`);
    expect(reason).toContain('AccessDenied');
    expect(reason).toContain('infra/member-account.yml');
    expect(again).toBe(reason);
    expect(accounts.assumeRoleCalls()).toBe(2);
  });
});

describe('Member ports', () => {
  const request: ExportRequest = {
    fileSystemId: 'fs-0123456789abcdef0',
    paths: ['a'],
    clientRequestToken: 'fea-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
    reportPath: 's3://bucket/reports',
  };

  it('sends FSx a token that carries the account', async () => {
    // Prepare
    const sent: ExportRequest[] = [];
    const fsx: FsxPort = {
      listAssociations: async () => [],
      startExport: async (req) => {
        sent.push(req);
        return { ok: true, taskId: 'task-1', lifecycle: 'PENDING' };
      },
    };

    // Act
    await memberFsx(fsx, MEMBER).startExport(request);

    // Assess
    expect(sent[0]?.clientRequestToken).toMatch(/^fea-[A-Za-z0-9_-]{43}$/);
    expect(sent[0]?.clientRequestToken).not.toBe(request.clientRequestToken);
  });

  it('refuses every task for now when the role cannot be assumed, with the reason', async () => {
    // Prepare
    const fsx = unreachableFsx('account 222233334444: cannot assume');

    // Act
    const result = await fsx.startExport(request);

    // Assess
    expect(result).toEqual({
      ok: false,
      error: 'MemberRoleUnavailable',
      message: 'account 222233334444: cannot assume',
    });
    await expect(fsx.listAssociations('fs-0123456789abcdef0')).rejects.toThrow('cannot assume');
  });

  it("keys a member's attempts by account and file system, and tracks the account", async () => {
    // Prepare
    const ledger = fakeLedger().port;
    const member = memberLedger(ledger, MEMBER);
    const at = new Date('2026-12-07T10:00:00Z');

    // Act
    await member.recordAttempt('fs-0123456789abcdef0', ['a'], 'task-1', at);
    await member.trackTask({
      ...request,
      taskId: 'task-1',
      startedAt: at.toISOString(),
      startedBy: 'analyzer',
    });
    const mine = await member.attempts('fs-0123456789abcdef0', ['a']);
    const home = await ledger.attempts('fs-0123456789abcdef0', ['a']);

    // Assess
    expect(mine.get('a')).toMatchObject({
      fileSystemId: 'fs-0123456789abcdef0',
      taskIds: ['task-1'],
    });
    expect(home.size).toBe(0);
    expect((await ledger.attempts(`${MEMBER}/fs-0123456789abcdef0`, ['a'])).size).toBe(1);
    expect((await ledger.openTasks())[0]).toMatchObject({ taskId: 'task-1', account: MEMBER });
  });

  it('puts the account in every deferral message', async () => {
    // Prepare
    const sent: DeferredExport[] = [];
    const deferral = memberDeferral(
      { defer: async (items) => void sent.push(...items.map((item) => item.message)) },
      MEMBER,
    );
    const message = {
      version: 1,
      fileSystemId: 'fs-0123456789abcdef0',
      paths: ['a'],
      eventIds: ['e1'],
      classes: ['busy'],
      reason: 'busy',
      reportPath: undefined,
      logGroup: '/aws/fsx/lustre',
      logStream: 'datarepo_fs-0123456789abcdef0',
      deferredAt: '2026-12-07T10:00:00.000Z',
    } satisfies DeferredExport;

    // Act
    await deferral.defer([{ message, delaySeconds: 0 }]);

    // Assess
    expect(sent).toEqual([{ ...message, account: MEMBER }]);
  });
});

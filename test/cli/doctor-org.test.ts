import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { fakeIo } from '../helpers/cli.ts';
import { FS } from '../helpers/fixtures.ts';
import { type FsxServer, startFsxServer } from '../servers/fsx-server.ts';
import { type LogsServer, startLogsServer } from '../servers/logs-server.ts';
import { accountOfAccessKey, type StsServer, startStsServer } from '../servers/sts-server.ts';

// `doctor --org` with the real STSClient, FSxClient and CloudWatchLogsClient, pointed at the
// local STS, FSx and CloudWatch Logs servers through the standard AWS settings. The member that
// can be assumed is the FSx server's account (its file systems' ARNs name 123456789012); the
// other member's role is refused by STS, as when the StackSet has not reached it.

const MEMBER = '123456789012';
const UNASSUMABLE = '222233334444';
const GROUP = '/aws/fsx/lustre';
const DESTINATION =
  'arn:aws:logs:us-east-1:111122223333:destination:fsx-export-analyzer-prod-fsx-logs';
const TO_DESTINATION = {
  filterName: 'fsx-export-analyzer',
  destinationArn: DESTINATION,
  filterPattern: '',
};
const DRA = { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets/' };

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let fsx: FsxServer;
let sts: StsServer;
let logs: LogsServer | undefined;

async function logGroupFilters(filters: (typeof TO_DESTINATION)[]): Promise<void> {
  logs = await startLogsServer({ groups: { [GROUP]: { subscriptionFilters: filters } } });
  vi.stubEnv('AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', logs.endpoint);
}

async function doctor(...args: string[]): Promise<Run> {
  const io = fakeIo({ env: { AWS_REGION: 'us-east-1' } });
  const code = await main(['doctor', ...args], io);
  return { code, stdout: io.out.join(''), stderr: io.err.join('') };
}

/** The accounts whose credentials signed the FSx calls. */
function fsxSigners(): (string | undefined)[] {
  return fsx.calls.map((call) => {
    const key = /Credential=([^/]+)\//.exec(String(call.headers['authorization'] ?? ''))?.[1];
    return accountOfAccessKey(key ?? '');
  });
}

describe('doctor --org against local STS, FSx and CloudWatch Logs', () => {
  beforeEach(async () => {
    fsx = await startFsxServer({ region: 'us-east-1' });
    sts = await startStsServer({ denied: new Set([UNASSUMABLE]) });
    const env: Record<string, string> = {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_MAX_ATTEMPTS: '1',
      AWS_ENDPOINT_URL_FSX: fsx.endpoint,
      AWS_ENDPOINT_URL_STS: sts.endpoint,
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_PROFILE', undefined);
    vi.stubEnv('AWS_ENDPOINT_URL', undefined);
    vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    await fsx.stop();
    await sts.stop();
    await logs?.stop();
    logs = undefined;
  });

  it('prints one row per member, names the unassumable one with the fix, exit 1', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA]);
    await logGroupFilters([TO_DESTINATION]);

    // Act
    const run = await doctor(
      '--org',
      '--accounts',
      `${MEMBER}=prod-hpc,${UNASSUMABLE}=ml-training`,
      '--destination',
      DESTINATION,
    );

    // Assess
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      'doctor --org: 2 member accounts in us-east-1; 1 OK, 1 PROBLEM; NOT fully watched: see below',
    );
    expect(lines[2]).toMatch(
      /^ACCOUNT +NAME +FS +ROLE +SUBSCRIPTION +LOGGING +ASSOCIATIONS +VERDICT$/,
    );
    expect(lines[3]?.split(/ +/)).toEqual([MEMBER, 'prod-hpc', '1', 'OK', 'OK', 'OK', 'OK', 'OK']);
    expect(lines[4]?.split(/ +/)).toEqual([
      UNASSUMABLE,
      'ml-training',
      '-',
      'PROBLEM',
      '-',
      '-',
      '-',
      'PROBLEM',
    ]);
    expect(run.stdout).toContain(`1. ${UNASSUMABLE} (ml-training) role (PROBLEM): cannot assume`);
    expect(run.stdout).toContain(`arn:aws:iam::${UNASSUMABLE}:role/fsx-export-analyzer-member`);
    expect(run.stdout).toContain('Fix: Deploy infra/member-account.yml to the account');
    expect(
      sts.calls.map((call) => [call.params['RoleArn'], call.params['RoleSessionName']]),
    ).toEqual([
      [`arn:aws:iam::${MEMBER}:role/fsx-export-analyzer-member`, 'fsx-export-analyzer-doctor'],
      [`arn:aws:iam::${UNASSUMABLE}:role/fsx-export-analyzer-member`, 'fsx-export-analyzer-doctor'],
    ]);
    // Every FSx and Logs call was made with the member's credentials, none with the caller's.
    expect(fsx.calls.length).toBeGreaterThan(0);
    expect(new Set(fsxSigners())).toEqual(new Set([MEMBER]));
    expect(logs?.calls.map((call) => call.input)).toEqual([{ logGroupName: GROUP, limit: 50 }]);
  });

  it('reports a log group subscribed to a function, not the destination, with the fix', async () => {
    // Prepare: the filter of a single-account stack, left over in a member account.
    fsx.addFileSystem(FS, [DRA]);
    await logGroupFilters([
      {
        filterName: 'fsx-export-analyzer',
        destinationArn: `arn:aws:lambda:us-east-1:${MEMBER}:function:fsx-export-analyzer-prod-analyzer`,
        filterPattern: '',
      },
    ]);

    // Act
    const run = await doctor(
      '--org',
      '--accounts',
      MEMBER,
      '--member-role',
      'fsx-doctor-member',
      '--destination',
      DESTINATION,
    );

    // Assess
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[3]?.split(/ +/)).toEqual([
      MEMBER,
      '-',
      '1',
      'OK',
      'PROBLEM',
      'OK',
      'OK',
      'PROBLEM',
    ]);
    expect(run.stdout.replace(/\s+/g, ' ')).toContain(
      `has no subscription to the central Logs destination (${DESTINATION})`,
    );
    expect(run.stdout).toContain(
      `     aws logs put-subscription-filter --region us-east-1 --log-group-name /aws/fsx/lustre --filter-name fsx-export-analyzer --filter-pattern '' --destination-arn ${DESTINATION}`,
    );
    expect(sts.calls.map((call) => call.params['RoleArn'])).toEqual([
      `arn:aws:iam::${MEMBER}:role/fsx-doctor-member`,
    ]);
  });

  it('exits 0 when every member is watched (any destination named as the stack names it)', async () => {
    // Prepare
    fsx.addFileSystem(FS, [DRA]);
    await logGroupFilters([TO_DESTINATION]);

    // Act
    const run = await doctor('--org', '--accounts', MEMBER);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 member account in us-east-1; 1 OK; watching: nothing to fix');
    expect(run.stdout).not.toContain('How to fix');
  });

  it.each([
    [['--org'], '--org needs --accounts'],
    [
      ['--org', '--accounts', '12345'],
      '--accounts has "12345": expected <12-digit account id>[=<name>]',
    ],
    [['--org', '--accounts', MEMBER, '--json'], '--json does not apply to doctor --org'],
    [
      ['--org', '--accounts', MEMBER, '--member-role', 'a/b'],
      '--member-role must be an IAM role name',
    ],
    [
      ['--org', '--accounts', MEMBER, '--destination', 'arn:aws:lambda:us-east-1:1:function:x'],
      '--destination must be a CloudWatch Logs destination ARN',
    ],
    [['--accounts', MEMBER], '--accounts applies only to doctor --org'],
  ])('refuses doctor %j with one line, exit 2', async (args, message) => {
    // Act
    const run = await doctor(...args);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain('    at ');
    expect(sts.calls).toEqual([]);
  });
});

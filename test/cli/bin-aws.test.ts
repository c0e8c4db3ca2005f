import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { json } from '../helpers/events.ts';
import { FS } from '../helpers/fixtures.ts';
import { type FsxServer, startFsxServer } from '../servers/fsx-server.ts';
import { type LogsServer, startLogsServer } from '../servers/logs-server.ts';

/*
 * `scan` and `reexport` as a user runs them: the built binary (dist/, see the global setup),
 * pointed at the local servers through the standard AWS settings (AWS_ENDPOINT_URL_*, fake
 * credentials), never through code.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fsx-export-analyzer.js');
const GROUP = '/aws/fsx/lustre';
const HOUR = 3_600_000;

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a user with fake credentials whose AWS settings point at `endpoints`. */
function awsEnv(endpoints: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of Object.keys(base)) {
    if (name.startsWith('AWS_') || name === 'DEBUG' || name === 'NO_COLOR') delete base[name];
  }
  return {
    ...base,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
    ...endpoints,
  };
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, signal: null, stdout, stderr });
      },
    );
    child.stdin?.end('');
  });
}

/** Resolves once `condition` holds; checked on every turn of the event loop, no fixed delay. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function events(count: number) {
  const now = Date.now();
  return Array.from({ length: count }, (_, n) => ({
    logStreamName: `datarepo_${FS}`,
    timestamp: now - HOUR - n,
    message: json('S3ExportAccessDenied', `/ns1/file-${n}.bin`),
  }));
}

describe('CLI: scan and reexport against local endpoints', () => {
  let logs: LogsServer | undefined;
  let fsx: FsxServer | undefined;
  let child: ChildProcess | undefined;

  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await logs?.stop();
    await fsx?.stop();
    logs = undefined;
    fsx = undefined;
  });

  it('scans through AWS_ENDPOINT_URL and prints the report, the trend and a final progress line', async () => {
    // Prepare
    logs = await startLogsServer({ groups: { [GROUP]: { events: events(5) } }, pageSize: 2 });

    // Act
    const run = await cli(
      ['scan', '--log-group', GROUP, '--json'],
      awsEnv({ AWS_ENDPOINT_URL: logs.endpoint }),
    );

    // Assess
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout) as {
      events: number;
      byClass: { permission: number };
      trend: object;
    };
    expect(document.events).toBe(5);
    expect(document.byClass.permission).toBe(5);
    expect(document.trend).toMatchObject({ total: { current: 5, previous: 0, change: 5 } });
    // Not a terminal: no live progress, only the final lines; no SDK warning either.
    expect(run.stderr).toMatch(
      /^this window: read 5 events in 3 pages in \d+\.\d s\nprevious window: read 0 events in 1 page in \d+\.\d s\n$/,
    );
  });

  it('names the missing log group on one line, exit status 2', async () => {
    // Prepare
    logs = await startLogsServer({ groups: { [GROUP]: {} } });

    // Act
    const run = await cli(
      ['scan', '--log-group', '/aws/fsx/nope'],
      awsEnv({ AWS_ENDPOINT_URL: logs.endpoint }),
    );

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('fsx-export-analyzer: log group "/aws/fsx/nope" does not exist');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('stops on Ctrl-C mid-scan with one line and no stack trace', async () => {
    // Prepare: the server never answers, so the scan is mid-read when the signal comes.
    logs = await startLogsServer({ groups: { [GROUP]: {} } });
    logs.inject({ operation: 'FilterLogEvents', times: Number.POSITIVE_INFINITY, kind: 'timeout' });
    const server = logs;
    const output: string[] = [];
    const running = spawn(process.execPath, [BIN, 'scan'], {
      cwd: ROOT,
      env: awsEnv({ AWS_ENDPOINT_URL: server.endpoint }),
    });
    child = running;
    running.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) =>
      running.on('exit', (code) => resolve(code)),
    );

    // Act
    await until(() => server.calls.length > 0);
    running.kill('SIGINT');
    const code = await exited;

    // Assess
    expect(code).toBe(130);
    expect(output.join('')).toBe('\nfsx-export-analyzer: interrupted\n');
  });

  it('re-exports with --yes through AWS_ENDPOINT_URL_CLOUDWATCH_LOGS and AWS_ENDPOINT_URL_FSX', async () => {
    // Prepare
    logs = await startLogsServer({ groups: { [GROUP]: { events: events(3) } } });
    fsx = await startFsxServer();
    fsx.addFileSystem(FS, [
      { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets' },
    ]);
    const env = awsEnv({
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: logs.endpoint,
      AWS_ENDPOINT_URL_FSX: fsx.endpoint,
    });

    // Act
    const run = await cli(['reexport', '--class', 'permission', '--yes'], env);

    // Assess
    expect(run.code).toBe(0);
    const [task] = fsx.tasks();
    expect(task?.Paths).toEqual(['ns1/file-0.bin', 'ns1/file-1.bin', 'ns1/file-2.bin']);
    expect(run.stdout).toContain(`started          ${FS} 3 paths: ${task?.TaskId}`);
  });

  it('refuses to re-export without --yes when stdin is not a terminal, exit status 2', async () => {
    // Act
    const run = await cli(['reexport', '--class', 'permission'], awsEnv({}));

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      'fsx-export-analyzer: standard input is not a terminal: pass --yes to start without asking\nTry "fsx-export-analyzer reexport --help".\n',
    );
  });
});

describe('CLI: the commands that call AWS, without credentials', () => {
  /** A user with no credentials anywhere: no keys, no profile files, no instance role. */
  function noCredentials(): NodeJS.ProcessEnv {
    const env = awsEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    delete env['AWS_ACCESS_KEY_ID'];
    delete env['AWS_SECRET_ACCESS_KEY'];
    return {
      ...env,
      AWS_CONFIG_FILE: join(ROOT, 'no-such-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(ROOT, 'no-such-aws-credentials'),
    };
  }

  it.each([
    [['doctor']],
    [['doctor', '--org', '--accounts', '222233334444']],
    [['scan']],
    [['reexport', '--class', 'permission', '--dry-run']],
  ])('%j says so in the same one line, exit status 2', async (args) => {
    // Prepare
    const env = noCredentials();

    // Act
    const run = await cli(args, env);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('fsx-export-analyzer:'));
    expect(lines).toEqual([
      'fsx-export-analyzer: no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run where a role provides them',
    ]);
    expect(run.stderr).not.toMatch(/CredentialsProviderError|Could not load credentials/);
  });
});

describe('CLI: the commands that call AWS, when the SDK cannot load the credentials it was told to use', () => {
  /** A user whose AWS config holds `config` and who picks `profile`; nothing else to fall back on. */
  function withProfile(profile: string, config: string): NodeJS.ProcessEnv {
    const dir = mkdtempSync(join(tmpdir(), 'fea-aws-config-'));
    writeFileSync(join(dir, 'config'), config);
    const env = awsEnv({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    delete env['AWS_ACCESS_KEY_ID'];
    delete env['AWS_SECRET_ACCESS_KEY'];
    return {
      ...env,
      HOME: dir,
      USERPROFILE: dir,
      AWS_PROFILE: profile,
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    };
  }

  /** An IAM Identity Center (SSO) profile that has never logged in: no cached token. */
  const SSO_CONFIG = [
    '[profile prod]',
    'sso_session = corp',
    'sso_account_id = 111122223333',
    'sso_role_name = Admin',
    '[sso-session corp]',
    'sso_start_url = https://example.awsapps.com/start',
    'sso_region = eu-west-1',
    '',
  ].join('\n');

  it.each([
    [['doctor']],
    [['doctor', '--org', '--accounts', '222233334444']],
    [['scan']],
    [['reexport', '--class', 'permission', '--dry-run']],
  ])('%j with an SSO profile and no session keeps the SDK advice, exit status 2', async (args) => {
    // Prepare
    const env = withProfile('prod', SSO_CONFIG);

    // Act
    const run = await cli(args, env);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n').filter((line) => line.startsWith('fsx-export-analyzer:'));
    expect(lines).toEqual([
      "fsx-export-analyzer: AWS credentials could not be loaded: The SSO session token associated with profile=prod was not found or is invalid. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
    ]);
    expect(run.stderr).not.toMatch(/CredentialsProviderError|no AWS credentials found/);
  });

  it.each([[['doctor']], [['scan']]])(
    '%j with a profile that is not in the config names it, exit status 2',
    async (args) => {
      // Prepare
      const env = withProfile('typo', SSO_CONFIG);

      // Act
      const run = await cli(args, env);

      // Assess
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr
        .split('\n')
        .filter((line) => line.startsWith('fsx-export-analyzer:'));
      expect(lines).toEqual([
        'fsx-export-analyzer: no AWS credentials found for AWS_PROFILE=typo: check that this profile exists in the AWS config files (~/.aws/config, ~/.aws/credentials)',
      ]);
    },
  );
});

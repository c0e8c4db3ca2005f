import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { command } from '../../cli/scan.ts';
import { fakeIo } from '../helpers/cli.ts';
import { json } from '../helpers/events.ts';
import { CREDENTIALS, FS } from '../helpers/fixtures.ts';
import { type LogsServer, type LogsServerEvent, startLogsServer } from '../servers/logs-server.ts';

/*
 * `scan` end to end inside the process: the real CloudWatchLogsClient against the local
 * CloudWatch Logs server, driven through command(args, io) with a fake Io.
 */

const GROUP = '/aws/fsx/lustre';
const OTHER_FS = 'fs-0fedcba9876543210';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;

/** One failure `hoursAgo` hours before NOW on the stream of `fs`. */
function failure(code: string, path: string, hoursAgo: number, fs = FS): LogsServerEvent {
  return {
    logStreamName: `datarepo_${fs}`,
    timestamp: NOW - hoursAgo * HOUR,
    message: json(code, path),
  };
}

describe('Integration: scan against logs-server', () => {
  let server: LogsServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function scan(events: readonly LogsServerEvent[], args: string[], io = fakeIo()) {
    server = await startLogsServer({ groups: { [GROUP]: { events } }, pageSize: 2 });
    const endpoint = server.endpoint;
    const code = await command(args, io, {
      logsClient: (region) =>
        new CloudWatchLogsClient({
          endpoint,
          region: region ?? 'us-east-1',
          credentials: CREDENTIALS,
          maxAttempts: 2,
        }),
      now: () => NOW,
    });
    return { code, stdout: io.out.join(''), stderr: io.err.join('') };
  }

  it('reads 3 pages across streams and prints the analyze report with a trend', async () => {
    // Prepare
    const events = [
      failure('S3ExportAccessDenied', '/ns1/a.bin', 3),
      failure('S3ExportAccessDenied', '/ns1/b.bin', 2),
      failure('InternalAutoExportError', '/ns1/c.bin', 2, OTHER_FS),
      failure('S3ExportResourceBusy', '/ns1/d.bin', 1),
      failure('InternalAutoExportError', '/ns1/e.bin', 1, OTHER_FS),
      // The previous window: one busy failure on a third file system.
      failure('S3ExportResourceBusy', '/ns1/old.bin', 30, 'fs-0aaaaaaaaaaaaaaaa'),
    ];

    // Act
    const result = await scan(events, ['--log-group', GROUP, '--since', '24h']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `Scan of ${GROUP}, 2026-11-24 12:00:00Z -> 2026-11-25 12:00:00Z (1d)`,
    );
    expect(result.stdout).toContain('Trend against the previous window');
    expect(result.stdout).toMatch(/permission +2 +0 +\+2/);
    expect(result.stdout).toMatch(/busy +1 +1 +0/);
    expect(result.stdout).toMatch(/all failures +5 +1 +\+4/);
    expect(result.stdout).toContain('Stopped failing: fs-0aaaaaaaaaaaaaaaa');
    expect(result.stderr).toBe(
      [
        'this window: read 5 events in 3 pages in 0.0 s',
        'previous window: read 1 event in 1 page in 0.0 s',
        '',
      ].join('\n'),
    );
    const reads = server?.calls.filter((call) => call.operation === 'FilterLogEvents') ?? [];
    expect(reads).toHaveLength(4);
    expect(reads[0]?.input).toMatchObject({ startTime: NOW - 24 * HOUR, endTime: NOW - 1 });
    expect(reads[3]?.input).toMatchObject({
      startTime: NOW - 48 * HOUR,
      endTime: NOW - 24 * HOUR - 1,
    });
  });

  it('counts an event at --since in this window, one just before in the previous, one at --until in neither', async () => {
    // Prepare
    const events = [
      failure('S3ExportAccessDenied', '/ns1/at-since.bin', 24),
      failure('S3ExportAccessDenied', '/ns1/before-since.bin', 24 + 1 / HOUR),
      failure('S3ExportAccessDenied', '/ns1/at-until.bin', 0),
    ];

    // Act
    const result = await scan(events, ['--json']);

    // Assess
    const document = JSON.parse(result.stdout) as {
      events: number;
      trend: { total: { current: number; previous: number } };
    };
    expect(document.events).toBe(1);
    expect(document.trend.total).toMatchObject({ current: 1, previous: 1 });
    expect(result.stdout).toContain('at-since.bin');
    expect(result.stdout).not.toContain('at-until.bin');
  });

  it('prints one JSON document with the analyze fields, the scan and the trend', async () => {
    // Prepare
    const events = [
      failure('S3ExportAccessDenied', '/ns1/a.bin', 3),
      failure('InternalAutoExportError', '/ns1/c.bin', 30),
    ];

    // Act
    const result = await scan(events, ['--since', '2026-11-25T06:00:00Z', '--json']);

    // Assess
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(document).toMatchObject({
      dryRun: true,
      events: 1,
      byClass: { permission: 1 },
      scan: {
        logGroup: GROUP,
        fileSystemId: null,
        window: { start: '2026-11-25T06:00:00.000Z', end: '2026-11-25T12:00:00.000Z' },
        eventsRead: 1,
        pages: 1,
      },
      trend: {
        previousWindow: { start: '2026-11-25T00:00:00.000Z', end: '2026-11-25T06:00:00.000Z' },
        total: { current: 1, previous: 0, change: 1 },
        newCodes: [{ code: 'S3ExportAccessDenied', count: 1 }],
      },
    });
  });

  it('prints the email and then the trend with --email', async () => {
    // Prepare
    const events = [failure('S3ExportAccessDenied', '/ns1/a.bin', 3)];

    // Act
    const result = await scan(events, ['--email', '--since', '12h']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Subject: /);
    expect(result.stdout.indexOf('TREND AGAINST THE PREVIOUS WINDOW')).toBeGreaterThan(
      result.stdout.indexOf('Subject: '),
    );
    expect(result.stdout).not.toContain('\u001b');
  });

  it('reads only the streams of --file-system-id', async () => {
    // Prepare
    const events = [
      failure('S3ExportAccessDenied', '/ns1/a.bin', 3),
      failure('S3ExportAccessDenied', '/ns1/b.bin', 3, OTHER_FS),
    ];

    // Act
    const result = await scan(events, ['--file-system-id', OTHER_FS, '--json']);

    // Assess
    const document = JSON.parse(result.stdout) as { events: number; fileSystems: object };
    expect(document.events).toBe(1);
    expect(Object.keys(document.fileSystems)).toEqual([OTHER_FS]);
    expect(server?.calls[0]?.input['logStreamNamePrefix']).toBe(`datarepo_${OTHER_FS}`);
  });

  it('shows live progress on a terminal and clears it before the final line', async () => {
    // Prepare
    const events = [1, 2, 3].map((n) => failure('S3ExportAccessDenied', `/ns1/${n}`, n));

    // Act
    const result = await scan(events, [], fakeIo({ stderrIsTTY: true }));

    // Assess
    expect(result.stderr).toContain('\r\u001b[2Kthis window: 2 events, 1 page, 0.0 s');
    expect(result.stderr).toContain('\r\u001b[2Kthis window: 3 events, 2 pages, 0.0 s');
    expect(result.stderr).toContain('\r\u001b[2Kthis window: read 3 events in 2 pages in 0.0 s\n');
  });

  it('without a terminal, writes a progress line only every 50 pages and at the end', async () => {
    // Prepare: 101 events at 2 a page is 51 pages.
    const events = Array.from({ length: 101 }, (_, n) =>
      failure('S3ExportAccessDenied', `/ns1/${n}`, 1 + n / 1000),
    );

    // Act
    const result = await scan(events, []);

    // Assess
    expect(result.stderr).toBe(
      [
        'this window: 100 events, 50 pages, 0.0 s',
        'this window: read 101 events in 51 pages in 0.0 s',
        'previous window: read 0 events in 1 page in 0.0 s',
        '',
      ].join('\n'),
    );
  });

  it('names the log group and the fix when it does not exist, exit status 2', async () => {
    // Act
    const result = await scan([], ['--log-group', '/aws/fsx/typo']);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^fsx-export-analyzer: log group "\/aws\/fsx\/typo" does not exist in this account and Region: check --log-group and --region/m,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('says which permission is missing on AccessDenied, exit status 2', async () => {
    // Prepare
    server = await startLogsServer({ groups: { [GROUP]: {} } });
    server.inject({
      operation: 'FilterLogEvents',
      times: 1,
      kind: {
        type: 'AccessDeniedException',
        message: 'User: arn:aws:iam::123456789012:user/ops is not authorized',
      },
    });
    const io = fakeIo();
    const endpoint = server.endpoint;

    // Act
    const code = await command([], io, {
      logsClient: () =>
        new CloudWatchLogsClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS }),
      now: () => NOW,
    });

    // Assess
    expect(code).toBe(2);
    expect(io.err.join('')).toContain('needs the IAM permission logs:FilterLogEvents');
  });

  it('fails with exit status 1 when throttling outlasts the SDK retries', async () => {
    // Prepare
    server = await startLogsServer({ groups: { [GROUP]: {} } });
    server.inject({
      operation: 'FilterLogEvents',
      times: Number.POSITIVE_INFINITY,
      kind: 'throttle',
    });
    const io = fakeIo();
    const endpoint = server.endpoint;

    // Act
    const code = await command([], io, {
      logsClient: () =>
        new CloudWatchLogsClient({
          endpoint,
          region: 'us-east-1',
          credentials: CREDENTIALS,
          maxAttempts: 2,
        }),
      now: () => NOW,
    });

    // Assess
    expect(code).toBe(1);
    expect(io.err.join('')).toContain('kept throttling FilterLogEvents after the SDK retries');
    expect(server.calls).toHaveLength(2);
  });

  it('still prints the report when only the previous window fails, with exit status 1', async () => {
    // Prepare
    const events = [failure('S3ExportAccessDenied', '/ns1/a.bin', 3)];
    server = await startLogsServer({ groups: { [GROUP]: { events } } });
    const running = server;
    const client = new CloudWatchLogsClient({
      endpoint: running.endpoint,
      region: 'us-east-1',
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    let reads = 0;
    // The second read (the previous window) meets a 5xx.
    client.middlewareStack.add(
      (next) => async (args) => {
        reads++;
        if (reads === 2)
          running.inject({ operation: 'FilterLogEvents', times: 1, kind: 'server-error' });
        return next(args);
      },
      { step: 'initialize' },
    );
    const io = fakeIo();

    // Act
    const code = await command(['--json'], io, { logsClient: () => client, now: () => NOW });

    // Assess
    expect(code).toBe(1);
    const document = JSON.parse(io.out.join('')) as { events: number; trend: unknown };
    expect(document.events).toBe(1);
    expect(document.trend).toBeNull();
    expect(io.err.join('')).toContain('FilterLogEvents on "/aws/fsx/lustre" failed');
    expect(io.err.join('')).toContain(
      'the trend is left out: the previous window could not be read',
    );
  });

  it('counts the previous window page by page: --max-events bounds only this window', async () => {
    // Prepare
    const events = [
      failure('S3ExportAccessDenied', '/ns1/a.bin', 3),
      failure('S3ExportAccessDenied', '/ns1/b.bin', 2),
      ...[30, 31, 32, 33, 34].map((hoursAgo) =>
        failure('S3ExportResourceBusy', `/ns1/old-${hoursAgo}.bin`, hoursAgo),
      ),
    ];

    // Act
    const result = await scan(events, ['--max-events', '2']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/busy +0 +5 +-5/);
    expect(result.stdout).toMatch(/all failures +2 +5 +-3/);
    expect(result.stderr).toContain('previous window: read 5 events in 3 pages');
  });

  it('reads a log group by the ARN the console shows, trailing :* and all', async () => {
    // Prepare
    const arn = `arn:aws:logs:us-east-1:123456789012:log-group:${GROUP}:*`;

    // Act
    const result = await scan(
      [failure('S3ExportAccessDenied', '/ns1/a.bin', 3)],
      ['--log-group', arn],
    );

    // Assess
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('this window: read 1 event in 1 page');
  });

  it('refuses bad options with a usage error before any call', async () => {
    // Act
    const since = scan([], ['--since', 'yesterday']);

    // Assess
    await expect(since).rejects.toThrow(/^--since must be a duration/);
    expect(server?.calls).toHaveLength(0);
  });

  it('reads --since -24h as 24 hours ago, the same window as --since 24h', async () => {
    // Prepare
    const events = [failure('S3ExportAccessDenied', '/ns1/a.bin', 3)];

    // Act
    const result = await scan(events, ['--json', '--since', '-24h', '--until', '-1h']);

    // Assess
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout) as { scan: { window: unknown }; records: number };
    expect(document.scan.window).toEqual({
      start: '2026-11-24T12:00:00.000Z',
      end: '2026-11-25T11:00:00.000Z',
    });
    expect(document.records).toBe(1);
  });

  it.each([
    [
      'samples/events',
      '--region needs a Region name such as eu-west-1; "samples/events" looks like a file',
    ],
    [
      'events.json',
      '--region needs a Region name such as eu-west-1; "events.json" looks like a file',
    ],
    ['Mars', '--region needs a Region name such as eu-west-1 (got "Mars")'],
  ])('refuses --region %j before any call', async (region, message) => {
    // Act
    const run = scan([], ['--region', region]);

    // Assess
    await expect(run).rejects.toThrow(message);
    expect(server?.calls).toHaveLength(0);
  });

  it.each(['eu-west-1', 'cn-north-1', 'us-gov-west-1', 'ap-southeast-5'])(
    'takes --region %s',
    async (region) => {
      // Act
      const result = await scan([], ['--region', region]);

      // Assess
      expect(result.code).toBe(0);
    },
  );
});

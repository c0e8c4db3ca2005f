import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FSxClient } from '@aws-sdk/client-fsx';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { command, type ReexportDeps } from '../../cli/reexport.ts';
import { createLedger } from '../../lib/aws/ledger.ts';
import { fakeIo } from '../helpers/cli.ts';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite.ts';
import { json } from '../helpers/events.ts';
import { CREDENTIALS, FS } from '../helpers/fixtures.ts';
import { type FsxServer, startFsxServer } from '../servers/fsx-server.ts';
import { type LogsServer, type LogsServerEvent, startLogsServer } from '../servers/logs-server.ts';

/*
 * `reexport` inside the process: the real CloudWatchLogsClient and FSxClient against the local
 * CloudWatch Logs and FSx servers, driven through command(args, io) with a fake Io.
 */

const GROUP = '/aws/fsx/lustre';
const OTHER_FS = 'fs-0fedcba9876543210';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const PREFIX = 'fsx-export-analyzer: ';

function failure(code: string, path: string, fs = FS): LogsServerEvent {
  return { logStreamName: `datarepo_${fs}`, timestamp: NOW - HOUR, message: json(code, path) };
}

const DENIED = [
  failure('S3ExportAccessDenied', '/ns1/a.bin'),
  failure('S3ExportAccessDenied', '/ns1/b.bin'),
  failure('S3ExportAccessDenied', '/ns1/a.bin'),
  failure('S3ExportAccessDenied', '/ns1/c.bin', OTHER_FS),
  failure('InternalAutoExportError', '/ns1/t.bin'),
  failure('S3ImportAccessDenied', '/ns1/i.bin'),
];

describe('Integration: reexport against logs-server and fsx-server', () => {
  let logs: LogsServer;
  let fsx: FsxServer;

  beforeEach(async () => {
    logs = await startLogsServer({ groups: { [GROUP]: { events: DENIED } }, pageSize: 2 });
    fsx = await startFsxServer();
    fsx.addFileSystem(FS, [
      { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets' },
    ]);
    fsx.addFileSystem(OTHER_FS, [
      { fileSystemPath: '/ns1', dataRepositoryPath: 's3://other-bucket/data' },
    ]);
  });

  afterEach(async () => {
    await logs.stop();
    await fsx.stop();
  });

  function deps(extra: Partial<ReexportDeps> = {}): ReexportDeps {
    return {
      logsClient: () =>
        new CloudWatchLogsClient({
          endpoint: logs.endpoint,
          region: 'us-east-1',
          credentials: CREDENTIALS,
          maxAttempts: 1,
        }),
      fsxClient: () =>
        new FSxClient({
          endpoint: fsx.endpoint,
          region: 'us-east-1',
          credentials: CREDENTIALS,
          maxAttempts: 1,
        }),
      now: () => NOW,
      ...extra,
    };
  }

  async function reexport(args: string[], io = fakeIo(), extra: Partial<ReexportDeps> = {}) {
    const code = await command(args, io, deps(extra));
    return { code, stdout: io.out.join(''), stderr: io.err.join('') };
  }

  const fsxOperations = () => fsx.calls.map((call) => call.operation);

  it('starts one task per file system with --yes, report paths inside the associations', async () => {
    // Act
    const result = await reexport(['--class', 'permission', '--yes']);

    // Assess
    expect(result.code).toBe(0);
    const tasks = fsx.tasks();
    expect(tasks.map((task) => [task.FileSystemId, task.Paths, task.Report?.['Path']])).toEqual([
      [FS, ['ns1/a.bin', 'ns1/b.bin'], 's3://ml-archive/datasets/fsx-export-analyzer-reports'],
      [OTHER_FS, ['ns1/c.bin'], 's3://other-bucket/data/fsx-export-analyzer-reports'],
    ]);
    expect(result.stdout).toContain(
      '4 failures of class permission among 6 events of /aws/fsx/lustre',
    );
    expect(result.stdout).toContain('Re-export plan: 2 tasks on 2 file systems, 3 paths');
    expect(result.stdout).toContain(`started          ${FS} 2 paths: ${tasks[0]?.TaskId}`);
    expect(result.stdout).toContain(`started          ${OTHER_FS} 1 path: ${tasks[1]?.TaskId}`);
    expect(result.stderr).toBe('window: read 6 events in 3 pages in 0.0 s\n');
  });

  it('starts nothing new when run twice: FSx answers the same token with the same task', async () => {
    // Prepare
    await reexport(['--class', 'permission', '--yes']);
    const first = fsx.tasks().map((task) => task.TaskId);

    // Act
    const second = await reexport(['--class', 'permission', '--yes']);

    // Assess
    expect(second.code).toBe(0);
    expect(fsx.tasks().map((task) => task.TaskId)).toEqual(first);
    expect(second.stdout).toContain(`already started  ${FS} 2 paths: ${first[0]}`);
    expect(second.stdout).toContain(`already started  ${OTHER_FS} 1 path: ${first[1]}`);
    expect(second.stdout).not.toContain('started          ');
  });

  it('shows the plan with --dry-run and makes no FSx call at all', async () => {
    // Act
    const result = await reexport(['--class', 'permission,transient', '--dry-run']);

    // Assess
    expect(result.code).toBe(0);
    expect(fsx.calls).toHaveLength(0);
    expect(result.stdout).toContain(`${FS}: 1 task, 3 paths`);
    expect(result.stdout).toContain('task 1: 3 paths (permission, transient), token fea-');
    expect(result.stdout).toContain(
      'report: derived from the data repository associations at start time',
    );
    expect(result.stdout).toMatch(/token fea-[A-Za-z0-9_-]{43}/);
    expect(result.stdout).toContain('Dry run: nothing started and FSx not called.');
    expect(result.stdout).toContain(
      'fsx-export-analyzer reexport --log-group /aws/fsx/lustre --class permission,transient --since 2026-11-24T12:00:00.000Z --until 2026-11-25T12:00:00.000Z --yes',
    );
  });

  it('refuses to ask when stdin is not a terminal, before any AWS call (exit 2 via main)', async () => {
    // Act
    const run = reexport(['--class', 'permission']);

    // Assess
    await expect(run).rejects.toThrow(
      'standard input is not a terminal: pass --yes to start without asking',
    );
    expect(logs.calls).toHaveLength(0);
    expect(fsx.calls).toHaveLength(0);
  });

  it('asks on the terminal and starts on "y"', async () => {
    // Prepare
    const io = fakeIo({ answer: 'y' });

    // Act
    const result = await reexport(['--class', 'permission'], io);

    // Assess
    expect(io.questions).toEqual(['Start 2 export tasks on 2 file systems? [y/N] ']);
    expect(result.code).toBe(0);
    expect(fsx.tasks()).toHaveLength(2);
  });

  it('starts nothing when the person answers anything but yes', async () => {
    // Prepare
    const io = fakeIo({ answer: '' });

    // Act
    const result = await reexport(['--class', 'permission'], io);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Nothing started.');
    expect(fsxOperations()).not.toContain('CreateDataRepositoryTask');
  });

  it('reports DataRepositoryTaskExecuting as refused, try again later, exit 1', async () => {
    // Prepare
    const running = fsx.addTask({ fileSystemId: FS, lifecycle: 'EXECUTING' });

    // Act
    const result = await reexport(['--class', 'permission', '--yes']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(
        `refused {10}${FS} 2 paths: DataRepositoryTaskExecuting: another data repository task`,
      ),
    );
    expect(result.stdout).toContain(running);
    expect(result.stdout).toContain(
      'Try again later: the same command starts only what is missing.',
    );
    expect(result.stdout).toContain(`started          ${OTHER_FS} 1 path`);
    expect(result.stderr).toContain('1 task of 2 refused (see above)');
    expect(result.stdout).toContain(
      `--class permission --since 2026-11-24T12:00:00.000Z --until 2026-11-25T12:00:00.000Z --yes`,
    );
  });

  it('warns in the plan that a file system runs one task at a time, and FSx then refuses the next', async () => {
    // Prepare
    await logs.stop();
    const many = Array.from({ length: 101 }, (_, n) =>
      failure('S3ExportAccessDenied', `/ns1/f${n}.bin`),
    );
    logs = await startLogsServer({ groups: { [GROUP]: { events: many } } });

    // Act
    const result = await reexport(['--class', 'permission', '--yes']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${FS}: 2 tasks, 101 paths`);
    expect(result.stdout).toContain('FSx runs one data repository task at a time per file system');
    expect(result.stdout).toMatch(/started {10}fs-0123456789abcdef0 100 paths/);
    expect(result.stdout).toMatch(
      /refused {10}fs-0123456789abcdef0 1 path: DataRepositoryTaskExecuting/,
    );
    expect(fsx.tasks()).toHaveLength(1);
  });

  it('names the unreadable associations and the permission when a task has no report path', async () => {
    // Prepare
    fsx.inject({
      operation: 'DescribeDataRepositoryAssociations',
      times: 2,
      kind: { type: 'AccessDeniedException', message: 'not authorized' },
    });

    // Act
    const result = await reexport(['--class', 'permission', '--yes']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /refused {10}fs-\w+ \d paths?: no completion report path: the data repository associations could not be read \(.*AccessDenied.*\); allow fsx:DescribeDataRepositoryAssociations or set REPORT_PATH/,
    );
    expect(fsxOperations()).not.toContain('CreateDataRepositoryTask');
  });

  it('prints the pinned command after starting, so running it again starts nothing new', async () => {
    // Act
    const first = await reexport(['--class', 'permission', '--yes', '--since', '2h']);
    const rerun = /\n {2}fsx-export-analyzer reexport (.*) --yes\n/.exec(first.stdout)?.[1] ?? '';
    const second = await reexport([...rerun.split(' '), '--yes'], fakeIo(), {
      now: () => NOW + HOUR,
    });

    // Assess
    expect(first.code).toBe(0);
    expect(rerun).toContain('--since 2026-11-25T10:00:00.000Z --until 2026-11-25T12:00:00.000Z');
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/^started/m);
    expect(second.stdout).toMatch(/^already started/m);
    expect(fsx.tasks()).toHaveLength(2);
  });

  it('reads --since -2h as 2 hours ago: the pinned window of --since 2h', async () => {
    // Act
    const result = await reexport(['--class', 'permission', '--dry-run', '--since', '-2h']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '--since 2026-11-25T10:00:00.000Z --until 2026-11-25T12:00:00.000Z --yes',
    );
  });

  it('escapes an error name from the endpoint before it reaches the terminal', async () => {
    // Prepare
    fsx.inject({
      operation: 'CreateDataRepositoryTask',
      times: 2,
      kind: { type: 'Odd\u009b2JError', message: 'x' },
    });

    // Act
    const result = await reexport(['--class', 'permission', '--yes']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Odd\\x9b2JError');
    expect(result.stdout).not.toContain('\u009b');
  });

  it('reports BadRequest with its reason and no retry hint', async () => {
    // Prepare
    fsx.inject({
      operation: 'CreateDataRepositoryTask',
      times: 2,
      kind: { type: 'BadRequest', message: 'The path ns1/a.bin does not exist' },
    });

    // Act
    const result = await reexport(['--class', 'permission', '--yes']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('BadRequest: FSx rejected the request');
    expect(result.stdout).toContain('(The path ns1/a.bin does not exist)');
    expect(result.stdout).not.toContain('Try again later');
  });

  it('re-exports busy files at once: a person is acting now', async () => {
    // Prepare
    await logs.stop();
    logs = await startLogsServer({
      groups: { [GROUP]: { events: [failure('S3ExportResourceBusy', '/ns1/busy.bin')] } },
    });

    // Act
    const result = await reexport(['--class', 'busy', '--yes']);

    // Assess
    expect(result.code).toBe(0);
    expect(fsx.tasks().map((task) => task.Paths)).toEqual([['ns1/busy.bin']]);
  });

  it('says on stderr why nothing could be planned, exit 1', async () => {
    // Prepare: an S3 key under no association of the file system.
    await logs.stop();
    const message = JSON.stringify({
      errorCode: 'S3ExportAccessDenied',
      s3Key: 'elsewhere/x.bin',
      bucket: 'not-associated',
    });
    logs = await startLogsServer({
      groups: {
        [GROUP]: {
          events: [{ logStreamName: `datarepo_${FS}`, timestamp: NOW - HOUR, message }],
        },
      },
    });

    // Act
    const result = await reexport(['--class', 'permission', '--yes']);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Nothing to start.');
    expect(result.stdout).toContain('under no data repository association');
    expect(result.stderr).toContain(
      'fsx-export-analyzer: nothing started: 1 failure could not be planned; see "Not re-exported" above for why',
    );
    expect(fsxOperations()).not.toContain('CreateDataRepositoryTask');
  });

  it('counts the events it could not read instead of dropping them silently', async () => {
    // Prepare
    await logs.stop();
    const events = [
      failure('S3ExportAccessDenied', '/ns1/a.bin'),
      { logStreamName: `datarepo_${FS}`, timestamp: NOW - HOUR, message: 'kernel: something else' },
    ];
    logs = await startLogsServer({ groups: { [GROUP]: { events } } });

    // Act
    const result = await reexport(['--class', 'permission', '--dry-run']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 failure of class permission among 2 events');
    expect(result.stdout).toContain(
      '1 event could not be read as FSx records and may hide more failures',
    );
  });

  it('says there is nothing to do when the window has no failure of the class', async () => {
    // Act
    const result = await reexport(['--class', 'limit', '--yes']);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 failures of class limit');
    expect(result.stdout).not.toContain('could not be read');
    expect(result.stdout).toContain('Nothing to re-export.');
    expect(fsx.calls).toHaveLength(0);
  });

  it.each([
    [
      ['--class', 'import', '--yes'],
      /^--class import: import and restore events are not export failures/,
    ],
    [['--class', 'report', '--yes'], /^--class report: report failures are completion reports/],
    [['--class', 'unknown', '--yes'], /^--class unknown: unknown codes are never re-exported/],
    [
      ['--class', 'permision', '--yes'],
      /^--class "permision" is not a class; choose from permission, limit/,
    ],
    [['--yes'], /^--class is required/],
    [['--class', 'permission', '--yes', '--dry-run'], /cannot be combined/],
    [
      ['--class', 'permission', '--yes', '--region', 'samples/events'],
      /^--region needs a Region name such as eu-west-1; "samples\/events" looks like a file$/,
    ],
  ])('refuses %j with a clear line before any call', async (args, message) => {
    // Act
    const run = reexport(args);

    // Assess
    await expect(run).rejects.toThrow(message);
    expect(logs.calls).toHaveLength(0);
  });

  describe('with LEDGER_TABLE', () => {
    let dynamo: LocalDynamo;

    beforeEach(async () => {
      dynamo = await startDynalite();
    });

    afterEach(async () => {
      await dynamo.stop();
    });

    it('starts every task when the ledger fails, and says on one line what was not recorded', async () => {
      // Prepare
      const io = { ...fakeIo(), env: { LEDGER_TABLE: 'no-such-table' } };

      // Act
      const code = await command(
        ['--class', 'permission', '--yes'],
        io,
        deps({ dynamoClient: () => dynamo.client }),
      );

      // Assess
      expect(code).toBe(1);
      expect(fsx.tasks()).toHaveLength(2);
      const complaints = io.err
        .join('')
        .split('\n')
        .filter((text) => text.startsWith(PREFIX));
      expect(complaints).toHaveLength(1);
      expect(complaints[0]).toMatch(
        /^fsx-export-analyzer: 2 started tasks could not be recorded in LEDGER_TABLE no-such-table \(.+\): the stack will not email their outcome/,
      );
    });

    it('records the attempts and tracks the started tasks for the outcome check', async () => {
      // Prepare
      const io = { ...fakeIo(), env: { LEDGER_TABLE: dynamo.tableName } };
      const ledger = createLedger(dynamo.client, {
        tableName: dynamo.tableName,
        attemptWindowHours: 24,
      });

      // Act
      const code = await command(
        ['--class', 'permission', '--yes'],
        io,
        deps({ dynamoClient: () => dynamo.client }),
      );

      // Assess
      expect(code).toBe(0);
      const taskIds = fsx.tasks().map((task) => task.TaskId);
      const open = await ledger.openTasks();
      expect(open.map((task) => task.taskId).sort()).toEqual([...taskIds].sort());
      expect(open.map((task) => task.startedBy)).toEqual(taskIds.map(() => 'reexport'));
      const attempts = await ledger.attempts(FS, ['ns1/a.bin', 'ns1/b.bin']);
      expect(attempts.get('ns1/a.bin')?.taskIds).toEqual([taskIds[0]]);
    });
  });
});

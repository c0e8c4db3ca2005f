import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FSxClient } from '@aws-sdk/client-fsx';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { command } from '../../cli/reexport.ts';
import { type FakeIo, fakeIo } from '../helpers/cli.ts';
import { json } from '../helpers/events.ts';
import { CREDENTIALS, FS } from '../helpers/fixtures.ts';
import { type FsxServer, startFsxServer } from '../servers/fsx-server.ts';
import { type LogsServer, type LogsServerEvent, startLogsServer } from '../servers/logs-server.ts';

/*
 * What `reexport` shows and leaves out: --json, --paths, paths under no data repository
 * association, MISCONFIGURED associations, and the failures each "Not re-exported" reason is
 * about. The real SDK clients against the local CloudWatch Logs and FSx servers.
 */

const GROUP = '/aws/fsx/lustre';
const OTHER_FS = 'fs-0fedcba9876543210';
const MISCONFIGURED_DRA = 'dra-0aaaaaaaaaaaaaaa1';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;

/** A permission failure of `path` on `fs`, with a readable event id when one is given. */
function failure(path: string, fs = FS, eventId?: string): LogsServerEvent {
  return {
    logStreamName: `datarepo_${fs}`,
    timestamp: NOW - HOUR,
    message: json('S3ExportAccessDenied', path),
    ...(eventId === undefined ? {} : { eventId }),
  };
}

/** A permission failure that names only an S3 key, in a bucket no association links. */
function keyOnly(n: number): LogsServerEvent {
  const message = JSON.stringify({
    errorCode: 'S3ExportAccessDenied',
    s3Key: `elsewhere/k${n}.bin`,
    bucket: 'not-associated',
  });
  return { logStreamName: `datarepo_${FS}`, timestamp: NOW - HOUR, message, eventId: `ev-k${n}` };
}

/** The --json document, as far as these tests read it. */
interface Document {
  dryRun: boolean;
  failures: number;
  warnings: { fileSystemId: string; associationId: string; lifecycle: string }[];
  tasks: {
    fileSystemId: string;
    paths: string[];
    clientRequestToken: string;
    reportPath: string;
  }[];
  notReexported: { fileSystemId: string; eventId: string; target: string; reason: string }[];
  results: { fileSystemId: string; status: string; taskId: string | null; reason: string | null }[];
  rerun: string;
}

describe('Integration: what reexport shows and leaves out', () => {
  let logs: LogsServer | undefined;
  let fsx: FsxServer;

  beforeEach(async () => {
    fsx = await startFsxServer();
    fsx.addFileSystem(FS, [
      { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets' },
    ]);
    fsx.addFileSystem(OTHER_FS, [
      {
        associationId: MISCONFIGURED_DRA,
        fileSystemPath: '/ns1',
        dataRepositoryPath: 's3://other-bucket/data',
        lifecycle: 'MISCONFIGURED',
      },
    ]);
  });

  afterEach(async () => {
    await logs?.stop();
    logs = undefined;
    await fsx.stop();
  });

  /** Runs reexport on a log group holding `events`. */
  async function reexport(events: readonly LogsServerEvent[], args: string[], io = fakeIo()) {
    logs = await startLogsServer({ groups: { [GROUP]: { events } } });
    const endpoint = logs.endpoint;
    const options = { region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 };
    const code = await command(args, io, {
      logsClient: () => new CloudWatchLogsClient({ ...options, endpoint }),
      fsxClient: () => new FSxClient({ ...options, endpoint: fsx.endpoint }),
      now: () => NOW,
    });
    return { code, stdout: io.out.join(''), stderr: io.err.join('') };
  }

  describe('--json', () => {
    it('prints only one JSON document: the tasks, what was left out and why, each result', async () => {
      // Prepare
      const events = [
        failure('/ns1/a.bin'),
        failure('/ns1/b.bin'),
        failure('/scratch/x.bin', FS, 'ev-outside'),
        failure('/ns1/c.bin', OTHER_FS),
      ];
      fsx.addTask({ fileSystemId: OTHER_FS, lifecycle: 'EXECUTING' });

      // Act
      const result = await reexport(events, ['--class', 'permission', '--yes', '--json']);

      // Assess
      expect(result.code).toBe(1);
      const document = JSON.parse(result.stdout) as Document;
      const started = fsx.tasks().find((task) => task.FileSystemId === FS);
      const token = fsx.calls.find((call) => call.operation === 'CreateDataRepositoryTask')?.input[
        'ClientRequestToken'
      ];
      expect(document.dryRun).toBe(false);
      expect(document.failures).toBe(4);
      expect(document.tasks).toEqual([
        {
          fileSystemId: FS,
          paths: ['ns1/a.bin', 'ns1/b.bin'],
          classes: ['permission'],
          eventIds: expect.any(Array),
          clientRequestToken: token,
          reportPath: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
        },
        expect.objectContaining({ fileSystemId: OTHER_FS, paths: ['ns1/c.bin'] }),
      ]);
      expect(document.notReexported).toEqual([
        {
          fileSystemId: FS,
          eventId: 'ev-outside',
          class: 'permission',
          target: '/scratch/x.bin',
          reason: expect.stringMatching(/^the path is under no data repository association/),
        },
      ]);
      expect(document.results).toEqual([
        expect.objectContaining({ fileSystemId: FS, status: 'started', taskId: started?.TaskId }),
        expect.objectContaining({
          fileSystemId: OTHER_FS,
          status: 'refused',
          taskId: null,
          reason: expect.stringMatching(/^DataRepositoryTaskExecuting: /),
        }),
      ]);
      expect(document.warnings).toEqual([
        expect.objectContaining({
          fileSystemId: OTHER_FS,
          associationId: MISCONFIGURED_DRA,
          lifecycle: 'MISCONFIGURED',
        }),
      ]);
      expect(document.rerun).toMatch(/^fsx-export-analyzer reexport .* --yes$/);
      expect(result.stderr).toContain('1 task of 2 refused (see "results")');
    });

    it('says "alreadyStarted" when the same window runs again', async () => {
      // Prepare
      const events = [failure('/ns1/a.bin')];
      await reexport(events, ['--class', 'permission', '--yes']);
      await logs?.stop();

      // Act
      const result = await reexport(events, ['--class', 'permission', '--yes', '--json']);

      // Assess
      expect(result.code).toBe(0);
      const document = JSON.parse(result.stdout) as Document;
      expect(document.results.map((item) => [item.status, item.taskId])).toEqual([
        ['alreadyStarted', fsx.tasks()[0]?.TaskId],
      ]);
    });

    it('prints the dry-run plan as JSON, with no result and no FSx call', async () => {
      // Act
      const result = await reexport(
        [failure('/ns1/a.bin')],
        ['--class', 'permission', '--dry-run', '--json'],
      );

      // Assess
      expect(result.code).toBe(0);
      expect(fsx.calls).toHaveLength(0);
      const document = JSON.parse(result.stdout) as Document;
      expect(document.dryRun).toBe(true);
      expect(document.tasks.map((task) => [task.paths, task.reportPath])).toEqual([
        [['ns1/a.bin'], null],
      ]);
      expect(document.results).toEqual([]);
    });

    it('prints a document with no task when the window holds nothing to re-export', async () => {
      // Act
      const result = await reexport([], ['--class', 'limit', '--yes', '--json']);

      // Assess
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ failures: 0, tasks: [], results: [] });
    });

    it('refuses --json without --yes or --dry-run, even on a terminal, before any call', async () => {
      // Prepare
      const io = fakeIo({ answer: 'y' });

      // Act
      const run = reexport([failure('/ns1/a.bin')], ['--class', 'permission', '--json'], io);

      // Assess
      await expect(run).rejects.toThrow(
        '--json prints one document and cannot ask: pass --yes to start without asking, or --dry-run',
      );
      expect(io.questions).toEqual([]);
      expect(logs?.calls).toHaveLength(0);
    });
  });

  describe('--paths', () => {
    const seven = Array.from({ length: 7 }, (_, n) => failure(`/ns1/f${n}.bin`));

    it('shows the first 5 paths of a task and how many more by default', async () => {
      // Act
      const result = await reexport(seven, ['--class', 'permission', '--dry-run']);

      // Assess
      expect(result.stdout).toContain('    ns1/f4.bin\n    ... and 2 more\n');
      expect(result.stdout).not.toContain('ns1/f5.bin');
    });

    it('shows every path with --paths', async () => {
      // Act
      const result = await reexport(seven, ['--class', 'permission', '--dry-run', '--paths']);

      // Assess
      expect(result.stdout).toContain('    ns1/f5.bin\n    ns1/f6.bin\n');
      expect(result.stdout).not.toContain('more');
    });
  });

  describe('paths under no association', () => {
    it('leaves them out with their reason and their path, and never sends them to FSx', async () => {
      // Prepare
      const events = [failure('/ns1/a.bin'), failure('/scratch/x.bin', FS, 'ev-outside')];

      // Act
      const result = await reexport(events, ['--class', 'permission', '--yes']);

      // Assess
      expect(result.code).toBe(0);
      expect(fsx.tasks().map((task) => task.Paths)).toEqual([['ns1/a.bin']]);
      expect(result.stdout).toContain(
        [
          'Not re-exported: 1 failure',
          '  1 × the path is under no data repository association of the file system: there is no S3 path to export it to',
          `    ${FS} scratch/x.bin (event ev-outside)`,
        ].join('\n'),
      );
    });

    it('sends the paths of a file system with no association to FSx, as before (legacy linking)', async () => {
      // Prepare: ImportPath/ExportPath file systems have no association; FSx decides for them.
      const legacy = 'fs-0bbbbbbbbbbbbbbb1';
      fsx.addFileSystem(legacy, []);
      const io = { ...fakeIo(), env: { REPORT_PATH: 's3://legacy-bucket/reports' } };

      // Act
      const result = await reexport(
        [failure('/scratch/x.bin', legacy)],
        ['--class', 'permission', '--yes'],
        io,
      );

      // Assess
      const creates = fsx.calls.filter((call) => call.operation === 'CreateDataRepositoryTask');
      expect(creates.map((call) => call.input['Paths'])).toEqual([['scratch/x.bin']]);
      expect(result.stdout).not.toContain('Not re-exported');
    });
  });

  describe('a MISCONFIGURED association', () => {
    it('is named on stderr before the question, and the plan still shows', async () => {
      // Prepare
      const base = fakeIo({ answer: 'n' });
      let stderrAtQuestion = '';
      const io: FakeIo = {
        ...base,
        prompt: async (question) => {
          stderrAtQuestion = base.err.join('');
          return base.prompt?.(question);
        },
      };

      // Act
      const result = await reexport(
        [failure('/ns1/c.bin', OTHER_FS)],
        ['--class', 'permission'],
        io,
      );

      // Assess
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`${OTHER_FS}: 1 task, 1 path`);
      expect(stderrAtQuestion).toContain(
        `fsx-export-analyzer: warning: data repository association ${MISCONFIGURED_DRA} (/ns1 -> s3://other-bucket/data/) of ${OTHER_FS} is MISCONFIGURED: automatic export has stopped there`,
      );
      expect(stderrAtQuestion.match(/warning:/g)).toHaveLength(1);
    });

    it('is not warned about when every association is AVAILABLE', async () => {
      // Act
      const result = await reexport([failure('/ns1/a.bin')], ['--class', 'permission', '--yes']);

      // Assess
      expect(result.code).toBe(0);
      expect(result.stderr).not.toContain('warning');
    });
  });

  describe('"Not re-exported" lines', () => {
    const keys = Array.from({ length: 7 }, (_, n) => keyOnly(n));

    it('name the file system, key and event of the first 5 per reason, and count the rest', async () => {
      // Act
      const result = await reexport(keys, ['--class', 'permission', '--yes']);

      // Assess
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(
        [
          'Not re-exported: 7 failures',
          '  7 × the S3 key is under no data repository association of the file system',
          `    ${FS} s3://not-associated/elsewhere/k0.bin (event ev-k0)`,
          `    ${FS} s3://not-associated/elsewhere/k1.bin (event ev-k1)`,
          `    ${FS} s3://not-associated/elsewhere/k2.bin (event ev-k2)`,
          `    ${FS} s3://not-associated/elsewhere/k3.bin (event ev-k3)`,
          `    ${FS} s3://not-associated/elsewhere/k4.bin (event ev-k4)`,
          '    ... and 2 more',
          '',
          'Nothing to start.',
        ].join('\n'),
      );
    });

    it('name every failure with --paths', async () => {
      // Act
      const result = await reexport(keys, ['--class', 'permission', '--yes', '--paths']);

      // Assess
      expect(result.stdout).toContain(
        `    ${FS} s3://not-associated/elsewhere/k6.bin (event ev-k6)`,
      );
      expect(result.stdout).not.toContain('more');
    });
  });
});

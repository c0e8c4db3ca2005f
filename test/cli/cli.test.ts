import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { CLASS_ORDER } from '../../lib/common/classes.ts';

// These tests run the real binary on the bundle the global setup built (dist/), exactly as a
// user would after `npm run build`.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fsx-export-analyzer.js');
const EVENTS = join(ROOT, 'samples', 'events');
const LINES = join(ROOT, 'samples', 'lines');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without anything that changes the CLI's behaviour, plus `env`. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const name of [
    'DEBUG',
    'NO_COLOR',
    'DRY_RUN',
    'SUMMARY_TOPIC_ARN',
    'REPORT_PATH',
    'BUSY_DELAY_SECONDS',
    'MAX_DECOMPRESSED_BYTES',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
  ]) {
    delete base[name];
  }
  return { ...base, AWS_EC2_METADATA_DISABLED: 'true', ...env };
}

/** Runs `node bin/fsx-export-analyzer.js ...args` and resolves with its exit code and output. */
function cli(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: cleanEnv(options.env ?? {}), maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** Runs the CLI like `cli`, with a reader that reads nothing for its first 300 ms. */
function slowReader(args: readonly string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: cleanEnv({}),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 300);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
}

function nonBlankLines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim().length > 0);
}

/** A sample file's payload: gunzipped for a Lambda event, as is for a decoded payload. */
function payloadOf(text: string): unknown {
  const document = JSON.parse(text) as { awslogs?: { data: string } };
  if (document.awslogs === undefined) return document;
  return JSON.parse(gunzipSync(Buffer.from(document.awslogs.data, 'base64')).toString('utf8'));
}

/** Tasks and paths, as `--json` counts them. */
interface TaskCount {
  tasks: number;
  paths: number;
}

interface JsonReport {
  events: number;
  records: number;
  unparseable: number;
  skippedMessages: number;
  needPerson: { records: number; paths: number };
  reexports: TaskCount & { byStatus: Record<string, TaskCount> };
  byClass: Record<string, number>;
  byCode: Record<string, number>;
  fileSystems: Record<string, unknown>;
  sources: Array<{ logGroup: string; logStream: string; events: number }>;
  retries: Array<{
    fileSystemId: string;
    paths: string[];
    delaySeconds: number;
    clientRequestToken: string;
  }>;
}

let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fsx-export-analyzer-cli-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('CLI: help and usage', () => {
  it('prints the commands with --help and exits 0', async () => {
    // Prepare
    const args = ['--help'];

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    for (const word of ['analyze', 'invoke', 'make-event', '--version', 'Exit status']) {
      expect(run.stdout).toContain(word);
    }
  });

  it('prints the options of one command with <command> --help', async () => {
    // Prepare
    const args = ['analyze', '--help'];

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(0);
    for (const option of ['--json', '--email', '--log-group', '--log-stream', '--file-system-id']) {
      expect(run.stdout).toContain(option);
    }
  });

  it('says in analyze --help that --associations also gives the completion report path', async () => {
    // Act
    const run = await cli(['analyze', '--help']);

    // Assess: NoReportPath refusals and notes depend on the file, not only key mapping.
    const help = run.stdout.replace(/\s+/g, ' ');
    expect(help).toContain("and gives each task's completion report path (without REPORT_PATH)");
    expect(help).toContain('would be refused (NoReportPath)');
  });

  it.each([['--version'], ['-v']])('prints the version from package.json with %s', async (flag) => {
    // Prepare
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };

    // Act
    const run = await cli([flag]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`${version}\n`);
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"', '--help'],
    [
      ['analyze', '--bogus', 'x.json'],
      'fsx-export-analyzer: unknown option "--bogus"\n',
      'analyze --help',
    ],
    [
      ['scan', '--since'],
      'fsx-export-analyzer: option "--since <value>" argument missing\n',
      'scan --help',
    ],
    [
      ['analyze', '--json', '--email', 'x.json'],
      '--json and --email cannot be combined',
      'analyze --help',
    ],
    [['analyze'], 'no FILE given', 'analyze --help'],
    [
      ['analyze', '--region', 'samples/events'],
      'fsx-export-analyzer: --region needs a Region name such as eu-west-1; "samples/events" looks like a file\n',
      'analyze --help',
    ],
    [[], 'no command given', '--help'],
  ])('rejects %j with exit 2 and a usage hint', async (args, problem, hint) => {
    // Prepare
    const expectedHint = `Try "fsx-export-analyzer ${hint}".`;

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(problem);
    expect(run.stderr).toContain(expectedHint);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('CLI: analyze', () => {
  it('analyses the sample events and prints a report', async () => {
    // Prepare
    const args = ['analyze', 'samples/events'];

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    for (const id of ['fs-0a1b2c3d4e5f60718', 'fs-07f3e9a1c2b4d6e8f', 'fs-0c5d8e2f1a9b3c7d4']) {
      expect(run.stdout).toContain(id);
    }
    // Not a terminal: no colour escapes.
    expect(run.stdout).not.toContain('\u001b[');
  });

  it('gives a reader that is slow to start all of a large --json report, then exits', async () => {
    // Prepare: 3,000 failures make about 1.5 MB of JSON, many times what a pipe holds.
    const dir = await mkdtemp(join(tmpdir(), 'fea-cli-large-'));
    const logEvents = Array.from({ length: 3000 }, (_, i) => ({
      id: String(37_000_000_000_000_000n + BigInt(i)),
      timestamp: 1_764_064_800_000 + i,
      message: JSON.stringify({
        errorCode: 'S3ExportResourceBusy',
        filePath: `/ns1/run-${i % 7}/step-${i}.pt`,
      }),
    }));
    const payload = {
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: '/aws/fsx/lustre',
      logStream: 'datarepo_fs-0123456789abcdef0',
      subscriptionFilters: ['fsx-export-analyzer'],
      logEvents,
    };
    const file = join(dir, 'large.json');
    await writeFile(
      file,
      JSON.stringify({ awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } }),
    );

    // Act: read nothing for a while, so the CLI meets a full pipe.
    const { code, stdout } = await slowReader(['analyze', '--json', file]);
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(code).toBe(0);
    expect(stdout.length).toBeGreaterThan(1_000_000);
    expect(stdout.endsWith('}\n')).toBe(true);
    const report = JSON.parse(stdout) as JsonReport & { failures: unknown[] };
    expect(report.records).toBe(3000);
    expect(report.failures).toHaveLength(3000);
  });

  it('says in one line that the output cannot be written (a full disk), and exits 1', async () => {
    // Prepare: stdout is /dev/full, where every write fails with ENOSPC.
    const full = await open('/dev/full', 'w');

    // Act
    const run = spawnSync(process.execPath, [BIN, 'analyze', '--json', EVENTS], {
      cwd: ROOT,
      env: cleanEnv({}),
      stdio: ['ignore', full.fd, 'pipe'],
      encoding: 'utf8',
    });
    await full.close();

    // Assess
    expect(run.status).toBe(1);
    expect(run.stderr).toBe('fsx-export-analyzer: cannot write the output: ENOSPC\n');
  });

  it('prints one parseable JSON report with --json', async () => {
    // Prepare
    const args = ['analyze', '--json', 'samples/events'];

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.events).toBe(report.records + report.unparseable);
    expect(report.events).toBeGreaterThan(0);
    expect(report.unparseable).toBeGreaterThan(0);
    expect(report.skippedMessages).toBe(1);
    expect(Object.keys(report.byClass).sort()).toEqual([...CLASS_ORDER].sort());
    // The samples cover every class.
    for (const cls of CLASS_ORDER) expect(report.byClass[cls]).toBeGreaterThan(0);
    expect(Object.keys(report.fileSystems).length).toBeGreaterThanOrEqual(3);
    expect(report.sources.map((source) => source.logGroup)).toContain('/aws/fsx/prod-lustre');
    expect(report.retries.length).toBeGreaterThan(0);
    for (const retry of report.retries) {
      expect(retry.fileSystemId).toMatch(/^fs-[0-9a-f]{17}$/);
      expect(retry.paths.length).toBeGreaterThan(0);
      expect(typeof retry.delaySeconds).toBe('number');
      expect(retry.clientRequestToken).toMatch(/^[A-Za-z0-9_.-]{1,63}$/);
    }
  });

  it("gives --json the email's figures: a dry run whose tasks the Lambda would refuse (--associations)", async () => {
    // Prepare: the file lists the file system with an NFS association only, so no S3 one to
    // hold a completion report: without REPORT_PATH the Lambda would refuse its tasks.
    const associations = join(scratch, 'nfs-only-associations.json');
    await writeFile(
      associations,
      JSON.stringify({
        Associations: [
          {
            AssociationId: 'dra-0123456789abcdef0',
            FileSystemId: 'fs-07f3e9a1c2b4d6e8f',
            Lifecycle: 'AVAILABLE',
            FileSystemPath: '/ns1',
            DataRepositoryPath: 'nfs://filer.example.com/export',
          },
        ],
      }),
    );
    const input = join(EVENTS, 'ml-training-new-labels.json');
    const env = { AWS_REGION: 'eu-west-1' };

    // Act
    const json = await cli(['analyze', '--json', '--associations', associations, input], { env });
    const email = await cli(['analyze', '--email', '--associations', associations, input], { env });

    // Assess
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as JsonReport;
    expect(report.needPerson).toEqual({ records: 6, paths: 7 });
    expect(report.reexports).toEqual({
      tasks: 2,
      paths: 7,
      byStatus: {
        started: { tasks: 0, paths: 0 },
        queued: { tasks: 0, paths: 0 },
        refused: { tasks: 0, paths: 0 },
        deferred: { tasks: 0, paths: 0 },
        planned: { tasks: 0, paths: 0 },
        wouldBeRefused: { tasks: 2, paths: 7 },
      },
    });
    // The email counts the same: none to re-export, the refused tasks' paths for a person.
    expect(email.stdout).toContain('13 failed, 0 to re-export, 13 need a person\n');
    expect(email.stdout).toContain('13 need a person (6 records, 7 paths).');
  });

  it('honours BUSY_DELAY_SECONDS for busy re-exports', async () => {
    // Prepare
    const env = { BUSY_DELAY_SECONDS: '120' };

    // Act
    const run = await cli(['analyze', '--json', 'samples/events'], { env });

    // Assess
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as JsonReport;
    const delays = new Set(report.retries.map((retry) => retry.delaySeconds));
    expect([...delays].sort()).toEqual([0, 120]);
  });

  it('rejects an invalid BUSY_DELAY_SECONDS in one line with exit 2', async () => {
    // Prepare
    const env = { BUSY_DELAY_SECONDS: 'soon' };

    // Act
    const run = await cli(['analyze', 'samples/events'], { env });

    // Assess
    expect(run.code).toBe(2);
    expect(nonBlankLines(run.stderr)).toHaveLength(1);
    expect(run.stderr).toContain('BUSY_DELAY_SECONDS');
  });

  it('prints the email with --email: a Subject line, a blank line, then the body', async () => {
    // Prepare
    const args = ['analyze', '--email', 'samples/events'];

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(0);
    const [subject, blank, ...body] = run.stdout.split('\n');
    expect(subject).toMatch(/^Subject: \S/);
    expect(blank).toBe('');
    expect(body.join('\n').trim().length).toBeGreaterThan(0);
  });

  it('reports a bad file in one stderr line, still analyses the good ones, and exits 2', async () => {
    // Prepare
    const good1 = join(scratch, 'good-1.json');
    const good2 = join(scratch, 'good-2.json');
    const bad = join(scratch, 'broken-event.json');
    await copyFile(join(EVENTS, 'prod-lustre-cfd.json'), good1);
    await copyFile(join(EVENTS, 'genomics-import-restore.json'), good2);
    await writeFile(bad, JSON.stringify({ awslogs: { data: 'this is not base64!' } }));

    // Act
    const run = await cli(['analyze', '--json', good1, bad, good2]);

    // Assess
    expect(run.code).toBe(2);
    expect(nonBlankLines(run.stderr)).toEqual([
      `fsx-export-analyzer: ${bad}: awslogs.data is not valid base64`,
    ]);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.sources.map((source) => source.logStream)).toEqual([
      'datarepo_fs-0a1b2c3d4e5f60718',
      'datarepo_fs-0c5d8e2f1a9b3c7d4',
    ]);
  });

  it('reports a missing file in one line and exits 2 without a report', async () => {
    // Prepare
    const missing = join(scratch, 'does-not-exist.json');

    // Act
    const run = await cli(['analyze', missing]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(nonBlankLines(run.stderr)).toEqual([
      `fsx-export-analyzer: ${missing}: no such file or directory`,
    ]);
  });

  it('reads raw log lines from standard input with -', async () => {
    // Prepare
    const text = await readFile(join(LINES, 'ml-training-new-labels.log'), 'utf8');
    const args = ['analyze', '--json', '--file-system-id', 'fs-07f3e9a1c2b4d6e8f', '-'];

    // Act
    const run = await cli(args, { input: text });

    // Assess
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.events).toBe(nonBlankLines(text).length);
    expect(report.sources).toEqual([
      expect.objectContaining({
        logGroup: '/aws/fsx/lustre',
        logStream: 'datarepo_fs-07f3e9a1c2b4d6e8f',
      }),
    ]);
  });

  it('analyses the filter-log-events sample', async () => {
    // Prepare
    const args = [
      'analyze',
      '--json',
      '--log-group',
      '/aws/fsx/lustre',
      'samples/filter-log-events.json',
    ];

    // Act
    const run = await cli(args);

    // Assess
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as JsonReport;
    expect(report.sources.map((source) => source.logStream)).toEqual([
      'datarepo_fs-0e1f2a3b4c5d6e7f8',
      'datarepo_fs-07f3e9a1c2b4d6e8f',
    ]);
    expect(report.records).toBe(report.events);
  });
});

describe('CLI: make-event', () => {
  it('gives a reader that is slow to start all of a large event, then exits', async () => {
    // Prepare: hex text gzips to about half, so the event is many times what a pipe holds.
    const dir = await mkdtemp(join(tmpdir(), 'fea-cli-large-'));
    const file = join(dir, 'lines.log');
    const hex = (i: number) => createHash('sha256').update(String(i)).digest('hex');
    await writeFile(
      file,
      Array.from({ length: 10_000 }, (_, i) => `Export failed ${hex(i)}`).join('\n'),
    );

    // Act
    const { code, stdout } = await slowReader(['make-event', file]);
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(code).toBe(0);
    expect(stdout.length).toBeGreaterThan(300_000);
    const event = JSON.parse(stdout) as { awslogs: { data: string } };
    const payload = payloadOf(JSON.stringify(event)) as { logEvents: unknown[] };
    expect(payload.logEvents).toHaveLength(10_000);
  });

  it('makes an event that analyses like the raw lines it came from', async () => {
    // Prepare
    const source = join(LINES, 'prod-lustre-cfd.log');
    const eventFile = join(scratch, 'made-event.json');
    const made = await cli([
      'make-event',
      '--log-group',
      '/aws/fsx/prod-lustre',
      '--file-system-id',
      'fs-0a1b2c3d4e5f60718',
      source,
    ]);
    await writeFile(eventFile, made.stdout);

    // Act
    const fromEvent = await cli(['analyze', '--json', eventFile]);
    const fromLines = await cli([
      'analyze',
      '--json',
      '--log-group',
      '/aws/fsx/prod-lustre',
      '--file-system-id',
      'fs-0a1b2c3d4e5f60718',
      source,
    ]);

    // Assess
    expect(made.code).toBe(0);
    expect(fromEvent.code).toBe(0);
    const eventReport = JSON.parse(fromEvent.stdout) as JsonReport;
    const linesReport = JSON.parse(fromLines.stdout) as JsonReport;
    expect(eventReport.events).toBe(nonBlankLines(await readFile(source, 'utf8')).length);
    expect(eventReport.byCode).toEqual(linesReport.byCode);
    expect(eventReport.fileSystems).toEqual(linesReport.fileSystems);
    expect(eventReport.sources[0]).toMatchObject({
      logGroup: '/aws/fsx/prod-lustre',
      logStream: 'datarepo_fs-0a1b2c3d4e5f60718',
    });
  });

  it('is deterministic: the same lines give the same event', async () => {
    // Prepare
    const args = ['make-event', '--file-system-id', 'fs-0c5d8e2f1a9b3c7d4', '-'];
    const input = 'Failed to export file because it is being used by another process.\n';

    // Act
    const first = await cli(args, { input });
    const second = await cli(args, { input });

    // Assess
    expect(first.code).toBe(0);
    expect(payloadOf(first.stdout)).toEqual(payloadOf(second.stdout));
    expect(payloadOf(first.stdout)).toMatchObject({
      messageType: 'DATA_MESSAGE',
      logStream: 'datarepo_fs-0c5d8e2f1a9b3c7d4',
      logEvents: [{ timestamp: Date.parse('2025-11-25T12:00:00Z'), message: input.trim() }],
    });
  });

  it('keeps samples/events in sync with samples/lines', async () => {
    // Prepare
    const out = join(scratch, 'regenerated');

    // Act
    const run = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, 'scripts', 'make-samples.mjs'), '--out', out],
        { cwd: ROOT, env: cleanEnv({}) },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : 1, stdout, stderr }),
      );
    });

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const committed = (await readdir(EVENTS)).sort();
    expect((await readdir(out)).sort()).toEqual(committed);
    for (const name of committed) {
      // Payloads, not bytes: gzip output may differ between zlib versions. Run `npm run samples`
      // when this fails.
      const expected = payloadOf(await readFile(join(EVENTS, name), 'utf8'));
      const actual = payloadOf(await readFile(join(out, name), 'utf8'));
      expect(actual, name).toEqual(expected);
    }
  });
});

describe('CLI: invoke', () => {
  it('runs the Lambda handler in dry-run mode and prints its result as JSON', async () => {
    // Prepare
    const env = { AWS_REGION: 'us-east-1' };

    // Act
    const run = await cli(['invoke', '--dry-run', 'samples/events/ml-training-new-labels.json'], {
      env,
    });

    // Assess
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ dryRun: true, events: 17 });
  });

  it("runs each event of make-event's array (one per log stream) and prints their results", async () => {
    // Prepare: filter-log-events output of two log streams gives two events.
    const made = await cli(['make-event', 'samples/filter-log-events.json']);
    const file = join(scratch, 'two-streams.json');
    await writeFile(file, made.stdout);

    // Act
    const run = await cli(['invoke', '--dry-run', file], { env: { AWS_REGION: 'us-east-1' } });

    // Assess
    expect(made.code).toBe(0);
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    expect(results).toHaveLength(2);
    expect(results.map((result) => result['events'])).toEqual([5, 3]);
  });

  it('rejects a file that is not a Lambda event with exit 2 before loading the handler', async () => {
    // Prepare
    const file = join(scratch, 'not-an-event.json');
    await writeFile(file, JSON.stringify({ hello: 'world' }));

    // Act
    const run = await cli(['invoke', '--dry-run', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(nonBlankLines(run.stderr)).toEqual([
      `fsx-export-analyzer: ${file}: event.awslogs is missing or not an object`,
    ]);
  });

  it.each([
    [
      'text log lines',
      'cfd lines.log',
      '{"errorCode":"S3ExportInternalError","filePath":"/ns1/a.bin","fileSystemId":"fs-0a1b2c3d4e5f60718"}\nFailed to export file because it is being used by another process.\n',
      (file: string) => `'${file}'`,
    ],
    [
      'JSON records, one per line',
      'records.ndjson',
      '{"errorCode":"S3ExportInternalError","filePath":"/ns1/a.bin","fileSystemId":"fs-0a1b2c3d4e5f60718"}\n{"errorCode":"S3ExportInternalError","filePath":"/ns1/b.bin","fileSystemId":"fs-0a1b2c3d4e5f60718"}\n',
      (file: string) => file,
    ],
  ])(
    'refuses %s with exit 2 and the make-event command for the file system they name',
    async (_kind, name, text, quoted) => {
      // Prepare: without --file-system-id, make-event would file the records under its default
      // stream, another file system than the one they name. A name with a space is quoted.
      const file = join(scratch, name);
      await writeFile(file, text);

      // Act
      const run = await cli(['invoke', '--dry-run', file]);

      // Assess
      expect(run.code).toBe(2);
      expect(nonBlankLines(run.stderr)).toEqual([
        `fsx-export-analyzer: ${file}: is log lines, not a Lambda event: make one with "fsx-export-analyzer make-event --file-system-id fs-0a1b2c3d4e5f60718 ${quoted(file)} > event.json", then invoke event.json`,
      ]);
    },
  );

  it("suggests for a sample's lines the make-event command that gives the sample's figures", async () => {
    // Prepare: the hinted command, run as printed (with the sample's log group, which the lines
    // do not name), against the sample event made from the same lines.
    const lines = join(LINES, 'prod-lustre-cfd.log');
    const refused = await cli(['invoke', '--dry-run', lines]);
    const command = /make one with "fsx-export-analyzer make-event (.*) > event\.json"/.exec(
      refused.stderr,
    )?.[1];
    const made = await cli([
      'make-event',
      '--log-group',
      '/aws/fsx/prod-lustre',
      ...(command ?? '').split(' '),
    ]);
    const file = join(scratch, 'hinted-event.json');
    await writeFile(file, made.stdout);
    const env = { AWS_REGION: 'us-east-1' };

    // Act
    const hinted = await cli(['invoke', '--dry-run', file], { env });
    const sample = await cli(['invoke', '--dry-run', join(EVENTS, 'prod-lustre-cfd.json')], {
      env,
    });

    // Assess
    expect(command).toBe(`--file-system-id fs-0a1b2c3d4e5f60718 ${lines}`);
    expect(made.code, made.stderr).toBe(0);
    expect(hinted.code, hinted.stderr).toBe(0);
    expect(hinted.stderr).not.toContain('but was logged for');
    expect(JSON.parse(hinted.stdout)).toEqual(JSON.parse(sample.stdout));
  });

  it('asks for one event per file system when the lines name several', async () => {
    // Prepare: a log stream names one file system, so one event cannot hold them all; the
    // first three are named.
    const file = join(scratch, 'four-file-systems.log');
    await writeFile(
      file,
      [
        'fs-0a1b2c3d4e5f60718',
        'fs-07f3e9a1c2b4d6e8f',
        'fs-0c5d8e2f1a9b3c7d4',
        'fs-0a1b2c3d4e5f60718',
        'fs-0e1f2a3b4c5d6e7f8',
      ]
        .map((id, index) => `ERROR S3ExportInternalError path=/ns1/f${index}.bin ${id}`)
        .join('\n'),
    );

    // Act
    const run = await cli(['invoke', '--dry-run', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(nonBlankLines(run.stderr)).toEqual([
      `fsx-export-analyzer: ${file}: is log lines, not a Lambda event, and its records name 4 file systems (fs-0a1b2c3d4e5f60718, fs-07f3e9a1c2b4d6e8f, fs-0c5d8e2f1a9b3c7d4 and 1 more): a log stream names one file system, so make one event per file system from a file of its lines with "fsx-export-analyzer make-event --file-system-id ID FILE > event.json", then invoke each event`,
    ]);
  });

  it('names the default log stream when the lines name no file system', async () => {
    // Prepare: bare documented messages name none; standard input is quoted as "-".
    const input = 'Failed to export file because it is being used by another process.\n';

    // Act
    const run = await cli(['invoke', '--dry-run', '-'], { input });

    // Assess
    expect(run.code).toBe(2);
    expect(nonBlankLines(run.stderr)).toEqual([
      'fsx-export-analyzer: stdin: is log lines, not a Lambda event: make one with "fsx-export-analyzer make-event - > event.json", then invoke event.json; its records name no file system, so make-event files them under the log stream datarepo_fs-0123456789abcdef0 (add --file-system-id ID to name yours)',
    ]);
  });

  it('keeps the plain make-event command for lines that carry their own log stream', async () => {
    // Prepare: aws logs tail lines keep their stream, which names the file system.
    const file = join(scratch, 'tail.log');
    await writeFile(
      file,
      '2025-11-25T11:58:03.000Z datarepo_fs-07f3e9a1c2b4d6e8f {"errorCode":"S3ExportInternalError","filePath":"/ns1/a.bin","fileSystemId":"fs-0a1b2c3d4e5f60718"}\n',
    );

    // Act
    const run = await cli(['invoke', '--dry-run', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(nonBlankLines(run.stderr)).toEqual([
      `fsx-export-analyzer: ${file}: is log lines, not a Lambda event: make one with "fsx-export-analyzer make-event ${file} > event.json", then invoke event.json`,
    ]);
  });

  it('still names the parser error of a JSON document that is cut short', async () => {
    // Prepare
    const file = join(scratch, 'cut.json');
    await writeFile(file, '{"awslogs": {"data": "H4sI');

    // Act
    const run = await cli(['invoke', '--dry-run', file]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^fsx-export-analyzer: .*cut\.json: is not valid JSON: /);
    expect(run.stderr).not.toContain('make-event');
  });
});

describe('CLI: bundle', () => {
  interface Metafile {
    outputs: Record<
      string,
      {
        imports: Array<{ path: string; kind: string; external?: boolean }>;
        inputs: Record<string, unknown>;
      }
    >;
  }

  /** The outputs `dist/cli.js` loads before it runs (static imports, transitively). */
  function loadedAtStart(meta: Metafile): Set<string> {
    const reached = new Set<string>();
    const queue = ['dist/cli.js'];
    for (let output = queue.pop(); output !== undefined; output = queue.pop()) {
      if (reached.has(output)) continue;
      reached.add(output);
      for (const edge of meta.outputs[output]?.imports ?? []) {
        if (edge.kind === 'import-statement' && edge.external !== true) queue.push(edge.path);
      }
    }
    return reached;
  }

  async function readMetafile(): Promise<Metafile> {
    return JSON.parse(await readFile(join(ROOT, 'dist', 'cli-meta.json'), 'utf8')) as Metafile;
  }

  it('loads no AWS SDK code for analyze: the SDK is only reachable by dynamic import', async () => {
    // Prepare
    const meta = await readMetafile();
    const usesSdk = (output: string): boolean =>
      Object.keys(meta.outputs[output]?.inputs ?? {}).some((input) =>
        /@aws-sdk|@smithy/.test(input),
      );

    // Act
    const reached = loadedAtStart(meta);

    // Assess
    expect(meta.outputs['dist/cli.js']).toBeDefined();
    expect([...reached].filter(usesSdk)).toEqual([]);
    // The check means something only if the SDK is in the bundle at all, behind a dynamic import.
    expect(Object.keys(meta.outputs).some(usesSdk)).toBe(true);
    const dynamic = meta.outputs['dist/cli.js']?.imports.filter((e) => e.kind === 'dynamic-import');
    expect(dynamic?.length).toBeGreaterThan(0);
  });

  it('starts analyze without the other commands or the email and terminal renderers', async () => {
    // Prepare
    const meta = await readMetafile();
    const lazy = [
      'cli/invoke.ts',
      'cli/make-event.ts',
      'cli/scan.ts',
      'lib/analyze/email.ts',
      'lib/analyze/terminal.ts',
    ];

    // Act
    const inputs = [...loadedAtStart(meta)].flatMap((output) =>
      Object.keys(meta.outputs[output]?.inputs ?? {}),
    );

    // Assess
    expect(inputs).toContain('cli/analyze.ts');
    expect(inputs.filter((input) => lazy.includes(input))).toEqual([]);
    // Each is still in the bundle, behind a dynamic import.
    const bundled = Object.values(meta.outputs).flatMap((output) => Object.keys(output.inputs));
    expect(lazy.filter((input) => !bundled.includes(input))).toEqual([]);
  });
});

describe('Function: main', () => {
  function fakeIo(env: Record<string, string | undefined>) {
    const errors: string[] = [];
    return {
      errors,
      io: {
        stdout: () => {
          throw new Error('stdout is closed');
        },
        stderr: (text: string) => {
          errors.push(text);
        },
        readStdin: () => Promise.resolve(''),
        isTTY: false,
        env,
      },
    };
  }

  it('reports an unexpected error in one line with a DEBUG hint and exits 1', async () => {
    // Prepare
    const { io, errors } = fakeIo({});

    // Act
    const code = await main(['--version'], io);

    // Assess
    expect(code).toBe(1);
    expect(errors).toEqual([
      'fsx-export-analyzer: unexpected error: stdout is closed (set DEBUG=1 for a stack trace)\n',
    ]);
  });

  it('prints the stack of an unexpected error with DEBUG=1', async () => {
    // Prepare
    const { io, errors } = fakeIo({ DEBUG: '1' });

    // Act
    const code = await main(['--version'], io);

    // Assess
    expect(code).toBe(1);
    expect(errors.join('')).toMatch(/^Error: stdout is closed\n\s+at /);
  });
});

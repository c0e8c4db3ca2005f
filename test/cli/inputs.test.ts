import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { fakeIo } from '../helpers/cli.ts';

/*
 * The inputs an operator has at hand, read through the in-process CLI: what `aws logs tail`
 * prints, an export to S3 synced to disk, gzip by its bytes, and files large enough to stream.
 */

const STREAM = 'datarepo_fs-0a1b2c3d4e5f60718';
const RECORD =
  '{"errorCode":"S3ExportResourceBusy","filePath":"/ns1/a.dat","fileSystemId":"fs-0a1b2c3d4e5f60718"}';

interface JsonReport {
  readonly events: number;
  readonly records: number;
  readonly unparseable: number;
  readonly sources: ReadonlyArray<{ readonly logStream: string; readonly events: number }>;
  readonly retries: ReadonlyArray<{ readonly fileSystemId: string; readonly paths: string[] }>;
}

let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fsx-export-analyzer-inputs-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function analyzeJson(args: string[], stdin = '') {
  const io = { ...fakeIo(), readStdin: async () => stdin };
  const code = await main(['analyze', '--json', ...args], io);
  const report = code === 0 ? (JSON.parse(io.out.join('')) as JsonReport) : undefined;
  return { code, report, err: io.err.join('') };
}

describe('CLI inputs', () => {
  it('reads the path and file system of a line with a leading time (the issue example)', async () => {
    // Act
    const { code, report } = await analyzeJson(['-'], `2025-11-25T06:04:12.000Z ${RECORD}\n`);

    // Assess
    expect(code).toBe(0);
    expect(report?.records).toBe(1);
    expect(report?.retries).toEqual([
      expect.objectContaining({ fileSystemId: 'fs-0a1b2c3d4e5f60718', paths: ['ns1/a.dat'] }),
    ]);
  });

  it('reads a CloudWatch Logs export to S3 synced to disk: gzip objects, stream from the folder', async () => {
    // Prepare
    const root = join(scratch, 'export');
    const task = join(root, 'fsx', 'e1b2c3d4-task');
    await mkdir(join(task, STREAM), { recursive: true });
    await mkdir(join(task, 'datarepo_fs-0fedcba9876543210'), { recursive: true });
    await writeFile(join(task, 'aws-logs-write-test'), 'Permission Check Successful');
    await writeFile(
      join(task, STREAM, '000000.gz'),
      gzipSync(`2025-11-25T06:04:12.000Z ${RECORD}\n2025-11-25T06:04:13.000Z ${RECORD}\n`),
    );
    await writeFile(
      join(task, 'datarepo_fs-0fedcba9876543210', '000000.gz'),
      gzipSync('2025-11-25T06:05:00.000Z ERROR S3ExportAccessDenied path=/ns2/b.bin\n'),
    );

    // Act
    const { code, report, err } = await analyzeJson([root]);

    // Assess
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(report?.sources.map((source) => [source.logStream, source.events])).toEqual([
      ['datarepo_fs-0a1b2c3d4e5f60718', 2],
      ['datarepo_fs-0fedcba9876543210', 1],
    ]);
  });

  it('recognises gzip by its bytes, whatever the file is called', async () => {
    // Prepare
    const file = join(scratch, 'events.txt');
    await writeFile(file, gzipSync(`${RECORD}\n`));

    // Act
    const { code, report } = await analyzeJson(['--file-system-id', 'fs-0a1b2c3d4e5f60718', file]);

    // Assess
    expect(code).toBe(0);
    expect(report?.records).toBe(1);
  });

  it('refuses a zip archive in one line that says what to do', async () => {
    // Prepare
    const file = join(scratch, 'logs.zip');
    await writeFile(file, Buffer.from('PK\u0003\u0004rest of a zip archive', 'latin1'));

    // Act
    const { code, err } = await analyzeJson([file]);

    // Assess
    expect(code).toBe(2);
    expect(err).toBe(
      `fsx-export-analyzer: ${file}: is a zip archive: unzip it and pass the folder instead\n`,
    );
  });

  it('streams a large file line by line and shows its progress on stderr', async () => {
    // Prepare: ~12 MiB of records, past the size where progress is shown.
    const file = join(scratch, 'large.log');
    const line = `2025-11-25T06:04:12.000Z ${STREAM} ${RECORD}\n`;
    const count = Math.ceil((12 * 1024 * 1024) / line.length);
    await writeFile(file, line.repeat(count));

    // Act
    const { code, report, err } = await analyzeJson([file]);

    // Assess
    expect(code).toBe(0);
    expect(report?.events).toBe(count);
    expect(report?.records).toBe(count);
    expect(err).toMatch(/large\.log: 12 of 12 MiB read\n$/);
  });
  it('reads a named pipe (FIFO) as a stream: <(cmd) and /dev/stdin are pipes too', async () => {
    // Prepare: a writer that sends gzip bytes through a FIFO, as `analyze <(cat x.gz)` does.
    const fifo = join(scratch, 'pipe');
    spawnSync('mkfifo', [fifo]);
    const source = join(scratch, 'piped.gz');
    await writeFile(source, gzipSync(`${RECORD}\n${RECORD}\n`));
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', source, fifo]);
    const written = new Promise((resolve) => writer.on('close', resolve));

    // Act
    const { code, report, err } = await analyzeJson([
      '--file-system-id',
      'fs-0a1b2c3d4e5f60718',
      fifo,
    ]);
    await written;

    // Assess
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(report?.records).toBe(2);
  });

  it('refuses an empty named pipe as empty', async () => {
    // Prepare
    const fifo = join(scratch, 'empty-pipe');
    spawnSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', ': > "$1"', 'sh', fifo]);
    const written = new Promise((resolve) => writer.on('close', resolve));

    // Act
    const { code, err } = await analyzeJson([fifo]);
    await written;

    // Assess
    expect(code).toBe(2);
    expect(err).toBe(`fsx-export-analyzer: ${fifo}: is empty\n`);
  });

  it('reads gzip on standard input, and names gzip when it is cut', async () => {
    // Prepare
    const gzip = gzipSync(`${RECORD}\n`);
    const stdin = (bytes: Buffer) => ({
      ...fakeIo(),
      readStdin: async () => bytes.toString('utf8'),
      readStdinBytes: async () => bytes,
    });
    const whole = stdin(gzip);
    const cut = stdin(gzip.subarray(0, 12));

    // Act
    const code = await main(
      ['analyze', '--json', '--file-system-id', 'fs-0a1b2c3d4e5f60718', '-'],
      whole,
    );
    const cutCode = await main(['analyze', '-'], cut);

    // Assess
    expect(code).toBe(0);
    expect((JSON.parse(whole.out.join('')) as JsonReport).records).toBe(1);
    expect(cutCode).toBe(2);
    expect(cut.err.join('')).toBe(
      'fsx-export-analyzer: stdin: is not a readable gzip file: unexpected end of file\n',
    );
  });
});

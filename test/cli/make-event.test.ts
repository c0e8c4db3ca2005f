import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { fakeIo } from '../helpers/cli.ts';

/*
 * `make-event` reads its input with analyze's reader: every input kind gives a faithful event
 * (streams, times and ids kept) or is refused with exit status 2 and one line.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLE_LINES = join(ROOT, 'samples', 'lines', 'prod-lustre-cfd.log');

interface Payload {
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: string[];
  readonly logEvents: Array<{ id: string; timestamp: number; message: string }>;
}

let scratch = '';

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fsx-export-analyzer-make-event-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function payloadOf(event: unknown): Payload {
  const data = (event as { awslogs: { data: string } }).awslogs.data;
  return JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as Payload;
}

/** Runs make-event in process: exit code, the payloads printed (one per event), stderr. */
async function makeEvent(args: string[]) {
  const io = fakeIo();
  const code = await main(['make-event', ...args], io);
  const out = io.out.join('');
  const printed: unknown = out === '' ? [] : JSON.parse(out);
  const payloads = (Array.isArray(printed) ? printed : [printed]).map(payloadOf);
  return { code, payloads, err: io.err.join('') };
}

describe('make-event', () => {
  it('reads a gzip file as the lines inside it', async () => {
    // Prepare
    const file = join(scratch, 'lines.gz');
    await writeFile(file, gzipSync(await readFile(SAMPLE_LINES)));

    // Act
    const fromGzip = await makeEvent([file]);
    const fromText = await makeEvent([SAMPLE_LINES]);

    // Assess
    expect(fromGzip.code).toBe(0);
    expect(fromGzip.payloads[0]?.logEvents.map((event) => event.message)).toEqual(
      fromText.payloads[0]?.logEvents.map((event) => event.message),
    );
    expect(fromGzip.payloads[0]?.logEvents).toHaveLength(17);
  });

  it('gives filter-log-events output one event per log stream, ids and times kept', async () => {
    // Prepare
    const file = join(ROOT, 'samples', 'filter-log-events.json');
    const { events } = JSON.parse(await readFile(file, 'utf8')) as {
      events: Array<{ logStreamName: string; eventId: string; timestamp: number; message: string }>;
    };

    // Act
    const { code, payloads, err } = await makeEvent([file]);

    // Assess
    expect(code).toBe(0);
    expect(err).toMatch(/names 2 log streams: printed 2 events/);
    const made = payloads.flatMap((payload) =>
      payload.logEvents.map((event) => ({ logStreamName: payload.logStream, ...event })),
    );
    const expected = events.map(({ logStreamName, eventId, timestamp, message }) => ({
      logStreamName,
      id: eventId,
      timestamp,
      message,
    }));
    expect(made).toEqual(expect.arrayContaining(expected));
    expect(made).toHaveLength(expected.length);
  });

  it('gives back the same payload for a Lambda event, never wrapping it again', async () => {
    // Prepare
    const file = join(ROOT, 'samples', 'events', 'prod-lustre-cfd.json');
    const original = payloadOf(JSON.parse(await readFile(file, 'utf8')));

    // Act
    const { code, payloads } = await makeEvent([file]);

    // Assess
    expect(code).toBe(0);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toEqual({ messageType: 'DATA_MESSAGE', ...original });
  });

  it('keeps the time and stream of an `aws logs tail` line, whatever the default stream', async () => {
    // Prepare
    const file = join(scratch, 'tail.log');
    await writeFile(
      file,
      '2025-11-25T06:04:12.000000+00:00 datarepo_fs-0fedcba9876543210 Export failed file_path=/ns1/other.bin\n',
    );

    // Act
    const { code, payloads } = await makeEvent([file]);

    // Assess
    expect(code).toBe(0);
    expect(payloads[0]).toMatchObject({
      logStream: 'datarepo_fs-0fedcba9876543210',
      logEvents: [
        {
          timestamp: Date.parse('2025-11-25T06:04:12Z'),
          message: 'Export failed file_path=/ns1/other.bin',
        },
      ],
    });
  });

  it.each([
    ['a file with NUL bytes', 'abc\u0000def\n', 'is not a text file (it contains NUL bytes)'],
    [
      'a pretty-printed JSON document of another shape',
      '{\n  "foo": 1\n}\n',
      'is JSON but neither a Lambda event',
    ],
    [
      'an NDJSON of log events with a line that is none',
      '{"eventId":"1","timestamp":1,"message":"m"}\n[1]\n',
      'holds 1 log event(s) that cannot be rebuilt as they were',
    ],
  ])('refuses %s with exit 2 and one line', async (_kind, text, message) => {
    // Prepare
    const file = join(scratch, 'bad.log');
    await writeFile(file, text);

    // Act
    const { code, payloads, err } = await makeEvent([file]);

    // Assess
    expect(code).toBe(2);
    expect(payloads).toEqual([]);
    expect(err.split('\n')).toHaveLength(2);
    expect(err).toContain(`fsx-export-analyzer: ${file}: ${message}`);
  });

  it.each([
    [['--owner', 'abc'], '--owner must be a 12-digit AWS account id (got "abc")'],
    [['--start-time', '1969-12-31T23:59:59Z'], '--start-time must not be before 1970'],
  ])('refuses %j', async (options, message) => {
    // Act
    const { code, err } = await makeEvent([...options, SAMPLE_LINES]);

    // Assess
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});

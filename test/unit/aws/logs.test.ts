import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  type FilteredLogEvent,
  FilterLogEventsCommand,
  InvalidParameterException,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { analyzeBatches } from '../../../lib/analyze/analysis.ts';
import { createLogWindowReader, LogsReadError, readLogWindow } from '../../../lib/aws/logs.ts';
import type { ReadProgress } from '../../../lib/common/ports.ts';
import { json } from '../../helpers/events.ts';
import { FS } from '../../helpers/fixtures.ts';

const logsMock = mockClient(CloudWatchLogsClient);
const client = new CloudWatchLogsClient({ region: 'eu-west-1' });

const OTHER_FS = 'fs-0fedcba9876543210';
const GROUP = '/aws/fsx/lustre';
const START = Date.parse('2026-11-24T12:00:00Z');
const END = Date.parse('2026-11-25T12:00:00Z');
const QUERY = { logGroup: GROUP, window: { start: START, end: END } };

function event(stream: string, n: number, message = json('S3ExportAccessDenied', `/ns1/f${n}`)) {
  return {
    logStreamName: stream,
    timestamp: START + n,
    message,
    ingestionTime: START + n + 1000,
    eventId: `${String(START + n)}${String(n).padStart(43, '0')}`,
  } satisfies FilteredLogEvent;
}

/** A clock that advances one second per reading. */
function ticking(): () => number {
  let now = 0;
  return () => {
    now += 1000;
    return now;
  };
}

function serviceError(name: string, message: string): CloudWatchLogsServiceException {
  return new CloudWatchLogsServiceException({ name, $fault: 'client', $metadata: {}, message });
}

describe('Function: readLogWindow', () => {
  beforeEach(() => {
    logsMock.reset();
  });

  it('pages until nextToken is gone and groups the events per log stream', async () => {
    // Prepare
    const a = `datarepo_${FS}`;
    const b = `datarepo_${OTHER_FS}`;
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event(a, 1), event(b, 2)], nextToken: 't1' })
      .resolvesOnce({ events: [], nextToken: 't2' })
      .resolvesOnce({ events: [event(a, 3)] });

    // Act
    const read = await readLogWindow(client, QUERY);

    // Assess
    expect(read).toMatchObject({ events: 3, pages: 3 });
    expect(read.batches.map((batch) => [batch.logStream, batch.streamFileSystemId])).toEqual([
      [a, FS],
      [b, OTHER_FS],
    ]);
    expect(read.batches[0]?.events.map((item) => item.timestamp)).toEqual([START + 1, START + 3]);
    expect(read.batches[0]).toMatchObject({ logGroup: GROUP, owner: 'unknown' });
    const calls = logsMock.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => input.nextToken)).toEqual([undefined, 't1', 't2']);
  });

  it('asks for [start, end) with full pages: endTime is inclusive in the API', async () => {
    // Prepare
    logsMock.on(FilterLogEventsCommand).resolves({ events: [] });

    // Act
    await readLogWindow(client, QUERY);

    // Assess
    expect(logsMock.commandCalls(FilterLogEventsCommand)[0]?.args[0].input).toEqual({
      logGroupName: GROUP,
      startTime: START,
      endTime: END - 1,
      limit: 10_000,
    });
  });

  it('reads only the file system streams with --file-system-id, and an ARN as identifier', async () => {
    // Prepare
    logsMock.on(FilterLogEventsCommand).resolves({ events: [] });
    const arn = `arn:aws:logs:eu-west-1:123456789012:log-group:${GROUP}`;

    // Act
    await readLogWindow(client, { ...QUERY, fileSystemId: FS });
    const byArn = await readLogWindow(client, { ...QUERY, logGroup: arn });

    // Assess
    const inputs = logsMock.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toMatchObject({ logGroupName: GROUP, logStreamNamePrefix: `datarepo_${FS}` });
    expect(inputs[1]).toMatchObject({ logGroupIdentifier: arn });
    expect(inputs[1]?.logGroupName).toBeUndefined();
    expect(byArn.batches).toEqual([]);
  });

  it('sends a console ARN without its trailing :*, which logGroupIdentifier refuses', async () => {
    // Prepare
    logsMock.on(FilterLogEventsCommand).resolves({ events: [event('s', 1)] });
    const arn = `arn:aws:logs:eu-west-1:123456789012:log-group:${GROUP}`;

    // Act
    const read = await readLogWindow(client, { ...QUERY, logGroup: `${arn}:*` });

    // Assess
    const input = logsMock.commandCalls(FilterLogEventsCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ logGroupIdentifier: arn });
    expect(read.batches[0]?.logGroup).toBe(GROUP);
  });

  it('reports progress after every page with events, pages and elapsed time', async () => {
    // Prepare
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('s', 1), event('s', 2)], nextToken: 't1' })
      .resolvesOnce({ events: [event('s', 3)] });
    const progress: ReadProgress[] = [];

    // Act
    const read = await readLogWindow(client, QUERY, {
      onProgress: (update) => progress.push(update),
      now: ticking(),
    });

    // Assess
    expect(progress).toEqual([
      { events: 2, pages: 1, elapsedMs: 1000 },
      { events: 3, pages: 2, elapsedMs: 2000 },
    ]);
    expect(read.elapsedMs).toBe(3000);
  });

  it('keeps every event: one without id or message is analysed as unparseable', async () => {
    // Prepare
    logsMock.on(FilterLogEventsCommand).resolves({
      events: [event('s', 1), { logStreamName: 's', timestamp: START + 2 }],
    });

    // Act
    const read = await readLogWindow(client, QUERY);
    const analysis = analyzeBatches(read.batches);

    // Assess
    expect(analysis.events).toBe(2);
    expect(analysis.records).toHaveLength(1);
    expect(analysis.unparseable).toHaveLength(1);
  });

  it('stops past maxEvents with a line that says how to narrow the window', async () => {
    // Prepare
    logsMock
      .on(FilterLogEventsCommand)
      .resolves({ events: [event('s', 1), event('s', 2)], nextToken: 'more' });

    // Act
    const read = readLogWindow(client, QUERY, { maxEvents: 3 });

    // Assess
    await expect(read).rejects.toThrow(/more than 3 events.*--since\/--until or --file-system-id/);
    expect(logsMock.commandCalls(FilterLogEventsCommand)).toHaveLength(2);
  });

  it('hands each page over with onPage and keeps nothing, so maxEvents does not apply', async () => {
    // Prepare
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('s', 1), event('t', 2)], nextToken: 't1' })
      .resolvesOnce({ events: [event('s', 3)] });
    const pages: string[][] = [];

    // Act
    const read = await readLogWindow(client, QUERY, {
      maxEvents: 1,
      onPage: (batches) =>
        pages.push(
          batches.flatMap((item) =>
            item.events.map((e) => `${item.logStream}:${(e.timestamp ?? 0) - START}`),
          ),
        ),
    });

    // Assess
    expect(pages).toEqual([['s:1', 't:2'], ['s:3']]);
    expect(read).toMatchObject({ events: 3, pages: 2, batches: [] });
  });

  it('stops when the service repeats a nextToken instead of paging for ever', async () => {
    // Prepare
    logsMock.on(FilterLogEventsCommand).resolves({ events: [], nextToken: 'same' });

    // Act
    const read = readLogWindow(client, QUERY);

    // Assess
    await expect(read).rejects.toMatchObject({ errorName: 'RepeatedToken', usage: false });
  });

  it('refuses a log group name the API would refuse, before any call', async () => {
    // Act
    const read = readLogWindow(client, { ...QUERY, logGroup: '/aws/fsx/lustre 2' });

    // Assess
    await expect(read).rejects.toThrow(/^--log-group must be a log group name/);
    expect(logsMock.commandCalls(FilterLogEventsCommand)).toHaveLength(0);
  });

  it.each([
    [
      new ResourceNotFoundException({
        $metadata: {},
        message: 'The specified log group does not exist.',
      }),
      /^log group "\/aws\/fsx\/lustre" does not exist .*--log-group and --region/,
      true,
    ],
    [
      serviceError('AccessDeniedException', 'User is not authorized'),
      /IAM permission logs:FilterLogEvents/,
      true,
    ],
    [
      serviceError(
        'ExpiredTokenException',
        'The security token included in the request is expired',
      ),
      /credentials have expired/,
      true,
    ],
    [
      serviceError('UnrecognizedClientException', 'The security token is invalid'),
      /rejected the credentials/,
      true,
    ],
    [
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      /^no AWS credentials found: set AWS_PROFILE \(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\), or run where a role provides them$/,
      true,
    ],
    [new Error('Region is missing'), /^no AWS Region: pass --region or set AWS_REGION$/, true],
    [
      new InvalidParameterException({
        $metadata: {},
        message: 'The specified nextToken is invalid.',
      }),
      /refused the query/,
      true,
    ],
    [
      serviceError('ThrottlingException', 'Rate exceeded'),
      /kept throttling FilterLogEvents after the SDK retries/,
      false,
    ],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      /could not be reached/,
      false,
    ],
    [
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      /could not be reached/,
      false,
    ],
    [Object.assign(new Error('aborted'), { code: 'ECONNABORTED' }), /could not be reached/, false],
    [
      Object.assign(new Error('Request timed out'), { name: 'RequestTimeout' }),
      /could not be reached/,
      false,
    ],
    [
      serviceError('ServiceUnavailableException', 'Try later'),
      /FilterLogEvents on .* failed/,
      false,
    ],
  ])('explains %s in one line and says whose fix it is', async (error, message, usage) => {
    // Prepare
    logsMock.on(FilterLogEventsCommand).rejects(error);

    // Act
    const read = readLogWindow(client, QUERY);

    // Assess
    await expect(read).rejects.toBeInstanceOf(LogsReadError);
    await expect(read).rejects.toMatchObject({ usage, cause: error });
    await expect(read).rejects.toThrow(message);
    const text = await read.catch((caught: Error) => caught.message);
    expect(text).not.toContain('\n');
    // What AWS said is kept after the explanation; missing credentials or Region are no AWS
    // answer, and the SDK's class name and wording would only hide the one thing to do.
    if (error.name === 'CredentialsProviderError') expect(text).not.toContain(error.name);
    else if (/region is missing/i.test(error.message)) expect(text).not.toContain(error.message);
    else expect(text).toContain(`(${error.name}: `);
  });
});

describe('Function: createLogWindowReader', () => {
  beforeEach(() => {
    logsMock.reset();
  });

  it('reads a window through the client it was given, as readLogWindow does', async () => {
    // Prepare
    const stream = `datarepo_${FS}`;
    logsMock.on(FilterLogEventsCommand).resolvesOnce({ events: [event(stream, 1)] });
    const logs = createLogWindowReader(client);

    // Act
    const read = await logs.read(QUERY, { maxEvents: 10 });

    // Assess
    expect(read).toMatchObject({ events: 1, pages: 1 });
    expect(read.batches.map((batch) => batch.logStream)).toEqual([stream]);
  });
});

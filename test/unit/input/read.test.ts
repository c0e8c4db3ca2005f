import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lib/common/errors.ts';
import type { LogBatch } from '../../../lib/common/types.ts';
import { createLineReader, type InputContext, readInput } from '../../../lib/input/read.ts';
import { controlMessage, lambdaEvent, payload } from '../../helpers/events.ts';

const CONTEXT: InputContext = { maxDecompressedBytes: 1024 * 1024 };
const BUSY = 'Failed to export file because it is being used by another process.';
const CONTROL = controlMessage();

/** Runs readInput expecting an InputError; returns it for assertions on the message. */
function inputError(text: string, context: InputContext = CONTEXT): InputError {
  try {
    readInput(text, 'in.json', context);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('readInput did not throw');
}

describe('Function: readInput', () => {
  describe('JSON documents', () => {
    it('reads a Lambda event', () => {
      // Prepare
      const text = JSON.stringify(lambdaEvent(payload([{ id: 'e1', message: BUSY }])));

      // Act
      const input = readInput(text, 'event.json', CONTEXT);

      // Assess
      expect(input.skippedMessages).toBe(0);
      expect(input.batches).toHaveLength(1);
      expect(input.batches[0]).not.toHaveProperty('logGroupAssumed');
      expect(input.batches[0]).toMatchObject({
        owner: '123456789012',
        logGroup: '/aws/fsx/lustre',
        logStream: 'datarepo_fs-0123456789abcdef0',
        streamFileSystemId: 'fs-0123456789abcdef0',
        events: [{ id: 'e1', timestamp: 1_764_072_000_000, message: BUSY }],
      });
    });

    it('reads a decoded subscription payload', () => {
      // Prepare
      const text = JSON.stringify(
        payload([{ id: 'e1', message: BUSY }], { logGroup: '/aws/fsx/prod-lustre' }),
        null,
        2,
      );

      // Act
      const input = readInput(text, 'payload.json', CONTEXT);

      // Assess
      expect(input.batches).toHaveLength(1);
      expect(input.batches[0]).toMatchObject({
        logGroup: '/aws/fsx/prod-lustre',
        events: [{ id: 'e1', message: BUSY }],
      });
    });

    it('counts a CONTROL_MESSAGE payload as skipped, with no batch', () => {
      // Prepare
      const text = JSON.stringify(CONTROL);

      // Act
      const input = readInput(text, 'control.json', CONTEXT);

      // Assess
      expect(input).toEqual({ batches: [], skippedMessages: 1, notes: [] });
    });

    it('counts a CONTROL_MESSAGE inside a Lambda event as skipped', () => {
      // Prepare
      const text = JSON.stringify(lambdaEvent(CONTROL));

      // Act
      const input = readInput(text, 'control.json', CONTEXT);

      // Assess
      expect(input).toEqual({ batches: [], skippedMessages: 1, notes: [] });
    });

    it('reads a JSON array mixing Lambda events and payloads, in order', () => {
      // Prepare
      const text = JSON.stringify([
        lambdaEvent(payload([{ id: 'a', message: BUSY }])),
        payload([{ id: 'b', message: BUSY }], { logStream: 'datarepo_fs-0fedcba9876543210' }),
        CONTROL,
      ]);

      // Act
      const input = readInput(text, 'array.json', CONTEXT);

      // Assess
      expect(input.skippedMessages).toBe(1);
      expect(input.batches.map((batch) => batch.events[0]?.id)).toEqual(['a', 'b']);
      expect(input.batches[1]?.streamFileSystemId).toBe('fs-0fedcba9876543210');
    });

    it('reads NDJSON with one Lambda event per line, ignoring blank lines', () => {
      // Prepare
      const text = [
        JSON.stringify(lambdaEvent(payload([{ id: 'a', message: BUSY }]))),
        '',
        JSON.stringify(lambdaEvent(payload([{ id: 'b', message: BUSY }]))),
        JSON.stringify(lambdaEvent(CONTROL)),
        '',
      ].join('\n');

      // Act
      const input = readInput(text, 'events.ndjson', CONTEXT);

      // Assess
      expect(input.skippedMessages).toBe(1);
      expect(input.batches.map((batch) => batch.events[0]?.id)).toEqual(['a', 'b']);
    });

    it('groups `aws logs filter-log-events` output into one batch per log stream', () => {
      // Prepare
      const event = (stream: string, id: string) => ({
        logStreamName: stream,
        timestamp: 1_764_072_000_000,
        message: BUSY,
        ingestionTime: 1_764_072_000_500,
        eventId: id,
      });
      const text = JSON.stringify({
        events: [
          event('datarepo_fs-0a1b2c3d4e5f60718', '1'),
          event('datarepo_fs-07f3e9a1c2b4d6e8f', '2'),
          event('datarepo_fs-0a1b2c3d4e5f60718', '3'),
        ],
        searchedLogStreams: [],
      });

      // Act
      const input = readInput(text, 'filtered.json', CONTEXT);

      // Assess
      expect(input.batches).toHaveLength(2);
      expect(input.batches[0]).toMatchObject({
        owner: 'unknown',
        logGroup: '/aws/fsx/lustre',
        logStream: 'datarepo_fs-0a1b2c3d4e5f60718',
        streamFileSystemId: 'fs-0a1b2c3d4e5f60718',
        events: [
          { id: '1', timestamp: 1_764_072_000_000, message: BUSY },
          { id: '3', timestamp: 1_764_072_000_000, message: BUSY },
        ],
      });
      expect(input.batches[1]?.events.map((e) => e.id)).toEqual(['2']);
    });

    it('takes the log group of filter-log-events output from the context', () => {
      // Prepare
      const text = JSON.stringify({
        events: [
          {
            logStreamName: 'datarepo_fs-0a1b2c3d4e5f60718',
            eventId: 'x',
            timestamp: 1,
            message: BUSY,
          },
        ],
      });

      // Act
      const input = readInput(text, 'filtered.json', {
        ...CONTEXT,
        logGroup: '/aws/fsx/prod-lustre',
      });

      // Assess
      expect(input.batches[0]?.logGroup).toBe('/aws/fsx/prod-lustre');
      expect(input.batches[0]).not.toHaveProperty('logGroupAssumed');
    });

    it('marks the log group of filter-log-events output assumed without --log-group', () => {
      // Prepare
      const text = JSON.stringify({
        events: [
          { logStreamName: `datarepo_${'fs-0a1b2c3d4e5f60718'}`, eventId: 'x', message: BUSY },
        ],
      });

      // Act
      const input = readInput(text, 'filtered.json', CONTEXT);

      // Assess
      expect(input.batches[0]).toMatchObject({
        logGroup: '/aws/fsx/lustre',
        logGroupAssumed: true,
      });
    });

    it('gives events without an eventId (get-log-events output) a readable id', () => {
      // Prepare
      const text = JSON.stringify({
        events: [{ timestamp: 5, message: BUSY }],
        nextForwardToken: 'f/1',
      });

      // Act
      const input = readInput(text, 'stream.json', {
        ...CONTEXT,
        fileSystemId: 'fs-0a1b2c3d4e5f60718',
      });

      // Assess
      expect(input.batches[0]).toMatchObject({
        logStream: 'datarepo_fs-0a1b2c3d4e5f60718',
        events: [{ id: 'stream.json#1', timestamp: 5, message: BUSY }],
      });
      expect(input.batches[0]?.events[0]?.defect).toBeUndefined();
    });

    it('uses --file-system-id for a batch whose stream name carries none', () => {
      // Prepare
      const text = JSON.stringify(payload([{ message: BUSY }], { logStream: 'custom-stream' }));

      // Act
      const input = readInput(text, 'p.json', { ...CONTEXT, fileSystemId: 'fs-0a1b2c3d4e5f60718' });

      // Assess
      expect(input.batches[0]?.streamFileSystemId).toBe('fs-0a1b2c3d4e5f60718');
    });

    it('ignores a leading byte-order mark', () => {
      // Prepare
      const text = `\uFEFF${JSON.stringify(payload([{ message: BUSY }]))}`;

      // Act
      const input = readInput(text, 'bom.json', CONTEXT);

      // Assess
      expect(input.batches).toHaveLength(1);
    });
  });

  describe('raw log lines', () => {
    it('makes one event per non-blank line with id <name>:<line> and no time', () => {
      // Prepare
      const text = `${BUSY}\n\n   \r\nERROR S3ExportAccessDenied path=/ns1/a.bin\r\n`;

      // Act
      const input = readInput(text, 'fsx.log', CONTEXT);

      // Assess
      expect(input).toEqual({
        skippedMessages: 0,
        notes: [],
        batches: [
          {
            owner: 'unknown',
            logGroup: '/aws/fsx/lustre',
            // The lines name no log group and --log-group was not given: the default is assumed.
            logGroupAssumed: true,
            logStream: 'unknown',
            subscriptionFilters: [],
            streamFileSystemId: undefined,
            events: [
              { id: 'fsx.log:1', timestamp: undefined, message: BUSY },
              {
                id: 'fsx.log:4',
                timestamp: undefined,
                message: 'ERROR S3ExportAccessDenied path=/ns1/a.bin',
              },
            ],
          },
        ],
      });
    });

    it('names the stream datarepo_<fs-id> when only a file system is given', () => {
      // Prepare
      const context = {
        ...CONTEXT,
        fileSystemId: 'fs-0c5d8e2f1a9b3c7d4',
        logGroup: '/aws/fsx/prod-lustre',
      };

      // Act
      const input = readInput(BUSY, 'fsx.log', context);

      // Assess
      expect(input.batches[0]).toMatchObject({
        logGroup: '/aws/fsx/prod-lustre',
        logStream: 'datarepo_fs-0c5d8e2f1a9b3c7d4',
        streamFileSystemId: 'fs-0c5d8e2f1a9b3c7d4',
      });
    });

    it('prefers --log-stream and derives the file system from it', () => {
      // Prepare
      const context = { ...CONTEXT, logStream: 'datarepo_fs-07f3e9a1c2b4d6e8f' };

      // Act
      const input = readInput(BUSY, 'fsx.log', context);

      // Assess
      expect(input.batches[0]).toMatchObject({
        logStream: 'datarepo_fs-07f3e9a1c2b4d6e8f',
        streamFileSystemId: 'fs-07f3e9a1c2b4d6e8f',
      });
    });

    it('keeps --file-system-id with a custom --log-stream', () => {
      // Prepare
      const context = { ...CONTEXT, logStream: 'exported', fileSystemId: 'fs-07f3e9a1c2b4d6e8f' };

      // Act
      const input = readInput(BUSY, 'fsx.log', context);

      // Assess
      expect(input.batches[0]).toMatchObject({
        logStream: 'exported',
        streamFileSystemId: 'fs-07f3e9a1c2b4d6e8f',
      });
    });

    it('reads JSON log records, one per line, as raw messages rather than documents', () => {
      // Prepare
      const record1 = '{"errorCode":"S3ExportResourceBusy","filePath":"/ns1/sim/out.h5"}';
      const record2 = '{"errorCode":"InternalAutoExportError","filePath":"/ns1/sim/log.txt"}';

      // Act
      const single = readInput(record1, 'one.log', CONTEXT);
      const many = readInput(`${record1}\n${record2}\n`, 'two.log', CONTEXT);

      // Assess
      expect(single.batches[0]?.events).toEqual([
        { id: 'one.log:1', timestamp: undefined, message: record1 },
      ]);
      expect(many.batches[0]?.events.map((event) => event.message)).toEqual([record1, record2]);
    });
  });

  describe('errors', () => {
    it.each(['', '  \n\t\n'])('rejects empty input %j', (text) => {
      // Prepare
      const context = CONTEXT;

      // Act
      const error = inputError(text, context);

      // Assess
      expect(error.message).toBe('is empty');
    });

    it('rejects a binary file such as a gzipped log', () => {
      // Prepare
      const text = gzipSync('Failed to export file').toString('latin1');

      // Act
      const error = inputError(text);

      // Assess
      expect(error.message).toBe('is not a text file (it contains NUL bytes)');
    });

    it('explains bad base64 in awslogs.data in one line', () => {
      // Prepare
      const text = JSON.stringify({ awslogs: { data: 'not base64!' } });

      // Act
      const error = inputError(text);

      // Assess
      expect(error).toBeInstanceOf(InputError);
      expect(error.message).toBe('awslogs.data is not valid base64');
    });

    it('explains a payload that decompresses beyond the cap', () => {
      // Prepare
      const data = gzipSync(Buffer.alloc(64 * 1024, 32)).toString('base64');
      const text = JSON.stringify({ awslogs: { data } });

      // Act
      const error = inputError(text, { maxDecompressedBytes: 1024 });

      // Assess
      expect(error.message).toContain('decompresses to more than 1024 bytes');
      expect(error.message).not.toContain('\n');
    });

    it('explains a payload of the wrong shape', () => {
      // Prepare
      const text = JSON.stringify({
        messageType: 'DATA_MESSAGE',
        owner: '1',
        logGroup: 'g',
        logStream: 's',
        logEvents: 'x',
      });

      // Act
      const error = inputError(text);

      // Assess
      expect(error.message).toBe('payload.logEvents is not an array');
    });

    it('names the array item that cannot be decoded', () => {
      // Prepare
      const text = JSON.stringify([
        lambdaEvent(payload([{ message: BUSY }])),
        { awslogs: { data: '' } },
      ]);

      // Act
      const error = inputError(text);

      // Assess
      expect(error.message).toMatch(/^item 2: /);
    });

    it('names the array item that is not a document', () => {
      // Prepare
      const text = JSON.stringify([{ hello: 'world' }]);

      // Act
      const error = inputError(text);

      // Assess
      expect(error.message).toBe(
        'item 1 of the JSON array is neither a Lambda event, a subscription payload nor a log event',
      );
    });

    it('names the NDJSON line that is not valid JSON', () => {
      // Prepare
      const text = `${JSON.stringify(lambdaEvent(payload([{ message: BUSY }])))}\n{"awslogs":\n`;

      // Act
      const error = inputError(text);

      // Assess
      expect(error.message).toMatch(/^line 2: is not valid JSON: /);
      expect(error.message).not.toContain('\n');
    });

    it('names the NDJSON line whose data cannot be decoded', () => {
      // Prepare
      const good = JSON.stringify(lambdaEvent(payload([{ message: BUSY }])));
      const text = `${good}\n${good}\n{"awslogs":{"data":"H4sI"}}\n`;

      // Act
      const error = inputError(text);

      // Assess
      expect(error.message).toMatch(/^line 3: awslogs\.data /);
    });

    it('rejects a multi-line JSON document of an unknown shape', () => {
      // Prepare
      const text = JSON.stringify({ records: [BUSY] }, null, 2);

      // Act
      const error = inputError(text);

      // Assess
      expect(error.message).toBe(
        'is JSON but neither a Lambda event, a subscription payload, a Kinesis event, an on-failure record nor `aws logs filter-log-events` output',
      );
    });

    it('reads the same object on one line as a log line: FSx writes its JSON records so', () => {
      // Prepare: one line is a record of a log (kept, and shown unparseable when it is no FSx
      // record); a document spread over lines is not a log's lines (refused, above).
      const text = '{"foo":1}\n';

      // Act
      const { batches } = readInput(text, 'in.log', CONTEXT);

      // Assess
      expect(batches.flatMap((batch) => batch.events)).toEqual([
        { id: 'in.log:1', timestamp: undefined, message: '{"foo":1}' },
      ]);
    });
  });
});

describe('Function: readInput (what operators copy out of AWS)', () => {
  const RECORD =
    '{"errorCode":"S3ExportResourceBusy","filePath":"/ns1/a.dat","fileSystemId":"fs-0a1b2c3d4e5f60718"}';
  const STREAM = 'datarepo_fs-0a1b2c3d4e5f60718';
  const AT = Date.parse('2025-11-25T06:04:12.000Z');

  it('keeps the time and stream of `aws logs tail` lines and reads the record after them', () => {
    // Prepare
    const text = [
      `2025-11-25T06:04:12.000000+00:00 ${STREAM} ${RECORD}`,
      `2025-11-25T06:04:13.000000+00:00 datarepo_fs-0fedcba9876543210 ${RECORD}`,
    ].join('\n');

    // Act
    const input = readInput(text, 'tail.log', CONTEXT);

    // Assess
    expect(input.batches.map((batch) => [batch.logStream, batch.streamFileSystemId])).toEqual([
      [STREAM, 'fs-0a1b2c3d4e5f60718'],
      ['datarepo_fs-0fedcba9876543210', 'fs-0fedcba9876543210'],
    ]);
    expect(input.batches[0]?.events).toEqual([
      { id: 'tail.log:1', timestamp: AT, message: RECORD },
    ]);
  });

  it('reads an S3 export or console line with a leading time and no stream', () => {
    // Act
    const input = readInput(`2025-11-25T06:04:12.000Z ${RECORD}\n`, 'export.log', {
      ...CONTEXT,
      logStream: STREAM,
    });

    // Assess
    expect(input.batches[0]?.logStream).toBe(STREAM);
    expect(input.batches[0]?.events).toEqual([
      { id: 'export.log:1', timestamp: AT, message: RECORD },
    ]);
  });

  it('reads NDJSON of filter-log-events events with their streams, ids and times', () => {
    // Prepare
    const text = [
      JSON.stringify({
        logStreamName: STREAM,
        timestamp: AT,
        message: RECORD,
        ingestionTime: AT,
        eventId: 'e1',
      }),
      JSON.stringify({
        logStreamName: 'datarepo_fs-0fedcba9876543210',
        timestamp: AT,
        message: BUSY,
        eventId: 'e2',
      }),
    ].join('\n');

    // Act
    const input = readInput(text, 'events.ndjson', CONTEXT);

    // Assess
    expect(input.batches.map((batch) => batch.logStream)).toEqual([
      STREAM,
      'datarepo_fs-0fedcba9876543210',
    ]);
    expect(input.batches[0]?.events).toEqual([{ id: 'e1', timestamp: AT, message: RECORD }]);
  });

  it('gives lines without a time, and NDJSON lines that are not events, no time rather than 0', () => {
    // Prepare
    const mixed = `2025-11-25T06:04:12.000Z ${RECORD}\n${RECORD}\n`;
    const events = `${JSON.stringify({ timestamp: AT, message: RECORD, eventId: 'e1' })}\nnot json\n`;

    // Act
    const lines = readInput(mixed, 'mixed.log', CONTEXT);
    const ndjson = readInput(events, 'events.ndjson', CONTEXT);

    // Assess
    expect(lines.batches[0]?.events.map((event) => event.timestamp)).toEqual([AT, undefined]);
    expect(ndjson.batches[0]?.events[1]).toEqual({
      id: 'events.ndjson:2',
      timestamp: undefined,
      message: 'not json',
      defect: 'not a log event object like the other lines',
    });
    expect(ndjson.batches[0]?.events[1]).toHaveProperty('timestamp', undefined);
  });

  it('reads the batch inside a Lambda on-failure record, and says so', () => {
    // Prepare
    const record = {
      version: '1.0',
      timestamp: '2025-11-25T06:10:00.000Z',
      requestContext: {
        requestId: 'r-1',
        functionArn:
          'arn:aws:lambda:eu-west-1:123456789012:function:fsx-export-analyzer-prod-analyzer',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: lambdaEvent(payload([{ id: 'e1', message: BUSY }])),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'PublishError', errorMessage: 'SNS refused', trace: [] },
    };

    // Act
    const input = readInput(JSON.stringify(record), 'failed.json', CONTEXT);

    // Assess
    expect(input.batches).toHaveLength(1);
    expect(input.batches[0]?.events).toEqual([
      { id: 'e1', timestamp: 1_764_072_000_000, message: BUSY },
    ]);
    expect(input.notes).toEqual([
      'read the batch inside a Lambda on-failure record (RetriesExhausted, 3 attempts, last error PublishError): its analyzer error is not an FSx failure',
    ]);
  });

  it('reads on-failure records as `aws sqs receive-message` prints them', () => {
    // Prepare
    const body = JSON.stringify({
      requestContext: { condition: 'EventAgeExceeded' },
      requestPayload: lambdaEvent(payload([{ id: 'e1', message: BUSY }])),
      responsePayload: null,
    });
    const text = JSON.stringify({ Messages: [{ MessageId: 'm-1', Body: body }] }, null, 2);

    // Act
    const input = readInput(text, 'messages.json', CONTEXT);

    // Assess
    expect(input.batches[0]?.events.map((event) => event.id)).toEqual(['e1']);
    expect(input.notes[0]).toContain('EventAgeExceeded');
  });

  it('reads a Kinesis event whose records carry subscription payloads', () => {
    // Prepare
    const data = (events: Array<{ id: string; message: string }>, owner: string) =>
      gzipSync(JSON.stringify({ ...payload(events), owner })).toString('base64');
    const event = {
      Records: [
        {
          eventSource: 'aws:kinesis',
          kinesis: { data: data([{ id: 'a', message: BUSY }], '111111111111') },
        },
        {
          eventSource: 'aws:kinesis',
          kinesis: { data: gzipSync(JSON.stringify(CONTROL)).toString('base64') },
        },
        {
          eventSource: 'aws:kinesis',
          kinesis: { data: data([{ id: 'b', message: BUSY }], '222222222222') },
        },
      ],
    };

    // Act
    const input = readInput(JSON.stringify(event), 'kinesis.json', CONTEXT);

    // Assess
    expect(input.batches.map((batch) => batch.owner)).toEqual(['111111111111', '222222222222']);
    expect(input.skippedMessages).toBe(1);
  });

  it('names the Kinesis record whose data cannot be decoded', () => {
    // Act
    const error = inputError(JSON.stringify({ Records: [{ kinesis: { data: 'not base64!' } }] }));

    // Assess
    expect(error.message).toBe('record 1: kinesis.data is not valid base64');
  });

  it('refuses a pretty-printed JSON document that is broken, naming the parser error', () => {
    // Act
    const error = inputError('{\n  "awslogs": {\n    "data": "H4sI"\n');

    // Assess
    expect(error.message).toMatch(/^is not valid JSON: /);
  });

  it('reads a log file whose first record is cut short as lines, not as a broken document', () => {
    // Act
    const input = readInput(`{"errorCode":"S3Export\n${RECORD}\n`, 'cut.log', CONTEXT);

    // Assess
    expect(input.batches[0]?.events.map((event) => event.message)).toEqual([
      '{"errorCode":"S3Export',
      RECORD,
    ]);
  });
});

describe('Function: readInput (documents cut short)', () => {
  it.each([
    [
      'filter-log-events output',
      '{"events":[{"logStreamName":"datarepo_fs-0a1b2c3d4e5f60718","message":"{\\"errorCode\\":\\"InternalAutoExportError\\"',
    ],
    ['a Lambda event', '{"awslogs":{"data":"H4sIAAAAAAAA'],
    [
      'an on-failure record',
      '{"version":"1.0","timestamp":"2025-11-25T06:10:00.000Z","requestContext":{',
    ],
  ])(
    'refuses %s on one line that does not parse, instead of reading it as a log line',
    (_what, text) => {
      // Act
      const error = inputError(text);

      // Assess
      expect(error.message).toMatch(/^is not valid JSON: /);
    },
  );

  it('still reads a cut FSx record on one line as a log line, counted unparseable downstream', () => {
    // Act
    const input = readInput(
      '{"errorCode":"S3ExportResourceBusy","filePath":"/ns1/a',
      'cut.log',
      CONTEXT,
    );

    // Assess
    expect(input.batches[0]?.events).toHaveLength(1);
  });
});

describe('Function: createLineReader (with a sink, for huge files)', () => {
  const CONTEXT: InputContext = { maxDecompressedBytes: 1e8 };

  it('hands its batches over every N events, and finish() returns the rest: no event lost or repeated', () => {
    // Prepare
    const taken: LogBatch[][] = [];
    const reader = createLineReader('big.log', CONTEXT, {
      everyEvents: 3,
      take: (batches) => taken.push(batches),
    });
    const lines = [
      '2025-11-25T06:04:12Z datarepo_fs-0123456789abcdef0 {"errorCode":"S3ExportResourceBusy","filePath":"/a"}',
      '{"errorCode":"InternalAutoExportError","filePath":"/b"}',
      '',
      '2025-11-25T06:04:13Z datarepo_fs-0123456789abcdef0 {"errorCode":"S3ExportResourceBusy","filePath":"/c"}',
      'not a record',
      '{"errorCode":"InternalAutoExportError","filePath":"/d"}',
      '{"errorCode":"InternalAutoExportError","filePath":"/e"}',
      '{"errorCode":"InternalAutoExportError","filePath":"/f"}',
    ];

    // Act
    for (const line of lines) reader.line(line);
    const rest = reader.finish();

    // Assess
    expect(taken).toHaveLength(2);
    const ids = (batches: readonly LogBatch[]) =>
      batches.flatMap((batch) => batch.events.map((event) => event.id));
    expect(ids(taken[0] ?? [])).toEqual(['big.log:1', 'big.log:4', 'big.log:2']);
    expect(ids(taken[1] ?? [])).toEqual(['big.log:5', 'big.log:6', 'big.log:7']);
    expect(ids(rest.batches)).toEqual(['big.log:8']);
    expect(taken[0]?.map((batch) => batch.streamFileSystemId)).toEqual([
      'fs-0123456789abcdef0',
      undefined,
    ]);
  });

  it('hands nothing over while the input stays under N events (the whole-input path)', () => {
    // Prepare
    const taken: LogBatch[][] = [];
    const reader = createLineReader('small.log', CONTEXT, {
      everyEvents: 10,
      take: (batches) => taken.push(batches),
    });

    // Act
    for (const line of ['one', 'two', 'three']) reader.line(line);
    const rest = reader.finish();

    // Assess
    expect(taken).toEqual([]);
    expect(rest.batches.flatMap((batch) => batch.events)).toHaveLength(3);
  });
});

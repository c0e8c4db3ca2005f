import {
  BAD_ID,
  type BadRecords,
  FS,
  goodEvents,
  HOSTILE,
  type Kind,
  lambdaEvent,
  payload,
  type RawLogEvent,
  record,
  STREAM,
  withGood,
} from './kinds.ts';

/*
 * The corpus kinds of the inputs an operator has at hand besides the Lambda event: what a Kinesis
 * stream, the stack's on-failure queue and the `aws logs` commands give, and the trust rules a
 * record's own text meets (docs/cli.md#input-formats). Same conventions as kinds.ts: the Lambda
 * accepts only a subscription event, so every other document is its expected error (`expect`),
 * while `analyze` reads it (`cli`). Text kinds (`event` level, a string) are what `analyze`
 * reads, through `readInput` in the pure path. Over 400 lines because it is one table of data,
 * a kind per entry, read best in one place.
 */

/** A second file system, in another log stream than the good records. */
const OTHER_FS = 'fs-0a1b2c3d4e5f60718';
const OTHER_STREAM = `datarepo_${OTHER_FS}`;
/** The Lambda's answer to any event without `awslogs`. */
const NOT_A_SUBSCRIPTION = {
  kind: 'error',
  message: /^event\.awslogs is missing or not an object$/,
} as const;

/** The bad log event of a format kind: a busy record of `path`, between the good ones in time. */
function busyEvent(path: string, overrides: Record<string, unknown> = {}): RawLogEvent {
  const message = JSON.stringify({
    errorCode: 'S3ExportResourceBusy',
    filePath: path,
    ...overrides,
  });
  return { id: BAD_ID, timestamp: 1_764_072_000_001, message };
}

/** A Kinesis record as Lambda's Kinesis event source delivers it, carrying `payloadValue`. */
function kinesisRecord(payloadValue: unknown, sequence: number) {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: STREAM,
      sequenceNumber: `4959${sequence}`,
      data: lambdaEvent(payloadValue).awslogs.data,
      approximateArrivalTimestamp: 1_764_072_001.5,
    },
    eventSource: 'aws:kinesis',
    eventName: 'aws:kinesis:record',
    eventSourceARN: 'arn:aws:kinesis:eu-west-1:123456789012:stream/fsx-logs',
  };
}

/**
 * The record Lambda sends to an on-failure destination after an asynchronous invocation failed
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 */
function onFailureRecord(requestPayload: unknown, errorType = 'PublishError') {
  return {
    version: '1.0',
    timestamp: '2025-11-25T12:03:00.000Z',
    requestContext: {
      requestId: 'e4b46cbf-b738-4b2a-8880-a18cdf61200e',
      functionArn:
        'arn:aws:lambda:eu-west-1:123456789012:function:fsx-export-analyzer-prod-analyzer:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType, errorMessage: 'SNS refused the publish', stackTrace: [] },
  };
}

/** A subscription event holding the good records and the bad one. */
function eventWithBad(path: string) {
  return lambdaEvent(payload(withGood(busyEvent(path))));
}

/** A log event as `aws logs filter-log-events` prints it. */
function filterEvent(event: RawLogEvent, stream: string) {
  return {
    logStreamName: stream,
    timestamp: event.timestamp,
    message: event.message,
    ingestionTime: Number(event.timestamp) + 900,
    eventId: event.id,
  };
}

/** The three events of a line kind: the good ones in {@link STREAM}, the bad one in another. */
function lineEvents(path: string, overrides: Record<string, unknown> = {}) {
  const [a, b] = goodEvents();
  return [
    { event: a, stream: STREAM },
    { event: busyEvent(path, overrides), stream: OTHER_STREAM },
    { event: b, stream: STREAM },
  ];
}

/** The ISO time of an event's timestamp, as `aws logs tail` prints it (microseconds, +00:00). */
function tailTime(event: RawLogEvent): string {
  return new Date(Number(event.timestamp)).toISOString().replace(/Z$/, '000+00:00');
}

const BAD_TIME = 1_764_072_000_001;

/** What a kind reads besides the two good records: one busy record at `path`, as `extra` says. */
function oneBusy(path: string, extra: Omit<BadRecords['first'], 'code' | 'class' | 'path'> = {}) {
  return {
    count: 1,
    first: { code: 'S3ExportResourceBusy', class: 'busy', path, ...extra },
  } as const;
}

const INPUT_KINDS: readonly Kind[] = [
  // Documents the CLI reads and the Lambda refuses.
  {
    name: 'Kinesis event of subscription payloads',
    level: 'event',
    build: () => ({
      Records: [
        kinesisRecord(payload(withGood()), 1),
        kinesisRecord(
          payload([busyEvent('/ns1/corpus/kinesis.bin')], { logStream: OTHER_STREAM }),
          2,
        ),
      ],
    }),
    expect: NOT_A_SUBSCRIPTION,
    cli: {
      kind: 'record',
      bad: oneBusy('/ns1/corpus/kinesis.bin', { logStream: OTHER_STREAM, fileSystemId: OTHER_FS }),
    },
    note: /^read 2 Kinesis record\(s\) carrying subscription payloads$/,
  },
  {
    name: 'Lambda on-failure record holding a subscription event',
    level: 'event',
    build: () => onFailureRecord(eventWithBad('/ns1/corpus/on-failure.bin')),
    expect: NOT_A_SUBSCRIPTION,
    // The analyzer's own error (errorType) is no FSx failure: only the batch's records count.
    cli: {
      kind: 'record',
      bad: oneBusy('/ns1/corpus/on-failure.bin', { logStream: STREAM, fileSystemId: FS }),
    },
    note: /^read the batch inside a Lambda on-failure record \(RetriesExhausted, 3 attempts, last error PublishError\): its analyzer error is not an FSx failure$/,
  },
  {
    name: 'aws sqs receive-message output holding an on-failure record',
    level: 'event',
    build: () => ({
      Messages: [
        {
          MessageId: '9f1c2a4e-0b7d-4f8e-9a51-3c2d1e0f9a8b',
          ReceiptHandle: 'AQEB…',
          MD5OfBody: '0123456789abcdef0123456789abcdef',
          Body: JSON.stringify(
            onFailureRecord(eventWithBad('/ns1/corpus/sqs.bin'), `PublishError${HOSTILE}`),
          ),
        },
      ],
    }),
    expect: NOT_A_SUBSCRIPTION,
    cli: {
      kind: 'record',
      bad: oneBusy('/ns1/corpus/sqs.bin'),
    },
    // The error type is shown escaped (the harness checks stderr for control characters).
    note: /^read the batch inside a Lambda on-failure record \(RetriesExhausted, 3 attempts, last error PublishError\\x1b\[2J/,
  },
  {
    name: 'on-failure record whose requestPayload holds no batch',
    level: 'event',
    build: () =>
      onFailureRecord({
        version: '0',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        detail: {},
      }),
    expect: NOT_A_SUBSCRIPTION,
    cli: {
      kind: 'error',
      message: /^is a Lambda on-failure record whose requestPayload holds no log batch$/,
    },
  },
  {
    name: 'aws logs filter-log-events output',
    level: 'event',
    build: () => ({
      events: lineEvents('/ns1/corpus/filter.bin').map(({ event, stream }) =>
        filterEvent(event, stream),
      ),
      searchedLogStreams: [],
    }),
    expect: NOT_A_SUBSCRIPTION,
    cli: {
      kind: 'record',
      bad: oneBusy('/ns1/corpus/filter.bin', {
        logStream: OTHER_STREAM,
        fileSystemId: OTHER_FS,
        timestamp: BAD_TIME,
      }),
    },
  },
  {
    name: 'broken pretty-printed JSON document',
    level: 'event',
    build: () => JSON.stringify(eventWithBad('/ns1/corpus/broken.bin'), null, 2).slice(0, -12),
    expect: { kind: 'error', message: /^is not valid JSON: / },
  },

  // Text an operator pipes in, read line by line.
  {
    name: 'NDJSON of Lambda events, one batch per line',
    level: 'event',
    build: () =>
      [
        lambdaEvent(payload(withGood())),
        lambdaEvent(
          payload([busyEvent('/ns1/corpus/ndjson-event.bin')], { logStream: OTHER_STREAM }),
        ),
      ]
        .map((event) => JSON.stringify(event))
        .join('\n'),
    expect: {
      kind: 'record',
      bad: oneBusy('/ns1/corpus/ndjson-event.bin', {
        logStream: OTHER_STREAM,
        fileSystemId: OTHER_FS,
      }),
    },
  },
  {
    name: 'NDJSON of filter-log-events events',
    level: 'event',
    build: () =>
      lineEvents('/ns1/corpus/ndjson.bin')
        .map(({ event, stream }) => JSON.stringify(filterEvent(event, stream)))
        .join('\n'),
    expect: {
      kind: 'record',
      bad: oneBusy('/ns1/corpus/ndjson.bin', {
        logStream: OTHER_STREAM,
        fileSystemId: OTHER_FS,
        timestamp: BAD_TIME,
      }),
    },
  },
  {
    name: 'aws logs tail lines with a log stream',
    level: 'event',
    build: () =>
      lineEvents('/ns1/corpus/tail.bin')
        .map(({ event, stream }) => `${tailTime(event)} ${stream} ${String(event.message)}`)
        .join('\n'),
    expect: {
      kind: 'record',
      bad: oneBusy('/ns1/corpus/tail.bin', {
        logStream: OTHER_STREAM,
        fileSystemId: OTHER_FS,
        timestamp: BAD_TIME,
        plan: 'planned',
      }),
    },
  },
  {
    name: 'S3-export lines (a time, then the message)',
    level: 'event',
    // No stream on the line: the file system comes from the record, the time from the line.
    build: () =>
      lineEvents('/ns1/corpus/s3-export.bin', { fileSystemId: OTHER_FS })
        .map(
          ({ event }) =>
            `${new Date(Number(event.timestamp)).toISOString()} ${String(event.message)}`,
        )
        .join('\n'),
    expect: {
      kind: 'record',
      bad: oneBusy('/ns1/corpus/s3-export.bin', {
        logStream: 'unknown',
        fileSystemId: OTHER_FS,
        timestamp: BAD_TIME,
      }),
    },
  },
  {
    name: 'console copy (a time, a tab, the message)',
    level: 'event',
    build: () =>
      lineEvents('/ns1/corpus/console.bin')
        .map(
          ({ event }) =>
            `${new Date(Number(event.timestamp)).toISOString()}\t${String(event.message)}`,
        )
        .join('\n'),
    expect: {
      kind: 'record',
      bad: oneBusy('/ns1/corpus/console.bin', {
        logStream: 'unknown',
        fileSystemId: undefined,
        timestamp: BAD_TIME,
      }),
    },
  },

  // What a record's own text may not decide (docs/cli.md#input-formats, trust rules).
  {
    name: 'JSON record naming another file system than its log stream',
    level: 'message',
    build: () =>
      record('/ns1/corpus/elsewhere.bin').replace(/}$/, `,"fileSystemId":"${OTHER_FS}"}`),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: {
          code: 'S3ExportInternalError',
          class: 'transient',
          path: '/ns1/corpus/elsewhere.bin',
          fileSystemId: FS,
          plan: new RegExp(
            `^the record names ${OTHER_FS} but was logged for ${FS}: not re-exported`,
          ),
        },
      },
    },
  },
  {
    name: 'file-system id longer than FSx issues',
    level: 'message',
    build: () =>
      record('/ns1/corpus/long-id.bin').replace(
        /}$/,
        ',"fileSystemId":"fs-0123456789abcdef0123456789"}',
      ),
    expect: {
      kind: 'record',
      bad: {
        count: 1,
        first: {
          code: 'S3ExportInternalError',
          class: 'transient',
          path: '/ns1/corpus/long-id.bin',
          fileSystemId: FS,
          plan: 'planned',
        },
      },
    },
  },
  {
    name: 'unquoted text path with spaces, to the end of the line',
    level: 'message',
    build: () => 'S3ExportResourceBusy file_path=/ns1/lab notes/run 3.csv',
    expect: {
      kind: 'record',
      bad: oneBusy('/ns1/lab notes/run 3.csv', {
        plan: /^the path was read from unquoted text and may run on into the message: not re-exported/,
      }),
    },
  },
  {
    name: 'unquoted text path with spaces, ended by the documented text',
    level: 'message',
    build: () =>
      'file_path=/ns1/lab notes/run 5.csv Failed to export file because it is being used by another process.',
    expect: {
      kind: 'record',
      bad: oneBusy('/ns1/lab notes/run 5.csv', { plan: 'planned' }),
    },
  },
  {
    name: 'unquoted text path with spaces, cut by another key',
    level: 'message',
    build: () => `S3ExportResourceBusy file_path=/ns1/lab notes/run 4.csv fs=${FS}`,
    expect: {
      kind: 'record',
      bad: oneBusy('/ns1/lab notes/run 4.csv', {
        plan: /^the path was read from unquoted text and may be cut short: not re-exported/,
      }),
    },
  },
];

export { INPUT_KINDS };

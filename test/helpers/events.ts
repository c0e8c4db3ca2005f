import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import type { LogBatch, LogEvent } from '../../lib/common/types.ts';
import { FS } from './fixtures.ts';

/** A readable fixture for one log event: the message is what FSx would write. */
interface EventSpec {
  readonly id?: string;
  readonly timestamp?: number;
  readonly message: unknown;
}

const DEFAULT_STREAM = `datarepo_${FS}`;

/** Builds a decoded subscription payload (what `awslogs.data` holds before gzip and base64). */
function payload(
  events: readonly EventSpec[],
  overrides: Partial<CloudWatchLogsDecodedData> = {},
): CloudWatchLogsDecodedData {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/fsx/lustre',
    logStream: DEFAULT_STREAM,
    subscriptionFilters: ['fsx-export-analyzer'],
    logEvents: events.map((event, index) => ({
      id: event.id ?? `3${String(index).padStart(55, '0')}`,
      timestamp: event.timestamp ?? 1_764_072_000_000 + index,
      message: event.message as string,
    })),
    ...overrides,
  };
}

/** The health check CloudWatch Logs sends when a subscription is created, as a decoded payload. */
function controlMessage(): CloudWatchLogsDecodedData {
  return payload(
    [{ id: '', message: 'CWL CONTROL MESSAGE: Checking health of destination Lambda.' }],
    {
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
    },
  );
}

/** The message of an FSx JSON log record with the given error code and file path. */
function json(code: string, path: string): string {
  return JSON.stringify({ errorCode: code, filePath: path });
}

/** A file FSx failed to export for a passing reason (InternalAutoExportError): re-exported now. */
function transient(path: string, id?: string): EventSpec {
  const message = json('InternalAutoExportError', path);
  return id === undefined ? { message } : { id, message };
}

/** A file FSx could not export because it was open (the message text): re-exported later. */
function busy(path: string, id?: string): EventSpec {
  const message = `Failed to export file because it is being used by another process. path=${path}`;
  return id === undefined ? { message } : { id, message };
}

/** Gzips and base64-encodes a payload into the Lambda event CloudWatch Logs sends. */
function lambdaEvent(data: unknown): CloudWatchLogsEvent {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return { awslogs: { data: gzipSync(text).toString('base64') } };
}

/** Builds a decoded batch directly, for tests of the pure core. */
function batch(events: readonly EventSpec[], logStream = DEFAULT_STREAM): LogBatch {
  const fs = /^datarepo_(fs-[0-9a-f]{8,})$/.exec(logStream)?.[1];
  return {
    owner: '123456789012',
    logGroup: '/aws/fsx/lustre',
    logStream,
    subscriptionFilters: ['fsx-export-analyzer'],
    streamFileSystemId: fs,
    events: events.map(
      (event, index): LogEvent => ({
        id: event.id ?? `ev-${index}`,
        timestamp: event.timestamp ?? 1_764_072_000_000 + index,
        message: event.message,
      }),
    ),
  };
}

export type { EventSpec };
export { batch, busy, controlMessage, DEFAULT_STREAM, json, lambdaEvent, payload, transient };

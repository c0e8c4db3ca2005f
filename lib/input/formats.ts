/*
 * What a JSON value is, by the keys only that kind of document has. Recognition is by content so
 * a file can be named anything; see docs/cli.md#input-formats for the table.
 */

type JsonObject = Record<string, unknown>;

/** The whole-input documents the CLI reads (each holds one or more log batches). */
type DocumentKind =
  /** What Lambda receives from a subscription: `{ awslogs: { data } }`. */
  | 'lambda'
  /** The decoded subscription payload: `{ messageType, owner, logGroup, logStream, logEvents }`. */
  | 'payload'
  /** `aws logs filter-log-events` output: `{ events: [...] }`. */
  | 'filter'
  /** A Kinesis event whose records carry subscription payloads: `{ Records: [{ kinesis: { data } }] }`. */
  | 'kinesis'
  /** A Lambda asynchronous-invocation record: `{ requestContext, requestPayload, responsePayload }`. */
  | 'on-failure'
  /** `aws sqs receive-message` output: `{ Messages: [{ Body }] }`. */
  | 'sqs-messages';

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function everyItem(value: unknown, test: (item: JsonObject) => boolean): boolean {
  return (
    Array.isArray(value) && value.length > 0 && value.every((item) => isObject(item) && test(item))
  );
}

/** Which document a JSON value is; undefined for anything else (an FSx record, say). */
export function documentKind(value: unknown): DocumentKind | undefined {
  if (!isObject(value)) return undefined;
  if (Object.hasOwn(value, 'awslogs')) return 'lambda';
  if (Object.hasOwn(value, 'logEvents') || Object.hasOwn(value, 'messageType')) return 'payload';
  if (Array.isArray(value['events'])) return 'filter';
  if (everyItem(value['Records'], (record) => isObject(record['kinesis']))) return 'kinesis';
  if (isObject(value['requestContext']) && Object.hasOwn(value, 'requestPayload')) {
    return 'on-failure';
  }
  if (everyItem(value['Messages'], (message) => typeof message['Body'] === 'string')) {
    return 'sqs-messages';
  }
  return undefined;
}

// The fields of a CloudWatch Logs event as the AWS CLI prints them; an FSx record has others.
const LOG_EVENT_FIELDS = new Set([
  'logStreamName',
  'logGroupName',
  'timestamp',
  'message',
  'ingestionTime',
  'eventId',
]);

/**
 * A CloudWatch Logs event as `aws logs filter-log-events` prints it (one line of
 * `jq -c '.events[]'`): a string `message`, at least one field only such events have, and no
 * field they never have, so an FSx record with a `message` field is not mistaken for one.
 */
export function isLogEvent(value: unknown): value is JsonObject {
  if (!isObject(value) || typeof value['message'] !== 'string') return false;
  const keys = Object.keys(value);
  return (
    keys.every((key) => LOG_EVENT_FIELDS.has(key)) &&
    (Object.hasOwn(value, 'eventId') ||
      Object.hasOwn(value, 'logStreamName') ||
      Object.hasOwn(value, 'ingestionTime'))
  );
}

export type { DocumentKind, JsonObject };

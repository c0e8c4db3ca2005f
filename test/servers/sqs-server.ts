import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSMessageAttribute, SQSRecord } from 'aws-lambda';
import {
  AwsJsonError,
  type AwsJsonServer,
  type Fault,
  startAwsJsonServer,
} from './aws-json-server.ts';

/*
 * An in-memory SQS standard queue with a dead-letter queue, for the deferral queue and the
 * retrier's tests. The SDK side is real: SendMessage and SendMessageBatch over awsJson1_0 with
 * target prefix `AmazonSQS`, namespaced `__type` (`com.amazonaws.sqs#QueueDoesNotExist`) and the
 * `x-amzn-query-error` header SQS sends for its awsQueryCompatible clients. The SDK checks
 * MD5OfMessageBody, so it is computed as SQS does. The receive side is a test control that plays
 * the Lambda event source mapping with ReportBatchItemFailures: `receive` hands out due messages
 * as Lambda records, `fail` / `succeed` (or `settle`) end their turn, and after `maxReceiveCount`
 * failed receives a message moves to the dead-letter queue, as the redrive policy does.
 */

const TARGET_PREFIX = 'AmazonSQS';
const ACCOUNT = '123456789012';
const MAX_ENTRIES = 10;
const MAX_DELAY_SECONDS = 900;
const ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
// XML 1.0 characters: the only ones SQS accepts in bodies and attribute values.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const SENDER_ID = 'AIDAIENQZJOLO23YVJ4VO';

const QUERY_ERROR_CODES = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  InvalidBatchEntryId: 'AWS.SimpleQueueService.InvalidBatchEntryId',
  BatchRequestTooLong: 'AWS.SimpleQueueService.BatchRequestTooLong',
  InvalidParameterValue: 'InvalidParameterValue',
  InvalidMessageContents: 'InvalidMessageContents',
};

/** A message attribute as the API carries it. */
interface WireAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/** One message as the server holds it. Times in epoch milliseconds. */
interface StoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly md5OfMessageAttributes: string | undefined;
  readonly messageAttributes: Readonly<Record<string, WireAttribute>>;
  readonly delaySeconds: number;
  readonly sentTimestamp: number;
  /** When it can be received next (sent time plus delay, or when a failure released it). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp: number | undefined;
  /** Received and neither failed nor succeeded yet. */
  inFlight: boolean;
}

/** Makes the next `count` batch entries fail with this result, whatever their content. */
interface EntryRejection {
  readonly code: string;
  readonly senderFault: boolean;
  readonly message?: string;
}

interface SqsServerOptions {
  readonly queueName?: string;
  /** The redrive policy's maxReceiveCount; 5 unless set. */
  readonly maxReceiveCount?: number;
  /** Clock in milliseconds for SentTimestamp and delays. */
  readonly now?: (() => number) | undefined;
  readonly region?: string | undefined;
  /** SQS's size limit per message and per batch; 262,144 bytes unless set. */
  readonly maxMessageBytes?: number;
}

interface SqsServer {
  readonly endpoint: string;
  readonly calls: AwsJsonServer['calls'];
  inject(fault: Fault): void;
  stop(): Promise<void>;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueArn: string;
  /** Messages in the queue (waiting, delayed or in flight), oldest first (copies). */
  messages(): StoredMessage[];
  /**
   * Receives up to `maxMessages` messages visible at `now` (default: the clock), oldest first, as
   * Lambda SQS event records. They stay in flight until `fail`, `succeed` or `settle`.
   */
  receive(maxMessages?: number, now?: number): SQSRecord[];
  /**
   * Returns in-flight messages to the queue, visible again at `visibleAt` (default: the clock).
   * One that has been received `maxReceiveCount` times goes to the dead-letter queue instead.
   */
  fail(messageIds: readonly string[], visibleAt?: number): void;
  /** Deletes in-flight messages, as Lambda does after a successful batch. */
  succeed(messageIds: readonly string[]): void;
  /**
   * Ends a received batch as the event source mapping does with ReportBatchItemFailures: a
   * thrown handler (`'error'`) or an identifier that is not one of the records fails every record;
   * otherwise the listed items fail and the rest are deleted. Failed ones are visible again at
   * `visibleAt` (default: the clock), as after the visibility timeout.
   */
  settle(
    records: readonly SQSRecord[],
    outcome: SQSBatchResponse | undefined | 'error',
    visibleAt?: number,
  ): void;
  /** Messages moved to the dead-letter queue, in the order they moved (copies). */
  deadLetters(): StoredMessage[];
  /** Makes the next `count` SendMessageBatch entries fail with the given result. */
  rejectEntries(count: number, rejection: EntryRejection): void;
}

function md5(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/**
 * MD5OfMessageAttributes as SQS computes it: attributes sorted by name, each encoded as
 * length-prefixed name, length-prefixed data type, a transport byte (1 string, 2 binary) and the
 * length-prefixed value.
 */
function md5OfAttributes(attributes: Readonly<Record<string, WireAttribute>>): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    parts.push(lengthPrefixed(Buffer.from(name)), lengthPrefixed(Buffer.from(attribute.DataType)));
    if (attribute.BinaryValue !== undefined) {
      parts.push(Buffer.from([2]), lengthPrefixed(Buffer.from(attribute.BinaryValue, 'base64')));
    } else {
      parts.push(Buffer.from([1]), lengthPrefixed(Buffer.from(attribute.StringValue ?? '')));
    }
  }
  return md5(Buffer.concat(parts));
}

/** Size as SQS counts it: body plus every attribute's name, type and value. */
function messageBytes(body: string, attributes: Readonly<Record<string, WireAttribute>>): number {
  let bytes = Buffer.byteLength(body);
  for (const [name, attribute] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name) + Buffer.byteLength(attribute.DataType);
    bytes +=
      attribute.BinaryValue === undefined
        ? Buffer.byteLength(attribute.StringValue ?? '')
        : Buffer.from(attribute.BinaryValue, 'base64').length;
  }
  return bytes;
}

/** Validates one message's content; returns the problem, or undefined when SQS would take it. */
function problem(
  body: unknown,
  delay: unknown,
  attributes: unknown,
  maxBytes: number,
): { code: string; message: string } | undefined {
  if (typeof body !== 'string' || body.length === 0) {
    return {
      code: 'MissingParameter',
      message: 'The request must contain the parameter MessageBody.',
    };
  }
  if (NOT_XML_CHAR.test(body)) {
    return { code: 'InvalidMessageContents', message: 'Invalid characters found in MessageBody.' };
  }
  if (delay !== undefined) {
    if (
      typeof delay !== 'number' ||
      !Number.isInteger(delay) ||
      delay < 0 ||
      delay > MAX_DELAY_SECONDS
    ) {
      return {
        code: 'InvalidParameterValue',
        message: `Value ${String(delay)} for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.`,
      };
    }
  }
  if (attributes !== undefined) {
    if (attributes === null || typeof attributes !== 'object') {
      return { code: 'InvalidParameterValue', message: 'MessageAttributes is not a map.' };
    }
    const entries = Object.entries(attributes as Record<string, unknown>);
    if (entries.length > 10) {
      return { code: 'InvalidParameterValue', message: 'Number of message attributes exceeds 10.' };
    }
    for (const [name, value] of entries) {
      const { DataType, StringValue, BinaryValue } = (value ?? {}) as Record<string, unknown>;
      if (typeof DataType !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(DataType)) {
        return {
          code: 'InvalidParameterValue',
          message: `Message attribute ${name} has an invalid DataType.`,
        };
      }
      const text = DataType.startsWith('Binary') ? BinaryValue : StringValue;
      if (typeof text !== 'string' || text.length === 0) {
        return {
          code: 'InvalidParameterValue',
          message: `Message attribute ${name} must have a non-empty value.`,
        };
      }
      if (NOT_XML_CHAR.test(text)) {
        return {
          code: 'InvalidMessageContents',
          message: `Invalid characters in message attribute ${name}.`,
        };
      }
    }
  }
  const size = messageBytes(body, (attributes ?? {}) as Record<string, WireAttribute>);
  if (size > maxBytes) {
    return {
      code: 'InvalidParameterValue',
      message: `One or more parameters are invalid. Reason: Message must be shorter than ${maxBytes} bytes.`,
    };
  }
  return undefined;
}

function toLambdaAttributes(
  attributes: Readonly<Record<string, WireAttribute>>,
): Record<string, SQSMessageAttribute> {
  const result: Record<string, SQSMessageAttribute> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    result[name] = {
      ...(attribute.StringValue === undefined ? {} : { stringValue: attribute.StringValue }),
      ...(attribute.BinaryValue === undefined ? {} : { binaryValue: attribute.BinaryValue }),
      stringListValues: [],
      binaryListValues: [],
      dataType: attribute.DataType,
    };
  }
  return result;
}

/** Starts the in-memory queue; `stop()` discards it. */
async function startSqsServer(options: SqsServerOptions = {}): Promise<SqsServer> {
  const clock = options.now ?? Date.now;
  const region = options.region ?? 'us-east-1';
  const queueName = options.queueName ?? 'fsx-export-analyzer-deferrals';
  const maxReceiveCount = options.maxReceiveCount ?? 5;
  const maxBytes = options.maxMessageBytes ?? 262_144;
  const queuePath = `/${ACCOUNT}/${queueName}`;
  const queueArn = `arn:aws:sqs:${region}:${ACCOUNT}:${queueName}`;
  const deadLetterQueueArn = `${queueArn}-dlq`;
  let queue: StoredMessage[] = [];
  const dead: StoredMessage[] = [];
  const rejections: EntryRejection[] = [];

  function checkQueue(queueUrl: unknown): void {
    let path: string | undefined;
    try {
      path = typeof queueUrl === 'string' ? new URL(queueUrl).pathname : undefined;
    } catch {
      path = undefined;
    }
    // SQS finds the queue by account and name; the host only routes the request.
    if (path !== queuePath) {
      throw new AwsJsonError('QueueDoesNotExist', 'The specified queue does not exist.');
    }
  }

  function store(body: string, delay: unknown, attributes: unknown) {
    const messageAttributes = (attributes ?? {}) as Record<string, WireAttribute>;
    const delaySeconds = typeof delay === 'number' ? delay : 0;
    const sentTimestamp = clock();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: md5(body),
      md5OfMessageAttributes: md5OfAttributes(messageAttributes),
      messageAttributes: structuredClone(messageAttributes),
      delaySeconds,
      sentTimestamp,
      visibleAt: sentTimestamp + delaySeconds * 1000,
      receiveCount: 0,
      firstReceiveTimestamp: undefined,
      inFlight: false,
    };
    queue.push(message);
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(message.md5OfMessageAttributes === undefined
        ? {}
        : { MD5OfMessageAttributes: message.md5OfMessageAttributes }),
    };
  }

  function sendMessage(input: Record<string, unknown>): unknown {
    checkQueue(input['QueueUrl']);
    const { MessageBody, DelaySeconds, MessageAttributes } = input;
    const found = problem(MessageBody, DelaySeconds, MessageAttributes, maxBytes);
    if (found !== undefined) throw new AwsJsonError(found.code, found.message);
    return store(MessageBody as string, DelaySeconds, MessageAttributes);
  }

  function sendMessageBatch(input: Record<string, unknown>): unknown {
    checkQueue(input['QueueUrl']);
    const entries = input['Entries'];
    if (!Array.isArray(entries) || entries.length === 0) {
      throw new AwsJsonError(
        'EmptyBatchRequest',
        'There should be at least one SendMessageBatchRequestEntry in the request.',
      );
    }
    if (entries.length > MAX_ENTRIES) {
      throw new AwsJsonError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are ${MAX_ENTRIES}. You have sent ${entries.length}.`,
      );
    }
    const records = entries.map((entry) => (entry ?? {}) as Record<string, unknown>);
    const ids = records.map((entry) => entry['Id']);
    const badId = ids.find((id) => typeof id !== 'string' || !ENTRY_ID.test(id));
    if (badId !== undefined) {
      throw new AwsJsonError(
        'InvalidBatchEntryId',
        `A batch entry id ${String(badId)} can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.`,
      );
    }
    if (new Set(ids).size !== ids.length) {
      throw new AwsJsonError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
      );
    }
    const total = records.reduce(
      (sum, entry) =>
        sum +
        (typeof entry['MessageBody'] === 'string'
          ? messageBytes(
              entry['MessageBody'],
              (entry['MessageAttributes'] ?? {}) as Record<string, WireAttribute>,
            )
          : 0),
      0,
    );
    if (total > maxBytes) {
      throw new AwsJsonError(
        'BatchRequestTooLong',
        `Batch requests cannot be longer than ${maxBytes} bytes. You have sent ${total} bytes.`,
      );
    }
    const Successful: unknown[] = [];
    const Failed: unknown[] = [];
    for (const entry of records) {
      const Id = entry['Id'] as string;
      const rejection = rejections.shift();
      if (rejection !== undefined) {
        Failed.push({
          Id,
          SenderFault: rejection.senderFault,
          Code: rejection.code,
          Message: rejection.message ?? `Rejected by the test (${rejection.code}).`,
        });
        continue;
      }
      const found = problem(
        entry['MessageBody'],
        entry['DelaySeconds'],
        entry['MessageAttributes'],
        maxBytes,
      );
      if (found !== undefined) {
        Failed.push({ Id, SenderFault: true, Code: found.code, Message: found.message });
        continue;
      }
      Successful.push({
        Id,
        ...store(entry['MessageBody'] as string, entry['DelaySeconds'], entry['MessageAttributes']),
      });
    }
    return { Successful, Failed };
  }

  const server = await startAwsJsonServer({
    targetPrefix: TARGET_PREFIX,
    jsonVersion: '1.0',
    typePrefix: 'com.amazonaws.sqs#',
    messageField: 'message',
    serverErrorType: 'InternalFailure',
    queryErrorCodes: QUERY_ERROR_CODES,
    handlers: { SendMessage: sendMessage, SendMessageBatch: sendMessageBatch },
  });

  function inFlight(messageId: string): StoredMessage {
    const message = queue.find((candidate) => candidate.messageId === messageId);
    if (message === undefined || !message.inFlight) {
      throw new Error(`sqs-server: message ${messageId} is not in flight`);
    }
    return message;
  }

  function fail(messageIds: readonly string[], visibleAt?: number): void {
    for (const messageId of messageIds) {
      const message = inFlight(messageId);
      message.inFlight = false;
      if (message.receiveCount >= maxReceiveCount) {
        queue = queue.filter((candidate) => candidate !== message);
        dead.push(message);
      } else {
        message.visibleAt = visibleAt ?? clock();
      }
    }
  }

  function succeed(messageIds: readonly string[]): void {
    for (const messageId of messageIds) {
      const message = inFlight(messageId);
      queue = queue.filter((candidate) => candidate !== message);
    }
  }

  return {
    endpoint: server.endpoint,
    calls: server.calls,
    inject: server.inject,
    stop: server.stop,
    queueUrl: `${server.endpoint}${queuePath}`,
    queueArn,
    deadLetterQueueArn,
    messages: () => queue.map((message) => structuredClone(message)),
    receive(maxMessages = 10, now = clock()) {
      const due = queue
        .filter((message) => !message.inFlight && message.visibleAt <= now)
        .slice(0, maxMessages);
      return due.map((message): SQSRecord => {
        message.inFlight = true;
        message.receiveCount += 1;
        message.firstReceiveTimestamp ??= now;
        const receiptHandle = Buffer.from(`${message.messageId}:${randomUUID()}`).toString(
          'base64',
        );
        return {
          messageId: message.messageId,
          receiptHandle,
          body: message.body,
          attributes: {
            ApproximateReceiveCount: String(message.receiveCount),
            SentTimestamp: String(message.sentTimestamp),
            SenderId: SENDER_ID,
            ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp),
          },
          messageAttributes: toLambdaAttributes(message.messageAttributes),
          md5OfBody: message.md5OfBody,
          ...(message.md5OfMessageAttributes === undefined
            ? {}
            : { md5OfMessageAttributes: message.md5OfMessageAttributes }),
          eventSource: 'aws:sqs',
          eventSourceARN: queueArn,
          awsRegion: region,
        };
      });
    },
    fail,
    succeed,
    settle(records, outcome, visibleAt) {
      const ids = records.map((record) => record.messageId);
      if (outcome === 'error') {
        fail(ids, visibleAt);
        return;
      }
      const failed = new Set((outcome?.batchItemFailures ?? []).map((item) => item.itemIdentifier));
      // Lambda fails the whole batch when an identifier is empty or not one of its records.
      if ([...failed].some((id) => !ids.includes(id))) {
        fail(ids, visibleAt);
        return;
      }
      fail(
        ids.filter((id) => failed.has(id)),
        visibleAt,
      );
      succeed(ids.filter((id) => !failed.has(id)));
    },
    deadLetters: () => dead.map((message) => structuredClone(message)),
    rejectEntries(count, rejection) {
      for (let index = 0; index < count; index++) rejections.push(rejection);
    },
  };
}

export type { EntryRejection, SqsServer, SqsServerOptions, StoredMessage, WireAttribute };
export { startSqsServer };

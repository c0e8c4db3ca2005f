import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readForm, sendQueryError, sendXml } from './aws-query.ts';
import { dropConnection, serveLocal } from './local-http.ts';

/*
 * An in-memory SNS that answers Publish over the awsQuery protocol the SDK's SNSClient speaks:
 * POST / with a form body (`Action=Publish&TopicArn=…&Message=…&Subject=…&MessageAttributes.entry.N…`),
 * an XML PublishResponse with a MessageId back, errors as an XML ErrorResponse whose <Code> the SDK
 * maps to its exception class (`KMSAccessDenied` → KMSAccessDeniedException). It records every
 * published message (subject, body, attributes) and checks what SNS checks: the subject (under
 * 100 characters, no line breaks or control characters), the 256 KiB size limit, at most 10
 * message attributes with non-empty values. SigV4 is not checked. It binds 127.0.0.1 on a free
 * port only.
 *
 * Faults are scripted like the other servers' (`inject`, used in order, `times` may be
 * `Infinity`; `clear` drops them). What the SDK (standard retry strategy) does with each:
 *
 * | kind                  | wire                                 | SDK retries? | why                         |
 * | --------------------- | ------------------------------------ | ------------ | --------------------------- |
 * | `throttle`            | 400 Sender `Throttling`              | yes          | `Throttling` is a throttling code |
 * | `throttled`           | 429 Sender `Throttled`               | yes          | HTTP 429 (ThrottledException) |
 * | `server-error`        | 500 Receiver `InternalError`         | yes          | HTTP 500                    |
 * | `kms-throttling`      | 400 Sender `KMSThrottling`           | no           | 400, not a throttling code  |
 * | `kms-access-denied`   | 400 Sender `KMSAccessDenied`         | no           |                             |
 * | `kms-disabled`        | 400 Sender `KMSDisabled`             | no           |                             |
 * | `authorization-error` | 403 Sender `AuthorizationError`      | no           |                             |
 * | `reset`               | socket destroyed before an answer    | yes          | ECONNRESET                  |
 * | `timeout`             | never answered (until `stop`)        | only with a requestTimeout on the client |
 * | `lost-response`       | published, then the socket destroyed | yes: publishes twice | the answer never arrived |
 */

const NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** SNS's limit for a message: body plus attribute names, types and values. */
const MAX_MESSAGE_BYTES = 262_144;
const MAX_ATTRIBUTES = 10;
const SUBJECT_LIMIT = 100;
const CONTROL = /[\u0000-\u001f\u007f]/;

type SnsFaultKind =
  | 'throttle'
  | 'throttled'
  | 'server-error'
  | 'kms-throttling'
  | 'kms-access-denied'
  | 'kms-disabled'
  | 'authorization-error'
  | 'reset'
  | 'timeout'
  | 'lost-response'
  | { readonly code: string; readonly status?: number; readonly message?: string };

/** A scripted fault: the next `times` calls of `operation` (or of any, with `*`) get it. */
interface SnsFault {
  readonly operation: string;
  /** How many calls fail; `Infinity` for every call until `clear()`. */
  readonly times: number;
  readonly kind: SnsFaultKind;
  /** Only calls naming this topic get it (e.g. the chat topic alone refuses). */
  readonly topicArn?: string;
}

/** A message attribute as Publish carried it. */
interface SnsAttribute {
  readonly dataType: string;
  readonly stringValue?: string;
  readonly binaryValue?: string;
}

/** One message SNS accepted, in the order they were accepted. */
interface PublishedMessage {
  readonly messageId: string;
  readonly topicArn: string;
  /** The Subject, or '' when the request had none. */
  readonly subject: string;
  /** The Message body. */
  readonly message: string;
  readonly attributes: Readonly<Record<string, SnsAttribute>>;
}

/** One request the server received, faulted or not, in arrival order. */
interface SnsCall {
  readonly operation: string;
  readonly params: Readonly<Record<string, string>>;
  /** The scripted fault that answered it, if any. */
  readonly fault: SnsFaultKind | undefined;
}

interface SnsServerOptions {
  /** When set, Publish to any other topic fails with NotFound, as SNS does. */
  readonly topicArn?: string | undefined;
  /** More topics that exist besides `topicArn` (the chat topic). */
  readonly moreTopicArns?: readonly string[] | undefined;
}

interface SnsServer {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_SNS or the client's `endpoint`. */
  readonly endpoint: string;
  /** Every request received, in order (a live array). */
  readonly calls: readonly SnsCall[];
  /** Every message accepted, in order (a live array). */
  readonly published: readonly PublishedMessage[];
  /** Scripts a fault; several faults are used in the order they were injected. */
  inject(fault: SnsFault): void;
  /** Drops every scripted fault not used up yet. */
  clear(): void;
  /** Closes the server and every open connection, including ones held by 'timeout'. */
  stop(): Promise<void>;
}

/** A modelled SNS error: status, `<Type>` and `<Code>`. */
interface WireError {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

const FAULT_ERRORS: Readonly<Record<string, WireError>> = {
  throttle: { status: 400, code: 'Throttling', message: 'Rate exceeded' },
  throttled: { status: 429, code: 'Throttled', message: 'Rate exceeded' },
  'server-error': { status: 500, code: 'InternalError', message: 'Internal error' },
  'kms-throttling': {
    status: 400,
    code: 'KMSThrottling',
    message: 'The request was denied due to request throttling by AWS KMS.',
  },
  'kms-access-denied': {
    status: 400,
    code: 'KMSAccessDenied',
    message:
      'The ciphertext references a key that doesn\u2019t exist or that you don\u2019t have access to.',
  },
  'kms-disabled': {
    status: 400,
    code: 'KMSDisabled',
    message: 'The request was rejected because the specified AWS KMS key isn\u2019t enabled.',
  },
  'authorization-error': {
    status: 403,
    code: 'AuthorizationError',
    message: 'User is not authorized to perform: SNS:Publish on resource',
  },
};

function sendError(response: ServerResponse, error: WireError): void {
  sendQueryError(response, NAMESPACE, error);
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` → attributes. */
function attributesOf(params: Readonly<Record<string, string>>): Record<string, SnsAttribute> {
  const entries = new Map<string, Record<string, string>>();
  for (const [key, value] of Object.entries(params)) {
    const match = /^MessageAttributes\.entry\.(\d+)\.(.+)$/.exec(key);
    if (match === null) continue;
    const [, index = '', field = ''] = match;
    const entry = entries.get(index) ?? {};
    entry[field] = value;
    entries.set(index, entry);
  }
  const attributes: Record<string, SnsAttribute> = {};
  for (const entry of entries.values()) {
    const name = entry['Name'] ?? '';
    attributes[name] = {
      dataType: entry['Value.DataType'] ?? '',
      ...(entry['Value.StringValue'] === undefined
        ? {}
        : { stringValue: entry['Value.StringValue'] }),
      ...(entry['Value.BinaryValue'] === undefined
        ? {}
        : { binaryValue: entry['Value.BinaryValue'] }),
    };
  }
  return attributes;
}

const invalid = (message: string): WireError => ({
  status: 400,
  code: 'InvalidParameter',
  message,
});

/** What SNS would refuse in this Publish, or undefined when it takes it. */
function publishProblem(
  params: Readonly<Record<string, string>>,
  attributes: Readonly<Record<string, SnsAttribute>>,
  topicArns: readonly string[] | undefined,
): WireError | undefined {
  const target = params['TopicArn'] ?? params['TargetArn'];
  if (target === undefined || target === '') {
    return invalid(
      'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
    );
  }
  if (topicArns !== undefined && !topicArns.includes(target)) {
    return { status: 404, code: 'NotFound', message: 'Topic does not exist' };
  }
  const message = params['Message'];
  if (message === undefined || message === '') {
    return invalid('Invalid parameter: Empty message');
  }
  const subject = params['Subject'];
  if (subject !== undefined) {
    if (subject.length === 0 || subject.length >= SUBJECT_LIMIT || CONTROL.test(subject)) {
      return invalid('Invalid parameter: Subject');
    }
  }
  const names = Object.keys(attributes);
  if (names.length > MAX_ATTRIBUTES) {
    return invalid(`Invalid parameter: MessageAttributes: more than ${MAX_ATTRIBUTES}`);
  }
  let bytes = Buffer.byteLength(message);
  for (const name of names) {
    const attribute = attributes[name] as SnsAttribute;
    const value = attribute.stringValue ?? attribute.binaryValue ?? '';
    if (name === '' || !/^(String|Number|Binary)(\..+)?$/.test(attribute.dataType)) {
      return invalid(`Invalid parameter: MessageAttributes: ${name} has an invalid DataType`);
    }
    if (value === '') {
      return invalid(`Invalid parameter: MessageAttributes: ${name} must have a non-empty value`);
    }
    if (attribute.dataType === 'String.Array') {
      try {
        if (!Array.isArray(JSON.parse(value))) throw new TypeError('not an array');
      } catch {
        return invalid(`Invalid parameter: MessageAttributes: ${name} is not a JSON array`);
      }
    }
    bytes += Buffer.byteLength(name) + Buffer.byteLength(attribute.dataType);
    bytes += Buffer.byteLength(value);
  }
  if (bytes > MAX_MESSAGE_BYTES) return invalid('Invalid parameter: Message too long');
  return undefined;
}

/** Starts the in-memory SNS; `stop()` discards what it recorded. */
async function startSnsServer(options: SnsServerOptions = {}): Promise<SnsServer> {
  const calls: SnsCall[] = [];
  const published: PublishedMessage[] = [];
  const faults: {
    operation: string;
    remaining: number;
    kind: SnsFaultKind;
    topicArn: string | undefined;
  }[] = [];
  const topicArns =
    options.topicArn === undefined
      ? undefined
      : [options.topicArn, ...(options.moreTopicArns ?? [])];

  function takeFault(
    operation: string,
    params: Readonly<Record<string, string>>,
  ): SnsFaultKind | undefined {
    const index = faults.findIndex(
      (fault) =>
        (fault.operation === operation || fault.operation === '*') &&
        (fault.topicArn === undefined || fault.topicArn === params['TopicArn']),
    );
    const fault = faults[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(index, 1);
    return fault.kind;
  }

  /** Publishes; returns the MessageId, or the error SNS would answer. */
  function publish(params: Readonly<Record<string, string>>): string | WireError {
    const attributes = attributesOf(params);
    const problem = publishProblem(params, attributes, topicArns);
    if (problem !== undefined) return problem;
    const messageId = randomUUID();
    published.push({
      messageId,
      topicArn: params['TopicArn'] ?? params['TargetArn'] ?? '',
      subject: params['Subject'] ?? '',
      message: params['Message'] ?? '',
      attributes,
    });
    return messageId;
  }

  function answerPublish(response: ServerResponse, params: Readonly<Record<string, string>>) {
    const result = publish(params);
    if (typeof result !== 'string') {
      sendError(response, result);
      return;
    }
    sendXml(
      response,
      200,
      `<PublishResponse xmlns="${NAMESPACE}"><PublishResult><MessageId>${result}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    );
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const params = await readForm(request);
    const operation = params['Action'] ?? '';
    const fault = takeFault(operation, params);
    calls.push({ operation, params, fault });
    if (request.method !== 'POST') {
      sendError(response, invalid('awsQuery requests are POST /'));
      return;
    }
    if (fault === 'timeout') return; // Never answered; stop() closes the socket.
    if (fault === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault === 'lost-response') {
      if (operation === 'Publish') publish(params);
      request.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      const error =
        typeof fault === 'string'
          ? (FAULT_ERRORS[fault] as WireError)
          : {
              status: fault.status ?? 400,
              code: fault.code,
              message: fault.message ?? `scripted ${fault.code}`,
            };
      sendError(response, error);
      return;
    }
    if (operation !== 'Publish') {
      sendError(response, invalid(`${operation} is not supported by this test server`));
      return;
    }
    answerPublish(response, params);
  }

  const server = await serveLocal(handle, dropConnection);

  return {
    endpoint: server.endpoint,
    calls,
    published,
    inject(fault: SnsFault): void {
      if (!(fault.times > 0)) throw new RangeError('a fault needs times > 0');
      faults.push({
        operation: fault.operation,
        remaining: fault.times,
        kind: fault.kind,
        topicArn: fault.topicArn,
      });
    },
    clear(): void {
      faults.length = 0;
    },
    stop: server.stop,
  };
}

export type {
  PublishedMessage,
  SnsAttribute,
  SnsCall,
  SnsFault,
  SnsFaultKind,
  SnsServer,
  SnsServerOptions,
};
export { startSnsServer };

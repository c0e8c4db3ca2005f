import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveLocal } from './local-http.ts';

/*
 * A tiny HTTP server speaking the AWS JSON protocol (Smithy awsJson1_0 / awsJson1_1), for
 * integration tests that run the real SDK clients: POST / with `X-Amz-Target:
 * <targetPrefix>.<Operation>` and `Content-Type: application/x-amz-json-<version>`, a JSON body
 * in and out, errors as JSON with a `__type` discriminator. SigV4 is not checked (any
 * Authorization is accepted). It binds 127.0.0.1 on a free port only.
 */

/** A modelled error a handler throws; the server answers it as the service would. */
class AwsJsonError extends Error {
  public readonly type: string;
  public readonly status: number;
  public readonly fields: Readonly<Record<string, unknown>>;

  /**
   * @param type The error shape name (`__type`), e.g. `BadRequest`.
   * @param fields Extra members of the error shape, e.g. `{ Parameter: 'Report' }`.
   */
  public constructor(
    type: string,
    message: string,
    status = 400,
    fields: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'AwsJsonError';
    this.type = type;
    this.status = status;
    this.fields = fields;
  }
}

type Handler = (input: Record<string, unknown>) => unknown;

type FaultKind =
  | 'throttle'
  | 'server-error'
  | 'reset'
  | 'timeout'
  | { readonly type: string; readonly status?: number; readonly message: string };

/** A scripted fault: the next `times` calls of `operation` (or of any, with `*`) get it. */
interface Fault {
  readonly operation: string;
  /** How many calls fail; `Infinity` for every call. */
  readonly times: number;
  readonly kind: FaultKind;
}

/** One request the server received, faulted or not, in arrival order. */
interface Call {
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The scripted fault that answered it, if any. */
  readonly fault: FaultKind | undefined;
}

interface AwsJsonServerOptions {
  /** e.g. `AWSSimbaAPIService_v20180301` (FSx) or `AmazonSQS`. */
  readonly targetPrefix: string;
  readonly jsonVersion: '1.0' | '1.1';
  readonly handlers: Readonly<Record<string, Handler>>;
  /**
   * Prefix for `__type`, e.g. `com.amazonaws.sqs#` (SQS sends namespaced types; FSx sends the
   * bare shape name, which awsJson1_1 servers SHOULD do).
   */
  readonly typePrefix?: string;
  /** Name of the message member: FSx shapes have `Message`, SQS `message`. */
  readonly messageField?: 'Message' | 'message';
  /** The `__type` of a 'server-error' fault; `InternalServerError` unless set. */
  readonly serverErrorType?: string;
  /**
   * For awsQueryCompatible services (SQS): maps an error type to its query error code, sent as
   * `x-amzn-query-error: <code>;Sender|Receiver`, e.g. QueueDoesNotExist →
   * `AWS.SimpleQueueService.NonExistentQueue`.
   */
  readonly queryErrorCodes?: Readonly<Record<string, string>>;
}

interface AwsJsonServer {
  /** `http://127.0.0.1:<port>`, for the SDK client's `endpoint`. */
  readonly endpoint: string;
  /** Every request received, in order (a live array: read it after the calls). */
  readonly calls: readonly Call[];
  /** Scripts a fault; several faults are used in the order they were injected. */
  inject(fault: Fault): void;
  /** Closes the server and every open connection, including ones held by 'timeout'. */
  stop(): Promise<void>;
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Starts the server. Handlers get the parsed JSON input and return the output (or a promise of
 * it); a thrown AwsJsonError becomes that modelled error, anything else an InternalFailure 500.
 */
async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const contentType = `application/x-amz-json-${options.jsonVersion}`;
  const messageField = options.messageField ?? 'Message';
  const typePrefix = options.typePrefix ?? '';
  const calls: Call[] = [];
  const faults: { operation: string; remaining: number; kind: FaultKind }[] = [];

  function sendError(
    response: ServerResponse,
    type: string,
    message: string,
    status: number,
    fields: Readonly<Record<string, unknown>> = {},
  ): void {
    const headers: Record<string, string> = { 'content-type': contentType };
    const queryCode = options.queryErrorCodes?.[type];
    if (queryCode !== undefined) {
      headers['x-amzn-query-error'] = `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}`;
    }
    sendJson(
      response,
      status,
      { __type: `${typePrefix}${type}`, [messageField]: message, ...fields },
      headers,
    );
  }

  function takeFault(operation: string): FaultKind | undefined {
    const index = faults.findIndex(
      (fault) => fault.operation === operation || fault.operation === '*',
    );
    const fault = faults[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(index, 1);
    return fault.kind;
  }

  function answerFault(request: IncomingMessage, response: ServerResponse, kind: FaultKind): void {
    if (kind === 'timeout') return; // Never answered; stop() closes the socket.
    if (kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (kind === 'throttle') {
      sendError(response, 'ThrottlingException', 'Rate exceeded', 400);
      return;
    }
    if (kind === 'server-error') {
      const type = options.serverErrorType ?? 'InternalServerError';
      sendError(response, type, 'We encountered an internal error. Please try again.', 500);
      return;
    }
    sendError(response, kind.type, kind.message, kind.status ?? 400);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readBody(request);
    const target = request.headers['x-amz-target'];
    const prefix = `${options.targetPrefix}.`;
    if (request.method !== 'POST' || (request.url ?? '/') !== '/') {
      sendError(response, 'UnknownOperationException', 'awsJson requests are POST /', 404);
      return;
    }
    if (typeof target !== 'string' || !target.startsWith(prefix)) {
      sendError(response, 'UnknownOperationException', `X-Amz-Target is not ${prefix}*`, 400);
      return;
    }
    const operation = target.slice(prefix.length);
    if (request.headers['content-type']?.split(';', 1)[0]?.trim() !== contentType) {
      sendError(response, 'SerializationException', `Content-Type is not ${contentType}`, 400);
      return;
    }
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text.length === 0 ? '{}' : text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new TypeError('the body is not a JSON object');
      }
      input = parsed as Record<string, unknown>;
    } catch (error) {
      sendError(response, 'SerializationException', String(error), 400);
      return;
    }
    const fault = takeFault(operation);
    calls.push({ operation, input, headers: { ...request.headers }, fault });
    if (fault !== undefined) {
      answerFault(request, response, fault);
      return;
    }
    const handler = options.handlers[operation];
    if (handler === undefined) {
      sendError(response, 'UnknownOperationException', `${operation} is not supported`, 400);
      return;
    }
    try {
      const output = await handler(input);
      sendJson(response, 200, output ?? {}, { 'content-type': contentType });
    } catch (error) {
      if (error instanceof AwsJsonError) {
        sendError(response, error.type, error.message, error.status, error.fields);
      } else {
        sendError(response, 'InternalFailure', String(error), 500);
      }
    }
  }

  const server = await serveLocal(handle, (_request, response, error) => {
    if (!response.headersSent) sendError(response, 'InternalFailure', String(error), 500);
  });

  return {
    endpoint: server.endpoint,
    calls,
    inject(fault: Fault): void {
      if (!(fault.times > 0)) throw new RangeError('a fault needs times > 0');
      faults.push({ operation: fault.operation, remaining: fault.times, kind: fault.kind });
    },
    stop: server.stop,
  };
}

export type { AwsJsonServer, AwsJsonServerOptions, Call, Fault, FaultKind, Handler };
export { AwsJsonError, startAwsJsonServer };

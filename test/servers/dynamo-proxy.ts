import { randomUUID } from 'node:crypto';
import {
  Agent,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { dropConnection, serveLocal } from './local-http.ts';

/*
 * A fault-injecting HTTP proxy for AWS JSON protocol services (awsJson1_0 / awsJson1_1): it sits
 * between the real SDK client and a local server (dynalite, or the FSx and SQS test servers),
 * forwards every request unchanged, and answers scripted faults in the service's own error
 * dialect instead. The operation is read from `X-Amz-Target: <prefix>.<Operation>`, the input from
 * the JSON body, so a fault can target one operation, or one item (`match`), e.g. only the
 * idempotency record's UpdateItem. It logs every call with the upstream status and error type, so
 * a test can see that a conditional write really lost a race. It binds 127.0.0.1 only.
 *
 * Fault kinds:
 * - `throttle`, `server-error`: the dialect's throttling (400) and internal (500) errors, which
 *   the SDK retries;
 * - `{ type, status, message }`: any modelled error, e.g. `ConditionalCheckFailedException`;
 * - `reset`: the socket is destroyed before anything is forwarded (ECONNRESET);
 * - `timeout`: the request is never answered (until `stop`): only a client requestTimeout ends it;
 * - `lost-response`: the request IS forwarded and done upstream, then the socket is destroyed
 *   before the answer reaches the client, which retries a request that already took effect.
 */

/** How a service spells its errors on the wire. */
interface Dialect {
  readonly contentType: string;
  /** Prefix of `__type`, e.g. `com.amazonaws.dynamodb.v20120810#`. */
  readonly typePrefix: string;
  readonly messageField: 'message' | 'Message';
  readonly throttleType: string;
  readonly serverErrorType: string;
  /** awsQueryCompatible services (SQS) also send `x-amzn-query-error: <code>;Sender|Receiver`. */
  readonly queryErrorCodes?: Readonly<Record<string, string>>;
}

const DYNAMODB: Dialect = {
  contentType: 'application/x-amz-json-1.0',
  typePrefix: 'com.amazonaws.dynamodb.v20120810#',
  messageField: 'message',
  throttleType: 'ThrottlingException',
  serverErrorType: 'InternalServerError',
};

const FSX: Dialect = {
  contentType: 'application/x-amz-json-1.1',
  typePrefix: '',
  messageField: 'Message',
  throttleType: 'ThrottlingException',
  serverErrorType: 'InternalServerError',
};

const SQS: Dialect = {
  contentType: 'application/x-amz-json-1.0',
  typePrefix: 'com.amazonaws.sqs#',
  messageField: 'message',
  throttleType: 'ThrottlingException',
  serverErrorType: 'InternalFailure',
  queryErrorCodes: {
    InternalFailure: 'InternalFailure',
    ThrottlingException: 'ThrottlingException',
  },
};

type ProxyFaultKind =
  | 'throttle'
  | 'server-error'
  | 'reset'
  | 'timeout'
  | 'lost-response'
  | { readonly type: string; readonly status?: number; readonly message?: string };

/** A scripted fault: the next `times` matching calls of `operation` (or any, with `*`) get it. */
interface ProxyFault {
  readonly operation: string;
  /** How many calls fail; `Infinity` for every call until `clear()`. */
  readonly times: number;
  readonly kind: ProxyFaultKind;
  /** Only calls whose JSON input this accepts; every call of the operation when absent. */
  readonly match?: (input: Readonly<Record<string, unknown>>) => boolean;
}

/** One request the proxy received, in arrival order. */
interface ProxyCall {
  readonly operation: string;
  readonly input: Readonly<Record<string, unknown>>;
  /** The scripted fault that answered it, if any. */
  readonly fault: ProxyFaultKind | undefined;
  /** The upstream HTTP status; undefined when a fault answered before forwarding. */
  status: number | undefined;
  /** The upstream error's `__type` without its namespace, e.g. `ConditionalCheckFailedException`. */
  errorType: string | undefined;
}

interface FaultProxy {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_<SERVICE> or the client's `endpoint`. */
  readonly endpoint: string;
  /** Every call, in order (a live array). */
  readonly calls: readonly ProxyCall[];
  /** Scripts a fault; several faults are used in the order they were injected. */
  inject(fault: ProxyFault): void;
  /** Drops every scripted fault not used up yet. */
  clear(): void;
  /** Closes the proxy and every connection, including held ones. */
  stop(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseInput(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function errorTypeOf(status: number, body: Buffer): string | undefined {
  if (status < 400) return undefined;
  try {
    const type = (JSON.parse(body.toString('utf8')) as { __type?: unknown }).__type;
    return typeof type === 'string' ? (type.split('#').at(-1) ?? type) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a proxy in front of `target` (`http://127.0.0.1:<port>` of dynalite or a test server)
 * that speaks `dialect` when it answers a fault itself.
 */
async function startFaultProxy(target: string, dialect: Dialect): Promise<FaultProxy> {
  const calls: ProxyCall[] = [];
  const faults: {
    operation: string;
    remaining: number;
    kind: ProxyFaultKind;
    match: ProxyFault['match'];
  }[] = [];
  // Keep-alive upstream, so a busy test does not open a connection per request.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  function takeFault(
    operation: string,
    input: Readonly<Record<string, unknown>>,
  ): ProxyFaultKind | undefined {
    const index = faults.findIndex(
      (fault) =>
        (fault.operation === operation || fault.operation === '*') &&
        (fault.match === undefined || fault.match(input)),
    );
    const fault = faults[index];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(index, 1);
    return fault.kind;
  }

  function sendError(response: ServerResponse, type: string, status: number, message: string) {
    const headers: Record<string, string> = {
      'content-type': dialect.contentType,
      'x-amzn-requestid': randomUUID(),
    };
    const queryCode = dialect.queryErrorCodes?.[type];
    if (queryCode !== undefined) {
      headers['x-amzn-query-error'] = `${queryCode};${status >= 500 ? 'Receiver' : 'Sender'}`;
    }
    const text = JSON.stringify({
      __type: `${dialect.typePrefix}${type}`,
      [dialect.messageField]: message,
    });
    headers['content-length'] = String(Buffer.byteLength(text));
    response.writeHead(status, headers);
    response.end(text);
  }

  /** Forwards the request; resolves with the upstream answer (status, headers, body). */
  function forward(request: IncomingMessage, body: Buffer) {
    return new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>(
      (resolve, reject) => {
        const upstream = httpRequest(
          `${target}${request.url ?? '/'}`,
          { method: request.method, headers: request.headers, agent },
          (answer) => {
            readBody(answer).then(
              (data) =>
                resolve({ status: answer.statusCode ?? 500, headers: answer.headers, body: data }),
              reject,
            );
          },
        );
        upstream.on('error', reject);
        upstream.end(body);
      },
    );
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const input = parseInput(body);
    const fault = takeFault(operation, input);
    const call: ProxyCall = { operation, input, fault, status: undefined, errorType: undefined };
    calls.push(call);
    if (fault === 'timeout') return; // Never answered; stop() closes the socket.
    if (fault === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault === 'throttle') {
      sendError(response, dialect.throttleType, 400, 'Rate exceeded');
      return;
    }
    if (fault === 'server-error') {
      sendError(response, dialect.serverErrorType, 500, 'We encountered an internal error.');
      return;
    }
    if (fault !== undefined && fault !== 'lost-response') {
      sendError(
        response,
        fault.type,
        fault.status ?? 400,
        fault.message ?? `scripted ${fault.type}`,
      );
      return;
    }
    const answer = await forward(request, body);
    call.status = answer.status;
    call.errorType = errorTypeOf(answer.status, answer.body);
    if (fault === 'lost-response') {
      request.socket.destroy();
      return;
    }
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  }

  const server = await serveLocal(handle, dropConnection);

  return {
    endpoint: server.endpoint,
    calls,
    inject(fault: ProxyFault): void {
      if (!(fault.times > 0)) throw new RangeError('a fault needs times > 0');
      faults.push({
        operation: fault.operation,
        remaining: fault.times,
        kind: fault.kind,
        match: fault.match,
      });
    },
    clear(): void {
      faults.length = 0;
    },
    async stop(): Promise<void> {
      agent.destroy();
      await server.stop();
    },
  };
}

/** The proxy in front of dynalite, answering faults as DynamoDB does. */
function startDynamoProxy(target: string): Promise<FaultProxy> {
  return startFaultProxy(target, DYNAMODB);
}

export type { Dialect, FaultProxy, ProxyCall, ProxyFault, ProxyFaultKind };
export { DYNAMODB, FSX, SQS, startDynamoProxy, startFaultProxy };

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dropConnection, serveLocal } from './local-http.ts';

/*
 * An in-memory S3 that answers GetObject, path-style only (`GET /<bucket>/<key>`: the SDK uses
 * path-style for an endpoint that is an IP address), as the REST protocol the SDK's S3Client
 * speaks: the object's bytes, a `Range: bytes=a-b` answered 206 with Content-Range (and 416
 * InvalidRange for an empty object, as S3 does), and errors as S3's REST XML `<Error>` with
 * `<Code>`, which the SDK turns into the error's `name`. SigV4 is not checked. It binds 127.0.0.1
 * on a free port only.
 *
 * Faults per key (`fail`), until `clear`; a key never put answers NoSuchKey, a bucket never put
 * NoSuchBucket. What the SDK (standard retry strategy) does with each:
 *
 * | fault                   | wire                       | SDK retries? |
 * | ----------------------- | -------------------------- | ------------ |
 * | `AccessDenied`          | 403 `AccessDenied`         | no           |
 * | `KMS.DisabledException` | 400 `KMS.DisabledException` (any `KMS.*` code) | no |
 * | `SlowDown`              | 503 `SlowDown`             | yes          |
 * | `reset`                 | socket destroyed           | yes          |
 */

type S3Fault =
  | 'AccessDenied'
  | 'SlowDown'
  | 'reset'
  | `KMS.${string}`
  | { code: string; status: number; message: string };

/** One request the server received, in arrival order. */
interface S3Call {
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly range: string | undefined;
}

interface S3Server {
  readonly endpoint: string;
  readonly calls: readonly S3Call[];
  /** Stores an object (creating its bucket). */
  put(bucket: string, key: string, body: string | Uint8Array): void;
  /** Creates an empty bucket. */
  createBucket(bucket: string): void;
  /** Every GetObject of this key gets the fault, until `clear`. */
  fail(bucket: string, key: string, fault: S3Fault): void;
  clear(): void;
  stop(): Promise<void>;
}

const MESSAGES: Readonly<Record<string, readonly [number, string]>> = {
  NoSuchKey: [404, 'The specified key does not exist.'],
  NoSuchBucket: [404, 'The specified bucket does not exist'],
  AccessDenied: [403, 'Access Denied'],
  SlowDown: [503, 'Please reduce your request rate.'],
  InvalidRange: [416, 'The requested range is not satisfiable'],
  MethodNotAllowed: [405, 'The specified method is not allowed against this resource.'],
};

function xmlEscape(text: string): string {
  return text.replace(/[<>&'"]/g, (char) => `&#${char.charCodeAt(0)};`);
}

function sendError(
  response: ServerResponse,
  code: string,
  key: string,
  status?: number,
  message?: string,
): void {
  const [defaultStatus, defaultMessage] = MESSAGES[code] ?? [400, code];
  response.writeHead(status ?? defaultStatus, { 'content-type': 'application/xml' });
  response.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message ?? defaultMessage)}</Message><Key>${xmlEscape(key)}</Key><RequestId>${randomUUID()}</RequestId></Error>`,
  );
}

/** Starts the server; `stop()` closes it. */
async function startS3Server(): Promise<S3Server> {
  const buckets = new Map<string, Map<string, Uint8Array>>();
  const faults = new Map<string, S3Fault>();
  const calls: S3Call[] = [];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [, rawBucket = '', ...rest] = url.pathname.split('/');
    const bucket = decodeURIComponent(rawBucket);
    const key = rest.map((part) => decodeURIComponent(part)).join('/');
    const range = request.headers.range;
    calls.push({ method: request.method ?? '', bucket, key, range });
    for await (const _ of request) {
      // drain
    }
    if (request.method !== 'GET' || key === '') return sendError(response, 'MethodNotAllowed', key);
    const fault = faults.get(`${bucket}/${key}`);
    if (fault === 'reset') return dropConnection(request);
    if (typeof fault === 'object')
      return sendError(response, fault.code, key, fault.status, fault.message);
    if (fault !== undefined) {
      return sendError(
        response,
        fault,
        key,
        fault.startsWith('KMS.') ? 400 : undefined,
        fault.startsWith('KMS.') ? 'The KMS key is not usable' : undefined,
      );
    }
    const objects = buckets.get(bucket);
    if (objects === undefined) return sendError(response, 'NoSuchBucket', key);
    const body = objects.get(key);
    if (body === undefined) return sendError(response, 'NoSuchKey', key);
    const match = range === undefined ? null : /^bytes=(\d+)-(\d*)$/.exec(range);
    if (match === null) {
      response.writeHead(200, { 'content-length': body.byteLength, 'content-type': 'text/csv' });
      response.end(body);
      return;
    }
    const start = Number(match[1]);
    if (start >= body.byteLength) return sendError(response, 'InvalidRange', key);
    const end = Math.min(
      match[2] === '' ? body.byteLength - 1 : Number(match[2]),
      body.byteLength - 1,
    );
    const part = body.subarray(start, end + 1);
    response.writeHead(206, {
      'content-length': part.byteLength,
      'content-range': `bytes ${start}-${end}/${body.byteLength}`,
      'content-type': 'text/csv',
    });
    response.end(part);
  }

  const server = await serveLocal(handle, (_request, response, error) => {
    sendError(response, 'InternalError', '', 500, String(error));
  });
  return {
    endpoint: server.endpoint,
    calls,
    put(bucket, key, body) {
      const objects = buckets.get(bucket) ?? new Map<string, Uint8Array>();
      objects.set(key, typeof body === 'string' ? Buffer.from(body) : body);
      buckets.set(bucket, objects);
    },
    createBucket(bucket) {
      if (!buckets.has(bucket)) buckets.set(bucket, new Map());
    },
    fail(bucket, key, fault) {
      faults.set(`${bucket}/${key}`, fault);
    },
    clear() {
      faults.clear();
    },
    stop: () => server.stop(),
  };
}

export type { S3Call, S3Fault, S3Server };
export { startS3Server };

import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
// zod/mini keeps the Lambda bundle small; the messages are ours, so no locale is needed.
import * as z from 'zod/mini';
import { chunkBySize } from '../common/chunks.ts';
import { AnalyzerError } from '../common/errors.ts';
import { FORBIDDEN_PATH_CHARS, MAX_TASK_PATHS } from '../common/fsx.ts';
import type { DeferralPort, DeferredExport } from '../common/ports.ts';
import { truncateEnd } from '../common/text.ts';
import type { FailureClass } from '../common/types.ts';

/*
 * The deferral queue: re-exports that must wait (busy files, a task already executing, throttling)
 * become SQS messages with a delay, and the retrier function consumes them.
 *
 * Sizes. SQS takes at most 256 KiB per message and per SendMessageBatch call (body plus message
 * attributes; AWS raised the limit to 1 MiB in 2025, but 256 KiB is what every queue accepts). A
 * DeferredExport of 100 paths of up to 4096 characters can exceed that, so a message whose body
 * would pass SPLIT_BYTES is split into several messages with disjoint paths; each piece keeps
 * every eventId (they name the log events the whole deferral retries, and the retrier derives its
 * deterministic ClientRequestToken from them and the paths). A message of more than 100 paths is
 * split the same way rather than refused. Batches hold at most 10 entries and 256 KiB in total.
 */

/** SendMessageBatch accepts at most 10 entries. */
const MAX_ENTRIES = 10;
/** A body above this many UTF-8 bytes is split; the margin leaves room for the attributes. */
const SPLIT_BYTES = 200_000;
/** SQS's limit per message and per batch (body plus attribute names, types and values). */
const SQS_MAX_BYTES = 262_144;
const MAX_DELAY_SECONDS = 900;
/** The `reason` attribute is for filtering and consoles: a short copy is enough. */
const MAX_ATTRIBUTE_CHARS = 256;
const MAX_ERROR_TEXT = 300;

/** A deferral could not be enqueued, or a queued body could not be read. */
class DeferralError extends AnalyzerError {
  /** What failed: the first SQS failure code, the SDK error name, or `InvalidDeferredExport`. */
  public readonly code: string;

  public constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeferralError';
    this.code = code;
  }
}

// Every class spelled out: the mapped type fails to compile when FailureClass gains one.
const FAILURE_CLASSES = {
  transient: 'transient',
  busy: 'busy',
  permission: 'permission',
  limit: 'limit',
  skipped: 'skipped',
  report: 'report',
  import: 'import',
  unknown: 'unknown',
} as const satisfies { readonly [K in FailureClass]: K };

const allowedPath = (value: string) => !FORBIDDEN_PATH_CHARS.test(value);
const nonEmpty = (what: string) =>
  z.string({ error: 'is not a string' }).check(z.minLength(1, `${what} is empty`));

const DeferredExportSchema = z.strictObject(
  {
    version: z.literal(1, { error: 'is not 1' }),
    fileSystemId: z
      .string({ error: 'is not a string' })
      .check(z.regex(/^fs-[0-9a-f]{8,}$/, 'is not a file system id (fs-…)')),
    // An empty Paths list would make CreateDataRepositoryTask export the whole file system.
    paths: z
      .array(
        nonEmpty('a path').check(
          z.maxLength(4096, 'is longer than 4096 characters'),
          z.refine(allowedPath, 'contains a line break or NUL'),
        ),
        { error: 'is not an array' },
      )
      .check(z.minLength(1, 'is empty'), z.maxLength(MAX_TASK_PATHS, 'has more than 100 paths')),
    eventIds: z.array(nonEmpty('an event id'), { error: 'is not an array' }),
    classes: z.array(z.enum(FAILURE_CLASSES, { error: 'is not a failure class' }), {
      error: 'is not an array',
    }),
    reason: nonEmpty('the reason'),
    reportPath: z.optional(
      z
        .string({ error: 'is not a string' })
        .check(
          z.minLength(3, 'is shorter than 3 characters'),
          z.maxLength(4357, 'is longer than 4357 characters'),
          z.refine(allowedPath, 'contains a line break or NUL'),
        ),
    ),
    logGroup: z.string({ error: 'is not a string' }),
    logStream: z.string({ error: 'is not a string' }),
    deferredAt: z.iso.datetime({ error: 'is not an ISO-8601 UTC time' }),
    // Organization mode: the member account (docs/organization.md); absent: the home account.
    account: z.optional(
      z
        .string({ error: 'is not a string' })
        .check(z.regex(/^\d{12}$/, 'is not a 12-digit account id')),
    ),
  },
  { error: 'is not a JSON object' },
);

function firstIssue(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'deferred export is invalid';
  if (issue.code === 'unrecognized_keys') {
    return `deferred export has unknown fields: ${issue.keys.join(', ')}`;
  }
  const path = ['deferred export', ...issue.path.map(String)].join('.');
  return `${path} ${issue.message}`;
}

function validate(value: unknown): DeferredExport {
  const result = DeferredExportSchema.safeParse(value);
  if (!result.success) {
    throw new DeferralError(
      truncateEnd(firstIssue(result.error), MAX_ERROR_TEXT),
      'InvalidDeferredExport',
    );
  }
  const data = result.data;
  // Spelled out so `reportPath` is always present (the port's type), even when JSON dropped it.
  return {
    version: data.version,
    fileSystemId: data.fileSystemId,
    paths: data.paths,
    eventIds: data.eventIds,
    classes: data.classes,
    reason: data.reason,
    reportPath: data.reportPath,
    logGroup: data.logGroup,
    logStream: data.logStream,
    deferredAt: data.deferredAt,
    ...(data.account === undefined ? {} : { account: data.account }),
  };
}

/**
 * Reads and validates one queued body (strict shape, version 1, 1–100 paths).
 *
 * @throws DeferralError with a one-line reason when the body is not JSON or not a DeferredExport.
 */
function parseDeferredExport(body: string): DeferredExport {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new DeferralError(
      truncateEnd(`deferred export is not JSON: ${reason.split('\n', 1)[0] ?? ''}`, MAX_ERROR_TEXT),
      'InvalidDeferredExport',
      { cause: error },
    );
  }
  return validate(value);
}

const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * The message body. U+FFFE and U+FFFF are valid in JSON strings but not in SQS messages (which
 * take XML 1.0 characters only), so they are written as escapes; JSON.stringify already escapes
 * control characters and lone surrogates. `reportPath` is left out when undefined.
 */
function serialize(message: DeferredExport): string {
  return JSON.stringify({
    version: message.version,
    fileSystemId: message.fileSystemId,
    paths: message.paths,
    eventIds: message.eventIds,
    classes: message.classes,
    reason: message.reason,
    reportPath: message.reportPath,
    logGroup: message.logGroup,
    logStream: message.logStream,
    deferredAt: message.deferredAt,
    account: message.account,
  }).replace(/[\ufffe\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16)}`);
}

/** Splits a message into pieces of at most 100 paths whose bodies stay under SPLIT_BYTES. */
function split(message: DeferredExport): DeferredExport[] {
  if (message.paths.length <= MAX_TASK_PATHS && byteLength(serialize(message)) <= SPLIT_BYTES) {
    return [message];
  }
  // Each further path adds its JSON string and a comma to the body of the piece without paths.
  const base = byteLength(serialize({ ...message, paths: [] }));
  const cost = (path: string) => byteLength(serialize({ ...message, paths: [path] })) - base + 1;
  return chunkBySize(message.paths, cost, SPLIT_BYTES - base, MAX_TASK_PATHS).map((paths) => ({
    ...message,
    paths,
  }));
}

/** Whole seconds from 0 to 900, the range SQS accepts; rounded up so nothing runs early. */
function clampDelay(seconds: number): number {
  if (Number.isNaN(seconds)) return 0;
  return Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(seconds)));
}

// SQS accepts only XML 1.0 characters in attribute values; anything else would fail the entry.
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

function attributes(message: DeferredExport): Record<string, MessageAttributeValue> {
  const reason = truncateEnd(message.reason.replace(NOT_XML_CHAR, '?'), MAX_ATTRIBUTE_CHARS);
  return {
    fileSystemId: { DataType: 'String', StringValue: message.fileSystemId },
    // SQS rejects an empty attribute value; validation already requires a reason.
    ...(reason.length > 0 ? { reason: { DataType: 'String', StringValue: reason } } : {}),
  };
}

/** One message ready to send, with the bytes SQS counts against its limits. */
interface Entry {
  readonly body: string;
  readonly delaySeconds: number;
  readonly attributes: Record<string, MessageAttributeValue>;
  readonly bytes: number;
}

function toEntry(message: DeferredExport, delaySeconds: number): Entry {
  const body = serialize(message);
  const messageAttributes = attributes(message);
  let bytes = byteLength(body);
  for (const [name, value] of Object.entries(messageAttributes)) {
    bytes += byteLength(name) + byteLength(value.DataType ?? '');
    bytes += byteLength(value.StringValue ?? '');
  }
  return { body, delaySeconds, attributes: messageAttributes, bytes };
}

/** Groups entries into batches of at most 10 entries and 256 KiB, keeping their order. */
function chunk(entries: readonly Entry[]): Entry[][] {
  return chunkBySize(entries, (entry) => entry.bytes, SQS_MAX_BYTES, MAX_ENTRIES);
}

interface Failure {
  readonly entry: Entry;
  readonly code: string;
  readonly message: string;
  readonly senderFault: boolean;
}

function errorCode(error: unknown): string {
  if (error !== null && typeof error === 'object') {
    const { name, code } = error as Record<string, unknown>;
    // A socket error's `code` says what happened (ECONNRESET, ETIMEDOUT); the SDK names even a
    // reset connection `TimeoutError`.
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
    if (typeof name === 'string' && name.length > 0 && name !== 'Error') return name;
  }
  return 'UnexpectedError';
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split(/\r?\n/, 1)[0]?.trim() ?? '';
}

/**
 * Creates the deferral port on an SQS queue. `defer` sends SendMessageBatch calls one after
 * another; entries SQS reports in `Failed` through no fault of the sender are sent once more in a
 * new batch. Whatever is still not accepted, or an SDK error (after the SDK's own retries), throws
 * a DeferralError, so the caller fails and Lambda retries instead of losing a path. Messages
 * accepted before the error stay queued: the retrier and the ledger make a repeat harmless.
 */
// Over 60 lines: the factory's closure is the port, with the batch send and its failure wording.
function createDeferralQueue(client: SQSClient, queueUrl: string): DeferralPort {
  async function send(entries: readonly Entry[]): Promise<Failure[]> {
    const response: SendMessageBatchCommandOutput = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: entries.map((entry, index) => ({
          Id: String(index),
          MessageBody: entry.body,
          DelaySeconds: entry.delaySeconds,
          MessageAttributes: entry.attributes,
        })),
      }),
    );
    const accepted = new Set((response.Successful ?? []).map((result) => result.Id));
    const reported = new Map((response.Failed ?? []).map((result) => [result.Id, result]));
    const failures: Failure[] = [];
    entries.forEach((entry, index) => {
      const id = String(index);
      if (accepted.has(id)) return;
      const failed = reported.get(id);
      failures.push({
        entry,
        // An entry in neither list was not confirmed: treated like a server-side failure.
        code: failed?.Code ?? 'NotConfirmed',
        message: failed?.Message ?? 'SQS did not report this entry',
        senderFault: failed?.SenderFault ?? false,
      });
    });
    return failures;
  }

  function failed(count: number, total: number, detail: string, code: string, cause?: unknown) {
    const message = `could not defer ${count} of ${total} messages to SQS queue ${queueUrl}: ${detail}`;
    return new DeferralError(
      truncateEnd(message.replace(/[\r\n]+/g, ' '), MAX_ERROR_TEXT * 2),
      code,
      cause === undefined ? undefined : { cause },
    );
  }

  async function defer(
    items: readonly { message: DeferredExport; delaySeconds: number }[],
  ): Promise<void> {
    // Everything is split and validated before the first call, so a bad item sends nothing.
    const entries = items.flatMap((item) =>
      split(item.message).map((piece) => toEntry(validate(piece), clampDelay(item.delaySeconds))),
    );
    for (const entry of entries) {
      if (entry.bytes > SQS_MAX_BYTES) {
        throw failed(
          entries.length,
          entries.length,
          `a message is ${entry.bytes} bytes even with a single path; SQS accepts at most ${SQS_MAX_BYTES}`,
          'MessageTooLong',
        );
      }
    }
    let accepted = 0;
    for (const batch of chunk(entries)) {
      let failures: Failure[];
      try {
        failures = await send(batch);
        const retryable = failures.filter((failure) => !failure.senderFault);
        if (retryable.length > 0) {
          // A sender fault (invalid content, too long) fails the same way again; SQS's own
          // trouble (InternalError, throttling of one entry) usually passes on a second try.
          const again = await send(retryable.map((failure) => failure.entry));
          failures = [...failures.filter((failure) => failure.senderFault), ...again];
        }
      } catch (error) {
        throw failed(
          entries.length - accepted,
          entries.length,
          `${errorCode(error)}: ${truncateEnd(firstLine(error), MAX_ERROR_TEXT)}`,
          errorCode(error),
          error,
        );
      }
      const first = failures[0];
      if (first !== undefined) {
        throw failed(
          entries.length - accepted - (batch.length - failures.length),
          entries.length,
          `first failure ${first.code}${first.senderFault ? ' (sender fault)' : ''}: ${truncateEnd(first.message, MAX_ERROR_TEXT)}`,
          first.code,
        );
      }
      accepted += batch.length;
    }
  }

  return { defer };
}

export { createDeferralQueue, DeferralError, parseDeferredExport };

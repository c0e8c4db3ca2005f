import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  type FilterLogEventsCommandInput,
  type FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { logGroupName } from '../common/arn.ts';
import { AnalyzerError } from '../common/errors.ts';
import { fileSystemIdFromStream } from '../common/fsx.ts';
import type { LogWindow, LogWindowPort, LogWindowQuery, ReadOptions } from '../common/ports.ts';
import { sanitize, truncateEnd } from '../common/text.ts';
import type { LogBatch, LogEvent } from '../common/types.ts';
import {
  ACCESS_DENIED,
  BAD_CREDENTIALS,
  credentialsProblem,
  EXPIRED,
  errorField,
  isMissingCredentials,
  isNetworkError,
  THROTTLING,
} from './aws-errors.ts';
import { clientOptions, LONG_READ } from './http.ts';

/*
 * The log window port (LogWindowPort, for the CLI's `scan` and `reexport`): reads a time window
 * of a log group with FilterLogEvents, paging through `nextToken` until it is exhausted, and
 * returns the events as the pipeline's LogBatch[]: one batch per log stream, as a subscription
 * would have delivered them (and as `analyze` reads `aws logs filter-log-events` output).
 *
 * Memory: every event of the window is held until the analysis has run, then its parsed record
 * stays in the report. Measured with 330-character JSON records (200,000 and
 * 1,000,000 synthetic events through this reader and the pipeline): about 1 KB per event once
 * read, 1.3 KB per event at the peak (events plus records). A 1,000,000-event window therefore
 * needs about 1.3 GB of heap, which small machines (CloudShell, a 2 GB container) do not have,
 * so `maxEvents` (default 500,000, about 650 MB) stops the read with a clear error instead of
 * running out of memory; --file-system-id, a shorter window or --max-events (with
 * NODE_OPTIONS=--max-old-space-size=...) changes that. The previous window of `scan` is read
 * with `onPage` and reduced to counts page by page: it holds one page at a time, whatever its size.
 */

/** Default cap on the events of one window (see the memory note above). */
const DEFAULT_MAX_EVENTS = 500_000;
/** FilterLogEvents answers at most 10,000 events (or 1 MB) a page; asking for that is the default. */
const PAGE_LIMIT = 10_000;
const MAX_MESSAGE = 300;
/** Log group names (LOGS-MODEL): 1–512 of `[.\-_/#A-Za-z0-9]`. */
const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const LOG_GROUP_ARN = /^arn:[^:]+:logs:[^:]*:\d{12}:log-group:[.\-_/#A-Za-z0-9]{1,512}(?::\*)?$/;

/**
 * A read that failed after the SDK's retries. `errorName` is the AWS error name; `usage` says the
 * fix lies with the caller's settings (unknown log group, credentials, permissions, Region), as
 * opposed to a service failure (throttling, 5xx, network) that may pass.
 */
class LogsReadError extends AnalyzerError {
  public readonly errorName: string;
  public readonly usage: boolean;

  public constructor(message: string, errorName: string, usage: boolean, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LogsReadError';
    this.errorName = errorName;
    this.usage = usage;
  }
}

// The shared sets plus the names only this reader classifies (so its messages stay as they were):
// CloudWatch Logs throttles with LimitExceededException, and two more signing and expiry names.
const LOGS_THROTTLING = new Set([...THROTTLING, 'LimitExceededException']);
const LOGS_BAD_CREDENTIALS = new Set([
  ...BAD_CREDENTIALS,
  'IncompleteSignature',
  'SignatureDoesNotMatch',
]);
const LOGS_EXPIRED = new Set([...EXPIRED, 'RequestExpired', 'TokenRefreshRequired']);

/**
 * Turns an SDK error into one line that says what to fix. The AWS message is kept (sanitised,
 * shortened) after the explanation, so nothing the service said is lost.
 */
function readError(error: unknown, query: LogWindowQuery): LogsReadError {
  const name = errorField(error, 'name') ?? 'Error';
  const message = truncateEnd(
    sanitize((errorField(error, 'message') ?? String(error)).split(/\r?\n/, 1)[0] ?? ''),
    MAX_MESSAGE,
  );
  const group = sanitize(query.logGroup);
  const explain = (text: string, usage: boolean) =>
    new LogsReadError(`${text} (${name}: ${message})`, name, usage, { cause: error });
  if (name === 'ResourceNotFoundException') {
    return explain(
      `log group "${group}" does not exist in this account and Region: check --log-group and --region (or AWS_REGION)`,
      true,
    );
  }
  if (ACCESS_DENIED.has(name)) {
    return explain(
      `not allowed to read log group "${group}": the caller needs the IAM permission logs:FilterLogEvents on it`,
      true,
    );
  }
  if (LOGS_EXPIRED.has(name) || /expired/i.test(message)) {
    return explain(
      'the AWS credentials have expired: refresh them (e.g. aws sso login, or a new session token) and run again',
      true,
    );
  }
  if (LOGS_BAD_CREDENTIALS.has(name)) {
    return explain(
      'AWS rejected the credentials: check AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      true,
    );
  }
  if (isMissingCredentials(error)) {
    // One wording for every command (lib/aws/aws-errors.ts), keeping the SDK's advice when it has some.
    return new LogsReadError(credentialsProblem(error), name, true, { cause: error });
  }
  if (/region is missing/i.test(message)) {
    // The same line as doctor's; the SDK's "Region is missing" would only repeat it.
    return new LogsReadError('no AWS Region: pass --region or set AWS_REGION', name, true, {
      cause: error,
    });
  }
  if (name === 'InvalidParameterException') {
    return explain(`CloudWatch Logs refused the query on "${group}"`, true);
  }
  if (name === 'AbortError') return explain('the read was interrupted', false);
  if (LOGS_THROTTLING.has(name)) {
    return explain(
      'CloudWatch Logs kept throttling FilterLogEvents after the SDK retries: run again later, or narrow the window (--since/--until, --file-system-id)',
      false,
    );
  }
  if (isNetworkError(error, message)) {
    return explain(
      'the CloudWatch Logs endpoint could not be reached: check the network, AWS_ENDPOINT_URL and --region',
      false,
    );
  }
  return explain(`FilterLogEvents on "${group}" failed`, false);
}

/** The request's constant part: group (name or ARN), stream prefix, time range. */
function baseInput(query: LogWindowQuery): FilterLogEventsCommandInput {
  const isArn = query.logGroup.startsWith('arn:');
  if (isArn ? !LOG_GROUP_ARN.test(query.logGroup) : !LOG_GROUP_NAME.test(query.logGroup)) {
    throw new LogsReadError(
      `--log-group must be a log group name (1 to 512 of A-Z a-z 0-9 . - _ / #) or a log group ARN (got "${sanitize(query.logGroup)}")`,
      'InvalidLogGroup',
      true,
    );
  }
  return {
    // The console shows a log group's ARN with a trailing `:*`; logGroupIdentifier takes it without.
    ...(isArn
      ? { logGroupIdentifier: query.logGroup.replace(/:\*$/, '') }
      : { logGroupName: query.logGroup }),
    ...(query.fileSystemId === undefined
      ? {}
      : { logStreamNamePrefix: `datarepo_${query.fileSystemId}` }),
    startTime: query.window.start,
    // The API reference: "Events with a timestamp later than this time are not returned", so
    // endTime is inclusive; the window is [start, end), hence end - 1 (timestamps are whole ms).
    endTime: query.window.end - 1,
    limit: PAGE_LIMIT,
  };
}

/** Collects events into one LogEvent list per log stream, in first-seen order. */
class StreamCollector {
  private readonly streams = new Map<string, LogEvent[]>();
  private count: number;

  /** `counted`: events already read before this collector (numbers made-up ids). */
  public constructor(counted = 0) {
    this.count = counted;
  }

  public add(page: FilterLogEventsCommandOutput, fallbackStream: string): number {
    let added = 0;
    for (const raw of page.events ?? []) {
      const stream =
        raw.logStreamName === undefined || raw.logStreamName === ''
          ? fallbackStream
          : raw.logStreamName;
      let events = this.streams.get(stream);
      if (events === undefined) {
        events = [];
        this.streams.set(stream, events);
      }
      const id = raw.eventId === undefined || raw.eventId === '' ? undefined : raw.eventId;
      const timestamp = typeof raw.timestamp === 'number' ? raw.timestamp : undefined;
      // A malformed event is kept with a defect so it is counted as unparseable, never dropped.
      events.push(
        id === undefined
          ? {
              id: `${stream}#${this.count + added + 1}`,
              timestamp,
              message: raw.message,
              defect: 'log event id is missing',
            }
          : { id, timestamp, message: raw.message },
      );
      added++;
    }
    this.count += added;
    return added;
  }

  public batches(logGroup: string, fileSystemId: string | undefined): LogBatch[] {
    const batches: LogBatch[] = [];
    for (const [logStream, events] of this.streams) {
      batches.push({
        owner: 'unknown',
        logGroup,
        logStream,
        subscriptionFilters: [],
        streamFileSystemId: fileSystemIdFromStream(logStream) ?? fileSystemId,
        events,
      });
    }
    return batches;
  }
}

/**
 * Reads every event of `query.window` (paging until `nextToken` is gone) and groups them per log
 * stream. `onProgress` runs after each page.
 *
 * @throws LogsReadError with a one-line message naming what to fix, after the SDK's retries; also
 *   when the window holds more than `maxEvents` events or the service repeats a `nextToken`.
 */
async function readLogWindow(
  client: CloudWatchLogsClient,
  query: LogWindowQuery,
  options: ReadOptions = {},
): Promise<LogWindow> {
  const now = options.now ?? Date.now;
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  const started = now();
  const input = baseInput(query);
  const fallbackStream =
    query.fileSystemId === undefined ? 'unknown' : `datarepo_${query.fileSystemId}`;
  // The name for batches and console links: the ARN's name part for an ARN.
  const logGroup = logGroupName(query.logGroup) ?? query.logGroup;
  let collector = new StreamCollector();
  let events = 0;
  let pages = 0;
  let nextToken: string | undefined;
  const seenTokens = new Set<string>();
  do {
    let page: FilterLogEventsCommandOutput;
    try {
      page = await client.send(
        new FilterLogEventsCommand(nextToken === undefined ? input : { ...input, nextToken }),
        options.abortSignal === undefined ? {} : { abortSignal: options.abortSignal },
      );
    } catch (error) {
      throw readError(error, query);
    }
    pages++;
    events += collector.add(page, fallbackStream);
    if (options.onPage !== undefined) {
      options.onPage(collector.batches(logGroup, query.fileSystemId));
      // Ids made up for events without one stay unique across pages.
      collector = new StreamCollector(events);
    }
    options.onProgress?.({ events, pages, elapsedMs: now() - started });
    if (options.onPage === undefined && events > maxEvents) {
      throw new LogsReadError(
        `the window holds more than ${maxEvents} events, more than one read should hold in memory: narrow it with --since/--until or --file-system-id, or raise --max-events`,
        'TooManyEvents',
        true,
      );
    }
    nextToken = page.nextToken === '' ? undefined : page.nextToken;
    if (nextToken !== undefined) {
      // A token that comes back would page for ever.
      if (seenTokens.has(nextToken)) {
        throw new LogsReadError(
          'CloudWatch Logs returned a nextToken it had returned before; stopping instead of looping',
          'RepeatedToken',
          false,
        );
      }
      seenTokens.add(nextToken);
    }
  } while (nextToken !== undefined);
  return {
    batches: options.onPage === undefined ? collector.batches(logGroup, query.fileSystemId) : [],
    events,
    pages,
    elapsedMs: now() - started,
  };
}

/**
 * A CloudWatch Logs client for the CLI's window reads: Region, endpoint (AWS_ENDPOINT_URL,
 * AWS_ENDPOINT_URL_CLOUDWATCH_LOGS) and credentials from the standard settings; `region`
 * overrides the Region. Tuned for a long read (LONG_READ): five attempts, 30 s per attempt.
 */
function createLogsClient(region: string | undefined): CloudWatchLogsClient {
  return new CloudWatchLogsClient(clientOptions(region, LONG_READ));
}

/**
 * The log window port over a CloudWatch Logs client: `read` is {@link readLogWindow} (so it
 * throws a LogsReadError naming what to fix). The caller keeps the client and destroys it.
 */
function createLogWindowReader(client: CloudWatchLogsClient): LogWindowPort {
  return { read: (query, options) => readLogWindow(client, query, options) };
}

export {
  createLogsClient,
  createLogWindowReader,
  DEFAULT_MAX_EVENTS,
  LogsReadError,
  readLogWindow,
};

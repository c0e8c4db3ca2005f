import { createHash } from 'node:crypto';
import { AwsJsonError, type AwsJsonServer, startAwsJsonServer } from './aws-json-server.ts';

/*
 * An in-memory CloudWatch Logs, just enough for `scan`, `reexport` and `doctor`: FilterLogEvents
 * and DescribeSubscriptionFilters over awsJson1_1 with the real target prefix (LOGS-MODEL). The
 * rules follow the API reference where it is explicit:
 * - startTime: "Events with a timestamp before this time are not returned" (inclusive);
 *   endTime: "Events with a timestamp later than this time are not returned" (so an event AT
 *   endTime is returned: inclusive too). Clients that want [since, until) pass until - 1.
 * - logGroupName and logGroupIdentifier: exactly one; logStreamNames and logStreamNamePrefix:
 *   not both (InvalidParameterException); limit 1–10,000 (FilterLogEvents), 1–50 (Describe...).
 * - Events come sorted by timestamp (interleaved across streams); `searchedLogStreams` is
 *   deprecated and omitted; `nextToken` only while more events remain.
 * Where it is silent (token format, ingestionTime, eventId format) the choice is marked.
 */

const TARGET_PREFIX = 'Logs_20140328';
const DEFAULT_PAGE_SIZE = 100;
const MAX_FILTER_LIMIT = 10_000;
const MAX_DESCRIBE_LIMIT = 50;
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
// logGroupIdentifier takes the ARN without the trailing `:*` the console shows ("Don't include
// an * at the end"): such an identifier is refused.
const GROUP_ARN = /^arn:[^:]+:logs:[^:]*:\d{12}:log-group:([^:]+)$/;
// Choice: ingestion lags the event by a second; creationTime of seeded filters is fixed.
const INGESTION_LAG_MS = 1000;
const FILTER_CREATION_TIME = Date.UTC(2026, 0, 1);

/** One event to seed; `eventId` defaults to a deterministic 56-digit id like the real ones. */
interface LogsServerEvent {
  readonly logStreamName: string;
  readonly timestamp: number;
  readonly message: string;
  readonly eventId?: string;
}

/** A subscription filter to seed on a log group. */
interface SubscriptionFilterSeed {
  readonly filterName: string;
  readonly destinationArn: string;
  readonly filterPattern?: string;
}

interface LogGroupSeed {
  readonly events?: readonly LogsServerEvent[];
  readonly subscriptionFilters?: readonly SubscriptionFilterSeed[];
}

interface LogsServerOptions {
  /** Log groups by name. */
  readonly groups: Readonly<Record<string, LogGroupSeed>>;
  /** Most events per FilterLogEvents page (the real bound is 10,000 events or 1 MB). */
  readonly pageSize?: number;
}

/** The server: endpoint, calls, inject(fault), stop(), as every AWS JSON test server. */
interface LogsServer extends AwsJsonServer {}

interface StoredEvent {
  readonly logStreamName: string;
  readonly timestamp: number;
  readonly message: string;
  readonly eventId: string;
  readonly ingestionTime: number;
}

interface StoredGroup {
  readonly events: readonly StoredEvent[];
  readonly filters: readonly SubscriptionFilterSeed[];
}

const invalid = (message: string) => new AwsJsonError('InvalidParameterException', message);
const notFound = () =>
  new AwsJsonError('ResourceNotFoundException', 'The specified log group does not exist.');

function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  return value;
}

function optionalInteger(
  input: Record<string, unknown>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

function eventIdFor(groupName: string, index: number, event: LogsServerEvent): string {
  // Real ids are 56 decimal digits; derive one from the group, position and content.
  const digest = createHash('sha256')
    .update(`${groupName}\u0000${index}\u0000${event.logStreamName}\u0000${event.message}`)
    .digest();
  let digits = String(event.timestamp).padStart(16, '0');
  for (const byte of digest) digits += String(byte).padStart(3, '0');
  return digits.slice(0, 56);
}

function storeGroup(name: string, seed: LogGroupSeed): StoredGroup {
  const events = (seed.events ?? []).map((event, index) => ({
    logStreamName: event.logStreamName,
    timestamp: event.timestamp,
    message: event.message,
    eventId: event.eventId ?? eventIdFor(name, index, event),
    ingestionTime: event.timestamp + INGESTION_LAG_MS,
    index,
  }));
  // Sorted by timestamp; ties keep the seed order (a stable sort).
  events.sort((a, b) => a.timestamp - b.timestamp || a.index - b.index);
  return {
    events: events.map(({ index: _index, ...event }) => event),
    filters: [...(seed.subscriptionFilters ?? [])],
  };
}

/**
 * Choice: the token is base64url JSON of the offset and a digest of the query, so a token used
 * with other parameters (or tampered with) is refused as the service refuses a bad token.
 */
function encodeToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ o: offset, q: query })).toString('base64url');
}

function decodeToken(token: string, query: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (parsed !== null && typeof parsed === 'object') {
      const { o, q } = parsed as { o?: unknown; q?: unknown };
      if (typeof o === 'number' && Number.isInteger(o) && o >= 0 && q === query) return o;
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw invalid('The specified nextToken is invalid.');
}

function queryDigest(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** Starts an in-memory CloudWatch Logs on 127.0.0.1 with the seeded log groups. */
async function startLogsServer(options: LogsServerOptions): Promise<LogsServer> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be ≥ 1');
  const groups = new Map<string, StoredGroup>();
  for (const [name, seed] of Object.entries(options.groups))
    groups.set(name, storeGroup(name, seed));

  function groupFrom(
    input: Record<string, unknown>,
    allowIdentifier: boolean,
  ): [string, StoredGroup] {
    const name = optionalString(input, 'logGroupName');
    const identifier = allowIdentifier ? optionalString(input, 'logGroupIdentifier') : undefined;
    if (name !== undefined && identifier !== undefined) {
      throw invalid('LogGroupName and LogGroupIdentifier cannot both be specified');
    }
    let groupName = name;
    if (identifier !== undefined) {
      if (identifier.endsWith(':*')) throw invalid('logGroupIdentifier must not end with :*');
      groupName = GROUP_ARN.exec(identifier)?.[1] ?? identifier;
    }
    if (groupName === undefined) {
      throw invalid(
        allowIdentifier
          ? 'Either LogGroupName or LogGroupIdentifier must be specified'
          : 'logGroupName is required',
      );
    }
    if (!GROUP_NAME.test(groupName)) throw invalid('logGroupName is not a valid log group name');
    const group = groups.get(groupName);
    if (group === undefined) throw notFound();
    return [groupName, group];
  }

  function filterLogEvents(input: Record<string, unknown>): unknown {
    const [groupName, group] = groupFrom(input, true);
    const prefix = optionalString(input, 'logStreamNamePrefix');
    const rawNames = input['logStreamNames'];
    if (rawNames !== undefined && rawNames !== null) {
      if (!Array.isArray(rawNames) || rawNames.some((name) => typeof name !== 'string')) {
        throw invalid('logStreamNames must be a list of strings');
      }
      if (rawNames.length < 1 || rawNames.length > 100) {
        throw invalid('logStreamNames must have 1 to 100 members');
      }
    }
    const names = Array.isArray(rawNames) ? new Set(rawNames as string[]) : undefined;
    if (prefix !== undefined && names !== undefined) {
      throw invalid('logStreamNames and logStreamNamePrefix cannot both be specified');
    }
    const startTime = optionalInteger(input, 'startTime', 0, Number.MAX_SAFE_INTEGER);
    const endTime = optionalInteger(input, 'endTime', 0, Number.MAX_SAFE_INTEGER);
    const limit = optionalInteger(input, 'limit', 1, MAX_FILTER_LIMIT);
    if (optionalString(input, 'filterPattern')) {
      // The analyzer never sends one; a silent "match all" would hide a test mistake.
      throw invalid('this test server does not support filterPattern');
    }
    const query = queryDigest([groupName, prefix, rawNames, startTime, endTime]);
    const token = optionalString(input, 'nextToken');
    const offset = token === undefined ? 0 : decodeToken(token, query);

    const matching = group.events.filter(
      (event) =>
        (startTime === undefined || event.timestamp >= startTime) &&
        (endTime === undefined || event.timestamp <= endTime) &&
        (prefix === undefined || event.logStreamName.startsWith(prefix)) &&
        (names === undefined || names.has(event.logStreamName)),
    );
    const size = Math.min(pageSize, limit ?? MAX_FILTER_LIMIT);
    const page = matching.slice(offset, offset + size);
    const next = offset + page.length;
    return {
      events: page.map((event) => ({
        logStreamName: event.logStreamName,
        timestamp: event.timestamp,
        message: event.message,
        ingestionTime: event.ingestionTime,
        eventId: event.eventId,
      })),
      ...(next < matching.length ? { nextToken: encodeToken(next, query) } : {}),
    };
  }

  function describeSubscriptionFilters(input: Record<string, unknown>): unknown {
    const [groupName, group] = groupFrom(input, false);
    const prefix = optionalString(input, 'filterNamePrefix');
    const limit = optionalInteger(input, 'limit', 1, MAX_DESCRIBE_LIMIT) ?? MAX_DESCRIBE_LIMIT;
    const query = queryDigest([groupName, prefix]);
    const token = optionalString(input, 'nextToken');
    const offset = token === undefined ? 0 : decodeToken(token, query);
    const matching = group.filters.filter(
      (filter) => prefix === undefined || filter.filterName.startsWith(prefix),
    );
    const page = matching.slice(offset, offset + limit);
    const next = offset + page.length;
    return {
      subscriptionFilters: page.map((filter) => ({
        filterName: filter.filterName,
        logGroupName: groupName,
        filterPattern: filter.filterPattern ?? '',
        destinationArn: filter.destinationArn,
        distribution: 'ByLogStream',
        creationTime: FILTER_CREATION_TIME,
      })),
      ...(next < matching.length ? { nextToken: encodeToken(next, query) } : {}),
    };
  }

  return startAwsJsonServer({
    targetPrefix: TARGET_PREFIX,
    jsonVersion: '1.1',
    messageField: 'message',
    serverErrorType: 'ServiceUnavailableException',
    handlers: {
      FilterLogEvents: filterLogEvents,
      DescribeSubscriptionFilters: describeSubscriptionFilters,
    },
  });
}

/** The ARN of a log group on this server's fake account, e.g. for a destination or identifier. */
function logGroupArn(name: string): string {
  return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`;
}

export type {
  LogGroupSeed,
  LogsServer,
  LogsServerEvent,
  LogsServerOptions,
  SubscriptionFilterSeed,
};
export { logGroupArn, startLogsServer };

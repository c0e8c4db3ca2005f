import { AwsJsonError, type AwsJsonServer, startAwsJsonServer } from './aws-json-server.ts';

/*
 * A CloudWatch server for exactly the one operation the code sends: GetMetricData. The pinned
 * @aws-sdk/client-cloudwatch (3.1098.0) speaks AWS JSON 1.0 to CloudWatch (target prefix
 * GraniteServiceVersion20100801, awsQueryCompatible: errors also carry `x-amzn-query-error`),
 * so this is the JSON server with CloudWatch's shapes: epoch-second timestamps, one
 * MetricDataResult per query with its StatusCode, NextToken paging. Each query gets the points
 * that were put for exactly its metric (namespace, name, dimensions), as stored: the server does
 * not aggregate by period or statistic, so tests put one point per period.
 */

interface CloudWatchServer extends AwsJsonServer {
  /** Adds a data point of AWS/FSx AgeOfOldestQueuedMessage (Publisher AutoExport). */
  putBacklog(fileSystemId: string, at: Date, seconds: number): void;
  /** Adds a data point of any metric (its dimensions in any order). */
  putMetric(
    metric: { namespace: string; name: string; dimensions: Record<string, string> },
    at: Date,
    value: number,
  ): void;
  /** Marks a file system's query Forbidden (a StatusCode, not an error of the whole call). */
  forbid(fileSystemId: string): void;
}

interface CloudWatchServerOptions {
  /** Queries answered per page; the rest follow with NextToken (default: all on one page). */
  readonly pageSize?: number;
}

type Point = { readonly at: number; readonly value: number };

const MAX_QUERIES = 500;

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object'
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/** A metric's identity: namespace, name and its dimensions sorted by name. */
function metricKey(namespace: unknown, name: unknown, dimensions: Record<string, unknown>): string {
  const sorted = Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([namespace, name, sorted]);
}

/** The key of a MetricStat's metric, as metricKey makes it. */
function statKey(stat: unknown): string {
  const metric = field(stat, 'Metric');
  const dimensions = field(metric, 'Dimensions');
  const named: Record<string, unknown> = {};
  for (const dimension of Array.isArray(dimensions) ? dimensions : []) {
    named[String(field(dimension, 'Name'))] = field(dimension, 'Value');
  }
  return metricKey(field(metric, 'Namespace'), field(metric, 'MetricName'), named);
}

function backlogKeyOf(fileSystemId: string): string {
  return metricKey('AWS/FSx', 'AgeOfOldestQueuedMessage', {
    FileSystemId: fileSystemId,
    Publisher: 'AutoExport',
  });
}

/** Starts the server on 127.0.0.1 at a free port. */
async function startCloudWatchServer(
  options: CloudWatchServerOptions = {},
): Promise<CloudWatchServer> {
  const points = new Map<string, Point[]>();
  const forbidden = new Set<string>();

  function getMetricData(input: Record<string, unknown>): unknown {
    const queries = input['MetricDataQueries'];
    if (!Array.isArray(queries) || queries.length === 0 || queries.length > MAX_QUERIES) {
      throw new AwsJsonError('ValidationError', 'MetricDataQueries must hold 1 to 500 queries');
    }
    const start = Number(input['StartTime']) * 1000;
    const end = Number(input['EndTime']) * 1000;
    if (!Number.isFinite(start) || !Number.isFinite(end) || start >= end) {
      throw new AwsJsonError('ValidationError', 'The parameter StartTime must be before EndTime');
    }
    const descending = input['ScanBy'] !== 'TimestampAscending';
    const offset = input['NextToken'] === undefined ? 0 : Number(input['NextToken']);
    if (!Number.isInteger(offset) || offset < 0 || offset >= queries.length) {
      throw new AwsJsonError('InvalidNextToken', 'The service cannot process the token');
    }
    const size = options.pageSize ?? queries.length;
    const page = queries.slice(offset, offset + size);
    const results = page.map((query) => {
      const id = field(query, 'Id');
      const stat = field(query, 'MetricStat');
      if (typeof id !== 'string' || !/^[a-z][A-Za-z0-9_]*$/.test(id) || stat === undefined) {
        throw new AwsJsonError('ValidationError', 'Each query needs an Id and a MetricStat');
      }
      const key = statKey(stat);
      if (forbidden.has(key)) {
        return { Id: id, Label: 'AgeOfOldestQueuedMessage', StatusCode: 'Forbidden' };
      }
      const inWindow = (points.get(key) ?? [])
        .filter((point) => point.at >= start && point.at < end)
        .sort((a, b) => (descending ? b.at - a.at : a.at - b.at));
      return {
        Id: id,
        Label: 'AgeOfOldestQueuedMessage',
        Timestamps: inWindow.map((point) => point.at / 1000),
        Values: inWindow.map((point) => point.value),
        StatusCode: 'Complete',
      };
    });
    const next = offset + size;
    return {
      MetricDataResults: results,
      Messages: [],
      ...(next < queries.length ? { NextToken: String(next) } : {}),
    };
  }

  const server = await startAwsJsonServer({
    targetPrefix: 'GraniteServiceVersion20100801',
    jsonVersion: '1.0',
    messageField: 'message',
    handlers: { GetMetricData: getMetricData },
    // CloudWatch's query error codes, which the awsQueryCompatible SDK reads first.
    queryErrorCodes: {
      AccessDeniedException: 'AccessDenied',
      ThrottlingException: 'Throttling',
      InvalidNextToken: 'InvalidNextToken',
      ValidationError: 'ValidationError',
    },
  });
  return {
    ...server,
    putBacklog(fileSystemId, at, seconds) {
      const key = backlogKeyOf(fileSystemId);
      points.set(key, [...(points.get(key) ?? []), { at: at.getTime(), value: seconds }]);
    },
    putMetric(metric, at, value) {
      const key = metricKey(metric.namespace, metric.name, metric.dimensions);
      points.set(key, [...(points.get(key) ?? []), { at: at.getTime(), value }]);
    },
    forbid(fileSystemId) {
      forbidden.add(backlogKeyOf(fileSystemId));
    },
  };
}

export type { CloudWatchServer };
export { startCloudWatchServer };

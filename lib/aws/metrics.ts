import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { BACKLOG_METRIC } from '../common/fsx.ts';
import type { BacklogPort, FailureSeries, FailureSeriesPort } from '../common/ports.ts';
import { display } from '../common/text.ts';
import type { BacklogFacts, BacklogReadings, Checked } from '../common/types.ts';
import { ACCESS_DENIED, BAD_CREDENTIALS, EXPIRED, errorField } from './aws-errors.ts';

/*
 * The export backlog from CloudWatch: one GetMetricData call reads FSx's AgeOfOldestQueuedMessage
 * (Publisher AutoExport) of up to 500 file systems at once, one query each
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html: at
 * most 500 queries a call). The newest data point of the last LOOKBACK_MINUTES is the current age.
 * GetMetricData takes no resource ARN, so its grant cannot be scoped (docs/permissions.md).
 */

/** GetMetricData accepts at most 500 MetricDataQuery structures per call. */
const MAX_QUERIES = 500;
/** Bounds a NextToken that never ends: a backlog read is a handful of points per file system. */
const MAX_PAGES = 10;
/** FSx publishes the metric every minute; 15 minutes of them ride over a late point. */
const LOOKBACK_MINUTES = 15;
const PERIOD_SECONDS = 60;
const PERMISSION = 'cloudwatch:GetMetricData';

/** `Name: first line of the message`, sanitised and short. */
function reasonOf(error: unknown): string {
  const name = errorField(error, 'name');
  const message = (errorField(error, 'message') ?? String(error)).split(/\r?\n/, 1)[0] ?? '';
  const text = name === undefined || name === 'Error' ? message : `${name}: ${message}`;
  return display(text.trim() === '' ? 'unknown error' : text, 200);
}

/** The call was refused: a person must grant the permission (or refresh the credentials). */
function isDenied(error: unknown): boolean {
  const name = errorField(error, 'name') ?? '';
  return ACCESS_DENIED.has(name) || BAD_CREDENTIALS.has(name) || EXPIRED.has(name);
}

/** One query per file system; the id links the answer back (ids must start with a lower-case letter). */
function queriesOf(fileSystemIds: readonly string[]): MetricDataQuery[] {
  return fileSystemIds.map((fileSystemId, index) => ({
    Id: `b${index}`,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: BACKLOG_METRIC.namespace,
        MetricName: BACKLOG_METRIC.metricName,
        Dimensions: [
          { Name: 'FileSystemId', Value: fileSystemId },
          { Name: 'Publisher', Value: BACKLOG_METRIC.publisher },
        ],
      },
      Period: PERIOD_SECONDS,
      // The oldest change of the minute: the age a person would wait for.
      Stat: 'Maximum',
    },
  }));
}

/** The newest finite value of one query's results, over every page. */
function newest(results: readonly MetricDataResult[]): BacklogFacts {
  let best: BacklogFacts = { ageSeconds: undefined, at: undefined };
  for (const result of results) {
    const times = result.Timestamps ?? [];
    const values = result.Values ?? [];
    times.forEach((time, index) => {
      const value = values[index];
      const at = time instanceof Date ? time.getTime() : Number.NaN;
      if (value === undefined || !Number.isFinite(value) || !Number.isFinite(at)) return;
      if (best.at === undefined || at > best.at) best = { ageSeconds: Math.max(0, value), at };
    });
  }
  return best;
}

/** One query's reading, or why it has none: a Forbidden or InternalError status is a failure. */
function readingOf(results: readonly MetricDataResult[]): Checked<BacklogFacts> {
  const statuses = new Set(results.map((result) => result.StatusCode));
  if (statuses.has('Forbidden')) {
    return {
      ok: false,
      reason: 'Forbidden: not allowed to read this metric',
      permission: PERMISSION,
      denied: true,
    };
  }
  const facts = newest(results);
  if (facts.ageSeconds === undefined && statuses.has('InternalError')) {
    return {
      ok: false,
      reason: 'CloudWatch answered InternalError for this metric',
      permission: PERMISSION,
    };
  }
  return { ok: true, value: facts };
}

/**
 * Every result of one GetMetricData request, page by page (at most MAX_PAGES); throws the SDK
 * error. The one paging loop both readers share.
 */
async function metricData(
  client: CloudWatchClient,
  request: Omit<GetMetricDataCommandInput, 'NextToken'>,
): Promise<MetricDataResult[]> {
  const results: MetricDataResult[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const output = await client.send(
      new GetMetricDataCommand({
        ...request,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    if (output === undefined) throw new Error('GetMetricData returned no answer');
    results.push(...(output.MetricDataResults ?? []));
    token = output.NextToken === '' ? undefined : output.NextToken;
    pages += 1;
  } while (token !== undefined && pages < MAX_PAGES);
  return results;
}

/** Reads one batch of at most MAX_QUERIES file systems, every page; throws the SDK error. */
async function readBatch(
  client: CloudWatchClient,
  fileSystemIds: readonly string[],
  now: Date,
): Promise<Map<string, Checked<BacklogFacts>>> {
  const queries = queriesOf(fileSystemIds);
  const byId = new Map<string, MetricDataResult[]>(queries.map((query) => [String(query.Id), []]));
  const results = await metricData(client, {
    MetricDataQueries: queries,
    StartTime: new Date(now.getTime() - LOOKBACK_MINUTES * 60_000),
    EndTime: now,
    ScanBy: 'TimestampDescending',
  });
  for (const result of results) byId.get(result.Id ?? '')?.push(result);
  const readings = new Map<string, Checked<BacklogFacts>>();
  queries.forEach((query, index) => {
    const fileSystemId = fileSystemIds[index];
    if (fileSystemId !== undefined)
      readings.set(fileSystemId, readingOf(byId.get(String(query.Id)) ?? []));
  });
  return readings;
}

/**
 * The backlog port over a CloudWatch client: batches of 500 file systems, one after the other
 * (an account has far fewer; a call per batch keeps within GetMetricData's limits). Never throws:
 * a failed call marks each file system of its batch "could not check", with the reason and, when
 * refused, the permission to grant.
 */
function createBacklogReader(client: CloudWatchClient): BacklogPort {
  return {
    async ages(fileSystemIds, now) {
      const unique = [...new Set(fileSystemIds)];
      const readings = new Map<string, Checked<BacklogFacts>>();
      for (let first = 0; first < unique.length; first += MAX_QUERIES) {
        const batch = unique.slice(first, first + MAX_QUERIES);
        try {
          for (const [id, reading] of await readBatch(client, batch, now))
            readings.set(id, reading);
        } catch (error) {
          const failure = {
            ok: false as const,
            reason: reasonOf(error),
            permission: PERMISSION,
            denied: isDenied(error),
          };
          for (const id of batch) readings.set(id, failure);
        }
      }
      return readings satisfies BacklogReadings;
    },
  };
}

/**
 * The failure series port over a CloudWatch client: one Sum query per class of the analyzer's
 * EMF metric Failures (dimensions Class and service, as lib/aws/telemetry.ts emits it), summed
 * into the buckets of the window. Never throws.
 */
function createFailureSeriesReader(
  client: CloudWatchClient,
  metric: { readonly namespace: string; readonly service: string },
): FailureSeriesPort {
  return {
    async failuresByClass(classes, window, periodSeconds) {
      const periodMs = periodSeconds * 1000;
      const buckets = Math.max(1, Math.ceil((window.end - window.start) / periodMs));
      const queries: MetricDataQuery[] = classes.slice(0, MAX_QUERIES).map((cls, index) => ({
        Id: `c${index}`,
        ReturnData: true,
        MetricStat: {
          Metric: {
            Namespace: metric.namespace,
            MetricName: 'Failures',
            Dimensions: [
              { Name: 'Class', Value: cls },
              { Name: 'service', Value: metric.service },
            ],
          },
          Period: periodSeconds,
          Stat: 'Sum',
        },
      }));
      const series = new Map(classes.map((cls) => [cls, new Array<number>(buckets).fill(0)]));
      try {
        const results = await metricData(client, {
          MetricDataQueries: queries,
          StartTime: new Date(window.start),
          EndTime: new Date(window.end),
          ScanBy: 'TimestampAscending',
        });
        for (const result of results) {
          if (result.StatusCode === 'Forbidden') {
            throw Object.assign(new Error('not allowed to read the Failures metric'), {
              name: 'AccessDenied',
            });
          }
          const cls = classes[Number((result.Id ?? '').slice(1))];
          const row = cls === undefined ? undefined : series.get(cls);
          (result.Timestamps ?? []).forEach((time, index) => {
            const value = result.Values?.[index];
            const at = time instanceof Date ? time.getTime() : Number.NaN;
            const bucket = Math.floor((at - window.start) / periodMs);
            if (row === undefined || value === undefined || !Number.isFinite(value)) return;
            if (bucket >= 0 && bucket < buckets) row[bucket] = (row[bucket] ?? 0) + value;
          });
        }
      } catch (error) {
        return {
          ok: false,
          reason: reasonOf(error),
          permission: PERMISSION,
          denied: isDenied(error),
        };
      }
      return { ok: true, value: series satisfies FailureSeries };
    },
  };
}

export { createBacklogReader, createFailureSeriesReader, LOOKBACK_MINUTES };

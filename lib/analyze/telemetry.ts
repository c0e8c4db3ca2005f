import { CLASS_ORDER } from '../common/classes.ts';
import { describeError } from '../common/errors.ts';
import { escalationLines, taskLines } from '../common/log-lines.ts';
import { sanitize } from '../common/text.ts';
import type {
  LogBatch,
  LogLine,
  MetricPoint,
  Report,
  TaskOutcome,
  Telemetry,
} from '../common/types.ts';
import { countByClass, countByFileSystem, countOutcomes, fileSystemsOf } from './analysis.ts';

/*
 * What the analyzer tells operators, as data: its EMF metrics and its log lines
 * (docs/operate.md#the-functions-own-logs-and-metrics). lib/aws/telemetry.ts emits them; the
 * alarms and the dashboard (infra/alarms.yml, infra/dashboard.yml) read these metric names.
 */

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/**
 * One invocation's metrics: totals first, then the counts that have their own dimensions (Class,
 * FileSystemId, Error).
 */
function reportMetrics(report: Report): MetricPoint[] {
  const counts = countOutcomes(report.outcomes);
  const refused = report.outcomes.flatMap((outcome) =>
    outcome.status === 'refused' ? [outcome] : [],
  );
  const points: MetricPoint[] = [
    { name: 'EventsRead', value: report.events },
    { name: 'Records', value: report.records.length },
    { name: 'Unparseable', value: report.unparseable.length },
    { name: 'ReexportsStarted', value: counts.started.tasks },
    { name: 'ReexportsRefused', value: counts.refused.tasks },
    { name: 'ReexportsDeferred', value: counts.deferred.tasks },
    { name: 'ReexportPathsStarted', value: counts.started.paths },
    { name: 'RetryableNotPlanned', value: report.plan.unplanned.length },
    { name: 'ReexportsQueued', value: counts.queued.tasks },
    { name: 'ReexportsEscalated', value: report.escalated?.length ?? 0 },
    // The alarm on a person's work: refusals no later retry can fix.
    {
      name: 'ReexportsRefusedPermanent',
      value: refused.filter((outcome) => !outcome.retryLater).length,
    },
  ];
  // Only classes that occurred: a zero for each of eight classes on every invocation would
  // multiply the EMF lines without telling a dashboard anything a missing point does not.
  const byClass = countByClass(report);
  for (const cls of CLASS_ORDER) {
    if (byClass[cls] > 0) {
      points.push({ name: 'Failures', value: byClass[cls], dimensions: { Class: cls } });
    }
  }
  for (const [fileSystemId, perClass] of countByFileSystem(report)) {
    for (const cls of CLASS_ORDER) {
      if (perClass[cls] > 0) {
        points.push({
          name: 'Failures',
          value: perClass[cls],
          dimensions: { FileSystemId: fileSystemId, Class: cls },
        });
      }
    }
  }
  for (const [error, count] of countBy(refused, (outcome) => outcome.error)) {
    points.push({ name: 'ReexportsRefused', value: count, dimensions: { Error: error } });
  }
  return points;
}

/** What a task's line says beyond its paths, by the task's outcome; none for a planned task. */
function outcomeFields(
  outcome: TaskOutcome,
): { level: LogLine['level']; message: string; own: Record<string, unknown> } | undefined {
  switch (outcome.status) {
    case 'refused':
      return {
        level: 'warn',
        message: 'Re-export refused',
        own: { error: outcome.error, reason: outcome.reason, retryLater: outcome.retryLater },
      };
    case 'queued':
      return {
        level: 'info',
        message: 'Re-export queued',
        own: { reason: outcome.reason, delaySeconds: outcome.delaySeconds },
      };
    case 'started':
      return {
        level: 'info',
        message: 'Re-export started',
        own: { taskId: outcome.taskId, lifecycle: outcome.lifecycle },
      };
    case 'deferred':
      // Left to a person (no deferral queue): a warning, as a refusal is.
      return {
        level: 'warn',
        message: 'Re-export deferred',
        own: { reason: outcome.reason, delaySeconds: outcome.task.delaySeconds },
      };
    case 'planned':
      return undefined;
  }
}

/** One invocation's log lines: what it read and did, each task with its paths, and escalations. */
function reportLog(report: Report): LogLine[] {
  const counts = countOutcomes(report.outcomes);
  const lines: LogLine[] = [
    {
      level: 'info',
      message: 'Batch analyzed',
      fields: {
        logGroup: report.sources[0]?.logGroup,
        logStream: report.sources[0]?.logStream,
        events: report.events,
        records: report.records.length,
        unparseable: report.unparseable.length,
        byClass: countByClass(report),
        tasksStarted: counts.started.tasks,
        tasksRefused: counts.refused.tasks,
        tasksDeferred: counts.deferred.tasks,
        tasksQueued: counts.queued.tasks,
        pathsEscalated: report.escalated?.length ?? 0,
        tasksPlanned: counts.planned.tasks,
        retryableNotPlanned: report.plan.unplanned.length,
        fileSystems: fileSystemsOf(report),
        dryRun: report.dryRun,
      },
    },
  ];
  // One line per task started, refused, deferred or queued, each with every path (over several
  // lines, `part` of `parts`, when they would pass a log event's size: lib/common/log-lines.ts):
  // the logs then list every task a live run's email stops listing at 50. A dry run's tasks are planned ones,
  // which `analyze --json` lists (docs/operate.md#the-functions-own-logs-and-metrics).
  for (const outcome of report.outcomes) {
    const fields = outcomeFields(outcome);
    if (fields === undefined) continue;
    lines.push(...taskLines(fields.level, fields.message, outcome.task, fields.own));
  }
  // Every escalated path, so the logs hold the whole list the email may shorten.
  lines.push(...escalationLines(report.escalated ?? []));
  return lines;
}

/** What the analyzer reports about one analysed batch. */
function reportTelemetry(report: Report): Telemetry {
  return { metrics: reportMetrics(report), logs: reportLog(report) };
}

/**
 * A payload that could not be decoded: only the reason is logged, never the payload (the
 * invocation fails, so Lambda retries it and then hands it to the on-failure destination).
 */
function undecodableTelemetry(error: unknown): Telemetry {
  return {
    metrics: [{ name: 'UndecodableBatches', value: 1 }],
    logs: [
      { level: 'error', message: 'Undecodable batch', fields: { reason: describeError(error) } },
    ],
  };
}

/**
 * A payload that is not DATA_MESSAGE. CloudWatch sends CONTROL_MESSAGE health checks; any other
 * type is new and worth a look.
 */
function skippedTelemetry(messageType: string): Telemetry {
  if (messageType === 'CONTROL_MESSAGE') {
    return {
      metrics: [],
      logs: [{ level: 'info', message: 'Skipped a non-data message', fields: { messageType } }],
    };
  }
  return {
    metrics: [{ name: 'UnknownMessageTypes', value: 1 }],
    logs: [
      {
        level: 'warn',
        message: 'Skipped a message of an unknown type',
        fields: { messageType: sanitize(messageType.slice(0, 64)) },
      },
    ],
  };
}

/** A batch delivered again after it ran: its stored result was returned, nothing done again. */
function duplicateTelemetry(batch: LogBatch): Telemetry {
  return {
    metrics: [{ name: 'DuplicateBatches', value: 1 }],
    logs: [
      {
        level: 'info',
        message: 'Duplicate batch: returned the stored result, nothing done again',
        fields: {
          logGroup: batch.logGroup,
          logStream: batch.logStream,
          events: batch.events.length,
        },
      },
    ],
  };
}

/** A batch delivered again while another invocation still runs it: this one fails, Lambda retries. */
function inProgressTelemetry(batch: LogBatch): Telemetry {
  return {
    metrics: [{ name: 'DuplicateBatchesInProgress', value: 1 }],
    logs: [
      {
        level: 'warn',
        message:
          'The same batch is being analysed by another invocation; failing so Lambda retries it',
        fields: { logGroup: batch.logGroup, logStream: batch.logStream },
      },
    ],
  };
}

export {
  duplicateTelemetry,
  inProgressTelemetry,
  reportLog,
  reportMetrics,
  reportTelemetry,
  skippedTelemetry,
  undecodableTelemetry,
};

import { escalationLines, taskLines } from '../common/log-lines.ts';
import type { LogLine, MetricPoint, Telemetry, UnreadMessage } from '../common/types.ts';
import type { OutcomeReport } from './outcomes.ts';
import type { RetrierReport } from './retrier.ts';

/*
 * What the retrier and the outcome check tell operators, as data: their EMF metrics and log lines
 * (docs/operate.md#the-functions-own-logs-and-metrics). lib/aws/telemetry.ts emits them. Tasks
 * escalated to a person and permanent refusals use the analyzer's names, so one alarm covers both
 * functions (infra/alarms.yml).
 */

/**
 * The error line of each unreadable deferral message: it fails on every receive and ends in the
 * dead-letter queue, whose alarm calls a person.
 */
function malformedTelemetry(malformed: readonly UnreadMessage[]): Telemetry {
  return {
    metrics: [],
    logs: malformed.map((message) => ({
      level: 'error',
      message: 'Malformed deferral message',
      fields: {
        messageId: message.messageId,
        receiveCount: message.receiveCount,
        reason: message.reason,
      },
    })),
  };
}

const waitsOf = (report: RetrierReport): number =>
  report.waiting.reduce((sum, wait) => sum + wait.messages, 0);

/**
 * One retrier invocation's metrics: tasks started, records sent back to wait, messages about to
 * be dead-lettered, paths escalated to a person and permanent refusals.
 */
function retrierMetrics(report: RetrierReport, malformed: number): MetricPoint[] {
  return [
    { name: 'RetrierMessages', value: report.messages + malformed },
    { name: 'RetrierTasksStarted', value: report.started.length },
    {
      name: 'RetrierPathsStarted',
      value: report.started.reduce((sum, start) => sum + start.task.paths.length, 0),
    },
    { name: 'RetrierWaits', value: waitsOf(report) },
    { name: 'DeadLettered', value: report.deadLettered.length },
    { name: 'MalformedDeferrals', value: malformed },
    { name: 'ReexportsEscalated', value: report.escalated.length },
    { name: 'ReexportsRefusedPermanent', value: report.refused.length },
  ];
}

/**
 * One retrier invocation's log lines: the totals, then one line per start, wait, refusal,
 * escalation and dead letter, each task and escalation with every path, so the logs hold what
 * the email may shorten or a cut email loses.
 */
function retrierLog(report: RetrierReport, malformed: number): LogLine[] {
  const logs: LogLine[] = [
    {
      level: 'info',
      message: 'Deferred re-exports decided',
      fields: {
        messages: report.messages,
        malformed,
        tasksStarted: report.started.length,
        pathsEscalated: report.escalated.length,
        tasksRefused: report.refused.length,
        waits: waitsOf(report),
        deadLettered: report.deadLettered.length,
      },
    },
  ];
  // Paths as the analyzer logs them (`paths` counts, `pathList` lists, split into parts that fit
  // a log event: lib/common/log-lines.ts), so one query reads both functions' logs.
  for (const start of report.started) {
    logs.push(
      ...taskLines('info', 'Re-export started', start.task, {
        taskId: start.taskId,
        lifecycle: start.lifecycle,
        messages: start.messages,
      }),
    );
  }
  for (const wait of report.waiting) {
    logs.push({
      level: 'info',
      message: 'Re-export waits',
      fields: { fileSystemId: wait.fileSystemId, messages: wait.messages, reason: wait.reason },
    });
  }
  for (const refusal of report.refused) {
    logs.push(
      ...taskLines('warn', 'Re-export refused', refusal.task, {
        error: refusal.error,
        reason: refusal.reason,
        messages: refusal.messages,
      }),
    );
  }
  logs.push(...escalationLines(report.escalated));
  for (const dead of report.deadLettered) {
    logs.push(
      ...taskLines('error', 'Deferred re-export dead-lettered', dead.task, {
        messageId: dead.messageId,
        receiveCount: dead.receiveCount,
        reason: dead.reason,
      }),
    );
  }
  return logs;
}

/** What one retrier invocation reports; `malformed` counts the messages it could not read. */
function retrierTelemetry(report: RetrierReport, malformed: number): Telemetry {
  return { metrics: retrierMetrics(report, malformed), logs: retrierLog(report, malformed) };
}

/**
 * One outcome check's metrics (tasks that ended well, and those that did not) and its log lines:
 * one per task, so the logs keep every outcome even when the email is cut or lost.
 */
function outcomeTelemetry(report: OutcomeReport): Telemetry {
  const succeeded = report.finished.filter((finished) => finished.lifecycle === 'SUCCEEDED');
  const logs: LogLine[] = [
    {
      level: 'info',
      message: 'Outcomes checked',
      fields: { finished: report.finished.length, stillOpen: report.stillOpen },
    },
  ];
  for (const finished of report.finished) {
    logs.push({
      level: finished.lifecycle === 'SUCCEEDED' ? 'info' : 'warn',
      message: 'Re-export ended',
      fields: {
        taskId: finished.tracked.taskId,
        fileSystemId: finished.tracked.fileSystemId,
        lifecycle: finished.lifecycle,
        startedBy: finished.tracked.startedBy,
        paths: finished.tracked.paths.length,
        totalCount: finished.status?.totalCount,
        succeededCount: finished.status?.succeededCount,
        failedCount: finished.status?.failedCount,
        failureMessage: finished.status?.failureMessage,
        failuresCsv: finished.failuresCsv,
      },
    });
  }
  return {
    metrics: [
      { name: 'ReexportsSucceeded', value: succeeded.length },
      // FAILED, CANCELED and UNKNOWN alike: the task did not export what it was started for.
      { name: 'ReexportsFailed', value: report.finished.length - succeeded.length },
      {
        name: 'ReexportPathsFailed',
        value: report.finished.reduce(
          (sum, finished) => sum + (finished.status?.failedCount ?? 0),
          0,
        ),
      },
      { name: 'ReexportsOpen', value: report.stillOpen },
    ],
    logs,
  };
}

export { malformedTelemetry, outcomeTelemetry, retrierLog, retrierMetrics, retrierTelemetry };

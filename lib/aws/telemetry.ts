import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { countByClass, countByFileSystem } from '../analyze/analysis.ts';
import { CLASS_ORDER } from '../analyze/classify.ts';
import type { OutcomeReport } from '../reexport/outcomes.ts';
import type { RetrierReport } from '../reexport/retrier.ts';
import { describeError } from '../shared/errors.ts';
import type { Report } from '../shared/types.ts';

/*
 * Powertools is configured once per container. Empty variables count as unset, like in
 * lib/config.ts. The log level is left to Powertools, which reads AWS_LAMBDA_LOG_LEVEL (Lambda's
 * advanced logging controls, which win), then POWERTOOLS_LOG_LEVEL / LOG_LEVEL, default INFO.
 */
const { POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE } = process.env;
const SERVICE_NAME = POWERTOOLS_SERVICE_NAME || 'fsx-export-analyzer';
const NAMESPACE = POWERTOOLS_METRICS_NAMESPACE || 'FsxExportAnalyzer';

const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: NAMESPACE, serviceName: SERVICE_NAME });

/**
 * Loads a function's configuration at cold start. A bad setting fails the start, with a log line
 * that says which variable to fix.
 */
function loadOrLog<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    logger.error('Invalid configuration', { reason: describeError(error) });
    throw error;
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

type StatusCounts = Record<Report['outcomes'][number]['status'], number>;

/** Tasks per outcome status: counted once per invocation, for the metrics, the log and the result. */
function countOutcomes(report: Report): StatusCounts {
  const counts: StatusCounts = { started: 0, refused: 0, deferred: 0, queued: 0, planned: 0 };
  for (const outcome of report.outcomes) counts[outcome.status] += 1;
  return counts;
}

/**
 * Adds one invocation's EMF metrics; `counts` is `countOutcomes(report)`. Totals go into
 * `metrics` (published by the caller with `publishStoredMetrics()`); counts that need their own
 * dimensions (Class, FileSystemId, Error) are emitted at once through `singleMetric()`, since one
 * EMF blob has one dimension set.
 */
function recordReportMetrics(metrics: Metrics, report: Report, counts: StatusCounts): void {
  const outcomes = report.outcomes;
  const started = outcomes.filter((outcome) => outcome.status === 'started');
  const refused = outcomes.flatMap((outcome) => (outcome.status === 'refused' ? [outcome] : []));

  metrics.addMetric('EventsRead', MetricUnit.Count, report.events);
  metrics.addMetric('Records', MetricUnit.Count, report.records.length);
  metrics.addMetric('Unparseable', MetricUnit.Count, report.unparseable.length);
  metrics.addMetric('ReexportsStarted', MetricUnit.Count, counts.started);
  metrics.addMetric('ReexportsRefused', MetricUnit.Count, counts.refused);
  metrics.addMetric('ReexportsDeferred', MetricUnit.Count, counts.deferred);
  metrics.addMetric(
    'ReexportPathsStarted',
    MetricUnit.Count,
    started.reduce((sum, outcome) => sum + outcome.task.paths.length, 0),
  );
  metrics.addMetric('RetryableNotPlanned', MetricUnit.Count, report.plan.unplanned.length);
  metrics.addMetric('ReexportsQueued', MetricUnit.Count, counts.queued);
  metrics.addMetric('ReexportsEscalated', MetricUnit.Count, report.escalated?.length ?? 0);
  // The alarm on a person's work: refusals no later retry can fix.
  metrics.addMetric(
    'ReexportsRefusedPermanent',
    MetricUnit.Count,
    refused.filter((outcome) => !outcome.retryLater).length,
  );

  // Only classes that occurred: a zero for each of eight classes on every invocation would
  // multiply the EMF lines without telling a dashboard anything a missing point does not.
  const byClass = countByClass(report.records);
  for (const cls of CLASS_ORDER) {
    if (byClass[cls] > 0) {
      metrics
        .singleMetric()
        .addDimension('Class', cls)
        .addMetric('Failures', MetricUnit.Count, byClass[cls]);
    }
  }
  for (const [fileSystemId, counts] of countByFileSystem(report.records)) {
    for (const cls of CLASS_ORDER) {
      if (counts[cls] > 0) {
        metrics
          .singleMetric()
          .addDimensions({ FileSystemId: fileSystemId, Class: cls })
          .addMetric('Failures', MetricUnit.Count, counts[cls]);
      }
    }
  }
  for (const [error, count] of countBy(refused, (outcome) => outcome.error)) {
    metrics
      .singleMetric()
      .addDimension('Error', error)
      .addMetric('ReexportsRefused', MetricUnit.Count, count);
  }
}

/**
 * Adds one retrier invocation's EMF metrics: tasks started, records sent back to wait, messages
 * about to be dead-lettered, paths escalated to a person and permanent refusals (the names the
 * analyzer uses too, so one alarm covers both functions).
 */
function recordRetrierMetrics(metrics: Metrics, report: RetrierReport, malformed: number): void {
  metrics.addMetric('RetrierMessages', MetricUnit.Count, report.messages + malformed);
  metrics.addMetric('RetrierTasksStarted', MetricUnit.Count, report.started.length);
  metrics.addMetric(
    'RetrierPathsStarted',
    MetricUnit.Count,
    report.started.reduce((sum, start) => sum + start.task.paths.length, 0),
  );
  metrics.addMetric(
    'RetrierWaits',
    MetricUnit.Count,
    report.waiting.reduce((sum, wait) => sum + wait.messages, 0),
  );
  metrics.addMetric('DeadLettered', MetricUnit.Count, report.deadLettered.length);
  metrics.addMetric('MalformedDeferrals', MetricUnit.Count, malformed);
  metrics.addMetric('ReexportsEscalated', MetricUnit.Count, report.escalated.length);
  metrics.addMetric('ReexportsRefusedPermanent', MetricUnit.Count, report.refused.length);
}

/** Adds one outcome check's EMF metrics: tasks that ended well, and those that did not. */
function recordOutcomeMetrics(metrics: Metrics, report: OutcomeReport): void {
  const succeeded = report.finished.filter((finished) => finished.lifecycle === 'SUCCEEDED');
  metrics.addMetric('ReexportsSucceeded', MetricUnit.Count, succeeded.length);
  // FAILED, CANCELED and UNKNOWN alike: the task did not export what it was started for.
  metrics.addMetric('ReexportsFailed', MetricUnit.Count, report.finished.length - succeeded.length);
  metrics.addMetric(
    'ReexportPathsFailed',
    MetricUnit.Count,
    report.finished.reduce((sum, finished) => sum + (finished.status?.failedCount ?? 0), 0),
  );
  metrics.addMetric('ReexportsOpen', MetricUnit.Count, report.stillOpen);
}

export type { StatusCounts };
export {
  countOutcomes,
  loadOrLog,
  logger,
  metrics,
  recordOutcomeMetrics,
  recordReportMetrics,
  recordRetrierMetrics,
};

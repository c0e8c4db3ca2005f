import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CLASS_ORDER } from '../classify.ts';
import { countByClass, countByFileSystem, type Report } from '../report.ts';

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

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/**
 * Adds one invocation's EMF metrics. Totals go into `metrics` (published by the caller with
 * `publishStoredMetrics()`); counts that need their own dimensions (Class, FileSystemId, Error)
 * are emitted at once through `singleMetric()`, since one EMF blob has one dimension set.
 */
function recordReportMetrics(metrics: Metrics, report: Report): void {
  const outcomes = report.outcomes;
  const started = outcomes.filter((outcome) => outcome.status === 'started');
  const refused = outcomes.flatMap((outcome) => (outcome.status === 'refused' ? [outcome] : []));

  metrics.addMetric('EventsRead', MetricUnit.Count, report.events);
  metrics.addMetric('Records', MetricUnit.Count, report.records.length);
  metrics.addMetric('Unparseable', MetricUnit.Count, report.unparseable.length);
  metrics.addMetric('ReexportsStarted', MetricUnit.Count, started.length);
  metrics.addMetric('ReexportsRefused', MetricUnit.Count, refused.length);
  metrics.addMetric(
    'ReexportsDeferred',
    MetricUnit.Count,
    outcomes.filter((outcome) => outcome.status === 'deferred').length,
  );
  metrics.addMetric(
    'ReexportPathsStarted',
    MetricUnit.Count,
    started.reduce((sum, outcome) => sum + outcome.task.paths.length, 0),
  );
  metrics.addMetric('RetryableNotPlanned', MetricUnit.Count, report.plan.unplanned.length);

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

export { logger, metrics, recordReportMetrics };

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LogLine, MetricPoint, Telemetry } from '../common/types.ts';

/*
 * Powertools is configured once per container. Empty variables count as unset, like in
 * lib/common/config.ts. The log level is left to Powertools, which reads AWS_LAMBDA_LOG_LEVEL
 * (Lambda's advanced logging controls, which win), then POWERTOOLS_LOG_LEVEL / LOG_LEVEL, default
 * INFO. What each function logs and counts is composed by its feature (lib/<feature>/telemetry.ts)
 * as plain data; this module only writes it (docs/operate.md#the-functions-own-logs-and-metrics).
 */
const { POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE } = process.env;
const SERVICE_NAME = POWERTOOLS_SERVICE_NAME || 'fsx-export-analyzer';
const NAMESPACE = POWERTOOLS_METRICS_NAMESPACE || 'FsxExportAnalyzer';

const logger = new Logger({ serviceName: SERVICE_NAME });
const metrics = new Metrics({ namespace: NAMESPACE, serviceName: SERVICE_NAME });
// The points with dimensions of their own go through one single-metric instance, made when the
// first is emitted: `singleMetric()` builds a new Metrics (and a new Console) per call, a cost
// every point of a batch would pay. A single-metric instance prints each point at once and then
// drops its dimensions, so reusing it prints the same documents.
let single: Metrics | undefined;

/**
 * Adds one count as an EMF metric (unit Count). A point without dimensions joins the invocation's
 * totals in `metrics` (published by the handler wrapper, lib/aws/lambda.ts); a point with its own
 * dimensions (Class, FileSystemId, Error) is printed at once through `singleMetric()`, since one
 * EMF document has one dimension set.
 */
function addMetric(point: MetricPoint): void {
  if (point.dimensions === undefined) {
    metrics.addMetric(point.name, MetricUnit.Count, point.value);
    return;
  }
  single ??= metrics.singleMetric();
  try {
    single.addDimensions(point.dimensions).addMetric(point.name, MetricUnit.Count, point.value);
  } finally {
    // Publishing clears them; a point that failed half-way must not lend them to the next one.
    single.clearDimensions();
  }
}

/** Writes one structured log line. */
function writeLog(line: LogLine): void {
  if (line.fields === undefined) logger[line.level](line.message);
  else logger[line.level](line.message, line.fields);
}

/** Emits what a feature reports about one step: its metrics first, then its log lines. */
function emit(telemetry: Telemetry): void {
  for (const point of telemetry.metrics) addMetric(point);
  for (const line of telemetry.logs) writeLog(line);
}

/** Runs `step`; when it throws, emits what `onError` makes of the error, then throws it on. */
function emitOnError<T>(step: () => T, onError: (error: unknown) => Telemetry): T {
  try {
    return step();
  } catch (error) {
    emit(onError(error));
    throw error;
  }
}

export { emit, emitOnError, logger, metrics, NAMESPACE, SERVICE_NAME };

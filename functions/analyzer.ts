import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { fsxClient, snsClient } from '../lib/aws/clients.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { publishSummary } from '../lib/aws/sns.ts';
import { logger, metrics, recordReportMetrics } from '../lib/aws/telemetry.ts';
import { type Config, loadConfig } from '../lib/config.ts';
import { decodeLambdaEvent } from '../lib/decode.ts';
import { describeError } from '../lib/errors.ts';
import { processBatches } from '../lib/pipeline.ts';
import { renderEmail } from '../lib/render-email.ts';
import { countByClass, fileSystemsOf, hasFindings, type Report } from '../lib/report.ts';

/** What one invocation did; Lambda records it for asynchronous on-success destinations. */
interface AnalyzerResult {
  readonly events: number;
  readonly records: number;
  readonly unparseable: number;
  readonly tasksStarted: number;
  readonly tasksRefused: number;
  readonly tasksDeferred: number;
  /** SNS MessageId of the summary, or null when nothing was published. */
  readonly published: string | null;
  readonly dryRun: boolean;
}

function loadConfigOrLog(): Config {
  try {
    return loadConfig();
  } catch (error) {
    // Fails the cold start; the log line says which variable to fix.
    logger.error('Invalid configuration', { reason: describeError(error) });
    throw error;
  }
}

// Read once per container: configuration does not change between invocations, and the adapter's
// association cache lives as long as the container.
const config = loadConfigOrLog();
const fsxAdapter = createFsxAdapter(fsxClient, { cacheSeconds: config.associationCacheSeconds });

function countOutcomes(report: Report, status: Report['outcomes'][number]['status']): number {
  return report.outcomes.filter((outcome) => outcome.status === status).length;
}

function logReport(report: Report): void {
  logger.info('Batch analyzed', {
    logGroup: report.sources[0]?.logGroup,
    logStream: report.sources[0]?.logStream,
    events: report.events,
    records: report.records.length,
    unparseable: report.unparseable.length,
    byClass: countByClass(report.records),
    tasksStarted: countOutcomes(report, 'started'),
    tasksRefused: countOutcomes(report, 'refused'),
    tasksDeferred: countOutcomes(report, 'deferred'),
    tasksPlanned: countOutcomes(report, 'planned'),
    retryableNotPlanned: report.plan.unplanned.length,
    fileSystems: fileSystemsOf(report),
    dryRun: report.dryRun,
  });
  for (const outcome of report.outcomes) {
    if (outcome.status !== 'refused') continue;
    logger.warn('Re-export refused', {
      fileSystemId: outcome.task.fileSystemId,
      error: outcome.error,
      reason: outcome.reason,
      retryLater: outcome.retryLater,
      paths: outcome.task.paths.length,
      clientRequestToken: outcome.task.clientRequestToken,
    });
  }
}

async function analyze(event: unknown): Promise<AnalyzerResult> {
  let decoded: ReturnType<typeof decodeLambdaEvent>;
  try {
    decoded = decodeLambdaEvent(event, config.maxDecompressedBytes);
  } catch (error) {
    // Failing the invocation keeps the batch: Lambda retries it, then hands it to the
    // on-failure destination. Only the reason is logged, never the payload.
    logger.error('Undecodable batch', { reason: describeError(error) });
    metrics.addMetric('UndecodableBatches', MetricUnit.Count, 1);
    throw error;
  }
  if (decoded.type === 'skipped') {
    logger.info('Skipped a non-data message', { messageType: decoded.messageType });
    return {
      events: 0,
      records: 0,
      unparseable: 0,
      tasksStarted: 0,
      tasksRefused: 0,
      tasksDeferred: 0,
      published: null,
      dryRun: config.dryRun,
    };
  }

  const report = await processBatches(
    [decoded.batch],
    {
      maxPathsPerTask: config.maxPathsPerTask,
      busyDelaySeconds: config.busyDelaySeconds,
      reportPath: config.reportPath,
      region: config.region,
      dryRun: config.dryRun,
    },
    config.dryRun ? undefined : fsxAdapter,
    0,
  );
  recordReportMetrics(metrics, report);
  logReport(report);

  let published: string | null = null;
  if (hasFindings(report)) {
    const publication = renderEmail(report);
    if (config.dryRun) {
      logger.info('Dry run: summary not published', {
        subject: publication.subject,
        body: publication.body,
      });
    } else {
      // A PublishError fails the invocation on purpose: Lambda retries, and the deterministic
      // task tokens make the repeated CreateDataRepositoryTask calls return the same tasks.
      published = await publishSummary(snsClient, config.summaryTopicArn, publication);
      logger.info('Summary published', { messageId: published });
    }
  }
  return {
    events: report.events,
    records: report.records.length,
    unparseable: report.unparseable.length,
    tasksStarted: countOutcomes(report, 'started'),
    tasksRefused: countOutcomes(report, 'refused'),
    tasksDeferred: countOutcomes(report, 'deferred'),
    published,
    dryRun: config.dryRun,
  };
}

/**
 * Lambda entry point for a CloudWatch Logs subscription: decode, analyse and re-export, then
 * publish one summary. Metrics are flushed whether the invocation succeeds or fails.
 */
const handler = async (event: unknown, context: Context): Promise<AnalyzerResult> => {
  logger.addContext(context);
  try {
    return await analyze(event);
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};

export type { AnalyzerResult };
export { handler };

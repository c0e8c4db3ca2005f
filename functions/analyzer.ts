import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { countByClass, fileSystemsOf, hasFindings } from '../lib/analyze/analysis.ts';
import { decodeLambdaEvent } from '../lib/analyze/decode.ts';
import { renderEmail } from '../lib/analyze/email.ts';
import { type DurableOptions, processBatches } from '../lib/analyze/pipeline.ts';
import { dynamoClient, fsxClient, snsClient, sqsClient } from '../lib/aws/clients.ts';
import { createDigestStore, type DigestStore } from '../lib/aws/digests.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { createIdempotencyStore, idempotencyConfig } from '../lib/aws/idempotency.ts';
import { createLedger } from '../lib/aws/ledger.ts';
import { deliver } from '../lib/aws/sns.ts';
import { createDeferralQueue } from '../lib/aws/sqs.ts';
import {
  countOutcomes,
  loadOrLog,
  logger,
  metrics,
  recordReportMetrics,
  type StatusCounts,
} from '../lib/aws/telemetry.ts';
import { type HeldBack, heldNote, withHeldNote } from '../lib/digest/email.ts';
import { alertingReport, groupReport, keyFields } from '../lib/digest/windows.ts';
import { loadConfig, loadDigestConfig, loadReexportConfig } from '../lib/shared/config.ts';
import { describeError } from '../lib/shared/errors.ts';
import { sanitize } from '../lib/shared/text.ts';
import type { LogBatch, Publication, Report } from '../lib/shared/types.ts';

/** What one invocation did; Lambda records it for asynchronous on-success destinations. */
interface AnalyzerResult {
  readonly events: number;
  readonly records: number;
  readonly unparseable: number;
  readonly tasksStarted: number;
  readonly tasksRefused: number;
  readonly tasksDeferred: number;
  /** Tasks sent to the deferral queue; present only when a queue or a ledger is configured. */
  readonly tasksQueued?: number;
  /** Paths handed to a person after K attempts; present only with a queue or a ledger. */
  readonly pathsEscalated?: number;
  /** SNS MessageId of the summary, or null when nothing was published. */
  readonly published: string | null;
  /** Failures held back for the digest; present only when digests are on. */
  readonly heldForDigest?: number;
  readonly dryRun: boolean;
}

/** Idempotency records live at least as long as Lambda retries an asynchronous event (6 h). */
const MIN_IDEMPOTENCY_SECONDS = 6 * 60 * 60;

// Read once per container: configuration does not change between invocations, and the adapter's
// association cache lives as long as the container.
const { config, reexport, digest } = loadOrLog(() => ({
  config: loadConfig(),
  reexport: loadReexportConfig(),
  digest: loadDigestConfig(),
}));
const fsxAdapter = createFsxAdapter(fsxClient, { cacheSeconds: config.associationCacheSeconds });
// A dry run makes no AWS call at all, so it has no queue and no ledger either.
const ledgerTable = config.dryRun ? undefined : reexport.ledgerTable;
const queueUrl = config.dryRun ? undefined : reexport.deferralQueueUrl;
const durable: DurableOptions | undefined =
  ledgerTable === undefined && queueUrl === undefined
    ? undefined
    : {
        deferral: queueUrl === undefined ? undefined : createDeferralQueue(sqsClient, queueUrl),
        ledger:
          ledgerTable === undefined
            ? undefined
            : createLedger(dynamoClient, {
                tableName: ledgerTable,
                attemptWindowHours: reexport.attemptWindowHours,
              }),
        retryLaterSeconds: reexport.retryLaterSeconds,
        maxAttempts: reexport.maxAttempts,
      };

// Digests need the ledger table for their windows; without it (or with W = 0) every batch with
// findings is emailed.
const digestStore: DigestStore | undefined =
  ledgerTable === undefined || digest.windowMinutes === 0
    ? undefined
    : createDigestStore(dynamoClient, {
        tableName: ledgerTable,
        windowSeconds: digest.windowMinutes * 60,
      });

/** What to email for a report with findings, and how many failures were held for the digest. */
interface Gated {
  readonly publication: Publication | undefined;
  readonly held: number;
}

/**
 * Alert digests: each (file system, class) group of the batch either opens a window (it is shown
 * in the summary) or is counted in the open one (held for the digest). The summary goes out when
 * at least one group alerts or a held group has an escalation new to its window; otherwise the
 * batch publishes nothing. If the window state cannot be read or written, the full summary goes
 * out: an email too many is better than an alert lost.
 */
async function gate(report: Report, store: DigestStore): Promise<Gated> {
  const { groups, overflow } = groupReport(report);
  const shown = new Set<string>();
  const held: HeldBack[] = [];
  for (const group of overflow) for (const id of group.eventIds) shown.add(id);
  try {
    for (const group of groups) {
      const result = await store.observe(group);
      if (result.alerted || result.urgent) {
        for (const id of group.eventIds) shown.add(id);
      } else {
        held.push({ group, windowEnd: result.windowEnd });
      }
    }
  } catch (error) {
    logger.error('Alert windows unavailable: sending the full summary', {
      reason: describeError(error),
    });
    metrics.addMetric('DigestStateErrors', MetricUnit.Count, 1);
    return { publication: renderEmail(report), held: 0 };
  }
  const heldCount = held.reduce((sum, item) => sum + item.group.failures, 0);
  metrics.addMetric('HeldForDigest', MetricUnit.Count, heldCount);
  if (held.length > 0) {
    logger.info('Repeats held for the digest', {
      held: heldCount,
      groups: held.map((item) => ({
        ...keyFields(item.group.key),
        failures: item.group.failures,
        windowEnd: new Date(item.windowEnd * 1000).toISOString(),
      })),
    });
  }
  if (shown.size === 0) {
    logger.info('Every failure of the batch was a repeat: no summary published');
    metrics.addMetric('SummariesHeld', MetricUnit.Count, 1);
    return { publication: undefined, held: heldCount };
  }
  const publication = renderEmail(held.length === 0 ? report : alertingReport(report, shown));
  return { publication: withHeldNote(publication, heldNote(held)), held: heldCount };
}

function logReport(report: Report, counts: StatusCounts): void {
  logger.info('Batch analyzed', {
    logGroup: report.sources[0]?.logGroup,
    logStream: report.sources[0]?.logStream,
    events: report.events,
    records: report.records.length,
    unparseable: report.unparseable.length,
    byClass: countByClass(report.records),
    tasksStarted: counts.started,
    tasksRefused: counts.refused,
    tasksDeferred: counts.deferred,
    tasksQueued: counts.queued,
    pathsEscalated: report.escalated?.length ?? 0,
    tasksPlanned: counts.planned,
    retryableNotPlanned: report.plan.unplanned.length,
    fileSystems: fileSystemsOf(report),
    dryRun: report.dryRun,
  });
  for (const outcome of report.outcomes) {
    const common = {
      fileSystemId: outcome.task.fileSystemId,
      paths: outcome.task.paths.length,
      clientRequestToken: outcome.task.clientRequestToken,
    };
    if (outcome.status === 'refused') {
      logger.warn('Re-export refused', {
        ...common,
        error: outcome.error,
        reason: outcome.reason,
        retryLater: outcome.retryLater,
      });
    } else if (outcome.status === 'queued') {
      logger.info('Re-export queued', {
        ...common,
        reason: outcome.reason,
        delaySeconds: outcome.delaySeconds,
      });
    }
  }
  if ((report.escalated?.length ?? 0) > 0) {
    // Every path, so the logs hold the whole list the email may shorten.
    logger.warn('Re-exports escalated to a person', { escalated: report.escalated });
  }
}

/** The result's optional counts, present only when durable re-export is configured. */
function durableCounts(
  report: Report,
  counts: StatusCounts,
): Pick<AnalyzerResult, 'tasksQueued' | 'pathsEscalated'> {
  if (durable === undefined) return {};
  return {
    tasksQueued: counts.queued,
    pathsEscalated: report.escalated?.length ?? 0,
  };
}

/** Set by `analyze` when it really ran: a replay of a stored result leaves it false. */
interface RunMarker {
  ran: boolean;
}

/**
 * Analyses one decoded batch. Its first argument is the raw event only so that the idempotency
 * wrapper hashes `awslogs.data`; the second, the Lambda context, lets it bound the in-progress
 * record by the remaining time.
 */
async function analyze(
  _event: unknown,
  _context: Context,
  batch: LogBatch,
  marker: RunMarker,
): Promise<AnalyzerResult> {
  marker.ran = true;
  const report = await processBatches(
    [batch],
    {
      maxPathsPerTask: config.maxPathsPerTask,
      busyDelaySeconds: config.busyDelaySeconds,
      reportPath: config.reportPath,
      region: config.region,
      dryRun: config.dryRun,
      ...(durable === undefined ? {} : { durable }),
    },
    config.dryRun ? undefined : fsxAdapter,
    0,
  );
  const counts = countOutcomes(report);
  recordReportMetrics(metrics, report, counts);
  logReport(report, counts);

  let published: string | null = null;
  let heldForDigest = 0;
  if (hasFindings(report)) {
    const gated =
      digestStore === undefined
        ? { publication: renderEmail(report), held: 0 }
        : await gate(report, digestStore);
    heldForDigest = gated.held;
    // A PublishError fails the invocation on purpose: Lambda retries, and the deterministic
    // task tokens make the repeated CreateDataRepositoryTask calls return the same tasks. The
    // retry alerts again for the groups this run opened (the store knows the batch).
    if (gated.publication !== undefined) {
      published = await deliver(snsClient, config, gated.publication, 'summary');
    }
  }
  return {
    events: report.events,
    records: report.records.length,
    unparseable: report.unparseable.length,
    tasksStarted: counts.started,
    tasksRefused: counts.refused,
    tasksDeferred: counts.deferred,
    ...durableCounts(report, counts),
    published,
    ...(digestStore === undefined ? {} : { heldForDigest }),
    dryRun: config.dryRun,
  };
}

/**
 * With a ledger table, the same batch delivered again (CloudWatch Logs and Lambda's asynchronous
 * retries both deliver at least once) returns the stored result of the first run: nothing is
 * started, queued or published twice. A duplicate that arrives while the first still runs fails
 * with IdempotencyAlreadyInProgressError, and Lambda's retry later gets the stored result. A run
 * that throws leaves no record, so its retry runs again in full.
 */
const analyzeOnce =
  ledgerTable === undefined
    ? analyze
    : makeIdempotent(analyze, {
        persistenceStore: createIdempotencyStore(dynamoClient, ledgerTable),
        config: idempotencyConfig({
          expiresAfterSeconds: Math.max(
            MIN_IDEMPOTENCY_SECONDS,
            reexport.attemptWindowHours * 60 * 60,
          ),
        }),
      });

async function analyzeEvent(event: unknown, context: Context): Promise<AnalyzerResult> {
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
    // CloudWatch sends CONTROL_MESSAGE health checks; any other type is new and worth a look.
    if (decoded.messageType === 'CONTROL_MESSAGE') {
      logger.info('Skipped a non-data message', { messageType: decoded.messageType });
    } else {
      logger.warn('Skipped a message of an unknown type', {
        messageType: sanitize(decoded.messageType.slice(0, 64)),
      });
      metrics.addMetric('UnknownMessageTypes', MetricUnit.Count, 1);
    }
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
  const marker: RunMarker = { ran: false };
  try {
    const result = await analyzeOnce(event, context, decoded.batch, marker);
    if (!marker.ran) {
      logger.info('Duplicate batch: returned the stored result, nothing done again', {
        logGroup: decoded.batch.logGroup,
        logStream: decoded.batch.logStream,
        events: decoded.batch.events.length,
      });
      metrics.addMetric('DuplicateBatches', MetricUnit.Count, 1);
    }
    return result;
  } catch (error) {
    if (error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError') {
      logger.warn(
        'The same batch is being analysed by another invocation; failing so Lambda retries it',
        {
          logGroup: decoded.batch.logGroup,
          logStream: decoded.batch.logStream,
        },
      );
      metrics.addMetric('DuplicateBatchesInProgress', MetricUnit.Count, 1);
    }
    throw error;
  }
}

/**
 * Lambda entry point for a CloudWatch Logs subscription: decode, analyse and re-export, then
 * publish one summary. Metrics are flushed whether the invocation succeeds or fails.
 */
const handler = async (event: unknown, context: Context): Promise<AnalyzerResult> => {
  logger.addContext(context);
  try {
    return await analyzeEvent(event, context);
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};

export type { AnalyzerResult };
export { handler };

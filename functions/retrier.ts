import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamoClient, fsxClient, snsClient } from '../lib/aws/clients.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { createLedger } from '../lib/aws/ledger.ts';
import { deliver } from '../lib/aws/sns.ts';
import { parseDeferredExport } from '../lib/aws/sqs.ts';
import { loadOrLog, logger, metrics, recordRetrierMetrics } from '../lib/aws/telemetry.ts';
import { renderRetrierEmail } from '../lib/reexport/email.ts';
import {
  createRetrierRun,
  hasNews,
  type QueuedExport,
  type RetrierReport,
  type RetrierRun,
} from '../lib/reexport/retrier.ts';
import {
  type Config,
  loadConfig,
  loadReexportConfig,
  type ReexportConfig,
} from '../lib/shared/config.ts';
import { ConfigError, describeError } from '../lib/shared/errors.ts';
import type { LedgerPort } from '../lib/shared/ports.ts';

/*
 * The retrier: consumes the deferral queue. Each SQS batch is decided per file system by
 * lib/retrier.ts; Powertools' batch processor reports the records that must wait as failures
 * (ReportBatchItemFailures), so only those come back, after the queue's visibility timeout.
 */

interface RetrierSettings {
  readonly config: Config;
  readonly reexport: ReexportConfig;
  readonly ledgerTable: string | undefined;
}

function loadSettings(): RetrierSettings {
  const config = loadConfig();
  const reexport = loadReexportConfig();
  // Without the ledger the retrier could neither limit attempts nor claim a window.
  if (reexport.ledgerTable === undefined && !config.dryRun) {
    throw new ConfigError(
      'Environment variable LEDGER_TABLE is required by the retrier unless DRY_RUN is true',
    );
  }
  return { config, reexport, ledgerTable: reexport.ledgerTable };
}

const { config, reexport, ledgerTable } = loadOrLog(loadSettings);
const fsxAdapter = createFsxAdapter(fsxClient, { cacheSeconds: config.associationCacheSeconds });
const ledger: LedgerPort | undefined =
  ledgerTable === undefined
    ? undefined
    : createLedger(dynamoClient, {
        tableName: ledgerTable,
        attemptWindowHours: reexport.attemptWindowHours,
      });

/** ApproximateReceiveCount as a number; 1 when SQS sent something unreadable. */
function receiveCountOf(record: SQSRecord): number {
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isInteger(count) && count > 0 ? count : 1;
}

/** Parses every body first, so the decisions see the whole batch; bad bodies are set apart. */
function parseRecords(records: readonly SQSRecord[]): {
  items: QueuedExport[];
  malformed: Map<string, string>;
} {
  const items: QueuedExport[] = [];
  const malformed = new Map<string, string>();
  for (const record of records) {
    try {
      items.push({
        messageId: record.messageId,
        receiveCount: receiveCountOf(record),
        message: parseDeferredExport(record.body),
      });
    } catch (error) {
      const reason = describeError(error);
      malformed.set(record.messageId, reason);
      // It fails on every receive and ends in the dead-letter queue, whose alarm calls a person.
      logger.error('Malformed deferral message', {
        messageId: record.messageId,
        receiveCount: receiveCountOf(record),
        reason,
      });
    }
  }
  return { items, malformed };
}

function logRetrierReport(report: RetrierReport, malformed: number): void {
  logger.info('Deferred re-exports decided', {
    messages: report.messages,
    malformed,
    tasksStarted: report.started.length,
    pathsEscalated: report.escalated.length,
    tasksRefused: report.refused.length,
    waits: report.waiting.reduce((sum, wait) => sum + wait.messages, 0),
    deadLettered: report.deadLettered.length,
  });
  for (const start of report.started) {
    logger.info('Re-export started', {
      fileSystemId: start.task.fileSystemId,
      taskId: start.taskId,
      paths: start.task.paths.length,
      messages: start.messages,
      clientRequestToken: start.task.clientRequestToken,
    });
  }
  for (const wait of report.waiting) {
    logger.info('Re-export waits', {
      fileSystemId: wait.fileSystemId,
      messages: wait.messages,
      reason: wait.reason,
    });
  }
  for (const refusal of report.refused) {
    logger.warn('Re-export refused', {
      fileSystemId: refusal.task.fileSystemId,
      error: refusal.error,
      reason: refusal.reason,
      paths: refusal.task.paths,
    });
  }
  if (report.escalated.length > 0) {
    logger.warn('Re-exports escalated to a person', { escalated: report.escalated });
  }
  for (const dead of report.deadLettered) {
    // Every path, so the logs hold what the email may shorten.
    logger.error('Deferred re-export dead-lettered', {
      messageId: dead.messageId,
      receiveCount: dead.receiveCount,
      fileSystemId: dead.task.fileSystemId,
      paths: dead.task.paths,
      reason: dead.reason,
    });
  }
}

/** A dry run decides nothing: every record goes back to the queue, untouched. */
function dryRunRun(items: readonly QueuedExport[]): RetrierRun {
  return {
    async settle() {
      throw new Error('dry run: the retrier starts nothing, the message goes back to the queue');
    },
    async report() {
      return {
        generatedAt: new Date().toISOString(),
        region: config.region,
        messages: items.length,
        started: [],
        escalated: [],
        refused: [],
        waiting: [],
        deadLettered: [],
      };
    },
  };
}

async function retry(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const records = event.Records ?? [];
  const { items, malformed } = parseRecords(records);
  const run =
    ledger === undefined || config.dryRun
      ? dryRunRun(items)
      : createRetrierRun(
          items,
          { fsx: fsxAdapter, ledger },
          {
            maxAttempts: reexport.maxAttempts,
            coalesceWindowSeconds: reexport.coalesceWindowSeconds,
            maxReceives: reexport.maxReceives,
            maxPathsPerTask: config.maxPathsPerTask,
            reportPath: config.reportPath,
            region: config.region,
          },
        );
  // A new processor per invocation: it keeps the batch's state in the instance.
  const processor = new BatchProcessor(EventType.SQS);
  const response = await processPartialResponse(
    { Records: records },
    async (record: SQSRecord): Promise<void> => {
      const reason = malformed.get(record.messageId);
      if (reason !== undefined) throw new Error(reason);
      await run.settle(record.messageId);
    },
    processor,
    // Every record waiting is an answer, not a failure of the function: the response lists them.
    { context, throwOnFullBatchFailure: false },
  );
  const report = await run.report();
  recordRetrierMetrics(metrics, report, malformed.size);
  logRetrierReport(report, malformed.size);
  if (hasNews(report)) {
    // One email per invocation. A PublishError fails the whole invocation: every record comes
    // back, and the deterministic tokens and the ADD-only ledger make the repeat harmless.
    await deliver(snsClient, config, renderRetrierEmail(report), 'retrier email');
  }
  return { batchItemFailures: response.batchItemFailures };
}

/**
 * Lambda entry point for the deferral queue's event source (ReportBatchItemFailures): starts the
 * deferred re-exports FSx can take now and returns the others as batch item failures. Metrics are
 * flushed whether the invocation succeeds or fails.
 */
const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  try {
    return await retry(event, context);
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};

export { handler };

import type { Context } from 'aws-lambda';
import { dynamoClient, fsxClient, snsClient } from '../lib/aws/clients.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { createLedger } from '../lib/aws/ledger.ts';
import { deliver } from '../lib/aws/sns.ts';
import { loadOrLog, logger, metrics, recordOutcomeMetrics } from '../lib/aws/telemetry.ts';
import { renderOutcomeEmail } from '../lib/reexport/email.ts';
import { checkOutcomes, type OutcomeReport } from '../lib/reexport/outcomes.ts';
import { loadConfig, loadReexportConfig } from '../lib/shared/config.ts';
import { ConfigError } from '../lib/shared/errors.ts';

/*
 * The outcome check, on a schedule: looks up the tasks the analyzer and the retrier started and
 * emails one follow-up per run for those that ended.
 */

/** What one run did. */
interface OutcomeResult {
  readonly finished: number;
  readonly stillOpen: number;
  /** SNS MessageId of the follow-up, or null when nothing was published. */
  readonly published: string | null;
}

function loadSettings() {
  const config = loadConfig();
  const reexport = loadReexportConfig();
  const table = reexport.ledgerTable;
  if (table === undefined) {
    throw new ConfigError('Environment variable LEDGER_TABLE is required by the outcome check');
  }
  return { config, table, attemptWindowHours: reexport.attemptWindowHours };
}

const { config, table, attemptWindowHours } = loadOrLog(loadSettings);
const ports = {
  ledger: createLedger(dynamoClient, { tableName: table, attemptWindowHours }),
  fsx: createFsxAdapter(fsxClient, { cacheSeconds: config.associationCacheSeconds }),
};

function logOutcomes(report: OutcomeReport): void {
  logger.info('Outcomes checked', {
    finished: report.finished.length,
    stillOpen: report.stillOpen,
  });
  // One line per task, so the logs keep every outcome even when the email is cut or lost.
  for (const finished of report.finished) {
    const fields = {
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
    };
    if (finished.lifecycle === 'SUCCEEDED') logger.info('Re-export ended', fields);
    else logger.warn('Re-export ended', fields);
  }
}

async function check(): Promise<OutcomeResult> {
  const report = await checkOutcomes(ports, { region: config.region });
  recordOutcomeMetrics(metrics, report);
  logOutcomes(report);
  let published: string | null = null;
  if (report.finished.length > 0) {
    // Tasks are closed before the email goes out, so two overlapping runs never report one
    // twice. If the publish fails, this run's closes are undone so the next run reports them,
    // and the run fails (alarm); the outcomes logged above remain either way.
    try {
      published = await deliver(snsClient, config, renderOutcomeEmail(report), 'outcome email');
    } catch (error) {
      const closedAt = new Date(report.generatedAt);
      await Promise.all(
        report.finished.map((finished) =>
          ports.ledger.reopenTask(finished.tracked.taskId, closedAt),
        ),
      );
      throw error;
    }
  }
  return { finished: report.finished.length, stillOpen: report.stillOpen, published };
}

/**
 * Lambda entry point for the schedule: reports the re-export tasks that ended since the last run
 * in one email. Metrics are flushed whether the run succeeds or fails.
 */
const handler = async (_event: unknown, context: Context): Promise<OutcomeResult> => {
  logger.addContext(context);
  try {
    return await check();
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};

export type { OutcomeResult };
export { handler };

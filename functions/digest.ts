import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { dynamoClient, snsClient } from '../lib/aws/clients.ts';
import { createDigestStore, type PendingWork } from '../lib/aws/digests.ts';
import { deliver } from '../lib/aws/sns.ts';
import { loadOrLog, logger, metrics } from '../lib/aws/telemetry.ts';
import { renderDigestEmail } from '../lib/digest/email.ts';
import { keyFields } from '../lib/digest/windows.ts';
import { loadConfig, loadDigestConfig, loadReexportConfig } from '../lib/shared/config.ts';
import { ConfigError } from '../lib/shared/errors.ts';

/*
 * The digest run, on a schedule: closes the alert windows whose end has passed and emails one
 * message per run with every digest (repeats held back) and every recovery notice. Windows are
 * rolled first and their counters kept as "pending" in the same atomic write; the email goes
 * out; then the pending entries are cleared. A failed publish leaves them pending and fails the
 * run (alarm): the next run sends them again. A publish that SNS accepted but whose answer was
 * lost is sent twice: a duplicate digest, never a lost one.
 */

/** What one run did. */
interface DigestResult {
  readonly digests: number;
  readonly recovered: number;
  readonly heldFailures: number;
  /** Windows whose roll lost a race with an analyzer; the next run closes them. */
  readonly skipped: number;
  /** SNS MessageId of the digest, or null when nothing was published. */
  readonly published: string | null;
}

function loadSettings() {
  const config = loadConfig();
  const table = loadReexportConfig().ledgerTable;
  const { windowMinutes } = loadDigestConfig();
  if (table === undefined) {
    throw new ConfigError('Environment variable LEDGER_TABLE is required by the digest function');
  }
  if (windowMinutes === 0) {
    throw new ConfigError(
      'Environment variable DIGEST_WINDOW_MINUTES must be from 1 to 1440 for the digest function',
    );
  }
  return { config, table, windowSeconds: windowMinutes * 60 };
}

const { config, table, windowSeconds } = loadOrLog(loadSettings);
const store = createDigestStore(dynamoClient, { tableName: table, windowSeconds });

function logWork(work: PendingWork): void {
  // One line per entry, so the logs keep every count even when the email is cut or lost.
  for (const digest of work.digests) {
    logger.info('Digest', {
      ...keyFields(digest.key),
      windowStart: new Date(digest.windowStart * 1000).toISOString(),
      windowEnd: new Date(digest.windowEnd * 1000).toISOString(),
      held: digest.held,
      newFailures: digest.newFailures,
      recurringFailures: digest.recurringFailures,
      untracked: digest.untracked,
      outcomes: digest.outcomes,
    });
  }
  for (const notice of work.recovered) {
    logger.info('Recovered', {
      ...keyFields(notice.key),
      lastFailureAt: new Date(notice.lastFailureAt * 1000).toISOString(),
    });
  }
  if (work.truncated === true) {
    // Windows past the cut are not closed: their repeats alert (stale) instead of being digested.
    logger.error('Digest scan stopped at its page limit: some alert windows were not looked at', {
      table,
    });
  }
  if (work.skipped > 0) {
    logger.info('Windows left for the next run (an analyzer wrote them meanwhile)', {
      skipped: work.skipped,
    });
  }
}

async function run(): Promise<DigestResult> {
  const work = await store.collect();
  const heldFailures = work.digests.reduce((sum, digest) => sum + digest.held, 0);
  logWork(work);
  metrics.addMetric('Digests', MetricUnit.Count, work.digests.length);
  metrics.addMetric('DigestFailures', MetricUnit.Count, heldFailures);
  metrics.addMetric('Recovered', MetricUnit.Count, work.recovered.length);
  if (work.truncated === true) metrics.addMetric('DigestScanTruncated', MetricUnit.Count, 1);
  let published: string | null = null;
  if (work.digests.length > 0 || work.recovered.length > 0) {
    const publication = renderDigestEmail({
      digests: work.digests,
      recovered: work.recovered,
      generatedAt: new Date().toISOString(),
      region: config.region,
    });
    // A PublishError fails the run on purpose: nothing is acknowledged, so the next run sends it.
    published = await deliver(snsClient, config, publication, 'digest');
    if (!config.dryRun) await store.acknowledge(work);
  }
  return {
    digests: work.digests.length,
    recovered: work.recovered.length,
    heldFailures,
    skipped: work.skipped,
    published,
  };
}

/**
 * Lambda entry point for the schedule: one email per run with the digests of the windows that
 * closed and the groups that recovered. Metrics are flushed whether the run succeeds or fails.
 */
const handler = async (_event: unknown, context: Context): Promise<DigestResult> => {
  logger.addContext(context);
  try {
    return await run();
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};

export type { DigestResult };
export { handler };

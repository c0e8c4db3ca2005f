import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { dynamoClient, fsxClient, logsClient, snsClient } from '../lib/aws/clients.ts';
import { createDoctorState } from '../lib/aws/doctor-state.ts';
import { readInventory } from '../lib/aws/inventory.ts';
import { deliver } from '../lib/aws/sns.ts';
import { loadOrLog, logger, metrics } from '../lib/aws/telemetry.ts';
import { diagnose, doctorChanges, renderDoctorAlert } from '../lib/doctor/diagnose.ts';
import { loadDoctorConfig } from '../lib/shared/config.ts';

/*
 * The scheduled doctor: the checks of `fsx-export-analyzer doctor` (event logging on, the
 * analyzer subscribed to the log group, associations AVAILABLE with automatic export), run on a
 * schedule, with one email when something a person acts on appears or goes away (a check that
 * cannot be made, e.g. a throttled call, only when it fails two runs in a row: doctorChanges). A
 * MISCONFIGURED association stops automatic export without a single failure event, so the
 * analyzer alone would never notice it.
 */

/** What one run did. */
interface DoctorRunResult {
  readonly fileSystems: number;
  readonly problems: number;
  readonly changes: number;
  /** SNS MessageId of the alert, or null when nothing was published. */
  readonly published: string | null;
}

const config = loadOrLog(loadDoctorConfig);
const state = createDoctorState(dynamoClient, config.ledgerTable, config.region);

async function run(now: Date): Promise<DoctorRunResult> {
  const inventory = await readInventory(
    { fsx: fsxClient, logs: logsClient },
    { region: config.region },
  );
  const result = diagnose(inventory, { functionRef: config.analyzerFunction });
  const problems = result.counts.PROBLEM + result.counts.UNKNOWN;
  const { changes, state: next } = doctorChanges(await state.load(), result.findings);
  logger.info('Doctor checked', {
    fileSystems: result.fileSystems,
    counts: result.counts,
    changes: changes.length,
  });
  // Every finding a person acts on, so the logs hold what the email may have said long ago.
  for (const item of result.findings) {
    if (item.severity === 'PROBLEM' || item.severity === 'UNKNOWN' || item.severity === 'WARN') {
      logger.warn('Doctor finding', {
        key: item.key,
        severity: item.severity,
        detail: item.detail,
      });
    }
  }
  metrics.addMetric('DoctorProblems', MetricUnit.Count, problems);
  let published: string | null = null;
  if (changes.length > 0) {
    // The state is saved only after the email went out: a failed publish fails the run, and the
    // next run finds the same changes and tries again.
    published = await deliver(
      snsClient,
      config,
      renderDoctorAlert(result, changes),
      'doctor alert',
    );
  }
  await state.save(next, now);
  return { fileSystems: result.fileSystems, problems, changes: changes.length, published };
}

/**
 * Lambda entry point for the schedule. Metrics are flushed whether the run succeeds or fails.
 */
const handler = async (_event: unknown, context: Context): Promise<DoctorRunResult> => {
  logger.addContext(context);
  try {
    return await run(new Date());
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};

export type { DoctorRunResult };
export { handler };

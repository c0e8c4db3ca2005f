import type { PendingWork } from '../common/ports.ts';
import type { LogLine, MetricPoint, Telemetry } from '../common/types.ts';
import type { GateDecision } from './gate.ts';
import { keyFields } from './windows.ts';

/*
 * What the alert digests tell operators, as data: the digest gate's metrics and log lines in the
 * analyzer, and the digest run's (docs/design.md#alert-digests). lib/aws/telemetry.ts emits them.
 */

const isoTime = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

/** What the digest gate reports for one summary: nothing without findings or digests. */
function gateTelemetry(decision: GateDecision): Telemetry {
  if (decision.kind === 'quiet' || decision.kind === 'off') return { metrics: [], logs: [] };
  if (decision.kind === 'unavailable') {
    return {
      metrics: [{ name: 'DigestStateErrors', value: 1 }],
      logs: [
        {
          level: 'error',
          message: 'Alert windows unavailable: sending the full summary',
          fields: { reason: decision.reason },
        },
      ],
    };
  }
  const metrics: MetricPoint[] = [{ name: 'HeldForDigest', value: decision.heldFailures }];
  const logs: LogLine[] = [];
  if (decision.held.length > 0) {
    logs.push({
      level: 'info',
      message: 'Repeats held for the digest',
      fields: {
        held: decision.heldFailures,
        groups: decision.held.map((item) => ({
          ...keyFields(item.group.key),
          failures: item.group.failures,
          windowEnd: isoTime(item.windowEnd),
        })),
      },
    });
  }
  if (decision.show === undefined) {
    logs.push({
      level: 'info',
      message: 'Every failure of the batch was a repeat: no summary published',
    });
    metrics.push({ name: 'SummariesHeld', value: 1 });
  }
  return { metrics, logs };
}

/** Failures the digests of a run hold. */
function heldFailures(work: Pick<PendingWork, 'digests'>): number {
  return work.digests.reduce((sum, digest) => sum + digest.held, 0);
}

/**
 * What one digest run reports: one log line per entry, so the logs keep every count even when
 * the email is cut or lost, and the run's totals. `table` names the ledger table in the error line.
 */
function digestRunTelemetry(work: PendingWork, table: string): Telemetry {
  const logs: LogLine[] = [];
  for (const digest of work.digests) {
    logs.push({
      level: 'info',
      message: 'Digest',
      fields: {
        ...keyFields(digest.key),
        windowStart: isoTime(digest.windowStart),
        windowEnd: isoTime(digest.windowEnd),
        held: digest.held,
        newFailures: digest.newFailures,
        recurringFailures: digest.recurringFailures,
        untracked: digest.untracked,
        outcomes: digest.outcomes,
      },
    });
  }
  for (const notice of work.recovered) {
    logs.push({
      level: 'info',
      message: 'Recovered',
      fields: { ...keyFields(notice.key), lastFailureAt: isoTime(notice.lastFailureAt) },
    });
  }
  if (work.truncated === true) {
    // Windows past the cut are not closed: their repeats alert (stale) instead of being digested.
    logs.push({
      level: 'error',
      message: 'Digest scan stopped at its page limit: some alert windows were not looked at',
      fields: { table },
    });
  }
  if (work.skipped > 0) {
    logs.push({
      level: 'info',
      message: 'Windows left for the next run (an analyzer wrote them meanwhile)',
      fields: { skipped: work.skipped },
    });
  }
  const metrics: MetricPoint[] = [
    { name: 'Digests', value: work.digests.length },
    { name: 'DigestFailures', value: heldFailures(work) },
    { name: 'Recovered', value: work.recovered.length },
  ];
  if (work.truncated === true) metrics.push({ name: 'DigestScanTruncated', value: 1 });
  return { metrics, logs };
}

export { digestRunTelemetry, gateTelemetry, heldFailures };

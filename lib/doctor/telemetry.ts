import type { Telemetry } from '../common/types.ts';
import { ACTIONABLE } from './changes.ts';
import type { DoctorResult } from './diagnose.ts';

/*
 * What the scheduled doctor tells operators, as data: its EMF metric and its log lines
 * (docs/operate.md#the-functions-own-logs-and-metrics). lib/aws/telemetry.ts emits them.
 */

/** Findings that say something is broken or cannot be checked: PROBLEM and UNKNOWN. */
function problemCount(result: Pick<DoctorResult, 'counts'>): number {
  return result.counts.PROBLEM + result.counts.UNKNOWN;
}

/**
 * One run's totals, and every finding a person acts on, so the logs hold what the email may
 * have said long ago. `changes` is how many findings changed since the last run.
 */
function doctorTelemetry(result: DoctorResult, changes: number): Telemetry {
  return {
    metrics: [{ name: 'DoctorProblems', value: problemCount(result) }],
    logs: [
      {
        level: 'info',
        message: 'Doctor checked',
        fields: { fileSystems: result.fileSystems, counts: result.counts, changes },
      },
      ...result.findings
        .filter((item) => ACTIONABLE.has(item.severity))
        .map((item) => ({
          level: 'warn' as const,
          message: 'Doctor finding',
          fields: { key: item.key, severity: item.severity, detail: item.detail },
        })),
    ],
  };
}

export { doctorTelemetry, problemCount };

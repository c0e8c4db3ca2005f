import type { Check, FindingState, Severity } from '../common/types.ts';
import type { Finding } from './diagnose.ts';

/*
 * What a scheduled doctor tells a person: the findings that changed since the run before, and
 * what it keeps for the next run (lib/aws/doctor-state.ts stores it).
 */

/** One change worth telling a person about: a finding that appeared, changed or went away. */
interface FindingChange {
  readonly key: string;
  readonly fileSystemId: string;
  readonly check: Check;
  /** undefined: the finding is new (first run: everything is new). */
  readonly before: Severity | undefined;
  /** undefined: the finding is gone (its file system or association was deleted). */
  readonly after: Severity | undefined;
  /** The current finding's detail; for a gone finding, undefined. */
  readonly detail: string | undefined;
}

/** What doctorChanges found: the changes to email, and the state to keep for the next run. */
interface DoctorStep {
  readonly changes: readonly FindingChange[];
  readonly state: readonly FindingState[];
}

/** Severities a person acts on: a change into or out of one of these is worth an email. */
const ACTIONABLE: ReadonlySet<Severity> = new Set(['WARN', 'PROBLEM', 'UNKNOWN']);

/** The part of each finding a scheduled doctor stores between runs. */
function toFindingState(findings: readonly Finding[]): FindingState[] {
  return findings.map((item) => ({
    key: item.key,
    fileSystemId: item.fileSystemId,
    check: item.check,
    severity: item.severity,
  }));
}

/** The severity a stored finding stands for; undefined when a person never heard of it. */
function reported(state: FindingState | undefined): Severity | undefined {
  if (state === undefined) return undefined;
  return state.unconfirmed === true && state.severity === 'UNKNOWN' ? undefined : state.severity;
}

/**
 * The changes between the stored state of the previous run (undefined: there was none) and this
 * run that a person should hear of, and the state to store for the next run. A change is a
 * finding that became, or stopped being, WARN, PROBLEM or UNKNOWN; a new healthy file system, or
 * OK turning into NOTE, is not worth an email. Two rules keep a passing failure to look (a
 * throttled or timed-out describe call) from sending two emails an hour apart:
 * - a finding that turns UNKNOWN is reported only when it is still UNKNOWN on the next run;
 *   until then the severity before stands;
 * - while a file system's associations cannot be listed, the findings of its associations are
 *   kept as they were, not reported gone.
 */
function doctorChanges(
  previous: readonly FindingState[] | undefined,
  current: readonly Finding[],
): DoctorStep {
  const before = new Map((previous ?? []).map((item) => [item.key, item]));
  const changes: FindingChange[] = [];
  const state: FindingState[] = [];
  const unlisted = new Set<string>();
  for (const item of current) {
    const stored = before.get(item.key);
    before.delete(item.key);
    const was = reported(stored);
    if (item.check === 'associations' && item.severity === 'UNKNOWN') {
      unlisted.add(item.fileSystemId);
    }
    if (item.severity === 'UNKNOWN' && was !== 'UNKNOWN' && stored?.unconfirmed !== true) {
      // Could not check, for the first time in a row: wait for the next run before telling.
      state.push({
        key: item.key,
        fileSystemId: item.fileSystemId,
        check: item.check,
        severity: was ?? 'UNKNOWN',
        unconfirmed: true,
      });
      continue;
    }
    state.push({
      key: item.key,
      fileSystemId: item.fileSystemId,
      check: item.check,
      severity: item.severity,
    });
    if (was === item.severity) continue;
    if (!ACTIONABLE.has(item.severity) && (was === undefined || !ACTIONABLE.has(was))) continue;
    changes.push({
      key: item.key,
      fileSystemId: item.fileSystemId,
      check: item.check,
      before: was,
      after: item.severity,
      detail: item.detail,
    });
  }
  for (const gone of before.values()) {
    if (gone.check === 'association' && unlisted.has(gone.fileSystemId)) {
      state.push(gone);
      continue;
    }
    const was = reported(gone);
    if (was === undefined || !ACTIONABLE.has(was)) continue;
    changes.push({
      key: gone.key,
      fileSystemId: gone.fileSystemId,
      check: gone.check,
      before: was,
      after: undefined,
      detail: undefined,
    });
  }
  return { changes, state };
}

export type { DoctorStep, FindingChange };
export { ACTIONABLE, doctorChanges, toFindingState };

import { hasFindings } from '../analyze/analysis.ts';
import { renderEmail } from '../analyze/email.ts';
import { describeError } from '../common/errors.ts';
import type { DigestStore } from '../common/ports.ts';
import type { BatchGroup, Publication, Report } from '../common/types.ts';
import { type HeldBack, heldNote, withHeldNote } from './email.ts';
import { groupReport } from './windows.ts';

/*
 * The digest gate (docs/design.md#alert-digests): which failures of a report the summary shows,
 * and which it holds for the digest. Each (file system, class) group of the batch either opens a
 * window (it is shown) or is counted in the open one (held). The summary goes out when at least
 * one group alerts or a held group has an escalation new to its window; otherwise the batch
 * publishes nothing.
 */

/** What the summary of one report shows and holds back. */
interface GateDecision {
  /**
   * `quiet`: no findings, no summary; `off`: digests are off, the whole report is shown;
   * `windows`: decided per group by the alert windows; `unavailable`: the window state could not
   * be read or written, so the full summary goes out (an email too many is better than an alert
   * lost).
   */
  readonly kind: 'quiet' | 'off' | 'windows' | 'unavailable';
  /** The report the summary shows: whole, or only the groups that alert; undefined: no summary. */
  readonly show: Report | undefined;
  /** The groups held for the digest, each with the end of the window that holds it. */
  readonly held: readonly HeldBack[];
  /** Failures held for the digest. */
  readonly heldFailures: number;
  /** Why the window state was unavailable (kind `unavailable`). */
  readonly reason?: string;
}

/**
 * The part of a report an alert shows: the records and unparseable events of the groups that
 * alert. Everything else (re-export outcomes, escalations, sources, totals) stays whole: it is what
 * the invocation did.
 */
function alertingReport(report: Report, eventIds: ReadonlySet<string>): Report {
  return {
    ...report,
    records: report.records.filter((record) => eventIds.has(record.eventId)),
    unparseable: report.unparseable.filter((event) => eventIds.has(event.eventId)),
  };
}

/**
 * Decides what the summary of `report` shows. A report without findings gets none; without a
 * store (digests off) the whole report is shown; otherwise the store says for each group whether
 * it alerts or is held. Groups past the grouping's bound (overflow) always alert. A store that
 * fails gives the full summary.
 */
async function gate(
  report: Report,
  store: Pick<DigestStore, 'observe'> | undefined,
): Promise<GateDecision> {
  if (!hasFindings(report)) return { kind: 'quiet', show: undefined, held: [], heldFailures: 0 };
  if (store === undefined) return { kind: 'off', show: report, held: [], heldFailures: 0 };
  const { groups, overflow } = groupReport(report);
  const alerting: BatchGroup[] = [...overflow];
  const held: HeldBack[] = [];
  try {
    for (const group of groups) {
      const result = await store.observe(group);
      if (result.alerted || result.urgent) alerting.push(group);
      else held.push({ group, windowEnd: result.windowEnd });
    }
  } catch (error) {
    return {
      kind: 'unavailable',
      show: report,
      held: [],
      heldFailures: 0,
      reason: describeError(error),
    };
  }
  const heldFailures = held.reduce((sum, item) => sum + item.group.failures, 0);
  const shows = alerting.some((group) => group.eventIds.length > 0);
  if (!shows) return { kind: 'windows', show: undefined, held, heldFailures };
  // Nothing held (the usual first batch of a window): the whole report, without a set of its ids.
  if (held.length === 0) return { kind: 'windows', show: report, held, heldFailures };
  const shown = new Set<string>();
  for (const group of alerting) for (const id of group.eventIds) shown.add(id);
  return { kind: 'windows', show: alertingReport(report, shown), held, heldFailures };
}

/** The summary to publish for a decision, with its paragraph on what it held; undefined: none. */
function summaryOf(decision: GateDecision): Publication | undefined {
  if (decision.show === undefined) return undefined;
  return withHeldNote(renderEmail(decision.show), heldNote(decision.held));
}

export type { GateDecision };
export { alertingReport, gate, summaryOf };

import { fileSystemIdFromStream } from '../common/fsx.ts';
import type {
  Report,
  ReportTotals,
  Source,
  TaskOutcome,
  Unplanned,
  UnplannedGroup,
} from '../common/types.ts';
import { insightsLink, insightsQuery, isDateMillis, minuteWindow } from './insights.ts';
import { plural } from './layout.ts';
import { groupByPlace, type Place } from './places.ts';

/*
 * What the summary email and the terminal report both show of a report, read from the report
 * alone: its outcomes, the failures that could not be planned, its sources, its time range and
 * the Logs Insights link to its events.
 */

/**
 * Every task's outcome; a report built without outcomes shows its plan as planned. A report made
 * with a ledger (`escalated` set) is never one of those: its tasks may all have been escalated.
 */
function outcomesOf(
  report: Pick<Report, 'outcomes' | 'plan' | 'escalated'>,
): readonly TaskOutcome[] {
  if (report.outcomes.length > 0 || report.plan.tasks.length === 0) return report.outcomes;
  if (report.escalated !== undefined) return report.outcomes;
  return report.plan.tasks.map((task) => ({ status: 'planned', task }));
}

/**
 * Whether a dry run's task is one the Lambda would refuse before asking FSx (`analyze
 * --associations FILE` without REPORT_PATH: NoReportPath). Its status stays `planned`, as a dry
 * run starts nothing, but it counts where refused tasks count: a person must act on it.
 */
function wouldBeRefused(outcome: TaskOutcome): boolean {
  return outcome.status === 'planned' && outcome.refusal !== undefined;
}

/**
 * Whether a task's paths are left to a person: refused by FSx, deferred without a deferral queue
 * (a person runs the command once the delay has passed), or, in a dry run, one the Lambda would
 * refuse.
 */
function leftToPerson(outcome: TaskOutcome): boolean {
  return outcome.status === 'refused' || outcome.status === 'deferred' || wouldBeRefused(outcome);
}

/**
 * Outcomes in the order the email and the terminal list them: the tasks left to a person first
 * (see {@link leftToPerson}), then the others, each group in plan order. Both outputs stop at 50
 * tasks: a task a person must act on, and its note, is then never among those left out.
 */
function personFirst(outcomes: readonly TaskOutcome[]): readonly TaskOutcome[] {
  const first = outcomes.filter(leftToPerson);
  if (first.length === 0 || first.length === outcomes.length) return outcomes;
  return [...first, ...outcomes.filter((outcome) => !leftToPerson(outcome))];
}

/** The order a task tally names statuses in: what happened first, then what a dry run would do. */
const TALLY_ORDER = ['started', 'queued', 'refused', 'deferred', 'planned'] as const;

/**
 * "72 tasks: 12 planned, 60 would be refused.": how many tasks of each status, for the email and
 * the terminal alike. A dry run's tasks the Lambda would refuse are planned ones, counted apart so
 * the tally shows what would start. Empty when there is no task.
 */
function taskTally(outcomes: readonly TaskOutcome[]): string {
  if (outcomes.length === 0) return '';
  const tasks = new Map<string, number>();
  for (const outcome of outcomes) {
    const status = wouldBeRefused(outcome) ? 'would be refused' : outcome.status;
    tasks.set(status, (tasks.get(status) ?? 0) + 1);
  }
  const parts = [...TALLY_ORDER, 'would be refused']
    .filter((status) => tasks.has(status))
    .map((status) => `${tasks.get(status)} ${status}`);
  return `${plural(outcomes.length, 'task')}: ${parts.join(', ')}.`;
}

/**
 * Retryable failures that were not planned, grouped by reason (largest group first) and, within a
 * reason, by place. `locate` gives each failure's place and what to show of it (its path as FSx
 * tasks take it, or its S3 object); a failure that names neither shows its event.
 */
function groupUnplanned(
  unplanned: readonly Unplanned[],
  locate: (item: Unplanned) => { readonly place: Place; readonly target: string | undefined },
): UnplannedGroup[] {
  const groups = new Map<string, Array<{ place: Place; sample: string }>>();
  for (const item of unplanned) {
    const { place, target } = locate(item);
    const group = groups.get(item.reason) ?? [];
    group.push({ place, sample: target ?? `(no path; event ${item.eventId})` });
    groups.set(item.reason, group);
  }
  return [...groups]
    .map(([reason, items]) => ({
      reason,
      count: items.length,
      places: groupByPlace(items, {
        fileSystemId: (entry) => entry.place.fileSystemId,
        account: (entry) => entry.place.account,
        sample: (entry) => entry.sample,
      }),
    }))
    .sort((a, b) => b.count - a.count);
}

/** Why a source's log group is marked "(assumed)" in the outputs' "where to look". */
const ASSUMED_LOG_GROUP = 'the input names no log group; --log-group sets it';

/** Sources merged by account, group and stream (a stream may arrive in several batches). */
function uniqueSources(report: Pick<Report, 'sources'>): Source[] {
  const merged = new Map<string, Source>();
  for (const source of report.sources) {
    const key = JSON.stringify([source.owner, source.logGroup, source.logStream]);
    const existing = merged.get(key);
    // A log group that any input named is known, even where another input only assumed it.
    const assumed =
      source.logGroupAssumed === true &&
      (existing === undefined || existing.logGroupAssumed === true);
    merged.set(key, {
      owner: source.owner,
      logGroup: source.logGroup,
      ...(assumed ? { logGroupAssumed: true } : {}),
      logStream: source.logStream,
      events: (existing?.events ?? 0) + source.events,
    });
  }
  return [...merged.values()];
}

/**
 * The report's time range as ISO UTC from its known event times, and how many events have no
 * time; undefined when the report has no event. `from`/`to` are undefined when no event has a
 * time: outputs then say "unknown", never 1970.
 */
function timeRange(
  totals: ReportTotals,
):
  | { readonly from: string | undefined; readonly to: string | undefined; readonly unknown: number }
  | undefined {
  if (totals.records + totals.unparseable === 0) return undefined;
  const { window, untimed: unknown } = totals;
  if (window === undefined) return { from: undefined, to: undefined, unknown };
  return {
    from: new Date(window.first).toISOString(),
    to: new Date(window.last).toISOString(),
    unknown,
  };
}

/**
 * The Logs Insights link that lists the report's events: its log groups, its event time range
 * widened to whole minutes, a query narrowed to its file systems' `datarepo_` streams when every
 * event came from one. Undefined without a region, a known event time or a log group.
 */
function reportInsightsLink(
  report: Pick<Report, 'region' | 'sources'>,
  totals: ReportTotals,
): string | undefined {
  if (report.region === undefined || report.region === '') return undefined;
  // Only known times make the window: a report without any has no link (never one for 1970).
  const { window } = totals;
  // Widened to whole minutes, the window must still be a valid date range.
  if (window === undefined || !isDateMillis(window.last + 60_000)) return undefined;
  if (!isDateMillis(window.first - 60_000)) return undefined;
  const logGroups = new Set<string>();
  for (const source of report.sources) logGroups.add(source.logGroup);
  for (const logGroup of totals.logGroups) logGroups.add(logGroup);
  const fileSystems = new Set<string>();
  let everyStreamKnown = true;
  for (const stream of totals.logStreams) {
    const id = fileSystemIdFromStream(stream);
    if (id === undefined) everyStreamKnown = false;
    else fileSystems.add(id);
  }
  logGroups.delete('');
  if (logGroups.size === 0) return undefined;
  const { start, end } = minuteWindow(window.first, window.last);
  return insightsLink({
    region: report.region,
    logGroups: [...logGroups].sort(),
    start,
    end,
    query: insightsQuery({ fileSystemIds: everyStreamKnown ? [...fileSystems] : undefined }),
  });
}

/**
 * The opening of a summary's headline (email subject, chat title and chat summary): failures
 * when there are any, else the skipped exports (warnings), which are never counted as failed.
 * `title` replaces "FSx export failures/warnings" (the email says "FSx import events").
 *
 * @example failureHeadline('fs-1', 44, 4) // 'FSx export failures on fs-1: 44 failed'
 */
function failureHeadline(where: string, failed: number, skipped: number, title?: string): string {
  return failed > 0 || skipped === 0
    ? `${title ?? 'FSx export failures'} on ${where}: ${failed} failed`
    : `${title ?? 'FSx export warnings'} on ${where}: ${skipped} skipped`;
}

/**
 * Counted failures in prose with the warnings apart, as the summary's headline says them:
 * "3 repeated failures and 2 skipped exports (warnings)", or only the warnings when no failure.
 * `failure` is the noun for the failures ("repeated failure", "more failure").
 */
function failuresAndWarnings(failed: number, skipped: number, failure = 'failure'): string {
  const warnings = `${plural(skipped, 'skipped export')} (warnings)`;
  if (failed === 0 && skipped > 0) return warnings;
  return `${plural(failed, failure)}${skipped > 0 ? ` and ${warnings}` : ''}`;
}

export {
  ASSUMED_LOG_GROUP,
  failureHeadline,
  failuresAndWarnings,
  groupUnplanned,
  leftToPerson,
  outcomesOf,
  personFirst,
  reportInsightsLink,
  taskTally,
  timeRange,
  uniqueSources,
  wouldBeRefused,
};

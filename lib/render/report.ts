import type { Report, Source, TaskOutcome, Unplanned } from '../shared/types.ts';
import {
  fileSystemOfStream,
  insightsLink,
  insightsQuery,
  isDateMillis,
  minuteWindow,
} from './insights.ts';

/*
 * What the summary email and the terminal report both show of a report, read from the report
 * alone: its outcomes, the failures that could not be planned, its sources, its time range and
 * the Logs Insights link to its events.
 */

/** Distinct samples kept per group (files of a hint, targets of a reason). */
const MAX_SAMPLES = 5;

/** Adds a sample unless it is missing, already there, or the group has enough. */
function pushSample(samples: string[], value: string | undefined): void {
  if (value !== undefined && samples.length < MAX_SAMPLES && !samples.includes(value)) {
    samples.push(value);
  }
}

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

/** Retryable failures that were not planned, grouped by reason, largest group first. */
function groupUnplanned(
  unplanned: readonly Unplanned[],
): Array<{ reason: string; count: number; samples: string[] }> {
  const groups = new Map<string, { count: number; samples: string[] }>();
  for (const item of unplanned) {
    const group = groups.get(item.reason) ?? { count: 0, samples: [] };
    group.count++;
    pushSample(group.samples, item.target ?? `(no path; event ${item.eventId})`);
    groups.set(item.reason, group);
  }
  return [...groups]
    .map(([reason, group]) => ({ reason, ...group }))
    .sort((a, b) => b.count - a.count);
}

/** Sources merged by account, group and stream (a stream may arrive in several batches). */
function uniqueSources(report: Pick<Report, 'sources'>): Source[] {
  const merged = new Map<string, Source>();
  for (const source of report.sources) {
    const key = JSON.stringify([source.owner, source.logGroup, source.logStream]);
    const existing = merged.get(key);
    merged.set(key, { ...source, events: (existing?.events ?? 0) + source.events });
  }
  return [...merged.values()];
}

/** Earliest and latest event time (records and unparseable events) in milliseconds. */
function eventWindow(
  report: Pick<Report, 'records' | 'unparseable'>,
): { first: number; last: number } | undefined {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  // A loop, not Math.min(...spread): a large batch would overflow the argument stack.
  for (const events of [report.records, report.unparseable]) {
    for (const { timestamp } of events) {
      if (!isDateMillis(timestamp)) continue;
      if (timestamp < min) min = timestamp;
      if (timestamp > max) max = timestamp;
    }
  }
  if (!isDateMillis(min) || !isDateMillis(max)) return undefined;
  return { first: min, last: max };
}

/** Earliest and latest event time (records and unparseable events), as ISO UTC. */
function timeRange(
  report: Pick<Report, 'records' | 'unparseable'>,
): { from: string; to: string } | undefined {
  const window = eventWindow(report);
  if (window === undefined) return undefined;
  return { from: new Date(window.first).toISOString(), to: new Date(window.last).toISOString() };
}

/**
 * The Logs Insights link that lists the report's events: its log groups, its event time range
 * widened to whole minutes, a query narrowed to its file systems' `datarepo_` streams when every
 * event came from one. Undefined without a region, an event time or a log group.
 */
function reportInsightsLink(
  report: Pick<Report, 'region' | 'sources' | 'records' | 'unparseable'>,
): string | undefined {
  if (report.region === undefined || report.region === '') return undefined;
  const window = eventWindow(report);
  // Widened to whole minutes, the window must still be a valid date range.
  if (window === undefined || !isDateMillis(window.last + 60_000)) return undefined;
  if (!isDateMillis(window.first - 60_000)) return undefined;
  const logGroups = new Set<string>();
  for (const source of report.sources) logGroups.add(source.logGroup);
  // Distinct names first: a batch has thousands of events but only a few streams.
  const streams = new Set<string>();
  for (const events of [report.records, report.unparseable]) {
    for (const event of events) {
      logGroups.add(event.logGroup);
      streams.add(event.logStream);
    }
  }
  const fileSystems = new Set<string>();
  let everyStreamKnown = true;
  for (const stream of streams) {
    const id = fileSystemOfStream(stream);
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

export {
  groupUnplanned,
  MAX_SAMPLES,
  outcomesOf,
  pushSample,
  reportInsightsLink,
  timeRange,
  uniqueSources,
};

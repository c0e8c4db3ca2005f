import {
  countByClass,
  countOutcomes,
  fileSystemsOf,
  needPersonCounts,
  personFindings,
  reportTotals,
  shownPath,
  toReexport,
} from '../analyze/analysis.ts';
import {
  CLASS_ORDER,
  classTitle,
  mostSevere,
  PERSON_CLASSES,
  warningCount,
} from '../common/classes.ts';
import type { DigestClass, DigestWindow, Recovered, Report } from '../common/types.ts';
import type { DigestContent } from '../digest/email.ts';
import type { FindingChange } from '../doctor/changes.ts';
import type { DoctorResult } from '../doctor/diagnose.ts';
import type { OutcomeReport } from '../reexport/outcomes.ts';
import type { RetrierReport } from '../reexport/retrier.ts';
import { classAction } from '../render/class-table.ts';
import { needPersonText, needPersonUnits, plural } from '../render/layout.ts';
import { failureHeadline, failuresAndWarnings, reportInsightsLink } from '../render/report.ts';
import { type ChatNotification, code, dayOf, notification, prose, threadIdOf } from './format.ts';

/*
 * Chat messages (Amazon Q Developer in chat applications custom notifications) for the summary,
 * the digest, the re-export follow-ups and the scheduled doctor: short, one screen, the untrusted
 * parts in code spans, and threaded per (file system, class) and UTC day, so an alert, the digests
 * of its window and its "recovered" notice read as one conversation. The email keeps every detail.
 */

const APP = 'fsx-export-analyzer';
/** Items listed per section; the rest are counted. */
const MAX_ITEMS = 10;
const MAX_SAMPLES = 3;
const ID_CHARS = 64;
const PATH_CHARS = 160;
const REASON_CHARS = 300;

const RED = '🔴';
const YELLOW = '🟡';
const GREEN = '✅';
const INFO = 'ℹ️';

function epochOf(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function labelOf(cls: DigestClass): string {
  return cls === 'unparseable' ? 'unparseable events' : cls;
}

function isPerson(cls: DigestClass): boolean {
  return cls === 'unparseable' || PERSON_CLASSES.includes(cls);
}

function scopeText(key: DigestWindow['key']): string {
  return key.scopeKind === 'fileSystem'
    ? `file system ${code(key.scope, ID_CHARS)}`
    : `log group ${code(key.scope, ID_CHARS)}`;
}

function hhmm(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(11, 16);
}

function listed<T>(items: readonly T[], line: (item: T) => string): string[] {
  const lines = items.slice(0, MAX_ITEMS).map(line);
  if (items.length > MAX_ITEMS) lines.push(`• and ${items.length - MAX_ITEMS} more`);
  return lines;
}

/** Options of the summary message. */
interface SummaryOptions {
  /** Failures the digest gate held back from this summary (they come in the digest). */
  readonly heldFailures?: number;
  /** Of `heldFailures`, the skipped exports (warnings): said apart, never as failures. */
  readonly heldSkipped?: number;
}

/**
 * The summary of one analyzed batch (the report the summary email shows), threaded under its
 * file system and its most severe class.
 */
function renderChatSummary(report: Report, options: SummaryOptions = {}): ChatNotification {
  const byClass = countByClass(report.records);
  const worst = mostSevere(report.records.map((record) => record.class));
  const cls: DigestClass = worst ?? 'unparseable';
  const ids = fileSystemsOf(report);
  const fileSystem = ids.length === 1 ? (ids[0] ?? '') : undefined;
  const outcomes = countOutcomes(report.outcomes);
  // As in the summary email: the title keeps the total, the text names its units.
  const person = needPersonCounts(report);
  const needPerson = person.records + person.paths;
  const where =
    fileSystem !== undefined
      ? code(fileSystem, ID_CHARS)
      : ids.length > 1
        ? plural(ids.length, 'file system')
        : 'an unknown file system';
  // Skipped exports are warnings: counted apart, never as failed (as in the email).
  const skipped = warningCount(byClass);
  const failed = report.records.length - skipped;
  const icon = needPerson > 0 || report.unparseable.length > 0 ? RED : YELLOW;
  const prefix = report.dryRun ? '[dry run] ' : '';
  const headline = `${failureHeadline(where, failed, skipped)}, ${needPersonText(needPerson)}`;
  const title =
    report.records.length > 0
      ? `${icon} ${prefix}${headline}`
      : `${icon} ${prefix}FSx event log: ${plural(report.unparseable.length, 'unparseable event')}`;

  const blocks: string[] = [];
  // As in the email: a task the Lambda would refuse needs a person (above), not "to re-export".
  const done = report.dryRun
    ? `${plural(toReexport(outcomes).paths, 'path')} to re-export`
    : `${plural(outcomes.started.paths, 'path')} re-exported${outcomes.queued.paths > 0 ? `, ${outcomes.queued.paths} queued for later` : ''}`;
  blocks.push(
    `*${plural(failed, 'failure')}*${skipped > 0 ? ` and ${plural(skipped, 'skipped export')} (warnings)` : ''} in ${plural(report.events, 'log event')}: ${done}, *${needPersonUnits(person.records, person.paths)}*${report.unparseable.length > 0 ? `, ${report.unparseable.length} unparseable` : ''}.`,
  );
  for (const each of CLASS_ORDER) {
    if (byClass[each] > 0) {
      blocks.push(`• ${each}: ${byClass[each]} (${classAction(each, report.dryRun)})`);
    }
  }
  const findings = personFindings(report);
  const hints: string[] = [];
  for (const finding of findings) {
    blocks.push('', `*${prose(classTitle(finding.cls), 120)}*`);
    for (const group of finding.groups) {
      hints.push(group.hint);
      const codes = group.codes
        .slice(0, 3)
        .map(([name, count]) => `${code(name, 80)} ×${count}`)
        .join(', ');
      blocks.push(
        `• ${codes}${group.codes.length > 3 ? ` and ${group.codes.length - 3} more codes` : ''}`,
      );
      for (const place of group.places.slice(0, MAX_ITEMS)) {
        const samples = place.samples
          .slice(0, MAX_SAMPLES)
          .map((sample) => code(sample, PATH_CHARS))
          .join(', ');
        const on =
          place.fileSystemId === undefined
            ? 'unknown file system'
            : code(place.fileSystemId, ID_CHARS);
        blocks.push(
          `   on ${on}: ${place.count} (${samples}${place.count > MAX_SAMPLES ? ', …' : ''})`,
        );
      }
    }
  }
  const escalated = report.escalated ?? [];
  if (escalated.length > 0) {
    blocks.push('', `*Re-exported too often, now a person's:* ${escalated.length}`);
    blocks.push(
      ...listed(
        escalated,
        (item) => `• ${code(item.path, PATH_CHARS)} on ${code(item.fileSystemId, ID_CHARS)}`,
      ),
    );
  }
  if (report.plan.unplanned.length > 0) {
    blocks.push('', `*Not re-exported:* ${report.plan.unplanned.length}`);
    blocks.push(
      ...listed(
        report.plan.unplanned,
        (item) =>
          `• ${code(item.target ?? '(no path)', PATH_CHARS)}: ${prose(item.reason, REASON_CHARS)}`,
      ),
    );
  }
  if (report.unparseable.length > 0) {
    blocks.push(
      '',
      `*Unparseable log events:* ${report.unparseable.length} (samples in the email)`,
    );
  }
  const held = options.heldFailures ?? 0;
  if (held > 0) {
    const heldSkipped = options.heldSkipped ?? 0;
    const what = failuresAndWarnings(held - heldSkipped, heldSkipped, 'repeat failure');
    blocks.push('', `${what} held for the digest.`);
  }
  const link = reportInsightsLink(report, reportTotals(report));
  if (link !== undefined) blocks.push('', `Logs Insights: ${link}`);

  const anchor = epochOf(report.generatedAt);
  const scope =
    fileSystem ?? (ids.length > 1 ? 'several' : (report.sources[0]?.logGroup ?? 'unknown'));
  return notification({
    title,
    blocks,
    nextSteps: [...new Set(hints)].map((hint) => prose(hint, 350)),
    keywords: [
      APP,
      ...(fileSystem === undefined ? [] : [fileSystem]),
      ...CLASS_ORDER.filter((each) => byClass[each] > 0),
    ],
    threadId: threadIdOf([scope, cls, dayOf(anchor)]),
    summary: `${failureHeadline(fileSystem ?? scope, failed, skipped)}, ${needPersonText(needPerson)}`,
    eventType: `${APP}.summary`,
    relatedResources: [...ids, ...new Set(report.sources.map((source) => source.logGroup))],
    additionalContext: {
      fileSystemId: fileSystem ?? '',
      mostSevereClass: worst ?? '',
      failures: String(failed),
      needPerson: String(needPerson),
      unparseable: String(report.unparseable.length),
      region: report.region ?? '',
    },
  });
}

/** One digest entry's message, in the thread of its group and the day its window started. */
function digestMessage(digest: DigestWindow, generatedAt: string): ChatNotification {
  const { key } = digest;
  const person = isPerson(key.cls) || digest.outcomes.escalated > 0;
  const title = `${person ? RED : YELLOW} Digest: ${plural(digest.held, 'repeat')} of ${labelOf(key.cls)} on ${scopeText(key)}, ${hhmm(digest.windowStart)}–${hhmm(digest.windowEnd)} UTC`;
  const blocks = [
    `*${plural(digest.held, 'failure')}* held in the window: ${digest.newFailures} new, ${digest.recurringFailures} recurring${digest.untracked > 0 ? `, ${digest.untracked} untracked` : ''}.`,
    `Re-exports: ${digest.outcomes.started} started, ${digest.outcomes.queued} queued, ${digest.outcomes.deferred} deferred, ${digest.outcomes.refused} refused, ${digest.outcomes.escalated} escalated.`,
  ];
  const codes = [...digest.codes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (codes.length > 0) {
    blocks.push(
      '',
      '*Codes*',
      ...listed(codes, ([name, count]) => `• ${code(name, 80)} ×${count}`),
    );
  }
  if (digest.samples.length > 0) {
    blocks.push(
      '',
      '*Samples*',
      ...listed(
        digest.samples,
        (sample) =>
          `• ${code(key.cls === 'unparseable' || sample.startsWith('s3://') ? sample : shownPath(sample), PATH_CHARS)}`,
      ),
    );
  }
  return notification({
    title,
    blocks,
    nextSteps: person
      ? [`See the digest email for what to do about ${labelOf(key.cls)}.`]
      : ['Nothing to do: these failures are re-exported.'],
    keywords: [APP, 'digest', key.scope, key.cls],
    threadId: threadIdOf([key.scope, key.cls, dayOf(digest.windowStart)]),
    summary: `Digest: ${digest.held} ${labelOf(key.cls)} on ${key.scope}`,
    eventType: `${APP}.digest`,
    relatedResources: [key.scope, ...digest.logGroups],
    additionalContext: {
      scope: key.scope,
      scopeKind: key.scopeKind,
      class: key.cls,
      held: String(digest.held),
      windowStart: new Date(digest.windowStart * 1000).toISOString(),
      windowEnd: new Date(digest.windowEnd * 1000).toISOString(),
      generatedAt,
    },
  });
}

/** A "recovered" notice, in the thread where the group's last failures were. */
function recoveredMessage(item: Recovered, generatedAt: string): ChatNotification {
  const { key } = item;
  const quiet = Math.round(item.windowSeconds / 60);
  return notification({
    title: `${GREEN} Recovered: no ${labelOf(key.cls)} on ${scopeText(key)} for ${plural(quiet, 'minute')}`,
    blocks: [
      `Last failure at ${new Date(item.lastFailureAt * 1000).toISOString()}; quiet until ${new Date(item.windowEnd * 1000).toISOString()}.`,
      'The next failure of this kind alerts at once.',
    ],
    nextSteps: [],
    keywords: [APP, 'recovered', key.scope, key.cls],
    threadId: threadIdOf([key.scope, key.cls, dayOf(item.lastFailureAt)]),
    summary: `Recovered: ${labelOf(key.cls)} on ${key.scope}`,
    eventType: `${APP}.recovered`,
    relatedResources: [key.scope],
    additionalContext: { scope: key.scope, scopeKind: key.scopeKind, class: key.cls, generatedAt },
  });
}

/** Chat messages one digest run sends, at most this many; the rest are counted in the last. */
const MAX_DIGEST_MESSAGES = 10;

/**
 * The digest run's messages: one per digest entry and one per recovered group, each in its own
 * thread. Past MAX_DIGEST_MESSAGES, the last message counts the rest (the email lists them all).
 */
function renderChatDigest(content: DigestContent): ChatNotification[] {
  const messages = [
    ...content.digests.map((digest) => digestMessage(digest, content.generatedAt)),
    ...content.recovered.map((item) => recoveredMessage(item, content.generatedAt)),
  ];
  if (messages.length <= MAX_DIGEST_MESSAGES) return messages;
  const shown = messages.slice(0, MAX_DIGEST_MESSAGES - 1);
  const rest = messages.slice(MAX_DIGEST_MESSAGES - 1);
  const overflow = notification({
    title: `${INFO} Digest: ${plural(rest.length, 'more window')} in the digest email`,
    blocks: listed(rest, (message) => `• ${message.metadata.summary}`).map((line) =>
      prose(line, 400),
    ),
    nextSteps: ['Read the digest email: it lists every window.'],
    keywords: [APP, 'digest'],
    threadId: threadIdOf(['digest', dayOf(epochOf(content.generatedAt))]),
    summary: `Digest: ${rest.length} more windows`,
    eventType: `${APP}.digest`,
    relatedResources: [],
    additionalContext: { windows: String(rest.length), generatedAt: content.generatedAt },
  });
  return [...shown, overflow];
}

/** Where a follow-up is threaded: its one file system, else "several". */
function followUpScope(ids: readonly string[]): string {
  const unique = [...new Set(ids)];
  return unique.length === 1 ? (unique[0] ?? 'unknown') : unique.length === 0 ? 'none' : 'several';
}

/** The retrier's message: what it started, refused, escalated and dead-lettered. */
function renderChatRetrier(report: RetrierReport): ChatNotification {
  const person = report.refused.length + report.escalated.length + report.deadLettered.length;
  const ids = [
    ...report.started.map((item) => item.task.fileSystemId),
    ...report.refused.map((item) => item.task.fileSystemId),
    ...report.escalated.map((item) => item.fileSystemId),
    ...report.deadLettered.map((item) => item.task.fileSystemId),
  ];
  const scope = followUpScope(ids);
  const blocks = [
    `Deferred re-exports: ${plural(report.started.length, 'task')} started, ${person} for a person, ${report.waiting.reduce((sum, item) => sum + item.messages, 0)} waiting.`,
  ];
  if (report.started.length > 0) {
    blocks.push(
      '',
      '*Started*',
      ...listed(
        report.started,
        (item) =>
          `• ${code(item.taskId, ID_CHARS)} on ${code(item.task.fileSystemId, ID_CHARS)}: ${plural(item.task.paths.length, 'path')}`,
      ),
    );
  }
  if (report.refused.length > 0) {
    blocks.push(
      '',
      '*Refused by FSx*',
      ...listed(
        report.refused,
        (item) =>
          `• ${code(item.task.fileSystemId, ID_CHARS)}: ${code(item.error, 80)} ${prose(item.reason, REASON_CHARS)} (${plural(item.task.paths.length, 'path')})`,
      ),
    );
  }
  if (report.escalated.length > 0) {
    blocks.push(
      '',
      "*Re-exported too often, now a person's*",
      ...listed(
        report.escalated,
        (item) => `• ${code(item.path, PATH_CHARS)} on ${code(item.fileSystemId, ID_CHARS)}`,
      ),
    );
  }
  if (report.deadLettered.length > 0) {
    blocks.push(
      '',
      '*Gave up (dead-letter queue)*',
      ...listed(
        report.deadLettered,
        (item) =>
          `• ${code(item.task.fileSystemId, ID_CHARS)}: ${plural(item.task.paths.length, 'path')}, ${prose(item.reason, REASON_CHARS)}`,
      ),
    );
  }
  return notification({
    title: `${person > 0 ? RED : YELLOW} Re-export retrier: ${report.started.length} started, ${needPersonText(person)}`,
    blocks,
    nextSteps:
      person > 0 ? ['The retrier email has the command to re-export each path by hand.'] : [],
    keywords: [APP, 'retrier', ...new Set(ids)],
    threadId: threadIdOf([scope, 'reexport', dayOf(epochOf(report.generatedAt))]),
    summary: `Re-export retrier: ${report.started.length} started, ${needPersonText(person)}`,
    eventType: `${APP}.retrier`,
    relatedResources: [...new Set(ids)],
    additionalContext: {
      started: String(report.started.length),
      needPerson: String(person),
      region: report.region ?? '',
    },
  });
}

/** The outcome check's message: how each re-export task ended. */
function renderChatOutcomes(report: OutcomeReport): ChatNotification {
  const ids = report.finished.map((item) => item.tracked.fileSystemId);
  const failed = report.finished.filter(
    (item) => item.lifecycle !== 'SUCCEEDED' || (item.status?.failedCount ?? 0) > 0,
  );
  const blocks = [
    `${plural(report.finished.length, 're-export task')} ended: ${report.finished.length - failed.length} exported everything, ${failed.length} did not.${report.stillOpen > 0 ? ` ${report.stillOpen} still running.` : ''}`,
  ];
  const ordered = [...failed, ...report.finished.filter((item) => !failed.includes(item))];
  blocks.push(
    '',
    ...listed(ordered, (item) => {
      const counts =
        item.status === undefined
          ? 'FSx no longer knows it'
          : `${item.status.succeededCount ?? '?'} exported, ${item.status.failedCount ?? '?'} failed`;
      const why =
        item.status?.failureMessage === undefined
          ? ''
          : `: ${prose(item.status.failureMessage, REASON_CHARS)}`;
      const csv = item.failuresCsv === undefined ? '' : ` failures: ${code(item.failuresCsv, 300)}`;
      return `• ${code(item.tracked.taskId, ID_CHARS)} on ${code(item.tracked.fileSystemId, ID_CHARS)}: *${prose(item.lifecycle, 20)}* (${counts})${why}${csv}`;
    }),
  );
  return notification({
    title: `${failed.length > 0 ? RED : GREEN} Re-export outcomes: ${report.finished.length - failed.length} exported, ${failed.length} not`,
    blocks,
    nextSteps:
      failed.length > 0
        ? ['Read the failed files of each task in its completion report (command in the email).']
        : [],
    keywords: [APP, 'outcomes', ...new Set(ids)],
    threadId: threadIdOf([followUpScope(ids), 'reexport', dayOf(epochOf(report.generatedAt))]),
    summary: `Re-export outcomes: ${report.finished.length - failed.length} exported, ${failed.length} not`,
    eventType: `${APP}.outcomes`,
    relatedResources: [...new Set(ids)],
    additionalContext: {
      finished: String(report.finished.length),
      notExported: String(failed.length),
      stillOpen: String(report.stillOpen),
      region: report.region ?? '',
    },
  });
}

const ACTIONABLE = new Set(['WARN', 'PROBLEM', 'UNKNOWN']);

/** The scheduled doctor's message: what changed, and the fixes of what is wrong now. */
function renderChatDoctor(
  result: DoctorResult,
  changes: readonly FindingChange[],
  generatedAt: string,
): ChatNotification {
  const worse = changes.filter(
    (change) => change.after !== undefined && ACTIONABLE.has(change.after),
  );
  const left = result.counts.PROBLEM + result.counts.UNKNOWN;
  const headline =
    worse.length > 0
      ? `FSx doctor: ${plural(worse.length, 'new problem')}`
      : left === 0
        ? 'FSx doctor: fixed, export failures are watched again'
        : `FSx doctor: ${changes.length} fixed, ${left} still to fix`;
  const title = `${worse.length > 0 ? RED : left === 0 ? GREEN : YELLOW} ${headline}`;
  const blocks = [
    `${plural(result.fileSystems, 'file system')} checked${result.region === undefined ? '' : ` in ${prose(result.region, 40)}`}: ${result.counts.PROBLEM} problems, ${result.counts.WARN} warnings, ${result.counts.UNKNOWN} not checked.`,
    '',
    '*What changed*',
    ...listed(changes, (change) => {
      const from = change.before ?? 'new';
      const to = change.after ?? (change.before === 'UNKNOWN' ? 'checked again' : 'gone');
      const detail = change.detail === undefined ? '' : `: ${prose(change.detail, REASON_CHARS)}`;
      return `• ${code(change.fileSystemId, ID_CHARS)} ${change.check}: ${from} → *${to}*${detail}`;
    }),
  ];
  const fixes = result.findings
    .filter((item) => ACTIONABLE.has(item.severity) && item.fix !== undefined)
    .map((item) => prose(`${item.fileSystemId} ${item.check}: ${item.fix ?? ''}`, 350));
  const ids = [...new Set(changes.map((change) => change.fileSystemId))];
  return notification({
    title,
    blocks,
    nextSteps: [...new Set(fixes)],
    keywords: [APP, 'doctor', ...ids],
    threadId: threadIdOf(['doctor', result.region ?? 'region', dayOf(epochOf(generatedAt))]),
    summary: headline,
    eventType: `${APP}.doctor`,
    relatedResources: ids,
    additionalContext: {
      problems: String(result.counts.PROBLEM),
      unknown: String(result.counts.UNKNOWN),
      warnings: String(result.counts.WARN),
      changes: String(changes.length),
      region: result.region ?? '',
    },
  });
}

export type { SummaryOptions };
export {
  MAX_DIGEST_MESSAGES,
  renderChatDigest,
  renderChatDoctor,
  renderChatOutcomes,
  renderChatRetrier,
  renderChatSummary,
};

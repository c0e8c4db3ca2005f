/**
 * The summary email: the SNS message operators receive, as plain text, for one analysis. Everything
 * a log line can carry is untrusted, so every such value goes through `display()`/`sanitize()`
 * (body) or `toAsciiLine()` (subject, attributes) on its way out. Layout, subject and attributes
 * come from the rendering kit (lib/render/), shared with the other emails and the terminal.
 */
// Over ~400 lines on purpose: the six sections of one email, read and changed together.

import { CLASS_ORDER, classTitle, warningCount } from '../common/classes.ts';
import { display, toAsciiLine } from '../common/text.ts';
import type {
  BacklogReadings,
  FailureClass,
  Publication,
  Report,
  TaskOutcome,
} from '../common/types.ts';
import { failuresCsvPath } from '../reexport/rules.ts';
import { backlogLines } from '../render/backlog.ts';
import {
  classTableLines,
  classTableRows,
  countsOfClasses,
  notReexportedNote,
  notReexportedOf,
} from '../render/class-table.ts';
import { ANALYZER_LOG, commandLines, fixCommands, fixLead } from '../render/commands.ts';
import {
  fitBody,
  footer,
  MAX_ATTRIBUTE_IDS,
  partsThatFit,
  SUBJECT_MAX,
  type SubjectPart,
} from '../render/envelope.ts';
import { escalationLines } from '../render/escalations.ts';
import { consoleLink } from '../render/insights.ts';
import {
  bullet,
  formatTable,
  joinSections,
  labelledName,
  needPersonText,
  needPersonUnits,
  PATH_CHARS,
  pathLines,
  plural,
  REASON_CHARS,
  section,
  WIDTH,
  wrap,
} from '../render/layout.ts';
import { accountNote, placeLines, placeText, streamPlace } from '../render/places.ts';
import {
  ASSUMED_LOG_GROUP,
  failureHeadline,
  leftToPerson,
  outcomesOf,
  personFirst,
  reportInsightsLink,
  taskTally,
  timeRange,
  uniqueSources,
} from '../render/report.ts';
import {
  accountOf,
  awaitingMappingCount,
  awaitingMappingText,
  classesOf,
  codeClasses,
  countByClass,
  countByCode,
  countByFileSystem,
  countOutcomes,
  fileSystemsOf,
  isQuiet,
  needPersonCounts,
  needsPerson,
  personFindings,
  quietText,
  recordCount,
  reportSeverity,
  reportTotals,
  toReexport,
  unparseableCount,
  unplannedCount,
  unplannedGroups,
} from './analysis.ts';

const MAX_EXAMPLES = 5;
const MAX_CODES = 20;
const MAX_CODES_PER_HINT = 10;
const MAX_OUTCOMES = 50;
const MAX_REASONS = 10;
const MAX_SOURCES = 10;
const MAX_FILE_SYSTEMS = 20;
/** Longest unparseable sample shown; the logs keep them whole. */
const SAMPLE_CHARS = 200;
/**
 * Where the tasks and paths a dry run's email leaves out are: `analyze --json` on the same events
 * lists every task and path (named whole: `analyze --email` prints the email a Lambda sends).
 */
const LISTS_EVERY_ONE = 'fsx-export-analyzer analyze --json lists every one';
/**
 * Where a live run's tasks past the 50th are: the analyzer's log has a `Re-export …` line for
 * each task, with its paths (docs/operate.md#the-functions-own-logs-and-metrics). Started and
 * queued tasks are logged at INFO, so at log level WARN the log lacks them (docs/deploy.md).
 */
const IN_THE_LOG =
  'the analyzer\'s log lists every one with its paths ("Re-export" lines, at log level INFO or finer)';

interface Counts {
  /** Records of every class but the warnings: what the headline calls "failed". */
  readonly failed: number;
  /** Records FSx logged as warnings (skipped exports): counted apart, never as failed. */
  readonly skipped: number;
  readonly reexported: number;
  /** Paths waiting in the deferral queue for the retrier. */
  readonly queued: number;
  readonly planned: number;
  /** What the subject counts as needing a person: {@link Counts.personRecords} + personPaths. */
  readonly needPerson: number;
  /** Records a person reads and acts on: of the person classes, and retryable ones not planned. */
  readonly personRecords: number;
  /** Paths a person re-exports: of refused, deferred or would-be-refused tasks, and escalated. */
  readonly personPaths: number;
  readonly unparseable: number;
}

function headlineCounts(report: Report, outcomes: readonly TaskOutcome[]): Counts {
  const byStatus = countOutcomes(outcomes);
  const byClass = countByClass(report);
  const skipped = warningCount(byClass);
  const person = needPersonCounts(report);
  return {
    failed: recordCount(report) - skipped,
    skipped,
    reexported: byStatus.started.paths,
    queued: byStatus.queued.paths,
    // A dry run's task the Lambda would refuse is not "to re-export": it counts as refused.
    planned: toReexport(byStatus).paths,
    needPerson: person.records + person.paths,
    personRecords: person.records,
    personPaths: person.paths,
    unparseable: unparseableCount(report),
  };
}

function subjectLine(report: Report, counts: Counts): string {
  const prefix = report.dryRun ? '[dry run] ' : '';
  let main: string;
  if (recordCount(report) === 0) {
    const groups = [...new Set(report.sources.map((source) => source.logGroup))];
    const group = groups.length === 1 ? toAsciiLine(groups[0] ?? '', 40) : '';
    const where = groups.length > 1 ? plural(groups.length, 'log group') : group || 'the log';
    main =
      counts.unparseable > 0
        ? `FSx event log: ${plural(counts.unparseable, 'unparseable event')} in ${where}`
        : `FSx event log: no export failures in ${plural(report.events, 'event')}`;
  } else {
    const ids = fileSystemsOf(report);
    const single = ids.length === 1 ? toAsciiLine(ids[0] ?? '', 30) : '';
    const where =
      ids.length > 1
        ? plural(ids.length, 'file system')
        : single === ''
          ? 'an unknown file system'
          : single;
    const title = reportTotals(report).onlyImport ? 'FSx import events' : undefined;
    main = failureHeadline(where, counts.failed, counts.skipped, title);
    const optional: SubjectPart[] = [
      report.dryRun ? `${counts.planned} to re-export` : `${counts.reexported} re-exported`,
      ...(counts.queued > 0 ? [`${counts.queued} queued`] : []),
      { text: needPersonText(counts.needPerson), keep: true },
      ...(counts.unparseable > 0 ? [`${counts.unparseable} unparseable`] : []),
      ...(counts.failed > 0 && counts.skipped > 0 ? [`${counts.skipped} skipped`] : []),
    ];
    // Counts are added only while they fit, so the subject is never cut mid-word; the
    // "need a person" count goes in first, as on-call reads it before any other.
    for (const part of partsThatFit(prefix.length + main.length, optional)) main += `, ${part}`;
  }
  return toAsciiLine(prefix + main, SUBJECT_MAX);
}

function classCounts(counts: Record<FailureClass, number>): string {
  return CLASS_ORDER.filter((cls) => counts[cls] > 0)
    .map((cls) => `${counts[cls]} ${cls}`)
    .join(', ');
}

function headlineSection(report: Report, counts: Counts): string[] {
  const retried = report.dryRun
    ? `${plural(counts.planned, 'path')} to re-export`
    : `${plural(counts.reexported, 'path')} re-exported${counts.queued > 0 ? `, ${counts.queued} queued for a later re-export` : ''}`;
  const skipped = plural(counts.skipped, 'skipped export');
  const summary =
    counts.failed > 0
      ? `${plural(counts.failed, 'FSx data repository failure')}${counts.skipped > 0 ? ` and ${skipped} (warnings)` : ''}: ${retried}, ${needPersonUnits(counts.personRecords, counts.personPaths)}.`
      : counts.skipped > 0
        ? `No FSx data repository failure, ${skipped} (warnings): ${retried}, ${needPersonUnits(counts.personRecords, counts.personPaths)}.`
        : counts.unparseable > 0
          ? `No FSx data repository failure was recognised, but ${plural(counts.unparseable, 'log event')} could not be read.`
          : 'No FSx data repository failure was found.';
  const lines = [...wrap(summary), ''];
  // The shape at a glance, before any detail.
  const totals = reportTotals(report);
  const notReexported = notReexportedOf(report);
  const table = classTableLines(classTableRows(totals, report.dryRun, notReexported));
  if (table.length > 0) {
    const note = notReexportedNote(totals, notReexported, {
      unplanned: 'RE-EXPORTS',
      escalated: 'WHAT NEEDS A PERSON',
      outcomes: 'RE-EXPORTS',
    });
    lines.push(...table, ...(note === undefined ? [] : wrap(note, '  ', WIDTH, '    ')), '');
  }
  let read = `Read ${plural(report.events, 'log event')}: ${plural(recordCount(report), 'FSx record')}, ${counts.unparseable} unparseable.`;
  if (report.skippedMessages > 0) {
    read += ` Skipped ${plural(report.skippedMessages, 'control message')}.`;
  }
  lines.push(...wrap(read));
  const fileSystems = countByFileSystem(report);
  for (const [id, byClass] of fileSystems.slice(0, MAX_FILE_SYSTEMS)) {
    const total = Object.values(byClass).reduce((sum, count) => sum + count, 0);
    lines.push(
      ...wrap(
        `File system ${display(id, 64)}: ${plural(total, 'record')} (${classCounts(byClass)}).`,
        '',
        WIDTH,
        '  ',
      ),
    );
  }
  if (fileSystems.length > MAX_FILE_SYSTEMS) {
    lines.push(`And ${plural(fileSystems.length - MAX_FILE_SYSTEMS, 'more file system')}.`);
  }
  const range = timeRange(reportTotals(report));
  if (range !== undefined) lines.push(...wrap(timeRangeText(range)));
  const link = reportInsightsLink(report, reportTotals(report));
  if (link !== undefined) {
    // Never wrapped: a link cut in two does not work.
    lines.push('', 'These events in CloudWatch Logs Insights:', `  ${link}`);
  }
  if (report.dryRun) {
    // The re-exports are spoken of only when there are some: an email of unparseable events
    // alone has none.
    const below =
      outcomesOf(report).length > 0 ? ' The re-exports below are only what would be started.' : '';
    lines.push('', ...wrap(`DRY RUN: nothing was re-exported and FSx was not called.${below}`));
  }
  return lines;
}

/** "Events from … to … (UTC).", saying how many events have no time, or that none has one. */
function timeRangeText(range: NonNullable<ReturnType<typeof timeRange>>): string {
  if (range.from === undefined || range.to === undefined) {
    // As in the terminal report: a record's own "time" field is never used.
    return 'Event times: unknown (no log event carries a time; times inside records are not used).';
  }
  const untimed =
    range.unknown > 0
      ? ` ${plural(range.unknown, 'log event has', 'log events have')} no time.`
      : '';
  return `Events from ${range.from} to ${range.to} (UTC).${untimed}`;
}

function personSection(report: Report, outcomes: readonly TaskOutcome[]): string[] {
  const lines: string[] = [];
  for (const finding of personFindings(report)) {
    lines.push(`* ${classTitle(finding.cls)}: ${plural(finding.count, 'record')}`);
    for (const group of finding.groups) {
      const codes = group.codes
        .slice(0, MAX_CODES_PER_HINT)
        .map(([code, count]) => `${display(code, 80)} (${count})`);
      if (group.codes.length > MAX_CODES_PER_HINT) {
        codes.push(`and ${plural(group.codes.length - MAX_CODES_PER_HINT, 'more code')}`);
      }
      lines.push('', ...wrap(`Codes: ${codes.join(', ')}`, '  ', WIDTH, '    '));
      lines.push(...wrap(`What to do: ${group.hint}`, '  ', WIDTH, '    '));
      lines.push(
        ...placeLines(group.places, { indent: '  ', noun: 'record', sampleChars: PATH_CHARS }),
      );
    }
    lines.push(...fixLines(report, finding.cls), '');
  }
  lines.push(
    ...escalationLines(report.escalated ?? [], failuresCsvPath, ANALYZER_LOG, (id) =>
      accountOf(report, id),
    ),
  );
  const { refused, deferred, wouldBeRefused } = countOutcomes(outcomes);
  if (refused.tasks > 0) {
    lines.push(
      ...bullet(
        `FSx refused ${plural(refused.tasks, 're-export task')} (${plural(refused.paths, 'path')}): see RE-EXPORTS below.`,
      ),
    );
  }
  if (wouldBeRefused.tasks > 0) {
    lines.push(
      ...bullet(
        `The Lambda would refuse ${plural(wouldBeRefused.tasks, 're-export task')} (${plural(wouldBeRefused.paths, 'path')}): see RE-EXPORTS below.`,
      ),
    );
  }
  if (deferred.tasks > 0) {
    lines.push(
      ...bullet(
        `${plural(deferred.tasks, 're-export task')} (${plural(deferred.paths, 'busy path')}) deferred: run the command under RE-EXPORTS once the delay has passed.`,
      ),
    );
  }
  if (unplannedCount(report) > 0) lines.push(...bullet(unplannedReasons(report)));
  if (unparseableCount(report) > 0) {
    lines.push(
      ...bullet(
        `${plural(unparseableCount(report), 'log event')} could not be read as FSx records: see UNPARSEABLE EVENTS below.`,
      ),
    );
  }
  while (lines.at(-1) === '') lines.pop();
  return lines;
}

/**
 * Under a class a person fixes, the `reexport` commands that re-export its failures afterwards,
 * each on a line of its own, never wrapped: a command cut in two no longer works.
 */
function fixLines(report: Report, cls: FailureClass): string[] {
  const { commands, more } = fixCommands(report, cls);
  if (commands.length === 0) return [];
  const lines = [
    '',
    `  ${fixLead(commands.length + more)}`,
    ...commands.map((command) => `    ${command}`),
  ];
  if (more > 0) {
    lines.push(
      ...wrap(
        `(and ${plural(more, 'more log group')}: the same command with each, as WHERE TO LOOK names them)`,
        '    ',
        WIDTH,
        '    ',
      ),
    );
  }
  return lines;
}

/** Reasons the person section names for records not re-exported (RE-EXPORTS lists them all). */
const MAX_REASONS_NAMED = 3;

/**
 * The person section's line on retryable failures that could not be planned, naming their classes
 * ("Why 2 of 5 transient records could not be re-exported: …"): a class may also be marked for
 * records of refused, deferred or escalated tasks, whose reasons the note under the class table
 * and the lines above give, so this line must not claim every marked class. Largest reason first.
 */
function unplannedReasons(report: Report): string {
  const groups = unplannedGroups(report);
  const reasons = groups
    .slice(0, MAX_REASONS_NAMED)
    .map((group) =>
      groups.length === 1
        ? display(group.reason, REASON_CHARS)
        : `${display(group.reason, REASON_CHARS)} (${group.count})`,
    );
  if (groups.length > MAX_REASONS_NAMED) {
    reasons.push(plural(groups.length - MAX_REASONS_NAMED, 'more reason'));
  }
  const which =
    countsOfClasses(reportTotals(report), notReexportedOf(report).byClass) ??
    plural(unplannedCount(report), 'retryable record');
  return `Why ${which} could not be re-exported: ${reasons.join('; ')}. See RE-EXPORTS below.`;
}

function codeSection(report: Report): string[] {
  const codes = countByCode(report);
  if (codes.length === 0) return [];
  const classOf = codeClasses(report);
  const lines = formatTable(
    ['Records', 'Code', 'Class'],
    codes
      .slice(0, MAX_CODES)
      .map(([code, count]) => [String(count), display(code, 60), classOf.get(code) ?? 'unknown']),
    { align: ['right', 'left', 'left'] },
  );
  if (codes.length > MAX_CODES) {
    lines.push(`  and ${plural(codes.length - MAX_CODES, 'more code')}`);
  }
  return lines;
}

// Over ~60 lines on purpose: one case per outcome status, side by side so their wording stays alike.
/** `noteGiven`: an earlier task of the file system gave this task's note, which is not repeated. */
function outcomeLines(
  outcome: TaskOutcome,
  account: string | undefined,
  noteGiven: boolean,
): string[] {
  const { task } = outcome;
  const fs = display(task.fileSystemId, 64);
  const note = accountNote(account);
  const paths = plural(task.paths.length, 'path');
  const token = `  Token: ${display(task.clientRequestToken, 64)}`;
  switch (outcome.status) {
    case 'started':
      return [
        ...bullet(
          `Started task ${display(outcome.taskId, 64)} on ${fs}: ${paths} (${display(outcome.lifecycle, 32)}).`,
        ),
        token,
      ];
    case 'refused': {
      const lines = [
        ...bullet(`Refused by FSx on ${fs}: ${paths}${note}.`),
        token,
        ...wrap(
          `${display(outcome.error, 80)}: ${display(outcome.reason, REASON_CHARS)}`,
          '  ',
          WIDTH,
          '  ',
        ),
      ];
      // Always name the paths: after a permanent refusal a person re-exports them by hand.
      return [
        ...lines,
        ...commandLines(
          task,
          outcome.retryLater ? 'Re-export later with:' : 'Once the cause is fixed, re-export with:',
          ANALYZER_LOG,
        ),
      ];
    }
    case 'queued':
      return [
        ...bullet(
          `Queued on ${fs}: ${paths}, re-exported by the retrier from ${display(outcome.notBefore, 64)} (in ${outcome.delaySeconds} s).`,
        ),
        token,
        ...wrap(
          `${display(outcome.reason, 80)}: ${display(outcome.detail, REASON_CHARS)}`,
          '  ',
          WIDTH,
          '  ',
        ),
      ];
    case 'deferred':
      return [
        ...bullet(`Deferred on ${fs}: ${paths}, delay ${task.delaySeconds} s${note}.`),
        token,
        ...wrap(display(outcome.reason, REASON_CHARS), '  ', WIDTH, '  '),
        ...commandLines(task, 'Once the delay has passed, run:', ANALYZER_LOG),
      ];
    case 'planned': {
      const delay = task.delaySeconds > 0 ? ` after ${task.delaySeconds} s` : '';
      return [
        ...bullet(
          outcome.refusal === undefined
            ? `Would start on ${fs}${delay}: ${paths}.`
            : `Would be refused on ${fs}${note}${delay}: ${paths} (${outcome.refusal}, see the note).`,
        ),
        token,
        ...pathLines(task.paths, '    ', LISTS_EVERY_ONE),
        ...(outcome.note === undefined
          ? []
          : noteGiven
            ? [`  Note: as for the first task on ${fs}.`]
            : wrap(`Note: ${display(outcome.note, REASON_CHARS)}`, '  ', WIDTH, '  ')),
      ];
    }
  }
}

function reexportSection(report: Report, outcomes: readonly TaskOutcome[]): string[] {
  const lines: string[] = [];
  if (outcomes.length > 0) {
    lines.push(taskTally(outcomes), '');
    // A note is the same for every task of a file system (its associations): given whole under
    // the first task that has it, and referred back to under the others, as in the terminal.
    const notesGiven = new Set<string>();
    // Tasks left to a person first: past the 50th, only tasks that need no one are left out.
    for (const outcome of personFirst(outcomes).slice(0, MAX_OUTCOMES)) {
      // Only tasks left to a person (refused, deferred, or ones the Lambda would refuse) name
      // their account: they are the ones a person takes on.
      const account = leftToPerson(outcome)
        ? accountOf(report, outcome.task.fileSystemId)
        : undefined;
      const note =
        outcome.status === 'planned' && outcome.note !== undefined
          ? `${outcome.task.fileSystemId}\n${outcome.note}`
          : undefined;
      lines.push(...outcomeLines(outcome, account, note !== undefined && notesGiven.has(note)));
      if (note !== undefined) notesGiven.add(note);
    }
    if (outcomes.length > MAX_OUTCOMES) {
      // Where the rest are. A live run's tasks are not what `analyze --json` would list (it plans
      // again, starting nothing): the analyzer logs each of its tasks (lib/analyze/telemetry.ts).
      const more = plural(outcomes.length - MAX_OUTCOMES, 'more task');
      lines.push(...wrap(`and ${more}: ${report.dryRun ? LISTS_EVERY_ONE : IN_THE_LOG}.`));
    }
  }
  const unplanned = unplannedGroups(report);
  if (unplanned.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push(
      ...wrap(
        `Not re-exported: ${plural(unplannedCount(report), 'retryable failure')} could not be planned.`,
      ),
    );
    for (const group of unplanned.slice(0, MAX_REASONS)) {
      lines.push(...bullet(`${group.count} x ${display(group.reason, REASON_CHARS)}`));
      lines.push(
        ...placeLines(group.places, { indent: '  ', noun: 'failure', sampleChars: PATH_CHARS }),
      );
    }
    if (unplanned.length > MAX_REASONS) {
      lines.push(`and ${plural(unplanned.length - MAX_REASONS, 'more reason')}.`);
    }
  }
  const awaiting = awaitingMappingCount(report);
  if (awaiting > 0) {
    if (lines.length > 0) lines.push('');
    const text = awaitingMappingText(awaiting, report.plan.awaitingMappingNotes);
    lines.push(...wrap(`Re-exported once mapped: ${text}`));
  }
  return lines;
}

function unparseableSection(report: Report): string[] {
  const count = unparseableCount(report);
  if (count === 0) return [];
  const lines = wrap(
    `${plural(count, 'log event')} could not be read as FSx data repository records. They were kept, not dropped: they are counted here and remain in the log group (see WHERE TO LOOK).`,
  );
  lines.push('', `Examples (${Math.min(count, MAX_EXAMPLES)} of ${count}):`);
  for (const event of report.unparseable.slice(0, MAX_EXAMPLES)) {
    const where = placeText(streamPlace(event.logStream, event.owner));
    lines.push(
      ...bullet(
        `${display(event.reason, REASON_CHARS)} (event ${display(event.eventId, 64)}; file system ${where})`,
      ),
      `    ${display(event.sample, SAMPLE_CHARS)}`,
    );
  }
  return lines;
}

function sourceSection(report: Report): string[] {
  const sources = uniqueSources(report);
  const lines: string[] = [];
  for (const source of sources.slice(0, MAX_SOURCES)) {
    const assumed = source.logGroupAssumed === true ? ' (assumed)' : '';
    // Whole (CloudWatch allows 512 characters): a person copies them into a command. A name too
    // long for its line gets a line of its own, as in the terminal.
    const own = { indent: '    ', width: WIDTH };
    lines.push(
      ...labelledName('* ', 'Log group: ', display(source.logGroup, 512), {
        ...own,
        suffix: assumed,
      }),
      ...labelledName('  ', 'Log stream:', display(source.logStream, 512), own),
      `  Account:    ${display(source.owner, 32)}`,
    );
    if (report.region !== undefined) {
      lines.push(`  Console:    ${consoleLink(report.region, source.logGroup, source.logStream)}`);
    }
  }
  if (sources.length > MAX_SOURCES) {
    lines.push(`and ${plural(sources.length - MAX_SOURCES, 'more log stream')}.`);
  }
  if (sources.some((source) => source.logGroupAssumed === true)) {
    lines.push(`(assumed): ${ASSUMED_LOG_GROUP}.`);
  }
  return lines;
}

function messageAttributes(
  report: Report,
  person: boolean,
): Record<string, string | readonly string[]> {
  const ids = [
    ...new Set(
      fileSystemsOf(report)
        .map((id) => toAsciiLine(id, 64))
        .filter((id) => id !== ''),
    ),
  ].slice(0, MAX_ATTRIBUTE_IDS);
  const classes = classesOf(report);
  return {
    fileSystemId: ids[0] ?? 'unknown',
    ...(ids.length > 0 ? { fileSystemIds: ids } : {}),
    mostSevereClass: reportSeverity(report) ?? 'none',
    ...(classes.length > 0 ? { classes } : {}),
    needsPerson: String(person),
    dryRun: String(report.dryRun),
  };
}

/**
 * Renders a report as the SNS message: an ASCII subject under 100 characters, a plain-text body
 * under 250,000 bytes (the most urgent sections first), and attributes for filter policies.
 */
function renderEmail(report: Report): Publication {
  const outcomes = outcomesOf(report);
  const counts = headlineCounts(report, outcomes);
  if (isQuiet(report)) {
    // Nothing to tell but that: one line, no empty sections.
    return {
      subject: subjectLine(report, counts),
      body: fitBody(wrap(quietText(report)), footer(report.generatedAt)),
      attributes: messageAttributes(report, false),
    };
  }
  // Deferred outcomes are among report.outcomes, which needsPerson already looks at.
  const person = needsPerson(report);
  const lines = joinSections([
    headlineSection(report, counts),
    person ? section('WHAT NEEDS A PERSON', personSection(report, outcomes)) : [],
    section('FAILURES BY CODE', codeSection(report)),
    section('RE-EXPORTS', reexportSection(report, outcomes)),
    section('UNPARSEABLE EVENTS', unparseableSection(report)),
    section('WHERE TO LOOK', sourceSection(report)),
  ]);
  return {
    subject: subjectLine(report, counts),
    body: fitBody(lines, footer(report.generatedAt)),
    attributes: messageAttributes(report, person),
  };
}

/**
 * Adds the EXPORT BACKLOG section to a rendered summary, before its footer: how old the oldest
 * change not yet exported to S3 is on each of the summary's file systems ("unknown" when it could
 * not be read, `readings` undefined when it was not read in time). Unchanged without file systems.
 */
function withBacklog(
  publication: Publication,
  fileSystemIds: readonly string[],
  readings: BacklogReadings | undefined,
): Publication {
  const lines = section('EXPORT BACKLOG', backlogLines(fileSystemIds, readings));
  if (lines.length === 0) return publication;
  const text = lines.join('\n');
  const cut = publication.body.lastIndexOf('\n\nSent by fsx-export-analyzer');
  const body =
    cut < 0
      ? `${publication.body}\n\n${text}`
      : `${publication.body.slice(0, cut)}\n\n${text}${publication.body.slice(cut)}`;
  return { ...publication, body };
}

export { renderEmail, withBacklog };

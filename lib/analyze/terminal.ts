/**
 * The CLI's default `analyze` output: aligned tables for a terminal. Untrusted text is sanitised
 * before it is measured or printed, so the only escape sequences in the output are the colours
 * added here, and only when the caller asks for them (a TTY without NO_COLOR).
 */

import { classTitle } from '../common/classes.ts';
import { display } from '../common/text.ts';
import type { FailureClass, Report, TaskOutcome } from '../common/types.ts';
import { failuresCsvPath } from '../reexport/rules.ts';
import {
  classTableLines,
  classTableRows,
  notReexportedNote,
  notReexportedOf,
} from '../render/class-table.ts';
import { ANALYZER_LOG, exportCommand, fixCommands, fixLead } from '../render/commands.ts';
import { escalationLines } from '../render/escalations.ts';
import { consoleLink } from '../render/insights.ts';
import {
  chunks,
  copyable,
  fitCell,
  formatTable,
  labelledName,
  PATHS_SHOWN_PER_TASK,
  plural,
  REASON_CHARS,
  wrap,
  wrapWithoutWidow,
} from '../render/layout.ts';
import { accountNote, placeLines, placeText, streamPlace } from '../render/places.ts';
import {
  ASSUMED_LOG_GROUP,
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
  countByCode,
  countByFileSystem,
  countOutcomes,
  isQuiet,
  personFindings,
  quietText,
  recordCount,
  reportTotals,
  unparseableCount,
  unplannedCount,
  unplannedGroups,
} from './analysis.ts';

interface TerminalOptions {
  /** Adds ANSI colours; the CLI sets it only for a TTY when NO_COLOR is unset. */
  readonly color?: boolean;
}

/**
 * Every line fits in 100 characters (UTF-16 units, colours aside), but for a link, an S3 URI, an
 * AWS CLI command or a `reexport` command, which stand alone on their line and are never cut (cut
 * in two, they no longer work), and for an identifier a person copies (a log group or stream, a
 * file of our own options), alone on a line of its own (see {@link keepWhole}). See fitLine.
 * Characters, not columns: a wide (East Asian) character takes two columns of a terminal, which
 * docs/cli.md says rather than measure every line's display width.
 */
const WIDTH = 100;
const CELL = 80;
/** Longest code in the codes table: with the class (10) and a count of 10 digits, within WIDTH. */
const CODE_CHARS = 72;
/** Longest unparseable sample shown (as in the email); the logs keep them whole. */
const SAMPLE_CHARS = 200;
/** An unparseable sample's indent, under its event's lines. */
const SAMPLE_INDENT = '      ';
const MAX_ROWS = 50;
const MAX_SAMPLES = 5;

const SGR = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' } as const;
type Style = keyof typeof SGR;

type Paint = (text: string, style: Style) => string;

function painter(color: boolean): Paint {
  return color
    ? (text, style) => (text === '' ? text : `\u001b[${SGR[style]}m${text}\u001b[0m`)
    : (text) => text;
}

const CLASS_STYLE: Record<FailureClass, Style> = {
  permission: 'red',
  limit: 'red',
  report: 'red',
  unknown: 'red',
  transient: 'yellow',
  busy: 'yellow',
  import: 'dim',
  skipped: 'dim',
};

const STATUS_STYLE: Record<TaskOutcome['status'], Style> = {
  started: 'green',
  refused: 'red',
  deferred: 'yellow',
  queued: 'cyan',
  planned: 'cyan',
};

function isClass(value: string): value is FailureClass {
  return Object.hasOwn(CLASS_STYLE, value);
}

// Only our own SGR codes hold an escape: untrusted text is sanitised before it gets here.
const SGR_CODE = /\u001b\[[0-9;]*m/g;

/** A link, an S3 URI or an AWS CLI command: copied whole, so never cut, alone on its line. */
const WHOLE = /^(?:https:\/\/|s3:\/\/|aws fsx )/;

/**
 * Opens a line kept whole past WIDTH (see {@link keepWhole}); fitLine takes it off. NUL: sanitised
 * text never holds one (display escapes it), so no untrusted text can ask for it.
 */
const WHOLE_MARK = '\u0000';

/**
 * A line kept whole past WIDTH: it holds one identifier a person copies into a command (`scan
 * --log-group NAME`, a file path), sanitised and alone on its line. Cut, it no longer names
 * anything. Marked on the line itself, not by its text: the same text elsewhere (a hostile path
 * equal to a log stream name) is still cut.
 */
function keepWhole(line: string): string {
  return `${WHOLE_MARK}${line}`;
}

/** The text's words, a word too long for a line cut in pieces (a link or S3 URI never is). */
function pieces(text: string, room: number): string[] {
  const words: string[] = [];
  for (const word of text.split(' ')) {
    if (word.length <= room || WHOLE.test(word)) {
      words.push(word);
      continue;
    }
    words.push(...chunks(word, room));
  }
  return words;
}

/**
 * The last guard of the 100 columns: a line still wider (long untrusted text with no space, say)
 * is wrapped under its own indent, cutting words that no line holds. A link, an S3 URI or a
 * command alone on its line stays whole.
 */
function fitLine(line: string): string[] {
  if (line.startsWith(WHOLE_MARK)) return [line.slice(WHOLE_MARK.length)];
  if (line.replace(SGR_CODE, '').length <= WIDTH) return [line];
  const indent = /^ */.exec(line)?.[0] ?? '';
  const text = line.slice(indent.length);
  if (WHOLE.test(text)) return [line];
  const hanging = `${indent}  `;
  return wrap(pieces(text, WIDTH - hanging.length).join(' '), indent, WIDTH, hanging);
}

/** A table's lines when each fits in WIDTH (colours aside), else the list `instead` gives. */
function tableOr(lines: string[], instead: () => string[]): string[] {
  return lines.every((line) => line.replace(SGR_CODE, '').length <= WIDTH) ? lines : instead();
}

function more(count: number, noun: string): string {
  return `… and ${plural(count, `more ${noun}`)}`;
}

function heading(paint: Paint, title: string): string[] {
  return ['', paint(title, 'bold')];
}

function summaryLines(report: Report, paint: Paint): string[] {
  const title = `FSx export analysis${report.dryRun ? ' (dry run)' : ''}`;
  const lines = [`${paint(title, 'bold')}  ${display(report.generatedAt, 64)}`, ''];
  lines.push(
    `Events read:     ${report.events}`,
    `FSx records:     ${recordCount(report)}`,
    `Unparseable:     ${unparseableCount(report)}`,
  );
  if (report.skippedMessages > 0) lines.push(`Control messages skipped: ${report.skippedMessages}`);
  const range = timeRange(reportTotals(report));
  if (range !== undefined) lines.push(`Time range:      ${timeRangeText(range)}`);
  const link = reportInsightsLink(report, reportTotals(report));
  // On a line of its own, never wrapped or coloured, so a terminal can open it.
  if (link !== undefined) lines.push('Logs Insights:', `  ${link}`);
  if (report.dryRun) {
    lines.push('', paint('Dry run: FSx was not called; re-exports are only planned.', 'cyan'));
  }
  return lines;
}

/** "… to …", saying how many events have no time, or "unknown" when none has one. */
function timeRangeText(range: NonNullable<ReturnType<typeof timeRange>>): string {
  if (range.from === undefined || range.to === undefined) {
    // Only the log event's time counts (a record's own "time" field is its text, not FSx's
    // clock): say so, since the records may well show one.
    return 'unknown (no log event carries a time; times inside records are not used)';
  }
  const untimed =
    range.unknown > 0 ? ` (${plural(range.unknown, 'event has', 'events have')} no time)` : '';
  return `${range.from} to ${range.to}${untimed}`;
}

/** The shape at a glance: the same compact table as the email, coloured by class. */
function classTable(report: Report, paint: Paint): string[] {
  const totals = reportTotals(report);
  const notReexported = notReexportedOf(report);
  const lines = classTableLines(classTableRows(totals, report.dryRun, notReexported), {
    paint: (cell, row, column) => {
      if (row < 0) return paint(cell, 'bold');
      if (column === 0 && isClass(cell)) return paint(cell, CLASS_STYLE[cell]);
      if (column === 0 && cell === 'unparseable') return paint(cell, 'red');
      return cell;
    },
  });
  if (lines.length === 0) return [];
  const note = notReexportedNote(totals, notReexported, {
    unplanned: '"Not re-exported"',
    escalated: '"What a person must fix"',
    outcomes: '"Re-exports"',
  });
  if (note !== undefined) lines.push(...wrapWithoutWidow(note, '  ', WIDTH, '    '));
  return [...heading(paint, 'Failures by class'), ...lines];
}

function codeTable(report: Report, paint: Paint): string[] {
  const codes = countByCode(report);
  if (codes.length === 0) return [];
  const classOf = codeClasses(report);
  const rows = codes
    .slice(0, MAX_ROWS)
    .map(([code, count]) => [
      fitCell(code, CODE_CHARS),
      classOf.get(code) ?? 'unknown',
      String(count),
    ]);
  const lines = formatTable(['Code', 'Class', 'Count'], rows, {
    align: ['left', 'left', 'right'],
    paint: (cell, row, column) => {
      if (row < 0) return paint(cell, 'bold');
      return column === 1 && isClass(cell) ? paint(cell, CLASS_STYLE[cell]) : cell;
    },
  });
  if (codes.length > MAX_ROWS)
    lines.push(`  ${more(codes.length - MAX_ROWS, 'code')} (--json lists all)`);
  return [...heading(paint, 'Failures by code'), ...lines];
}

function fileSystemTable(report: Report, paint: Paint): string[] {
  const fileSystems = countByFileSystem(report);
  if (fileSystems.length === 0) return [];
  const classes = classesOf(report);
  const rows = fileSystems.slice(0, MAX_ROWS).map(([id, counts]) => {
    const total = classes.reduce((sum, cls) => sum + counts[cls], 0);
    return [display(id, CELL), String(total), ...classes.map((cls) => String(counts[cls]))];
  });
  const table = formatTable(['File system', 'Records', ...classes], rows, {
    align: ['left', 'right', ...classes.map(() => 'right' as const)],
    paint: (cell, row) => (row < 0 ? paint(cell, 'bold') : cell),
  });
  // With most classes present, a column each no longer fits: one line per file system instead.
  const lines = tableOr(table, () =>
    fileSystems.slice(0, MAX_ROWS).flatMap(([id, counts]) => {
      const present = classes.filter((cls) => counts[cls] > 0);
      const total = present.reduce((sum, cls) => sum + counts[cls], 0);
      const byClass = present.map((cls) => `${counts[cls]} ${cls}`).join(', ');
      return wrapWithoutWidow(
        `${fitCell(id, 64)}: ${plural(total, 'record')} (${byClass})`,
        '  ',
        WIDTH,
        '    ',
      );
    }),
  );
  if (fileSystems.length > MAX_ROWS) {
    lines.push(`  ${more(fileSystems.length - MAX_ROWS, 'file system')}`);
  }
  return [...heading(paint, 'File systems'), ...lines];
}

/**
 * Longest Result cell of the re-exports table: after the row number (2), the status (8), a
 * file-system id (20), the paths (5) and the delay (7) columns, a row stays within WIDTH. The
 * lines under the table name each task's token and give the whole reason.
 */
const RESULT_CHARS = 46;
/** A file-system id: `fs-` and 17 hex digits. */
const FILE_SYSTEM_CHARS = 20;

function outcomeDetail(outcome: TaskOutcome): string {
  switch (outcome.status) {
    case 'started':
      return fitCell(`task ${outcome.taskId} (${outcome.lifecycle})`, RESULT_CHARS);
    case 'refused':
      return fitCell(outcome.error, RESULT_CHARS);
    case 'deferred':
      return 'waiting for the writer';
    case 'queued': {
      // The time whole, the reason shortened (the lines under the table give it whole).
      const until = `until ${display(outcome.notBefore, 24)}`;
      return `${until} (${fitCell(outcome.reason, RESULT_CHARS - until.length - 3)})`;
    }
    case 'planned':
      if (outcome.refusal !== undefined) return 'dry run: would be refused (see note)';
      return outcome.note === undefined ? 'dry run' : 'dry run (see note)';
  }
}

function reexportLines(report: Report, paint: Paint): string[] {
  const outcomes = outcomesOf(report);
  if (outcomes.length === 0) return [];
  // Tasks left to a person first, as in the email: past the last row, only tasks that need no one
  // are left out. Rows and the lines under them are numbered in this order.
  const shown = personFirst(outcomes).slice(0, MAX_ROWS);
  // The tally first, as in the email: the first rows may all be tasks the Lambda would refuse
  // while the ones that would start are past the last row.
  const tally = `  ${taskTally(outcomes)}`;
  // No token column: a 47-character token would push the table past WIDTH. Each task's lines
  // under the table start with its row number (#3), then its token.
  const lines = formatTable(
    ['#', 'Status', 'File system', 'Paths', 'Delay', 'Result'],
    shown.map((outcome, index) => [
      String(index + 1),
      outcome.status,
      fitCell(outcome.task.fileSystemId, FILE_SYSTEM_CHARS),
      String(outcome.task.paths.length),
      `${outcome.task.delaySeconds} s`,
      outcomeDetail(outcome),
    ]),
    {
      align: ['right', 'left', 'left', 'right', 'right', 'left'],
      paint: (cell, row, column) => {
        if (row < 0) return paint(cell, 'bold');
        const outcome = shown[row];
        return column === 1 && outcome !== undefined
          ? paint(cell, STATUS_STYLE[outcome.status])
          : cell;
      },
    },
  );
  // Said where the rows stop and again where the lines under them stop, so neither reads as all.
  const rest =
    outcomes.length > MAX_ROWS
      ? [`  ${more(outcomes.length - MAX_ROWS, 'task')}: --json lists every one`]
      : [];
  lines.push(...rest);
  // A note is the same for every task of a file system (its associations): given once, under the
  // first task that has it, and referred back to under the others.
  const firstWithNote = new Map<string, number>();
  for (const [index, outcome] of shown.entries()) {
    const { task } = outcome;
    // Tasks left to a person (refused, deferred, or ones the Lambda would refuse) name the
    // account too, when it is known: the person acts in that account.
    const note = leftToPerson(outcome) ? accountNote(accountOf(report, task.fileSystemId)) : '';
    lines.push(
      '',
      ...wrap(
        `#${index + 1} ${fitCell(task.clientRequestToken, CELL)} on ${fitCell(task.fileSystemId, CELL)}${note}:`,
        '  ',
        WIDTH,
        '      ',
      ),
    );
    for (const path of task.paths.slice(0, PATHS_SHOWN_PER_TASK))
      lines.push(`    ${display(path, CELL)}`);
    if (task.paths.length > PATHS_SHOWN_PER_TASK) {
      // Where the rest are, as under the table; short whatever the count, so never wrapped.
      lines.push(
        `    ${more(task.paths.length - PATHS_SHOWN_PER_TASK, 'path')}: --json lists every one`,
      );
    }
    if (outcome.status === 'refused' || outcome.status === 'deferred') {
      lines.push(...wrap(display(outcome.reason, REASON_CHARS), '    ', WIDTH, '    '));
    }
    if (outcome.status === 'queued') {
      lines.push(...wrap(display(outcome.detail, REASON_CHARS), '    ', WIDTH, '    '));
    }
    if (outcome.status === 'planned' && outcome.note !== undefined) {
      const key = `${task.fileSystemId}\n${outcome.note}`;
      const first = firstWithNote.get(key);
      if (first === undefined) {
        firstWithNote.set(key, index + 1);
        lines.push(...wrapWhole(`Note: ${display(outcome.note, REASON_CHARS)}`, '    '));
      } else {
        lines.push(`    Note: as for #${first}.`);
      }
    }
    if (outcome.status === 'deferred' || (outcome.status === 'refused' && outcome.retryLater)) {
      const { command, pathsShown } = exportCommand(task);
      lines.push(`    ${paint('Re-export by hand later:', 'bold')}`, `      ${command}`);
      if (pathsShown < task.paths.length) {
        lines.push(`      (names ${pathsShown} of ${task.paths.length} paths; --json lists all)`);
      }
    }
  }
  if (rest.length > 0) lines.push('', ...rest);
  return [...heading(paint, 'Re-exports'), tally, ...lines];
}

function unplannedLines(report: Report, paint: Paint): string[] {
  const groups = unplannedGroups(report);
  if (groups.length === 0) return [];
  const lines: string[] = [];
  for (const group of groups.slice(0, MAX_ROWS)) {
    lines.push(
      // Continued under the reason at the File system lines' indent, as in the email: no line of
      // the group reads as deeper than the place it belongs to.
      ...wrap(`${group.count} x ${display(group.reason, REASON_CHARS)}`, '  ', WIDTH, '    '),
    );
    lines.push(...placeLines(group.places, { indent: '    ', noun: 'failure', sampleChars: CELL }));
  }
  if (groups.length > MAX_ROWS) lines.push(`  ${more(groups.length - MAX_ROWS, 'reason')}`);
  return [...heading(paint, 'Not re-exported'), ...lines];
}

function awaitingMappingLines(report: Report, paint: Paint): string[] {
  const count = awaitingMappingCount(report);
  if (count === 0) return [];
  return [
    ...heading(paint, 'Re-exported once mapped'),
    ...wrapWhole(awaitingMappingText(count, report.plan.awaitingMappingNotes), '  '),
  ];
}

function unparseableLines(report: Report, paint: Paint): string[] {
  const events = report.unparseable;
  const count = unparseableCount(report);
  if (count === 0) return [];
  const lines = events
    .slice(0, MAX_SAMPLES)
    .flatMap((event) => [
      ...wrap(
        `${fitCell(event.reason, CELL)} (event ${fitCell(event.eventId, 64)} in stream ${fitCell(event.logStream, CELL)}; file system ${placeText(streamPlace(event.logStream, event.owner))})`,
        '  ',
        WIDTH,
        '    ',
      ),
      ...chunks(fitCell(event.sample, SAMPLE_CHARS), WIDTH - SAMPLE_INDENT.length).map(
        (chunk) => `${SAMPLE_INDENT}${paint(chunk, 'dim')}`,
      ),
    ]);
  if (count > MAX_SAMPLES) lines.push(`  ${more(count - MAX_SAMPLES, 'event')}`);
  return [...heading(paint, 'Unparseable events (kept, not dropped)'), ...lines];
}

/** "2 tasks, 7 paths": a count of tasks with the paths they hold. */
function tasksAndPaths(count: { readonly tasks: number; readonly paths: number }): string {
  return `${plural(count.tasks, 'task')}, ${plural(count.paths, 'path')}`;
}

/**
 * Under a class a person fixes, the `reexport` commands that re-export its failures afterwards,
 * as in the email: each alone on its line and kept whole (see {@link keepWhole}), as its values
 * are shell-quoted, so nothing in it can act on the terminal.
 */
function fixLines(report: Report, cls: FailureClass, paint: Paint): string[] {
  const { commands, more: rest } = fixCommands(report, cls);
  if (commands.length === 0) return [];
  const lines = [
    `    ${paint(fixLead(commands.length + rest), 'bold')}`,
    ...commands.map((command) => keepWhole(`      ${command}`)),
  ];
  if (rest > 0) {
    lines.push(
      `      ${more(rest, 'log group')}: the same command with each, as "Where to look" names them`,
    );
  }
  return lines;
}

function personLines(report: Report, paint: Paint): string[] {
  const lines: string[] = [];
  for (const finding of personFindings(report)) {
    lines.push(
      `  ${paint(classTitle(finding.cls), CLASS_STYLE[finding.cls])}: ${plural(finding.count, 'record')}`,
    );
    for (const group of finding.groups) {
      const codes = group.codes
        .slice(0, 10)
        .map(([code, count]) => `${display(code, CELL)} (${count})`);
      if (group.codes.length > 10) codes.push(more(group.codes.length - 10, 'code'));
      lines.push(...wrap(codes.join(', '), '    ', WIDTH, '      '));
      lines.push(...wrap(group.hint, '      ', WIDTH, '      ').map((line) => paint(line, 'dim')));
      lines.push(
        ...placeLines(group.places, { indent: '      ', noun: 'record', sampleChars: CELL }),
      );
    }
    lines.push(...fixLines(report, finding.cls, paint));
  }
  // The email's lines: plain text, already sanitised, and the same words in both places.
  lines.push(
    ...escalationLines(report.escalated ?? [], failuresCsvPath, ANALYZER_LOG, (id) =>
      accountOf(report, id),
    ).map((line) => (line === '' ? line : `  ${line}`)),
  );
  while (lines.at(-1) === '') lines.pop();
  // Each figure says its unit: a task holds several paths, a path several records.
  const { refused, wouldBeRefused } = countOutcomes(outcomesOf(report));
  if (refused.tasks > 0) {
    lines.push(
      `  ${paint('Refused re-exports', 'red')}: ${tasksAndPaths(refused)} (see Re-exports)`,
    );
  }
  if (wouldBeRefused.tasks > 0) {
    lines.push(
      `  ${paint('Re-exports the Lambda would refuse', 'red')}: ${tasksAndPaths(wouldBeRefused)} (see Re-exports)`,
    );
  }
  const unplanned = unplannedCount(report);
  if (unplanned > 0) {
    lines.push(
      `  Retryable failures not re-exported: ${plural(unplanned, 'record')} (see "Not re-exported")`,
    );
  }
  if (lines.length === 0) return [];
  return [...heading(paint, 'What a person must fix'), ...lines];
}

/** Longest log group or log stream name CloudWatch Logs allows: shown whole, never cut. */
const LOG_NAME_CHARS = 512;

/**
 * How the terminal shows a log group or stream after its label (see labelledName): the name on a
 * line of its own when the line is wider than WIDTH, kept whole (see {@link keepWhole}) when it
 * can be copied into `scan --log-group` as shown, else wrapped at WIDTH like any untrusted text.
 */
const NAME_LINES = { indent: '    ', width: WIDTH, markWhole: keepWhole } as const;

/**
 * Our own prose wrapped at WIDTH, but a word no line holds (a long file path of our own options,
 * say) stands alone on its line, whole, instead of being cut in pieces (see {@link keepWhole}).
 * Only a word that can be copied as shown (see copyable): one sanitize had to escape, or one
 * shortened with an ellipsis, is no name of ours any more, and is cut.
 */
function wrapWhole(text: string, indent: string): string[] {
  // wrap puts a word wider than a line alone on one: only such a line is longer than WIDTH.
  return wrap(text, indent, WIDTH, indent).map((line) =>
    line.length > WIDTH && copyable(line) ? keepWhole(line) : line,
  );
}

function sourceLines(report: Report, paint: Paint): string[] {
  const sources = uniqueSources(report);
  if (sources.length === 0) return [];
  const shown = sources.slice(0, MAX_ROWS);
  const table = formatTable(
    ['Log group', 'Log stream', 'Account', 'Events'],
    shown.map((source) => [
      // Whole: a name too long for the table sends every source to lines of their own.
      source.logGroupAssumed === true
        ? `${display(source.logGroup, LOG_NAME_CHARS)} (assumed)`
        : display(source.logGroup, LOG_NAME_CHARS),
      display(source.logStream, LOG_NAME_CHARS),
      display(source.owner, 32),
      String(source.events),
    ]),
    {
      align: ['left', 'left', 'left', 'right'],
      paint: (cell, row) => (row < 0 ? paint(cell, 'bold') : cell),
    },
  );
  // Long names no longer fit side by side: each source on lines of its own, as in the email.
  const lines = tableOr(table, () =>
    shown.flatMap((source) => [
      ...labelledName('  ', 'Log group: ', display(source.logGroup, LOG_NAME_CHARS), {
        ...NAME_LINES,
        suffix: source.logGroupAssumed === true ? ' (assumed)' : '',
      }),
      ...labelledName('  ', 'Log stream:', display(source.logStream, LOG_NAME_CHARS), NAME_LINES),
      `  Account:    ${fitCell(source.owner, 32)}, ${plural(source.events, 'event')}`,
    ]),
  );
  if (sources.length > MAX_ROWS) lines.push(`  ${more(sources.length - MAX_ROWS, 'log stream')}`);
  if (sources.some((source) => source.logGroupAssumed === true)) {
    lines.push(`  (assumed): ${ASSUMED_LOG_GROUP}.`);
  }
  if (report.region !== undefined) {
    for (const source of shown.slice(0, 10)) {
      lines.push(`  ${consoleLink(report.region, source.logGroup, source.logStream)}`);
    }
  }
  return [...heading(paint, 'Where to look'), ...lines];
}

/**
 * Renders a report for a terminal. Without `color` the output is plain text with no escape
 * sequence at all; with it, only our own SGR colour codes are added. A report with nothing in it
 * is one line that says so.
 */
function renderTerminal(report: Report, options: TerminalOptions = {}): string {
  // Nothing to show but that: one line, not tables of zeros.
  if (isQuiet(report)) return `${quietText(report)}\n`;
  const paint = painter(options.color === true);
  const lines = [
    ...summaryLines(report, paint),
    ...classTable(report, paint),
    ...codeTable(report, paint),
    ...fileSystemTable(report, paint),
    ...reexportLines(report, paint),
    ...unplannedLines(report, paint),
    ...awaitingMappingLines(report, paint),
    ...unparseableLines(report, paint),
    ...sourceLines(report, paint),
    ...personLines(report, paint),
  ];
  return `${lines.flatMap(fitLine).join('\n')}\n`;
}

export type { TerminalOptions };
export { renderTerminal };

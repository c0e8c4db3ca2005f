/**
 * The follow-up emails of durable re-export: the retrier's (tasks it started, paths a person must
 * take over, messages about to be dead-lettered) and the outcome check's (how the tasks we started
 * ended). Same conventions and builders as the analyzer's summary (lib/render/): untrusted
 * values go through `display()` or `toAsciiLine()`, the most urgent section comes first.
 */

import { display } from '../common/text.ts';
import type { ExportTask, Publication } from '../common/types.ts';
import { commandLines, RETRIER_LOG } from '../render/commands.ts';
import {
  asciiIds,
  fitBody,
  footer,
  onFileSystems,
  subjectWith,
  summaryAttributes,
} from '../render/envelope.ts';
import { escalationLines } from '../render/escalations.ts';
import {
  bullet,
  countCell,
  formatTable,
  joinSections,
  needPersonText,
  PATH_CHARS,
  pathLines,
  plural,
  REASON_CHARS,
  section,
  WIDTH,
  wrap,
} from '../render/layout.ts';
import { accountNote } from '../render/places.ts';
import { shellArg } from '../render/shell.ts';
import type { FinishedTask, OutcomeReport } from './outcomes.ts';
import type { CompletionReport, FailedFile } from './report.ts';
import type { RetrierReport } from './retrier.ts';
import { failuresCsvPath } from './rules.ts';

const MAX_ITEMS = 50;
/**
 * Where the rest of a cut retrier email is: its own log, whose task lines list every path
 * (lib/reexport/telemetry.ts, docs/operate.md#the-functions-own-logs-and-metrics).
 */
const RETRIER_CUT: readonly string[] = [
  "[truncated at the SNS size limit. The retrier's log has one line per",
  're-export task it started, refused or dead-lettered, with every path, one',
  'per file system sent back to wait, and every path escalated to a person',
  '(docs/operate.md#the-functions-own-logs-and-metrics).]',
];
/**
 * Where the rest of a cut outcome-check email is: its log has a line per task that ended, without
 * the paths, which the start line with the same taskId lists (lib/reexport/telemetry.ts).
 */
const OUTCOMES_CUT: readonly string[] = [
  "[truncated at the SNS size limit. The outcome check's log has one line",
  'per task that ended ("Re-export ended": taskId, counts, failuresCsv); the',
  '"Re-export started" line with the same taskId, in the analyzer\'s or the',
  "retrier's log, lists the task's paths",
  '(docs/operate.md#the-functions-own-logs-and-metrics).]',
];

function distinct(values: Iterable<string>): number {
  return new Set(values).size;
}

/**
 * The retrier's shape at a glance: what a person must take over first, then what was started
 * and what waits. Rows with nothing are left out; short rows for any mail client.
 */
function retrierTable(report: RetrierReport): string[] {
  const paths = (tasks: ReadonlyArray<{ readonly task: ExportTask }>): number =>
    tasks.reduce((sum, item) => sum + item.task.paths.length, 0);
  const ids = (tasks: ReadonlyArray<{ readonly task: ExportTask }>): number =>
    distinct(tasks.map((item) => item.task.fileSystemId));
  const rows = [
    [
      'escalated',
      report.escalated.length,
      distinct(report.escalated.map((escalation) => escalation.fileSystemId)),
      'a person must act',
    ],
    ['refused', paths(report.refused), ids(report.refused), 'a person must act'],
    ['dead-lettered', paths(report.deadLettered), ids(report.deadLettered), 'a person must act'],
    ['started', paths(report.started), ids(report.started), 'outcome follows'],
  ] as const;
  const shown: string[][] = rows
    .filter(([, count]) => count > 0)
    .map(([label, count, fileSystems, action]) => [
      label,
      countCell(count),
      countCell(fileSystems),
      action,
    ]);
  const waiting = report.waiting.reduce((sum, wait) => sum + wait.messages, 0);
  if (waiting > 0) {
    shown.push([
      'waiting',
      '-',
      countCell(distinct(report.waiting.map((wait) => wait.fileSystemId))),
      `${plural(waiting, 'message')} back to the queue`,
    ]);
  }
  if (shown.length === 0) return [];
  return formatTable(['Re-exports', 'Paths', 'File systems', 'What happens'], shown, {
    align: ['left', 'right', 'right', 'left'],
  });
}

/** The outcome check's shape at a glance: tasks, paths and failed files per result. */
function outcomeTable(finished: readonly FinishedTask[], order: readonly string[]): string[] {
  const rows: string[][] = [];
  for (const lifecycle of order) {
    const tasks = finished.filter((item) => item.lifecycle === lifecycle);
    if (tasks.length === 0) continue;
    const known = tasks.filter((item) => item.status?.failedCount !== undefined);
    rows.push([
      display(lifecycle.toLowerCase(), 20),
      String(tasks.length),
      countCell(tasks.reduce((sum, item) => sum + item.tracked.paths.length, 0)),
      known.length === 0
        ? '-'
        : String(known.reduce((sum, item) => sum + (item.status?.failedCount ?? 0), 0)),
      countCell(distinct(tasks.map((item) => item.tracked.fileSystemId))),
    ]);
  }
  if (rows.length === 0) return [];
  return formatTable(['Result', 'Tasks', 'Paths', 'Failed files', 'File systems'], rows, {
    align: ['left', 'right', 'right', 'right', 'right'],
  });
}

function retrierPersonLines(report: RetrierReport): string[] {
  const accountOf = (fileSystemId: string) =>
    report.escalated.find((escalation) => escalation.fileSystemId === fileSystemId)?.account;
  const lines = [...escalationLines(report.escalated, failuresCsvPath, RETRIER_LOG, accountOf)];
  for (const refusal of report.refused.slice(0, MAX_ITEMS)) {
    const { task } = refusal;
    lines.push(
      ...bullet(
        `FSx refused the re-export on ${display(task.fileSystemId, 64)}${accountNote(refusal.account)} for good: ${plural(task.paths.length, 'path')} from ${plural(refusal.messages, 'queued message')}.`,
      ),
      ...wrap(
        `${display(refusal.error, 80)}: ${display(refusal.reason, REASON_CHARS)}`,
        '  ',
        WIDTH,
        '  ',
      ),
      ...commandLines(task, 'Once the cause is fixed, re-export by hand with:', RETRIER_LOG),
      '',
    );
  }
  if (report.deadLettered.length > 0) {
    lines.push(
      ...bullet(
        `Dead-lettered: re-export by hand. ${plural(report.deadLettered.length, 'queued re-export')} waited for the file system on every one of its receives and now goes to the dead-letter queue; the retrier will not try it again.`,
      ),
    );
    for (const dead of report.deadLettered.slice(0, MAX_ITEMS)) {
      const { task } = dead;
      lines.push(
        '',
        ...wrap(
          `Message ${display(dead.messageId, 80)} on ${display(task.fileSystemId, 64)}${accountNote(dead.account)}: ${plural(task.paths.length, 'path')}, deferred at ${display(dead.deferredAt, 64)} (${display(dead.deferredReason, 80)}), received ${dead.receiveCount} times.`,
          '  ',
          WIDTH,
          '  ',
        ),
        ...wrap(`Last wait: ${display(dead.reason, REASON_CHARS)}`, '  ', WIDTH, '  '),
        ...commandLines(task, 'When the file system is free, run:', RETRIER_LOG),
      );
    }
    if (report.deadLettered.length > MAX_ITEMS) {
      lines.push(`  and ${plural(report.deadLettered.length - MAX_ITEMS, 'more message')}`);
    }
  }
  while (lines.at(-1) === '') lines.pop();
  return lines;
}

function startedLines(report: RetrierReport): string[] {
  const lines: string[] = [];
  for (const start of report.started.slice(0, MAX_ITEMS)) {
    const { task } = start;
    lines.push(
      ...bullet(
        `Started task ${display(start.taskId, 64)} on ${display(task.fileSystemId, 64)}${accountNote(start.account)}: ${plural(task.paths.length, 'path')} from ${plural(start.messages, 'queued message')} (${display(start.lifecycle, 32)}).`,
      ),
      `  Token: ${display(task.clientRequestToken, 64)}`,
      ...(task.reportPath === undefined
        ? []
        : [`  Completion report: ${display(task.reportPath, 400)}`]),
      ...pathLines(task.paths, '    '),
    );
  }
  if (report.started.length > MAX_ITEMS) {
    lines.push(`and ${plural(report.started.length - MAX_ITEMS, 'more task')}.`);
  }
  if (lines.length > 0) {
    lines.push(
      '',
      ...wrap(
        'How they end follows in a separate email from the outcome check, once FSx has finished them.',
      ),
    );
  }
  return lines;
}

function waitingLines(report: RetrierReport): string[] {
  return report.waiting
    .slice(0, MAX_ITEMS)
    .flatMap((wait) =>
      bullet(
        `${display(wait.fileSystemId, 64)}${accountNote(wait.account)}: ${plural(wait.messages, 'message')} back to the queue: ${display(wait.reason, REASON_CHARS)}`,
      ),
    );
}

/**
 * Renders the retrier's email: what needs a person first (escalated paths with their history,
 * permanent refusals, dead-lettered messages with a by-hand command), then the tasks it started,
 * then what still waits.
 */
function renderRetrierEmail(report: RetrierReport): Publication {
  const ids = asciiIds([
    ...report.started.map((start) => start.task.fileSystemId),
    ...report.escalated.map((escalation) => escalation.fileSystemId),
    ...report.refused.map((refusal) => refusal.task.fileSystemId),
    ...report.deadLettered.map((dead) => dead.task.fileSystemId),
  ]);
  const startedPaths = report.started.reduce((sum, start) => sum + start.task.paths.length, 0);
  const needPerson =
    report.escalated.length +
    report.refused.reduce((sum, refusal) => sum + refusal.task.paths.length, 0) +
    report.deadLettered.reduce((sum, dead) => sum + dead.task.paths.length, 0);
  const waiting = report.waiting.reduce((sum, wait) => sum + wait.messages, 0);
  const subject = subjectWith(`FSx re-exports retried${onFileSystems(ids)}`, [
    `${plural(report.started.length, 'task')} started`,
    { text: needPersonText(needPerson), keep: true },
    ...(report.deadLettered.length > 0 ? [`${report.deadLettered.length} dead-lettered`] : []),
  ]);
  const headline = wrap(
    `The retrier took ${plural(report.messages, 'queued re-export')}: ${plural(report.started.length, 'task')} started (${plural(startedPaths, 'path')}), ${needPerson} ${needPerson === 1 ? 'path needs' : 'paths need'} a person, ${plural(waiting, 'message')} back to the queue.`,
  );
  const lines = joinSections([
    headline,
    retrierTable(report),
    section('WHAT NEEDS A PERSON', retrierPersonLines(report)),
    section('RE-EXPORTS STARTED', startedLines(report)),
    section('STILL WAITING', waitingLines(report)),
  ]);
  return {
    subject,
    body: fitBody(lines, footer(report.generatedAt, 'retrier'), RETRIER_CUT),
    attributes: summaryAttributes('retrier', ids, needPerson > 0),
  };
}

/** Order of the outcome email: what a person should look at first. */
const LIFECYCLE_ORDER = ['FAILED', 'CANCELED', 'UNKNOWN', 'SUCCEEDED'];

function countsLine(finished: FinishedTask): string {
  const status = finished.status;
  if (status === undefined) {
    return 'FSx no longer knows this task (it was started more than a day ago): look at its completion report.';
  }
  const total = status.totalCount;
  const parts = [
    total === undefined ? undefined : plural(total, 'file'),
    status.succeededCount === undefined ? undefined : `${status.succeededCount} exported`,
    status.failedCount === undefined ? undefined : `${status.failedCount} failed`,
  ].filter((part): part is string => part !== undefined);
  return parts.length === 0 ? 'FSx reported no counts.' : `${parts.join(', ')}.`;
}

function startedByText(startedBy: FinishedTask['tracked']['startedBy']): string {
  return startedBy === 'reexport' ? 'a person (fsx-export-analyzer reexport)' : `the ${startedBy}`;
}

function finishedLines(finished: FinishedTask): string[] {
  const { tracked, status } = finished;
  const lines = [
    ...bullet(
      `Task ${display(tracked.taskId, 64)} on ${display(tracked.fileSystemId, 64)}${accountNote(tracked.account)}: ${finished.lifecycle}. ${countsLine(finished)}`,
    ),
    ...wrap(
      `Started by ${startedByText(tracked.startedBy)} at ${display(tracked.startedAt, 64)} for ${plural(tracked.paths.length, 'path')}${status?.endTime === undefined ? '' : `; ended at ${display(status.endTime, 64)}`}.`,
      '  ',
      WIDTH,
      '  ',
    ),
  ];
  if (status?.failureMessage !== undefined) {
    lines.push(...wrap(`FSx: ${display(status.failureMessage, REASON_CHARS)}`, '  ', WIDTH, '  '));
  }
  if (finished.report !== undefined) {
    // The task's paths first, then what its report says about them.
    lines.push('  Re-exported paths:', ...pathLines(tracked.paths, '    '));
    lines.push(...reportLines(finished.report, finished));
  } else if (finished.failuresCsv !== undefined) {
    lines.push(
      `  Failed files: ${display(finished.failuresCsv, 400)}`,
      `    aws s3 cp ${display(finished.failuresCsv, 400)} -`,
    );
  }
  if (finished.lifecycle !== 'SUCCEEDED' && !hasEscalations(finished)) {
    lines.push(
      ...wrap(
        'Its paths already count as attempts in the ledger: a path that fails again is re-exported until the attempt limit, then listed under "needs a person".',
        '  ',
        WIDTH,
        '  ',
      ),
    );
  }
  if (finished.report === undefined) lines.push(...pathLines(tracked.paths, '    '));
  return lines;
}

/** Failed files listed per task; the others are counted (the report holds them all). */
const MAX_REPORT_FILES = 20;

/** What each S3 refusal means for a person reading the email, in plain words. */
const UNREADABLE: Readonly<Record<string, string>> = {
  NoSuchKey:
    'there is no failures.csv at that address: FSx wrote none (a task that fails before it exports anything writes no report), or it was deleted or moved.',
  NoSuchBucket: 'the bucket does not exist any more.',
  AccessDenied:
    "the outcome check may not read it: its role's s3:GetObject covers the report folder only, or a bucket policy denies the read.",
  KmsDenied:
    "the report is encrypted with a KMS key the outcome check's role may not use: allow it kms:Decrypt on that key (through S3), or read it with a role that can.",
  Throttled:
    'S3 throttled the read (SlowDown) through all of its retries; the outcome check does not read it again.',
  NetworkError: 'S3 did not answer in time.',
};

function hasEscalations(finished: FinishedTask): boolean {
  return finished.report?.state === 'read' && finished.report.files.some((file) => file.escalated);
}

function fetchCommand(url: string): string {
  return `    aws s3 cp ${shellArg(display(url, 400))} -`;
}

/** After a path the task re-exported: whether it is escalated or stays under the attempt limit. */
function againNote(file: FailedFile): string {
  if (file.escalated) return '  (failed again: escalated)';
  return file.again ? '  (failed again: retried up to the attempt limit)' : '';
}

/** The failed files of one code: the code, its class, its hint, then the paths. */
function codeLines(code: string, files: readonly FailedFile[], hint: string | undefined): string[] {
  const first = files[0];
  const lines = wrap(
    `${display(code === '' ? '(no code)' : code, 80)} (${first?.class ?? 'unknown'}): ${plural(files.length, 'file')}. ${display(hint ?? '', REASON_CHARS)}`,
    '    ',
    WIDTH,
    '      ',
  );
  for (const file of files) {
    lines.push(`      ${display(file.path, PATH_CHARS)}${againNote(file)}`);
  }
  return lines;
}

/**
 * What a task's failures.csv said: the files that still failed, per error code with its class
 * and hint (at most MAX_REPORT_FILES listed), the paths escalated with that code and the
 * command to re-export them by hand; or, when it could not be read, why and how to fetch it.
 */
function reportLines(report: CompletionReport, finished: FinishedTask): string[] {
  if (report.state === 'unreadable') {
    const meaning = UNREADABLE[report.error] ?? 'S3 refused the read; the message above says why.';
    return [
      ...wrap(
        `The completion report could not be read (${display(report.error, 80)}: ${display(report.message, REASON_CHARS)}): ${meaning} The files that failed are not listed here; fetch the report with:`,
        '  ',
        WIDTH,
        '  ',
      ),
      fetchCommand(report.url),
    ];
  }
  const lines = [`  Completion report: ${display(report.url, 400)}`];
  const escalated = report.files.filter((file) => file.escalated);
  if (report.files.length === 0) {
    lines.push(
      ...wrap(
        report.malformed.length === 0
          ? 'It lists no failed file.'
          : 'It lists no failed file that could be read.',
        '  ',
        WIDTH,
        '  ',
      ),
    );
  } else {
    lines.push(
      ...wrap(
        `${plural(report.files.length, 'file')} still failed${escalated.length > 0 ? `; ${escalated.length === 1 ? '1 of them is a path this task re-exported: it failed again, so it is' : `${escalated.length} of them are paths this task re-exported: they failed again, so they are`} escalated to a person with the error code below instead of re-exported again` : ''}:`,
        '  ',
        WIDTH,
        '  ',
      ),
    );
    const shown = report.files.slice(0, MAX_REPORT_FILES);
    const byCode = new Map<string, FailedFile[]>();
    for (const file of shown) byCode.set(file.code, [...(byCode.get(file.code) ?? []), file]);
    for (const [code, files] of byCode)
      lines.push(...codeLines(code, files, report.hints.get(code)));
    if (report.files.length > shown.length) {
      lines.push(
        `    and ${plural(report.files.length - shown.length, 'more file')}, in the report.`,
      );
    }
  }
  if (report.otherStatus > 0) {
    lines.push(
      `  ${plural(report.otherStatus, 'row')} with a status other than "failed", not listed.`,
    );
  }
  if (report.malformed.length > 0) {
    const where = report.malformed
      .slice(0, 3)
      .map((row) => `line ${row.line}: ${row.reason}`)
      .join('; ');
    lines.push(
      ...wrap(
        `${plural(report.malformed.length, 'row')} could not be read and ${report.malformed.length === 1 ? 'is' : 'are'} not listed (${where}${report.malformed.length > 3 ? '; …' : ''}).`,
        '  ',
        WIDTH,
        '  ',
      ),
    );
  }
  if (report.truncated) {
    lines.push(
      ...wrap(
        `Only the first ${report.bytes.toLocaleString('en-US')} bytes${report.totalBytes === undefined ? '' : ` of ${report.totalBytes.toLocaleString('en-US')}`} were read: the files past them are not listed or escalated. Fetch the whole report with:`,
        '  ',
        WIDTH,
        '  ',
      ),
      fetchCommand(report.url),
    );
  } else if (report.files.length > 0 || report.malformed.length > 0) {
    lines.push('  Fetch the report with:', fetchCommand(report.url));
  }
  if (escalated.length > 0) {
    lines.push(
      ...commandLines(
        {
          fileSystemId: finished.tracked.fileSystemId,
          paths: [...new Set(escalated.map((file) => file.path))],
          eventIds: [],
          classes: [],
          delaySeconds: 0,
          clientRequestToken: '',
          reportPath: finished.tracked.reportPath,
        },
        'Once the cause is fixed, re-export the escalated paths by hand with:',
        // The outcome check logs no paths: the completion report lists the files that failed.
        'the completion report above',
      ),
    );
  }
  return lines;
}

function isSuccess(finished: FinishedTask): boolean {
  return (
    finished.lifecycle === 'SUCCEEDED' &&
    (finished.status?.failedCount ?? 0) === 0 &&
    (finished.report?.state !== 'read' || finished.report.files.length === 0)
  );
}

/**
 * Renders the outcome check's follow-up: one email for every task that ended since the last run,
 * failures first, each with FSx's counts, its failure details and where its failures.csv is.
 */
function renderOutcomeEmail(report: OutcomeReport): Publication {
  const ids = asciiIds(report.finished.map((finished) => finished.tracked.fileSystemId));
  const tally = new Map<string, number>();
  for (const finished of report.finished) {
    tally.set(finished.lifecycle, (tally.get(finished.lifecycle) ?? 0) + 1);
  }
  const order = [
    ...LIFECYCLE_ORDER,
    ...[...tally.keys()].filter((lifecycle) => !LIFECYCLE_ORDER.includes(lifecycle)).sort(),
  ];
  const parts = order
    .filter((lifecycle) => (tally.get(lifecycle) ?? 0) > 0)
    .map((lifecycle) => `${tally.get(lifecycle)} ${lifecycle.toLowerCase()}`);
  const subject = subjectWith(`FSx re-export outcomes${onFileSystems(ids)}`, parts);
  const headline = wrap(
    `${plural(report.finished.length, 're-export task')} ended: ${parts.join(', ')}.${report.stillOpen > 0 ? ` ${plural(report.stillOpen, 'task')} still running, reported when they end.` : ''}`,
  );
  const sorted = [...report.finished].sort(
    (a, b) => order.indexOf(a.lifecycle) - order.indexOf(b.lifecycle),
  );
  const problems = sorted.filter((finished) => !isSuccess(finished));
  const successes = sorted.filter(isSuccess);
  const list = (items: readonly FinishedTask[]): string[] => {
    const lines = items
      .slice(0, MAX_ITEMS)
      .flatMap((finished, index) => [...(index > 0 ? [''] : []), ...finishedLines(finished)]);
    if (items.length > MAX_ITEMS) {
      lines.push('', `and ${plural(items.length - MAX_ITEMS, 'more task')}.`);
    }
    return lines;
  };
  const lines = joinSections([
    headline,
    outcomeTable(report.finished, order),
    section('WHAT NEEDS A PERSON', list(problems)),
    section('RE-EXPORTED', list(successes)),
  ]);
  return {
    subject,
    body: fitBody(lines, footer(report.generatedAt, 'outcome check'), OUTCOMES_CUT),
    attributes: summaryAttributes('outcomes', ids, problems.length > 0),
  };
}

export { renderOutcomeEmail, renderRetrierEmail };

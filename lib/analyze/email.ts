/**
 * The SNS message operators receive as a plain-text email. Everything a log line can carry is
 * untrusted, so every such value goes through `display()`/`sanitize()` (body) or `toAsciiLine()`
 * (subject, attributes) on its way out. The small shared builders (tables, console links, export
 * commands, the "needs a person" grouping) are exported for the terminal renderer.
 */
import { Buffer } from 'node:buffer';
import { failuresCsvPath } from '../reexport/outcomes.ts';
import {
  cloudWatchHome,
  fileSystemOfStream,
  insightsLink,
  insightsQuery,
  isDateMillis,
  minuteWindow,
} from '../render/insights.ts';
import { shellArg, shellQuote } from '../render/shell.ts';
import { display, toAsciiLine } from '../shared/text.ts';
import type {
  Escalation,
  ExportTask,
  FailureClass,
  FailureRecord,
  Publication,
  Report,
  Source,
  TaskOutcome,
  Unplanned,
} from '../shared/types.ts';
import {
  countByClass,
  countByCode,
  countByFileSystem,
  fileSystemsOf,
  reportSeverity,
} from './analysis.ts';
import { CLASS_ORDER, classTitle, hintFor } from './classify.ts';

/** Prose is wrapped here: email clients show plain text as written. */
const WIDTH = 76;
/** SNS allows 262,144 bytes for body and attributes together; the rest is safety margin. */
const BODY_BUDGET = 250_000;
const SUBJECT_MAX = 99;
const MAX_SAMPLES = 5;
const MAX_CODES = 20;
const MAX_CODES_PER_HINT = 10;
const MAX_OUTCOMES = 50;
const MAX_REASONS = 10;
const MAX_SOURCES = 10;
const MAX_FILE_SYSTEMS = 20;
const MAX_COMMAND_PATHS = 10;
/** A command keeps adding paths only while it is shorter than this (it always names one). */
const COMMAND_CHARS = 4_000;
const MAX_ATTRIBUTE_IDS = 50;
/** Longest path and reason shown in a line; the logs keep them whole. */
const PATH_CHARS = 160;
const SAMPLE_CHARS = 200;
const REASON_CHARS = 600;
const TRUNCATED = "[truncated: the full report is in the analyzer's logs]";

/** Classes a person has to act on: no retry can fix them. */
const PERSON_CLASSES: readonly FailureClass[] = ['permission', 'limit', 'report', 'unknown'];

const CLASS_ACTION: Record<FailureClass, string> = {
  transient: 're-exported',
  busy: 're-export after delay',
  permission: 'a person must act',
  limit: 'a person must act',
  report: 'a person must act',
  unknown: 'a person must act',
  skipped: 'none (warning)',
  import: 'not retried',
};

/** In a dry run nothing is re-exported: the table says what would be. */
const DRY_RUN_ACTION: Partial<Record<FailureClass, string>> = {
  transient: 'would be re-exported',
  busy: 'would re-export after delay',
};

const UNPARSEABLE_ACTION = 'a person should read them';
/** Longest "what happens" cell: the class table stays within the email width. */
const ACTION_CHARS = 29;

/**
 * One row of the compact class table, in plain counts so any email (summary, digest) can build
 * it. `files` and `fileSystems` are distinct counts; undefined or 0 shows as "-" (not known).
 */
interface ClassTableRow {
  /** A failure class, or `unparseable` for events that could not be read as records. */
  readonly label: FailureClass | 'unparseable';
  readonly records: number;
  /** Distinct files: paths (else S3 objects) per file system. */
  readonly files: number | undefined;
  readonly fileSystems: number | undefined;
  /** What happens to them, e.g. "re-exported", "a person must act"; see {@link classAction}. */
  readonly action: string;
}

interface ClassTableOptions {
  readonly indent?: string | undefined;
  /** Styles a cell (the terminal's colours); row -1 is the header. */
  readonly paint?: TableOptions['paint'];
}

/** Codes that share one remediation hint within a class, with a few affected files. */
interface HintGroup {
  readonly hint: string;
  readonly count: number;
  /** Most frequent first. */
  readonly codes: ReadonlyArray<readonly [code: string, count: number]>;
  /** Raw (untrusted) distinct targets, at most five. */
  readonly samples: readonly string[];
}

interface PersonFinding {
  readonly cls: FailureClass;
  readonly count: number;
  readonly groups: readonly HintGroup[];
}

interface TableOptions {
  readonly indent?: string | undefined;
  /** Per column; default left. */
  readonly align?: ReadonlyArray<'left' | 'right'> | undefined;
  /** Styles a cell's text; padding is added outside, so styling never shifts the columns. */
  readonly paint?: ((cell: string, row: number, column: number) => string) | undefined;
}

/** The classes with at least one record, most severe first. */
function classesOf(report: Pick<Report, 'records'>): FailureClass[] {
  const counts = countByClass(report.records);
  return CLASS_ORDER.filter((cls) => counts[cls] > 0);
}

/** What happens to a class's records: "re-exported", "a person must act", … */
function classAction(cls: FailureClass, dryRun = false): string {
  return (dryRun ? DRY_RUN_ACTION[cls] : undefined) ?? CLASS_ACTION[cls];
}

const LABEL_ORDER: ReadonlyArray<ClassTableRow['label']> = [...CLASS_ORDER, 'unparseable'];

/** Untrusted text in at most `max` characters once sanitised (escapes are longer). */
function fitCell(text: string, max: number): string {
  let limit = max;
  let shown = display(text, limit);
  while (shown.length > max && limit > 1) {
    limit--;
    shown = display(text, limit);
  }
  return shown;
}

/** "-" for a count that is zero or not known, so the eye skips it. */
function countCell(count: number | undefined): string {
  return count === undefined || count <= 0 ? '-' : String(count);
}

/**
 * The compact per-class table: one row per label with records, most severe first
 * (`CLASS_ORDER`, unparseable last), columns class, records, files, file systems and what
 * happens. Short rows (at most 76 columns with the default indent), so it reads in a
 * proportional-font mail client too. No rows, no lines.
 */
function classTableLines(
  rows: readonly ClassTableRow[],
  options: ClassTableOptions = {},
): string[] {
  const shown = rows
    .filter((row) => row.records > 0)
    .sort((a, b) => LABEL_ORDER.indexOf(a.label) - LABEL_ORDER.indexOf(b.label));
  if (shown.length === 0) return [];
  return formatTable(
    ['Class', 'Records', 'Files', 'File systems', 'What happens'],
    shown.map((row) => [
      row.label,
      String(row.records),
      countCell(row.files),
      countCell(row.fileSystems),
      fitCell(row.action, ACTION_CHARS),
    ]),
    {
      indent: options.indent,
      align: ['left', 'right', 'right', 'right', 'left'],
      paint: options.paint,
    },
  );
}

/**
 * The class table's rows for a report: per class, its records, distinct files (path, else S3
 * object, per file system) and file systems; unparseable events last, their file systems read
 * from `datarepo_<id>` stream names. One pass over the records.
 */
function classTableRows(
  report: Pick<Report, 'records' | 'unparseable' | 'dryRun'>,
): ClassTableRow[] {
  // Targets kept per file system, not joined into keys: no new string per record.
  const tallies = new Map<FailureClass, { records: number; files: Map<string, Set<string>> }>();
  for (const record of report.records) {
    let tally = tallies.get(record.class);
    if (tally === undefined) {
      tally = { records: 0, files: new Map() };
      tallies.set(record.class, tally);
    }
    tally.records++;
    const fileSystem = record.fileSystemId ?? '';
    let targets = tally.files.get(fileSystem);
    if (targets === undefined) {
      targets = new Set();
      tally.files.set(fileSystem, targets);
    }
    const target = targetOf(record);
    if (target !== undefined) targets.add(target);
  }
  const rows: ClassTableRow[] = [];
  for (const cls of CLASS_ORDER) {
    const tally = tallies.get(cls);
    if (tally === undefined) continue;
    let files = 0;
    for (const targets of tally.files.values()) files += targets.size;
    rows.push({
      label: cls,
      records: tally.records,
      files,
      // Records without a file system id count no file system.
      fileSystems: tally.files.size - (tally.files.has('') ? 1 : 0),
      action: classAction(cls, report.dryRun),
    });
  }
  if (report.unparseable.length > 0) {
    const fileSystems = new Set<string>();
    for (const event of report.unparseable) {
      const id = fileSystemOfStream(event.logStream);
      if (id !== undefined) fileSystems.add(id);
    }
    rows.push({
      label: 'unparseable',
      records: report.unparseable.length,
      files: undefined,
      fileSystems: fileSystems.size,
      action: UNPARSEABLE_ACTION,
    });
  }
  return rows;
}

function consoleEncode(value: string): string {
  // encodeURIComponent throws on lone surrogates; log names arrive from untrusted payloads.
  return encodeURIComponent(value.toWellFormed()).replace(/%/g, '$25');
}

/**
 * Link to a log stream in the CloudWatch console. The console encodes the fragment twice
 * (`%` itself becomes `$25`), so `/aws/fsx/lustre` is written `$252Faws$252Ffsx$252Flustre`.
 * The result is plain ASCII whatever the input.
 */
function consoleLink(region: string, logGroup: string, logStream: string): string {
  return (
    cloudWatchHome(region) +
    `#logsV2:log-groups/log-group/${consoleEncode(logGroup)}/log-events/${consoleEncode(logStream)}`
  );
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

/**
 * Lays out already sanitised cells as aligned columns. Width is the string length of each cell;
 * the last column is never padded, so no line ends in spaces.
 */
function formatTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  options: TableOptions = {},
): string[] {
  const all = [header, ...rows];
  const columns = Math.max(...all.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)),
  );
  const indent = options.indent ?? '  ';
  return all.map((row, index) => {
    const cells = widths.map((width, column) => {
      const cell = row[column] ?? '';
      const painted = options.paint === undefined ? cell : options.paint(cell, index - 1, column);
      const pad = ' '.repeat(width - cell.length);
      if (options.align?.[column] === 'right') return pad + painted;
      return column === columns - 1 ? painted : painted + pad;
    });
    return (indent + cells.join('  ')).trimEnd();
  });
}

/** Wraps one paragraph of sanitised text at `width` columns. */
function wrap(text: string, indent = '', width = WIDTH, hanging = indent): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (word === '') continue;
    if (line === '') line = indent + word;
    else if (line.length + 1 + word.length > width) {
      lines.push(line);
      line = hanging + word;
    } else line += ` ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** A list item: wrapped, continuation lines indented under its text. */
function bullet(text: string): string[] {
  return wrap(text, '* ', WIDTH, '  ');
}

/** `1 path`, `2 paths`. */
function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The AWS CLI command that re-exports a task's paths by hand. It names at most ten paths (and
 * stops early on very long ones) so it stays pasteable; `pathsShown` tells the caller to say so.
 */
function exportCommand(task: ExportTask): { command: string; pathsShown: number } {
  const report =
    task.reportPath === undefined
      ? 'Enabled=false'
      : `Enabled=true,Path=${task.reportPath},Format=REPORT_CSV_20191124,Scope=FAILED_FILES_ONLY`;
  const quoted: string[] = [];
  let length = 0;
  for (const path of task.paths.slice(0, MAX_COMMAND_PATHS)) {
    const arg = shellQuote(path);
    if (quoted.length > 0 && length + arg.length + 1 > COMMAND_CHARS) break;
    quoted.push(arg);
    length += arg.length + 1;
  }
  const command = [
    'aws fsx create-data-repository-task',
    `--file-system-id ${shellArg(task.fileSystemId)}`,
    '--type EXPORT_TO_REPOSITORY',
    `--paths ${quoted.join(' ')}`,
    `--report ${shellArg(report)}`,
  ].join(' ');
  return { command, pathsShown: quoted.length };
}

/** What a record points at: its path, else its S3 object, else nothing. */
function targetOf(record: FailureRecord): string | undefined {
  if (record.path !== undefined) return record.path;
  if (record.s3Key === undefined) return undefined;
  return record.bucket === undefined ? record.s3Key : `s3://${record.bucket}/${record.s3Key}`;
}

function pushSample(samples: string[], value: string | undefined): void {
  if (value !== undefined && samples.length < MAX_SAMPLES && !samples.includes(value)) {
    samples.push(value);
  }
}

/**
 * The classes a person must act on, each split by remediation hint (unknown codes all share
 * one), with counts per code and a few affected files.
 */
function personFindings(report: Pick<Report, 'records'>): PersonFinding[] {
  const findings: PersonFinding[] = [];
  for (const cls of PERSON_CLASSES) {
    const records = report.records.filter((record) => record.class === cls);
    if (records.length === 0) continue;
    const groups = new Map<
      string,
      { count: number; codes: Map<string, number>; samples: string[] }
    >();
    for (const record of records) {
      const hint = hintFor(record.code);
      const group = groups.get(hint) ?? { count: 0, codes: new Map(), samples: [] };
      group.count++;
      group.codes.set(record.code, (group.codes.get(record.code) ?? 0) + 1);
      pushSample(group.samples, targetOf(record));
      groups.set(hint, group);
    }
    findings.push({
      cls,
      count: records.length,
      groups: [...groups]
        .map(([hint, group]) => ({
          hint,
          count: group.count,
          codes: [...group.codes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
          samples: group.samples,
        }))
        .sort((a, b) => b.count - a.count),
    });
  }
  return findings;
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

/**
 * Whether a person must act: a record no retry fixes, a refused task, a retryable failure that
 * could not be planned, or an event we could not read.
 */
function needsPerson(
  report: Pick<Report, 'records' | 'unparseable' | 'plan' | 'outcomes' | 'escalated'>,
): boolean {
  return (
    report.records.some((record) => PERSON_CLASSES.includes(record.class)) ||
    (report.escalated?.length ?? 0) > 0 ||
    // Deferred tasks count too: until a deferral queue starts them, a person runs the command.
    report.outcomes.some(
      (outcome) => outcome.status === 'refused' || outcome.status === 'deferred',
    ) ||
    report.plan.unplanned.length > 0 ||
    report.unparseable.length > 0
  );
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

interface Counts {
  readonly failed: number;
  readonly reexported: number;
  /** Paths waiting in the deferral queue for the retrier. */
  readonly queued: number;
  readonly planned: number;
  readonly needPerson: number;
  readonly unparseable: number;
}

function pathsWith(outcomes: readonly TaskOutcome[], status: TaskOutcome['status']): number {
  return outcomes
    .filter((outcome) => outcome.status === status)
    .reduce((sum, outcome) => sum + outcome.task.paths.length, 0);
}

function headlineCounts(report: Report, outcomes: readonly TaskOutcome[]): Counts {
  return {
    failed: report.records.length,
    reexported: pathsWith(outcomes, 'started'),
    queued: pathsWith(outcomes, 'queued'),
    planned: pathsWith(outcomes, 'planned'),
    // Deferred paths count too: without a queue nobody re-exports them but the person reading
    // this. Queued paths do not: the retrier takes them on.
    needPerson:
      report.records.filter((record) => PERSON_CLASSES.includes(record.class)).length +
      report.plan.unplanned.length +
      pathsWith(outcomes, 'refused') +
      pathsWith(outcomes, 'deferred') +
      (report.escalated?.length ?? 0),
    unparseable: report.unparseable.length,
  };
}

function subjectLine(report: Report, counts: Counts): string {
  const prefix = report.dryRun ? '[dry run] ' : '';
  let main: string;
  if (report.records.length === 0) {
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
    const title = report.records.every((record) => record.class === 'import')
      ? 'FSx import events'
      : 'FSx export failures';
    main = `${title} on ${where}: ${counts.failed} failed`;
    const optional = [
      report.dryRun ? `${counts.planned} to re-export` : `${counts.reexported} re-exported`,
      ...(counts.queued > 0 ? [`${counts.queued} queued`] : []),
      `${counts.needPerson} need a person`,
      ...(counts.unparseable > 0 ? [`${counts.unparseable} unparseable`] : []),
    ];
    // Counts are added only while they fit, so the subject is never cut mid-word.
    for (const part of optional) {
      if (prefix.length + main.length + 2 + part.length > SUBJECT_MAX) break;
      main += `, ${part}`;
    }
  }
  return toAsciiLine(prefix + main, SUBJECT_MAX);
}

/** Sorted unique ids as printable ASCII, for subjects and message attributes. */
function asciiIds(ids: Iterable<string>): string[] {
  const clean = new Set<string>();
  for (const id of ids) {
    const ascii = toAsciiLine(id, 64);
    if (ascii !== '') clean.add(ascii);
  }
  return [...clean].sort();
}

/** " on fs-…" for one file system, " on N file systems" for several, nothing for none. */
function onFileSystems(ids: readonly string[]): string {
  if (ids.length === 0) return '';
  return ids.length === 1 ? ` on ${ids[0]}` : ` on ${ids.length} file systems`;
}

/**
 * `main: part, part, …` as printable ASCII: parts are added only while the subject stays within
 * the SNS limit, so it is never cut mid-word.
 */
function subjectWith(main: string, parts: readonly string[]): string {
  let subject = toAsciiLine(main, SUBJECT_MAX);
  let separator = ': ';
  for (const part of parts) {
    const joined = `${subject}${separator}${toAsciiLine(part, SUBJECT_MAX)}`;
    if (joined.length > SUBJECT_MAX) break;
    subject = joined;
    separator = ', ';
  }
  return toAsciiLine(subject, SUBJECT_MAX);
}

/**
 * The attributes of the follow-up emails (retrier, outcome check, digest, doctor): the same
 * fields as the summary's, plus `summary` (the summary has none), so one filter policy serves all.
 */
function summaryAttributes(
  kind: 'retrier' | 'outcomes' | 'digest' | 'doctor',
  ids: readonly string[],
  person: boolean,
): Record<string, string | readonly string[]> {
  const shown = ids.slice(0, MAX_ATTRIBUTE_IDS);
  const attributes: Record<string, string | readonly string[]> = {
    summary: kind,
    fileSystemId: shown[0] ?? 'unknown',
    needsPerson: String(person),
    dryRun: 'false',
  };
  if (shown.length > 0) attributes['fileSystemIds'] = shown;
  return attributes;
}

/** The sections that have lines, a blank line between two. */
function joinSections(sections: ReadonlyArray<readonly string[]>): string[] {
  return sections
    .filter((lines) => lines.length > 0)
    .flatMap((lines, index) => (index === 0 ? [...lines] : ['', ...lines]));
}

/** The last lines of every email: who sent it (`who`: which part of the analyzer) and when. */
function footer(at: string, who?: string): string[] {
  const by = who === undefined ? '' : ` (${who})`;
  return ['', `Sent by fsx-export-analyzer${by} at ${display(at, 64)}.`];
}

/** An underlined section; nothing at all when it has no lines. */
function section(title: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : [title, '-'.repeat(title.length), ...lines];
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
  const summary =
    counts.failed > 0
      ? `${plural(counts.failed, 'FSx data repository failure')}: ${retried}, ${counts.needPerson} need a person.`
      : counts.unparseable > 0
        ? `No FSx data repository failure was recognised, but ${plural(counts.unparseable, 'log event')} could not be read.`
        : 'No FSx data repository failure was found.';
  const lines = [...wrap(summary), ''];
  // The shape at a glance, before any detail.
  const table = classTableLines(classTableRows(report));
  if (table.length > 0) lines.push(...table, '');
  let read = `Read ${plural(report.events, 'log event')}: ${plural(report.records.length, 'FSx record')}, ${counts.unparseable} unparseable.`;
  if (report.skippedMessages > 0) {
    read += ` Skipped ${plural(report.skippedMessages, 'control message')}.`;
  }
  lines.push(...wrap(read));
  const fileSystems = countByFileSystem(report.records);
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
  const range = timeRange(report);
  if (range !== undefined) lines.push(...wrap(`Events from ${range.from} to ${range.to} (UTC).`));
  const link = reportInsightsLink(report);
  if (link !== undefined) {
    // Never wrapped: a link cut in two does not work.
    lines.push('', 'These events in CloudWatch Logs Insights:', `  ${link}`);
  }
  if (report.dryRun) {
    lines.push(
      '',
      ...wrap(
        'DRY RUN: nothing was re-exported and FSx was not called. The re-exports below are only what would be started.',
      ),
    );
  }
  return lines;
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
      if (group.samples.length > 0) {
        lines.push(`  Examples (${group.samples.length} of ${group.count}):`);
        for (const sample of group.samples) lines.push(`    ${display(sample, PATH_CHARS)}`);
      }
    }
    lines.push('');
  }
  lines.push(...escalationLines(report.escalated ?? []));
  const refused = outcomes.filter((outcome) => outcome.status === 'refused');
  if (refused.length > 0) {
    const paths = pathsWith(refused, 'refused');
    lines.push(
      ...bullet(
        `FSx refused ${plural(refused.length, 're-export task')} (${plural(paths, 'path')}): see RE-EXPORTS below.`,
      ),
    );
  }
  const deferred = outcomes.filter((outcome) => outcome.status === 'deferred');
  if (deferred.length > 0) {
    const paths = pathsWith(deferred, 'deferred');
    lines.push(
      ...bullet(
        `${plural(deferred.length, 're-export task')} (${plural(paths, 'busy path')}) deferred: run the command under RE-EXPORTS once the delay has passed.`,
      ),
    );
  }
  if (report.plan.unplanned.length > 0) {
    lines.push(
      ...bullet(
        `${plural(report.plan.unplanned.length, 'retryable failure')} could not be re-exported: see RE-EXPORTS below.`,
      ),
    );
  }
  if (report.unparseable.length > 0) {
    lines.push(
      ...bullet(
        `${plural(report.unparseable.length, 'log event')} could not be read as FSx records: see UNPARSEABLE EVENTS below.`,
      ),
    );
  }
  while (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The escalated paths of one file system as a task, so `exportCommand` can name them. */
function escalatedTask(fileSystemId: string, escalations: readonly Escalation[]): ExportTask {
  return {
    fileSystemId,
    paths: escalations.map((escalation) => escalation.path),
    eventIds: [],
    classes: [],
    delaySeconds: 0,
    clientRequestToken: '',
    reportPath: escalations.find((escalation) => escalation.reportPath !== undefined)?.reportPath,
  };
}

/**
 * Paths re-exported too often, under "needs a person": per file system, each path with the tasks
 * that re-exported it and when, where the last task's failures are, and a command to re-export
 * them by hand once the cause is fixed.
 */
function escalationLines(escalated: readonly Escalation[]): string[] {
  if (escalated.length === 0) return [];
  const lines = bullet(
    `${plural(escalated.length, 'path')} failed again after repeated re-exports and will not be re-exported automatically any more. Read the tasks' failures.csv, fix the cause, then re-export by hand:`,
  );
  const byFileSystem = new Map<string, Escalation[]>();
  for (const escalation of escalated) {
    const group = byFileSystem.get(escalation.fileSystemId) ?? [];
    group.push(escalation);
    byFileSystem.set(escalation.fileSystemId, group);
  }
  for (const [fileSystemId, group] of [...byFileSystem].slice(0, MAX_FILE_SYSTEMS)) {
    lines.push('', `  On ${display(fileSystemId, 64)}:`);
    for (const escalation of group.slice(0, MAX_OUTCOMES)) {
      const tasks = escalation.taskIds.map((id) => display(id, 64));
      const last = escalation.taskIds.at(-1);
      lines.push(`    ${display(escalation.path, PATH_CHARS)}`);
      lines.push(
        ...wrap(
          `${plural(escalation.taskIds.length, 're-export')}: ${tasks.join(', ')}; last at ${display(escalation.lastAttemptAt ?? 'unknown', 64)}.`,
          '      ',
          WIDTH,
          '      ',
        ),
      );
      if (last !== undefined && escalation.reportPath !== undefined) {
        lines.push(`      Failures: ${display(failuresCsvPath(escalation.reportPath, last), 400)}`);
      }
    }
    if (group.length > MAX_OUTCOMES) {
      lines.push(`    and ${plural(group.length - MAX_OUTCOMES, 'more path')}`);
    }
    lines.push(...commandLines(escalatedTask(fileSystemId, group), 'Re-export by hand with:'));
  }
  if (byFileSystem.size > MAX_FILE_SYSTEMS) {
    lines.push(`  and ${plural(byFileSystem.size - MAX_FILE_SYSTEMS, 'more file system')}`);
  }
  lines.push('');
  return lines;
}

/** The class shown for each code in the code tables: that of its first record. */
function codeClasses(records: readonly FailureRecord[]): Map<string, FailureClass> {
  const classOf = new Map<string, FailureClass>();
  for (const record of records) {
    if (!classOf.has(record.code)) classOf.set(record.code, record.class);
  }
  return classOf;
}

function codeSection(report: Report): string[] {
  const codes = countByCode(report.records);
  if (codes.length === 0) return [];
  const classOf = codeClasses(report.records);
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

/** A lead line and the task's by-hand export command, saying when it names only some paths. */
function commandLines(task: ExportTask, lead: string): string[] {
  const { command, pathsShown } = exportCommand(task);
  const lines = [`  ${lead}`, `    ${command}`];
  if (pathsShown < task.paths.length) {
    lines.push(
      ...wrap(
        `(The command names the first ${pathsShown} of ${task.paths.length} paths; run it again with the others, listed in the analyzer's logs.)`,
        '  ',
        WIDTH,
        '  ',
      ),
    );
  }
  return lines;
}

function outcomeLines(outcome: TaskOutcome): string[] {
  const { task } = outcome;
  const fs = display(task.fileSystemId, 64);
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
        ...bullet(`Refused by FSx on ${fs}: ${paths}.`),
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
        ...bullet(`Deferred on ${fs}: ${paths}, delay ${task.delaySeconds} s.`),
        token,
        ...wrap(display(outcome.reason, REASON_CHARS), '  ', WIDTH, '  '),
        ...commandLines(task, 'Once the delay has passed, run:'),
      ];
    case 'planned': {
      const delay = task.delaySeconds > 0 ? ` after ${task.delaySeconds} s` : '';
      return [
        ...bullet(`Would start on ${fs}${delay}: ${paths}.`),
        token,
        ...task.paths.slice(0, 3).map((path) => `    ${display(path, PATH_CHARS)}`),
        ...(task.paths.length > 3 ? [`    and ${task.paths.length - 3} more`] : []),
      ];
    }
  }
}

function reexportSection(report: Report, outcomes: readonly TaskOutcome[]): string[] {
  const lines: string[] = [];
  if (outcomes.length > 0) {
    const tally = (['started', 'queued', 'refused', 'deferred', 'planned'] as const)
      .map(
        (status) =>
          [status, outcomes.filter((outcome) => outcome.status === status).length] as const,
      )
      .filter(([, count]) => count > 0)
      .map(([status, count]) => `${count} ${status}`);
    lines.push(`${plural(outcomes.length, 'task')}: ${tally.join(', ')}.`, '');
    for (const outcome of outcomes.slice(0, MAX_OUTCOMES)) lines.push(...outcomeLines(outcome));
    if (outcomes.length > MAX_OUTCOMES) {
      lines.push(`and ${plural(outcomes.length - MAX_OUTCOMES, 'more task')}.`);
    }
  }
  const unplanned = groupUnplanned(report.plan.unplanned);
  if (unplanned.length > 0) {
    if (lines.length > 0) lines.push('');
    lines.push(
      ...wrap(
        `Not re-exported: ${plural(report.plan.unplanned.length, 'retryable failure')} could not be planned.`,
      ),
    );
    for (const group of unplanned.slice(0, MAX_REASONS)) {
      lines.push(...bullet(`${group.count} x ${display(group.reason, REASON_CHARS)}`));
      for (const sample of group.samples) lines.push(`    ${display(sample, PATH_CHARS)}`);
    }
    if (unplanned.length > MAX_REASONS) {
      lines.push(`and ${plural(unplanned.length - MAX_REASONS, 'more reason')}.`);
    }
  }
  return lines;
}

function unparseableSection(report: Report): string[] {
  const count = report.unparseable.length;
  if (count === 0) return [];
  const lines = wrap(
    `${plural(count, 'log event')} could not be read as FSx data repository records. They were kept, not dropped: they are counted here and remain in the log group (see WHERE TO LOOK).`,
  );
  lines.push('', `Examples (${Math.min(count, MAX_SAMPLES)} of ${count}):`);
  for (const event of report.unparseable.slice(0, MAX_SAMPLES)) {
    lines.push(
      ...bullet(`${display(event.reason, REASON_CHARS)} (event ${display(event.eventId, 64)})`),
      `    ${display(event.sample, SAMPLE_CHARS)}`,
    );
  }
  return lines;
}

function sourceSection(report: Report): string[] {
  const sources = uniqueSources(report);
  const lines: string[] = [];
  for (const source of sources.slice(0, MAX_SOURCES)) {
    lines.push(
      `* Log group:  ${display(source.logGroup, 200)}`,
      `  Log stream: ${display(source.logStream, 200)}`,
      `  Account:    ${display(source.owner, 32)}`,
    );
    if (report.region !== undefined) {
      lines.push(`  Console:    ${consoleLink(report.region, source.logGroup, source.logStream)}`);
    }
  }
  if (sources.length > MAX_SOURCES) {
    lines.push(`and ${plural(sources.length - MAX_SOURCES, 'more log stream')}.`);
  }
  return lines;
}

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Joins the lines within the byte budget. Sections are bounded, so this only bites on
 * adversarial input; it then cuts at a line boundary (never inside a character) and says so.
 */
function fitBody(lines: readonly string[], footer: readonly string[]): string {
  const full = [...lines, ...footer].join('\n');
  if (utf8(full) <= BODY_BUDGET) return full;
  const tail = ['', TRUNCATED, ...footer];
  let budget = BODY_BUDGET - utf8(tail.join('\n')) - 1;
  const kept: string[] = [];
  for (const line of lines) {
    const size = utf8(line) + 1;
    if (size > budget) break;
    kept.push(line);
    budget -= size;
  }
  return [...kept, ...tail].join('\n');
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

export type { ClassTableOptions, ClassTableRow, HintGroup, PersonFinding, TableOptions };
export {
  asciiIds,
  bullet,
  classAction,
  classesOf,
  classTableLines,
  classTableRows,
  codeClasses,
  commandLines,
  consoleLink,
  countCell,
  escalationLines,
  exportCommand,
  fitBody,
  footer,
  formatTable,
  groupUnplanned,
  joinSections,
  needsPerson,
  onFileSystems,
  outcomesOf,
  PATH_CHARS,
  personFindings,
  plural,
  REASON_CHARS,
  renderEmail,
  reportInsightsLink,
  section,
  subjectWith,
  summaryAttributes,
  targetOf,
  timeRange,
  uniqueSources,
  WIDTH,
  wrap,
};

import { CLASS_ORDER, isRetryable } from '../common/classes.ts';
import type { FailureClass, Report, ReportTotals } from '../common/types.ts';
import { countCell, fitCell, formatTable, type TableOptions } from './layout.ts';
import { UNKNOWN_FILE_SYSTEM } from './places.ts';
import { leftToPerson } from './report.ts';

/*
 * The compact per-class table that opens the summary email, the digest and the terminal report:
 * per class, its records, distinct files and file systems, and what happens to them.
 */

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
/** Marks a row whose action the note under the table qualifies (see {@link notReexportedNote}). */
const MARK = '*';
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
  /**
   * Some records name no file system (in their text or their `datarepo_<fs-id>` stream): the
   * cell then says "unknown", as every list of places does (`File system unknown: 2 records`),
   * rather than a "-" that reads as none.
   */
  readonly unknownFileSystem?: boolean | undefined;
  /** What happens to them, e.g. "re-exported", "a person must act"; see {@link classAction}. */
  readonly action: string;
}

interface ClassTableOptions {
  readonly indent?: string | undefined;
  /** Styles a cell (the terminal's colours); row -1 is the header. */
  readonly paint?: TableOptions['paint'];
}

const LABEL_ORDER: ReadonlyArray<ClassTableRow['label']> = [...CLASS_ORDER, 'unparseable'];

/** What happens to a class's records: "re-exported", "a person must act", … */
function classAction(cls: FailureClass, dryRun = false): string {
  return (dryRun ? DRY_RUN_ACTION[cls] : undefined) ?? CLASS_ACTION[cls];
}

/** "2", "-", or with records that name no file system "unknown" / "2 + unknown". */
function fileSystemsCell(row: ClassTableRow): string {
  if (row.unknownFileSystem !== true) return countCell(row.fileSystems);
  const known = row.fileSystems ?? 0;
  return known > 0 ? `${known} + ${UNKNOWN_FILE_SYSTEM}` : UNKNOWN_FILE_SYSTEM;
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
      fileSystemsCell(row),
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
 * Retryable records that were not re-exported, per class: those the plan could not re-export (an
 * untrusted path, `..`, no path…), those whose path was escalated to a person after repeated
 * re-exports, and those of tasks left to a person (refused, deferred, or in a dry run refused by
 * the Lambda). They make "re-exported" untrue for some or all records of their class.
 */
interface NotReexported {
  readonly byClass: ReadonlyMap<FailureClass, number>;
  readonly escalatedByClass: ReadonlyMap<FailureClass, number>;
  readonly leftToPersonByClass: ReadonlyMap<FailureClass, number>;
  /**
   * False when `leftToPersonByClass` may count too few: a folded report that left some event ids
   * out of its tasks, or lost a task's records of more than one class. The note then says so.
   */
  readonly leftToPersonExact: boolean;
  readonly dryRun: boolean;
}

/** Where the note under the class table sends the reader, per kind of record not re-exported. */
interface NoteSections {
  /** The section listing what the plan could not re-export ("RE-EXPORTS"). */
  readonly unplanned: string;
  /** The section listing the escalated paths ("WHAT NEEDS A PERSON"). */
  readonly escalated: string;
  /** The section listing the tasks and their outcomes ("RE-EXPORTS"). */
  readonly outcomes: string;
}

function increment(counts: Map<FailureClass, number>, cls: FailureClass): void {
  counts.set(cls, (counts.get(cls) ?? 0) + 1);
}

/**
 * The records behind escalated paths, per class. The pipeline drops an escalated path from its
 * planned task and keeps the event ids of the other paths only (lib/analyze/pipeline.ts,
 * withoutPaths), so they are the events of the plan's tasks that no outcome's task holds, on a
 * file system with an escalation.
 */
function escalatedByClassOf(
  report: Pick<Report, 'records' | 'plan' | 'outcomes' | 'escalated'>,
): Map<FailureClass, number> {
  const byClass = new Map<FailureClass, number>();
  const escalated = report.escalated ?? [];
  if (escalated.length === 0) return byClass;
  const fileSystems = new Set(escalated.map((escalation) => escalation.fileSystemId));
  const kept = new Set<string>();
  for (const outcome of report.outcomes) for (const id of outcome.task.eventIds) kept.add(id);
  const dropped = new Set<string>();
  for (const task of report.plan.tasks) {
    if (!fileSystems.has(task.fileSystemId)) continue;
    for (const id of task.eventIds) if (!kept.has(id)) dropped.add(id);
  }
  for (const record of report.records) {
    if (dropped.has(record.eventId)) increment(byClass, record.class);
  }
  return byClass;
}

/**
 * The records of tasks left to a person, per class (see {@link NotReexported}). A task's events
 * are read in the records; those a folded report keeps no more count for the task's class when it
 * has one. Where that leaves a class short (a task of several classes, ids left out), the totals
 * per file system may still tell, exactly or better (see {@link leftByFileSystemOf}); else the
 * count is a lower bound (`exact` false).
 */
function leftToPersonByClassOf(
  report: Pick<Report, 'records' | 'plan' | 'folded' | 'outcomes'>,
  notPlanned: ReadonlyArray<ReadonlyMap<FailureClass, number>>,
): {
  byClass: Map<FailureClass, number>;
  exact: boolean;
} {
  const byClass = new Map<FailureClass, number>();
  const tasks = report.outcomes.filter(leftToPerson).map((outcome) => outcome.task);
  if (tasks.length === 0) return { byClass, exact: true };
  const unseen = new Set<string>();
  for (const task of tasks) for (const id of task.eventIds) unseen.add(id);
  for (const record of report.records) {
    // delete: the first record of an id counts, as everywhere an input repeats one.
    if (unseen.delete(record.eventId)) increment(byClass, record.class);
  }
  // The classes whose count may be short: any class of a task when ids were left out of tasks.
  const short = new Set<FailureClass>();
  if ((report.folded?.eventIdsOmitted ?? 0) > 0) {
    for (const task of tasks) for (const cls of task.classes) short.add(cls);
  }
  for (const task of tasks) {
    for (const id of task.eventIds) {
      if (!unseen.delete(id)) continue;
      const [only, ...others] = task.classes;
      if (only !== undefined && others.length === 0) increment(byClass, only);
      else for (const cls of task.classes) short.add(cls);
    }
  }
  for (const cls of short) {
    const fromTotals = leftByFileSystemOf(report, cls, notPlanned);
    if (fromTotals === undefined) continue;
    if (fromTotals.exact) short.delete(cls);
    // Both are lower bounds while the class is short: the larger is the better one.
    const counted = fromTotals.exact ? 0 : (byClass.get(cls) ?? 0);
    if (fromTotals.count > 0 || fromTotals.exact) {
      byClass.set(cls, Math.max(counted, fromTotals.count));
    }
  }
  return { byClass, exact: short.size === 0 };
}

/**
 * The records of a class that tasks left to a person hold, read from a folded report's totals per
 * file system (a refusal such as NoReportPath is one file system's): on a file system where every
 * task carrying the class is left to a person, so are all its planned records of that class; where
 * none is, none. So the count is the class's records on the first kind of file system, less those
 * not planned (`notPlanned`: unplanned, escalated; and records awaiting a mapping, not counted per
 * class): exact when no file system has both kinds of task and the records it takes off are known
 * to be on those file systems (or there are none), else a lower bound. Undefined: not folded, or a
 * task without an outcome.
 */
function leftByFileSystemOf(
  report: Pick<Report, 'plan' | 'folded' | 'outcomes'>,
  cls: FailureClass,
  notPlanned: ReadonlyArray<ReadonlyMap<FailureClass, number>>,
): { count: number; exact: boolean } | undefined {
  const folded = report.folded;
  if (folded === undefined || report.outcomes.length < report.plan.tasks.length) return undefined;
  const left = new Set<string>();
  const ahead = new Set<string>();
  for (const outcome of report.outcomes) {
    if (!outcome.task.classes.includes(cls)) continue;
    (leftToPerson(outcome) ? left : ahead).add(outcome.task.fileSystemId);
  }
  let onLeft = 0;
  for (const [fileSystemId, counts] of folded.totals.byFileSystem) {
    if (left.has(fileSystemId) && !ahead.has(fileSystemId)) onLeft += counts[cls];
  }
  let taken = folded.awaitingMapping;
  for (const counts of notPlanned) taken += counts.get(cls) ?? 0;
  const mixed = [...left].some((fileSystemId) => ahead.has(fileSystemId));
  const elsewhere = folded.totals.byClass[cls] - onLeft;
  const exact = !mixed && (elsewhere === 0 ? folded.awaitingMapping === 0 : taken === 0);
  return { count: Math.max(onLeft - taken, 0), exact };
}

/**
 * A report's retryable records that were not re-exported, per class (see {@link NotReexported}):
 * all of them, also those a folded report lists no more.
 */
function notReexportedOf(
  report: Pick<Report, 'records' | 'plan' | 'folded' | 'outcomes' | 'escalated' | 'dryRun'>,
): NotReexported {
  const byClass = new Map<FailureClass, number>();
  if (report.folded === undefined) {
    for (const item of report.plan.unplanned) increment(byClass, item.class);
  } else {
    for (const cls of CLASS_ORDER) {
      const count = report.folded.unplanned.byClass[cls] ?? 0;
      if (count > 0) byClass.set(cls, count);
    }
  }
  const escalatedByClass = escalatedByClassOf(report);
  const leftToPerson = leftToPersonByClassOf(report, [byClass, escalatedByClass]);
  return {
    byClass,
    escalatedByClass,
    leftToPersonByClass: leftToPerson.byClass,
    leftToPersonExact: leftToPerson.exact,
    dryRun: report.dryRun,
  };
}

/**
 * A retryable class's action, true for every record of it: "would not be re-exported" when none
 * of its records is; marked for the note under the table when some are not.
 */
function retryableAction(
  cls: FailureClass,
  records: number,
  dryRun: boolean,
  notReexported: NotReexported | undefined,
): string {
  const action = classAction(cls, dryRun);
  if (notReexported === undefined || !isRetryable(cls)) return action;
  const count =
    (notReexported.byClass.get(cls) ?? 0) +
    (notReexported.escalatedByClass.get(cls) ?? 0) +
    (notReexported.leftToPersonByClass.get(cls) ?? 0);
  if (count === 0) return action;
  if (count >= records) return `${dryRun ? 'would not be' : 'not'} re-exported ${MARK}`;
  return `${action} ${MARK}`;
}

/**
 * "2 of 7 transient records and 1 of 1 busy record", for the classes with a count; undefined:
 * none. `atLeast`: the counts are lower bounds ("at least 2 of 7 …" where short of the class).
 */
function countsOfClasses(
  totals: ReportTotals,
  counts: ReadonlyMap<FailureClass, number>,
  atLeast = false,
): string | undefined {
  const parts = totals.classTally
    .filter((tally) => (counts.get(tally.cls) ?? 0) > 0)
    .map((tally) => {
      const count = counts.get(tally.cls) ?? 0;
      // A lower bound that reached every record of its class is exact.
      const bound = atLeast && count < tally.records ? 'at least ' : '';
      return `${bound}${count} of ${tally.records} ${tally.cls} ${tally.records === 1 ? 'record' : 'records'}`;
    });
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/**
 * The note under the class table for its marked rows: "* 2 of 7 transient records could not be
 * re-exported: see RE-EXPORTS below.", for escalated paths "1 of 7 transient records reached the
 * re-export limit: see WHAT NEEDS A PERSON below.", and for tasks left to a person "1 of 7
 * transient records were in a task refused or deferred to a person: see RE-EXPORTS below." (`see`
 * names the sections listing them). Undefined when every row is true as it is.
 */
function notReexportedNote(
  totals: ReportTotals,
  notReexported: NotReexported,
  see: NoteSections,
): string | undefined {
  const unplanned = countsOfClasses(totals, notReexported.byClass);
  const escalated = countsOfClasses(totals, notReexported.escalatedByClass);
  const exact = notReexported.leftToPersonExact;
  const leftToPerson = countsOfClasses(totals, notReexported.leftToPersonByClass, !exact);
  // A folded input keeps only its first records and event ids: it may not tell them all.
  const bound = leftToPerson?.includes('at least ')
    ? ' (the input is too large to tell every one)'
    : '';
  // "1 of 1 transient record … refuse its task"; more records, or at least one: "their".
  let leftCount = 0;
  for (const count of notReexported.leftToPersonByClass.values()) leftCount += count;
  const their = leftCount === 1 && bound === '' ? 'its' : 'their';
  const sentences = [
    ...(unplanned === undefined
      ? []
      : [`${unplanned} could not be re-exported: see ${see.unplanned} below.`]),
    ...(escalated === undefined
      ? []
      : [`${escalated} reached the re-export limit: see ${see.escalated} below.`]),
    ...(leftToPerson === undefined
      ? []
      : [
          notReexported.dryRun
            ? `${leftToPerson} would not be re-exported: the Lambda would refuse ${their} task${bound}; see ${see.outcomes} below.`
            : `${leftToPerson} could not be re-exported: ${their} task was refused or deferred to a person; see ${see.outcomes} below.`,
        ]),
  ];
  if (sentences.length === 0) return undefined;
  // "at least …" opens a sentence too.
  const capitalised = sentences.map((text) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`);
  return `${MARK} ${capitalised.join(' ')}`;
}

/**
 * The class table's rows for a report's totals: per class, its records, distinct files (path,
 * else S3 object, per file system) and file systems; unparseable events last, their file systems
 * read from `datarepo_<id>` stream names. With `notReexported`, a retryable class whose records
 * could not all be re-exported says so (with {@link notReexportedNote} under the table).
 */
function classTableRows(
  totals: ReportTotals,
  dryRun: boolean,
  notReexported?: NotReexported,
): ClassTableRow[] {
  const rows: ClassTableRow[] = totals.classTally.map((tally) => ({
    label: tally.cls,
    records: tally.records,
    files: tally.files,
    fileSystems: tally.fileSystems,
    unknownFileSystem: tally.withoutFileSystem,
    action: retryableAction(tally.cls, tally.records, dryRun, notReexported),
  }));
  if (totals.unparseable > 0) {
    rows.push({
      label: 'unparseable',
      records: totals.unparseable,
      files: undefined,
      fileSystems: totals.unparseableFileSystems,
      unknownFileSystem: totals.unparseableWithoutFileSystem,
      action: UNPARSEABLE_ACTION,
    });
  }
  return rows;
}

export type { ClassTableOptions, ClassTableRow, NoteSections, NotReexported };
export {
  classAction,
  classTableLines,
  classTableRows,
  countsOfClasses,
  notReexportedNote,
  notReexportedOf,
};

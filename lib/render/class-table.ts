import { CLASS_ORDER, isRetryable } from '../common/classes.ts';
import type { FailureClass, Report, ReportTotals } from '../common/types.ts';
import { countCell, fitCell, formatTable, type TableOptions } from './layout.ts';

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
 * Retryable records the plan could not re-export (an untrusted path, `..`, no path…), per class:
 * they make "re-exported" untrue for some or all records of their class.
 */
interface NotReexported {
  readonly byClass: ReadonlyMap<FailureClass, number>;
}

/**
 * A report's retryable records that could not be re-exported, per class (see
 * {@link NotReexported}): all of them, also those a folded report lists no more.
 */
function notReexportedOf(report: Pick<Report, 'plan' | 'folded'>): NotReexported {
  const byClass = new Map<FailureClass, number>();
  if (report.folded === undefined) {
    for (const item of report.plan.unplanned) {
      byClass.set(item.class, (byClass.get(item.class) ?? 0) + 1);
    }
  } else {
    for (const cls of CLASS_ORDER) {
      const count = report.folded.unplanned.byClass[cls] ?? 0;
      if (count > 0) byClass.set(cls, count);
    }
  }
  return { byClass };
}

/**
 * A retryable class's action, true for every record of it: "would not be re-exported" when none
 * of its records can be; marked for the note under the table when some cannot.
 */
function retryableAction(
  cls: FailureClass,
  records: number,
  dryRun: boolean,
  notReexported: NotReexported | undefined,
): string {
  const action = classAction(cls, dryRun);
  if (notReexported === undefined || !isRetryable(cls)) return action;
  const count = notReexported.byClass.get(cls) ?? 0;
  if (count === 0) return action;
  if (count >= records) return `${dryRun ? 'would not be' : 'not'} re-exported ${MARK}`;
  return `${action} ${MARK}`;
}

/**
 * The note under the class table for its marked rows: "* 2 of 7 transient records could not be
 * re-exported: see RE-EXPORTS below." (`see` names the section listing them). Undefined when
 * every row is true as it is.
 */
function notReexportedNote(
  totals: ReportTotals,
  notReexported: NotReexported,
  see: string,
): string | undefined {
  const parts = totals.classTally
    .filter((tally) => (notReexported.byClass.get(tally.cls) ?? 0) > 0)
    .map(
      (tally) =>
        `${notReexported.byClass.get(tally.cls)} of ${tally.records} ${tally.cls} ${tally.records === 1 ? 'record' : 'records'}`,
    );
  if (parts.length === 0) return undefined;
  const list =
    parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `${MARK} ${list} could not be re-exported: see ${see} below.`;
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
    action: retryableAction(tally.cls, tally.records, dryRun, notReexported),
  }));
  if (totals.unparseable > 0) {
    rows.push({
      label: 'unparseable',
      records: totals.unparseable,
      files: undefined,
      fileSystems: totals.unparseableFileSystems,
      action: UNPARSEABLE_ACTION,
    });
  }
  return rows;
}

export type { ClassTableOptions, ClassTableRow, NotReexported };
export { classAction, classTableLines, classTableRows, notReexportedNote, notReexportedOf };

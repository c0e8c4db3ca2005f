import { CLASS_ORDER } from '../common/classes.ts';
import { display } from '../common/text.ts';
import type { FailureClass, ReportTotals } from '../common/types.ts';
import { countCell, formatTable, type TableOptions } from './layout.ts';

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
 * The class table's rows for a report's totals: per class, its records, distinct files (path,
 * else S3 object, per file system) and file systems; unparseable events last, their file systems
 * read from `datarepo_<id>` stream names.
 */
function classTableRows(totals: ReportTotals, dryRun: boolean): ClassTableRow[] {
  const rows: ClassTableRow[] = totals.classTally.map((tally) => ({
    label: tally.cls,
    records: tally.records,
    files: tally.files,
    fileSystems: tally.fileSystems,
    action: classAction(tally.cls, dryRun),
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

export type { ClassTableOptions, ClassTableRow };
export { classAction, classTableLines, classTableRows };

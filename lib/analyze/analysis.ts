import { CLASS_ORDER, PERSON_CLASSES } from '../common/classes.ts';
import { sourceOf } from '../common/records.ts';
import { display } from '../common/text.ts';
import type {
  FailureClass,
  FailureRecord,
  HintGroup,
  LogBatch,
  PersonFinding,
  Report,
  ReportTotals,
  Source,
  TaskOutcome,
  UnparseableEvent,
  Unplanned,
  UnplannedGroup,
} from '../common/types.ts';
import { plural } from '../render/layout.ts';
import { knownAccount, type Place } from '../render/places.ts';
import { groupUnplanned, leftToPerson, outcomesOf, wouldBeRefused } from '../render/report.ts';
import { forgetTexts, parseEvent } from './parse.ts';
import { byCountThenCode, shownPath, shownTarget, totalsFor } from './totals.ts';

/*
 * The parsing step (batches to records) and the statistics every output reads of its result:
 * counts per class, code, file system and outcome status, the classes present, and what a person
 * must act on. They are read from the report's totals (lib/analyze/totals.ts), gathered in one
 * pass however many outputs ask.
 */
// Over ~400 lines on purpose: every statistic the outputs share, memoised together in one place.

/** The result of parsing batches, before any re-export is planned. */
interface Analysis {
  readonly sources: readonly Source[];
  readonly events: number;
  readonly records: readonly FailureRecord[];
  readonly unparseable: readonly UnparseableEvent[];
}

/**
 * Parses every event of every batch. Each event ends up exactly once in `records` or
 * `unparseable`, so `events === records.length + unparseable.length` always holds.
 */
function analyzeBatches(batches: readonly LogBatch[]): Analysis {
  const records: FailureRecord[] = [];
  const unparseable: UnparseableEvent[] = [];
  const sources: Source[] = [];
  let events = 0;
  for (const batch of batches) {
    for (const event of batch.events) {
      const parsed = parseEvent(event, batch);
      if (parsed.kind === 'record') records.push(parsed);
      else unparseable.push(parsed);
    }
    events += batch.events.length;
    sources.push(sourceOf(batch));
  }
  forgetTexts();
  return { sources, events, records, unparseable };
}

/** What the statistics read: a report (folded or not), or a plain list of records. */
type Counted =
  | readonly FailureRecord[]
  | {
      readonly records: readonly FailureRecord[];
      readonly unparseable?: readonly UnparseableEvent[];
      readonly folded?: Report['folded'];
    };

function totals(of: Counted): ReportTotals {
  if (Array.isArray(of)) return totalsFor(of as readonly FailureRecord[]);
  const report = of as Exclude<Counted, readonly FailureRecord[]>;
  return report.folded?.totals ?? totalsFor(report.records, report.unparseable);
}

/** Every statistic of a report (or a list of records), gathered once. */
function reportTotals(of: Counted): ReportTotals {
  return totals(of);
}

/** A count for every class, zero included, in severity order. */
function countByClass(of: Counted): Readonly<Record<FailureClass, number>> {
  return totals(of).byClass;
}

/** The classes with at least one record, most severe first. */
function classesOf(report: Counted): FailureClass[] {
  const counts = countByClass(report);
  return CLASS_ORDER.filter((cls) => counts[cls] > 0);
}

/** Counts per code, most frequent first (ties by code). */
function countByCode(of: Counted): ReadonlyArray<readonly [code: string, count: number]> {
  return totals(of).byCode;
}

/** The class shown for each code in the code tables: that of its first record. */
function codeClasses(of: Counted): ReadonlyMap<string, FailureClass> {
  return totals(of).codeClasses;
}

/** Per file system: counts per class. Records without an id are grouped under `unknown`. */
function countByFileSystem(
  of: Counted,
): ReadonlyArray<readonly [fileSystemId: string, counts: Readonly<Record<FailureClass, number>>]> {
  return totals(of).byFileSystem;
}

/** The most severe class present in a report, if any record exists. */
function reportSeverity(report: Counted): FailureClass | undefined {
  const counts = countByClass(report);
  return CLASS_ORDER.find((cls) => counts[cls] > 0);
}

/** Tasks and their paths for one outcome status. */
interface OutcomeCount {
  readonly tasks: number;
  readonly paths: number;
}

/**
 * Tasks and paths per outcome status, every status included, and `wouldBeRefused`: those of the
 * `planned` ones that the Lambda would refuse (a subset of `planned`; lib/render/report.ts,
 * wouldBeRefused).
 */
type OutcomeCounts = Readonly<
  Record<TaskOutcome['status'], OutcomeCount> & { wouldBeRefused: OutcomeCount }
>;

const outcomeCounts = new WeakMap<object, OutcomeCounts>();

/** Tasks and paths per outcome status, every status included (see {@link OutcomeCounts}). */
function countOutcomes(outcomes: readonly TaskOutcome[]): OutcomeCounts {
  let value = outcomeCounts.get(outcomes);
  if (value === undefined) {
    const counts: Record<keyof OutcomeCounts, { tasks: number; paths: number }> = {
      started: { tasks: 0, paths: 0 },
      queued: { tasks: 0, paths: 0 },
      refused: { tasks: 0, paths: 0 },
      deferred: { tasks: 0, paths: 0 },
      planned: { tasks: 0, paths: 0 },
      wouldBeRefused: { tasks: 0, paths: 0 },
    };
    for (const outcome of outcomes) {
      counts[outcome.status].tasks++;
      counts[outcome.status].paths += outcome.task.paths.length;
      if (wouldBeRefused(outcome)) {
        counts.wouldBeRefused.tasks++;
        counts.wouldBeRefused.paths += outcome.task.paths.length;
      }
    }
    value = Object.freeze(counts);
    outcomeCounts.set(outcomes, value);
  }
  return value;
}

/**
 * The planned tasks a dry run would start, "to re-export" in every output: the planned ones less
 * those the Lambda would refuse, which countOutcomes counts among the planned too and which need
 * a person instead.
 */
function toReexport(counts: OutcomeCounts): OutcomeCount {
  const { planned, wouldBeRefused } = counts;
  return {
    tasks: planned.tasks - wouldBeRefused.tasks,
    paths: planned.paths - wouldBeRefused.paths,
  };
}

/**
 * The re-export tasks and their paths, all of them and per status, each task in exactly one
 * status as the re-exports' tally counts them (lib/render/report.ts, taskTally): `planned` are the
 * planned tasks the Lambda would start (the email's "to re-export"), `wouldBeRefused` the planned
 * ones it would refuse, which need a person instead.
 */
interface ReexportCounts extends OutcomeCount {
  readonly byStatus: Readonly<Record<TaskOutcome['status'] | 'wouldBeRefused', OutcomeCount>>;
}

/** The re-exports as the email and the terminal count them (see {@link ReexportCounts}). */
function reexportCounts(report: Pick<Report, 'outcomes' | 'plan' | 'escalated'>): ReexportCounts {
  const outcomes = outcomesOf(report);
  const counts = countOutcomes(outcomes);
  const { started, queued, refused, deferred, planned, wouldBeRefused } = counts;
  return {
    tasks: outcomes.length,
    paths: started.paths + queued.paths + refused.paths + deferred.paths + planned.paths,
    byStatus: { started, queued, refused, deferred, planned: toReexport(counts), wouldBeRefused },
  };
}

/** Retryable failures not planned: all of them, also those a folded report lists no more. */
function unplannedCount(report: Pick<Report, 'plan' | 'folded'>): number {
  return report.folded?.unplanned.count ?? report.plan.unplanned.length;
}

/** Retryable failures that wait for their S3 key to be mapped, all of them. */
function awaitingMappingCount(report: Pick<Report, 'plan' | 'folded'>): number {
  return report.folded?.awaitingMapping ?? report.plan.awaitingMapping.length;
}

/** How many records a report has (its `records` may hold only the first ones when folded). */
function recordCount(report: Counted): number {
  return totals(report).records;
}

/** How many unparseable events a report has. */
function unparseableCount(report: Counted): number {
  return totals(report).unparseable;
}

/** What "need a person" counts, in its two units (see {@link needPersonCounts}). */
interface NeedPersonCounts {
  /** Records a person acts on: of the person classes, and retryable ones not planned. */
  readonly records: number;
  /** Paths a person re-exports: of tasks left to a person, and escalated paths. */
  readonly paths: number;
}

/**
 * What "need a person" counts (docs/operate.md#the-summary), once for every output: records of
 * the classes a person must act on and retryable records that could not be planned, and paths of
 * tasks FSx refused, deferred for want of a deferral queue (nobody but the reader re-exports
 * them) or that the Lambda would refuse in a dry run, and escalated paths. Queued paths are not:
 * the retrier takes them on. Unparseable events are counted apart.
 */
function needPersonCounts(
  report: Pick<Report, 'records' | 'plan' | 'outcomes' | 'escalated' | 'folded'>,
): NeedPersonCounts {
  const byClass = countByClass(report);
  const byStatus = countOutcomes(report.outcomes);
  return {
    records: PERSON_CLASSES.reduce((sum, cls) => sum + byClass[cls], 0) + unplannedCount(report),
    paths:
      byStatus.refused.paths +
      byStatus.deferred.paths +
      byStatus.wouldBeRefused.paths +
      (report.escalated?.length ?? 0),
  };
}

/**
 * Whether a person must act: a record no retry fixes, a task left to a person (refused, deferred,
 * or one the Lambda would refuse), a retryable failure that could not be planned, or an event we
 * could not read.
 */
function needsPerson(
  report: Pick<Report, 'records' | 'unparseable' | 'plan' | 'outcomes' | 'escalated' | 'folded'>,
): boolean {
  const counts = countByClass(report);
  return (
    PERSON_CLASSES.some((cls) => counts[cls] > 0) ||
    (report.escalated?.length ?? 0) > 0 ||
    // Deferred tasks count too: until a deferral queue starts them, a person runs the command.
    report.outcomes.some(leftToPerson) ||
    unplannedCount(report) > 0 ||
    unparseableCount(report) > 0
  );
}

/**
 * The first record of each event id the items name (the first one, should an input repeat an
 * id), in one pass over the records. Only the wanted ids are mapped: a few unplanned items among
 * 10,000 records cost a look-up per record, not a map of every record (~3.4 ms). Kept per pair
 * of arrays, as the outputs ask for the same report's items again.
 */
const byIdCache = new WeakMap<
  readonly FailureRecord[],
  WeakMap<readonly Unplanned[], Map<string, FailureRecord | undefined>>
>();
function recordsById(
  records: readonly FailureRecord[],
  items: readonly Unplanned[],
): Map<string, FailureRecord | undefined> {
  let byItems = byIdCache.get(records);
  if (byItems === undefined) {
    byItems = new WeakMap();
    byIdCache.set(records, byItems);
  }
  let byId = byItems.get(items);
  if (byId === undefined) {
    byId = new Map<string, FailureRecord | undefined>();
    for (const item of items) byId.set(item.eventId, undefined);
    let missing = byId.size;
    for (const record of records) {
      if (missing === 0) break;
      const id = record.eventId;
      if (byId.has(id) && byId.get(id) === undefined) {
        byId.set(id, record);
        missing--;
      }
    }
    byItems.set(items, byId);
  }
  return byId;
}

/** The account of a file system's records in a report, when known (for tasks and escalations). */
function accountOf(report: Counted, fileSystemId: string): string | undefined {
  return totals(report).accounts.get(fileSystemId);
}

/**
 * Where a retryable failure that was not planned is, and what is shown of it: for each of
 * `items` (the records of other ids are not looked at).
 */
function unplannedPlace(
  report: Pick<Report, 'records'>,
  items: readonly Unplanned[],
): (item: Unplanned) => { place: Place; target: string | undefined } {
  return (item) => {
    const record = recordsById(report.records, items).get(item.eventId);
    return {
      place: {
        fileSystemId: item.fileSystemId,
        account: record === undefined ? undefined : knownAccount(record.owner),
      },
      target: record === undefined ? item.target : shownTarget(record),
    };
  };
}

/**
 * Retryable failures that were not planned, grouped by reason (largest group first) and place:
 * from the plan, or, for a folded report, as gathered while folding.
 */
function unplannedGroups(
  report: Pick<Report, 'records' | 'plan' | 'folded'>,
): readonly UnplannedGroup[] {
  return (
    report.folded?.unplanned.groups ??
    groupUnplanned(report.plan.unplanned, unplannedPlace(report, report.plan.unplanned))
  );
}

/**
 * The classes a person must act on, each split by remediation hint (unknown codes all share
 * one), with counts per code and, per file system, a few affected files.
 */
function personFindings(report: Counted): readonly PersonFinding[] {
  return totals(report).findings;
}

/**
 * Whether a report has nothing at all to show: no record, no unparseable event, nothing planned,
 * done or escalated. Its outputs then say so in one line instead of tables of zeros.
 */
function isQuiet(report: Report): boolean {
  const { plan } = report;
  return (
    !hasFindings(report) &&
    plan.tasks.length + unplannedCount(report) + awaitingMappingCount(report) === 0 &&
    report.outcomes.length === 0 &&
    (report.escalated?.length ?? 0) === 0
  );
}

/** The one line a quiet report opens with: "No FSx export failures in 12 log events." */
function quietText(report: Pick<Report, 'events' | 'skippedMessages'>): string {
  const skipped =
    report.skippedMessages > 0
      ? ` (${plural(report.skippedMessages, 'control message')} skipped)`
      : '';
  return `No FSx export failures in ${plural(report.events, 'log event')}${skipped}.`;
}

/** Whether a report has anything worth telling a person (a record or an unparseable event). */
function hasFindings(report: Counted): boolean {
  const { records, unparseable } = totals(report);
  return records > 0 || unparseable > 0;
}

/** Sorted unique file-system ids named by records (and log streams). */
function fileSystemsOf(report: Counted): string[] {
  return [...totals(report).fileSystemIds];
}

/**
 * The machine-readable report: the CLI's `--json` output. Field names are a stable interface
 * (documented in the README); new fields may be added, none removed.
 */
function toJsonReport(report: Report): Record<string, unknown> {
  return jsonReport(report, report.records.map(failureJson));
}

/**
 * The `--json` document as `toJsonReport` gives it, but with `failures` as a {@link FailureList}:
 * serialised straight from the records a slice at a time, instead of as an object per record
 * made first and held until the whole document is written. JSON.stringify gives the same text.
 */
function toJsonDocument(report: Report): Record<string, unknown> {
  return jsonReport(report, new FailureList(report.records));
}

function jsonReport(report: Report, failures: unknown): Record<string, unknown> {
  return {
    generatedAt: report.generatedAt,
    dryRun: report.dryRun,
    events: report.events,
    records: recordCount(report),
    unparseable: unparseableCount(report),
    skippedMessages: report.skippedMessages,
    // The figures of the email's subject and headline, counted by its rules
    // (docs/cli.md#need-a-person-and-re-exports).
    needPerson: needPersonCounts(report),
    reexports: reexportCounts(report),
    byClass: countByClass(report),
    byCode: Object.fromEntries(countByCode(report)),
    fileSystems: Object.fromEntries(countByFileSystem(report)),
    mostSevereClass: reportSeverity(report) ?? null,
    sources: report.sources,
    retries: report.plan.tasks.map((task) => ({
      fileSystemId: task.fileSystemId,
      paths: task.paths,
      delaySeconds: task.delaySeconds,
      clientRequestToken: task.clientRequestToken,
      classes: task.classes,
      eventIds: task.eventIds,
      reportPath: task.reportPath ?? null,
    })),
    // Only for an input too large to list whole: how many items each list leaves out.
    ...(report.folded === undefined ? {} : { truncated: truncatedCounts(report.folded, report) }),
    notRetried: report.plan.unplanned,
    awaitingMapping: report.plan.awaitingMapping,
    // Only with `--associations FILE` leaving a file system out (docs/cli.md#associations-offline).
    ...(report.plan.awaitingMappingNotes === undefined
      ? {}
      : { awaitingMappingNotes: report.plan.awaitingMappingNotes }),
    escalated: report.escalated ?? [],
    outcomes: report.outcomes.map(({ task, ...outcome }) => ({
      ...outcome,
      fileSystemId: task.fileSystemId,
      clientRequestToken: task.clientRequestToken,
      paths: task.paths.length,
    })),
    failures,
    unparseableEvents: report.unparseable.map((event) => ({
      eventId: event.eventId,
      logGroup: event.logGroup,
      logStream: event.logStream,
      reason: event.reason,
      sample: event.sample,
    })),
  };
}

/** One item of the `failures` list. */
function failureJson(record: FailureRecord) {
  return {
    eventId: record.eventId,
    // null, never 0: a time the input did not carry is unknown.
    timestamp: record.timestamp ?? null,
    logGroup: record.logGroup,
    logStream: record.logStream,
    fileSystemId: record.fileSystemId ?? null,
    class: record.class,
    code: record.code,
    format: record.format,
    level: record.level ?? null,
    path: record.path ?? null,
    s3Key: record.s3Key ?? null,
    bucket: record.bucket ?? null,
    associationId: record.associationId ?? null,
    time: record.time ?? null,
  };
}

/**
 * A report's `failures` as a member of a `--json` document: a list whose items are made when they
 * are serialised. JSON.stringify calls `toJSON` and gets the plain list; the CLI's writer
 * (cli/output.ts) takes a `slice` at a time, so each item dies young, right after its slice is
 * written, instead of 10,000 of them being held (and copied by each garbage collection) until
 * the whole document is out.
 */
class FailureList {
  readonly #records: readonly FailureRecord[];

  constructor(records: readonly FailureRecord[]) {
    this.#records = records;
  }

  get length(): number {
    return this.#records.length;
  }

  /** The items from `start` to `end` (excluded), as Array.prototype.slice takes them. */
  slice(start?: number, end?: number): ReturnType<typeof failureJson>[] {
    return this.#records.slice(start, end).map(failureJson);
  }

  toJSON(): ReturnType<typeof failureJson>[] {
    return this.#records.map(failureJson);
  }
}

// JSON.stringify escapes C0 controls but not C1 controls, line separators or bidi overrides;
// escaping them keeps the output valid JSON and harmless in a terminal.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/**
 * A JSON document as text for a terminal or a pipe: indented, with the code points JSON leaves raw
 * but a terminal would act on (C1 controls, line/paragraph separators, bidi overrides, BOM)
 * written as `\\u` escapes. Parsing it gives the same document.
 */
function jsonDocumentText(document: unknown): string {
  return JSON.stringify(document, null, 2).replace(
    JSON_UNSAFE,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** What a folded report's JSON lists leave out, per list ("N more"). */
function truncatedCounts(folded: NonNullable<Report['folded']>, report: Report) {
  return {
    failures: folded.recordsOmitted,
    unparseableEvents: folded.unparseableOmitted,
    notRetried: folded.unplanned.count - report.plan.unplanned.length,
    awaitingMapping: folded.awaitingMapping - report.plan.awaitingMapping.length,
    eventIds: folded.eventIdsOmitted,
  };
}

function toJsonText(report: Report): string {
  return jsonDocumentText(toJsonReport(report));
}

/** A note names a file system and the `--associations` file: both shown, never whole pages. */
const NOTE_CHARS = 300;

/**
 * What the summary and the terminal say of retryable failures that name only an S3 key in a dry
 * run: the Lambda maps and re-exports them, so they are no work for a person. `notes` (the plan's
 * awaitingMappingNotes) name the file systems `--associations FILE` leaves out.
 */
function awaitingMappingText(count: number, notes: readonly string[] = []): string {
  const what = count === 1 ? '1 retryable failure names' : `${count} retryable failures name`;
  if (notes.length === 0) {
    return `${what} only an S3 key. The Lambda maps keys to paths with the file system's data repository associations and re-exports them; this dry run did not read them (analyze --associations FILE does).`;
  }
  return `${what} only an S3 key. The Lambda maps keys to paths with the file system's data repository associations, which it reads from FSx, and re-exports them; this dry run could not map them: ${notes.map((note) => display(note, NOTE_CHARS)).join('; ')}.`;
}

export type {
  Analysis,
  HintGroup,
  NeedPersonCounts,
  OutcomeCount,
  OutcomeCounts,
  PersonFinding,
  ReexportCounts,
};
export {
  accountOf,
  analyzeBatches,
  awaitingMappingCount,
  awaitingMappingText,
  byCountThenCode,
  classesOf,
  codeClasses,
  countByClass,
  countByCode,
  countByFileSystem,
  countOutcomes,
  FailureList,
  fileSystemsOf,
  hasFindings,
  isQuiet,
  jsonDocumentText,
  needPersonCounts,
  needsPerson,
  personFindings,
  quietText,
  recordCount,
  reexportCounts,
  reportSeverity,
  reportTotals,
  shownPath,
  shownTarget,
  toJsonDocument,
  toJsonReport,
  toJsonText,
  toReexport,
  unparseableCount,
  unplannedCount,
  unplannedGroups,
  unplannedPlace,
};

import { CLASS_ORDER, PERSON_CLASSES } from '../common/classes.ts';
import type {
  FailureClass,
  FailureRecord,
  LogBatch,
  Report,
  Source,
  TaskOutcome,
  UnparseableEvent,
  Unplanned,
} from '../common/types.ts';
import { plural } from '../render/layout.ts';
import {
  groupByPlace,
  knownAccount,
  type Place,
  type PlaceGroup,
  type PlaceOf,
} from '../render/places.ts';
import { hintFor } from './classify.ts';
import { parseEvent } from './parse.ts';
import { normalisePath } from './plan.ts';

/*
 * The parsing step (batches to records) and the statistics every output reads of its result:
 * counts per class, code, file system and outcome status, the classes present, and what a person
 * must act on. Counts are memoised per array, so each is computed once however many outputs ask.
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
    sources.push({
      owner: batch.owner,
      logGroup: batch.logGroup,
      logStream: batch.logStream,
      events: batch.events.length,
    });
  }
  return { sources, events, records, unparseable };
}

/**
 * Memoises a statistic per array (of records, of outcomes): the renderers, the metrics and the
 * JSON output all ask for the same counts, and recounting 10,000 records each time shows up in
 * the benchmark.
 */
function memo<K extends object, T>(compute: (items: K) => T) {
  const cache = new WeakMap<K, T>();
  return (items: K): T => {
    let value = cache.get(items);
    if (value === undefined) {
      // Frozen: one caller must not change what the next one reads.
      value = Object.freeze(compute(items));
      cache.set(items, value);
    }
    return value;
  };
}

/** A count for every class, zero included, in severity order. */
const countByClass = memo(computeByClass);

function computeByClass(records: readonly FailureRecord[]): Record<FailureClass, number> {
  const counts = Object.fromEntries(CLASS_ORDER.map((cls) => [cls, 0])) as Record<
    FailureClass,
    number
  >;
  for (const record of records) counts[record.class]++;
  return counts;
}

/** The classes with at least one record, most severe first. */
function classesOf(report: Pick<Report, 'records'>): FailureClass[] {
  const counts = countByClass(report.records);
  return CLASS_ORDER.filter((cls) => counts[cls] > 0);
}

/** Counts per code, most frequent first (ties by code). */
const countByCode = memo(computeByCode);

function computeByCode(records: readonly FailureRecord[]): Array<[code: string, count: number]> {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.code, (counts.get(record.code) ?? 0) + 1);
  return [...counts].sort(byCountThenCode);
}

/** The order of per-code counts: most frequent first, ties by code. */
function byCountThenCode(a: readonly [string, number], b: readonly [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
}

/** The class shown for each code in the code tables: that of its first record. */
const codeClasses = memo((records: readonly FailureRecord[]): ReadonlyMap<string, FailureClass> => {
  const classOf = new Map<string, FailureClass>();
  for (const record of records) {
    if (!classOf.has(record.code)) classOf.set(record.code, record.class);
  }
  return classOf;
});

/** Per file system: counts per class. Records without an id are grouped under `unknown`. */
const countByFileSystem = memo(computeByFileSystem);

function computeByFileSystem(
  records: readonly FailureRecord[],
): Array<[fileSystemId: string, counts: Record<FailureClass, number>]> {
  const groups = new Map<string, FailureRecord[]>();
  for (const record of records) {
    const id = record.fileSystemId ?? 'unknown';
    const group = groups.get(id) ?? [];
    group.push(record);
    groups.set(id, group);
  }
  return [...groups.keys()].sort().map((id) => [id, computeByClass(groups.get(id) ?? [])]);
}

/** The most severe class present in a report, if any record exists. */
function reportSeverity(report: Pick<Report, 'records'>): FailureClass | undefined {
  const counts = countByClass(report.records);
  return CLASS_ORDER.find((cls) => counts[cls] > 0);
}

/** Tasks and their paths for one outcome status. */
interface OutcomeCount {
  readonly tasks: number;
  readonly paths: number;
}

/** Tasks and paths per outcome status, every status included. */
const countOutcomes = memo(
  (outcomes: readonly TaskOutcome[]): Readonly<Record<TaskOutcome['status'], OutcomeCount>> => {
    const counts: Record<TaskOutcome['status'], { tasks: number; paths: number }> = {
      started: { tasks: 0, paths: 0 },
      queued: { tasks: 0, paths: 0 },
      refused: { tasks: 0, paths: 0 },
      deferred: { tasks: 0, paths: 0 },
      planned: { tasks: 0, paths: 0 },
    };
    for (const outcome of outcomes) {
      counts[outcome.status].tasks++;
      counts[outcome.status].paths += outcome.task.paths.length;
    }
    return counts;
  },
);

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

/**
 * A path as every output shows it: relative to the file-system root, as FSx tasks take it
 * (`ns1/dir/file`), by the plan's own normalisation. A path the plan refuses (`..`) is shown as
 * written without its leading slashes; the root itself as `/`.
 */
function shownPath(raw: string): string {
  const normalised = normalisePath(raw);
  if ('path' in normalised) return normalised.path;
  const relative = raw.replace(/^\/+/, '');
  return relative === '' ? raw : relative;
}

/** What a record points at, as shown: its path (see `shownPath`), else `s3://bucket/key`. */
function shownTarget(record: FailureRecord): string | undefined {
  if (record.path !== undefined) return shownPath(record.path);
  if (record.s3Key === undefined) return undefined;
  return record.bucket === undefined ? record.s3Key : `s3://${record.bucket}/${record.s3Key}`;
}

/** A record's place: its file system and the account of its batch; shown: its target. */
const RECORD_PLACE: PlaceOf<FailureRecord> = {
  fileSystemId: (record) => record.fileSystemId,
  account: (record) => knownAccount(record.owner),
  sample: shownTarget,
};

/** Records by event id (the first one, should an input repeat an id). */
const recordsById = memo((records: readonly FailureRecord[]) => {
  const byId = new Map<string, FailureRecord>();
  for (const record of records) if (!byId.has(record.eventId)) byId.set(record.eventId, record);
  return byId;
});

/** Per file system, the account its records came from, when they name exactly one. */
const accountsByFileSystem = memo((records: readonly FailureRecord[]) => {
  const accounts = new Map<string, string | undefined>();
  for (const record of records) {
    if (record.fileSystemId === undefined) continue;
    const account = knownAccount(record.owner);
    const seen = accounts.get(record.fileSystemId);
    if (!accounts.has(record.fileSystemId)) accounts.set(record.fileSystemId, account);
    else if (seen !== account) accounts.set(record.fileSystemId, undefined);
  }
  return accounts;
});

/** The account of a file system's records in a report, when known (for tasks and escalations). */
function accountOf(report: Pick<Report, 'records'>, fileSystemId: string): string | undefined {
  return accountsByFileSystem(report.records).get(fileSystemId);
}

/** Where a retryable failure that was not planned is, and what is shown of it. */
function unplannedPlace(
  report: Pick<Report, 'records'>,
): (item: Unplanned) => { place: Place; target: string | undefined } {
  return (item) => {
    const record = recordsById(report.records).get(item.eventId);
    return {
      place: {
        fileSystemId: item.fileSystemId,
        account: record === undefined ? undefined : knownAccount(record.owner),
      },
      target: record === undefined ? item.target : shownTarget(record),
    };
  };
}

/** Codes that share one remediation hint within a class, with a few affected files per place. */
interface HintGroup {
  readonly hint: string;
  readonly count: number;
  /** Most frequent first. */
  readonly codes: ReadonlyArray<readonly [code: string, count: number]>;
  /** The file systems (and accounts) of its records, each with a few shown targets (untrusted). */
  readonly places: readonly PlaceGroup[];
}

interface PersonFinding {
  readonly cls: FailureClass;
  readonly count: number;
  readonly groups: readonly HintGroup[];
}

/**
 * The classes a person must act on, each split by remediation hint (unknown codes all share
 * one), with counts per code and, per file system, a few affected files.
 */
function personFindings(report: Pick<Report, 'records'>): readonly PersonFinding[] {
  return findingsOf(report.records);
}

const findingsOf = memo((all: readonly FailureRecord[]): PersonFinding[] => {
  const findings: PersonFinding[] = [];
  for (const cls of PERSON_CLASSES) {
    const records = all.filter((record) => record.class === cls);
    if (records.length === 0) continue;
    const groups = new Map<string, { codes: Map<string, number>; records: FailureRecord[] }>();
    for (const record of records) {
      const hint = hintFor(record.code);
      const group = groups.get(hint) ?? { codes: new Map<string, number>(), records: [] };
      group.codes.set(record.code, (group.codes.get(record.code) ?? 0) + 1);
      group.records.push(record);
      groups.set(hint, group);
    }
    findings.push({
      cls,
      count: records.length,
      groups: [...groups]
        .map(([hint, group]) => ({
          hint,
          count: group.records.length,
          codes: [...group.codes].sort(byCountThenCode),
          places: groupByPlace(group.records, RECORD_PLACE),
        }))
        .sort((a, b) => b.count - a.count),
    });
  }
  return findings;
});

/**
 * Whether a report has nothing at all to show: no record, no unparseable event, nothing planned,
 * done or escalated. Its outputs then say so in one line instead of tables of zeros.
 */
function isQuiet(report: Report): boolean {
  const { plan } = report;
  return (
    !hasFindings(report) &&
    plan.tasks.length + plan.unplanned.length + plan.awaitingMapping.length === 0 &&
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
function hasFindings(report: Pick<Report, 'records' | 'unparseable'>): boolean {
  return report.records.length > 0 || report.unparseable.length > 0;
}

/** Sorted unique file-system ids named by records (and log streams). */
function fileSystemsOf(report: Pick<Report, 'records'>): string[] {
  return [...fileSystemIds(report.records)];
}

const fileSystemIds = memo((records: readonly FailureRecord[]): readonly string[] => {
  const ids = new Set<string>();
  for (const record of records) if (record.fileSystemId) ids.add(record.fileSystemId);
  return [...ids].sort();
});

/**
 * The machine-readable report: the CLI's `--json` output. Field names are a stable interface
 * (documented in the README); new fields may be added, none removed.
 */
function toJsonReport(report: Report): Record<string, unknown> {
  return {
    generatedAt: report.generatedAt,
    dryRun: report.dryRun,
    events: report.events,
    records: report.records.length,
    unparseable: report.unparseable.length,
    skippedMessages: report.skippedMessages,
    byClass: countByClass(report.records),
    byCode: Object.fromEntries(countByCode(report.records)),
    fileSystems: Object.fromEntries(countByFileSystem(report.records)),
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
    notRetried: report.plan.unplanned,
    awaitingMapping: report.plan.awaitingMapping,
    escalated: report.escalated ?? [],
    outcomes: report.outcomes.map(({ task, ...outcome }) => ({
      ...outcome,
      fileSystemId: task.fileSystemId,
      clientRequestToken: task.clientRequestToken,
      paths: task.paths.length,
    })),
    failures: report.records.map((record) => ({
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
    })),
    unparseableEvents: report.unparseable.map((event) => ({
      eventId: event.eventId,
      logGroup: event.logGroup,
      logStream: event.logStream,
      reason: event.reason,
      sample: event.sample,
    })),
  };
}

// JSON.stringify escapes C0 controls but not C1 controls, line separators or bidi overrides;
// escaping them keeps the output valid JSON and harmless in a terminal.
const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** The `--json` document as text: pretty-printed, every unsafe character escaped. */
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

function toJsonText(report: Report): string {
  return jsonDocumentText(toJsonReport(report));
}

/**
 * What the summary and the terminal say of retryable failures that name only an S3 key in a dry
 * run: the Lambda maps and re-exports them, so they are no work for a person.
 */
function awaitingMappingText(count: number): string {
  const what = count === 1 ? '1 retryable failure names' : `${count} retryable failures name`;
  return `${what} only an S3 key. The Lambda maps keys to paths with the file system's data repository associations and re-exports them; this dry run did not read them (analyze --associations FILE does).`;
}

export type { Analysis, HintGroup, OutcomeCount, PersonFinding };
export {
  accountOf,
  analyzeBatches,
  awaitingMappingText,
  byCountThenCode,
  classesOf,
  codeClasses,
  countByClass,
  countByCode,
  countByFileSystem,
  countOutcomes,
  fileSystemsOf,
  hasFindings,
  isQuiet,
  jsonDocumentText,
  needsPerson,
  personFindings,
  quietText,
  reportSeverity,
  shownPath,
  shownTarget,
  toJsonReport,
  toJsonText,
  unplannedPlace,
};

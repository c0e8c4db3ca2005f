import { pushSample } from '../render/report.ts';
import { CLASS_ORDER, PERSON_CLASSES } from '../shared/classes.ts';
import { targetOf } from '../shared/records.ts';
import type {
  FailureClass,
  FailureRecord,
  LogBatch,
  Report,
  Source,
  TaskOutcome,
  UnparseableEvent,
} from '../shared/types.ts';
import { hintFor } from './classify.ts';
import { parseEvent } from './parse.ts';

/*
 * The parsing step (batches to records) and the statistics every output reads of its result:
 * counts per class, code, file system and outcome status, the classes present, and what a person
 * must act on. Counts are memoised per array, so each is computed once however many outputs ask.
 */

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
          codes: [...group.codes].sort(byCountThenCode),
          samples: group.samples,
        }))
        .sort((a, b) => b.count - a.count),
    });
  }
  return findings;
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
      timestamp: record.timestamp,
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
  jsonDocumentText,
  needsPerson,
  personFindings,
  reportSeverity,
  toJsonReport,
  toJsonText,
};

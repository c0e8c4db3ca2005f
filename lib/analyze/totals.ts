import { CLASS_ORDER, PERSON_CLASSES } from '../common/classes.ts';
import { targetOf } from '../common/records.ts';
import type {
  ClassTally,
  FailureClass,
  FailureRecord,
  HintGroup,
  PersonFinding,
  Report,
  ReportTotals,
  UnparseableEvent,
} from '../common/types.ts';
import { fileSystemOfStream, isDateMillis } from '../render/insights.ts';
import { knownAccount, type PlaceOf, PlaceTally } from '../render/places.ts';
import { hintFor } from './classify.ts';
import { normalisePath } from './plan.ts';

/*
 * Every statistic the outputs read of a report's records and unparseable events, gathered in one
 * pass: the email, the terminal report, the JSON output and the metrics used to walk the records
 * a dozen times. The same builder folds the records of an input too large to keep
 * (lib/analyze/fold.ts), one at a time, so both give the same figures.
 */

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

/** The order of per-code counts: most frequent first, ties by code. */
function byCountThenCode(a: readonly [string, number], b: readonly [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : 1);
}

/** A count for every class, zero included, keyed in severity order (the JSON output's order). */
function zeroCounts(): Record<FailureClass, number> {
  return Object.fromEntries(CLASS_ORDER.map((cls) => [cls, 0])) as Record<FailureClass, number>;
}

interface HintTally {
  readonly codes: Map<string, number>;
  readonly places: PlaceTally<FailureRecord>;
  count: number;
}

/** Bit of each class in a target's mask. */
const CLASS_BIT = Object.fromEntries(CLASS_ORDER.map((cls, index) => [cls, 1 << index])) as Record<
  FailureClass,
  number
>;

/**
 * Gathers {@link ReportTotals} one record (or unparseable event) at a time. Keys it keeps are
 * detached copies, so a record of a huge input can be dropped once added.
 */
class TotalsBuilder {
  /** How a key that outlives its record is stored (a copy when folding a huge input). */
  readonly #keep: (text: string) => string;

  constructor(keep: (text: string) => string = (text) => text) {
    this.#keep = keep;
  }

  #records = 0;
  #unparseable = 0;
  readonly #byClass = zeroCounts();
  readonly #byCode = new Map<string, number>();
  readonly #codeClasses = new Map<string, FailureClass>();
  readonly #byFileSystem = new Map<string, Record<FailureClass, number>>();
  readonly #accounts = new Map<string, string | undefined>();
  readonly #findings = new Map<FailureClass, Map<string, HintTally>>();
  /** Records per class. */
  readonly #classRecords = new Map<FailureClass, number>();
  /** File systems ('' for none) per class. */
  readonly #classFileSystems = new Map<FailureClass, Set<string>>();
  /**
   * Per file system ('' for none), per distinct target, the classes it failed with: one entry
   * per distinct file, however many classes, so a huge input costs one entry per file.
   */
  readonly #targets = new Map<string, Map<string, number>>();
  readonly #unparseableStreams = new Set<string>();
  readonly #unparseableFileSystems = new Set<string>();
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #untimed = 0;
  readonly #logGroups = new Set<string>();
  readonly #logStreams = new Set<string>();
  #onlyImport = true;

  #origin(event: { timestamp: number | undefined; logGroup: string; logStream: string }): void {
    const { timestamp } = event;
    if (timestamp === undefined || !isDateMillis(timestamp)) this.#untimed++;
    else {
      if (timestamp < this.#min) this.#min = timestamp;
      if (timestamp > this.#max) this.#max = timestamp;
    }
    if (!this.#logGroups.has(event.logGroup)) this.#logGroups.add(this.#keep(event.logGroup));
    if (!this.#logStreams.has(event.logStream)) this.#logStreams.add(this.#keep(event.logStream));
  }

  /** Adds one record. */
  addRecord(record: FailureRecord): void {
    this.#records++;
    const cls = record.class;
    this.#byClass[cls]++;
    if (cls !== 'import') this.#onlyImport = false;
    const code = record.code;
    const codeCount = this.#byCode.get(code);
    if (codeCount === undefined) {
      const kept = this.#keep(code);
      this.#byCode.set(kept, 1);
      this.#codeClasses.set(kept, cls);
    } else this.#byCode.set(code, codeCount + 1);

    const fileSystemId = record.fileSystemId;
    const groupId = fileSystemId ?? 'unknown';
    let perClass = this.#byFileSystem.get(groupId);
    if (perClass === undefined) {
      perClass = zeroCounts();
      this.#byFileSystem.set(this.#keep(groupId), perClass);
    }
    perClass[cls]++;
    if (fileSystemId !== undefined) {
      const account = knownAccount(record.owner);
      if (!this.#accounts.has(fileSystemId)) {
        this.#accounts.set(
          this.#keep(fileSystemId),
          account === undefined ? account : this.#keep(account),
        );
      } else if (this.#accounts.get(fileSystemId) !== account) {
        this.#accounts.set(fileSystemId, undefined);
      }
    }

    this.#classRecords.set(cls, (this.#classRecords.get(cls) ?? 0) + 1);
    const fileSystem = fileSystemId ?? '';
    let fileSystems = this.#classFileSystems.get(cls);
    if (fileSystems === undefined) {
      fileSystems = new Set();
      this.#classFileSystems.set(cls, fileSystems);
    }
    if (!fileSystems.has(fileSystem)) fileSystems.add(this.#keep(fileSystem));
    const target = targetOf(record);
    if (target !== undefined) {
      let targets = this.#targets.get(fileSystem);
      if (targets === undefined) {
        targets = new Map();
        this.#targets.set(this.#keep(fileSystem), targets);
      }
      const mask = targets.get(target);
      if (mask === undefined) targets.set(this.#keep(target), CLASS_BIT[cls]);
      else if ((mask & CLASS_BIT[cls]) === 0) targets.set(target, mask | CLASS_BIT[cls]);
    }
    if (PERSON_CLASSES.includes(cls)) this.#addFinding(record);
    this.#origin(record);
  }

  #addFinding(record: FailureRecord): void {
    let byHint = this.#findings.get(record.class);
    if (byHint === undefined) {
      byHint = new Map();
      this.#findings.set(record.class, byHint);
    }
    const hint = hintFor(record.code);
    let tally = byHint.get(hint);
    if (tally === undefined) {
      tally = { codes: new Map(), places: new PlaceTally(RECORD_PLACE), count: 0 };
      byHint.set(hint, tally);
    }
    tally.count++;
    const count = tally.codes.get(record.code);
    if (count === undefined) tally.codes.set(this.#keep(record.code), 1);
    else tally.codes.set(record.code, count + 1);
    tally.places.add(record);
  }

  /** Adds one unparseable event. */
  addUnparseable(event: UnparseableEvent): void {
    this.#unparseable++;
    if (!this.#unparseableStreams.has(event.logStream)) {
      this.#unparseableStreams.add(this.#keep(event.logStream));
      const id = fileSystemOfStream(event.logStream);
      if (id !== undefined) this.#unparseableFileSystems.add(id);
    }
    this.#origin(event);
  }

  /** The totals of everything added so far. */
  totals(): ReportTotals {
    const findings: PersonFinding[] = [];
    for (const cls of PERSON_CLASSES) {
      const byHint = this.#findings.get(cls);
      if (byHint === undefined) continue;
      let count = 0;
      const groups: HintGroup[] = [];
      for (const [hint, tally] of byHint) {
        count += tally.count;
        groups.push({
          hint,
          count: tally.count,
          codes: [...tally.codes].sort(byCountThenCode),
          places: tally.places.groups(),
        });
      }
      findings.push({ cls, count, groups: groups.sort((a, b) => b.count - a.count) });
    }
    const files = new Map<FailureClass, number>();
    for (const targets of this.#targets.values()) {
      for (const mask of targets.values()) {
        for (const cls of CLASS_ORDER) {
          if ((mask & CLASS_BIT[cls]) !== 0) files.set(cls, (files.get(cls) ?? 0) + 1);
        }
      }
    }
    const classTally: ClassTally[] = [];
    for (const cls of CLASS_ORDER) {
      const records = this.#classRecords.get(cls);
      if (records === undefined) continue;
      const fileSystems = this.#classFileSystems.get(cls) ?? new Set<string>();
      classTally.push({
        cls,
        records,
        files: files.get(cls) ?? 0,
        // Records without a file system id count no file system.
        fileSystems: fileSystems.size - (fileSystems.has('') ? 1 : 0),
      });
    }
    const known = isDateMillis(this.#min) && isDateMillis(this.#max);
    const fileSystemIds = [...this.#accounts.keys()].filter((id) => id !== '').sort();
    return {
      records: this.#records,
      unparseable: this.#unparseable,
      byClass: { ...this.#byClass },
      byCode: [...this.#byCode].sort(byCountThenCode),
      codeClasses: new Map(this.#codeClasses),
      byFileSystem: [...this.#byFileSystem.keys()]
        .sort()
        .map((id) => [id, { ...(this.#byFileSystem.get(id) ?? zeroCounts()) }] as const),
      accounts: new Map(this.#accounts),
      fileSystemIds,
      findings,
      classTally,
      unparseableFileSystems: this.#unparseableFileSystems.size,
      window: known ? { first: this.#min, last: this.#max } : undefined,
      untimed: this.#untimed,
      logGroups: [...this.#logGroups],
      logStreams: [...this.#logStreams],
      onlyImport: this.#records > 0 && this.#onlyImport,
    };
  }
}

// Per records array, then per unparseable array: reports share arrays (a digest filters its own).
const computed = new WeakMap<object, WeakMap<object, ReportTotals>>();
const NO_UNPARSEABLE: readonly UnparseableEvent[] = Object.freeze([]);

/** The totals of a record list and unparseable list, computed once per pair of arrays. */
function totalsFor(
  records: readonly FailureRecord[],
  unparseable: readonly UnparseableEvent[] = NO_UNPARSEABLE,
): ReportTotals {
  let byUnparseable = computed.get(records);
  if (byUnparseable === undefined) {
    byUnparseable = new WeakMap();
    computed.set(records, byUnparseable);
  }
  let totals = byUnparseable.get(unparseable);
  if (totals === undefined) {
    const builder = new TotalsBuilder();
    for (const record of records) builder.addRecord(record);
    for (const event of unparseable) builder.addUnparseable(event);
    // Frozen: one output must not change what the next one reads.
    totals = Object.freeze(builder.totals());
    byUnparseable.set(unparseable, totals);
  }
  return totals;
}

/** A report's totals: those of every event when it was folded, else of its records, once. */
function totalsOf(
  report: Pick<Report, 'records' | 'unparseable'> & { readonly folded?: Report['folded'] },
): ReportTotals {
  return report.folded?.totals ?? totalsFor(report.records, report.unparseable);
}

export { byCountThenCode, shownPath, shownTarget, TotalsBuilder, totalsFor, totalsOf };

import { CLASS_ORDER, PERSON_CLASSES } from '../common/classes.ts';
import { fileSystemIdFromStream } from '../common/fsx.ts';
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
import { isDateMillis } from '../render/insights.ts';
import { knownAccount, type PlaceOf, PlaceTally, UNKNOWN_FILE_SYSTEM } from '../render/places.ts';
import { hintFor } from './classify.ts';
import { normalisePath } from './plan.ts';
import { StringSet } from './string-tables.ts';

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

/**
 * Counts by class index (CLASS_ORDER), as the builder keeps them: an element of a typed array
 * costs less to count into, once per record, than a property named by the class.
 */
function newCounts(): Float64Array {
  return new Float64Array(CLASS_ORDER.length);
}

/** Counts by class index as the outputs read them: every class, zero included, in severity order. */
function countsByClass(counts: Float64Array): Record<FailureClass, number> {
  return Object.fromEntries(CLASS_ORDER.map((cls, index) => [cls, counts[index] ?? 0])) as Record<
    FailureClass,
    number
  >;
}

interface HintTally {
  readonly codes: Map<string, number>;
  readonly places: PlaceTally<FailureRecord>;
  count: number;
}

/** Per code: its record count and the class of its first record. */
interface CodeTally {
  count: number;
  readonly cls: FailureClass;
}

/** Per class: what the class table and the person findings read. */
interface ClassTallies {
  /** The class's position in CLASS_ORDER, and its bit in a file system's mask. */
  readonly index: number;
  readonly bit: number;
  /** Distinct file systems with a record of this class. */
  fileSystems: number;
  /** Distinct targets (per file system) with a record of this class. */
  files: number;
  /** Person classes: per remediation hint, then the same tally by code (one lookup a record). */
  readonly byHint: Map<string, HintTally> | undefined;
  readonly byCode: Map<string, HintTally> | undefined;
}

const S3 = 's3://';

/**
 * The distinct targets of one class on one file system: distinct as the strings `targetOf`
 * gives, counted without making `s3://bucket/key` for every record that names a bucket (joining
 * the strings, then hashing the join, cost about twice hashing the key alone). Each target of
 * the form `s3://<bucket>/<key>` with no `/` in the bucket is kept as its key in its bucket's set,
 * whichever fields spelt it (a path, an S3 key alone, or a bucket and a key); every other target
 * is kept whole. So one target string is kept in one place only, and the count is that of the
 * distinct strings.
 */
class Targets {
  readonly #keep: ((text: string) => string) | undefined;
  readonly #whole = new StringSet();
  readonly #byBucket = new Map<string, StringSet>();
  /** The last bucket and its keys: the records of a batch name one bucket or a few. */
  #lastBucket: string | undefined;
  #lastKeys: StringSet | undefined;

  /** `keep` as TotalsBuilder's: when set, a new key is kept as a copy. */
  constructor(keep: ((text: string) => string) | undefined) {
    this.#keep = keep;
  }

  /** Adds a record's target; whether it was new. False for a record with none. */
  add(record: FailureRecord): boolean {
    if (record.path !== undefined) return this.#addTarget(record.path);
    const key = record.s3Key;
    if (key === undefined) return false;
    const bucket = record.bucket;
    if (bucket === undefined) return this.#addTarget(key);
    if (bucket.includes('/')) return this.#addTarget(`${S3}${bucket}/${key}`);
    return this.#addKey(bucket, key);
  }

  /** A target as one string: split into bucket and key when it has that form. */
  #addTarget(target: string): boolean {
    if (target.startsWith(S3)) {
      const slash = target.indexOf('/', S3.length);
      if (slash >= 0) return this.#addKey(target.slice(S3.length, slash), target.slice(slash + 1));
    }
    return this.#addTo(this.#whole, target);
  }

  #addKey(bucket: string, key: string): boolean {
    let keys = this.#lastKeys;
    if (keys === undefined || bucket !== this.#lastBucket) {
      // The bucket may be cut from a path: when folding, even the last one is kept as a copy, so
      // it does not keep its input line alive. A batch switches bucket rarely.
      const kept = this.#keep === undefined ? bucket : this.#keep(bucket);
      keys = this.#byBucket.get(kept);
      if (keys === undefined) {
        keys = new StringSet();
        this.#byBucket.set(kept, keys);
      }
      this.#lastBucket = kept;
      this.#lastKeys = keys;
    }
    return this.#addTo(keys, key);
  }

  /** One look-up, not has-then-add, unless a new key is kept as a copy. */
  #addTo(set: StringSet, key: string): boolean {
    const keep = this.#keep;
    if (keep === undefined) return set.add(key);
    if (set.has(key)) return false;
    set.add(keep(key));
    return true;
  }
}

/**
 * What the builder keeps per file system ('' for records without one): the classes seen there,
 * and per class its distinct targets (by class index). Targets per class, not one map of class
 * masks: a record then costs one set look-up instead of a get and a set, and a file fails with
 * one class nearly always, so a huge input still costs about one entry per file.
 */
interface FileSystemTally {
  classes: number;
  readonly targets: (Targets | undefined)[];
}

/**
 * Gathers {@link ReportTotals} one record (or unparseable event) at a time. Keys it keeps are
 * detached copies, so a record of a huge input can be dropped once added.
 *
 * Per record it does as few map look-ups as it can: records of one batch share their file system,
 * owner, log group and stream, so those are looked up again only when they change from the last
 * record's; a record then costs a look-up by code and one by target.
 */
class TotalsBuilder {
  /** How a key that outlives its record is stored (a copy when folding a huge input). */
  readonly #keep: (text: string) => string;
  /** Whether keys are copies: a key is then copied only when it is new. */
  readonly #copies: boolean;

  constructor(keep?: (text: string) => string) {
    this.#keep = keep ?? ((text) => text);
    this.#copies = keep !== undefined;
  }

  #records = 0;
  #unparseable = 0;
  readonly #byClass = newCounts();
  /** In first-seen order, as the code table breaks ties. */
  readonly #byCode = new Map<string, CodeTally>();
  readonly #byFileSystem = new Map<string, Float64Array>();
  readonly #accounts = new Map<string, string | undefined>();
  readonly #classes = Object.fromEntries(
    CLASS_ORDER.map((cls, index) => {
      const person = PERSON_CLASSES.includes(cls);
      const tallies: ClassTallies = {
        index,
        bit: 1 << index,
        fileSystems: 0,
        files: 0,
        byHint: person ? new Map() : undefined,
        byCode: person ? new Map() : undefined,
      };
      return [cls, tallies];
    }),
  ) as Record<FailureClass, ClassTallies>;
  /** Keyed by file system, '' for none (not `unknown`, which an id could spell). */
  readonly #fileSystems = new Map<string, FileSystemTally>();
  readonly #unparseableStreams = new Set<string>();
  readonly #unparseableFileSystems = new Set<string>();
  /** Counted here, over every event: a folded report keeps only the first ones. */
  #unparseableWithoutFileSystem = false;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #untimed = 0;
  readonly #logGroups = new Set<string>();
  readonly #logStreams = new Set<string>();
  #onlyImport = true;
  /** The last record's file system, owner, group and stream, and what they looked up. */
  #last:
    | {
        readonly fileSystemId: string | undefined;
        readonly owner: string;
        readonly perClass: Float64Array;
        readonly place: FileSystemTally;
      }
    | undefined;
  #lastGroup: string | undefined;
  #lastStream: string | undefined;

  #origin(event: { timestamp: number | undefined; logGroup: string; logStream: string }): void {
    const { timestamp, logGroup, logStream } = event;
    if (timestamp === undefined || !isDateMillis(timestamp)) this.#untimed++;
    else {
      if (timestamp < this.#min) this.#min = timestamp;
      if (timestamp > this.#max) this.#max = timestamp;
    }
    if (logGroup !== this.#lastGroup) {
      this.#lastGroup = logGroup;
      if (!this.#logGroups.has(logGroup)) this.#logGroups.add(this.#keep(logGroup));
    }
    if (logStream !== this.#lastStream) {
      this.#lastStream = logStream;
      if (!this.#logStreams.has(logStream)) this.#logStreams.add(this.#keep(logStream));
    }
  }

  /** The tallies of a record's file system (and its account noted), looked up once per change. */
  #placeOf(record: FailureRecord) {
    const { fileSystemId, owner } = record;
    const last = this.#last;
    if (last !== undefined && last.fileSystemId === fileSystemId && last.owner === owner) {
      return last;
    }
    const groupId = fileSystemId ?? UNKNOWN_FILE_SYSTEM;
    let perClass = this.#byFileSystem.get(groupId);
    if (perClass === undefined) {
      perClass = newCounts();
      this.#byFileSystem.set(this.#keep(groupId), perClass);
    }
    const key = fileSystemId ?? '';
    let place = this.#fileSystems.get(key);
    if (place === undefined) {
      place = { classes: 0, targets: [] };
      this.#fileSystems.set(this.#keep(key), place);
    }
    // Noted per change only: noting the same file system and owner again changes nothing.
    if (fileSystemId !== undefined) {
      const account = knownAccount(owner);
      if (!this.#accounts.has(fileSystemId)) {
        this.#accounts.set(
          this.#keep(fileSystemId),
          account === undefined ? account : this.#keep(account),
        );
      } else if (this.#accounts.get(fileSystemId) !== account) {
        this.#accounts.set(fileSystemId, undefined);
      }
    }
    const found = { fileSystemId, owner, perClass, place };
    this.#last = found;
    return found;
  }

  /** Adds one record. */
  addRecord(record: FailureRecord): void {
    this.#records++;
    const cls = record.class;
    const tallies = this.#classes[cls];
    const { bit, index } = tallies;
    this.#byClass[index] = (this.#byClass[index] as number) + 1;
    if (cls !== 'import') this.#onlyImport = false;
    const code = record.code;
    const codeTally = this.#byCode.get(code);
    if (codeTally === undefined) this.#byCode.set(this.#keep(code), { count: 1, cls });
    else codeTally.count++;

    const { perClass, place } = this.#placeOf(record);
    perClass[index] = (perClass[index] as number) + 1;
    if ((place.classes & bit) === 0) {
      place.classes |= bit;
      // Records without a file system id count no file system.
      if (record.fileSystemId !== undefined && record.fileSystemId !== '') tallies.fileSystems++;
    }
    let targets = place.targets[index];
    if (targets === undefined) {
      targets = new Targets(this.#copies ? this.#keep : undefined);
      place.targets[index] = targets;
    }
    if (targets.add(record)) tallies.files++;
    if (tallies.byCode !== undefined) this.#addFinding(record, tallies);
    this.#origin(record);
  }

  #addFinding(record: FailureRecord, tallies: ClassTallies): void {
    const byCode = tallies.byCode as Map<string, HintTally>;
    let tally = byCode.get(record.code);
    if (tally === undefined) {
      const byHint = tallies.byHint as Map<string, HintTally>;
      const hint = hintFor(record.code);
      tally = byHint.get(hint);
      if (tally === undefined) {
        tally = { codes: new Map(), places: new PlaceTally(RECORD_PLACE), count: 0 };
        byHint.set(hint, tally);
      }
      byCode.set(this.#keep(record.code), tally);
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
      const id = fileSystemIdFromStream(event.logStream);
      if (id !== undefined) this.#unparseableFileSystems.add(id);
      else this.#unparseableWithoutFileSystem = true;
    }
    this.#origin(event);
  }

  /** The totals of everything added so far. */
  totals(): ReportTotals {
    const findings: PersonFinding[] = [];
    for (const cls of PERSON_CLASSES) {
      const byHint = this.#classes[cls].byHint;
      if (byHint === undefined || byHint.size === 0) continue;
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
    const classTally: ClassTally[] = [];
    // The classes of records that name no file system, kept under '' (see #fileSystems).
    const withoutFileSystem = this.#fileSystems.get('')?.classes ?? 0;
    for (const cls of CLASS_ORDER) {
      const records = this.#byClass[this.#classes[cls].index] ?? 0;
      if (records === 0) continue;
      const { files, fileSystems, bit } = this.#classes[cls];
      classTally.push({
        cls,
        records,
        files,
        fileSystems,
        withoutFileSystem: (withoutFileSystem & bit) !== 0,
      });
    }
    const byCode: [string, number][] = [];
    const codeClasses = new Map<string, FailureClass>();
    for (const [code, tally] of this.#byCode) {
      byCode.push([code, tally.count]);
      codeClasses.set(code, tally.cls);
    }
    const known = isDateMillis(this.#min) && isDateMillis(this.#max);
    const fileSystemIds = [...this.#accounts.keys()].filter((id) => id !== '').sort();
    return {
      records: this.#records,
      unparseable: this.#unparseable,
      byClass: countsByClass(this.#byClass),
      byCode: byCode.sort(byCountThenCode),
      codeClasses,
      byFileSystem: [...this.#byFileSystem.keys()]
        .sort()
        .map((id) => [id, countsByClass(this.#byFileSystem.get(id) ?? newCounts())] as const),
      accounts: new Map(this.#accounts),
      fileSystemIds,
      findings,
      classTally,
      unparseableFileSystems: this.#unparseableFileSystems.size,
      unparseableWithoutFileSystem: this.#unparseableWithoutFileSystem,
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

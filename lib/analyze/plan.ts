import { CLASS_ORDER, isRetryable } from '../common/classes.ts';
import { FORBIDDEN_PATH_CHARS, MAX_PATH_LENGTH } from '../common/fsx.ts';
import { detach } from '../common/records.ts';
import type {
  Association,
  ExportTask,
  FailureClass,
  FailureRecord,
  Plan,
  Unplanned,
} from '../common/types.ts';
import {
  associationRoot,
  clientRequestToken,
  isUnderRoot,
  pathsPerTask,
  reportPathFor,
} from '../reexport/rules.ts';
import { idInUnquotedPath, pathDoubt } from './parse.ts';
import { StringMap } from './string-tables.ts';

// Empty (`//`), `.` or `..` segments, or a trailing slash.
const ODD_SEGMENTS = /\/\/|(?:^|\/)\.\.?(?:\/|$)|\/$/;
// Either of the above: the usual path matches neither, found in one scan instead of two.
const FORBIDDEN_OR_ODD = new RegExp(`${FORBIDDEN_PATH_CHARS.source}|${ODD_SEGMENTS.source}`);

interface PlanOptions {
  readonly maxPathsPerTask: number;
  readonly busyDelaySeconds: number;
  /** Overrides the derived completion-report path for every file system. */
  readonly reportPath: string | undefined;
  /**
   * Associations per file system. A file system missing from the map has unknown associations
   * (the CLI's dry run): S3-key-only records then cannot be mapped and report paths stay unset.
   */
  readonly associations: ReadonlyMap<string, readonly Association[]>;
  /** File systems whose associations could not be read, with the reason. */
  readonly associationErrors: ReadonlyMap<string, string>;
  /**
   * File systems a dry run has no associations for although it was given some (`analyze
   * --associations FILE` leaves them out), with why: `fs-… is not in FILE`. Nothing failed: the
   * Lambda reads those associations from FSx, so their S3-key-only records await mapping.
   */
  readonly associationsLeftOut?: ReadonlyMap<string, string>;
  /**
   * Classes to re-export; default: the retryable ones (`transient`, `busy`). `reexport` sets the
   * classes a person fixed the cause of, e.g. `permission`.
   */
  readonly classes?: ReadonlySet<FailureClass> | undefined;
}

/** Whether the plan re-exports records of this class under these options. */
function isPlanned(cls: FailureClass, classes: ReadonlySet<FailureClass> | undefined): boolean {
  return classes === undefined ? isRetryable(cls) : classes.has(cls);
}

type PathResult = { readonly path: string } | { readonly reason: string };

/**
 * Normalises a path from a record to what CreateDataRepositoryTask expects for export: relative to
 * the file-system root, no leading slash, no empty or `.` segments. Rejects `..` (it would leave the
 * file system) and anything the API's path pattern forbids.
 *
 * @example normalisePath('/ns1//dir/./file.bin') // { path: 'ns1/dir/file.bin' }
 */
function normalisePath(raw: string): PathResult {
  const normal = normalised(raw);
  return typeof normal === 'string' ? { path: normal } : normal;
}

/**
 * {@link normalisePath}, with the path itself rather than an object holding it: the plan
 * normalises every planned record's path, and keeps only the strings.
 */
function normalised(raw: string): string | { readonly reason: string } {
  // Fast path for the usual "/ns1/dir/file": nothing forbidden, nothing to collapse, only the
  // leading slash to drop.
  if (raw.length <= MAX_PATH_LENGTH && !FORBIDDEN_OR_ODD.test(raw)) {
    const path = raw.charCodeAt(0) === 47 ? raw.slice(1) : raw;
    if (path.length > 0) return path;
  }
  if (FORBIDDEN_PATH_CHARS.test(raw)) {
    return { reason: 'path contains a line break or NUL, which FSx does not accept' };
  }
  const segments: string[] = [];
  for (const segment of raw.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..')
      return { reason: 'path contains "..", which leaves the file system root' };
    segments.push(segment);
  }
  const path = segments.join('/');
  if (path.length === 0) return { reason: 'path is the file system root; not re-exported whole' };
  if (path.length > MAX_PATH_LENGTH) {
    return { reason: `path is longer than ${MAX_PATH_LENGTH} characters, the FSx task limit` };
  }
  return path;
}

function withSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

function splitS3(uri: string): { bucket: string; prefix: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (match?.[1] === undefined) return undefined;
  const prefix = match[2] ?? '';
  return { bucket: match[1], prefix: prefix === '' ? '' : withSlash(prefix) };
}

/** Each association's bucket and prefix, split once (a plan maps thousands of keys). */
const repositories = new WeakMap<Association, { bucket: string; prefix: string } | undefined>();
function repositoryOf(association: Association): { bucket: string; prefix: string } | undefined {
  if (repositories.has(association)) return repositories.get(association);
  const repository = splitS3(association.dataRepositoryPath);
  repositories.set(association, repository);
  return repository;
}

/**
 * Maps an S3 key to its file-system path through the associations: the association whose bucket
 * matches and whose prefix is the longest prefix of the key (associations cannot overlap, so at
 * most one really matches). Returns undefined when no association covers the key.
 *
 * @example keyToPath('pre/a/b.txt', 'bkt', [{ fileSystemPath: '/ns1', dataRepositoryPath: 's3://bkt/pre/' }]) // '/ns1/a/b.txt'
 */
function keyToPath(
  key: string,
  bucket: string | undefined,
  associations: readonly Association[],
): string | undefined {
  let bestMatch: { prefix: string; fsPath: string } | undefined;
  for (const association of associations) {
    const repository = repositoryOf(association);
    if (repository === undefined) continue;
    if (bucket !== undefined && repository.bucket !== bucket) continue;
    if (!key.startsWith(repository.prefix)) continue;
    if (bestMatch === undefined || repository.prefix.length > bestMatch.prefix.length) {
      bestMatch = { prefix: repository.prefix, fsPath: association.fileSystemPath };
    }
  }
  if (bestMatch === undefined) return undefined;
  return withSlash(bestMatch.fsPath) + key.slice(bestMatch.prefix.length);
}

const CLASS_BIT = Object.fromEntries(CLASS_ORDER.map((cls, index) => [cls, 1 << index])) as Record<
  FailureClass,
  number
>;

interface Candidate {
  readonly path: string;
  delaySeconds: number;
  /**
   * Its event ids kept: the first on its own, the others (a path failing more than once) in a
   * list made only then, so a path costs no array.
   */
  firstEventId: string | undefined;
  moreEventIds: string[] | undefined;
  /** The first event id's position among the ids the planner kept (see Planner's #ascending). */
  firstSeq: number;
  /** Bit `CLASS_BIT[cls]` per class seen: a number, not a Set, per distinct path. */
  classes: number;
}

const AWAITS_MAPPING =
  'only an S3 key is known: the Lambda maps it to a path with the data repository associations, which a dry run does not read';

/** AWAITS_MAPPING for a file system the dry run's associations leave out; `note` says which. */
function awaitsMappingLeftOut(note: string): string {
  return `only an S3 key is known: the Lambda maps it to a path with the data repository associations it reads from FSx, and ${note}`;
}

const OUTSIDE_ASSOCIATIONS =
  'the path is under no data repository association of the file system: there is no S3 path to export it to';

/** Each association's root (see associationRoot), made once per list, not once per record. */
const roots = new WeakMap<readonly Association[], readonly string[]>();
function rootsOf(associations: readonly Association[]): readonly string[] {
  let found = roots.get(associations);
  if (found === undefined) {
    found = associations.map((association) => associationRoot(association.fileSystemPath));
    roots.set(associations, found);
  }
  return found;
}

/**
 * A record's path to re-export (normalised), why there is none, or that it names only an S3 key
 * and there are no associations to map it with (a dry run that did not read them).
 */
type Resolved = string | { readonly reason: string } | { readonly awaitsMapping: true };

function resolvePath(record: FailureRecord, fileSystemId: string, options: PlanOptions): Resolved {
  const associations = options.associations.get(fileSystemId);
  if (record.path !== undefined) {
    const normal = normalised(record.path);
    // Checked only where associations were read; a file system with none is linked the legacy
    // way (or REPORT_PATH decides), and FSx is the judge there.
    if (typeof normal === 'string' && associations !== undefined && associations.length > 0) {
      if (!rootsOf(associations).some((root) => isUnderRoot(normal, root))) {
        return { reason: OUTSIDE_ASSOCIATIONS };
      }
    }
    return normal;
  }
  if (record.s3Key === undefined) return { reason: 'the record names no file path or S3 key' };
  if (associations === undefined) {
    const error = options.associationErrors.get(fileSystemId);
    if (error === undefined) return { awaitsMapping: true };
    return {
      reason: `only an S3 key is known and the data repository associations could not be read: ${error}`,
    };
  }
  const path = keyToPath(record.s3Key, record.bucket, associations);
  if (path === undefined) {
    return { reason: 'the S3 key is under no data repository association of the file system' };
  }
  return normalised(path);
}

/** Why a record's own text cannot be trusted to choose a re-export; undefined when it can. */
function untrusted(record: FailureRecord): string | undefined {
  if (record.namedFileSystemId !== undefined) {
    return `the record names ${record.namedFileSystemId} but was logged for ${record.fileSystemId}: not re-exported, check it by hand`;
  }
  if (record.pathUncertain === true) {
    const id = record.path === undefined ? undefined : idInUnquotedPath(record.path);
    if (id !== undefined) {
      return `the path was read from unquoted text and may run on into the file-system id ${id}: not re-exported, check it by hand`;
    }
    if (pathDoubt(record) === 'message') {
      return 'the path was read from unquoted text and may run on into the message: not re-exported, check it by hand';
    }
    return 'the path was read from unquoted text and may be cut short: not re-exported, check it by hand';
  }
  return undefined;
}

function targetOf(record: FailureRecord): string | undefined {
  if (record.path !== undefined) return record.path;
  if (record.s3Key === undefined) return undefined;
  return record.bucket === undefined ? record.s3Key : `s3://${record.bucket}/${record.s3Key}`;
}

function unplannedOf(record: FailureRecord, reason: string): Unplanned {
  return {
    fileSystemId: record.fileSystemId,
    eventId: record.eventId,
    class: record.class,
    target: targetOf(record),
    reason,
  };
}

/** An item whose strings keep no input line alive (a plan with limits lists only the first). */
function detachedItem(item: Unplanned): Unplanned {
  return {
    fileSystemId: item.fileSystemId === undefined ? undefined : detach(item.fileSystemId),
    eventId: detach(item.eventId),
    class: item.class,
    target: item.target === undefined ? undefined : detach(item.target),
    reason: detach(item.reason),
  };
}

/**
 * The strings sorted, each once. Sorting first and dropping repeats next to each other: event ids
 * are fresh strings, and hashing each into a Set costs more than the sort they get anyway.
 */
function sortedUnique(strings: string[]): string[] {
  strings.sort();
  let kept = 0;
  for (let index = 0; index < strings.length; index++) {
    const text = strings[index] as string;
    if (kept === 0 || text !== strings[kept - 1]) strings[kept++] = text;
  }
  strings.length = kept;
  return strings;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}

/**
 * The event ids of a task's candidates, sorted and each once. When the planner saw its ids in
 * strictly ascending order (usual: CloudWatch Logs ids grow with time), their order is the order
 * they came in, so a part whose candidates hold one id each is sorted by that position, a
 * numeric sort, instead of comparing ids that share most of their digits.
 */
function eventIdsOf(part: readonly Candidate[], ascending: boolean): string[] {
  const ids: string[] = [];
  let single = ascending;
  for (const candidate of part) {
    if (candidate.firstEventId !== undefined) ids.push(candidate.firstEventId);
    else single = false;
    if (candidate.moreEventIds !== undefined) {
      single = false;
      for (const id of candidate.moreEventIds) ids.push(id);
    }
  }
  if (!single) return sortedUnique(ids);
  // Each position times the part's size plus the candidate's index: one native numeric sort.
  const span = part.length;
  const order = new Float64Array(span);
  for (let index = 0; index < span; index++) {
    order[index] = (part[index] as Candidate).firstSeq * span + index;
  }
  order.sort();
  for (let index = 0; index < span; index++) {
    const candidate = part[(order[index] as number) % span] as Candidate;
    ids[index] = candidate.firstEventId as string;
  }
  return ids;
}

/**
 * One file system's tasks: its paths grouped by delay (shortest first), each group in path order
 * and split into tasks of at most `maxPaths` paths, each with its token and report path.
 */
function tasksOf(
  fileSystemId: string,
  bySortKey: StringMap<Candidate>,
  maxPaths: number,
  options: PlanOptions,
  ascending: boolean,
): ExportTask[] {
  const tasks: ExportTask[] = [];
  // One pass over the sorted paths groups them by delay, each group staying in path order.
  // Sorting the keys themselves (code-unit order) is much cheaper than a comparator; each key
  // sorts exactly as its path does (see Planner's #sortKey).
  const byDelay = new Map<number, Candidate[]>();
  // Most paths share one delay: the group is looked up only when it changes.
  let lastDelay: number | undefined;
  let lastGroup: Candidate[] = [];
  for (const sortKey of bySortKey.keys().sort()) {
    const candidate = bySortKey.get(sortKey);
    if (candidate === undefined) continue;
    if (candidate.delaySeconds !== lastDelay) {
      lastDelay = candidate.delaySeconds;
      const group = byDelay.get(lastDelay);
      if (group === undefined) {
        lastGroup = [];
        byDelay.set(lastDelay, lastGroup);
      } else lastGroup = group;
    }
    lastGroup.push(candidate);
  }
  for (const delaySeconds of [...byDelay.keys()].sort((a, b) => a - b)) {
    const group = byDelay.get(delaySeconds) ?? [];
    for (const part of chunk(group, maxPaths)) {
      const paths = part.map((candidate) => candidate.path);
      let mask = 0;
      for (const candidate of part) mask |= candidate.classes;
      const eventIds = eventIdsOf(part, ascending);
      const classes = CLASS_ORDER.filter((cls) => (mask & CLASS_BIT[cls]) !== 0).sort();
      const associations = options.associations.get(fileSystemId);
      tasks.push({
        fileSystemId,
        paths,
        eventIds,
        classes,
        delaySeconds,
        clientRequestToken: clientRequestToken(fileSystemId, paths, eventIds),
        reportPath:
          options.reportPath ??
          (associations === undefined ? undefined : reportPathFor(paths, associations)),
      });
    }
  }
  return tasks;
}

/** Limits for a plan over more records than memory holds (`analyze` on a huge input). */
interface PlannerLimits {
  /** Event ids kept in tasks in all; past it ids are only counted (and left out of tokens). */
  readonly maxEventIds: number;
  /** Unplanned and awaiting-mapping items listed; past it they are only counted. */
  readonly maxListed: number;
  /** Called with every unplanned item and its record, listed or not. */
  readonly onUnplanned?: (item: Unplanned, record: FailureRecord) => void;
}

/**
 * Plans re-exports one record at a time (see {@link planReexports}); with limits, what it keeps
 * grows with the distinct paths, not with the records.
 */
class Planner {
  readonly #options: PlanOptions;
  readonly #limits: PlannerLimits | undefined;
  /** Per file system, its candidates by sort key (see #sortKey): one key per distinct path. */
  readonly #byFileSystem = new Map<string, StringMap<Candidate>>();
  readonly #unplanned: Unplanned[] = [];
  readonly #awaitingMapping: Unplanned[] = [];
  /** The associationsLeftOut notes of the file systems with a record awaiting mapping. */
  readonly #mappingNotes = new Set<string>();
  #unplannedCount = 0;
  #awaitingCount = 0;
  #eventIds = 0;
  #eventIdsOmitted = 0;
  /**
   * Whether every id kept so far came after the one before it (see eventIdsOf), and the last.
   * Not tracked with limits, where ids may be left out.
   */
  #ascending: boolean;
  #lastEventId: string | undefined;

  constructor(options: PlanOptions, limits?: PlannerLimits) {
    this.#options = options;
    this.#limits = limits;
    this.#ascending = limits === undefined;
  }

  #unplan(record: FailureRecord, reason: string): void {
    const item = unplannedOf(record, reason);
    this.#unplannedCount++;
    if (this.#limits === undefined) {
      this.#unplanned.push(item);
      return;
    }
    if (this.#unplanned.length < this.#limits.maxListed) this.#unplanned.push(detachedItem(item));
    this.#limits.onUnplanned?.(item, record);
  }

  /** Adds one record: planned, unplanned with its reason, awaiting mapping, or not for this plan. */
  add(record: FailureRecord): void {
    const options = this.#options;
    if (!isPlanned(record.class, options.classes)) return;
    if (record.fileSystemId === undefined) {
      this.#unplan(record, 'no file-system id in the record or the log stream name');
      return;
    }
    const distrust = untrusted(record);
    if (distrust !== undefined) {
      this.#unplan(record, distrust);
      return;
    }
    const resolved = resolvePath(record, record.fileSystemId, options);
    if (typeof resolved === 'object' && 'awaitsMapping' in resolved) {
      this.#awaitingCount++;
      const note = options.associationsLeftOut?.get(record.fileSystemId);
      if (note !== undefined) this.#mappingNotes.add(note);
      if (this.#limits === undefined || this.#awaitingMapping.length < this.#limits.maxListed) {
        const item = unplannedOf(
          record,
          note === undefined ? AWAITS_MAPPING : awaitsMappingLeftOut(note),
        );
        this.#awaitingMapping.push(this.#limits === undefined ? item : detachedItem(item));
      }
      return;
    }
    if (typeof resolved === 'object') {
      this.#unplan(record, resolved.reason);
      return;
    }
    const delaySeconds = record.class === 'busy' ? options.busyDelaySeconds : 0;
    let paths = this.#byFileSystem.get(record.fileSystemId);
    if (paths === undefined) {
      paths = new StringMap<Candidate>();
      this.#byFileSystem.set(this.#keep(record.fileSystemId), paths);
    }
    const sortKey = this.#sortKey(record.path, resolved);
    const existing = paths.get(sortKey);
    if (existing === undefined) {
      const path = this.#keep(resolved);
      const candidate: Candidate = {
        path,
        delaySeconds,
        firstEventId: undefined,
        moreEventIds: undefined,
        firstSeq: 0,
        classes: CLASS_BIT[record.class],
      };
      paths.add(this.#limits === undefined ? sortKey : path, candidate);
      this.#addEventId(candidate, record.eventId);
    } else {
      this.#addEventId(existing, record.eventId);
      existing.classes |= CLASS_BIT[record.class];
      // A path that is both busy and failed internally waits for its writer: exporting it
      // earlier would most likely fail busy again.
      existing.delaySeconds = Math.max(existing.delaySeconds, delaySeconds);
    }
  }

  /**
   * The key a path is kept and sorted by: `/` + path, which sorts exactly as the path does and
   * is one-to-one with it. It is the record's own string where that already has this form
   * (usual): the normalised path is made with `slice(1)`, and V8 keeps such sliced strings,
   * which compare ~3x slower in a sort. With limits the kept path is a flat copy already and is
   * its own key. One planner makes every key in one form, so the order is the paths' order.
   *
   * `path` is `raw` normalised (when `raw` is set), and normalising only drops characters: the
   * leading slash, and at least one more for each empty, `.` or trailing segment it collapses. So
   * a `raw` that starts with `/` and is one character longer is `/` + `path`, with no comparison
   * of the two (the property test in plan.test.ts holds the order and dedup to this).
   */
  #sortKey(raw: string | undefined, path: string): string {
    if (this.#limits !== undefined) return path;
    if (raw !== undefined && raw.length === path.length + 1 && raw.charCodeAt(0) === 47) return raw;
    return `/${path}`;
  }

  /** With limits, a kept string is a copy, so it does not keep its input line alive. */
  #keep(text: string): string {
    return this.#limits === undefined ? text : detach(text);
  }

  #addEventId(candidate: Candidate, eventId: string): void {
    if (this.#limits !== undefined && this.#eventIds >= this.#limits.maxEventIds) {
      this.#eventIdsOmitted++;
      return;
    }
    this.#eventIds++;
    const id = this.#limits === undefined ? eventId : detach(eventId);
    if (this.#ascending) {
      // One comparison per id here instead of a sort's several per id later.
      if (this.#lastEventId !== undefined && !(this.#lastEventId < id)) this.#ascending = false;
      this.#lastEventId = id;
    }
    if (candidate.firstEventId === undefined) {
      candidate.firstEventId = id;
      candidate.firstSeq = this.#eventIds;
    } else if (candidate.moreEventIds === undefined) candidate.moreEventIds = [id];
    else candidate.moreEventIds.push(id);
  }

  /** The plan of every record added. */
  plan(): Plan {
    const maxPaths = pathsPerTask(this.#options.maxPathsPerTask);
    const tasks: ExportTask[] = [];
    for (const fileSystemId of [...this.#byFileSystem.keys()].sort()) {
      const byPath = this.#byFileSystem.get(fileSystemId) ?? new StringMap<Candidate>();
      for (const task of tasksOf(fileSystemId, byPath, maxPaths, this.#options, this.#ascending)) {
        tasks.push(task);
      }
    }
    const plan = { tasks, unplanned: this.#unplanned, awaitingMapping: this.#awaitingMapping };
    if (this.#mappingNotes.size === 0) return plan;
    return { ...plan, awaitingMappingNotes: [...this.#mappingNotes].sort() };
  }

  /** What a plan with limits counted but did not list. */
  counts(): { unplanned: number; awaitingMapping: number; eventIdsOmitted: number } {
    return {
      unplanned: this.#unplannedCount,
      awaitingMapping: this.#awaitingCount,
      eventIdsOmitted: this.#eventIdsOmitted,
    };
  }
}

/**
 * Plans the re-exports for a set of records: retryable records (`transient`, `busy`), or those
 * of `options.classes`, with a known path become EXPORT_TO_REPOSITORY tasks, deduplicated per file
 * system and path, grouped by delay, and split into tasks of at most `maxPathsPerTask` paths (FSx
 * allows 100). Everything planned-for that cannot be planned is returned with its reason, so
 * nothing is dropped silently.
 */
function planReexports(records: readonly FailureRecord[], options: PlanOptions): Plan {
  const planner = new Planner(options);
  for (const record of records) planner.add(record);
  return planner.plan();
}

/**
 * File systems whose associations the plan needs: those with a retryable record that names only
 * an S3 key, and, unless a report path override is set, every file system that gets a task.
 * `classes` as in PlanOptions.
 */
function associationsNeeded(
  records: readonly FailureRecord[],
  reportPathOverride: string | undefined,
  classes?: ReadonlySet<FailureClass>,
): string[] {
  const needed = new Set<string>();
  for (const record of records) {
    if (!isPlanned(record.class, classes) || record.fileSystemId === undefined) continue;
    if (reportPathOverride === undefined || record.path === undefined) {
      needed.add(record.fileSystemId);
    }
  }
  return [...needed].sort();
}

export type { PlannerLimits, PlanOptions };
export { associationsNeeded, isPlanned, keyToPath, normalisePath, Planner, planReexports };

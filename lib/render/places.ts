import { fileSystemIdFromStream } from '../common/fsx.ts';
import { detach } from '../common/records.ts';
import { fitCell, plural } from './layout.ts';

/*
 * Where an item that needs a person is: its file system and, when the input named it, the account
 * (the log batch's owner). Every email and report names both the same way, so a person reading
 * any of them knows which file system to act on (docs/operate.md#the-summary).
 */

/** Distinct samples kept per place; the count says how many items there are in all. */
const MAX_PLACE_SAMPLES = 5;
/** Places listed per group; the rest are counted in one line. */
const MAX_PLACES = 10;
/**
 * What every output calls the file system of an item that names none: the lists of places, the
 * class table's File systems column and the per-file-system counts (ReportTotals.byFileSystem).
 */
const UNKNOWN_FILE_SYSTEM = 'unknown';
/** Owner the CLI gives an input that names none (lib/input/read.ts): not an account. */
const UNKNOWN_OWNER = 'unknown';

/** An item's file system (undefined: not known) and account (undefined: not known). */
interface Place {
  readonly fileSystemId: string | undefined;
  readonly account: string | undefined;
}

/** The items of one place: how many, and a few distinct samples (untrusted), first seen first. */
interface PlaceGroup extends Place {
  readonly count: number;
  readonly samples: readonly string[];
}

/** The account a batch owner names, or undefined for an input that named none. */
function knownAccount(owner: string | undefined): string | undefined {
  if (owner === undefined) return undefined;
  const trimmed = owner.trim();
  return trimmed === '' || trimmed === UNKNOWN_OWNER ? undefined : owner;
}

/** The place of an event known only by its log stream (`datarepo_<fs-id>`) and owner. */
function streamPlace(logStream: string, owner: string): Place {
  return { fileSystemId: fileSystemIdFromStream(logStream), account: knownAccount(owner) };
}

/**
 * A place as every output writes it after "file system": `fs-0123…, account 123456789012`,
 * `fs-0123…`, or `unknown`. Sanitised.
 *
 * @example placeText({ fileSystemId: undefined, account: '123456789012' }) // 'unknown, account 123456789012'
 */
function placeText(place: Place): string {
  // fitCell: at most 64 and 32 columns once escaped, so the line holding them stays short.
  const id =
    place.fileSystemId === undefined ? UNKNOWN_FILE_SYSTEM : fitCell(place.fileSystemId, 64);
  return place.account === undefined ? id : `${id}, account ${fitCell(place.account, 32)}`;
}

/** ` (account 123456789012)` after a line that already names the file system; '' when unknown. */
function accountNote(account: string | undefined): string {
  return account === undefined ? '' : ` (account ${fitCell(account, 32)})`;
}

/** How `groupByPlace` reads an item: its file system, its account, and what to show of it. */
interface PlaceOf<T> {
  readonly fileSystemId: (item: T) => string | undefined;
  readonly account: (item: T) => string | undefined;
  /** Asked only while the item's place still has room for a sample. */
  readonly sample: (item: T) => string | undefined;
}

/**
 * Groups items by place as they come, so a caller that cannot hold every item (a huge `analyze`
 * input) gets the same groups as {@link groupByPlace} over all of them.
 */
type Tally = {
  fileSystemId: string | undefined;
  account: string | undefined;
  count: number;
  samples: string[];
};

class PlaceTally<T> {
  readonly #of: PlaceOf<T>;
  // Keyed by file system, then account: exact whatever characters untrusted ids hold.
  readonly #byPlace = new Map<string | undefined, Map<string | undefined, Tally>>();
  readonly #groups: Tally[] = [];
  /** The last item's group: items come in runs of one place, so most need no look-up. */
  #last: Tally | undefined;

  constructor(of: PlaceOf<T>) {
    this.#of = of;
  }

  add(item: T): void {
    const fileSystemId = this.#of.fileSystemId(item);
    const account = this.#of.account(item);
    let group = this.#last;
    if (group === undefined || group.fileSystemId !== fileSystemId || group.account !== account) {
      group = this.#groupOf(fileSystemId, account);
      this.#last = group;
    }
    group.count++;
    // Thousands of records share a few places: only the first few are looked at closely.
    if (group.samples.length >= MAX_PLACE_SAMPLES) return;
    const sample = this.#of.sample(item);
    // A copy: a sample cut out of a long input line must not keep that line alive.
    if (sample !== undefined && !group.samples.includes(sample)) group.samples.push(detach(sample));
  }

  #groupOf(fileSystemId: string | undefined, account: string | undefined): Tally {
    let byAccount = this.#byPlace.get(fileSystemId);
    if (byAccount === undefined) {
      byAccount = new Map();
      this.#byPlace.set(fileSystemId, byAccount);
    }
    let group = byAccount.get(account);
    if (group === undefined) {
      group = { fileSystemId, account, count: 0, samples: [] };
      byAccount.set(account, group);
      this.#groups.push(group);
    }
    return group;
  }

  /** The groups so far: most items first (ties in first-seen order). */
  groups(): PlaceGroup[] {
    return this.#groups
      .map((group) => ({ ...group, samples: [...group.samples] }))
      .sort((a, b) => b.count - a.count);
  }
}

/**
 * Groups items by place: most items first (ties in first-seen order), each place with up to
 * five distinct samples. A sample left undefined counts but shows nothing.
 */
function groupByPlace<T>(items: Iterable<T>, of: PlaceOf<T>): PlaceGroup[] {
  const tally = new PlaceTally(of);
  for (const item of items) tally.add(item);
  return tally.groups();
}

interface PlaceLinesOptions {
  /** Indent of a place's line; its samples are indented two more. */
  readonly indent: string;
  /** What is counted: "record", "failure". */
  readonly noun: string;
  /** Longest sample shown. */
  readonly sampleChars: number;
}

/**
 * The lines that name each place of a group, with its count and samples:
 * `File system fs-0123…, account 123456789012: 2 records`, then one sample per line.
 */
function placeLines(groups: readonly PlaceGroup[], options: PlaceLinesOptions): string[] {
  const { indent, noun, sampleChars } = options;
  const lines: string[] = [];
  for (const group of groups.slice(0, MAX_PLACES)) {
    lines.push(`${indent}File system ${placeText(group)}: ${plural(group.count, noun)}`);
    for (const sample of group.samples) lines.push(`${indent}  ${fitCell(sample, sampleChars)}`);
    // Only the first few distinct samples are kept: past them, more may be unseen. How many is
    // not known (several items may share one path), so say only that the list stops here.
    if (group.samples.length >= MAX_PLACE_SAMPLES && group.count > group.samples.length) {
      lines.push(`${indent}  (the first ${group.samples.length} shown)`);
    }
  }
  if (groups.length > MAX_PLACES) {
    const rest = groups.slice(MAX_PLACES).reduce((sum, group) => sum + group.count, 0);
    lines.push(
      `${indent}and ${plural(groups.length - MAX_PLACES, 'more file system')} (${plural(rest, noun)})`,
    );
  }
  return lines;
}

export type { Place, PlaceGroup, PlaceLinesOptions, PlaceOf };
export {
  accountNote,
  groupByPlace,
  knownAccount,
  MAX_PLACE_SAMPLES,
  MAX_PLACES,
  PlaceTally,
  placeLines,
  placeText,
  streamPlace,
  UNKNOWN_FILE_SYSTEM,
};

/*
 * A Map and a Set keyed by strings that stay fast past 4,096 entries. The plan keeps one entry
 * per distinct path of a file system, and the totals one per distinct target of a class; a batch
 * of 10,000 busy files on one file system gives 10,000 of each. V8 keeps a Map or Set in one
 * table that doubles as it fills, and past 4,096 entries each insert costs several times more
 * (Node 24, 10,000 fresh path strings: ~370 ns a key in one Map, ~95 when no table passes 4,096;
 * measured for issue 13). So the first table here takes the first 4,096 keys, in the order they
 * came, as one Map would, and the keys after them go to eight more tables, chosen by a cheap mix
 * of the key's last characters (one of those passes 4,096 only past about 36,000 keys in all).
 * Below 4,096 keys nothing changes.
 *
 * An open-addressing table of our own (keys hashed in JavaScript into an Int32Array) was measured
 * and dropped: alone it was faster, but V8 keeps a string's hash in the string once computed, and
 * the pipeline looks each path up several times (totals, plan, the plan's sort), so a hash in
 * JavaScript is paid at each look-up and the pipeline got no faster (docs/design.md, What 1.3x
 * of the floor would take).
 */

/** Keys per table: V8's own table doubles past this and gets slower per insert. */
const TABLE_KEYS = 4_096;
/** Tables for the keys past the first TABLE_KEYS: 36,864 keys before any table is that full. */
const SHARDS = 8;
/** Characters of the key's end that choose its table: where paths of one batch differ most. */
const TAIL = 8;

/**
 * The overflow table a key goes to: its length and last characters mixed. Paths of one batch
 * share their start and differ near the end (a file name's number or name); a poor spread only
 * makes the tables uneven, never puts one key in two.
 */
function shardOf(key: string): number {
  const length = key.length;
  let hash = length;
  const stop = length > TAIL ? length - TAIL : 0;
  for (let index = length - 1; index >= stop; index--) {
    hash = (Math.imul(hash, 31) + key.charCodeAt(index)) | 0;
  }
  return (hash ^ (hash >>> 7)) & (SHARDS - 1);
}

function tables<T>(make: () => T): T[] {
  return Array.from({ length: SHARDS }, make);
}

/**
 * A `Map<string, V>` that stays fast past 4,096 keys: get, add a new key, and the keys. Values
 * are objects, so a missing key is `undefined`.
 */
class StringMap<V extends object> {
  readonly #first = new Map<string, V>();
  #overflow: Map<string, V>[] | undefined;

  /** The value of `key`, or undefined. */
  get(key: string): V | undefined {
    const value = this.#first.get(key);
    if (value !== undefined || this.#overflow === undefined) return value;
    return this.#overflow[shardOf(key)]?.get(key);
  }

  /** Adds a key that is not in the map (`get` returned undefined) with its value. */
  add(key: string, value: V): void {
    if (this.#overflow === undefined) {
      if (this.#first.size < TABLE_KEYS) {
        this.#first.set(key, value);
        return;
      }
      this.#overflow = tables(() => new Map<string, V>());
    }
    this.#overflow[shardOf(key)]?.set(key, value);
  }

  /** Every key: the first 4,096 in the order they were added, then the rest in no set order. */
  keys(): string[] {
    const keys = [...this.#first.keys()];
    for (const table of this.#overflow ?? []) for (const key of table.keys()) keys.push(key);
    return keys;
  }
}

/** A `Set<string>` that stays fast past 4,096 keys, for counting distinct keys. */
class StringSet {
  readonly #first = new Set<string>();
  #overflow: Set<string>[] | undefined;

  /** Whether `key` was added. */
  has(key: string): boolean {
    if (this.#first.has(key)) return true;
    return this.#overflow?.[shardOf(key)]?.has(key) === true;
  }

  /** Adds `key`; whether it was new. One look-up while the set is small, not has-then-add. */
  add(key: string): boolean {
    const first = this.#first;
    if (this.#overflow === undefined && first.size < TABLE_KEYS) {
      const before = first.size;
      first.add(key);
      return first.size !== before;
    }
    if (first.has(key)) return false;
    this.#overflow ??= tables(() => new Set<string>());
    const table = this.#overflow[shardOf(key)] as Set<string>;
    const before = table.size;
    table.add(key);
    return table.size !== before;
  }
}

export { StringMap, StringSet, shardOf };

/*
 * A Map and a Set keyed by strings, for the hot path: the plan keeps one entry per distinct path
 * of a file system, and the totals one per distinct target of a class; a batch of 10,000 busy
 * files on one file system gives 10,000 of each. V8's own Map and Set get several times slower
 * per insert past 4,096 entries (Node 24, 10,000 fresh path strings: ~370 ns a key in one Map,
 * ~95 when no table passes 4,096; measured for issue 13), and even below that a fresh string
 * costs more in them than in a table of our own: counting 10,000 distinct paths from JSON.parse
 * took ~2.9 ms with a Set and ~0.55 ms with an open-addressing table (Node 24 and 20 alike).
 *
 * So the keys live here in an array in the order they came, and an Int32Array of slots holds,
 * per slot, the key's index + 1 (0: empty) and its hash: linear probing, at most half the slots
 * used, and a growth rehashes from the stored hashes without reading a string. Keys come from
 * log text, so someone could craft paths whose hashes collide: the hash is seeded per process,
 * and a look-up that probes more than PROBE_LIMIT slots moves the table into a plain Map for
 * good (correct, only slower), so crafted keys cost at worst what a Map costs, never quadratic.
 */

/** Probes past which a table gives up on its own hashing and uses a Map from then on. */
const PROBE_LIMIT = 64;
/** Slots of a new table: many tables stay small (one per class or bucket of a file system). */
const FIRST_SLOTS = 16;

/** A per-process seed, so nobody can compute offline which keys collide here. */
const SEED = crypto.getRandomValues(new Int32Array(1))[0] ?? 0;

/** A string's hash: FNV-1a over its UTF-16 code units from a seed, then mixed. */
type Hash = (key: string) => number;

/**
 * FNV-1a over UTF-16 code units from the process seed. A multiply only carries bits upward, so
 * the low bits (those a slot uses) are then mixed with the high ones.
 */
function seededHash(key: string): number {
  let hash = SEED ^ 0x811c9dc5;
  const last = key.length - 1;
  let index = 0;
  for (; index < last; index += 2) {
    hash = Math.imul(
      hash ^ (key.charCodeAt(index) | (key.charCodeAt(index + 1) << 16)),
      0x01000193,
    );
  }
  if (index === last) hash = Math.imul(hash ^ key.charCodeAt(index), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  return hash ^ (hash >>> 13);
}

/** Internal knobs, for the tests only: a forced hash and a small probe limit. */
interface TableOptions {
  readonly hash?: Hash;
  readonly probeLimit?: number;
}

/**
 * The common core: keys in insertion order, found by index. `find` and `insert` give the index
 * of a key; the Map and the Set keep their values (or nothing) by that index.
 */
class KeyIndex {
  readonly keys: string[] = [];
  readonly #hash: Hash;
  readonly #probeLimit: number;
  /** Two Int32s a slot: the key's index + 1 (0 when empty), then its hash. */
  #slots = new Int32Array(FIRST_SLOTS * 2);
  #mask = FIRST_SLOTS - 1;
  /** Set once a look-up probed too long: from then on keys are found here. */
  #fallback: Map<string, number> | undefined;
  /** The last key `find` missed and its hash: the plan adds right after a miss. */
  #missed: string | undefined;
  #missedHash = 0;

  constructor({ hash = seededHash, probeLimit = PROBE_LIMIT }: TableOptions) {
    this.#hash = hash;
    this.#probeLimit = probeLimit;
  }

  /** The index of `key`, or -1. */
  find(key: string): number {
    const fallback = this.#fallback;
    if (fallback !== undefined) return fallback.get(key) ?? -1;
    const hash = this.#hash(key);
    const slots = this.#slots;
    const mask = this.#mask;
    const keys = this.keys;
    let slot = hash & mask;
    for (let probes = 0; probes <= this.#probeLimit; probes++) {
      const at = slot << 1;
      const entry = slots[at] as number;
      if (entry === 0) {
        this.#missed = key;
        this.#missedHash = hash;
        return -1;
      }
      if (slots[at + 1] === hash && keys[entry - 1] === key) return entry - 1;
      slot = (slot + 1) & mask;
    }
    return this.#fallBack().get(key) ?? -1;
  }

  /** Adds `key` if absent: its index, and whether it was new (as `~index` when it was not). */
  insert(key: string): number {
    const fallback = this.#fallback;
    if (fallback !== undefined) return this.#insertInto(fallback, key);
    const keys = this.keys;
    if ((keys.length + 1) * 2 > this.#mask + 1) this.#grow();
    const hash = key === this.#missed ? this.#missedHash : this.#hash(key);
    this.#missed = undefined;
    const slots = this.#slots;
    const mask = this.#mask;
    let slot = hash & mask;
    for (let probes = 0; probes <= this.#probeLimit; probes++) {
      const at = slot << 1;
      const entry = slots[at] as number;
      if (entry === 0) {
        const index = keys.length;
        keys.push(key);
        slots[at] = index + 1;
        slots[at + 1] = hash;
        return index;
      }
      if (slots[at + 1] === hash && keys[entry - 1] === key) return ~(entry - 1);
      slot = (slot + 1) & mask;
    }
    return this.#insertInto(this.#fallBack(), key);
  }

  #insertInto(fallback: Map<string, number>, key: string): number {
    const index = fallback.get(key);
    if (index !== undefined) return ~index;
    const added = this.keys.length;
    this.keys.push(key);
    fallback.set(key, added);
    return added;
  }

  /** Doubles the slots, placing each key by its stored hash. */
  #grow(): void {
    const old = this.#slots;
    const size = old.length; // twice the old slot count: the new slot count
    const slots = new Int32Array(size * 2);
    const mask = size - 1;
    for (let at = 0; at < size; at += 2) {
      const entry = old[at] as number;
      if (entry === 0) continue;
      const hash = old[at + 1] as number;
      let slot = hash & mask;
      while (slots[slot << 1] !== 0) slot = (slot + 1) & mask;
      slots[slot << 1] = entry;
      slots[(slot << 1) + 1] = hash;
    }
    this.#slots = slots;
    this.#mask = mask;
  }

  /** Moves every key into a Map, used from then on: the hashes collide too much to probe. */
  #fallBack(): Map<string, number> {
    const fallback = new Map<string, number>();
    const keys = this.keys;
    for (let index = 0; index < keys.length; index++) fallback.set(keys[index] as string, index);
    this.#fallback = fallback;
    this.#slots = new Int32Array(0);
    this.#missed = undefined;
    return fallback;
  }
}

/**
 * A `Map<string, V>` that stays fast with many fresh keys: get, add a new key, and the keys.
 * Values are objects, so a missing key is `undefined`.
 */
class StringMap<V extends object> {
  readonly #index: KeyIndex;
  readonly #values: V[] = [];

  /** `options` is internal, for the tests (a forced hash, a small probe limit). */
  constructor(options: TableOptions = {}) {
    this.#index = new KeyIndex(options);
  }

  /** The value of `key`, or undefined. */
  get(key: string): V | undefined {
    const index = this.#index.find(key);
    return index < 0 ? undefined : this.#values[index];
  }

  /** Adds a key that is not in the map (`get` returned undefined) with its value. */
  add(key: string, value: V): void {
    const index = this.#index.insert(key);
    // As Map.set, a key already there takes the new value (callers add only new keys).
    this.#values[index < 0 ? ~index : index] = value;
  }

  /** Every key, in the order they were added. */
  keys(): string[] {
    return this.#index.keys.slice();
  }
}

/** A `Set<string>` that stays fast with many fresh keys, for counting distinct keys. */
class StringSet {
  readonly #index: KeyIndex;

  /** `options` is internal, for the tests (a forced hash, a small probe limit). */
  constructor(options: TableOptions = {}) {
    this.#index = new KeyIndex(options);
  }

  /** Whether `key` was added. */
  has(key: string): boolean {
    return this.#index.find(key) >= 0;
  }

  /** Adds `key`; whether it was new. One look-up, not has-then-add. */
  add(key: string): boolean {
    return this.#index.insert(key) >= 0;
  }
}

export { StringMap, StringSet, seededHash };

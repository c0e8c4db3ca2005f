import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringMap, StringSet, seededHash } from '../../../lib/analyze/string-tables.ts';

/** A lone UTF-16 surrogate: no valid text has one, but a decoded log line may. */
const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** Keys that stress a string hash: empty, any code point, lone surrogates, long ones. */
const baseKey = fc.oneof(
  fc.constant(''),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: surrogate, maxLength: 4 }),
  fc
    .tuple(fc.integer({ min: 200, max: 5_000 }), fc.string())
    .map(([n, s]) => `${'/x'.repeat(n)}${s}`),
);

/**
 * A pool of keys: each base key and keys differing from it only in the first or only in the last
 * code unit (a path and its neighbours), so look-ups hit, miss and meet near twins.
 */
const keyPool = fc
  .array(baseKey, { minLength: 1, maxLength: 12 })
  .map((bases) =>
    bases.flatMap((key) => [key, `a${key}`, `b${key}`, `${key}a`, `${key}b`, `\uD800${key}`]),
  );

type Op = readonly ['get' | 'add' | 'keys', number];
const ops = fc.array(
  fc.tuple(fc.constantFrom('get' as const, 'add' as const, 'keys' as const), fc.nat()),
  { maxLength: 300 },
);

/** The table's hash and probe knobs a property runs under: the real one and forced collisions. */
const knobs = [
  {},
  { probeLimit: 1 },
  { hash: () => 7 },
  { hash: (key: string) => key.length & 3, probeLimit: 4 },
] as const;

/** Honest path keys past any small table, 7,001 distinct ones repeated. */
function paths(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const step = i % 7_001;
    return `/ns1/run-${step % 97}/step-${step}.pt`;
  });
}

describe('Class: StringMap', () => {
  it.each(knobs)('gets, adds and lists keys exactly as a Map does (property, %o)', (options) => {
    fc.assert(
      fc.property(keyPool, ops, (pool, sequence: Op[]) => {
        // Prepare
        const reference = new Map<string, { n: number }>();
        const map = new StringMap<{ n: number }>(options);

        // Act and Assess: each operation on both, compared as it goes
        sequence.forEach(([op, pick], n) => {
          const key = pool[pick % pool.length] as string;
          if (op === 'get') expect(map.get(key)).toBe(reference.get(key));
          else if (op === 'add') {
            const value = { n };
            map.add(key, value);
            reference.set(key, value);
          } else expect(map.keys()).toEqual([...reference.keys()]);
        });
        expect(map.keys()).toEqual([...reference.keys()]);
        for (const key of pool) expect(map.get(key)).toBe(reference.get(key));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps thousands of keys in the order they were added (the plan use: get, then add)', () => {
    // Prepare
    const keys = paths(20_000);
    const map = new StringMap<{ index: number }>();
    const reference = new Map<string, { index: number }>();

    // Act
    const found = keys.map((key, index) => {
      const value = map.get(key);
      if (value === undefined) map.add(key, { index });
      return value;
    });

    // Assess
    const expected = keys.map((key, index) => {
      const value = reference.get(key);
      if (value === undefined) reference.set(key, { index });
      return value;
    });
    expect(found).toEqual(expected);
    expect(map.keys()).toEqual([...reference.keys()]);
    for (const [key, value] of reference) expect(map.get(key)).toEqual(value);
    expect(map.get('/ns1/run-0/step-7001.pt')).toBeUndefined();
  });
});

describe('Class: StringSet', () => {
  it.each(knobs)('says whether a key is new exactly as a Set does (property, %o)', (options) => {
    fc.assert(
      fc.property(keyPool, ops, (pool, sequence: Op[]) => {
        // Prepare
        const reference = new Set<string>();
        const set = new StringSet(options);

        // Act and Assess
        for (const [op, pick] of sequence) {
          const key = pool[pick % pool.length] as string;
          if (op === 'add') {
            expect(set.add(key)).toBe(!reference.has(key));
            reference.add(key);
          } else expect(set.has(key)).toBe(reference.has(key));
        }
        for (const key of pool) expect(set.has(key)).toBe(reference.has(key));
      }),
      { numRuns: 100 },
    );
  });

  it('counts thousands of distinct keys as a Set does', () => {
    // Prepare
    const keys = paths(20_000);
    const set = new StringSet();

    // Act
    const added = keys.filter((key) => set.add(key)).length;

    // Assess
    expect(added).toBe(new Set(keys).size);
    expect(keys.every((key) => set.has(key))).toBe(true);
    expect(set.has('/ns1/run-0/step-7001.pt')).toBe(false);
  });

  it('stops probing once crafted keys collide: hashes a bounded number of times, not per key', () => {
    // Prepare: every key hashes alike, as a flood of crafted paths would
    let hashed = 0;
    const set = new StringSet({
      hash: () => {
        hashed++;
        return 42;
      },
    });
    const keys = paths(10_000);

    // Act
    const added = keys.filter((key) => set.add(key)).length;
    const found = keys.filter((key) => set.has(key)).length;

    // Assess: correct, and past the probe limit the table no longer hashes (a Map finds them)
    expect(added).toBe(7_001);
    expect(found).toBe(10_000);
    expect(hashed).toBeLessThan(100);
  });

  it('keeps its own table for 100,000 honest paths: no look-up probes past the limit', () => {
    // Prepare: the real hash, counted; a fall-back to the Map would stop the calls
    let hashed = 0;
    const set = new StringSet({
      hash: (key) => {
        hashed++;
        return seededHash(key);
      },
    });
    const keys = Array.from({ length: 100_000 }, (_, i) => `/ns1/run-${i % 97}/step-${i}.pt`);

    // Act
    for (const key of keys) set.add(key);

    // Assess
    expect(hashed).toBe(100_000);
  });
});

describe('Function: seededHash', () => {
  it('tells apart keys that differ only in their first or only in their last code unit', () => {
    // Prepare
    const base = '/ns1/checkpoints/run-7/step-123.pt';
    const keys = [base, `x${base}`, `${base}x`, `\uD800${base}`, `${base}\uDC00`, '', '\u0000'];

    // Act
    const hashes = new Set(keys.map(seededHash));

    // Assess
    expect(hashes.size).toBe(keys.length);
    expect(seededHash(base)).toBe(seededHash([...base].join('')));
  });
});

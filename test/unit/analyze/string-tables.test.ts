import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StringMap, StringSet, shardOf } from '../../../lib/analyze/string-tables.ts';

/** Keys past the first table's 4,096, with repeats: a few thousand distinct ones and a random tail. */
function keysArb() {
  return fc
    .tuple(
      fc.integer({ min: 0, max: 6_000 }),
      fc.array(fc.oneof(fc.string(), fc.stringMatching(/^\/ns1\/[0-9]{1,4}$/)), {
        maxLength: 200,
      }),
    )
    .map(([count, tail]) => [
      ...Array.from({ length: count }, (_, index) => `/ns1/run-${index % 97}/step-${index}.pt`),
      ...tail,
    ]);
}

describe('Class: StringMap', () => {
  it('finds what a Map finds and keeps the first 4,096 keys in order (property)', () => {
    fc.assert(
      fc.property(keysArb(), (keys) => {
        // Prepare
        const reference = new Map<string, { index: number }>();
        const map = new StringMap<{ index: number }>();

        // Act: the plan's use, a get and an add of each key not found
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
        for (const [key, value] of reference) expect(map.get(key)).toEqual(value);
        const stored = map.keys();
        expect([...stored].sort()).toEqual([...reference.keys()].sort());
        expect(stored.slice(0, 4_096)).toEqual([...reference.keys()].slice(0, 4_096));
      }),
      { numRuns: 25 },
    );
  });
});

describe('Class: StringSet', () => {
  it('says whether a key is new exactly as a Set does (property)', () => {
    fc.assert(
      fc.property(keysArb(), (keys) => {
        // Prepare
        const reference = new Set<string>();
        const set = new StringSet();

        // Act
        const added = keys.map((key) => set.add(key));

        // Assess
        expect(added).toEqual(
          keys.map((key) => {
            const isNew = !reference.has(key);
            reference.add(key);
            return isNew;
          }),
        );
        expect(keys.every((key) => set.has(key))).toBe(true);
        expect(set.has('\u0000 never added')).toBe(false);
      }),
      { numRuns: 25 },
    );
  });
});

describe('Function: shardOf', () => {
  it('spreads paths that differ only in a number near their end evenly over the tables', () => {
    // Prepare
    const paths = Array.from({ length: 8_000 }, (_, i) => `/ns1/run-${i % 97}/step-${i}.pt`);

    // Act
    const counts = Array.from({ length: 8 }, () => 0);
    for (const path of paths) counts[shardOf(path)] = (counts[shardOf(path)] ?? 0) + 1;

    // Assess: each of the eight tables within half and twice its share
    for (const count of counts) {
      expect(count).toBeGreaterThan(500);
      expect(count).toBeLessThan(2_000);
    }
  });
});

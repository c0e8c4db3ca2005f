import { describe, expect, it } from 'vitest';
import { chunkBySize } from '../../../lib/common/chunks.ts';

describe('Function: chunkBySize', () => {
  it('groups items in order while their sizes fit the budget', () => {
    // Prepare
    const items = [3, 4, 2, 5, 1];

    // Act
    const chunks = chunkBySize(items, (item) => item, 7);

    // Assess
    expect(chunks).toEqual([[3, 4], [2, 5], [1]]);
  });

  it('starts a new group at the count limit even when bytes are left', () => {
    // Act
    const chunks = chunkBySize([1, 1, 1, 1, 1], (item) => item, 100, 2);

    // Assess
    expect(chunks).toEqual([[1, 1], [1, 1], [1]]);
  });

  it('gives an item larger than the budget a group of its own, and an empty list none', () => {
    // Act
    const chunks = chunkBySize([1, 50, 1], (item) => item, 10);
    const none = chunkBySize([], () => 1, 10);

    // Assess
    expect(chunks).toEqual([[1], [50], [1]]);
    expect(none).toEqual([]);
  });
});

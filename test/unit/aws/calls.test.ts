import { describe, expect, it } from 'vitest';
import { allPages, mapLimited } from '../../../lib/aws/calls.ts';

describe('Function: allPages', () => {
  it('follows the token until a page has none, and treats an empty token as the end', async () => {
    // Prepare
    const pages = new Map([
      [undefined, { items: ['fs-a', 'fs-b'], next: 'p2' }],
      ['p2', { items: undefined, next: 'p3' }],
      ['p3', { items: ['fs-c'], next: '' }],
    ]);
    const asked: (string | undefined)[] = [];

    // Act
    const items = await allPages(10, async (token: string | undefined) => {
      asked.push(token);
      return pages.get(token) ?? { items: [], next: undefined };
    });

    // Assess
    expect(items).toEqual(['fs-a', 'fs-b', 'fs-c']);
    expect(asked).toEqual([undefined, 'p2', 'p3']);
  });

  it('gives up with undefined when the token never ends', async () => {
    // Prepare
    let calls = 0;

    // Act
    const items = await allPages(3, async () => {
      calls += 1;
      return { items: ['again'], next: 'same' };
    });

    // Assess
    expect(items).toBeUndefined();
    expect(calls).toBe(3);
  });
});

describe('Function: mapLimited', () => {
  it('keeps the order of the results and never runs more than the limit at once', async () => {
    // Prepare
    let running = 0;
    let most = 0;

    // Act
    const results = await mapLimited([30, 10, 20, 0, 5], 2, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      return n * 2;
    });

    // Assess
    expect(results).toEqual([60, 20, 40, 0, 10]);
    expect(most).toBe(2);
  });

  it('starts no new item after a failure and rejects with the first error', async () => {
    // Prepare
    const started: string[] = [];

    // Act
    const mapping = mapLimited(['a', 'bad', 'c', 'd'], 1, async (item) => {
      started.push(item);
      if (item === 'bad') throw new Error('UpdateItem failed for bad');
      return item;
    });

    // Assess
    await expect(mapping).rejects.toThrow('UpdateItem failed for bad');
    expect(started).toEqual(['a', 'bad']);
  });
});

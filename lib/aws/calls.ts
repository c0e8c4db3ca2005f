/*
 * Loops the AWS adapters share: every page of a paged call, and many calls at a bounded
 * concurrency.
 */

/** One page of a paged call: its items and the token of the next page, if any. */
interface Page<T> {
  readonly items: readonly T[] | undefined;
  readonly next: string | undefined;
}

/**
 * Every item of a paged call, or undefined when the token never ends within `maxPages` pages. A
 * failed call throws the SDK error for the caller to word.
 */
async function allPages<T>(
  maxPages: number,
  fetch: (token: string | undefined) => Promise<Page<T>>,
): Promise<T[] | undefined> {
  const items: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const response = await fetch(token);
    for (const item of response.items ?? []) items.push(item);
    token = response.next;
    if (token === undefined || token === '') return items;
  }
  return undefined;
}

/**
 * Runs `work` over `items`, at most `limit` at a time, keeping the order of the results. After a
 * failure no new item is started, and the first error rejects the whole.
 */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  async function worker(): Promise<void> {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export type { Page };
export { allPages, mapLimited };

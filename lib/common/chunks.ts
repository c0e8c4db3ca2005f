/*
 * Splitting a list by size, for the places that must stay under a byte limit: the deferral
 * queue's messages and batches (lib/aws/sqs.ts) and the log lines that list paths
 * (lib/common/log-lines.ts). Pure, so the AWS side and the features share one rule.
 */

/**
 * Groups `items` in order into runs of at most `maxCount` items whose sizes (`sizeOf`) add up to
 * at most `maxBytes`. An item larger than `maxBytes` gets a run of its own (the caller decides
 * whether that is an error); an empty list gives no run.
 */
function chunkBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxBytes: number,
  maxCount = Number.POSITIVE_INFINITY,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export { chunkBySize };

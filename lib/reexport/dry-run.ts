import type { QueuedExport, RetrierRun } from './retrier.ts';

/**
 * The retrier's run in a dry run: it decides nothing and starts nothing, so every message goes
 * back to the queue untouched, and its report holds only how many messages it saw.
 */
function dryRunRetrier(items: readonly QueuedExport[], region: string | undefined): RetrierRun {
  return {
    async settle() {
      throw new Error('dry run: the retrier starts nothing, the message goes back to the queue');
    },
    async report() {
      return {
        generatedAt: new Date().toISOString(),
        region,
        messages: items.length,
        started: [],
        escalated: [],
        refused: [],
        waiting: [],
        deadLettered: [],
      };
    },
  };
}

export { dryRunRetrier };

import { Buffer } from 'node:buffer';
import { chunkBySize } from './chunks.ts';
import type { Escalation, LogLine } from './types.ts';

/*
 * The log lines that list paths, shared by the analyzer and the retrier
 * (docs/operate.md#the-functions-own-logs-and-metrics): a task's paths, or the escalated paths,
 * split over as many lines as their size needs, each line a whole JSON document.
 */

/**
 * What one log line lists at most, in UTF-8 bytes of the list's JSON. A log event is at most
 * 1 MB (docs/fsx-facts.md, CloudWatch Logs; 256 KB before 2025), and a longer line is split or
 * cut, which breaks its JSON. 200,000 bytes stay under either with room for the line's other
 * fields. A task of 100 paths of 4,096 three-byte characters (1.2 MB) takes 7 lines.
 */
const LOG_LIST_BYTES = 200_000;

/** What one value adds to a JSON array: its JSON text and a comma, in UTF-8 bytes. */
function jsonItemBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8') + 1;
}

/**
 * At least jsonItemBytes summed over `items` when all are strings (JSON writes a UTF-16 unit as at
 * most 6 bytes, `\u001f`, plus two quotes and a comma); infinite for anything else.
 */
function stringsBound(items: readonly unknown[]): number {
  let bound = 0;
  for (const item of items) {
    if (typeof item !== 'string') return Number.POSITIVE_INFINITY;
    bound += 6 * item.length + 3;
  }
  return bound;
}

/**
 * A list cut into the parts one log line each holds, in order, every part's JSON within
 * LOG_LIST_BYTES. Always at least one part (an empty list gives one empty part), so a task is
 * never left without its line.
 */
function logParts<T>(items: readonly T[]): T[][] {
  // Almost every task fits one line: bounding its size without serialising each path keeps that
  // case as cheap as logging the array was; only a task that may not fit is measured exactly.
  if (stringsBound(items) <= LOG_LIST_BYTES) return [[...items]];
  const parts = chunkBySize(items, jsonItemBytes, LOG_LIST_BYTES);
  return parts.length === 0 ? [[]] : parts;
}

/** The task fields every part repeats, so a query groups the parts of one task. */
interface LoggedTask {
  readonly fileSystemId: string;
  readonly clientRequestToken: string;
  readonly paths: readonly string[];
}

/**
 * A task's log lines: one per part of its paths, each with the file system, `paths` (how many
 * the whole task has), the token, `part` and `parts` (1-based), the caller's `own` fields, and
 * `pathList` (this part's paths, in the task's order). Concatenated, the parts list every path.
 */
function taskLines(
  level: LogLine['level'],
  message: string,
  task: LoggedTask,
  own: Readonly<Record<string, unknown>>,
): LogLine[] {
  const parts = logParts(task.paths);
  return parts.map((pathList, index) => ({
    level,
    message,
    fields: {
      fileSystemId: task.fileSystemId,
      paths: task.paths.length,
      clientRequestToken: task.clientRequestToken,
      part: index + 1,
      parts: parts.length,
      ...own,
      pathList,
    },
  }));
}

/**
 * The `Re-exports escalated to a person` warnings: every escalated path with its history, split
 * like a task's paths (`paths` counts them all; `part` and `parts` number the lines). None when
 * nothing was escalated.
 */
function escalationLines(escalated: readonly Escalation[]): LogLine[] {
  if (escalated.length === 0) return [];
  const parts = logParts(escalated);
  return parts.map((slice, index) => ({
    level: 'warn',
    message: 'Re-exports escalated to a person',
    fields: { paths: escalated.length, part: index + 1, parts: parts.length, escalated: slice },
  }));
}

export { escalationLines, LOG_LIST_BYTES, logParts, taskLines };

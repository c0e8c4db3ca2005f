import { isFileSystemId } from '../common/fsx.ts';
import type { DigestWindow } from '../common/types.ts';
import { shellArg } from '../render/shell.ts';

/*
 * The `reexport` command a digest prints for failures FSx refused or left to a person: run once
 * the cause is fixed, it re-exports the class's failures of that one window and that one file
 * system (or log group), and nothing else (docs/cli.md#reexport).
 */

/** ISO UTC to the second, as `reexport --since/--until` reads it. */
function isoSecond(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Whether `seconds` is a whole epoch second that names a date. */
function isEpochSecond(seconds: number): boolean {
  return Number.isSafeInteger(seconds) && !Number.isNaN(new Date(seconds * 1000).getTime());
}

/**
 * The `reexport` commands for one digest entry: one per log group its failures came from (a file
 * system logs to one group; a second appears only when its logging moved), each pinned to the
 * digest's window and scoped to its file system, or to its log group when the records named none.
 * Every value is shell-quoted. Empty when no command would cover the entry exactly: no log group
 * known, a scope that is no file-system id, a window that names no dates, or unparseable events.
 *
 * The window is [windowStart, windowEnd) of the analyzer's clock, and `--until` is excluded as
 * well (the reader asks FilterLogEvents up to `end - 1`): a held failure was counted before
 * windowEnd and logged no later, so the last one is inside.
 */
function reexportCommands(digest: DigestWindow, region: string | undefined): string[] {
  const { key, windowStart, windowEnd } = digest;
  if (key.cls === 'unparseable') return [];
  if (!isEpochSecond(windowStart) || !isEpochSecond(windowEnd) || windowStart >= windowEnd) {
    return [];
  }
  const byFileSystem = key.scopeKind === 'fileSystem';
  // Only exactly one file-system id, which `reexport --file-system-id` accepts.
  if (byFileSystem && !isFileSystemId(key.scope)) return [];
  const logGroups = byFileSystem ? digest.logGroups : [key.scope];
  return logGroups
    .filter((logGroup) => logGroup.trim() !== '')
    .map((logGroup) =>
      [
        `fsx-export-analyzer reexport --class ${key.cls}`,
        `--log-group ${shellArg(logGroup)}`,
        ...(byFileSystem ? [`--file-system-id ${key.scope}`] : []),
        `--since ${isoSecond(windowStart)} --until ${isoSecond(windowEnd)}`,
        ...(region === undefined || region === '' ? [] : [`--region ${shellArg(region)}`]),
      ].join(' '),
    );
}

export { reexportCommands };

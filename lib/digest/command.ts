import { isFileSystemId } from '../common/fsx.ts';
import type { DigestWindow } from '../common/types.ts';
import { reexportCommand } from '../render/commands.ts';

/*
 * The `reexport` command a digest prints for failures FSx refused or left to a person: run once
 * the cause is fixed, it re-exports the class's failures of that one window and that one file
 * system (or log group), and nothing else (docs/cli.md#reexport).
 */

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
  const cls = key.cls;
  if (cls === 'unparseable') return [];
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
      reexportCommand({
        cls,
        logGroup,
        fileSystemId: byFileSystem ? key.scope : undefined,
        since: windowStart * 1000,
        until: windowEnd * 1000,
        region,
      }),
    );
}

export { reexportCommands };

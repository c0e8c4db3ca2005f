import { fileSystemIdFromStream } from '../common/fsx.ts';
import type { ExportTask, FailureClass, FailureRecord, Report, Source } from '../common/types.ts';
import { isDateMillis } from './insights.ts';
import { WIDTH, wrap } from './layout.ts';
import { knownAccount } from './places.ts';
import { shellArg, shellQuote } from './shell.ts';

/*
 * The commands a person pastes to re-export paths: the AWS CLI command that re-exports a task's
 * paths by hand, as the emails and the terminal print them (create-data-repository-task:
 * docs/fsx-facts.md#createdatarepositorytask), and, under "needs a person", the `reexport`
 * command that re-exports a class's failures once the cause is fixed (docs/cli.md#reexport).
 */

const MAX_COMMAND_PATHS = 10;
/** A command keeps adding paths only while it is shorter than this (it always names one). */
const COMMAND_CHARS = 4_000;

/**
 * Where the paths a by-hand command leaves out are listed, in the log of the function whose
 * email prints it: each logs its tasks with every path (docs/operate.md#the-functions-own-logs-and-metrics).
 */
const ANALYZER_LOG = "the analyzer's log";
const RETRIER_LOG = "the retrier's log";

/**
 * The AWS CLI command that re-exports a task's paths by hand. It names at most ten paths (and
 * stops early on very long ones) so it stays pasteable; `pathsShown` tells the caller to say so.
 */
function exportCommand(task: ExportTask): { command: string; pathsShown: number } {
  const report =
    task.reportPath === undefined
      ? 'Enabled=false'
      : `Enabled=true,Path=${task.reportPath},Format=REPORT_CSV_20191124,Scope=FAILED_FILES_ONLY`;
  const quoted: string[] = [];
  let length = 0;
  for (const path of task.paths.slice(0, MAX_COMMAND_PATHS)) {
    const arg = shellQuote(path);
    if (quoted.length > 0 && length + arg.length + 1 > COMMAND_CHARS) break;
    quoted.push(arg);
    length += arg.length + 1;
  }
  const command = [
    'aws fsx create-data-repository-task',
    `--file-system-id ${shellArg(task.fileSystemId)}`,
    '--type EXPORT_TO_REPOSITORY',
    `--paths ${quoted.join(' ')}`,
    `--report ${shellArg(report)}`,
  ].join(' ');
  return { command, pathsShown: quoted.length };
}

/**
 * A lead line and the task's by-hand export command, saying when it names only some paths and
 * where the others are listed (`listedIn`: {@link ANALYZER_LOG}, {@link RETRIER_LOG}, or what the
 * email shows them in).
 */
function commandLines(task: ExportTask, lead: string, listedIn: string): string[] {
  const { command, pathsShown } = exportCommand(task);
  const lines = [`  ${lead}`, `    ${command}`];
  if (pathsShown < task.paths.length) {
    lines.push(
      ...wrap(
        `(The command names the first ${pathsShown} of ${task.paths.length} paths; run it again with the others, listed in ${listedIn}.)`,
        '  ',
        WIDTH,
        '  ',
      ),
    );
  }
  return lines;
}

/**
 * Classes whose failures a person re-exports with `reexport` once the cause is fixed: a denied
 * write or a missing KMS key leaves the file as it was, so the same paths export once the policy
 * or the key is right. Not `limit`: its fix changes the file (split, or moved to a shorter path),
 * so the path that failed may no longer exist, and its hint says a retry cannot fix it
 * (docs/operate.md#the-summary). `reexport` refuses `report` and `unknown`.
 */
const REEXPORTED_AFTER_FIX: ReadonlySet<FailureClass> = new Set(['permission']);

/** Commands printed for one class; the other log groups are counted. */
const MAX_FIX_COMMANDS = 5;

/** The `reexport` commands for one class's failures, and how many more log groups need one. */
interface FixCommands {
  readonly commands: readonly string[];
  readonly more: number;
}

const NO_FIX_COMMANDS: FixCommands = { commands: [], more: 0 };

/** Where one command reads: a log group of one account, the window of its failures. */
interface Scope {
  readonly owner: string | undefined;
  readonly logGroup: string;
  first: number;
  last: number;
  /** A failure without a time: no window is known to hold it. */
  untimed: boolean;
  /** The file system of each failure's `datarepo_` stream; undefined for another stream. */
  readonly fileSystems: Set<string | undefined>;
}

/** The log groups only assumed (the input named none): a command must not guess one. */
function assumedLogGroups(sources: readonly Source[]): Set<string> {
  const assumed = new Set<string>();
  const named = new Set<string>();
  for (const source of sources) {
    (source.logGroupAssumed === true ? assumed : named).add(source.logGroup);
  }
  for (const group of named) assumed.delete(group);
  return assumed;
}

/** One scope per account and log group of the class's records, first seen first. */
function recordScopes(records: readonly FailureRecord[], cls: FailureClass): Scope[] {
  const scopes: Scope[] = [];
  // A batch's records share their account, log group and stream: the last scope and stream are
  // checked first, so a record costs two comparisons, not a lookup.
  let scope: Scope | undefined;
  let stream: string | undefined;
  for (const record of records) {
    if (record.class !== cls) continue;
    if (scope === undefined || scope.owner !== record.owner || scope.logGroup !== record.logGroup) {
      scope = scopes.find((s) => s.owner === record.owner && s.logGroup === record.logGroup);
      if (scope === undefined) {
        scope = {
          owner: record.owner,
          logGroup: record.logGroup,
          first: Number.POSITIVE_INFINITY,
          last: Number.NEGATIVE_INFINITY,
          untimed: false,
          fileSystems: new Set(),
        };
        scopes.push(scope);
      }
      stream = undefined;
    }
    const time = record.timestamp;
    if (time === undefined || !isDateMillis(time)) scope.untimed = true;
    else {
      if (time < scope.first) scope.first = time;
      if (time > scope.last) scope.last = time;
    }
    if (record.logStream !== stream) {
      stream = record.logStream;
      // The stream's file system, as `reexport --file-system-id` reads `datarepo_<id>`.
      scope.fileSystems.add(fileSystemIdFromStream(stream));
    }
  }
  return scopes;
}

/**
 * A report too large to keep every record (`analyze` on a huge input) keeps only the first: each
 * of its log groups over the window of every event, no file system named.
 */
function foldedScopes(totals: NonNullable<Report['folded']>['totals']): Scope[] {
  const { window } = totals;
  return totals.logGroups.map((logGroup) => ({
    owner: undefined,
    logGroup,
    first: window?.first ?? Number.POSITIVE_INFINITY,
    last: window?.last ?? Number.NEGATIVE_INFINITY,
    untimed: window === undefined || totals.untimed > 0,
    fileSystems: new Set([undefined]),
  }));
}

/** ISO UTC to the second, as `reexport --since/--until` reads it. */
function isoSecond(millis: number): string {
  return new Date(millis).toISOString().replace('.000Z', 'Z');
}

/** What one `reexport` command names (docs/cli.md#reexport); each caller chooses its own. */
interface ReexportParts {
  readonly cls: FailureClass;
  readonly logGroup: string;
  /** Set only when every failure the command covers comes from this file system. */
  readonly fileSystemId?: string | undefined;
  /** The window [since, until) in epoch milliseconds, each on a whole second. */
  readonly since: number;
  readonly until: number;
  /** Left out when undefined or empty: the CLI then uses its default Region. */
  readonly region?: string | undefined;
}

/**
 * The `fsx-export-analyzer reexport` command line of its parts, as the summary (email, terminal)
 * and the digest print it. Every value is shell-quoted where it needs to be.
 *
 * @example reexportCommand({ cls: 'permission', logGroup: '/aws/fsx/lustre', since: 0, until: 1000 })
 * // 'fsx-export-analyzer reexport --class permission --log-group /aws/fsx/lustre --since 1970-01-01T00:00:00Z --until 1970-01-01T00:00:01Z'
 */
function reexportCommand(parts: ReexportParts): string {
  const { fileSystemId, region } = parts;
  return [
    `fsx-export-analyzer reexport --class ${parts.cls}`,
    `--log-group ${shellArg(parts.logGroup)}`,
    ...(fileSystemId === undefined ? [] : [`--file-system-id ${shellArg(fileSystemId)}`]),
    `--since ${isoSecond(parts.since)} --until ${isoSecond(parts.until)}`,
    ...(region === undefined || region === '' ? [] : [`--region ${shellArg(region)}`]),
  ].join(' ');
}

/**
 * The command for one scope, or undefined when its window is unknown. `--until` is excluded
 * (docs/cli.md#reexport: the window is [since, until)), so it is the second after the last
 * failure's; `--since` the second of the first.
 */
function scopeCommand(scope: Scope, cls: FailureClass, region: string | undefined) {
  if (scope.untimed || scope.first > scope.last) return undefined;
  const since = Math.floor(scope.first / 1000) * 1000;
  const until = Math.floor(scope.last / 1000) * 1000 + 1000;
  if (since < 0 || !isDateMillis(until)) return undefined;
  const [fileSystemId, ...others] = scope.fileSystems;
  return reexportCommand({
    cls,
    logGroup: scope.logGroup,
    fileSystemId: others.length === 0 ? fileSystemId : undefined,
    since,
    until,
    region,
  });
}

/**
 * The `reexport` commands that re-export a class's failures once a person fixed the cause, for
 * the classes where that makes sense ({@link REEXPORTED_AFTER_FIX}): one per account and log
 * group, the window pinned to its failures' times, `--file-system-id` when they all come from one
 * file system's stream, `--region` when the report knows it. Every value is shell-quoted. None
 * when any scope's window or log group is unknown (a failure without a time, a log group the input
 * did not name): a command that misses some failures would read as covering them all.
 */
function fixCommands(
  report: Pick<Report, 'records' | 'sources' | 'region' | 'folded'>,
  cls: FailureClass,
): FixCommands {
  if (!REEXPORTED_AFTER_FIX.has(cls)) return NO_FIX_COMMANDS;
  const assumed = assumedLogGroups(report.sources);
  const scopes =
    report.folded === undefined
      ? recordScopes(report.records, cls)
      : foldedScopes(report.folded.totals);
  const accounts = new Set(scopes.flatMap((scope) => knownAccount(scope.owner) ?? []));
  const commands: string[] = [];
  for (const scope of scopes) {
    if (scope.logGroup.trim() === '' || assumed.has(scope.logGroup)) return NO_FIX_COMMANDS;
    const command = scopeCommand(scope, cls, report.region);
    if (command === undefined) return NO_FIX_COMMANDS;
    // The same log group in two accounts: the comment says whose credentials run which.
    const account = knownAccount(scope.owner);
    const note =
      accounts.size > 1 && account !== undefined && /^\d{12}$/.test(account)
        ? `  # account ${account}`
        : '';
    if (!commands.includes(command + note)) commands.push(command + note);
  }
  return {
    commands: commands.slice(0, MAX_FIX_COMMANDS),
    more: Math.max(0, commands.length - MAX_FIX_COMMANDS),
  };
}

/** The line that leads a class's `reexport` commands, in the email and the terminal. */
function fixLead(commands: number): string {
  return commands === 1
    ? 'After the fix, re-export them (the command asks before it starts):'
    : 'After the fix, re-export them (a command per log group; each asks first):';
}

export type { FixCommands, ReexportParts };
export {
  ANALYZER_LOG,
  commandLines,
  exportCommand,
  fixCommands,
  fixLead,
  REEXPORTED_AFTER_FIX,
  RETRIER_LOG,
  reexportCommand,
};

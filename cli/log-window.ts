import { DEFAULT_MAX_EVENTS, LogsReadError } from '../lib/aws/logs.ts';
import { DEFAULT_LOG_GROUP } from '../lib/common/fsx.ts';
import type { LogWindow, LogWindowPort, ReadProgress } from '../lib/common/ports.ts';
import { sanitize } from '../lib/common/text.ts';
import type { LogBatch, TimeWindow } from '../lib/common/types.ts';
import { resolveWindow, WindowError } from '../lib/scan/window.ts';
import {
  checkFileSystemId,
  checkRegion,
  complain,
  EXIT_FAILURE,
  EXIT_USAGE,
  type Io,
  line,
  plural,
  UsageError,
} from './common.ts';

/*
 * What `scan` and `reexport` share to read a window of a log group: the options that choose it,
 * their validation, and the read itself with its progress on stderr.
 */

/** Without a terminal, a progress line every this many pages (500,000 events at full pages). */
const PROGRESS_EVERY_PAGES = 50;

/** The parseArgs options scan and reexport share: the window, where to read it, its cap. */
const WINDOW_ARGS = {
  'log-group': { type: 'string' },
  'file-system-id': { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  region: { type: 'string' },
  'max-events': { type: 'string' },
} as const;

/** The options scan and reexport share for choosing the window. */
interface WindowOptions {
  readonly logGroup: string;
  readonly fileSystemId: string | undefined;
  readonly window: TimeWindow;
  readonly maxEvents: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Progress on stderr: rewritten in place on a terminal, every PROGRESS_EVERY_PAGES pages
 * otherwise (quiet in scripts, still alive in a log), and always one final line.
 */
function progressReporter(io: Io, label: string) {
  const live = io.stderrIsTTY === true;
  const text = (progress: ReadProgress) =>
    `${label}: ${plural(progress.events, 'event')}, ${plural(progress.pages, 'page')}, ${seconds(progress.elapsedMs)}`;
  return {
    update(progress: ReadProgress): void {
      if (live) io.stderr(`\r\u001b[2K${text(progress)}`);
      else if (progress.pages % PROGRESS_EVERY_PAGES === 0) io.stderr(line(text(progress)));
    },
    done(read: LogWindow): void {
      if (live) io.stderr('\r\u001b[2K');
      io.stderr(
        line(
          `${label}: read ${plural(read.events, 'event')} in ${plural(read.pages, 'page')} in ${seconds(read.elapsedMs)}`,
        ),
      );
    },
    failed(): void {
      if (live) io.stderr('\n');
    },
  };
}

/**
 * The arguments with `--since -24h` joined into `--since=-24h`: parseArgs refuses an option value
 * that starts with a dash as ambiguous, and `-24h` is how many people write "24 hours ago".
 * Only a dash followed by a digit is joined, so `--since --yes` stays a missing value.
 */
function joinDashedTimes(args: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [arg = '', next] = [args[i], args[i + 1]];
    if (arg === '--') return [...joined, ...args.slice(i)];
    if ((arg === '--since' || arg === '--until') && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** Reads and validates --log-group, --file-system-id, --since, --until, --region and --max-events. */
function windowOptions(
  values: {
    readonly 'log-group'?: string | undefined;
    readonly 'file-system-id'?: string | undefined;
    readonly since?: string | undefined;
    readonly until?: string | undefined;
    readonly region?: string | undefined;
    readonly 'max-events'?: string | undefined;
  },
  command: string,
  now: number,
): WindowOptions {
  const fileSystemId = values['file-system-id'];
  checkFileSystemId(fileSystemId, command);
  checkRegion(values.region, command);
  const logGroup = values['log-group'] ?? DEFAULT_LOG_GROUP;
  if (logGroup.trim() === '') throw new UsageError('--log-group must not be empty', command);
  const maxText = values['max-events'];
  const maxEvents = maxText === undefined ? DEFAULT_MAX_EVENTS : Number(maxText);
  if (!Number.isSafeInteger(maxEvents) || maxEvents < 1) {
    throw new UsageError(
      `--max-events must be a positive integer (got "${sanitize(maxText ?? '')}")`,
      command,
    );
  }
  let window: TimeWindow;
  try {
    window = resolveWindow(values.since, values.until, now);
  } catch (error) {
    // A usage error, so the message ends with the hint to --help.
    if (error instanceof WindowError) throw new UsageError(error.message, command);
    throw error;
  }
  return { logGroup, fileSystemId, window, maxEvents };
}

/**
 * Reads one window with progress on stderr. A read error is reported on one line and returned
 * as the exit status (2 when the caller's settings must change, else 1). With `onPage`, the
 * window is streamed page by page (see ReadOptions.onPage) and not kept.
 */
async function readWindow(
  logs: LogWindowPort,
  options: WindowOptions,
  window: TimeWindow,
  label: string,
  io: Io,
  now: () => number,
  onPage?: (batches: LogBatch[]) => void,
): Promise<LogWindow | number> {
  const progress = progressReporter(io, label);
  try {
    const read = await logs.read(
      { logGroup: options.logGroup, fileSystemId: options.fileSystemId, window },
      onPage === undefined
        ? { onProgress: progress.update, maxEvents: options.maxEvents, now }
        : { onProgress: progress.update, onPage, now },
    );
    progress.done(read);
    return read;
  } catch (error) {
    progress.failed();
    if (!(error instanceof LogsReadError)) throw error;
    complain(io, error.message);
    return error.usage ? EXIT_USAGE : EXIT_FAILURE;
  }
}

export type { WindowOptions };
export { joinDashedTimes, PROGRESS_EVERY_PAGES, readWindow, WINDOW_ARGS, windowOptions };

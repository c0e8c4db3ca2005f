import { parseArgs } from 'node:util';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { analyzeBatches, jsonDocumentText, toJsonReport } from '../lib/analyze/analysis.ts';
import { processBatches } from '../lib/analyze/pipeline.ts';
import {
  createLogsClient,
  DEFAULT_MAX_EVENTS,
  LogsReadError,
  type LogWindow,
  type ReadProgress,
  readLogWindow,
} from '../lib/aws/logs.ts';
import {
  compareWindows,
  describeWindow,
  mergeSummaries,
  previousWindow,
  renderTrendEmail,
  renderTrendTerminal,
  resolveWindow,
  summarizeWindow,
  type TimeWindow,
  type Trend,
  trendToJson,
  WindowError,
} from '../lib/scan/window.ts';
import { loadConfig } from '../lib/shared/config.ts';
import { DEFAULT_LOG_GROUP } from '../lib/shared/fsx.ts';
import { sanitize } from '../lib/shared/text.ts';
import type { LogBatch } from '../lib/shared/types.ts';
import {
  checkFileSystemId,
  complain,
  consoleRegion,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type Io,
  line,
  PROGRAM,
  parseOrUsage,
  plural,
  printReport,
  reportFormat,
  UsageError,
  useColor,
} from './common.ts';

/*
 * `scan`: reads a time window of the FSx event log group from CloudWatch Logs (FilterLogEvents),
 * prints the same report as `analyze` (a dry run: nothing is started), and a trend against the
 * previous window of the same length. Loaded lazily by cli/main.ts, so the SDK loads only here.
 */

/** An analysis of no events: where counting a streamed window starts. */
const NOTHING = { events: 0, records: [], unparseable: [] } as const;

/** Without a terminal, a progress line every this many pages (500,000 events at full pages). */
const PROGRESS_EVERY_PAGES = 50;

const help = `Usage: ${PROGRAM} scan [--log-group NAME] [options]

Reads the window [--since, --until) of a log group from CloudWatch Logs (FilterLogEvents, every
page), prints the same report as "analyze" (a dry run: nothing is started or published), and a
trend against the previous window of the same length: failures per class then and now, new
error codes, file systems that started or stopped failing.

Options:
  --log-group NAME        log group to read, name or ARN (default ${DEFAULT_LOG_GROUP})
  --file-system-id ID     only the streams datarepo_ID of this file system
  --since TIME            window start: a duration before now (24h, 90m, 7d, 1d12h) or an
                          ISO-8601 time (2026-11-25, 2026-11-25T08:00:00Z); default 24h
  --until TIME            window end, excluded; same forms; default now
  --json                  one JSON document: the analyze --json fields, "scan" and "trend"
  --email                 the email the Lambda would publish, then the trend
  --region REGION         AWS Region (default: AWS_REGION, the profile's Region)
  --max-events N          stop when the window holds more than N events (default
                          ${DEFAULT_MAX_EVENTS}; about 1.3 KB of memory each; the previous window
                          is only counted, page by page, and has no limit)
  -h, --help              this text

Progress (events read, pages, elapsed) goes to stderr: live on a terminal, otherwise every
${PROGRESS_EVERY_PAGES} pages and at the end. Region, endpoint and credentials come from the standard AWS settings
(AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, ...). Needs logs:FilterLogEvents on the log group.

Exit status: 0 success; 1 CloudWatch Logs failed (throttling, network, 5xx after retries);
2 bad usage, unknown log group, missing permission or credentials.
`;

/** The AWS clients a command uses; tests pass clients pointed at local servers. */
interface ScanDeps {
  readonly logsClient?: (region: string | undefined) => CloudWatchLogsClient;
  /** Clock in milliseconds for the window and the elapsed time. */
  readonly now?: () => number;
}

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

/** Reads and validates --log-group, --file-system-id, --since, --until and --max-events. */
function windowOptions(
  values: {
    readonly 'log-group'?: string | undefined;
    readonly 'file-system-id'?: string | undefined;
    readonly since?: string | undefined;
    readonly until?: string | undefined;
    readonly 'max-events'?: string | undefined;
  },
  command: string,
  now: number,
): WindowOptions {
  const fileSystemId = values['file-system-id'];
  checkFileSystemId(fileSystemId, command);
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
 * window is streamed page by page (see readLogWindow) and not kept.
 */
async function readWindow(
  client: CloudWatchLogsClient,
  options: WindowOptions,
  window: TimeWindow,
  label: string,
  io: Io,
  now: () => number,
  onPage?: (batches: LogBatch[]) => void,
): Promise<LogWindow | number> {
  const progress = progressReporter(io, label);
  try {
    const read = await readLogWindow(
      client,
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

/** Runs `scan`; see `help`. */
async function command(args: string[], io: Io, deps: ScanDeps = {}): Promise<number> {
  const { values } = parseOrUsage('scan', () =>
    parseArgs({
      args,
      allowPositionals: false,
      strict: true,
      options: {
        ...WINDOW_ARGS,
        json: { type: 'boolean' },
        email: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    io.stdout(help);
    return EXIT_OK;
  }
  const format = reportFormat(values, 'scan');
  const now = deps.now ?? Date.now;
  const options = windowOptions(values, 'scan', now());
  // The Lambda's own validation, so scan reports what the Lambda would do with these settings.
  const { BUSY_DELAY_SECONDS, REPORT_PATH } = io.env;
  const config = loadConfig({ DRY_RUN: 'true', BUSY_DELAY_SECONDS, REPORT_PATH });
  const region = values.region;
  const client = (deps.logsClient ?? createLogsClient)(region);

  try {
    const current = await readWindow(client, options, options.window, 'this window', io, now);
    if (typeof current === 'number') return current;
    const report = await processBatches(
      current.batches,
      {
        dryRun: true,
        maxPathsPerTask: 100,
        busyDelaySeconds: config.busyDelaySeconds,
        reportPath: config.reportPath,
        region: consoleRegion(region, io.env),
      },
      undefined,
    );
    // The batches are no longer needed; the report keeps only parsed records.
    current.batches.length = 0;

    // Only the previous window's counts are needed: it is read and counted page by page, so it
    // adds one page to the memory of the scan, whatever its size.
    const earlier = previousWindow(options.window);
    let counted = summarizeWindow(earlier, NOTHING);
    const previous = await readWindow(
      client,
      options,
      earlier,
      'previous window',
      io,
      now,
      (batches) => {
        counted = mergeSummaries(counted, summarizeWindow(earlier, analyzeBatches(batches)));
      },
    );
    let trend: Trend | undefined;
    let status = EXIT_OK;
    if (typeof previous === 'number') {
      complain(io, 'the trend is left out: the previous window could not be read');
      status = previous;
    } else {
      trend = compareWindows(summarizeWindow(options.window, report), counted);
    }

    const heading = `Scan of ${sanitize(options.logGroup)}${
      options.fileSystemId === undefined ? '' : ` (${options.fileSystemId})`
    }, ${describeWindow(options.window)}`;
    if (format === 'json') {
      io.stdout(
        line(
          jsonDocumentText({
            ...toJsonReport(report),
            scan: {
              logGroup: options.logGroup,
              fileSystemId: options.fileSystemId ?? null,
              window: {
                start: new Date(options.window.start).toISOString(),
                end: new Date(options.window.end).toISOString(),
              },
              eventsRead: current.events,
              pages: current.pages,
            },
            trend: trend === undefined ? null : trendToJson(trend),
          }),
        ),
      );
    } else if (format === 'email') {
      printReport(report, 'email', io);
      io.stdout(`\n${heading}\n\n`);
      if (trend !== undefined) io.stdout(renderTrendEmail(trend));
    } else {
      io.stdout(`${heading}\n\n`);
      printReport(report, 'terminal', io);
      if (trend !== undefined) {
        io.stdout(`\n${renderTrendTerminal(trend, { color: useColor(io) })}`);
      }
    }
    return status;
  } finally {
    client.destroy();
  }
}

export type { ScanDeps, WindowOptions };
export { command, help, readWindow, WINDOW_ARGS, windowOptions };

import { parseArgs } from 'node:util';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { analyzeBatches, toJsonDocument } from '../lib/analyze/analysis.ts';
import { processBatches } from '../lib/analyze/pipeline.ts';
import { createLogsClient, createLogWindowReader, DEFAULT_MAX_EVENTS } from '../lib/aws/logs.ts';
import { loadConfig } from '../lib/common/config.ts';
import { DEFAULT_LOG_GROUP } from '../lib/common/fsx.ts';
import type { LogWindow, LogWindowPort } from '../lib/common/ports.ts';
import { sanitize } from '../lib/common/text.ts';
import type { Report } from '../lib/common/types.ts';
import { histogramLines } from '../lib/render/histogram.ts';
import { section } from '../lib/render/layout.ts';
import { type FailureHistogram, failureHistogram, histogramToJson } from '../lib/scan/histogram.ts';
import {
  compareWindows,
  mergeSummaries,
  renderTrendEmail,
  renderTrendTerminal,
  summarizeWindow,
  type Trend,
  trendToJson,
  type WindowSummary,
} from '../lib/scan/trend.ts';
import { describeWindow, previousWindow } from '../lib/scan/window.ts';
import {
  complain,
  consoleRegion,
  EXIT_OK,
  type Io,
  PROGRAM,
  parseOrUsage,
  printJson,
  printReport,
  type ReportFormat,
  reportFormat,
  useColor,
} from './common.ts';
import {
  joinDashedTimes,
  PROGRESS_EVERY_PAGES,
  readWindow,
  WINDOW_ARGS,
  type WindowOptions,
  windowOptions,
} from './log-window.ts';

/*
 * `scan`: reads a time window of the FSx event log group from CloudWatch Logs (FilterLogEvents),
 * prints the same report as `analyze` (a dry run: nothing is started), and a trend against the
 * previous window of the same length. Loaded lazily by cli/main.ts, so the SDK loads only here.
 */

/** An analysis of no events: where counting a streamed window starts. */
const NOTHING = { events: 0, records: [], unparseable: [] } as const;

const help = `Usage: ${PROGRAM} scan [--log-group NAME] [options]

Reads the window [--since, --until) of a log group from CloudWatch Logs (FilterLogEvents, every
page), prints the same report as "analyze" (a dry run: nothing is started or published), and a
trend against the previous window of the same length: failures per class then and now, new
error codes, file systems that started or stopped failing; then the failures over time, one
row per class, one column per time bucket (at most 30, of a round length).

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
                          ${DEFAULT_MAX_EVENTS}; about 0.7 KiB of memory each; the previous window
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

/**
 * Reads the window before `options.window` and counts it: only its counts are needed, so it is
 * read and counted page by page and adds one page to the memory of the scan, whatever its size.
 * The exit status instead when it could not be read.
 */
async function countPrevious(
  logs: LogWindowPort,
  options: WindowOptions,
  io: Io,
  now: () => number,
): Promise<WindowSummary | number> {
  const earlier = previousWindow(options.window);
  let counted = summarizeWindow(earlier, NOTHING);
  const previous = await readWindow(
    logs,
    options,
    earlier,
    'previous window',
    io,
    now,
    (batches) => {
      counted = mergeSummaries(counted, summarizeWindow(earlier, analyzeBatches(batches)));
    },
  );
  return typeof previous === 'number' ? previous : counted;
}

/** What a scan prints: the report, the trend (unless the previous window failed), the read. */
interface ScanResult {
  readonly report: Report;
  readonly trend: Trend | undefined;
  readonly read: LogWindow;
  readonly options: WindowOptions;
}

/**
 * The failures over time, per class: block characters for a terminal, ASCII for an email; a line
 * for records without a time. Empty without failures.
 */
function histogramText(histogram: FailureHistogram, ascii: boolean): string {
  const bars = histogramLines(histogram, { ascii });
  const untimed =
    histogram.untimed > 0
      ? [`  ${histogram.untimed} record(s) without a time are not in the histogram.`]
      : [];
  if (bars.length === 0 && untimed.length === 0) return '';
  const lines = ascii
    ? section('FAILURES OVER TIME', [...bars, ...untimed])
    : ['Failures over time, per class:', ...bars, ...untimed];
  return `${lines.join('\n')}\n`;
}

/** Prints the scan as --json, --email or for the terminal. */
async function printScan(format: ReportFormat, scan: ScanResult, io: Io): Promise<void> {
  const { report, trend, read, options } = scan;
  const histogram = failureHistogram(options.window, report.records);
  const heading = `Scan of ${sanitize(options.logGroup)}${
    options.fileSystemId === undefined ? '' : ` (${options.fileSystemId})`
  }, ${describeWindow(options.window)}`;
  if (format === 'json') {
    await printJson(
      {
        ...toJsonDocument(report),
        scan: {
          logGroup: options.logGroup,
          fileSystemId: options.fileSystemId ?? null,
          window: {
            start: new Date(options.window.start).toISOString(),
            end: new Date(options.window.end).toISOString(),
          },
          eventsRead: read.events,
          pages: read.pages,
        },
        trend: trend === undefined ? null : trendToJson(trend),
        histogram: histogramToJson(histogram),
      },
      io,
    );
  } else if (format === 'email') {
    await printReport(report, 'email', io);
    io.stdout(`\n${heading}\n\n`);
    if (trend !== undefined) io.stdout(renderTrendEmail(trend));
    const text = histogramText(histogram, true);
    if (text !== '') io.stdout(`\n${text}`);
  } else {
    io.stdout(`${heading}\n\n`);
    await printReport(report, 'terminal', io);
    if (trend !== undefined) {
      io.stdout(`\n${renderTrendTerminal(trend, { color: useColor(io) })}`);
    }
    const text = histogramText(histogram, false);
    if (text !== '') io.stdout(`\n${text}`);
  }
}

/** Runs `scan`; see `help`. */
async function command(args: string[], io: Io, deps: ScanDeps = {}): Promise<number> {
  const { values } = parseOrUsage('scan', () =>
    parseArgs({
      args: joinDashedTimes(args),
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
    const logs = createLogWindowReader(client);
    const current = await readWindow(logs, options, options.window, 'this window', io, now);
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
    // Drops our list of the batches. A lean record keeps its log event and batch (the batch's
    // whole event array with it), so this frees only the batches no record comes from (those of
    // unparseable events only: an unparseable event keeps copies of its strings, not its batch).
    current.batches.length = 0;

    const previous = await countPrevious(logs, options, io, now);
    let trend: Trend | undefined;
    let status = EXIT_OK;
    if (typeof previous === 'number') {
      complain(io, 'the trend is left out: the previous window could not be read');
      status = previous;
    } else {
      trend = compareWindows(summarizeWindow(options.window, report), previous);
    }

    await printScan(format, { report, trend, read: current, options }, io);
    return status;
  } finally {
    client.destroy();
  }
}

export type { ScanDeps };
export { command, help };

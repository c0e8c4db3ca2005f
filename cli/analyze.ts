import { parseArgs } from 'node:util';
import { ReportFold } from '../lib/analyze/fold.ts';
import { type PipelineOptions, processBatches } from '../lib/analyze/pipeline.ts';
import { loadConfig } from '../lib/common/config.ts';
import { InputError } from '../lib/common/errors.ts';
import { DEFAULT_LOG_GROUP } from '../lib/common/fsx.ts';
import type { LogBatch, Report } from '../lib/common/types.ts';
import { readAssociations } from '../lib/input/associations.ts';
import type { BatchSink, InputContext } from '../lib/input/read.ts';
import {
  checkFileSystemId,
  checkRegion,
  complain,
  consoleRegion,
  EXIT_OK,
  EXIT_USAGE,
  type Io,
  PROGRAM,
  parseOrUsage,
  printReport,
  reportFormat,
  UsageError,
} from './common.ts';
import { expandSources, readSource, readText } from './sources.ts';

/*
 * `analyze`: reads log files in any of the forms the CLI recognises and prints the report the
 * Lambda would publish. A dry run: it never calls AWS and loads no AWS SDK code.
 */

const help = `Usage: ${PROGRAM} analyze [--json | --email] [options] FILE... | -

Analyses FSx data repository event logs and prints a report. A dry run: it never calls AWS,
starts nothing and publishes nothing; the re-exports it lists are what the Lambda would start.

Each FILE is recognised by its content (never its name), gzipped or not, and may hold:
  - a Lambda event { "awslogs": { "data": ... } }, or one per line (NDJSON)
  - a decoded subscription payload { "messageType", "logGroup", "logStream", "logEvents", ... }
  - a Kinesis event whose records carry subscription payloads (Records[].kinesis.data)
  - a record of the stack's on-failure queue (requestPayload holds the batch), or the output of
    "aws sqs receive-message" holding such records
  - the JSON output of "aws logs filter-log-events", or its events one per line (jq -c '.events[]')
  - a JSON array of any of those
  - log lines, as "aws logs tail" prints them (TIME STREAM MESSAGE), as an export to S3 writes
    them (TIME MESSAGE), or bare messages (event ids are FILE:LINE; no time known)
A FILE may be a folder: every file below it is read, in path order (an export to S3 synced to
disk, <prefix>/<task id>/<log stream>/000000.gz, gives each object its folder's log stream).
"-" reads standard input. An unreadable file is reported on stderr and the others are still
analysed (exit status 2); when no FILE can be read, no report is printed. Files over 8 MiB are
read line by line with their progress on stderr. Past 50,000 events each batch is counted as it
is read, so memory grows with distinct paths, not with the input; --json then lists the first
1,000 items of each list and says how many it left out ("truncated").

Options:
  --json                  print the report as one JSON document
  --email                 print the email the Lambda would publish (Subject:, blank line, body)
  --log-group NAME        log group of raw lines and filter-log-events output
                          (default ${DEFAULT_LOG_GROUP})
  --log-stream NAME       log stream of raw lines (default datarepo_<file-system-id>, else unknown)
  --file-system-id ID     file system of raw lines, and of any log stream whose name has none
  --associations FILE     the JSON of "aws fsx describe-data-repository-associations": maps
                          records that name only an S3 key to paths, and gives each task's
                          completion report path (without REPORT_PATH), as the Lambda does;
                          a task it gives none gets a note, or would be refused (NoReportPath)
  --region REGION         Region for console links (default AWS_REGION, AWS_DEFAULT_REGION)
  -h, --help              this text

Environment: BUSY_DELAY_SECONDS (default 600), MAX_PATHS_PER_TASK (default 100), REPORT_PATH,
MAX_DECOMPRESSED_BYTES, NO_COLOR.
`;

/**
 * From this many events, `analyze` folds each batch into the report as it is read
 * (lib/analyze/fold.ts) instead of holding every record: memory then grows with the distinct
 * paths, not with the input. Below it, the report is exactly the Lambda's.
 */
const FOLD_FROM_EVENTS = 50_000;
/**
 * Once folding, a file hands its batches over in smaller steps: less is held at a time, and
 * what is dropped dies young, so the heap stays small instead of filling with garbage.
 */
const FOLD_STEP_EVENTS = 4_096;

/** Takes batches as the FILE arguments are read, and holds them or folds them. */
class Batches {
  readonly #options: PipelineOptions;
  #held: LogBatch[] = [];
  #heldEvents = 0;
  #fold: ReportFold | undefined;
  /** Events taken so far (to tell whether a file that failed had already given some). */
  taken = 0;

  constructor(options: PipelineOptions) {
    this.#options = options;
  }

  readonly sink: BatchSink = (() => {
    const batches = this;
    return {
      get everyEvents() {
        return batches.#fold === undefined ? FOLD_FROM_EVENTS : FOLD_STEP_EVENTS;
      },
      take: (taken: LogBatch[]) => batches.take(taken),
    };
  })();

  take(batches: readonly LogBatch[]): void {
    for (const batch of batches) {
      this.taken += batch.events.length;
      if (this.#fold !== undefined) {
        this.#fold.add(batch);
        continue;
      }
      this.#held.push(batch);
      this.#heldEvents += batch.events.length;
    }
    if (this.#fold === undefined && this.#heldEvents >= FOLD_FROM_EVENTS) {
      this.#fold = new ReportFold(this.#options);
      for (const batch of this.#held) this.#fold.add(batch);
      this.#held = [];
    }
  }

  /** The report of every batch taken. */
  async report(skippedMessages: number): Promise<Report> {
    if (this.#fold !== undefined) return this.#fold.report(skippedMessages);
    return processBatches(this.#held, this.#options, undefined, skippedMessages);
  }
}

/** How many FILE arguments could (not) be read, and the control messages they skipped. */
interface Inputs {
  readonly skippedMessages: number;
  readonly bad: number;
  readonly good: number;
}

/** Reads every FILE argument; each one that cannot be read is reported on one stderr line. */
async function readAll(
  args: readonly string[],
  io: Io,
  context: InputContext,
  batches: Batches,
): Promise<Inputs> {
  let skippedMessages = 0;
  let bad = 0;
  let good = 0;
  for (const source of await expandSources(args, 'analyze', { folders: true })) {
    if ('problem' in source) {
      complain(io, `${source.name}: ${source.problem}`);
      bad++;
      continue;
    }
    const before = batches.taken;
    try {
      const input = await readSource(source, context, io, batches.sink);
      batches.take(input.batches);
      skippedMessages += input.skippedMessages;
      for (const note of input.notes) complain(io, `${source.name}: ${note}`);
      good++;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      // A huge file hands its events over while it is read: those before the error stay counted.
      const partly =
        batches.taken > before
          ? ` (its first ${batches.taken - before} events are in the report)`
          : '';
      complain(io, `${source.name}: ${error.message}${partly}`);
      bad++;
    }
  }
  return { skippedMessages, bad, good };
}

/** `--associations FILE`, read and checked before any log file; a bad one is a usage error. */
async function associationsOption(file: string | undefined, io: Io) {
  if (file === undefined) return undefined;
  try {
    const text = await readText({ name: file, path: file === '-' ? undefined : file }, io);
    return { source: file, byFileSystem: readAssociations(text) };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new UsageError(`--associations ${file}: ${error.message}`, 'analyze');
  }
}

/** The stderr line of `analyze --email` without a Region (docs/cli.md, "Links need a Region"). */
const NO_REGION_NOTE =
  'no AWS Region (--region, AWS_REGION or AWS_DEFAULT_REGION): the email leaves out the console and Logs Insights links the Lambda would include';

/** Runs `analyze`; see `help`. */
async function command(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOrUsage('analyze', () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean' },
        email: { type: 'boolean' },
        'log-group': { type: 'string' },
        'log-stream': { type: 'string' },
        'file-system-id': { type: 'string' },
        region: { type: 'string' },
        associations: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    io.stdout(help);
    return EXIT_OK;
  }
  const format = reportFormat(values, 'analyze');
  // Before the FILE check: a file name taken as the Region would otherwise leave "no FILE".
  checkRegion(values.region, 'analyze');
  if (positionals.length === 0) {
    throw new UsageError('no FILE given (use - to read standard input)', 'analyze');
  }
  checkFileSystemId(values['file-system-id'], 'analyze');
  // The Lambda's own validation, so a value the Lambda would reject is rejected here too.
  const { BUSY_DELAY_SECONDS, MAX_PATHS_PER_TASK, REPORT_PATH, MAX_DECOMPRESSED_BYTES } = io.env;
  const config = loadConfig({
    DRY_RUN: 'true',
    BUSY_DELAY_SECONDS,
    MAX_PATHS_PER_TASK,
    REPORT_PATH,
    MAX_DECOMPRESSED_BYTES,
  });
  const knownAssociations = await associationsOption(values.associations, io);
  const context: InputContext = {
    logGroup: values['log-group'],
    logStream: values['log-stream'],
    fileSystemId: values['file-system-id'],
    maxDecompressedBytes: config.maxDecompressedBytes,
  };

  const region = consoleRegion(values.region, io.env);
  const batches = new Batches({
    dryRun: true,
    maxPathsPerTask: config.maxPathsPerTask,
    busyDelaySeconds: config.busyDelaySeconds,
    reportPath: config.reportPath,
    region,
    ...(knownAssociations === undefined ? {} : { knownAssociations }),
  });
  const { skippedMessages, bad, good } = await readAll(positionals, io, context, batches);
  // Nothing readable: an empty report would only hide the errors above.
  if (good === 0 && batches.taken === 0) return EXIT_USAGE;

  await printReport(await batches.report(skippedMessages), format, io);
  // --email is the message the Lambda (which always knows its Region) would publish: say on
  // stderr, not in the message, that this one lacks its links.
  if (format === 'email' && region === undefined) complain(io, NO_REGION_NOTE);
  return bad > 0 ? EXIT_USAGE : EXIT_OK;
}

export { command, help };

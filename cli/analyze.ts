import { parseArgs } from 'node:util';
import { processBatches } from '../lib/analyze/pipeline.ts';
import { loadConfig } from '../lib/common/config.ts';
import { InputError } from '../lib/common/errors.ts';
import { DEFAULT_LOG_GROUP } from '../lib/common/fsx.ts';
import type { LogBatch } from '../lib/common/types.ts';
import { readAssociations } from '../lib/input/associations.ts';
import type { InputContext } from '../lib/input/read.ts';
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
read line by line with their progress on stderr.

Options:
  --json                  print the report as one JSON document
  --email                 print the email the Lambda would publish (Subject:, blank line, body)
  --log-group NAME        log group of raw lines and filter-log-events output
                          (default ${DEFAULT_LOG_GROUP})
  --log-stream NAME       log stream of raw lines (default datarepo_<file-system-id>, else unknown)
  --file-system-id ID     file system of raw lines, and of any log stream whose name has none
  --associations FILE     the JSON of "aws fsx describe-data-repository-associations": maps
                          records that name only an S3 key to paths, as the Lambda does
  --region REGION         Region for console links (default AWS_REGION, AWS_DEFAULT_REGION)
  -h, --help              this text

Environment: BUSY_DELAY_SECONDS (default 600), MAX_PATHS_PER_TASK (default 100), REPORT_PATH,
MAX_DECOMPRESSED_BYTES, NO_COLOR.
`;

/** What the FILE arguments gave: their batches, and how many could (not) be read. */
interface Inputs {
  readonly batches: LogBatch[];
  readonly skippedMessages: number;
  readonly bad: number;
  readonly good: number;
}

/** Reads every FILE argument; each one that cannot be read is reported on one stderr line. */
async function readAll(args: readonly string[], io: Io, context: InputContext): Promise<Inputs> {
  const batches: LogBatch[] = [];
  let skippedMessages = 0;
  let bad = 0;
  let good = 0;
  for (const source of await expandSources(args, 'analyze', { folders: true })) {
    if ('problem' in source) {
      complain(io, `${source.name}: ${source.problem}`);
      bad++;
      continue;
    }
    try {
      const input = await readSource(source, context, io);
      batches.push(...input.batches);
      skippedMessages += input.skippedMessages;
      for (const note of input.notes) complain(io, `${source.name}: ${note}`);
      good++;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      complain(io, `${source.name}: ${error.message}`);
      bad++;
    }
  }
  return { batches, skippedMessages, bad, good };
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

  const { batches, skippedMessages, bad, good } = await readAll(positionals, io, context);
  // Nothing readable: an empty report would only hide the errors above.
  if (good === 0) return EXIT_USAGE;

  const report = await processBatches(
    batches,
    {
      dryRun: true,
      maxPathsPerTask: config.maxPathsPerTask,
      busyDelaySeconds: config.busyDelaySeconds,
      reportPath: config.reportPath,
      region: consoleRegion(values.region, io.env),
      ...(knownAssociations === undefined ? {} : { knownAssociations }),
    },
    undefined,
    skippedMessages,
  );
  printReport(report, format, io);
  return bad > 0 ? EXIT_USAGE : EXIT_OK;
}

export { command, help };

import { constants as bufferConstants } from 'node:buffer';
import { createHash, randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Context } from 'aws-lambda';
import { decodeLambdaEvent } from '../lib/analyze/decode.ts';
import { processBatches } from '../lib/analyze/pipeline.ts';
import type { InputContext } from '../lib/input/read.ts';
import { loadConfig } from '../lib/shared/config.ts';
import {
  AnalyzerError,
  ConfigError,
  DecodeError,
  describeError,
  InputError,
} from '../lib/shared/errors.ts';
import { DEFAULT_LOG_GROUP } from '../lib/shared/fsx.ts';
import type { LogBatch } from '../lib/shared/types.ts';
import {
  type Command,
  checkFileSystemId,
  complain,
  consoleRegion,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type Io,
  isDebug,
  line,
  PROGRAM,
  parseOrUsage,
  printReport,
  reportFormat,
  setting,
  UsageError,
  VERSION,
} from './common.ts';
import { expandSources, readSource, readText } from './inputs.ts';

/*
 * The command-line interface. Only pure lib/ modules are imported statically: `analyze` must run
 * without AWS credentials and without loading the AWS SDK. The Lambda handler (and with it the
 * SDK) is imported dynamically by `invoke` alone, which esbuild turns into a separate chunk.
 */

/** Extensions `analyze DIR` reads; anything else in the directory is ignored. */
/** make-event defaults: the documented example stream, and a fixed start so output is stable. */
const DEFAULT_OWNER = '123456789012';
const DEFAULT_EVENT_STREAM = 'datarepo_fs-0123456789abcdef0';
const DEFAULT_START_TIME = '2025-11-25T12:00:00.000Z';
const HELP = `${PROGRAM} ${VERSION}
Reads Amazon FSx for Lustre data repository event logs, classifies automatic-export failures
and shows which files a retry would re-export.

Usage:
  ${PROGRAM} analyze [options] FILE... | -     analyse log files; dry run, never calls AWS
  ${PROGRAM} invoke FILE [--dry-run]           run the Lambda handler on a Lambda event file
  ${PROGRAM} make-event [options] FILE... | -  turn raw log lines into a Lambda event
  ${PROGRAM} scan [--since 24h] [options]      analyse a window read from CloudWatch Logs, and
                                                        its trend against the window before it
  ${PROGRAM} reexport --class CLASS [options]  after a fix, re-export what failed with CLASS
  ${PROGRAM} doctor [options]                  check that export failures are being watched
  ${PROGRAM} <command> --help                  options of one command
  ${PROGRAM} --help | -h                       this text
  ${PROGRAM} --version                         the version

Exit status: 0 success; 1 unexpected error, the handler failed (invoke), an AWS call failed
(scan), a re-export was refused (reexport) or something is wrong (doctor); 2 bad usage, bad
configuration, an unreadable input file, or AWS access missing.
scan, reexport and doctor call AWS with the standard settings (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL...); analyze, invoke --dry-run and make-event never do.
Set DEBUG=1 to print stack traces of unexpected errors.
`;

const ANALYZE_HELP = `Usage: ${PROGRAM} analyze [--json | --email] [options] FILE... | -

Analyses FSx data repository event logs and prints a report. A dry run: it never calls AWS,
starts nothing and publishes nothing; the re-exports it lists are what the Lambda would start.

Each FILE is detected on its own and may hold:
  - a Lambda event { "awslogs": { "data": ... } }, or one per line (NDJSON)
  - a decoded subscription payload { "messageType", "logGroup", "logStream", "logEvents", ... }
  - a JSON array of Lambda events or payloads
  - the JSON output of "aws logs filter-log-events" (one batch per log stream)
  - raw log messages, one per line (blank lines ignored; event ids are FILE:LINE, time 0)
A FILE may be a directory: its *.json, *.ndjson, *.log and *.txt files are read in name order.
"-" reads standard input. An unreadable file is reported on stderr and the others are still
analysed (exit status 2); when no FILE can be read, no report is printed.

Options:
  --json                  print the report as one JSON document
  --email                 print the email the Lambda would publish (Subject:, blank line, body)
  --log-group NAME        log group of raw lines and filter-log-events output
                          (default ${DEFAULT_LOG_GROUP})
  --log-stream NAME       log stream of raw lines (default datarepo_<file-system-id>, else unknown)
  --file-system-id ID     file system of raw lines, and of any log stream whose name has none
  --region REGION         Region for console links (default AWS_REGION, AWS_DEFAULT_REGION)
  -h, --help              this text

Environment: BUSY_DELAY_SECONDS (default 600), REPORT_PATH, MAX_DECOMPRESSED_BYTES, NO_COLOR.
`;

const INVOKE_HELP = `Usage: ${PROGRAM} invoke FILE [--dry-run]

Runs the real Lambda handler once on a Lambda event file (FILE, or - for standard input) with a
fake Lambda context, and prints the handler's result as JSON on stdout. The handler's own log
lines go to stderr. The handler reads its configuration from the environment (SUMMARY_TOPIC_ARN,
REPORT_PATH, BUSY_DELAY_SECONDS, ...) and, without --dry-run, calls FSx and SNS with the AWS
credentials of the environment.

Options:
  --dry-run     set DRY_RUN=true: plan only, start no task, publish nothing
  -h, --help    this text

Exit status: 0 the handler returned; 1 the handler threw; 2 bad usage, file or configuration.
`;

const MAKE_EVENT_HELP = `Usage: ${PROGRAM} make-event [options] FILE... | -

Turns raw log messages (one per line, blank lines ignored; all FILEs in order, "-" for standard
input) into the Lambda event CloudWatch Logs would send: { "awslogs": { "data": base64(gzip(
payload)) } }, printed on stdout. Event ids and timestamps are deterministic: the n-th line
(from 0) gets --start-time + n seconds, and its id is derived from that time, n and the stream.

Options:
  --log-group NAME        log group (default ${DEFAULT_LOG_GROUP})
  --log-stream NAME       log stream (default ${DEFAULT_EVENT_STREAM})
  --file-system-id ID     use the log stream datarepo_ID (instead of --log-stream)
  --owner ACCOUNT         owner account id (default ${DEFAULT_OWNER})
  --start-time ISO        time of the first event (default ${DEFAULT_START_TIME})
  -h, --help              this text
`;

const COMMAND_HELP: Record<string, string> = {
  analyze: ANALYZE_HELP,
  invoke: INVOKE_HELP,
  'make-event': MAKE_EVENT_HELP,
};

/** Commands that call AWS, each in its own lazily loaded module. */
const AWS_COMMANDS = {
  scan: () => import('./scan.ts'),
  reexport: () => import('./reexport.ts'),
  doctor: () => import('./doctor.ts'),
} satisfies Record<string, () => Promise<Command>>;

async function analyze(args: string[], io: Io): Promise<number> {
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
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    io.stdout(ANALYZE_HELP);
    return EXIT_OK;
  }
  const format = reportFormat(values, 'analyze');
  if (positionals.length === 0) {
    throw new UsageError('no FILE given (use - to read standard input)', 'analyze');
  }
  checkFileSystemId(values['file-system-id'], 'analyze');
  // The Lambda's own validation, so a value the Lambda would reject is rejected here too.
  const { BUSY_DELAY_SECONDS, REPORT_PATH, MAX_DECOMPRESSED_BYTES } = io.env;
  const config = loadConfig({
    DRY_RUN: 'true',
    BUSY_DELAY_SECONDS,
    REPORT_PATH,
    MAX_DECOMPRESSED_BYTES,
  });
  const context: InputContext = {
    logGroup: values['log-group'],
    logStream: values['log-stream'],
    fileSystemId: values['file-system-id'],
    maxDecompressedBytes: config.maxDecompressedBytes,
  };

  const batches: LogBatch[] = [];
  let skippedMessages = 0;
  let bad = 0;
  let good = 0;
  for (const source of await expandSources(positionals, 'analyze', { folders: true })) {
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
  // Nothing readable: an empty report would only hide the errors above.
  if (good === 0) return EXIT_USAGE;

  const report = await processBatches(
    batches,
    {
      dryRun: true,
      maxPathsPerTask: 100,
      busyDelaySeconds: config.busyDelaySeconds,
      reportPath: config.reportPath,
      region: consoleRegion(values.region, io.env),
    },
    undefined,
    skippedMessages,
  );
  printReport(report, format, io);
  return bad > 0 ? EXIT_USAGE : EXIT_OK;
}

/** A Lambda context good enough for the handler: names, a request id, a 5-minute deadline. */
function fakeContext(region: string): Context {
  const deadline = Date.now() + 5 * 60 * 1000;
  const functionName = PROGRAM;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${DEFAULT_OWNER}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${PROGRAM}-cli`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Sends everything written to stdout to stderr until the returned function is called: the
 * handler's logger and metrics print to stdout, which must hold only the result.
 */
function stdoutToStderr(): () => void {
  const original = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  return () => {
    process.stdout.write = original;
  };
}

async function invoke(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOrUsage('invoke', () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }),
  );
  if (values.help === true) {
    io.stdout(INVOKE_HELP);
    return EXIT_OK;
  }
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError('no FILE given', 'invoke');
  if (extra.length > 0) throw new UsageError('invoke takes exactly one FILE', 'invoke');
  const source = { name: file === '-' ? 'stdin' : file, path: file === '-' ? undefined : file };
  let text: string;
  try {
    text = await readText(source, io);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${source.name}: ${error.message}`);
    throw error;
  }
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${source.name}: is not valid JSON: ${describeError(error)}`);
  }
  try {
    // Checked here so a bad file is a usage problem (2), not a handler failure (1).
    // No size cap here: the handler applies its own (MAX_DECOMPRESSED_BYTES).
    decodeLambdaEvent(event, bufferConstants.MAX_LENGTH);
  } catch (error) {
    if (error instanceof DecodeError) throw new InputError(`${source.name}: ${error.message}`);
    throw error;
  }

  // The handler reads its configuration when its module loads, so DRY_RUN must be set first.
  if (values['dry-run'] === true) Object.assign(process.env, { DRY_RUN: 'true' });
  const restore = stdoutToStderr();
  let result: unknown;
  try {
    let handler: (event: unknown, context: Context) => Promise<unknown>;
    try {
      ({ handler } = await import('../functions/analyzer.ts'));
    } catch (error) {
      // A configuration error is the caller's to fix (2); anything else is a failure (1).
      if (error instanceof ConfigError) throw error;
      complain(io, `invoke failed: cannot load the handler: ${describeError(error)}`);
      if (isDebug(io.env) && error instanceof Error) io.stderr(line(error.stack ?? ''));
      return EXIT_FAILURE;
    }
    try {
      result = await handler(event, fakeContext(setting(io.env, 'AWS_REGION') ?? 'us-east-1'));
    } catch (error) {
      complain(io, `invoke failed: ${describeError(error)}`);
      if (isDebug(io.env) && error instanceof Error) io.stderr(line(error.stack ?? ''));
      return EXIT_FAILURE;
    }
  } finally {
    restore();
  }
  io.stdout(line(JSON.stringify(result ?? null, null, 2)));
  return EXIT_OK;
}

/**
 * A CloudWatch-like event id: 56 digits, unique per stream and line, the same on every run.
 * The timestamp leads, as in real ids, so ids sort by time.
 */
function eventId(timestamp: number, index: number, logGroup: string, logStream: string): string {
  const digest = createHash('sha256').update(`${logGroup}\0${logStream}`).digest('hex');
  const digits = BigInt(`0x${digest}`).toString().padStart(37, '0').slice(0, 37);
  return `${String(timestamp).padStart(13, '0')}${String(index).padStart(6, '0')}${digits}`;
}

async function makeEvent(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOrUsage('make-event', () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'log-group': { type: 'string' },
        'log-stream': { type: 'string' },
        'file-system-id': { type: 'string' },
        owner: { type: 'string' },
        'start-time': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    io.stdout(MAKE_EVENT_HELP);
    return EXIT_OK;
  }
  if (positionals.length === 0) {
    throw new UsageError('no FILE given (use - to read standard input)', 'make-event');
  }
  const fileSystemId = values['file-system-id'];
  checkFileSystemId(fileSystemId, 'make-event');
  if (fileSystemId !== undefined && values['log-stream'] !== undefined) {
    throw new UsageError('give --log-stream or --file-system-id, not both', 'make-event');
  }
  const startText = values['start-time'] ?? DEFAULT_START_TIME;
  const start = Date.parse(startText);
  if (!Number.isFinite(start)) {
    throw new UsageError(
      `--start-time must be an ISO-8601 time (got "${startText}")`,
      'make-event',
    );
  }
  const logGroup = values['log-group'] ?? DEFAULT_LOG_GROUP;
  const logStream =
    fileSystemId === undefined
      ? (values['log-stream'] ?? DEFAULT_EVENT_STREAM)
      : `datarepo_${fileSystemId}`;

  const messages: string[] = [];
  let bad = 0;
  for (const source of await expandSources(positionals, 'make-event', { folders: false })) {
    if ('problem' in source) {
      complain(io, `${source.name}: ${source.problem}`);
      bad++;
      continue;
    }
    let text: string;
    try {
      text = await readText(source, io);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      complain(io, `${source.name}: ${error.message}`);
      bad++;
      continue;
    }
    const lines = text
      .replace(/^\uFEFF/, '')
      .split(/\r?\n/)
      .filter((message) => message.trim().length > 0);
    if (lines.length === 0) {
      complain(io, `${source.name}: is empty`);
      bad++;
      continue;
    }
    messages.push(...lines);
  }
  // A partial event would silently lack the bad file's lines.
  if (bad > 0) return EXIT_USAGE;

  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: values.owner ?? DEFAULT_OWNER,
    logGroup,
    logStream,
    subscriptionFilters: [PROGRAM],
    logEvents: messages.map((message, index) => {
      const timestamp = start + index * 1000;
      return { id: eventId(timestamp, index, logGroup, logStream), timestamp, message };
    }),
  };
  const data = gzipSync(JSON.stringify(payload)).toString('base64');
  io.stdout(line(JSON.stringify({ awslogs: { data } }, null, 2)));
  return EXIT_OK;
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      throw new UsageError('no command given');
    case '--help':
    case '-h':
      io.stdout(HELP);
      return EXIT_OK;
    case 'help': {
      const topic = rest[0];
      if (topic !== undefined && Object.hasOwn(AWS_COMMANDS, topic)) {
        io.stdout((await AWS_COMMANDS[topic as keyof typeof AWS_COMMANDS]()).help);
        return EXIT_OK;
      }
      io.stdout(topic === undefined ? HELP : (COMMAND_HELP[topic] ?? HELP));
      return EXIT_OK;
    }
    case '--version':
      io.stdout(`${VERSION}\n`);
      return EXIT_OK;
    case 'analyze':
      return analyze(rest, io);
    case 'invoke':
      return invoke(rest, io);
    case 'make-event':
      return makeEvent(rest, io);
    case 'scan':
    case 'reexport':
    case 'doctor':
      // These call AWS: their modules (and the SDK) load only when one of them runs.
      return (await AWS_COMMANDS[command]()).command(rest, io);
    default:
      throw new UsageError(
        command.startsWith('-') ? `unknown option "${command}"` : `unknown command "${command}"`,
      );
  }
}

/**
 * Runs the CLI with `argv` (arguments after the program name) and returns the exit status:
 * 0 success, 1 unexpected error or handler failure, 2 usage, configuration or input problem.
 * Expected problems print one line on stderr; a stack trace only for a bug, and only with DEBUG=1.
 */
async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      complain(io, error.message);
      const help = error.command === undefined ? '--help' : `${error.command} --help`;
      io.stderr(`Try "${PROGRAM} ${help}".\n`);
      return EXIT_USAGE;
    }
    if (error instanceof AnalyzerError) {
      complain(io, error.message);
      return EXIT_USAGE;
    }
    if (isDebug(io.env) && error instanceof Error) {
      io.stderr(line(error.stack ?? `${PROGRAM}: ${describeError(error)}`));
    } else {
      complain(io, `unexpected error: ${describeError(error)} (set DEBUG=1 for a stack trace)`);
    }
    return EXIT_FAILURE;
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Asks one question on the terminal (question on stderr, so stdout stays the command's output).
 * Ctrl-C or the end of stdin answers undefined; readline is loaded only when a question is asked.
 */
async function prompt(question: string): Promise<string | undefined> {
  const { createInterface } = await import('node:readline');
  return new Promise((resolve) => {
    const reader = createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    const finish = (answer: string | undefined) => {
      if (answered) return;
      answered = true;
      reader.close();
      resolve(answer);
    };
    reader.on('SIGINT', () => {
      process.stderr.write('\n');
      finish(undefined);
    });
    reader.on('close', () => finish(undefined));
    reader.question(question, (answer) => finish(answer));
  });
}

/** Exit status of a process ended by Ctrl-C (128 + SIGINT), as shells report it. */
const EXIT_INTERRUPTED = 130;

/** Runs the CLI on this process: its arguments, streams and environment; sets the exit code. */
async function run(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // `... | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    throw error;
  });
  // The SDK warns on every AWS command that its releases after January 2027 need Node 22: news
  // for whoever upgrades the pinned SDK, noise for an operator mid-incident. Set it to false to see it.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  // Ctrl-C in the middle of a long scan: one line, no stack trace, nothing half-printed after it.
  process.once('SIGINT', () => {
    process.stderr.write(`\n${PROGRAM}: interrupted\n`);
    process.exit(EXIT_INTERRUPTED);
  });
  process.exitCode = await main(argv, {
    stdout: (text) => {
      process.stdout.write(text);
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
    readStdin,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    prompt,
  });
}

/** True when this module is the program itself (`node dist/cli.js`), not imported. */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) await run();

export type { Io };
export { main, run };

import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AnalyzerError, describeError } from '../lib/common/errors.ts';
import * as analyze from './analyze.ts';
import {
  type Command,
  complain,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  type Io,
  isDebug,
  line,
  PROGRAM,
  UsageError,
  VERSION,
} from './common.ts';
import { outputEncoding } from './output.ts';

/*
 * The command-line interface: the dispatcher, error reporting and the process seam. Each command
 * lives in its own module. Only `analyze` and pure lib/ modules are imported statically: it must
 * run without AWS credentials and without loading the AWS SDK, and it is the command run on large
 * inputs, where start-up counts. Every other command is imported when it runs (esbuild makes each
 * a chunk); the Lambda handler (and with it the SDK) is imported by `invoke` alone.
 */

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
  ${PROGRAM} --version | -v                    the version

Exit status: 0 success; 1 unexpected error, the handler failed (invoke), an AWS call failed
(scan, reexport), a re-export was refused, could not be planned or was not recorded in
LEDGER_TABLE (reexport), or something is wrong (doctor); 2 bad usage, bad configuration, an
unreadable input file, or AWS access missing.
scan, reexport and doctor call AWS with the standard settings (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL...); analyze, invoke --dry-run and make-event never do.
Set DEBUG=1 to print stack traces of unexpected errors.
`;

/** The commands other than `analyze`, each in its own module, loaded when it runs. */
const LAZY_COMMANDS = {
  invoke: () => import('./invoke.ts'),
  'make-event': () => import('./make-event.ts'),
  // These call AWS: their modules (and the SDK) load only when one of them runs.
  scan: () => import('./scan.ts'),
  reexport: () => import('./reexport.ts'),
  doctor: () => import('./doctor.ts'),
} satisfies Record<string, () => Promise<Command>>;

function isLazyCommand(name: string): name is keyof typeof LAZY_COMMANDS {
  return Object.hasOwn(LAZY_COMMANDS, name);
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
      if (topic !== undefined && isLazyCommand(topic)) {
        io.stdout((await LAZY_COMMANDS[topic]()).help);
        return EXIT_OK;
      }
      io.stdout(topic === 'analyze' ? analyze.help : HELP);
      return EXIT_OK;
    }
    case '--version':
    case '-v':
      io.stdout(`${VERSION}\n`);
      return EXIT_OK;
    case 'analyze':
      return analyze.command(rest, io);
    default:
      if (isLazyCommand(command)) return (await LAZY_COMMANDS[command]()).command(rest, io);
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

async function readStdinBytes(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function readStdin(): Promise<string> {
  return (await readStdinBytes()).toString('utf8');
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

/**
 * Resolves when stdout has taken what was written: at once for a file or a terminal (written
 * synchronously), once the reader has emptied the pipe otherwise, or when stdout has closed.
 */
function stdoutDrained(): Promise<void> {
  const stdout = process.stdout;
  if (!stdout.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stdout.off('drain', done);
      stdout.off('close', done);
      resolve();
    };
    stdout.on('drain', done);
    stdout.on('close', done);
  });
}

/** Exit status of a process ended by Ctrl-C (128 + SIGINT), as shells report it. */
const EXIT_INTERRUPTED = 130;

/** Runs the CLI on this process: its arguments, streams and environment; sets the exit code. */
async function run(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // `... | head` closes the pipe early; that is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    // Output that cannot be written (a full disk, a closed descriptor): one line, no stack trace.
    process.stderr.write(`${PROGRAM}: cannot write the output: ${error.code ?? error.message}\n`);
    process.exit(EXIT_FAILURE);
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
      process.stdout.write(text, outputEncoding(text));
    },
    stderr: (text) => {
      process.stderr.write(text);
    },
    readStdin,
    readStdinBytes,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    prompt,
    drain: stdoutDrained,
  });
  // The command has finished and awaited everything it started. Once what it wrote has reached
  // the pipe or file, end here: after a large input, tearing the heap down on a natural exit
  // takes longer than the rest of the exit (31 -> 15 ms after a 10k-event batch), and nothing
  // written is lost, since the reader gets what the pipe holds after the process is gone.
  await written(process.stdout);
  await written(process.stderr);
  process.exit();
}

/** Resolves once every write so far to `stream` has been handed to the pipe, file or terminal. */
function written(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  // Writes complete in order: the callback of an empty write comes after all earlier ones.
  return new Promise((resolve) => stream.write('', () => resolve()));
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

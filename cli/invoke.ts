import { constants as bufferConstants } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Context } from 'aws-lambda';
import { decodeLambdaEvent } from '../lib/analyze/decode.ts';
import { ConfigError, DecodeError, describeError, InputError } from '../lib/common/errors.ts';
import {
  complain,
  DEFAULT_OWNER,
  EXIT_FAILURE,
  EXIT_OK,
  type Io,
  isDebug,
  line,
  PROGRAM,
  parseOrUsage,
  setting,
  UsageError,
} from './common.ts';
import { linesAdvice } from './make-event.ts';
import { readText } from './sources.ts';

/*
 * `invoke`: runs the real Lambda handler once on a Lambda event file. The handler, and with it
 * the AWS SDK, is imported dynamically when the command runs (esbuild makes it a separate chunk).
 */

const help = `Usage: ${PROGRAM} invoke FILE [--dry-run]

Runs the real Lambda handler once on a Lambda event file (FILE, or - for standard input) with a
fake Lambda context, and prints the handler's result as JSON on stdout. A JSON array of events
(what make-event prints when its input names several log streams) is run event by event, and
the results are printed as an array. The handler's own log lines go to stderr. The handler reads
its configuration from the environment (SUMMARY_TOPIC_ARN, REPORT_PATH, BUSY_DELAY_SECONDS, ...)
and, without --dry-run, calls FSx and SNS with the AWS credentials of the environment.

Options:
  --dry-run     set DRY_RUN=true: plan only, start no task, publish nothing
  -h, --help    this text

Exit status: 0 the handler returned; 1 the handler threw; 2 bad usage, file or configuration.
`;

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

/**
 * Whether text that is not one JSON document reads as log lines: it does not open a JSON document,
 * or its first line is a whole JSON document of its own (FSx's JSON records, one per line). A JSON
 * document cut or broken part-way is neither: its parser error says where.
 */
function looksLikeLogLines(text: string): boolean {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return true;
  const first = trimmed.split(/\r?\n/, 1)[0] ?? '';
  try {
    JSON.parse(first);
    return first.length < trimmed.trimEnd().length;
  } catch {
    return false;
  }
}

/**
 * Reads FILE (or standard input for `-`) as a Lambda event, or a JSON array of them. A file that
 * is not one is an InputError naming it: a usage problem (2), not a handler failure (1).
 */
async function readEvents(file: string, io: Io): Promise<unknown[]> {
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
    if (looksLikeLogLines(text)) {
      throw new InputError(`${source.name}: ${linesAdvice(text, source.name, file)}`);
    }
    throw new InputError(`${source.name}: is not valid JSON: ${describeError(error)}`);
  }
  // `make-event` prints a JSON array of events, one per log stream, when its input names several.
  const events = Array.isArray(event) && event.length > 0 ? event : [event];
  events.forEach((item, index) => {
    const where = events.length > 1 || Array.isArray(event) ? `item ${index + 1}: ` : '';
    try {
      // Checked here so a bad file is a usage problem (2), not a handler failure (1).
      // No size cap here: the handler applies its own (MAX_DECOMPRESSED_BYTES).
      decodeLambdaEvent(item, bufferConstants.MAX_LENGTH);
    } catch (error) {
      if (error instanceof DecodeError) {
        throw new InputError(`${source.name}: ${where}${error.message}`);
      }
      throw error;
    }
  });
  return events;
}

/** Runs `invoke`; see `help`. */
async function command(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOrUsage('invoke', () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    }),
  );
  if (values.help === true) {
    io.stdout(help);
    return EXIT_OK;
  }
  const [file, ...extra] = positionals;
  if (file === undefined) throw new UsageError('no FILE given', 'invoke');
  if (extra.length > 0) throw new UsageError('invoke takes exactly one FILE', 'invoke');
  const events = await readEvents(file, io);

  // The handler reads its configuration when its module loads, so DRY_RUN must be set first.
  if (values['dry-run'] === true) Object.assign(process.env, { DRY_RUN: 'true' });
  const restore = stdoutToStderr();
  const results: unknown[] = [];
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
      // One invocation per event, in order, as Lambda would receive them.
      for (const event of events) {
        const result = await handler(
          event,
          fakeContext(setting(io.env, 'AWS_REGION') ?? 'us-east-1'),
        );
        results.push(result ?? null);
      }
    } catch (error) {
      const which = events.length > 1 ? ` (event ${results.length + 1} of ${events.length})` : '';
      complain(io, `invoke failed${which}: ${describeError(error)}`);
      if (isDebug(io.env) && error instanceof Error) io.stderr(line(error.stack ?? ''));
      return EXIT_FAILURE;
    }
  } finally {
    restore();
  }
  io.stdout(line(JSON.stringify(results.length === 1 ? results[0] : results, null, 2)));
  return EXIT_OK;
}

export { command, help };

import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { recognise } from '../lib/analyze/parse.ts';
import { InputError } from '../lib/common/errors.ts';
import { DEFAULT_LOG_GROUP } from '../lib/common/fsx.ts';
import { type Input, type InputContext, readInput } from '../lib/input/read.ts';
import { shellArg } from '../lib/render/shell.ts';
import {
  checkFileSystemId,
  complain,
  DEFAULT_OWNER,
  EXIT_OK,
  EXIT_USAGE,
  type Io,
  line,
  PROGRAM,
  parseOrUsage,
  UsageError,
} from './common.ts';
import { expandSources, readSource } from './sources.ts';

/*
 * `make-event`: turns raw log lines into the Lambda event CloudWatch Logs would send, with
 * deterministic event ids and timestamps so the same lines always give the same event.
 */

/** The documented example stream, and a fixed start so output is stable. */
const DEFAULT_EVENT_STREAM = 'datarepo_fs-0123456789abcdef0';
const DEFAULT_START_TIME = '2025-11-25T12:00:00.000Z';
/** An AWS account id: 12 digits. */
const ACCOUNT_ID = /^\d{12}$/;

const help = `Usage: ${PROGRAM} make-event [options] FILE... | -

Turns log lines, or anything analyze reads (gzip, aws logs tail lines, filter-log-events
output, ...: all FILEs in order, "-" for standard input), into the Lambda event CloudWatch Logs
would send: { "awslogs": { "data": base64(gzip(payload)) } }, printed on stdout. Each event keeps
the log stream, time and id its input gives; an input naming several log streams gives a JSON
array of events, one per stream. An event with no time of its own (a bare line) gets
--start-time + n seconds (n counted from 0 over the output), and an id derived from that time, n
and the stream, so the same lines always give the same event. An input analyze refuses, or one
whose events cannot be rebuilt as they were, is refused (exit status 2).

Options:
  --log-group NAME        log group (default ${DEFAULT_LOG_GROUP})
  --log-stream NAME       log stream of lines that name none (default ${DEFAULT_EVENT_STREAM})
  --file-system-id ID     use the log stream datarepo_ID (instead of --log-stream)
  --owner ACCOUNT         account id (12 digits) of inputs that name none (default ${DEFAULT_OWNER})
  --start-time ISO        time of the first event (default ${DEFAULT_START_TIME})
  -h, --help              this text
`;

/**
 * A CloudWatch-like event id: 56 digits, unique per stream and line, the same on every run.
 * The timestamp leads, as in real ids, so ids sort by time.
 */
function eventId(timestamp: number, index: number, logGroup: string, logStream: string): string {
  const digest = createHash('sha256').update(`${logGroup}\0${logStream}`).digest('hex');
  const digits = BigInt(`0x${digest}`).toString().padStart(37, '0').slice(0, 37);
  return `${String(timestamp).padStart(13, '0')}${String(index).padStart(6, '0')}${digits}`;
}

/** One subscription batch to be: the log group, stream and owner the input named, and its events. */
interface Group {
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  readonly events: Array<{
    id: string | undefined;
    timestamp: number | undefined;
    message: string;
  }>;
}

/** The owner or stream the CLI's reader writes when the input names none (lib/input/read.ts). */
const UNNAMED = 'unknown';

/**
 * Whether an event id is one the CLI's reader made up (`<file>:<line>`, `<file>#<n>`, see
 * docs/cli.md#what-each-format-gives) rather than one the input carried.
 */
function madeUpId(id: string, name: string): boolean {
  return id.startsWith(`${name}:`) || id.startsWith(`${name}#`);
}

/**
 * Reads every FILE argument with analyze's reader (lib/input, cli/sources.ts) and groups the
 * events per owner, log group and stream, in first-seen order. An input the reader refuses, or
 * one holding an event that cannot be rebuilt as it was (not an object, no id, a message that is
 * not text), is reported on stderr and counted in `bad`.
 */
async function readGroups(
  args: readonly string[],
  io: Io,
  context: InputContext,
  owner: string | undefined,
): Promise<{ groups: Group[]; bad: number }> {
  const groups = new Map<string, Group>();
  let bad = 0;
  for (const source of await expandSources(args, 'make-event', { folders: false })) {
    if ('problem' in source) {
      complain(io, `${source.name}: ${source.problem}`);
      bad++;
      continue;
    }
    let input: Input;
    try {
      input = await readSource(source, context, io);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      complain(io, `${source.name}: ${error.message}`);
      bad++;
      continue;
    }
    const problem = unbuildable(input);
    if (problem !== undefined) {
      complain(io, `${source.name}: ${problem}`);
      bad++;
      continue;
    }
    for (const note of input.notes) complain(io, `${source.name}: ${note}`);
    if (input.skippedMessages > 0) {
      complain(
        io,
        `${source.name}: left out ${input.skippedMessages} control message(s): they hold no log events`,
      );
    }
    for (const batch of input.batches) {
      const batchOwner = batch.owner === UNNAMED ? (owner ?? DEFAULT_OWNER) : batch.owner;
      const logStream = batch.logStream === UNNAMED ? DEFAULT_EVENT_STREAM : batch.logStream;
      const key = JSON.stringify([batchOwner, batch.logGroup, logStream]);
      let group = groups.get(key);
      if (group === undefined) {
        group = {
          owner: batchOwner,
          logGroup: batch.logGroup,
          logStream,
          // Kept from a subscription payload; lines were never sent through one.
          subscriptionFilters:
            batch.subscriptionFilters.length > 0 ? batch.subscriptionFilters : [PROGRAM],
          events: [],
        };
        groups.set(key, group);
      }
      for (const event of batch.events) {
        group.events.push({
          id: madeUpId(event.id, source.name) ? undefined : event.id,
          timestamp: event.timestamp,
          message: event.message as string,
        });
      }
    }
  }
  return { groups: [...groups.values()], bad };
}

/** Why an input's events cannot be rebuilt as they were; undefined when they can. */
function unbuildable(input: Input): string | undefined {
  const events = input.batches.flatMap((batch) => batch.events);
  if (events.length === 0) {
    return 'holds no log events (only control messages): there is nothing to put in an event';
  }
  const defective = events.filter(
    (event) => event.defect !== undefined || typeof event.message !== 'string',
  );
  if (defective.length === 0) return undefined;
  const first = defective[0];
  return `holds ${defective.length} log event(s) that cannot be rebuilt as they were (the first: ${first?.defect ?? 'its message is not text'}): invoke or analyze the file as it is`;
}

/** File systems named in the "several" advice before the rest are counted. */
const MAX_NAMED_FILE_SYSTEMS = 3;

/**
 * The file systems the records of `text` name in the events make-event files under a stream that
 * names none (lines without a stream go under DEFAULT_EVENT_STREAM or --file-system-id's; a stream
 * not named `datarepo_<fs-id>` takes --file-system-id too), in first-seen order; `streamless` when
 * some line names no stream (it would go under DEFAULT_EVENT_STREAM). Undefined when the text is
 * not one analyze reads.
 */
function namedFileSystems(
  text: string,
  name: string,
): { ids: string[]; streamless: boolean } | undefined {
  let input: Input;
  try {
    input = readInput(text, name, { maxDecompressedBytes: bufferConstants.MAX_LENGTH });
  } catch (error) {
    if (error instanceof InputError) return undefined;
    throw error;
  }
  const ids = new Set<string>();
  let streamless = false;
  for (const batch of input.batches) {
    if (batch.streamFileSystemId !== undefined) continue;
    if (batch.logStream === UNNAMED && batch.events.length > 0) streamless = true;
    for (const event of batch.events) {
      if (typeof event.message !== 'string') continue;
      const id = recognise(event.message)?.fileSystemId;
      if (id !== undefined) ids.add(id);
    }
  }
  return { ids: [...ids], streamless };
}

/**
 * What to say of log lines given where a Lambda event was expected (`invoke`): that they are
 * lines, and the make-event command that turns them into an event. Without --file-system-id,
 * make-event files lines under DEFAULT_EVENT_STREAM, and a record that names another file system
 * than its stream is never re-exported (lib/analyze/plan.ts), so the command names the one file
 * system the records name, asks for one event per file system when they name several (a log
 * stream names one), and says where the lines go when they name none. `input` is the argument
 * as typed (`-` for standard input), quoted here.
 */
function linesAdvice(text: string, name: string, input: string): string {
  const file = input === '-' ? '-' : shellArg(input);
  const found = namedFileSystems(text, name);
  const ids = found?.ids ?? [];
  const [only] = ids;
  if (ids.length === 1 && only !== undefined) {
    return `is log lines, not a Lambda event: make one with "${PROGRAM} make-event --file-system-id ${shellArg(only)} ${file} > event.json", then invoke event.json`;
  }
  if (ids.length > 1) {
    const named = ids.slice(0, MAX_NAMED_FILE_SYSTEMS).join(', ');
    const more =
      ids.length > MAX_NAMED_FILE_SYSTEMS ? ` and ${ids.length - MAX_NAMED_FILE_SYSTEMS} more` : '';
    return `is log lines, not a Lambda event, and its records name ${ids.length} file systems (${named}${more}): a log stream names one file system, so make one event per file system from a file of its lines with "${PROGRAM} make-event --file-system-id ID FILE > event.json", then invoke each event`;
  }
  const plain = `is log lines, not a Lambda event: make one with "${PROGRAM} make-event ${file} > event.json", then invoke event.json`;
  if (found?.streamless !== true) return plain;
  return `${plain}; its records name no file system, so make-event files them under the log stream ${DEFAULT_EVENT_STREAM} (add --file-system-id ID to name yours)`;
}

/** Runs `make-event`; see `help`. */
async function command(args: string[], io: Io): Promise<number> {
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
    io.stdout(help);
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
  if (start < 0) {
    throw new UsageError(`--start-time must not be before 1970 (got "${startText}")`, 'make-event');
  }
  if (values.owner !== undefined && !ACCOUNT_ID.test(values.owner)) {
    throw new UsageError(
      `--owner must be a 12-digit AWS account id (got "${values.owner}")`,
      'make-event',
    );
  }
  // --log-stream and --file-system-id name the stream of lines that name none; a stream the
  // input names is kept (it names the file system), as is an export object's folder.
  const context: InputContext = {
    logGroup: values['log-group'] ?? DEFAULT_LOG_GROUP,
    logStream: values['log-stream'],
    fileSystemId,
    maxDecompressedBytes: bufferConstants.MAX_LENGTH,
  };

  const { groups, bad } = await readGroups(positionals, io, context, values.owner);
  // A partial event would silently lack the bad file's lines.
  if (bad > 0) return EXIT_USAGE;

  // Events without a time of their own get --start-time + n seconds, n counted over the output.
  let index = 0;
  const events = groups.map((group) => {
    const payload = {
      messageType: 'DATA_MESSAGE',
      owner: group.owner,
      logGroup: group.logGroup,
      logStream: group.logStream,
      subscriptionFilters: group.subscriptionFilters,
      logEvents: group.events.map((event) => {
        const timestamp = event.timestamp ?? start + index * 1000;
        const id = event.id ?? eventId(timestamp, index, group.logGroup, group.logStream);
        index++;
        return { id, timestamp, message: event.message };
      }),
    };
    return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } };
  });
  if (events.length > 1) {
    complain(
      io,
      `the input names ${events.length} log streams: printed ${events.length} events (a JSON array), one per stream, as CloudWatch Logs would send them`,
    );
  }
  io.stdout(line(JSON.stringify(events.length === 1 ? events[0] : events, null, 2)));
  return EXIT_OK;
}

export { command, help, linesAdvice };

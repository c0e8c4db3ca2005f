import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { InputError } from '../lib/common/errors.ts';
import { DEFAULT_LOG_GROUP } from '../lib/common/fsx.ts';
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
import { expandSources, readText } from './sources.ts';

/*
 * `make-event`: turns raw log lines into the Lambda event CloudWatch Logs would send, with
 * deterministic event ids and timestamps so the same lines always give the same event.
 */

/** The documented example stream, and a fixed start so output is stable. */
const DEFAULT_EVENT_STREAM = 'datarepo_fs-0123456789abcdef0';
const DEFAULT_START_TIME = '2025-11-25T12:00:00.000Z';

const help = `Usage: ${PROGRAM} make-event [options] FILE... | -

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

/**
 * A CloudWatch-like event id: 56 digits, unique per stream and line, the same on every run.
 * The timestamp leads, as in real ids, so ids sort by time.
 */
function eventId(timestamp: number, index: number, logGroup: string, logStream: string): string {
  const digest = createHash('sha256').update(`${logGroup}\0${logStream}`).digest('hex');
  const digits = BigInt(`0x${digest}`).toString().padStart(37, '0').slice(0, 37);
  return `${String(timestamp).padStart(13, '0')}${String(index).padStart(6, '0')}${digits}`;
}

/** The non-blank lines of every FILE argument; each bad or empty one is reported on stderr. */
async function readLines(
  args: readonly string[],
  io: Io,
): Promise<{ messages: string[]; bad: number }> {
  const messages: string[] = [];
  let bad = 0;
  for (const source of await expandSources(args, 'make-event', { folders: false })) {
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
  return { messages, bad };
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
  const logGroup = values['log-group'] ?? DEFAULT_LOG_GROUP;
  const logStream =
    fileSystemId === undefined
      ? (values['log-stream'] ?? DEFAULT_EVENT_STREAM)
      : `datarepo_${fileSystemId}`;

  const { messages, bad } = await readLines(positionals, io);
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

export { command, help };

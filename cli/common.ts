import { existsSync } from 'node:fs';
import { toJsonDocument } from '../lib/analyze/analysis.ts';
import { AnalyzerError, describeError } from '../lib/common/errors.ts';
import { sanitize } from '../lib/common/text.ts';
import type { Report } from '../lib/common/types.ts';
import { VERSION } from '../lib/common/version.ts';
import { jsonDocumentPieces } from './output.ts';

/*
 * What every command of the CLI shares: the process seam (Io), exit statuses, usage errors,
 * argument helpers and report printing. Pure: importing this loads no AWS SDK code.
 */

const PROGRAM = 'fsx-export-analyzer';
/** The account id of the documented examples: make-event's default owner, invoke's function ARN. */
const DEFAULT_OWNER = '123456789012';

/** What `main` needs from the process; tests pass fakes. */
interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  /** Standard input whole, as bytes (gzip on stdin is read too). Absent: `readStdin` is used. */
  readonly readStdinBytes?: () => Promise<Buffer>;
  readonly isTTY: boolean;
  readonly env: Record<string, string | undefined>;
  /** Whether stderr is a terminal: live progress lines (`scan`) only then. Default false. */
  readonly stderrIsTTY?: boolean;
  /** Whether stdin is a terminal a person can answer on (`reexport` asks). Default false. */
  readonly stdinIsTTY?: boolean;
  /**
   * Asks a question on the terminal and resolves with the answer line; undefined when stdin ends
   * or the person presses Ctrl-C. Absent: nothing can be asked.
   */
  readonly prompt?: (question: string) => Promise<string | undefined>;
  /**
   * Resolves once stdout has taken what was written (a pipe's reader has caught up). Long output
   * waits for it between pieces, so the pipe drains while the next piece is made rather than all
   * at exit. Absent: nothing to wait for.
   */
  readonly drain?: () => Promise<void>;
}

/** A command in its own module: its --help text and how it runs. */
interface Command {
  readonly help: string;
  readonly command: (args: string[], io: Io) => Promise<number>;
}

/** Exit statuses: the contract scripts rely on. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const FS_ID = /^(?:fs|fc)-[0-9a-f]{8,}$/;
/**
 * The shape of a Region name: eu-west-1, cn-north-1, us-gov-west-1, us-isob-east-1
 * (https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html).
 */
const REGION_NAME = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;

/** Wrong arguments: printed with a hint to the relevant `--help`, exit status 2. */
class UsageError extends AnalyzerError {
  public readonly command: string | undefined;

  public constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

function line(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** `1 event`, `12,345 events`: a count with its noun, for progress and summary lines. */
function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

/** An environment variable, with empty meaning unset (what most tools write for "not set"). */
function setting(env: Io['env'], name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function isDebug(env: Io['env']): boolean {
  const value = setting(env, 'DEBUG');
  return value !== undefined && value !== '0' && value !== 'false';
}

/** Runs node:util parseArgs, turning its errors into a usage error for `command`. */
function parseOrUsage<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    // parseArgs explains how to pass a positional starting with '-' in a second sentence;
    // the first sentence is the problem.
    const problem = describeError(error).split(/\.\s/, 1)[0] ?? 'invalid arguments';
    // Written as the CLI's own messages are: lower case, names in double quotes.
    const message = `${problem.charAt(0).toLowerCase()}${problem.slice(1)}`.replace(
      /'([^']*)'/g,
      '"$1"',
    );
    throw new UsageError(message, command);
  }
}

function checkFileSystemId(value: string | undefined, command: string): void {
  if (value !== undefined && !FS_ID.test(value)) {
    throw new UsageError(
      `--file-system-id must look like fs-0123456789abcdef0 (got "${value}")`,
      command,
    );
  }
}

/**
 * Refuses a --region value that is not a Region name. parseArgs gives --region the next word
 * whatever it is, so `analyze --region samples/events` would take the file for the Region.
 */
function checkRegion(value: string | undefined, command: string): void {
  if (value === undefined || REGION_NAME.test(value)) return;
  const fileLike = value === '-' || /[/\\.]/.test(value) || existsSync(value);
  throw new UsageError(
    fileLike
      ? `--region needs a Region name such as eu-west-1; "${value}" looks like a file`
      : `--region needs a Region name such as eu-west-1 (got "${value}")`,
    command,
  );
}

/** A one-line reason for a file-system error, without the path (the caller names the file). */
function fileProblem(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return describeError(error);
}

function complain(io: Io, message: string): void {
  // File names and messages can carry untrusted text: one visible-escaped line, always.
  io.stderr(`${PROGRAM}: ${sanitize(message)}\n`);
}

/** How a report is printed: the analyze and scan formats. */
type ReportFormat = 'terminal' | 'json' | 'email';

/** Chooses the report format from --json / --email, refusing both at once. */
function reportFormat(
  values: { readonly json?: boolean; readonly email?: boolean },
  command: string,
): ReportFormat {
  if (values.json === true && values.email === true) {
    throw new UsageError('--json and --email cannot be combined', command);
  }
  if (values.json === true) return 'json';
  return values.email === true ? 'email' : 'terminal';
}

/** Whether output may be coloured: stdout is a terminal and NO_COLOR is not set. */
function useColor(io: Io): boolean {
  return io.isTTY && setting(io.env, 'NO_COLOR') === undefined;
}

/**
 * Prints a JSON document as `jsonDocumentText` writes it, with a final line break. In pieces:
 * a large batch makes megabytes, which the pipe takes while the next piece is made.
 */
async function printJson(document: Readonly<Record<string, unknown>>, io: Io): Promise<void> {
  for (const piece of jsonDocumentPieces(document)) {
    io.stdout(piece);
    await io.drain?.();
  }
  io.stdout('\n');
}

/** Prints a report as analyze does: terminal text (colour on a TTY), JSON, or the email. */
async function printReport(report: Report, format: ReportFormat, io: Io): Promise<void> {
  if (format === 'json') {
    await printJson(toJsonDocument(report), io);
  } else if (format === 'email') {
    // The renderers load only for their format: `--json` on a large input needs neither.
    const { renderEmail } = await import('../lib/analyze/email.ts');
    const publication = renderEmail(report);
    io.stdout(line(`Subject: ${publication.subject}\n\n${publication.body}`));
  } else {
    const { renderTerminal } = await import('../lib/analyze/terminal.ts');
    io.stdout(line(renderTerminal(report, { color: useColor(io) })));
  }
}

/** The Region for console links: --region, else the SDK's standard variables. */
function consoleRegion(value: string | undefined, env: Io['env']): string | undefined {
  return value ?? setting(env, 'AWS_REGION') ?? setting(env, 'AWS_DEFAULT_REGION');
}

export type { Command, Io, ReportFormat };
export {
  checkFileSystemId,
  checkRegion,
  complain,
  consoleRegion,
  DEFAULT_OWNER,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  FS_ID,
  fileProblem,
  isDebug,
  line,
  PROGRAM,
  parseOrUsage,
  plural,
  printJson,
  printReport,
  reportFormat,
  setting,
  UsageError,
  useColor,
  VERSION,
};

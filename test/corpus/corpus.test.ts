import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toJsonText } from '../../lib/analyze/analysis.ts';
import { decodeLambdaEvent, toBatch } from '../../lib/analyze/decode.ts';
import { renderEmail } from '../../lib/analyze/email.ts';
import { type PipelineOptions, processBatches } from '../../lib/analyze/pipeline.ts';
import { renderTerminal } from '../../lib/analyze/terminal.ts';
import { AnalyzerError } from '../../lib/common/errors.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from '../../lib/common/limits.ts';
import type { LogBatch, Report } from '../../lib/common/types.ts';
import { readInput } from '../../lib/input/read.ts';
import { tooWide } from '../helpers/width.ts';
import { INPUT_KINDS } from './input-kinds.ts';
import {
  KINDS as BROKEN_KINDS,
  type Expect,
  GOOD_PATHS,
  type Kind,
  lambdaEvent,
  messagePayload,
  payload,
  repeatedPrefixLine,
} from './kinds.ts';

/*
 * Every kind of bad input (kinds.ts) and every input format (input-kinds.ts) through the pure
 * path and through the real binary: a one-line error that names the problem, or an unparseable
 * event counted next to the rest of the batch, analysed as usual. Nothing may throw anything but
 * an AnalyzerError, print a stack trace, lose an event or let a control character through.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'fsx-export-analyzer.js');
const DOCS = join(ROOT, 'docs', 'design.md');
const DOCS_HEADING = '### Bad input: what each kind produces';

/** Characters no output line may carry: C0 except tab and line feed, DEL, C1, separators, bidi. */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const SUBJECT = /^[\x20-\x7e]{1,99}$/;
/** Every kind: the broken and hostile inputs, then the formats an operator copies out of AWS. */
const KINDS: readonly Kind[] = [...BROKEN_KINDS, ...INPUT_KINDS];
/** How generous the memory bound is: the cap alone is 32 MiB, the 10,000-event batch a few MB. */
const RSS_BOUND = 256 * 1024 * 1024;

const OPTIONS: PipelineOptions = {
  maxPathsPerTask: 100,
  busyDelaySeconds: 600,
  reportPath: undefined,
  region: 'eu-west-1',
  dryRun: true,
  now: () => new Date('2025-11-25T12:30:00.000Z'),
};

type PureResult =
  | { readonly outcome: 'error'; readonly error: unknown }
  | { readonly outcome: 'report'; readonly report: Report; readonly skipped: number };

/** The payload a payload- or message-level kind stands for (JSON text is parsed). */
function payloadValue(kind: Kind, built: unknown): unknown {
  if (kind.level === 'message') return messagePayload(built);
  return typeof built === 'string' ? JSON.parse(built) : built;
}

/** Decodes a kind's input as the Lambda (or, for file text, the CLI) does; errors are returned. */
function decode(kind: Kind, built: unknown): { batches: LogBatch[]; skipped: number } {
  if (kind.level === 'event' && typeof built === 'string') {
    const input = readInput(built, 'bad.txt', {
      maxDecompressedBytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
    });
    return { batches: input.batches, skipped: input.skippedMessages };
  }
  const decoded =
    kind.level === 'event' ? decodeLambdaEvent(built) : toBatch(payloadValue(kind, built));
  return decoded.type === 'data'
    ? { batches: [decoded.batch], skipped: 0 }
    : { batches: [], skipped: 1 };
}

/** decode, then processBatches (dry run, no FSx port): what the Lambda would report. */
async function runPure(kind: Kind, built: unknown): Promise<PureResult> {
  let decoded: { batches: LogBatch[]; skipped: number };
  try {
    decoded = decode(kind, built);
  } catch (error) {
    return { outcome: 'error', error };
  }
  const report = await processBatches(decoded.batches, OPTIONS, undefined, decoded.skipped);
  return { outcome: 'report', report, skipped: decoded.skipped };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function goodPathsOf(paths: ReadonlyArray<string | null | undefined>): string[] {
  return GOOD_PATHS.filter((path) => paths.includes(path));
}

/** The file `analyze` gets for a kind: file text as is, anything else as a Lambda event. */
function fileText(kind: Kind, built: unknown): string {
  if (kind.level === 'event') {
    return typeof built === 'string' ? built : `${JSON.stringify(built, null, 2)}\n`;
  }
  const content = kind.level === 'payload' && typeof built === 'string' ? built : undefined;
  const event = lambdaEvent(content ?? payloadValue(kind, built));
  return `${JSON.stringify(event, null, 2)}\n`;
}

interface Run {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real binary; a child still running after `killAfterMs` is killed (code SIGKILL). */
function cli(args: readonly string[], killAfterMs = 0): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' };
  for (const name of ['DEBUG', 'NO_COLOR', 'MAX_DECOMPRESSED_BYTES', 'BUSY_DELAY_SECONDS']) {
    delete env[name];
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env, maxBuffer: 256 * 1024 * 1024, timeout: killAfterMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : (error.code ?? error.signal ?? -1);
        resolve({ code: typeof code === 'number' ? code : String(code), stdout, stderr });
      },
    );
  });
}

interface JsonReport {
  events: number;
  records: number;
  unparseable: number;
  skippedMessages: number;
  failures: Array<{
    eventId: string;
    timestamp: number | null;
    logStream: string;
    fileSystemId: string | null;
    path: string | null;
    code: string;
    class: string;
  }>;
  unparseableEvents: Array<{ eventId: string; reason: string }>;
  retries: Array<{ eventIds: string[] }>;
  notRetried: Array<{ eventId: string; reason: string }>;
}

let scratch = '';
/** A second, good input next to every bad one: its two records must be in every report. */
let goodFile = '';
const GOOD_FILE_PATHS = ['/ns2/cli-good-a.bin', '/ns2/cli-good-b.bin'];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fsx-export-analyzer-corpus-'));
  goodFile = join(scratch, 'good.json');
  const events = GOOD_FILE_PATHS.map((path, index) => ({
    id: `cli-good-${index}`,
    timestamp: 1_764_072_000_000 + index,
    message: JSON.stringify({ errorCode: 'S3ExportInternalError', filePath: path }),
  }));
  const good = lambdaEvent(payload(events, { logStream: 'datarepo_fs-0fedcba9876543210' }));
  await writeFile(goodFile, JSON.stringify(good));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('Corpus: the kinds', () => {
  it('has at least 30 kinds, each with a unique name that fits in a table cell', () => {
    // Prepare
    const names = KINDS.map((kind) => kind.name);

    // Act
    const unique = new Set(names);

    // Assess
    expect(KINDS.length).toBeGreaterThanOrEqual(30);
    expect(unique.size).toBe(names.length);
    for (const name of names) expect(name).not.toMatch(/[|`\n]/);
  });
});

describe('Corpus: pure path (decode, then processBatches)', () => {
  it.each(KINDS.map((kind) => [kind.name, kind] as const))('%s', async (_name, kind) => {
    // Prepare
    const built = kind.build();
    const expected = kind.expect;

    // Act
    const result = await runPure(kind, built);

    // Assess
    if (expected.kind === 'error') {
      expect(result.outcome).toBe('error');
      if (result.outcome !== 'error') return;
      const message = errorMessage(result.error);
      expect(result.error, message).toBeInstanceOf(AnalyzerError);
      expect(message).toMatch(expected.message);
      expect(message).not.toContain('\n');
      expect(message).not.toMatch(UNSAFE);
      return;
    }
    expect(result.outcome, result.outcome === 'error' ? errorMessage(result.error) : '').toBe(
      'report',
    );
    if (result.outcome !== 'report') return;
    const { report } = result;
    expect(report.events).toBe(report.records.length + report.unparseable.length);
    if (expected.kind === 'skipped') {
      expect(result.skipped).toBe(1);
      expect(report.events).toBe(0);
      return;
    }
    expect(report.events).toBe(kind.events ?? 3);
    if (kind.good !== false) {
      expect(goodPathsOf(report.records.map((record) => record.path))).toEqual([...GOOD_PATHS]);
    }
    if (expected.kind === 'record') {
      expect(report.unparseable.map((event) => event.reason)).toEqual([]);
      assessBadRecords(
        report.records,
        expected.bad,
        planOf(report.plan.tasks, report.plan.unplanned),
      );
    } else {
      expect(report.unparseable.length).toBeGreaterThan(0);
      for (const event of report.unparseable) expect(event.reason).toMatch(expected.reason);
    }
  });
});

describe('Corpus: the same payloads wrapped in a Lambda event', () => {
  const wrapped = KINDS.filter((kind) => kind.level !== 'event');

  it.each(wrapped.map((kind) => [kind.name, kind] as const))('%s', (_name, kind) => {
    // Prepare
    const built = kind.build();
    const event = lambdaEvent(
      kind.level === 'payload' && typeof built === 'string' ? built : payloadValue(kind, built),
    );

    // Act
    let outcome: { error: unknown } | { events: number };
    try {
      const decoded = decodeLambdaEvent(event);
      outcome = { events: decoded.type === 'data' ? decoded.batch.events.length : 0 };
    } catch (error) {
      outcome = { error };
    }

    // Assess
    if (kind.expect.kind === 'error') {
      expect(outcome).toHaveProperty('error');
      const error = 'error' in outcome ? outcome.error : undefined;
      expect(error).toBeInstanceOf(AnalyzerError);
      expect(errorMessage(error)).toMatch(kind.expect.message);
      expect(errorMessage(error)).toMatch(/^awslogs\.data\b/);
    } else {
      expect(outcome).toEqual({ events: kind.expect.kind === 'skipped' ? 0 : (kind.events ?? 3) });
    }
  });
});

describe('Corpus: what reaches a person has no control character', () => {
  const readable = KINDS.filter((kind) => kind.expect.kind !== 'error');

  it.each(readable.map((kind) => [kind.name, kind] as const))('%s', async (_name, kind) => {
    // Prepare
    const result = await runPure(kind, kind.build());
    if (result.outcome !== 'report') throw new Error('expected a report');

    // Act
    const email = renderEmail(result.report);
    const terminal = renderTerminal(result.report, { color: false });
    const json = toJsonText(result.report);

    // Assess
    expect(email.subject).toMatch(SUBJECT);
    for (const text of [email.body, terminal, json]) {
      expect(text).not.toMatch(UNSAFE);
      expect(text).not.toMatch(LONE_SURROGATE);
    }
    for (const value of Object.values(email.attributes).flat()) {
      expect(value).toMatch(/^[\x20-\x7e]*$/);
    }
    expect(tooWide(terminal)).toEqual([]);
  });
});

/**
 * The terminal's lines wider than 100 columns. A link stands alone on its line and is never cut
 * (a link cut in two does not open), so such a line is left out.
 */

/** What a record's fields are checked against, from the pure report or the `--json` output. */
interface SeenRecord {
  readonly eventId: string;
  readonly timestamp: number | undefined;
  readonly logStream: string;
  readonly fileSystemId: string | undefined;
  readonly path: string | undefined;
  readonly code: string;
  readonly class: string;
}

/** What the plan did with an event: `planned` (in a task), its not-re-exported reason, or nothing. */
type PlanOf = (eventId: string) => string | undefined;

function planOf(
  tasks: ReadonlyArray<{ eventIds: readonly string[] }>,
  unplanned: ReadonlyArray<{ eventId: string; reason: string }>,
): PlanOf {
  return (eventId) =>
    tasks.some((task) => task.eventIds.includes(eventId))
      ? 'planned'
      : unplanned.find((item) => item.eventId === eventId)?.reason;
}

/** The records besides the good ones: none, or as many as the kind says, the first one as it says. */
function assessBadRecords(
  records: readonly SeenRecord[],
  bad: Extract<Expect, { kind: 'record' }>['bad'],
  plan: PlanOf,
): void {
  const good = new Set<string | undefined>([...GOOD_PATHS, ...GOOD_FILE_PATHS]);
  const others = records.filter((record) => !good.has(record.path));
  if (bad === 'none') {
    expect(others).toEqual([]);
    return;
  }
  expect(others).toHaveLength(bad.count);
  const [first] = others;
  const wanted = bad.first;
  expect(first?.code).toBe(wanted.code);
  expect(first?.class).toBe(wanted.class);
  if (wanted.path instanceof RegExp) expect(first?.path).toMatch(wanted.path);
  else expect(first?.path).toBe(wanted.path);
  if (wanted.logStream !== undefined) expect(first?.logStream).toBe(wanted.logStream);
  if ('fileSystemId' in wanted) expect(first?.fileSystemId).toBe(wanted.fileSystemId);
  if (wanted.timestamp !== undefined) expect(first?.timestamp).toBe(wanted.timestamp);
  if (wanted.plan === 'planned') expect(plan(first?.eventId ?? '')).toBe('planned');
  else if (wanted.plan !== undefined) expect(plan(first?.eventId ?? '')).toMatch(wanted.plan);
}

/** Asserts what `analyze --json BAD GOOD` printed for a kind expected to give `expected`. */
function assessRun(run: Run, badFile: string, kind: Kind, expected: Expect): void {
  expect(run.stderr).not.toMatch(/^ {4}at /m);
  expect(run.stderr).not.toMatch(UNSAFE);
  expect(run.stdout).not.toMatch(UNSAFE);
  const report = JSON.parse(run.stdout) as JsonReport;
  expect(report.events).toBe(report.records + report.unparseable);
  const ids = report.failures.map((failure) => failure.eventId);
  expect(ids).toEqual(expect.arrayContaining(['cli-good-0', 'cli-good-1']));
  if (expected.kind === 'error') {
    expect(run.code).toBe(2);
    const lines = run.stderr.split('\n').filter((line) => line.length > 0);
    expect(lines).toHaveLength(1);
    const prefix = `fsx-export-analyzer: ${badFile}: `;
    expect(lines[0]?.startsWith(prefix), lines[0]).toBe(true);
    expect(lines[0]?.slice(prefix.length)).toMatch(expected.message);
    expect(report.events).toBe(2);
    return;
  }
  expect(run.code, run.stderr).toBe(0);
  if (kind.note === undefined) {
    expect(run.stderr).toBe('');
  } else {
    const prefix = `fsx-export-analyzer: ${badFile}: `;
    expect(run.stderr.startsWith(prefix), run.stderr).toBe(true);
    expect(run.stderr.endsWith('\n')).toBe(true);
    expect(run.stderr.slice(prefix.length, -1)).toMatch(kind.note);
  }
  if (expected.kind === 'skipped') {
    expect(report.skippedMessages).toBe(1);
    expect(report.events).toBe(2);
    return;
  }
  expect(report.events).toBe((kind.events ?? 3) + 2);
  if (kind.good !== false) {
    expect(goodPathsOf(report.failures.map((failure) => failure.path))).toEqual([...GOOD_PATHS]);
  }
  if (expected.kind === 'record') {
    expect(report.unparseable).toBe(0);
    assessBadRecords(
      report.failures.map((failure) => ({
        ...failure,
        path: failure.path ?? undefined,
        fileSystemId: failure.fileSystemId ?? undefined,
        timestamp: failure.timestamp ?? undefined,
      })),
      expected.bad,
      planOf(report.retries, report.notRetried),
    );
  } else {
    expect(report.unparseable).toBeGreaterThan(0);
    for (const event of report.unparseableEvents) expect(event.reason).toMatch(expected.reason);
  }
}

describe.concurrent('Corpus: the CLI binary (analyze --json BAD GOOD)', () => {
  it.each(KINDS.map((kind, index) => [kind.name, kind, index] as const))(
    '%s',
    async (_name, kind, index) => {
      // Prepare
      const built = kind.build();
      const extension = kind.level === 'event' && typeof built === 'string' ? 'txt' : 'json';
      const badFile = join(scratch, `bad-${index}.${extension}`);
      await writeFile(badFile, fileText(kind, built));

      // Act
      const run = await cli(['analyze', '--json', badFile, goodFile]);

      // Assess
      assessRun(run, badFile, kind, kind.cli ?? kind.expect);
    },
    60_000,
  );
});

describe('Corpus: memory stays bounded', () => {
  const heavy = KINDS.filter((kind) => /decompression bomb|10,000 events/.test(kind.name));

  it('covers the decompression bomb and the 10,000-event batch', () => {
    // Prepare
    const names = heavy.map((kind) => kind.name);

    // Act
    const count = names.length;

    // Assess
    expect(count).toBe(2);
  });

  it.each(heavy.map((kind) => [kind.name, kind] as const))(
    '%s grows the RSS by less than 256 MiB',
    async (_name, kind) => {
      // Prepare
      const built = kind.build();
      const before = process.memoryUsage().rss;

      // Act
      const result = await runPure(kind, built);
      const after = process.memoryUsage().rss;

      // Assess
      expect(result.outcome).toBe(kind.expect.kind === 'error' ? 'error' : 'report');
      expect(after - before).toBeLessThan(RSS_BOUND);
    },
  );
});

describe('Corpus: hostile lines do not stall the analysis', () => {
  it('analyses a 1 MB line of repeated documented opening words before a kill deadline', async () => {
    // Prepare: a liveness check, not a speed one. A linear parse takes well under a second; the
    // child is only killed if it is still running after 20 s.
    const file = join(scratch, 'repeated-prefix.txt');
    await writeFile(file, `${repeatedPrefixLine(1024 * 1024)}\n`);

    // Act
    const run = await cli(['analyze', '--json', file], 20_000);

    // Assess
    expect(run.code, 'the CLI was killed: the parse did not finish').toBe(0);
    expect((JSON.parse(run.stdout) as JsonReport).unparseable).toBe(1);
  }, 60_000);
});

describe('Corpus: the bad-input table in docs/design.md', () => {
  it('lists every kind in its table, and no other', async () => {
    // Prepare: the docs section, up to the next heading.
    const design = await readFile(DOCS, 'utf8');
    const section = design.slice(design.indexOf(DOCS_HEADING));
    const end = section.slice(DOCS_HEADING.length).search(/\n#{2,3} /);
    const docs = end < 0 ? section : section.slice(0, DOCS_HEADING.length + end);

    // Act
    const rows = docs
      .split('\n')
      .filter((line) => line.startsWith('| ') && !/^\| (Kind|-)/.test(line))
      .map((line) => line.split(' | ', 1)[0]?.slice(2).trim());

    // Assess
    expect(docs).toContain('### Bad input: what each kind produces');
    expect(rows.sort()).toEqual(KINDS.map((kind) => kind.name).sort());
  });
});

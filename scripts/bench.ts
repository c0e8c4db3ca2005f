/**
 * `npm run bench`: the analyzer's speed, start-up, memory and size, each against a yardstick
 * measured in the same run (design.md, Benchmark, says what each target means):
 *
 * - Pipeline: a 10,000-event subscription batch (mixed, and all JSON) through decode, parse,
 *   classify, plan and render (the email), against the floor (base64 + gunzip + JSON.parse of the
 *   envelope and of each message that starts with `{`) and against the peer: Powertools parser's
 *   CloudWatch Logs envelope with a zod schema for the messages, which only decodes and validates.
 * - Cold start: each Lambda bundle imported in a fresh process with its production environment
 *   and the stack's NODE_OPTIONS, beside a one-client SNS function bundled the same way; then
 *   init plus the first invocation against local servers (moving work into the first call does
 *   not count as faster). The cost of the source map, measured.
 * - Memory: peak RSS of one 10,000-event batch through the analyzer's handler in a fresh process,
 *   with this machine's (or its container's) memory and, where a memory cgroup can be made (Linux,
 *   root), limited to the analyzer's memorySize, from which Node.js sizes its heap as it does in
 *   the function.
 * - The CLI: `analyze --json` on a 10,000-event batch as a whole process, against a script that
 *   only decodes it.
 * - The zip of each Lambda artifact, as serverless.yml packages it.
 * - `scan`: a 100,000-event window read page by page through readLogWindow (an in-process
 *   FilterLogEvents stub) and analysed as `scan` does; events per second, peak RSS and heap.
 *
 * Figures, not assertions: timing on a shared machine is noisy, so this prints medians of many
 * runs, interleaved so that drift hits both sides of a ratio alike, and leaves judgement to the
 * reader. Runs on Node.js 20 and 24 (docs/develop.md says how to run it on 24).
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, constants as osConstants, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deflateRawSync, gunzipSync, gzipSync } from 'node:zlib';
import { parse } from '@aws-lambda-powertools/parser';
import { CloudWatchEnvelope } from '@aws-lambda-powertools/parser/envelopes/cloudwatch';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import type {
  CloudWatchLogsClient,
  FilteredLogEvent,
  FilterLogEventsCommand,
  FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { z } from 'zod';
import { decodeLambdaEvent } from '../lib/analyze/decode.ts';
import { renderEmail } from '../lib/analyze/email.ts';
import { type PipelineOptions, processBatches } from '../lib/analyze/pipeline.ts';
import { readLogWindow } from '../lib/aws/logs.ts';
import { type LocalStack, localStackEnv, startLocalStack } from '../test/helpers/local-stack.ts';
import {
  ANALYZER_MEMORY_MB,
  createMemoryCgroup,
  evictAndRemove,
  limitMissed,
  type MemoryCgroup,
  memoryLimit,
} from './bench/cgroup.ts';

const EVENTS = 10_000;
const SCAN_EVENTS = 100_000;
const SCAN_PAGE = 10_000;
const SCAN_RUNS = 3;
const RUNS = 25;
/** Fresh processes per figure of the cold-start, memory and CLI sections. */
const PROCESS_RUNS = 9;
/** Events in the batch of each first invocation: a typical subscription delivery. */
const FIRST_EVENTS = 100;
const FS = 'fs-0123456789abcdef0';
/** The analyzer's defaults, as a dry run: the pipeline plans but starts nothing. */
const DRY_RUN: PipelineOptions = {
  maxPathsPerTask: 100,
  busyDelaySeconds: 600,
  reportPath: undefined,
  region: 'us-east-1',
  dryRun: true,
};

/** dist/bench.js runs from dist/; the repository is one folder up. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LAMBDA_DIR = join(ROOT, 'dist', 'lambda');
const FUNCTIONS = ['analyzer', 'retrier', 'outcomes', 'digest', 'doctor'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

/** Realistic messages across all classes: JSON records in several shapes and documented text. */
function message(i: number, jsonOnly: boolean, fileSystemId = FS): string {
  const path = `/ns1/checkpoints/run-${i % 97}/step-${i}.pt`;
  const json = [
    () =>
      JSON.stringify({
        errorCode: 'InternalAutoExportError',
        filePath: path,
        fileSystemId,
        time: '2026-11-25T10:00:00Z',
      }),
    () =>
      JSON.stringify({
        level: 'ERROR',
        type: 'Export',
        errorType: 'Resource busy',
        path,
        message: 'Failed to export file because it is being used by another process.',
      }),
    () =>
      JSON.stringify({
        event: { error: { code: 'S3ExportAccessDenied' } },
        s3Key: `datasets/run/${i}.nc`,
        bucket: 'ml-archive',
      }),
    () =>
      JSON.stringify({
        errorCode: 'S3ExportPathSizeTooLong',
        filePath: `${path}/${'deep/'.repeat(20)}x`,
      }),
    () => JSON.stringify({ errorCode: 'S3ExportNewFailureMode', filePath: path }),
  ];
  const text = [
    () => 'Failed to export file because it is being used by another process.',
    () =>
      `Failed to export file because access was denied to S3 object with key datasets/${i}.bin in S3 bucket ml-archive.`,
    () => 'Automatic export encountered an internal error while exporting a file system object',
    () =>
      `Failed to import S3 object with key raw/${i}.csv in S3 bucket ml-archive because it was not found in S3 bucket ml-archive.`,
    () =>
      'Export skipped: local file does not belong to a data repository linked file system path.',
  ];
  const pool = jsonOnly ? json : i % 5 < 3 ? json : text;
  return (pool[i % pool.length] as () => string)();
}

interface SubscriptionEvent {
  readonly awslogs: { readonly data: string };
}

interface BatchShape {
  readonly events?: number;
  /** Makes each batch distinct (ids and times), so no idempotency record replays another. */
  readonly seed?: number;
  readonly fileSystemId?: string;
}

/** A DATA_MESSAGE from the log stream of `fileSystemId` (FS unless set). */
function lambdaEvent(
  jsonOnly: boolean,
  { events = EVENTS, seed = 0, fileSystemId = FS }: BatchShape = {},
): SubscriptionEvent {
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/fsx/lustre',
    logStream: `datarepo_${fileSystemId}`,
    subscriptionFilters: ['fsx-export-analyzer'],
    logEvents: Array.from({ length: events }, (_, i) => ({
      id: String(37_000_000_000_000_000n + BigInt(seed * 1_000_000 + i)),
      timestamp: 1_764_064_800_000 + seed * 1_000_000 + i,
      message: message(i, jsonOnly, fileSystemId),
    })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } };
}

/**
 * The floor: what any consumer of this batch must do at least. Base64, gunzip and JSON.parse of
 * the envelope, then JSON.parse of each message that can be a JSON record (it starts with `{`);
 * a plain-text line costs one character test, not a thrown exception.
 */
function floor(event: SubscriptionEvent): number {
  const payload = JSON.parse(
    gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8'),
  ) as { logEvents: { message: string }[] };
  let parsed = 0;
  for (const logEvent of payload.logEvents) {
    if (logEvent.message.charCodeAt(0) === 0x7b) {
      JSON.parse(logEvent.message);
      parsed++;
    }
  }
  return parsed;
}

/**
 * The peer: what a Lambda author would write instead with Powertools' parser. Its CloudWatch Logs
 * envelope decodes the batch (base64, gunzip, JSON) and validates it with zod, then each message
 * against this schema: a JSON record of the shapes FSx may write (loose: any other field is kept),
 * or a line of text. Safe parsing, so a bad message does not sink the batch.
 */
const FsxRecordSchema = z.looseObject({
  errorCode: z.string().optional(),
  errorType: z.string().optional(),
  filePath: z.string().optional(),
  path: z.string().optional(),
  s3Key: z.string().optional(),
  bucket: z.string().optional(),
  fileSystemId: z.string().optional(),
  time: z.string().optional(),
  level: z.string().optional(),
  type: z.string().optional(),
  message: z.string().optional(),
  event: z.looseObject({ error: z.looseObject({ code: z.string() }).optional() }).optional(),
});
const MessageSchema = z.union([
  // Only a message that starts with `{` is tried as JSON, as the floor does.
  z.string().startsWith('{').pipe(JSONStringified(FsxRecordSchema)),
  z.string(),
]);

function peer(event: SubscriptionEvent): number {
  const result = parse(event, CloudWatchEnvelope, MessageSchema, true);
  if (!result.success) throw new Error(`the peer refused the bench batch: ${result.error.message}`);
  return result.data.length;
}

async function ours(event: SubscriptionEvent): Promise<number> {
  const decoded = decodeLambdaEvent(event);
  if (decoded.type !== 'data') throw new Error('bench batch must be a DATA_MESSAGE');
  const report = await processBatches([decoded.batch], DRY_RUN, undefined);
  return renderEmail(report).body.length + report.plan.tasks.length;
}

interface PipelineFigure {
  readonly floor: number;
  readonly peer: number;
  readonly ours: number;
}

async function compare(label: string, jsonOnly: boolean): Promise<PipelineFigure> {
  const event = lambdaEvent(jsonOnly);
  const times = { floor: [] as number[], peer: [] as number[], ours: [] as number[] };
  for (let run = 0; run < RUNS + 3; run++) {
    // Interleaved so drift on a shared machine hits all three alike; the first runs warm the JIT.
    let start = performance.now();
    floor(event);
    const floorTime = performance.now() - start;
    start = performance.now();
    peer(event);
    const peerTime = performance.now() - start;
    start = performance.now();
    await ours(event);
    const ourTime = performance.now() - start;
    if (run >= 3) {
      times.floor.push(floorTime);
      times.peer.push(peerTime);
      times.ours.push(ourTime);
    }
  }
  const figure = {
    floor: median(times.floor),
    peer: median(times.peer),
    ours: median(times.ours),
  };
  const kib = (Buffer.byteLength(event.awslogs.data) / 1024).toFixed(0);
  console.log(
    `${label.padEnd(28)} floor ${ms(figure.floor)}   peer ${ms(figure.peer)}   analyzer ${ms(figure.ours)}   vs floor ${(figure.ours / figure.floor).toFixed(2)}   vs peer ${(figure.ours / figure.peer).toFixed(2)}   (${kib} KiB base64)`,
  );
  return figure;
}

// ---- Fresh processes: cold start, first invocation, memory, the CLI --------------------------

const ACCOUNT = '123456789012';
const STAGE = 'fsx-export-analyzer-prod';
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:${STAGE}-SummaryTopic`;

/**
 * Each function's environment as serverless.yml sets it in production (parameters at their
 * defaults; the topic, the deferral queue and the ledger table on, digests on, tracing off),
 * NODE_OPTIONS included. Keep in step with serverless.yml.
 */
const COMMON_ENV: Record<string, string> = {
  DRY_RUN: 'false',
  POWERTOOLS_SERVICE_NAME: STAGE,
  POWERTOOLS_METRICS_NAMESPACE: 'FsxExportAnalyzer',
  NODE_OPTIONS: '--enable-source-maps',
  POWERTOOLS_TRACE_ENABLED: 'false',
  SUMMARY_TOPIC_ARN: TOPIC,
  LEDGER_TABLE: `${STAGE}-LedgerTable`,
};
const FUNCTION_ENV: Record<FunctionName | 'sns', Record<string, string>> = {
  analyzer: {
    REPORT_PATH: '',
    MAX_PATHS_PER_TASK: '100',
    BUSY_DELAY_SECONDS: '600',
    ASSOCIATION_CACHE_SECONDS: '300',
    RETRY_LATER_SECONDS: '300',
    MAX_ATTEMPTS: '3',
    ATTEMPT_WINDOW_HOURS: '24',
    DIGEST_WINDOW_MINUTES: '60',
    DEFERRAL_QUEUE_URL: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${STAGE}-DeferralQueue`,
  },
  retrier: {
    REPORT_PATH: '',
    MAX_PATHS_PER_TASK: '100',
    ASSOCIATION_CACHE_SECONDS: '300',
    MAX_ATTEMPTS: '3',
    ATTEMPT_WINDOW_HOURS: '24',
    COALESCE_WINDOW_SECONDS: '300',
    MAX_RECEIVES: '5',
  },
  outcomes: { ATTEMPT_WINDOW_HOURS: '24' },
  digest: { DIGEST_WINDOW_MINUTES: '60' },
  doctor: { ANALYZER_FUNCTION_NAME: `${STAGE}-analyzer` },
  // The yardstick reads only the topic.
  sns: {},
};

/** What Lambda itself sets, plus a guard: an endpoint nothing sets goes to a closed port. */
function lambdaEnv(name: FunctionName | 'sns', extra: Record<string, string> = {}) {
  return {
    PATH: process.env['PATH'] ?? '',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: `${STAGE}-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: name === 'analyzer' ? '512' : '256',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    AWS_SESSION_TOKEN: 'not-a-token',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    ...COMMON_ENV,
    ...FUNCTION_ENV[name],
    ...extra,
  };
}

/**
 * The child of every cold-start figure: it reads the event first (so that reading the file counts
 * in no figure), then imports the bundle, runs one invocation when given an event, and reports the
 * times from just before the import, its peak RSS, the memory Node sized its heap from, and the
 * stack of an error the handler threw.
 */
const HARNESS = `
const { readFileSync } = await import('node:fs');
const eventFile = process.env.BENCH_EVENT;
const event = eventFile ? JSON.parse(readFileSync(eventFile, 'utf8')) : undefined;
const name = process.env.AWS_LAMBDA_FUNCTION_NAME;
const context = {
  callbackWaitsForEmptyEventLoop: true, functionName: name, functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:${ACCOUNT}:function:' + name,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, awsRequestId: 'bench-' + process.pid,
  logGroupName: '/aws/lambda/' + name, logStreamName: 'bench', getRemainingTimeInMillis: () => 60000,
  done() {}, fail() {}, succeed() {},
};
const cpu = process.cpuUsage();
const started = performance.now();
const { handler } = await import(process.env.BENCH_BUNDLE);
const imported = performance.now();
const importCpu = process.cpuUsage(cpu);
let invoked = imported, result, stack;
if (event !== undefined) {
  try { result = await handler(event, context); } catch (error) { stack = String(error && error.stack); }
  invoked = performance.now();
}
const maxRssKiB = process.resourceUsage().maxRSS;
const { getHeapStatistics } = await import('node:v8');
process.stdout.write('\\nBENCH ' + JSON.stringify({ importMs: imported - started, firstMs: invoked - started,
  importCpuMs: (importCpu.user + importCpu.system) / 1000, maxRssKiB,
  heapLimit: getHeapStatistics().heap_size_limit, constrainedMemory: process.constrainedMemory(),
  result, stack }) + '\\n');
process.exit(0);
`;

interface ChildFigure {
  readonly importMs: number;
  /** CPU time (user + system, all threads) of the import: steadier than wall time on a busy machine. */
  readonly importCpuMs: number;
  readonly firstMs: number;
  readonly maxRssKiB: number;
  /** V8's heap limit, bytes: Node sizes it from the memory below, else from the machine's. */
  readonly heapLimit: number;
  /** `process.constrainedMemory()`: the cgroup's limit, or a huge number (or 0) without one. */
  readonly constrainedMemory: number;
  readonly result?: unknown;
  readonly stack?: string;
}

interface NodeRun {
  readonly ms: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs this Node.js with `args` and `env`, asynchronously so that the local servers in this
 * process keep answering; `ms` is the whole process, start to exit. Given a memory cgroup, a
 * shell moves itself into the group and then execs Node, so that Node starts inside it and sizes
 * its heap from the group's limit (moving Node in after it started would be too late).
 */
function runNode(
  args: readonly string[],
  env: Record<string, string>,
  cgroup?: MemoryCgroup,
): Promise<NodeRun> {
  const [command, commandArgs] =
    cgroup === undefined
      ? [process.execPath, args]
      : [
          '/bin/sh',
          [
            '-c',
            'echo $$ > "$1" && shift && exec "$@"',
            'sh',
            cgroup.procsFile,
            process.execPath,
            ...args,
          ],
        ];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, commandArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        ms: performance.now() - started,
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/**
 * Imports `bundle` in a fresh process (and invokes it with the event in `eventFile`), in the
 * memory cgroup when given one.
 */
async function coldStart(
  bundle: string,
  env: Record<string, string>,
  eventFile?: string,
  cgroup?: MemoryCgroup,
): Promise<ChildFigure> {
  const run = await runNode(
    ['--no-warnings', '--input-type=module', '-e', HARNESS],
    {
      ...env,
      BENCH_BUNDLE: pathToFileURL(bundle).href,
      ...(eventFile === undefined ? {} : { BENCH_EVENT: eventFile }),
    },
    cgroup,
  );
  const line = run.stdout.split('\n').find((text) => text.startsWith('BENCH '));
  if (run.code !== 0 || line === undefined) {
    throw new Error(`cold start of ${bundle} failed (exit ${run.code}): ${run.stderr.trim()}`);
  }
  return JSON.parse(line.slice('BENCH '.length)) as ChildFigure;
}

interface Variant {
  readonly label: string;
  readonly bundle: string;
  readonly env: Record<string, string>;
}

/** Median import time, wall and CPU, of each variant, the variants taken in turn in every round. */
async function importTimes(
  variants: readonly Variant[],
): Promise<Map<string, { wall: number; cpu: number }>> {
  const times = new Map(
    variants.map((variant) => [variant.label, { wall: [] as number[], cpu: [] as number[] }]),
  );
  for (let run = 0; run < PROCESS_RUNS; run++) {
    for (const variant of variants) {
      const figure = await coldStart(variant.bundle, variant.env);
      times.get(variant.label)?.wall.push(figure.importMs);
      times.get(variant.label)?.cpu.push(figure.importCpuMs);
    }
  }
  return new Map(
    [...times].map(([label, { wall, cpu }]) => [label, { wall: median(wall), cpu: median(cpu) }]),
  );
}

/** What the build module exports to the benchmark (scripts/build.mjs). */
interface BuildModule {
  buildLambda(
    entryPoints: Record<string, string>,
    outdir: string,
    overrides?: Record<string, unknown>,
  ): Promise<unknown>;
}

/**
 * The yardstick, bundled as the functions are (scripts/bench/sns-function.ts), and the analyzer
 * again with its sources embedded in the map, for the cost of each source-map choice.
 */
async function buildYardsticks(dir: string): Promise<{ sns: string; fullMap: string }> {
  // A computed specifier: esbuild leaves it alone, and the build runs from the sources.
  const buildScript = pathToFileURL(join(ROOT, 'scripts', 'build.mjs')).href;
  const { buildLambda } = (await import(buildScript)) as BuildModule;
  await buildLambda({ sns: join(ROOT, 'scripts', 'bench', 'sns-function.ts') }, dir);
  await buildLambda({ analyzer: join(ROOT, 'functions', 'analyzer.ts') }, join(dir, 'full-map'), {
    sourcesContent: true,
    chunkNames: 'chunks/analyzer/[name]-[hash]',
  });
  return { sns: join(dir, 'sns.mjs'), fullMap: join(dir, 'full-map', 'analyzer.mjs') };
}

/** A file system id per run: the digest windows and the idempotency keys start afresh. */
const runFileSystem = (run: number) => `fs-0123456789ab${run.toString(16).padStart(5, '0')}`;

/** The seed of each run's FIRST_EVENTS batch, unlimited and limited alike. */
const firstSeed = (run: number) => run + 1;

/**
 * Init plus the first invocation, against the local servers: the analyzer with a typical batch
 * (associations, tasks, the deferral queue, the ledger, idempotency, digests, the summary), and
 * the yardstick publishing the same event once. Also the peak RSS of both processes.
 */
async function firstInvocations(
  stack: LocalStack,
  dir: string,
  sns: string,
): Promise<{
  analyzer: number;
  sns: number;
  analyzerImport: number;
  snsImport: number;
  analyzerRss: number;
  snsRss: number;
}> {
  const stackEnv = localStackEnv(stack);
  const times = { analyzer: [] as number[], sns: [] as number[] };
  const imports = { analyzer: [] as number[], sns: [] as number[] };
  const rss = { analyzer: [] as number[], sns: [] as number[] };
  for (let run = 0; run < PROCESS_RUNS; run++) {
    const fileSystemId = runFileSystem(run);
    stack.fsx.addFileSystem(fileSystemId, [
      { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets/' },
    ]);
    const eventFile = join(dir, `first-${run}.json`);
    const event = lambdaEvent(false, { events: FIRST_EVENTS, seed: firstSeed(run), fileSystemId });
    writeFileSync(eventFile, JSON.stringify(event));
    const analyzer = await coldStart(
      join(LAMBDA_DIR, 'analyzer.mjs'),
      lambdaEnv('analyzer', stackEnv),
      eventFile,
    );
    const yardstick = await coldStart(sns, lambdaEnv('sns', stackEnv), eventFile);
    for (const [label, figure] of [
      ['analyzer', analyzer],
      ['sns', yardstick],
    ] as const) {
      if (figure.stack !== undefined) {
        throw new Error(`the ${label} failed its first invocation: ${figure.stack}`);
      }
      times[label].push(figure.firstMs);
      imports[label].push(figure.importMs);
      rss[label].push(figure.maxRssKiB * 1024);
    }
  }
  return {
    analyzer: median(times.analyzer),
    sns: median(times.sns),
    analyzerImport: median(imports.analyzer),
    snsImport: median(imports.sns),
    analyzerRss: median(rss.analyzer),
    snsRss: median(rss.sns),
  };
}

/** Runs of each memory figure (each a fresh process). */
const MEMORY_RUNS = 3;

/** The figures of one memory limit: medians of the peak RSS, and the heap limit Node chose. */
interface LimitedMemory {
  /** The analyzer after one 10,000-event batch. */
  readonly batch: number;
  /** The analyzer after a FIRST_EVENTS batch, and the SNS function after one publish. */
  readonly first: number;
  readonly sns: number;
  readonly heapLimit: number;
}

interface MemoryFigures {
  /** The analyzer after one 10,000-event batch, with the memory this process is given. */
  readonly batch: number;
  readonly heapLimit: number;
  /** The limit Node saw without the group: a container's own, or undefined for the machine's. */
  readonly unlimitedLimit: number | undefined;
  /** The same processes limited to the analyzer's memory, or why that was not measured. */
  readonly limited: LimitedMemory | { readonly reason: string };
}

/** The exit code of a process ended by `signal`: 128 plus its number (130 for SIGINT). */
const signalExitCode = (signal: NodeJS.Signals) => 128 + (osConstants.signals[signal] ?? 0);

/**
 * Peak RSS of the analyzer's process after one 10,000-event batch, against the local servers;
 * then, where a memory cgroup can be made, the same batches (same seeds, a fresh file system so
 * that idempotency does not replay them): the 10,000-event one, the FIRST_EVENTS one of
 * firstInvocations and the SNS function's publish, each in a fresh process limited to the
 * analyzer's memory (design.md, Benchmark, says why both). The group is removed at the end, on
 * error, and on exit or SIGINT/SIGTERM too.
 */
async function memoryFigures(stack: LocalStack, dir: string, sns: string): Promise<MemoryFigures> {
  const limitBytes = ANALYZER_MEMORY_MB * 1024 * 1024;
  const analyzer = join(LAMBDA_DIR, 'analyzer.mjs');
  const analyzerEnv = lambdaEnv('analyzer', localStackEnv(stack));
  const snsEnv = lambdaEnv('sns', localStackEnv(stack));
  /** A batch from a file system of its own: the digests and idempotency keys start afresh. */
  const batchFile = (name: string, run: number, events: number, seed: number) => {
    const fileSystemId = runFileSystem(run);
    stack.fsx.addFileSystem(fileSystemId, [
      { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets/' },
    ]);
    const eventFile = join(dir, name);
    writeFileSync(eventFile, JSON.stringify(lambdaEvent(false, { events, seed, fileSystemId })));
    return eventFile;
  };
  const invoke = async (
    label: string,
    bundle: string,
    env: Record<string, string>,
    eventFile: string,
    group?: MemoryCgroup,
  ) => {
    const figure = await coldStart(bundle, env, eventFile, group);
    if (figure.stack !== undefined) throw new Error(`${label} failed: ${figure.stack}`);
    return figure;
  };
  const unlimited: ChildFigure[] = [];
  const limited = {
    batch: [] as ChildFigure[],
    first: [] as ChildFigure[],
    sns: [] as ChildFigure[],
  };
  const cgroup = createMemoryCgroup(limitBytes, `fea-bench-${process.pid}`);
  let reason = 'reason' in cgroup ? `no memory cgroup could be made (${cgroup.reason})` : undefined;
  // A Ctrl-C or SIGTERM ends the process before the finally below runs: remove the group then too
  // (rmdir is synchronous, so the exit event can do it), and exit with the signal's usual code.
  const onExit = () => {
    if (!('reason' in cgroup)) cgroup.remove();
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.off('exit', onExit);
    const removed = 'reason' in cgroup ? Promise.resolve() : evictAndRemove(cgroup);
    void removed.finally(() => process.exit(signalExitCode(signal)));
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (let run = 0; run < MEMORY_RUNS; run++) {
      const seed = 100 + run;
      const batch = batchFile(`batch-${run}.json`, PROCESS_RUNS + run, EVENTS, seed);
      unlimited.push(await invoke('the 10k batch', analyzer, analyzerEnv, batch));
      if ('reason' in cgroup || reason !== undefined) continue;
      const limitedRun = PROCESS_RUNS + MEMORY_RUNS + 2 * run;
      const big = batchFile(`limited-${run}.json`, limitedRun, EVENTS, seed);
      const first = batchFile(
        `limited-first-${run}.json`,
        limitedRun + 1,
        FIRST_EVENTS,
        firstSeed(run),
      );
      try {
        limited.batch.push(
          await invoke('the limited 10k batch', analyzer, analyzerEnv, big, cgroup),
        );
        limited.first.push(
          await invoke('the limited first batch', analyzer, analyzerEnv, first, cgroup),
        );
        limited.sns.push(await invoke('the limited SNS function', sns, snsEnv, first, cgroup));
      } catch (error) {
        // Out of memory, say: a finding to print, not a reason to lose the other figures.
        reason = `a limited run failed: ${String(error).split('\n')[0]}`;
      }
    }
  } finally {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    onExit();
  }
  const rss = (figures: readonly ChildFigure[]) =>
    median(figures.map((figure) => figure.maxRssKiB * 1024));
  const heapLimit = median(unlimited.map((figure) => figure.heapLimit));
  const all = [...limited.batch, ...limited.first, ...limited.sns];
  const missed = all.find((figure) => limitMissed(figure, limitBytes, heapLimit));
  if (reason === undefined && missed !== undefined) {
    reason = `the limit did not apply: Node saw constrainedMemory ${missed.constrainedMemory} and a heap limit of ${mib(missed.heapLimit)} (${mib(heapLimit)} without the group)`;
  }
  return {
    batch: rss(unlimited),
    heapLimit,
    unlimitedLimit:
      unlimited[0] === undefined
        ? undefined
        : memoryLimit(unlimited[0].constrainedMemory, totalmem()),
    limited:
      reason !== undefined
        ? { reason }
        : {
            batch: rss(limited.batch),
            first: rss(limited.first),
            sns: rss(limited.sns),
            heapLimit: median(all.map((figure) => figure.heapLimit)),
          },
  };
}

/**
 * Where a production stack trace points: the analyzer, with the stack's NODE_OPTIONS, given a
 * batch it cannot decode. The first frame should name a TypeScript file and line.
 */
async function traceFrame(dir: string): Promise<string> {
  const eventFile = join(dir, 'undecodable.json');
  writeFileSync(eventFile, JSON.stringify({ awslogs: { data: 'bm90IGd6aXA=' } }));
  const figure = await coldStart(
    join(LAMBDA_DIR, 'analyzer.mjs'),
    lambdaEnv('analyzer'),
    eventFile,
  );
  const frame = figure.stack?.split('\n').find((text) => text.trimStart().startsWith('at '));
  return frame?.trim() ?? '(no stack)';
}

/** A script that only decodes a subscription event file: the floor of `analyze` on it. */
const DECODE_ONLY = `
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
const event = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const payload = JSON.parse(gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8'));
let parsed = 0;
for (const logEvent of payload.logEvents) {
  if (logEvent.message.charCodeAt(0) === 0x7b) { JSON.parse(logEvent.message); parsed++; }
}
process.stdout.write(String(parsed) + '\\n');
`;

/** `analyze --json` on a 10,000-event batch, whole process, against the decode-only script. */
async function cliFigures(dir: string): Promise<{ analyze: number; decode: number }> {
  const eventFile = join(dir, 'batch.json');
  writeFileSync(eventFile, JSON.stringify(lambdaEvent(false)));
  const decodeScript = join(dir, 'decode-only.mjs');
  writeFileSync(decodeScript, DECODE_ONLY);
  const cli = join(ROOT, 'bin', 'fsx-export-analyzer.js');
  const env = { PATH: process.env['PATH'] ?? '' };
  const times = { analyze: [] as number[], decode: [] as number[] };
  for (let run = 0; run < PROCESS_RUNS; run++) {
    const analyze = await runNode([cli, 'analyze', '--json', eventFile], env);
    // 1: failures found, which this batch has; 2 would be a refused input.
    if (analyze.code !== 0 && analyze.code !== 1) {
      throw new Error(`analyze --json exited ${analyze.code}: ${analyze.stderr.trim()}`);
    }
    const decode = await runNode([decodeScript, eventFile], env);
    if (decode.code !== 0) throw new Error(`the decode-only script failed: ${decode.stderr}`);
    times.analyze.push(analyze.ms);
    times.decode.push(decode.ms);
  }
  return { analyze: median(times.analyze), decode: median(times.decode) };
}

/** The files serverless.yml packages for a function (its `package.patterns`). */
function artifactFiles(name: FunctionName, bundle = join(LAMBDA_DIR, `${name}.mjs`)) {
  return [
    { path: `infra/lambda/${name}.js`, file: join(ROOT, 'infra', 'lambda', `${name}.js`) },
    { path: 'infra/lambda/package.json', file: join(ROOT, 'infra', 'lambda', 'package.json') },
    { path: `dist/lambda/${name}.mjs`, file: bundle },
    { path: `dist/lambda/${name}.mjs.map`, file: `${bundle}.map` },
    { path: 'dist/lambda/tracing.mjs', file: join(LAMBDA_DIR, 'tracing.mjs') },
    // The chunks the bundle loads when needed (scripts/build.mjs: splitting).
    ...readdirSync(join(dirname(bundle), 'chunks', name)).map((file) => ({
      path: `dist/lambda/chunks/${name}/${file}`,
      file: join(dirname(bundle), 'chunks', name, file),
    })),
  ];
}

/**
 * The size of the zip osls writes for these files: each deflated at level 9 (osls's archiver
 * setting), a local header and a central directory entry per file, and the end record.
 */
function zipSize(files: readonly { path: string; file: string }[]): number {
  let size = 22;
  for (const { path, file } of files) {
    const name = Buffer.byteLength(path);
    size += 30 + name + deflateRawSync(readFileSync(file), { level: 9 }).length + 46 + name;
  }
  return size;
}

/**
 * A CloudWatchLogsClient stand-in that answers FilterLogEvents with `total` events in pages of
 * SCAN_PAGE, built afresh per page as the SDK's deserialiser would, so only the reader keeps them.
 */
function stubLogsClient(total: number): CloudWatchLogsClient {
  const start = 1_764_064_800_000;
  const send = async (command: FilterLogEventsCommand): Promise<FilterLogEventsCommandOutput> => {
    const first = Number(command.input.nextToken ?? '0');
    const count = Math.min(SCAN_PAGE, total - first);
    const events: FilteredLogEvent[] = [];
    for (let i = first; i < first + count; i++) {
      events.push({
        logStreamName: `datarepo_${FS}`,
        timestamp: start + i,
        ingestionTime: start + i + 1000,
        message: message(i, false),
        eventId: `${start + i}${String(i).padStart(40, '0')}`,
      });
    }
    const next = first + count;
    return {
      events,
      ...(next < total ? { nextToken: String(next) } : {}),
      $metadata: {},
    };
  };
  return { send, destroy: () => undefined } as unknown as CloudWatchLogsClient;
}

interface ScanFigure {
  readonly ms: number;
  readonly peakRss: number;
  readonly peakHeap: number;
  /** Heap still held, after a full GC, when the events and the report are both alive. */
  readonly heldHeap: number;
}

/** A full GC, for measuring what is really held (the flag can be set at run time). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** One scan of `total` events: read every page, then analyse as `scan` does (a dry run). */
async function scanOnce(total: number, gc: () => void): Promise<ScanFigure> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const started = performance.now();
  const read = await readLogWindow(
    stubLogsClient(total),
    { logGroup: '/aws/fsx/lustre', window: { start: 0, end: 2_000_000_000_000 } },
    { onProgress: sample, maxEvents: total },
  );
  const report = await processBatches(read.batches, DRY_RUN, undefined);
  // The events and the report are both alive here: the peak of a real scan.
  sample();
  const ms = performance.now() - started;
  gc();
  const heldHeap = process.memoryUsage().heapUsed;
  if (report.events !== total || read.batches.length === 0) {
    throw new Error(`scan bench read ${report.events} of ${total}`);
  }
  return { ms, peakRss, peakHeap, heldHeap };
}

async function scanFigures(): Promise<void> {
  const gc = collector();
  await scanOnce(SCAN_PAGE, gc); // warm-up
  gc();
  const baseline = process.memoryUsage();
  const runs: ScanFigure[] = [];
  for (let run = 0; run < SCAN_RUNS; run++) {
    runs.push(await scanOnce(SCAN_EVENTS, gc));
    gc();
  }
  const ms = median(runs.map((figure) => figure.ms));
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  const peakRss = Math.max(...runs.map((figure) => figure.peakRss));
  const peakHeap = Math.max(...runs.map((figure) => figure.peakHeap));
  const heldHeap = Math.max(...runs.map((figure) => figure.heldHeap));
  console.log(
    `scan of ${SCAN_EVENTS.toLocaleString('en-US')} events (${SCAN_EVENTS / SCAN_PAGE} pages, in-process FilterLogEvents stub): read + analyse ${ms.toFixed(0)} ms, ${Math.round((SCAN_EVENTS / ms) * 1000).toLocaleString('en-US')} events/s (median of ${SCAN_RUNS})`,
  );
  console.log(
    `scan memory: peak RSS ${mib(peakRss)}, peak heap ${mib(peakHeap)}; held after GC with events and report alive ${mib(heldHeap)} (heap before ${mib(baseline.heapUsed)}: ${((heldHeap - baseline.heapUsed) / SCAN_EVENTS / 1024).toFixed(2)} KiB per event)`,
  );
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const ms = (value: number) => `${value.toFixed(1).padStart(6)} ms`;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const ratio = (value: number, target: number) =>
  `${value.toFixed(2)} (target <= ${target}: ${value <= target ? 'met' : 'MISSED'})`;

async function pipelineSection(): Promise<void> {
  console.log(
    `Pipeline: ${EVENTS.toLocaleString('en-US')} events per batch, decode to rendered email, median of ${RUNS} runs`,
  );
  const mixed = await compare('mixed (60% JSON, 40% text)', false);
  const json = await compare('all JSON records', true);
  console.log(
    `  vs peer, both batches:     mixed ${ratio(mixed.ours / mixed.peer, 1)}, all JSON ${ratio(json.ours / json.peer, 1)}`,
  );
  console.log(
    `  vs floor:                  mixed ${ratio(mixed.ours / mixed.floor, 2.5)}, all JSON ${ratio(json.ours / json.floor, 1.6)}`,
  );
}

async function processSection(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'fea-bench-'));
  const stack = await startLocalStack({ fileSystems: [FS], maxReceiveCount: 5, topicArn: TOPIC });
  try {
    const { sns, fullMap } = await buildYardsticks(dir);
    const noMaps = { NODE_OPTIONS: '' };
    const variants: Variant[] = [
      { label: 'sns', bundle: sns, env: lambdaEnv('sns') },
      ...FUNCTIONS.map((name) => ({
        label: name,
        bundle: join(LAMBDA_DIR, `${name}.mjs`),
        env: lambdaEnv(name),
      })),
      { label: 'sns, no maps', bundle: sns, env: lambdaEnv('sns', noMaps) },
      {
        label: 'analyzer, no maps',
        bundle: join(LAMBDA_DIR, 'analyzer.mjs'),
        env: lambdaEnv('analyzer', noMaps),
      },
      { label: 'analyzer, full map', bundle: fullMap, env: lambdaEnv('analyzer') },
    ];
    const imports = await importTimes(variants);
    const at = (label: string) => imports.get(label)?.wall ?? Number.NaN;
    const cpuAt = (label: string) => imports.get(label)?.cpu ?? Number.NaN;
    const yardstick = at('sns');
    console.log(
      `\nCold start: import in a fresh process, production environment, NODE_OPTIONS=--enable-source-maps, median of ${PROCESS_RUNS}`,
    );
    console.log(
      `  one-client SNS function   ${ms(yardstick)}           CPU ${ms(cpuAt('sns'))}           (the yardstick)`,
    );
    for (const name of FUNCTIONS) {
      const target = name === 'analyzer' ? '   (target <= 1.5)' : '';
      console.log(
        `  ${name.padEnd(24)}  ${ms(at(name))}   ${(at(name) / yardstick).toFixed(2)}x   CPU ${ms(cpuAt(name))}   ${(cpuAt(name) / cpuAt('sns')).toFixed(2)}x${target}`,
      );
    }
    console.log(
      `  analyzer vs yardstick: ${ratio(at('analyzer') / yardstick, 1.5)}; without source maps ${(at('analyzer, no maps') / at('sns, no maps')).toFixed(2)}x (${ms(at('analyzer, no maps')).trim()} vs ${ms(at('sns, no maps')).trim()})`,
    );
    const none = at('analyzer, no maps');
    console.log(
      `  source map cost (analyzer import): none ${ms(none).trim()}, map without sources (shipped) +${(at('analyzer') - none).toFixed(1)} ms, map with sources +${(at('analyzer, full map') - none).toFixed(1)} ms`,
    );
    console.log(
      `  a production stack trace:  ${(await traceFrame(dir)).replace(pathToFileURL(ROOT).href, '.').replace(ROOT, '.')}`,
    );

    const first = await firstInvocations(stack, dir, sns);
    console.log(
      `\nInit + first invocation (local servers, ${FIRST_EVENTS}-event batch; SNS function: one publish), median of ${PROCESS_RUNS}`,
    );
    console.log(
      `  analyzer ${ms(first.analyzer).trim()} (import ${ms(first.analyzerImport).trim()}), SNS function ${ms(first.sns).trim()} (import ${ms(first.snsImport).trim()}): ${(first.analyzer / first.sns).toFixed(2)}x`,
    );

    const memory = await memoryFigures(stack, dir, sns);
    const limited = 'reason' in memory.limited ? undefined : memory.limited;
    const target = (bytes: number | undefined) =>
      bytes === undefined ? 'not measured' : bytes <= 100 * 1024 * 1024 ? 'met' : 'MISSED';
    const peak = (bytes: number | undefined) =>
      bytes === undefined ? 'not measured' : `${mib(bytes)} limited (median of ${MEMORY_RUNS})`;
    // Inside a container with a limit of its own, Node sizes the unlimited heap from that limit.
    const unlimitedFrom =
      memory.unlimitedLimit === undefined
        ? "this machine's memory"
        : `this container's limit, ${mib(memory.unlimitedLimit)}`;
    console.log(
      `\nMemory: peak RSS of a fresh process, unlimited (V8 heap limit ${mib(memory.heapLimit)}, from ${unlimitedFrom}) and limited to the analyzer's memorySize, ${ANALYZER_MEMORY_MB} in serverless.yml (Lambda's MB; a ${ANALYZER_MEMORY_MB} MiB cgroup${limited === undefined ? '' : `; V8 heap limit ${mib(limited.heapLimit)}`})`,
    );
    console.log(
      `  analyzer, one ${EVENTS.toLocaleString('en-US')}-event batch (median of ${MEMORY_RUNS}): ${mib(memory.batch)} unlimited; ${limited === undefined ? 'limited: not measured' : `${mib(limited.batch)} limited as the function is`} (target <= 100 MiB with the function's memory: ${target(limited?.batch)}; with ${memory.unlimitedLimit === undefined ? "this machine's" : "this container's"}: ${target(memory.batch)})`,
    );
    console.log(
      `  SNS function after one publish: ${mib(first.snsRss)} unlimited (median of ${PROCESS_RUNS}); ${peak(limited?.sns)}`,
    );
    console.log(
      `  analyzer after a ${FIRST_EVENTS}-event batch: ${mib(first.analyzerRss)} unlimited (median of ${PROCESS_RUNS}); ${peak(limited?.first)}`,
    );
    if ('reason' in memory.limited) {
      console.log(`  limited: not measured, ${memory.limited.reason}`);
    }

    const cli = await cliFigures(dir);
    console.log(
      `\nCLI: analyze --json on ${EVENTS.toLocaleString('en-US')} events, whole process, median of ${PROCESS_RUNS}`,
    );
    console.log(
      `  analyze ${ms(cli.analyze).trim()}, a script that only decodes it ${ms(cli.decode).trim()}: ${ratio(cli.analyze / cli.decode, 1.8)}`,
    );

    console.log(
      '\nArtifacts: each function zipped as serverless.yml packages it (target <= 1 MB each)',
    );
    for (const name of FUNCTIONS) {
      const bundle = join(LAMBDA_DIR, `${name}.mjs`);
      const zip = zipSize(artifactFiles(name));
      const packaged = join(ROOT, '.serverless', `${name}.zip`);
      const actual =
        existsSync(packaged) && statSync(packaged).mtimeMs >= statSync(bundle).mtimeMs
          ? `; osls package wrote ${kib(statSync(packaged).size)}`
          : '';
      console.log(
        `  ${name.padEnd(9)} zip ${kib(zip).padStart(8)} ${zip <= 1024 * 1024 ? 'met' : 'MISSED'}   (bundle ${kib(statSync(bundle).size)}, map ${kib(statSync(`${bundle}.map`).size)}${actual})`,
      );
    }
    const fullZip = zipSize(artifactFiles('analyzer', fullMap));
    console.log(`  analyzer with the sources embedded in its map: zip ${kib(fullZip)}`);
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The benchmark's sections, in the order they run. */
const SECTIONS = ['pipeline', 'process', 'scan'];

async function main(): Promise<void> {
  console.log(
    `fsx-export-analyzer benchmark: Node.js ${process.versions.node} (${process.platform} ${process.arch}, ${cpus().length} CPUs)\n`,
  );
  // `npm run bench -- pipeline` (or `process`, `scan`) runs only the sections named.
  const wanted = new Set(process.argv.slice(2));
  const runs = (section: string) => wanted.size === 0 || wanted.has(section);
  const unknown = [...wanted].filter((section) => !SECTIONS.includes(section));
  if (unknown.length > 0) {
    console.error(`bench: unknown section ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  if (runs('pipeline')) await pipelineSection();
  if (runs('process')) await processSection();
  if (runs('scan')) {
    console.log('');
    await scanFigures();
  }
}

await main();

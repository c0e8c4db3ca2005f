/**
 * `npm run bench`: the analyzer's speed and size against the raw floor, in one run.
 *
 * - Pipeline: a 10,000-event subscription batch through decode, parse, classify, plan and render
 *   (the email), versus the floor: base64 + gunzip + JSON.parse of the envelope and of each message.
 *   Target: ratio 1.5 or less.
 * - The minified Lambda bundle's size (target 1 MB or less) and its module init time.
 * - `scan`: a 100,000-event window read page by page through readLogWindow (a stub
 *   CloudWatchLogsClient answering 10,000-event FilterLogEvents pages in process, so no network)
 *   and analysed as `scan` does; events per second and the peak RSS and heap.
 *
 * Figures, not assertions: timing on a shared machine is noisy, so this prints medians of many
 * runs and leaves judgement to the reader.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gunzipSync, gzipSync } from 'node:zlib';
import type {
  CloudWatchLogsClient,
  FilteredLogEvent,
  FilterLogEventsCommand,
  FilterLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { decodeLambdaEvent } from '../lib/analyze/decode.ts';
import { renderEmail } from '../lib/analyze/email.ts';
import { type PipelineOptions, processBatches } from '../lib/analyze/pipeline.ts';
import { readLogWindow } from '../lib/aws/logs.ts';

const EVENTS = 10_000;
const SCAN_EVENTS = 100_000;
const SCAN_PAGE = 10_000;
const SCAN_RUNS = 3;
const RUNS = 25;
const FS = 'fs-0123456789abcdef0';
/** The analyzer's defaults, as a dry run: the pipeline plans but starts nothing. */
const DRY_RUN: PipelineOptions = {
  maxPathsPerTask: 100,
  busyDelaySeconds: 600,
  reportPath: undefined,
  region: 'us-east-1',
  dryRun: true,
};

/** Realistic messages across all classes: JSON records in several shapes and documented text. */
function message(i: number, jsonOnly: boolean): string {
  const path = `/ns1/checkpoints/run-${i % 97}/step-${i}.pt`;
  const json = [
    () =>
      JSON.stringify({
        errorCode: 'InternalAutoExportError',
        filePath: path,
        fileSystemId: FS,
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

function lambdaEvent(jsonOnly: boolean): { awslogs: { data: string } } {
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/fsx/lustre',
    logStream: `datarepo_${FS}`,
    subscriptionFilters: ['fsx-export-analyzer'],
    logEvents: Array.from({ length: EVENTS }, (_, i) => ({
      id: String(37_000_000_000_000_000n + BigInt(i)),
      timestamp: 1_764_064_800_000 + i,
      message: message(i, jsonOnly),
    })),
  };
  return { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } };
}

/** The floor: what any consumer of this batch must do at least. */
function floor(event: { awslogs: { data: string } }): number {
  const payload = JSON.parse(
    gunzipSync(Buffer.from(event.awslogs.data, 'base64')).toString('utf8'),
  );
  let parsed = 0;
  for (const logEvent of payload.logEvents) {
    try {
      JSON.parse(logEvent.message);
      parsed++;
    } catch {
      // Plain-text messages are not JSON; the attempt is part of the floor.
    }
  }
  return parsed;
}

async function ours(event: { awslogs: { data: string } }): Promise<number> {
  const decoded = decodeLambdaEvent(event);
  if (decoded.type !== 'data') throw new Error('bench batch must be a DATA_MESSAGE');
  const report = await processBatches([decoded.batch], DRY_RUN, undefined);
  return renderEmail(report).body.length + report.plan.tasks.length;
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function compare(label: string, jsonOnly: boolean): Promise<number> {
  const event = lambdaEvent(jsonOnly);
  const floorTimes: number[] = [];
  const ourTimes: number[] = [];
  for (let run = 0; run < RUNS + 3; run++) {
    // Alternate so drift on a shared machine hits both sides alike; the first runs warm up the JIT.
    let start = performance.now();
    floor(event);
    const floorTime = performance.now() - start;
    start = performance.now();
    await ours(event);
    const ourTime = performance.now() - start;
    if (run >= 3) {
      floorTimes.push(floorTime);
      ourTimes.push(ourTime);
    }
  }
  const ratio = median(ourTimes) / median(floorTimes);
  const compressed = Buffer.byteLength(event.awslogs.data);
  console.log(
    `${label.padEnd(30)} floor ${median(floorTimes).toFixed(1).padStart(6)} ms   analyzer ${median(ourTimes).toFixed(1).padStart(6)} ms   ratio ${ratio.toFixed(2)}   (event ${(compressed / 1024).toFixed(0)} KiB base64)`,
  );
  return ratio;
}

function initTime(bundle: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(bundle)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let run = 0; run < 7; run++) {
    const out = execFileSync(
      process.execPath,
      ['--no-warnings', '--input-type=module', '-e', script],
      {
        env: {
          ...process.env,
          SUMMARY_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:bench',
          AWS_REGION: 'us-east-1',
        },
        encoding: 'utf8',
      },
    );
    times.push(Number(out));
  }
  return median(times);
}

async function main(): Promise<void> {
  const dist = dirname(fileURLToPath(import.meta.url));
  const bundle = join(dist, 'lambda', 'analyzer.mjs');
  console.log(
    `fsx-export-analyzer benchmark: ${EVENTS} events per batch, median of ${RUNS} runs, Node.js ${process.versions.node}\n`,
  );
  const mixed = await compare('mixed (60% JSON, 40% text)', false);
  const json = await compare('all JSON records', true);

  const rssBefore = process.memoryUsage().rss;
  await ours(lambdaEvent(false));
  const rssAfter = process.memoryUsage().rss;

  const size = statSync(bundle).size;
  const gzipped = gzipSync(await import('node:fs').then((fs) => fs.readFileSync(bundle))).length;
  const init = initTime(bundle);
  console.log('');
  console.log(
    `pipeline ratio (target <= 1.5): mixed ${mixed.toFixed(2)}, all JSON ${json.toFixed(2)}`,
  );
  console.log(
    `lambda bundle (target <= 1 MB): ${(size / 1024).toFixed(0)} KiB minified, ${(gzipped / 1024).toFixed(0)} KiB gzipped`,
  );
  console.log(`module init time: ${init.toFixed(0)} ms (median of 7 cold imports)`);
  console.log(
    `RSS after one 10k batch: ${(rssAfter / 1024 / 1024).toFixed(0)} MiB (grew ${((rssAfter - rssBefore) / 1024 / 1024).toFixed(0)} MiB)`,
  );
  await scanFigures();
}

await main();

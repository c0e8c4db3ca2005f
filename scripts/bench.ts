/**
 * `npm run bench`: the analyzer's speed and size against the raw floor, in one run.
 *
 * - Pipeline: a 10,000-event subscription batch through decode, parse, classify, plan and render
 *   (the email), versus the floor: base64 + gunzip + JSON.parse of the envelope and of each message.
 *   Target: ratio 1.5 or less.
 * - The minified Lambda bundle's size (target 1 MB or less) and its module init time.
 *
 * Figures, not assertions: timing on a shared machine is noisy, so this prints medians of many
 * runs and leaves judgement to the reader.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeLambdaEvent } from '../lib/decode.ts';
import { processBatches } from '../lib/pipeline.ts';
import { renderEmail } from '../lib/render-email.ts';

const EVENTS = 10_000;
const RUNS = 25;
const FS = 'fs-0123456789abcdef0';

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
  const report = await processBatches(
    [decoded.batch],
    {
      maxPathsPerTask: 100,
      busyDelaySeconds: 600,
      reportPath: undefined,
      region: 'us-east-1',
      dryRun: true,
    },
    undefined,
  );
  return renderEmail(report).body.length + report.plan.tasks.length;
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
}

await main();

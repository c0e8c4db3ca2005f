// Regenerates samples/events/ from the readable sources in samples/lines/ through the CLI's own
// `make-event` command, so the samples always match what the built CLI produces.
// Usage: node scripts/make-samples.mjs [--out DIR]   (run `npm run build` first; `npm run samples`
// does both). The CLI test regenerates into a temporary directory and compares.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'fsx-export-analyzer.js');

/** One Lambda event per source: which file system, log group and time window it came from. */
const SAMPLES = [
  {
    source: 'prod-lustre-cfd.log',
    args: [
      '--log-group',
      '/aws/fsx/prod-lustre',
      '--file-system-id',
      'fs-0a1b2c3d4e5f60718',
      '--owner',
      '111122223333',
      '--start-time',
      '2025-11-25T11:58:00Z',
    ],
  },
  {
    source: 'ml-training-new-labels.log',
    args: [
      '--file-system-id',
      'fs-07f3e9a1c2b4d6e8f',
      '--owner',
      '111122223333',
      '--start-time',
      '2025-11-25T12:00:00Z',
    ],
  },
  {
    source: 'genomics-import-restore.log',
    args: [
      '--file-system-id',
      'fs-0c5d8e2f1a9b3c7d4',
      '--owner',
      '444455556666',
      '--start-time',
      '2025-11-25T12:01:00Z',
    ],
  },
];

/**
 * The health check CloudWatch Logs sends when a subscription is created (docs/fsx-facts.md#subscription-filters), written as
 * a decoded payload: `analyze` must skip it, not count it as a failure.
 */
const CONTROL_MESSAGE = {
  messageType: 'CONTROL_MESSAGE',
  owner: 'CloudwatchLogs',
  logGroup: '',
  logStream: '',
  subscriptionFilters: [],
  logEvents: [
    {
      id: '',
      timestamp: 1764072000000,
      message: 'CWL CONTROL MESSAGE: Checking health of destination Lambda function.',
    },
  ],
};

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = values.out ?? join(root, 'samples', 'events');
await mkdir(out, { recursive: true });

for (const { source, args } of SAMPLES) {
  const event = execFileSync(
    process.execPath,
    [bin, 'make-event', ...args, join(root, 'samples', 'lines', source)],
    { encoding: 'utf8' },
  );
  await writeFile(join(out, source.replace(/\.log$/, '.json')), event);
}
await writeFile(join(out, 'control-message.json'), `${JSON.stringify(CONTROL_MESSAGE, null, 2)}\n`);
console.log(`wrote ${SAMPLES.length + 1} sample events to ${out}`);

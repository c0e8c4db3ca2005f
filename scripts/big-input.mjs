// `npm run big-input`: `analyze` on a huge log file, measured in a fresh process.
//
// Writes a realistic input to a temporary file (BIG_INPUT_MIB, default 1024 MiB): JSON records,
// `aws logs tail` lines (time, stream, record), export-to-S3 lines (time, record) and FSx's text
// records, a few lines that are no FSx record at all, over a few file systems, with paths that
// repeat (a pool of BIG_INPUT_PATHS distinct files, default 200,000). Then it runs the built CLI
// (`analyze --json`, output discarded, and the terminal report) and prints wall time and peak RSS
// of the CLI process, read in that process when it exits (no external `time` needed). Figures,
// not assertions: docs/cli.md#large-inputs quotes them. BIG_INPUT_KEEP=1 keeps the file.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIB = 1024 * 1024;
const SIZE = Number(process.env.BIG_INPUT_MIB ?? 1024) * MIB;
const PATHS = Number(process.env.BIG_INPUT_PATHS ?? 200_000);
const BIN = fileURLToPath(new URL('../bin/fsx-export-analyzer.js', import.meta.url));
const FILE_SYSTEMS = ['fs-0123456789abcdef0', 'fs-0a1b2c3d4e5f60718', 'fs-0fedcba9876543210'];
const START = Date.parse('2026-11-25T00:00:00Z');

/** A small deterministic generator, so every run writes the same file. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const next = random(42);

function pathOf(n) {
  return `/ns1/projects/p-${n % 97}/run-${Math.floor(n / 97) % 500}/part-${n}.dat`;
}

/** One line: the mix an operator gathers from `aws logs tail`, an S3 export and the console. */
function line(i) {
  // Skewed: a few paths fail again and again, most only once or twice.
  const n = Math.floor(PATHS * next() ** 2);
  // A file lives on one file system.
  const fs = FILE_SYSTEMS[n % FILE_SYSTEMS.length];
  const path = pathOf(n);
  const time = new Date(START + i * 37).toISOString();
  const kind = next();
  const json = () => {
    const pick = next();
    if (pick < 0.5) {
      return `{"errorCode":"InternalAutoExportError","filePath":"${path}","fileSystemId":"${fs}","time":"${time}"}`;
    }
    if (pick < 0.8) {
      return `{"errorCode":"S3ExportResourceBusy","filePath":"${path}","fileSystemId":"${fs}","time":"${time}"}`;
    }
    if (pick < 0.95) {
      return `{"errorCode":"S3ExportAccessDenied","filePath":"${path}","fileSystemId":"${fs}","time":"${time}"}`;
    }
    return `{"errorCode":"S3ExportNewFailureMode","filePath":"${path}","fileSystemId":"${fs}"}`;
  };
  if (kind < 0.4) return json();
  if (kind < 0.7) return `${time} datarepo_${fs} ${json()}`;
  if (kind < 0.85) return `${time} ${json()}`;
  if (kind < 0.99) {
    return `ERROR S3ExportResourceBusy file_path=${path} Failed to export file because it is being used by another process.`;
  }
  return `Something else entirely, line ${i}: not an FSx record`;
}

function generate(file) {
  const fd = openSync(file, 'w');
  let written = 0;
  let i = 0;
  let lines = 0;
  while (written < SIZE) {
    const chunk = [];
    let length = 0;
    while (length < 8 * MIB) {
      const text = `${line(i++)}\n`;
      chunk.push(text);
      length += text.length;
    }
    const buffer = Buffer.from(chunk.join(''), 'utf8');
    writeSync(fd, buffer);
    written += buffer.length;
    lines += chunk.length;
  }
  closeSync(fd);
  return lines;
}

/** Runs the CLI in a fresh process; its peak RSS is written by a preload when it exits. */
function measure(dir, file, args) {
  const preload = join(dir, 'rss.mjs');
  const rssFile = join(dir, 'rss.txt');
  writeFileSync(
    preload,
    `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { const u = process.resourceUsage(); writeFileSync(${JSON.stringify(rssFile)}, [u.maxRSS, u.userCPUTime + u.systemCPUTime].join(' ')); });\n`,
  );
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['--import', preload, BIN, 'analyze', ...args, file], {
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1024 * MIB,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const maxRssKiB = Number(spawnSync('cat', [rssFile]).stdout.toString());
  return {
    status: run.status,
    seconds,
    maxRssMiB: maxRssKiB / 1024,
    stdout: run.stdout.toString(),
  };
}

const dir = mkdtempSync(join(tmpdir(), 'fea-big-'));
try {
  const file = join(dir, 'big.log');
  const begun = Date.now();
  const lines = generate(file);
  const size = statSync(file).size;
  console.log(
    `input: ${(size / MIB).toFixed(0)} MiB, ${lines.toLocaleString('en-US')} lines, ${PATHS.toLocaleString('en-US')} distinct paths at most (written in ${((Date.now() - begun) / 1000).toFixed(1)} s)`,
  );
  for (const [label, args] of [
    ['analyze --json', ['--json']],
    ['analyze (terminal report)', []],
  ]) {
    const result = measure(dir, file, args);
    let detail = '';
    if (args.includes('--json')) {
      const report = JSON.parse(result.stdout);
      detail = `; events ${report.events}, records ${report.records}, unparseable ${report.unparseable}, tasks ${report.retries.length}, truncated ${JSON.stringify(report.truncated ?? {})}`;
    }
    console.log(
      `${label}: exit ${result.status}, ${result.seconds.toFixed(1)} s wall (${result.cpuSeconds.toFixed(1)} s CPU), peak RSS ${result.maxRssMiB.toFixed(0)} MiB${detail}`,
    );
  }
} finally {
  if (process.env.BIG_INPUT_KEEP === '1') console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

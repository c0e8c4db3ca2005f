import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript build script without type declarations.
import { cliOutputs } from '../../scripts/npm-build.mjs';

// The package as an operator gets it: `npm pack` on a copy of the repository (its prepack build
// runs there, so the repository's dist/ is never replaced under the other tests), then
// `npm install --offline` of the tarball into an empty prefix with an empty npm cache, so an
// install that needed any dependency would fail. The installed `fsx-export-analyzer` must print
// what the repository's CLI prints.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REPO_BIN = join(ROOT, 'bin', 'fsx-export-analyzer.js');
const SAMPLE = join(ROOT, 'samples', 'events', 'prod-lustre-cfd.json');
const LINES = join(ROOT, 'samples', 'lines', 'ml-training-new-labels.log');
/** The tarball budget: the CLI with the AWS SDK chunks its AWS commands load. */
const BUDGET_BYTES = 2_000_000;
/** What the copy leaves out: version control, dependencies and everything a build writes. */
const NOT_COPIED = new Set(['.git', 'node_modules', 'dist', 'coverage', '.serverless', 'release']);
/** The files every tarball holds besides the built CLI. */
const PACKAGE_FILES = [
  'CHANGELOG.md',
  'LICENSE',
  'README.md',
  'bin/fsx-export-analyzer.js',
  'docs/cli.md',
  'package.json',
];

/**
 * The output with the times of the run itself replaced: an email's footer says when it was sent.
 */
function normalise(text: string, startedAt: number): string {
  return text.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, (iso) =>
    Date.parse(iso) >= startedAt - 60_000 ? '<now>' : iso,
  );
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Packed {
  readonly filename: string;
  readonly size: number;
  readonly files: readonly { readonly path: string }[];
}

/** The environment of the processes started here: no npm settings inherited from `npm test`. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) || ['DEBUG', 'NO_COLOR', 'DRY_RUN', 'AWS_REGION'].includes(name)) {
      continue;
    }
    env[name] = value;
  }
  // The installed bin starts with `#!/usr/bin/env node`: the Node.js running the tests.
  env['PATH'] = `${dirname(process.execPath)}${delimiter}${env['PATH'] ?? ''}`;
  env['AWS_EC2_METADATA_DISABLED'] = 'true';
  return env;
}

function run(file: string, args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 240_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

let work = '';
let source = '';
let packed: Packed;
let installedBin = '';
let prefix = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'fea-package-'));
  source = join(work, 'source');
  // A clean checkout: the repository's files without anything built, and the installed
  // dependencies (esbuild for the prepack build) through a link.
  await cp(ROOT, source, {
    recursive: true,
    filter: (from) => !NOT_COPIED.has(from.slice(ROOT.length).split(/[\\/]/)[0] ?? ''),
  });
  await symlink(join(ROOT, 'node_modules'), join(source, 'node_modules'), 'dir');
  // A stale build left behind: prepack must build afresh, so none of it may be shipped.
  await mkdir(join(source, 'dist', 'chunks'), { recursive: true });
  await writeFile(join(source, 'dist', 'cli.js'), 'throw new Error("stale build");\n');
  await writeFile(join(source, 'dist', 'chunks', 'stale-chunk.js'), 'export {};\n');

  const pack = await run('npm', ['pack', '--json', '--pack-destination', work], source);
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
  const [report] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Packed[];
  if (report === undefined) throw new Error(`npm pack reported no tarball:\n${pack.stdout}`);
  packed = report;

  prefix = join(work, 'prefix');
  await mkdir(prefix);
  const install = await run(
    'npm',
    [
      'install',
      '--offline',
      '--cache',
      join(work, 'empty-npm-cache'),
      '--no-audit',
      '--no-fund',
      '--prefix',
      prefix,
      join(work, packed.filename),
    ],
    work,
  );
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  installedBin = join(prefix, 'node_modules', '.bin', 'fsx-export-analyzer');
}, 300_000);

afterAll(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('The npm package', () => {
  it(`holds the built CLI and its docs only, in under ${BUDGET_BYTES.toLocaleString('en-US')} bytes`, async () => {
    // Prepare
    const metafile = JSON.parse(await readFile(join(source, 'dist', 'cli-meta.json'), 'utf8'));
    const cli = [...(cliOutputs(metafile) as Set<string>)];

    // Act
    const files = packed.files.map((file) => file.path).sort();

    // Assess
    expect(cli.length).toBeGreaterThan(5);
    expect(files).toEqual([...PACKAGE_FILES, ...cli].sort());
    expect(files.filter((file) => /\.map$|^test\/|^samples\/|stale/.test(file))).toEqual([]);
    expect(packed.size).toBeLessThan(BUDGET_BYTES);
  });

  it('installs offline with no dependency at all', async () => {
    // Act
    const manifest = JSON.parse(
      await readFile(join(prefix, 'node_modules', 'fsx-export-analyzer', 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    const installed = await readdir(join(prefix, 'node_modules'));

    // Assess
    expect(manifest['dependencies']).toBeUndefined();
    expect(manifest['private']).toBeUndefined();
    expect(installed.filter((name) => !name.startsWith('.'))).toEqual(['fsx-export-analyzer']);
  });

  it('prints the version of package.json', async () => {
    // Prepare
    const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };

    // Act
    const installed = await run(installedBin, ['--version'], work);

    // Assess
    expect(installed).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(version).toMatch(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/);
  });

  it.each([
    ['--help', ['--help']],
    ['analyze on a sample event', ['analyze', SAMPLE]],
    ['analyze --email on log lines', ['analyze', '--email', LINES]],
    ['analyze --json', ['analyze', '--json', SAMPLE]],
    ['scan --help (its chunk loads lazily)', ['scan', '--help']],
    ['reexport --help', ['reexport', '--help']],
    ['doctor --help', ['doctor', '--help']],
    ['invoke --dry-run (the handler chunk, with the AWS SDK)', ['invoke', SAMPLE, '--dry-run']],
  ])('prints what the repository prints: %s', async (_name, args) => {
    // Prepare
    const startedAt = Date.now();

    // Act
    const [installed, repository] = await Promise.all([
      run(installedBin, args, work),
      run(process.execPath, [REPO_BIN, ...args], work),
    ]);

    // Assess
    expect(installed.code).toBe(0);
    expect(installed.stdout.length).toBeGreaterThan(0);
    expect({ code: installed.code, stdout: normalise(installed.stdout, startedAt) }).toEqual({
      code: repository.code,
      stdout: normalise(repository.stdout, startedAt),
    });
  });
});

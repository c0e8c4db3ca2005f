// Builds the CLI (with the handler as a lazily loaded chunk) and the minified Lambda bundles.
// Run by `npm ci` (prepare), `npm run build`, the test setup and the benchmark.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

// Some CommonJS dependencies of the AWS SDK call require() for Node built-ins; an ESM bundle
// needs a real require for them.
const requireShim =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

const common = {
  bundle: true,
  platform: 'node',
  // The CLI runs on Node.js 20 and newer; the Lambda bundles run on the nodejs24.x runtime.
  target: 'node20',
  format: 'esm',
  absWorkingDir: root,
  banner: { js: requireShim },
  logLevel: 'warning',
  legalComments: 'none',
};

/** Builds everything into dist/; returns the Lambda bundle's metafile. */
export async function buildAll() {
  await rm(dist, { recursive: true, force: true });
  // CLI and benchmark: code splitting keeps the AWS SDK in a chunk that only `invoke` loads.
  const cli = await build({
    ...common,
    entryPoints: { cli: 'cli/main.ts', bench: 'scripts/bench.ts', load: 'scripts/load.ts' },
    outdir: dist,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    metafile: true,
  });
  // The Lambda artifacts: one minified file per function (analyzer, retrier, outcome check,
  // digest, scheduled doctor), AWS SDK v3 bundled at the version we pin.
  const lambda = await build({
    ...common,
    entryPoints: {
      analyzer: 'functions/analyzer.ts',
      retrier: 'functions/retrier.ts',
      outcomes: 'functions/outcomes.ts',
      digest: 'functions/digest.ts',
      doctor: 'functions/doctor.ts',
      // Loaded by lib/aws/clients.ts only when tracing is on: the X-Ray SDK stays out of the rest.
      tracing: 'lib/aws/tracing.ts',
    },
    outdir: join(dist, 'lambda'),
    outExtension: { '.js': '.mjs' },
    minify: true,
    // Error class names survive minification, so logs and `invoke local` say "DecodeError".
    keepNames: true,
    sourcemap: 'linked',
    metafile: true,
  });
  await mkdir(dist, { recursive: true });
  await writeFile(join(dist, 'cli-meta.json'), JSON.stringify(cli.metafile));
  await writeFile(join(dist, 'lambda-meta.json'), JSON.stringify(lambda.metafile));
  return { cli: cli.metafile, lambda: lambda.metafile };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await buildAll();
  } catch (error) {
    console.error(`build failed: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
    process.exitCode = 1;
  }
}

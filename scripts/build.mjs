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

/**
 * The esbuild options of every Lambda bundle: one minified ES module per function, the AWS SDK v3
 * bundled at the version we pin. `npm run bench` bundles its one-client yardstick with the same
 * options (scripts/bench.ts), so the cold-start ratio compares only what each function does.
 */
export const lambdaOptions = {
  ...common,
  outExtension: { '.js': '.mjs' },
  // The ES-module builds of the AWS SDK (and Powertools): esbuild otherwise takes their CommonJS
  // builds on platform node, which it cannot tree-shake or hoist. About 30 % less code to parse
  // and ~35 % less import time (design.md, Benchmark).
  mainFields: ['module', 'main'],
  minify: true,
  // Error class names survive minification, so logs and `invoke local` say "DecodeError".
  keepNames: true,
  // The map ships in the package so that, with NODE_OPTIONS=--enable-source-maps (serverless.yml),
  // stack traces name the TypeScript files and lines. Without the sources embedded: a trace needs
  // only the mappings, and the map is a quarter of the size, so Node reads and parses less at
  // cold start (design.md, Benchmark: "Source maps").
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  // Code that only some invocations need stays out of the bundle Node compiles at cold start: each
  // dynamic import() becomes a chunk of its own, loaded when first called. Most of it is the AWS
  // SDK's: the credential providers other than the environment's (SSO, INI files, web identity,
  // container and instance metadata) and their nested STS/SSO clients, which a Lambda function,
  // with its credentials in the environment, never loads. About 120 KiB less to parse per bundle,
  // ~25 % less import CPU (design.md, Benchmark).
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
};

/** The Lambda functions: functions/<name>.ts, bundled to dist/lambda/<name>.mjs. */
export const LAMBDA_FUNCTIONS = ['analyzer', 'retrier', 'outcomes', 'digest', 'doctor'];

/** Builds everything into dist/; returns the Lambda bundle's metafile. */
export async function buildAll() {
  await rm(dist, { recursive: true, force: true });
  // CLI and load test: code splitting keeps the AWS SDK in a chunk that only `invoke` loads.
  const cli = await build({
    ...common,
    entryPoints: { cli: 'cli/main.ts', load: 'scripts/load.ts', 'org-sim': 'scripts/org-sim.ts' },
    outdir: dist,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    sourcemap: 'linked',
    metafile: true,
  });
  // The benchmark on its own: its peer (Powertools parser) brings the classic zod API, which
  // shared chunks would otherwise put on the CLI's path (a 650 KB chunk `analyze` must load).
  await build({
    ...common,
    entryPoints: { bench: 'scripts/bench.ts' },
    outdir: dist,
    sourcemap: 'linked',
  });
  // The Lambda artifacts: one minified bundle per function (analyzer, retrier, outcome check,
  // digest, scheduled doctor), AWS SDK v3 bundled at the version we pin. Each function is built on
  // its own, with its chunks in dist/lambda/chunks/<function>/ (packaged with it): chunks shared
  // between functions would tie every package to every function's build.
  const outdir = join(dist, 'lambda');
  const builds = await Promise.all([
    ...LAMBDA_FUNCTIONS.map((name) =>
      build({
        ...lambdaOptions,
        entryPoints: { [name]: `functions/${name}.ts` },
        outdir,
        chunkNames: `chunks/${name}/[name]-[hash]`,
      }),
    ),
    // Loaded by lib/aws/clients.ts only when tracing is on: the X-Ray SDK stays out of the rest.
    // One file, packaged with every function.
    build({
      ...lambdaOptions,
      entryPoints: { tracing: 'lib/aws/tracing.ts' },
      outdir,
      splitting: false,
    }),
  ]);
  const lambda = { inputs: {}, outputs: {} };
  for (const { metafile } of builds) {
    Object.assign(lambda.inputs, metafile.inputs);
    Object.assign(lambda.outputs, metafile.outputs);
  }
  await mkdir(dist, { recursive: true });
  await writeFile(join(dist, 'cli-meta.json'), JSON.stringify(cli.metafile));
  await writeFile(join(dist, 'lambda-meta.json'), JSON.stringify(lambda));
  return { cli: cli.metafile, lambda };
}

/**
 * Bundles `entryPoints` into `outdir` exactly as the Lambda bundles are built, with `overrides`
 * on top (the benchmark's yardstick and its source-map variants).
 */
export async function buildLambda(entryPoints, outdir, overrides = {}) {
  return build({ ...lambdaOptions, entryPoints, outdir, ...overrides });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await buildAll();
  } catch (error) {
    console.error(`build failed: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
    process.exitCode = 1;
  }
}

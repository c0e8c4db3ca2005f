#!/usr/bin/env node
// Launcher for the CLI. The code runs from the esbuild bundle in dist/ (built by
// `npm run build`, also on `npm ci`), so the TypeScript sources need no loader at run time.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli.js', import.meta.url);

if (existsSync(bundle)) {
  const { run } = await import(bundle.href);
  await run();
} else {
  process.stderr.write('fsx-export-analyzer: not built yet: run "npm run build"\n');
  process.exitCode = 1;
}

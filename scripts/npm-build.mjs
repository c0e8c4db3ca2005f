// The builds npm runs by itself (package.json `prepare` and `prepack`):
//
//   node scripts/npm-build.mjs prepare   `npm ci` / `npm install` in a clone: builds dist/, so
//                                        `npm start` and `npx fsx-export-analyzer` work at once.
//   node scripts/npm-build.mjs prepack   `npm pack` / `npm publish`: builds dist/ afresh, then keeps
//                                        only what the installed CLI loads in the package.
//
// On a pack or a publish npm runs `prepare` too, after `prepack`
// (https://docs.npmjs.com/cli/using-npm/scripts#life-cycle-operation-order). `prepare` skips its
// build then (npm sets npm_command to pack or publish): a second build would replace dist/ and
// drop the list prepack wrote.
import { writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The CLI's bundle: package.json `files` names it and `dist/chunks/*.js`. */
const CLI = 'dist/cli.js';

/**
 * The outputs the CLI loads, statically or with a dynamic import(), from the build's metafile:
 * dist/cli.js and the chunks it reaches. The load test shares dist/chunks/ but its own chunks
 * are left out (the benchmark is built on its own).
 */
export function cliOutputs(metafile) {
  const seen = new Set();
  const todo = [CLI];
  for (let at = todo.pop(); at !== undefined; at = todo.pop()) {
    if (seen.has(at)) continue;
    const output = metafile.outputs[at];
    if (output === undefined) throw new Error(`the build wrote no ${at}`);
    seen.add(at);
    for (const { path, external } of output.imports) if (external !== true) todo.push(path);
  }
  return seen;
}

/**
 * Writes dist/chunks/.npmignore: npm applies it within package.json `files`, so the package holds
 * the CLI's chunks and no other chunk and no source map. Returns the chunks kept.
 */
async function keepOnlyTheCli(metafile) {
  const kept = cliOutputs(metafile);
  const chunks = Object.keys(metafile.outputs).filter((path) => path.startsWith('dist/chunks/'));
  const left = chunks.filter((path) => !kept.has(path) && path.endsWith('.js'));
  const lines = [
    '# Written by scripts/npm-build.mjs (prepack): chunks the CLI does not load, and source maps.',
    '*.map',
    ...left.map((path) => `/${posix.basename(path)}`),
  ];
  await writeFile(join(root, 'dist', 'chunks', '.npmignore'), `${lines.join('\n')}\n`);
  return [...kept].filter((path) => path.startsWith('dist/chunks/'));
}

async function main(hook) {
  const packing = ['pack', 'publish'].includes(process.env['npm_command'] ?? '');
  if (hook === 'prepare') {
    if (!packing) await buildAll();
    return;
  }
  if (hook === 'prepack') {
    const { cli } = await buildAll();
    const kept = await keepOnlyTheCli(cli);
    console.error(`prepack: built dist/; the package holds ${CLI} and ${kept.length} chunks`);
    return;
  }
  throw new Error(
    `usage: node ${relative(process.cwd(), fileURLToPath(import.meta.url))} prepare|prepack`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await main(process.argv[2]);
  } catch (error) {
    console.error(`build failed: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
    process.exitCode = 1;
  }
}

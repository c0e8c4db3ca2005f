// `npm run release`: the versioned artifact of the stack. Builds the bundles, packages the stack
// with `osls package` (offline, as `npm run package` does) into
// release/<version>/<stage>-<region>/ and writes SHA256SUMS there. That folder is what
// `osls deploy --package` deploys, so a deployment can be pinned to a release, compared with
// another (`diff` of two SHA256SUMS), rolled forward or back (docs/deploy.md#releases).
//
// Arguments go to osls, e.g. `npm run release -- --stage prod --region eu-west-1
// --param="logGroups=/aws/fsx/lustre"`: osls writes the stage, the Region and the parameters
// into the template, so a release folder serves that stage and Region only.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from './build.mjs';
import { packageStack } from './package.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** serverless.yml's defaults when no --stage or --region is given. */
const DEFAULTS = { stage: 'dev', region: 'us-east-1' };
/** The name of the checksum file, in the format `sha256sum --check` reads. */
const SUMS = 'SHA256SUMS';

/** The value of an osls option in any of its spellings: `--stage x`, `--stage=x`, `-s x`. */
export function optionOf(args, long, short) {
  let value;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === `--${long}` || arg === `-${short}`) value = args[index + 1];
    else if (arg.startsWith(`--${long}=`)) value = arg.slice(long.length + 3);
  }
  return value;
}

/** A stage or Region name safe as a folder name: what osls and AWS accept anyway. */
function folderPart(value, what) {
  if (!/^[A-Za-z0-9-]+$/.test(value))
    throw new UsageError(`${what} "${value}" is not a plain name`);
  return value;
}

class UsageError extends Error {}

async function sha256(file) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

/** Writes SHA256SUMS for every file of `folder` (sorted by name); returns its entries. */
export async function writeChecksums(folder) {
  const names = (await readdir(folder)).filter((name) => name !== SUMS).sort();
  const entries = [];
  for (const name of names) {
    entries.push({
      name,
      sha256: await sha256(join(folder, name)),
      bytes: (await stat(join(folder, name))).size,
    });
  }
  const text = entries.map((entry) => `${entry.sha256}  ${entry.name}\n`).join('');
  await writeFile(join(folder, SUMS), text);
  return entries;
}

async function release(args) {
  if (args.some((arg) => arg === '--package' || arg === '-p' || arg.startsWith('--package='))) {
    throw new UsageError('--package is chosen by the release: release/<version>/<stage>-<region>');
  }
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
  const stage = folderPart(optionOf(args, 'stage', 's') ?? DEFAULTS.stage, 'stage');
  const region = folderPart(optionOf(args, 'region', 'r') ?? DEFAULTS.region, 'Region');
  const folder = join(root, 'release', version, `${stage}-${region}`);
  const shown = relative(root, folder);
  // A release is pinned by its checksums: never rewrite one in place.
  if (existsSync(folder)) {
    throw new UsageError(
      `${shown} exists: a release is never rewritten; bump the version in package.json (and CHANGELOG.md), or delete the folder to make it again`,
    );
  }
  const started = Date.now();
  await buildAll();
  const code = await packageStack(['--package', folder, ...args]);
  if (code !== 0) {
    // Half a release is worse than none: nothing is left that could be deployed by mistake.
    await rm(folder, { recursive: true, force: true });
    return code;
  }
  const entries = await writeChecksums(folder);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const width = Math.max(...entries.map((entry) => entry.name.length));
  console.log(`\nRelease ${version} for stage ${stage} in ${region}: ${shown}/ (${seconds} s)`);
  for (const entry of entries) {
    console.log(
      `  ${entry.name.padEnd(width)}  ${entry.bytes.toLocaleString('en-US').padStart(11)} bytes  sha256 ${entry.sha256.slice(0, 16)}…`,
    );
  }
  console.log(`  ${SUMS}`);
  console.log(
    `Deploy it: npx osls deploy --package ${shown} --stage ${stage} --region ${region} (with the same --param values)`,
  );
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = await release(process.argv.slice(2));
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    console.error(`release: ${message}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

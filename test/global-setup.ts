// The CLI tests run the real binary, which runs the built bundle: build it once per test run.
// A failed build is reported here but does not stop the unit tests; the CLI tests then fail on
// their own with the missing bundle, which points at the cause.
// @ts-expect-error: plain JavaScript build script without type declarations.
import { buildAll } from '../scripts/build.mjs';

export default async function setup(): Promise<void> {
  // FEA_SKIP_BUILD=1 reuses dist/ as it is: for parallel runs of tests that do not need a fresh
  // bundle, since a build replaces dist/ under any CLI test running at the same moment.
  if (process.env['FEA_SKIP_BUILD'] === '1') return;
  try {
    await buildAll();
  } catch (error) {
    console.error(`global setup: build failed: ${String(error).split('\n')[0]}`);
  }
}

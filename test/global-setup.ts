// The CLI tests run the real binary, which runs the built bundle: build it once per test run.
// A failed build is reported here but does not stop the unit tests; the CLI tests then fail on
// their own with the missing bundle, which points at the cause.
// @ts-expect-error: plain JavaScript build script without type declarations.
import { buildAll } from '../scripts/build.mjs';

export default async function setup(): Promise<void> {
  try {
    await buildAll();
  } catch (error) {
    console.error(`global setup: build failed: ${String(error).split('\n')[0]}`);
  }
}

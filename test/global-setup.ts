// The CLI tests run the real binary, which runs the built bundle: build it once per test run.
// @ts-expect-error: plain JavaScript build script without type declarations.
import { buildAll } from '../scripts/build.mjs';

export default async function setup(): Promise<void> {
  await buildAll();
}

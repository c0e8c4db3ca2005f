// The scheduled doctor's Lambda entry point, as serverless.yml names it
// (infra/lambda/doctor.handler).
//
// It only re-exports the handler of the bundle `npm run build` writes to
// dist/lambda/doctor.mjs, for the reason infra/lambda/analyzer.js gives: `osls invoke local`
// cannot load an `.mjs` file.
export { handler } from '../../dist/lambda/doctor.mjs';

// The analyzer's Lambda entry point, as serverless.yml names it (infra/lambda/analyzer.handler).
//
// It only re-exports the handler of the bundle `npm run build` writes to dist/lambda/analyzer.mjs.
// The indirection exists because `osls invoke local` loads a handler with require() or by
// importing `<handler path>.js`, and cannot load an `.mjs` file; this `.js` file, made an ES
// module by the package.json beside it (which the Lambda package includes too), loads the same
// way locally and on Lambda.
export { handler } from '../../dist/lambda/analyzer.mjs';

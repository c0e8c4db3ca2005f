// osls plugin (serverless.yml `plugins:`): refuses to package or deploy without the Lambda
// bundles. Each function's package patterns name dist/lambda/<function>.mjs, which
// `npm run build` writes; osls would otherwise zip the entry point without it and deploy a
// function that fails at every cold start.
'use strict';

const { existsSync } = require('node:fs');
const { join } = require('node:path');

/** The bundle of each function: dist/lambda/<function name>.mjs. */
const bundleOf = (functionName) => `dist/lambda/${functionName}.mjs`;

class CheckBundle {
  constructor(serverless, options = {}) {
    this.serverless = serverless;
    this.options = options;
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => this.check(this.functionNames()),
      // `osls deploy function -f <name>` packages that one function.
      'before:package:function:package': () =>
        this.check(this.options.function ? [this.options.function] : this.functionNames()),
    };
  }

  functionNames() {
    return this.serverless.service.getAllFunctions();
  }

  check(functionNames) {
    const missing = functionNames
      .map(bundleOf)
      .filter((bundle) => !existsSync(join(this.serverless.serviceDir, bundle)));
    if (missing.length > 0) {
      throw new this.serverless.classes.Error(
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: build with \`npm run build\` (\`npm run package\` builds and packages).`,
      );
    }
  }
}

module.exports = CheckBundle;

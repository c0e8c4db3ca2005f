// osls plugin (serverless.yml `plugins:`): refuses to package or deploy without the Lambda
// bundle. The analyzer's package patterns name dist/lambda/analyzer.mjs, which `npm run build`
// writes; osls would otherwise zip the entry point without it and deploy a function that fails
// at every cold start.
'use strict';

const { existsSync } = require('node:fs');
const { join } = require('node:path');

const BUNDLE = 'dist/lambda/analyzer.mjs';

class CheckBundle {
  constructor(serverless) {
    this.serverless = serverless;
    const check = () => this.check();
    this.hooks = {
      'before:package:createDeploymentArtifacts': check,
      'before:package:function:package': check,
    };
  }

  check() {
    if (!existsSync(join(this.serverless.serviceDir, BUNDLE))) {
      throw new this.serverless.classes.Error(
        `${BUNDLE} is missing: build it with \`npm run build\` (\`npm run package\` builds and packages).`,
      );
    }
  }
}

module.exports = CheckBundle;

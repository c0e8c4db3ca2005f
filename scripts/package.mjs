// `npm run package`: builds the Lambda bundle, then runs `osls package`, which writes the
// deployment package and the CloudFormation templates to .serverless/. Offline: osls needs no
// credentials and no network to package, and nothing in serverless.yml asks AWS for a value.
//
// Arguments go to osls, e.g. `npm run package -- --stage prod --region eu-west-1
// --param="logGroups=/aws/fsx/lustre,/aws/fsx/scratch"`.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const osls = createRequire(import.meta.url).resolve('osls/bin/serverless.js');

/** Runs `osls package` with this Node.js; resolves to its exit code. Used by release.mjs too. */
export function packageStack(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [osls, 'package', ...args], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        // Never probe the EC2 instance metadata endpoint for credentials.
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  try {
    await buildAll();
  } catch (error) {
    console.error(`build failed: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
    process.exit(1);
  }
  const code = await packageStack(process.argv.slice(2));
  if (code === 0) {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`Built and packaged in ${seconds} s`);
  }
  process.exitCode = code;
}

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The built Lambda bundles (dist/lambda, made by the test setup), run as Lambda runs them, with
 * tracing on: with code splitting, the code that loads dist/lambda/tracing.mjs may sit in one of
 * the function's chunks, two folders further down, and must still find it (lib/aws/clients.ts).
 * Each bundle is imported in a fresh Node.js process and invoked once, in a dry run, with an event
 * that makes no AWS call.
 */

const ROOT = join(import.meta.dirname, '..', '..');

// A CloudWatch Logs control message for the analyzer, an empty SQS batch for the retrier.
const INVOKE = `
import { gzipSync } from 'node:zlib';
const [bundle, kind] = process.argv.slice(1);
const { handler } = await import(bundle);
const control = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '',
  subscriptionFilters: [], logEvents: [{ id: '', timestamp: 0, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }] };
const event = kind === 'sqs' ? { Records: [] } : { awslogs: { data: gzipSync(JSON.stringify(control)).toString('base64') } };
const result = await handler(event, { awsRequestId: 'test', functionName: 'test', getRemainingTimeInMillis: () => 30000 });
console.log('RESULT ' + JSON.stringify(result));
`;

function invokeBuilt(name: string, kind: 'logs' | 'sqs') {
  const bundle = pathToFileURL(join(ROOT, 'dist', 'lambda', `${name}.mjs`)).href;
  return spawnSync(process.execPath, ['--input-type=module', '-e', INVOKE, bundle, kind], {
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'] ?? '',
      POWERTOOLS_TRACE_ENABLED: 'true',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
      DRY_RUN: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    },
  });
}

describe('Built Lambda bundles with tracing on', () => {
  it('the analyzer loads the tracing bundle and answers a control message', () => {
    // Prepare / Act
    const run = invokeBuilt('analyzer', 'logs');

    // Assess
    expect(run.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('RESULT {"events":0,');
  });

  it('the retrier loads the tracing bundle and settles an empty batch', () => {
    // Prepare / Act
    const run = invokeBuilt('retrier', 'sqs');

    // Assess
    expect(run.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('RESULT {"batchItemFailures":[]}');
  });
});

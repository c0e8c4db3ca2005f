import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnalyzerResult } from '../../functions/analyzer.ts';
import type { OutcomeResult } from '../../functions/outcomes.ts';
import { MAX_REPORT_BYTES } from '../../lib/reexport/report.ts';
import { lambdaEvent, payload, transient } from '../helpers/events.ts';
import { FS } from '../helpers/fixtures.ts';
import { CONTEXT, coldStartWith, flat } from '../helpers/lambda.ts';
import { durableStackEnv, type LocalStack, startLocalStack } from '../helpers/local-stack.ts';
import type { S3Fault } from '../servers/s3-server.ts';

/*
 * Completion reports read back, end to end: the analyzer starts a re-export on the FSx test
 * server, the task fails, and the real outcome check reads the task's failures.csv from the S3
 * test server (path-style GetObject, S3's REST XML errors) with the real SDK client, emails the
 * files that still failed, and marks the paths that failed again in the ledger (dynalite), so the
 * analyzer escalates them with that code instead of re-exporting them again.
 */

const BUCKET = 'ml-archive';
const PREFIX = 'datasets/fsx-export-analyzer-reports';

type Handlers = {
  analyzer: (event: unknown, context: Context) => Promise<AnalyzerResult>;
  outcomes: (event: unknown, context: Context) => Promise<OutcomeResult>;
};

describe('Integration: completion reports read back by the outcome check', () => {
  let stack: LocalStack;
  let handlers: Handlers;

  beforeEach(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    stack = await startLocalStack({ fileSystems: [FS], maxReceiveCount: 3, region: 'eu-west-1' });
    handlers = await coldStartWith(durableStackEnv(stack), async () => {
      const analyzer = await import('../../functions/analyzer.ts');
      const outcomes = await import('../../functions/outcomes.ts');
      return { analyzer: analyzer.handler, outcomes: outcomes.handler };
    });
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await stack.stop();
  });

  /** Re-exports the paths through the analyzer, and has FSx fail the task it started. */
  async function failedTask(paths: readonly string[], round = 'r1'): Promise<string> {
    const specs = paths.map((path, index) => transient(`/${path}`, `${round}-${index}`));
    await handlers.analyzer(lambdaEvent(payload(specs)), CONTEXT);
    const taskId = stack.fsx.tasks().at(-1)?.TaskId ?? '';
    stack.fsx.setLifecycle(taskId, 'FAILED', {
      total: paths.length,
      succeeded: 0,
      failed: paths.length,
    });
    return taskId;
  }

  it('lists the files that still failed with code and class, and escalates a path that failed again with that code', async () => {
    // Prepare
    const taskId = await failedTask(['ns1/denied.bin', 'ns1/,odd "name".bin']);
    const key = `${PREFIX}/${taskId}/failures.csv`;
    stack.s3.put(
      BUCKET,
      key,
      '\uFEFFns1/denied.bin,failed,S3AccessDenied\r\n"ns1/,odd ""name"".bin",failed,FileSizeTooLarge\r\n',
    );

    // Act
    const result = await handlers.outcomes({}, CONTEXT);
    const again = await handlers.analyzer(
      lambdaEvent(payload([transient('/ns1/denied.bin', 'r2-0')])),
      CONTEXT,
    );

    // Assess
    expect(result).toMatchObject({ finished: 1, stillOpen: 0 });
    expect(stack.s3.calls).toEqual([
      { method: 'GET', bucket: BUCKET, key, range: `bytes=0-${MAX_REPORT_BYTES - 1}` },
    ]);
    const followUp = flat(stack.sns.published[1]?.message);
    expect(followUp).toContain('2 files still failed; 2 of them are paths this task re-exported');
    expect(followUp).toContain('S3AccessDenied (permission): 1 file.');
    expect(followUp).toContain('ns1/denied.bin (failed again: escalated)');
    expect(followUp).toContain('FileSizeTooLarge (limit): 1 file.');
    expect(followUp).toContain('ns1/,odd "name".bin (failed again: escalated)');
    // The next failure of the path is escalated with the report's code, not re-exported.
    expect(again).toMatchObject({ tasksStarted: 0, pathsEscalated: 1 });
    expect(stack.fsx.tasks()).toHaveLength(1);
    const summary = flat(stack.sns.published[2]?.message);
    expect(summary).toContain(`Task ${taskId} reported S3AccessDenied (permission) for it`);
  });

  it.each<[string, S3Fault | 'missing', string]>([
    [
      'a missing report',
      'missing',
      '(NoSuchKey: The specified key does not exist.): there is no failures.csv at that address',
    ],
    [
      'access denied',
      'AccessDenied',
      '(AccessDenied: Access Denied): the outcome check may not read it',
    ],
    [
      'a KMS key it may not use',
      'KMS.DisabledException',
      '(KmsDenied: The KMS key is not usable): the report is encrypted with a KMS key',
    ],
    [
      'throttling past the retries',
      'SlowDown',
      '(Throttled: Please reduce your request rate.): S3 throttled the read',
    ],
  ])(
    'reports the task and says plainly when its report cannot be read: %s',
    async (_name, fault, said) => {
      // Prepare
      const taskId = await failedTask(['ns1/a.bin']);
      const key = `${PREFIX}/${taskId}/failures.csv`;
      if (fault !== 'missing') {
        stack.s3.put(BUCKET, key, 'ns1/a.bin,failed,S3AccessDenied\n');
        stack.s3.fail(BUCKET, key, fault);
      }

      // Act
      const result = await handlers.outcomes({}, CONTEXT);
      const again = await handlers.analyzer(
        lambdaEvent(payload([transient('/ns1/a.bin', 'r2-0')])),
        CONTEXT,
      );

      // Assess
      expect(result).toMatchObject({ finished: 1, published: expect.any(String) });
      const followUp = flat(stack.sns.published[1]?.message);
      expect(followUp).toContain(`The completion report could not be read ${said}`);
      expect(followUp).toContain(`aws s3 cp s3://${BUCKET}/${key} -`);
      // SlowDown is retried by the SDK (3 attempts); the others are not.
      expect(stack.s3.calls).toHaveLength(fault === 'SlowDown' ? 3 : 1);
      // Nothing was read, so nothing is escalated: the attempt limit still applies.
      expect(again).toMatchObject({ tasksStarted: 1, pathsEscalated: 0 });
    },
  );

  it('reads at most MAX_REPORT_BYTES of a long report and says the rest is not listed', async () => {
    // Prepare
    const taskId = await failedTask(['ns1/a.bin']);
    const row = (n: number) => `ns1/many/file-${String(n).padStart(6, '0')}.bin,failed,S3Error\n`;
    const rows = Array.from({ length: 40_000 }, (_, n) => row(n)).join('');
    stack.s3.put(BUCKET, `${PREFIX}/${taskId}/failures.csv`, rows);

    // Act
    await handlers.outcomes({}, CONTEXT);

    // Assess
    const followUp = flat(stack.sns.published[1]?.message);
    const readRows = Math.floor(MAX_REPORT_BYTES / row(0).length);
    expect(followUp).toContain(`${readRows} files still failed:`);
    expect(followUp).toContain(`and ${readRows - 20} more files, in the report.`);
    expect(followUp).toContain(
      `Only the first 1,048,576 bytes of ${Buffer.byteLength(rows).toLocaleString('en-US')} were read`,
    );
  });
});

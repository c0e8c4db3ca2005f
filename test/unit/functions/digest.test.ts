import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnalyzerResult } from '../../../functions/analyzer.ts';
import type { DigestResult } from '../../../functions/digest.ts';
import { type LocalDynamo, startDynalite } from '../../helpers/dynalite.ts';
import { type EventSpec, lambdaEvent, payload } from '../../helpers/events.ts';
import { FS } from '../../helpers/fixtures.ts';
import { CONTEXT, coldStartWith, LOCAL_CREDENTIALS, rejectionOf } from '../../helpers/lambda.ts';
import { type CloudWatchServer, startCloudWatchServer } from '../../servers/cloudwatch-server.ts';
import { type SnsServer, startSnsServer } from '../../servers/sns-server.ts';

/*
 * The analyzer's summary gating and the digest function together, through their handlers, with
 * the real SDK clients over HTTP: DynamoDB is dynalite (alert windows and idempotency records in
 * one table), SNS the test server. The clock is fake (only Date), so a day passes in a test.
 */

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-failures';
const OTHER_FS = 'fs-0fedcba9876543210';

type Handlers = {
  analyzer: (event: unknown, context: Context) => Promise<AnalyzerResult>;
  digest: (event: unknown, context: Context) => Promise<DigestResult>;
};

const flat = (text: string | undefined) => (text ?? '').replace(/\s+/g, ' ');

function at(time: string): Date {
  return new Date(`2026-11-25T${time}:00.000Z`);
}

let sequence = 0;

/** An access-denied failure of `path`, logged now, with an event id no other test event has. */
function denied(path: string): EventSpec {
  sequence += 1;
  return {
    id: `3${String(sequence).padStart(55, '0')}`,
    timestamp: Date.now(),
    message: JSON.stringify({ errorCode: 'S3ExportAccessDenied', filePath: path }),
  };
}

function tooLong(path: string): EventSpec {
  sequence += 1;
  return {
    id: `4${String(sequence).padStart(55, '0')}`,
    timestamp: Date.now(),
    message: JSON.stringify({ errorCode: 'S3ExportPathSizeTooLong', filePath: path }),
  };
}

describe('Function: digest handler and the analyzer with digests on', () => {
  let dynamo: LocalDynamo;
  let sns: SnsServer;
  let cloudwatch: CloudWatchServer;
  let handlers: Handlers;

  async function coldStart(env: Record<string, string> = {}): Promise<Handlers> {
    // A cold start: the handler's module graph loaded afresh with this environment.
    return coldStartWith(
      {
        ...LOCAL_CREDENTIALS,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_SNS: sns.endpoint,
        AWS_ENDPOINT_URL_FSX: 'http://127.0.0.1:9',
        AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.endpoint,
        AWS_LAMBDA_FUNCTION_NAME: 'fsx-export-analyzer-test-analyzer',
        SUMMARY_TOPIC_ARN: TOPIC,
        DEFERRAL_QUEUE_URL: '',
        LEDGER_TABLE: dynamo.tableName,
        DIGEST_WINDOW_MINUTES: '60',
        REPORT_PATH: '',
        MAX_PATHS_PER_TASK: '',
        ASSOCIATION_CACHE_SECONDS: '',
        MAX_DECOMPRESSED_BYTES: '',
        BUSY_DELAY_SECONDS: '',
        ...env,
      },
      async () => {
        const analyzer = await import('../../../functions/analyzer.ts');
        const digest = await import('../../../functions/digest.ts');
        return { analyzer: analyzer.handler, digest: digest.handler };
      },
    );
  }

  function analyze(events: readonly EventSpec[], fileSystemId = FS): Promise<AnalyzerResult> {
    return handlers.analyzer(
      lambdaEvent(payload(events, { logStream: `datarepo_${fileSystemId}` })),
      CONTEXT,
    );
  }

  beforeEach(async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(at('10:00'));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    dynamo = await startDynalite();
    sns = await startSnsServer({ topicArn: TOPIC });
    cloudwatch = await startCloudWatchServer();
    handlers = await coldStart();
  });

  afterEach(async () => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await sns.stop();
    await cloudwatch.stop();
    await dynamo.stop();
  });

  it('alerts at once, holds repeats, digests them, recovers, and alerts at once again', async () => {
    // Prepare: the timeline of the issue, on one file system.

    // Act
    const first = await analyze([denied('/ns1/a.bin')]);
    vi.setSystemTime(at('10:10'));
    const repeat = await analyze([denied('/ns1/a.bin')]);
    vi.setSystemTime(at('10:50'));
    const another = await analyze([denied('/ns1/b.bin')]);
    vi.setSystemTime(at('11:01'));
    const digestRun = await handlers.digest({}, CONTEXT);
    vi.setSystemTime(at('11:30'));
    const quietRun = await handlers.digest({}, CONTEXT);
    vi.setSystemTime(at('12:01'));
    const recoveryRun = await handlers.digest({}, CONTEXT);
    vi.setSystemTime(at('12:30'));
    const again = await analyze([denied('/ns1/c.bin')]);

    // Assess
    expect(first.published).not.toBeNull();
    expect(first.heldForDigest).toBe(0);
    expect(repeat).toMatchObject({ published: null, heldForDigest: 1, records: 1 });
    expect(another).toMatchObject({ published: null, heldForDigest: 1 });
    expect(digestRun).toMatchObject({ digests: 1, recovered: 0, heldFailures: 2 });
    expect(quietRun).toMatchObject({ digests: 0, recovered: 0, published: null });
    expect(recoveryRun).toMatchObject({ digests: 0, recovered: 1 });
    expect(again.published).not.toBeNull();
    expect(sns.published.map((message) => message.subject)).toEqual([
      expect.stringMatching(/^FSx export failures on fs-0123456789abcdef0: 1 failed/),
      `FSx export digest on ${FS}: 2 repeated failures, permission`,
      `FSx export failures recovered on ${FS}: permission`,
      expect.stringMatching(/^FSx export failures on fs-0123456789abcdef0: 1 failed/),
    ]);
    const digest = flat(sns.published[1]?.message);
    expect(digest).toContain('2 failures held back from 2026-11-25 10:00 to 11:00 UTC.');
    expect(digest).toContain('1 on new paths, 1 on paths that already failed');
    expect(digest).toContain('ns1/b.bin');
    expect(digest).toContain('Needs a person: FSx was denied s3:PutObject.');
    expect(flat(sns.published[2]?.message)).toContain(
      `No permission failures on ${FS} for a full window (60 minutes) since 2026-11-25 10:50 UTC.`,
    );
    expect(sns.published[1]?.attributes['summary']).toEqual({
      dataType: 'String',
      stringValue: 'digest',
    });
  });

  it("shows each file system's export backlog and the failures per class over the last day", async () => {
    // Prepare: 3 permission failures in the 09:00 hour and 1 in the 10:00 hour (the analyzer's
    // own metric, as CloudWatch would hold it), and a 20-minute backlog on FS.
    const failures = (hour: string, count: number) =>
      cloudwatch.putMetric(
        {
          namespace: 'FsxExportAnalyzer',
          name: 'Failures',
          // The default service name: the test sets no POWERTOOLS_SERVICE_NAME.
          dimensions: { Class: 'permission', service: 'fsx-export-analyzer' },
        },
        at(hour),
        count,
      );
    failures('09:00', 3);
    failures('10:00', 1);
    await analyze([denied('/ns1/a.bin')]);
    vi.setSystemTime(at('10:10'));
    await analyze([denied('/ns1/b.bin')]);
    cloudwatch.putBacklog(FS, at('10:59'), 1200);

    // Act
    vi.setSystemTime(at('11:01'));
    const run = await handlers.digest({}, CONTEXT);

    // Assess
    expect(run.published).not.toBeNull();
    const body = sns.published[1]?.message ?? '';
    expect(body).toContain('EXPORT BACKLOG');
    expect(flat(body)).toContain(`${FS} 20 min`);
    expect(body).toContain('FAILURES OVER TIME');
    expect(body).toContain(
      '1 column = 1 h, 11-24 12:00 to 11-25 12:00 UTC; tallest mark: 3 failures.',
    );
    expect(body).toContain(`permission  ${'.'.repeat(21)}#~.  4`);
  });

  it('still sends the digest when CloudWatch refuses, saying the backlog is unknown', async () => {
    // Prepare
    cloudwatch.inject({
      operation: 'GetMetricData',
      times: Number.POSITIVE_INFINITY,
      kind: { type: 'AccessDeniedException', message: 'User is not authorized' },
    });
    await analyze([denied('/ns1/a.bin')]);
    vi.setSystemTime(at('10:10'));
    await analyze([denied('/ns1/b.bin')]);

    // Act
    vi.setSystemTime(at('11:01'));
    const run = await handlers.digest({}, CONTEXT);

    // Assess
    expect(run).toMatchObject({ digests: 1 });
    expect(run.published).not.toBeNull();
    const body = flat(sns.published[1]?.message);
    expect(body).toContain(`${FS} unknown`);
    expect(body).toContain('grant cloudwatch:GetMetricData to read it');
    expect(body).toContain('Grant cloudwatch:GetMetricData to show it.');
  });

  it('shows a new class in full and one line for the repeats it held back', async () => {
    // Prepare
    await analyze([denied('/ns1/a.bin')]);
    vi.setSystemTime(at('10:20'));

    // Act
    const result = await analyze([denied('/ns1/b.bin'), denied('/ns1/c.bin'), tooLong('/ns1/d')]);

    // Assess
    expect(result).toMatchObject({ heldForDigest: 2 });
    expect(sns.published).toHaveLength(2);
    const summary = sns.published[1];
    expect(summary?.subject).toMatch(/^FSx export failures on fs-0123456789abcdef0: 1 failed/);
    expect(flat(summary?.message)).toContain(
      `Also 2 more failures of already-alerted classes, not shown here: permission on ${FS} (2). They will be in the digest after 11:00 UTC.`,
    );
    expect(summary?.message).not.toContain('ns1/b.bin');
  });

  it('keeps file systems apart: the same class on another file system alerts at once', async () => {
    // Prepare
    await analyze([denied('/ns1/a.bin')]);

    // Act
    const other = await analyze([denied('/ns1/a.bin')], OTHER_FS);

    // Assess
    expect(other.heldForDigest).toBe(0);
    expect(sns.published).toHaveLength(2);
  });

  it('sends a digest whose publish failed on the next run, and only once', async () => {
    // Prepare
    await analyze([denied('/ns1/a.bin')]);
    vi.setSystemTime(at('10:30'));
    await analyze([denied('/ns1/b.bin')]);
    vi.setSystemTime(at('11:01'));
    sns.inject({ operation: 'Publish', times: 3, kind: 'server-error' });

    // Act
    const failed = await rejectionOf(handlers.digest({}, CONTEXT));
    vi.setSystemTime(at('11:06'));
    const retried = await handlers.digest({}, CONTEXT);
    vi.setSystemTime(at('11:11'));
    const after = await handlers.digest({}, CONTEXT);

    // Assess
    expect(failed).toMatchObject({ name: 'PublishError' });
    expect(retried).toMatchObject({ digests: 1, heldFailures: 1 });
    expect(after).toMatchObject({ digests: 0, published: null });
    expect(sns.published.map((message) => message.subject)).toEqual([
      expect.stringMatching(/^FSx export failures/),
      `FSx export digest on ${FS}: 1 repeated failure, permission`,
    ]);
  });

  it('alerts again when Lambda retries a first alert whose publish failed', async () => {
    // Prepare
    const event = lambdaEvent(payload([denied('/ns1/a.bin')]));
    sns.inject({ operation: 'Publish', times: 3, kind: 'server-error' });
    const failed = await rejectionOf(handlers.analyzer(event, CONTEXT));

    // Act
    const retried = await handlers.analyzer(event, CONTEXT);

    // Assess
    expect(failed).toMatchObject({ name: 'PublishError' });
    expect(retried.published).not.toBeNull();
    expect(retried.heldForDigest).toBe(0);
  });

  it('fails the cold start of the digest function without a window', async () => {
    // Prepare
    const error = await rejectionOf(coldStart({ DIGEST_WINDOW_MINUTES: '0' }));

    // Assess
    expect(error).toMatchObject({
      name: 'ConfigError',
      message:
        'Environment variable DIGEST_WINDOW_MINUTES must be from 1 to 1440 for the digest function',
    });
  });

  it('fails the cold start naming DIGEST_WINDOW_MINUTES when it is not a number', async () => {
    // Prepare
    const error = await rejectionOf(coldStart({ DIGEST_WINDOW_MINUTES: 'hourly' }));

    // Assess
    expect(error).toMatchObject({
      name: 'ConfigError',
      message:
        'Environment variable DIGEST_WINDOW_MINUTES must be an integer from 0 (digests off) to 1440 (got "hourly")',
    });
  });
});

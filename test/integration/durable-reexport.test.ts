import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnalyzerResult } from '../../functions/analyzer.ts';
import type { OutcomeResult } from '../../functions/outcomes.ts';
import { busy, lambdaEvent, payload, transient } from '../helpers/events.ts';
import { FS } from '../helpers/fixtures.ts';
import { CONTEXT, coldStartWith, flat } from '../helpers/lambda.ts';
import { durableStackEnv, type LocalStack, startLocalStack } from '../helpers/local-stack.ts';
import type { FaultProxy } from '../servers/dynamo-proxy.ts';
import type { FsxServer } from '../servers/fsx-server.ts';
import type { SnsServer } from '../servers/sns-server.ts';
import type { SqsServer } from '../servers/sqs-server.ts';

/*
 * The three functions end to end with the real SDK clients over HTTP: DynamoDB is dynalite (the
 * ledger and the idempotency records, behind a fault-injecting proxy), FSx, SQS and SNS are the
 * test servers. The test plays Lambda: it invokes the analyzer with subscription
 * events, feeds the deferral queue to the retrier as the SQS event source mapping would
 * (ReportBatchItemFailures, maxReceiveCount), and runs the outcome check. The queue's clock is the
 * test's, so delays pass without waiting; everything else runs on real time.
 */

const REPORT_PATH = 's3://ml-archive/datasets/fsx-export-analyzer-reports';
const MAX_RECEIVES = 3;
const BUSY_DELAY_SECONDS = 600;
const RETRY_LATER_SECONDS = 300;
/**
 * SDK attempts per call before an error reaches our code: the SDK's standard retry makes 3, and
 * 4 for DynamoDB (this SDK version's default). A fault scripted that many times outlasts them.
 */
const ATTEMPTS = { FSx: 3, SQS: 3, SNS: 3, DynamoDB: 4 } as const;

type Handlers = {
  analyzer: (event: unknown, context: Context) => Promise<AnalyzerResult>;
  retrier: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  outcomes: (event: unknown, context: Context) => Promise<OutcomeResult>;
};

describe('Integration: durable re-export end to end', () => {
  let stack: LocalStack;
  let dynamoProxy: FaultProxy;
  let fsx: FsxServer;
  let sqs: SqsServer;
  let sns: SnsServer;
  let queueClock: number;
  let handlers: Handlers;

  /** Stubs the environment, then loads the three functions in one fresh module graph. */
  async function coldStart(env: Record<string, string> = {}): Promise<Handlers> {
    const settings = durableStackEnv(stack, {
      BUSY_DELAY_SECONDS: String(BUSY_DELAY_SECONDS),
      RETRY_LATER_SECONDS: String(RETRY_LATER_SECONDS),
      MAX_RECEIVES: String(MAX_RECEIVES),
      ...env,
    });
    return coldStartWith(settings, async () => {
      const analyzer = await import('../../functions/analyzer.ts');
      const retrier = await import('../../functions/retrier.ts');
      const outcomes = await import('../../functions/outcomes.ts');
      return { analyzer: analyzer.handler, retrier: retrier.handler, outcomes: outcomes.handler };
    });
  }

  /** Lambda's SQS event source: one batch of due messages, settled by the retrier's answer. */
  async function runRetrier(): Promise<{
    records: SQSRecord[];
    failed: string[];
    error?: unknown;
  }> {
    const records = sqs.receive(10, queueClock);
    if (records.length === 0) return { records, failed: [] };
    try {
      const response = await handlers.retrier({ Records: records }, CONTEXT);
      sqs.settle(records, response);
      return { records, failed: response.batchItemFailures.map((item) => item.itemIdentifier) };
    } catch (error) {
      sqs.settle(records, 'error');
      return { records, failed: records.map((record) => record.messageId), error };
    }
  }

  /** Moves the queue's clock on, as if that many seconds had passed. */
  function advance(seconds: number): void {
    queueClock += seconds * 1000;
  }

  const created = () => fsx.calls.filter((call) => call.operation === 'CreateDataRepositoryTask');
  const queued = () => sqs.messages().map((message) => JSON.parse(message.body));

  beforeEach(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    queueClock = Date.now();
    stack = await startLocalStack({
      fileSystems: [FS],
      maxReceiveCount: MAX_RECEIVES,
      region: 'eu-west-1',
      queueClock: () => queueClock,
    });
    ({ dynamoProxy, fsx, sqs, sns } = stack);
    handlers = await coldStart();
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await stack.stop();
  });

  it('queues a task refused while another runs, waits in the retrier, and starts it once FSx is free', async () => {
    // Prepare
    const running = fsx.addTask({ fileSystemId: FS, lifecycle: 'EXECUTING' });
    const event = lambdaEvent(payload([transient('/ns1/a.bin'), transient('/ns1/b.bin')]));

    // Act
    const analyzed = await handlers.analyzer(event, CONTEXT);
    const early = await runRetrier();
    advance(RETRY_LATER_SECONDS);
    const waiting = await runRetrier();
    fsx.setLifecycle(running, 'SUCCEEDED');
    const started = await runRetrier();

    // Assess
    expect(analyzed).toMatchObject({ tasksStarted: 0, tasksQueued: 1, tasksRefused: 0 });
    expect(early.records).toEqual([]);
    expect(waiting.failed).toHaveLength(1);
    expect(started.failed).toEqual([]);
    expect(sqs.messages()).toEqual([]);
    const tasks = fsx.tasks().filter((task) => task.TaskId !== running);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      Paths: ['ns1/a.bin', 'ns1/b.bin'],
      Report: { Enabled: true, Path: REPORT_PATH },
    });
    expect(sns.published).toHaveLength(2);
    expect(flat(sns.published[0]?.message)).toContain('Queued on fs-0123456789abcdef0: 2 paths');
    expect(flat(sns.published[0]?.message)).toContain('DataRepositoryTaskExecuting');
    expect(flat(sns.published[1]?.message)).toContain(`Started task ${tasks[0]?.TaskId}`);
  });

  it('reports the outcome of the tasks it started in one follow-up, once', async () => {
    // Prepare
    await handlers.analyzer(lambdaEvent(payload([transient('/ns1/a.bin')])), CONTEXT);
    const taskId = fsx.tasks()[0]?.TaskId ?? '';
    fsx.setLifecycle(taskId, 'FAILED', { total: 1, succeeded: 0, failed: 1 }, 'Export failed');

    // Act
    const first = await handlers.outcomes({}, CONTEXT);
    const second = await handlers.outcomes({}, CONTEXT);

    // Assess
    expect(first).toMatchObject({ finished: 1, stillOpen: 0 });
    expect(second).toEqual({ finished: 0, stillOpen: 0, published: null });
    const followUp = sns.published[1];
    expect(followUp?.subject).toBe(`FSx re-export outcomes on ${FS}: 1 failed`);
    expect(flat(followUp?.message)).toContain(
      `Task ${taskId} on ${FS}: FAILED. 1 file, 0 exported, 1 failed.`,
    );
    expect(followUp?.message).toContain(`${REPORT_PATH}/${taskId}/failures.csv`);
    expect(sns.published).toHaveLength(2);
  });

  it('holds busy files in the queue for BUSY_DELAY_SECONDS before the retrier starts them', async () => {
    // Prepare
    const event = lambdaEvent(payload([busy('/ns1/open.log')]));

    // Act
    const analyzed = await handlers.analyzer(event, CONTEXT);
    advance(BUSY_DELAY_SECONDS - 1);
    const tooEarly = await runRetrier();
    advance(1);
    const due = await runRetrier();

    // Assess
    expect(analyzed).toMatchObject({ tasksQueued: 1, tasksStarted: 0 });
    expect(sqs.calls.find((call) => call.operation === 'SendMessageBatch')?.input).toMatchObject({
      Entries: [expect.objectContaining({ DelaySeconds: BUSY_DELAY_SECONDS })],
    });
    expect(tooEarly.records).toEqual([]);
    expect(due.records).toHaveLength(1);
    expect(due.failed).toEqual([]);
    expect(created()).toHaveLength(1);
    expect(fsx.tasks()[0]?.Paths).toEqual(['ns1/open.log']);
  });

  it('starts and queues once, and emails once, when the same batch arrives three times, also concurrently', async () => {
    // Prepare
    const event = lambdaEvent(
      payload([transient('/ns1/a.bin'), transient('/ns1/b.bin'), busy('/ns1/c.log')]),
    );

    // Act
    const concurrent = await Promise.allSettled([
      handlers.analyzer(event, CONTEXT),
      handlers.analyzer(event, CONTEXT),
      handlers.analyzer(event, CONTEXT),
    ]);
    // Lambda retries the ones that met a run in progress; they get the stored result.
    const retried = await Promise.all(
      concurrent
        .filter((outcome) => outcome.status === 'rejected')
        .map(() => handlers.analyzer(event, CONTEXT)),
    );
    const later = await handlers.analyzer(event, CONTEXT);

    // Assess
    const rejected = concurrent.flatMap((outcome) =>
      outcome.status === 'rejected' ? [outcome.reason] : [],
    );
    for (const reason of rejected) {
      expect(reason).toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
    }
    const results = [
      ...concurrent.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : [])),
      ...retried,
      later,
    ];
    expect(results).toHaveLength(3 + 1);
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]).toMatchObject({ tasksStarted: 1, tasksQueued: 1 });
    expect(created()).toHaveLength(1);
    expect(fsx.tasks()).toHaveLength(1);
    expect(queued()).toMatchObject([{ paths: ['ns1/c.log'], reason: 'busy' }]);
    expect(sns.published).toHaveLength(1);
  });

  it('starts and queues once, and emails once, when the same batch arrives three times in a row', async () => {
    // Prepare
    const event = lambdaEvent(
      payload([transient('/ns1/a.bin'), transient('/ns1/b.bin'), busy('/ns1/c.log')]),
    );

    // Act
    const results = [];
    for (let delivery = 1; delivery <= 3; delivery++) {
      results.push(await handlers.analyzer(event, CONTEXT));
    }

    // Assess
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]).toMatchObject({ tasksStarted: 1, tasksQueued: 1 });
    expect(created()).toHaveLength(1);
    expect(fsx.tasks()).toHaveLength(1);
    expect(queued()).toMatchObject([{ paths: ['ns1/c.log'], reason: 'busy' }]);
    expect(sns.published).toHaveLength(1);
  });

  it('escalates a path that failed again after K re-exports instead of starting another task', async () => {
    // Prepare
    const taskIds: string[] = [];
    for (let round = 1; round <= 3; round++) {
      // Each failure is a new log event: a new batch with new event ids.
      const event = lambdaEvent(payload([transient('/ns1/loop.bin', `round-${round}`)]));
      await handlers.analyzer(event, CONTEXT);
      const task = fsx.tasks().at(-1);
      taskIds.push(task?.TaskId ?? '');
      fsx.setLifecycle(task?.TaskId ?? '', 'FAILED', { total: 1, succeeded: 0, failed: 1 });
    }
    const fourth = lambdaEvent(payload([transient('/ns1/loop.bin', 'round-4')]));

    // Act
    const result = await handlers.analyzer(fourth, CONTEXT);
    const outcomes = await handlers.outcomes({}, CONTEXT);

    // Assess
    expect(new Set(taskIds).size).toBe(3);
    expect(result).toMatchObject({ tasksStarted: 0, pathsEscalated: 1 });
    expect(fsx.tasks()).toHaveLength(3);
    const summary = sns.published[3];
    expect(summary?.subject).toContain('1 needs a person');
    expect(flat(summary?.message)).toContain('will not be re-exported automatically any more');
    for (const taskId of taskIds) expect(summary?.message).toContain(taskId);
    expect(outcomes).toMatchObject({ finished: 3 });
    expect(sns.published[4]?.subject).toBe(`FSx re-export outcomes on ${FS}: 3 failed`);
    expect(sns.published).toHaveLength(5);
  });

  it('tells a person and dead-letters a message the retrier had to wait on N times', async () => {
    // Prepare
    const running = fsx.addTask({ fileSystemId: FS, lifecycle: 'EXECUTING' });
    await handlers.analyzer(lambdaEvent(payload([busy('/ns1/stuck.log')])), CONTEXT);
    const emailsBefore = sns.published.length;

    // Act
    const runs = [];
    for (let receive = 1; receive <= MAX_RECEIVES; receive++) {
      advance(BUSY_DELAY_SECONDS);
      runs.push(await runRetrier());
    }

    // Assess
    expect(runs.map((run) => run.failed.length)).toEqual([1, 1, 1]);
    expect(sqs.messages()).toEqual([]);
    expect(sqs.deadLetters()).toHaveLength(1);
    expect(JSON.parse(sqs.deadLetters()[0]?.body ?? '{}')).toMatchObject({
      paths: ['ns1/stuck.log'],
    });
    expect(sns.published).toHaveLength(emailsBefore + 1);
    const email = sns.published.at(-1);
    expect(email?.subject).toContain('1 dead-lettered');
    expect(flat(email?.message)).toContain('Dead-lettered: re-export by hand.');
    expect(flat(email?.message)).toContain(running);
    expect(email?.message).toContain(
      `aws fsx create-data-repository-task --file-system-id ${FS} --type EXPORT_TO_REPOSITORY --paths 'ns1/stuck.log'`,
    );
    expect(created()).toHaveLength(0);
  });

  describe('when AWS throttles or fails once, the SDK retry absorbs it', () => {
    it.each([
      ['FSx', 'CreateDataRepositoryTask', 'throttle'],
      ['FSx', 'DescribeDataRepositoryAssociations', 'server-error'],
      ['SQS', 'SendMessageBatch', 'throttle'],
      ['SQS', 'SendMessageBatch', 'server-error'],
      ['DynamoDB', 'BatchGetItem', 'throttle'],
      ['DynamoDB', 'UpdateItem', 'server-error'],
      ['DynamoDB', 'PutItem', 'throttle'],
      ['SNS', 'Publish', 'throttle'],
      ['SNS', 'Publish', 'server-error'],
    ] as const)('%s %s (%s)', async (service, operation, kind) => {
      // Prepare
      const fault = { operation, times: 1, kind };
      if (service === 'FSx') fsx.inject(fault);
      if (service === 'SQS') sqs.inject(fault);
      if (service === 'DynamoDB') dynamoProxy.inject(fault);
      if (service === 'SNS') sns.inject(fault);
      const event = lambdaEvent(payload([transient('/ns1/a.bin'), busy('/ns1/b.log')]));

      // Act
      const result = await handlers.analyzer(event, CONTEXT);

      // Assess
      expect(result).toMatchObject({ tasksStarted: 1, tasksQueued: 1, tasksRefused: 0 });
      expect(fsx.tasks()).toHaveLength(1);
      expect(queued()).toMatchObject([{ paths: ['ns1/b.log'] }]);
      expect(sns.published).toHaveLength(1);
      if (service === 'FSx') {
        expect(fsx.calls.filter((call) => call.operation === operation)).toHaveLength(2);
      }
      if (service === 'SQS') expect(sqs.calls).toHaveLength(2);
      if (service === 'DynamoDB') {
        expect(
          dynamoProxy.calls.filter((call) => call.operation === operation).length,
        ).toBeGreaterThan(1);
      }
      if (service === 'SNS') expect(sns.calls).toHaveLength(2);
    });
  });

  describe('when AWS keeps failing, nothing is lost', () => {
    it.each([
      ['SQS', 'SendMessageBatch', 'throttle'],
      ['DynamoDB', 'BatchGetItem', 'server-error'],
      ['DynamoDB', 'PutItem', 'server-error'],
      ['DynamoDB', 'UpdateItem', 'server-error'],
      ['SNS', 'Publish', 'server-error'],
    ] as const)(
      'the analyzer fails on %s %s (%s) and its retry completes the work',
      async (service, operation, kind) => {
        // Prepare: every SDK attempt of one call fails.
        const fault = { operation, times: ATTEMPTS[service], kind };
        if (service === 'SQS') sqs.inject(fault);
        if (service === 'DynamoDB') dynamoProxy.inject(fault);
        if (service === 'SNS') sns.inject(fault);
        const event = lambdaEvent(payload([transient('/ns1/a.bin'), busy('/ns1/b.log')]));

        // Act
        const failed = await handlers.analyzer(event, CONTEXT).then(
          () => undefined,
          (error: unknown) => error,
        );
        const retried = await handlers.analyzer(event, CONTEXT);

        // Assess
        expect(failed).toBeInstanceOf(Error);
        expect(retried).toMatchObject({ tasksStarted: 1, tasksQueued: 1 });
        // The same token both times: FSx answers the retry with the task it already started.
        expect(fsx.tasks()).toHaveLength(1);
        expect(queued().length).toBeGreaterThanOrEqual(1);
        for (const message of queued()) expect(message).toMatchObject({ paths: ['ns1/b.log'] });
        expect(sns.published).toHaveLength(1);
      },
    );

    it('queues a re-export FSx keeps throttling, and the retrier starts it later', async () => {
      // Prepare
      fsx.inject({ operation: 'CreateDataRepositoryTask', times: ATTEMPTS.FSx, kind: 'throttle' });

      // Act
      const analyzed = await handlers.analyzer(
        lambdaEvent(payload([transient('/ns1/a.bin')])),
        CONTEXT,
      );
      advance(RETRY_LATER_SECONDS);
      const retried = await runRetrier();

      // Assess
      expect(analyzed).toMatchObject({ tasksStarted: 0, tasksQueued: 1 });
      expect(retried.failed).toEqual([]);
      expect(fsx.tasks()).toHaveLength(1);
      expect(fsx.tasks()[0]?.Paths).toEqual(['ns1/a.bin']);
    });

    it('makes the retrier wait while FSx cannot say which tasks run, then start', async () => {
      // Prepare
      await handlers.analyzer(lambdaEvent(payload([busy('/ns1/b.log')])), CONTEXT);
      advance(BUSY_DELAY_SECONDS);
      fsx.inject({
        operation: 'DescribeDataRepositoryTasks',
        times: ATTEMPTS.FSx,
        kind: 'server-error',
      });

      // Act
      const blind = await runRetrier();
      const clear = await runRetrier();

      // Assess
      expect(blind.failed).toHaveLength(1);
      expect(clear.failed).toEqual([]);
      expect(fsx.tasks()).toHaveLength(1);
    });

    it('returns every record when the retrier cannot email, without starting a second task', async () => {
      // Prepare
      await handlers.analyzer(lambdaEvent(payload([busy('/ns1/b.log')])), CONTEXT);
      advance(BUSY_DELAY_SECONDS);
      sns.inject({ operation: 'Publish', times: ATTEMPTS.SNS, kind: 'throttle' });

      // Act
      const failed = await runRetrier();
      const again = await runRetrier();

      // Assess
      expect(failed.error).toMatchObject({ name: 'PublishError' });
      expect(sqs.messages()).toHaveLength(1);
      // The task it started runs, so the record waits instead of starting another.
      expect(again.failed).toHaveLength(1);
      expect(fsx.tasks()).toHaveLength(1);
    });

    it('fails the outcome check while DynamoDB is down, and reports on the next run', async () => {
      // Prepare
      await handlers.analyzer(lambdaEvent(payload([transient('/ns1/a.bin')])), CONTEXT);
      fsx.setLifecycle(fsx.tasks()[0]?.TaskId ?? '', 'SUCCEEDED', { total: 1, succeeded: 1 });
      dynamoProxy.inject({ operation: 'Scan', times: ATTEMPTS.DynamoDB, kind: 'server-error' });

      // Act
      const down = await handlers.outcomes({}, CONTEXT).then(
        () => undefined,
        (error: unknown) => error,
      );
      const up = await handlers.outcomes({}, CONTEXT);

      // Assess
      expect(down).toMatchObject({ name: 'LedgerError' });
      expect(up).toMatchObject({ finished: 1 });
      expect(sns.published.at(-1)?.subject).toBe(`FSx re-export outcomes on ${FS}: 1 succeeded`);
    });
  });
});

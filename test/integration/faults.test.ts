import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type {
  CloudWatchLogsEvent,
  Context,
  SQSBatchResponse,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnalyzerResult } from '../../functions/analyzer.ts';
import type { OutcomeResult } from '../../functions/outcomes.ts';
import type { DeferredExport } from '../../lib/common/ports.ts';
import type { LocalDynamo } from '../helpers/dynalite.ts';
import { busy, lambdaEvent, payload, transient } from '../helpers/events.ts';
import { FS } from '../helpers/fixtures.ts';
import { CONTEXT, coldStartWith, TOPIC } from '../helpers/lambda.ts';
import { durableStackEnv, type LocalStack, startLocalStack } from '../helpers/local-stack.ts';
import {
  type FaultProxy,
  FSX,
  type ProxyFaultKind,
  SQS,
  startFaultProxy,
} from '../servers/dynamo-proxy.ts';
import type { FsxServer } from '../servers/fsx-server.ts';
import type { SnsFaultKind, SnsServer } from '../servers/sns-server.ts';
import type { SqsServer } from '../servers/sqs-server.ts';

/*
 * Fault injection end to end: the three functions with the real SDK clients, against dynalite and
 * the FSx, SQS and SNS test servers, with a fault-injecting proxy in front of dynalite, FSx and
 * SQS (and the SNS server's own faults). Every scenario ends with the accounting invariant, stated
 * in one line through `account()`:
 *
 * - each re-exportable path (transient or busy, with a usable path) is in exactly one place: a
 *   task FSx started, a deferral message SQS holds (waiting, delayed or in flight), or a
 *   dead-lettered message that an email named; or FSx refused it for good and an email told a
 *   person; or its invocation failed, so Lambda keeps the whole batch (retries, then the
 *   on-failure destination);
 * - each delivery's summary was published (SNS recorded the MessageId the handler returned), or
 *   the invocation failed.
 *
 * Anything else reads `LOST`. A failed invocation is then delivered again, as Lambda would, once
 * the fault is gone, and the work must complete without a second task for the same paths and
 * without a second summary. The queue's clock is the test's; everything else is real time.
 */

const MAX_RECEIVES = 3;
/** Busy files and refusals for now wait the same time, so they come back in one retrier batch. */
const DELAY_SECONDS = 300;
const COALESCE_WINDOW_SECONDS = 300;
/** The deferral queue's visibility timeout: when a handed-back message is received again. */
const VISIBILITY_SECONDS = 420;
/**
 * The clients in lib/aws/clients.ts time an attempt out after 10 s; the tests shorten that
 * (below), so a `timeout` fault ends as it would in production, only sooner: a TimeoutError the
 * SDK retries.
 */
const REQUEST_TIMEOUT_MS = 300;
/** Lambda retries a failed asynchronous invocation after about a minute, then two. */
const LAMBDA_RETRY_DELAY_MS = 60_000;

type Analyzer = (event: unknown, context: Context) => Promise<AnalyzerResult>;
type Handlers = {
  analyzer: Analyzer;
  retrier: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  outcomes: (event: unknown, context: Context) => Promise<OutcomeResult>;
};

/** One log batch handed to the analyzer, and how its latest delivery ended. */
interface Delivery {
  readonly event: CloudWatchLogsEvent;
  /** Its re-exportable paths, as FSx names them (relative to the file system root). */
  readonly paths: readonly string[];
  outcome: PromiseSettledResult<AnalyzerResult>;
}

/** The batch most scenarios use: one file to re-export now, one busy file to queue. */
const mixedEvent = () => lambdaEvent(payload([transient('/ns1/a.bin'), busy('/ns1/b.log')]));
const MIXED_PATHS = ['ns1/a.bin', 'ns1/b.log'] as const;

describe('Integration: fault injection, nothing ends nowhere', () => {
  let stack: LocalStack;
  let dynamo: LocalDynamo;
  let dynamoProxy: FaultProxy;
  let fsx: FsxServer;
  let fsxProxy: FaultProxy;
  let sqs: SqsServer;
  let sqsProxy: FaultProxy;
  let sns: SnsServer;
  let queueUrl: string;
  let queueClock: number;
  let handlers: Handlers;

  /** Stubs the environment, then loads the three functions in one fresh module graph. */
  async function coldStart(): Promise<Handlers> {
    const settings = durableStackEnv(stack, {
      // Through the fault proxies, so faults apply.
      AWS_ENDPOINT_URL_FSX: fsxProxy.endpoint,
      AWS_ENDPOINT_URL_SQS: sqsProxy.endpoint,
      DEFERRAL_QUEUE_URL: queueUrl,
      AWS_MAX_ATTEMPTS: '',
      ASSOCIATION_CACHE_SECONDS: '0',
      BUSY_DELAY_SECONDS: String(DELAY_SECONDS),
      RETRY_LATER_SECONDS: String(DELAY_SECONDS),
      COALESCE_WINDOW_SECONDS: String(COALESCE_WINDOW_SECONDS),
      MAX_RECEIVES: String(MAX_RECEIVES),
    });
    return coldStartWith(settings, async () => {
      const analyzer = await import('../../functions/analyzer.ts');
      const retrier = await import('../../functions/retrier.ts');
      const outcomes = await import('../../functions/outcomes.ts');
      // The same module graph, so these are the handlers' own clients.
      const clients = await import('../../lib/aws/clients.ts');
      for (const client of [
        clients.fsxClient,
        clients.snsClient,
        clients.sqsClient,
        clients.dynamoClient,
      ]) {
        setRequestTimeout(client.config.requestHandler);
      }
      return { analyzer: analyzer.handler, retrier: retrier.handler, outcomes: outcomes.handler };
    });
  }

  async function settle<T>(promise: Promise<T>): Promise<PromiseSettledResult<T>> {
    return promise.then(
      (value) => ({ status: 'fulfilled', value }),
      (reason: unknown) => ({ status: 'rejected', reason }),
    );
  }

  /** Lambda invokes the analyzer with a log batch. */
  async function deliver(
    event: CloudWatchLogsEvent,
    paths: readonly string[] = MIXED_PATHS,
    context: Context = CONTEXT,
  ): Promise<Delivery> {
    return { event, paths, outcome: await settle(handlers.analyzer(event, context)) };
  }

  /** Lambda's retry of a failed invocation: the same event again. */
  async function redeliver(delivery: Delivery, context: Context = CONTEXT): Promise<Delivery> {
    delivery.outcome = await settle(handlers.analyzer(delivery.event, context));
    return delivery;
  }

  /** What the latest delivery failed with. */
  function failure(delivery: Delivery): unknown {
    return delivery.outcome.status === 'rejected' ? delivery.outcome.reason : undefined;
  }

  /**
   * Lambda's SQS event source with ReportBatchItemFailures: one batch of due messages; the ones
   * the retrier hands back (or all, when it throws) come back after the visibility timeout, and
   * SQS moves one received MAX_RECEIVES times to the dead-letter queue instead.
   */
  async function runRetrier(records: SQSRecord[] = sqs.receive(10, queueClock)) {
    if (records.length === 0) return { records, failed: [] as string[], error: undefined };
    const ids = records.map((record) => record.messageId);
    const back = queueClock + VISIBILITY_SECONDS * 1000;
    try {
      const response = await handlers.retrier({ Records: records }, CONTEXT);
      sqs.settle(records, response, back);
      const failed = response.batchItemFailures.map((item) => item.itemIdentifier);
      return { records, failed, error: undefined };
    } catch (error) {
      sqs.settle(records, 'error', back);
      return { records, failed: ids, error };
    }
  }

  /**
   * Moves the functions' clock (Date only; timers stay real) on by `ms` from now: an in-progress
   * idempotency record (it expires with the invocation's remaining time, 30 s here) or a
   * coalescing window is then in the past, as it is for Lambda's retry a minute later.
   */
  function laterBy(ms: number): void {
    const now = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: now + ms });
  }

  /** Moves the functions' clock to just after the start of the next coalescing window. */
  function atNextWindow(): void {
    const window = COALESCE_WINDOW_SECONDS * 1000;
    vi.useFakeTimers({
      toFake: ['Date'],
      now: Math.floor(Date.now() / window) * window + window + 1_000,
    });
  }

  /** Moves the queue's clock on, as if that many seconds had passed. */
  function advance(seconds: number): void {
    queueClock += seconds * 1000;
  }

  /**
   * FSx finishes the tasks that run, the deferred messages come due, and the retrier gets them
   * until none is due.
   */
  async function drain(): Promise<void> {
    for (const task of fsx.tasks()) {
      if (task.Lifecycle === 'PENDING' || task.Lifecycle === 'EXECUTING') {
        fsx.setLifecycle(task.TaskId, 'SUCCEEDED', {
          total: task.Paths.length,
          succeeded: task.Paths.length,
        });
      }
    }
    advance(Math.max(DELAY_SECONDS, VISIBILITY_SECONDS));
    for (let run = await runRetrier(); run.records.length > 0; run = await runRetrier()) {
      // Each batch is settled by runRetrier; what waits is due again only later.
    }
  }

  /** Tasks the functions started (a task the test seeded has no completion report). */
  const ourTasks = () => fsx.tasks().filter((task) => task.Report?.['Enabled'] === true);
  const bodies = (messages: { body: string }[]) =>
    messages.map((message) => JSON.parse(message.body) as DeferredExport);

  /**
   * The accounting invariant as one object: every re-exportable path of the deliveries and where
   * it is (`started`, `deferred`, `dead-lettered`, `refused, a person was told`, `in the failed
   * batch`, or `LOST`; two places read `started + deferred`), and per delivery whether its
   * summary was `published`, the `invocation failed`, there was `nothing to report`, or it is
   * `LOST`.
   */
  function account(...deliveries: Delivery[]): Record<string, string> {
    const tasks = ourTasks();
    const queued = bodies(sqs.messages());
    const emails = sns.published;
    const ledger: Record<string, string> = {};
    for (const path of new Set(deliveries.flatMap((delivery) => delivery.paths))) {
      const places = new Set<string>();
      if (tasks.some((task) => task.Paths.includes(path))) places.add('started');
      if (queued.some((message) => message.paths.includes(path))) places.add('deferred');
      for (const dead of sqs.deadLetters()) {
        if (!(JSON.parse(dead.body) as DeferredExport).paths.includes(path)) continue;
        const named = emails.some((email) => email.message.includes(dead.messageId));
        places.add(named ? 'dead-lettered' : 'dead-lettered, no email named it');
      }
      let where = [...places].join(' + ');
      if (where === '') {
        const failedBatch = deliveries.some(
          (delivery) => delivery.paths.includes(path) && delivery.outcome.status === 'rejected',
        );
        const told = emails.some((email) => email.message.includes(path));
        where = failedBatch ? 'in the failed batch' : told ? 'refused, a person was told' : 'LOST';
      }
      ledger[path] = where;
    }
    const ids = new Set(emails.map((email) => email.messageId));
    ledger['summary'] = deliveries
      .map(({ outcome }) =>
        outcome.status === 'rejected'
          ? 'invocation failed'
          : outcome.value.published !== null && ids.has(outcome.value.published)
            ? 'published'
            : outcome.value.records + outcome.value.unparseable === 0
              ? 'nothing to report'
              : 'LOST',
      )
      .join(', ');
    return ledger;
  }

  /** How many tasks hold each path, and how many analyzer summaries went out. */
  function counts(): { tasksPerPath: Record<string, number>; summaries: number } {
    const tasksPerPath: Record<string, number> = {};
    for (const task of ourTasks()) {
      for (const path of task.Paths) tasksPerPath[path] = (tasksPerPath[path] ?? 0) + 1;
    }
    const summaries = sns.published.filter((email) =>
      email.subject.startsWith('FSx export failures on'),
    ).length;
    return { tasksPerPath, summaries };
  }

  function injectInto(
    service: 'FSx' | 'SQS' | 'DynamoDB',
    fault: Parameters<FaultProxy['inject']>[0],
  ) {
    ({ FSx: fsxProxy, SQS: sqsProxy, DynamoDB: dynamoProxy })[service].inject(fault);
  }

  function clearFaults(): void {
    for (const proxy of [fsxProxy, sqsProxy, dynamoProxy]) proxy.clear();
    sns.clear();
  }

  beforeEach(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    queueClock = Date.now();
    stack = await startLocalStack({
      fileSystems: [FS],
      maxReceiveCount: MAX_RECEIVES,
      region: 'eu-west-1',
      queueClock: () => queueClock,
      topicArn: TOPIC,
    });
    ({ dynamo, dynamoProxy, fsx, sqs, sns } = stack);
    fsxProxy = await startFaultProxy(fsx.endpoint, FSX);
    sqsProxy = await startFaultProxy(sqs.endpoint, SQS);
    // The SDK sends SQS requests to the queue URL's host: the proxy's, so faults apply.
    queueUrl = `${sqsProxy.endpoint}${new URL(sqs.queueUrl).pathname}`;
    handlers = await coldStart();
  });

  afterEach(async () => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await Promise.all([fsxProxy.stop(), sqsProxy.stop()]);
    await stack.stop();
  });

  describe('a fault once: the SDK retry absorbs it', () => {
    it.each([
      ['FSx', 'CreateDataRepositoryTask', 'throttle'],
      ['FSx', 'CreateDataRepositoryTask', 'server-error'],
      ['FSx', 'CreateDataRepositoryTask', 'reset'],
      ['FSx', 'CreateDataRepositoryTask', 'timeout'],
      ['FSx', 'DescribeDataRepositoryAssociations', 'throttle'],
      ['FSx', 'DescribeDataRepositoryAssociations', 'reset'],
      ['SQS', 'SendMessageBatch', 'throttle'],
      ['SQS', 'SendMessageBatch', 'server-error'],
      ['SQS', 'SendMessageBatch', 'reset'],
      ['SQS', 'SendMessageBatch', 'timeout'],
      ['DynamoDB', 'PutItem', 'throttle'],
      ['DynamoDB', 'PutItem', 'server-error'],
      ['DynamoDB', 'PutItem', 'reset'],
      ['DynamoDB', 'PutItem', 'timeout'],
      ['DynamoDB', 'BatchGetItem', 'throttle'],
      ['DynamoDB', 'BatchGetItem', 'timeout'],
      ['DynamoDB', 'UpdateItem', 'server-error'],
      ['DynamoDB', 'UpdateItem', 'reset'],
    ] as const)('%s %s (%s)', async (service, operation, kind) => {
      // Prepare
      injectInto(service, { operation, times: 1, kind });
      const proxy = { FSx: fsxProxy, SQS: sqsProxy, DynamoDB: dynamoProxy }[service];

      // Act
      const delivery = await deliver(mixedEvent());

      // Assess
      expect(failure(delivery)).toBeUndefined();
      expect(account(delivery)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'published',
      });
      expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
      const tried = proxy.calls.filter((call) => call.operation === operation);
      expect(tried.filter((call) => call.fault !== undefined)).toHaveLength(1);
      expect(tried.length).toBeGreaterThan(1);
    });

    it.each(['throttle', 'throttled', 'server-error', 'reset', 'timeout'] as const)(
      'SNS Publish (%s)',
      async (kind) => {
        // Prepare
        sns.inject({ operation: 'Publish', times: 1, kind });

        // Act
        const delivery = await deliver(mixedEvent());

        // Assess
        expect(account(delivery)).toEqual({
          'ns1/a.bin': 'started',
          'ns1/b.log': 'deferred',
          summary: 'published',
        });
        expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
        expect(sns.calls.map((call) => call.fault)).toEqual([kind, undefined]);
        expect(sns.published[0]?.attributes['fileSystemId']).toEqual({
          dataType: 'String',
          stringValue: FS,
        });
      },
    );
  });

  describe('a fault that outlasts the SDK retry', () => {
    describe('FSx refuses for now: the re-export is queued, and the retrier starts it later', () => {
      it.each([
        ['CreateDataRepositoryTask', 'throttle'],
        ['CreateDataRepositoryTask', 'server-error'],
        ['CreateDataRepositoryTask', 'reset'],
        ['CreateDataRepositoryTask', 'timeout'],
        [
          'CreateDataRepositoryTask',
          { type: 'DataRepositoryTaskExecuting', message: 'A task is executing.' },
        ],
        ['CreateDataRepositoryTask', { type: 'ServiceLimitExceeded', message: 'Limit reached.' }],
        ['DescribeDataRepositoryAssociations', 'server-error'],
      ] as const satisfies readonly (readonly [string, ProxyFaultKind])[])(
        '%s (%j)',
        async (operation, kind) => {
          // Prepare
          fsxProxy.inject({ operation, times: Infinity, kind });

          // Act
          const delivery = await deliver(mixedEvent());
          const whileDown = account(delivery);
          clearFaults();
          await drain();

          // Assess
          expect(whileDown).toEqual({
            'ns1/a.bin': 'deferred',
            'ns1/b.log': 'deferred',
            summary: 'published',
          });
          expect(account(delivery)).toEqual({
            'ns1/a.bin': 'started',
            'ns1/b.log': 'started',
            summary: 'published',
          });
          // One task for both: the retrier coalesces what came due together.
          expect(counts()).toEqual({
            tasksPerPath: { 'ns1/a.bin': 1, 'ns1/b.log': 1 },
            summaries: 1,
          });
          expect(ourTasks()).toHaveLength(1);
        },
      );
    });

    describe('FSx denies access for good: nothing is started, and an email names each path', () => {
      const denied = { type: 'AccessDeniedException', message: 'not authorized' } as const;

      it('the analyzer refused it', async () => {
        // Prepare
        fsxProxy.inject({ operation: 'CreateDataRepositoryTask', times: Infinity, kind: denied });

        // Act
        const delivery = await deliver(lambdaEvent(payload([transient('/ns1/a.bin')])), [
          'ns1/a.bin',
        ]);

        // Assess
        expect(ourTasks()).toEqual([]);
        expect(sns.published[0]?.subject).toContain('1 needs a person');
        expect(account(delivery)).toEqual({
          'ns1/a.bin': 'refused, a person was told',
          summary: 'published',
        });
      });

      it('the retrier refused it', async () => {
        // Prepare
        const delivery = await deliver(lambdaEvent(payload([busy('/ns1/b.log')])), ['ns1/b.log']);
        fsxProxy.inject({ operation: 'CreateDataRepositoryTask', times: Infinity, kind: denied });

        // Act
        await drain();

        // Assess
        expect(ourTasks()).toEqual([]);
        expect(sns.published.at(-1)?.subject).toContain('1 needs a person');
        expect(account(delivery)).toEqual({
          'ns1/b.log': 'refused, a person was told',
          summary: 'published',
        });
      });
    });

    describe('SQS cannot take the deferral: the invocation fails, and its retry completes', () => {
      it.each([['throttle'], ['server-error'], ['reset'], ['timeout']] as const)(
        'SendMessageBatch (%s)',
        async (kind) => {
          // Prepare
          sqsProxy.inject({ operation: 'SendMessageBatch', times: Infinity, kind });

          // Act
          const delivery = await deliver(mixedEvent());
          const whileDown = account(delivery);
          clearFaults();
          await redeliver(delivery);

          // Assess
          expect(failure(delivery)).toBeUndefined();
          expect(whileDown).toEqual({
            'ns1/a.bin': 'started',
            'ns1/b.log': 'in the failed batch',
            summary: 'invocation failed',
          });
          expect(account(delivery)).toEqual({
            'ns1/a.bin': 'started',
            'ns1/b.log': 'deferred',
            summary: 'published',
          });
          expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
        },
      );

      it.each([
        ['SQS failed the entry twice', 2, { code: 'InternalError', senderFault: false }],
        ['SQS refused the entry', 1, { code: 'InvalidMessageContents', senderFault: true }],
      ] as const)('%s', async (_name, count, rejection) => {
        // Prepare
        sqs.rejectEntries(count, rejection);

        // Act
        const delivery = await deliver(mixedEvent());
        const whileDown = account(delivery);
        const error = failure(delivery);
        await redeliver(delivery);

        // Assess
        expect(error).toMatchObject({ name: 'DeferralError', code: rejection.code });
        expect(whileDown).toEqual({
          'ns1/a.bin': 'started',
          'ns1/b.log': 'in the failed batch',
          summary: 'invocation failed',
        });
        expect(account(delivery)).toEqual({
          'ns1/a.bin': 'started',
          'ns1/b.log': 'deferred',
          summary: 'published',
        });
        expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
      });
    });

    describe('SNS cannot publish: the invocation fails, and its retry sends the one summary', () => {
      it.each([
        ['throttle', 'Throttling'],
        ['throttled', 'ThrottledException'],
        ['server-error', 'InternalErrorException'],
        ['reset', 'socket hang up'],
        ['timeout', 'TimeoutError'],
        ['kms-throttling', 'KMSThrottlingException'],
        ['kms-access-denied', 'KMSAccessDeniedException'],
        ['kms-disabled', 'KMSDisabledException'],
        ['authorization-error', 'AuthorizationErrorException'],
      ] as const satisfies readonly (readonly [SnsFaultKind, string])[])(
        'Publish (%s)',
        async (kind, reported) => {
          // Prepare
          sns.inject({ operation: 'Publish', times: Infinity, kind });

          // Act
          const delivery = await deliver(mixedEvent());
          const whileDown = account(delivery);
          const error = failure(delivery);
          clearFaults();
          await redeliver(delivery);
          const recovered = account(delivery);
          await drain();

          // Assess
          expect(error).toMatchObject({
            name: 'PublishError',
            message: expect.stringContaining(reported),
          });
          expect(whileDown).toEqual({
            'ns1/a.bin': 'started',
            'ns1/b.log': 'deferred',
            summary: 'invocation failed',
          });
          expect(recovered).toEqual({
            'ns1/a.bin': 'started',
            'ns1/b.log': 'deferred',
            summary: 'published',
          });
          // Both runs queued b.log; the retrier starts it once.
          expect(account(delivery)).toEqual({
            'ns1/a.bin': 'started',
            'ns1/b.log': 'started',
            summary: 'published',
          });
          expect(counts()).toEqual({
            tasksPerPath: { 'ns1/a.bin': 1, 'ns1/b.log': 1 },
            summaries: 1,
          });
        },
      );
    });

    describe('DynamoDB fails: the invocation fails, and its retry completes', () => {
      it.each([
        ['PutItem', 'throttle', 'in the failed batch'],
        ['BatchGetItem', 'server-error', 'in the failed batch'],
        ['UpdateItem', 'reset', 'started'],
        ['UpdateItem', 'timeout', 'started'],
      ] as const)('%s (%s)', async (operation, kind, transientWhileDown) => {
        // Prepare
        dynamoProxy.inject({ operation, times: Infinity, kind });

        // Act
        const delivery = await deliver(mixedEvent());
        const whileDown = account(delivery);
        clearFaults();
        await redeliver(delivery);

        // Assess
        expect(whileDown).toEqual({
          'ns1/a.bin': transientWhileDown,
          'ns1/b.log': 'in the failed batch',
          summary: 'invocation failed',
        });
        expect(account(delivery)).toEqual({
          'ns1/a.bin': 'started',
          'ns1/b.log': 'deferred',
          summary: 'published',
        });
        expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
      });
    });
  });

  describe('the answer is lost after the call took effect, and the SDK sends it again', () => {
    it('FSx started the task: the same token gets the same task back', async () => {
      // Prepare
      fsxProxy.inject({ operation: 'CreateDataRepositoryTask', times: 1, kind: 'lost-response' });

      // Act
      const delivery = await deliver(mixedEvent());

      // Assess
      expect(account(delivery)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'published',
      });
      expect(
        fsxProxy.calls.filter((call) => call.operation === 'CreateDataRepositoryTask'),
      ).toHaveLength(2);
      expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
    });

    it('DynamoDB recorded the attempt: the conditional write finds it there and goes on', async () => {
      // Prepare
      dynamoProxy.inject({
        operation: 'UpdateItem',
        times: 1,
        kind: 'lost-response',
        match: (input) => idOf(input).startsWith('attempt#'),
      });

      // Act
      const delivery = await deliver(mixedEvent());

      // Assess
      expect(account(delivery)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'published',
      });
      expect(dynamoProxy.calls.map((call) => call.errorType)).toContain(
        'ConditionalCheckFailedException',
      );
      expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
    });

    it('SQS queued the deferral: two copies, and the retrier still starts one task', async () => {
      // Prepare
      sqsProxy.inject({ operation: 'SendMessageBatch', times: 1, kind: 'lost-response' });

      // Act
      const delivery = await deliver(mixedEvent());
      const copies = sqs.messages().length;
      await drain();

      // Assess
      expect(copies).toBe(2);
      expect(account(delivery)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'started',
        summary: 'published',
      });
      expect(counts()).toEqual({
        tasksPerPath: { 'ns1/a.bin': 1, 'ns1/b.log': 1 },
        summaries: 1,
      });
    });

    it('SNS published the summary: it is sent twice (SNS has no idempotency token for Publish)', async () => {
      // Prepare
      sns.inject({ operation: 'Publish', times: 1, kind: 'lost-response' });

      // Act
      const delivery = await deliver(mixedEvent());

      // Assess
      expect(account(delivery)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'published',
      });
      expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 2 });
      expect(sns.published[1]?.message).toBe(sns.published[0]?.message);
    });
  });

  describe('DynamoDB trouble that leaves the batch marked in progress', () => {
    it('the in-progress record was written but its answer lost: Lambda retries after it expires', async () => {
      // Prepare
      dynamoProxy.inject({ operation: 'PutItem', times: 1, kind: 'lost-response' });

      // Act
      const delivery = await deliver(mixedEvent());
      const whileMarked = account(delivery);
      const firstError = failure(delivery);
      laterBy(LAMBDA_RETRY_DELAY_MS);
      await redeliver(delivery);

      // Assess
      expect(firstError).toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
      expect(whileMarked).toEqual({
        'ns1/a.bin': 'in the failed batch',
        'ns1/b.log': 'in the failed batch',
        summary: 'invocation failed',
      });
      expect(account(delivery)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'published',
      });
      expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
    });

    it('DynamoDB goes down mid-invocation: the retry is refused until the record expires, then completes', async () => {
      // Prepare
      dynamoProxy.inject({ operation: 'BatchGetItem', times: Infinity, kind: 'server-error' });
      dynamoProxy.inject({ operation: 'DeleteItem', times: Infinity, kind: 'server-error' });

      // Act
      const delivery = await deliver(mixedEvent());
      const firstError = failure(delivery);
      clearFaults();
      await redeliver(delivery);
      const tooEarly = failure(delivery);
      const whileMarked = account(delivery);
      laterBy(LAMBDA_RETRY_DELAY_MS);
      await redeliver(delivery);

      // Assess
      expect(firstError).toMatchObject({ name: 'IdempotencyPersistenceLayerError' });
      expect(tooEarly).toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
      expect(whileMarked).toEqual({
        'ns1/a.bin': 'in the failed batch',
        'ns1/b.log': 'in the failed batch',
        summary: 'invocation failed',
      });
      expect(account(delivery)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'published',
      });
      expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
    });

    it('the result cannot be stored after the summary went out: the retry sends it again (at least once)', async () => {
      // Prepare: only the idempotency record's UpdateItem fails.
      dynamoProxy.inject({
        operation: 'UpdateItem',
        times: Infinity,
        kind: 'server-error',
        match: (input) => !/^(attempt|task|window)#/.test(idOf(input)),
      });

      // Act
      const delivery = await deliver(mixedEvent());
      const whileDown = account(delivery);
      const firstError = failure(delivery);
      clearFaults();
      laterBy(LAMBDA_RETRY_DELAY_MS);
      await redeliver(delivery);

      // Assess
      expect(firstError).toMatchObject({ name: 'IdempotencyPersistenceLayerError' });
      expect(whileDown).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'invocation failed',
      });
      expect(account(delivery)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'published',
      });
      // No second task, but the summary went out before the failure and goes out again.
      expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 2 });
    });
  });

  describe('races on the conditional writes', () => {
    it('two analyzers get the same events in two payloads at once: one task, one attempt', async () => {
      // Prepare: two subscription filters deliver the same log events.
      const events = [transient('/ns1/a.bin'), busy('/ns1/b.log')];
      const first = lambdaEvent(payload(events, { subscriptionFilters: ['fsx-export-analyzer'] }));
      const second = lambdaEvent(payload(events, { subscriptionFilters: ['log-shipper'] }));

      // Act
      const [one, two] = await Promise.all([deliver(first), deliver(second)]);
      const lost = dynamoProxy.calls.filter(
        (call) => call.errorType === 'ConditionalCheckFailedException',
      );
      const attempts = await dynamo.client.send(
        new ScanCommand({
          TableName: dynamo.tableName,
          FilterExpression: '#kind = :attempt',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: { ':attempt': { S: 'attempt' } },
        }),
      );

      // Assess
      expect(account(one, two)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'published, published',
      });
      expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 2 });
      // The loser of each write: the attempt (already holds the task) and the tracked task.
      expect(lost.map((call) => `${call.operation} ${idOf(call.input).split('#')[0]}`)).toEqual(
        expect.arrayContaining(['UpdateItem attempt', 'PutItem task']),
      );
      expect(attempts.Items?.map((item) => item['taskIds']?.SS)).toEqual([[ourTasks()[0]?.TaskId]]);
    });

    it('two retriers claim the same window: one starts, the other waits for the next window', async () => {
      // Prepare
      const first = await deliver(lambdaEvent(payload([busy('/ns1/one.log', 'one')])), [
        'ns1/one.log',
      ]);
      const second = await deliver(lambdaEvent(payload([busy('/ns1/two.log', 'two')])), [
        'ns1/two.log',
      ]);
      advance(DELAY_SECONDS);
      const batches = [sqs.receive(1, queueClock), sqs.receive(1, queueClock)];
      // Both in one window, whatever the wall clock says.
      atNextWindow();

      // Act
      const runs = await Promise.all(batches.map((records) => runRetrier(records)));
      const raced = account(first, second);
      atNextWindow();
      await drain();

      // Assess
      expect(runs.map((run) => run.failed.length).sort()).toEqual([0, 1]);
      expect(Object.values(raced).sort()).toEqual(['deferred', 'published, published', 'started']);
      expect(
        dynamoProxy.calls.filter(
          (call) =>
            call.errorType === 'ConditionalCheckFailedException' &&
            idOf(call.input).startsWith('window#'),
        ),
      ).toHaveLength(1);
      expect(account(first, second)).toEqual({
        'ns1/one.log': 'started',
        'ns1/two.log': 'started',
        summary: 'published, published',
      });
      expect(counts()).toEqual({
        tasksPerPath: { 'ns1/one.log': 1, 'ns1/two.log': 1 },
        summaries: 2,
      });
    });

    it('two retriers get two copies of one deferral at once: one task, and the copy finds it', async () => {
      // Prepare: the answer to SendMessageBatch was lost, so SQS holds the deferral twice.
      sqsProxy.inject({ operation: 'SendMessageBatch', times: 1, kind: 'lost-response' });
      const delivery = await deliver(lambdaEvent(payload([busy('/ns1/b.log')])), ['ns1/b.log']);
      advance(DELAY_SECONDS);
      const batches = [sqs.receive(1, queueClock), sqs.receive(1, queueClock)];
      // Both in one window, whatever the wall clock says.
      atNextWindow();

      // Act
      const runs = await Promise.all(batches.map((records) => runRetrier(records)));
      const task = ourTasks()[0]?.TaskId ?? '';
      atNextWindow();
      await drain();

      // Assess
      expect(batches.map((records) => records.length)).toEqual([1, 1]);
      expect(runs.map((run) => run.failed.length).sort()).toEqual([0, 1]);
      expect(account(delivery)).toEqual({ 'ns1/b.log': 'started', summary: 'published' });
      expect(sqs.messages()).toEqual([]);
      expect(ourTasks().map((started) => started.TaskId)).toEqual([task]);
    });

    it('two outcome checks at once: each finished task is reported once', async () => {
      // Prepare
      await deliver(lambdaEvent(payload([transient('/ns1/a.bin')])), ['ns1/a.bin']);
      const task = ourTasks()[0]?.TaskId ?? '';
      fsx.setLifecycle(task, 'FAILED', { total: 1, succeeded: 0, failed: 1 });

      // Act
      const results = await Promise.all([
        handlers.outcomes({}, CONTEXT),
        handlers.outcomes({}, CONTEXT),
      ]);

      // Assess
      expect(results.map((result) => result.finished).sort()).toEqual([0, 1]);
      const followUps = sns.published.filter((email) =>
        email.subject.startsWith('FSx re-export outcomes'),
      );
      expect(followUps).toHaveLength(1);
      expect(followUps[0]?.message).toContain(task);
    });

    it('three deliveries of one batch at once while SNS is down, then Lambda retries them: one task, one summary', async () => {
      // Prepare
      sns.inject({ operation: 'Publish', times: Infinity, kind: 'kms-disabled' });
      const event = mixedEvent();

      // Act
      const deliveries = await Promise.all([deliver(event), deliver(event), deliver(event)]);
      const whileDown = account(...deliveries);
      const errors = deliveries.map((delivery) => (failure(delivery) as Error | undefined)?.name);
      clearFaults();
      for (const delivery of deliveries) await redeliver(delivery);

      // Assess
      expect(errors).toContain('PublishError');
      for (const name of errors) {
        expect(['PublishError', 'IdempotencyAlreadyInProgressError']).toContain(name);
      }
      expect(whileDown).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'invocation failed, invocation failed, invocation failed',
      });
      expect(account(...deliveries)).toEqual({
        'ns1/a.bin': 'started',
        'ns1/b.log': 'deferred',
        summary: 'published, published, published',
      });
      const results = deliveries.map((delivery) =>
        delivery.outcome.status === 'fulfilled' ? delivery.outcome.value : undefined,
      );
      for (const result of results) expect(result).toEqual(results[0]);
      expect(counts()).toEqual({ tasksPerPath: { 'ns1/a.bin': 1 }, summaries: 1 });
    });
  });

  describe('the retrier under faults', () => {
    it.each([
      ['FSx keeps throttling the task', 'FSx', 'CreateDataRepositoryTask', 'throttle'],
      ['FSx keeps timing out', 'FSx', 'CreateDataRepositoryTask', 'timeout'],
      ['the ledger cannot be read', 'DynamoDB', 'BatchGetItem', 'server-error'],
      ['the window cannot be claimed', 'DynamoDB', 'PutItem', 'reset'],
    ] as const)(
      '%s: after N receives the message is dead-lettered and an email names it',
      async (_name, service, operation, kind) => {
        // Prepare
        const delivery = await deliver(lambdaEvent(payload([busy('/ns1/b.log')])), ['ns1/b.log']);
        injectInto(service, { operation, times: Infinity, kind });

        // Act
        for (let receive = 1; receive <= MAX_RECEIVES; receive++) await drain();

        // Assess
        expect(account(delivery)).toEqual({ 'ns1/b.log': 'dead-lettered', summary: 'published' });
        const alert = sns.published.at(-1);
        expect(alert?.subject).toContain('1 dead-lettered');
        expect(alert?.message).toContain(
          `aws fsx create-data-repository-task --file-system-id ${FS} --type EXPORT_TO_REPOSITORY --paths 'ns1/b.log'`,
        );
        expect(ourTasks()).toEqual([]);
      },
    );

    it('SNS is down on the last receive: the message is dead-lettered and no email names it', async () => {
      // Prepare
      const delivery = await deliver(lambdaEvent(payload([busy('/ns1/b.log')])), ['ns1/b.log']);
      fsxProxy.inject({ operation: 'CreateDataRepositoryTask', times: Infinity, kind: 'throttle' });
      sns.inject({ operation: 'Publish', times: Infinity, kind: 'kms-disabled' });

      // Act
      for (let receive = 1; receive <= MAX_RECEIVES; receive++) await drain();

      // Assess: only the reexports-dead-lettered alarm (on the same SNS topic) tells a person.
      expect(account(delivery)).toEqual({
        'ns1/b.log': 'dead-lettered, no email named it',
        summary: 'published',
      });
      expect(sqs.deadLetters()).toHaveLength(1);
    });
  });

  describe('the outcome check under faults', () => {
    it('SNS is down for one run: the next run reports what this one could not', async () => {
      // Prepare
      await deliver(lambdaEvent(payload([transient('/ns1/a.bin')])), ['ns1/a.bin']);
      const task = ourTasks()[0]?.TaskId ?? '';
      fsx.setLifecycle(task, 'FAILED', { total: 1, succeeded: 0, failed: 1 }, 'Export failed');
      sns.inject({ operation: 'Publish', times: Infinity, kind: 'server-error' });

      // Act
      const down = await settle(handlers.outcomes({}, CONTEXT));
      clearFaults();
      const next = await settle(handlers.outcomes({}, CONTEXT));

      // Assess (README, alarm outcomes-errors: "The next run reports what this one could not.")
      expect(down).toMatchObject({ status: 'rejected', reason: { name: 'PublishError' } });
      expect(next).toMatchObject({ status: 'fulfilled', value: { finished: 1 } });
      const followUps = sns.published.filter((email) =>
        email.subject.startsWith('FSx re-export outcomes'),
      );
      expect(followUps.map((email) => email.message)).toEqual([expect.stringContaining(task)]);
    });
  });
});

/**
 * Gives an SDK client's NodeHttpHandler a request timeout that fails the attempt (the SDK then
 * retries it as a TimeoutError), as `new XClient({ requestHandler: { requestTimeout,
 * throwOnRequestTimeout: true } })` would.
 */
function setRequestTimeout(handler: unknown): void {
  const configurable = handler as {
    updateHttpClientConfig?: (key: string, value: unknown) => void;
  };
  if (typeof configurable.updateHttpClientConfig !== 'function') {
    throw new TypeError('the SDK client has no configurable NodeHttpHandler');
  }
  configurable.updateHttpClientConfig('requestTimeout', REQUEST_TIMEOUT_MS);
  configurable.updateHttpClientConfig('throwOnRequestTimeout', true);
}

/** The `id` key of a DynamoDB item request (GetItem, PutItem, UpdateItem, DeleteItem). */
function idOf(input: Readonly<Record<string, unknown>>): string {
  const key = (input['Key'] ?? input['Item']) as Record<string, { S?: string }> | undefined;
  return key?.['id']?.S ?? '';
}

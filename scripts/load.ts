/**
 * `npm run load`: 100 concurrent analyzer invocations of 10,000-event batches against local
 * servers, then the retrier drains the deferral queue and the outcome check runs. It prints events
 * per second (analyzer phase), the API calls by operation (from the servers' call logs), the peak
 * RSS, and `lost = N` from the accounting below; it exits 1 when anything is lost.
 *
 * Everything runs in this one process and talks to 127.0.0.1 only: dynalite (behind the test
 * fault proxy, which keeps the DynamoDB call log), the FSx, SQS and SNS test servers, and the
 * real handlers with the real SDK clients (AWS_ENDPOINT_URL_* point at the servers, and
 * AWS_ENDPOINT_URL at a closed port, so any other endpoint fails at once instead of leaving).
 *
 * The accounting, from the servers' state and the handlers' answers, not from what the code
 * says it did:
 * - every event is analysed or unparseable: records + unparseable = the events generated;
 * - every re-exportable path (transient or busy, with a path; known from the generator) is in a
 *   task FSx started, in a deferral message SQS holds, or in a dead-lettered message that an
 *   email named (by message id); a path of an invocation that failed every Lambda attempt is kept
 *   by Lambda (its on-failure destination) and counted as such;
 * - every invocation's summary was published (SNS recorded the MessageId it returned), or the
 *   invocation failed.
 *
 * The retrier starts at most one task per file system and coalescing window (5 minutes) by
 * design, so draining a backlog takes windows of real time. That phase therefore runs on a
 * simulated clock: `Date` is shifted forward by one visibility timeout between rounds (the SQS
 * server's clock is the same `Date`), and FSx finishes the running tasks between rounds.
 * Logs and EMF metrics are off (POWERTOOLS_LOG_LEVEL=SILENT, POWERTOOLS_METRICS_DISABLED=true):
 * 100 concurrent invocations in one process would write them into one stdout.
 *
 * Sizes can be changed for a quicker run: LOAD_INVOCATIONS, LOAD_EVENTS, LOAD_FILE_SYSTEMS.
 * LOAD_SELF_CHECK=1 deletes one deferral message behind the functions' back, and
 * LOAD_SELF_CHECK=misfile makes one generated record unreadable while still counting it as a
 * record: either run must report lost > 0 and exit 1, which shows that `lost = 0` is measured.
 */
import { cpus } from 'node:os';
import { gzipSync } from 'node:zlib';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { localStackEnv, startLocalStack } from '../test/helpers/local-stack.ts';

const INVOCATIONS = positive('LOAD_INVOCATIONS', 100);
const SELF_CHECK = process.env['LOAD_SELF_CHECK'];
const EVENTS = positive('LOAD_EVENTS', 10_000);
/** Two batches per file system arrive at once, so some re-exports meet a running task. */
const FILE_SYSTEMS = positive('LOAD_FILE_SYSTEMS', Math.max(1, Math.ceil(INVOCATIONS / 2)));
const TIME_LIMIT_MS = 5 * 60 * 1000;
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:fsx-export-analyzer-load';
/** Distinct paths per batch and class: one task each (MAX_PATHS_PER_TASK is 100). */
const TRANSIENT_PATHS = 100;
const BUSY_PATHS = 100;
/** The stack's defaults. */
const MAX_RECEIVES = 5;
const VISIBILITY_SECONDS = 420;
const RETRIER_BATCH = 10;
/** Concurrent retrier invocations (the event source mapping scales out). */
const RETRIER_CONCURRENCY = 10;
const MAX_ROUNDS = 30;
/** Every 20th task FSx finishes ends FAILED, so the outcome check has both kinds to report. */
const FAILED_EVERY = 20;

function positive(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    console.error(`load: ${name} must be a positive integer (got "${value}")`);
    process.exit(2);
  }
  return parsed;
}

// ---- The clock the retrier phase moves on --------------------------------------------------

const RealDate = Date;
let clockShiftMs = 0;
globalThis.Date = new Proxy(RealDate, {
  construct(target, args, newTarget) {
    const values = args.length === 0 ? [RealDate.now() + clockShiftMs] : args;
    return Reflect.construct(target, values, newTarget) as object;
  },
  apply() {
    return new RealDate(RealDate.now() + clockShiftMs).toString();
  },
  get(target, property, receiver) {
    if (property === 'now') return () => RealDate.now() + clockShiftMs;
    return Reflect.get(target, property, receiver) as unknown;
  },
});

// ---- Time limit and memory -----------------------------------------------------------------

let phase = 'starting the servers';
const deadline = setTimeout(() => {
  console.error(`load: aborted after ${TIME_LIMIT_MS / 60_000} minutes, while ${phase}`);
  process.exit(1);
}, TIME_LIMIT_MS);
deadline.unref();

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);
sampler.unref();

// ---- The batches ---------------------------------------------------------------------------

interface Batch {
  readonly fileSystemId: string;
  readonly event: { awslogs: { data: string } };
  readonly events: number;
  readonly unparseable: number;
  /** Re-exportable paths as FSx names them (relative to the file system root). */
  readonly paths: ReadonlySet<string>;
}

function fileSystemId(index: number): string {
  return `fs-${(0x0a00000000000000n + BigInt(index)).toString(16).padStart(17, '0')}`;
}

/**
 * One batch of realistic mixed messages (as scripts/bench.ts makes them): JSON records of several
 * shapes and documented message texts across the classes, 10% unparseable lines.
 */
function makeBatch(batch: number): Batch {
  const fs = fileSystemId(batch % FILE_SYSTEMS);
  const paths = new Set<string>();
  let unparseable = 0;
  const run = `run-${batch}`;
  const logEvents = Array.from({ length: EVENTS }, (_, i) => {
    const slot = i % 20;
    // The how-manieth group of 20 events: spreads the paths of a class over all its values.
    const group = Math.floor(i / 20);
    let message: string;
    if (SELF_CHECK === 'misfile' && batch === 0 && i === 0) {
      // Counted as a record below, but no record: the accounting must call it lost.
      message = 'LustreError: 11-0: this line is not an FSx record';
    } else if (slot < 4) {
      const path = `/ns1/${run}/checkpoints/step-${(group * 4 + slot) % TRANSIENT_PATHS}.pt`;
      paths.add(path.slice(1));
      message = JSON.stringify({
        errorCode: 'InternalAutoExportError',
        filePath: path,
        fileSystemId: fs,
        time: '2026-11-25T10:00:00Z',
      });
    } else if (slot === 4) {
      message =
        'Automatic export encountered an internal error while exporting a file system object';
    } else if (slot < 7) {
      const path = `/ns1/${run}/logs/rank-${(group * 3 + slot - 5) % BUSY_PATHS}.log`;
      paths.add(path.slice(1));
      message = `Failed to export file because it is being used by another process. path=${path}`;
    } else if (slot === 7) {
      const path = `/ns1/${run}/logs/rank-${(group * 3 + 2) % BUSY_PATHS}.log`;
      paths.add(path.slice(1));
      message = JSON.stringify({
        level: 'ERROR',
        type: 'Export',
        errorType: 'Resource busy',
        path,
        message: 'Failed to export file because it is being used by another process.',
      });
    } else if (slot < 10) {
      message = JSON.stringify({
        event: { error: { code: 'S3ExportAccessDenied' } },
        s3Key: `datasets/${run}/${i}.nc`,
        bucket: 'ml-archive',
      });
    } else if (slot === 10) {
      message = `Failed to export file because access was denied to S3 object with key datasets/${i}.bin in S3 bucket ml-archive.`;
    } else if (slot < 13) {
      message = JSON.stringify({ errorCode: 'S3ExportNewFailureMode', filePath: `/ns1/${i}` });
    } else if (slot === 13) {
      message = JSON.stringify({
        errorCode: 'S3ExportPathSizeTooLong',
        filePath: `/ns1/${run}/${'deep/'.repeat(20)}${i}`,
      });
    } else if (slot < 16) {
      message = `Failed to import S3 object with key raw/${i}.csv in S3 bucket ml-archive because it was not found in S3 bucket ml-archive.`;
    } else if (slot < 18) {
      message =
        'Export skipped: local file does not belong to a data repository linked file system path.';
    } else if (slot === 18) {
      unparseable++;
      message = `LNetError: 120-0: (o2iblnd_cb.c:3373:kiblnd_check_txs_locked()) Timed out tx: active_txs, ${i} seconds`;
    } else {
      unparseable++;
      message = `{"time":"2026-11-25T10:00:00Z","msg":"ll_ost_io: slow reply on ${run}/${i}`;
    }
    return {
      id: `${String(batch).padStart(4, '0')}${String(i).padStart(52, '0')}`,
      timestamp: 1_764_064_800_000 + i,
      message,
    };
  });
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/fsx/lustre',
    logStream: `datarepo_${fs}`,
    subscriptionFilters: ['fsx-export-analyzer'],
    logEvents,
  };
  return {
    fileSystemId: fs,
    event: { awslogs: { data: gzipSync(JSON.stringify(payload)).toString('base64') } },
    events: EVENTS,
    unparseable,
    paths,
  };
}

function context(name: string, index: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: `fsx-export-analyzer-load-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:fsx-export-analyzer-load-${name}`,
    memoryLimitInMB: '512',
    awsRequestId: `${name}-${index}-${RealDate.now()}`,
    logGroupName: `/aws/lambda/fsx-export-analyzer-load-${name}`,
    logStreamName: `2026/11/25/[$LATEST]${index}`,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Runs `work` on every item with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const format = (value: number) => Math.round(value).toLocaleString('en-US');
const mib = (bytes: number) => `${format(bytes / 1024 / 1024)} MiB`;

function countOperations(operations: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const operation of operations) counts.set(operation, (counts.get(operation) ?? 0) + 1);
  return counts;
}

// ---- The run -------------------------------------------------------------------------------

async function main(): Promise<number> {
  const began = performance.now();
  console.log(
    `fsx-export-analyzer load: ${INVOCATIONS} concurrent invocations x ${format(EVENTS)} events on ${FILE_SYSTEMS} file systems, Node.js ${process.versions.node}, ${cpus().length} CPUs\n`,
  );
  const stack = await startLocalStack({
    fileSystems: Array.from({ length: FILE_SYSTEMS }, (_, index) => fileSystemId(index)),
    maxReceiveCount: MAX_RECEIVES,
    // The simulated clock of the retrier phase.
    fsxClock: () => Date.now(),
    queueClock: () => Date.now(),
    topicArn: TOPIC,
  });
  const { dynamoProxy, fsx, sqs, sns } = stack;

  Object.assign(process.env, {
    // Any endpoint the stack does not set goes to a closed local port instead of AWS.
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    ...localStackEnv(stack),
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: 'fsx-export-analyzer-load-analyzer',
    SUMMARY_TOPIC_ARN: TOPIC,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'DRY_RUN', 'REPORT_PATH']) {
    delete process.env[name];
  }
  // Imported only now: each function reads its configuration when its module loads.
  const analyzer = (await import('../functions/analyzer.ts')).handler;
  const retrier = (await import('../functions/retrier.ts')).handler;
  const outcomes = (await import('../functions/outcomes.ts')).handler;

  phase = 'generating the batches';
  const batches = Array.from({ length: INVOCATIONS }, (_, index) => makeBatch(index));
  const callCounts = () => ({
    fsx: fsx.calls.length,
    sqs: sqs.calls.length,
    sns: sns.calls.length,
    dynamo: dynamoProxy.calls.length,
  });
  const marks = [callCounts()];

  // Analyzer: all at once, then Lambda's two retries of any that failed.
  phase = 'running the analyzer';
  const results: (Awaited<ReturnType<typeof analyzer>> | undefined)[] = [];
  const errors = new Map<number, string>();
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const first = await Promise.allSettled(
    batches.map((batch, index) => analyzer(batch.event, context('analyzer', index))),
  );
  const analyzerSeconds = (performance.now() - start) / 1000;
  const analyzerCpu = process.cpuUsage(cpuBefore);
  let retried = 0;
  for (const [index, outcome] of first.entries()) {
    if (outcome.status === 'fulfilled') {
      results[index] = outcome.value;
      continue;
    }
    for (let attempt = 2; attempt <= 3 && results[index] === undefined; attempt++) {
      retried++;
      try {
        results[index] = await analyzer(
          (batches[index] as Batch).event,
          context('analyzer', index),
        );
      } catch (error) {
        errors.set(
          index,
          error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        );
      }
    }
  }
  marks.push(callCounts());
  const rssAfterAnalyzer = process.memoryUsage().rss;

  if (SELF_CHECK === '1') {
    // Proves the accounting can fail: one deferral message vanishes, as if SQS had lost it.
    const [vanished] = sqs.receive(1, Number.MAX_SAFE_INTEGER);
    if (vanished !== undefined) sqs.succeed([vanished.messageId]);
    console.log('self-check: one deferral message was deleted unseen; lost must be above 0');
  }

  // Retrier: rounds of the event source mapping on a simulated clock.
  phase = 'draining the deferral queue';
  const queuedAfterAnalyzer = sqs.messages().length;
  let rounds = 0;
  let retrierInvocations = 0;
  let retrierFailures = 0;
  let finishedTasks = 0;
  const finishRunning = () => {
    for (const task of fsx.tasks()) {
      if (task.Lifecycle !== 'PENDING' && task.Lifecycle !== 'EXECUTING') continue;
      finishedTasks++;
      const failed = finishedTasks % FAILED_EVERY === 0;
      fsx.setLifecycle(
        task.TaskId,
        failed ? 'FAILED' : 'SUCCEEDED',
        {
          total: task.Paths.length,
          succeeded: failed ? 0 : task.Paths.length,
          failed: failed ? task.Paths.length : 0,
        },
        failed ? 'Some files failed to export.' : undefined,
      );
    }
  };
  while (sqs.messages().length > 0 && rounds < MAX_ROUNDS) {
    rounds++;
    finishRunning();
    clockShiftMs += VISIBILITY_SECONDS * 1000;
    const receives: SQSRecord[][] = [];
    for (
      let records = sqs.receive(RETRIER_BATCH);
      records.length > 0;
      records = sqs.receive(RETRIER_BATCH)
    ) {
      receives.push(records);
    }
    await pool(receives, RETRIER_CONCURRENCY, async (records) => {
      retrierInvocations++;
      const back = Date.now() + VISIBILITY_SECONDS * 1000;
      let response: SQSBatchResponse;
      try {
        response = await retrier(
          { Records: records } as SQSEvent,
          context('retrier', retrierInvocations),
        );
      } catch {
        retrierFailures++;
        sqs.settle(records, 'error', back);
        return;
      }
      sqs.settle(records, response, back);
    });
  }
  marks.push(callCounts());

  // Outcome check: FSx finishes what still runs, and one run reports it.
  phase = 'running the outcome check';
  finishRunning();
  const outcome = await outcomes({}, context('outcomes', 0));
  marks.push(callCounts());
  phase = 'accounting';

  // ---- Accounting ----
  let eventsGenerated = 0;
  let eventsAnalysed = 0;
  let records = 0;
  let unparseable = 0;
  let unparseableExpected = 0;
  let published = 0;
  const publishedIds = new Set(sns.published.map((email) => email.messageId));
  let lostSummaries = 0;
  let misfiled = 0;
  // A batch that failed every attempt goes to the analyzer's on-failure destination, as Lambda
  // does: its events are accounted for there, every one of them.
  const onFailureDestination: Batch[] = [];
  for (const [index, batch] of batches.entries()) {
    eventsGenerated += batch.events;
    const result = results[index];
    if (result === undefined) {
      onFailureDestination.push(batch);
      continue;
    }
    unparseableExpected += batch.unparseable;
    eventsAnalysed += result.events;
    records += result.records;
    unparseable += result.unparseable;
    // Each event in the right pile, as generated: a record read as unparseable (or the other way
    // round) is lost to the person, even when the two counts still add up.
    misfiled += Math.max(
      Math.abs(result.unparseable - batch.unparseable),
      Math.abs(result.records - (batch.events - batch.unparseable)),
    );
    if (result.published !== null && publishedIds.has(result.published)) published++;
    else lostSummaries++;
  }
  const started = new Map<string, Set<string>>();
  for (const task of fsx.tasks()) {
    const set = started.get(task.FileSystemId) ?? new Set<string>();
    for (const path of task.Paths) set.add(path);
    started.set(task.FileSystemId, set);
  }
  const deferred = new Map<string, Set<string>>();
  for (const message of sqs.messages()) {
    const body = JSON.parse(message.body) as { fileSystemId: string; paths: string[] };
    const set = deferred.get(body.fileSystemId) ?? new Set<string>();
    for (const path of body.paths) set.add(path);
    deferred.set(body.fileSystemId, set);
  }
  const alerted = new Map<string, Set<string>>();
  const silentDeadLetters = new Map<string, Set<string>>();
  for (const message of sqs.deadLetters()) {
    const body = JSON.parse(message.body) as { fileSystemId: string; paths: string[] };
    const named = sns.published.some((email) => email.message.includes(message.messageId));
    const target = named ? alerted : silentDeadLetters;
    const set = target.get(body.fileSystemId) ?? new Set<string>();
    for (const path of body.paths) set.add(path);
    target.set(body.fileSystemId, set);
  }
  const tally = { started: 0, deferred: 0, deadLettered: 0, keptByLambda: 0, lost: 0 };
  const lostSamples: string[] = [];
  for (const [index, batch] of batches.entries()) {
    for (const path of batch.paths) {
      const fs = batch.fileSystemId;
      if (started.get(fs)?.has(path)) tally.started++;
      else if (deferred.get(fs)?.has(path)) tally.deferred++;
      else if (alerted.get(fs)?.has(path)) tally.deadLettered++;
      else if (results[index] === undefined) tally.keptByLambda++;
      else {
        tally.lost++;
        if (lostSamples.length < 5) {
          const why = silentDeadLetters.get(fs)?.has(path)
            ? ' (dead-lettered, no email named it)'
            : '';
          lostSamples.push(`${fs}:${path}${why}`);
        }
      }
    }
  }
  const paths = batches.reduce((sum, batch) => sum + batch.paths.size, 0);
  const eventsOnFailure = onFailureDestination.reduce((sum, batch) => sum + batch.events, 0);
  // Negative when an event was counted twice: that is as wrong as one counted never.
  const unaccounted = Math.abs(eventsGenerated - eventsAnalysed - eventsOnFailure);
  const lost = misfiled + unaccounted + tally.lost + lostSummaries;

  // ---- Report ----
  const failedInvocations = INVOCATIONS - results.filter((result) => result !== undefined).length;
  console.log(
    `analyzer: ${format(eventsGenerated)} events in ${analyzerSeconds.toFixed(1)} s = ${format(eventsGenerated / analyzerSeconds)} events/s (${INVOCATIONS} concurrent invocations; ${retried} Lambda retries, ${failedInvocations} failed every attempt)`,
  );
  console.log(
    `          CPU ${((analyzerCpu.user + analyzerCpu.system) / 1e6).toFixed(1)} s in that phase, shared by the handlers, dynalite and the servers in this one process`,
  );
  console.log(
    `retrier: ${format(queuedAfterAnalyzer)} deferral messages drained in ${rounds} rounds of +${VISIBILITY_SECONDS} s on the simulated clock: ${retrierInvocations} invocations (${retrierFailures} failed), ${sqs.messages().length} messages left, ${sqs.deadLetters().length} dead-lettered`,
  );
  console.log(
    `outcome check: ${outcome.finished} tasks finished, ${outcome.stillOpen} still open, follow-up ${outcome.published === null ? 'not sent' : 'sent'}`,
  );
  console.log('');
  console.log('API calls by operation (analyzer / retrier / outcome check / total):');
  const sources = [
    { label: 'FSx', key: 'fsx', calls: fsx.calls },
    { label: 'SQS', key: 'sqs', calls: sqs.calls },
    { label: 'SNS', key: 'sns', calls: sns.calls },
    { label: 'DynamoDB', key: 'dynamo', calls: dynamoProxy.calls },
  ] as const;
  for (const { label, key, calls } of sources) {
    const operations: readonly string[] = calls.map((call) => call.operation);
    const total = countOperations(operations);
    for (const [operation, count] of [...total].sort((a, b) => b[1] - a[1])) {
      const perPhase = marks.slice(1).map((mark, index) => {
        const from = marks[index]?.[key] ?? 0;
        return operations.slice(from, mark[key]).filter((name) => name === operation).length;
      });
      const columns = perPhase.map((n) => format(n).padStart(7)).join(' ');
      console.log(
        `  ${`${label} ${operation}`.padEnd(42)} ${columns} ${format(count).padStart(8)}`,
      );
    }
  }
  console.log(
    `  (SQS receives and deletes are the simulated event source mapping's, not API calls: ${retrierInvocations} batches received)`,
  );
  console.log('');
  console.log(
    `peak RSS: ${mib(peakRss)} (sampled every 100 ms; ${mib(rssAfterAnalyzer)} after the analyzer phase; one process hosting every invocation and the servers)`,
  );
  console.log(
    `accounting: ${format(eventsGenerated)} events = ${format(eventsAnalysed)} analysed + ${format(eventsOnFailure)} in ${onFailureDestination.length} batches at the on-failure destination (${format(unaccounted)} unaccounted)`,
  );
  console.log(
    `            analysed: ${format(records)} records + ${format(unparseable)} unparseable, generated ${format(eventsGenerated - eventsOnFailure - unparseableExpected)} + ${format(unparseableExpected)} (${format(misfiled)} misfiled)`,
  );
  console.log(
    `            ${format(paths)} re-exportable paths: ${format(tally.started)} in started tasks, ${format(tally.deferred)} deferred, ${format(tally.deadLettered)} dead-lettered with an email, ${format(tally.keptByLambda)} kept by Lambda, ${format(tally.lost)} lost`,
  );
  console.log(
    `            ${INVOCATIONS} summaries: ${published} published, ${failedInvocations} invocations failed, ${lostSummaries} lost`,
  );
  for (const [index, error] of errors) console.log(`  invocation ${index} failed: ${error}`);
  for (const sample of lostSamples) console.log(`  lost: ${sample}`);
  console.log(`run time: ${((performance.now() - began) / 1000).toFixed(0)} s`);
  console.log(`lost = ${lost}`);

  await stack.stop();
  return lost > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `load: failed while ${phase}: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  },
);

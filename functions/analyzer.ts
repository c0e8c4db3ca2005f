import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { fileSystemsOf, hasFindings } from '../lib/analyze/analysis.ts';
import { decodeLambdaEvent } from '../lib/analyze/decode.ts';
import { withBacklog } from '../lib/analyze/email.ts';
import { type DurableOptions, processBatches } from '../lib/analyze/pipeline.ts';
import { type AnalyzerResult, analyzerResult, skippedResult } from '../lib/analyze/result.ts';
import * as signals from '../lib/analyze/telemetry.ts';
import {
  dynamoClient,
  fsxClient,
  metricsClient,
  snsClient,
  sqsClient,
} from '../lib/aws/clients.ts';
import { createDigestStore } from '../lib/aws/digests.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { runOnce } from '../lib/aws/idempotency.ts';
import { lambdaHandler, loadOrLog, reachOf } from '../lib/aws/lambda.ts';
import { createLedger } from '../lib/aws/ledger.ts';
import { createBacklogReader } from '../lib/aws/metrics.ts';
import { deliver, deliverChat } from '../lib/aws/sns.ts';
import { createDeferralQueue } from '../lib/aws/sqs.ts';
import { emit, emitOnError } from '../lib/aws/telemetry.ts';
import { chatJson } from '../lib/chat/format.ts';
import { renderChatSummary } from '../lib/chat/render.ts';
import {
  loadChatConfig,
  loadConfig,
  loadDigestConfig,
  loadReexportConfig,
} from '../lib/common/config.ts';
import {
  loadOrganizationConfig,
  withAccountName,
  withAccountTelemetry,
  withAccountTokens,
} from '../lib/common/organization.ts';
import type { BacklogReadings, LogBatch } from '../lib/common/types.ts';
import { heldCounts } from '../lib/digest/email.ts';
import { gate, summaryOf } from '../lib/digest/gate.ts';
import { gateTelemetry } from '../lib/digest/telemetry.ts';
import { digestRules } from '../lib/digest/windows.ts';
import { isKinesisEvent } from '../lib/input/kinesis.ts';
import type { AccountPorts, Routing } from './organization.ts';

// Read once per container: configuration does not change between invocations, and the adapters'
// caches (the FSx associations) live as long as the container.
const { config, reexport, digest, chat, organization } = loadOrLog(() => ({
  config: loadConfig(),
  reexport: loadReexportConfig(),
  digest: loadDigestConfig(),
  chat: loadChatConfig(),
  organization: loadOrganizationConfig(),
}));
const reach = reachOf(config, reexport);
const { ledgerTable, deferralQueueUrl } = reach;
const { attemptWindowHours, retryLaterSeconds, maxAttempts } = reexport;
const chatTarget = { topicArn: chat.chatTopicArn, dryRun: config.dryRun };
const fsx = reach.fsx
  ? createFsxAdapter(fsxClient, { cacheSeconds: config.associationCacheSeconds })
  : undefined;
const ledger =
  ledgerTable === undefined
    ? undefined
    : createLedger(dynamoClient, { tableName: ledgerTable, attemptWindowHours });
const deferral =
  deferralQueueUrl === undefined ? undefined : createDeferralQueue(sqsClient, deferralQueueUrl);
const durable: DurableOptions | undefined =
  ledger === undefined && deferral === undefined
    ? undefined
    : { deferral, ledger, retryLaterSeconds, maxAttempts };
// The home account's ports: every batch of a single-account stack gets these.
const home: AccountPorts = { account: undefined, fsx, durable };
// Organization mode: a member account's batches get FSx through its role, and a ledger and queue
// that carry its account (functions/organization.ts). Its code (STS, the member roles, the
// Kinesis source) is a chunk of its own, loaded only when organization mode is configured: a
// single-account container neither parses nor initialises it. The load starts here, at init; the
// first invocation waits for it (no top-level await: see lib/aws/clients.ts).
const routingReady: Promise<Routing | undefined> =
  organization === undefined
    ? Promise.resolve(undefined)
    : import('./organization.ts').then(({ createRouting }) =>
        createRouting({
          organization,
          home,
          live: reach.fsx,
          associationCacheSeconds: config.associationCacheSeconds,
          sessionName: process.env['AWS_LAMBDA_FUNCTION_NAME'] || 'fsx-export-analyzer',
        }),
      );
// Awaited by each invocation, which then fails with the real error, not at init as an unhandled
// rejection.
routingReady.catch(() => undefined);

/** The ports for a batch whose payload names `owner`: the home account's without organization mode. */
async function portsFor(owner: string): Promise<AccountPorts> {
  const routing = await routingReady;
  return routing === undefined ? home : routing.portsFor(owner);
}
// Digests keep their windows in the ledger table; without it (or with W = 0) every batch with
// findings is emailed whole.
const digestStore =
  ledgerTable === undefined || digest.windowMinutes === 0
    ? undefined
    : createDigestStore(dynamoClient, {
        tableName: ledgerTable,
        windowSeconds: digest.windowMinutes * 60,
        rules: digestRules,
      });

// The summary shows each file system's export backlog; a dry run calls nothing beyond the logs.
const backlogReader = reach.fsx ? createBacklogReader(metricsClient) : undefined;
/** The summary waits at most this long for the backlog, then says it is unknown. */
const BACKLOG_WAIT_MS = 5_000;

/** The backlog of the summary's file systems, or undefined when not read in time (never throws). */
async function backlogOf(ids: readonly string[]): Promise<BacklogReadings | undefined> {
  if (backlogReader === undefined || ids.length === 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), BACKLOG_WAIT_MS);
  });
  try {
    return await Promise.race([backlogReader.ages(ids, new Date()).catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** One decoded batch and the ports of the account that wrote it. */
interface Work {
  readonly batch: LogBatch;
  readonly ports: AccountPorts;
}

/** Analyses and re-exports one decoded batch, then publishes its summary. */
async function analyze({ batch, ports }: Work): Promise<AnalyzerResult> {
  // The pipeline reads its settings (paths per task, busy delay, report path, Region, dry run).
  const options = { ...config, ...(ports.durable && { durable: ports.durable }) };
  const analysed = await processBatches(
    [withAccountName(batch, organization)],
    options,
    ports.fsx,
    0,
  );
  const report = withAccountTokens(analysed, ports.account);
  emit(withAccountTelemetry(signals.reportTelemetry(report), ports.account));
  // The backlog metric lives in the file system's own account: a member's is not read from here.
  const ids = ports.account === undefined ? fileSystemsOf(report) : [];
  // Read while the digest gate makes its round trips, not after them: a report with findings is
  // almost always shown (only a digest window holding every group of it withholds the summary,
  // and the reading then goes unused). backlogOf never throws.
  const backlog =
    backlogReader === undefined || ids.length === 0 || !hasFindings(report)
      ? undefined
      : backlogOf(ids);
  let decision: Awaited<ReturnType<typeof gate>>;
  try {
    decision = await gate(report, digestStore);
  } catch (error) {
    // Not left running past the invocation either (backlogOf never throws, its timer ends it).
    await backlog;
    throw error;
  }
  emit(gateTelemetry(decision));
  const gated = summaryOf(decision);
  // Awaited even when nothing is published, so no call is left running past the invocation.
  const readings = await backlog;
  const summary =
    gated === undefined || backlog === undefined ? gated : withBacklog(gated, ids, readings);
  // A PublishError fails the invocation on purpose: Lambda retries, and the deterministic task
  // tokens make the repeated CreateDataRepositoryTask calls return the same tasks. The retry
  // alerts again for the groups this run opened (the store knows the batch).
  const published =
    summary === undefined ? null : await deliver(snsClient, reach.topicArn, summary, 'summary');
  // The chat alert follows the email, best effort (docs/operate.md#chat-alerts); without a chat
  // topic there is nothing to render it for.
  if (summary !== undefined && decision.show !== undefined && chatTarget.topicArn !== undefined) {
    const message = renderChatSummary(decision.show, {
      heldFailures: decision.heldFailures,
      heldSkipped: heldCounts(decision.held).skipped,
    });
    await deliverChat(snsClient, chatTarget, [chatJson(message)], 'summary');
  }
  return analyzerResult(report, {
    published,
    heldForDigest: digestStore === undefined ? undefined : decision.heldFailures,
    durable: durable !== undefined,
  });
}

// With a ledger table, a batch delivered again returns the stored result of its first run:
// nothing is started, queued or published twice.
const analyzeOnce = runOnce(
  analyze,
  ledgerTable === undefined
    ? undefined
    : { client: dynamoClient, tableName: ledgerTable, attemptWindowHours },
  {
    replayed: (work) => signals.duplicateTelemetry(work.batch),
    inProgress: (work) => signals.inProgressTelemetry(work.batch),
  },
);

async function analyzeEvent(
  event: unknown,
  context: Context,
): Promise<AnalyzerResult | KinesisStreamBatchResponse> {
  // Organization mode: Kinesis records from the central Logs destination, settled one by one.
  if (isKinesisEvent(event)) {
    const { analyzeKinesis } = await import('./organization.ts');
    return analyzeKinesis(
      event,
      context,
      config.maxDecompressedBytes,
      async (data, batch) => {
        const ports = await portsFor(batch.owner);
        // The record's payload is the idempotency key, as awslogs.data is for a subscription.
        await analyzeOnce({ awslogs: { data } }, context, { batch, ports });
      },
      (messageType) => emit(signals.skippedTelemetry(messageType)),
      (error) => emit(signals.undecodableTelemetry(error)),
    );
  }
  // An undecodable batch fails the invocation: Lambda retries it, then hands it to the
  // on-failure destination.
  const decoded = emitOnError(
    () => decodeLambdaEvent(event, config.maxDecompressedBytes),
    signals.undecodableTelemetry,
  );
  if (decoded.type === 'data') {
    const ports = await portsFor(decoded.batch.owner);
    return analyzeOnce(event, context, { batch: decoded.batch, ports });
  }
  emit(signals.skippedTelemetry(decoded.messageType));
  return skippedResult(config.dryRun);
}

/**
 * Lambda entry point for a CloudWatch Logs subscription: decode, analyse and re-export, then
 * publish one summary. In organization mode also for the Kinesis event source: one summary per
 * record, and the records that failed as batch item failures.
 */
const handler = lambdaHandler(analyzeEvent) as AnalyzerHandler;

/** A Kinesis event answers its batch item failures; a CloudWatch Logs event, the analysis. */
interface AnalyzerHandler {
  (event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse>;
  (event: unknown, context: Context): Promise<AnalyzerResult>;
}

export type { AnalyzerResult };
export { handler };

import { dynamoClient, metricsClient, snsClient } from '../lib/aws/clients.ts';
import { createDigestStore } from '../lib/aws/digests.ts';
import { lambdaHandler, loadOrLog, reachOf } from '../lib/aws/lambda.ts';
import { createBacklogReader, createFailureSeriesReader } from '../lib/aws/metrics.ts';
import { deliver, deliverChat } from '../lib/aws/sns.ts';
import { emit, NAMESPACE, SERVICE_NAME } from '../lib/aws/telemetry.ts';
import { chatJson } from '../lib/chat/format.ts';
import { renderChatDigest } from '../lib/chat/render.ts';
import { CLASS_ORDER } from '../lib/common/classes.ts';
import {
  loadChatConfig,
  loadConfig,
  loadDigestConfig,
  loadReexportConfig,
} from '../lib/common/config.ts';
import { ConfigError } from '../lib/common/errors.ts';
import { type DigestContent, renderDigestEmail } from '../lib/digest/email.ts';
import { digestRunTelemetry, heldFailures } from '../lib/digest/telemetry.ts';
import { digestRules } from '../lib/digest/windows.ts';

/*
 * The digest run, on a schedule: closes the alert windows whose end has passed and emails one
 * message per run with every digest (repeats held back) and every recovery notice. Windows are
 * rolled first and their counters kept as "pending" in the same atomic write; the email goes
 * out; then the pending entries are cleared. Beside the windows it shows each file system's export
 * backlog and the failures per class over the last day, read from CloudWatch (never failing the
 * email: "unknown" when they cannot be read). A failed publish leaves them pending and fails the
 * run (alarm): the next run sends them again. A publish that SNS accepted but whose answer was
 * lost is sent twice: a duplicate digest, never a lost one.
 */

/** What one run did. */
interface DigestResult {
  readonly digests: number;
  readonly recovered: number;
  readonly heldFailures: number;
  /** Windows whose roll lost a race with an analyzer; the next run closes them. */
  readonly skipped: number;
  /** SNS MessageId of the digest, or null when nothing was published. */
  readonly published: string | null;
}

const { config, table, windowSeconds, chat } = loadOrLog(() => {
  const config = loadConfig();
  const table = loadReexportConfig().ledgerTable;
  const { windowMinutes } = loadDigestConfig();
  if (table === undefined) {
    throw new ConfigError('Environment variable LEDGER_TABLE is required by the digest function');
  }
  if (windowMinutes === 0) {
    throw new ConfigError(
      'Environment variable DIGEST_WINDOW_MINUTES must be from 1 to 1440 for the digest function',
    );
  }
  return { config, table, windowSeconds: windowMinutes * 60, chat: loadChatConfig() };
});
const { topicArn } = reachOf(config);
const store = createDigestStore(dynamoClient, {
  tableName: table,
  windowSeconds,
  rules: digestRules,
});

const backlogReader = createBacklogReader(metricsClient);
// The analyzer's own Failures metric (same namespace and service name: serverless.yml).
const failureSeries = createFailureSeriesReader(metricsClient, {
  namespace: NAMESPACE,
  service: SERVICE_NAME,
});
const HOUR_MS = 3_600_000;

/**
 * What the digest shows beside the windows: each file system's export backlog, and the failures
 * per class over the last 24 whole hours. Both ports never throw; a failure reads "unknown".
 */
async function context(
  ids: readonly string[],
  now: Date,
): Promise<Pick<DigestContent, 'backlog' | 'failures'>> {
  const end = Math.ceil(now.getTime() / HOUR_MS) * HOUR_MS;
  const window = { start: end - 24 * HOUR_MS, end };
  const [backlog, series] = await Promise.all([
    backlogReader.ages(ids, now),
    failureSeries.failuresByClass(CLASS_ORDER, window, 3600),
  ]);
  return { backlog, failures: { window, periodSeconds: 3600, series } };
}

async function run(): Promise<DigestResult> {
  const work = await store.collect();
  emit(digestRunTelemetry(work, table));
  let published: string | null = null;
  if (work.digests.length > 0 || work.recovered.length > 0) {
    const now = new Date();
    const ids = [...work.digests, ...work.recovered]
      .filter((item) => item.key.scopeKind === 'fileSystem')
      .map((item) => item.key.scope);
    const content: DigestContent = {
      digests: work.digests,
      recovered: work.recovered,
      generatedAt: now.toISOString(),
      region: config.region,
      ...(await context(ids, now)),
    };
    const publication = renderDigestEmail(content);
    // A PublishError fails the run on purpose: nothing is acknowledged, so the next run sends it.
    published = await deliver(snsClient, topicArn, publication, 'digest');
    // Only what SNS accepted is cleared: a dry run publishes nothing, so it acknowledges nothing.
    if (published !== null) await store.acknowledge(work);
    // Chat alerts follow the email, best effort (docs/operate.md#chat-alerts).
    const messages = renderChatDigest(content).map(chatJson);
    await deliverChat(
      snsClient,
      { topicArn: chat.chatTopicArn, dryRun: config.dryRun },
      messages,
      'digest',
    );
  }
  return {
    digests: work.digests.length,
    recovered: work.recovered.length,
    heldFailures: heldFailures(work),
    skipped: work.skipped,
    published,
  };
}

/**
 * Lambda entry point for the schedule: one email per run with the digests of the windows that
 * closed and the groups that recovered.
 */
const handler = lambdaHandler((_event: unknown) => run());

export type { DigestResult };
export { handler };

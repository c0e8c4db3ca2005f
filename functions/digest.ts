import { dynamoClient, snsClient } from '../lib/aws/clients.ts';
import { createDigestStore } from '../lib/aws/digests.ts';
import { lambdaHandler, loadOrLog, reachOf } from '../lib/aws/lambda.ts';
import { deliver, deliverChat } from '../lib/aws/sns.ts';
import { emit } from '../lib/aws/telemetry.ts';
import { chatJson } from '../lib/chat/format.ts';
import { renderChatDigest } from '../lib/chat/render.ts';
import {
  loadChatConfig,
  loadConfig,
  loadDigestConfig,
  loadReexportConfig,
} from '../lib/common/config.ts';
import { ConfigError } from '../lib/common/errors.ts';
import { renderDigestEmail } from '../lib/digest/email.ts';
import { digestRunTelemetry, heldFailures } from '../lib/digest/telemetry.ts';
import { digestRules } from '../lib/digest/windows.ts';

/*
 * The digest run, on a schedule: closes the alert windows whose end has passed and emails one
 * message per run with every digest (repeats held back) and every recovery notice. Windows are
 * rolled first and their counters kept as "pending" in the same atomic write; the email goes
 * out; then the pending entries are cleared. A failed publish leaves them pending and fails the
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

async function run(): Promise<DigestResult> {
  const work = await store.collect();
  emit(digestRunTelemetry(work, table));
  let published: string | null = null;
  if (work.digests.length > 0 || work.recovered.length > 0) {
    const content = {
      digests: work.digests,
      recovered: work.recovered,
      generatedAt: new Date().toISOString(),
      region: config.region,
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

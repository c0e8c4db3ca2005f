import { classify, hintFor } from '../lib/analyze/classify.ts';
import { dynamoClient, fsxClient, snsClient } from '../lib/aws/clients.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { lambdaHandler, loadOrLog, reachOf } from '../lib/aws/lambda.ts';
import { createLedger } from '../lib/aws/ledger.ts';
import { createS3ReportReader } from '../lib/aws/s3.ts';
import { s3Client } from '../lib/aws/s3-client.ts';
import { deliver, deliverChat } from '../lib/aws/sns.ts';
import { emit } from '../lib/aws/telemetry.ts';
import { chatJson } from '../lib/chat/format.ts';
import { renderChatOutcomes } from '../lib/chat/render.ts';
import { loadChatConfig, loadConfig, loadReexportConfig } from '../lib/common/config.ts';
import { ConfigError } from '../lib/common/errors.ts';
import { loadOrganizationConfig } from '../lib/common/organization.ts';
import { renderOutcomeEmail } from '../lib/reexport/email.ts';
import { checkOutcomes, markFailedAgain, type OutcomePorts } from '../lib/reexport/outcomes.ts';
import { type DescribeCode, MAX_REPORT_BYTES } from '../lib/reexport/report.ts';
import { outcomeTelemetry } from '../lib/reexport/telemetry.ts';

/*
 * The outcome check, on a schedule: looks up the tasks the analyzer and the retrier started,
 * reads back the completion report of those that ended with failures, and emails one follow-up
 * per run for them.
 */

/** What one run did. */
interface OutcomeResult {
  readonly finished: number;
  readonly stillOpen: number;
  /** SNS MessageId of the follow-up, or null when nothing was published. */
  readonly published: string | null;
}

const { config, table, attemptWindowHours, chat } = loadOrLog(() => {
  const config = loadConfig();
  const reexport = loadReexportConfig();
  const table = reexport.ledgerTable;
  if (table === undefined) {
    throw new ConfigError('Environment variable LEDGER_TABLE is required by the outcome check');
  }
  return {
    config,
    table,
    attemptWindowHours: reexport.attemptWindowHours,
    chat: loadChatConfig(),
  };
});
const { topicArn } = reachOf(config);
const home = {
  ledger: createLedger(dynamoClient, { tableName: table, attemptWindowHours }),
  fsx: createFsxAdapter(fsxClient, { cacheSeconds: config.associationCacheSeconds }),
  reports: createS3ReportReader(s3Client, { maxBytes: MAX_REPORT_BYTES }),
};
/** Completion-report codes, classified with the analyzer's table (`S3AccessDenied`: permission). */
const describeCode: DescribeCode = (code) => ({ class: classify(code), hint: hintFor(code) });
// Organization mode: a member account's tasks are looked up in that account
// (functions/organization.ts); unset, exactly the single-account ports. That code is a chunk of
// its own, loaded (from init on) only when organization mode is configured.
const organization = loadOrLog(() => loadOrganizationConfig());
const portsReady: Promise<OutcomePorts> =
  organization === undefined
    ? Promise.resolve(home)
    : import('./organization.ts').then(({ createRouting }) => ({
        ...home,
        ...createRouting({
          organization,
          home: { account: undefined, fsx: undefined, durable: undefined },
          live: !config.dryRun,
          associationCacheSeconds: config.associationCacheSeconds,
          sessionName: process.env['AWS_LAMBDA_FUNCTION_NAME'] || 'fsx-export-analyzer',
        }).outcomePorts(home),
      }));

async function check(): Promise<OutcomeResult> {
  const ports = await portsReady;
  const report = await checkOutcomes(ports, { region: config.region, describeCode });
  emit(outcomeTelemetry(report));
  let published: string | null = null;
  if (report.finished.length > 0) {
    // Tasks are closed before the email goes out, so two overlapping runs never report one
    // twice. If the publish fails, this run's closes are undone so the next run reports them,
    // and the run fails (alarm); the outcomes logged above remain either way. Paths that failed
    // again are marked first: the email says they are escalated, so that must already hold.
    try {
      await markFailedAgain(ports.ledger, report);
      published = await deliver(snsClient, topicArn, renderOutcomeEmail(report), 'outcome email');
    } catch (error) {
      const closedAt = new Date(report.generatedAt);
      await Promise.all(
        report.finished.map((finished) =>
          ports.ledger.reopenTask(finished.tracked.taskId, closedAt),
        ),
      );
      throw error;
    }
    // The chat alert follows the email, best effort (docs/operate.md#chat-alerts).
    await deliverChat(
      snsClient,
      { topicArn: chat.chatTopicArn, dryRun: config.dryRun },
      [chatJson(renderChatOutcomes(report))],
      'outcome',
    );
  }
  return { finished: report.finished.length, stillOpen: report.stillOpen, published };
}

/**
 * Lambda entry point for the schedule: reports the re-export tasks that ended since the last run
 * in one email.
 */
const handler = lambdaHandler((_event: unknown) => check());

export type { OutcomeResult };
export { handler };

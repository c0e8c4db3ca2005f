import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { dynamoClient, fsxClient, snsClient } from '../lib/aws/clients.ts';
import { createFsxAdapter } from '../lib/aws/fsx.ts';
import { lambdaHandler, loadOrLog, reachOf } from '../lib/aws/lambda.ts';
import { createLedger } from '../lib/aws/ledger.ts';
import { deliver, deliverChat } from '../lib/aws/sns.ts';
import { parseDeferredExport } from '../lib/aws/sqs.ts';
import { readRecords, settleRecords } from '../lib/aws/sqs-batch.ts';
import { emit } from '../lib/aws/telemetry.ts';
import { chatJson } from '../lib/chat/format.ts';
import { renderChatRetrier } from '../lib/chat/render.ts';
import { loadChatConfig, loadConfig, loadReexportConfig } from '../lib/common/config.ts';
import { ConfigError } from '../lib/common/errors.ts';
import { loadOrganizationConfig } from '../lib/common/organization.ts';
import { dryRunRetrier } from '../lib/reexport/dry-run.ts';
import { renderRetrierEmail } from '../lib/reexport/email.ts';
import { createRetrierRun, hasNews } from '../lib/reexport/retrier.ts';
import { malformedTelemetry, retrierTelemetry } from '../lib/reexport/telemetry.ts';
import type { Routing } from './organization.ts';

/*
 * The retrier: consumes the deferral queue. Each SQS batch is decided per file system by
 * lib/reexport/retrier.ts; the records that must wait are reported as batch item failures, so only
 * those come back, after the queue's visibility timeout.
 */

const { config, reexport, chat } = loadOrLog(() => {
  const settings = {
    config: loadConfig(),
    reexport: loadReexportConfig(),
    chat: loadChatConfig(),
  };
  // Without the ledger the retrier could neither limit attempts nor claim a window.
  if (settings.reexport.ledgerTable === undefined && !settings.config.dryRun) {
    throw new ConfigError(
      'Environment variable LEDGER_TABLE is required by the retrier unless DRY_RUN is true',
    );
  }
  return settings;
});
const reach = reachOf(config, reexport);
const { attemptWindowHours, maxAttempts, coalesceWindowSeconds, maxReceives } = reexport;
const { maxPathsPerTask, reportPath, region } = config;
const options = {
  maxAttempts,
  coalesceWindowSeconds,
  maxReceives,
  maxPathsPerTask,
  reportPath,
  region,
};
// Organization mode: a member account's messages are retried through its role
// (functions/organization.ts); unset, the retrier is exactly the single-account one. That code is a
// chunk of its own, loaded (from init on) only when organization mode is configured.
const organization = loadOrLog(() => loadOrganizationConfig());
const routingReady: Promise<Routing> | undefined =
  organization === undefined
    ? undefined
    : import('./organization.ts').then(({ createRouting }) =>
        createRouting({
          organization,
          home: { account: undefined, fsx: undefined, durable: undefined },
          live: reach.fsx,
          associationCacheSeconds: config.associationCacheSeconds,
          sessionName: process.env['AWS_LAMBDA_FUNCTION_NAME'] || 'fsx-export-analyzer',
        }),
      );
const ports =
  reach.ledgerTable === undefined
    ? undefined
    : {
        fsx: createFsxAdapter(fsxClient, { cacheSeconds: config.associationCacheSeconds }),
        ledger: createLedger(dynamoClient, { tableName: reach.ledgerTable, attemptWindowHours }),
      };

async function retry(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const records = event.Records ?? [];
  const { items, unread } = readRecords(records, parseDeferredExport);
  emit(malformedTelemetry(unread));
  const reasons = new Map(unread.map((message) => [message.messageId, message.reason]));
  const run =
    ports === undefined
      ? dryRunRetrier(items, region)
      : routingReady === undefined
        ? createRetrierRun(items, ports, options)
        : await (await routingReady).retrierRun(items, ports, options);
  const response = await settleRecords(
    records,
    async (record) => {
      const reason = reasons.get(record.messageId);
      if (reason !== undefined) throw new Error(reason);
      await run.settle(record.messageId);
    },
    context,
  );
  const report = await run.report();
  emit(retrierTelemetry(report, unread.length));
  if (hasNews(report)) {
    // One email per invocation. A PublishError fails the whole invocation: every record comes
    // back, and the deterministic tokens and the ADD-only ledger make the repeat harmless.
    await deliver(snsClient, reach.topicArn, renderRetrierEmail(report), 'retrier email');
    // The chat alert follows the email, best effort (docs/operate.md#chat-alerts).
    await deliverChat(
      snsClient,
      { topicArn: chat.chatTopicArn, dryRun: config.dryRun },
      [chatJson(renderChatRetrier(report))],
      'retrier',
    );
  }
  return response;
}

/**
 * Lambda entry point for the deferral queue's event source (ReportBatchItemFailures): starts the
 * deferred re-exports FSx can take now and returns the others as batch item failures.
 */
const handler = lambdaHandler(retry);

export { handler };

import {
  dynamoClient,
  fsxClient,
  logsClient,
  metricsClient,
  snsClient,
} from '../lib/aws/clients.ts';
import { createDoctorState } from '../lib/aws/doctor-state.ts';
import { readInventory } from '../lib/aws/inventory.ts';
import { lambdaHandler, loadOrLog, reachOf } from '../lib/aws/lambda.ts';
import { createBacklogReader } from '../lib/aws/metrics.ts';
import { deliver, deliverChat } from '../lib/aws/sns.ts';
import { emit } from '../lib/aws/telemetry.ts';
import { chatJson } from '../lib/chat/format.ts';
import { renderChatDoctor } from '../lib/chat/render.ts';
import { loadChatConfig, loadDoctorConfig } from '../lib/common/config.ts';
import { doctorChanges } from '../lib/doctor/changes.ts';
import { diagnose } from '../lib/doctor/diagnose.ts';
import { renderDoctorAlert } from '../lib/doctor/render.ts';
import { doctorTelemetry, problemCount } from '../lib/doctor/telemetry.ts';

/*
 * The scheduled doctor: the checks of `fsx-export-analyzer doctor` (event logging on, the
 * analyzer subscribed to the log group, associations AVAILABLE with automatic export, the export
 * backlog under its threshold, the summary topic with a confirmed subscription), run on a schedule, with one email when something a person
 * acts on appears or goes away (a check that cannot be made, e.g. a throttled call, only when it
 * fails two runs in a row: doctorChanges). A MISCONFIGURED association stops automatic export
 * without a single failure event, so the analyzer alone would never notice it.
 */

/** What one run did. */
interface DoctorRunResult {
  readonly fileSystems: number;
  readonly problems: number;
  readonly changes: number;
  /** SNS MessageId of the alert, or null when nothing was published. */
  readonly published: string | null;
}

const config = loadOrLog(loadDoctorConfig);
const chat = loadOrLog(loadChatConfig);
const { topicArn } = reachOf(config);
const state = createDoctorState(dynamoClient, config.ledgerTable, config.region);
const backlogReader = createBacklogReader(metricsClient);

async function run(now: Date): Promise<DoctorRunResult> {
  // The topic's subscriptions are read even in a dry run: reading changes nothing.
  const inventory = await readInventory(
    { fsx: fsxClient, logs: logsClient, sns: snsClient },
    { region: config.region, topicArn: config.summaryTopicArn },
  );
  // The export backlog of every file system: read-only too; a failed read is UNKNOWN, not an error.
  const backlog = await backlogReader.ages(
    inventory.fileSystems.map((entry) => entry.fileSystem.fileSystemId),
    now,
  );
  const result = diagnose(
    { ...inventory, backlog },
    {
      functionRef: config.analyzerFunction,
      backlogThresholdSeconds: config.backlogThresholdMinutes * 60,
    },
  );
  const { changes, state: next } = doctorChanges(await state.load(), result.findings);
  emit(doctorTelemetry(result, changes.length));
  let published: string | null = null;
  if (changes.length > 0) {
    // The state is saved only after the email went out: a failed publish fails the run, and the
    // next run finds the same changes and tries again.
    published = await deliver(
      snsClient,
      topicArn,
      renderDoctorAlert(result, changes, now.toISOString()),
      'doctor alert',
    );
  }
  await state.save(next, now);
  if (changes.length > 0) {
    // The chat alert follows the email, best effort (docs/operate.md#chat-alerts).
    await deliverChat(
      snsClient,
      { topicArn: chat.chatTopicArn, dryRun: config.dryRun },
      [chatJson(renderChatDoctor(result, changes, now.toISOString()))],
      'doctor',
    );
  }
  const problems = problemCount(result);
  return { fileSystems: result.fileSystems, problems, changes: changes.length, published };
}

/** Lambda entry point for the schedule. */
const handler = lambdaHandler((_event: unknown) => run(new Date()));

export type { DoctorRunResult };
export { handler };

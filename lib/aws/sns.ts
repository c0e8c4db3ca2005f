import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { describeError, PublishError } from '../common/errors.ts';
import type { Publication } from '../common/types.ts';
import { errorName } from './aws-errors.ts';
import { emit, logger } from './telemetry.ts';

/**
 * Turns our attributes into SNS message attributes. SNS rejects an attribute whose value is
 * empty, so empty strings and empty lists are left out rather than failing the whole publish.
 */
function toMessageAttributes(
  attributes: Publication['attributes'],
): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'string') {
      if (value.length > 0) result[name] = { DataType: 'String', StringValue: value };
    } else if (value.length > 0) {
      result[name] = { DataType: 'String.Array', StringValue: JSON.stringify(value) };
    }
  }
  return result;
}

/**
 * Publishes the summary to the topic.
 *
 * @returns The SNS MessageId.
 * @throws PublishError with a one-line message and the SDK error as `cause`; the handler lets it
 * fail the invocation so Lambda retries the batch and the summary is not lost.
 */
async function publishSummary(
  client: SNSClient,
  topicArn: string,
  publication: Publication,
): Promise<string> {
  const messageAttributes = toMessageAttributes(publication.attributes);
  try {
    const response = await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: publication.subject,
        Message: publication.body,
        ...(Object.keys(messageAttributes).length > 0
          ? { MessageAttributes: messageAttributes }
          : {}),
      }),
    );
    if (response.MessageId === undefined || response.MessageId === '') {
      throw new Error('the response has no MessageId');
    }
    return response.MessageId;
  } catch (error) {
    throw new PublishError(
      `SNS Publish to ${topicArn} failed: ${errorName(error)}: ${describeError(error)}`,
      { cause: error },
    );
  }
}

/**
 * Publishes one email to `topicArn`, or, with no topic (a dry run: lib/aws/lambda.ts, reachOf),
 * logs what would have been published. `label` names it in the log lines ("summary", "retrier
 * email"). Returns the SNS MessageId, or null when nothing was published.
 *
 * @throws PublishError when SNS refuses: the caller's invocation fails, on purpose.
 */
async function deliver(
  client: SNSClient,
  topicArn: string | undefined,
  publication: Publication,
  label: string,
): Promise<string | null> {
  if (topicArn === undefined) {
    logger.info(`Dry run: ${label} not published`, {
      subject: publication.subject,
      body: publication.body,
    });
    return null;
  }
  const messageId = await publishSummary(client, topicArn, publication);
  logger.info(`${label.charAt(0).toUpperCase()}${label.slice(1)} published`, { messageId });
  return messageId;
}

/** Where chat alerts go: the chat topic (undefined: none configured), and whether this is a dry run. */
interface ChatTarget {
  readonly topicArn: string | undefined;
  readonly dryRun: boolean;
}

/** What `deliverChat` did. */
interface ChatDelivery {
  readonly published: number;
  readonly failed: number;
}

/**
 * Publishes chat alerts (custom-notification JSON, already rendered by lib/chat/) to the chat
 * topic, one SNS message each, after the email went out. Best effort, on purpose: a chat topic
 * that refuses (denied, throttled past the SDK's retries, KMS) is logged and counted
 * (`ChatPublishFailures`) but never fails the invocation, because a retry would send the email
 * again and the email already carries everything (docs/operate.md#chat-alerts).
 */
async function deliverChat(
  client: SNSClient,
  target: ChatTarget,
  messages: readonly string[],
  label: string,
): Promise<ChatDelivery> {
  if (target.topicArn === undefined || messages.length === 0) return { published: 0, failed: 0 };
  if (target.dryRun) {
    for (const message of messages)
      logger.info(`Dry run: ${label} chat alert not published`, { message });
    return { published: 0, failed: 0 };
  }
  let published = 0;
  const reasons: string[] = [];
  for (const message of messages) {
    try {
      const response = await client.send(
        new PublishCommand({ TopicArn: target.topicArn, Message: message }),
      );
      if (response.MessageId === undefined || response.MessageId === '') {
        throw new Error('the response has no MessageId');
      }
      published++;
    } catch (error) {
      reasons.push(`${errorName(error)}: ${describeError(error)}`);
    }
  }
  const failed = reasons.length;
  emit({
    metrics: [
      { name: 'ChatAlertsPublished', value: published },
      { name: 'ChatPublishFailures', value: failed },
    ],
    logs:
      failed === 0
        ? [
            {
              level: 'info',
              message: `${capitalised(label)} chat alerts published`,
              fields: { published },
            },
          ]
        : [
            {
              level: 'error',
              message: `${capitalised(label)} chat alerts not published; the email went out`,
              fields: { topicArn: target.topicArn, published, failed, reason: reasons[0] },
            },
          ],
  });
  return { published, failed };
}

function capitalised(label: string): string {
  return `${label.charAt(0).toUpperCase()}${label.slice(1)}`;
}

export type { ChatDelivery, ChatTarget };
export { deliver, deliverChat, publishSummary, toMessageAttributes };

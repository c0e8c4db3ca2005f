import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

/*
 * The benchmark's yardstick for cold start (scripts/bench.ts): the smallest useful Lambda
 * function on this stack, one SNS client that publishes the event it gets. `npm run bench` bundles
 * it exactly as scripts/build.mjs bundles the functions (same esbuild options, same
 * NODE_OPTIONS), so the ratio compares only what each function imports and does at init.
 */

const client = new SNSClient({});
const topicArn = process.env['SUMMARY_TOPIC_ARN'];

/** Publishes the event, as JSON, to the summary topic. */
export async function handler(event: unknown): Promise<{ messageId: string | undefined }> {
  const output = await client.send(
    new PublishCommand({ TopicArn: topicArn, Subject: 'bench', Message: JSON.stringify(event) }),
  );
  return { messageId: output.MessageId };
}

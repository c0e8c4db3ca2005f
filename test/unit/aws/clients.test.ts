import { describe, expect, it } from 'vitest';
import {
  dynamoClient,
  fsxClient,
  logsClient,
  snsClient,
  sqsClient,
} from '../../../lib/aws/clients.ts';

/** NodeHttpHandler resolves its options lazily; `configProvider` is where they land. */
interface LazyHandler {
  readonly configProvider: Promise<Record<string, unknown>>;
}

describe('clients', () => {
  it.each([
    ['FSx', fsxClient],
    ['SNS', snsClient],
    ['SQS', sqsClient],
    ['DynamoDB', dynamoClient],
    ['CloudWatch Logs', logsClient],
  ])('gives the %s client a request timeout that fails the attempt', async (_name, client) => {
    // Prepare
    const handler = client.config.requestHandler as unknown as LazyHandler;

    // Act
    const configs = await handler.configProvider;

    // Assess: without these a hung call would hold the invocation until the Lambda timeout.
    expect(configs).toMatchObject({
      connectionTimeout: 3_000,
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
    });
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe('clients with tracing', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  /** The middleware names of a fresh FSx client, loaded as a cold start with `env`. */
  async function middlewareOf(env: Record<string, string>): Promise<string[]> {
    vi.resetModules();
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const { fsxClient: client, tracingReady } = await import('../../../lib/aws/clients.ts');
    await tracingReady;
    return client.middlewareStack.identify();
  }

  const LAMBDA = {
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'fsx-export-analyzer-dev-analyzer',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  };

  it('records every SDK call in X-Ray when the stack turns tracing on', async () => {
    // Act
    const traced = await middlewareOf({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'true' });

    // Assess
    expect(traced).toContain('XRaySDKInstrumentation - build');
  });

  it('loads no X-Ray code and adds nothing when tracing is off', async () => {
    // Act
    const plain = await middlewareOf({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' });

    // Assess
    expect(plain.filter((name) => /xray|powertools/i.test(name))).toEqual([]);
  });
});

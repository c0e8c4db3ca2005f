import { Readable } from 'node:stream';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
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

describe('clients resolving their middleware', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  /**
   * An HTTP handler that answers each PutItem after a delay of its own, so concurrent calls finish
   * out of order: with the item's id as the consumed table name, or, for an id starting with `x`,
   * a conditional check failure naming it.
   */
  function answering(): {
    handle: (request: { body?: unknown }) => Promise<unknown>;
    requests: number;
  } {
    const handler = {
      requests: 0,
      async handle(request: { body?: unknown }) {
        handler.requests++;
        const id = (JSON.parse(String(request.body)) as { Item: { id: { S: string } } }).Item.id.S;
        await new Promise((resolve) => setTimeout(resolve, (id.charCodeAt(0) * 7) % 13));
        const failed = id.startsWith('x');
        const body = failed
          ? {
              __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
              message: id,
            }
          : { ConsumedCapacity: { TableName: id, CapacityUnits: 1 } };
        return {
          response: {
            statusCode: failed ? 400 : 200,
            headers: { 'content-type': 'application/x-amz-json-1.0' },
            body: Readable.from([Buffer.from(JSON.stringify(body))]),
          },
        };
      },
    };
    return handler;
  }

  it('resolves a command class once per client, for calls concurrent or not', async () => {
    // Prepare: a fresh container's client, answered locally.
    vi.resetModules();
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'not-a-secret');
    const { dynamoClient: client } = await import('../../../lib/aws/clients.ts');
    const handler = answering();
    Object.assign(client.config, { requestHandler: handler });
    const resolve = vi.spyOn(PutItemCommand.prototype, 'resolveMiddleware');
    const put = (id: string) =>
      client.send(new PutItemCommand({ TableName: 'ledger', Item: { id: { S: id } } })).then(
        (output) => output.ConsumedCapacity?.TableName,
        (error: Error) => `${error.name}: ${error.message}`,
      );

    // Act: concurrent calls sharing the cached stack, some failing, then one more.
    const ids = ['a', 'xb', 'c', 'd', 'xe', 'f'];
    const results = [...(await Promise.all(ids.map(put))), await put('g')];

    // Assess: each call got its own answer or error; the stack was built for the first one only.
    expect(handler.requests).toBe(7);
    expect(results).toEqual([
      'a',
      'ConditionalCheckFailedException: xb',
      'c',
      'd',
      'ConditionalCheckFailedException: xe',
      'f',
      'g',
    ]);
    expect(resolve).toHaveBeenCalledTimes(1);
  });

  it('leaves S3 and SQS resolving per call: a call may change their endpoint', async () => {
    // Prepare
    vi.resetModules();
    const { s3Client } = await import('../../../lib/aws/s3-client.ts');
    const { sqsClient } = await import('../../../lib/aws/clients.ts');

    // Act
    const s3 = await s3Client();

    // Assess: S3's endpoint follows the bucket, SQS's may follow the QueueUrl.
    expect(s3.config.cacheMiddleware).not.toBe(true);
    expect(sqsClient.config.cacheMiddleware).not.toBe(true);
  });
});

describe('clients with tracing', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  /**
   * The middleware names of a fresh FSx client, loaded as a cold start with `env`: the home
   * account's, or (`member`) one made for a member account after the first invocation began.
   */
  async function middlewareOf(env: Record<string, string>, member = false): Promise<string[]> {
    vi.resetModules();
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    const clients = await import('../../../lib/aws/clients.ts');
    await clients.tracingReady;
    const client = member
      ? clients.fsxClientWith({ accessKeyId: 'AKIAMEMBER', secretAccessKey: 'secret' })
      : clients.fsxClient;
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

  it("records a member account's FSx calls in X-Ray too, and adds nothing when tracing is off", async () => {
    // Act
    const traced = await middlewareOf({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'true' }, true);
    const plain = await middlewareOf({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' }, true);

    // Assess
    expect(traced).toContain('XRaySDKInstrumentation - build');
    expect(plain.filter((name) => /xray|powertools/i.test(name))).toEqual([]);
  });

  it('loads no X-Ray code and adds nothing when tracing is off', async () => {
    // Act
    const plain = await middlewareOf({ ...LAMBDA, POWERTOOLS_TRACE_ENABLED: 'false' });

    // Assess
    expect(plain.filter((name) => /xray|powertools/i.test(name))).toEqual([]);
  });
});

import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  expirySeconds,
  idempotencyConfig,
  isAlreadyInProgress,
  runOnce,
} from '../../../lib/aws/idempotency.ts';
import type { Telemetry } from '../../../lib/common/types.ts';
import { lambdaEvent, payload } from '../../helpers/events.ts';
import { CONTEXT, TABLE } from '../../helpers/lambda.ts';

const ddbMock = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });
/** The analyzer's name in a deployed stack: `<service>-<stage>-analyzer` (serverless.yml). */
const FUNCTION_NAME = 'fsx-export-analyzer-prod-analyzer';
/** How the ids of the ledger's own items start (lib/aws/ledger.ts, digests.ts, doctor-state.ts). */
const LEDGER_PREFIXES = ['attempt#', 'window#', 'task#', 'digest#', 'doctor#'];
const NOTHING: Telemetry = { metrics: [], logs: [] };
const EVENT = lambdaEvent(payload([{ message: 'hello' }]));

/** The idempotency records the mocked table was asked to create. */
function recordPuts(): PutItemCommandInput[] {
  return ddbMock.commandCalls(PutItemCommand).map((call) => call.args[0].input);
}

/** A table that answers every new record with `item` already there (a duplicate event). */
function existingRecord(item: Record<string, unknown>): void {
  ddbMock.on(PutItemCommand).callsFake((input: PutItemCommandInput) => {
    throw new ConditionalCheckFailedException({
      $metadata: {},
      message: 'The conditional request failed',
      Item: marshall({ id: input.Item?.['id']?.S, ...item }),
    });
  });
}

/** `runOnce` on the mocked table, with its signals spied. */
function once(attemptWindowHours = 24) {
  const run = vi.fn(async (input: string) => ({ analysed: input }));
  const replayed = vi.fn((_: string) => NOTHING);
  const inProgress = vi.fn((_: string) => NOTHING);
  const analyze = runOnce(
    run,
    { client, tableName: TABLE, attemptWindowHours },
    { replayed, inProgress },
  );
  return { analyze, run, replayed, inProgress };
}

describe('Function: idempotencyConfig', () => {
  it('keys on the subscription payload, refuses an event without one, keeps results as asked', () => {
    // Act
    const config = idempotencyConfig({ expiresAfterSeconds: 7200 });

    // Assess
    expect(config.eventKeyJmesPath).toBe('awslogs.data');
    expect(config.throwOnNoIdempotencyKey).toBe(true);
    expect(config.expiresAfterSeconds).toBe(7200);
  });
});

describe('Function: expirySeconds', () => {
  it.each([
    [1, 6 * 3600],
    [6, 6 * 3600],
    [24, 24 * 3600],
  ])(
    'keeps the results of a %i h attempts window for %i s (Lambda retries for 6 h)',
    (hours, seconds) => {
      // Act
      const expiry = expirySeconds(hours);

      // Assess
      expect(expiry).toBe(seconds);
    },
  );
});

describe('Function: runOnce', () => {
  beforeEach(() => {
    ddbMock.reset();
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', FUNCTION_NAME);
    ddbMock.on(PutItemCommand).resolves({});
    ddbMock.on(UpdateItemCommand).resolves({});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('runs every time without a table, and never says it replayed', async () => {
    // Prepare
    const run = vi.fn(async (input: string) => input.length);
    const replayed = vi.fn((_: string) => NOTHING);
    const analyze = runOnce(run, undefined, { replayed, inProgress: () => NOTHING });

    // Act
    const results = [await analyze(EVENT, CONTEXT, 'abc'), await analyze(EVENT, CONTEXT, 'abc')];

    // Assess
    expect(results).toEqual([3, 3]);
    expect(run).toHaveBeenCalledTimes(2);
    expect(replayed).not.toHaveBeenCalled();
    expect(ddbMock.calls()).toHaveLength(0);
  });

  it('records the run under `id` with the `expiration` TTL, then stores its result', async () => {
    // Prepare
    const { analyze, run } = once(24);
    const before = Math.floor(Date.now() / 1000);

    // Act
    const result = await analyze(EVENT, CONTEXT, 'batch');

    // Assess
    expect(result).toEqual({ analysed: 'batch' });
    expect(run).toHaveBeenCalledOnce();
    const [put] = recordPuts();
    expect(put?.TableName).toBe(TABLE);
    expect(put?.Item?.['id']?.S).toMatch(new RegExp(`^${FUNCTION_NAME}#[A-Za-z0-9+/]{22}==$`));
    expect(Number(put?.Item?.['expiration']?.N)).toBeGreaterThanOrEqual(before + 24 * 3600);
    expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':status': { S: 'COMPLETED' } }),
    });
  });

  it('gives the same event the same record id, whatever else the event holds', async () => {
    // Prepare
    const { analyze } = once();

    // Act
    await analyze(EVENT, CONTEXT, 'first');
    await analyze({ ...EVENT, other: 'not part of the key' }, CONTEXT, 'second');

    // Assess
    const [first, second] = recordPuts().map((put) => put.Item?.['id']?.S);
    expect(first).toBeDefined();
    expect(second).toBe(first);
  });

  it('names its records so that no id can be that of a ledger item', async () => {
    // Act / Assess
    await fc.assert(
      fc.asyncProperty(
        fc
          .stringMatching(/^[A-Za-z0-9_-]{1,64}$/)
          .filter((name) => !LEDGER_PREFIXES.includes(`${name}#`)),
        async (name) => {
          ddbMock.resetHistory();
          vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', name);
          await once().analyze(EVENT, CONTEXT, 'batch');
          const id = recordPuts()[0]?.Item?.['id']?.S ?? '';
          expect(id.startsWith(`${name}#`)).toBe(true);
          expect(LEDGER_PREFIXES.filter((prefix) => id.startsWith(prefix))).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('returns the stored result of an event that ran before, and says it replayed', async () => {
    // Prepare
    const { analyze, run, replayed } = once();
    existingRecord({
      status: 'COMPLETED',
      expiration: Math.floor(Date.now() / 1000) + 3600,
      data: { analysed: 'the first run' },
    });

    // Act
    const result = await analyze(EVENT, CONTEXT, 'batch');

    // Assess
    expect(result).toEqual({ analysed: 'the first run' });
    expect(run).not.toHaveBeenCalled();
    expect(replayed).toHaveBeenCalledExactlyOnceWith('batch');
  });

  it('fails an event another invocation is still running, and says so', async () => {
    // Prepare
    const { analyze, run, replayed, inProgress } = once();
    existingRecord({
      status: 'INPROGRESS',
      expiration: Math.floor(Date.now() / 1000) + 3600,
      in_progress_expiration: Date.now() + 60_000,
    });

    // Act
    const error = await analyze(EVENT, CONTEXT, 'batch').then(
      () => undefined,
      (caught: unknown) => caught,
    );

    // Assess
    expect(isAlreadyInProgress(error)).toBe(true);
    expect(run).not.toHaveBeenCalled();
    expect(inProgress).toHaveBeenCalledExactlyOnceWith('batch');
    expect(replayed).not.toHaveBeenCalled();
  });

  it('refuses an event without a subscription payload rather than run it unprotected', async () => {
    // Prepare
    const { analyze, run } = once();

    // Act
    const invocation = analyze({ not: 'a subscription event' }, CONTEXT, 'batch');

    // Assess
    await expect(invocation).rejects.toThrow();
    expect(run).not.toHaveBeenCalled();
  });

  it('leaves no stored result when the run throws, so a retry runs again', async () => {
    // Prepare
    const failing = vi.fn(async (_: string): Promise<never> => {
      throw new Error('SNS is down');
    });
    const analyze = runOnce(
      failing,
      { client, tableName: TABLE, attemptWindowHours: 24 },
      { replayed: () => NOTHING, inProgress: () => NOTHING },
    );

    // Act
    const invocation = analyze(EVENT, CONTEXT, 'batch');

    // Assess
    await expect(invocation).rejects.toThrow('SNS is down');
    expect(ddbMock).not.toHaveReceivedCommandWith(UpdateItemCommand, {
      ExpressionAttributeValues: expect.objectContaining({ ':status': { S: 'COMPLETED' } }),
    });
  });
});

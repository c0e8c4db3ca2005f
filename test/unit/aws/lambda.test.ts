import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { loadConfig } from '../../../lib/common/config.ts';
import { CONTEXT, coldStartWith, emfDocuments, TOPIC } from '../../helpers/lambda.ts';

type LambdaModule = typeof import('../../../lib/aws/lambda.ts');
type TelemetryModule = typeof import('../../../lib/aws/telemetry.ts');

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/fsx-export-analyzer-deferrals';

/** Fresh lambda and telemetry modules, as a cold start builds them, with EMF on the console. */
function coldStart(): Promise<LambdaModule & TelemetryModule> {
  return coldStartWith({}, async () => ({
    ...(await import('../../../lib/aws/lambda.ts')),
    ...(await import('../../../lib/aws/telemetry.ts')),
  }));
}

let consoleLog: MockInstance<typeof console.log>;

beforeEach(() => {
  consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('Function: reachOf', () => {
  it('lets a live container start tasks, use the queue and the ledger, and publish', async () => {
    // Prepare
    const { reachOf } = await coldStart();
    const config = loadConfig({ SUMMARY_TOPIC_ARN: TOPIC });

    // Act
    const reach = reachOf(config, { ledgerTable: 'ledger', deferralQueueUrl: QUEUE });

    // Assess
    expect(reach).toEqual({
      fsx: true,
      ledgerTable: 'ledger',
      deferralQueueUrl: QUEUE,
      topicArn: TOPIC,
    });
  });

  it('lets a dry run change nothing: no FSx task, no queue, no ledger, no publish', async () => {
    // Prepare
    const { reachOf } = await coldStart();
    const config = loadConfig({ DRY_RUN: 'true', SUMMARY_TOPIC_ARN: TOPIC });

    // Act
    const reach = reachOf(config, { ledgerTable: 'ledger', deferralQueueUrl: QUEUE });

    // Assess
    expect(reach).toEqual({
      fsx: false,
      ledgerTable: undefined,
      deferralQueueUrl: undefined,
      topicArn: undefined,
    });
  });
});

describe('Function: lambdaHandler', () => {
  it('gives the logger the invocation context and flushes the metrics after a success', async () => {
    // Prepare
    const { lambdaHandler, logger, metrics } = await coldStart();
    const addContext = vi.spyOn(logger, 'addContext');
    const handler = lambdaHandler(async (event: number) => {
      metrics.addMetric('EventsRead', 'Count', event);
      return event * 2;
    });

    // Act
    const result = await handler(21, CONTEXT);

    // Assess
    expect(result).toBe(42);
    expect(addContext).toHaveBeenCalledExactlyOnceWith(CONTEXT);
    expect(emfDocuments(consoleLog)).toContainEqual(expect.objectContaining({ EventsRead: 21 }));
  });

  it('flushes the metrics and throws the error on when the invocation fails', async () => {
    // Prepare
    const { lambdaHandler, metrics } = await coldStart();
    const handler = lambdaHandler(async (_event: unknown) => {
      metrics.addMetric('UndecodableBatches', 'Count', 1);
      throw new Error('not gzip');
    });

    // Act
    const invocation = handler({}, CONTEXT);

    // Assess
    await expect(invocation).rejects.toThrow('not gzip');
    expect(emfDocuments(consoleLog)).toContainEqual(
      expect.objectContaining({ UndecodableBatches: 1 }),
    );
  });

  it('prints no metrics document when the invocation counted nothing', async () => {
    // Prepare
    const { lambdaHandler } = await coldStart();
    const handler = lambdaHandler(async () => 'done');

    // Act
    await handler(undefined, CONTEXT);

    // Assess
    expect(emfDocuments(consoleLog)).toEqual([]);
  });
});

describe('Function: loadOrLog', () => {
  it('logs which setting is wrong and fails the cold start', async () => {
    // Prepare
    const { loadOrLog, logger } = await coldStart();
    const error = vi.spyOn(logger, 'error');

    // Act
    const load = () => loadOrLog(() => loadConfig({ MAX_PATHS_PER_TASK: 'abc' }));

    // Assess
    expect(load).toThrow('Environment variable MAX_PATHS_PER_TASK');
    expect(error).toHaveBeenCalledExactlyOnceWith('Invalid configuration', {
      reason: expect.stringContaining('MAX_PATHS_PER_TASK'),
    });
  });
});

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { Telemetry } from '../common/types.ts';
import { emit } from './telemetry.ts';

/*
 * Powertools idempotency on the ledger table (see lib/aws/ledger.ts for the table and its other
 * items). Its records use the same key (`id`) and TTL (`expiration`, epoch seconds) attributes,
 * and the default `status`, `data`, `in_progress_expiration` and `validation` attributes. Their
 * ids are `<function name>#<md5 of the key>` (AWS_LAMBDA_FUNCTION_NAME; the stack names it
 * `<service>-<stage>-analyzer`), which never start with the `attempt#`, `window#`, `task#`,
 * `digest#` or `doctor#` of the table's other items unless the function has one of those names.
 */

interface IdempotencyOptions {
  /** How long a completed invocation's result is replayed instead of running again. */
  readonly expiresAfterSeconds: number;
}

/** Idempotency records live at least as long as Lambda retries an asynchronous event (6 h). */
const MIN_IDEMPOTENCY_SECONDS = 6 * 60 * 60;

/** Where `runOnce` keeps its records, and for how long. */
interface RunOnceOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The ledger's attempts window: a batch replayed within it must not count as a new attempt. */
  readonly attemptWindowHours: number;
}

/** What a run-once function reports, from its input, when it does not run. */
interface RunOnceSignals<T> {
  /** The same event had run before: its stored result was returned and nothing ran again. */
  readonly replayed: (input: T) => Telemetry;
  /** The same event is being run by another invocation: this one fails, so Lambda retries it. */
  readonly inProgress: (input: T) => Telemetry;
}

/**
 * The Powertools persistence layer for the ledger table, on the caller's client (so endpoint,
 * retries and credentials are the same as the ledger's).
 */
function createIdempotencyStore(
  client: DynamoDBClient,
  tableName: string,
): DynamoDBPersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName,
    awsSdkV3Client: client,
    keyAttr: 'id',
    expiryAttr: 'expiration',
  });
}

/**
 * Idempotency settings for the analyzer: the key is the subscription payload (`awslogs.data`), so
 * the same batch delivered again by CloudWatch Logs or Lambda's async retry hashes the same and
 * returns the stored result. An event without that payload is refused rather than run without
 * protection.
 */
function idempotencyConfig(options: IdempotencyOptions): IdempotencyConfig {
  return new IdempotencyConfig({
    eventKeyJmesPath: 'awslogs.data',
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: options.expiresAfterSeconds,
  });
}

/** How long the analyzer's results are replayed: the attempts window, and at least 6 h. */
function expirySeconds(attemptWindowHours: number): number {
  return Math.max(MIN_IDEMPOTENCY_SECONDS, attemptWindowHours * 60 * 60);
}

/**
 * `run` at most once per event: with a table, the same event delivered again (CloudWatch Logs and
 * Lambda's asynchronous retries both deliver at least once) answers the stored result of the
 * first run (`signals.replayed` is emitted). A duplicate that arrives while the first still runs
 * fails with IdempotencyAlreadyInProgressError (`signals.inProgress`); a run that throws leaves
 * no record, so its retry runs again in full. Without a table, `run` runs every time.
 *
 * The returned function takes the raw event first, so that the key is its `awslogs.data`, and the
 * Lambda context second, so that the in-progress record ends with the invocation's remaining time.
 */
function runOnce<T, R>(
  run: (input: T) => Promise<R>,
  options: RunOnceOptions | undefined,
  signals: RunOnceSignals<T>,
): (event: unknown, context: Context, input: T) => Promise<R> {
  /** Marks that it really ran: a replay of a stored result never gets here. */
  const marked = async (
    _event: unknown,
    _context: Context,
    input: T,
    marker: { ran: boolean },
  ): Promise<R> => {
    marker.ran = true;
    return run(input);
  };
  const once =
    options === undefined
      ? marked
      : makeIdempotent(marked, {
          persistenceStore: createIdempotencyStore(options.client, options.tableName),
          config: idempotencyConfig({
            expiresAfterSeconds: expirySeconds(options.attemptWindowHours),
          }),
        });
  return async (event, context, input) => {
    const marker = { ran: false };
    try {
      const result = await once(event, context, input, marker);
      if (!marker.ran) emit(signals.replayed(input));
      return result;
    } catch (error) {
      if (isAlreadyInProgress(error)) emit(signals.inProgress(input));
      throw error;
    }
  };
}

/** Whether `error` says the same event is being run by another invocation right now. */
function isAlreadyInProgress(error: unknown): boolean {
  return error instanceof Error && error.name === 'IdempotencyAlreadyInProgressError';
}

export type { IdempotencyOptions, RunOnceOptions, RunOnceSignals };
export { createIdempotencyStore, expirySeconds, idempotencyConfig, isAlreadyInProgress, runOnce };

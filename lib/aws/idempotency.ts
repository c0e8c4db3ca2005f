import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/*
 * Powertools idempotency on the ledger table (see lib/aws/ledger.ts for the table and its other
 * items). Its records use the same key (`id`) and TTL (`expiration`, epoch seconds) attributes,
 * and the default `status`, `data`, `in_progress_expiration` and `validation` attributes. Their
 * ids are `<key prefix or function name>#<md5 of the key>`, which never start with the ledger's
 * `attempt#`, `window#` or `task#` unless a function is given one of those names as prefix.
 */

interface IdempotencyOptions {
  /** How long a completed invocation's result is replayed instead of running again. */
  readonly expiresAfterSeconds: number;
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

export type { IdempotencyOptions };
export { createIdempotencyStore, idempotencyConfig };

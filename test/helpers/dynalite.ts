import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/*
 * An in-memory DynamoDB (dynalite) for integration tests: the real SDK client talks HTTP to a real
 * DynamoDB implementation, so conditional writes, ADD on sets, BatchGetItem and Scan behave as
 * they do in AWS rather than as a mock says they do.
 *
 * Limits of dynalite 4.0.0 that matter here:
 * - No UpdateTimeToLive (only DescribeTimeToLive), so TTL is not enabled and nothing ever expires
 *   by itself. The ledger filters expired items itself (TTL deletion is lazy in AWS too), which is
 *   what the tests rely on.
 * - No ReturnValuesOnConditionCheckFailure: the parameter is accepted and ignored, so a
 *   ConditionalCheckFailedException never carries the old item.
 */

interface DynaliteOptions {
  readonly createTableMs: number;
  readonly deleteTableMs: number;
  readonly updateTableMs: number;
}

/** dynalite ships no type declarations; this is the one function the tests use. */
type CreateDynalite = (options: DynaliteOptions) => Server;

interface LocalDynamo {
  /** `http://127.0.0.1:<port>`, for clients the test creates itself. */
  readonly endpoint: string;
  /** A real DynamoDBClient pointed at the server, with few retries so a failure shows fast. */
  readonly client: DynamoDBClient;
  /** A table with partition key `id` (String) and no sort key, already ACTIVE. */
  readonly tableName: string;
  /** Destroys the client and closes the server (its in-memory data goes with it). */
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

function listen(server: Server): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('dynalite is not listening on a TCP port'));
        return;
      }
      resolve(address);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    // dynalite's close() reports success as `null`, Node's as `undefined`.
    server.close((error?: Error | null) => {
      if (error === undefined || error === null) resolve();
      else reject(error);
    });
  });
}

/**
 * Starts an in-memory dynalite on 127.0.0.1 (a free port) with one table shaped like the stack's
 * ledger table. Every call gets its own server and a unique table name, so test files can run in
 * parallel; call `stop()` in `afterAll`/`afterEach`.
 */
async function startDynalite(): Promise<LocalDynamo> {
  const createDynalite = require('dynalite') as CreateDynalite;
  // 0 ms: tables are ACTIVE at once, so no DescribeTable polling is needed.
  const server = createDynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const address = await listen(server);
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  });
  const tableName = `fea-ledger-${randomUUID()}`;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    client.destroy();
    await close(server);
    throw error;
  }
  let stopped = false;
  return {
    endpoint,
    client,
    tableName,
    async stop() {
      // Idempotent, so an afterEach and an afterAll may both call it.
      if (stopped) return;
      stopped = true;
      // Destroying the client first closes its keep-alive sockets; the server then closes at once.
      client.destroy();
      await close(server);
    },
  };
}

export type { LocalDynamo };
export { startDynalite };

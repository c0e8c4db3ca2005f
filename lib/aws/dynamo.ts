import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  ScanCommand,
  type ScanCommandInput,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { describeError } from '../common/errors.ts';
import { errorName } from './aws-errors.ts';

/*
 * The one DynamoDB helper module of the ledger (ledger.ts) and the digest store (digests.ts): their
 * reads (a strongly consistent GetItem, a Scan paged to the end) and the classification of a
 * failed request (a conditional write that lost, or a failure wrapped in the store's own error).
 * The two stores differ only in the error class they throw, so that a caller can tell which store
 * failed.
 */

type Item = Record<string, AttributeValue>;

/** An adapter error class: `new (message, { cause })`, as AnalyzerError's subclasses are. */
type StoreErrorClass<E extends Error> = new (message: string, options?: ErrorOptions) => E;

/**
 * The adapter's own error for a failed request: `DynamoDB <operation> on <table> failed:
 * <name>: <first line>`, with the SDK error as `cause`. An error already of that class (thrown
 * inside the adapter's own try) is returned as it is, not wrapped twice.
 */
function dynamoFailure<E extends Error>(
  ErrorClass: StoreErrorClass<E>,
  operation: string,
  tableName: string,
  error: unknown,
): E {
  if (error instanceof ErrorClass) return error;
  return new ErrorClass(
    `DynamoDB ${operation} on ${tableName} failed: ${errorName(error)}: ${describeError(error)}`,
    { cause: error },
  );
}

/**
 * A conditional write's condition did not hold. Matched by name: the SDK's class and a mock's or
 * another SDK copy's error both carry it.
 */
function isConditionalFailure(error: unknown): boolean {
  return errorName(error) === 'ConditionalCheckFailedException';
}

/** A strongly consistent GetItem; undefined when there is no such item. */
async function getItemConsistent<E extends Error>(
  client: DynamoDBClient,
  tableName: string,
  key: Item,
  ErrorClass: StoreErrorClass<E>,
): Promise<Item | undefined> {
  try {
    const response = await client.send(
      new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return response.Item;
  } catch (error) {
    throw dynamoFailure(ErrorClass, 'GetItem', tableName, error);
  }
}

/**
 * Every item of a (filtered) Scan, page after page, for at most `maxPages` pages: `truncated`
 * when the table had more. The bound only stops a runaway loop; what a truncated Scan means is
 * each caller's decision (the ledger fails, the digest store goes on with what it read).
 */
async function scanAll<E extends Error>(
  client: DynamoDBClient,
  input: ScanCommandInput & { TableName: string },
  maxPages: number,
  ErrorClass: StoreErrorClass<E>,
): Promise<{ items: Item[]; truncated: boolean }> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  for (let page = 0; page < maxPages; page++) {
    let response: ScanCommandOutput;
    try {
      response = await client.send(
        new ScanCommand(startKey === undefined ? input : { ...input, ExclusiveStartKey: startKey }),
      );
    } catch (error) {
      throw dynamoFailure(ErrorClass, 'Scan', input.TableName, error);
    }
    items.push(...(response.Items ?? []));
    startKey = response.LastEvaluatedKey;
    if (startKey === undefined || Object.keys(startKey).length === 0) {
      return { items, truncated: false };
    }
  }
  return { items, truncated: true };
}

export type { StoreErrorClass };
export { dynamoFailure, getItemConsistent, isConditionalFailure, scanAll };

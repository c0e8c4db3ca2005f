import { describeError } from '../errors.ts';
import { errorName } from './aws-errors.ts';

/*
 * What the DynamoDB adapters (ledger, digest store) do with a failed request: they differ only in
 * the error class they throw, so that a caller can tell which store failed.
 */

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

export type { StoreErrorClass };
export { dynamoFailure, isConditionalFailure };

import { describe, expect, it } from 'vitest';
import { dynamoFailure, isConditionalFailure } from '../../../lib/aws/dynamo.ts';
import { AnalyzerError } from '../../../lib/common/errors.ts';

/** An adapter's own error class, as lib/aws/ledger.ts declares LedgerError. */
class StoreError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
  }
}

function awsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('Function: dynamoFailure', () => {
  it('wraps an SDK error in the adapter class with one line naming the call and the cause', () => {
    // Prepare
    const error = awsError(
      'ProvisionedThroughputExceededException',
      'The level of configured provisioned throughput for the table was exceeded\nsecond line',
    );

    // Act
    const failure = dynamoFailure(StoreError, 'UpdateItem', 'fsx-export-ledger', error);

    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure.message).toBe(
      'DynamoDB UpdateItem on fsx-export-ledger failed: ProvisionedThroughputExceededException: The level of configured provisioned throughput for the table was exceeded',
    );
    expect(failure.cause).toBe(error);
  });

  it('returns an error already of the adapter class as it is', () => {
    // Prepare
    const own = new StoreError('BatchGetItem left 3 keys unprocessed');

    // Act
    const failure = dynamoFailure(StoreError, 'BatchGetItem', 'fsx-export-ledger', own);

    // Assess
    expect(failure).toBe(own);
  });

  it("names a thrown non-Error 'Error'", () => {
    // Prepare
    const thrown = 'connection lost';

    // Act
    const failure = dynamoFailure(StoreError, 'Scan', 'fsx-export-ledger', thrown);

    // Assess
    expect(failure.message).toBe(
      'DynamoDB Scan on fsx-export-ledger failed: Error: connection lost',
    );
  });
});

describe('Function: isConditionalFailure', () => {
  it('recognises ConditionalCheckFailedException by name only', () => {
    // Prepare
    const conditional = awsError(
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
    const other = awsError('ResourceNotFoundException', 'Requested resource not found');

    // Act
    const answers = [conditional, other, { name: 'ConditionalCheckFailedException' }].map(
      isConditionalFailure,
    );

    // Assess
    expect(answers).toEqual([true, false, false]);
  });
});

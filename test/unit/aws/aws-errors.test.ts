import { describe, expect, it } from 'vitest';
import { errorField, errorName, isNetworkError } from '../../../lib/aws/aws-errors.ts';

/** An SDK-like error: a name, and a Node socket code when given. */
function awsError(name: string, message: string, code?: string): Error {
  const error = new Error(message);
  error.name = name;
  return code === undefined ? error : Object.assign(error, { code });
}

describe('Function: errorField', () => {
  it('reads a non-empty string property of an error or a plain object', () => {
    // Prepare
    const error = awsError('ThrottlingException', 'Rate exceeded');
    const shape = { Message: 'File system fs-0123456789abcdef0 not found' };

    // Act
    const name = errorField(error, 'name');
    const message = errorField(shape, 'Message');

    // Assess
    expect(name).toBe('ThrottlingException');
    expect(message).toBe('File system fs-0123456789abcdef0 not found');
  });

  it('answers undefined for empty strings, other types and non-objects', () => {
    // Prepare
    const thrown = [{ code: '' }, { code: 104 }, null, 'ECONNRESET', undefined];

    // Act
    const fields = thrown.map((value) => errorField(value, 'code'));

    // Assess
    expect(fields).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('Function: errorName', () => {
  it("names an Error by its name and anything else 'Error'", () => {
    // Prepare
    const conditional = awsError(
      'ConditionalCheckFailedException',
      'The conditional request failed',
    );
    const nameless = awsError('', 'no name');
    const plain = { name: 'ThrottlingException' };

    // Act
    const names = [conditional, nameless, plain, 'text'].map(errorName);

    // Assess
    expect(names).toEqual(['ConditionalCheckFailedException', 'Error', 'Error', 'Error']);
  });
});

describe('Function: isNetworkError', () => {
  it('recognises socket codes, SDK timeout names and a hung-up socket', () => {
    // Prepare
    const reset = awsError('Error', 'read ECONNRESET', 'ECONNRESET');
    const timeout = awsError('TimeoutError', 'Connection timed out after 5000 ms');
    const hangUp = awsError('Error', 'socket hang up');

    // Act
    const answers = [reset, timeout, hangUp].map((error) => isNetworkError(error));

    // Assess
    expect(answers).toEqual([true, true, true]);
  });

  it('looks for the hung-up socket in the message it is given instead of the error’s own', () => {
    // Prepare
    const error = awsError('Error', 'request failed\nsocket hang up');

    // Act
    const whole = isNetworkError(error);
    const firstLine = isNetworkError(error, 'request failed');

    // Assess
    expect(whole).toBe(true);
    expect(firstLine).toBe(false);
  });

  it('does not take a service error or an unknown code for a network error', () => {
    // Prepare
    const throttled = awsError('ThrottlingException', 'Rate exceeded');
    const other = awsError('Error', 'permission denied', 'EACCES');

    // Act
    const answers = [throttled, other, undefined].map((error) => isNetworkError(error));

    // Assess
    expect(answers).toEqual([false, false, false]);
  });
});

import {
  BadRequest,
  DataRepositoryTaskExecuting,
  FileSystemNotFound,
  FSxServiceException,
  IncompatibleParameterError,
  InternalServerError,
  ServiceLimitExceeded,
  UnsupportedOperation,
} from '@aws-sdk/client-fsx';

/** An error FSx or the SDK may raise, and the error name the analyzer must report for it. */
type ErrorCase = [error: Error, name: string];

/**
 * The modelled exceptions CreateDataRepositoryTask may throw, each with its expected error name.
 * Builds fresh instances on every call, so no test shares an error object with another.
 */
function fsxExceptions(): ErrorCase[] {
  return [
    [
      new DataRepositoryTaskExecuting({ $metadata: {}, message: 'A task is executing' }),
      'DataRepositoryTaskExecuting',
    ],
    [
      new ServiceLimitExceeded({
        $metadata: {},
        message: 'Limit reached',
        Limit: 'TOTAL_USER_TAGS',
      }),
      'ServiceLimitExceeded',
    ],
    [
      new IncompatibleParameterError({
        $metadata: {},
        message: 'Token reused',
        Parameter: 'Report',
      }),
      'IncompatibleParameterError',
    ],
    [new BadRequest({ $metadata: {}, message: 'Invalid path' }), 'BadRequest'],
    [
      new FileSystemNotFound({ $metadata: {}, message: 'No such file system' }),
      'FileSystemNotFound',
    ],
    [
      new UnsupportedOperation({ $metadata: {}, message: 'No data repository' }),
      'UnsupportedOperation',
    ],
    [new InternalServerError({ $metadata: {}, message: 'Internal error' }), 'InternalServerError'],
  ];
}

/** A service error as the SDK deserialises an unmodelled wire code (throttling, auth). */
function genericError(name: string, message: string): FSxServiceException {
  return new FSxServiceException({ name, $fault: 'client', $metadata: {}, message });
}

/** A Node socket error as the HTTP handler raises it. */
function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export type { ErrorCase };
export { fsxExceptions, genericError, socketError };

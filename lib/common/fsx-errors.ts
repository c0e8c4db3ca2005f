/**
 * What each CreateDataRepositoryTask error means for a re-export, written from the FSx API
 * reference (docs/fsx-facts.md#createdatarepositorytask). The AWS adapter reports the error's name; this table turns it into words
 * for the summary. `retryLater` says whether the same request can succeed later without a person.
 */
interface FsxErrorInfo {
  readonly retryLater: boolean;
  readonly meaning: string;
}

const FSX_ERRORS = {
  DataRepositoryTaskExecuting: {
    retryLater: true,
    meaning:
      'another data repository task is executing on the file system (FSx runs one at a time, and automatic export pauses for export tasks); re-export once it has ended',
  },
  ServiceLimitExceeded: {
    retryLater: true,
    meaning: 'an FSx service limit was reached; re-export later or ask AWS Support to raise it',
  },
  IncompatibleParameterError: {
    retryLater: false,
    meaning:
      'FSx saw this idempotency token before with other parameters (did the completion report path change?); re-export by hand',
  },
  BadRequest: {
    retryLater: false,
    meaning:
      'FSx rejected the request: check the paths exist and the report path lies inside a data repository association',
  },
  FileSystemNotFound: {
    retryLater: false,
    meaning: 'the file system does not exist in this account and Region',
  },
  UnsupportedOperation: {
    retryLater: false,
    meaning: 'this file system does not support export tasks (no data repository linked?)',
  },
  InternalServerError: {
    retryLater: true,
    meaning: 'FSx had an internal error after the SDK retried; re-export later',
  },
  Throttling: {
    retryLater: true,
    meaning: 'FSx throttled the request after the SDK retried; re-export later',
  },
  NetworkError: {
    retryLater: true,
    meaning: 'the FSx endpoint could not be reached (timeout or connection reset); re-export later',
  },
  // Not an FSx error: organization mode could not assume the member account's role
  // (docs/organization.md). The task waits in the deferral queue until the role works.
  MemberRoleUnavailable: {
    retryLater: true,
    meaning:
      "the central functions cannot assume the member account's role (infra/member-account.yml); the re-export waits in the deferral queue until they can",
  },
  AccessDenied: {
    retryLater: false,
    meaning:
      "the analyzer's role may not call fsx:CreateDataRepositoryTask (or fsx:TagResource) on this file system",
  },
} as const satisfies Record<string, FsxErrorInfo>;

type FsxErrorName = keyof typeof FSX_ERRORS;

const UNEXPECTED: FsxErrorInfo = {
  retryLater: false,
  meaning: 'an unexpected error; see the analyzer logs',
};

/** Explains an FSx error by name; unknown names get a generic, never-retried explanation. */
function explainFsxError(name: string): FsxErrorInfo {
  return Object.hasOwn(FSX_ERRORS, name) ? FSX_ERRORS[name as FsxErrorName] : UNEXPECTED;
}

export type { FsxErrorInfo };
export { explainFsxError };

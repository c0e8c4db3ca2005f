/*
 * Error names shared by the AWS adapters. The SDK gives a modelled error its shape name and a
 * generic AWS error (not in a service's model) its wire code as `name`, and a socket error keeps
 * Node's `code`; the adapters classify thrown values by these strings, never by class, because a
 * mock's or another SDK copy's error carries the same name but not the same class.
 *
 * Each set holds only the names every caller treats the same way; a caller that knows more names
 * for one kind (CloudWatch Logs' LimitExceededException, FSx's wider throttling list) adds them in
 * its own file, so each caller's classification stays what it was.
 */

import { display } from '../common/text.ts';

/** Throttling after the SDK's retries: the call may pass later. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);

/** The credentials are good but may not make this call: a person must grant a permission. */
const ACCESS_DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);

/** AWS does not accept the credentials at all (unknown key, bad signature). */
const BAD_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
]);

/** The session token has expired: the fix is to refresh the credentials, not to change them. */
const EXPIRED = new Set(['ExpiredTokenException', 'ExpiredToken']);

/** Node socket error codes (`code`): the request never got an answer. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The SDK's own timeout and networking error names: the request never got an answer either. */
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError']);

/**
 * The one line every command prints when the SDK's credential chain found nothing (it throws
 * `CredentialsProviderError`): what to do, without the SDK's class name or its wording.
 */
const NO_CREDENTIALS =
  'no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run where a role provides them';

/** The message of the last link of the SDK's default credential chain: no provider had any. */
const NOTHING_FOUND = /^Could not load credentials from any providers\b/;

/**
 * The SDK could not load credentials (it throws `CredentialsProviderError`): not only when there
 * are none, but also for an expired SSO session, a profile that needs MFA, a profile cycle…
 * (not: AWS refused the ones it found).
 */
function isMissingCredentials(error: unknown): boolean {
  return errorField(error, 'name') === 'CredentialsProviderError';
}

/**
 * The one line every command prints for {@link isMissingCredentials}: {@link NO_CREDENTIALS} when
 * the chain found nothing at all (naming `AWS_PROFILE` when it is set: then that profile is not
 * in the AWS config files), else the SDK's own advice (e.g. "run 'aws sso login'"), sanitised,
 * on one line.
 */
function credentialsProblem(error: unknown, profile = process.env['AWS_PROFILE']): string {
  const message = errorField(error, 'message') ?? '';
  if (NOTHING_FOUND.test(message)) {
    if (profile === undefined || profile === '') return NO_CREDENTIALS;
    return `no AWS credentials found for AWS_PROFILE=${display(profile, 64)}: check that this profile exists in the AWS config files (~/.aws/config, ~/.aws/credentials)`;
  }
  const line = message.replace(/\s+/g, ' ').trim();
  return `AWS credentials could not be loaded: ${line === '' ? 'no reason given' : display(line, 300)}`;
}

/** A non-empty string property of a thrown value (`name`, `code`, `message`…), else undefined. */
function errorField(error: unknown, name: string): string | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** An `Error`'s name for a one-line message; `Error` for anything else or an empty name. */
function errorName(error: unknown): string {
  return error instanceof Error && error.name.length > 0 ? error.name : 'Error';
}

/**
 * The request never got an answer: a socket error code, an SDK timeout name, or "socket hang
 * up" in `message` (by default the error's own message; a caller that has already cut it to one
 * line passes that line).
 */
function isNetworkError(
  error: unknown,
  message: string = errorField(error, 'message') ?? '',
): boolean {
  const code = errorField(error, 'code');
  const name = errorField(error, 'name');
  return (
    (code !== undefined && NETWORK_CODES.has(code)) ||
    (name !== undefined && NETWORK_NAMES.has(name)) ||
    /socket hang up/i.test(message)
  );
}

export {
  ACCESS_DENIED,
  BAD_CREDENTIALS,
  credentialsProblem,
  EXPIRED,
  errorField,
  errorName,
  isMissingCredentials,
  isNetworkError,
  NO_CREDENTIALS,
  THROTTLING,
};

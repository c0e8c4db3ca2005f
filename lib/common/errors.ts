import { sanitize } from './text.ts';

/**
 * The analyzer's errors. Every error we raise on purpose is an `AnalyzerError`, so the CLI and the
 * handler can tell "bad input, say it in one line" from a bug. `cause` keeps the original error.
 */
class AnalyzerError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AnalyzerError';
  }
}

/** A subscription payload that cannot be decoded: bad base64, not gzip, too large, not JSON, wrong shape. */
class DecodeError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DecodeError';
  }
}

/** An environment variable that is missing or invalid; the message names the variable. */
class ConfigError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** A CLI input that cannot be read or recognised; the message names the file. */
class InputError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InputError';
  }
}

/** The summary could not be published; the invocation fails so Lambda retries it. */
class PublishError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PublishError';
  }
}

/**
 * One line describing any thrown value, for users and logs (never a stack trace). Parser errors
 * quote the input they choked on, so the line is sanitised: an escape sequence in a payload must
 * not reach a terminal through an error message.
 */
function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return sanitize(text.split('\n', 1)[0] ?? '');
}

export { AnalyzerError, ConfigError, DecodeError, describeError, InputError, PublishError };

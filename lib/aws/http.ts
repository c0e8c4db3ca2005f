/**
 * Per-attempt timeouts for every SDK client we create. The SDK sets none by default, so a call
 * that hangs would hold a Lambda invocation until its timeout, or a person at a terminal forever.
 * Every call we make is small (the largest is a 256 KB SNS publish), so 10 s is ample;
 * `throwOnRequestTimeout` makes the timeout an error the retry strategy retries (TimeoutError)
 * instead of a logged warning. Three attempts stay within the functions' 60 s.
 */
const requestHandler = {
  connectionTimeout: 3_000,
  requestTimeout: 10_000,
  throwOnRequestTimeout: true,
};

export { requestHandler };

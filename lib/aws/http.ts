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

/** How an SDK client retries and times out its attempts. */
interface ClientTuning {
  /** Attempts per call; absent: the SDK's default (3, or 4 for DynamoDB). */
  readonly maxAttempts?: number;
  readonly requestHandler: typeof requestHandler;
}

/** Our timeouts and the SDK's retries: what every small call gets. */
const SMALL_CALLS: ClientTuning = { requestHandler };

/**
 * A long read (every FilterLogEvents page of a `scan` window): a page can take longer than a
 * small call, and a long read meets throttling more often than one call, so five attempts.
 */
const LONG_READ: ClientTuning = {
  maxAttempts: 5,
  requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
};

/**
 * Options of an SDK client the CLI creates: `tuning` (default: SMALL_CALLS), and `region`
 * (--region) when given; otherwise the SDK reads the Region from the standard AWS settings itself.
 */
function clientOptions(region: string | undefined, tuning: ClientTuning = SMALL_CALLS) {
  return region === undefined ? { ...tuning } : { ...tuning, region };
}

export { clientOptions, LONG_READ, requestHandler };

// zod/mini: the same validation at a fraction of the bundle size (the classic API adds ~430 KiB).
import * as z from 'zod/mini';
// The ranges and words shared with infra/settings.cjs, which checks the stack's parameters
// against them at package time: each rule defined once.
import RULES from './env-rules.json' with { type: 'json' };
import { ConfigError } from './errors.ts';
import { FORBIDDEN_PATH_CHARS } from './fsx.ts';
import { DEFAULT_MAX_DECOMPRESSED_BYTES } from './limits.ts';
import { display } from './text.ts';

/**
 * The Lambda's settings, read once from the environment. A wrong value fails the cold start with
 * a one-line `ConfigError` naming the variable, instead of surfacing later as an FSx or SNS error.
 */
interface BaseConfig {
  /** Optional override for every task's completion-report path (`s3://…`). */
  readonly reportPath: string | undefined;
  readonly maxPathsPerTask: number;
  readonly busyDelaySeconds: number;
  readonly associationCacheSeconds: number;
  readonly maxDecompressedBytes: number;
  /** AWS Region for console links; undefined outside Lambda when nothing sets it. */
  readonly region: string | undefined;
}

/** Dry run: nothing is started or published, so the topic is optional. */
interface DryRunConfig extends BaseConfig {
  readonly dryRun: true;
  readonly summaryTopicArn: string | undefined;
}

interface LiveConfig extends BaseConfig {
  readonly dryRun: false;
  readonly summaryTopicArn: string;
}

type Config = DryRunConfig | LiveConfig;

/**
 * Durable re-export settings: the deferral queue, the attempts ledger and the retrier's limits.
 * Read by `loadReexportConfig`, apart from `Config`, so that with the queue and the ledger unset
 * the analyzer's configuration, and behaviour, stay exactly what they were.
 */
interface ReexportConfig {
  /** SQS queue that holds re-exports which must wait; unset: they are only reported. */
  readonly deferralQueueUrl: string | undefined;
  /** DynamoDB table of the attempts ledger and the idempotency records; unset: no ledger. */
  readonly ledgerTable: string | undefined;
  /** Delay before a refused-but-retryable re-export is tried again (0–900 s). */
  readonly retryLaterSeconds: number;
  /** K: re-exports of one path within the window before a person is asked instead. */
  readonly maxAttempts: number;
  readonly attemptWindowHours: number;
  /** At most one new task per file system per window of this many seconds. */
  readonly coalesceWindowSeconds: number;
  /** N: the queue's maxReceiveCount; a message received N times goes to the dead-letter queue. */
  readonly maxReceives: number;
}

// arn:<partition>:sns:<region>:<account>:<topic>; topic names are 1–256 of [A-Za-z0-9_-],
// FIFO topics end in `.fifo`.
const TOPIC_ARN =
  /^arn:aws[a-z-]*:sns:[a-z]{2}(?:-[a-z0-9]+)+:\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;
const REGION = /^[a-z]{2}(?:-[a-z0-9]+)+$/;
// https://<host>/<account>/<queue name>; plain http only to a loopback emulator (tests, local runs).
const QUEUE_URL =
  /^(?:https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?|http:\/\/(?:localhost|127\.0\.0\.1)(?::\d{1,5})?)\/\d{12}\/[A-Za-z0-9_-]{1,80}$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const TRUE_WORDS: readonly string[] = RULES.booleanWords.true;
const FALSE_WORDS: readonly string[] = RULES.booleanWords.false;
const REPORT_PATH_START = new RegExp(RULES.reportPath.start);

type IntegerVariable = keyof typeof RULES.integers;

/** An integer variable's range, as its "must be …" text says it. */
function integerRange(name: IntegerVariable) {
  const rule: { min: number; max: number; minText?: string; maxText?: string } =
    RULES.integers[name];
  return {
    min: rule.min,
    max: rule.max,
    expected: `must be an integer from ${rule.minText ?? rule.min} to ${rule.maxText ?? rule.max}`,
  };
}

/** What each variable must be, completing "Environment variable NAME …". */
const EXPECTED = {
  SUMMARY_TOPIC_ARN: 'must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)',
  REPORT_PATH: `must be an s3://bucket/prefix path of ${RULES.reportPath.minLength} to ${RULES.reportPath.maxLength} characters without line breaks or NUL`,
  MAX_PATHS_PER_TASK: integerRange('MAX_PATHS_PER_TASK').expected,
  DRY_RUN: 'must be true, false, 1, 0, yes or no',
  BUSY_DELAY_SECONDS: integerRange('BUSY_DELAY_SECONDS').expected,
  ASSOCIATION_CACHE_SECONDS: integerRange('ASSOCIATION_CACHE_SECONDS').expected,
  MAX_DECOMPRESSED_BYTES: integerRange('MAX_DECOMPRESSED_BYTES').expected,
  AWS_REGION: 'must be an AWS Region name such as us-east-1',
  DEFERRAL_QUEUE_URL:
    'must be an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/name',
  LEDGER_TABLE: 'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)',
  RETRY_LATER_SECONDS: integerRange('RETRY_LATER_SECONDS').expected,
  MAX_ATTEMPTS: integerRange('MAX_ATTEMPTS').expected,
  ATTEMPT_WINDOW_HOURS: integerRange('ATTEMPT_WINDOW_HOURS').expected,
  COALESCE_WINDOW_SECONDS: integerRange('COALESCE_WINDOW_SECONDS').expected,
  MAX_RECEIVES: integerRange('MAX_RECEIVES').expected,
  DIGEST_WINDOW_MINUTES: integerRange('DIGEST_WINDOW_MINUTES').expected,
  ANALYZER_FUNCTION_NAME: 'must be a Lambda function name (1 to 64 of A-Z a-z 0-9 _ -)',
  CHAT_TOPIC_ARN: 'must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)',
  BACKLOG_THRESHOLD_MINUTES: integerRange('BACKLOG_THRESHOLD_MINUTES').expected,
};

type Variable = keyof typeof EXPECTED;

// An empty variable is what most deployment tools write for "not set".
const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

function integer(name: IntegerVariable, fallback: number) {
  const { min, max } = integerRange(name);
  return z.pipe(
    z.transform(unsetIfEmpty),
    z._default(
      z.pipe(
        z.string().check(z.trim(), z.regex(/^\d{1,15}$/)),
        z.pipe(z.transform(Number), z.number().check(z.int(), z.gte(min), z.lte(max))),
      ),
      fallback,
    ),
  );
}

function optionalString(check: (value: string) => boolean) {
  return z.pipe(z.transform(unsetIfEmpty), z.optional(z.string().check(z.refine(check))));
}

/**
 * Builds a schema on first use and keeps it. zod makes objects for every check of a schema as it
 * is built, which was most of this module's import time: each process now builds only the
 * schemas of the settings it reads (the CLI's `analyze` only the analyzer's). Every `load…Config`
 * still validates when it is called, so a Lambda function still fails at init on a bad variable.
 */
function onFirstUse<T>(build: () => T): () => T {
  let schema: T | undefined;
  return () => {
    schema ??= build();
    return schema;
  };
}

const envSchema = onFirstUse(() =>
  z.object({
    SUMMARY_TOPIC_ARN: optionalString((value) => TOPIC_ARN.test(value)),
    REPORT_PATH: optionalString(
      (value) =>
        value.length >= RULES.reportPath.minLength &&
        value.length <= RULES.reportPath.maxLength &&
        REPORT_PATH_START.test(value) &&
        !FORBIDDEN_PATH_CHARS.test(value),
    ),
    MAX_PATHS_PER_TASK: integer('MAX_PATHS_PER_TASK', 100),
    DRY_RUN: z.pipe(
      z.transform(unsetIfEmpty),
      z._default(
        z.pipe(
          z.string().check(
            z.trim(),
            z.toLowerCase(),
            z.refine((value) => TRUE_WORDS.includes(value) || FALSE_WORDS.includes(value)),
          ),
          z.transform((value: string) => TRUE_WORDS.includes(value)),
        ),
        false,
      ),
    ),
    // 900 s is the longest delay SQS allows, which the deferral queue will use.
    BUSY_DELAY_SECONDS: integer('BUSY_DELAY_SECONDS', 600),
    ASSOCIATION_CACHE_SECONDS: integer('ASSOCIATION_CACHE_SECONDS', 300),
    MAX_DECOMPRESSED_BYTES: integer('MAX_DECOMPRESSED_BYTES', DEFAULT_MAX_DECOMPRESSED_BYTES),
    AWS_REGION: optionalString((value) => REGION.test(value)),
  }),
);

const reexportSchema = onFirstUse(() =>
  z.object({
    DEFERRAL_QUEUE_URL: optionalString((value) => QUEUE_URL.test(value)),
    LEDGER_TABLE: optionalString((value) => TABLE_NAME.test(value)),
    // 900 s is the longest delay SQS allows for a message.
    RETRY_LATER_SECONDS: integer('RETRY_LATER_SECONDS', 300),
    MAX_ATTEMPTS: integer('MAX_ATTEMPTS', 3),
    ATTEMPT_WINDOW_HOURS: integer('ATTEMPT_WINDOW_HOURS', 24),
    COALESCE_WINDOW_SECONDS: integer('COALESCE_WINDOW_SECONDS', 300),
    MAX_RECEIVES: integer('MAX_RECEIVES', 5),
  }),
);

const digestSchema = onFirstUse(() =>
  z.object({
    // 0 or unset: every batch with findings is emailed.
    DIGEST_WINDOW_MINUTES: integer('DIGEST_WINDOW_MINUTES', 0),
  }),
);

const doctorSchema = onFirstUse(() =>
  z.object({
    ANALYZER_FUNCTION_NAME: optionalString((value) => FUNCTION_NAME.test(value)),
    // An automatic-export backlog older than this is a doctor PROBLEM (default one hour).
    BACKLOG_THRESHOLD_MINUTES: integer('BACKLOG_THRESHOLD_MINUTES', 60),
  }),
);

const chatSchema = onFirstUse(() =>
  z.object({
    CHAT_TOPIC_ARN: optionalString((value) => TOPIC_ARN.test(value)),
  }),
);

const REEXPORT_VARIABLES = [
  'DEFERRAL_QUEUE_URL',
  'LEDGER_TABLE',
  'RETRY_LATER_SECONDS',
  'MAX_ATTEMPTS',
  'ATTEMPT_WINDOW_HOURS',
  'COALESCE_WINDOW_SECONDS',
  'MAX_RECEIVES',
] as const satisfies readonly Variable[];

function describeIssue(error: z.core.$ZodError, env: Record<string, string | undefined>): string {
  const name = String(error.issues[0]?.path[0] ?? 'unknown') as Variable;
  const raw = env[name] ?? '';
  // The value is echoed so the operator sees the typo, shortened and escaped to stay one line.
  return `Environment variable ${name} ${EXPECTED[name] ?? 'is invalid'} (got "${display(raw, 80)}")`;
}

/**
 * Reads and validates the analyzer's environment variables.
 *
 * @param env - Defaults to `process.env`; tests pass a plain object.
 * @returns A frozen config object.
 * @throws ConfigError naming the first invalid variable.
 */
function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const schema = envSchema();
  const input = Object.fromEntries(Object.keys(schema.shape).map((name) => [name, env[name]]));
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error, env));
  const values = parsed.data;
  const base: BaseConfig = {
    reportPath: values.REPORT_PATH,
    maxPathsPerTask: values.MAX_PATHS_PER_TASK,
    busyDelaySeconds: values.BUSY_DELAY_SECONDS,
    associationCacheSeconds: values.ASSOCIATION_CACHE_SECONDS,
    maxDecompressedBytes: values.MAX_DECOMPRESSED_BYTES,
    region: values.AWS_REGION,
  };
  if (values.DRY_RUN) {
    return Object.freeze({ ...base, dryRun: true, summaryTopicArn: values.SUMMARY_TOPIC_ARN });
  }
  if (values.SUMMARY_TOPIC_ARN === undefined) {
    throw new ConfigError(
      'Environment variable SUMMARY_TOPIC_ARN is required unless DRY_RUN is true',
    );
  }
  return Object.freeze({ ...base, dryRun: false, summaryTopicArn: values.SUMMARY_TOPIC_ARN });
}

/**
 * Reads and validates the durable re-export variables (queue, ledger, retry limits). Every one is
 * optional; see `ReexportConfig` for the defaults.
 *
 * @param env - Defaults to `process.env`; tests pass a plain object.
 * @throws ConfigError naming the first invalid variable.
 */
function loadReexportConfig(env: Record<string, string | undefined> = process.env): ReexportConfig {
  const input = Object.fromEntries(REEXPORT_VARIABLES.map((name) => [name, env[name]]));
  const parsed = reexportSchema().safeParse(input);
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error, env));
  const values = parsed.data;
  return Object.freeze({
    deferralQueueUrl: values.DEFERRAL_QUEUE_URL,
    ledgerTable: values.LEDGER_TABLE,
    retryLaterSeconds: values.RETRY_LATER_SECONDS,
    maxAttempts: values.MAX_ATTEMPTS,
    attemptWindowHours: values.ATTEMPT_WINDOW_HOURS,
    coalesceWindowSeconds: values.COALESCE_WINDOW_SECONDS,
    maxReceives: values.MAX_RECEIVES,
  });
}

/** Alert-digest settings. */
interface DigestConfig {
  /** Window W in minutes; 0 turns digests off (every batch with findings is emailed). */
  readonly windowMinutes: number;
}

/**
 * Reads and validates DIGEST_WINDOW_MINUTES (0–1440, default 0: off). Digests also need
 * LEDGER_TABLE, which `loadReexportConfig` reads.
 *
 * @param env - Defaults to `process.env`; tests pass a plain object.
 * @throws ConfigError naming the variable.
 */
function loadDigestConfig(env: Record<string, string | undefined> = process.env): DigestConfig {
  const parsed = digestSchema().safeParse({ DIGEST_WINDOW_MINUTES: env['DIGEST_WINDOW_MINUTES'] });
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error, env));
  return Object.freeze({ windowMinutes: parsed.data.DIGEST_WINDOW_MINUTES });
}

/** The scheduled doctor's settings: where to publish, where to keep state, whom to look for. */
type DoctorConfig = Config & {
  /** The ledger table, where the findings of the previous run are kept. */
  readonly ledgerTable: string;
  /** The Region the checks run in (the Lambda runtime always sets AWS_REGION). */
  readonly region: string;
  /** The analyzer a log group's subscription filter must point to; undefined: the stack's naming. */
  readonly analyzerFunction: string | undefined;
  /** An automatic-export backlog at least this old is a PROBLEM (BACKLOG_THRESHOLD_MINUTES). */
  readonly backlogThresholdMinutes: number;
};

/**
 * Reads the scheduled doctor's settings: those of `loadConfig` (topic, dry run, Region), plus
 * LEDGER_TABLE and AWS_REGION (both required), ANALYZER_FUNCTION_NAME and
 * BACKLOG_THRESHOLD_MINUTES (default 60).
 *
 * @param env - Defaults to `process.env`; tests pass a plain object.
 * @throws ConfigError naming the first invalid or missing variable.
 */
function loadDoctorConfig(env: Record<string, string | undefined> = process.env): DoctorConfig {
  const config = loadConfig(env);
  const { ledgerTable } = loadReexportConfig(env);
  if (ledgerTable === undefined) {
    throw new ConfigError('Environment variable LEDGER_TABLE is required by the scheduled doctor');
  }
  if (config.region === undefined) {
    throw new ConfigError('Environment variable AWS_REGION is required by the scheduled doctor');
  }
  const parsed = doctorSchema().safeParse({
    ANALYZER_FUNCTION_NAME: env['ANALYZER_FUNCTION_NAME'],
    BACKLOG_THRESHOLD_MINUTES: env['BACKLOG_THRESHOLD_MINUTES'],
  });
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error, env));
  return Object.freeze({
    ...config,
    ledgerTable,
    region: config.region,
    analyzerFunction: parsed.data.ANALYZER_FUNCTION_NAME,
    backlogThresholdMinutes: parsed.data.BACKLOG_THRESHOLD_MINUTES,
  });
}

/** Chat alerts (docs/operate.md#chat-alerts): the second topic, in the custom-notification format. */
interface ChatConfig {
  /** The topic Amazon Q Developer in chat applications subscribes to; undefined: no chat alerts. */
  readonly chatTopicArn: string | undefined;
}

/**
 * Reads and validates CHAT_TOPIC_ARN (optional). A malformed ARN fails the cold start, naming
 * the variable, rather than losing every chat alert later.
 *
 * @param env - Defaults to `process.env`; tests pass a plain object.
 * @throws ConfigError naming the variable.
 */
function loadChatConfig(env: Record<string, string | undefined> = process.env): ChatConfig {
  const parsed = chatSchema().safeParse({ CHAT_TOPIC_ARN: env['CHAT_TOPIC_ARN'] });
  if (!parsed.success) throw new ConfigError(describeIssue(parsed.error, env));
  return Object.freeze({ chatTopicArn: parsed.data.CHAT_TOPIC_ARN });
}

export type { ChatConfig, Config, DigestConfig, DoctorConfig, ReexportConfig };
export { loadChatConfig, loadConfig, loadDigestConfig, loadDoctorConfig, loadReexportConfig };

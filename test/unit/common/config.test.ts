import { describe, expect, it } from 'vitest';
import {
  loadChatConfig,
  loadConfig,
  loadDigestConfig,
  loadDoctorConfig,
  loadReexportConfig,
} from '../../../lib/common/config.ts';
import RULES from '../../../lib/common/env-rules.json' with { type: 'json' };
import { ConfigError } from '../../../lib/common/errors.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-failures';

describe('Function: loadConfig', () => {
  it('applies the defaults when only the topic is set', () => {
    // Prepare
    const env = { SUMMARY_TOPIC_ARN: TOPIC };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toEqual({
      summaryTopicArn: TOPIC,
      reportPath: undefined,
      maxPathsPerTask: 100,
      dryRun: false,
      busyDelaySeconds: 600,
      associationCacheSeconds: 300,
      maxDecompressedBytes: 33_554_432,
      region: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable', () => {
    // Prepare
    const env = {
      SUMMARY_TOPIC_ARN: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts.fifo',
      REPORT_PATH: 's3://bucket/reports',
      MAX_PATHS_PER_TASK: ' 25 ',
      DRY_RUN: 'No',
      BUSY_DELAY_SECONDS: '900',
      ASSOCIATION_CACHE_SECONDS: '0',
      MAX_DECOMPRESSED_BYTES: '1024',
      AWS_REGION: 'eu-central-1',
    };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toEqual({
      summaryTopicArn: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:alerts.fifo',
      reportPath: 's3://bucket/reports',
      maxPathsPerTask: 25,
      dryRun: false,
      busyDelaySeconds: 900,
      associationCacheSeconds: 0,
      maxDecompressedBytes: 1024,
      region: 'eu-central-1',
    });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['Yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['', false],
  ])('reads DRY_RUN=%j as %s', (value, expected) => {
    // Prepare
    const env = { SUMMARY_TOPIC_ARN: TOPIC, DRY_RUN: value };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config.dryRun).toBe(expected);
  });

  it('needs no topic in a dry run', () => {
    // Prepare
    const env = { DRY_RUN: 'true', SUMMARY_TOPIC_ARN: '' };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toMatchObject({ dryRun: true, summaryTopicArn: undefined });
  });

  it('treats empty strings as unset', () => {
    // Prepare
    const env = {
      SUMMARY_TOPIC_ARN: TOPIC,
      REPORT_PATH: '',
      MAX_PATHS_PER_TASK: '',
      BUSY_DELAY_SECONDS: '',
      AWS_REGION: '',
    };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).toMatchObject({
      reportPath: undefined,
      maxPathsPerTask: 100,
      busyDelaySeconds: 600,
      region: undefined,
    });
  });

  it('requires the topic outside a dry run', () => {
    // Prepare
    const env = { DRY_RUN: 'false' };

    // Act
    const load = () => loadConfig(env);

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      'Environment variable SUMMARY_TOPIC_ARN is required unless DRY_RUN is true',
    );
  });

  it.each([
    [
      'MAX_PATHS_PER_TASK',
      'abc',
      'Environment variable MAX_PATHS_PER_TASK must be an integer from 1 to 100 (got "abc")',
    ],
    [
      'MAX_PATHS_PER_TASK',
      '101',
      'Environment variable MAX_PATHS_PER_TASK must be an integer from 1 to 100 (got "101")',
    ],
    [
      'MAX_PATHS_PER_TASK',
      '0',
      'Environment variable MAX_PATHS_PER_TASK must be an integer from 1 to 100 (got "0")',
    ],
    [
      'MAX_PATHS_PER_TASK',
      '2.5',
      'Environment variable MAX_PATHS_PER_TASK must be an integer from 1 to 100 (got "2.5")',
    ],
    [
      'BUSY_DELAY_SECONDS',
      '901',
      'Environment variable BUSY_DELAY_SECONDS must be an integer from 0 to 900 (got "901")',
    ],
    [
      'BUSY_DELAY_SECONDS',
      '-1',
      'Environment variable BUSY_DELAY_SECONDS must be an integer from 0 to 900 (got "-1")',
    ],
    [
      'ASSOCIATION_CACHE_SECONDS',
      '86401',
      'Environment variable ASSOCIATION_CACHE_SECONDS must be an integer from 0 to 86400 (got "86401")',
    ],
    [
      'MAX_DECOMPRESSED_BYTES',
      '1023',
      'Environment variable MAX_DECOMPRESSED_BYTES must be an integer from 1024 to 268435456 (got "1023")',
    ],
    [
      'MAX_DECOMPRESSED_BYTES',
      '1e9',
      'Environment variable MAX_DECOMPRESSED_BYTES must be an integer from 1024 to 268435456 (got "1e9")',
    ],
    [
      'DRY_RUN',
      'maybe',
      'Environment variable DRY_RUN must be true, false, 1, 0, yes or no (got "maybe")',
    ],
    [
      'SUMMARY_TOPIC_ARN',
      'arn:aws:sqs:eu-west-1:123456789012:queue',
      'Environment variable SUMMARY_TOPIC_ARN must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>) (got "arn:aws:sqs:eu-west-1:123456789012:queue")',
    ],
    [
      'SUMMARY_TOPIC_ARN',
      'arn:aws:sns:eu-west-1:12345:topic',
      'Environment variable SUMMARY_TOPIC_ARN must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>) (got "arn:aws:sns:eu-west-1:12345:topic")',
    ],
    [
      'REPORT_PATH',
      '/local/reports',
      'Environment variable REPORT_PATH must be an s3://bucket/prefix path of 3 to 4357 characters without line breaks or NUL (got "/local/reports")',
    ],
    [
      'REPORT_PATH',
      's3://bucket/a\nb',
      'Environment variable REPORT_PATH must be an s3://bucket/prefix path of 3 to 4357 characters without line breaks or NUL (got "s3://bucket/a\\x0ab")',
    ],
    [
      'AWS_REGION',
      'Europe',
      'Environment variable AWS_REGION must be an AWS Region name such as us-east-1 (got "Europe")',
    ],
  ])('rejects %s=%j with a message naming it', (name, value, message) => {
    // Prepare
    const env = { SUMMARY_TOPIC_ARN: TOPIC, [name]: value };

    // Act
    const load = () => loadConfig(env);

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it('rejects a report path longer than the FSx limit', () => {
    // Prepare
    const env = { SUMMARY_TOPIC_ARN: TOPIC, REPORT_PATH: `s3://bucket/${'a'.repeat(4346)}` };

    // Act
    const load = () => loadConfig(env);

    // Assess
    expect(load).toThrow(
      /^Environment variable REPORT_PATH must be .* \(got "s3:\/\/bucket\/a+…a+"\)$/,
    );
  });

  it('keeps the error message on one line and short for a huge value', () => {
    // Prepare
    const env = { SUMMARY_TOPIC_ARN: TOPIC, MAX_PATHS_PER_TASK: `1\n${'9'.repeat(10_000)}` };

    // Act
    let message = '';
    try {
      loadConfig(env);
    } catch (error) {
      message = (error as Error).message;
    }

    // Assess
    expect(message).toMatch(/^Environment variable MAX_PATHS_PER_TASK /);
    expect(message).not.toMatch(/[\r\n]/);
    expect(message.length).toBeLessThan(200);
  });
});

describe('Function: loadReexportConfig', () => {
  it('applies the documented defaults, with neither queue nor ledger', () => {
    // Prepare
    const env = {};

    // Act
    const config = loadReexportConfig(env);

    // Assess
    expect(config).toEqual({
      deferralQueueUrl: undefined,
      ledgerTable: undefined,
      retryLaterSeconds: 300,
      maxAttempts: 3,
      attemptWindowHours: 24,
      coalesceWindowSeconds: 300,
      maxReceives: 5,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every variable, empty ones as unset', () => {
    // Prepare
    const env = {
      DEFERRAL_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fsx-deferrals',
      LEDGER_TABLE: 'fsx-export-analyzer-prod-ledger',
      RETRY_LATER_SECONDS: '0',
      MAX_ATTEMPTS: '20',
      ATTEMPT_WINDOW_HOURS: '720',
      COALESCE_WINDOW_SECONDS: ' 60 ',
      MAX_RECEIVES: '',
    };

    // Act
    const config = loadReexportConfig(env);

    // Assess
    expect(config).toEqual({
      deferralQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fsx-deferrals',
      ledgerTable: 'fsx-export-analyzer-prod-ledger',
      retryLaterSeconds: 0,
      maxAttempts: 20,
      attemptWindowHours: 720,
      coalesceWindowSeconds: 60,
      maxReceives: 5,
    });
  });

  it('accepts a plain-http queue URL only on the loopback interface (local emulators)', () => {
    // Prepare
    const local = { DEFERRAL_QUEUE_URL: 'http://127.0.0.1:4566/123456789012/deferrals' };
    const remote = { DEFERRAL_QUEUE_URL: 'http://sqs.eu-west-1.amazonaws.com/123456789012/q' };

    // Act
    const config = loadReexportConfig(local);
    const load = () => loadReexportConfig(remote);

    // Assess
    expect(config.deferralQueueUrl).toBe(local.DEFERRAL_QUEUE_URL);
    expect(load).toThrow(/^Environment variable DEFERRAL_QUEUE_URL must be an SQS queue URL/);
  });

  it.each([
    [
      'DEFERRAL_QUEUE_URL',
      'arn:aws:sqs:eu-west-1:123456789012:q',
      'Environment variable DEFERRAL_QUEUE_URL must be an SQS queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/name (got "arn:aws:sqs:eu-west-1:123456789012:q")',
    ],
    [
      'LEDGER_TABLE',
      'no spaces allowed',
      'Environment variable LEDGER_TABLE must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -) (got "no spaces allowed")',
    ],
    [
      'RETRY_LATER_SECONDS',
      '901',
      'Environment variable RETRY_LATER_SECONDS must be an integer from 0 to 900 (got "901")',
    ],
    [
      'MAX_ATTEMPTS',
      '0',
      'Environment variable MAX_ATTEMPTS must be an integer from 1 to 20 (got "0")',
    ],
    [
      'ATTEMPT_WINDOW_HOURS',
      '721',
      'Environment variable ATTEMPT_WINDOW_HOURS must be an integer from 1 to 720 (got "721")',
    ],
    [
      'COALESCE_WINDOW_SECONDS',
      '59',
      'Environment variable COALESCE_WINDOW_SECONDS must be an integer from 60 to 3600 (got "59")',
    ],
    [
      'MAX_RECEIVES',
      'five',
      'Environment variable MAX_RECEIVES must be an integer from 1 to 1000 (got "five")',
    ],
  ])('rejects %s=%j with a message naming it', (name, value, message) => {
    // Prepare
    const env = { [name]: value };

    // Act
    const load = () => loadReexportConfig(env);

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });

  it('leaves the analyzer configuration unchanged by the durable variables', () => {
    // Prepare
    const env = { SUMMARY_TOPIC_ARN: TOPIC, LEDGER_TABLE: 'table', MAX_ATTEMPTS: 'bad' };

    // Act
    const config = loadConfig(env);

    // Assess
    expect(config).not.toHaveProperty('ledgerTable');
    expect(config).not.toHaveProperty('maxAttempts');
  });
});

describe('Function: loadDoctorConfig', () => {
  const base = {
    SUMMARY_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:fsx-export-failures',
    LEDGER_TABLE: 'fsx-export-analyzer-prod-ledger',
    AWS_REGION: 'eu-west-1',
  };

  it('reads the topic, the ledger table, the Region and the analyzer to look for', () => {
    // Prepare
    const env = { ...base, ANALYZER_FUNCTION_NAME: 'fsx-export-analyzer-prod-analyzer' };

    // Act
    const config = loadDoctorConfig(env);

    // Assess
    expect(config).toMatchObject({
      dryRun: false,
      summaryTopicArn: base.SUMMARY_TOPIC_ARN,
      ledgerTable: base.LEDGER_TABLE,
      region: 'eu-west-1',
      analyzerFunction: 'fsx-export-analyzer-prod-analyzer',
    });
  });

  it.each([
    [{ ...base, LEDGER_TABLE: '' }, 'LEDGER_TABLE is required by the scheduled doctor'],
    [{ ...base, AWS_REGION: undefined }, 'AWS_REGION is required by the scheduled doctor'],
    [
      { ...base, ANALYZER_FUNCTION_NAME: 'arn:aws:lambda:x' },
      'Environment variable ANALYZER_FUNCTION_NAME must be a Lambda function name',
    ],
  ])('fails fast naming the variable (%#)', (env, message) => {
    // Act
    const load = () => loadDoctorConfig(env);

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
  });
});

describe('Function: loadChatConfig', () => {
  it.each([
    ['unset', {}, undefined],
    ['empty', { CHAT_TOPIC_ARN: ' ' }, undefined],
    ['a topic', { CHAT_TOPIC_ARN: `${TOPIC}-chat` }, `${TOPIC}-chat`],
  ])('reads CHAT_TOPIC_ARN %s', (_name, env, expected) => {
    // Act, Assess
    expect(loadChatConfig(env)).toEqual({ chatTopicArn: expected });
  });

  it('fails fast on a malformed ARN, naming the variable', () => {
    // Act
    const load = () =>
      loadChatConfig({
        CHAT_TOPIC_ARN: 'arn:aws:chatbot::123456789012:chat-configuration/slack-channel/x',
      });

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/^Environment variable CHAT_TOPIC_ARN must be an SNS topic ARN/);
  });
});

describe('Configuration: the shared rules (lib/common/env-rules.json)', () => {
  // infra/settings.cjs refuses the stack's parameters by the same file at package time.
  const doctorEnv = { SUMMARY_TOPIC_ARN: TOPIC, LEDGER_TABLE: 'ledger', AWS_REGION: 'us-east-1' };
  const loadAll = (env: Record<string, string>) => {
    loadDoctorConfig({ ...doctorEnv, ...env });
    loadReexportConfig(env);
    loadDigestConfig(env);
  };

  it.each(Object.entries(RULES.integers))(
    'takes %s within the range of the rules file, and only that',
    (variable, rule) => {
      // Prepare
      const within = [rule.min, rule.max].map(String);
      const outside = [String(rule.max + 1), ...(rule.min > 0 ? [String(rule.min - 1)] : [])];

      // Act, Assess
      for (const value of within) expect(() => loadAll({ [variable]: value })).not.toThrow();
      for (const value of outside) {
        expect(() => loadAll({ [variable]: value })).toThrow(
          new RegExp(
            `^Environment variable ${variable} must be an integer from ${rule.min}\\b.* to ${rule.max}\\b`,
          ),
        );
      }
    },
  );

  it('reads DRY_RUN by the words of the rules file', () => {
    // Act
    const words = [...RULES.booleanWords.true, ...RULES.booleanWords.false].map(
      (word) => loadConfig({ SUMMARY_TOPIC_ARN: TOPIC, DRY_RUN: word.toUpperCase() }).dryRun,
    );

    // Assess
    expect(words).toEqual([true, true, true, false, false, false]);
  });
});

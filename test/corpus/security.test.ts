import { format, inspect } from 'node:util';
import {
  CreateDataRepositoryTaskCommand,
  DescribeDataRepositoryAssociationsCommand,
  FSxClient,
} from '@aws-sdk/client-fsx';
import { AuthorizationErrorException, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderEmail } from '../../lib/analyze/email.ts';
import { processBatches } from '../../lib/analyze/pipeline.ts';
import { renderTerminal } from '../../lib/analyze/terminal.ts';
import type { FsxPort, StartResult } from '../../lib/common/ports.ts';
import type {
  FailureClass,
  Inventory,
  LogBatch,
  Publication,
  Report,
} from '../../lib/common/types.ts';
import { doctorChanges } from '../../lib/doctor/changes.ts';
import { diagnose } from '../../lib/doctor/diagnose.ts';
import { renderDoctorAlert, renderDoctorJson, renderDoctorText } from '../../lib/doctor/render.ts';
import { renderOutcomeEmail, renderRetrierEmail } from '../../lib/reexport/email.ts';
import { DOCTOR_AT } from '../helpers/doctor.ts';
import { lambdaEvent, payload } from '../helpers/events.ts';
import { taskStatus, trackedTask } from '../helpers/fake-ports.ts';
import { DRA, FS } from '../helpers/fixtures.ts';
import { genericError } from '../helpers/fsx-errors.ts';
import { CONTEXT } from '../helpers/lambda.ts';
import { emptyReport, record, task, unparseable } from '../helpers/reports.ts';
import { tooWide } from '../helpers/width.ts';

/*
 * Security checks whatever the input: what reaches a person (email subject and body, terminal)
 * carries no control character, escape sequence, bidi override or lone surrogate; and nothing
 * the handler writes contains credentials or the raw payload. The third check of issue 6, no
 * wildcard action in the packaged IAM policies, lives in test/infra/stack.test.ts ("grants no
 * "*" or service-wide wildcard action in any policy of the stack").
 */

const FORBIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const SUBJECT = /^[\x20-\x7e]{1,99}$/;
const RUNS = 150;

/** Pieces an attacker reaches for: CSI, OSC, C1, CR/LF, NUL, separators, bidi, lone surrogates. */
const PIECES = [
  '\u001b[2J',
  '\u001b[31m',
  '\u001b]0;pwned\u0007',
  '\u001b]8;;https://evil.example/\u001b\\link\u001b]8;;\u001b\\',
  '\u009b2J',
  '\u0085',
  '\u009d0;x\u009c',
  '\r\n',
  '\r',
  '\n',
  '\u0000',
  '\u0007',
  '\u007f',
  '\t',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u202d',
  '\u2066',
  '\u2069',
  '\ufeff',
  '\ud800',
  '\udfff',
  '\udbff\udfff',
  'Bcc: evil@example.com',
  '%0d%0a',
  'é',
  '漢字',
  '/ns1/a.bin',
];

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

const hostile: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(...PIECES),
      fc.string({ unit: codeUnit, maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(''));

const CLASSES: readonly FailureClass[] = [
  'transient',
  'busy',
  'permission',
  'limit',
  'skipped',
  'report',
  'import',
  'unknown',
];

function assessPublication(publication: Publication): void {
  expect(publication.subject).toMatch(SUBJECT);
  expect(publication.body).not.toMatch(FORBIDDEN);
  expect(publication.body).not.toMatch(LONE_SURROGATE);
}

function assessTerminal(text: string): void {
  expect(text).not.toMatch(FORBIDDEN);
  expect(text).not.toMatch(LONE_SURROGATE);
}

/** `analyze`'s terminal report: also within 100 columns (docs/cli.md, What the report shows). */
function assessAnalyzeTerminal(text: string): void {
  assessTerminal(text);
  // Within 100 columns, but for a link, an S3 URI, an AWS CLI command or a log name alone.
  expect(tooWide(text)).toEqual([]);
}

/**
 * The Logs Insights links of an email body or terminal output (log group names and the query
 * come from events): on a line of their own, and only URL-safe characters, whatever the input.
 */
function insightsLinks(text: string): string[] {
  const links = text.split('\n').filter((line) => line.includes('#logsV2:logs-insights'));
  for (const link of links) {
    expect(link).toMatch(
      /^ {2}https:\/\/eu-west-1\.console\.aws\.amazon\.com\/[A-Za-z0-9._~:/?#$'()*=-]+$/,
    );
  }
  return links;
}

/** Hostile values for every untrusted string a batch can carry. */
const hostileBatch = fc.record({
  logGroup: hostile,
  logStream: hostile,
  owner: hostile,
  code: hostile,
  path: hostile,
  key: hostile,
  bucket: hostile,
  message: hostile,
  fsError: hostile,
  fsMessage: hostile,
  associationsFail: fc.boolean(),
});

type HostileBatch = typeof hostileBatch extends fc.Arbitrary<infer T> ? T : never;

/** A batch whose events put the hostile values wherever the parser picks fields up. */
function batchOf(values: HostileBatch): LogBatch {
  const messages: unknown[] = [
    JSON.stringify({ errorCode: values.code, filePath: values.path, message: values.message }),
    JSON.stringify({ errorCode: 'S3ExportInternalError', filePath: `/ns1/${values.path}` }),
    JSON.stringify({ errorCode: 'S3ExportResourceBusy', filePath: `/ns1/b${values.path}` }),
    JSON.stringify({
      errorCode: 'S3ExportAccessDenied',
      s3Key: values.key,
      bucket: values.bucket,
      fileSystemId: values.fsError,
    }),
    `Failed to export S3 object with key ${values.key} in S3 bucket ${values.bucket} due to an internal error.`,
    `Failed to export file because it is being used by another process. path=${values.path}`,
    values.message,
    { nested: values.message },
  ];
  return {
    owner: values.owner,
    logGroup: values.logGroup,
    logStream: values.logStream,
    subscriptionFilters: [values.logStream],
    streamFileSystemId: FS,
    events: messages.map((message, index) => ({
      id: `${values.code}-${index}`,
      timestamp: 1_764_072_000_000 + index,
      message,
    })),
  };
}

/** An FSx port that refuses every start with the hostile error, and may fail to list. */
function hostileFsx(values: HostileBatch): FsxPort {
  return {
    listAssociations: async () => {
      if (values.associationsFail) throw new Error(values.fsMessage);
      return [DRA];
    },
    startExport: async (): Promise<StartResult> => ({
      ok: false,
      error: values.fsError,
      message: values.fsMessage,
    }),
  };
}

/** A report built by hand, with a hostile value in every string field the renderers read. */
function hostileReport(text: string, other: string): Report {
  const hostileTask = task({
    fileSystemId: other,
    paths: [text, `ns1/${other}`],
    eventIds: [text],
    clientRequestToken: other,
    reportPath: text,
  });
  return emptyReport({
    sources: [{ owner: text, logGroup: other, logStream: text, events: 3 }],
    events: CLASSES.length + 1,
    records: CLASSES.map((cls, index) =>
      record(index, {
        class: cls,
        code: `${text}${index}`,
        eventId: other,
        logGroup: text,
        logStream: other,
        owner: text,
        fileSystemId: index % 2 === 0 ? text : FS,
        path: index % 3 === 0 ? undefined : text,
        s3Key: other,
        bucket: text,
        associationId: other,
        time: text,
        message: other,
      }),
    ),
    unparseable: [unparseable(0, { reason: text, sample: other, logStream: text, eventId: other })],
    plan: {
      tasks: [hostileTask],
      unplanned: [
        { fileSystemId: text, eventId: other, class: 'transient', target: text, reason: other },
      ],
      awaitingMapping: [],
    },
    outcomes: [
      { status: 'started', task: hostileTask, taskId: text, lifecycle: other },
      { status: 'refused', task: hostileTask, error: text, reason: other, retryLater: false },
      { status: 'refused', task: hostileTask, error: other, reason: text, retryLater: true },
      { status: 'deferred', task: hostileTask, reason: text },
      {
        status: 'queued',
        task: hostileTask,
        delaySeconds: 600,
        reason: text,
        detail: other,
        notBefore: text,
      },
      { status: 'planned', task: hostileTask },
    ],
    escalated: [
      {
        fileSystemId: text,
        path: other,
        taskIds: [text, other],
        lastAttemptAt: text,
        reportPath: other,
      },
    ],
  });
}

describe('Security: what reaches a person carries no control character', () => {
  it('renderEmail and renderTerminal, for batches with hostile text in every field', async () => {
    // Prepare
    const property = fc.asyncProperty(hostileBatch, fc.boolean(), async (values, dryRun) => {
      const batch = batchOf(values);
      const options = {
        maxPathsPerTask: 100,
        busyDelaySeconds: 0,
        reportPath: undefined,
        region: 'eu-west-1',
        dryRun,
      };

      // Act
      const report = await processBatches([batch], options, hostileFsx(values));
      const publication = renderEmail(report);
      const terminal = renderTerminal(report, { color: false });

      // Assess
      expect(report.events).toBe(report.records.length + report.unparseable.length);
      assessPublication(publication);
      assessAnalyzeTerminal(terminal);
      // No link only when the hostile log group is empty.
      const links = values.logGroup === '' ? 0 : 1;
      expect(insightsLinks(publication.body)).toHaveLength(links);
      expect(insightsLinks(terminal)).toHaveLength(links);
    });

    // Act
    const run = fc.assert(property, { numRuns: RUNS });

    // Assess
    await expect(run).resolves.toBeUndefined();
  });

  it('renderEmail and renderTerminal, for reports with hostile text in every string', () => {
    // Prepare: every value opens with an OSC title sequence, so it is seen escaped, not dropped.
    const property = fc.property(hostile, hostile, (suffix, other) => {
      const text = `\u001b]0;t\u0007${suffix}`;
      const report = hostileReport(text, other);

      // Act
      const publication = renderEmail(report);
      const terminal = renderTerminal(report, { color: false });

      // Assess
      assessPublication(publication);
      assessAnalyzeTerminal(terminal);
      expect(publication.body).toContain('\\x1b]0;t\\x07');
      expect(terminal).toContain('\\x1b]0;t\\x07');
      expect(insightsLinks(publication.body)).toHaveLength(1);
      expect(insightsLinks(terminal)).toHaveLength(1);
      for (const value of Object.values(publication.attributes).flat()) {
        expect(value).toMatch(/^[\x20-\x7e]*$/);
      }
    });

    // Act
    const run = () => fc.assert(property, { numRuns: RUNS });

    // Assess
    expect(run).not.toThrow();
  });

  it('doctor text, JSON and alert, for an inventory with hostile text in every string', () => {
    // Prepare: every string FSx and CloudWatch Logs return, and the lookup failure reasons.
    const property = fc.property(
      fc.array(hostile, { minLength: 12, maxLength: 12 }),
      fc.constantFrom('MISCONFIGURED', 'FAILED', 'AVAILABLE'),
      (values, lifecycle) => {
        const [id, name, arn, level, group, dra, ns, repo, failure, filter, target, reason] =
          values.map((value) => `\u001b]0;t\u0007${value}`);
        const inventory: Inventory = {
          region: 'eu-west-1',
          fileSystems: [
            {
              fileSystem: {
                fileSystemId: id ?? '',
                lifecycle: 'AVAILABLE',
                name,
                arn,
                ownerId: '123456789012',
                creationTime: new Date('2025-01-01T00:00:00Z'),
                logging: {
                  level: level ?? '',
                  destination: `arn:aws:logs:eu-west-1:123456789012:log-group:${group}`,
                },
              },
              associations: {
                ok: true,
                value: [
                  {
                    associationId: dra ?? '',
                    lifecycle,
                    fileSystemPath: ns,
                    dataRepositoryPath: repo,
                    failureMessage: failure,
                    exportEvents: [],
                    importEvents: [failure ?? ''],
                    importedFileChunkSize: 1024,
                  },
                ],
              },
            },
            {
              fileSystem: {
                fileSystemId: 'fs-0fedcba9876543210',
                lifecycle: 'AVAILABLE',
                name: undefined,
                arn: undefined,
                ownerId: undefined,
                creationTime: undefined,
                logging: { level: 'WARN_ERROR', destination: undefined },
              },
              associations: { ok: false, reason: reason ?? '', permission: 'x', denied: false },
            },
          ],
          logGroups: new Map([
            [
              `${group}`,
              {
                ok: true,
                value: {
                  exists: true,
                  filters: [
                    { filterName: filter ?? '', destinationArn: target ?? '', filterPattern: '' },
                  ],
                },
              },
            ],
            ['/aws/fsx/lustre', { ok: false, reason: reason ?? '', permission: 'y' }],
          ]),
        };

        // Act
        const result = diagnose(inventory);
        const text = renderDoctorText(result);
        const json = renderDoctorJson(result);
        const alert = renderDoctorAlert(
          result,
          doctorChanges(undefined, result.findings).changes,
          DOCTOR_AT,
        );

        // Assess
        assessTerminal(text);
        assessTerminal(json);
        assessTerminal(JSON.stringify(JSON.parse(json)));
        assessPublication(alert);
        expect(text).toContain('\\x1b]0;t\\x07');
        for (const value of Object.values(alert.attributes).flat()) {
          expect(value).toMatch(/^[\x20-\x7e]*$/);
        }
      },
    );

    // Act
    const run = () => fc.assert(property, { numRuns: RUNS });

    // Assess
    expect(run).not.toThrow();
  });

  it('renderRetrierEmail, for deferral messages with hostile paths, reasons and ids', () => {
    // Prepare
    const property = fc.property(hostile, hostile, (text, other) => {
      const hostileTask = task({ fileSystemId: text, paths: [other, text], reportPath: other });
      const escalation = {
        fileSystemId: other,
        path: text,
        taskIds: [other],
        lastAttemptAt: text,
        reportPath: other,
      };

      // Act
      const publication = renderRetrierEmail({
        generatedAt: '2026-11-25T12:00:00.000Z',
        region: 'eu-west-1',
        messages: 5,
        started: [{ task: hostileTask, taskId: text, lifecycle: other, messages: 2 }],
        escalated: [escalation],
        refused: [{ task: hostileTask, error: text, reason: other, messages: 1 }],
        waiting: [{ fileSystemId: text, messages: 1, reason: other }],
        deadLettered: [
          {
            messageId: text,
            receiveCount: 5,
            task: hostileTask,
            reason: other,
            deferredReason: text,
            deferredAt: other,
          },
        ],
      });

      // Assess
      assessPublication(publication);
    });

    // Act
    const run = () => fc.assert(property, { numRuns: RUNS });

    // Assess
    expect(run).not.toThrow();
  });

  it('renderOutcomeEmail, for tasks with hostile paths, ids and FSx failure messages', () => {
    // Prepare
    const property = fc.property(
      hostile,
      hostile,
      fc.constantFrom('SUCCEEDED', 'FAILED', 'CANCELED', 'UNKNOWN'),
      (text, other, lifecycle) => {
        const tracked = trackedTask(text, {
          fileSystemId: other,
          paths: [text, other],
          clientRequestToken: other,
          reportPath: text,
          startedAt: other,
        });
        const status = taskStatus(text, {
          fileSystemId: other,
          lifecycle,
          failureMessage: other,
          reportPath: text,
          endTime: other,
        });

        // Act
        const publication = renderOutcomeEmail({
          generatedAt: '2026-11-25T12:00:00.000Z',
          region: 'eu-west-1',
          finished: [
            {
              tracked,
              lifecycle,
              status: lifecycle === 'UNKNOWN' ? undefined : status,
              failuresCsv: text,
            },
          ],
          stillOpen: 1,
        });

        // Assess
        assessPublication(publication);
      },
    );

    // Act
    const run = () => fc.assert(property, { numRuns: RUNS });

    // Assess
    expect(run).not.toThrow();
  });
});

// Distinctive values: any of them in the output is a leak, whatever the surrounding format.
const SECRETS = {
  AWS_ACCESS_KEY_ID: 'AKIACORPUSLEAKCHECK7',
  AWS_SECRET_ACCESS_KEY: 'corpusSecretAccessKey/DoNotLog+0123456789abcdefABCD',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEcorpusSessionTokenDoNotLog0123456789abcdefABCDEFGH',
};
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-failures';
/** An unparseable message longer than any sample: only a truncated piece may ever be shown. */
const LONG_MESSAGE = `payload-marker ${'0123456789abcdef'.repeat(64)} end-of-payload-marker`;

const fsxMock = mockClient(FSxClient);
const snsMock = mockClient(SNSClient);

interface Captured {
  readonly text: () => string;
}

/** Captures everything written to stdout, stderr and the console until the spies are restored. */
function captureOutput(): Captured {
  const chunks: string[] = [];
  const write = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(write as typeof process.stdout.write);
  vi.spyOn(process.stderr, 'write').mockImplementation(write as typeof process.stderr.write);
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      chunks.push(format(...args));
    });
  }
  return { text: () => chunks.join('\n') };
}

/** A cold start of the real handler, logging everything (DEBUG), as Lambda would run it. */
async function coldStart(): Promise<(event: unknown) => Promise<unknown>> {
  vi.resetModules();
  const env: Record<string, string> = {
    ...SECRETS,
    SUMMARY_TOPIC_ARN: TOPIC,
    AWS_REGION: 'eu-west-1',
    DRY_RUN: '',
    REPORT_PATH: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
    MAX_PATHS_PER_TASK: '',
    BUSY_DELAY_SECONDS: '0',
    ASSOCIATION_CACHE_SECONDS: '',
    MAX_DECOMPRESSED_BYTES: '',
    DEFERRAL_QUEUE_URL: '',
    LEDGER_TABLE: '',
    POWERTOOLS_DEV: '',
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    AWS_LAMBDA_LOG_LEVEL: '',
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const { handler } = await import('../../functions/analyzer.ts');
  return (event) => handler(event, CONTEXT);
}

function leaksIn(text: string, forbidden: readonly string[]): string[] {
  return forbidden.filter((value) => text.includes(value));
}

describe('Security: secrets and payloads never reach the logs', () => {
  beforeEach(() => {
    fsxMock.reset();
    snsMock.reset();
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('logs neither credentials nor the payload when FSx denies access and SNS fails', async () => {
    // Prepare
    const denied = () =>
      genericError(
        'AccessDeniedException',
        'User: arn:aws:sts::123456789012:assumed-role/analyzer/fn is not authorized to perform: fsx:CreateDataRepositoryTask',
      );
    fsxMock.on(DescribeDataRepositoryAssociationsCommand).rejects(denied());
    fsxMock.on(CreateDataRepositoryTaskCommand).rejects(denied());
    snsMock.on(PublishCommand).rejects(
      new AuthorizationErrorException({
        $metadata: { httpStatusCode: 403 },
        message: 'User is not authorized to perform: SNS:Publish on resource: topic',
      }),
    );
    const decoded = payload([
      { message: JSON.stringify({ errorCode: 'InternalAutoExportError', filePath: '/ns1/a.bin' }) },
      {
        message: `Failed to export file because it is being used by another process. path=/ns1/b.bin`,
      },
      { message: LONG_MESSAGE },
    ]);
    const event = lambdaEvent(decoded);
    const handler = await coldStart();
    const output = captureOutput();

    // Act
    let thrown: unknown;
    try {
      await handler(event);
    } catch (error) {
      thrown = error;
    }
    vi.restoreAllMocks();

    // Assess
    expect((thrown as Error | undefined)?.name).toBe('PublishError');
    expect(fsxMock).toHaveReceivedCommand(CreateDataRepositoryTaskCommand);
    expect(snsMock).toHaveReceivedCommand(PublishCommand);
    const logs = output.text();
    expect(logs).toContain('Re-export refused');
    const everything = `${logs}\n${inspect(thrown, { depth: 10 })}\n${(thrown as Error).stack}`;
    expect(leaksIn(everything, Object.values(SECRETS))).toEqual([]);
    expect(
      leaksIn(everything, [event.awslogs.data, JSON.stringify(decoded), LONG_MESSAGE]),
    ).toEqual([]);
  });

  it('logs neither credentials nor the payload when the batch cannot be decoded', async () => {
    // Prepare
    const text = `{"messageType":"DATA_MESSAGE","logEvents":[{"message":"${LONG_MESSAGE}"}`;
    const event = lambdaEvent(text);
    const handler = await coldStart();
    const output = captureOutput();

    // Act
    let thrown: unknown;
    try {
      await handler(event);
    } catch (error) {
      thrown = error;
    }
    vi.restoreAllMocks();

    // Assess
    expect((thrown as Error | undefined)?.name).toBe('DecodeError');
    const logs = output.text();
    expect(logs).toContain('Undecodable batch');
    const everything = `${logs}\n${inspect(thrown, { depth: 10 })}\n${(thrown as Error).stack}`;
    expect(leaksIn(everything, Object.values(SECRETS))).toEqual([]);
    expect(leaksIn(everything, [event.awslogs.data, text, LONG_MESSAGE])).toEqual([]);
  });
});

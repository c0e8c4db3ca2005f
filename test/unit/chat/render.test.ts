import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderEmail } from '../../../lib/analyze/email.ts';
import { type ChatNotification, chatJson } from '../../../lib/chat/format.ts';
import {
  MAX_DIGEST_MESSAGES,
  renderChatDigest,
  renderChatDoctor,
  renderChatOutcomes,
  renderChatRetrier,
  renderChatSummary,
} from '../../../lib/chat/render.ts';
import type { FailureClass, Report } from '../../../lib/common/types.ts';
import { doctorChanges, toFindingState } from '../../../lib/doctor/changes.ts';
import { diagnose } from '../../../lib/doctor/diagnose.ts';
import type { OutcomeReport } from '../../../lib/reexport/outcomes.ts';
import type { RetrierReport } from '../../../lib/reexport/retrier.ts';
import { digest, KEY, recovered, T0, W } from '../../helpers/digests.ts';
import { association, inventory } from '../../helpers/doctor.ts';
import { endedTasks } from '../../helpers/fake-ports.ts';
import { FS } from '../../helpers/fixtures.ts';
import { emptyReport, record, startedOutcome, task, unparseable } from '../../helpers/reports.ts';
import { CustomNotificationSchema, SNS_MAX_BYTES } from './schema.ts';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = '\u001b[2J\r\n<!channel> *bold* `tick` [x](http://evil) @here\u202egnp.exe';

/** Every check a published message must pass, whatever it carries. */
function assertValid(message: ChatNotification): void {
  const json = chatJson(message);
  const parsed = CustomNotificationSchema.safeParse(JSON.parse(json));
  expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).toBe(true);
  expect(Buffer.byteLength(json, 'utf8')).toBeLessThanOrEqual(SNS_MAX_BYTES);
  const { content, metadata } = message;
  // Only the description has line breaks: the ones between its blocks.
  expect(content.description.replaceAll('\n', ' ')).not.toMatch(CONTROL);
  const lines = [content.title, ...content.nextSteps, ...content.keywords, metadata.summary];
  for (const text of [...lines, ...Object.values(metadata.additionalContext)]) {
    expect(text).not.toMatch(CONTROL);
  }
  // Markdown constructs are whole: every line (a block) opens as many code spans as it closes,
  // and no mention or link syntax of untrusted text survives.
  for (const line of [content.title, ...content.description.split('\n'), ...content.nextSteps]) {
    expect((line.match(/`/g)?.length ?? 0) % 2, line).toBe(0);
    expect(line).not.toMatch(/<[!@#]|<at>/);
  }
  expect(metadata.threadId).toMatch(/^fea_[A-Za-z0-9._-]{1,124}$/);
}

function report(overrides: Partial<Report> = {}): Report {
  const records = [
    record(0),
    record(1, { class: 'permission', code: 'S3ExportAccessDenied', path: '/ns1/secret.bin' }),
    record(2, { class: 'busy', code: 'S3ExportResourceBusy' }),
  ];
  const planned = task({ paths: ['ns1/file-0.bin'] });
  return emptyReport({
    events: 4,
    sources: [
      {
        owner: '123456789012',
        logGroup: '/aws/fsx/lustre',
        logStream: `datarepo_${FS}`,
        events: 4,
      },
    ],
    records,
    unparseable: [unparseable(0)],
    plan: { tasks: [planned], unplanned: [], awaitingMapping: [] },
    outcomes: [startedOutcome(planned, 'task-00000000000000001')],
    ...overrides,
  });
}

function retrierReport(overrides: Partial<RetrierReport> = {}): RetrierReport {
  return {
    generatedAt: '2026-11-25T12:00:00.000Z',
    region: 'eu-west-1',
    messages: 1,
    started: [
      { task: task(), taskId: 'task-00000000000000001', lifecycle: 'PENDING', messages: 1 },
    ],
    escalated: [],
    refused: [],
    waiting: [],
    deadLettered: [],
    ...overrides,
  };
}

function outcomeReport(overrides: Partial<OutcomeReport> = {}): OutcomeReport {
  return {
    generatedAt: '2026-11-25T12:00:00.000Z',
    region: 'eu-west-1',
    finished: endedTasks('task-00000000000000001', 'task-00000000000000002', 's3://b/p'),
    stillOpen: 0,
    ...overrides,
  };
}

describe('Function: renderChatSummary', () => {
  it('says held skipped exports apart from held failures', () => {
    // Act
    const both = renderChatSummary(report(), { heldFailures: 5, heldSkipped: 2 });
    const onlySkipped = renderChatSummary(report(), { heldFailures: 2, heldSkipped: 2 });

    // Assess
    expect(both.content.description).toContain(
      '3 repeat failures and 2 skipped exports (warnings) held for the digest.',
    );
    expect(onlySkipped.content.description).toContain(
      '2 skipped exports (warnings) held for the digest.',
    );
    expect(onlySkipped.content.description).not.toContain('repeat failure');
  });

  it('says what failed and who must act, threaded under the file system and its most severe class', () => {
    // Act
    const message = renderChatSummary(report(), { heldFailures: 2 });

    // Assess
    assertValid(message);
    expect(message.content.title).toBe(
      `🔴 FSx export failures on \`${FS}\`: 3 failed, 1 needs a person`,
    );
    expect(message.content.description).toContain('• permission: 1 (a person must act)');
    expect(message.content.description).toContain('`S3ExportAccessDenied` ×1');
    expect(message.content.description).toContain('2 repeat failures held for the digest.');
    expect(message.content.nextSteps.length).toBeGreaterThan(0);
    expect(message.metadata.threadId).toBe(`fea_${FS}_permission_2025-11-25`);
    expect(message.metadata.eventType).toBe('fsx-export-analyzer.summary');
    expect(message.metadata.additionalContext).toMatchObject({
      fileSystemId: FS,
      mostSevereClass: 'permission',
      failures: '3',
    });
  });

  it('says what "need a person" counts in the text, as the email headline does; the title keeps the total', () => {
    // Prepare: one permission record, and the busy record's task refused by FSx (1 path).
    const refused = task({ paths: ['ns1/file-2.bin'], delaySeconds: 600 });
    const mixed = report({
      plan: { tasks: [refused], unplanned: [], awaitingMapping: [] },
      outcomes: [
        { status: 'refused', task: refused, error: 'BadRequest', reason: 'no', retryLater: false },
      ],
    });

    // Act
    const message = renderChatSummary(mixed);

    // Assess
    assertValid(message);
    expect(message.content.title).toBe(
      `🔴 FSx export failures on \`${FS}\`: 3 failed, 2 need a person`,
    );
    expect(message.content.description).toContain('*2 need a person (1 record, 1 path)*');
    expect(renderChatSummary(report()).content.description).toContain('*1 record needs a person*');
  });

  it('counts skipped exports (warnings) apart from the failures, as the email does', () => {
    // Prepare
    const skipped = record(3, { class: 'skipped', code: 'S3ExportLocalObjectNotMatchDra' });
    const withSkipped = report({ records: [...report().records, skipped] });
    const onlySkipped = report({ records: [skipped], unparseable: [] });

    // Act
    const mixed = renderChatSummary(withSkipped);
    const warnings = renderChatSummary(onlySkipped);

    // Assess
    assertValid(mixed);
    assertValid(warnings);
    expect(mixed.content.title).toBe(
      `🔴 FSx export failures on \`${FS}\`: 3 failed, 1 needs a person`,
    );
    expect(mixed.content.description).toContain(
      '*3 failures* and 1 skipped export (warnings) in 4 log events',
    );
    expect(mixed.metadata.additionalContext).toMatchObject({ failures: '3' });
    expect(warnings.content.title).toBe(
      `🟡 FSx export warnings on \`${FS}\`: 1 skipped, 0 need a person`,
    );
    expect(warnings.metadata.summary).toBe(
      `FSx export warnings on ${FS}: 1 skipped, 0 need a person`,
    );
  });

  it('counts a dry-run task the Lambda would refuse as needing a person, as the email does', () => {
    // Prepare: `analyze --associations FILE` without REPORT_PATH: the task has no report path.
    const planned = task();
    const refused = emptyReport({
      dryRun: true,
      events: 1,
      records: [record(0)],
      plan: { tasks: [planned], unplanned: [], awaitingMapping: [] },
      outcomes: [{ status: 'planned', task: planned, refusal: 'NoReportPath' }],
    });

    // Act
    const message = renderChatSummary(refused);
    const email = renderEmail(refused);

    // Assess
    assertValid(message);
    expect(message.content.title).toBe(
      `🔴 [dry run] FSx export failures on \`${FS}\`: 1 failed, 1 needs a person`,
    );
    expect(message.content.description).toContain(
      '*1 failure* in 1 log event: 0 paths to re-export, *1 path needs a person*.',
    );
    expect(message.metadata.additionalContext).toMatchObject({ needPerson: '1' });
    expect(email.body).toContain('0 paths to re-export, 1 path needs a person');
  });

  it('keeps a batch of 10,000 failures within 8,000 characters, ending with what it left out', () => {
    // Prepare
    const classes: FailureClass[] = ['permission', 'limit', 'unknown'];
    const records = Array.from({ length: 10_000 }, (_, index) =>
      record(index, {
        class: classes[index % 3] ?? 'unknown',
        code: `Code${index % 500}`,
        fileSystemId: `fs-${(index % 40).toString(16).padStart(17, '0')}`,
        path: `/ns1/${'deep/'.repeat(60)}file-${index}.bin`,
      }),
    );

    // Act
    const message = renderChatSummary(report({ records }));

    // Assess
    assertValid(message);
    expect(message.content.description.length).toBeLessThanOrEqual(8000);
    expect(message.content.description).toMatch(/_… \d+ more lines \(see the email\)_$/);
  });

  it('shows hostile paths and codes as inert code spans', () => {
    // Prepare
    const records = [record(0, { class: 'unknown', code: HOSTILE, path: `/ns1/${HOSTILE}` })];

    // Act
    const message = renderChatSummary(report({ records }));

    // Assess
    assertValid(message);
    expect(message.content.description).toContain('\\x1b[2J\\x0d\\x0a‹!channel›');
    expect(message.content.description).not.toContain('`tick`');
  });
});

describe('Function: renderChatDigest', () => {
  it('sends one message per window and per recovered group, each in its own thread', () => {
    // Act
    const messages = renderChatDigest({
      digests: [digest()],
      recovered: [recovered({ key: { ...KEY, cls: 'transient' } })],
      generatedAt: new Date((T0 + W) * 1000).toISOString(),
      region: 'eu-west-1',
    });

    // Assess
    expect(messages).toHaveLength(2);
    for (const message of messages) assertValid(message);
    expect(messages[0]?.metadata.threadId).toMatch(
      new RegExp(`^fea_${FS}_permission_\\d{4}-\\d\\d-\\d\\d$`),
    );
    expect(messages[0]?.content.title).toContain('Digest:');
    expect(messages[1]?.content.title).toContain('✅ Recovered: no transient');
    expect(messages[1]?.metadata.threadId).toContain('_transient_');
  });

  it(`sends at most ${MAX_DIGEST_MESSAGES} messages, the last counting the rest`, () => {
    // Prepare
    const digests = Array.from({ length: 25 }, (_, index) =>
      digest({ key: { ...KEY, scope: `fs-${String(index).padStart(17, '0')}` } }),
    );

    // Act
    const messages = renderChatDigest({
      digests,
      recovered: [],
      generatedAt: '2026-11-25T12:00:00.000Z',
      region: undefined,
    });

    // Assess
    expect(messages).toHaveLength(MAX_DIGEST_MESSAGES);
    for (const message of messages) assertValid(message);
    expect(messages.at(-1)?.content.title).toContain('16 more windows');
  });
});

describe('Functions: renderChatRetrier, renderChatOutcomes, renderChatDoctor', () => {
  it('renders the retrier run', () => {
    // Act
    const message = renderChatRetrier(
      retrierReport({
        escalated: [
          {
            fileSystemId: FS,
            path: `ns1/${HOSTILE}`,
            taskIds: [],
            lastAttemptAt: undefined,
            reportPath: undefined,
          },
        ],
      }),
    );

    // Assess
    assertValid(message);
    expect(message.content.title).toBe('🔴 Re-export retrier: 1 started, 1 needs a person');
    expect(message.metadata.threadId).toBe(`fea_${FS}_reexport_2026-11-25`);
  });

  it('renders the outcome check, failed tasks first', () => {
    // Act
    const message = renderChatOutcomes(outcomeReport());

    // Assess
    assertValid(message);
    expect(message.content.title).toBe('🔴 Re-export outcomes: 1 exported, 1 not');
    const lines = message.content.description.split('\n');
    expect(lines.findIndex((line) => line.includes('FAILED'))).toBeLessThan(
      lines.findIndex((line) => line.includes('SUCCEEDED')),
    );
  });

  it('renders the doctor alert with the fixes as next steps', () => {
    // Prepare
    const healthy = diagnose(inventory());
    const broken = diagnose(
      inventory({
        associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
      }),
    );
    const { changes } = doctorChanges(toFindingState(healthy.findings), broken.findings);

    // Act
    const message = renderChatDoctor(broken, changes, '2026-11-25T12:00:00.000Z');

    // Assess
    assertValid(message);
    expect(message.content.title).toBe('🔴 FSx doctor: 1 new problem');
    expect(message.content.nextSteps.length).toBeGreaterThan(0);
    expect(message.metadata.summary).toBe('FSx doctor: 1 new problem');
  });
});

describe('Property: every message is valid whatever the untrusted text', () => {
  it('holds for any paths, codes, messages and scopes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            code: fc.string(),
            path: fc.string({ unit: 'binary' }),
            message: fc.string(),
          }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.string({ unit: 'binary', maxLength: 300 }),
        (items, scope) => {
          const classes: FailureClass[] = ['permission', 'limit', 'unknown', 'transient', 'busy'];
          const records = items.map((item, index) =>
            record(index, { ...item, class: classes[index % classes.length] ?? 'unknown' }),
          );
          assertValid(renderChatSummary(report({ records })));
          for (const message of renderChatDigest({
            digests: [
              digest({
                key: { ...KEY, scope },
                samples: items.map((item) => item.path),
                codes: new Map(items.map((item) => [item.code, 1])),
              }),
            ],
            recovered: [recovered({ key: { ...KEY, scope } })],
            generatedAt: '2026-11-25T12:00:00.000Z',
            region: undefined,
          })) {
            assertValid(message);
          }
          assertValid(
            renderChatRetrier(
              retrierReport({
                refused: [
                  {
                    task: task({ paths: items.map((item) => item.path) }),
                    error: scope,
                    reason: items[0]?.message ?? '',
                    messages: 1,
                  },
                ],
              }),
            ),
          );
        },
      ),
      { numRuns: 60 },
    );
  });
});

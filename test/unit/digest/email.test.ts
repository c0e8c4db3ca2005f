import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import type { BatchGroup, Publication } from '../../../lib/common/types.ts';
import { heldNote, renderDigestEmail, withHeldNote } from '../../../lib/digest/email.ts';
import { groupReport, NO_OUTCOMES } from '../../../lib/digest/windows.ts';
import packageJson from '../../../package.json' with { type: 'json' };
import { digest, KEY, recovered, T0, W } from '../../helpers/digests.ts';
import { FS } from '../../helpers/fixtures.ts';
import { emptyReport, record } from '../../helpers/reports.ts';

const GENERATED_AT = '2025-11-25T11:01:00.000Z';
const REGION = 'eu-west-1';
const ESC = '\u001b[31m';
const BIDI = '\u202e';

const flat = (text: string) => text.replace(/\s+/g, ' ');

function expectEmailRules(publication: Publication): void {
  expect(publication.subject.length).toBeLessThan(100);
  expect(publication.subject).toMatch(/^[\x20-\x7e]+$/);
  expect(Buffer.byteLength(publication.body, 'utf8')).toBeLessThan(256 * 1024);
  for (const line of publication.body.split('\n')) {
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
  }
}

/** The digest email of `digests`, nothing recovered, generated at GENERATED_AT in REGION. */
function emailOf(digests: Parameters<typeof renderDigestEmail>[0]['digests']) {
  return renderDigestEmail({ digests, recovered: [], generatedAt: GENERATED_AT, region: REGION });
}

describe('renderDigestEmail', () => {
  it('counts held skipped exports apart from the failures, in the subject and the headline', () => {
    // Act
    const mixed = emailOf([digest(), digest({ key: { ...KEY, cls: 'skipped' }, held: 3 })]);
    const onlySkipped = emailOf([digest({ key: { ...KEY, cls: 'skipped' }, held: 3 })]);

    // Assess
    expect(mixed.subject).toBe(
      `FSx export digest on ${FS}: 42 repeated failures, 3 skipped, permission, skipped`,
    );
    expect(flat(mixed.body)).toContain(
      '42 repeated failures and 3 skipped exports (warnings) of already-alerted classes were held back in 2 alert windows',
    );
    expect(onlySkipped.subject).toBe(`FSx export digest on ${FS}: 3 skipped, skipped`);
    expect(flat(onlySkipped.body)).toContain(
      '3 skipped exports (warnings) of already-alerted classes were held back in 1 alert window',
    );
  });

  it('shows counts, new versus recurring paths, codes, samples and what needs a person', () => {
    // Act
    const email = emailOf([digest()]);

    // Assess
    expect(email.subject).toBe(`FSx export digest on ${FS}: 42 repeated failures, permission`);
    const body = flat(email.body);
    expect(body).toContain(
      '42 repeated failures of already-alerted classes were held back in 1 alert window',
    );
    expect(body).toContain(
      '42 failures held back from 2025-11-25 10:00 to 11:00 UTC. 30 on new paths, 10 on paths that already failed in this or the previous window, 2 not told apart',
    );
    expect(body).toContain('S3ExportAccessDenied 42');
    expect(body).toContain('Sample paths: ns1/a.bin ns1/b.bin');
    expect(body).toContain('Needs a person: FSx was denied s3:PutObject.');
    expect(email.body).toContain(
      `Sent by fsx-export-analyzer ${packageJson.version} (digest) at ${GENERATED_AT}.`,
    );
    expect(email.attributes).toEqual({
      summary: 'digest',
      fileSystemId: FS,
      fileSystemIds: [FS],
      classes: ['permission'],
      needsPerson: 'true',
      dryRun: 'false',
    });
    expectEmailRules(email);
  });

  it('shows re-export outcomes and escalations of retryable classes', () => {
    // Prepare
    const transient = digest({
      key: { ...KEY, cls: 'transient' },
      held: 5,
      outcomes: { started: 3, queued: 1, deferred: 0, refused: 0, escalated: 1 },
      codes: new Map([['S3ExportInternalError', 5]]),
    });

    // Act
    const email = emailOf([transient]);

    // Assess
    const body = flat(email.body);
    expect(body).toContain(
      'Re-exports: 3 started, 1 queued, 0 refused, 0 left to a person, 1 escalated',
    );
    expect(body).toContain(
      'Needs a person: 1 path still failed after the maximum number of re-exports',
    );
    expect(email.attributes['needsPerson']).toBe('true');
  });

  it('needs no person for retried classes nor for a class without codes to hint at', () => {
    // Prepare
    const transient = digest({
      key: { ...KEY, cls: 'transient' },
      outcomes: { started: 3, queued: 0, deferred: 1, refused: 1, escalated: 0 },
    });
    const uncoded = digest({ codes: new Map() });

    // Act
    const email = emailOf([transient, uncoded]);

    // Assess
    expect(email.body).not.toContain('Needs a person');
    expect(email.attributes['needsPerson']).toBe('false');
  });

  it('needs a person for unparseable events', () => {
    // Prepare
    const events = digest({ key: { ...KEY, cls: 'unparseable' }, codes: new Map() });

    // Act
    const email = emailOf([events]);

    // Assess
    expect(email.body).toContain('Needs a person');
    expect(email.attributes['needsPerson']).toBe('true');
  });

  it('names the file system, or the log group when none is known, on every "needs a person" line', () => {
    // Prepare
    const onFileSystem = digest({
      outcomes: { ...NO_OUTCOMES, escalated: 1, refused: 1 },
    });
    const onLogGroup = digest({
      key: { scopeKind: 'logGroup', scope: '/aws/fsx/lustre', cls: 'unparseable' },
      codes: new Map(),
    });

    // Act
    const body = flat(emailOf([onFileSystem, onLogGroup]).body);

    // Assess
    expect(body).toContain(`Then re-export the paths. (file system ${FS})`);
    expect(body).toContain(`lists its task history. (file system ${FS})`);
    expect(body).toContain(
      `1 failure could not be re-exported automatically (FSx refused, or no deferral queue); the analyzer's log lists their tasks with every path (lines "Re-export refused", "Re-export deferred"). (file system ${FS})`,
    );
    expect(body).not.toContain('commands');
    expect(body).toContain(
      'the parser needs updating. (file system unknown; log group /aws/fsx/lustre)',
    );
  });

  it('prints the reexport command for refused or deferred failures whole, on a line of its own', () => {
    // Prepare: a log group long enough that the command passes 76 columns by far.
    const logGroup = `/aws/fsx/${'lustre-'.repeat(12)}it's`;
    const refused = digest({
      key: { ...KEY, cls: 'transient' },
      logGroups: [logGroup],
      outcomes: { ...NO_OUTCOMES, refused: 2, deferred: 1 },
    });

    // Act
    const email = emailOf([refused]);

    // Assess
    const lines = email.body.split('\n');
    const at = lines.findIndex((line) => line.includes('fsx-export-analyzer reexport'));
    expect(flat(lines.slice(at - 2, at).join(' ')).trim()).toBe(
      "Once the cause is fixed, re-export the class's failures of this window (the command asks before it starts; docs/cli.md#reexport):",
    );
    expect(lines[at]).toBe(
      `    fsx-export-analyzer reexport --class transient --log-group '${logGroup.replace("'", "'\\''")}' --file-system-id ${FS} --since 2025-11-25T10:00:00Z --until 2025-11-25T11:00:00Z --region eu-west-1`,
    );
    expect(flat(email.body)).toContain('3 failures could not be re-exported automatically');
    expectEmailRules(email);
  });

  it('prints a reexport command per log group the failures came from', () => {
    // Prepare
    const refused = digest({
      key: { ...KEY, cls: 'transient' },
      logGroups: ['/aws/fsx/lustre', '/aws/fsx/moved'],
      outcomes: { ...NO_OUTCOMES, refused: 1 },
    });

    // Act
    const body = emailOf([refused]).body;

    // Assess
    expect(flat(body)).toContain('(a command per log group; each asks before it starts;');
    const commands = body.split('\n').filter((line) => line.startsWith('    fsx-export-analyzer'));
    expect(commands.map((line) => line.trim().split(' ')[5])).toEqual([
      '/aws/fsx/lustre',
      '/aws/fsx/moved',
    ]);
  });

  it('prints no reexport command when the digest does not know the log group', () => {
    // Prepare
    const refused = digest({
      key: { ...KEY, cls: 'transient' },
      logGroups: [],
      outcomes: { ...NO_OUTCOMES, refused: 1 },
    });

    // Act
    const body = emailOf([refused]).body;

    // Assess
    expect(body).not.toContain('fsx-export-analyzer reexport');
    expect(flat(body)).toContain(
      'Once the cause is fixed, re-export them with the reexport command (docs/cli.md#reexport).',
    );
  });

  it('shows sample paths relative to the file-system root, S3 objects and unparseable samples as held', () => {
    // Prepare
    const paths = digest({ samples: ['/ns1//a.bin', 's3://bkt//k.bin'] });
    const events = digest({
      key: { scopeKind: 'logGroup', scope: '/aws/fsx/lustre', cls: 'unparseable' },
      samples: ['/not/a//path'],
    });

    // Act
    const [pathBody, eventBody] = [paths, events].map((held) => emailOf([held]).body);

    // Assess
    expect(pathBody).toContain('  Sample paths:\n    ns1/a.bin\n    s3://bkt//k.bin\n');
    expect(eventBody).toContain('  Samples:\n    /not/a//path\n');
  });

  it('dates the end of a window that ran past midnight (a late digest run)', () => {
    // Prepare: the window opened at 10:00 and was closed 25 hours later.
    const late = digest({ windowEnd: T0 + 25 * W });

    // Act
    const email = emailOf([late]);

    // Assess
    const body = flat(email.body);
    expect(body).toContain('42 failures held back from 2025-11-25 10:00 to 2025-11-26 11:00 UTC.');
    expect(body).toContain('11-25 10:00-11-26 11:00');
  });

  it('links each window to CloudWatch Logs Insights, and has the per-class table', () => {
    // Act
    const email = emailOf([digest()]);
    const without = renderDigestEmail({
      digests: [digest()],
      recovered: [],
      generatedAt: GENERATED_AT,
      region: undefined,
    });

    // Assess
    const link = email.body.split('\n').find((line) => line.includes('logs-insights'));
    expect(link).toMatch(
      /^ {2}https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=eu-west-1#logsV2:logs-insights/,
    );
    expect(link).toContain("end~'2025-11-25T11*3a00*3a00.000Z~start~'2025-11-25T10*3a00*3a00.000Z");
    expect(link).toContain('datarepo_fs-0123456789abcdef0');
    expect(email.body).toMatch(
      /HELD REPEATS BY CLASS\n-+\n {2}Class +Records +Files +File systems/,
    );
    expect(without.body).not.toContain('logs-insights');
  });

  it('says "unknown" in the class table for failures held by log group (no file system named)', () => {
    // Prepare
    const onLogGroup = { scopeKind: 'logGroup', scope: '/aws/fsx/lustre' } as const;
    const digests = [
      digest(),
      digest({ key: { ...KEY, scope: 'fs-0fedcba9876543210' } }),
      digest({ key: { ...onLogGroup, cls: 'permission' } }),
      digest({ key: { ...onLogGroup, cls: 'transient' }, codes: new Map() }),
      digest({ key: { ...onLogGroup, cls: 'unparseable' }, codes: new Map() }),
    ];

    // Act
    const body = renderDigestEmail({
      digests,
      recovered: [],
      generatedAt: GENERATED_AT,
      region: REGION,
    }).body;

    // Assess
    const table = body.split('HELD REPEATS BY CLASS\n')[1]?.split('\n\n')[0] ?? '';
    expect(table).toMatch(/\n {2}permission +126 +- +2 \+ unknown +a person must act\n/);
    expect(table).toMatch(/\n {2}transient +42 +- +unknown +re-exported\n/);
    expect(table).toMatch(/\n {2}unparseable +42 +- +unknown +a person must read them$/);
  });

  it('puts digests and recovery notices of one run in one email', () => {
    // Act
    const email = renderDigestEmail({
      digests: [digest()],
      recovered: [recovered({ key: { ...KEY, cls: 'limit' } })],
      generatedAt: GENERATED_AT,
      region: REGION,
    });

    // Assess
    expect(email.subject).toBe(
      `FSx export digest on ${FS}: 42 repeated failures, permission, 1 recovered`,
    );
    expect(flat(email.body)).toContain(
      `* No limit failures on ${FS} for a full window (60 minutes) since 2025-11-25 10:50 UTC. The next one alerts at once.`,
    );
  });

  it('sends recovery notices alone with their own subject', () => {
    // Act
    const email = renderDigestEmail({
      digests: [],
      recovered: [
        recovered(),
        recovered({ key: { scopeKind: 'logGroup', scope: '/aws/fsx/lustre', cls: 'unparseable' } }),
      ],
      generatedAt: GENERATED_AT,
      region: REGION,
    });

    // Assess
    // The class list no longer fits in the subject's 100 characters: it is left out whole.
    expect(email.subject).toBe(`FSx export failures and unparseable events recovered on ${FS}`);
    expect(flat(email.body)).toContain(
      '2 classes recovered: no failures or unparseable events for a full window.',
    );
    expect(flat(email.body)).toContain(
      'No unparseable events in log group /aws/fsx/lustre for a full window',
    );
    expect(email.body).not.toContain('HELD REPEATS');
  });

  it('words a recovery of skipped exports as warnings, never as failures', () => {
    // Prepare
    const skipped = recovered({ key: { ...KEY, cls: 'skipped' } });

    // Act
    const alone = renderDigestEmail({
      digests: [],
      recovered: [skipped],
      generatedAt: GENERATED_AT,
      region: REGION,
    });
    const mixed = renderDigestEmail({
      digests: [],
      recovered: [recovered(), skipped],
      generatedAt: GENERATED_AT,
      region: REGION,
    });

    // Assess
    expect(alone.subject).toBe(`FSx export warnings recovered on ${FS}: skipped`);
    expect(flat(alone.body)).toContain(
      '1 class recovered: no skipped exports (warnings) for a full window.',
    );
    expect(flat(alone.body)).toContain(
      `* No skipped exports (warnings) on ${FS} for a full window (60 minutes) since 2025-11-25 10:50 UTC.`,
    );
    expect(flat(alone.body)).not.toMatch(/no failures|skipped failures|failures recovered/i);
    expect(mixed.subject).toBe(
      `FSx export failures and warnings recovered on ${FS}: permission, skipped`,
    );
    expect(flat(mixed.body)).toContain(
      '2 classes recovered: no failures or skipped exports (warnings) for a full window.',
    );
    expect(flat(mixed.body)).toContain(`* No permission failures on ${FS} for a full window`);
  });

  it('words a recovery of unparseable events as unparseable events, never as failures', () => {
    // Prepare
    const unparseable = recovered({
      key: { scopeKind: 'logGroup', scope: '/aws/fsx/lustre', cls: 'unparseable' },
    });

    // Act
    const alone = renderDigestEmail({
      digests: [],
      recovered: [unparseable],
      generatedAt: GENERATED_AT,
      region: REGION,
    });
    const all = renderDigestEmail({
      digests: [],
      recovered: [recovered(), recovered({ key: { ...KEY, cls: 'skipped' } }), unparseable],
      generatedAt: GENERATED_AT,
      region: REGION,
    });

    // Assess
    expect(alone.subject).toBe('FSx export unparseable events recovered: unparseable events');
    expect(flat(alone.body)).toContain(
      '1 class recovered: no unparseable events for a full window.',
    );
    expect(`${alone.subject} ${flat(alone.body)}`).not.toMatch(/no failures|failures recovered/i);
    expect(all.subject).toMatch(
      new RegExp(`^FSx export failures, warnings and unparseable events recovered on ${FS}`),
    );
    expect(flat(all.body)).toContain(
      '3 classes recovered: no failures, skipped exports (warnings) or unparseable events for a full window.',
    );
  });

  it('sanitises hostile scopes, codes and samples, and keeps the subject ASCII', () => {
    // Prepare
    const hostile = digest({
      key: {
        scopeKind: 'fileSystem',
        scope: `fs-${ESC}evil${BIDI}\r\nBcc: x@example.com`,
        cls: 'unknown',
      },
      codes: new Map([[`Code${ESC}]0;pwned\u0007`, 3]]),
      samples: [`ns1/${ESC}[2J${BIDI}file\nname.bin`],
    });

    // Act
    const email = emailOf([hostile]);

    // Assess
    expectEmailRules(email);
    expect(email.body).toContain('\\x1b');
    expect(email.body).toContain('\\u202e');
    expect(email.subject).not.toContain('\n');
  });

  it('bounds every section: at most 50 table rows, 20 detailed groups, 50 recovery notices', () => {
    // Prepare
    const many = Array.from({ length: 300 }, (_, index) =>
      digest({
        key: { ...KEY, scope: `fs-${String(index).padStart(17, '0')}${'x'.repeat(3000)}` },
        samples: Array.from({ length: 5 }, (_, sample) => `${'d/'.repeat(2000)}${sample}`),
        codes: new Map(
          Array.from({ length: 40 }, (_, code) => [`Code${code}${'y'.repeat(500)}`, 1]),
        ),
      }),
    );
    const notices = Array.from({ length: 200 }, (_, index) =>
      recovered({ key: { ...KEY, scope: `fs-${index}` } }),
    );

    // Act
    const email = renderDigestEmail({
      digests: many,
      recovered: notices,
      generatedAt: GENERATED_AT,
      region: REGION,
    });

    // Assess
    expectEmailRules(email);
    expect(email.body).toContain('and 250 more groups (10500 failures)');
    expect(email.body).toContain('The other 280 groups are in the table above.');
    expect(email.body).toContain('and 150 more recovered groups.');
    expect(email.body).toContain('and 30 more codes');
    expect(email.subject).toBe(
      'FSx export digest on 500 file systems: 12600 repeated failures, permission, 200 recovered',
    );
  });
});

describe('heldNote and withHeldNote', () => {
  function group(cls: 'permission' | 'limit' | 'skipped', failures: number): BatchGroup {
    const records = Array.from({ length: failures }, (_, index) =>
      record(index, {
        class: cls,
        code: cls === 'limit' ? 'S3ExportPathSizeTooLong' : 'S3ExportAccessDenied',
      }),
    );
    const found = groupReport(emptyReport({ records })).groups[0];
    if (found === undefined) throw new Error('no group');
    return found;
  }

  it('says how many repeats were held, of what, and when the digest comes', () => {
    // Act
    const note = heldNote([
      { group: group('permission', 40), windowEnd: T0 + W },
      { group: group('limit', 2), windowEnd: T0 + W + 600 },
    ]);

    // Assess
    expect(flat(note.join('\n'))).toBe(
      `Also 42 more failures of already-alerted classes, not shown here: permission on ${FS} (40), limit on ${FS} (2). They will be in the digest after 11:10 UTC.`,
    );
    for (const line of note) expect(line.length).toBeLessThanOrEqual(76);
  });

  it('says held skipped exports apart, as warnings, never as failures', () => {
    // Act
    const both = heldNote([
      { group: group('permission', 40), windowEnd: T0 + W },
      { group: group('skipped', 2), windowEnd: T0 + W },
    ]);
    const onlySkipped = heldNote([{ group: group('skipped', 2), windowEnd: T0 + W }]);

    // Assess
    expect(flat(both.join('\n'))).toMatch(
      /^Also 40 more failures and 2 skipped exports \(warnings\) of already-alerted classes, not shown here: /,
    );
    expect(flat(onlySkipped.join('\n'))).toMatch(
      /^Also 2 skipped exports \(warnings\) of already-alerted classes, not shown here: /,
    );
  });

  it('adds nothing when nothing was held', () => {
    // Prepare
    const publication: Publication = { subject: 's', body: 'head\n\nrest', attributes: {} };

    // Act
    const result = withHeldNote(publication, heldNote([]));

    // Assess
    expect(result).toBe(publication);
  });

  it('puts the note after the headline paragraph of the summary', () => {
    // Prepare
    const publication: Publication = {
      subject: 's',
      body: 'Headline.\n\nDetails.',
      attributes: {},
    };

    // Act
    const result = withHeldNote(publication, ['Also 1 more failure.']);

    // Assess
    expect(result.body).toBe('Headline.\n\nAlso 1 more failure.\n\nDetails.');
  });
});

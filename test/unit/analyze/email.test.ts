import { describe, expect, it } from 'vitest';
import { hintFor } from '../../../lib/analyze/classify.ts';
import { renderEmail } from '../../../lib/analyze/email.ts';
import { planReexports } from '../../../lib/analyze/plan.ts';
import { reportLog } from '../../../lib/analyze/telemetry.ts';
import { explainFsxError } from '../../../lib/common/fsx-errors.ts';
import type { ExportTask, Publication, Report, TaskOutcome } from '../../../lib/common/types.ts';
import packageJson from '../../../package.json' with { type: 'json' };
import { batch, json } from '../../helpers/events.ts';
import { FS } from '../../helpers/fixtures.ts';
import {
  emptyReport,
  escalatedReport,
  partlyUnplannedReport,
  plannedReport,
  record,
  refusedThenStartingReport,
  reportOf,
  startedOutcome,
  startedThenRefusedReport,
  task,
  unparseable,
} from '../../helpers/reports.ts';

// \n is the only control character an email body may hold (and no tab is ever written).
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const HOSTILE =
  '\u001b[2J\u001b]0;x\u0007\r\nBcc: a@b.c\u0000\u2028\u202egnp.exe\u0085\u2066\ud800';

/** The same report as if FSx had been called: each planned task gets the given outcome. */
function withOutcomes(report: Report, outcome: (task: ExportTask) => TaskOutcome): Report {
  return { ...report, dryRun: false, outcomes: report.plan.tasks.map(outcome) };
}

/** The class table's rows and the note under it: the lines after its header, to a blank line. */
function classRows(body: string): string[] {
  const lines = body.split('\n');
  const header = lines.findIndex((line) => line.includes('What happens'));
  const end = lines.indexOf('', header);
  return lines.slice(header + 1, end);
}

/** Body text with line breaks and indentation folded, to find wrapped prose. */
function flat(body: string): string {
  return body.replace(/\s+/g, ' ');
}

function publicationBytes(publication: Publication): number {
  let bytes = Buffer.byteLength(publication.body, 'utf8');
  for (const [name, value] of Object.entries(publication.attributes)) {
    const values: readonly string[] = typeof value === 'string' ? [value] : value;
    bytes += Buffer.byteLength(name, 'utf8');
    for (const item of values) bytes += Buffer.byteLength(item, 'utf8');
  }
  return bytes;
}

function expectSafeSubject(subject: string): void {
  expect(subject.length).toBeLessThan(100);
  expect(subject).toMatch(/^[\x20-\x7e]+$/);
}

function expectSafeAttributes(publication: Publication): void {
  for (const value of Object.values(publication.attributes)) {
    const values: readonly string[] = typeof value === 'string' ? [value] : value;
    expect(values.length).toBeGreaterThan(0);
    for (const item of values) expect(item).toMatch(/^[\x20-\x7e]+$/);
  }
}

describe('Function: renderEmail', () => {
  it('names the file system and the headline counts in the subject', async () => {
    // Prepare
    const report = withOutcomes(
      await reportOf([
        batch([
          { message: json('S3ExportResourceBusy', '/ns1/a.bin') },
          {
            message:
              'Failed to export file because it is being used by another process. path=/ns1/b.bin',
          },
          { message: json('S3ExportInternalError', '/ns1/c.bin') },
          { message: json('S3ExportAccessDenied', '/ns1/d.bin') },
          { message: json('S3ExportBrandNewFailure', '/ns1/e.bin') },
        ]),
      ]),
      (planned) =>
        planned.delaySeconds === 0
          ? startedOutcome(planned, 'task-0123456789abcdef0')
          : { status: 'deferred', task: planned, reason: 'busy files wait 300 s' },
    );

    // Act
    const publication = renderEmail(report);

    // Assess
    expect(publication.subject).toBe(
      'FSx export failures on fs-0123456789abcdef0: 5 failed, 1 re-exported, 4 need a person',
    );
    expectSafeSubject(publication.subject);
    expect(publication.subject).toMatch(/^[A-Za-z]/);
  });

  it('keeps the "need a person" count when a large dry run\'s subject must be shortened', async () => {
    // Prepare: 1000 paths to re-export and 3 for a person make a subject past 100 characters.
    const transient = Array.from({ length: 1000 }, (_, index) => ({
      message: json('S3ExportInternalError', `/ns1/f${index}.bin`),
    }));
    const person = Array.from({ length: 3 }, (_, index) => ({
      message: json('S3ExportAccessDenied', `/ns1/p${index}.bin`),
    }));
    const report = await reportOf([batch([...transient, ...person])]);

    // Act
    const { subject } = renderEmail(report);

    // Assess: "1000 to re-export" is what gives way.
    expect(subject).toBe(`[dry run] FSx export failures on ${FS}: 1003 failed, 3 need a person`);
    expectSafeSubject(subject);
  });

  it('never counts skipped exports (warnings) as failed, in the subject or the headline', async () => {
    // Prepare
    const skipped = { message: json('S3ExportLocalObjectReleaseWithoutS3Source', '/ns1/r.bin') };
    const mixed = await reportOf([
      batch([{ message: json('S3ExportAccessDenied', '/ns1/a.bin') }, skipped, skipped]),
    ]);
    const onlySkipped = await reportOf([batch([skipped])]);

    // Act
    const both = renderEmail(mixed);
    const warnings = renderEmail(onlySkipped);

    // Assess
    // 3 records, 1 failed ("2 skipped" is added only when it fits in the 100 characters).
    expect(both.subject).toBe(
      `[dry run] FSx export failures on ${FS}: 1 failed, 0 to re-export, 1 needs a person`,
    );
    expect(both.body).toMatch(
      /^1 FSx data repository failure and 2 skipped exports \(warnings\): 0 paths to\nre-export, 1 record needs a person\.\n/,
    );
    expect(warnings.subject).toBe(
      `[dry run] FSx export warnings on ${FS}: 1 skipped, 0 to re-export, 0 need a person`,
    );
    expect(warnings.body).toMatch(
      /^No FSx data repository failure, 1 skipped export \(warnings\): 0 paths to\nre-export, 0 need a person\.\n/,
    );
  });

  it('counts file systems in the subject and prefixes a dry run', async () => {
    // Prepare
    const report = await reportOf(
      ['fs-11111111', 'fs-22222222', 'fs-33333333'].map((id) =>
        batch([{ message: json('S3ExportAccessDenied', `/ns1/${id}.bin`) }], `datarepo_${id}`),
      ),
    );

    // Act
    const publication = renderEmail(report);

    // Assess
    expect(publication.subject).toBe(
      '[dry run] FSx export failures on 3 file systems: 3 failed, 0 to re-export, 3 need a person',
    );
    expectSafeSubject(publication.subject);
    expect(publication.attributes).toEqual({
      fileSystemId: 'fs-11111111',
      fileSystemIds: ['fs-11111111', 'fs-22222222', 'fs-33333333'],
      mostSevereClass: 'permission',
      classes: ['permission'],
      needsPerson: 'true',
      dryRun: 'true',
    });
    expect(publication.body).toContain(
      '  Class       Records  Files  File systems  What happens\n  permission        3      3             3  a person must act\n',
    );
    expect(publication.body).toContain('File system fs-22222222: 1 record (1 permission).');
    expect(publication.body).toContain(
      'filter*20*40logStream*20in*20*5b*22datarepo_fs-11111111*22*2c*20*22datarepo_fs-22222222*22*2c*20*22datarepo_fs-33333333*22*5d',
    );
  });

  it('reports a log with only unparseable events', async () => {
    // Prepare
    const report = await reportOf(
      [batch([{ message: 'hello' }, { message: 'world' }, { message: 42 }])],
      {
        dryRun: false,
      },
    );

    // Act
    const publication = renderEmail(report);

    // Assess
    expect(publication.subject).toBe('FSx event log: 3 unparseable events in /aws/fsx/lustre');
    expect(publication.attributes).toEqual({
      fileSystemId: 'unknown',
      mostSevereClass: 'none',
      needsPerson: 'true',
      dryRun: 'false',
    });
    expect(publication.body).toContain('Read 3 log events: 0 FSx records, 3 unparseable.');
    expect(flat(publication.body)).toContain('They were kept, not dropped');
    // Each example names its file system (from the datarepo_ stream) and account.
    expect(flat(publication.body)).toContain(
      'message is a number, not a string (event ev-2; file system fs-0123456789abcdef0, account 123456789012)',
    );
    expect(publication.body).toContain(
      '  Class        Records  Files  File systems  What happens\n  unparseable        3      -             1  a person should read them\n',
    );
    expect(publication.body).not.toContain('FAILURES BY CODE');
    expect(publication.body).not.toContain('RE-EXPORTS');
  });

  it('speaks of the re-exports below a dry run only when there are some', async () => {
    // Prepare
    const report = await reportOf([batch([{ message: 'hello' }, { message: 'world' }])], {
      dryRun: true,
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(body).toContain('DRY RUN: nothing was re-exported and FSx was not called.\n');
    expect(body).not.toContain('re-exports below');
    expect(body).not.toContain('RE-EXPORTS');
  });

  it('keeps the subject short, ASCII and on one line whatever the ids and log group', () => {
    // Prepare
    const hostileId = `fs-${'a'.repeat(300)}${HOSTILE}`;
    const records = [record(0, { fileSystemId: hostileId, class: 'unknown', code: HOSTILE })];
    const withRecords = emptyReport({ records, events: 123_456_789 });
    const onlyUnparseable = emptyReport({
      dryRun: true,
      events: 1,
      unparseable: [unparseable(0)],
      sources: [
        { owner: '1', logGroup: `/aws/${'g'.repeat(600)}${HOSTILE}`, logStream: 's', events: 1 },
      ],
    });

    // Act
    const subjects = [
      renderEmail(withRecords).subject,
      renderEmail({ ...withRecords, dryRun: true }).subject,
      renderEmail(onlyUnparseable).subject,
    ];

    // Assess
    for (const subject of subjects) expectSafeSubject(subject);
    expect(subjects[0]).toMatch(/^FSx export failures on fs-a+/);
    expect(subjects[1]).toMatch(/^\[dry run\] FSx export failures on fs-a+/);
    expect(subjects[2]).toMatch(/^\[dry run\] FSx event log: 1 unparseable event in \/aws\/g+/);
  });

  it('orders the sections from the headline to the footer', async () => {
    // Prepare
    const report = await reportOf([
      batch([
        { message: json('S3ExportAccessDenied', '/ns1/a.bin') },
        { message: json('S3ExportInternalError', '/ns1/b.bin') },
        {
          message:
            'Failed to export S3 object with key pre/c.bin in S3 bucket bkt due to an internal error.',
        },
        { message: 'not an FSx record' },
      ]),
    ]);

    // Act
    const { body } = renderEmail(report);

    // Assess
    const titles = [
      'WHAT NEEDS A PERSON',
      'FAILURES BY CODE',
      'RE-EXPORTS',
      'UNPARSEABLE EVENTS',
      'WHERE TO LOOK',
    ].map((title) => `\n\n${title}\n${'-'.repeat(title.length)}\n`);
    const positions = [
      'FSx data repository failures',
      '\n\n  Class        Records  Files  File systems  What happens\n',
      'Read 4 log events: 3 FSx records, 1 unparseable.',
      'Events from 2025-11-25T12:00:00.000Z to 2025-11-25T12:00:00.003Z (UTC).',
      '\n\nThese events in CloudWatch Logs Insights:\n  https://eu-west-1.console.aws.amazon.com/',
      'DRY RUN',
      ...titles,
    ].map((marker) => body.indexOf(marker));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(
      body.endsWith(
        `\nSent by fsx-export-analyzer ${packageJson.version} at 2025-11-25T12:30:00.000Z.`,
      ),
    ).toBe(true);
  });

  it('says what a person must do, with hints and a few sample files', async () => {
    // Prepare
    const denied = Array.from({ length: 7 }, (_, index) => ({
      message: json('S3ExportAccessDenied', `/ns1/denied-${index}.bin`),
    }));
    const report = await reportOf([
      batch([
        ...denied,
        { message: json('S3ExportFileSizeTooLarge', '/ns1/huge.bin') },
        {
          message:
            'Failed to upload data repository task completion report into bucket bkt because the completion report path s3://other/reports does not belong to a data repository associated with this file system',
        },
        {
          message: JSON.stringify({
            errorCode: 'S3ExportSomethingNew',
            s3Key: 'k/new.bin',
            bucket: 'bkt',
          }),
        },
      ]),
    ]);

    // Act
    const { body } = renderEmail(report);

    // Assess
    const text = flat(body);
    expect(body).toContain('* Access denied: a person must fix permissions: 7 records');
    expect(body).toContain('Codes: S3ExportAccessDenied (7)');
    expect(text).toContain(`What to do: ${hintFor('S3ExportAccessDenied')}`);
    expect(text).toContain(hintFor('S3ExportFileSizeTooLarge'));
    expect(text).toContain(hintFor('S3CompletionReportValidateFailure'));
    expect(text).toContain(hintFor('S3ExportSomethingNew'));
    expect(body).toContain(`  File system ${FS}, account 123456789012: 7 records\n`);
    // Paths as FSx tasks take them: relative to the file-system root.
    for (const index of [0, 1, 2, 3, 4]) expect(body).toContain(`    ns1/denied-${index}.bin\n`);
    expect(body).not.toContain('denied-5.bin');
    expect(body).toContain('    s3://bkt/k/new.bin');
    const person = body.slice(
      body.indexOf('WHAT NEEDS A PERSON'),
      body.indexOf('FAILURES BY CODE'),
    );
    expect(person.indexOf('Access denied')).toBeLessThan(person.indexOf('S3 limits exceeded'));
    expect(person.indexOf('S3 limits exceeded')).toBeLessThan(person.indexOf('Unknown codes'));
  });

  it('opens with a compact per-class table, most severe first', async () => {
    // Prepare
    const report = withOutcomes(
      await reportOf([
        batch([
          { message: json('S3ExportInternalError', '/ns1/b.bin') },
          { message: json('S3ExportResourceBusy', '/ns1/c.bin') },
          { message: json('S3ExportResourceBusy', '/ns1/c.bin') },
          { message: json('S3ExportLocalObjectNotMatchDra', '/other/e.bin') },
          { message: json('S3ImportObjectDeleted', '/ns1/f.bin') },
          { message: json('S3ExportAccessDenied', '/ns1/a.bin') },
          { message: 'garbage' },
        ]),
      ]),
      (planned) => startedOutcome(planned, 'task-1'),
    );

    // Act
    const { body } = renderEmail(report);

    // Assess
    const table = [
      '  Class        Records  Files  File systems  What happens',
      '  permission         1      1             1  a person must act',
      '  transient          1      1             1  re-exported',
      '  busy               2      1             1  re-export after delay',
      '  import             1      1             1  not retried',
      '  skipped            1      1             1  none (warning)',
      '  unparseable        1      -             1  a person should read them',
    ].join('\n');
    expect(
      body.startsWith(
        // The skipped export is a warning: counted apart, not among the failures.
        `5 FSx data repository failures and 1 skipped export (warnings): 2 paths\nre-exported, 1 record needs a person.\n\n${table}\n\nRead 7 log events`,
      ),
    ).toBe(true);
    expect(body.indexOf(table)).toBeLessThan(body.indexOf('WHAT NEEDS A PERSON'));
    expect(body).not.toContain('FAILURES BY CLASS');
    expect(body).toContain('        2  S3ExportResourceBusy            busy');
  });

  it('says in the class table what a dry run would do', async () => {
    // Prepare
    const report = await reportOf([
      batch([
        { message: json('S3ExportInternalError', '/ns1/b.bin') },
        { message: json('S3ExportResourceBusy', '/ns1/c.bin') },
      ]),
    ]);

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(body).toContain('  transient        1      1             1  would be re-exported\n');
    expect(body).toContain(
      '  busy             1      1             1  would re-export after delay\n',
    );
  });

  it('links the Logs Insights query of the window only when the region is known', async () => {
    // Prepare
    const report = await reportOf([
      batch([
        {
          timestamp: Date.UTC(2025, 10, 25, 11, 58, 30),
          message: json('S3ExportAccessDenied', '/ns1/a.bin'),
        },
        { timestamp: Date.UTC(2025, 10, 25, 12, 3, 0), message: 'garbage' },
      ]),
    ]);

    // Act
    const withRegion = renderEmail(report).body;
    const withoutRegion = renderEmail({ ...report, region: undefined }).body;

    // Assess
    const link = withRegion.split('\n').find((line) => line.includes('logs-insights'));
    expect(link).toBe(
      "  https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2025-11-25T12*3a04*3a00.000Z~start~'2025-11-25T11*3a58*3a00.000Z~timeType~'ABSOLUTE~tz~'UTC~editorString~'fields*20*40timestamp*2c*20*40logStream*2c*20*40message*0a*7c*20filter*20*40logStream*20in*20*5b*22datarepo_fs-0123456789abcdef0*22*5d*0a*7c*20sort*20*40timestamp*20desc*0a*7c*20limit*201000~source~(~'*2faws*2ffsx*2flustre))",
    );
    expect(withoutRegion).not.toContain('logs-insights');
    expect(withoutRegion).not.toContain('Logs Insights');
  });

  it('caps the code list at 20 lines', () => {
    // Prepare
    const records = Array.from({ length: 25 }, (_, index) =>
      record(index, { class: 'unknown', code: `Mystery${String(index).padStart(2, '0')}` }),
    );

    // Act
    const { body } = renderEmail(emptyReport({ records, events: 25 }));

    // Assess
    const codes = body.slice(body.indexOf('FAILURES BY CODE'), body.indexOf('Sent by'));
    expect(codes).toContain('Mystery19');
    expect(codes).not.toContain('Mystery20');
    expect(codes).toContain('  and 5 more codes');
  });

  it('describes started, refused, deferred and planned re-exports', () => {
    // Prepare
    const started = task({ clientRequestToken: 'fea-started' });
    const refused = task({ clientRequestToken: 'fea-refused', paths: ['ns1/r.bin'] });
    const deferred = task({
      clientRequestToken: 'fea-deferred',
      paths: ['ns1/a.bin', 'ns1/b.bin'],
      delaySeconds: 300,
      classes: ['busy'],
    });
    const planned = task({
      clientRequestToken: 'fea-planned',
      paths: ['ns1/p1', 'ns1/p2', 'ns1/p3', 'ns1/p4'],
    });
    const info = explainFsxError('DataRepositoryTaskExecuting');
    const report = emptyReport({
      plan: { tasks: [started, refused, deferred, planned], unplanned: [], awaitingMapping: [] },
      outcomes: [
        startedOutcome(started, 'task-0123456789abcdef0'),
        {
          status: 'refused',
          task: refused,
          error: 'DataRepositoryTaskExecuting',
          reason: `${info.meaning} (A task is already running)`,
          retryLater: info.retryLater,
        },
        { status: 'deferred', task: deferred, reason: 'busy files wait 300 s for their writer' },
        { status: 'planned', task: planned },
      ],
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    const text = flat(body);
    expect(body).toContain('4 tasks: 1 started, 1 refused, 1 deferred, 1 planned.');
    expect(text).toContain(
      '* Started task task-0123456789abcdef0 on fs-0123456789abcdef0: 1 path (PENDING).',
    );
    expect(body).toContain('  Token: fea-started');
    expect(text).toContain(
      `DataRepositoryTaskExecuting: ${info.meaning} (A task is already running)`,
    );
    expect(body).toContain('  Re-export later with:');
    expect(body).toContain('* Deferred on fs-0123456789abcdef0: 2 paths, delay 300 s.');
    expect(body).toContain(
      "    aws fsx create-data-repository-task --file-system-id fs-0123456789abcdef0 --type EXPORT_TO_REPOSITORY --paths 'ns1/a.bin' 'ns1/b.bin' --report Enabled=true,Path=s3://bucket/prefix/fsx-export-analyzer-reports,Format=REPORT_CSV_20191124,Scope=FAILED_FILES_ONLY\n",
    );
    expect(body).toContain('* Would start on fs-0123456789abcdef0: 4 paths.');
    expect(body).toContain(
      '    ns1/p3\n    and 1 more path: fsx-export-analyzer analyze --json lists every one\n',
    );
    expect(body).toContain('FSx refused 1 re-export task (1 path)');
  });

  it('names the account of refused and deferred re-exports when the records give it', () => {
    // Prepare
    const refused = task({ clientRequestToken: 'fea-refused' });
    const deferred = task({ clientRequestToken: 'fea-deferred', delaySeconds: 300 });
    const report = emptyReport({
      events: 1,
      records: [record(0)],
      plan: { tasks: [refused, deferred], unplanned: [], awaitingMapping: [] },
      outcomes: [
        { status: 'refused', task: refused, error: 'BadRequest', reason: 'no', retryLater: true },
        { status: 'deferred', task: deferred, reason: 'busy' },
      ],
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(flat(body)).toContain(`* Refused by FSx on ${FS}: 1 path (account 123456789012).`);
    expect(flat(body)).toContain(
      `* Deferred on ${FS}: 1 path, delay 300 s (account 123456789012).`,
    );
  });

  it('names the account of a dry-run task the Lambda would refuse, not of one it would start', () => {
    // Prepare
    const refused = task({ clientRequestToken: 'fea-refused', delaySeconds: 300 });
    const started = task({ clientRequestToken: 'fea-started', paths: ['ns1/b.bin'] });
    const report = emptyReport({
      dryRun: true,
      events: 1,
      records: [record(0)],
      plan: { tasks: [refused, started], unplanned: [], awaitingMapping: [] },
      outcomes: [
        { status: 'planned', task: refused, note: 'no S3 association', refusal: 'NoReportPath' },
        { status: 'planned', task: started },
      ],
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(flat(body)).toContain(
      `* Would be refused on ${FS} (account 123456789012) after 300 s: 1 path (NoReportPath, see the note).`,
    );
    expect(flat(body)).toContain(`* Would start on ${FS}: 1 path.`);
  });

  it('names the file system of every record a person must fix, one block per file system', () => {
    // Prepare
    const other = 'fs-0fedcba9876543210';
    const report = emptyReport({
      events: 4,
      records: [
        record(0, { class: 'report', code: 'S3CompletionReportUploadFailure', path: undefined }),
        record(1, {
          class: 'report',
          code: 'S3CompletionReportUploadFailure',
          path: undefined,
          fileSystemId: other,
          owner: '210987654321',
        }),
        record(2, {
          class: 'report',
          code: 'S3CompletionReportUploadFailure',
          path: undefined,
          fileSystemId: undefined,
          owner: 'unknown',
        }),
        record(3, {
          class: 'limit',
          code: 'S3ExportFileSizeTooLarge',
          path: '/ns1//big/./file.bin',
          fileSystemId: undefined,
          owner: '210987654321',
        }),
      ],
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(body).toContain(
      [
        `  File system ${FS}, account 123456789012: 1 record`,
        `  File system ${other}, account 210987654321: 1 record`,
        '  File system unknown: 1 record',
      ].join('\n'),
    );
    expect(body).toContain(
      '  File system unknown, account 210987654321: 1 record\n    ns1/big/file.bin\n',
    );
    expect(body).not.toContain('account unknown');
  });

  it('says the event times are unknown, or how many have none, and links only known times', () => {
    // Prepare
    const untimed = emptyReport({
      events: 2,
      records: [record(0, { timestamp: undefined })],
      unparseable: [unparseable(0, { timestamp: undefined })],
    });
    const mixed = emptyReport({
      events: 3,
      records: [record(0), record(1, { timestamp: undefined }), record(2)],
    });

    // Act
    const none = renderEmail(untimed).body;
    const some = renderEmail(mixed).body;

    // Assess
    expect(flat(none)).toContain(
      'Event times: unknown (no log event carries a time; times inside records are not used).',
    );
    expect(none).not.toContain('1970');
    expect(none).not.toContain('Logs Insights');
    expect(flat(some)).toContain(
      'Events from 2025-11-25T12:00:00.000Z to 2025-11-25T12:00:00.002Z (UTC). 1 log event has no time.',
    );
    expect(some).toContain('These events in CloudWatch Logs Insights:');
  });

  it('says in one line that a report with nothing in it has no failures, without empty sections', () => {
    // Prepare
    const empty = emptyReport({ dryRun: true, skippedMessages: 1 });

    // Act
    const publication = renderEmail(empty);

    // Assess
    expect(publication.body).toBe(
      `No FSx export failures in 0 log events (1 control message skipped).\n\nSent by fsx-export-analyzer ${packageJson.version} at 2025-11-25T12:30:00.000Z.`,
    );
    expect(publication.subject).toBe('[dry run] FSx event log: no export failures in 0 events');
    expect(publication.attributes['needsPerson']).toBe('false');
  });

  it('tells when and why a queued re-export waits, and keeps it out of "need a person"', () => {
    // Prepare
    const queued = task({ clientRequestToken: 'fea-queued', paths: ['ns1/q1', 'ns1/q2'] });
    const report = emptyReport({
      records: [record(0), record(1)],
      plan: { tasks: [queued], unplanned: [], awaitingMapping: [] },
      outcomes: [
        {
          status: 'queued',
          task: queued,
          delaySeconds: 300,
          reason: 'DataRepositoryTaskExecuting',
          detail: 'another data repository task is executing on the file system',
          notBefore: '2025-11-25T12:35:00.000Z',
        },
      ],
    });

    // Act
    const { subject, body } = renderEmail(report);

    // Assess
    expect(subject).toBe(
      `FSx export failures on ${FS}: 2 failed, 0 re-exported, 2 queued, 0 need a person`,
    );
    expect(flat(body)).toContain(
      '* Queued on fs-0123456789abcdef0: 2 paths, re-exported by the retrier from 2025-11-25T12:35:00.000Z (in 300 s).',
    );
    expect(flat(body)).toContain(
      'DataRepositoryTaskExecuting: another data repository task is executing on the file system',
    );
    expect(body).toContain('1 task: 1 queued.');
    expect(flat(body)).toContain(
      '0 paths re-exported, 2 queued for a later re-export, 0 need a person.',
    );
    expect(body).not.toContain('WHAT NEEDS A PERSON');
  });

  it('lists escalated paths under "needs a person" with their history and a command', () => {
    // Prepare
    const report = emptyReport({
      records: [record(0)],
      outcomes: [],
      plan: { tasks: [task()], unplanned: [], awaitingMapping: [] },
      escalated: [
        {
          fileSystemId: FS,
          path: 'ns1/a.bin',
          taskIds: ['task-00000000000000001', 'task-00000000000000002', 'task-00000000000000003'],
          lastAttemptAt: '2025-11-25T11:00:00.000Z',
          reportPath: 's3://bucket/prefix/fsx-export-analyzer-reports',
        },
      ],
    });

    // Act
    const publication = renderEmail(report);

    // Assess
    const text = flat(publication.body);
    expect(publication.subject).toBe(
      `FSx export failures on ${FS}: 1 failed, 0 re-exported, 1 needs a person`,
    );
    expect(publication.attributes['needsPerson']).toBe('true');
    expect(publication.body).toContain('WHAT NEEDS A PERSON');
    expect(text).toContain(
      '1 path failed again after repeated re-exports and will not be re-exported automatically any more.',
    );
    expect(text).toContain(
      '3 re-exports: task-00000000000000001, task-00000000000000002, task-00000000000000003; last at 2025-11-25T11:00:00.000Z.',
    );
    expect(publication.body).toContain(
      '      Failures: s3://bucket/prefix/fsx-export-analyzer-reports/task-00000000000000003/failures.csv',
    );
    expect(publication.body).toContain(
      "    aws fsx create-data-repository-task --file-system-id fs-0123456789abcdef0 --type EXPORT_TO_REPOSITORY --paths 'ns1/a.bin' --report Enabled=true,Path=s3://bucket/prefix/fsx-export-analyzer-reports,Format=REPORT_CSV_20191124,Scope=FAILED_FILES_ONLY",
    );
    // A ledger run that escalated every task has no outcomes; its plan is not shown as planned.
    expect(publication.body).not.toContain('Would start');
  });

  it('lists at most 50 tasks', () => {
    // Prepare
    const tasks = Array.from({ length: 55 }, (_, index) =>
      task({ clientRequestToken: `fea-${String(index).padStart(3, '0')}` }),
    );
    const report = emptyReport({
      dryRun: true,
      plan: { tasks, unplanned: [], awaitingMapping: [] },
      outcomes: tasks.map((planned) => ({ status: 'planned', task: planned })),
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(body).toContain('Token: fea-049');
    expect(body).not.toContain('fea-050');
    expect(body).toContain('and 5 more tasks: fsx-export-analyzer analyze --json lists every one.');
  });

  it("names the analyzer's log for the tasks past the 50th of a live run, which analyze would plan again", () => {
    // Prepare
    const tasks = Array.from({ length: 55 }, (_, index) =>
      task({ clientRequestToken: `fea-${String(index).padStart(3, '0')}` }),
    );
    const report = emptyReport({
      dryRun: false,
      plan: { tasks, unplanned: [], awaitingMapping: [] },
      outcomes: tasks.map((started, index) => ({
        status: 'started',
        task: started,
        taskId: `task-${index}`,
        lifecycle: 'PENDING',
      })),
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(body).toContain(
      '\nand 5 more tasks: the analyzer\'s log lists every one with its paths\n("Re-export" lines, at log level INFO or finer).\n',
    );
    expect(body).not.toContain('analyze --json');
  });

  it('lists the tasks left to a person first, so none is past the 50th', () => {
    // Prepare: 52 started tasks, then a refused and a deferred one, the 53rd and 54th in plan order.
    const report = startedThenRefusedReport();

    // Act
    const { body } = renderEmail(report);

    // Assess
    const reexports = body.slice(body.indexOf('RE-EXPORTS\n'));
    expect(reexports).toContain(
      `\n54 tasks: 52 started, 1 refused, 1 deferred.\n\n* Refused by FSx on ${FS}: 1 path (account 123456789012).\n  Token: fea-refused\n  BadRequest: the path is outside every data repository association\n`,
    );
    expect(reexports).toContain('\n  Token: fea-deferred\n  busy files wait 300 s\n');
    expect(reexports.indexOf('fea-deferred')).toBeLessThan(reexports.indexOf('fea-start-1\n'));
    expect(reexports).toContain('Token: fea-start-48\n');
    expect(reexports).not.toContain('fea-start-49');
    expect(reexports).toContain("\nand 4 more tasks: the analyzer's log lists every one");
  });

  it("counts every task, those past the 50th too, and gives a file system's note once", () => {
    // Prepare: the first 50 tasks are all ones the Lambda would refuse, with the same note.
    const report = refusedThenStartingReport();

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(body).toContain('\n72 tasks: 12 planned, 60 would be refused.\n');
    expect(body.split('Note: no S3 association')).toHaveLength(2);
    expect(body.split(`  Note: as for the first task on ${FS}.\n`)).toHaveLength(50);
    expect(body).toContain(
      'and 22 more tasks: fsx-export-analyzer analyze --json lists every one.',
    );
  });

  it('groups retryable failures that could not be planned by reason, apart from those the Lambda maps', async () => {
    // Prepare
    const keyOnly = ['x', 'y', 'z'].map((name) => ({
      message: `Failed to export S3 object with key pre/${name}.bin in S3 bucket bkt due to an internal error.`,
    }));
    const report = await reportOf([
      batch([...keyOnly, { message: json('S3ExportInternalError', '/ns1/../etc/passwd') }]),
    ]);

    // Act
    const publication = renderEmail(report);

    // Assess
    const text = flat(publication.body);
    expect(text).toContain('Not re-exported: 1 retryable failure could not be planned.');
    expect(text).toContain('* 1 x path contains ".."');
    expect(publication.body).toContain(
      `  File system ${FS}, account 123456789012: 1 failure\n    ns1/../etc/passwd\n`,
    );
    // The note under the table counts them; the person section says why, not how many again.
    expect(text).toContain(
      '* 1 of 4 transient records could not be re-exported: see RE-EXPORTS below.',
    );
    expect(text).toContain(
      '* Why 1 of 4 transient records could not be re-exported: path contains "..", which leaves the file system root. See RE-EXPORTS below.',
    );
    expect(text).not.toContain('1 retryable failure could not be re-exported');
    expect(text).toContain(
      'Re-exported once mapped: 3 retryable failures name only an S3 key. The Lambda maps keys to paths',
    );
    expect(publication.attributes).toMatchObject({ needsPerson: 'true' });
  });

  it('names the three largest reasons records were not re-exported, with their counts, under "needs a person"', async () => {
    // Prepare: four reasons, the '..' path the most frequent.
    const report = await reportOf([
      batch([
        { message: json('S3ExportInternalError', '/ns1/../a') },
        { message: json('S3ExportInternalError', '/ns1/../b') },
        { message: json('S3ExportInternalError', '/ns1/../c') },
        { message: json('S3ExportInternalError', '/') },
        { message: json('S3ExportInternalError', '/') },
        { message: json('S3ExportInternalError', `/${'d'.repeat(5000)}`) },
        { message: '{"errorCode":"S3ExportInternalError","level":"ERROR"}' },
      ]),
    ]);

    // Act
    const text = flat(renderEmail(report).body);

    // Assess
    expect(text).toContain(
      '* Why 7 of 7 transient records could not be re-exported: path contains "..", which leaves the file system root (3); path is the file system root; not re-exported whole (2);',
    );
    expect(text).toContain('; 1 more reason. See RE-EXPORTS below.');
    expect(text).toContain('* 7 of 7 transient records could not be re-exported');
  });

  it('shows at most five truncated unparseable samples', async () => {
    // Prepare
    const events = Array.from({ length: 6 }, (_, index) => ({
      message: `${index}${'x'.repeat(1_000)}`,
    }));
    const report = await reportOf([batch(events)]);

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(body).toContain('Examples (5 of 6):');
    expect(body).toContain(`    4${'x'.repeat(99)}…`);
    expect(body).not.toContain(`    5${'x'.repeat(99)}`);
    expect(body).not.toContain('x'.repeat(201));
    expect(flat(body)).toContain('6 log events could not be read as FSx records');
  });

  it('links every source to the CloudWatch console with its own encoding', async () => {
    // Prepare
    const report = await reportOf([
      batch([{ message: json('S3ExportAccessDenied', '/ns1/a.bin') }]),
    ]);

    // Act
    const withRegion = renderEmail(report).body;
    const withoutRegion = renderEmail({ ...report, region: undefined }).body;

    // Assess
    expect(withRegion).toContain(
      '  Console:    https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Ffsx$252Flustre/log-events/datarepo_fs-0123456789abcdef0\n',
    );
    expect(withRegion).toContain(
      '* Log group:  /aws/fsx/lustre\n  Log stream: datarepo_fs-0123456789abcdef0\n  Account:    123456789012',
    );
    expect(withoutRegion).not.toContain('https://');
  });

  it('lets no control character, escape sequence or bidi override into the email', () => {
    // Prepare
    const hostileTask = task({
      fileSystemId: `fs-1${HOSTILE}`,
      paths: [`ns1/${HOSTILE}`, "ns1/it's.bin"],
      clientRequestToken: `fea-${HOSTILE}`,
      reportPath: `s3://b/${HOSTILE}`,
      delaySeconds: 300,
    });
    const report = emptyReport({
      generatedAt: `2025${HOSTILE}`,
      events: 4,
      sources: [{ owner: HOSTILE, logGroup: `/g${HOSTILE}`, logStream: `s${HOSTILE}`, events: 4 }],
      records: [
        record(0, {
          class: 'unknown',
          code: `Code${HOSTILE}`,
          fileSystemId: `fs-2${HOSTILE}`,
          path: `/ns1/${HOSTILE}`,
          logStream: `s${HOSTILE}`,
        }),
        record(1, {
          class: 'permission',
          code: 'S3ExportAccessDenied',
          path: undefined,
          s3Key: HOSTILE,
          bucket: HOSTILE,
        }),
      ],
      unparseable: [
        unparseable(2, { reason: `r${HOSTILE}`, sample: `x${HOSTILE}`, eventId: HOSTILE }),
      ],
      plan: {
        tasks: [hostileTask],
        unplanned: [
          {
            fileSystemId: HOSTILE,
            eventId: HOSTILE,
            class: 'transient',
            target: HOSTILE,
            reason: HOSTILE,
          },
        ],
        awaitingMapping: [],
      },
      outcomes: [
        { status: 'deferred', task: hostileTask, reason: HOSTILE },
        { status: 'refused', task: hostileTask, error: HOSTILE, reason: HOSTILE, retryLater: true },
        { status: 'started', task: hostileTask, taskId: HOSTILE, lifecycle: HOSTILE },
      ],
    });

    // Act
    const publication = renderEmail(report);

    // Assess
    expect(publication.body).not.toMatch(FORBIDDEN);
    expect(publication.body).not.toMatch(LONE_SURROGATE);
    expect(publication.body).toContain(
      'Code\\x1b[2J\\x1b]0;x\\x07\\x0d\\x0aBcc: a@b.c\\x00\\u2028\\u202egnp.exe',
    );
    expect(publication.body).toContain(
      "$'ns1/\\x1b[2J\\x1b]0;x\\x07\\x0d\\x0aBcc: a@b.c\\x00\\u2028\\u202egnp.exe\\u0085\\u2066\\ud800'",
    );
    expect(publication.body).toContain("'ns1/it'\\''s.bin'");
    expectSafeSubject(publication.subject);
    expectSafeAttributes(publication);
  });

  it("prints a planned task's note under it, sanitised", () => {
    // Prepare
    const report = plannedReport(`${FS} is not in dra${HOSTILE}.json`);

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(flat(body)).toMatch(
      new RegExp(
        `\\* Would start on ${FS}: 1 path\\. Token: \\S+ ns1/a\\.bin Note: ${FS} is not in dra\\\\x1b`,
      ),
    );
    expect(body).not.toMatch(FORBIDDEN);
  });

  it('says a planned task the Lambda would refuse would be refused', () => {
    // Prepare
    const report = plannedReport('no S3 association', 'NoReportPath');

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(flat(body)).toContain(
      `* Would be refused on ${FS} (account 123456789012): 1 path (NoReportPath, see the note). Token:`,
    );
    expect(flat(body)).not.toContain('Would start');
  });

  it('counts a dry-run task the Lambda would refuse as needing a person, not as to re-export', () => {
    // Prepare
    const report = plannedReport('no S3 association', 'NoReportPath');

    // Act
    const { subject, body, attributes } = renderEmail(report);

    // Assess
    expect(subject).toBe(
      `[dry run] FSx export failures on ${FS}: 1 failed, 0 to re-export, 1 needs a person`,
    );
    expect(body).toContain(
      '1 FSx data repository failure: 0 paths to re-export, 1 path needs a person.',
    );
    expect(body).toMatch(/ {2}transient +1 +1 +1 {2}would not be re-exported \*\n/);
    expect(flat(body)).toContain(
      '* 1 of 1 transient record would not be re-exported: the Lambda would refuse its task; see RE-EXPORTS below.',
    );
    expect(flat(body)).toContain(
      'WHAT NEEDS A PERSON ------------------- * The Lambda would refuse 1 re-export task (1 path): see RE-EXPORTS below.',
    );
    expect(body).toContain('1 task: 1 would be refused.');
    expect(attributes['needsPerson']).toBe('true');
  });

  it('names only the classes that could not be planned in the "Why" line, not those of refused tasks', async () => {
    // Prepare: the transient record's path has "..": never planned; the busy record's task would
    // be refused for want of a report path, which marks its class for another reason.
    const planned = await reportOf([
      batch([
        { message: json('S3ExportInternalError', '/ns1/../etc/passwd') },
        { message: json('S3ExportResourceBusy', '/ns1/w.bin') },
      ]),
    ]);
    const report: Report = {
      ...planned,
      outcomes: planned.plan.tasks.map(
        (each): TaskOutcome => ({
          status: 'planned',
          task: each,
          note: 'no S3 association',
          refusal: 'NoReportPath',
        }),
      ),
    };

    // Act
    const text = flat(renderEmail(report).body);

    // Assess
    expect(text).toContain(
      '* 1 of 1 transient record could not be re-exported: see RE-EXPORTS below. 1 of 1 busy record would not be re-exported: the Lambda would refuse its task; see RE-EXPORTS below.',
    );
    expect(text).toContain(
      '* Why 1 of 1 transient record could not be re-exported: path contains "..", which leaves the file system root.',
    );
    expect(text).not.toContain('classes marked * above');
  });

  it('says what "need a person" counts in the headline: records, paths, or both', async () => {
    // Prepare: one permission record (a person acts on it) and a busy task FSx refused (its path
    // a person re-exports).
    const planned = await reportOf([
      batch([
        { message: json('S3ExportAccessDenied', '/ns1/p.bin') },
        { message: json('S3ExportResourceBusy', '/ns1/w.bin') },
        { message: json('S3ExportResourceBusy', '/ns1/v.bin') },
      ]),
    ]);
    const refused = withOutcomes(planned, (each) => ({
      status: 'refused',
      task: each,
      error: 'BadRequest',
      reason: 'refused',
      retryLater: false,
    }));

    // Act
    const { subject, body } = renderEmail(refused);

    // Assess
    // The subject keeps the bare total (paths and records alike); the headline names both.
    expect(subject).toBe(`FSx export failures on ${FS}: 3 failed, 0 re-exported, 3 need a person`);
    expect(flat(body)).toContain(
      '3 FSx data repository failures: 0 paths re-exported, 3 need a person (1 record, 2 paths).',
    );
    expect(flat(body)).toContain('* FSx refused 1 re-export task (2 paths): see RE-EXPORTS below.');
  });

  it('names the file systems --associations FILE leaves out under "Re-exported once mapped", sanitised', () => {
    // Prepare
    const awaiting = {
      fileSystemId: FS,
      eventId: 'ev-1',
      class: 'transient' as const,
      target: 's3://b/k',
      reason: 'only an S3 key is known',
    };
    const report = emptyReport({
      dryRun: true,
      records: [record(0)],
      plan: {
        tasks: [],
        unplanned: [],
        awaitingMapping: [awaiting],
        awaitingMappingNotes: [`${FS} is not in dra${HOSTILE}.json`],
      },
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(flat(body)).toContain(
      `Re-exported once mapped: 1 retryable failure names only an S3 key. The Lambda maps keys to paths with the file system's data repository associations, which it reads from FSx, and re-exports them; this dry run could not map them: ${FS} is not in dra\\x1b`,
    );
    expect(body).not.toContain('did not read them');
    expect(body).not.toMatch(FORBIDDEN);
  });

  it('marks a class whose records could not all be re-exported, with a note under the table', async () => {
    // Prepare
    const report = await partlyUnplannedReport();

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(classRows(body)).toEqual([
      '  transient        2      2             1  would be re-exported *',
      '  busy             1      1             1  would not be re-exported *',
      '  * 1 of 2 transient records and 1 of 1 busy record could not be',
      '    re-exported: see RE-EXPORTS below.',
    ]);
    expect(body).toContain('\nRE-EXPORTS\n');
  });

  it('marks a class whose paths were escalated, and sends the reader to WHAT NEEDS A PERSON', async () => {
    // Prepare
    const report = await escalatedReport();

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(classRows(body)).toEqual([
      '  transient        3      2             1  re-exported *',
      '  busy             1      1             1  not re-exported *',
      '  * 2 of 3 transient records and 1 of 1 busy record reached the re-export',
      '    limit: see WHAT NEEDS A PERSON below.',
    ]);
    expect(body).toContain('\nWHAT NEEDS A PERSON\n');
  });

  it('stays under the SNS size limit with 10,000 long paths and 10,000 unknown codes', () => {
    // Prepare
    const filler = 'p'.repeat(4_000);
    const retryable = Array.from({ length: 10_000 }, (_, index) =>
      record(index, { path: `/ns1/${index}/${filler}`.slice(0, 4_000) }),
    );
    const unknown = Array.from({ length: 10_000 }, (_, index) =>
      record(10_000 + index, {
        class: 'unknown',
        code: `Unknown${index}\u00e9`,
        path: `/ns2/${index}/${filler}`.slice(0, 4_000),
      }),
    );
    const records = [...retryable, ...unknown];
    const plan = planReexports(records, {
      maxPathsPerTask: 100,
      busyDelaySeconds: 300,
      reportPath: undefined,
      associations: new Map(),
      associationErrors: new Map(),
    });
    const report = emptyReport({
      dryRun: true,
      events: records.length,
      records,
      plan,
      outcomes: plan.tasks.map((planned) => ({ status: 'planned', task: planned })),
    });

    // Act
    const publication = renderEmail(report);

    // Assess
    expect(plan.tasks).toHaveLength(100);
    expect(Buffer.byteLength(publication.body, 'utf8')).toBeLessThanOrEqual(250_000);
    expect(publicationBytes(publication)).toBeLessThan(262_144);
    expect(publication.body).toContain('Read 20000 log events: 20000 FSx records, 0 unparseable.');
    expect(publication.body).toContain('  and 9981 more codes');
    expect(publication.body).toContain(
      'and 50 more tasks: fsx-export-analyzer analyze --json lists every one.',
    );
    expect(publication.body).toContain('and 9990 more codes');
    expect(publication.body).not.toContain('[truncated');
    expectSafeSubject(publication.subject);
  });

  it('cuts an oversized body at a line boundary and says so', () => {
    // Prepare
    // Every deferred task's command names one 4,000-character path of emoji and bidi
    // characters, so 50 of them cannot fit and the last guard has to cut.
    const tasks = Array.from({ length: 60 }, (_, index) =>
      task({
        clientRequestToken: `fea-${index}`,
        delaySeconds: 300,
        paths: Array.from(
          { length: 100 },
          (_, n) => `${index}/${n}/${'\u{1f600}\u202e'.repeat(1_330)}`,
        ),
      }),
    );
    const report = emptyReport({
      plan: { tasks, unplanned: [], awaitingMapping: [] },
      outcomes: tasks.map((deferred) => ({ status: 'deferred', task: deferred, reason: 'busy' })),
    });

    // Act
    const publication = renderEmail(report);

    // Assess
    const bytes = Buffer.byteLength(publication.body, 'utf8');
    expect(bytes).toBeLessThanOrEqual(250_000);
    expect(bytes).toBeGreaterThan(200_000);
    expect(publication.body).toContain(
      `with --log-group or --file-system-id as needed (docs/cli.md#scan).]\n\nSent by fsx-export-analyzer ${packageJson.version} at 2025-11-25T12:30:00.000Z.`,
    );
    expect(publication.body).not.toMatch(LONE_SURROGATE);
    expect(publication.body).not.toMatch(FORBIDDEN);
    expect(Buffer.from(publication.body, 'utf8').toString('utf8')).toBe(publication.body);
    expect(publicationBytes(publication)).toBeLessThan(262_144);
  });

  it('sets the message attributes for filter policies', async () => {
    // Prepare
    const report = withOutcomes(
      await reportOf([batch([{ message: json('S3ExportInternalError', '/ns1/a.bin') }])]),
      (planned) => startedOutcome(planned, 'task-1'),
    );

    // Act
    const publication = renderEmail(report);

    // Assess
    expect(publication.attributes).toEqual({
      fileSystemId: FS,
      fileSystemIds: [FS],
      mostSevereClass: 'transient',
      classes: ['transient'],
      needsPerson: 'false',
      dryRun: 'false',
    });
    expect(publication.body).not.toContain('WHAT NEEDS A PERSON');
    expect(publication.subject).toBe(
      'FSx export failures on fs-0123456789abcdef0: 1 failed, 1 re-exported, 0 need a person',
    );
  });

  it('marks a log group the input did not name as assumed under WHERE TO LOOK', async () => {
    // Prepare
    const lines = { ...batch([{ message: 'not an FSx record' }]), logGroupAssumed: true as const };
    const named = batch([{ message: 'not an FSx record' }]);

    // Act
    const assumed = renderEmail(await reportOf([lines], { region: undefined })).body;
    const known = renderEmail(await reportOf([named], { region: undefined })).body;

    // Assess
    expect(assumed).toContain(
      '* Log group:  /aws/fsx/lustre (assumed)\n  Log stream: datarepo_fs-0123456789abcdef0\n  Account:    123456789012\n(assumed): the input names no log group; --log-group sets it.\n',
    );
    expect(known).toContain('* Log group:  /aws/fsx/lustre\n');
    expect(known).not.toContain('assumed');
  });

  it('gives a log group or stream too long for its line a line of its own under WHERE TO LOOK', () => {
    // Prepare: a log group and a stream that do not fit after their labels in 76 columns.
    const logGroup = `/aws/fsx/${'a'.repeat(90)}`;
    const logStream = `datarepo_${FS}-${'s'.repeat(60)}`;
    const report = emptyReport({
      region: undefined,
      events: 1,
      records: [record(0)],
      sources: [
        { owner: '123456789012', logGroup, logGroupAssumed: true, logStream, events: 1 },
        {
          owner: '123456789012',
          logGroup: '/aws/fsx/lustre',
          logStream: `datarepo_${FS}`,
          events: 1,
        },
      ],
    });

    // Act
    const { body } = renderEmail(report);

    // Assess: whole, as a person copies them; short names stay after their labels.
    expect(body).toContain(
      `\n* Log group (assumed):\n    ${logGroup}\n  Log stream:\n    ${logStream}\n  Account:    123456789012\n`,
    );
    expect(body).toContain(`\n* Log group:  /aws/fsx/lustre\n  Log stream: datarepo_${FS}\n`);
  });

  it('cuts at 76 columns a long log group that cannot be copied as shown', () => {
    // Prepare: escaped control characters make it no name a command takes as shown.
    const logGroup = `/aws/fsx/${'\u001b'.repeat(30)}`;
    const report = emptyReport({
      region: undefined,
      events: 1,
      records: [record(0)],
      sources: [{ owner: '123456789012', logGroup, logStream: `datarepo_${FS}`, events: 1 }],
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    const where = body.slice(body.indexOf('WHERE TO LOOK'));
    expect(where).toContain('\n* Log group:\n    /aws/fsx/\\x1b\\x1b');
    for (const line of where.split('\n')) expect(line.length).toBeLessThanOrEqual(76);
    expect(where.replace(/\n {4}/g, '')).toContain(`/aws/fsx/${'\\x1b'.repeat(30)}`);
  });

  it('wraps prose at 76 columns', async () => {
    // Prepare
    const report = withOutcomes(
      await reportOf([
        batch([
          { message: json('S3ExportAccessDenied', '/ns1/a.bin') },
          { message: json('S3ExportResourceBusy', '/ns1/b.bin') },
          { message: json('S3CompletionReportUploadFailure', '/ns1/c.bin') },
          { message: 'garbage' },
        ]),
      ]),
      (planned) => ({
        status: 'deferred',
        task: planned,
        reason: `busy files wait ${'long '.repeat(40)}`,
      }),
    );

    // Act
    const { body } = renderEmail(report);

    // Assess
    const prose = body
      .split('\n')
      .filter(
        (line) =>
          !line.includes('https://') &&
          !line.startsWith('    aws fsx ') &&
          !line.startsWith('    fsx-export-analyzer reexport '),
      );
    expect(prose.length).toBeGreaterThan(20);
    for (const line of prose) expect(line.length).toBeLessThanOrEqual(76);
    expect(body).not.toMatch(/ \n/);
  });
});

describe('Function: renderEmail, the command after a fix', () => {
  it('gives the reexport command under access denied, on a line of its own, and none under limits', async () => {
    // Prepare: the last failure at 12:00:00.002; --until excludes its bound.
    const report = await reportOf(
      [
        batch([
          { message: json('S3ExportAccessDenied', '/ns1/a.bin') },
          { message: json('S3ExportAccessDenied', '/ns1/b.bin') },
          { message: json('S3ExportFileSizeTooLarge', '/ns1/big.bin') },
        ]),
      ],
      { dryRun: false },
    );

    // Act
    const { body } = renderEmail(report);

    // Assess
    const person = body.slice(
      body.indexOf('WHAT NEEDS A PERSON'),
      body.indexOf('FAILURES BY CODE'),
    );
    const command = `fsx-export-analyzer reexport --class permission --log-group /aws/fsx/lustre --file-system-id ${FS} --since 2025-11-25T12:00:00Z --until 2025-11-25T12:00:01Z --region eu-west-1`;
    expect(person).toContain(
      `    ns1/b.bin\n\n  After the fix, re-export them (the command asks before it starts):\n    ${command}\n\n* S3 limits exceeded`,
    );
    expect(person.match(/fsx-export-analyzer reexport/g)).toHaveLength(1);
  });

  it('gives no command when the events carry no time', () => {
    // Prepare
    const report = emptyReport({
      events: 1,
      records: [
        record(0, { class: 'permission', code: 'S3ExportAccessDenied', timestamp: undefined }),
      ],
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    expect(body).toContain('Access denied');
    expect(body).not.toContain('After the fix');
    expect(body).not.toContain('fsx-export-analyzer reexport');
  });

  it('names the log that lists the paths a by-hand command leaves out: the analyzer logs them', () => {
    // Prepare: a refused and a deferred task of 12 paths each; the command names 10.
    const paths = Array.from({ length: 12 }, (_, index) => `ns1/p-${index}.bin`);
    const refused = task({ paths, clientRequestToken: 'fea-refused' });
    const deferred = task({ paths, clientRequestToken: 'fea-deferred', delaySeconds: 300 });
    const report = emptyReport({
      plan: { tasks: [refused, deferred], unplanned: [], awaitingMapping: [] },
      outcomes: [
        {
          status: 'refused',
          task: refused,
          error: 'AccessDenied',
          reason: 'denied',
          retryLater: false,
        },
        { status: 'deferred', task: deferred, reason: 'busy' },
      ],
    });

    // Act
    const { body } = renderEmail(report);

    // Assess
    const note =
      "(The command names the first 10 of 12 paths; run it again with the others, listed in the analyzer's log.)";
    expect(flat(body).split(note)).toHaveLength(3);
    // What the note promises: the analyzer's log line of each task lists every path.
    const logged = reportLog(report).filter((line) => line.message.startsWith('Re-export '));
    expect(logged.map((line) => line.fields?.['pathList'])).toEqual([paths, paths]);
  });
});

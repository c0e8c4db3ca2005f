import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { renderOutcomeEmail, renderRetrierEmail } from '../../../lib/reexport/email.ts';
import type { FinishedTask, OutcomeReport } from '../../../lib/reexport/outcomes.ts';
import { interpretReport } from '../../../lib/reexport/report.ts';
import { retrierLog } from '../../../lib/reexport/telemetry.ts';
import {
  describeCode,
  endedTasks,
  reportedTasks,
  taskStatus,
  trackedTask,
} from '../../helpers/fake-ports.ts';
import { FS } from '../../helpers/fixtures.ts';
import { retrierReport, task } from '../../helpers/reports.ts';

const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = '\u001b[2J\r\nBcc: a@b.c\u202egnp.exe';
const REPORT = 's3://bucket/prefix/fsx-export-analyzer-reports';
const T1 = 'task-00000000000000001';
const T2 = 'task-00000000000000002';

function flat(body: string): string {
  return body.replace(/\s+/g, ' ');
}

function outcomeReport(overrides: Partial<OutcomeReport> = {}): OutcomeReport {
  return {
    generatedAt: '2026-11-25T12:00:00.000Z',
    region: 'eu-west-1',
    finished: [],
    stillOpen: 0,
    ...overrides,
  };
}

/** Paths of 4,000 characters of emoji and bidi overrides: 50 tasks of them cannot fit. */
function hostilePaths(task: number, count = 100): string[] {
  return Array.from({ length: count }, (_, n) => `${task}/${n}/${'\u{1f600}\u202e'.repeat(1_330)}`);
}

describe('Function: renderRetrierEmail', () => {
  it("ends a cut body with where the rest is: the retrier's own log, not the analyzer's", () => {
    // Prepare
    const refused = Array.from({ length: 60 }, (_, index) => ({
      task: task({ clientRequestToken: `fea-${index}`, paths: hostilePaths(index) }),
      error: 'BadRequest',
      reason: 'outside every association',
      messages: 1,
    }));

    // Act
    const publication = renderRetrierEmail(retrierReport({ messages: 60, refused }));

    // Assess
    expect(Buffer.byteLength(publication.body, 'utf8')).toBeLessThanOrEqual(250_000);
    expect(publication.body).toContain(
      [
        "[truncated at the SNS size limit. The retrier's log has one line per",
        're-export task it started, refused or dead-lettered, with every path, one',
        'per file system sent back to wait, and every path escalated to a person',
        '(docs/operate.md#the-functions-own-logs-and-metrics).]',
        '',
        'Sent by fsx-export-analyzer',
      ].join('\n'),
    );
    expect(publication.body).not.toContain("The analyzer's log has one line per");
  });

  it('reports the tasks it started, and that the outcome follows separately', () => {
    // Prepare
    const started = task({ clientRequestToken: 'fea-r1', paths: ['ns1/a', 'ns1/b'] });
    const report = retrierReport({
      messages: 3,
      started: [{ task: started, taskId: T1, lifecycle: 'PENDING', messages: 3 }],
      waiting: [{ fileSystemId: 'fs-0fedcba9876543210', messages: 2, reason: 'a task is running' }],
    });

    // Act
    const publication = renderRetrierEmail(report);

    // Assess
    expect(publication.subject).toBe(
      'FSx re-exports retried on fs-0123456789abcdef0: 1 task started, 0 need a person',
    );
    const text = flat(publication.body);
    expect(text).toContain(
      'The retrier took 3 queued re-exports: 1 task started (2 paths), 0 paths need a person, 2 messages back to the queue.',
    );
    expect(publication.body).toContain(
      [
        '',
        '  Re-exports  Paths  File systems  What happens',
        '  started         2             1  outcome follows',
        '  waiting         -             1  2 messages back to the queue',
        '',
        'RE-EXPORTS STARTED',
      ].join('\n'),
    );
    expect(text).toContain(
      `* Started task ${T1} on ${FS}: 2 paths from 3 queued messages (PENDING).`,
    );
    expect(publication.body).toContain('  Token: fea-r1');
    expect(publication.body).toContain(`  Completion report: ${REPORT}`);
    expect(text).toContain('How they end follows in a separate email from the outcome check');
    expect(text).toContain(
      '* fs-0fedcba9876543210: 2 messages back to the queue: a task is running',
    );
    expect(publication.body).not.toContain('WHAT NEEDS A PERSON');
    expect(publication.attributes).toEqual({
      summary: 'retrier',
      fileSystemId: FS,
      fileSystemIds: [FS],
      needsPerson: 'false',
      dryRun: 'false',
    });
  });

  it('puts escalations, permanent refusals and dead-lettered messages first, with commands', () => {
    // Prepare
    const refused = task({ clientRequestToken: 'fea-refused', paths: ['ns1/r'] });
    const dead = task({ clientRequestToken: 'fea-dead', paths: ['ns1/d1', 'ns1/d2'] });
    const report = retrierReport({
      messages: 4,
      escalated: [
        {
          fileSystemId: FS,
          path: 'ns1/e',
          taskIds: [T1, T2],
          lastAttemptAt: '2026-11-25T11:00:00.000Z',
          reportPath: REPORT,
        },
      ],
      refused: [{ task: refused, error: 'BadRequest', reason: 'path not found', messages: 1 }],
      deadLettered: [
        {
          messageId: 'msg-1',
          receiveCount: 5,
          task: dead,
          reason: 'a data repository task is running',
          deferredReason: 'busy',
          deferredAt: '2026-11-25T10:00:00.000Z',
        },
      ],
    });

    // Act
    const publication = renderRetrierEmail(report);

    // Assess
    expect(publication.subject).toBe(
      'FSx re-exports retried on fs-0123456789abcdef0: 0 tasks started, 4 need a person, 1 dead-lettered',
    );
    const body = publication.body;
    const text = flat(body);
    expect(body.indexOf('WHAT NEEDS A PERSON')).toBeLessThan(body.indexOf('Sent by'));
    // The shape first: what a person takes over, before any detail.
    const table = [
      '  Re-exports     Paths  File systems  What happens',
      '  escalated          1             1  a person must act',
      '  refused            1             1  a person must act',
      '  dead-lettered      2             1  a person must act',
    ].join('\n');
    expect(body).toContain(`\n\n${table}\n\nWHAT NEEDS A PERSON\n`);
    expect(text).toContain(`2 re-exports: ${T1}, ${T2}; last at 2026-11-25T11:00:00.000Z.`);
    expect(text).toContain(
      `FSx refused the re-export on ${FS} for good: 1 path from 1 queued message.`,
    );
    expect(text).toContain('BadRequest: path not found');
    expect(text).toContain('Dead-lettered: re-export by hand.');
    expect(text).toContain(
      `Message msg-1 on ${FS}: 2 paths, deferred at 2026-11-25T10:00:00.000Z (busy), received 5 times.`,
    );
    expect(body).toContain(
      "    aws fsx create-data-repository-task --file-system-id fs-0123456789abcdef0 --type EXPORT_TO_REPOSITORY --paths 'ns1/d1' 'ns1/d2' --report",
    );
    expect(body).toContain("--paths 'ns1/r' --report");
    expect(publication.attributes['needsPerson']).toBe('true');
  });

  it('names the file system of every item that needs a person, paths relative to its root', () => {
    // Prepare
    const other = 'fs-0fedcba9876543210';
    const report = retrierReport({
      messages: 3,
      escalated: [
        {
          fileSystemId: FS,
          path: 'ns1/e',
          taskIds: [T1],
          lastAttemptAt: undefined,
          reportPath: undefined,
        },
      ],
      refused: [
        {
          task: task({ fileSystemId: other, paths: ['ns1/r'] }),
          error: 'BadRequest',
          reason: 'path not found',
          messages: 1,
        },
      ],
      deadLettered: [
        {
          messageId: 'msg-1',
          receiveCount: 5,
          task: task({ fileSystemId: other, paths: ['ns2/d'] }),
          reason: 'busy',
          deferredReason: 'busy',
          deferredAt: '2026-11-25T10:00:00.000Z',
        },
      ],
    });

    // Act
    const { body } = renderRetrierEmail(report);

    // Assess
    const person = body.slice(body.indexOf('WHAT NEEDS A PERSON'), body.indexOf('Sent by'));
    const text = flat(person);
    expect(person).toContain(`  On ${FS}:\n    ns1/e\n`);
    expect(text).toContain(`FSx refused the re-export on ${other} for good`);
    expect(text).toContain(`Message msg-1 on ${other}: 1 path`);
    // Every path as FSx tasks take it: no leading slash anywhere.
    expect(person).not.toMatch(/'\/ns|^ +\/ns/m);
  });

  it('lets no control character or bidi override into the email', () => {
    // Prepare
    const report = retrierReport({
      started: [
        {
          task: task({ fileSystemId: `fs-1${HOSTILE}`, paths: [`ns1/${HOSTILE}`] }),
          taskId: `task-${HOSTILE}`,
          lifecycle: HOSTILE,
          messages: 1,
        },
      ],
      waiting: [{ fileSystemId: FS, messages: 1, reason: HOSTILE }],
    });

    // Act
    const publication = renderRetrierEmail(report);

    // Assess
    expect(publication.body).not.toMatch(FORBIDDEN);
    expect(publication.subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    for (const value of Object.values(publication.attributes).flat()) {
      expect(value).toMatch(/^[\x20-\x7e]+$/);
    }
  });
});

describe('Function: renderRetrierEmail and renderOutcomeEmail, organization mode', () => {
  const MEMBER = '222233334444';

  it("names a member account after each item's file system, and nothing for the home account", () => {
    // Prepare
    const started = task({ clientRequestToken: 'fea-r1', paths: ['ns1/a'] });
    const report = retrierReport({
      messages: 3,
      started: [
        { task: started, taskId: T1, lifecycle: 'PENDING', messages: 1, account: MEMBER },
        { task: started, taskId: T2, lifecycle: 'PENDING', messages: 1 },
      ],
      waiting: [
        { fileSystemId: 'fs-0fedcba9876543210', messages: 1, reason: 'role', account: MEMBER },
      ],
      escalated: [
        {
          fileSystemId: 'fs-0aaaaaaaaaaaaaaa1',
          path: 'ns1/x',
          taskIds: [T1],
          lastAttemptAt: '2026-11-25T11:00:00.000Z',
          reportPath: undefined,
          account: MEMBER,
        },
      ],
    });
    const [ended] = endedTasks(T1, T2, REPORT);
    const finished = ended as NonNullable<typeof ended>;
    const outcomes = outcomeReport({
      finished: [{ ...finished, tracked: { ...finished.tracked, account: MEMBER } }],
    });

    // Act
    const retrier = flat(renderRetrierEmail(report).body);
    const outcome = flat(renderOutcomeEmail(outcomes).body);

    // Assess
    expect(retrier).toContain(`* Started task ${T1} on ${FS} (account ${MEMBER}): 1 path`);
    expect(retrier).toContain(`* Started task ${T2} on ${FS}: 1 path`);
    expect(retrier).toContain(`* fs-0fedcba9876543210 (account ${MEMBER}): 1 message back`);
    expect(retrier).toContain(`On fs-0aaaaaaaaaaaaaaa1, account ${MEMBER}:`);
    expect(outcome).toContain(`on ${FS} (account ${MEMBER}): `);
  });
});

describe('Function: renderOutcomeEmail', () => {
  it("ends a cut body with where the rest is: the outcome check's log and the tasks' start lines", () => {
    // Prepare: 60 failed tasks whose completion reports list 21 long hostile paths each (one
    // report read once: reading it is what is slow, and it is not under test).
    const paths = hostilePaths(0, 21);
    const url = `${REPORT}/failures.csv`;
    const text = paths.map((path) => `${path},failed,S3AccessDenied`).join('\n');
    const bytes = Buffer.byteLength(text);
    const read = { ok: true as const, text, bytes, totalBytes: bytes, truncated: false };
    const report = interpretReport(url, read, paths, describeCode);
    const finished = Array.from({ length: 60 }, (_, index): FinishedTask => {
      const taskId = `task-${String(index).padStart(17, '0')}`;
      return {
        tracked: trackedTask(taskId, { paths }),
        lifecycle: 'FAILED',
        status: taskStatus(taskId, { lifecycle: 'FAILED', totalCount: 21, failedCount: 21 }),
        failuresCsv: url,
        report,
      };
    });

    // Act
    const publication = renderOutcomeEmail(outcomeReport({ finished }));

    // Assess
    expect(Buffer.byteLength(publication.body, 'utf8')).toBeLessThanOrEqual(250_000);
    expect(publication.body).toContain(
      [
        "[truncated at the SNS size limit. The outcome check's log has one line",
        'per task that ended ("Re-export ended": taskId, counts, failuresCsv); the',
        '"Re-export started" line with the same taskId, in the analyzer\'s or the',
        "retrier's log, lists the task's paths",
        '(docs/operate.md#the-functions-own-logs-and-metrics).]',
        '',
        'Sent by fsx-export-analyzer',
      ].join('\n'),
    );
    expect(publication.body).not.toContain("The analyzer's log has one line per");
  });

  it('lists failed tasks first with counts, details and the failures.csv location', () => {
    // Prepare
    const report = outcomeReport({
      stillOpen: 2,
      finished: endedTasks(T1, T2, REPORT),
    });

    // Act
    const publication = renderOutcomeEmail(report);

    // Assess
    expect(publication.subject).toBe(
      'FSx re-export outcomes on fs-0123456789abcdef0: 1 failed, 1 succeeded',
    );
    const body = publication.body;
    const text = flat(body);
    expect(text).toContain(
      '2 re-export tasks ended: 1 failed, 1 succeeded. 2 tasks still running, reported when they end.',
    );
    expect(body.indexOf(T2)).toBeLessThan(body.indexOf(T1));
    const table = [
      '  Result     Tasks  Paths  Failed files  File systems',
      '  failed         1      4             3             1',
      '  succeeded      1      1             0             1',
    ].join('\n');
    expect(body).toContain(`\n\n${table}\n\nWHAT NEEDS A PERSON\n`);
    expect(text).toContain(`* Task ${T2} on ${FS}: FAILED. 4 files, 1 exported, 3 failed.`);
    expect(text).toContain('FSx: Some files could not be exported');
    expect(body).toContain(`  Failed files: ${REPORT}/${T2}/failures.csv`);
    expect(body).toContain(`    aws s3 cp ${REPORT}/${T2}/failures.csv -`);
    expect(text).toContain('Its paths already count as attempts in the ledger');
    expect(body).toContain('    ns1/c\n    and 1 more path\n');
    expect(text).toContain(`* Task ${T1} on ${FS}: SUCCEEDED. 10 files, 10 exported, 0 failed.`);
    expect(text).toContain(
      'Started by a person (fsx-export-analyzer reexport) at 2026-11-25T11:00:00.000Z for 1 path; ended at',
    );
    expect(publication.attributes).toMatchObject({ summary: 'outcomes', needsPerson: 'true' });
  });

  it('says when FSx no longer knows a task', () => {
    // Prepare
    const report = outcomeReport({
      finished: [
        {
          tracked: trackedTask(T1),
          lifecycle: 'UNKNOWN',
          status: undefined,
          failuresCsv: `${REPORT}/${T1}/failures.csv`,
        },
      ],
    });

    // Act
    const publication = renderOutcomeEmail(report);

    // Assess
    expect(publication.subject).toBe('FSx re-export outcomes on fs-0123456789abcdef0: 1 unknown');
    expect(flat(publication.body)).toContain('FSx no longer knows this task');
  });

  it('counts several file systems in the subject and stays within SNS limits', () => {
    // Prepare
    const finished = Array.from({ length: 120 }, (_, index) => ({
      tracked: trackedTask(`task-${String(index).padStart(17, '0')}`, {
        fileSystemId: `fs-${String(index % 3).padStart(17, '0')}`,
        paths: [`ns1/${'x'.repeat(4000)}`],
      }),
      lifecycle: 'SUCCEEDED',
      status: taskStatus(`task-${String(index).padStart(17, '0')}`),
      failuresCsv: undefined,
    }));

    // Act
    const publication = renderOutcomeEmail(outcomeReport({ finished }));

    // Assess
    expect(publication.subject).toBe('FSx re-export outcomes on 3 file systems: 120 succeeded');
    expect(Buffer.byteLength(publication.body)).toBeLessThan(250_000);
    expect(publication.body).toContain('and 70 more tasks.');
  });
});

describe('Function: renderOutcomeEmail, with completion reports read back', () => {
  it('lists the files that still failed per code with their class and hint, and the escalated paths with a command', () => {
    // Prepare
    const report = outcomeReport({ finished: reportedTasks(T2, REPORT) });

    // Act
    const publication = renderOutcomeEmail(report);

    // Assess
    const body = publication.body;
    const text = flat(body);
    expect(text).toContain(
      '3 files still failed; 1 of them is a path this task re-exported: it failed again, so it is escalated to a person with the error code below instead of re-exported again:',
    );
    expect(text).toContain('S3AccessDenied (permission): 1 file. FSx was denied s3:PutObject.');
    expect(body).toContain('      ns1/a.bin  (failed again: escalated)');
    expect(text).toContain('ResourceBusy (busy): 1 file.');
    expect(body).toContain('      ns1/b.log  (failed again: retried up to the attempt limit)');
    expect(text).toContain('FileSizeTooLarge (limit): 1 file.');
    expect(body).toContain('      ns1/c/inside.dat\n');
    expect(text).toContain(
      '1 row could not be read and is not listed (line 4: 1 field instead of 3).',
    );
    expect(body).toContain(`    aws s3 cp ${REPORT}/${T2}/failures.csv -`);
    expect(body).toContain("--paths 'ns1/a.bin' --report");
    expect(text).not.toContain('Its paths already count as attempts');
    expect(publication.attributes).toMatchObject({ needsPerson: 'true' });
  });

  it.each([
    ['NoSuchKey', 'there is no failures.csv at that address'],
    [
      'AccessDenied',
      "the outcome check may not read it: its role's s3:GetObject covers the report folder only",
    ],
    ['KmsDenied', 'the report is encrypted with a KMS key the outcome check'],
    ['Throttled', 'S3 throttled the read (SlowDown)'],
  ])(
    'says plainly that a report could not be read (%s), with the command to fetch it',
    (error, meaning) => {
      // Prepare
      const [, unreadable] = reportedTasks(T2, REPORT, error);
      const report = outcomeReport({ finished: [unreadable as NonNullable<typeof unreadable>] });

      // Act
      const { body } = renderOutcomeEmail(report);

      // Assess
      const text = flat(body);
      expect(text).toContain(
        `The completion report could not be read (${error}: Access Denied): ${meaning}`,
      );
      expect(text).toContain('The files that failed are not listed here; fetch the report with:');
      expect(body).toMatch(
        /\n {4}aws s3 cp s3:\/\/bucket\/prefix\/fsx-export-analyzer-reports\/task-0+9\/failures\.csv -\n/,
      );
    },
  );

  it('caps the files listed per task, says how many more, and that a cut report lists fewer', () => {
    // Prepare
    const [task] = endedTasks(T1, T2, REPORT).slice(1);
    const files = Array.from({ length: 45 }, (_, i) => ({
      path: `ns1/f${i}.bin`,
      code: 'S3AccessDenied',
      class: 'permission' as const,
      again: false,
      escalated: false,
    }));
    const finished = {
      ...(task as NonNullable<typeof task>),
      report: {
        state: 'read' as const,
        url: `${REPORT}/${T2}/failures.csv`,
        files,
        hints: new Map([['S3AccessDenied', 'Fix access.']]),
        otherStatus: 0,
        malformed: [],
        truncated: true,
        bytes: 1_048_576,
        totalBytes: 5_000_000,
      },
    };

    // Act
    const { body } = renderOutcomeEmail(outcomeReport({ finished: [finished] }));

    // Assess
    const text = flat(body);
    expect(body).toContain('      ns1/f19.bin\n    and 25 more files, in the report.');
    expect(body).not.toContain('ns1/f20.bin');
    expect(text).toContain(
      'Only the first 1,048,576 bytes of 5,000,000 were read: the files past them are not listed or escalated.',
    );
  });

  it('lets no control character or bidi override from a report into the email', () => {
    // Prepare
    const [task] = reportedTasks(T2, REPORT);
    const base = task as NonNullable<typeof task>;
    const finished = {
      ...base,
      report: {
        state: 'read' as const,
        url: `${REPORT}/${T2}/failures.csv`,
        files: [
          { path: HOSTILE, code: HOSTILE, class: 'unknown' as const, again: true, escalated: true },
        ],
        hints: new Map([[HOSTILE, 'Not documented.']]),
        otherStatus: 0,
        malformed: [],
        truncated: false,
        bytes: 10,
        totalBytes: 10,
      },
    };

    // Act
    const { body, subject } = renderOutcomeEmail(outcomeReport({ finished: [finished] }));

    // Assess
    expect(body).not.toMatch(FORBIDDEN);
    expect(subject).not.toMatch(FORBIDDEN);
  });
});

describe('Function: renderRetrierEmail and renderOutcomeEmail, paths a command leaves out', () => {
  /** Twelve paths: a by-hand command names the first ten. */
  const paths = Array.from({ length: 12 }, (_, index) => `ns1/p-${index}.bin`);

  it("names the retrier's log, which lists every path of its refusals, dead letters and escalations", () => {
    // Prepare
    const report = retrierReport({
      messages: 3,
      escalated: paths.map((path) => ({
        fileSystemId: FS,
        path,
        taskIds: [T1],
        lastAttemptAt: '2026-11-25T11:00:00.000Z',
        reportPath: REPORT,
      })),
      refused: [{ task: task({ paths }), error: 'BadRequest', reason: 'bad', messages: 1 }],
      deadLettered: [
        {
          messageId: 'msg-1',
          receiveCount: 5,
          task: task({ paths }),
          reason: 'a data repository task is running',
          deferredReason: 'busy',
          deferredAt: '2026-11-25T10:00:00.000Z',
        },
      ],
    });

    // Act
    const { body } = renderRetrierEmail(report);

    // Assess
    const note =
      "(The command names the first 10 of 12 paths; run it again with the others, listed in the retrier's log.)";
    expect(flat(body).split(note)).toHaveLength(4);
    expect(body).not.toContain("analyzer's log");
    // What the note promises: the retrier's log lines hold every path.
    const logged = retrierLog(report, 0);
    const fields = (message: string) => logged.find((line) => line.message === message)?.fields;
    expect(fields('Re-export refused')?.['pathList']).toEqual(paths);
    expect(fields('Deferred re-export dead-lettered')?.['pathList']).toEqual(paths);
    expect(fields('Re-exports escalated to a person')?.['escalated']).toEqual(report.escalated);
  });

  it('names the completion report for the escalated paths of a finished task', () => {
    // Prepare: every path failed again with a code no retry fixes, so each is escalated.
    const tracked = trackedTask(T2, { paths });
    const url = `${REPORT}/${T2}/failures.csv`;
    const text = paths.map((path) => `${path},failed,S3AccessDenied`).join('\n');
    const bytes = Buffer.byteLength(text);
    const read = { ok: true as const, text, bytes, totalBytes: bytes, truncated: false };
    const report = outcomeReport({
      finished: [
        {
          tracked,
          lifecycle: 'FAILED',
          status: taskStatus(T2, { lifecycle: 'FAILED', totalCount: 12, failedCount: 12 }),
          failuresCsv: url,
          report: interpretReport(url, read, paths, describeCode),
        },
      ],
    });

    // Act
    const { body } = renderOutcomeEmail(report);

    // Assess
    expect(flat(body)).toContain(
      `Completion report: ${url} 12 files still failed; 12 of them are paths this task re-exported`,
    );
    expect(flat(body)).toContain(
      '(The command names the first 10 of 12 paths; run it again with the others, listed in the completion report above.)',
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accountOf,
  analyzeBatches,
  classesOf,
  countByClass,
  countByCode,
  countOutcomes,
  isQuiet,
  quietText,
  reportSeverity,
  shownPath,
  shownTarget,
  toJsonReport,
  toJsonText,
  toReexport,
  unplannedGroups,
} from '../../../lib/analyze/analysis.ts';
import { renderEmail } from '../../../lib/analyze/email.ts';
import { processBatches } from '../../../lib/analyze/pipeline.ts';
import type { TaskOutcome } from '../../../lib/common/types.ts';
import { taskTally } from '../../../lib/render/report.ts';
import { batch } from '../../helpers/events.ts';
import { FS } from '../../helpers/fixtures.ts';
import {
  emptyReport,
  queuedOutcome,
  record,
  refusedThenStartingReport,
  startedOutcome,
  task,
  unparseable,
} from '../../helpers/reports.ts';

describe('Function: analyzeBatches', () => {
  // A message that is certainly a record (with the code and path it must keep), or anything.
  const message = fc.oneof(
    fc
      .record({
        code: fc.constantFrom(
          'S3ExportInternalError',
          'S3ExportResourceBusy',
          'S3ExportAccessDenied',
        ),
        path: fc.string({ minLength: 1, maxLength: 20 }).map((tail) => `/ns1/${tail}`),
      })
      .map((record) => ({
        text: JSON.stringify({ errorCode: record.code, filePath: record.path }),
        record,
      })),
    fc.oneof(fc.string(), fc.json(), fc.anything()).map((text) => ({ text, record: undefined })),
  );

  it("accounts for every event exactly once, and keeps each record's own fields (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.array(message, { maxLength: 30 }), { maxLength: 5 }), (batches) => {
        // Prepare: every event has its own id in its own stream, so identity can be checked.
        const input = batches.map((messages, b) =>
          batch(
            messages.map((item, e) => ({ id: `b${b}-e${e}`, message: item.text })),
            `datarepo_fs-${String(b).padStart(17, '0')}`,
          ),
        );
        const expected = new Map(
          batches.flatMap((messages, b) => messages.map((item, e) => [`b${b}-e${e}`, item.record])),
        );

        // Act
        const analysis = analyzeBatches(input);

        // Assess: the same events out as in, each once, and the known records as records.
        const seen = [...analysis.records, ...analysis.unparseable].map((event) => event.eventId);
        expect(seen.sort()).toEqual([...expected.keys()].sort());
        expect(analysis.events).toBe(expected.size);
        for (const record of analysis.records) {
          const known = expected.get(record.eventId);
          if (known === undefined) continue;
          expect(record).toMatchObject({ code: known.code, path: known.path });
        }
        for (const event of analysis.unparseable)
          expect(expected.get(event.eventId)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

describe('Function: countByClass / countByCode', () => {
  it('counts every class, zeros included, and codes by frequency', () => {
    // Prepare
    const { records } = analyzeBatches([
      batch([
        { message: '{"errorCode":"S3ExportResourceBusy"}' },
        { message: '{"errorCode":"S3ExportResourceBusy"}' },
        { message: '{"errorCode":"S3ExportAccessDenied"}' },
      ]),
    ]);

    // Act
    const byClass = countByClass(records);
    const byCode = countByCode(records);

    // Assess
    expect(byClass).toEqual({
      permission: 1,
      limit: 0,
      report: 0,
      unknown: 0,
      transient: 0,
      busy: 2,
      import: 0,
      skipped: 0,
    });
    expect(byCode).toEqual([
      ['S3ExportResourceBusy', 2],
      ['S3ExportAccessDenied', 1],
    ]);
  });
});

describe('Function: countOutcomes', () => {
  it('counts tasks and their paths per status, every status included, once per array', () => {
    // Prepare
    const outcomes: TaskOutcome[] = [
      startedOutcome(task({ paths: ['a', 'b'] }), 'task-0123456789abcdef0'),
      queuedOutcome(task({ paths: ['c'] }), 'busy'),
      {
        status: 'refused',
        task: task({ paths: ['d', 'e', 'f'] }),
        error: 'E',
        reason: 'r',
        retryLater: false,
      },
      {
        status: 'refused',
        task: task({ paths: ['g'] }),
        error: 'E',
        reason: 'r',
        retryLater: true,
      },
      { status: 'planned', task: task({ paths: ['h'] }) },
      { status: 'planned', task: task({ paths: ['i', 'j'] }), refusal: 'NoReportPath' },
    ];

    // Act
    const counts = countOutcomes(outcomes);

    // Assess
    expect(counts).toEqual({
      started: { tasks: 1, paths: 2 },
      queued: { tasks: 1, paths: 1 },
      refused: { tasks: 2, paths: 4 },
      deferred: { tasks: 0, paths: 0 },
      // The tasks the Lambda would refuse are planned ones, counted apart as well.
      planned: { tasks: 2, paths: 3 },
      wouldBeRefused: { tasks: 1, paths: 2 },
    });
    expect(countOutcomes(outcomes)).toBe(counts);
  });
});

describe('Function: toReexport', () => {
  it('counts the planned tasks the Lambda would start, not those it would refuse', () => {
    // Prepare
    const outcomes: TaskOutcome[] = [
      { status: 'planned', task: task({ paths: ['a'] }) },
      { status: 'planned', task: task({ paths: ['b', 'c'] }), refusal: 'NoReportPath' },
      { status: 'planned', task: task({ paths: ['d', 'e', 'f'] }) },
    ];

    // Act
    const counts = toReexport(countOutcomes(outcomes));

    // Assess
    expect(counts).toEqual({ tasks: 2, paths: 4 });
  });
});

describe('Function: reportSeverity / classesOf', () => {
  it('names the most severe class present and every class present in severity order', () => {
    // Prepare
    const { records } = analyzeBatches([
      batch([
        { message: '{"errorCode":"S3ExportResourceBusy"}' },
        { message: '{"errorCode":"S3ExportAccessDenied"}' },
        { message: '{"errorCode":"SomethingNew"}' },
      ]),
    ]);

    // Act
    const severity = reportSeverity({ records });
    const none = reportSeverity({ records: [] });
    const classes = classesOf({ records });

    // Assess
    expect(severity).toBe('permission');
    expect(none).toBeUndefined();
    expect(classes).toEqual(['permission', 'unknown', 'busy']);
  });
});

describe('Function: toJsonText', () => {
  it('prints the stable fields and escapes characters a terminal would act on', async () => {
    // Prepare
    const report = await processBatches(
      [
        batch([
          { message: '{"errorCode":"InternalAutoExportError","filePath":"/ns1/\u202egnp.exe"}' },
          { message: 'noise\u2028x' },
        ]),
      ],
      {
        maxPathsPerTask: 100,
        busyDelaySeconds: 600,
        reportPath: undefined,
        region: undefined,
        dryRun: true,
      },
      undefined,
    );

    // Act
    const text = toJsonText(report);
    const json = JSON.parse(text);

    // Assess
    expect(text).not.toMatch(/[\u2028\u202e]/);
    expect(json).toMatchObject({
      events: 2,
      records: 1,
      unparseable: 1,
      byCode: { InternalAutoExportError: 1 },
    });
    expect(Object.keys(json.byClass)).toHaveLength(8);
    expect(json.retries).toEqual([
      expect.objectContaining({
        fileSystemId: 'fs-0123456789abcdef0',
        paths: ['ns1/\u202egnp.exe'],
        delaySeconds: 0,
        clientRequestToken: expect.stringMatching(/^fea-/),
      }),
    ]);
  });
});

describe('Function: toJsonReport', () => {
  it('lists queued outcomes with when and why, and the escalated paths', () => {
    // Prepare
    const queued = task({ clientRequestToken: 'fea-queued' });
    const escalation = {
      fileSystemId: 'fs-0123456789abcdef0',
      path: 'ns1/x.bin',
      taskIds: ['task-00000000000000001'],
      lastAttemptAt: '2025-11-25T11:00:00.000Z',
      reportPath: undefined,
    };
    const report = emptyReport({
      plan: { tasks: [queued], unplanned: [], awaitingMapping: [] },
      outcomes: [queuedOutcome(queued, 'busy files wait')],
      escalated: [escalation],
    });

    // Act
    const json = toJsonReport(report);

    // Assess
    expect(json['outcomes']).toEqual([
      {
        status: 'queued',
        delaySeconds: 600,
        reason: 'busy',
        detail: 'busy files wait',
        notBefore: '2025-11-25T12:40:00.000Z',
        fileSystemId: 'fs-0123456789abcdef0',
        clientRequestToken: 'fea-queued',
        paths: 1,
      },
    ]);
    expect(json['escalated']).toEqual([escalation]);
    expect(toJsonReport(emptyReport())['escalated']).toEqual([]);
  });
});

describe('Function: toJsonReport (needPerson, reexports)', () => {
  /** The tally RE-EXPORTS opens with, rebuilt from the `reexports` member alone. */
  function tallyOf(reexports: {
    tasks: number;
    byStatus: Record<string, { tasks: number }>;
  }): string {
    const words: Record<string, string> = { wouldBeRefused: 'would be refused' };
    const parts = Object.entries(reexports.byStatus)
      .filter(([, count]) => count.tasks > 0)
      .map(([status, count]) => `${count.tasks} ${words[status] ?? status}`);
    return `${reexports.tasks} task${reexports.tasks === 1 ? '' : 's'}: ${parts.join(', ')}.`;
  }

  it('counts what needs a person and the re-exports per status as the email does', () => {
    // Prepare: a live run with a task of each status, a person-class record, an unplanned
    // retryable record and an escalated path.
    const started = task({ clientRequestToken: 'fea-started', paths: ['ns1/a', 'ns1/b'] });
    const queued = task({ clientRequestToken: 'fea-queued', paths: ['ns1/c'] });
    const refused = task({ clientRequestToken: 'fea-refused', paths: ['ns1/d', 'ns1/e', 'ns1/f'] });
    const deferred = task({
      clientRequestToken: 'fea-deferred',
      paths: ['ns1/g', 'ns1/h', 'ns1/i', 'ns1/j'],
    });
    const outcomes: TaskOutcome[] = [
      startedOutcome(started, 'task-00000000000000001'),
      queuedOutcome(queued, 'busy files wait'),
      {
        status: 'refused',
        task: refused,
        error: 'AccessDenied',
        reason: 'denied',
        retryLater: false,
      },
      { status: 'deferred', task: deferred, reason: 'no deferral queue' },
    ];
    const report = emptyReport({
      records: [
        record(0, { class: 'permission', code: 'S3ExportAccessDenied' }),
        record(1, { path: '/ns1/../x' }),
        ...Array.from({ length: 10 }, (_, index) => record(index + 2)),
      ],
      plan: {
        tasks: [started, queued, refused, deferred],
        unplanned: [
          {
            fileSystemId: FS,
            eventId: 'ev-1',
            class: 'transient',
            target: '/ns1/../x',
            reason: 'the path leaves the file system',
          },
        ],
        awaitingMapping: [],
      },
      outcomes,
      escalated: [
        {
          fileSystemId: FS,
          path: 'ns1/k',
          taskIds: ['task-00000000000000002'],
          lastAttemptAt: '2025-11-25T11:00:00.000Z',
          reportPath: undefined,
        },
      ],
    });

    // Act
    const json = JSON.parse(toJsonText(report));

    // Assess: records of person classes and unplanned ones; paths refused, deferred, escalated.
    expect(json.needPerson).toEqual({ records: 2, paths: 3 + 4 + 1 });
    expect(json.reexports).toEqual({
      tasks: 4,
      paths: 10,
      byStatus: {
        started: { tasks: 1, paths: 2 },
        queued: { tasks: 1, paths: 1 },
        refused: { tasks: 1, paths: 3 },
        deferred: { tasks: 1, paths: 4 },
        planned: { tasks: 0, paths: 0 },
        wouldBeRefused: { tasks: 0, paths: 0 },
      },
    });
    // The email's subject gives the same figures.
    expect(renderEmail(report).subject).toContain(
      `: 12 failed, ${json.reexports.byStatus.started.paths} re-exported, ${json.reexports.byStatus.queued.paths} queued, ${json.needPerson.records + json.needPerson.paths} need a person`,
    );
    expect(tallyOf(json.reexports)).toBe(taskTally(outcomes));
    // Member order: the figures next to the other totals, at the top.
    expect(Object.keys(json).slice(0, 9)).toEqual([
      'generatedAt',
      'dryRun',
      'events',
      'records',
      'unparseable',
      'skippedMessages',
      'needPerson',
      'reexports',
      'byClass',
    ]);
  });

  it("counts a dry run's tasks the Lambda would refuse as needing a person, not as planned", () => {
    // Prepare: 60 tasks the Lambda would refuse (NoReportPath), 12 it would start, a path each.
    const report = refusedThenStartingReport();

    // Act
    const json = JSON.parse(toJsonText(report));

    // Assess
    expect(json.reexports).toEqual({
      tasks: 72,
      paths: 72,
      byStatus: {
        started: { tasks: 0, paths: 0 },
        queued: { tasks: 0, paths: 0 },
        refused: { tasks: 0, paths: 0 },
        deferred: { tasks: 0, paths: 0 },
        planned: { tasks: 12, paths: 12 },
        wouldBeRefused: { tasks: 60, paths: 60 },
      },
    });
    expect(json.needPerson).toEqual({ records: 0, paths: 60 });
    expect(tallyOf(json.reexports)).toBe('72 tasks: 12 planned, 60 would be refused.');
    expect(tallyOf(json.reexports)).toBe(taskTally(report.outcomes));
    expect(renderEmail(report).subject).toContain('12 to re-export, 60 need a person');
  });

  it('counts the plan of a report made without outcomes as planned, as the email shows it', () => {
    // Prepare
    const planned = task({ paths: ['ns1/a', 'ns1/b'] });
    const report = emptyReport({
      dryRun: true,
      records: [record(0), record(1)],
      plan: { tasks: [planned], unplanned: [], awaitingMapping: [] },
    });

    // Act
    const json = JSON.parse(toJsonText(report));

    // Assess
    expect(json.reexports).toMatchObject({ tasks: 1, paths: 2 });
    expect(json.reexports.byStatus.planned).toEqual({ tasks: 1, paths: 2 });
    expect(json.needPerson).toEqual({ records: 0, paths: 0 });
    expect(renderEmail(report).subject).toContain('2 to re-export, 0 need a person');
  });
});

describe('Function: toJsonReport (times)', () => {
  it('writes an unknown event time as null, never 0', () => {
    // Prepare
    const report = emptyReport({
      records: [record(0, { timestamp: undefined }), record(1)],
    });

    // Act
    const json = JSON.parse(toJsonText(report));

    // Assess
    expect(json.failures.map((failure: { timestamp: unknown }) => failure.timestamp)).toEqual([
      null,
      1_764_072_000_001,
    ]);
  });
});

describe('Function: shownPath / shownTarget', () => {
  it('shows paths relative to the file-system root, as FSx tasks take them', () => {
    // Act
    const shown = ['/ns1/dir/file', 'ns1/dir/file', '/ns1//dir/./file', '//ns1/../x', '/'].map(
      shownPath,
    );

    // Assess
    expect(shown).toEqual(['ns1/dir/file', 'ns1/dir/file', 'ns1/dir/file', 'ns1/../x', '/']);
  });

  it('shows a record that names only an S3 key as s3://bucket/key', () => {
    // Act
    const targets = [
      shownTarget(record(0, { path: '/ns1/a.bin' })),
      shownTarget(record(1, { path: undefined, s3Key: 'pre/a.bin', bucket: 'bkt' })),
      shownTarget(record(2, { path: undefined, s3Key: 'pre/a.bin' })),
      shownTarget(record(3, { path: undefined })),
    ];

    // Assess
    expect(targets).toEqual(['ns1/a.bin', 's3://bkt/pre/a.bin', 'pre/a.bin', undefined]);
  });
});

describe('Function: accountOf', () => {
  it("gives a file system's account only when its records name exactly one", () => {
    // Prepare
    const other = 'fs-0fedcba9876543210';
    const report = emptyReport({
      records: [
        record(0),
        record(1),
        record(2, { fileSystemId: other }),
        record(3, { fileSystemId: other, owner: '210987654321' }),
        record(4, { fileSystemId: 'fs-11111111', owner: 'unknown' }),
      ],
    });

    // Act
    const accounts = [FS, other, 'fs-11111111', 'fs-22222222'].map((id) => accountOf(report, id));

    // Assess
    expect(accounts).toEqual(['123456789012', undefined, undefined, undefined]);
  });
});

describe('Function: isQuiet / quietText', () => {
  it('is quiet only when there is nothing at all to show', () => {
    // Prepare
    const reports = [
      emptyReport(),
      emptyReport({ records: [record(0)] }),
      emptyReport({ unparseable: [unparseable(0)] }),
      emptyReport({ plan: { tasks: [task()], unplanned: [], awaitingMapping: [] } }),
    ];

    // Act
    const quiet = reports.map(isQuiet);

    // Assess
    expect(quiet).toEqual([true, false, false, false]);
  });

  it('counts the events read and the control messages skipped', () => {
    // Act
    const texts = [
      quietText({ events: 1, skippedMessages: 0 }),
      quietText({ events: 0, skippedMessages: 3 }),
    ];

    // Assess
    expect(texts).toEqual([
      'No FSx export failures in 1 log event.',
      'No FSx export failures in 0 log events (3 control messages skipped).',
    ]);
  });
});

describe('Function: unplannedGroups', () => {
  it('places each item by the first record of its event id, whatever else the records hold', () => {
    const records = [
      record(1, { owner: 'unknown' }),
      record(2, { eventId: 'ev-dup', owner: '111111111111', path: '/ns1/first.bin' }),
      record(3, { eventId: 'ev-dup', owner: '222222222222', path: '/ns1/second.bin' }),
      record(4),
    ];
    const unplanned = [
      { fileSystemId: FS, eventId: 'ev-dup', class: 'transient', target: 'x', reason: 'why' },
      { fileSystemId: FS, eventId: 'ev-gone', class: 'busy', target: 'kept', reason: 'why' },
    ] as const;
    const report = emptyReport({
      records,
      plan: { tasks: [], unplanned: [...unplanned], awaitingMapping: [] },
    });
    expect(unplannedGroups(report)).toEqual([
      {
        reason: 'why',
        count: 2,
        places: [
          { fileSystemId: FS, account: '111111111111', count: 1, samples: ['ns1/first.bin'] },
          { fileSystemId: FS, account: undefined, count: 1, samples: ['kept'] },
        ],
      },
    ]);
  });
});

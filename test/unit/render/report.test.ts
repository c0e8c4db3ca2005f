import { describe, expect, it } from 'vitest';
import { reportTotals } from '../../../lib/analyze/analysis.ts';
import { CLASS_ORDER, warningCount } from '../../../lib/common/classes.ts';
import type {
  ExportTask,
  FailureClass,
  Report,
  TaskOutcome,
  Unplanned,
} from '../../../lib/common/types.ts';
import {
  failureHeadline,
  failuresAndWarnings,
  groupUnplanned,
  personFirst,
  reportInsightsLink,
  timeRange,
} from '../../../lib/render/report.ts';

/** The link as the outputs ask for it: with the report's totals. */
const linkOf = (report: Report) => reportInsightsLink(report, reportTotals(report));
const rangeOf = (report: Report) => timeRange(reportTotals(report));

import { FS } from '../../helpers/fixtures.ts';
import { emptyReport, record, startedOutcome, task, unparseable } from '../../helpers/reports.ts';

const AT = 1_764_072_000_000;

describe('Function: reportInsightsLink', () => {
  it('lists every data repository stream when an event came from another stream', () => {
    // Prepare
    const report = emptyReport({
      sources: [{ owner: '1', logGroup: '/aws/fsx/b', logStream: 'x', events: 2 }],
      records: [record(0, { logGroup: '/aws/fsx/a' }), record(1, { logStream: 'not-datarepo' })],
    });

    // Act
    const link = linkOf(report);

    // Assess
    expect(link).toContain(
      'filter*20*40logStream*20like*20*2f*5edatarepo_*2f*0a*7c*20sort*20*40timestamp*20desc',
    );
    expect(link).toContain(
      "~source~(~'*2faws*2ffsx*2fa~'*2faws*2ffsx*2fb~'*2faws*2ffsx*2flustre))",
    );
  });

  it('narrows the query to the streams that name a file system, and only when all of them do', () => {
    // Prepare: an unparseable event on a stream that looks like one but names no FSx id (not hex).
    const named = emptyReport({ records: [record(0, { logStream: `datarepo_${FS}` })] });
    const lookalike = emptyReport({
      records: [record(0, { logStream: `datarepo_${FS}` })],
      unparseable: [unparseable(1, { logStream: 'datarepo_fs-zzzzzzzz' })],
    });

    // Act
    const links = [linkOf(named), linkOf(lookalike)];

    // Assess
    expect(links[0]).toContain(`filter*20*40logStream*20in*20*5b*22datarepo_${FS}*22*5d`);
    expect(links[1]).toContain('filter*20*40logStream*20like*20*2f*5edatarepo_*2f');
    expect(links[1]).not.toContain('zzzzzzzz');
  });

  it('gives no link when no event has a time, and spans only the known times otherwise', () => {
    // Prepare
    const untimed = emptyReport({
      records: [record(0, { timestamp: undefined })],
      unparseable: [unparseable(0, { timestamp: undefined })],
    });
    const mixed = emptyReport({
      records: [record(0, { timestamp: AT }), record(1, { timestamp: undefined })],
    });

    // Act
    const none = linkOf(untimed);
    const known = linkOf(mixed);

    // Assess
    expect(none).toBeUndefined();
    expect(known).toContain(
      "~(end~'2025-11-25T12*3a01*3a00.000Z~start~'2025-11-25T12*3a00*3a00.000Z~",
    );
    expect(known).not.toContain('1970');
  });

  it('gives no link without a region, an event time or a log group', () => {
    // Prepare
    const reports = [
      emptyReport({ region: undefined, records: [record(0)] }),
      emptyReport({ records: [record(0, { timestamp: Number.NaN })] }),
      emptyReport({ records: [record(0, { timestamp: 8.64e15 })] }),
      emptyReport({ records: [record(0, { logGroup: '' })] }),
      emptyReport(),
    ];

    // Act
    const links = reports.map(linkOf);

    // Assess
    expect(links).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('Function: timeRange', () => {
  it('spans the known times and counts the events without one', () => {
    // Prepare
    const report = emptyReport({
      records: [record(0, { timestamp: AT + 5 }), record(1, { timestamp: undefined })],
      unparseable: [unparseable(0, { timestamp: AT }), unparseable(1, { timestamp: undefined })],
    });

    // Act
    const range = rangeOf(report);

    // Assess
    expect(range).toEqual({
      from: '2025-11-25T12:00:00.000Z',
      to: '2025-11-25T12:00:00.005Z',
      unknown: 2,
    });
  });

  it('says the times are unknown when no event has one, never 1970', () => {
    // Prepare
    const report = emptyReport({ records: [record(0, { timestamp: undefined })] });

    // Act
    const range = rangeOf(report);

    // Assess
    expect(range).toEqual({ from: undefined, to: undefined, unknown: 1 });
  });

  it('has no range for a report without events', () => {
    // Act
    const range = rangeOf(emptyReport());

    // Assess
    expect(range).toBeUndefined();
  });
});

describe('Function: groupUnplanned', () => {
  it('groups by reason, then by place, showing what locate gives', () => {
    // Prepare
    const item = (eventId: string, reason: string, target?: string): Unplanned => ({
      fileSystemId: FS,
      eventId,
      class: 'transient',
      target,
      reason,
    });
    const unplanned = [
      item('e1', 'cut', '/ns1/a'),
      item('e2', 'dotdot', '/ns1/../b'),
      item('e3', 'cut', '/ns1/c'),
      item('e4', 'cut'),
    ];

    // Act
    const groups = groupUnplanned(unplanned, (entry) => ({
      place: {
        fileSystemId: entry.fileSystemId,
        account: entry.eventId === 'e3' ? '1' : undefined,
      },
      target: entry.target?.slice(1),
    }));

    // Assess
    expect(groups).toEqual([
      {
        reason: 'cut',
        count: 3,
        places: [
          {
            fileSystemId: FS,
            account: undefined,
            count: 2,
            samples: ['ns1/a', '(no path; event e4)'],
          },
          { fileSystemId: FS, account: '1', count: 1, samples: ['ns1/c'] },
        ],
      },
      {
        reason: 'dotdot',
        count: 1,
        places: [{ fileSystemId: FS, account: undefined, count: 1, samples: ['ns1/../b'] }],
      },
    ]);
  });
});

describe('Function: failureHeadline', () => {
  it.each([
    [44, 4, undefined, 'FSx export failures on fs-1: 44 failed'],
    [0, 4, undefined, 'FSx export warnings on fs-1: 4 skipped'],
    [0, 0, undefined, 'FSx export failures on fs-1: 0 failed'],
    [2, 0, 'FSx import events', 'FSx import events on fs-1: 2 failed'],
  ])('counts %d failed and %d skipped apart (%s)', (failed, skipped, title, expected) => {
    expect(failureHeadline('fs-1', failed, skipped, title)).toBe(expected);
  });
});

describe('Function: failuresAndWarnings', () => {
  it.each([
    [3, 2, 'repeated failure', '3 repeated failures and 2 skipped exports (warnings)'],
    [1, 0, 'more failure', '1 more failure'],
    [0, 1, 'more failure', '1 skipped export (warnings)'],
    [0, 0, 'failure', '0 failures'],
  ])('says %d failures and %d warnings apart', (failed, skipped, noun, expected) => {
    expect(failuresAndWarnings(failed, skipped, noun)).toBe(expected);
  });
});

describe('Function: warningCount', () => {
  it('counts only the warning classes', () => {
    // Prepare
    const byClass = Object.fromEntries(CLASS_ORDER.map((cls) => [cls, 1])) as Record<
      FailureClass,
      number
    >;

    // Act & Assess
    expect(warningCount({ ...byClass, skipped: 5 })).toBe(5);
  });
});

describe('Function: personFirst', () => {
  it('puts the tasks left to a person first, each group in plan order', () => {
    // Prepare
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((name) =>
      task({ clientRequestToken: `fea-${name}` }),
    ) as [ExportTask, ExportTask, ExportTask, ExportTask, ExportTask];
    const outcomes: TaskOutcome[] = [
      startedOutcome(a, 'task-a'),
      { status: 'refused', task: b, error: 'BadRequest', reason: 'r', retryLater: false },
      startedOutcome(c, 'task-c'),
      { status: 'deferred', task: d, reason: 'busy' },
      { status: 'planned', task: e, refusal: 'NoReportPath' },
    ];

    // Act
    const ordered = personFirst(outcomes);

    // Assess
    expect(ordered.map((outcome) => outcome.task.clientRequestToken)).toEqual([
      'fea-b',
      'fea-d',
      'fea-e',
      'fea-a',
      'fea-c',
    ]);
  });

  it('keeps plan order when no task is left to a person', () => {
    // Prepare
    const started = [startedOutcome(task(), 'task-1'), startedOutcome(task(), 'task-2')];

    // Act
    const ordered = personFirst(started);

    // Assess
    expect(ordered).toBe(started);
  });
});

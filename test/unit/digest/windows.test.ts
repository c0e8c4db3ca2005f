import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadDigestConfig } from '../../../lib/common/config.ts';
import { sanitize, truncateEnd, truncateMiddle } from '../../../lib/common/text.ts';
import type { BatchGroup, Escalation, FailureRecord } from '../../../lib/common/types.ts';
import {
  decideRoll,
  groupReport,
  increment,
  MAX_CODES,
  MAX_GROUPS,
  MAX_HASHES,
  MAX_PENDING,
  MAX_SAMPLES,
  OTHER_CODE,
  pathHash,
} from '../../../lib/digest/windows.ts';
import { acknowledge, type GroupState, observe, roll } from '../../helpers/digest-model.ts';
import { FS } from '../../helpers/fixtures.ts';
import { emptyReport, record, startedOutcome, task, unparseable } from '../../helpers/reports.ts';

const W = 3600;
const T0 = 1_764_064_800; // 2025-11-25 10:00 UTC
const OTHER_FS = 'fs-0fedcba9876543210';

function denied(index: number, path = `/ns1/file-${index}.bin`): FailureRecord {
  return record(index, { code: 'S3ExportAccessDenied', class: 'permission', path });
}

function only(records: readonly FailureRecord[]): BatchGroup {
  const group = groupReport(emptyReport({ records })).groups[0];
  if (group === undefined) throw new Error('no group');
  return group;
}

const EMPTY_VIEW = {
  hashes: new Set<string>(),
  previousHashes: new Set<string>(),
  escalated: new Set<string>(),
  samples: 0,
  codes: new Set<string>(),
};

describe('groupReport', () => {
  it('groups records by file system and class, unparseable events by log group', () => {
    // Prepare
    const report = emptyReport({
      records: [
        denied(1),
        denied(2),
        record(3),
        record(4, { fileSystemId: OTHER_FS }),
        record(5, { fileSystemId: undefined, logGroup: '/aws/fsx/other' }),
      ],
      unparseable: [unparseable(1), unparseable(2, { logGroup: '/aws/fsx/other' })],
    });

    // Act
    const { groups, overflow } = groupReport(report);

    // Assess
    expect(groups.map((group) => [group.key, group.failures])).toEqual([
      [{ scopeKind: 'fileSystem', scope: FS, cls: 'permission' }, 2],
      [{ scopeKind: 'fileSystem', scope: FS, cls: 'transient' }, 1],
      [{ scopeKind: 'fileSystem', scope: OTHER_FS, cls: 'transient' }, 1],
      [{ scopeKind: 'logGroup', scope: '/aws/fsx/other', cls: 'transient' }, 1],
      [{ scopeKind: 'logGroup', scope: '/aws/fsx/lustre', cls: 'unparseable' }, 1],
      [{ scopeKind: 'logGroup', scope: '/aws/fsx/other', cls: 'unparseable' }, 1],
    ]);
    expect(overflow).toEqual([]);
  });

  it('counts re-export outcomes per failure through the task event ids, and escalations', () => {
    // Prepare
    const started = task({
      eventIds: ['ev-1', 'ev-2'],
      paths: ['ns1/file-1.bin', 'ns1/file-2.bin'],
    });
    const escalation: Escalation = {
      fileSystemId: FS,
      path: 'ns1/file-3.bin',
      taskIds: ['task-1', 'task-2', 'task-3'],
      lastAttemptAt: undefined,
      reportPath: undefined,
    };
    const report = emptyReport({
      records: [record(1), record(2), record(3)],
      outcomes: [startedOutcome(started, 'task-9')],
      escalated: [escalation],
    });

    // Act
    const [group] = groupReport(report).groups;

    // Assess
    expect(group?.outcomes).toEqual({
      started: 2,
      queued: 0,
      deferred: 0,
      refused: 0,
      escalated: 1,
    });
    expect(group?.escalations).toEqual([pathHash('ns1/file-3.bin')]);
  });

  it('counts a dry run planned task in no outcome: nothing was started, queued or deferred', () => {
    // Prepare
    const planned = task({ eventIds: ['ev-1', 'ev-2'] });
    const deferred = task({ eventIds: ['ev-3'] });
    const report = emptyReport({
      records: [record(1), record(2), record(3)],
      outcomes: [
        { status: 'planned', task: planned },
        { status: 'deferred', task: deferred, reason: 'no deferral queue' },
      ],
    });

    // Act
    const [group] = groupReport(report).groups;

    // Assess
    expect(group?.failures).toBe(3);
    expect(group?.outcomes).toEqual({
      started: 0,
      queued: 0,
      deferred: 1,
      refused: 0,
      escalated: 0,
    });
  });

  it('hashes a path the same with or without its leading slash, and keeps at most 5 samples', () => {
    // Prepare
    const records = [
      denied(1, '/ns1/a.bin'),
      denied(2, 'ns1/a.bin'),
      ...Array.from({ length: 8 }, (_, index) => denied(index + 3)),
    ];

    // Act
    const group = only(records);

    // Assess
    expect(group.targets[0]).toBe(group.targets[1]);
    expect(group.samples.size).toBe(MAX_SAMPLES);
  });

  it(`tracks at most ${MAX_GROUPS} groups per batch; the rest always alert`, () => {
    // Prepare
    const records = Array.from({ length: MAX_GROUPS + 3 }, (_, index) =>
      record(index, { fileSystemId: `fs-${String(index).padStart(17, '0')}` }),
    );

    // Act
    const { groups, overflow } = groupReport(emptyReport({ records }));

    // Assess
    expect(groups).toHaveLength(MAX_GROUPS);
    expect(overflow).toHaveLength(3);
  });
});

/**
 * A plain grouping to check groupReport against: every record read afresh (slashes cut by a
 * regular expression, every code and log group sanitised again), as groupReport did before it
 * learnt to spare the garbage of 10,000 records.
 */
function plainGroups(report: ReturnType<typeof emptyReport>) {
  interface PlainGroup {
    targets: (string | undefined)[];
    codes: Map<string, number>;
    samples: Map<string, string>;
  }
  const groups = new Map<string, PlainGroup>();
  const logGroupsOf = new Map<string, string[]>();
  const eventIdsOf = new Map<string, string[]>();
  const add = (
    key: string,
    origin: { eventId: string; logGroup: string },
    code: string,
    target: string | undefined,
    sample: { key: string; text: string } | undefined,
  ) => {
    const group: PlainGroup = groups.get(key) ?? {
      targets: [],
      codes: new Map(),
      samples: new Map(),
    };
    groups.set(key, group);
    group.targets.push(target);
    const clean = truncateEnd(sanitize(code), 120) || '(none)';
    group.codes.set(clean, (group.codes.get(clean) ?? 0) + 1);
    if (
      sample !== undefined &&
      !group.samples.has(sample.key) &&
      group.samples.size < MAX_SAMPLES
    ) {
      group.samples.set(sample.key, truncateMiddle(sanitize(sample.text), 160));
    }
    const logGroups = logGroupsOf.get(key) ?? [];
    logGroupsOf.set(key, logGroups);
    const cleanGroup = sanitize(origin.logGroup);
    if (origin.logGroup !== '' && logGroups.length < 10 && !logGroups.includes(cleanGroup)) {
      logGroups.push(cleanGroup);
    }
    eventIdsOf.set(key, [...(eventIdsOf.get(key) ?? []), origin.eventId]);
  };
  for (const record of report.records) {
    const named = record.fileSystemId !== undefined && record.fileSystemId !== '';
    const scope = sanitize(named ? (record.fileSystemId ?? '') : record.logGroup);
    const target =
      record.path !== undefined && record.path !== ''
        ? record.path.replace(/^\/+/, '')
        : record.s3Key === undefined
          ? undefined
          : `s3://${record.bucket ?? ''}/${record.s3Key}`;
    const hash = target === undefined ? undefined : pathHash(target);
    const sample =
      hash === undefined || target === undefined ? undefined : { key: hash, text: target };
    add(`${named}|${scope}|${record.class}`, record, record.code, hash, sample);
  }
  for (const event of report.unparseable) {
    const sample =
      event.sample === '' ? undefined : { key: pathHash(event.sample), text: event.sample };
    add(`false|${sanitize(event.logGroup)}|unparseable`, event, event.reason, undefined, sample);
  }
  return [...groups].map(([key, group]) => ({
    targets: group.targets,
    codes: [...group.codes],
    samples: [...group.samples],
    logGroups: logGroupsOf.get(key),
    eventIds: eventIdsOf.get(key),
  }));
}

describe('groupReport against a plain grouping', () => {
  it('gives the same targets, codes, samples, log groups and events for any records', () => {
    const text = fc.constantFrom('', 'a', 'x\u0007y', '/aws/fsx/lustre', '\ud800', 'A'.repeat(130));
    const path = fc.oneof(
      fc.constant(undefined),
      fc.constant(''),
      fc
        .tuple(fc.constantFrom('', '/', '//', '///'), fc.string({ maxLength: 20 }))
        .map(([slashes, rest]) => `${slashes}${rest}`),
    );
    const records = fc.array(
      fc.record({
        path,
        s3Key: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
        bucket: fc.option(fc.constantFrom('b', ''), { nil: undefined }),
        code: text,
        logGroup: text,
        fileSystemId: fc.constantFrom(FS, OTHER_FS, '', undefined),
        cls: fc.constantFrom('transient' as const, 'permission' as const),
      }),
      { maxLength: 40 },
    );
    const unparseables = fc.array(fc.record({ sample: text, logGroup: text, reason: text }), {
      maxLength: 10,
    });
    fc.assert(
      fc.property(records, unparseables, (raws, bad) => {
        // Prepare
        const report = emptyReport({
          records: raws.map((raw, index) =>
            record(index, {
              path: raw.path,
              s3Key: raw.s3Key,
              bucket: raw.bucket,
              code: raw.code,
              logGroup: raw.logGroup,
              fileSystemId: raw.fileSystemId,
              class: raw.cls,
            }),
          ),
          unparseable: bad.map((raw, index) => unparseable(index, raw)),
        });

        // Act
        const { groups, overflow } = groupReport(report);

        // Assess
        const found = [...groups, ...overflow].map((group) => ({
          targets: group.targets,
          codes: [...group.codes],
          samples: [...group.samples],
          logGroups: group.logGroups,
          eventIds: group.eventIds,
        }));
        expect(found).toEqual(plainGroups(report));
      }),
    );
  });
});

describe('increment', () => {
  it.each([
    ['a new path', [], [], ['/ns1/a'], { newFailures: 1, recurringFailures: 0, untracked: 0 }],
    [
      'a path already failed in this window',
      ['ns1/a'],
      [],
      ['/ns1/a'],
      { newFailures: 0, recurringFailures: 1, untracked: 0 },
    ],
    [
      'a path that failed in the previous window',
      [],
      ['ns1/a'],
      ['/ns1/a'],
      { newFailures: 0, recurringFailures: 1, untracked: 0 },
    ],
    [
      'the same new path twice in one batch',
      [],
      [],
      ['/ns1/a', '/ns1/a'],
      { newFailures: 1, recurringFailures: 1, untracked: 0 },
    ],
  ])('counts %s', (_, current, previous, paths, expected) => {
    // Prepare
    const view = {
      ...EMPTY_VIEW,
      hashes: new Set(current.map(pathHash)),
      previousHashes: new Set(previous.map(pathHash)),
    };

    // Act
    const inc = increment(view, only(paths.map((path, index) => denied(index, path))));

    // Assess
    expect(inc).toMatchObject({ held: paths.length, ...expected });
  });

  it('counts a failure without a path as untracked', () => {
    // Prepare
    const group = only([record(1, { class: 'permission', path: undefined })]);

    // Act
    const inc = increment(EMPTY_VIEW, group);

    // Assess
    expect(inc).toMatchObject({ held: 1, newFailures: 0, untracked: 1, addHashes: [] });
  });

  it(`stops tracking paths at ${MAX_HASHES}: the rest count as untracked, never lost`, () => {
    // Prepare
    const full = new Set(Array.from({ length: MAX_HASHES - 1 }, (_, index) => `h${index}`));
    const group = only([denied(1), denied(2), denied(3)]);

    // Act
    const inc = increment({ ...EMPTY_VIEW, hashes: full }, group);

    // Assess
    expect(inc).toMatchObject({ held: 3, newFailures: 1, untracked: 2 });
    expect(inc.addHashes).toHaveLength(1);
  });

  it(`folds codes past ${MAX_CODES} distinct ones into "${OTHER_CODE}"`, () => {
    // Prepare
    const codes = new Set(Array.from({ length: MAX_CODES }, (_, index) => `Code${index}`));

    // Act
    const inc = increment({ ...EMPTY_VIEW, codes }, only([denied(1)]));

    // Assess
    expect([...inc.codes]).toEqual([[OTHER_CODE, 1]]);
  });

  it('reports only the escalations this window has not seen as new', () => {
    // Prepare
    const group: BatchGroup = {
      ...only([record(1), record(2)]),
      escalations: [pathHash('ns1/file-1.bin'), pathHash('ns1/file-2.bin')],
    };

    // Act
    const inc = increment(
      { ...EMPTY_VIEW, escalated: new Set([pathHash('ns1/file-1.bin')]) },
      group,
    );

    // Assess
    expect(inc.newEscalations).toEqual([pathHash('ns1/file-2.bin')]);
  });
});

describe('decideRoll', () => {
  it.each([
    ['QUIET', T0 + W, 3, T0 + W + 60, { kind: 'none' }],
    ['OPEN', T0 + W, 3, T0 + W - 1, { kind: 'none' }],
    ['OPEN', T0 + W, 0, T0 + W + 60, { kind: 'recover' }],
    ['OPEN', T0 + W, 2, T0 + W + 60, { kind: 'digest', nextStart: T0 + W, nextEnd: T0 + 2 * W }],
    // The schedule stopped for longer than a window: the new window starts now.
    ['OPEN', T0 + W, 2, T0 + 3 * W, { kind: 'digest', nextStart: T0 + 3 * W, nextEnd: T0 + 4 * W }],
  ] as const)('%s ending %i with %i held, at %i: %j', (status, end, held, now, expected) => {
    // Act
    const decision = decideRoll(status, end, held, now, W);

    // Assess
    expect(decision).toEqual(expected);
  });

  it.each([
    [MAX_PENDING - 1, 2, 'digest'],
    // The email keeps failing: the window stays open (keeps counting) instead of piling up.
    [MAX_PENDING, 2, 'none'],
    [MAX_PENDING, 0, 'recover'],
  ] as const)('with %i digests unpublished and %i held: %s', (pending, held, expected) => {
    // Act
    const decision = decideRoll('OPEN', T0 + W, held, T0 + W + 60, W, pending);

    // Assess
    expect(decision.kind).toBe(expected);
  });
});

describe('observe and roll: the state machine', () => {
  it('follows the issue timeline: alert, hold, hold, digest, recover, alert', () => {
    // Prepare
    const at = (minutes: number) => T0 + minutes * 60;
    let state: GroupState | undefined;
    const log: string[] = [];
    const see = (minutes: number, records: FailureRecord[]) => {
      const result = observe(state, only(records), at(minutes), W);
      state = result.state;
      log.push(`${minutes}: ${result.alerted ? 'alert' : 'held'}`);
    };
    const run = (minutes: number) => {
      if (state === undefined) return;
      const result = roll(state, at(minutes), W);
      state = acknowledge(result.state);
      if (result.digest !== undefined) log.push(`${minutes}: digest of ${result.digest.held}`);
      if (result.recovered !== undefined) log.push(`${minutes}: recovered`);
    };

    // Act
    see(0, [denied(1)]);
    see(10, [denied(1)]);
    see(50, [denied(2)]);
    run(61);
    run(90);
    run(121);
    see(150, [denied(3)]);

    // Assess
    expect(log).toEqual([
      '0: alert',
      '10: held',
      '50: held',
      '61: digest of 2',
      '121: recovered',
      '150: alert',
    ]);
  });

  it('ends a digest where its window stopped counting when the run came late', () => {
    // Prepare: the digest schedule stopped for two windows; a repeat came meanwhile.
    const opened = observe(undefined, only([denied(1)]), T0, W).state;
    const counted = observe(opened, only([denied(2)]), T0 + 2 * W - 60, W).state;

    // Act
    const result = roll(counted, T0 + 3 * W, W);

    // Assess
    expect(result.digest).toMatchObject({ windowStart: T0, windowEnd: T0 + 3 * W, held: 1 });
    expect(result.state.windowStart).toBe(T0 + 3 * W);
  });

  it('alerts instead of holding once no digest run closed the window for a full window', () => {
    // Prepare
    const opened = observe(undefined, only([denied(1)]), T0, W).state;

    // Act
    const held = observe(opened, only([denied(2)]), T0 + 2 * W - 1, W);
    const stale = observe(held.state, only([denied(3)]), T0 + 2 * W, W);

    // Assess
    expect(held.alerted).toBe(false);
    expect(stale.alerted).toBe(true);
    expect(stale.state).toBe(held.state);
  });

  it('keeps a rolled digest pending until it is acknowledged', () => {
    // Prepare
    const opened = observe(undefined, only([denied(1)]), T0, W).state;
    const counted = observe(opened, only([denied(2)]), T0 + 60, W).state;

    // Act
    const rolled = roll(counted, T0 + W, W).state;

    // Assess
    expect(rolled.pending.map((digest) => digest.held)).toEqual([1]);
    expect(acknowledge(rolled).pending).toEqual([]);
  });

  it('conserves counts: every failure is in exactly one alert or exactly one digest', () => {
    // Prepare
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('batch' as const),
        advance: fc.integer({ min: 0, max: 2 * W }),
        scope: fc.constantFrom(FS, OTHER_FS),
        paths: fc.array(fc.constantFrom('/a', '/b', '/c', '/d'), { minLength: 1, maxLength: 5 }),
        escalates: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant('digest' as const),
        advance: fc.integer({ min: 0, max: 2 * W }),
        published: fc.boolean(),
      }),
    );

    // Act and Assess
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const states = new Map<string, GroupState>();
        let now = T0;
        let seen = 0;
        let alerted = 0;
        let digested = 0;
        let index = 0;
        for (const action of steps) {
          now += action.advance;
          if (action.kind === 'batch') {
            const records = action.paths.map((path) => {
              index += 1;
              return record(index, {
                fileSystemId: action.scope,
                class: 'permission',
                code: 'S3ExportAccessDenied',
                path,
              });
            });
            for (const batchGroup of groupReport(emptyReport({ records })).groups) {
              const group: BatchGroup = {
                ...batchGroup,
                escalations: action.escalates ? [`esc-${index}`] : [],
              };
              const result = observe(states.get(group.key.scope), group, now, W);
              states.set(group.key.scope, result.state);
              seen += group.failures;
              // The analyzer shows alerted and urgent groups in the summary.
              if (result.alerted || result.urgent) alerted += group.failures;
            }
          } else {
            for (const [scope, state] of states) {
              const rolled = roll(state, now, W).state;
              if (action.published) {
                digested += rolled.pending.reduce((sum, digest) => sum + digest.held, 0);
                states.set(scope, acknowledge(rolled));
              } else {
                states.set(scope, rolled);
              }
            }
          }
        }
        // Whatever is still held or pending goes out in a later digest.
        let outstanding = 0;
        for (const state of states.values()) {
          outstanding += state.current.held;
          outstanding += state.pending.reduce((sum, digest) => sum + digest.held, 0);
        }
        expect(alerted + digested + outstanding).toBe(seen);
      }),
    );
  });
});

describe('loadDigestConfig', () => {
  it.each([
    [undefined, 0],
    ['', 0],
    ['60', 60],
    [' 1440 ', 1440],
  ])('reads DIGEST_WINDOW_MINUTES %j as %i', (value, minutes) => {
    // Act
    const config = loadDigestConfig({ DIGEST_WINDOW_MINUTES: value });

    // Assess
    expect(config).toEqual({ windowMinutes: minutes });
  });

  it.each(['-1', '1441', '1h'])('refuses DIGEST_WINDOW_MINUTES %j in one line', (value) => {
    // Act
    const load = () => loadDigestConfig({ DIGEST_WINDOW_MINUTES: value });

    // Assess
    expect(load).toThrow(
      `Environment variable DIGEST_WINDOW_MINUTES must be an integer from 0 (digests off) to 1440 (got "${value}")`,
    );
  });
});

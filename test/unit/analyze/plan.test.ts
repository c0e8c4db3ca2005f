import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeBatches } from '../../../lib/analyze/analysis.ts';
import {
  associationsNeeded,
  keyToPath,
  normalisePath,
  type PlanOptions,
  planReexports,
} from '../../../lib/analyze/plan.ts';
import { MESSAGE_KEEP } from '../../../lib/common/records.ts';
import type { Association, FailureRecord } from '../../../lib/common/types.ts';
import { batch, type EventSpec } from '../../helpers/events.ts';
import { DRA, FS } from '../../helpers/fixtures.ts';

function records(events: EventSpec[], stream = `datarepo_${FS}`): FailureRecord[] {
  return [...analyzeBatches([batch(events, stream)]).records];
}

function options(overrides: Partial<PlanOptions> = {}): PlanOptions {
  return {
    maxPathsPerTask: 100,
    busyDelaySeconds: 600,
    reportPath: undefined,
    associations: new Map([[FS, [DRA]]]),
    associationErrors: new Map(),
    ...overrides,
  };
}

const internal = (path: string, id?: string): EventSpec => ({
  ...(id === undefined ? {} : { id }),
  message: JSON.stringify({ errorCode: 'InternalAutoExportError', filePath: path }),
});
const busy = (path: string): EventSpec => ({
  message: JSON.stringify({ errorCode: 'S3ExportResourceBusy', filePath: path }),
});

describe('Function: planReexports', () => {
  it('coalesces transient paths per file system, relative and deduplicated', () => {
    // Prepare
    const input = records([internal('/ns1/b.bin'), internal('ns1//a.bin'), internal('/ns1/b.bin')]);

    // Act
    const plan = planReexports(input, options());

    // Assess
    expect(plan.unplanned).toEqual([]);
    expect(plan.tasks).toHaveLength(1);
    expect(plan.tasks[0]).toMatchObject({
      fileSystemId: FS,
      paths: ['ns1/a.bin', 'ns1/b.bin'],
      eventIds: ['ev-0', 'ev-1', 'ev-2'],
      classes: ['transient'],
      delaySeconds: 0,
      reportPath: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
    });
  });

  it('splits into tasks of at most maxPathsPerTask paths', () => {
    // Prepare
    const input = records(
      Array.from({ length: 250 }, (_, i) => internal(`/ns1/f${String(i).padStart(3, '0')}`)),
    );

    // Act
    const plan = planReexports(input, options());
    const small = planReexports(input, options({ maxPathsPerTask: 7 }));

    // Assess
    expect(plan.tasks.map((task) => task.paths.length)).toEqual([100, 100, 50]);
    expect(new Set(plan.tasks.flatMap((task) => task.paths)).size).toBe(250);
    expect(small.tasks.every((task) => task.paths.length <= 7)).toBe(true);
  });

  it('plans 10,000 distinct busy paths of one file system as the plain definition does', () => {
    // Prepare: more paths than one fast table holds (string-tables.ts), some failing twice
    const paths = Array.from({ length: 10_000 }, (_, i) => `/ns1/run-${i % 97}/step-${i}.pt`);
    const input = records([...paths, ...paths.slice(0, 300)].map(busy));

    // Act
    const plan = planReexports(input, options());

    // Assess: every path once, in code-unit order, 100 to a task, all after the busy delay
    const expected = paths.map((path) => path.slice(1)).sort();
    expect(plan.tasks.map((task) => task.paths)).toEqual(
      Array.from({ length: 100 }, (_, i) => expected.slice(i * 100, i * 100 + 100)),
    );
    expect(plan.tasks.every((task) => task.delaySeconds === 600)).toBe(true);
    expect(plan.tasks.reduce((sum, task) => sum + task.eventIds.length, 0)).toBe(10_300);
    expect(plan.unplanned).toEqual([]);
  });

  it('gives busy paths their delay in a task of their own, and never retries other classes', () => {
    // Prepare
    const input = records([
      busy('/ns1/w.h5'),
      internal('/ns1/i.h5'),
      { message: JSON.stringify({ errorCode: 'S3ExportAccessDenied', filePath: '/ns1/p' }) },
      { message: JSON.stringify({ errorCode: 'S3ExportMystery', filePath: '/ns1/u' }) },
    ]);

    // Act
    const plan = planReexports(input, options());

    // Assess
    expect(plan.tasks.map((task) => [task.paths, task.delaySeconds])).toEqual([
      [['ns1/i.h5'], 0],
      [['ns1/w.h5'], 600],
    ]);
  });

  it('plans only the chosen classes when given, retryable or not (reexport after a fix)', () => {
    // Prepare
    const input = records([
      internal('/ns1/i.h5'),
      { message: JSON.stringify({ errorCode: 'S3ExportAccessDenied', filePath: '/ns1/p' }) },
    ]);

    // Act
    const chosen = planReexports(input, options({ classes: new Set(['permission']) }));
    const lambda = planReexports(input, options());

    // Assess
    expect(chosen.tasks.map((task) => [task.paths, task.classes])).toEqual([
      [['ns1/p'], ['permission']],
    ]);
    expect(lambda.tasks.map((task) => task.paths)).toEqual([['ns1/i.h5']]);
  });

  it('waits for the writer when a path is both busy and internal', () => {
    // Prepare
    const input = records([internal('/ns1/x'), busy('/ns1/x')]);

    // Act
    const plan = planReexports(input, options());

    // Assess
    expect(plan.tasks).toHaveLength(1);
    expect(plan.tasks[0]).toMatchObject({ delaySeconds: 600, classes: ['busy', 'transient'] });
  });

  it('maps an S3-key-only record to its path through the associations', () => {
    // Prepare
    const input = records([
      {
        message:
          'Failed to export S3 object with key datasets/run1/a.nc in S3 bucket ml-archive due to an internal error.',
      },
    ]);

    // Act
    const plan = planReexports(input, options());

    // Assess
    expect(plan.tasks[0]?.paths).toEqual(['ns1/run1/a.nc']);
  });

  it('explains every retryable failure it cannot plan', () => {
    // Prepare
    const input = [
      ...records([
        internal('/ns1/../etc/passwd'),
        internal('/'),
        { message: '{"errorCode":"InternalAutoExportError"}' },
      ]),
      ...records([internal('/ns1/a')], 'some-stream'),
      ...records([
        {
          message:
            'Failed to export S3 object with key other/x in S3 bucket ml-archive due to an internal error.',
        },
      ]),
    ];

    // Act
    const plan = planReexports(input, options());
    const dry = planReexports(
      records([
        {
          message:
            'Failed to export S3 object with key datasets/x in S3 bucket ml-archive due to an internal error.',
        },
      ]),
      options({ associations: new Map() }),
    );

    // Assess
    expect(plan.tasks).toEqual([]);
    expect(plan.unplanned.map((item) => item.reason)).toEqual([
      'path contains "..", which leaves the file system root',
      'path is the file system root; not re-exported whole',
      'the record names no file path or S3 key',
      'no file-system id in the record or the log stream name',
      'the S3 key is under no data repository association of the file system',
    ]);
    // A key-only record without associations (a dry run) is the Lambda's to map, not a person's.
    expect(dry.unplanned).toEqual([]);
    expect(dry.awaitingMapping[0]?.reason).toContain('which a dry run does not read');
    expect(dry.awaitingMapping[0]?.target).toBe('s3://ml-archive/datasets/x');
  });

  it('uses the report path override when given', () => {
    // Prepare
    const input = records([internal('/ns1/a')]);

    // Act
    const plan = planReexports(
      input,
      options({ reportPath: 's3://reports/here', associations: new Map() }),
    );

    // Assess
    expect(plan.tasks[0]?.reportPath).toBe('s3://reports/here');
  });

  it('accounts for every retryable record exactly once (property)', () => {
    const pathArb = fc.oneof(fc.constantFrom('/ns1/a', 'ns1/b', '/', '..', ''), fc.string());
    fc.assert(
      fc.property(
        fc.array(fc.record({ busy: fc.boolean(), path: pathArb }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 100 }),
        (specs, maxPathsPerTask) => {
          // Prepare
          const input = records(specs.map((s) => (s.busy ? busy(s.path) : internal(s.path))));

          // Act
          const plan = planReexports(input, options({ maxPathsPerTask }));

          // Assess: every event id is in exactly one task or one unplanned entry.
          const planned = plan.tasks.flatMap((task) => task.eventIds);
          const skipped = plan.unplanned.map((item) => item.eventId);
          expect([...planned, ...skipped].sort()).toEqual(input.map((r) => r.eventId).sort());
          for (const task of plan.tasks) {
            expect(task.paths.length).toBeLessThanOrEqual(maxPathsPerTask);
            expect(task.paths.every((p) => !p.startsWith('/') && p.length > 0)).toBe(true);
            expect(task.clientRequestToken).toMatch(/^[A-Za-z0-9_.-]{1,63}$/);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Event ids of a task', () => {
  it('are sorted and distinct, whether the batch lists its ids in order or not (property)', () => {
    // Distinct ids in ascending order take the planner's numeric sort (see eventIdsOf): paths
    // then mostly hold one id each, in an order other than the ids'. Others take the string sort.
    const idArb = fc.stringMatching(/^[0-9]{1,4}$/);
    const pathArb = fc.stringMatching(/^\/ns1\/[a-z]{1,2}$/);
    fc.assert(
      fc.property(
        fc.array(fc.record({ id: idArb, path: pathArb }), { maxLength: 80 }),
        fc.constantFrom('sorted', 'distinct and sorted', 'as generated'),
        fc.integer({ min: 1, max: 100 }),
        (specs, idOrder, maxPathsPerTask) => {
          // Prepare
          let ids = specs.map((s) => s.id);
          if (idOrder === 'distinct and sorted') ids = specs.map((_, i) => String(1000 + i));
          else if (idOrder === 'sorted') ids.sort();
          const input = records(specs.map((s, i) => internal(s.path, ids[i])));

          // Act
          const plan = planReexports(input, options({ maxPathsPerTask }));

          // Assess: every path planned; each task lists exactly its paths' ids, in code-unit
          // order, each once.
          expect(plan.unplanned).toEqual([]);
          for (const task of plan.tasks) {
            const own = input
              .filter((r) => task.paths.includes((r.path ?? '').slice(1)))
              .map((r) => r.eventId);
            expect(task.eventIds).toEqual([...new Set(own)].sort());
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Path order in a task', () => {
  it("is the normalised paths' order, distinct, whatever form the records wrote (property)", () => {
    // The planner keys and sorts by the record's own string where it is `/` + the path (see
    // Planner's #sortKey): mixing raw forms must not change the order or split a path in two.
    const segment = fc.constantFrom('a', 'b', 'A', '~', 'ä', 'x y', '.', '');
    const pathArb = fc
      .tuple(
        fc.constantFrom('', '/', '//', './'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
      )
      .map(([lead, segments]) => lead + segments.join('/'));
    fc.assert(
      fc.property(fc.array(pathArb, { maxLength: 60 }), (paths) => {
        // Prepare
        const input = records(paths.map((path) => internal(path)));
        const expected = [
          ...new Set(
            paths.flatMap((path) => {
              const normal = normalisePath(path);
              return 'path' in normal ? [normal.path] : [];
            }),
          ),
        ].sort();

        // Act
        const plan = planReexports(input, options({ associations: new Map() }));

        // Assess
        expect(plan.tasks.flatMap((task) => task.paths)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe('Function: normalisePath', () => {
  it.each([
    ['/ns1/a/b', 'ns1/a/b'],
    ['ns1/./a//b/', 'ns1/a/b'],
    ['///x', 'x'],
  ])('normalises %s', (raw, path) => {
    expect(normalisePath(raw)).toEqual({ path });
  });

  it.each([['a/\nb'], ['a\u0000b'], ['a/\u2028'], [`/${'x'.repeat(4097)}`]])(
    'rejects what the FSx path pattern forbids',
    (raw) => {
      expect(normalisePath(raw)).toHaveProperty('reason');
    },
  );
});

describe('Function: keyToPath', () => {
  const root: Association = {
    ...DRA,
    associationId: 'dra-1',
    fileSystemPath: '/',
    dataRepositoryPath: 's3://b/',
  };
  const deep: Association = {
    ...DRA,
    associationId: 'dra-2',
    fileSystemPath: '/ns2/',
    dataRepositoryPath: 's3://b/deep/prefix',
  };

  it('takes the longest matching prefix of the right bucket', () => {
    expect(keyToPath('deep/prefix/x.bin', 'b', [root, deep])).toBe('/ns2/x.bin');
    expect(keyToPath('other/x.bin', 'b', [root, deep])).toBe('/other/x.bin');
    expect(keyToPath('other/x.bin', 'c', [root, deep])).toBeUndefined();
  });
});

describe('Function: associationsNeeded', () => {
  it('asks only for file systems that need a mapping or a report path', () => {
    // Prepare
    const input = records([internal('/ns1/a')]);

    // Act / Assess
    expect(associationsNeeded(input, undefined)).toEqual([FS]);
    expect(associationsNeeded(input, 's3://r/p')).toEqual([]);
  });
});

describe('Trust: a record whose own text is doubtful is shown, never re-exported', () => {
  it.each([
    [
      'names another file system than its log stream',
      'ERROR S3ExportInternalError on fs-0123abcd4567ef890 path=/ns1/shared/data.bin',
      'the record names fs-0123abcd4567ef890',
    ],
    [
      'has an unquoted path that may be cut',
      'ERROR S3ExportInternalError path=/ns1/lab notes/run 3.csv level=ERROR',
      'may be cut short',
    ],
    [
      'has an unquoted path that may run on into the message (a shortened text)',
      'ERROR S3ExportInternalError file_path=/ns1/p/one.dat Automatic export encountered an internal error',
      'the path was read from unquoted text and may run on into the message: not re-exported, check it by hand',
    ],
    [
      'has an unquoted path with spaces that runs to the end of the line',
      'ERROR S3ExportInternalError file_path=/ns1/lab notes/run 3.csv',
      'the path was read from unquoted text and may run on into the message: not re-exported',
    ],
    [
      "has an unquoted path that may run on into another file system's id",
      'ERROR S3ExportInternalError file_path=/ns1/abc/def.txt fs-0aaaaaaaaaaaaaaa1',
      `the record names fs-0aaaaaaaaaaaaaaa1 but was logged for ${FS}`,
    ],
    [
      "has an unquoted path that may run on into its own stream's id",
      `ERROR S3ExportInternalError file_path=/ns1/abc/def.txt ${FS}`,
      `the path was read from unquoted text and may run on into the file-system id ${FS}: not re-exported`,
    ],
  ])('%s', (_what, message, reason) => {
    // Prepare
    const input = records([{ message }]);

    // Act
    const plan = planReexports(input, options());

    // Assess
    expect(plan.tasks).toEqual([]);
    expect(plan.unplanned).toHaveLength(1);
    expect(plan.unplanned[0]?.reason).toContain(reason);
    expect(plan.unplanned[0]?.fileSystemId).toBe(FS);
  });

  it('keeps an uncertain path from re-export when its message is too long to show whole', () => {
    // Prepare: the record shows its message shortened, so the path cannot be read from it again.
    const message = `ERROR S3ExportInternalError file_path=/ns1/${'x'.repeat(MESSAGE_KEEP)} run 3.csv`;
    const input = records([{ message }]);

    // Act
    const plan = planReexports(input, options());

    // Assess: still shown and not re-exported, with a reason about the unquoted path.
    expect(plan.tasks).toEqual([]);
    expect(plan.unplanned[0]?.reason).toMatch(/^the path was read from unquoted text and may /);
  });

  it.each([
    ['quoted', 'ERROR S3ExportInternalError file_path="/ns1/lab notes/run 3.csv"'],
    [
      'unquoted, ended by the documented text',
      'ERROR file_path=/ns1/lab notes/run 3.csv Automatic export encountered an internal error while exporting a file system object',
    ],
  ])('re-exports a path with spaces whole when it is %s', (_how, message) => {
    // Prepare
    const input = records([{ message }]);

    // Act
    const plan = planReexports(input, options());

    // Assess
    expect(plan.unplanned).toEqual([]);
    expect(plan.tasks.map((task) => task.paths)).toEqual([['ns1/lab notes/run 3.csv']]);
  });

  it('re-exports a quoted path whole, even with an id-shaped word in it', () => {
    // Prepare
    const input = records([
      { message: 'ERROR S3ExportInternalError file_path="/ns1/abc/def.txt fs-0aaaaaaaaaaaaaaa1"' },
    ]);

    // Act
    const plan = planReexports(input, options());

    // Assess
    expect(plan.unplanned).toEqual([]);
    expect(plan.tasks.map((task) => task.paths)).toEqual([
      ['ns1/abc/def.txt fs-0aaaaaaaaaaaaaaa1'],
    ]);
  });
});

describe('Paths outside every association', () => {
  it('are left out with the reason wherever the associations were read (Lambda, analyze, reexport)', () => {
    // Prepare: the file system links /ns1 only.
    const input = records([internal('/elsewhere/z.bin'), internal('/ns1/a.bin')]);

    // Act
    const plan = planReexports(input, options());

    // Assess
    expect(plan.tasks.map((task) => task.paths)).toEqual([['ns1/a.bin']]);
    expect(plan.unplanned).toEqual([
      expect.objectContaining({
        target: '/elsewhere/z.bin',
        reason: expect.stringContaining('under no data repository association'),
      }),
    ]);
  });

  it('go to FSx as today where no association was read (a dry run, or none linked)', () => {
    // Act
    const plan = planReexports(
      records([internal('/elsewhere/z.bin')]),
      options({ associations: new Map([[FS, []]]) }),
    );

    // Assess
    expect(plan.tasks.map((task) => task.paths)).toEqual([['elsewhere/z.bin']]);
  });
});

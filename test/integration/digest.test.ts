import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDigestStore } from '../../lib/aws/digests.ts';
import type { DigestStore } from '../../lib/common/ports.ts';
import type { BatchGroup, FailureRecord } from '../../lib/common/types.ts';
import { digestRules, groupReport, MAX_PENDING } from '../../lib/digest/windows.ts';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite.ts';
import { FS } from '../helpers/fixtures.ts';
import { emptyReport, record, unparseable } from '../helpers/reports.ts';

/*
 * The digest store against dynalite, a real DynamoDB implementation, through the real SDK client:
 * the conditional updates, ADD on numbers and sets, nested map counters and the roll all run as
 * DynamoDB runs them. The clock is fake: windows of one hour from 10:00 UTC.
 */

const WINDOW_SECONDS = 3600;
/** The fake clock: failures happen "now". */
let clock: Date;

function at(time: string): Date {
  return new Date(`2025-06-01T${time}:00.000Z`);
}

function seconds(time: string): number {
  return Math.floor(at(time).getTime() / 1000);
}

function accessDenied(index: number, path = `/ns1/file-${index}.bin`): FailureRecord {
  return record(index, {
    timestamp: clock.getTime(),
    eventId: `ev-${index}-${path}`,
    code: 'S3ExportAccessDenied',
    class: 'permission',
    path,
  });
}

/** The one group of a batch of access-denied failures on {@link FS}. */
function permissionGroup(records: readonly FailureRecord[]): BatchGroup {
  const group = groupReport(emptyReport({ records })).groups[0];
  if (group === undefined) throw new Error('no group');
  return group;
}

describe('Integration: digest store on dynalite', () => {
  let dynamo: LocalDynamo;
  let store: DigestStore;

  function storeAt(): DigestStore {
    return createDigestStore(dynamo.client, {
      tableName: dynamo.tableName,
      windowSeconds: WINDOW_SECONDS,
      rules: digestRules,
      now: () => clock,
    });
  }

  beforeEach(async () => {
    dynamo = await startDynalite();
    clock = at('10:00');
    store = storeAt();
  });

  afterEach(async () => {
    await dynamo.stop();
  });

  it('alerts first, holds repeats, digests them, recovers, then alerts at once again', async () => {
    // Prepare: the timeline.
    const steps: Record<string, unknown> = {};

    // Act
    clock = at('10:00');
    steps['10:00'] = await store.observe(permissionGroup([accessDenied(1)]));
    clock = at('10:10');
    steps['10:10'] = await store.observe(permissionGroup([accessDenied(11, '/ns1/file-1.bin')]));
    clock = at('10:50');
    steps['10:50'] = await store.observe(permissionGroup([accessDenied(2)]));
    clock = at('11:01');
    const first = await store.collect();
    await store.acknowledge(first);
    clock = at('11:30');
    const nothingDue = await store.collect();
    clock = at('12:01');
    const second = await store.collect();
    await store.acknowledge(second);
    clock = at('12:30');
    steps['12:30'] = await store.observe(permissionGroup([accessDenied(3)]));
    clock = at('12:31');
    const afterAll = await store.collect();

    // Assess
    expect(steps['10:00']).toEqual({ alerted: true, urgent: true, windowEnd: seconds('11:00') });
    expect(steps['10:10']).toEqual({ alerted: false, urgent: false, windowEnd: seconds('11:00') });
    expect(steps['10:50']).toEqual({ alerted: false, urgent: false, windowEnd: seconds('11:00') });
    expect(first.recovered).toEqual([]);
    expect(first.digests).toHaveLength(1);
    expect(first.digests[0]).toMatchObject({
      key: { scopeKind: 'fileSystem', scope: FS, cls: 'permission' },
      windowStart: seconds('10:00'),
      windowEnd: seconds('11:00'),
      held: 2,
      newFailures: 1,
      recurringFailures: 1,
      untracked: 0,
      samples: ['ns1/file-2.bin'],
    });
    expect([...(first.digests[0]?.codes ?? [])]).toEqual([['S3ExportAccessDenied', 2]]);
    expect(nothingDue).toEqual({ digests: [], recovered: [], skipped: 0 });
    expect(second.digests).toEqual([]);
    expect(second.recovered).toEqual([
      {
        key: { scopeKind: 'fileSystem', scope: FS, cls: 'permission' },
        windowEnd: seconds('12:00'),
        lastFailureAt: seconds('10:50'),
        windowSeconds: WINDOW_SECONDS,
      },
    ]);
    expect(steps['12:30']).toEqual({ alerted: true, urgent: true, windowEnd: seconds('13:30') });
    expect(afterAll).toEqual({ digests: [], recovered: [], skipped: 0 });
  });

  it('publishes a pending digest again when it was not acknowledged (the email failed)', async () => {
    // Prepare
    await store.observe(permissionGroup([accessDenied(1)]));
    clock = at('10:20');
    await store.observe(permissionGroup([accessDenied(2)]));
    clock = at('11:05');
    const failedRun = await store.collect();

    // Act: the publish failed, so nothing was acknowledged; the next run comes.
    clock = at('11:10');
    const retry = await store.collect();

    // Assess
    expect(failedRun.digests.map((digest) => digest.held)).toEqual([1]);
    expect(retry.digests).toEqual(failedRun.digests);
  });

  it('ends a late digest when the window stopped counting, so its time range and link cover every repeat', async () => {
    // Prepare: the digest schedule stops after 10:00; repeats keep coming into the open window.
    await store.observe(permissionGroup([accessDenied(1)]));
    clock = at('10:20');
    await store.observe(permissionGroup([accessDenied(2)]));
    clock = at('11:50');
    const late = await store.observe(permissionGroup([accessDenied(3)]));

    // Act
    clock = at('13:30');
    const run = await store.collect();

    // Assess
    expect(late.alerted).toBe(false);
    expect(run.digests).toHaveLength(1);
    expect(run.digests[0]).toMatchObject({
      windowStart: seconds('10:00'),
      windowEnd: seconds('13:30'),
      held: 2,
    });
  });

  it('alerts instead of holding when no digest run closed the window for a full window', async () => {
    // Prepare: the window 10:00-11:00 is never closed (the digest schedule is broken).
    await store.observe(permissionGroup([accessDenied(1)]));
    clock = at('11:59');
    const beforeStale = await store.observe(permissionGroup([accessDenied(2)]));

    // Act
    clock = at('12:00');
    const stale = await store.observe(permissionGroup([accessDenied(3)]));
    clock = at('12:01');
    const run = await store.collect();

    // Assess
    expect(beforeStale.alerted).toBe(false);
    expect(stale).toEqual({ alerted: true, urgent: true, windowEnd: seconds('11:00') });
    expect(run.digests.map((digest) => digest.held)).toEqual([1]);
  });

  it('keeps at most MAX_PENDING unpublished digests while the email fails, losing no count', async () => {
    // Prepare: the first failure alerts at 10:00; then one repeat every hour, and every digest
    // email fails (nothing is acknowledged), for MAX_PENDING + 3 hours.
    await store.observe(permissionGroup([accessDenied(0)]));
    const hours = MAX_PENDING + 3;
    let last: Awaited<ReturnType<DigestStore['collect']>> | undefined;
    let alerted = 0;
    for (let hour = 0; hour < hours; hour++) {
      clock = new Date(at('10:30').getTime() + hour * WINDOW_SECONDS * 1000);
      const result = await store.observe(permissionGroup([accessDenied(hour + 1)]));
      if (result.alerted) alerted += 1;
      clock = new Date(at('11:01').getTime() + hour * WINDOW_SECONDS * 1000);
      last = await store.collect();
    }

    // Act: the email works again.
    if (last === undefined) throw new Error('no run');
    await store.acknowledge(last);
    clock = new Date(clock.getTime() + 60_000);
    const next = await store.collect();
    const [item] =
      (await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }))).Items ?? [];

    // Assess
    expect(last.digests).toHaveLength(MAX_PENDING);
    expect(next.digests).toHaveLength(1);
    const held = [...last.digests, ...next.digests].reduce((sum, digest) => sum + digest.held, 0);
    // The window left open behind the backlog went stale in its last hour: that repeat alerted.
    expect(alerted).toBe(1);
    expect(held + alerted).toBe(hours);
    expect(next.digests[0]).toMatchObject({
      windowStart: last.digests.at(-1)?.windowEnd,
      windowEnd: Math.floor(clock.getTime() / 1000),
      held: hours - MAX_PENDING - alerted,
    });
    expect(Object.keys(item ?? {}).filter((name) => /^w\d+_held$/.test(name))).toHaveLength(1);
  });

  describe('a Lambda retry of a batch whose summary failed', () => {
    it('counts a held repeat once', async () => {
      // Prepare
      await store.observe(permissionGroup([accessDenied(1)]));
      clock = at('10:20');
      const repeat = permissionGroup([accessDenied(2), accessDenied(3)]);
      const first = await store.observe(repeat);

      // Act
      clock = at('10:22');
      const retry = await store.observe(repeat);
      clock = at('11:01');
      const run = await store.collect();

      // Assess
      expect(first).toMatchObject({ alerted: false, urgent: false });
      expect(retry).toEqual(first);
      expect(run.digests.map((digest) => digest.held)).toEqual([2]);
    });

    it('is urgent again for the escalation whose email failed, and holds it in no digest', async () => {
      // Prepare
      await store.observe(permissionGroup([accessDenied(1)]));
      clock = at('10:20');
      const escalating: BatchGroup = {
        ...permissionGroup([accessDenied(2)]),
        escalations: ['escalated-1'],
      };
      const first = await store.observe(escalating);

      // Act
      clock = at('10:22');
      const retry = await store.observe(escalating);
      clock = at('11:01');
      const run = await store.collect();

      // Assess: the summary showed the failure, so no digest counts it again; nor is the
      // window quiet.
      expect(first).toMatchObject({ alerted: false, urgent: true });
      expect(retry).toEqual(first);
      expect(run).toEqual({ digests: [], recovered: [], skipped: 0 });
    });

    it('is urgent again when the digest run closed the window before the retry', async () => {
      // Prepare: an escalation at 10:59 whose summary failed; the digest run closed the window
      // at 11:00; Lambda retried the batch at 11:01.
      await store.observe(permissionGroup([accessDenied(1)]));
      clock = at('10:59');
      const escalating: BatchGroup = {
        ...permissionGroup([accessDenied(2)]),
        escalations: ['escalated-1'],
      };
      await store.observe(escalating);
      clock = at('11:00');
      const closed = await store.collect();
      await store.acknowledge(closed);

      // Act
      clock = at('11:01');
      const retry = await store.observe(escalating);
      clock = at('12:01');
      const next = await store.collect();

      // Assess
      expect(retry).toMatchObject({ alerted: false, urgent: true });
      expect(closed).toEqual({ digests: [], recovered: [], skipped: 0 });
      expect(next.digests).toEqual([]);
    });
  });

  it('counts a repeat that arrives after the window ended but before the roll into that window', async () => {
    // Prepare
    await store.observe(permissionGroup([accessDenied(1)]));

    // Act
    clock = at('11:02');
    const late = await store.observe(permissionGroup([accessDenied(2)]));
    const run = await store.collect();

    // Assess
    expect(late.alerted).toBe(false);
    expect(run.digests.map((digest) => digest.held)).toEqual([1]);
  });

  it('loses no count when two analyzers write the same window at once', async () => {
    // Prepare
    await store.observe(permissionGroup([accessDenied(0)]));
    clock = at('10:30');
    const other = storeAt();
    const batches = Array.from({ length: 10 }, (_, index) =>
      permissionGroup([accessDenied(index * 2 + 1), accessDenied(index * 2 + 2)]),
    );

    // Act
    const results = await Promise.all(
      batches.map((group, index) => (index % 2 === 0 ? store : other).observe(group)),
    );
    clock = at('11:01');
    const run = await store.collect();

    // Assess
    expect(results.every((result) => !result.alerted)).toBe(true);
    expect(run.digests.map((digest) => digest.held)).toEqual([20]);
    expect(run.digests[0]?.newFailures).toBe(20);
    expect([...(run.digests[0]?.codes ?? [])]).toEqual([['S3ExportAccessDenied', 20]]);
  });

  it('opens a window once when two analyzers see the first failure at once', async () => {
    // Prepare
    const other = storeAt();

    // Act
    const results = await Promise.all([
      store.observe(permissionGroup([accessDenied(1)])),
      other.observe(permissionGroup([accessDenied(2)])),
    ]);

    // Assess
    expect(results.filter((result) => result.alerted)).toHaveLength(1);
  });

  it('loses no count when an analyzer races the roll: it lands in the old or the new window', async () => {
    // Prepare
    await store.observe(permissionGroup([accessDenied(1)]));
    clock = at('10:30');
    await store.observe(permissionGroup([accessDenied(2)]));
    clock = at('11:01');

    // Act
    const [run] = await Promise.all([
      store.collect(),
      storeAt().observe(permissionGroup([accessDenied(3), accessDenied(4)])),
    ]);
    await store.acknowledge(run);
    clock = at('12:01');
    const next = await store.collect();

    // Assess
    const held = [...run.digests, ...next.digests].reduce((sum, digest) => sum + digest.held, 0);
    expect(held).toBe(3);
  });

  it('counts a path that failed in the previous window as recurring', async () => {
    // Prepare
    await store.observe(permissionGroup([accessDenied(1)]));
    clock = at('10:30');
    await store.observe(permissionGroup([accessDenied(2)]));
    clock = at('11:01');
    await store.acknowledge(await store.collect());

    // Act
    clock = at('11:30');
    await store.observe(permissionGroup([accessDenied(12, '/ns1/file-2.bin'), accessDenied(5)]));
    clock = at('12:01');
    const run = await store.collect();

    // Assess
    expect(run.digests[0]).toMatchObject({ held: 2, newFailures: 1, recurringFailures: 1 });
  });

  it('starts a new window without a digest or a recovery when its only repeats went out as escalations', async () => {
    // Prepare: an alert at 10:00, then at 10:30 a repeat with a new escalation (urgent: emailed).
    await store.observe(permissionGroup([accessDenied(1)]));
    clock = at('10:30');
    const escalating: BatchGroup = {
      ...permissionGroup([accessDenied(2)]),
      escalations: ['escalated-2'],
    };
    const urgent = await store.observe(escalating);

    // Act
    clock = at('11:01');
    const renewed = await store.collect();
    clock = at('11:10');
    const repeat = await store.observe(permissionGroup([accessDenied(3)]));
    clock = at('12:01');
    const next = await store.collect();

    // Assess: every failure once: 1 and 2 in summaries, 3 in the digest of 11:00-12:00.
    expect(urgent).toMatchObject({ alerted: false, urgent: true });
    expect(renewed).toEqual({ digests: [], recovered: [], skipped: 0 });
    expect(repeat).toMatchObject({ alerted: false, urgent: false, windowEnd: seconds('12:00') });
    expect(next.digests).toMatchObject([
      { windowStart: seconds('11:00'), windowEnd: seconds('12:00'), held: 1 },
    ]);
  });

  it('acknowledging removes the published window from the item', async () => {
    // Prepare
    await store.observe(permissionGroup([accessDenied(1)]));
    clock = at('10:30');
    await store.observe(permissionGroup([accessDenied(2)]));
    clock = at('11:01');

    // Act
    await store.acknowledge(await store.collect());

    // Assess
    const { Items = [] } = await dynamo.client.send(
      new ScanCommand({ TableName: dynamo.tableName }),
    );
    const names = Object.keys(Items[0] ?? {}).sort();
    // What the next window still reads: the paths (recurring) and the batches (Lambda retries).
    expect(names.filter((name) => name.startsWith(`w${seconds('10:00')}_`))).toEqual([
      `w${seconds('10:00')}_b`,
      `w${seconds('10:00')}_h`,
    ]);
    expect(names).not.toContain('pending');
  });

  it('stores hostile codes, paths and empty samples that DynamoDB would otherwise refuse', async () => {
    // Prepare
    const hostile = (index: number) =>
      record(index, {
        eventId: `hostile-${index}`,
        timestamp: clock.getTime(),
        class: 'unknown',
        code: index === 0 ? '' : `Code\ud800${'x'.repeat(500)}\u001b[2J`,
        path: `/ns1/\udfff${'d/'.repeat(3000)}file-${index}`,
      });
    const report = emptyReport({
      records: [hostile(0), hostile(1)],
      unparseable: [unparseable(1, { timestamp: clock.getTime() })],
    });
    const groups = groupReport(report).groups;
    for (const group of groups) await store.observe(group);
    clock = at('10:30');
    const repeat = groupReport(
      emptyReport({
        records: [hostile(2), hostile(3)],
        unparseable: [unparseable(2, { timestamp: clock.getTime() })],
      }),
    ).groups;

    // Act
    for (const group of repeat) await store.observe(group);
    clock = at('11:01');
    const run = await store.collect();

    // Assess
    expect(run.digests.map((digest) => [digest.key.cls, digest.held])).toEqual(
      expect.arrayContaining([
        ['unknown', 2],
        ['unparseable', 1],
      ]),
    );
    const unknown = run.digests.find((digest) => digest.key.cls === 'unknown');
    expect([...(unknown?.codes.keys() ?? [])][0]).toMatch(/^Code\\ud800x+…$/);
    expect(unknown?.samples).toHaveLength(2);
  });

  it('conserves counts against real DynamoDB: each failure alerts or is in exactly one digest', async () => {
    // Prepare
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('batch' as const),
        advance: fc.integer({ min: 0, max: 2 * WINDOW_SECONDS }),
        paths: fc.array(fc.constantFrom('/a', '/b', '/c'), { minLength: 1, maxLength: 4 }),
        escalates: fc.boolean(),
        retried: fc.boolean(),
      }),
      fc.record({
        kind: fc.constant('digest' as const),
        advance: fc.integer({ min: 0, max: 2 * WINDOW_SECONDS }),
        published: fc.boolean(),
      }),
    );
    let run = 0;

    // Act and Assess
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
        run += 1;
        // A file system per run: runs share the table but never an item.
        const fileSystemId = `fs-${String(run).padStart(17, '0')}`;
        let seen = 0;
        let alerted = 0;
        let digested = 0;
        const mine = (work: Awaited<ReturnType<DigestStore['collect']>>) =>
          work.digests.filter((digest) => digest.key.scope === fileSystemId);
        for (const [index, action] of steps.entries()) {
          clock = new Date(clock.getTime() + action.advance * 1000);
          if (action.kind === 'batch') {
            const records = action.paths.map((path, n) =>
              record(n, {
                eventId: `run${run}-step${index}-${n}`,
                timestamp: clock.getTime(),
                fileSystemId,
                class: 'permission',
                code: 'S3ExportAccessDenied',
                path,
              }),
            );
            const group: BatchGroup = {
              ...permissionGroup(records),
              escalations: action.escalates ? [`esc-${run}-${index}`] : [],
            };
            const result = await store.observe(group);
            seen += records.length;
            // The analyzer shows alerted and urgent groups in the summary.
            if (result.alerted || result.urgent) alerted += records.length;
            if (action.retried) {
              // Lambda retries the invocation: the same answer, nothing counted twice.
              const retry = await store.observe(group);
              expect(retry.alerted || retry.urgent).toBe(result.alerted || result.urgent);
            }
          } else {
            const work = await store.collect();
            if (action.published) {
              digested += mine(work).reduce((sum, digest) => sum + digest.held, 0);
              await store.acknowledge(work);
            }
          }
        }
        clock = new Date(clock.getTime() + 2 * WINDOW_SECONDS * 1000);
        const last = await store.collect();
        digested += mine(last).reduce((sum, digest) => sum + digest.held, 0);
        await store.acknowledge(last);
        expect(alerted + digested).toBe(seen);
      }),
      { numRuns: 25 },
    );
  });
});

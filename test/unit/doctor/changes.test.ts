import { describe, expect, it } from 'vitest';
import type { Checked, FindingState, LogGroupFacts } from '../../../lib/common/types.ts';
import { doctorChanges, toFindingState } from '../../../lib/doctor/changes.ts';
import { type DoctorResult, diagnose } from '../../../lib/doctor/diagnose.ts';
import { association, GROUP, inventory } from '../../helpers/doctor.ts';
import { FS } from '../../helpers/fixtures.ts';

describe('Function: doctorChanges', () => {
  const healthy = diagnose(inventory());
  const misconfigured = diagnose(
    inventory({
      associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
    }),
  );

  it.each([
    ['nothing changed', toFindingState(healthy.findings), healthy, []],
    ['the first run finds everything healthy', undefined, healthy, []],
    [
      'an association became MISCONFIGURED',
      toFindingState(healthy.findings),
      misconfigured,
      [['association', 'OK', 'PROBLEM']],
    ],
    [
      'the association is AVAILABLE again',
      toFindingState(misconfigured.findings),
      healthy,
      [['association', 'PROBLEM', 'OK']],
    ],
    [
      'the first run finds a problem',
      undefined,
      misconfigured,
      [['association', undefined, 'PROBLEM']],
    ],
  ] as const)('%s', (_name, previous, result, expected) => {
    // Act
    const { changes } = doctorChanges(previous, result.findings);

    // Assess
    expect(changes.map((change) => [change.check, change.before, change.after])).toEqual(expected);
  });

  const throttled: Checked<LogGroupFacts> = {
    ok: false,
    reason: 'ThrottlingException: Rate exceeded',
    permission: 'logs:DescribeSubscriptionFilters',
  };
  const unchecked = diagnose(inventory({ logGroups: { [GROUP]: throttled } }));

  /** Runs doctorChanges over `runs` in turn; what each run would email. */
  function replay(first: FindingState[] | undefined, ...runs: DoctorResult[]): string[][] {
    let state: readonly FindingState[] | undefined = first;
    return runs.map((run) => {
      const step = doctorChanges(state, run.findings);
      state = step.state;
      return step.changes.map((change) => `${change.check} ${change.before} -> ${change.after}`);
    });
  }

  it.each([
    [
      'a single failed look is not told, nor its recovery',
      toFindingState(healthy.findings),
      [unchecked, healthy],
      [[], []],
    ],
    [
      'a failed look twice in a row is told once, and so is its recovery',
      toFindingState(healthy.findings),
      [unchecked, unchecked, unchecked, healthy],
      [[], ['subscription OK -> UNKNOWN'], [], ['subscription UNKNOWN -> OK']],
    ],
    [
      'flapping every other run stays quiet',
      toFindingState(healthy.findings),
      [unchecked, healthy, unchecked, healthy, unchecked],
      [[], [], [], [], []],
    ],
    [
      'a first run that cannot look waits for the second',
      undefined,
      [unchecked, unchecked],
      [[], ['subscription undefined -> UNKNOWN']],
    ],
    [
      'a new finding that could not be checked once and then is fine is never told',
      undefined,
      [unchecked, healthy],
      [[], []],
    ],
  ] as const)('UNKNOWN needs two runs in a row: %s', (_name, first, runs, expected) => {
    // Act
    const emailed = replay(first === undefined ? undefined : [...first], ...runs);

    // Assess
    expect(emailed).toEqual(expected);
  });

  it('keeps the findings of associations it could not list instead of calling them gone', () => {
    // Prepare
    const unlisted = diagnose(
      inventory({
        associations: {
          ok: false,
          reason: 'ThrottlingException: Rate exceeded',
          permission: 'fsx:DescribeDataRepositoryAssociations',
        },
      }),
    );

    // Act
    const emailed = replay(
      toFindingState(misconfigured.findings),
      unlisted,
      misconfigured,
      unlisted,
      unlisted,
      healthy,
    );

    // Assess
    expect(emailed).toEqual([
      [],
      [],
      [],
      ['associations undefined -> UNKNOWN'],
      ['association PROBLEM -> OK', 'associations UNKNOWN -> undefined'],
    ]);
  });

  it('does not tell of a finding that was never told and went away', () => {
    // Prepare
    const previous: FindingState[] = [
      {
        key: `${FS}|subscription|${GROUP}`,
        fileSystemId: FS,
        check: 'subscription',
        severity: 'UNKNOWN',
        unconfirmed: true,
      },
    ];

    // Act
    const { changes, state } = doctorChanges(previous, []);

    // Assess
    expect(changes).toEqual([]);
    expect(state).toEqual([]);
  });

  it('tells of a problem that went away with its file system, not of a healthy one', () => {
    // Prepare
    const previous: FindingState[] = [
      {
        key: 'fs-0aaaaaaaaaaaaaaaa|logging|x',
        fileSystemId: 'fs-0aaaaaaaaaaaaaaaa',
        check: 'logging',
        severity: 'PROBLEM',
      },
      {
        key: 'fs-0bbbbbbbbbbbbbbbb|logging|y',
        fileSystemId: 'fs-0bbbbbbbbbbbbbbbb',
        check: 'logging',
        severity: 'OK',
      },
    ];

    // Act
    const { changes } = doctorChanges(previous, []);

    // Assess
    expect(changes).toEqual([
      {
        key: 'fs-0aaaaaaaaaaaaaaaa|logging|x',
        fileSystemId: 'fs-0aaaaaaaaaaaaaaaa',
        check: 'logging',
        before: 'PROBLEM',
        after: undefined,
        detail: undefined,
      },
    ]);
  });
});

import type {
  BatchGroup,
  DigestWindow,
  GroupKey,
  Increment,
  OutcomeCounts,
  Recovered,
  WindowCounters,
  WindowStatus,
} from '../../lib/common/types.ts';
import { decideRoll, increment, isStale, NO_OUTCOMES, opening } from '../../lib/digest/windows.ts';

/*
 * The in-memory reference model of one digest group's item: the same window rules
 * (lib/digest/windows.ts) that the DynamoDB store applies with conditional writes
 * (lib/aws/digests.ts), as plain state transitions. The tests check the state machine's
 * properties (timeline, conservation of counts) on it; docs/design.md#alert-digests.
 */

/** One group's state, as the store keeps it in one item. */
interface GroupState {
  readonly key: GroupKey;
  readonly logGroups: readonly string[];
  readonly status: WindowStatus;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly lastFailureAt: number;
  readonly current: WindowCounters;
  readonly hashes: ReadonlySet<string>;
  readonly previousHashes: ReadonlySet<string>;
  readonly escalated: ReadonlySet<string>;
  /** Failures of the open window that went out in a summary for a new escalation. */
  readonly urgentFailures: number;
  readonly pending: readonly DigestWindow[];
  readonly recovered: Recovered | undefined;
}

/** The result of one batch group against a group's state. */
interface Observation {
  readonly state: GroupState;
  /** The group opened a window: its failures are in this invocation's summary. */
  readonly alerted: boolean;
  /** Held, but with an escalation new to this window: the summary goes out for it. */
  readonly urgent: boolean;
}

const EMPTY_COUNTERS: WindowCounters = {
  held: 0,
  newFailures: 0,
  recurringFailures: 0,
  untracked: 0,
  outcomes: NO_OUTCOMES,
  codes: new Map(),
  samples: [],
};

function addOutcomes(a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts {
  return {
    started: a.started + b.started,
    queued: a.queued + b.queued,
    deferred: a.deferred + b.deferred,
    refused: a.refused + b.refused,
    escalated: a.escalated + b.escalated,
  };
}

function addCounters(counters: WindowCounters, inc: Increment): WindowCounters {
  const codes = new Map(counters.codes);
  for (const [code, count] of inc.codes) codes.set(code, (codes.get(code) ?? 0) + count);
  return {
    held: counters.held + inc.held,
    newFailures: counters.newFailures + inc.newFailures,
    recurringFailures: counters.recurringFailures + inc.recurringFailures,
    untracked: counters.untracked + inc.untracked,
    outcomes: addOutcomes(counters.outcomes, inc.outcomes),
    codes,
    samples: [...counters.samples, ...inc.addSamples],
  };
}

/**
 * The reference transition for one batch group at `now` (epoch seconds): QUIET opens a window and
 * alerts; OPEN counts, also after the window's end (the digest run closes it), unless stale.
 */
function observe(
  state: GroupState | undefined,
  group: BatchGroup,
  now: number,
  windowSeconds: number,
): Observation {
  if (state === undefined || state.status === 'QUIET') {
    const opened = opening(group);
    return {
      alerted: true,
      urgent: true,
      state: {
        key: group.key,
        logGroups: [...new Set([...(state?.logGroups ?? []), ...group.logGroups])],
        status: 'OPEN',
        windowStart: now,
        windowEnd: now + windowSeconds,
        lastFailureAt: group.lastAt > 0 ? group.lastAt : now,
        current: EMPTY_COUNTERS,
        hashes: new Set(opened.hashes),
        previousHashes: new Set(),
        escalated: new Set(opened.escalated),
        urgentFailures: 0,
        pending: state?.pending ?? [],
        recovered: state?.recovered,
      },
    };
  }
  if (isStale(state.windowEnd, now, windowSeconds)) return { alerted: true, urgent: true, state };
  const inc = increment(
    {
      hashes: state.hashes,
      previousHashes: state.previousHashes,
      escalated: state.escalated,
      samples: state.current.samples.length,
      codes: new Set(state.current.codes.keys()),
    },
    group,
  );
  const urgent = inc.newEscalations.length > 0;
  return {
    alerted: false,
    urgent,
    state: {
      ...state,
      logGroups: [...new Set([...state.logGroups, ...group.logGroups])],
      lastFailureAt: Math.max(state.lastFailureAt, group.lastAt),
      current: urgent ? state.current : addCounters(state.current, inc),
      urgentFailures: state.urgentFailures + (urgent ? group.failures : 0),
      hashes: new Set([...state.hashes, ...inc.addHashes]),
      escalated: new Set([...state.escalated, ...inc.rememberEscalations]),
    },
  };
}

/** The reference roll: moves a due window's counters to `pending`, or marks the group recovered. */
function roll(
  state: GroupState,
  now: number,
  windowSeconds: number,
): { state: GroupState; digest?: DigestWindow; recovered?: Recovered } {
  const decision = decideRoll(
    state.status,
    state.windowEnd,
    state.current.held,
    now,
    windowSeconds,
    state.pending.length,
    state.urgentFailures,
  );
  if (decision.kind === 'none') return { state };
  if (decision.kind === 'recover') {
    const recovered: Recovered = {
      key: state.key,
      lastFailureAt: state.lastFailureAt,
      windowEnd: state.windowEnd,
      windowSeconds,
    };
    return {
      recovered,
      state: {
        ...state,
        status: 'QUIET',
        current: EMPTY_COUNTERS,
        hashes: new Set(),
        previousHashes: new Set(),
        escalated: new Set(),
        urgentFailures: 0,
        recovered,
      },
    };
  }
  const next = {
    windowStart: decision.nextStart,
    windowEnd: decision.nextEnd,
    current: EMPTY_COUNTERS,
    previousHashes: state.hashes,
    hashes: new Set<string>(),
    escalated: new Set<string>(),
    urgentFailures: 0,
  };
  if (decision.kind === 'renew') return { state: { ...state, ...next } };
  const digest: DigestWindow = {
    ...state.current,
    key: state.key,
    logGroups: state.logGroups,
    windowStart: state.windowStart,
    // The window counted until the next one started: later than its planned end when the run
    // came late or the backlog kept it open.
    windowEnd: decision.nextStart,
  };
  return { digest, state: { ...state, ...next, pending: [...state.pending, digest] } };
}

/** Clears what a published digest email carried. */
function acknowledge(state: GroupState): GroupState {
  return { ...state, pending: [], recovered: undefined };
}

export type { GroupState, Observation };
export { acknowledge, observe, roll };

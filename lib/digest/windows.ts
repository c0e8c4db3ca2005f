/**
 * Alert digests, the pure part: which (file system, class) groups a batch touches, the window
 * state machine, and what a digest holds. The DynamoDB store (lib/aws/digests.ts) applies the same
 * transitions with conditional writes; `observe` and `roll` here are its reference model.
 *
 * Per group the state is QUIET (no item, or recovered) or OPEN:
 * - QUIET + failures  → OPEN with a window [now, now + W); the failures ALERT at once.
 * - OPEN  + failures  → counted ("held") for the digest, not emailed; only a NEW escalation (a
 *   path handed to a person that was not yet handed over in this window) is urgent: the
 *   group's failures go out in the summary then, so they are not held (only remembered as
 *   "urgent" so that the window does not count as quiet). A window whose end passed a full
 *   window ago is stale (no digest run closed it): failures ALERT.
 * - OPEN, window over, something held → a digest of the held failures; a new window starts,
 *   still suppressing alerts.
 * - OPEN, window over, nothing held but urgent failures → a new window, no digest (RENEW).
 * - OPEN, window over, no failure since it opened → RECOVERED notice; back to QUIET.
 * Counts are conserved: every failure is in exactly one alert or exactly one digest.
 */
import { createHash } from 'node:crypto';
import { isRetryable } from '../analyze/classify.ts';
import { sanitize, truncateEnd, truncateMiddle } from '../shared/text.ts';
import type { FailureClass, FailureRecord, Report, TaskOutcome } from '../shared/types.ts';

/** The class of a group: a failure class, or the log group's unparseable events. */
type DigestClass = FailureClass | 'unparseable';

/** What a group is about: a file system, or a log group when the records name none. */
interface GroupKey {
  readonly scopeKind: 'fileSystem' | 'logGroup';
  /** File-system id or log-group name; untrusted. */
  readonly scope: string;
  readonly cls: DigestClass;
}

/** Re-export outcomes of a group's failures, counted per failure (log event). */
interface OutcomeCounts {
  readonly started: number;
  readonly queued: number;
  /** Listed with a command for a person (no deferral queue), or only planned (dry run). */
  readonly deferred: number;
  readonly refused: number;
  /** Paths handed to a person after K re-exports. */
  readonly escalated: number;
}

/** One group's failures in one batch. */
interface BatchGroup {
  readonly key: GroupKey;
  readonly failures: number;
  /** Per failure: the short hash of its path (or S3 target), undefined when it names none. */
  readonly targets: readonly (string | undefined)[];
  /** Display samples (sanitised, truncated, never empty) by path hash, first seen first. */
  readonly samples: ReadonlyMap<string, string>;
  readonly codes: ReadonlyMap<string, number>;
  readonly outcomes: OutcomeCounts;
  /** Short hashes of the escalated paths. */
  readonly escalations: readonly string[];
  /** Log event ids, so the summary can show exactly the groups that alert. */
  readonly eventIds: readonly string[];
  /** Latest event time, epoch seconds. */
  readonly lastAt: number;
  /** Log groups the failures came from, for the digest's Logs Insights link. */
  readonly logGroups: readonly string[];
}

/** What the batch grouping kept out of the window state (hostile or huge batches). */
interface Grouping {
  readonly groups: readonly BatchGroup[];
  /** Groups past MAX_GROUPS: never held, they always alert (failing towards telling a person). */
  readonly overflow: readonly BatchGroup[];
}

/** Counters of one window of one group. */
interface WindowCounters {
  readonly held: number;
  /** Held failures whose path had not failed in this or the previous window. */
  readonly newFailures: number;
  /** Held failures whose path already failed in this or the previous window. */
  readonly recurringFailures: number;
  /** Held failures with no path, or past the path-tracking bound: neither new nor recurring. */
  readonly untracked: number;
  readonly outcomes: OutcomeCounts;
  readonly codes: ReadonlyMap<string, number>;
  /** Display samples of held paths, at most MAX_SAMPLES (softly: concurrent writers may add one batch's worth). */
  readonly samples: readonly string[];
}

/** One digest entry: the failures held in one window of one group. */
interface DigestWindow extends WindowCounters {
  readonly key: GroupKey;
  /** Log groups the group's failures came from (for the Logs Insights link). */
  readonly logGroups: readonly string[];
  /** Window start and end, epoch seconds. */
  readonly windowStart: number;
  readonly windowEnd: number;
}

/** A group that had no failure for a full window: it alerts at once again next time. */
interface Recovered {
  readonly key: GroupKey;
  /** Last failure seen, epoch seconds. */
  readonly lastFailureAt: number;
  /** When the quiet window ended, epoch seconds. */
  readonly windowEnd: number;
  readonly windowSeconds: number;
}

/** The in-memory reference model of one group's item. */
interface GroupState {
  readonly key: GroupKey;
  readonly logGroups: readonly string[];
  readonly status: 'OPEN' | 'QUIET';
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

/** What the tracked sets of the open window already hold, as read from the store. */
interface WindowView {
  readonly hashes: ReadonlySet<string>;
  readonly previousHashes: ReadonlySet<string>;
  readonly escalated: ReadonlySet<string>;
  readonly samples: number;
  readonly codes: ReadonlySet<string>;
}

/** The increments one batch group adds to an open window. */
interface Increment {
  readonly held: number;
  readonly newFailures: number;
  readonly recurringFailures: number;
  readonly untracked: number;
  readonly outcomes: OutcomeCounts;
  /** Code counts, folded into OTHER_CODE past MAX_CODES distinct codes. */
  readonly codes: ReadonlyMap<string, number>;
  readonly addHashes: readonly string[];
  readonly addSamples: readonly string[];
  /** Escalated path hashes new to this window: each makes the batch urgent. */
  readonly newEscalations: readonly string[];
}

/** Distinct path hashes tracked per group and window; past it, failures count as untracked. */
const MAX_HASHES = 1000;
/** Escalated path hashes remembered per window; past it every escalation counts as new (urgent). */
const MAX_ESCALATED = 500;
const MAX_SAMPLES = 5;
const MAX_CODES = 20;
/** Groups one batch may track; a batch naming more file systems alerts for the rest. */
const MAX_GROUPS = 50;
/**
 * Unpublished digests one group keeps (the email keeps failing). Past it the open window is not
 * rolled but keeps counting until the backlog is published, so the DynamoDB item (one window's
 * counters, codes and samples each) stays far under the 400 KB item limit.
 */
const MAX_PENDING = 12;
const SAMPLE_CHARS = 160;
const OTHER_CODE = '(other codes)';
const NO_OUTCOMES: OutcomeCounts = { started: 0, queued: 0, deferred: 0, refused: 0, escalated: 0 };

/** A 72-bit base64url hash of a path: short enough to keep a thousand per item. */
function pathHash(path: string): string {
  return createHash('sha256').update(path).digest('base64url').slice(0, 12);
}

/** The comparable form of a record's target: its path without leading slashes, else its S3 key. */
function targetKey(record: FailureRecord): string | undefined {
  if (record.path !== undefined && record.path !== '') return record.path.replace(/^\/+/, '');
  if (record.s3Key === undefined) return undefined;
  return `s3://${record.bucket ?? ''}/${record.s3Key}`;
}

const CODE_CHARS = 120;

/*
 * Scopes, codes and samples are stored in DynamoDB (keys, map keys, string sets) and shown in
 * emails. They are sanitised here, on the way in: a lone surrogate is not valid UTF-8 and would
 * make DynamoDB refuse the write, a string set refuses empty strings, and an attribute name
 * must not be empty. Sanitising twice changes nothing, so the renderers still sanitise too.
 */
function cleanCode(code: string): string {
  const clean = truncateEnd(sanitize(code), CODE_CHARS);
  return clean === '' ? '(none)' : clean;
}

function cleanSample(text: string): string {
  return truncateMiddle(sanitize(text), SAMPLE_CHARS);
}

/** A group's key as log fields: the scope is untrusted and unbounded, so it is sanitised and cut. */
function keyFields(key: GroupKey): {
  scope: string;
  scopeKind: GroupKey['scopeKind'];
  class: DigestClass;
} {
  return { scope: sanitize(key.scope.slice(0, 256)), scopeKind: key.scopeKind, class: key.cls };
}

function groupKeyText(key: GroupKey): string {
  return `${key.scopeKind}\u0000${key.scope}\u0000${key.cls}`;
}

interface MutableGroup {
  key: GroupKey;
  failures: number;
  targets: (string | undefined)[];
  samples: Map<string, string>;
  codes: Map<string, number>;
  outcomes: {
    started: number;
    queued: number;
    deferred: number;
    refused: number;
    escalated: number;
  };
  escalations: string[];
  eventIds: string[];
  lastAt: number;
  logGroups: string[];
}

function newGroup(key: GroupKey): MutableGroup {
  return {
    key,
    failures: 0,
    targets: [],
    samples: new Map(),
    codes: new Map(),
    outcomes: { started: 0, queued: 0, deferred: 0, refused: 0, escalated: 0 },
    escalations: [],
    eventIds: [],
    lastAt: 0,
    logGroups: [],
  };
}

/** Log groups per group stay few (one per file system in practice); the bound is for safety. */
const MAX_LOG_GROUPS = 10;

function addLogGroup(group: MutableGroup, logGroup: string): void {
  if (logGroup === '' || group.logGroups.length >= MAX_LOG_GROUPS) return;
  const clean = sanitize(logGroup);
  if (!group.logGroups.includes(clean)) group.logGroups.push(clean);
}

function outcomeBucket(status: TaskOutcome['status']): keyof OutcomeCounts {
  if (status === 'started') return 'started';
  if (status === 'queued') return 'queued';
  if (status === 'refused') return 'refused';
  return 'deferred';
}

/**
 * Splits a report into groups by (file system or log group, class), with one group per log group
 * for unparseable events. Re-export outcomes are counted per failure through the tasks' event ids;
 * escalations go to the retryable group of their file system.
 */
function groupReport(
  report: Pick<Report, 'records' | 'unparseable' | 'outcomes' | 'escalated'>,
): Grouping {
  const groups = new Map<string, MutableGroup>();
  const byEvent = new Map<string, MutableGroup>();
  const take = (key: GroupKey): MutableGroup => {
    const text = groupKeyText(key);
    let group = groups.get(text);
    if (group === undefined) {
      group = newGroup(key);
      groups.set(text, group);
    }
    return group;
  };
  for (const record of report.records) {
    const key: GroupKey =
      record.fileSystemId === undefined || record.fileSystemId === ''
        ? { scopeKind: 'logGroup', scope: sanitize(record.logGroup), cls: record.class }
        : { scopeKind: 'fileSystem', scope: sanitize(record.fileSystemId), cls: record.class };
    const group = take(key);
    const target = targetKey(record);
    const hash = target === undefined ? undefined : pathHash(target);
    group.failures += 1;
    group.targets.push(hash);
    if (hash !== undefined && !group.samples.has(hash) && group.samples.size < MAX_SAMPLES) {
      group.samples.set(hash, cleanSample(target ?? ''));
    }
    const code = cleanCode(record.code);
    group.codes.set(code, (group.codes.get(code) ?? 0) + 1);
    group.eventIds.push(record.eventId);
    group.lastAt = Math.max(group.lastAt, Math.floor(record.timestamp / 1000));
    addLogGroup(group, record.logGroup);
    byEvent.set(record.eventId, group);
  }
  for (const event of report.unparseable) {
    const group = take({
      scopeKind: 'logGroup',
      scope: sanitize(event.logGroup),
      cls: 'unparseable',
    });
    group.failures += 1;
    group.targets.push(undefined);
    const hash = pathHash(event.sample);
    if (event.sample !== '' && !group.samples.has(hash) && group.samples.size < MAX_SAMPLES) {
      group.samples.set(hash, cleanSample(event.sample));
    }
    const reason = cleanCode(event.reason);
    group.codes.set(reason, (group.codes.get(reason) ?? 0) + 1);
    group.eventIds.push(event.eventId);
    group.lastAt = Math.max(group.lastAt, Math.floor(event.timestamp / 1000));
    addLogGroup(group, event.logGroup);
  }
  for (const outcome of report.outcomes) {
    const bucket = outcomeBucket(outcome.status);
    for (const eventId of outcome.task.eventIds) {
      const group = byEvent.get(eventId);
      if (group !== undefined) group.outcomes[bucket] += 1;
    }
  }
  for (const escalation of report.escalated ?? []) {
    const candidates = [...groups.values()].filter(
      (group) =>
        group.key.scopeKind === 'fileSystem' &&
        group.key.scope === sanitize(escalation.fileSystemId) &&
        group.key.cls !== 'unparseable' &&
        isRetryable(group.key.cls),
    );
    const hash = pathHash(escalation.path.replace(/^\/+/, ''));
    const group = candidates.find((candidate) => candidate.targets.includes(hash)) ?? candidates[0];
    if (group === undefined) continue;
    group.outcomes.escalated += 1;
    group.escalations.push(hash);
  }
  const all: BatchGroup[] = [...groups.values()];
  return { groups: all.slice(0, MAX_GROUPS), overflow: all.slice(MAX_GROUPS) };
}

function addOutcomes(a: OutcomeCounts, b: OutcomeCounts): OutcomeCounts {
  return {
    started: a.started + b.started,
    queued: a.queued + b.queued,
    deferred: a.deferred + b.deferred,
    refused: a.refused + b.refused,
    escalated: a.escalated + b.escalated,
  };
}

/**
 * What a batch group adds to an open window, given what the window already tracks: new versus
 * recurring per failure (a path seen earlier in this batch is recurring too), the hashes and
 * samples that still fit their bounds, and the escalations not yet handed over in this window.
 */
function increment(view: WindowView, group: BatchGroup): Increment {
  const seen = new Set<string>();
  const addHashes: string[] = [];
  let newFailures = 0;
  let recurringFailures = 0;
  let untracked = 0;
  for (const hash of group.targets) {
    if (hash === undefined) {
      untracked += 1;
    } else if (view.hashes.has(hash) || view.previousHashes.has(hash) || seen.has(hash)) {
      recurringFailures += 1;
    } else if (view.hashes.size + addHashes.length < MAX_HASHES) {
      newFailures += 1;
      seen.add(hash);
      addHashes.push(hash);
    } else {
      // Past the bound the window cannot tell a new path from one it no longer tracks.
      untracked += 1;
    }
  }
  const addSamples: string[] = [];
  for (const [hash, sample] of group.samples) {
    if (view.samples + addSamples.length >= MAX_SAMPLES) break;
    if (!view.hashes.has(hash)) addSamples.push(sample);
  }
  const codes = new Map<string, number>();
  const known = new Set(view.codes);
  for (const [code, count] of group.codes) {
    const name = known.has(code) || known.size < MAX_CODES ? code : OTHER_CODE;
    known.add(name);
    codes.set(name, (codes.get(name) ?? 0) + count);
  }
  const newEscalations: string[] = [];
  for (const hash of new Set(group.escalations)) {
    if (view.escalated.has(hash)) continue;
    newEscalations.push(hash);
  }
  return {
    held: group.failures,
    newFailures,
    recurringFailures,
    untracked,
    outcomes: group.outcomes,
    codes,
    addHashes,
    addSamples,
    // Past MAX_ESCALATED a window remembers no more, so later escalations stay urgent: never
    // silenced, at worst emailed twice.
    newEscalations,
  };
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
 * Whether an open window ended a full window ago and no digest run has closed it: the schedule is
 * not running (or the email keeps failing), so a repeat held now might never be reported. Its
 * failures alert instead; the window is left for the digest run.
 */
function isStale(windowEnd: number, now: number, windowSeconds: number): boolean {
  return now >= windowEnd + windowSeconds;
}

/** The result of one batch group against a group's state. */
interface Observation {
  readonly state: GroupState;
  /** The group opened a window: its failures are in this invocation's summary. */
  readonly alerted: boolean;
  /** Held, but with an escalation new to this window: the summary goes out for it. */
  readonly urgent: boolean;
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
    const hashes = new Set<string>();
    for (const hash of group.targets) {
      if (hash !== undefined && hashes.size < MAX_HASHES) hashes.add(hash);
    }
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
        hashes,
        previousHashes: new Set(),
        escalated: new Set(group.escalations.slice(0, MAX_ESCALATED)),
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
  const escalated = new Set(state.escalated);
  for (const hash of inc.newEscalations) if (escalated.size < MAX_ESCALATED) escalated.add(hash);
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
      escalated,
    },
  };
}

/** What a due window turns into. */
type RollDecision =
  | { readonly kind: 'none' }
  | { readonly kind: 'digest' | 'renew'; readonly nextStart: number; readonly nextEnd: number }
  | { readonly kind: 'recover' };

/**
 * Decides what the digest run does with a group: nothing while its window lasts; a digest and a
 * new window when it held failures; only a new window when its failures all went out in
 * summaries (urgent); a recovery when it had none. A run that comes late (the
 * schedule stopped for longer than a window) starts the new window now instead of in the past.
 * With MAX_PENDING digests still unpublished the window stays open and keeps counting: the
 * digest that finally closes it covers the longer time (its end is the next window's start).
 */
function decideRoll(
  status: GroupState['status'],
  windowEnd: number,
  held: number,
  now: number,
  windowSeconds: number,
  pending = 0,
  urgent = 0,
): RollDecision {
  if (status !== 'OPEN' || now < windowEnd) return { kind: 'none' };
  if (held === 0 && urgent === 0) return { kind: 'recover' };
  if (held > 0 && pending >= MAX_PENDING) return { kind: 'none' };
  const nextStart = now - windowEnd >= windowSeconds ? now : windowEnd;
  return { kind: held > 0 ? 'digest' : 'renew', nextStart, nextEnd: nextStart + windowSeconds };
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

/**
 * The part of a report an alert shows: the records and unparseable events of the groups that
 * alert. Everything else (re-export outcomes, escalations, sources, totals) stays whole: it is what
 * the invocation did.
 */
function alertingReport(report: Report, eventIds: ReadonlySet<string>): Report {
  return {
    ...report,
    records: report.records.filter((record) => eventIds.has(record.eventId)),
    unparseable: report.unparseable.filter((event) => eventIds.has(event.eventId)),
  };
}

/** Clears what a published digest email carried. */
function acknowledge(state: GroupState): GroupState {
  return { ...state, pending: [], recovered: undefined };
}

export type {
  BatchGroup,
  DigestClass,
  DigestWindow,
  Grouping,
  GroupKey,
  GroupState,
  Increment,
  Observation,
  OutcomeCounts,
  Recovered,
  RollDecision,
  WindowCounters,
  WindowView,
};
export {
  acknowledge,
  alertingReport,
  decideRoll,
  groupReport,
  increment,
  isStale,
  keyFields,
  MAX_CODES,
  MAX_ESCALATED,
  MAX_GROUPS,
  MAX_HASHES,
  MAX_PENDING,
  MAX_SAMPLES,
  NO_OUTCOMES,
  OTHER_CODE,
  observe,
  pathHash,
  roll,
};

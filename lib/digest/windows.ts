/**
 * Alert digests, the pure part (docs/design.md#alert-digests): which (file system, class) groups a
 * batch touches, and the rules of the window state machine, which the DynamoDB store
 * (lib/aws/digests.ts) applies with conditional writes through the DigestRules port.
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
import { hash as oneShotHash } from 'node:crypto';
import { isRetryable } from '../common/classes.ts';
import type { DigestRules } from '../common/ports.ts';
import { sanitize, truncateEnd, truncateMiddle } from '../common/text.ts';
import type {
  BatchGroup,
  DigestClass,
  Escalation,
  FailureClass,
  FailureRecord,
  GroupKey,
  Increment,
  OutcomeCounts,
  Report,
  RollDecision,
  TaskOutcome,
  WindowOpening,
  WindowStatus,
  WindowView,
} from '../common/types.ts';

/** What the batch grouping kept out of the window state (hostile or huge batches). */
interface Grouping {
  readonly groups: readonly BatchGroup[];
  /** Groups past MAX_GROUPS: never held, they always alert (failing towards telling a person). */
  readonly overflow: readonly BatchGroup[];
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
  // One-shot: no Hash object per path (a batch hashes one path per record).
  return oneShotHash('sha256', path, 'base64url').slice(0, 12);
}

/**
 * The comparable form of a record's target: its path without leading slashes, else its S3 key.
 * The slashes are cut with `slice`, not a regular expression: V8 answers a slice with a view of
 * the path it came from instead of a copy, and every record of a batch comes through here.
 */
function targetKey(record: FailureRecord): string | undefined {
  const { path } = record;
  if (path !== undefined && path !== '') {
    let start = 0;
    while (path.charCodeAt(start) === SLASH) start++;
    return start === 0 ? path : path.slice(start);
  }
  if (record.s3Key === undefined) return undefined;
  return `s3://${record.bucket ?? ''}/${record.s3Key}`;
}

const SLASH = 0x2f;

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

function addLogGroup(group: MutableGroup, logGroup: string, clean: (text: string) => string): void {
  if (logGroup === '' || group.logGroups.length >= MAX_LOG_GROUPS) return;
  const cleaned = clean(logGroup);
  if (!group.logGroups.includes(cleaned)) group.logGroups.push(cleaned);
}

/**
 * `clean`, remembering its answers for one grouping: a batch repeats a few codes and log groups
 * thousands of times, and sanitising each repeat again would only make garbage.
 */
function remembered(clean: (text: string) => string): (text: string) => string {
  const answers = new Map<string, string>();
  return (text) => {
    let answer = answers.get(text);
    if (answer === undefined) {
      answer = clean(text);
      answers.set(text, answer);
    }
    return answer;
  };
}

/**
 * The outcome count a task's failures go to, or undefined for a planned task: a dry run started,
 * queued and deferred nothing, and wrote no "Re-export deferred" line for the digest to point at,
 * so its failures are held with no re-export outcome, as those of a class never re-exported.
 */
function outcomeBucket(status: TaskOutcome['status']): keyof OutcomeCounts | undefined {
  if (status === 'planned') return undefined;
  return status;
}

/** Where a failure came from: the record or unparseable event itself, read in place. */
type FailureOrigin = Pick<FailureRecord, 'eventId' | 'timestamp' | 'logGroup'>;

/** The per-grouping cleaners of codes and log groups (see `remembered`). */
interface Cleaners {
  readonly code: (text: string) => string;
  readonly logGroup: (text: string) => string;
}

/**
 * Counts one failure in its group: `target` is the short hash of its path (or S3 target),
 * undefined when it names none. No object is made per failure: a batch adds thousands.
 */
function addFailure(
  group: MutableGroup,
  origin: FailureOrigin,
  code: string,
  target: string | undefined,
  clean: Cleaners,
): void {
  group.failures += 1;
  group.targets.push(target);
  const cleanCode = clean.code(code);
  group.codes.set(cleanCode, (group.codes.get(cleanCode) ?? 0) + 1);
  group.eventIds.push(origin.eventId);
  // An event without a time (never from a subscription) cannot move the window's last failure.
  if (origin.timestamp !== undefined) {
    group.lastAt = Math.max(group.lastAt, Math.floor(origin.timestamp / 1000));
  }
  addLogGroup(group, origin.logGroup, clean.logGroup);
}

/** Keeps what the digest may show of a failure, under `key`, while the group has room for it. */
function addSample(group: MutableGroup, key: string, text: string): void {
  if (!group.samples.has(key) && group.samples.size < MAX_SAMPLES) {
    group.samples.set(key, cleanSample(text));
  }
}

/** Counts each escalation in the retryable group of its file system that holds its path. */
function addEscalations(groups: readonly MutableGroup[], escalated: readonly Escalation[]): void {
  for (const escalation of escalated) {
    const candidates = groups.filter(
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
  // A batch's records name one file system (or log group) and a few classes: each distinct
  // (scope, class) is sanitised and keyed once, not once per record.
  const fileSystems = new Map<string, Map<FailureClass, MutableGroup>>();
  const logGroups = new Map<string, Map<FailureClass, MutableGroup>>();
  const groupOf = (record: FailureRecord): MutableGroup => {
    const { fileSystemId, logGroup } = record;
    const named = fileSystemId !== undefined && fileSystemId !== '';
    const scope = named ? fileSystemId : logGroup;
    const scopes = named ? fileSystems : logGroups;
    let classes = scopes.get(scope);
    if (classes === undefined) {
      classes = new Map();
      scopes.set(scope, classes);
    }
    let group = classes.get(record.class);
    if (group === undefined) {
      const scopeKind = named ? 'fileSystem' : 'logGroup';
      group = take({ scopeKind, scope: sanitize(scope), cls: record.class });
      classes.set(record.class, group);
    }
    return group;
  };
  const clean: Cleaners = { code: remembered(cleanCode), logGroup: remembered(sanitize) };
  // Indexed loops over the per-event arrays: on the first, not yet optimised run of a Lambda
  // container, `for...of` makes an iterator result object per element.
  const { records } = report;
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as FailureRecord;
    const group = groupOf(record);
    const target = targetKey(record);
    const hash = target === undefined ? undefined : pathHash(target);
    addFailure(group, record, record.code, hash, clean);
    // A record's sample is its target, kept under the target's hash.
    if (hash !== undefined && target !== undefined) addSample(group, hash, target);
    byEvent.set(record.eventId, group);
  }
  for (const event of report.unparseable) {
    const group = take({
      scopeKind: 'logGroup',
      scope: clean.logGroup(event.logGroup),
      cls: 'unparseable',
    });
    addFailure(group, event, event.reason, undefined, clean);
    // The key is hashed only while the group still has room for a sample.
    if (event.sample !== '' && group.samples.size < MAX_SAMPLES) {
      addSample(group, pathHash(event.sample), event.sample);
    }
  }
  for (const outcome of report.outcomes) {
    const bucket = outcomeBucket(outcome.status);
    if (bucket === undefined) continue;
    const { eventIds } = outcome.task;
    for (let index = 0; index < eventIds.length; index++) {
      const group = byEvent.get(eventIds[index] as string);
      if (group !== undefined) group.outcomes[bucket] += 1;
    }
  }
  addEscalations([...groups.values()], report.escalated ?? []);
  const all: BatchGroup[] = [...groups.values()];
  return { groups: all.slice(0, MAX_GROUPS), overflow: all.slice(MAX_GROUPS) };
}

/** What a batch group opens a window with: its first MAX_HASHES paths and MAX_ESCALATED escalations. */
function opening(group: BatchGroup): WindowOpening {
  const hashes = new Set<string>();
  const { targets } = group;
  for (let index = 0; index < targets.length && hashes.size < MAX_HASHES; index++) {
    const hash = targets[index];
    if (hash !== undefined) hashes.add(hash);
  }
  return {
    hashes: [...hashes],
    escalated: [...new Set(group.escalations)].slice(0, MAX_ESCALATED),
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
  const { targets } = group;
  for (let index = 0; index < targets.length; index++) {
    const hash = targets[index];
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
    rememberEscalations: newEscalations.slice(0, Math.max(0, MAX_ESCALATED - view.escalated.size)),
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

/**
 * Decides what the digest run does with a group: nothing while its window lasts; a digest and a
 * new window when it held failures; only a new window when its failures all went out in
 * summaries (urgent); a recovery when it had none. A run that comes late (the
 * schedule stopped for longer than a window) starts the new window now instead of in the past.
 * With MAX_PENDING digests still unpublished the window stays open and keeps counting: the
 * digest that finally closes it covers the longer time (its end is the next window's start).
 */
function decideRoll(
  status: WindowStatus,
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

/** The window rules as the digest store's port: the handlers hand them to lib/aws/digests.ts. */
const digestRules: DigestRules = { opening, increment, isStale, decideRoll };

export type { Grouping };
export {
  decideRoll,
  digestRules,
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
  opening,
  pathHash,
};

import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CLASS_ORDER } from '../common/classes.ts';
import { AnalyzerError } from '../common/errors.ts';
import type { DigestRules, DigestStore, ObserveResult, PendingWork } from '../common/ports.ts';
import type {
  BatchGroup,
  DigestClass,
  DigestWindow,
  GroupKey,
  OutcomeCounts,
  Recovered,
} from '../common/types.ts';
import { dynamoFailure, getItemConsistent, isConditionalFailure, scanAll } from './dynamo.ts';

/*
 * Alert-digest windows in the ledger's table (partition key `id`, TTL on `expiration`), one item
 * per (file system or log group, class):
 *
 * digest  id = digest#fs#<class>#<file-system id> | digest#lg#<class>#<log group>
 *         (a scope over 1,000 bytes is replaced by `sha256:<hex>`: a key stops at 2,048 bytes)
 *         kind = "digest", scopeKind, scope, cls, status = "OPEN" | "QUIET", windowSeconds,
 *         windowStart, windowEnd (epoch seconds), prevStart (the previous window's start),
 *         alertedAt, lastFailureAt, expiration = now + 3 windows + 14 days,
 *         pending (Number Set): starts of rolled windows whose digest is not yet published,
 *         recoveredAt / recoveredSince: a recovery notice not yet published,
 *         logGroups (String Set): where the group's failures were logged (for console links).
 *         Per window <s> (its start), top-level attributes so that ADD works on them:
 *         w<s>_held, w<s>_new, w<s>_recurring, w<s>_untracked, w<s>_started, w<s>_queued,
 *         w<s>_deferred, w<s>_refused, w<s>_escalated (Numbers), w<s>_urgent (Number: failures
 *         that went out in a summary for a new escalation, not held), w<s>_codes (Map code → N),
 *         w<s>_samples (String Set), w<s>_h (String Set of path hashes), w<s>_e (String Set of
 *         escalated path hashes), w<s>_end (set by the roll: when the window stopped counting),
 *         w<s>_b (String Set: the batches taken into the window, each as a mark a|u|h for
 *         alerted / urgent / held and its batch id, so a Lambda retry of a batch whose summary
 *         failed is answered as the first time: alerted or urgent again, held never twice).
 *         At most MAX_PENDING windows wait in `pending`; past it the open window is not rolled
 *         (it keeps counting), which bounds the item far under DynamoDB's 400 KB.
 *
 * Why per-window attributes: rolling a window is then one conditional UpdateItem that moves
 * `windowStart` on and adds the old start to `pending`; the old window's counters stay where they
 * are, exact, until the digest that shows them is published and acknowledged. An analyzer that
 * read the old window writes with the condition `windowStart = <old>`, fails after the roll, reads
 * again and counts into the new window: no count is lost or counted twice.
 */

// Over 400 lines on purpose: the item layout above and every conditional write on it stay together.

interface DigestStoreOptions {
  readonly tableName: string;
  /** Window length W in seconds. */
  readonly windowSeconds: number;
  /** The window rules the store applies (lib/digest/windows.ts). */
  readonly rules: DigestRules;
  /** Clock; injectable for tests. */
  readonly now?: () => Date;
}

/** A DynamoDB request of the digest store failed; `cause` is the SDK error. */
class DigestStoreError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DigestStoreError';
  }
}

type Item = Record<string, AttributeValue>;

const OPEN = 'OPEN';
const QUIET = 'QUIET';
/** Read-and-write rounds of one observation before it gives up and alerts instead. */
const OBSERVE_ROUNDS = 4;
/**
 * Scan pages per collect. Unlike the ledger's, a cut Scan is no error: the run sends what it read
 * and flags `truncated`; the groups past the cut alert once their windows go stale.
 */
const MAX_SCAN_PAGES = 50;
const MAX_SCOPE_BYTES = 1000;
/** Batch ids remembered per window; past it a retried batch may be counted twice (never lost). */
const MAX_BATCHES = 500;
const RETENTION_SECONDS = 14 * 24 * 60 * 60;
const COUNTERS = [
  'held',
  'new',
  'recurring',
  'untracked',
  'started',
  'queued',
  'deferred',
  'refused',
  'escalated',
] as const;
const CLASSES: ReadonlySet<string> = new Set<string>([...CLASS_ORDER, 'unparseable']);

function itemId(key: GroupKey): string {
  const scope =
    Buffer.byteLength(key.scope, 'utf8') > MAX_SCOPE_BYTES
      ? `sha256:${createHash('sha256').update(key.scope).digest('hex')}`
      : key.scope;
  return `digest#${key.scopeKind === 'fileSystem' ? 'fs' : 'lg'}#${key.cls}#${scope}`;
}

function num(item: Item, name: string): number {
  const value = Number(item[name]?.N ?? '0');
  return Number.isFinite(value) ? value : 0;
}

function optionalNum(item: Item, name: string): number | undefined {
  const raw = item[name]?.N;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

function stringSet(item: Item, name: string): Set<string> {
  return new Set(item[name]?.SS ?? []);
}

function keyOf(item: Item): GroupKey | undefined {
  const scope = item['scope']?.S;
  const cls = item['cls']?.S;
  const scopeKind = item['scopeKind']?.S;
  if (scope === undefined || cls === undefined || !CLASSES.has(cls)) return undefined;
  if (scopeKind !== 'fileSystem' && scopeKind !== 'logGroup') return undefined;
  return { scope, scopeKind, cls: cls as DigestClass };
}

/** Identifies a batch's share of a group: its log event ids are unique. */
function batchIdOf(group: BatchGroup): string {
  return createHash('sha256').update(group.eventIds.join('\n')).digest('base64url').slice(0, 22);
}

/** How a batch was taken into a window, and its mark in the window's batch set. */
type Taken = 'alerted' | 'urgent' | 'held';
const MARKS: Readonly<Record<Taken, string>> = { alerted: 'a', urgent: 'u', held: 'h' };
const TAKEN: readonly Taken[] = ['alerted', 'urgent', 'held'];

function mark(taken: Taken, batchId: string): string {
  return `${MARKS[taken]}${batchId}`;
}

/** Attribute names of window `start`. */
function w(start: number, field: string): string {
  return `w${start}_${field}`;
}

/**
 * How this batch was taken into the open window or the one before it (a retry can come after a
 * roll), or undefined when it is new to both.
 */
function takenBefore(item: Item, batchId: string, start: number): Taken | undefined {
  const prev = optionalNum(item, 'prevStart');
  const members = new Set(item[w(start, 'b')]?.SS ?? []);
  for (const member of prev === undefined ? [] : (item[w(prev, 'b')]?.SS ?? [])) {
    members.add(member);
  }
  return TAKEN.find((taken) => members.has(mark(taken, batchId)));
}

function windowOf(item: Item, key: GroupKey, start: number, windowSeconds: number): DigestWindow {
  const codes = new Map<string, number>();
  for (const [code, value] of Object.entries(item[w(start, 'codes')]?.M ?? {})) {
    const count = Number(value.N ?? '0');
    if (Number.isFinite(count) && count > 0) codes.set(code, count);
  }
  const outcomes: OutcomeCounts = {
    started: num(item, w(start, 'started')),
    queued: num(item, w(start, 'queued')),
    deferred: num(item, w(start, 'deferred')),
    refused: num(item, w(start, 'refused')),
    escalated: num(item, w(start, 'escalated')),
  };
  // The roll records where the window stopped counting (later than planned when the run came
  // late); items rolled before it did: the window after `start` began where `start` ended.
  const windowStart = optionalNum(item, 'windowStart');
  const windowEnd =
    optionalNum(item, w(start, 'end')) ??
    (windowStart !== undefined && windowStart > start && windowStart - start <= windowSeconds
      ? windowStart
      : start + windowSeconds);
  return {
    key,
    logGroups: [...stringSet(item, 'logGroups')].sort(),
    windowStart: start,
    windowEnd,
    held: num(item, w(start, 'held')),
    newFailures: num(item, w(start, 'new')),
    recurringFailures: num(item, w(start, 'recurring')),
    untracked: num(item, w(start, 'untracked')),
    outcomes,
    codes,
    samples: [...stringSet(item, w(start, 'samples'))].sort(),
  };
}

/**
 * Creates the digest store on the ledger's table (see the item layout at the top of this file).
 * Every method throws DigestStoreError (one line, SDK error as `cause`) when DynamoDB fails; a
 * failed conditional write is an answer, not an error.
 */
// Long on purpose: its methods share the table, the window length and the clock in one closure.
function createDigestStore(client: DynamoDBClient, options: DigestStoreOptions): DigestStore {
  const { tableName, windowSeconds, rules } = options;
  const now = options.now ?? (() => new Date());
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`windowSeconds must be a positive integer, got ${windowSeconds}`);
  }
  const seconds = (): number => Math.floor(now().getTime() / 1000);
  const expirationFrom = (at: number): number => at + 3 * windowSeconds + RETENTION_SECONDS;

  /** Runs an UpdateItem; false when its condition failed. */
  async function update(input: {
    id: string;
    set: string[];
    add: string[];
    remove: string[];
    del?: string[];
    condition: string;
    names: Record<string, string>;
    values: Item;
  }): Promise<Item | false> {
    const clauses = [
      input.set.length > 0 ? `SET ${input.set.join(', ')}` : '',
      input.add.length > 0 ? `ADD ${input.add.join(', ')}` : '',
      input.remove.length > 0 ? `REMOVE ${input.remove.join(', ')}` : '',
      (input.del?.length ?? 0) > 0 ? `DELETE ${input.del?.join(', ')}` : '',
    ].filter((clause) => clause !== '');
    try {
      const response = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { id: { S: input.id } },
          UpdateExpression: clauses.join(' '),
          ConditionExpression: input.condition,
          ExpressionAttributeNames: input.names,
          ...(Object.keys(input.values).length > 0
            ? { ExpressionAttributeValues: input.values }
            : {}),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return response.Attributes ?? {};
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw dynamoFailure(DigestStoreError, 'UpdateItem', tableName, error);
    }
  }

  /** QUIET (or no item) → OPEN: the caller alerts. */
  // Long on purpose: one UpdateItem, each clause next to the names and values it uses.
  function open(id: string, group: BatchGroup, at: number): Promise<Item | false> {
    const { hashes, escalated } = rules.opening(group);
    const set = [
      '#kind = :kind',
      '#scopeKind = :scopeKind',
      '#scope = :scope',
      '#cls = :cls',
      '#status = :open',
      '#windowSeconds = :windowSeconds',
      '#windowStart = :at',
      '#windowEnd = :end',
      '#alertedAt = :at',
      '#lastFailureAt = :last',
      '#expiration = :expiration',
      '#codes = :emptyMap',
      '#batches = :batches',
    ];
    const values: Item = {
      ':batches': { SS: [mark('alerted', batchIdOf(group))] },
      ':kind': { S: 'digest' },
      ':scopeKind': { S: group.key.scopeKind },
      ':scope': { S: group.key.scope },
      ':cls': { S: group.key.cls },
      ':open': { S: OPEN },
      ':quiet': { S: QUIET },
      ':windowSeconds': { N: String(windowSeconds) },
      ':at': { N: String(at) },
      ':end': { N: String(at + windowSeconds) },
      ':last': { N: String(group.lastAt > 0 ? group.lastAt : at) },
      ':expiration': { N: String(expirationFrom(at)) },
      ':emptyMap': { M: {} },
    };
    const names: Record<string, string> = {
      '#id': 'id',
      '#kind': 'kind',
      '#scopeKind': 'scopeKind',
      '#scope': 'scope',
      '#cls': 'cls',
      '#status': 'status',
      '#windowSeconds': 'windowSeconds',
      '#windowStart': 'windowStart',
      '#windowEnd': 'windowEnd',
      '#alertedAt': 'alertedAt',
      '#lastFailureAt': 'lastFailureAt',
      '#expiration': 'expiration',
      '#codes': w(at, 'codes'),
      '#prevStart': 'prevStart',
      '#batches': w(at, 'b'),
    };
    if (hashes.length > 0) {
      set.push('#hashes = :hashes');
      names['#hashes'] = w(at, 'h');
      values[':hashes'] = { SS: [...hashes] };
    }
    const add: string[] = [];
    if (group.logGroups.length > 0) {
      add.push('#logGroups :logGroups');
      names['#logGroups'] = 'logGroups';
      values[':logGroups'] = { SS: [...new Set(group.logGroups)] };
    }
    if (escalated.length > 0) {
      set.push('#escalatedSet = :escalatedSet');
      names['#escalatedSet'] = w(at, 'e');
      values[':escalatedSet'] = { SS: [...escalated] };
    }
    return update({
      id,
      set,
      add,
      remove: ['#prevStart'],
      condition: 'attribute_not_exists(#id) OR #status = :quiet',
      names,
      values,
    });
  }

  /** Counts a batch group into the open window it was read in; false when the window moved. */
  // Long on purpose: one UpdateItem, each clause next to the names and values it uses.
  async function count(
    id: string,
    item: Item,
    group: BatchGroup,
    start: number,
  ): Promise<{ written: Item | false; urgent: boolean }> {
    const prev = optionalNum(item, 'prevStart');
    const codeMap = item[w(start, 'codes')]?.M ?? {};
    const view = {
      hashes: stringSet(item, w(start, 'h')),
      previousHashes: prev === undefined ? new Set<string>() : stringSet(item, w(prev, 'h')),
      escalated: stringSet(item, w(start, 'e')),
      samples: item[w(start, 'samples')]?.SS?.length ?? 0,
      codes: new Set(Object.keys(codeMap)),
    };
    const inc = rules.increment(view, group);
    const urgent = inc.newEscalations.length > 0;
    const batches = item[w(start, 'b')]?.SS?.length ?? 0;
    const names: Record<string, string> = {
      '#status': 'status',
      '#windowStart': 'windowStart',
      '#expiration': 'expiration',
    };
    const values: Item = {
      ':open': { S: OPEN },
      ':ws': { N: String(start) },
      ':expiration': { N: String(expirationFrom(seconds())) },
    };
    const set = ['#expiration = :expiration'];
    const add: string[] = [];
    // An urgent batch goes out in the summary: its failures are remembered (the window is not
    // quiet) but not held, so no failure is both emailed and in a digest.
    const numbers: ReadonlyArray<readonly [string, number]> = urgent
      ? [['urgent', inc.held]]
      : [
          ['held', inc.held],
          ['new', inc.newFailures],
          ['recurring', inc.recurringFailures],
          ['untracked', inc.untracked],
          ['started', inc.outcomes.started],
          ['queued', inc.outcomes.queued],
          ['deferred', inc.outcomes.deferred],
          ['refused', inc.outcomes.refused],
          ['escalated', inc.outcomes.escalated],
        ];
    for (const [counter, n] of numbers) {
      if (n === 0) continue;
      names[`#${counter}`] = w(start, counter);
      values[`:${counter}`] = { N: String(n) };
      add.push(`#${counter} :${counter}`);
    }
    const known = stringSet(item, 'logGroups');
    const newGroups = group.logGroups.filter((logGroup) => !known.has(logGroup));
    if (newGroups.length > 0) {
      names['#logGroups'] = 'logGroups';
      values[':logGroups'] = { SS: [...new Set(newGroups)] };
      add.push('#logGroups :logGroups');
    }
    const sets: Array<[string, readonly string[]]> = [
      ['h', inc.addHashes],
      ['samples', urgent ? [] : inc.addSamples],
      ['e', inc.rememberEscalations],
      ['b', batches < MAX_BATCHES ? [mark(urgent ? 'urgent' : 'held', batchIdOf(group))] : []],
    ];
    for (const [field, members] of sets) {
      if (members.length === 0) continue;
      names[`#set_${field}`] = w(start, field);
      values[`:set_${field}`] = { SS: [...new Set(members)] };
      add.push(`#set_${field} :set_${field}`);
    }
    const codes = urgent ? new Map<string, number>() : inc.codes;
    if (codes.size > 0) {
      // DynamoDB refuses names and values an expression does not use.
      names['#codes'] = w(start, 'codes');
      values[':zero'] = { N: '0' };
    }
    let index = 0;
    for (const [code, n] of codes) {
      names[`#c${index}`] = code;
      values[`:c${index}`] = { N: String(n) };
      set.push(`#codes.#c${index} = if_not_exists(#codes.#c${index}, :zero) + :c${index}`);
      index += 1;
    }
    if (group.lastAt > num(item, 'lastFailureAt')) {
      names['#lastFailureAt'] = 'lastFailureAt';
      values[':last'] = { N: String(group.lastAt) };
      set.push('#lastFailureAt = :last');
    }
    const written = await update({
      id,
      set,
      add,
      remove: [],
      condition: '#status = :open AND #windowStart = :ws',
      names,
      values,
    });
    return { written, urgent };
  }

  async function observe(group: BatchGroup): Promise<ObserveResult> {
    const id = itemId(group.key);
    for (let round = 0; round < OBSERVE_ROUNDS; round++) {
      const item = await getItemConsistent(client, tableName, { id: { S: id } }, DigestStoreError);
      const at = seconds();
      const start = item === undefined ? undefined : optionalNum(item, 'windowStart');
      if (item !== undefined && item['status']?.S === OPEN && start !== undefined) {
        const taken = takenBefore(item, batchIdOf(group), start);
        if (taken !== undefined) {
          // The same batch again: Lambda retried an invocation that failed after this (e.g. the
          // publish). It is answered as the first time and counted once: an alert or an
          // escalation whose email failed goes out again, a held repeat stays held.
          return {
            alerted: taken === 'alerted',
            urgent: taken !== 'held',
            windowEnd: num(item, 'windowEnd'),
          };
        }
        // No digest run closed the window for a full window: a repeat held now might never be
        // reported, so it alerts (and is not counted).
        const end = num(item, 'windowEnd');
        if (rules.isStale(end, at, optionalNum(item, 'windowSeconds') ?? windowSeconds)) {
          return { alerted: true, urgent: true, windowEnd: end };
        }
        const { written, urgent } = await count(id, item, group, start);
        if (written !== false) {
          return { alerted: false, urgent, windowEnd: num(written, 'windowEnd') };
        }
        continue;
      }
      const opened = await open(id, group, at);
      if (opened !== false) return { alerted: true, urgent: true, windowEnd: at + windowSeconds };
      // Another analyzer opened it first: count into its window in the next round.
    }
    // Contention beyond reason: alerting is the safe side (an email too many, never one too few).
    return { alerted: true, urgent: true, windowEnd: seconds() + windowSeconds };
  }

  function scanDue(at: number): Promise<{ items: Item[]; truncated: boolean }> {
    return scanAll(
      client,
      {
        TableName: tableName,
        ConsistentRead: true,
        FilterExpression:
          '#kind = :digest AND ((#status = :open AND #windowEnd <= :now) OR attribute_exists(#pending) OR attribute_exists(#recoveredAt))',
        ExpressionAttributeNames: {
          '#kind': 'kind',
          '#status': 'status',
          '#windowEnd': 'windowEnd',
          '#pending': 'pending',
          '#recoveredAt': 'recoveredAt',
        },
        ExpressionAttributeValues: {
          ':digest': { S: 'digest' },
          ':open': { S: OPEN },
          ':now': { N: String(at) },
        },
      },
      MAX_SCAN_PAGES,
      DigestStoreError,
    );
  }

  /** Rolls one due window; the item after the roll, the item unchanged, or false (lost a race). */
  // Long on purpose: one UpdateItem, each clause next to the names and values it uses.
  async function rollItem(item: Item, at: number): Promise<Item | false> {
    const id = item['id']?.S ?? '';
    const status = item['status']?.S === OPEN ? 'OPEN' : 'QUIET';
    const start = optionalNum(item, 'windowStart');
    const end = optionalNum(item, 'windowEnd');
    const own = optionalNum(item, 'windowSeconds') ?? windowSeconds;
    if (start === undefined || end === undefined) return item;
    const decision = rules.decideRoll(
      status,
      end,
      num(item, w(start, 'held')),
      at,
      own,
      item['pending']?.NS?.length ?? 0,
      num(item, w(start, 'urgent')),
    );
    if (decision.kind === 'none') return item;
    const prev = optionalNum(item, 'prevStart');
    const names: Record<string, string> = {
      '#status': 'status',
      '#windowStart': 'windowStart',
      '#escalatedSet': w(start, 'e'),
      '#urgent': w(start, 'urgent'),
    };
    const values: Item = { ':open': { S: OPEN }, ':ws': { N: String(start) } };
    const remove = ['#escalatedSet', '#urgent'];
    if (prev !== undefined && prev !== start) {
      names['#prevHashes'] = w(prev, 'h');
      names['#prevBatches'] = w(prev, 'b');
      remove.push('#prevHashes', '#prevBatches');
    }
    // A renew or a recovery only while nothing is held: an analyzer may have counted since the
    // scan, and those counts must become a digest (the next run takes it).
    const unchanged = '#status = :open AND #windowStart = :ws';
    const nothingHeld = `${unchanged} AND attribute_not_exists(#held)`;
    if (decision.kind === 'recover') {
      Object.assign(names, {
        '#held': w(start, 'held'),
        '#hashes': w(start, 'h'),
        '#codes': w(start, 'codes'),
        '#samples': w(start, 'samples'),
        '#batches': w(start, 'b'),
        '#prevStart': 'prevStart',
        '#recoveredAt': 'recoveredAt',
        '#recoveredSince': 'recoveredSince',
      });
      Object.assign(values, {
        ':quiet': { S: QUIET },
        ':end': { N: String(end) },
        ':since': { N: String(num(item, 'lastFailureAt') || start) },
      });
      return update({
        id,
        set: ['#status = :quiet', '#recoveredAt = :end', '#recoveredSince = :since'],
        add: [],
        remove: [...remove, '#hashes', '#codes', '#samples', '#batches', '#prevStart'],
        // Also nothing urgent since the scan: a window with failures is no recovery.
        condition: `${nothingHeld} AND attribute_not_exists(#urgent)`,
        names,
        values,
      });
    }
    Object.assign(names, {
      '#windowEnd': 'windowEnd',
      '#prevStart': 'prevStart',
      '#nextCodes': w(decision.nextStart, 'codes'),
      '#expiration': 'expiration',
    });
    Object.assign(values, {
      ':next': { N: String(decision.nextStart) },
      ':nextEnd': { N: String(decision.nextEnd) },
      ':emptyMap': { M: {} },
      ':expiration': { N: String(expirationFrom(at)) },
    });
    const set = [
      '#windowStart = :next',
      '#windowEnd = :nextEnd',
      '#prevStart = :ws',
      '#nextCodes = :emptyMap',
      '#expiration = :expiration',
    ];
    if (decision.kind === 'renew') {
      names['#held'] = w(start, 'held');
      names['#codes'] = w(start, 'codes');
      return update({
        id,
        set,
        add: [],
        remove: [...remove, '#codes'],
        condition: nothingHeld,
        names,
        values,
      });
    }
    names['#closedAt'] = w(start, 'end');
    names['#pending'] = 'pending';
    values[':startSet'] = { NS: [String(start)] };
    return update({
      id,
      set: [...set, '#closedAt = :next'],
      add: ['#pending :startSet'],
      remove,
      condition: unchanged,
      names,
      values,
    });
  }

  async function collect(): Promise<PendingWork> {
    const at = seconds();
    const digests: DigestWindow[] = [];
    const recovered: Recovered[] = [];
    let skipped = 0;
    const { items, truncated } = await scanDue(at);
    for (const scanned of items) {
      const item = await rollItem(scanned, at);
      if (item === false) {
        skipped += 1;
        continue;
      }
      const key = keyOf(item);
      if (key === undefined) continue;
      const own = optionalNum(item, 'windowSeconds') ?? windowSeconds;
      const starts = (item['pending']?.NS ?? []).map(Number).filter(Number.isFinite);
      for (const start of starts.sort((a, b) => a - b)) {
        digests.push(windowOf(item, key, start, own));
      }
      const recoveredAt = optionalNum(item, 'recoveredAt');
      if (recoveredAt !== undefined) {
        recovered.push({
          key,
          windowEnd: recoveredAt,
          lastFailureAt: num(item, 'recoveredSince'),
          windowSeconds: own,
        });
      }
    }
    return { digests, recovered, skipped, ...(truncated ? { truncated: true as const } : {}) };
  }

  async function acknowledge(work: Pick<PendingWork, 'digests' | 'recovered'>): Promise<void> {
    for (const digest of work.digests) {
      const start = digest.windowStart;
      const names: Record<string, string> = {
        '#id': 'id',
        '#pending': 'pending',
        '#codes': w(start, 'codes'),
        '#samples': w(start, 'samples'),
        '#closedAt': w(start, 'end'),
      };
      for (const counter of COUNTERS) names[`#${counter}`] = w(start, counter);
      // The window's path hashes stay: the next window's recurring check reads them.
      await update({
        id: itemId(digest.key),
        set: [],
        add: [],
        remove: [...COUNTERS.map((counter) => `#${counter}`), '#codes', '#samples', '#closedAt'],
        del: ['#pending :startSet'],
        condition: 'attribute_exists(#id)',
        names,
        values: { ':startSet': { NS: [String(start)] } },
      });
    }
    for (const notice of work.recovered) {
      // Only this notice: a newer recovery of the same group (a later window) stays pending.
      await update({
        id: itemId(notice.key),
        set: [],
        add: [],
        remove: ['#recoveredAt', '#recoveredSince'],
        condition: '#recoveredAt = :at',
        names: { '#recoveredAt': 'recoveredAt', '#recoveredSince': 'recoveredSince' },
        values: { ':at': { N: String(notice.windowEnd) } },
      });
    }
  }

  return { observe, collect, acknowledge };
}

export type { DigestStoreOptions };
// The item id of a group, for tests and operators reading the table.
export { createDigestStore, DigestStoreError, itemId as digestItemId };

import { hash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { AnalyzerError } from '../common/errors.ts';
import type { AttemptHistory, LedgerPort, TrackedTask } from '../common/ports.ts';
import type { FailureClass, ReportedFailure } from '../common/types.ts';
import { mapLimited } from './calls.ts';
import { dynamoFailure, getItemConsistent, isConditionalFailure, scanAll } from './dynamo.ts';

/*
 * The attempts ledger and task tracking in one DynamoDB table, shared with the Powertools
 * idempotency records: partition key `id` (String), no sort key, TTL on `expiration` (epoch
 * seconds). Every item id starts with its kind, so the three kinds below never meet each other;
 * Powertools ids are `<function name or key prefix>#<md5>` and only meet ours if a function were
 * named `attempt`, `window` or `task`.
 *
 * attempt  id = attempt#<fileSystemId>#<sha256(path) as base64url, 43 characters>
 *          kind = "attempt", fileSystemId, path, taskIds (String Set), lastAttemptAt (ISO),
 *          expiration = now + attempt window.
 *          The path is hashed because FSx paths reach 4,096 characters and a partition key
 *          stops at 2,048 bytes. `ADD` to a set makes recording the same task twice a no-op, so
 *          the number of attempts is the size of the set. Each new attempt pushes `expiration`
 *          on, so the window slides: attempts count together while they are less than a window
 *          apart. failedCode, failedClass, failedTask, failedAt: set by the outcome check when
 *          a task's completion report says the path failed again (markFailed); the path is then
 *          escalated with that code. They go with the item when it expires.
 * window   id = window#<fileSystemId>#<window start, epoch seconds>
 *          kind = "window", fileSystemId, windowStart, windowSeconds, claimedAt (ISO),
 *          expiration = window start + 2 windows.
 *          Created with attribute_not_exists(id): the conditional write is the lock.
 * task     id = task#<taskId>
 *          kind = "task", every TrackedTask field (paths as a List), status = "OPEN" | "CLOSED",
 *          and in organization mode the member `account` (docs/organization.md); attempt and
 *          window keys of a member's file system are `<account>/<fileSystemId>` there.
 *          lifecycle and closedAt once closed, expiration = startedAt + 14 days.
 *
 * TTL deletes expired items lazily (up to days later), so every read also drops items whose
 * `expiration` has passed, and a write that meets an expired attempt item replaces it instead of
 * adding to it.
 *
 * openTasks() scans: the table has no index, and it only ever holds small items that TTL removes
 * within weeks (a few thousand at most), so a filtered scan of the whole table reads little. A
 * GSI on `status` would be the next step if the table ever grew.
 */

// Over 400 lines: one adapter for the three item kinds of one table, each write's race handled.

interface LedgerOptions {
  readonly tableName: string;
  /** How long an attempt counts, in hours, from the most recent attempt on the path. */
  readonly attemptWindowHours: number;
  /** Clock; injectable for tests. */
  readonly now?: () => Date;
}

/** A DynamoDB request of the ledger failed; `cause` is the SDK error. */
class LedgerError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LedgerError';
  }
}

type Item = Record<string, AttributeValue>;

/** BatchGetItem reads at most 100 keys per request. */
const BATCH_GET_LIMIT = 100;
/** BatchGetItem requests per chunk before unprocessed keys become an error. */
const BATCH_GET_ATTEMPTS = 5;
/** First pause before retrying unprocessed keys, doubled each time (25, 50, 100, 200 ms). */
const BATCH_GET_BACKOFF_MS = 25;
/** Attempt items written at once: enough to be quick, few enough not to hit the table's burst. */
const WRITE_CONCURRENCY = 10;
/** Rounds of the update/replace exchange on one attempt item before giving up. */
const RECORD_ROUNDS = 3;
/** 1 MB per page: far more than the table ever holds; the bound only stops a runaway loop. */
const MAX_SCAN_PAGES = 50;
/** A task's outcome is due within hours; after two weeks unreported it is not worth tracking. */
const TASK_RETENTION_SECONDS = 14 * 24 * 60 * 60;
const OPEN = 'OPEN';
const CLOSED = 'CLOSED';

/** The old item a conditional failure carries when ReturnValuesOnConditionCheckFailure worked. */
function oldItemOf(error: unknown): Item | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const item = (error as { Item?: unknown }).Item;
  return item !== null && typeof item === 'object' ? (item as Item) : undefined;
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function attemptId(fileSystemId: string, path: string): string {
  // One-shot: no Hash object per path (attempts() hashes every path of every task).
  return `attempt#${fileSystemId}#${hash('sha256', path, 'base64url')}`;
}

function text(item: Item, name: string): string | undefined {
  return item[name]?.S;
}

function number(item: Item, name: string): number | undefined {
  const value = item[name]?.N;
  if (value === undefined) return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** An item without a readable `expiration` counts as expired: it can never be trusted as live. */
function isExpired(item: Item, nowSeconds: number): boolean {
  const expiration = number(item, 'expiration');
  return expiration === undefined || expiration < nowSeconds;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}

function toHistory(
  item: Item,
  fileSystemId: string,
  path: string,
  nowSeconds: number,
): AttemptHistory | undefined {
  if (text(item, 'kind') !== 'attempt' || isExpired(item, nowSeconds)) return undefined;
  const taskIds = item['taskIds']?.SS ?? [];
  if (taskIds.length === 0) return undefined;
  const failedWith = toFailure(item);
  return {
    fileSystemId,
    path,
    // A set has no order; sorting by id at least makes the history stable between reads.
    taskIds: [...taskIds].sort(),
    lastAttemptAt: text(item, 'lastAttemptAt'),
    ...(failedWith === undefined ? {} : { failedWith }),
  };
}

const CLASSES: ReadonlySet<string> = new Set<FailureClass>([
  'transient',
  'busy',
  'permission',
  'limit',
  'skipped',
  'report',
  'import',
  'unknown',
]);

/** The failure markFailed wrote on an attempt item, when it has a whole one. */
function toFailure(item: Item): ReportedFailure | undefined {
  const code = text(item, 'failedCode');
  const cls = text(item, 'failedClass');
  const taskId = text(item, 'failedTask');
  if (code === undefined || cls === undefined || taskId === undefined || !CLASSES.has(cls)) {
    return undefined;
  }
  return { code, class: cls as FailureClass, taskId };
}

function toTrackedTask(item: Item): TrackedTask | undefined {
  const taskId = text(item, 'taskId');
  const fileSystemId = text(item, 'fileSystemId');
  const clientRequestToken = text(item, 'clientRequestToken');
  const reportPath = text(item, 'reportPath');
  const startedAt = text(item, 'startedAt');
  const startedBy = text(item, 'startedBy');
  const paths = item['paths']?.L;
  if (
    taskId === undefined ||
    fileSystemId === undefined ||
    clientRequestToken === undefined ||
    reportPath === undefined ||
    startedAt === undefined ||
    (startedBy !== 'analyzer' && startedBy !== 'retrier' && startedBy !== 'reexport') ||
    paths === undefined
  ) {
    return undefined;
  }
  const pathTexts: string[] = [];
  for (const path of paths) {
    if (path.S === undefined) return undefined;
    pathTexts.push(path.S);
  }
  const account = text(item, 'account');
  return {
    taskId,
    fileSystemId,
    paths: pathTexts,
    clientRequestToken,
    reportPath,
    startedAt,
    startedBy,
    ...(account === undefined ? {} : { account }),
  };
}

/**
 * Creates the DynamoDB ledger (see the item layouts at the top of this file).
 *
 * @throws RangeError when `attemptWindowHours` is not a positive number.
 * Every method throws LedgerError (one line, SDK error as `cause`) when DynamoDB fails; a failed
 * conditional write is an answer (false, or "already done"), not an error.
 */
// Over 60 lines: the factory's closure is the port; each of its seven methods is short.
function createLedger(client: DynamoDBClient, options: LedgerOptions): LedgerPort {
  const { tableName } = options;
  const now = options.now ?? (() => new Date());
  if (!Number.isFinite(options.attemptWindowHours) || options.attemptWindowHours <= 0) {
    throw new RangeError(
      `attemptWindowHours must be a positive number, got ${options.attemptWindowHours}`,
    );
  }
  const attemptWindowSeconds = Math.round(options.attemptWindowHours * 3600);

  async function batchGet(ids: readonly string[]): Promise<Item[]> {
    const items: Item[] = [];
    let pending: Item[] = ids.map((id) => ({ id: { S: id } }));
    for (let attempt = 1; ; attempt++) {
      let left: Item[];
      try {
        const response = await client.send(
          new BatchGetItemCommand({
            // Strongly consistent: an attempt recorded a moment ago by another invocation counts.
            RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        items.push(...(response.Responses?.[tableName] ?? []));
        left = response.UnprocessedKeys?.[tableName]?.Keys ?? [];
      } catch (error) {
        throw dynamoFailure(LedgerError, 'BatchGetItem', tableName, error);
      }
      if (left.length === 0) return items;
      if (attempt >= BATCH_GET_ATTEMPTS) {
        throw new LedgerError(
          `DynamoDB BatchGetItem on ${tableName} failed: UnprocessedKeys: ${left.length} keys still unprocessed after ${BATCH_GET_ATTEMPTS} requests`,
        );
      }
      // Unprocessed keys mean the table is throttling: back off before asking again.
      await sleep(BATCH_GET_BACKOFF_MS * 2 ** (attempt - 1));
      pending = left;
    }
  }

  async function attempts(
    fileSystemId: string,
    paths: readonly string[],
  ): Promise<ReadonlyMap<string, AttemptHistory>> {
    const pathById = new Map<string, string>();
    for (const path of paths) pathById.set(attemptId(fileSystemId, path), path);
    const found = new Map<string, AttemptHistory>();
    for (const ids of chunk([...pathById.keys()], BATCH_GET_LIMIT)) {
      const items = await batchGet(ids);
      const nowSeconds = epochSeconds(now());
      for (const item of items) {
        const id = text(item, 'id');
        const path = id === undefined ? undefined : pathById.get(id);
        if (path === undefined) continue;
        const history = toHistory(item, fileSystemId, path, nowSeconds);
        if (history !== undefined) found.set(path, history);
      }
    }
    // BatchGetItem answers in any order; the map follows the order the paths were asked in.
    const histories = new Map<string, AttemptHistory>();
    for (const path of pathById.values()) {
      const history = found.get(path);
      if (history !== undefined) histories.set(path, history);
    }
    return histories;
  }

  async function recordOne(
    fileSystemId: string,
    path: string,
    taskId: string,
    at: Date,
  ): Promise<void> {
    const id = attemptId(fileSystemId, path);
    const key: Item = { id: { S: id } };
    for (let round = 0; round < RECORD_ROUNDS; round++) {
      const nowSeconds = epochSeconds(now());
      const fields = {
        kind: 'attempt',
        fileSystemId,
        path,
        lastAttemptAt: at.toISOString(),
        expiration: nowSeconds + attemptWindowSeconds,
      };
      let old: Item | undefined;
      try {
        // Adds the task to a live item or creates the item. It refuses an item that already
        // holds the task (a retried invocation: nothing changes, not even lastAttemptAt) and an
        // expired one (its old attempts must not count again); both are sorted out below.
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: key,
            UpdateExpression:
              'ADD #taskIds :taskSet SET #kind = :kind, #fileSystemId = :fileSystemId, #path = :path, #lastAttemptAt = :lastAttemptAt, #expiration = :expiration',
            ConditionExpression:
              'attribute_not_exists(#id) OR (#expiration >= :now AND NOT contains(#taskIds, :taskId))',
            ExpressionAttributeNames: {
              '#id': 'id',
              '#taskIds': 'taskIds',
              '#kind': 'kind',
              '#fileSystemId': 'fileSystemId',
              '#path': 'path',
              '#lastAttemptAt': 'lastAttemptAt',
              '#expiration': 'expiration',
            },
            ExpressionAttributeValues: marshall({
              ':taskSet': new Set([taskId]),
              ':taskId': taskId,
              ':kind': fields.kind,
              ':fileSystemId': fileSystemId,
              ':path': path,
              ':lastAttemptAt': fields.lastAttemptAt,
              ':expiration': fields.expiration,
              ':now': nowSeconds,
            }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return;
      } catch (error) {
        if (!isConditionalFailure(error))
          throw dynamoFailure(LedgerError, 'UpdateItem', tableName, error);
        // DynamoDB returns the old item with the failure; emulators may not, so read it then.
        old = oldItemOf(error) ?? (await getItemConsistent(client, tableName, key, LedgerError));
      }
      // Deleted in between (TTL): the next update creates it afresh.
      if (old === undefined) continue;
      if (!isExpired(old, nowSeconds)) {
        if (old['taskIds']?.SS?.includes(taskId) === true) return;
        // Live without our task: it was replaced in between; add to the new one.
        continue;
      }
      try {
        // Expired but not yet removed by TTL: start a new history in its place.
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: marshall({ id, ...fields, taskIds: new Set([taskId]) }),
            ConditionExpression: 'attribute_not_exists(#id) OR #expiration < :now',
            ExpressionAttributeNames: { '#id': 'id', '#expiration': 'expiration' },
            ExpressionAttributeValues: marshall({ ':now': nowSeconds }),
          }),
        );
        return;
      } catch (error) {
        if (!isConditionalFailure(error))
          throw dynamoFailure(LedgerError, 'PutItem', tableName, error);
        // Another writer renewed it first: the next round adds our task to theirs.
      }
    }
    throw new LedgerError(
      `DynamoDB UpdateItem on ${tableName} failed: ConditionalCheckFailedException: the attempt item of ${fileSystemId}:${path} changed ${RECORD_ROUNDS} times while recording ${taskId}`,
    );
  }

  async function recordAttempt(
    fileSystemId: string,
    paths: readonly string[],
    taskId: string,
    at: Date,
  ): Promise<void> {
    await mapLimited([...new Set(paths)], WRITE_CONCURRENCY, (path) =>
      recordOne(fileSystemId, path, taskId, at),
    );
  }

  async function claimWindow(
    fileSystemId: string,
    at: Date,
    windowSeconds: number,
  ): Promise<boolean> {
    if (!Number.isSafeInteger(windowSeconds) || windowSeconds <= 0) {
      throw new RangeError(`windowSeconds must be a positive whole number, got ${windowSeconds}`);
    }
    const atSeconds = epochSeconds(at);
    if (Number.isNaN(atSeconds)) throw new RangeError('claimWindow: `at` is an invalid date');
    const windowStart = Math.floor(atSeconds / windowSeconds) * windowSeconds;
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall({
            id: `window#${fileSystemId}#${windowStart}`,
            kind: 'window',
            fileSystemId,
            windowStart,
            windowSeconds,
            claimedAt: now().toISOString(),
            // Kept one window past its end, so a late caller of the same window still loses.
            expiration: windowStart + 2 * windowSeconds,
          }),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw dynamoFailure(LedgerError, 'PutItem', tableName, error);
    }
  }

  async function trackTask(task: TrackedTask): Promise<void> {
    const started = Date.parse(task.startedAt);
    // An unreadable start time must not lose the task: retain it from now instead.
    const startSeconds = Number.isNaN(started) ? epochSeconds(now()) : Math.floor(started / 1000);
    try {
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: marshall({
            id: `task#${task.taskId}`,
            kind: 'task',
            taskId: task.taskId,
            fileSystemId: task.fileSystemId,
            paths: [...task.paths],
            clientRequestToken: task.clientRequestToken,
            reportPath: task.reportPath,
            startedAt: task.startedAt,
            startedBy: task.startedBy,
            ...(task.account === undefined ? {} : { account: task.account }),
            status: OPEN,
            expiration: startSeconds + TASK_RETENTION_SECONDS,
          }),
          // Never overwrite: a retried invocation must not reopen a task already reported.
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
    } catch (error) {
      if (isConditionalFailure(error)) return;
      throw dynamoFailure(LedgerError, 'PutItem', tableName, error);
    }
  }

  async function openTasks(): Promise<readonly TrackedTask[]> {
    const nowSeconds = epochSeconds(now());
    const { items, truncated } = await scanAll(
      client,
      {
        TableName: tableName,
        FilterExpression: '#kind = :task AND #status = :open',
        ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
        ExpressionAttributeValues: marshall({ ':task': 'task', ':open': OPEN }),
        ConsistentRead: true,
      },
      MAX_SCAN_PAGES,
      LedgerError,
    );
    // Unlike the digest store, a cut Scan fails: every run would read the same first pages, so
    // the tasks past the cut would never be reported; the failed run shows it instead.
    if (truncated) {
      throw new LedgerError(
        `DynamoDB Scan on ${tableName} failed: TooManyPages: more than ${MAX_SCAN_PAGES} pages`,
      );
    }
    const tasks: TrackedTask[] = [];
    for (const item of items) {
      if (isExpired(item, nowSeconds)) continue;
      const task = toTrackedTask(item);
      if (task !== undefined) tasks.push(task);
    }
    return tasks.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  }

  /** A conditional update of a tracked task's status; false when the condition did not hold. */
  async function updateTask(
    taskId: string,
    update: string,
    condition: string,
    values: Record<string, string>,
  ): Promise<boolean> {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { id: { S: `task#${taskId}` } },
          UpdateExpression: update,
          ConditionExpression: condition,
          ExpressionAttributeNames: {
            '#status': 'status',
            '#lifecycle': 'lifecycle',
            '#closedAt': 'closedAt',
          },
          ExpressionAttributeValues: marshall({ ':closed': CLOSED, ':open': OPEN, ...values }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalFailure(error)) return false;
      throw dynamoFailure(LedgerError, 'UpdateItem', tableName, error);
    }
  }

  function closeTask(taskId: string, lifecycle: string, at: Date): Promise<boolean> {
    // Only an open task closes: the second of two concurrent reporters gets false.
    return updateTask(
      taskId,
      'SET #status = :closed, #lifecycle = :lifecycle, #closedAt = :closedAt',
      '#status = :open',
      { ':lifecycle': lifecycle, ':closedAt': at.toISOString() },
    );
  }

  async function reopenTask(taskId: string, closedAt: Date): Promise<void> {
    // Only this run's close is undone: a task another run closed stays closed.
    await updateTask(
      taskId,
      'SET #status = :open REMOVE #lifecycle, #closedAt',
      '#status = :closed AND #closedAt = :closedAt',
      { ':closedAt': closedAt.toISOString() },
    );
  }

  async function markFailed(
    fileSystemId: string,
    path: string,
    failure: ReportedFailure,
    at: Date,
  ): Promise<void> {
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { id: { S: attemptId(fileSystemId, path) } },
          UpdateExpression:
            'SET failedCode = :code, failedClass = :class, failedTask = :task, failedAt = :at',
          // Only a live history: a write on an expired or missing item would make one up.
          ConditionExpression: '#kind = :attempt AND expiration >= :now',
          ExpressionAttributeNames: { '#kind': 'kind' },
          ExpressionAttributeValues: marshall({
            ':code': failure.code,
            ':class': failure.class,
            ':task': failure.taskId,
            ':at': at.toISOString(),
            ':attempt': 'attempt',
            ':now': epochSeconds(now()),
          }),
        }),
      );
    } catch (error) {
      if (isConditionalFailure(error)) return;
      throw dynamoFailure(LedgerError, 'UpdateItem', tableName, error);
    }
  }

  return {
    attempts,
    recordAttempt,
    claimWindow,
    trackTask,
    openTasks,
    closeTask,
    reopenTask,
    markFailed,
  };
}

export type { LedgerOptions };
export { createLedger, LedgerError };

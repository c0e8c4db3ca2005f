import { createHash } from 'node:crypto';
import {
  type AttributeValue,
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createLedger, LedgerError } from '../../../lib/aws/ledger.ts';
import { AnalyzerError } from '../../../lib/common/errors.ts';
import type { TrackedTask } from '../../../lib/common/ports.ts';
import { FS } from '../../helpers/fixtures.ts';

const TABLE = 'fea-ledger';
const NOW = new Date('2025-06-01T10:07:30.000Z');
const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);
const WINDOW_HOURS = 24;
const ddbMock = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });

type Item = Record<string, AttributeValue>;

function ledger() {
  return createLedger(client, {
    tableName: TABLE,
    attemptWindowHours: WINDOW_HOURS,
    now: () => NOW,
  });
}

/** The attempt item id, derived here independently of the adapter. */
function attemptId(path: string, fileSystemId = FS): string {
  return `attempt#${fileSystemId}#${createHash('sha256').update(path).digest('base64url')}`;
}

function attemptItem(path: string, taskIds: string[], expiration = NOW_SECONDS + 3600): Item {
  return {
    id: { S: attemptId(path) },
    kind: { S: 'attempt' },
    fileSystemId: { S: FS },
    path: { S: path },
    taskIds: { SS: taskIds },
    lastAttemptAt: { S: '2025-06-01T09:00:00.000Z' },
    expiration: { N: String(expiration) },
  };
}

function conditionalFailure(item?: Item): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    $metadata: {},
    message: 'The conditional request failed',
    ...(item === undefined ? {} : { Item: item }),
  });
}

function throttled(): ProvisionedThroughputExceededException {
  return new ProvisionedThroughputExceededException({
    $metadata: {},
    message: 'The level of configured provisioned throughput for the table was exceeded',
  });
}

const TASK: TrackedTask = {
  taskId: 'task-0123456789abcdef0',
  fileSystemId: FS,
  paths: ['ns1/a.bin', 'ns1/b.bin'],
  clientRequestToken: 'fea-token',
  reportPath: 's3://bucket/prefix/fsx-export-analyzer-reports',
  startedAt: '2025-06-01T10:00:00.000Z',
  startedBy: 'retrier',
};

function taskItem(task: TrackedTask, expiration = NOW_SECONDS + 3600): Item {
  return {
    id: { S: `task#${task.taskId}` },
    kind: { S: 'task' },
    taskId: { S: task.taskId },
    fileSystemId: { S: task.fileSystemId },
    paths: { L: task.paths.map((path) => ({ S: path })) },
    clientRequestToken: { S: task.clientRequestToken },
    reportPath: { S: task.reportPath },
    startedAt: { S: task.startedAt },
    startedBy: { S: task.startedBy },
    status: { S: 'OPEN' },
    expiration: { N: String(expiration) },
  };
}

describe('Function: createLedger', () => {
  beforeEach(() => {
    ddbMock.reset();
  });

  it.each([0, -1, Number.NaN])('rejects an attempt window of %s hours', (hours) => {
    // Prepare
    const options = { tableName: TABLE, attemptWindowHours: hours };

    // Act
    const create = () => createLedger(client, options);

    // Assess
    expect(create).toThrow(RangeError);
  });

  describe('attempts', () => {
    it('reads the hashed keys consistently and maps the histories', async () => {
      // Prepare
      ddbMock.on(BatchGetItemCommand).resolves({
        Responses: { [TABLE]: [attemptItem('ns1/a.bin', ['task-2', 'task-1'])] },
      });

      // Act
      const histories = await ledger().attempts(FS, ['ns1/a.bin', 'ns1/b.bin', 'ns1/a.bin']);

      // Assess
      expect([...histories.entries()]).toEqual([
        [
          'ns1/a.bin',
          {
            fileSystemId: FS,
            path: 'ns1/a.bin',
            taskIds: ['task-1', 'task-2'],
            lastAttemptAt: '2025-06-01T09:00:00.000Z',
          },
        ],
      ]);
      expect(ddbMock).toHaveReceivedCommandTimes(BatchGetItemCommand, 1);
      expect(ddbMock).toHaveReceivedCommandWith(BatchGetItemCommand, {
        RequestItems: {
          [TABLE]: {
            Keys: [{ id: { S: attemptId('ns1/a.bin') } }, { id: { S: attemptId('ns1/b.bin') } }],
            ConsistentRead: true,
          },
        },
      });
      expect(attemptId('ns1/a.bin')).toHaveLength(`attempt#${FS}#`.length + 43);
    });

    it('keeps the order the paths were asked in, whatever order DynamoDB answers in', async () => {
      // Prepare
      ddbMock.on(BatchGetItemCommand).resolves({
        Responses: {
          [TABLE]: [
            attemptItem('ns1/c.bin', ['task-3']),
            attemptItem('ns1/a.bin', ['task-1']),
            attemptItem('ns1/b.bin', ['task-2']),
          ],
        },
      });

      // Act
      const histories = await ledger().attempts(FS, ['ns1/b.bin', 'ns1/c.bin', 'ns1/a.bin']);

      // Assess
      expect([...histories.keys()]).toEqual(['ns1/b.bin', 'ns1/c.bin', 'ns1/a.bin']);
    });

    it('sends nothing for no paths', async () => {
      // Prepare
      const port = ledger();

      // Act
      const histories = await port.attempts(FS, []);

      // Assess
      expect(histories.size).toBe(0);
      expect(ddbMock).not.toHaveReceivedCommand(BatchGetItemCommand);
    });

    it('reads in chunks of 100 keys', async () => {
      // Prepare
      const paths = Array.from({ length: 250 }, (_, index) => `ns1/file-${index}.bin`);
      ddbMock.on(BatchGetItemCommand).resolves({ Responses: { [TABLE]: [] } });

      // Act
      await ledger().attempts(FS, paths);

      // Assess
      const sizes = ddbMock
        .commandCalls(BatchGetItemCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys?.length);
      expect(sizes).toEqual([100, 100, 50]);
    });

    it('asks again for the unprocessed keys only and merges the answers', async () => {
      // Prepare
      ddbMock
        .on(BatchGetItemCommand)
        .resolvesOnce({
          Responses: { [TABLE]: [attemptItem('ns1/a.bin', ['task-1'])] },
          UnprocessedKeys: { [TABLE]: { Keys: [{ id: { S: attemptId('ns1/b.bin') } }] } },
        })
        .resolvesOnce({ Responses: { [TABLE]: [attemptItem('ns1/b.bin', ['task-2'])] } });

      // Act
      const histories = await ledger().attempts(FS, ['ns1/a.bin', 'ns1/b.bin']);

      // Assess
      expect([...histories.keys()]).toEqual(['ns1/a.bin', 'ns1/b.bin']);
      expect(ddbMock).toHaveReceivedCommandTimes(BatchGetItemCommand, 2);
      expect(ddbMock).toHaveReceivedNthCommandWith(BatchGetItemCommand, 2, {
        RequestItems: {
          [TABLE]: { Keys: [{ id: { S: attemptId('ns1/b.bin') } }], ConsistentRead: true },
        },
      });
    });

    it('gives up with a LedgerError when keys stay unprocessed after 5 requests', async () => {
      // Prepare
      ddbMock.on(BatchGetItemCommand).resolves({
        Responses: { [TABLE]: [] },
        UnprocessedKeys: { [TABLE]: { Keys: [{ id: { S: attemptId('ns1/a.bin') } }] } },
      });

      // Act
      const reading = ledger().attempts(FS, ['ns1/a.bin']);

      // Assess
      await expect(reading).rejects.toThrow(LedgerError);
      await expect(reading).rejects.toThrow(
        `DynamoDB BatchGetItem on ${TABLE} failed: UnprocessedKeys: 1 keys still unprocessed after 5 requests`,
      );
      expect(ddbMock).toHaveReceivedCommandTimes(BatchGetItemCommand, 5);
    });

    it('ignores expired items that TTL has not deleted yet', async () => {
      // Prepare
      ddbMock.on(BatchGetItemCommand).resolves({
        Responses: {
          [TABLE]: [
            attemptItem('ns1/expired.bin', ['task-1'], NOW_SECONDS - 1),
            attemptItem('ns1/last-second.bin', ['task-2'], NOW_SECONDS),
            { ...attemptItem('ns1/no-expiry.bin', ['task-3']), expiration: { S: 'soon' } },
          ],
        },
      });

      // Act
      const histories = await ledger().attempts(FS, [
        'ns1/expired.bin',
        'ns1/last-second.bin',
        'ns1/no-expiry.bin',
      ]);

      // Assess
      expect([...histories.keys()]).toEqual(['ns1/last-second.bin']);
    });

    it('wraps a DynamoDB error in a one-line LedgerError with the cause', async () => {
      // Prepare
      const cause = new InternalServerError({ $metadata: {}, message: 'Internal server error' });
      ddbMock.on(BatchGetItemCommand).rejects(cause);

      // Act
      const error = await ledger()
        .attempts(FS, ['ns1/a.bin'])
        .catch((thrown: unknown) => thrown);

      // Assess
      expect(error).toBeInstanceOf(LedgerError);
      expect(error).toBeInstanceOf(AnalyzerError);
      expect(error).toMatchObject({
        name: 'LedgerError',
        message: `DynamoDB BatchGetItem on ${TABLE} failed: InternalServerError: Internal server error`,
        cause,
      });
    });
  });

  describe('recordAttempt', () => {
    it('adds the task to each path once, refreshing the window', async () => {
      // Prepare
      ddbMock.on(UpdateItemCommand).resolves({});
      const at = new Date('2025-06-01T10:05:00.000Z');

      // Act
      await ledger().recordAttempt(FS, ['ns1/a.bin', 'ns1/b.bin', 'ns1/a.bin'], 'task-1', at);

      // Assess
      const inputs = ddbMock.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
      expect(inputs.map((input) => input.Key)).toEqual([
        { id: { S: attemptId('ns1/a.bin') } },
        { id: { S: attemptId('ns1/b.bin') } },
      ]);
      expect(inputs[0]).toMatchObject({
        TableName: TABLE,
        UpdateExpression: expect.stringMatching(/^ADD #taskIds :taskSet SET /),
        ConditionExpression:
          'attribute_not_exists(#id) OR (#expiration >= :now AND NOT contains(#taskIds, :taskId))',
        ExpressionAttributeValues: {
          ':taskSet': { SS: ['task-1'] },
          ':taskId': { S: 'task-1' },
          ':kind': { S: 'attempt' },
          ':fileSystemId': { S: FS },
          ':path': { S: 'ns1/a.bin' },
          ':lastAttemptAt': { S: '2025-06-01T10:05:00.000Z' },
          ':expiration': { N: String(NOW_SECONDS + WINDOW_HOURS * 3600) },
          ':now': { N: String(NOW_SECONDS) },
        },
      });
    });

    it('writes at most 10 paths at once', async () => {
      // Prepare
      let inFlight = 0;
      let most = 0;
      ddbMock.on(UpdateItemCommand).callsFake(async () => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight -= 1;
        return {};
      });
      const paths = Array.from({ length: 100 }, (_, index) => `ns1/file-${index}.bin`);

      // Act
      await ledger().recordAttempt(FS, paths, 'task-1', NOW);

      // Assess
      expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 100);
      expect(most).toBe(10);
    });

    it('changes nothing when the live item already holds the task', async () => {
      // Prepare
      ddbMock
        .on(UpdateItemCommand)
        .rejects(conditionalFailure(attemptItem('ns1/a.bin', ['task-1'])));

      // Act
      await ledger().recordAttempt(FS, ['ns1/a.bin'], 'task-1', NOW);

      // Assess
      expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
      expect(ddbMock).not.toHaveReceivedCommand(GetItemCommand);
      expect(ddbMock).not.toHaveReceivedCommand(PutItemCommand);
    });

    it('reads the old item when the failure does not carry it, and replaces an expired one', async () => {
      // Prepare
      ddbMock.on(UpdateItemCommand).rejects(conditionalFailure());
      ddbMock
        .on(GetItemCommand)
        .resolves({ Item: attemptItem('ns1/a.bin', ['task-0', 'task-1'], NOW_SECONDS - 60) });
      ddbMock.on(PutItemCommand).resolves({});

      // Act
      await ledger().recordAttempt(FS, ['ns1/a.bin'], 'task-1', NOW);

      // Assess
      expect(ddbMock).toHaveReceivedCommandWith(GetItemCommand, {
        TableName: TABLE,
        Key: { id: { S: attemptId('ns1/a.bin') } },
        ConsistentRead: true,
      });
      expect(ddbMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
      expect(ddbMock.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Item: {
          id: { S: attemptId('ns1/a.bin') },
          kind: { S: 'attempt' },
          fileSystemId: { S: FS },
          path: { S: 'ns1/a.bin' },
          lastAttemptAt: { S: NOW.toISOString() },
          expiration: { N: String(NOW_SECONDS + WINDOW_HOURS * 3600) },
          taskIds: { SS: ['task-1'] },
        },
        ConditionExpression: 'attribute_not_exists(#id) OR #expiration < :now',
        ExpressionAttributeNames: { '#id': 'id', '#expiration': 'expiration' },
        ExpressionAttributeValues: { ':now': { N: String(NOW_SECONDS) } },
      });
    });

    it('adds to the item another writer renewed first', async () => {
      // Prepare
      ddbMock
        .on(UpdateItemCommand)
        .rejectsOnce(conditionalFailure(attemptItem('ns1/a.bin', ['task-0'], NOW_SECONDS - 60)))
        .resolves({});
      ddbMock.on(PutItemCommand).rejects(conditionalFailure());

      // Act
      await ledger().recordAttempt(FS, ['ns1/a.bin'], 'task-1', NOW);

      // Assess
      expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 2);
      expect(ddbMock).toHaveReceivedCommandTimes(PutItemCommand, 1);
    });

    it('fails with a LedgerError when the item keeps changing', async () => {
      // Prepare
      ddbMock
        .on(UpdateItemCommand)
        .rejects(conditionalFailure(attemptItem('ns1/a.bin', ['task-other'])));

      // Act
      const recording = ledger().recordAttempt(FS, ['ns1/a.bin'], 'task-1', NOW);

      // Assess
      await expect(recording).rejects.toThrow(LedgerError);
      expect(ddbMock).toHaveReceivedCommandTimes(UpdateItemCommand, 3);
    });

    it('wraps other errors in a LedgerError', async () => {
      // Prepare
      ddbMock.on(UpdateItemCommand).rejects(throttled());

      // Act
      const recording = ledger().recordAttempt(FS, ['ns1/a.bin'], 'task-1', NOW);

      // Assess
      await expect(recording).rejects.toThrow(
        `DynamoDB UpdateItem on ${TABLE} failed: ProvisionedThroughputExceededException: The level of configured provisioned throughput for the table was exceeded`,
      );
    });
  });

  describe('claimWindow', () => {
    it('creates the window item only if it does not exist', async () => {
      // Prepare
      ddbMock.on(PutItemCommand).resolves({});
      const windowStart = Math.floor(NOW_SECONDS / 600) * 600;

      // Act
      const claimed = await ledger().claimWindow(FS, NOW, 600);

      // Assess
      expect(claimed).toBe(true);
      expect(new Date(windowStart * 1000).toISOString()).toBe('2025-06-01T10:00:00.000Z');
      expect(ddbMock.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Item: {
          id: { S: `window#${FS}#${windowStart}` },
          kind: { S: 'window' },
          fileSystemId: { S: FS },
          windowStart: { N: String(windowStart) },
          windowSeconds: { N: '600' },
          claimedAt: { S: NOW.toISOString() },
          expiration: { N: String(windowStart + 1200) },
        },
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      });
    });

    it('answers false when the window is already claimed', async () => {
      // Prepare
      ddbMock.on(PutItemCommand).rejects(conditionalFailure());

      // Act
      const claimed = await ledger().claimWindow(FS, NOW, 600);

      // Assess
      expect(claimed).toBe(false);
    });

    it('wraps other errors in a LedgerError', async () => {
      // Prepare
      ddbMock.on(PutItemCommand).rejects(throttled());

      // Act
      const claiming = ledger().claimWindow(FS, NOW, 600);

      // Assess
      await expect(claiming).rejects.toThrow(
        /^DynamoDB PutItem on fea-ledger failed: ProvisionedThroughputExceededException: /,
      );
    });

    it.each([0, -600, 1.5])('rejects a window of %s seconds', async (seconds) => {
      // Prepare
      const port = ledger();

      // Act
      const claiming = port.claimWindow(FS, NOW, seconds);

      // Assess
      await expect(claiming).rejects.toThrow(RangeError);
      expect(ddbMock).not.toHaveReceivedCommand(PutItemCommand);
    });
  });

  describe('trackTask', () => {
    it('stores every field, open, for 14 days from the start', async () => {
      // Prepare
      ddbMock.on(PutItemCommand).resolves({});
      const started = Date.parse(TASK.startedAt) / 1000;

      // Act
      await ledger().trackTask(TASK);

      // Assess
      expect(ddbMock.commandCalls(PutItemCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Item: taskItem(TASK, started + 14 * 24 * 3600),
        ConditionExpression: 'attribute_not_exists(#id)',
        ExpressionAttributeNames: { '#id': 'id' },
      });
    });

    it('accepts a task that is already tracked', async () => {
      // Prepare
      ddbMock.on(PutItemCommand).rejects(conditionalFailure());

      // Act
      const tracking = ledger().trackTask(TASK);

      // Assess
      await expect(tracking).resolves.toBeUndefined();
    });

    it('wraps other errors in a LedgerError', async () => {
      // Prepare
      ddbMock.on(PutItemCommand).rejects(throttled());

      // Act
      const tracking = ledger().trackTask(TASK);

      // Assess
      await expect(tracking).rejects.toThrow(LedgerError);
    });
  });

  describe('openTasks', () => {
    it('scans for open tasks through every page and skips expired and malformed items', async () => {
      // Prepare
      const later: TrackedTask = {
        ...TASK,
        taskId: 'task-later',
        startedAt: '2025-06-01T10:05:00.000Z',
        startedBy: 'analyzer',
      };
      ddbMock
        .on(ScanCommand)
        .resolvesOnce({
          Items: [taskItem(later), taskItem({ ...TASK, taskId: 'task-old' }, NOW_SECONDS - 1)],
          LastEvaluatedKey: { id: { S: 'task#task-old' } },
        })
        .resolvesOnce({
          Items: [
            taskItem(TASK),
            { ...taskItem({ ...TASK, taskId: 'task-bad' }), paths: { S: 'x' } },
          ],
        });

      // Act
      const tasks = await ledger().openTasks();

      // Assess
      expect(tasks).toEqual([TASK, later]);
      expect(ddbMock).toHaveReceivedCommandTimes(ScanCommand, 2);
      expect(ddbMock).toHaveReceivedNthCommandWith(ScanCommand, 1, {
        TableName: TABLE,
        FilterExpression: '#kind = :task AND #status = :open',
        ExpressionAttributeNames: { '#kind': 'kind', '#status': 'status' },
        ExpressionAttributeValues: { ':task': { S: 'task' }, ':open': { S: 'OPEN' } },
        ConsistentRead: true,
      });
      expect(ddbMock).toHaveReceivedNthCommandWith(ScanCommand, 2, {
        ExclusiveStartKey: { id: { S: 'task#task-old' } },
      });
    });

    it('stops a LastEvaluatedKey that never ends after 50 pages', async () => {
      // Prepare
      ddbMock.on(ScanCommand).resolves({ Items: [], LastEvaluatedKey: { id: { S: 'again' } } });

      // Act
      const scanning = ledger().openTasks();

      // Assess
      await expect(scanning).rejects.toThrow(LedgerError);
      expect(ddbMock).toHaveReceivedCommandTimes(ScanCommand, 50);
    });

    it('wraps a failed scan in a LedgerError', async () => {
      // Prepare
      ddbMock.on(ScanCommand).rejects(throttled());

      // Act
      const scanning = ledger().openTasks();

      // Assess
      await expect(scanning).rejects.toThrow(/^DynamoDB Scan on fea-ledger failed: /);
    });
  });

  describe('closeTask', () => {
    it('closes an open task and answers true', async () => {
      // Prepare
      ddbMock.on(UpdateItemCommand).resolves({});
      const at = new Date('2025-06-01T11:00:00.000Z');

      // Act
      const closed = await ledger().closeTask(TASK.taskId, 'SUCCEEDED', at);

      // Assess
      expect(closed).toBe(true);
      expect(ddbMock.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
        TableName: TABLE,
        Key: { id: { S: `task#${TASK.taskId}` } },
        UpdateExpression: 'SET #status = :closed, #lifecycle = :lifecycle, #closedAt = :closedAt',
        ConditionExpression: '#status = :open',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#lifecycle': 'lifecycle',
          '#closedAt': 'closedAt',
        },
        ExpressionAttributeValues: {
          ':closed': { S: 'CLOSED' },
          ':open': { S: 'OPEN' },
          ':lifecycle': { S: 'SUCCEEDED' },
          ':closedAt': { S: '2025-06-01T11:00:00.000Z' },
        },
      });
    });

    it('answers false when the task is already closed or unknown', async () => {
      // Prepare
      ddbMock.on(UpdateItemCommand).rejects(conditionalFailure());

      // Act
      const closed = await ledger().closeTask(TASK.taskId, 'FAILED', NOW);

      // Assess
      expect(closed).toBe(false);
    });

    it('wraps other errors in a LedgerError', async () => {
      // Prepare
      ddbMock.on(UpdateItemCommand).rejects(new Error('socket hang up'));

      // Act
      const closing = ledger().closeTask(TASK.taskId, 'FAILED', NOW);

      // Assess
      await expect(closing).rejects.toThrow(
        `DynamoDB UpdateItem on ${TABLE} failed: Error: socket hang up`,
      );
    });
  });
});

describe('Function: createLedger, markFailed', () => {
  beforeEach(() => ddbMock.reset());

  const failure = { code: 'S3AccessDenied', class: 'permission' as const, taskId: 'task-1' };

  it('sets the failure on a live attempt item only, and takes a missing one quietly', async () => {
    // Prepare
    ddbMock
      .on(UpdateItemCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ $metadata: {}, message: 'no item' }));

    // Act
    await ledger().markFailed(FS, 'ns1/a.bin', failure, NOW);

    // Assess
    expect(ddbMock).toHaveReceivedCommandWith(UpdateItemCommand, {
      TableName: TABLE,
      Key: { id: { S: attemptId('ns1/a.bin') } },
      ConditionExpression: '#kind = :attempt AND expiration >= :now',
      ExpressionAttributeValues: expect.objectContaining({
        ':code': { S: 'S3AccessDenied' },
        ':class': { S: 'permission' },
        ':task': { S: 'task-1' },
        ':now': { N: String(NOW_SECONDS) },
      }),
    });
  });

  it('fails with a LedgerError naming the call when DynamoDB fails', async () => {
    // Prepare
    ddbMock
      .on(UpdateItemCommand)
      .rejects(new InternalServerError({ $metadata: {}, message: 'try later' }));

    // Act
    const run = ledger().markFailed(FS, 'ns1/a.bin', failure, NOW);

    // Assess
    await expect(run).rejects.toBeInstanceOf(LedgerError);
    await expect(run).rejects.toThrow(`DynamoDB UpdateItem on ${TABLE} failed`);
  });

  it('reads the failure back into the attempt history, and ignores a partial one', async () => {
    // Prepare
    const item = (path: string, extra: Item): Item => ({
      id: { S: attemptId(path) },
      kind: { S: 'attempt' },
      taskIds: { SS: ['task-1'] },
      lastAttemptAt: { S: NOW.toISOString() },
      expiration: { N: String(NOW_SECONDS + 3600) },
      ...extra,
    });
    ddbMock.on(BatchGetItemCommand).resolves({
      Responses: {
        [TABLE]: [
          item('ns1/a.bin', {
            failedCode: { S: 'S3AccessDenied' },
            failedClass: { S: 'permission' },
            failedTask: { S: 'task-1' },
          }),
          item('ns1/b.bin', {
            failedCode: { S: 'S3AccessDenied' },
            failedClass: { S: 'nonsense' },
          }),
        ],
      },
    });

    // Act
    const histories = await ledger().attempts(FS, ['ns1/a.bin', 'ns1/b.bin']);

    // Assess
    expect(histories.get('ns1/a.bin')?.failedWith).toEqual(failure);
    expect(histories.get('ns1/b.bin')).toBeDefined();
    expect(histories.get('ns1/b.bin')?.failedWith).toBeUndefined();
  });
});

import {
  IdempotencyAlreadyInProgressError,
  IdempotencyPersistenceLayerError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createIdempotencyStore, idempotencyConfig } from '../../lib/aws/idempotency.ts';
import { createLedger } from '../../lib/aws/ledger.ts';
import type { LedgerPort, TrackedTask } from '../../lib/common/ports.ts';
import { type LocalDynamo, startDynalite } from '../helpers/dynalite.ts';
import { FS } from '../helpers/fixtures.ts';
import { CONTEXT } from '../helpers/lambda.ts';

/*
 * The ledger and the Powertools idempotency store against dynalite, a real DynamoDB
 * implementation, through the real SDK client over HTTP: conditional writes, ADD on string sets,
 * BatchGetItem and Scan run as DynamoDB runs them. Each test gets its own server and table.
 */

const OTHER_FS = 'fs-0fedcba9876543210';
const WINDOW_HOURS = 24;

function task(taskId: string, startedAt = '2025-06-01T10:00:00.000Z'): TrackedTask {
  return {
    taskId,
    fileSystemId: FS,
    paths: ['ns1/a.bin', 'ns1/b.bin'],
    clientRequestToken: `fea-${taskId}`,
    reportPath: 's3://bucket/prefix/fsx-export-analyzer-reports',
    startedAt,
    startedBy: 'retrier',
  };
}

describe('Integration: DynamoDB ledger on dynalite', () => {
  let dynamo: LocalDynamo;
  let clock: Date;
  let ledger: LedgerPort;

  beforeEach(async () => {
    dynamo = await startDynalite();
    // The real date: Powertools compares its expiry with Date.now(), which the test cannot move.
    clock = new Date();
    ledger = createLedger(dynamo.client, {
      tableName: dynamo.tableName,
      attemptWindowHours: WINDOW_HOURS,
      now: () => clock,
    });
  });

  afterEach(async () => {
    await dynamo.stop();
  });

  describe('attempts', () => {
    it('keeps the failure a completion report gave a live path, and leaves an unknown path alone', async () => {
      // Prepare
      await ledger.recordAttempt(FS, ['ns1/a.bin'], 'task-1', clock);
      const failure = { code: 'S3AccessDenied', class: 'permission' as const, taskId: 'task-1' };

      // Act
      await ledger.markFailed(FS, 'ns1/a.bin', failure, clock);
      await ledger.markFailed(FS, 'ns1/a.bin', failure, clock);
      await ledger.markFailed(FS, 'ns1/never.bin', failure, clock);
      const histories = await ledger.attempts(FS, ['ns1/a.bin', 'ns1/never.bin']);

      // Assess
      expect(histories.get('ns1/a.bin')).toMatchObject({
        taskIds: ['task-1'],
        failedWith: failure,
      });
      expect(histories.has('ns1/never.bin')).toBe(false);
      const { Items = [] } = await dynamo.client.send(
        new ScanCommand({ TableName: dynamo.tableName }),
      );
      expect(Items).toHaveLength(1);
    });

    it('returns what was recorded, per path, and nothing for other paths', async () => {
      // Prepare
      const at = new Date('2025-06-01T10:05:00.000Z');
      const long = `ns1/${'deep/'.repeat(800)}file.bin`;

      // Act
      await ledger.recordAttempt(FS, ['ns1/a.bin', long], 'task-1', at);
      const histories = await ledger.attempts(FS, ['ns1/a.bin', long, 'ns1/never.bin']);
      const otherFileSystem = await ledger.attempts(OTHER_FS, ['ns1/a.bin']);

      // Assess
      expect([...histories.values()]).toEqual([
        {
          fileSystemId: FS,
          path: 'ns1/a.bin',
          taskIds: ['task-1'],
          lastAttemptAt: '2025-06-01T10:05:00.000Z',
        },
        { fileSystemId: FS, path: long, taskIds: ['task-1'], lastAttemptAt: at.toISOString() },
      ]);
      expect(otherFileSystem.size).toBe(0);
    });

    it('counts the same task once, however often it is recorded', async () => {
      // Prepare
      const first = new Date('2025-06-01T10:05:00.000Z');
      const retried = new Date('2025-06-01T10:06:00.000Z');

      // Act
      await ledger.recordAttempt(FS, ['ns1/a.bin'], 'task-1', first);
      await ledger.recordAttempt(FS, ['ns1/a.bin'], 'task-1', retried);
      await Promise.all(
        Array.from({ length: 5 }, () => ledger.recordAttempt(FS, ['ns1/a.bin'], 'task-1', retried)),
      );
      const histories = await ledger.attempts(FS, ['ns1/a.bin']);

      // Assess
      expect(histories.get('ns1/a.bin')).toEqual({
        fileSystemId: FS,
        path: 'ns1/a.bin',
        taskIds: ['task-1'],
        lastAttemptAt: first.toISOString(),
      });
    });

    it('counts three different tasks as three attempts, also when recorded concurrently', async () => {
      // Prepare
      const at = (minute: number) => new Date(Date.UTC(2025, 5, 1, 10, minute));

      // Act
      await ledger.recordAttempt(FS, ['ns1/a.bin'], 'task-1', at(1));
      await Promise.all([
        ledger.recordAttempt(FS, ['ns1/a.bin', 'ns1/b.bin'], 'task-2', at(2)),
        ledger.recordAttempt(FS, ['ns1/a.bin', 'ns1/b.bin'], 'task-3', at(2)),
      ]);
      const histories = await ledger.attempts(FS, ['ns1/a.bin', 'ns1/b.bin']);

      // Assess
      expect(histories.get('ns1/a.bin')?.taskIds).toEqual(['task-1', 'task-2', 'task-3']);
      expect(histories.get('ns1/a.bin')?.lastAttemptAt).toBe(at(2).toISOString());
      expect(histories.get('ns1/b.bin')?.taskIds).toEqual(['task-2', 'task-3']);
    });

    it('reads more than 100 paths in one call', async () => {
      // Prepare
      const paths = Array.from({ length: 150 }, (_, index) => `ns1/file-${index}.bin`);
      await ledger.recordAttempt(FS, paths.slice(0, 100), 'task-1', clock);
      await ledger.recordAttempt(FS, paths.slice(100), 'task-2', clock);

      // Act
      const histories = await ledger.attempts(FS, paths);

      // Assess
      expect(histories.size).toBe(150);
      expect(histories.get('ns1/file-149.bin')?.taskIds).toEqual(['task-2']);
    });

    it('forgets attempts older than the window and starts a new history after them', async () => {
      // Prepare
      await ledger.recordAttempt(FS, ['ns1/a.bin'], 'task-1', clock);
      await ledger.recordAttempt(FS, ['ns1/a.bin'], 'task-2', clock);
      clock = new Date(clock.getTime() + (WINDOW_HOURS * 3600 + 1) * 1000);

      // Act
      const expired = await ledger.attempts(FS, ['ns1/a.bin']);
      await ledger.recordAttempt(FS, ['ns1/a.bin'], 'task-3', clock);
      const renewed = await ledger.attempts(FS, ['ns1/a.bin']);

      // Assess
      expect(expired.size).toBe(0);
      expect(renewed.get('ns1/a.bin')?.taskIds).toEqual(['task-3']);
    });
  });

  describe('claimWindow', () => {
    it('lets exactly one of 10 concurrent callers claim a window', async () => {
      // Prepare
      const at = new Date('2025-06-01T10:07:30.000Z');

      // Act
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => ledger.claimWindow(FS, at, 600)),
      );

      // Assess
      expect(answers.filter((claimed) => claimed)).toHaveLength(1);
    });

    it('keeps a window claimed to its end, and frees the next window and other file systems', async () => {
      // Prepare
      await ledger.claimWindow(FS, new Date('2025-06-01T10:00:00.000Z'), 600);

      // Act
      const sameWindow = await ledger.claimWindow(FS, new Date('2025-06-01T10:09:59.000Z'), 600);
      const nextWindow = await ledger.claimWindow(FS, new Date('2025-06-01T10:10:00.000Z'), 600);
      const otherFileSystem = await ledger.claimWindow(
        OTHER_FS,
        new Date('2025-06-01T10:05:00.000Z'),
        600,
      );

      // Assess
      expect({ sameWindow, nextWindow, otherFileSystem }).toEqual({
        sameWindow: false,
        nextWindow: true,
        otherFileSystem: true,
      });
    });
  });

  describe('tasks', () => {
    it('tracks a task once however often it is tracked', async () => {
      // Prepare
      const tracked = task('task-1', clock.toISOString());

      // Act
      await ledger.trackTask(tracked);
      await Promise.all([ledger.trackTask(tracked), ledger.trackTask(tracked)]);
      const open = await ledger.openTasks();

      // Assess
      expect(open).toEqual([tracked]);
    });

    it('closes a task for exactly one of 10 concurrent callers', async () => {
      // Prepare
      await ledger.trackTask(task('task-1', clock.toISOString()));

      // Act
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => ledger.closeTask('task-1', 'SUCCEEDED', clock)),
      );

      // Assess
      expect(answers.filter((closed) => closed)).toHaveLength(1);
    });

    it('lists only open tasks, oldest first, among all the other items', async () => {
      // Prepare
      const first = task('task-1', new Date(clock.getTime() - 60_000).toISOString());
      const second = task('task-2', clock.toISOString());
      const third = task('task-3', new Date(clock.getTime() - 30_000).toISOString());
      for (const tracked of [second, first, third]) await ledger.trackTask(tracked);
      await ledger.recordAttempt(FS, ['ns1/a.bin'], 'task-1', clock);
      await ledger.claimWindow(FS, clock, 600);

      // Act
      const closed = await ledger.closeTask('task-3', 'FAILED', clock);
      const unknown = await ledger.closeTask('task-unknown', 'FAILED', clock);
      const open = await ledger.openTasks();

      // Assess
      expect({ closed, unknown }).toEqual({ closed: true, unknown: false });
      expect(open).toEqual([first, second]);
    });

    it('does not reopen a closed task tracked again', async () => {
      // Prepare
      const tracked = task('task-1', clock.toISOString());
      await ledger.trackTask(tracked);
      await ledger.closeTask('task-1', 'SUCCEEDED', clock);

      // Act
      await ledger.trackTask(tracked);
      const open = await ledger.openTasks();

      // Assess
      expect(open).toEqual([]);
    });
  });

  describe('Powertools idempotency store', () => {
    const EVENT = { awslogs: { data: 'x' } };

    // A handler-shaped function gets the Lambda context (CONTEXT), as the analyzer's handler will:
    // Powertools then also records when an in-flight invocation would have timed out.
    function idempotent<T>(
      work: () => Promise<T>,
    ): (event: unknown, context: Context) => Promise<T> {
      const handler = (_event: unknown, _context: Context): Promise<T> => work();
      return makeIdempotent(handler, {
        persistenceStore: createIdempotencyStore(dynamo.client, dynamo.tableName),
        config: idempotencyConfig({ expiresAfterSeconds: 3600 }),
        keyPrefix: 'fsx-export-analyzer',
      });
    }

    it('returns the stored result for the same payload without running again', async () => {
      // Prepare
      let runs = 0;
      const analyze = idempotent(async () => {
        runs += 1;
        return { started: ['task-1'], run: runs };
      });

      // Act
      const first = await analyze(EVENT, CONTEXT);
      const second = await analyze({ ...EVENT, other: 'ignored by the key' }, CONTEXT);

      // Assess
      expect(first).toEqual({ started: ['task-1'], run: 1 });
      expect(second).toEqual(first);
      expect(runs).toBe(1);
    });

    it('stores its record under id with the expiration TTL attribute', async () => {
      // Prepare
      const analyze = idempotent(async () => 'done');

      // Act
      await analyze(EVENT, CONTEXT);
      const scan = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }));

      // Assess
      expect(scan.Items).toHaveLength(1);
      const record = scan.Items?.[0] ?? {};
      expect(record['id']?.S).toMatch(/^fsx-export-analyzer#[A-Za-z0-9+/]{22}==$/);
      expect(record['status']?.S).toBe('COMPLETED');
      expect(Number(record['expiration']?.N)).toBeGreaterThan(Date.now() / 1000);
    });

    it('refuses a concurrent call while the first is in flight', async () => {
      // Prepare
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started: () => void = () => undefined;
      const running = new Promise<void>((resolve) => {
        started = resolve;
      });
      const analyze = idempotent(async () => {
        started();
        await gate;
        return 'done';
      });

      // Act
      const first = analyze(EVENT, CONTEXT);
      await running;
      const second = await analyze(EVENT, CONTEXT).catch((error: unknown) => error);
      const inFlight = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }));
      release();

      // Assess
      expect(inFlight.Items?.[0]?.['status']?.S).toBe('INPROGRESS');
      expect(inFlight.Items?.[0]?.['in_progress_expiration']?.N).toBeDefined();
      expect(second).toBeInstanceOf(IdempotencyAlreadyInProgressError);
      expect(second).toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
      await expect(first).resolves.toBe('done');
    });

    it('refuses an event without awslogs.data instead of running unprotected', async () => {
      // Prepare
      let runs = 0;
      const analyze = idempotent(async () => {
        runs += 1;
        return 'done';
      });

      // Act
      const error = await analyze({ Records: [] }, CONTEXT).catch((thrown: unknown) => thrown);

      // Assess
      expect(error).toBeInstanceOf(IdempotencyPersistenceLayerError);
      expect(error).toMatchObject({ cause: { name: 'IdempotencyKeyError' } });
      expect(runs).toBe(0);
    });
  });
});

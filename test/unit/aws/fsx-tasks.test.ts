import {
  type DataRepositoryTask,
  DataRepositoryTaskNotFound,
  DescribeDataRepositoryTasksCommand,
  type DescribeDataRepositoryTasksCommandInput,
  FileSystemNotFound,
  FSxClient,
  InternalServerError,
} from '@aws-sdk/client-fsx';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createFsxAdapter, FsxCallError } from '../../../lib/aws/fsx.ts';
import { AnalyzerError } from '../../../lib/common/errors.ts';
import { FS } from '../../helpers/fixtures.ts';
import { genericError, socketError } from '../../helpers/fsx-errors.ts';

const fsxMock = mockClient(FSxClient);
const client = new FSxClient({ region: 'eu-west-1' });
const OTHER_FS = 'fs-0fedcba9876543210';

/** A task id from a number: `task-` and 17 hex digits. */
function taskId(n: number): string {
  return `task-${n.toString(16).padStart(17, '0')}`;
}

function task(n: number, overrides: Partial<DataRepositoryTask> = {}): DataRepositoryTask {
  return {
    TaskId: taskId(n),
    Lifecycle: 'EXECUTING',
    Type: 'EXPORT_TO_REPOSITORY',
    CreationTime: new Date('2025-05-01T12:00:00.000Z'),
    FileSystemId: FS,
    ...overrides,
  };
}

function adapter() {
  return createFsxAdapter(client, { cacheSeconds: 300 });
}

/** TaskIds of the nth DescribeDataRepositoryTasks call (0-based). */
function taskIdsOf(call: number): string[] | undefined {
  const input = fsxMock.commandCalls(DescribeDataRepositoryTasksCommand)[call]?.args[0].input as
    | DescribeDataRepositoryTasksCommandInput
    | undefined;
  return input?.TaskIds;
}

/** Answers TaskIds queries from `known`, failing the call as FSx does when one is unknown. */
function answerFrom(known: readonly DataRepositoryTask[]) {
  return (input: DescribeDataRepositoryTasksCommandInput) => {
    const ids = input.TaskIds ?? [];
    const missing = ids.filter((id) => !known.some((candidate) => candidate.TaskId === id));
    if (missing.length > 0) {
      throw new DataRepositoryTaskNotFound({ $metadata: {}, message: `${missing[0]} not found` });
    }
    return {
      DataRepositoryTasks: known.filter((candidate) => ids.includes(candidate.TaskId ?? '')),
    };
  };
}

describe('Function: createFsxAdapter (task queries)', () => {
  beforeEach(() => {
    fsxMock.reset();
  });

  describe('activeTasks', () => {
    it('asks for PENDING and EXECUTING tasks of the file system and maps them', async () => {
      // Prepare
      fsxMock.on(DescribeDataRepositoryTasksCommand).resolves({
        DataRepositoryTasks: [
          task(1, {
            Lifecycle: 'EXECUTING',
            StartTime: new Date('2025-05-01T12:00:05.000Z'),
            Status: { TotalCount: 10, SucceededCount: 4, FailedCount: 1 },
            Report: { Enabled: true, Path: 's3://ml-archive/datasets/reports' },
          }),
          task(2, { Lifecycle: 'PENDING' }),
        ],
      });

      // Act
      const tasks = await adapter().activeTasks(FS);

      // Assess
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryTasksCommand, 1);
      expect(fsxMock).toHaveReceivedCommandWith(DescribeDataRepositoryTasksCommand, {
        Filters: [
          { Name: 'file-system-id', Values: [FS] },
          { Name: 'task-lifecycle', Values: ['PENDING', 'EXECUTING'] },
        ],
        MaxResults: 50,
      });
      expect(tasks).toEqual([
        {
          taskId: taskId(1),
          fileSystemId: FS,
          lifecycle: 'EXECUTING',
          totalCount: 10,
          succeededCount: 4,
          failedCount: 1,
          failureMessage: undefined,
          reportPath: 's3://ml-archive/datasets/reports',
          endTime: undefined,
        },
        {
          taskId: taskId(2),
          fileSystemId: FS,
          lifecycle: 'PENDING',
          totalCount: undefined,
          succeededCount: undefined,
          failedCount: undefined,
          failureMessage: undefined,
          reportPath: undefined,
          endTime: undefined,
        },
      ]);
    });

    it('follows NextToken through every page', async () => {
      // Prepare
      fsxMock
        .on(DescribeDataRepositoryTasksCommand)
        .resolvesOnce({ DataRepositoryTasks: [task(1)], NextToken: 'dDE=' })
        .resolvesOnce({ DataRepositoryTasks: [task(2, { Lifecycle: 'PENDING' })] });

      // Act
      const tasks = await adapter().activeTasks(FS);

      // Assess
      expect(tasks.map((status) => status.taskId)).toEqual([taskId(1), taskId(2)]);
      expect(fsxMock).toHaveReceivedNthCommandWith(DescribeDataRepositoryTasksCommand, 2, {
        NextToken: 'dDE=',
      });
    });

    it('stops a NextToken that never ends after 20 pages', async () => {
      // Prepare
      fsxMock
        .on(DescribeDataRepositoryTasksCommand)
        .resolves({ DataRepositoryTasks: [], NextToken: 'again' });

      // Act
      const listing = adapter().activeTasks(FS);

      // Assess
      await expect(listing).rejects.toThrow(/more than 20 pages/);
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryTasksCommand, 20);
    });

    it('keeps only active tasks of the file system, whatever the answer holds', async () => {
      // Prepare
      fsxMock.on(DescribeDataRepositoryTasksCommand).resolves({
        DataRepositoryTasks: [
          task(1),
          task(2, { Lifecycle: 'SUCCEEDED' }),
          task(3, { FileSystemId: OTHER_FS }),
          task(4, { TaskId: undefined, Lifecycle: 'PENDING' }),
        ],
      });

      // Act
      const tasks = await adapter().activeTasks(FS);

      // Assess
      expect(tasks.map((status) => status.taskId)).toEqual([taskId(1)]);
    });

    it('reads DataRepositoryTaskNotFound as no active task', async () => {
      // Prepare
      fsxMock
        .on(DescribeDataRepositoryTasksCommand)
        .rejects(new DataRepositoryTaskNotFound({ $metadata: {}, message: 'No tasks found' }));

      // Act
      const tasks = await adapter().activeTasks(FS);

      // Assess
      expect(tasks).toEqual([]);
    });

    it.each([
      [genericError('ThrottlingException', 'Rate exceeded'), 'Throttling'],
      [
        new FileSystemNotFound({ $metadata: {}, message: 'No such file system' }),
        'FileSystemNotFound',
      ],
      [
        new InternalServerError({ $metadata: {}, message: 'Internal error' }),
        'InternalServerError',
      ],
      [genericError('AccessDeniedException', 'not authorized'), 'AccessDenied'],
      [socketError('ECONNRESET', 'read ECONNRESET'), 'NetworkError'],
    ])('throws %s as an FsxCallError named %s', async (error, name) => {
      // Prepare
      fsxMock.on(DescribeDataRepositoryTasksCommand).rejects(error);

      // Act
      const listing = adapter().activeTasks(FS);

      // Assess
      await expect(listing).rejects.toBeInstanceOf(FsxCallError);
      await expect(listing).rejects.toBeInstanceOf(AnalyzerError);
      await expect(listing).rejects.toMatchObject({
        name: 'FsxCallError',
        errorName: name,
        message: `FSx DescribeDataRepositoryTasks for active tasks of ${FS} failed: ${name}: ${error.message}`,
        cause: error,
      });
    });
  });

  describe('describeTasks', () => {
    it('makes no call for no ids', async () => {
      // Prepare
      const fsx = adapter();

      // Act
      const tasks = await fsx.describeTasks([]);

      // Assess
      expect(tasks).toEqual([]);
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryTasksCommand, 0);
    });

    it('maps a finished task with its counts, failure and end time', async () => {
      // Prepare
      fsxMock.on(DescribeDataRepositoryTasksCommand).resolves({
        DataRepositoryTasks: [
          task(7, {
            Lifecycle: 'FAILED',
            EndTime: new Date('2025-05-01T12:10:00.500Z'),
            Status: { TotalCount: 3, SucceededCount: 2, FailedCount: 1 },
            FailureDetails: { Message: 'Some files could not be exported' },
            Report: { Enabled: true, Path: 's3://ml-archive/datasets/reports' },
          }),
        ],
      });

      // Act
      const tasks = await adapter().describeTasks([taskId(7)]);

      // Assess
      expect(fsxMock).toHaveReceivedCommandWith(DescribeDataRepositoryTasksCommand, {
        TaskIds: [taskId(7)],
        MaxResults: 50,
      });
      expect(tasks).toEqual([
        {
          taskId: taskId(7),
          fileSystemId: FS,
          lifecycle: 'FAILED',
          totalCount: 3,
          succeededCount: 2,
          failedCount: 1,
          failureMessage: 'Some files could not be exported',
          reportPath: 's3://ml-archive/datasets/reports',
          endTime: '2025-05-01T12:10:00.500Z',
        },
      ]);
    });

    it('asks in chunks of 50, once per id, and answers in the order asked', async () => {
      // Prepare
      const known = Array.from({ length: 120 }, (_, index) => task(index + 1));
      fsxMock.on(DescribeDataRepositoryTasksCommand).callsFake(answerFrom(known));
      const ids = known.map((candidate) => candidate.TaskId ?? '').reverse();

      // Act
      const tasks = await adapter().describeTasks([...ids, ids[0] ?? '', 'not-a-task-id']);

      // Assess
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryTasksCommand, 3);
      expect([0, 1, 2].map((call) => taskIdsOf(call)?.length)).toEqual([50, 50, 20]);
      expect(tasks.map((status) => status.taskId)).toEqual(ids);
    });

    it('follows NextToken within a chunk', async () => {
      // Prepare
      fsxMock
        .on(DescribeDataRepositoryTasksCommand)
        .resolvesOnce({ DataRepositoryTasks: [task(1)], NextToken: 'dDE=' })
        .resolvesOnce({ DataRepositoryTasks: [task(2)] });

      // Act
      const tasks = await adapter().describeTasks([taskId(1), taskId(2)]);

      // Assess
      expect(tasks.map((status) => status.taskId)).toEqual([taskId(1), taskId(2)]);
      expect(fsxMock).toHaveReceivedNthCommandWith(DescribeDataRepositoryTasksCommand, 2, {
        TaskIds: [taskId(1), taskId(2)],
        NextToken: 'dDE=',
      });
    });

    it('asks id by id when FSx does not know one of a chunk, and leaves the unknown out', async () => {
      // Prepare
      const known = [task(1), task(3)];
      fsxMock.on(DescribeDataRepositoryTasksCommand).callsFake(answerFrom(known));

      // Act
      const tasks = await adapter().describeTasks([taskId(1), taskId(2), taskId(3)]);

      // Assess
      expect(tasks.map((status) => status.taskId)).toEqual([taskId(1), taskId(3)]);
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryTasksCommand, 4);
      expect([1, 2, 3].map((call) => taskIdsOf(call))).toEqual([
        [taskId(1)],
        [taskId(2)],
        [taskId(3)],
      ]);
    });

    it('throws an FsxCallError when a chunk fails otherwise', async () => {
      // Prepare
      const error = genericError('ThrottlingException', 'Rate exceeded');
      fsxMock.on(DescribeDataRepositoryTasksCommand).rejects(error);

      // Act
      const lookup = adapter().describeTasks([taskId(1), taskId(2)]);

      // Assess
      await expect(lookup).rejects.toMatchObject({
        name: 'FsxCallError',
        errorName: 'Throttling',
        message: 'FSx DescribeDataRepositoryTasks for 2 task ids failed: Throttling: Rate exceeded',
        cause: error,
      });
    });

    it('throws an FsxCallError when an id-by-id call fails otherwise', async () => {
      // Prepare
      fsxMock
        .on(DescribeDataRepositoryTasksCommand)
        .rejectsOnce(new DataRepositoryTaskNotFound({ $metadata: {}, message: 'not found' }))
        .resolvesOnce({ DataRepositoryTasks: [task(1)] })
        .rejects(new InternalServerError({ $metadata: {}, message: 'Internal error' }));

      // Act
      const lookup = adapter().describeTasks([taskId(1), taskId(2)]);

      // Assess
      await expect(lookup).rejects.toMatchObject({
        name: 'FsxCallError',
        errorName: 'InternalServerError',
        message: `FSx DescribeDataRepositoryTasks for ${taskId(2)} failed: InternalServerError: Internal error`,
      });
    });
  });
});

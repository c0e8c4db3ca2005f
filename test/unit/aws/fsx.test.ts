import {
  BadRequest,
  CreateDataRepositoryTaskCommand,
  DataRepositoryAssociationNotFound,
  DataRepositoryTaskExecuting,
  DescribeDataRepositoryAssociationsCommand,
  FileSystemNotFound,
  FSxClient,
} from '@aws-sdk/client-fsx';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createFsxAdapter } from '../../../lib/aws/fsx.ts';
import type { ExportRequest } from '../../../lib/common/ports.ts';
import { FS } from '../../helpers/fixtures.ts';
import { fsxExceptions, genericError, socketError } from '../../helpers/fsx-errors.ts';

const fsxMock = mockClient(FSxClient);
const client = new FSxClient({ region: 'eu-west-1' });

const REQUEST: ExportRequest = {
  fileSystemId: FS,
  paths: ['ns1/a.bin', 'ns1/b.bin'],
  clientRequestToken: 'fea-token',
  reportPath: 's3://bucket/prefix/fsx-export-analyzer-reports',
};

function dra(id: string, fileSystemPath: string, dataRepositoryPath: string) {
  return {
    AssociationId: id,
    FileSystemId: FS,
    Lifecycle: 'AVAILABLE' as const,
    FileSystemPath: fileSystemPath,
    DataRepositoryPath: dataRepositoryPath,
  };
}

describe('Function: createFsxAdapter', () => {
  beforeEach(() => {
    fsxMock.reset();
  });

  describe('listAssociations', () => {
    it('filters by file system and maps the associations', async () => {
      // Prepare
      fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({
        Associations: [dra('dra-0000000000000001', '/ns1', 's3://bucket/prefix/')],
      });
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const associations = await fsx.listAssociations(FS);

      // Assess
      expect(associations).toEqual([
        {
          associationId: 'dra-0000000000000001',
          fileSystemId: FS,
          lifecycle: 'AVAILABLE',
          fileSystemPath: '/ns1',
          dataRepositoryPath: 's3://bucket/prefix/',
        },
      ]);
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryAssociationsCommand, 1);
      expect(fsxMock).toHaveReceivedCommandWith(DescribeDataRepositoryAssociationsCommand, {
        Filters: [{ Name: 'file-system-id', Values: [FS] }],
        MaxResults: 25,
      });
    });

    it('follows NextToken through every page', async () => {
      // Prepare
      fsxMock
        .on(DescribeDataRepositoryAssociationsCommand)
        .resolvesOnce({
          Associations: [dra('dra-0000000000000001', '/a', 's3://b/a/')],
          NextToken: 't1',
        })
        .resolvesOnce({
          Associations: [dra('dra-0000000000000002', '/b', 's3://b/b/')],
          NextToken: 't2',
        })
        .resolvesOnce({ Associations: [dra('dra-0000000000000003', '/c', 's3://b/c/')] });
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const associations = await fsx.listAssociations(FS);

      // Assess
      expect(associations.map((association) => association.associationId)).toEqual([
        'dra-0000000000000001',
        'dra-0000000000000002',
        'dra-0000000000000003',
      ]);
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryAssociationsCommand, 3);
      expect(fsxMock).toHaveReceivedNthCommandWith(DescribeDataRepositoryAssociationsCommand, 2, {
        NextToken: 't1',
      });
      expect(fsxMock).toHaveReceivedNthCommandWith(DescribeDataRepositoryAssociationsCommand, 3, {
        NextToken: 't2',
      });
    });

    it('stops a NextToken that never ends after 20 pages', async () => {
      // Prepare
      fsxMock
        .on(DescribeDataRepositoryAssociationsCommand)
        .resolves({ Associations: [], NextToken: 'again' });
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const listing = fsx.listAssociations(FS);

      // Assess
      await expect(listing).rejects.toThrow(/more than 20 pages/);
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryAssociationsCommand, 20);
    });

    it('skips associations without an S3 path (NFS, File Cache)', async () => {
      // Prepare
      fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({
        Associations: [
          {
            AssociationId: 'dra-0000000000000009',
            FileSystemId: FS,
            FileCachePath: '/nfs',
            DataRepositoryPath: 'nfs://server/export',
          },
          { AssociationId: 'dra-000000000000000a', FileSystemId: FS, FileSystemPath: '/half' },
          dra('dra-0000000000000001', '/', 's3://bucket/'),
        ],
      });
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const associations = await fsx.listAssociations(FS);

      // Assess
      expect(associations.map((association) => association.associationId)).toEqual([
        'dra-0000000000000001',
      ]);
    });

    it('reads DataRepositoryAssociationNotFound as no associations', async () => {
      // Prepare
      fsxMock.on(DescribeDataRepositoryAssociationsCommand).rejects(
        new DataRepositoryAssociationNotFound({
          $metadata: {},
          message: 'No associations found',
        }),
      );
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const associations = await fsx.listAssociations(FS);

      // Assess
      expect(associations).toEqual([]);
    });

    it('propagates other errors and does not cache them', async () => {
      // Prepare
      fsxMock
        .on(DescribeDataRepositoryAssociationsCommand)
        .rejectsOnce(
          new FileSystemNotFound({
            $metadata: {},
            message: 'File system fs-0123456789abcdef0 not found',
          }),
        )
        .resolves({ Associations: [dra('dra-0000000000000001', '/ns1', 's3://bucket/')] });
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const first = fsx.listAssociations(FS);
      await expect(first).rejects.toThrow(FileSystemNotFound);
      const second = await fsx.listAssociations(FS);

      // Assess
      expect(second).toHaveLength(1);
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryAssociationsCommand, 2);
    });

    it('caches per file system until cacheSeconds have passed', async () => {
      // Prepare
      let clock = 1_000_000;
      fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({
        Associations: [dra('dra-0000000000000001', '/ns1', 's3://bucket/')],
      });
      const fsx = createFsxAdapter(client, { cacheSeconds: 60, now: () => clock });

      // Act
      await fsx.listAssociations(FS);
      clock += 59_000;
      await fsx.listAssociations(FS);
      await fsx.listAssociations('fs-0fedcba9876543210');
      clock += 2_000;
      await fsx.listAssociations(FS);

      // Assess
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryAssociationsCommand, 3);
      expect(fsxMock).toHaveReceivedNthCommandWith(DescribeDataRepositoryAssociationsCommand, 2, {
        Filters: [{ Name: 'file-system-id', Values: ['fs-0fedcba9876543210'] }],
      });
    });

    it('does not cache when cacheSeconds is 0', async () => {
      // Prepare
      fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({ Associations: [] });
      const fsx = createFsxAdapter(client, { cacheSeconds: 0 });

      // Act
      await fsx.listAssociations(FS);
      await fsx.listAssociations(FS);

      // Assess
      expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryAssociationsCommand, 2);
    });
  });

  describe('startExport', () => {
    it('sends an EXPORT_TO_REPOSITORY task with a failed-files report', async () => {
      // Prepare
      fsxMock.on(CreateDataRepositoryTaskCommand).resolves({
        DataRepositoryTask: {
          TaskId: 'task-0123456789abcdef0',
          Lifecycle: 'PENDING',
          Type: 'EXPORT_TO_REPOSITORY',
          CreationTime: new Date(),
        },
      });
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const result = await fsx.startExport(REQUEST);

      // Assess
      expect(result).toEqual({ ok: true, taskId: 'task-0123456789abcdef0', lifecycle: 'PENDING' });
      expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 1);
      expect(fsxMock).toHaveReceivedCommandWith(CreateDataRepositoryTaskCommand, {
        Type: 'EXPORT_TO_REPOSITORY',
        FileSystemId: FS,
        Paths: ['ns1/a.bin', 'ns1/b.bin'],
        ClientRequestToken: 'fea-token',
        Report: {
          Enabled: true,
          Path: 's3://bucket/prefix/fsx-export-analyzer-reports',
          Format: 'REPORT_CSV_20191124',
          Scope: 'FAILED_FILES_ONLY',
        },
      });
    });

    it('reports a response without a task id as UnexpectedResponse', async () => {
      // Prepare
      fsxMock.on(CreateDataRepositoryTaskCommand).resolves({});
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const result = await fsx.startExport(REQUEST);

      // Assess
      expect(result).toMatchObject({ ok: false, error: 'UnexpectedResponse' });
    });

    it.each([
      ...fsxExceptions(),
      [genericError('ThrottlingException', 'Rate exceeded'), 'Throttling'],
      [genericError('TooManyRequestsException', 'Slow down'), 'Throttling'],
      [genericError('RequestLimitExceeded', 'Request limit exceeded'), 'Throttling'],
      [genericError('AccessDeniedException', 'User is not authorized'), 'AccessDenied'],
      [genericError('UnauthorizedOperation', 'Not authorized'), 'AccessDenied'],
      [
        Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' }),
        'NetworkError',
      ],
      [socketError('ECONNRESET', 'read ECONNRESET'), 'NetworkError'],
      [socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:443'), 'NetworkError'],
      [socketError('ETIMEDOUT', 'connect ETIMEDOUT'), 'NetworkError'],
      [socketError('EPIPE', 'write EPIPE'), 'NetworkError'],
      [new Error('socket hang up'), 'NetworkError'],
      [genericError('ValidationException', 'Paths too long'), 'ValidationException'],
      [new Error('something odd'), 'UnexpectedError'],
    ])('maps %s to %s without throwing', async (error, name) => {
      // Prepare
      fsxMock.on(CreateDataRepositoryTaskCommand).rejects(error);
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const result = await fsx.startExport(REQUEST);

      // Assess
      expect(result).toEqual({ ok: false, error: name, message: error.message });
    });

    it('keeps only the first line of the message, at most 300 characters', async () => {
      // Prepare
      const long = `${'x'.repeat(400)}\nsecond line`;
      fsxMock
        .on(CreateDataRepositoryTaskCommand)
        .rejects(new BadRequest({ $metadata: {}, message: long }));
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const result = await fsx.startExport(REQUEST);

      // Assess
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.message).toHaveLength(300);
      expect(result.message).not.toContain('second line');
    });

    it('falls back to the Message member when message is empty', async () => {
      // Prepare
      fsxMock.on(CreateDataRepositoryTaskCommand).rejects(
        new DataRepositoryTaskExecuting({
          $metadata: {},
          message: '',
          Message: 'Busy with task-1',
        }),
      );
      const fsx = createFsxAdapter(client, { cacheSeconds: 300 });

      // Act
      const result = await fsx.startExport(REQUEST);

      // Assess
      expect(result).toEqual({
        ok: false,
        error: 'DataRepositoryTaskExecuting',
        message: 'Busy with task-1',
      });
    });
  });
});

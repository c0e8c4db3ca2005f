import {
  CloudWatchLogsClient,
  CloudWatchLogsServiceException,
  DescribeSubscriptionFiltersCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  DataRepositoryAssociationNotFound,
  DescribeDataRepositoryAssociationsCommand,
  DescribeFileSystemsCommand,
  type FileSystem,
  FileSystemNotFound,
  FSxClient,
} from '@aws-sdk/client-fsx';
import { ListSubscriptionsByTopicCommand, NotFoundException, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { InventoryError, readInventory } from '../../../lib/aws/inventory.ts';
import { FS } from '../../helpers/fixtures.ts';
import { genericError, socketError } from '../../helpers/fsx-errors.ts';

const fsxMock = mockClient(FSxClient);
const logsMock = mockClient(CloudWatchLogsClient);
const snsMock = mockClient(SNSClient);
const clients = {
  fsx: new FSxClient({ region: 'eu-west-1' }),
  logs: new CloudWatchLogsClient({ region: 'eu-west-1' }),
};
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-analyzer-prod-summary';

const FS2 = 'fs-0fedcba9876543210';
const ANALYZER = 'arn:aws:lambda:eu-west-1:123456789012:function:fsx-export-analyzer-prod-analyzer';

function lustre(id: string, logGroup?: string): FileSystem {
  return {
    FileSystemId: id,
    FileSystemType: 'LUSTRE',
    Lifecycle: 'AVAILABLE',
    OwnerId: '123456789012',
    ResourceARN: `arn:aws:fsx:eu-west-1:123456789012:file-system/${id}`,
    Tags: [{ Key: 'Name', Value: 'training' }],
    LustreConfiguration: {
      ...(logGroup === undefined
        ? {}
        : {
            LogConfiguration: {
              Level: 'WARN_ERROR',
              Destination: `arn:aws:logs:eu-west-1:123456789012:log-group:${logGroup}`,
            },
          }),
    },
  };
}

function dra(id: string, fileSystemId = FS) {
  return {
    AssociationId: id,
    FileSystemId: fileSystemId,
    Lifecycle: 'AVAILABLE' as const,
    FileSystemPath: '/ns1',
    DataRepositoryPath: 's3://bucket/prefix/',
    ImportedFileChunkSize: 1024,
    S3: { AutoExportPolicy: { Events: ['NEW' as const, 'CHANGED' as const] } },
  };
}

describe('Function: readInventory', () => {
  beforeEach(() => {
    fsxMock.reset();
    logsMock.reset();
  });

  it('pages through file systems, keeps Lustre only, and reads each one', async () => {
    // Prepare
    fsxMock
      .on(DescribeFileSystemsCommand)
      .resolvesOnce({
        FileSystems: [
          lustre(FS, '/aws/fsx/lustre'),
          { FileSystemId: 'fs-0aaaaaaaaaaaaaaaa', FileSystemType: 'WINDOWS' },
        ],
        NextToken: 'page2',
      })
      .resolvesOnce({ FileSystems: [lustre(FS2, '/aws/fsx/lustre')] });
    fsxMock
      .on(DescribeDataRepositoryAssociationsCommand)
      .resolves({ Associations: [dra('dra-0000000000000001')] });
    logsMock.on(DescribeSubscriptionFiltersCommand).resolves({
      subscriptionFilters: [{ filterName: 'f', destinationArn: ANALYZER, filterPattern: '' }],
    });

    // Act
    const inventory = await readInventory(clients, { region: 'eu-west-1' });

    // Assess
    expect(inventory.fileSystems.map((item) => item.fileSystem.fileSystemId)).toEqual([FS, FS2]);
    expect(inventory.fileSystems[0]?.fileSystem).toMatchObject({
      name: 'training',
      logging: { level: 'WARN_ERROR' },
    });
    expect(fsxMock).toHaveReceivedNthCommandWith(DescribeFileSystemsCommand, 2, {
      NextToken: 'page2',
    });
    expect(fsxMock).toHaveReceivedCommandTimes(DescribeDataRepositoryAssociationsCommand, 2);
    // One log group shared by both file systems: looked up once.
    expect(logsMock).toHaveReceivedCommandTimes(DescribeSubscriptionFiltersCommand, 1);
    expect(inventory.logGroups.get('/aws/fsx/lustre')).toEqual({
      ok: true,
      value: {
        exists: true,
        filters: [{ filterName: 'f', destinationArn: ANALYZER, filterPattern: '' }],
      },
    });
  });

  it('asks for one file system by id', async () => {
    // Prepare
    fsxMock.on(DescribeFileSystemsCommand).resolves({ FileSystems: [lustre(FS)] });
    fsxMock
      .on(DescribeDataRepositoryAssociationsCommand)
      .rejects(new DataRepositoryAssociationNotFound({ $metadata: {}, message: 'none' }));

    // Act
    const inventory = await readInventory(clients, { fileSystemId: FS });

    // Assess
    expect(fsxMock).toHaveReceivedCommandWith(DescribeFileSystemsCommand, { FileSystemIds: [FS] });
    expect(inventory.fileSystems[0]?.associations).toEqual({ ok: true, value: [] });
    // Logging is off: no log group to look at.
    expect(logsMock).not.toHaveReceivedCommand(DescribeSubscriptionFiltersCommand);
  });

  it('pages through associations with at most 25 a page, filtered by file system', async () => {
    // Prepare
    fsxMock.on(DescribeFileSystemsCommand).resolves({ FileSystems: [lustre(FS)] });
    fsxMock
      .on(DescribeDataRepositoryAssociationsCommand)
      .resolvesOnce({ Associations: [dra('dra-0000000000000001')], NextToken: 't1' })
      .resolvesOnce({
        Associations: [
          {
            ...dra('dra-0000000000000002'),
            Lifecycle: 'MISCONFIGURED',
            FailureDetails: { Message: 'denied' },
          },
        ],
      });

    // Act
    const inventory = await readInventory(clients);

    // Assess
    expect(fsxMock).toHaveReceivedNthCommandWith(DescribeDataRepositoryAssociationsCommand, 1, {
      Filters: [{ Name: 'file-system-id', Values: [FS] }],
      MaxResults: 25,
    });
    expect(fsxMock).toHaveReceivedNthCommandWith(DescribeDataRepositoryAssociationsCommand, 2, {
      NextToken: 't1',
    });
    expect(inventory.fileSystems[0]?.associations).toEqual({
      ok: true,
      value: [
        {
          associationId: 'dra-0000000000000001',
          lifecycle: 'AVAILABLE',
          fileSystemPath: '/ns1',
          dataRepositoryPath: 's3://bucket/prefix/',
          failureMessage: undefined,
          exportEvents: ['NEW', 'CHANGED'],
          importEvents: [],
          importedFileChunkSize: 1024,
        },
        expect.objectContaining({ lifecycle: 'MISCONFIGURED', failureMessage: 'denied' }),
      ],
    });
  });

  it('turns AccessDenied on one file system\'s associations into a "could not check"', async () => {
    // Prepare
    fsxMock.on(DescribeFileSystemsCommand).resolves({ FileSystems: [lustre(FS), lustre(FS2)] });
    fsxMock
      .on(DescribeDataRepositoryAssociationsCommand, {
        Filters: [{ Name: 'file-system-id', Values: [FS] }],
      })
      .rejects(genericError('AccessDeniedException', 'User is not authorized'))
      .on(DescribeDataRepositoryAssociationsCommand, {
        Filters: [{ Name: 'file-system-id', Values: [FS2] }],
      })
      .resolves({ Associations: [dra('dra-0000000000000002', FS2)] });

    // Act
    const inventory = await readInventory(clients);

    // Assess
    expect(inventory.fileSystems[0]?.associations).toEqual({
      ok: false,
      reason: 'AccessDeniedException: User is not authorized',
      permission: 'fsx:DescribeDataRepositoryAssociations',
      denied: true,
    });
    expect(inventory.fileSystems[1]?.associations).toMatchObject({ ok: true });
  });

  it('marks a throttled lookup as not denied, so the fix is another try', async () => {
    // Prepare
    fsxMock.on(DescribeFileSystemsCommand).resolves({ FileSystems: [lustre(FS)] });
    fsxMock
      .on(DescribeDataRepositoryAssociationsCommand)
      .rejects(genericError('ThrottlingException', 'Rate exceeded'));

    // Act
    const inventory = await readInventory(clients);

    // Assess
    expect(inventory.fileSystems[0]?.associations).toEqual({
      ok: false,
      reason: 'ThrottlingException: Rate exceeded',
      permission: 'fsx:DescribeDataRepositoryAssociations',
      denied: false,
    });
  });

  it('turns AccessDenied on one log group into a "could not check", and a missing one into exists: false', async () => {
    // Prepare
    fsxMock.on(DescribeFileSystemsCommand).resolves({
      FileSystems: [lustre(FS, '/aws/fsx/denied'), lustre(FS2, '/aws/fsx/gone')],
    });
    fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({ Associations: [] });
    logsMock
      .on(DescribeSubscriptionFiltersCommand, { logGroupName: '/aws/fsx/denied' })
      .rejects(
        new CloudWatchLogsServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: {},
          message: 'not authorized to perform logs:DescribeSubscriptionFilters',
        }),
      )
      .on(DescribeSubscriptionFiltersCommand, { logGroupName: '/aws/fsx/gone' })
      .rejects(
        new ResourceNotFoundException({
          $metadata: {},
          message: 'The specified log group does not exist.',
        }),
      );

    // Act
    const inventory = await readInventory(clients);

    // Assess
    expect(inventory.logGroups.get('/aws/fsx/denied')).toEqual({
      ok: false,
      reason: 'AccessDeniedException: not authorized to perform logs:DescribeSubscriptionFilters',
      permission: 'logs:DescribeSubscriptionFilters',
      denied: true,
    });
    expect(inventory.logGroups.get('/aws/fsx/gone')).toEqual({
      ok: true,
      value: { exists: false },
    });
  });

  it('pages through subscription filters', async () => {
    // Prepare
    fsxMock
      .on(DescribeFileSystemsCommand)
      .resolves({ FileSystems: [lustre(FS, '/aws/fsx/lustre')] });
    fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({ Associations: [] });
    logsMock
      .on(DescribeSubscriptionFiltersCommand)
      .resolvesOnce({
        subscriptionFilters: [{ filterName: 'a', destinationArn: 'arn:x' }],
        nextToken: 'n1',
      })
      .resolvesOnce({ subscriptionFilters: [{ filterName: 'b', destinationArn: ANALYZER }] });

    // Act
    const inventory = await readInventory(clients);

    // Assess
    expect(logsMock).toHaveReceivedNthCommandWith(DescribeSubscriptionFiltersCommand, 2, {
      logGroupName: '/aws/fsx/lustre',
      nextToken: 'n1',
    });
    const lookup = inventory.logGroups.get('/aws/fsx/lustre');
    expect(
      lookup?.ok === true && lookup.value.exists
        ? lookup.value.filters.map((f) => f.filterName)
        : [],
    ).toEqual(['a', 'b']);
  });

  it('stops at 100 pages when a token never ends, for file systems and for filters', async () => {
    // Prepare
    fsxMock
      .on(DescribeFileSystemsCommand)
      .resolves({ FileSystems: [lustre(FS, '/aws/fsx/lustre')], NextToken: 'again' })
      .on(DescribeFileSystemsCommand, { FileSystemIds: [FS] })
      .resolves({ FileSystems: [lustre(FS, '/aws/fsx/lustre')] });
    fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({ Associations: [] });
    logsMock
      .on(DescribeSubscriptionFiltersCommand)
      .resolves({ subscriptionFilters: [], nextToken: 'again' });

    // Act
    const listing = await readInventory(clients).catch((error: unknown) => error);
    const single = await readInventory(clients, { fileSystemId: FS });

    // Assess
    expect(listing).toBeInstanceOf(InventoryError);
    expect((listing as Error).message).toBe('DescribeFileSystems returned more than 100 pages');
    expect(single.logGroups.get('/aws/fsx/lustre')).toEqual({
      ok: false,
      reason: 'more than 100 pages of subscription filters',
      permission: 'logs:DescribeSubscriptionFilters',
    });
  });

  it.each([
    [
      'AccessDenied',
      genericError(
        'AccessDeniedException',
        'User is not authorized to perform fsx:DescribeFileSystems',
      ),
      'cannot list FSx file systems in eu-west-1: AccessDeniedException: User is not authorized to perform fsx:DescribeFileSystems (needs fsx:DescribeFileSystems)',
    ],
    [
      'no credentials',
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
      // The same line as scan and reexport, without the SDK's class name or wording.
      'no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run where a role provides them',
    ],
    [
      'refused credentials',
      genericError('UnrecognizedClientException', 'The security token is invalid.'),
      'cannot list FSx file systems in eu-west-1: UnrecognizedClientException: The security token is invalid. (the AWS credentials were refused: refresh them)',
    ],
    [
      'a refused connection',
      socketError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9'),
      'cannot list FSx file systems in eu-west-1: connect ECONNREFUSED 127.0.0.1:9 (check the network, AWS_ENDPOINT_URL and --region)',
    ],
  ])(
    'fails the run in one line when file systems cannot be listed (%s)',
    async (_name, error, message) => {
      // Prepare
      fsxMock.on(DescribeFileSystemsCommand).rejects(error);

      // Act
      const run = readInventory(clients, { region: 'eu-west-1' });

      // Assess
      await expect(run).rejects.toThrow(InventoryError);
      await expect(run).rejects.toMatchObject({ message });
    },
  );

  it('names an unknown --file-system-id', async () => {
    // Prepare
    fsxMock
      .on(DescribeFileSystemsCommand)
      .rejects(new FileSystemNotFound({ $metadata: {}, message: 'nope' }));

    // Act
    const run = readInventory(clients, { fileSystemId: FS, region: 'eu-west-1' });

    // Assess
    await expect(run).rejects.toThrow(`file system ${FS} not found in eu-west-1`);
  });

  it('refuses a named file system that is not Lustre', async () => {
    // Prepare
    fsxMock
      .on(DescribeFileSystemsCommand)
      .resolves({ FileSystems: [{ FileSystemId: FS, FileSystemType: 'ONTAP' }] });

    // Act
    const run = readInventory(clients, { fileSystemId: FS });

    // Assess
    await expect(run).rejects.toThrow(
      `${FS} is an FSx for ONTAP file system; doctor checks FSx for Lustre file systems only`,
    );
  });

  it('sanitises a hostile error message', async () => {
    // Prepare
    fsxMock
      .on(DescribeFileSystemsCommand)
      .rejects(genericError('AccessDeniedException', 'no\u001b[2J\r\nmore'));

    // Act
    const run = readInventory(clients);

    // Assess
    await expect(run).rejects.toThrow(
      'AccessDeniedException: no\\x1b[2J (needs fsx:DescribeFileSystems)',
    );
  });
});

describe('Function: readInventory, the summary topic', () => {
  const withSns = { ...clients, sns: new SNSClient({ region: 'eu-west-1' }) };

  beforeEach(() => {
    fsxMock.reset();
    logsMock.reset();
    snsMock.reset();
    fsxMock.on(DescribeFileSystemsCommand).resolves({ FileSystems: [] });
  });

  it('reads no topic when none is given', async () => {
    // Act
    const inventory = await readInventory(withSns);

    // Assess
    expect(inventory.topic).toBeUndefined();
    expect(snsMock.calls()).toHaveLength(0);
  });

  it('pages through the subscriptions; a pending one is not confirmed', async () => {
    // Prepare
    const owner = { Owner: '123456789012', TopicArn: TOPIC };
    snsMock
      .on(ListSubscriptionsByTopicCommand)
      .resolvesOnce({
        Subscriptions: [{ ...owner, Protocol: 'email', SubscriptionArn: 'PendingConfirmation' }],
        NextToken: 'n1',
      })
      .resolvesOnce({
        Subscriptions: [{ ...owner, Protocol: 'sqs', SubscriptionArn: `${TOPIC}:0a1b2c3d` }],
      });

    // Act
    const inventory = await readInventory(withSns, { topicArn: TOPIC });

    // Assess
    expect(snsMock).toHaveReceivedNthCommandWith(ListSubscriptionsByTopicCommand, 2, {
      TopicArn: TOPIC,
      NextToken: 'n1',
    });
    expect(inventory.topic).toEqual({
      topicArn: TOPIC,
      lookup: {
        ok: true,
        value: {
          exists: true,
          subscriptions: [
            { protocol: 'email', confirmed: false },
            { protocol: 'sqs', confirmed: true },
          ],
        },
      },
    });
  });

  it.each([
    [
      'a topic that does not exist',
      new NotFoundException({ $metadata: {}, message: 'Topic does not exist' }),
      { ok: true, value: { exists: false } },
    ],
    [
      'a refusal',
      genericError('AuthorizationErrorException', 'not authorized'),
      {
        ok: false,
        reason: 'AuthorizationErrorException: not authorized',
        permission: 'sns:ListSubscriptionsByTopic',
        denied: true,
      },
    ],
    [
      'throttling',
      genericError('Throttling', 'Rate exceeded'),
      {
        ok: false,
        reason: 'Throttling: Rate exceeded',
        permission: 'sns:ListSubscriptionsByTopic',
        denied: false,
      },
    ],
  ])('turns %s into the topic lookup, not a failed run', async (_name, error, lookup) => {
    // Prepare
    snsMock.on(ListSubscriptionsByTopicCommand).rejects(error);

    // Act
    const inventory = await readInventory(withSns, { topicArn: TOPIC });

    // Assess
    expect(inventory.topic).toEqual({ topicArn: TOPIC, lookup });
  });

  it('cannot check a topic without an SNS client, and says so', async () => {
    // Act
    const inventory = await readInventory(clients, { topicArn: TOPIC });

    // Assess
    expect(inventory.topic?.lookup).toEqual({
      ok: false,
      reason: 'no SNS client',
      permission: 'sns:ListSubscriptionsByTopic',
    });
  });
});

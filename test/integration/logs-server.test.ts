import {
  CloudWatchLogsClient,
  DescribeSubscriptionFiltersCommand,
  FilterLogEventsCommand,
  InvalidParameterException,
  paginateFilterLogEvents,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, FS } from '../helpers/fixtures.ts';
import { type LogsServer, type LogsServerEvent, startLogsServer } from '../servers/logs-server.ts';

/*
 * The CloudWatch Logs test server itself, through the real SDK client: wire shapes, paging,
 * the time window, stream selection and the modelled errors.
 */

const GROUP = '/aws/fsx/lustre';
const OTHER_FS = 'fs-0fedcba9876543210';
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

function client(server: LogsServer): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 2,
  });
}

function event(stream: string, minute: number, message = `event ${minute}`): LogsServerEvent {
  return { logStreamName: stream, timestamp: T0 + minute * 60_000, message };
}

describe('Integration: logs-server', () => {
  let server: LogsServer | undefined;

  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('pages FilterLogEvents in timestamp order across streams until nextToken is gone', async () => {
    // Prepare
    const events = [
      event(`datarepo_${FS}`, 2),
      event(`datarepo_${OTHER_FS}`, 1),
      event(`datarepo_${FS}`, 0),
      event(`datarepo_${OTHER_FS}`, 3),
      event(`datarepo_${FS}`, 4),
    ];
    server = await startLogsServer({ groups: { [GROUP]: { events } }, pageSize: 2 });
    const pages: number[][] = [];

    // Act
    for await (const page of paginateFilterLogEvents(
      { client: client(server) },
      { logGroupName: GROUP },
    )) {
      pages.push((page.events ?? []).map((item) => ((item.timestamp ?? 0) - T0) / 60_000));
    }

    // Assess
    expect(pages).toEqual([[0, 1], [2, 3], [4]]);
    expect(server.calls.map((call) => call.headers['x-amz-target'])).toEqual([
      'Logs_20140328.FilterLogEvents',
      'Logs_20140328.FilterLogEvents',
      'Logs_20140328.FilterLogEvents',
    ]);
  });

  it('answers the documented event fields and omits searchedLogStreams', async () => {
    // Prepare
    server = await startLogsServer({ groups: { [GROUP]: { events: [event('s', 0, 'hello')] } } });

    // Act
    const output = await client(server).send(new FilterLogEventsCommand({ logGroupName: GROUP }));

    // Assess
    expect(output.events).toEqual([
      {
        logStreamName: 's',
        timestamp: T0,
        message: 'hello',
        ingestionTime: T0 + 1000,
        eventId: expect.stringMatching(/^\d{56}$/),
      },
    ]);
    expect(output.searchedLogStreams).toBeUndefined();
    expect(output.nextToken).toBeUndefined();
  });

  it('keeps startTime and endTime inclusive, as the API reference words them', async () => {
    // Prepare
    const events = [0, 1, 2, 3].map((minute) => event('s', minute));
    server = await startLogsServer({ groups: { [GROUP]: { events } } });

    // Act
    const output = await client(server).send(
      new FilterLogEventsCommand({
        logGroupName: GROUP,
        startTime: T0 + 60_000,
        endTime: T0 + 2 * 60_000,
      }),
    );

    // Assess
    expect(output.events?.map((item) => item.message)).toEqual(['event 1', 'event 2']);
  });

  it('selects streams by prefix or by name, and takes a log group ARN (without :*) as identifier', async () => {
    // Prepare
    const events = [event(`datarepo_${FS}`, 0), event(`datarepo_${OTHER_FS}`, 1), event('x', 2)];
    server = await startLogsServer({ groups: { [GROUP]: { events } } });
    const logs = client(server);

    // Act
    const byPrefix = await logs.send(
      new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNamePrefix: `datarepo_${FS}` }),
    );
    const byName = await logs.send(
      new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNames: ['x'] }),
    );
    const byArn = await logs.send(
      new FilterLogEventsCommand({
        logGroupIdentifier: `arn:aws:logs:us-east-1:123456789012:log-group:${GROUP}`,
      }),
    );
    const starred = logs.send(
      new FilterLogEventsCommand({
        logGroupIdentifier: `arn:aws:logs:us-east-1:123456789012:log-group:${GROUP}:*`,
      }),
    );

    // Assess
    expect(byPrefix.events?.map((item) => item.logStreamName)).toEqual([`datarepo_${FS}`]);
    expect(byName.events?.map((item) => item.logStreamName)).toEqual(['x']);
    expect(byArn.events).toHaveLength(3);
    await expect(starred).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('refuses an unknown group, a bad token and both stream selectors with modelled errors', async () => {
    // Prepare
    server = await startLogsServer({ groups: { [GROUP]: { events: [event('s', 0)] } } });
    const logs = client(server);

    // Act
    const unknown = logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/fsx/nope' }));
    const badToken = logs.send(
      new FilterLogEventsCommand({ logGroupName: GROUP, nextToken: 'not-a-token' }),
    );
    const both = logs.send(
      new FilterLogEventsCommand({
        logGroupName: GROUP,
        logStreamNamePrefix: 'a',
        logStreamNames: ['b'],
      }),
    );

    // Assess
    await expect(unknown).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(badToken).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(both).rejects.toThrow(/cannot both be specified/);
  });

  it('describes subscription filters with a prefix and paging', async () => {
    // Prepare
    const destinationArn = 'arn:aws:lambda:us-east-1:123456789012:function:analyzer';
    server = await startLogsServer({
      groups: {
        [GROUP]: {
          subscriptionFilters: [
            { filterName: 'fsx-export-analyzer', destinationArn },
            { filterName: 'other', destinationArn, filterPattern: 'ERROR' },
          ],
        },
      },
    });
    const logs = client(server);

    // Act
    const first = await logs.send(
      new DescribeSubscriptionFiltersCommand({ logGroupName: GROUP, limit: 1 }),
    );
    const second = await logs.send(
      new DescribeSubscriptionFiltersCommand({
        logGroupName: GROUP,
        limit: 1,
        nextToken: first.nextToken,
      }),
    );
    const prefixed = await logs.send(
      new DescribeSubscriptionFiltersCommand({ logGroupName: GROUP, filterNamePrefix: 'oth' }),
    );
    const unknown = logs.send(
      new DescribeSubscriptionFiltersCommand({ logGroupName: '/aws/fsx/nope' }),
    );

    // Assess
    expect(first.subscriptionFilters).toEqual([
      {
        filterName: 'fsx-export-analyzer',
        logGroupName: GROUP,
        filterPattern: '',
        destinationArn,
        distribution: 'ByLogStream',
        creationTime: expect.any(Number),
      },
    ]);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(second.subscriptionFilters?.map((filter) => filter.filterName)).toEqual(['other']);
    expect(second.nextToken).toBeUndefined();
    expect(prefixed.subscriptionFilters?.map((filter) => filter.filterPattern)).toEqual(['ERROR']);
    await expect(unknown).rejects.toBeInstanceOf(ResourceNotFoundException);
  });
});

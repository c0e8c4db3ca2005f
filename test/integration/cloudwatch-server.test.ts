import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBacklogReader } from '../../lib/aws/metrics.ts';
import { diagnose } from '../../lib/doctor/diagnose.ts';
import { inventory, only } from '../helpers/doctor.ts';
import { CREDENTIALS, FS } from '../helpers/fixtures.ts';
import { type CloudWatchServer, startCloudWatchServer } from '../servers/cloudwatch-server.ts';

/*
 * The backlog reader with the real CloudWatch client over HTTP, against the local server speaking
 * CloudWatch's JSON 1.0 protocol for GetMetricData: paging, a Forbidden query, and the faults a
 * doctor run turns into "backlog unknown" (denied: grant; throttled: run again).
 */

const OTHER = 'fs-0fedcba9876543210';

describe('CloudWatch server: GetMetricData through the SDK', () => {
  let server: CloudWatchServer;
  let client: CloudWatchClient;

  async function start(pageSize?: number): Promise<void> {
    server = await startCloudWatchServer(pageSize === undefined ? {} : { pageSize });
    client = new CloudWatchClient({
      region: 'eu-west-1',
      endpoint: server.endpoint,
      credentials: CREDENTIALS,
      maxAttempts: 2,
    });
  }

  beforeEach(async () => {
    await start();
  });

  afterEach(async () => {
    client.destroy();
    await server.stop();
  });

  it('speaks JSON 1.0 with the CloudWatch target, and reads the newest point over two pages', async () => {
    // Prepare
    client.destroy();
    await server.stop();
    await start(1);
    const now = new Date();
    server.putBacklog(FS, new Date(now.getTime() - 120_000), 40);
    server.putBacklog(FS, new Date(now.getTime() - 60_000), 95);
    server.putBacklog(OTHER, new Date(now.getTime() - 3_600_000), 7);

    // Act
    const readings = await createBacklogReader(client).ages([FS, OTHER], now);

    // Assess
    expect(readings.get(FS)).toEqual({
      ok: true,
      value: { ageSeconds: 95, at: now.getTime() - 60_000 },
    });
    // Older than the 15-minute lookback: no data, not zero.
    expect(readings.get(OTHER)).toEqual({
      ok: true,
      value: { ageSeconds: undefined, at: undefined },
    });
    expect(server.calls.map((call) => call.input['NextToken'])).toEqual([undefined, '1']);
    expect(server.calls[0]?.headers['x-amz-target']).toBe(
      'GraniteServiceVersion20100801.GetMetricData',
    );
    expect(server.calls[0]?.headers['content-type']).toBe('application/x-amz-json-1.0');
  });

  it('reads a Forbidden query as denied while the other file systems are read', async () => {
    // Prepare
    const now = new Date();
    server.putBacklog(OTHER, new Date(now.getTime() - 60_000), 12);
    server.forbid(FS);

    // Act
    const readings = await createBacklogReader(client).ages([FS, OTHER], now);

    // Assess
    expect(readings.get(FS)).toMatchObject({ ok: false, denied: true });
    expect(readings.get(OTHER)).toMatchObject({ ok: true, value: { ageSeconds: 12 } });
  });

  it.each([
    [
      'denied',
      {
        type: 'AccessDeniedException',
        message: 'User is not authorized to perform: cloudwatch:GetMetricData',
      },
      'Grant cloudwatch:GetMetricData',
    ],
    ['throttled', 'throttle', 'Run doctor again'],
    ['failing', 'server-error', 'Run doctor again'],
  ] as const)(
    'turns a %s GetMetricData into "backlog unknown" with its fix',
    async (_name, kind, fix) => {
      // Prepare
      server.inject({ operation: 'GetMetricData', times: Number.POSITIVE_INFINITY, kind });

      // Act
      const backlog = await createBacklogReader(client).ages([FS], new Date());
      const finding = only(diagnose({ ...inventory(), backlog }), 'backlog');

      // Assess
      expect(finding.severity).toBe('UNKNOWN');
      expect(finding.detail).toMatch(/^backlog unknown: could not read AgeOfOldestQueuedMessage: /);
      expect(finding.fix).toContain(fix);
      // The SDK retried what it may retry (maxAttempts 2), not a refusal.
      expect(server.calls).toHaveLength(kind === 'throttle' || kind === 'server-error' ? 2 : 1);
    },
  );
});

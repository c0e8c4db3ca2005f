import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createBacklogReader, createFailureSeriesReader } from '../../../lib/aws/metrics.ts';
import { FS } from '../../helpers/fixtures.ts';

/*
 * The CloudWatch adapter: one GetMetricData query per file system, batched by 500, every page,
 * the newest point; failures become "could not check" entries, never an exception.
 */

const cloudwatch = mockClient(CloudWatchClient);
const NOW = new Date('2026-11-25T10:05:00Z');
const OTHER = 'fs-0fedcba9876543210';

function minutesAgo(minutes: number): Date {
  return new Date(NOW.getTime() - minutes * 60_000);
}

describe('Function: createBacklogReader', () => {
  beforeEach(() => {
    cloudwatch.reset();
  });

  it('asks for the Maximum of each file system over 15 minutes and keeps the newest point', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'b0',
          Timestamps: [minutesAgo(1), minutesAgo(2)],
          Values: [120, 60],
          StatusCode: 'Complete',
        },
        { Id: 'b1', Timestamps: [], Values: [], StatusCode: 'Complete' },
      ],
    });

    // Act
    const readings = await createBacklogReader(new CloudWatchClient({})).ages([FS, OTHER, FS], NOW);

    // Assess
    expect(readings.get(FS)).toEqual({
      ok: true,
      value: { ageSeconds: 120, at: minutesAgo(1).getTime() },
    });
    expect(readings.get(OTHER)).toEqual({
      ok: true,
      value: { ageSeconds: undefined, at: undefined },
    });
    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: minutesAgo(15),
      EndTime: NOW,
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          Id: 'b0',
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/FSx',
              MetricName: 'AgeOfOldestQueuedMessage',
              Dimensions: [
                { Name: 'FileSystemId', Value: FS },
                { Name: 'Publisher', Value: 'AutoExport' },
              ],
            },
            Period: 60,
            Stat: 'Maximum',
          },
        },
        expect.objectContaining({ Id: 'b1' }),
      ],
    });
  });

  it('reads every page, and 1,001 file systems in three calls of at most 500 queries', async () => {
    // Prepare
    const ids = Array.from(
      { length: 1001 },
      (_, index) => `fs-${index.toString(16).padStart(17, '0')}`,
    );
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'b0', Timestamps: [minutesAgo(3)], Values: [5] }],
        NextToken: 'p2',
      })
      .resolvesOnce({ MetricDataResults: [{ Id: 'b0', Timestamps: [minutesAgo(1)], Values: [7] }] })
      .resolves({ MetricDataResults: [] });

    // Act
    const readings = await createBacklogReader(new CloudWatchClient({})).ages(ids, NOW);

    // Assess
    const sizes = cloudwatch
      .commandCalls(GetMetricDataCommand)
      .map((call) => call.args[0].input.MetricDataQueries?.length);
    expect(sizes).toEqual([500, 500, 500, 1]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[1]?.args[0].input.NextToken).toBe('p2');
    expect(readings.get(ids[0] ?? '')).toMatchObject({ ok: true, value: { ageSeconds: 7 } });
    expect(readings.size).toBe(1001);
  });

  it.each([
    ['AccessDenied', true],
    ['AccessDeniedException', true],
    ['ExpiredToken', true],
    ['Throttling', false],
    ['TimeoutError', false],
  ])(
    'turns a %s error into "could not check" for every file system (denied: %s)',
    async (name, denied) => {
      // Prepare
      cloudwatch
        .on(GetMetricDataCommand)
        .rejects(Object.assign(new Error('refused\nsecond line'), { name }));

      // Act
      const readings = await createBacklogReader(new CloudWatchClient({})).ages([FS, OTHER], NOW);

      // Assess
      for (const id of [FS, OTHER]) {
        expect(readings.get(id)).toEqual({
          ok: false,
          reason: `${name}: refused`,
          permission: 'cloudwatch:GetMetricData',
          denied,
        });
      }
    },
  );

  it('treats a Forbidden query as denied and an InternalError without points as a failure', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'b0', StatusCode: 'Forbidden' },
        { Id: 'b1', StatusCode: 'InternalError' },
      ],
    });

    // Act
    const readings = await createBacklogReader(new CloudWatchClient({})).ages([FS, OTHER], NOW);

    // Assess
    expect(readings.get(FS)).toMatchObject({ ok: false, denied: true });
    expect(readings.get(OTHER)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('InternalError'),
    });
  });
});

describe('Function: createFailureSeriesReader', () => {
  beforeEach(() => {
    cloudwatch.reset();
  });

  it('sums each class of the Failures metric into the buckets of the window', async () => {
    // Prepare
    const start = Date.parse('2026-11-24T11:00:00Z');
    const hour = (n: number) => new Date(start + n * 3_600_000);
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'c0', Timestamps: [hour(0), hour(23)], Values: [2, 5] },
        { Id: 'c1', Timestamps: [hour(30)], Values: [9] },
      ],
    });

    // Act
    const series = await createFailureSeriesReader(new CloudWatchClient({}), {
      namespace: 'FsxExportAnalyzer',
      service: 'fsx-export-analyzer-prod',
    }).failuresByClass(['permission', 'transient'], { start, end: start + 24 * 3_600_000 }, 3600);

    // Assess
    expect(series.ok).toBe(true);
    const value = series.ok ? series.value : new Map();
    expect(value.get('permission')).toEqual([2, ...new Array(22).fill(0), 5]);
    expect(value.get('transient')).toEqual(new Array(24).fill(0));
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        expect.objectContaining({
          MetricStat: {
            Metric: {
              Namespace: 'FsxExportAnalyzer',
              MetricName: 'Failures',
              Dimensions: [
                { Name: 'Class', Value: 'permission' },
                { Name: 'service', Value: 'fsx-export-analyzer-prod' },
              ],
            },
            Period: 3600,
            Stat: 'Sum',
          },
        }),
        expect.objectContaining({ Id: 'c1' }),
      ],
    });
  });

  it('answers "could not check" when the read is refused', async () => {
    // Prepare
    cloudwatch
      .on(GetMetricDataCommand)
      .rejects(Object.assign(new Error('no'), { name: 'AccessDenied' }));

    // Act
    const series = await createFailureSeriesReader(new CloudWatchClient({}), {
      namespace: 'FsxExportAnalyzer',
      service: 'x',
    }).failuresByClass(['permission'], { start: 0, end: 3_600_000 }, 3600);

    // Assess
    expect(series).toEqual({
      ok: false,
      reason: 'AccessDenied: no',
      permission: 'cloudwatch:GetMetricData',
      denied: true,
    });
  });
});

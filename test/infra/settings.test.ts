import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// infra/settings.cjs computes serverless.yml values from the parameters; osls calls each export
// with a resolver for `${...}` variables. Here the resolver is a plain map.

type Resolver = { resolveVariable: (name: string) => Promise<unknown> };

interface Settings {
  subscriptions(resolver: Resolver): Promise<Array<{ cloudwatchLog: unknown }>>;
  createTaskResources(resolver: Resolver): Promise<Array<{ 'Fn::Sub': string }>>;
  durationAlarmThresholdMs(resolver: Resolver): Promise<number>;
  retrierBatchingWindowSeconds(resolver: Resolver): Promise<number>;
  deferralVisibilityTimeout(resolver: Resolver): Promise<number>;
  maxReceiveCount(resolver: Resolver): Promise<number>;
  outcomeSchedule(resolver: Resolver): Promise<string>;
  digestSchedule(resolver: Resolver): Promise<string>;
  digestWindowMinutes(resolver: Resolver): Promise<string>;
  deferralAgeAlarmSeconds(resolver: Resolver): Promise<number>;
}

const settings = createRequire(import.meta.url)('../../infra/settings.cjs') as Settings;

function resolver(params: Record<string, unknown>): Resolver {
  const variables: Record<string, unknown> = {
    'self:service': 'fsx-export-analyzer',
    'sls:stage': 'prod',
    ...Object.fromEntries(Object.entries(params).map(([name, value]) => [`param:${name}`, value])),
  };
  return { resolveVariable: async (name) => variables[name] };
}

describe('Settings: subscriptions', () => {
  it('makes one empty-pattern subscription per distinct log group of the list', async () => {
    // Prepare
    const logGroups = ' /aws/fsx/lustre, /aws/fsx/team-a /aws/fsx/lustre,,';

    // Act
    const events = await settings.subscriptions(resolver({ logGroups }));

    // Assess
    expect(events).toEqual([
      { cloudwatchLog: { logGroup: '/aws/fsx/lustre', filter: '' } },
      { cloudwatchLog: { logGroup: '/aws/fsx/team-a', filter: '' } },
    ]);
  });

  it.each([
    ['', 'Parameter logGroups must name at least one log group'],
    [
      '/aws/lambda/fsx-export-analyzer-prod-analyzer',
      "Parameter logGroups must not contain the analyzer's own log group",
    ],
    ['/aws/lambda/other', '"/aws/lambda/other" is not an FSx log group'],
    ['/aws/fsx/', '"/aws/fsx/" is not an FSx log group'],
    ['/aws/fsx/lustre:*', '"/aws/fsx/lustre:*" is not an FSx log group'],
  ])('refuses logGroups %j', async (logGroups, message) => {
    // Prepare
    const params = resolver({ logGroups });

    // Act
    const result = settings.subscriptions(params);

    // Assess
    await expect(result).rejects.toThrow(message);
  });
});

describe('Settings: createTaskResources', () => {
  const arn = (resource: string) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:fsx:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
  });

  it('allows every file system of the account and Region for *', async () => {
    // Prepare
    const params = resolver({ fileSystemIds: '*' });

    // Act
    const resources = await settings.createTaskResources(params);

    // Assess
    expect(resources).toEqual([arn('file-system/*'), arn('task/*')]);
  });

  it('allows only the listed file systems', async () => {
    // Prepare
    const params = resolver({ fileSystemIds: 'fs-0123456789abcdef0, fs-01234567' });

    // Act
    const resources = await settings.createTaskResources(params);

    // Assess
    expect(resources).toEqual([
      arn('file-system/fs-0123456789abcdef0'),
      arn('file-system/fs-01234567'),
      arn('task/*'),
    ]);
  });

  it.each([
    ['', 'must be * or a list of file system ids'],
    ['*,fs-0123456789abcdef0', 'either * or a list of file system ids, not both'],
    ['fs-XYZ', '"fs-XYZ" is not a file system id'],
    ['fs-*', '"fs-*" is not a file system id'],
  ])('refuses fileSystemIds %j', async (fileSystemIds, message) => {
    // Prepare
    const params = resolver({ fileSystemIds });

    // Act
    const result = settings.createTaskResources(params);

    // Assess
    await expect(result).rejects.toThrow(message);
  });
});

describe('Settings: durationAlarmThresholdMs', () => {
  it.each([
    [60, 48_000],
    ['900', 720_000],
    [3, 2_400],
  ])('is 80%% of a %j s timeout in milliseconds', async (timeout, threshold) => {
    // Prepare
    const params = resolver({ timeout });

    // Act
    const result = await settings.durationAlarmThresholdMs(params);

    // Assess
    expect(result).toBe(threshold);
  });

  it.each([0, 901, 'abc', 1.5])('refuses a timeout of %j', async (timeout) => {
    // Prepare
    const params = resolver({ timeout });

    // Act
    const result = settings.durationAlarmThresholdMs(params);

    // Assess
    await expect(result).rejects.toThrow('Parameter timeout must be a whole number');
  });
});

describe('Settings: deferralVisibilityTimeout', () => {
  it.each([
    [60, 420],
    ['30', 240],
    [900, 5_460],
  ])('is 6 x a %j s retrier timeout plus the batching window', async (retrierTimeout, seconds) => {
    // Prepare
    const params = resolver({ retrierTimeout });
    const window = await settings.retrierBatchingWindowSeconds(params);

    // Act
    const result = await settings.deferralVisibilityTimeout(params);

    // Assess
    expect(window).toBe(60);
    expect(result).toBe(seconds);
    expect(result).toBe(6 * Number(retrierTimeout) + window);
  });

  it.each([0, 901, '', 'abc', 2.5])('refuses a retrierTimeout of %j', async (retrierTimeout) => {
    // Prepare
    const params = resolver({ retrierTimeout });

    // Act
    const result = settings.deferralVisibilityTimeout(params);

    // Assess
    await expect(result).rejects.toThrow('Parameter retrierTimeout must be a whole number');
  });
});

describe('Settings: maxReceiveCount', () => {
  it.each([
    ['5', 5],
    [' 7 ', 7],
    [1, 1],
    ['1000', 1000],
  ])('turns maxReceives %j into the number %j', async (maxReceives, count) => {
    // Prepare
    const params = resolver({ maxReceives });

    // Act
    const result = await settings.maxReceiveCount(params);

    // Assess
    expect(result).toBe(count);
  });

  it.each(['0', '1001', '', 'five', '5.5', '-1'])('refuses maxReceives %j', async (maxReceives) => {
    // Prepare
    const params = resolver({ maxReceives });

    // Act
    const result = settings.maxReceiveCount(params);

    // Assess
    await expect(result).rejects.toThrow(
      'Parameter maxReceives must be a whole number from 1 to 1000',
    );
  });
});

describe('Settings: outcomeSchedule', () => {
  it.each([
    ['10', 'rate(10 minutes)'],
    ['1', 'rate(1 minute)'],
    [1440, 'rate(1440 minutes)'],
  ])('makes outcomeCheckMinutes %j the schedule %j', async (outcomeCheckMinutes, schedule) => {
    // Prepare
    const params = resolver({ outcomeCheckMinutes });

    // Act
    const result = await settings.outcomeSchedule(params);

    // Assess
    expect(result).toBe(schedule);
  });

  it.each(['0', '1441', 'hourly'])(
    'refuses outcomeCheckMinutes %j',
    async (outcomeCheckMinutes) => {
      // Prepare
      const params = resolver({ outcomeCheckMinutes });

      // Act
      const result = settings.outcomeSchedule(params);

      // Assess
      await expect(result).rejects.toThrow('Parameter outcomeCheckMinutes must be a whole number');
    },
  );
});

describe('Settings: deferralAgeAlarmSeconds', () => {
  it.each([
    [60, '5', 900 + 5 * 420],
    [30, '7', 900 + 7 * 240],
  ])(
    'is the longest delay plus maxReceives visibility timeouts (retrierTimeout %j, maxReceives %j)',
    async (retrierTimeout, maxReceives, seconds) => {
      // Prepare
      const params = resolver({ retrierTimeout, maxReceives });

      // Act
      const result = await settings.deferralAgeAlarmSeconds(params);

      // Assess
      expect(result).toBe(seconds);
    },
  );
});

describe('Settings: digestWindowMinutes and digestSchedule', () => {
  it.each([
    ['60', '60'],
    [1, '1'],
    [' 1440 ', '1440'],
  ])('makes digestWindowMinutes %j the variable %j', async (digestWindowMinutes, variable) => {
    // Prepare
    const params = resolver({ digestWindowMinutes });

    // Act
    const result = await settings.digestWindowMinutes(params);

    // Assess
    expect(result).toBe(variable);
  });

  it.each(['0', '1441', '1h'])('refuses digestWindowMinutes %j', async (digestWindowMinutes) => {
    // Prepare
    const params = resolver({ digestWindowMinutes });

    // Act
    const result = settings.digestWindowMinutes(params);

    // Assess
    await expect(result).rejects.toThrow(
      `Parameter digestWindowMinutes must be a whole number of minutes from 1 to 1440 (got "${digestWindowMinutes}")`,
    );
  });

  it.each([
    ['5', 'rate(5 minutes)'],
    ['1', 'rate(1 minute)'],
  ])('makes digestCheckMinutes %j the schedule %j', async (digestCheckMinutes, schedule) => {
    // Prepare
    const params = resolver({ digestCheckMinutes });

    // Act
    const result = await settings.digestSchedule(params);

    // Assess
    expect(result).toBe(schedule);
  });

  it.each(['0', '61'])('refuses digestCheckMinutes %j', async (digestCheckMinutes) => {
    // Prepare
    const params = resolver({ digestCheckMinutes });

    // Act
    const result = settings.digestSchedule(params);

    // Assess
    await expect(result).rejects.toThrow(
      `Parameter digestCheckMinutes must be a whole number of minutes from 1 to 60 (got "${digestCheckMinutes}")`,
    );
  });
});

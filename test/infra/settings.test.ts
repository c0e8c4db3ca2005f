import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';

// infra/settings.cjs computes serverless.yml values from the parameters; osls calls each export
// with a resolver for `${...}` variables. Here the resolver is a plain map.

type Resolver = { resolveVariable: (name: string) => Promise<unknown> };

interface Settings {
  subscriptions(resolver: Resolver): Promise<Array<{ cloudwatchLog: unknown }>>;
  exportFileSystemsStatement(resolver: Resolver): Promise<Record<string, unknown>>;
  analyzerConcurrency(resolver: Resolver): Promise<number>;
  lambdaTracing(resolver: Resolver): Promise<string | false>;
  tracingEnabled(resolver: Resolver): Promise<string>;
  outcomeCheckSeconds(resolver: Resolver): Promise<number>;
  digestCheckSeconds(resolver: Resolver): Promise<number>;
  doctorCheckSeconds(resolver: Resolver): Promise<number>;
  durationAlarmThresholdMs(resolver: Resolver): Promise<number>;
  retrierBatchingWindowSeconds(resolver: Resolver): Promise<number>;
  deferralVisibilityTimeout(resolver: Resolver): Promise<number>;
  maxReceiveCount(resolver: Resolver): Promise<number>;
  outcomeSchedule(resolver: Resolver): Promise<string>;
  digestSchedule(resolver: Resolver): Promise<string>;
  digestWindowMinutes(resolver: Resolver): Promise<string>;
  deferralAgeAlarmSeconds(resolver: Resolver): Promise<number>;
  chatKind(resolver: Resolver): Promise<string>;
  chatEnabled(resolver: Resolver): Promise<string>;
  reportObjects(resolver: Resolver): Promise<Array<{ 'Fn::Sub': string }>>;
  backlogThresholdMinutes(resolver: Resolver): Promise<string>;
  backlogAlarms(
    resolver: Resolver,
  ): Promise<{ Resources: Record<string, { Properties: Record<string, unknown> }> }>;
}

const settings = createRequire(import.meta.url)('../../infra/settings.cjs') as Settings;

function resolver(params: Record<string, unknown>, stage = 'prod'): Resolver {
  const variables: Record<string, unknown> = {
    'self:service': 'fsx-export-analyzer',
    'sls:stage': stage,
    'param:fileSystemTag': '',
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

describe('Settings: exportFileSystemsStatement', () => {
  const arn = (resource: string) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:fsx:\${AWS::Region}:\${AWS::AccountId}:${resource}`,
  });
  const statement = (Resource: unknown, Condition?: unknown) => ({
    Sid: 'StartExportTasksOnFileSystems',
    Effect: 'Allow',
    Action: 'fsx:CreateDataRepositoryTask',
    Resource,
    ...(Condition === undefined ? {} : { Condition }),
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('allows every file system of the account and Region for *, without a condition', async () => {
    // Prepare
    const params = resolver({ fileSystemIds: '*' }, 'dev');

    // Act
    const result = await settings.exportFileSystemsStatement(params);

    // Assess
    expect(result).toEqual(statement([arn('file-system/*')]));
  });

  it('allows only the listed file systems, never the tasks (a statement of their own)', async () => {
    // Prepare
    const params = resolver({ fileSystemIds: 'fs-0123456789abcdef0, fs-01234567' });

    // Act
    const result = await settings.exportFileSystemsStatement(params);

    // Assess
    expect(result).toEqual(
      statement([arn('file-system/fs-0123456789abcdef0'), arn('file-system/fs-01234567')]),
    );
  });

  it.each([
    ['team=hpc', 'team', 'hpc'],
    [' Project = CFD run 2 ', 'Project', 'CFD run 2'],
    ['a:b/c=x=y', 'a:b/c', 'x=y'],
  ])('limits to file systems tagged %j with aws:ResourceTag', async (fileSystemTag, key, value) => {
    // Prepare
    const params = resolver({ fileSystemIds: '*', fileSystemTag });

    // Act
    const result = await settings.exportFileSystemsStatement(params);

    // Assess
    expect(result).toEqual(
      statement([arn('file-system/*')], { StringEquals: { [`aws:ResourceTag/${key}`]: value } }),
    );
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
    const result = settings.exportFileSystemsStatement(params);

    // Assess
    await expect(result).rejects.toThrow(message);
  });

  it.each(['team', 'team=', '=hpc', 'aws:cloudformation:stack-name=x', 'my team=hpc', 'a=b|c'])(
    'refuses fileSystemTag %j',
    async (fileSystemTag) => {
      // Prepare
      const params = resolver({ fileSystemIds: '*', fileSystemTag });

      // Act
      const result = settings.exportFileSystemsStatement(params);

      // Assess
      await expect(result).rejects.toThrow('Parameter fileSystemTag must be key=value');
    },
  );

  it('warns once, outside dev stages, when neither an id list nor a tag limits the file systems', async () => {
    // Prepare
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const params = resolver({ fileSystemIds: '*' }, 'staging');

    // Act
    await settings.exportFileSystemsStatement(params);
    await settings.exportFileSystemsStatement(params);

    // Assess
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(
      /^Warning: stage "staging": the analyzer and the retrier may start export tasks on every FSx file system of the account in the Region\. Limit them with --param="fileSystemIds=fs-\.\.\." or --param="fileSystemTag=key=value"/,
    );
  });

  it.each([
    ['dev', { fileSystemIds: '*' }],
    ['local', { fileSystemIds: '*' }],
    ['test', { fileSystemIds: '*' }],
    ['dev-alice', { fileSystemIds: '*' }],
    ['prod-ids', { fileSystemIds: 'fs-0123456789abcdef0' }],
    ['prod-tag', { fileSystemIds: '*', fileSystemTag: 'team=hpc' }],
  ])('does not warn for stage %j with %j', async (stage, params) => {
    // Prepare
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);

    // Act
    await settings.exportFileSystemsStatement(resolver(params, stage));

    // Assess
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('Settings: analyzerConcurrency', () => {
  it.each([
    ['10', 10],
    [1, 1],
    [' 1000 ', 1000],
  ])('makes analyzerConcurrency %j the reserved concurrency %j', async (analyzerConcurrency, n) => {
    // Prepare
    const params = resolver({ analyzerConcurrency });

    // Act
    const result = await settings.analyzerConcurrency(params);

    // Assess
    expect(result).toBe(n);
  });

  it.each(['0', '1001', '', 'ten', '2.5', '-1'])(
    'refuses analyzerConcurrency %j',
    async (analyzerConcurrency) => {
      // Prepare
      const params = resolver({ analyzerConcurrency });

      // Act
      const result = settings.analyzerConcurrency(params);

      // Assess
      await expect(result).rejects.toThrow(
        'Parameter analyzerConcurrency must be a whole number of executions from 1 to 1000',
      );
    },
  );
});

describe('Settings: tracing', () => {
  it.each([
    ['false', false, 'false'],
    [false, false, 'false'],
    ['true', 'Active', 'true'],
    [' TRUE ', 'Active', 'true'],
  ])('makes tracing %j the Lambda mode %j', async (tracing, mode, enabled) => {
    // Prepare
    const params = resolver({ tracing });

    // Act
    const result = await settings.lambdaTracing(params);

    // Assess
    expect(result).toBe(mode);
    expect(await settings.tracingEnabled(params)).toBe(enabled);
  });

  it.each(['', 'yes', 'Active', '1'])('refuses tracing %j', async (tracing) => {
    // Prepare
    const params = resolver({ tracing });

    // Act
    const result = settings.lambdaTracing(params);

    // Assess
    await expect(result).rejects.toThrow('Parameter tracing must be true or false');
  });
});

describe('Settings: the stopped alarms follow the schedules', () => {
  it.each([
    ['outcomeCheckSeconds', 'outcomeCheckMinutes', '10', 600],
    ['outcomeCheckSeconds', 'outcomeCheckMinutes', '1440', 86_400],
    ['digestCheckSeconds', 'digestCheckMinutes', '1', 60],
    ['doctorCheckSeconds', 'doctorCheckMinutes', '60', 3600],
  ] as const)('makes %s from %s %j: %j s', async (setting, param, minutes, seconds) => {
    // Prepare
    const params = resolver({ [param]: minutes });

    // Act
    const result = await settings[setting](params);

    // Assess
    expect(result).toBe(seconds);
  });

  it('refuses a doctorCheckMinutes the schedule refuses', async () => {
    // Prepare
    const params = resolver({ doctorCheckMinutes: '4' });

    // Act
    const result = settings.doctorCheckSeconds(params);

    // Assess
    await expect(result).rejects.toThrow('Parameter doctorCheckMinutes must be a whole number');
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

describe('Settings: chatKind and chatEnabled', () => {
  const TEAMS = {
    chatTeamsTeamId: '0b7a4c2e-1f3d-4e5a-9b8c-7d6e5f4a3b2c',
    chatTeamsTenantId: '11111111-2222-4333-8444-555555555555',
    chatTeamsChannelId: '19%3Ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2',
  };
  const SLACK = { chatSlackWorkspaceId: 'T0123ABCD', chatSlackChannelId: 'C0123ABCD' };

  it.each([
    ['no chat parameters', {}, 'none', 'false'],
    ['empty chat parameters', { chatSlackWorkspaceId: ' ', chatTeamsTeamId: '' }, 'none', 'false'],
    ['a Slack channel', SLACK, 'slack', 'true'],
    ['a Microsoft Teams channel', TEAMS, 'teams', 'true'],
  ])('%s', async (_name, params, kind, enabled) => {
    // Act, Assess
    await expect(settings.chatKind(resolver(params))).resolves.toBe(kind);
    await expect(settings.chatEnabled(resolver(params))).resolves.toBe(enabled);
  });

  it.each([
    [
      'half a Slack set',
      { chatSlackWorkspaceId: 'T0123ABCD' },
      'Parameter chatSlackChannelId is required with chatSlackWorkspaceId',
    ],
    [
      'two thirds of a Teams set',
      { chatTeamsTeamId: TEAMS.chatTeamsTeamId, chatTeamsChannelId: TEAMS.chatTeamsChannelId },
      'Parameter chatTeamsTenantId is required with chatTeamsTeamId and chatTeamsChannelId',
    ],
    [
      'both sets',
      { ...SLACK, ...TEAMS },
      'give either the Slack ids or the Microsoft Teams ids, not both',
    ],
    [
      'a Slack workspace id of the wrong form',
      { ...SLACK, chatSlackWorkspaceId: 'my-workspace' },
      'Parameter chatSlackWorkspaceId must be a Slack workspace id',
    ],
    [
      'a Teams channel id that is not URL-encoded',
      { ...TEAMS, chatTeamsChannelId: '19:abc@thread.tacv2' },
      'Parameter chatTeamsChannelId must be a URL-encoded Teams channel id',
    ],
  ])('refuses %s', async (_name, params, message) => {
    // Act, Assess
    await expect(settings.chatKind(resolver(params))).rejects.toThrow(message);
  });
});

describe('Settings: reportObjects', () => {
  const arn = (folder: string) => ({
    'Fn::Sub': `arn:\${AWS::Partition}:s3:::${folder}/task-*/failures.csv`,
  });

  it("grants only the tasks' failures.csv in the report folders, and under reportPath when set", async () => {
    // Act
    const none = await settings.reportObjects(resolver({ reportPath: '' }));
    const set = await settings.reportObjects(resolver({ reportPath: 's3://ops-reports/fsx/x//' }));

    // Assess
    expect(none).toEqual([arn('*/fsx-export-analyzer-reports')]);
    expect(set).toEqual([arn('*/fsx-export-analyzer-reports'), arn('ops-reports/fsx/x')]);
  });

  it.each(['ops-reports/fsx', 's3://Bad_Bucket/x', 's3://ok-bucket/$x', 's3://ok-bucket/a*'])(
    'refuses a reportPath that is not s3://bucket/prefix: %s',
    async (reportPath) => {
      // Act
      const run = settings.reportObjects(resolver({ reportPath }));

      // Assess
      await expect(run).rejects.toThrow(
        'Parameter reportPath must be s3://bucket or s3://bucket/prefix',
      );
    },
  );
});

describe('Settings: backlog alarms', () => {
  it('makes one alarm per listed file system, at the threshold in seconds', async () => {
    // Prepare
    const params = {
      fileSystemIds: 'fs-0123456789abcdef0, fs-0fedcba9876543210',
      backlogThresholdMinutes: '45',
    };

    // Act
    const { Resources } = await settings.backlogAlarms(resolver(params));

    // Assess
    expect(Object.keys(Resources)).toEqual([
      'ExportBacklog0123456789abcdef0Alarm',
      'ExportBacklog0fedcba9876543210Alarm',
    ]);
    expect(Resources['ExportBacklog0fedcba9876543210Alarm']?.Properties).toMatchObject({
      AlarmName: 'fsx-export-analyzer-prod-export-backlog-fs-0fedcba9876543210',
      Threshold: 2700,
      Dimensions: [
        { Name: 'FileSystemId', Value: 'fs-0fedcba9876543210' },
        { Name: 'Publisher', Value: 'AutoExport' },
      ],
    });
  });

  it('makes none for *: there is no list to loop over', async () => {
    // Act
    const { Resources } = await settings.backlogAlarms(
      resolver({ fileSystemIds: '*', backlogThresholdMinutes: '60' }),
    );

    // Assess
    expect(Resources).toEqual({});
  });

  it.each(['0', '10081', 'an hour'])(
    'refuses backlogThresholdMinutes=%s in one line',
    async (value) => {
      // Act
      const failure = settings.backlogThresholdMinutes(
        resolver({ backlogThresholdMinutes: value }),
      );

      // Assess
      await expect(failure).rejects.toThrow(
        `Parameter backlogThresholdMinutes must be a whole number of minutes from 1 to 10080 (got "${value}")`,
      );
    },
  );
});

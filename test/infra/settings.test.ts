import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadDigestConfig, loadDoctorConfig, loadReexportConfig } from '../../lib/common/config.ts';
import RULES from '../../lib/common/env-rules.json' with { type: 'json' };
import { ConfigError } from '../../lib/common/errors.ts';
import { FORBIDDEN_PATH_CHARS } from '../../lib/common/fsx.ts';
import { ROOT } from './osls.ts';

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
  checkedParams(resolver: Resolver): Promise<true>;
  unknownParams(
    cliParams: unknown,
    params: Record<string, Record<string, unknown>>,
    organization?: string,
  ): void;
  readonly ENVIRONMENT_PARAMS: Readonly<Record<string, string>>;
}

const require = createRequire(import.meta.url);
const settings = require('../../infra/settings.cjs') as Settings;
// osls's own YAML reader, with the CloudFormation tags (!Ref, !Sub, !GetAtt, ...).
const parseYaml = require('osls/lib/utils/fs/parse.js') as (file: string, text: string) => unknown;

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
      'Parameter maxReceives (MAX_RECEIVES) must be an integer from 1 to 1000',
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
        `Parameter backlogThresholdMinutes (BACKLOG_THRESHOLD_MINUTES) must be an integer from 1 to 10080 (one week) (got "${value}")`,
      );
    },
  );
});

describe('Settings: checkedParams (every parameter at package time)', () => {
  const TOPIC = 'arn:aws:sns:us-east-1:123456789012:fsx-export-analyzer-dev-summary';
  // What every function of the stack is given besides the parameters (serverless.yml).
  const DEPLOYED = {
    SUMMARY_TOPIC_ARN: TOPIC,
    LEDGER_TABLE: 'fsx-export-analyzer-dev-ledger',
    AWS_REGION: 'us-east-1',
  };
  const DEFAULTS = (
    parseYaml('serverless.yml', readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as {
      params: { default: Record<string, unknown> };
    }
  ).params.default;
  const integers = Object.entries(settings.ENVIRONMENT_PARAMS).filter(
    ([, variable]) => variable in RULES.integers,
  ) as Array<[string, keyof typeof RULES.integers]>;

  /** The function's refusal of `variable`=`value` at cold start, or undefined if it accepts it. */
  function functionRefusal(variable: string, value: string): string | undefined {
    const env = { ...DEPLOYED, [variable]: value };
    try {
      loadDoctorConfig(env);
      loadReexportConfig(env);
      loadDigestConfig(env);
      return undefined;
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
  }

  /** checkedParams' refusal with `name`=`value` and every other parameter at its default. */
  async function packageRefusal(name: string, value: unknown): Promise<string | undefined> {
    try {
      await settings.checkedParams(resolver({ ...DEFAULTS, [name]: value }));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  it('accepts the defaults of serverless.yml', async () => {
    // Act
    const refusal = await packageRefusal('dryRun', DEFAULTS['dryRun']);

    // Assess
    expect(refusal).toBeUndefined();
  });

  it.each(integers)(
    'refuses %s exactly where its function refuses %s, in the same words',
    async (name, variable) => {
      // Prepare
      const { min, max } = RULES.integers[variable];
      const refused = [String(max + 1), 'ten', '1.5', '-1', ...(min > 0 ? [String(min - 1)] : [])];

      for (const value of refused) {
        // Act
        const atColdStart = functionRefusal(variable, value);
        const atPackage = await packageRefusal(name, value);

        // Assess
        expect(atColdStart).toMatch(
          new RegExp(`^Environment variable ${variable} must be an integer from`),
        );
        if (name === 'digestWindowMinutes') {
          // Its parameter's own range (1 to 1440) lies within the variable's: refused too.
          expect(atPackage).toContain(`Parameter ${name} must be a whole number`);
        } else {
          expect(atPackage).toBe(
            atColdStart?.replace(
              `Environment variable ${variable}`,
              `Parameter ${name} (${variable})`,
            ),
          );
        }
      }
      for (const value of [String(max), ` ${Math.max(min, 1)} `]) {
        expect(functionRefusal(variable, value)).toBeUndefined();
        expect(await packageRefusal(name, value)).toBeUndefined();
      }
    },
  );

  it.each([
    ['dryRun', 'DRY_RUN', 'maybe'],
    ['reportPath', 'REPORT_PATH', 'bucket/reports'],
    ['reportPath', 'REPORT_PATH', 's3:'],
  ])(
    'refuses %s as its function refuses %s=%j, in the same words',
    async (name, variable, value) => {
      // Act
      const atColdStart = functionRefusal(variable, value);
      const atPackage = await packageRefusal(name, value);

      // Assess
      expect(atColdStart).toMatch(new RegExp(`^Environment variable ${variable} must be`));
      expect(atPackage).toBe(
        atColdStart?.replace(`Environment variable ${variable}`, `Parameter ${name} (${variable})`),
      );
    },
  );

  it('refuses in reportPath exactly the characters its functions refuse in REPORT_PATH', async () => {
    // Prepare: one path per character up to U+2FFF (FSx's forbidden characters all lie below it).
    const codes = Array.from({ length: 0x3000 }, (_, code) => code);
    const refusedAt = { coldStart: [] as number[], package: [] as number[] };

    // Act
    for (const code of codes) {
      const value = `s3://ops-reports/fsx/a${String.fromCharCode(code)}b`;
      if (functionRefusal('REPORT_PATH', value) !== undefined) refusedAt.coldStart.push(code);
      if ((await packageRefusal('reportPath', value)) !== undefined) refusedAt.package.push(code);
    }

    // Assess: both read the one pattern of lib/common/env-rules.json.
    expect(refusedAt.coldStart).toEqual([0x0, 0xa, 0xd, 0x85, 0x2028, 0x2029]);
    expect(refusedAt.package).toEqual(refusedAt.coldStart);
    expect(FORBIDDEN_PATH_CHARS.source).toBe(RULES.forbiddenPathChars);
  });

  it.each([['Yes'], ['0'], [' false ']])(
    'accepts dryRun %j, as the functions do',
    async (value) => {
      // Act
      const refusal = await packageRefusal('dryRun', value);

      // Assess
      expect(functionRefusal('DRY_RUN', value)).toBeUndefined();
      expect(refusal).toBeUndefined();
    },
  );

  it.each(['notanemail', 'ops@example', 'two words@example.com', 'a@b.com,c@d.com'])(
    'refuses notificationEmail %j',
    async (value) => {
      // Act
      const refusal = await packageRefusal('notificationEmail', value);

      // Assess
      expect(refusal).toBe(
        `Parameter notificationEmail must be an email address such as ops@example.com (got "${value}")`,
      );
    },
  );

  it.each(['', 'storage-team@example.com', 'ops+fsx@hpc.example.co.uk'])(
    'accepts notificationEmail %j',
    async (value) => {
      // Act
      const refusal = await packageRefusal('notificationEmail', value);

      // Assess
      expect(refusal).toBeUndefined();
    },
  );

  it.each([
    ['memorySize', '64', 'Parameter memorySize must be a whole number of MB from 128 to 10240'],
    ['logRetentionDays', '31', 'Parameter logRetentionDays must be one of 1, 3, 5, 7, 14, 30,'],
  ])('refuses %s %j', async (name, value, message) => {
    // Act
    const refusal = await packageRefusal(name, value);

    // Assess
    expect(refusal).toContain(message);
  });

  it('keeps a refusal on one line, whatever the value holds', async () => {
    // Act
    const refusal = await packageRefusal('maxAttempts', '3\n    at fake (stack.js:1:1)');

    // Assess
    expect(refusal).toBe(
      'Parameter maxAttempts (MAX_ATTEMPTS) must be an integer from 1 to 20 (got "3\\u000a    at fake (stack.js:1:1)")',
    );
  });

  it('checks every parameter serverless.yml passes to a function environment', () => {
    // Prepare
    const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');

    // Act
    const direct = [...text.matchAll(/^\s+([A-Z][A-Z0-9_]+): \$\{param:(\w+)\}\s*$/gm)].map(
      ([, variable, name]) => [name, variable],
    );
    const computed = [
      ...text.matchAll(/^\s+([A-Z][A-Z0-9_]+): \$\{file\(infra\/settings\.cjs\):(\w+)\}\s*$/gm),
    ].map(([, variable, name]) => [name, variable]);

    // Assess
    expect(direct.length).toBeGreaterThanOrEqual(10);
    for (const [name, variable] of direct) {
      expect(settings.ENVIRONMENT_PARAMS[name as string]).toBe(variable);
    }
    // POWERTOOLS_TRACE_ENABLED is Powertools' own, from the parameter tracing (checked above).
    expect(computed.length).toBeGreaterThanOrEqual(3);
    for (const [name, variable] of computed) {
      if (variable === 'POWERTOOLS_TRACE_ENABLED') continue;
      expect(settings.ENVIRONMENT_PARAMS[name as string]).toBe(variable);
    }
  });
});

describe('Settings: unknownParams', () => {
  const PARAMS = { default: { fileSystemIds: '*', fileSystemTag: '', maxAttempts: '3' } };

  it.each([
    [
      ['bogusParam=1'],
      'Unknown parameter bogusParam (--param): serverless.yml knows fileSystemIds, fileSystemTag, maxAttempts',
    ],
    [
      ['fileSystemId=fs-0123456789abcdef0'],
      'Unknown parameter fileSystemId (--param): did you mean fileSystemIds?',
    ],
    [['maxattempts=3'], 'Unknown parameter maxattempts (--param): did you mean maxAttempts?'],
  ])('refuses --param %j', (cliParams, message) => {
    // Act
    const check = () => settings.unknownParams(cliParams, PARAMS);

    // Assess
    expect(check).toThrow(message);
  });

  it.each([
    [
      ['fileSystemIds='],
      'Parameter fileSystemIds (--param) has no value: give --param="fileSystemIds=value", or leave it out for its default',
    ],
    [['maxAttempts= '], 'Parameter maxAttempts (--param) has no value'],
    [['maxAttempts'], '--param "maxAttempts" is not name=value'],
  ])('refuses --param %j, which is not name=value', (cliParams, message) => {
    // Act
    const check = () => settings.unknownParams(cliParams, PARAMS);

    // Assess
    expect(check).toThrow(message);
  });

  it.each([
    [['organizationId=o-a1b2c3d4e5'], 'false'],
    [['kinesisShards=2'], ' FALSE '],
  ])('refuses organization mode parameter %j with organization=%j', (cliParams, organization) => {
    // Prepare
    const params = { default: { organization: 'false', organizationId: '', kinesisShards: '1' } };

    // Act
    const check = () => settings.unknownParams(cliParams, params, organization);

    // Assess
    expect(check).toThrow(
      `Parameter ${cliParams[0]?.split('=')[0]} (--param) is read only with organization=true (docs/organization.md)`,
    );
  });

  it('takes organization mode parameters with organization=true, or in a stage section', () => {
    // Prepare
    const params = { default: { organization: 'false', organizationId: '' } };
    const staged = { ...params, prod: { organization: 'true', organizationId: 'o-a1b2c3d4e5' } };

    // Act
    const checks = [
      () => settings.unknownParams(['organizationId=o-a1b2c3d4e5'], params, 'true'),
      () => settings.unknownParams([], staged, 'false'),
    ];

    // Assess
    for (const check of checks) expect(check).not.toThrow();
  });

  it('refuses an unknown name in a stage section of serverless.yml', () => {
    // Prepare
    const params = { ...PARAMS, prod: { maxAtempts: '5' } };

    // Act
    const check = () => settings.unknownParams([], params);

    // Assess
    expect(check).toThrow(
      'Unknown parameter maxAtempts (params.prod in serverless.yml): did you mean maxAttempts?',
    );
  });

  it('accepts known names, values with = in them, and no --param at all', () => {
    // Prepare
    const params = { ...PARAMS, prod: { maxAttempts: '5' } };

    // Act
    const checks = [
      () => settings.unknownParams(['fileSystemTag=team=hpc', 'maxAttempts=4'], params),
      () => settings.unknownParams('maxAttempts=4', params),
      () => settings.unknownParams(undefined, params),
    ];

    // Assess
    for (const check of checks) expect(check).not.toThrow();
  });
});

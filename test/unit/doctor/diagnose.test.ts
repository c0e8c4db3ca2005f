import { describe, expect, it } from 'vitest';
import type { Inventory } from '../../../lib/common/types.ts';
import { diagnose } from '../../../lib/doctor/diagnose.ts';
import {
  ACCOUNT,
  ANALYZER,
  association,
  fileSystem,
  filter,
  GROUP,
  GROUP_ARN,
  inventory,
  OTHER,
  only,
  REGION,
  subscribed,
} from '../../helpers/doctor.ts';
import { FS } from '../../helpers/fixtures.ts';

describe('Function: diagnose', () => {
  it('finds nothing to fix on a watched file system', () => {
    // Prepare
    const setup = inventory();

    // Act
    const result = diagnose(setup);

    // Assess
    expect(result.healthy).toBe(true);
    expect(result.findings.map((item) => [item.check, item.severity])).toEqual([
      ['logging', 'OK'],
      ['subscription', 'OK'],
      ['association', 'OK'],
    ]);
    expect(only(result, 'subscription').detail).toBe(
      '/aws/fsx/lustre is subscribed to fsx-export-analyzer-prod-analyzer (filter sub)',
    );
    expect(result.counts).toEqual({ OK: 3, NOTE: 0, WARN: 0, PROBLEM: 0, UNKNOWN: 0 });
  });

  it.each([
    ['missing', undefined, 'PROBLEM', 'data repository event logging is off'],
    ['DISABLED', { level: 'DISABLED', destination: undefined }, 'PROBLEM', 'logging is off'],
    ['WARN_ONLY', { level: 'WARN_ONLY', destination: GROUP_ARN }, 'PROBLEM', 'ERROR events'],
    ['ERROR_ONLY', { level: 'ERROR_ONLY', destination: GROUP_ARN }, 'NOTE', 'warnings'],
    ['WARN_ERROR', { level: 'WARN_ERROR', destination: GROUP_ARN }, 'OK', 'WARN_ERROR to'],
    ['a new level', { level: 'VERBOSE', destination: GROUP_ARN }, 'WARN', 'not one doctor'],
  ])('rates logging %s', (_name, logging, severity, text) => {
    // Prepare
    const setup = inventory({ fileSystem: fileSystem({ logging }) });

    // Act
    const result = diagnose(setup);

    // Assess
    const found = only(result, 'logging');
    expect(found.severity).toBe(severity);
    expect(found.detail).toContain(text);
  });

  it('gives the exact update-file-system command when logging is off', () => {
    // Prepare
    const setup = inventory({ fileSystem: fileSystem({ logging: undefined }) });

    // Act
    const result = diagnose(setup);

    // Assess
    expect(only(result, 'logging').commands).toEqual([
      `aws fsx update-file-system --region eu-west-1 --file-system-id ${FS} --lustre-configuration ` +
        `'LogConfiguration={Level=WARN_ERROR}'`,
    ]);
    expect(result.findings.some((item) => item.check === 'subscription')).toBe(false);
    expect(result.healthy).toBe(false);
  });

  it.each([
    ['WARN_ONLY to the default group', { level: 'WARN_ONLY', destination: undefined }, ''],
    [
      'ERROR_ONLY to a named group',
      { level: 'ERROR_ONLY', destination: GROUP_ARN },
      `,Destination=${GROUP_ARN}`,
    ],
    [
      'WARN_ONLY to something that is not a log group ARN',
      { level: 'WARN_ONLY', destination: 'arn:aws:s3:::bucket' },
      '',
    ],
  ])('names no log group in the fix that FSx would have to find: %s', (_name, logging, named) => {
    // Prepare
    const setup = inventory({ fileSystem: fileSystem({ logging }) });

    // Act
    const found = only(diagnose(setup), 'logging');

    // Assess
    expect(found.commands).toEqual([
      `aws fsx update-file-system --region eu-west-1 --file-system-id ${FS} --lustre-configuration ` +
        `'LogConfiguration={Level=WARN_ERROR${named}}'`,
    ]);
  });

  it('does not take a level named like an object property for a known one', () => {
    // Prepare
    const setup = inventory({
      fileSystem: fileSystem({ logging: { level: 'constructor', destination: GROUP_ARN } }),
    });

    // Act
    const found = only(diagnose(setup), 'logging');

    // Assess
    expect(found).toMatchObject({ severity: 'WARN', commands: [] });
    expect(found.detail).toContain('logging level constructor is not one doctor knows');
  });

  it('keeps a custom log group in the WARN_ONLY fix and checks that group', () => {
    // Prepare
    const custom = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/fsx/training:*`;
    const setup = inventory({
      fileSystem: fileSystem({ logging: { level: 'WARN_ONLY', destination: custom } }),
      logGroups: { '/aws/fsx/training': subscribed(filter(ANALYZER)) },
    });

    // Act
    const result = diagnose(setup);

    // Assess
    expect(only(result, 'logging').commands[0]).toContain(
      'Destination=arn:aws:logs:eu-west-1:123456789012:log-group:/aws/fsx/training}',
    );
    expect(only(result, 'subscription')).toMatchObject({
      severity: 'OK',
      subject: '/aws/fsx/training',
    });
  });

  it('says a file system from before CloudWatch logging cannot log', () => {
    // Prepare
    const setup = inventory({
      fileSystem: fileSystem({ logging: undefined, creationTime: new Date('2020-06-01') }),
    });

    // Act
    const result = diagnose(setup);

    // Assess
    expect(only(result, 'logging').detail).toContain('predates CloudWatch logging');
    expect(only(result, 'logging').commands).toEqual([]);
  });

  it.each([
    ['no filter', subscribed(), 'PROBLEM', 'has no subscription to the analyzer'],
    ['another filter', subscribed(filter(OTHER)), 'PROBLEM', '(it has: datadog-forwarder)'],
    [
      'two others (the limit)',
      subscribed(filter(OTHER, 'a'), filter(`${OTHER}2`, 'b')),
      'PROBLEM',
      'a log group allows only 2',
    ],
    ['ours among others', subscribed(filter(OTHER), filter(ANALYZER)), 'OK', 'subscribed to'],
    ['ours by alias', subscribed(filter(`${ANALYZER}:live`)), 'OK', 'subscribed to'],
    ['ours with a pattern', subscribed(filter(ANALYZER, 's', 'ERROR')), 'WARN', 'only matching'],
    ['no log group', { ok: true, value: { exists: false } } as const, 'PROBLEM', 'does not exist'],
    [
      'access denied',
      {
        ok: false,
        reason: 'AccessDeniedException: no',
        permission: 'logs:DescribeSubscriptionFilters',
      },
      'UNKNOWN',
      'could not check the subscription of /aws/fsx/lustre: AccessDeniedException: no (needs logs:DescribeSubscriptionFilters)',
    ],
  ] as const)('rates the subscription with %s', (_name, lookup, severity, text) => {
    // Prepare
    const setup = inventory({ logGroups: { [GROUP]: lookup } });

    // Act
    const result = diagnose(setup);

    // Assess
    const found = only(result, 'subscription');
    expect(found.severity).toBe(severity);
    expect(found.detail).toContain(text);
    expect(result.healthy).toBe(severity === 'OK' || severity === 'WARN');
  });

  it('fixes a missing subscription with the stack or two commands', () => {
    // Prepare
    const setup = inventory({ logGroups: { [GROUP]: subscribed() } });

    // Act
    const found = only(diagnose(setup), 'subscription');

    // Assess
    expect(found.fix).toContain(
      'npx osls deploy --stage <stage> --region eu-west-1 --param=logGroups=/aws/fsx/lustre',
    );
    expect(found.commands).toEqual([
      "aws lambda add-permission --region eu-west-1 --function-name 'arn:aws:lambda:eu-west-1:123456789012:function:fsx-export-analyzer-<stage>-analyzer' " +
        '--statement-id fsx-export-analyzer-logs-aws-fsx-lustre --principal logs.amazonaws.com --action lambda:InvokeFunction ' +
        "--source-arn 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/fsx/lustre:*' --source-account 123456789012",
      "aws logs put-subscription-filter --region eu-west-1 --log-group-name /aws/fsx/lustre --filter-name fsx-export-analyzer --filter-pattern '' " +
        "--destination-arn 'arn:aws:lambda:eu-west-1:123456789012:function:fsx-export-analyzer-<stage>-analyzer'",
    ]);
  });

  it('gives each log group its own add-permission statement id', () => {
    // Prepare
    const long = `/aws/fsx/${'x'.repeat(200)}`;
    const setup: Inventory = {
      region: REGION,
      fileSystems: [
        {
          fileSystem: fileSystem(),
          associations: { ok: true, value: [] },
        },
        {
          fileSystem: fileSystem({
            fileSystemId: 'fs-0bbbbbbbbbbbbbbbb',
            logging: {
              level: 'WARN_ERROR',
              destination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/fsx/training.v2`,
            },
          }),
          associations: { ok: true, value: [] },
        },
        {
          fileSystem: fileSystem({
            fileSystemId: 'fs-0cccccccccccccccc',
            logging: {
              level: 'WARN_ERROR',
              destination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${long}`,
            },
          }),
          associations: { ok: true, value: [] },
        },
      ],
      logGroups: new Map([
        [GROUP, subscribed()],
        ['/aws/fsx/training.v2', subscribed()],
        [long, subscribed()],
      ]),
    };

    // Act
    const ids = diagnose(setup)
      .findings.filter((item) => item.check === 'subscription')
      .map((item) => /--statement-id (\S+)/.exec(item.commands[0] ?? '')?.[1]);

    // Assess
    expect(ids).toEqual([
      'fsx-export-analyzer-logs-aws-fsx-lustre',
      'fsx-export-analyzer-logs-aws-fsx-training-v2',
      `fsx-export-analyzer-logs-aws-fsx-${'x'.repeat(67)}`,
    ]);
  });

  it('recognises the function named by --function only', () => {
    // Prepare
    const setup = inventory({ logGroups: { [GROUP]: subscribed(filter(OTHER)) } });

    // Act
    const byName = diagnose(setup, { functionRef: 'datadog-forwarder' });
    const byDefault = diagnose(setup);

    // Assess
    expect(only(byName, 'subscription').severity).toBe('OK');
    expect(only(byDefault, 'subscription').severity).toBe('PROBLEM');
  });

  it.each([
    ['AVAILABLE', {}, 'OK', 'automatic export of NEW, CHANGED, DELETED'],
    [
      'MISCONFIGURED',
      { lifecycle: 'MISCONFIGURED', failureMessage: 'FSx cannot access the bucket' },
      'PROBLEM',
      'is MISCONFIGURED: FSx cannot access the bucket; automatic export silently stops',
    ],
    ['FAILED', { lifecycle: 'FAILED' }, 'PROBLEM', 'is FAILED'],
    ['DELETING', { lifecycle: 'DELETING' }, 'PROBLEM', 'being deleted'],
    ['CREATING', { lifecycle: 'CREATING' }, 'NOTE', 'is CREATING'],
    ['UPDATING', { lifecycle: 'UPDATING' }, 'NOTE', 'is UPDATING'],
    ['no export events', { exportEvents: [] }, 'WARN', 'automatic export is off'],
    ['NEW only', { exportEvents: ['NEW'] }, 'NOTE', '(CHANGED, DELETED not exported)'],
  ] as const)('rates an association that is %s', (_name, over, severity, text) => {
    // Prepare
    const setup = inventory({ associations: { ok: true, value: [association(over)] } });

    // Act
    const found = only(diagnose(setup), 'association');

    // Assess
    expect(found.severity).toBe(severity);
    expect(found.detail).toContain(text);
    expect(found.subject).toBe('dra-0123456789abcdef0');
  });

  it('explains a MISCONFIGURED association and how to re-check it at once', () => {
    // Prepare
    const setup = inventory({
      associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
    });

    // Act
    const found = only(diagnose(setup), 'association');

    // Assess
    expect(found.fix).toContain('within 15 minutes');
    expect(found.fix).toContain("the bucket's event notifications");
    expect(found.commands).toEqual([
      'aws s3api get-bucket-notification-configuration --bucket ml-archive',
      'aws fsx update-data-repository-association --region eu-west-1 --association-id dra-0123456789abcdef0 --imported-file-chunk-size 1024',
    ]);
  });

  it('turns automatic export on without dropping automatic import', () => {
    // Prepare
    const setup = inventory({
      associations: { ok: true, value: [association({ exportEvents: [], importEvents: ['NEW'] })] },
    });

    // Act
    const found = only(diagnose(setup), 'association');

    // Assess
    expect(found.commands).toEqual([
      'aws fsx update-data-repository-association --region eu-west-1 --association-id dra-0123456789abcdef0 ' +
        "--s3 'AutoImportPolicy={Events=[NEW]},AutoExportPolicy={Events=[NEW,CHANGED,DELETED]}'",
    ]);
  });

  it('notes a file system without associations and one that is not AVAILABLE', () => {
    // Prepare
    const setup = inventory({
      fileSystem: fileSystem({ lifecycle: 'UPDATING' }),
      associations: { ok: true, value: [] },
    });

    // Act
    const result = diagnose(setup);

    // Assess
    expect(only(result, 'file-system')).toMatchObject({
      severity: 'NOTE',
      detail: 'file system is UPDATING, not AVAILABLE',
    });
    expect(only(result, 'associations')).toMatchObject({
      severity: 'NOTE',
      detail: 'no data repository association: no S3 link, so nothing is exported automatically',
    });
    expect(result.healthy).toBe(true);
  });

  it('turns associations it could not read into UNKNOWN naming the permission', () => {
    // Prepare
    const setup = inventory({
      associations: {
        ok: false,
        reason: 'AccessDeniedException: not allowed',
        permission: 'fsx:DescribeDataRepositoryAssociations',
        denied: true,
      },
    });

    // Act
    const result = diagnose(setup);

    // Assess
    expect(only(result, 'associations')).toMatchObject({
      severity: 'UNKNOWN',
      detail:
        'could not check the data repository associations: AccessDeniedException: not allowed ' +
        '(needs fsx:DescribeDataRepositoryAssociations)',
      fix: 'Grant fsx:DescribeDataRepositoryAssociations to the identity running doctor, then run it again.',
    });
    expect(result.healthy).toBe(false);
  });

  it('asks for another try, not a grant, when a lookup was throttled', () => {
    // Prepare
    const setup = inventory({
      associations: {
        ok: false,
        reason: 'ThrottlingException: Rate exceeded',
        permission: 'fsx:DescribeDataRepositoryAssociations',
        denied: false,
      },
    });

    // Act
    const found = only(diagnose(setup), 'associations');

    // Assess
    expect(found.severity).toBe('UNKNOWN');
    expect(found.fix).toMatch(/^Run doctor again; if this persists/);
  });

  it('is not healthy without any file system', () => {
    // Prepare
    const empty: Inventory = { region: REGION, fileSystems: [], logGroups: new Map() };

    // Act
    const result = diagnose(empty);

    // Assess
    expect(result).toMatchObject({ fileSystems: 0, findings: [], healthy: false });
  });
});

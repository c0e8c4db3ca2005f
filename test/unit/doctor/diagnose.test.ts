import { describe, expect, it } from 'vitest';
import {
  type AssociationFacts,
  type Checked,
  type DoctorResult,
  diagnose,
  doctorChanges,
  type FileSystemFacts,
  type Finding,
  type FindingState,
  type Inventory,
  isAnalyzer,
  type LogGroupFacts,
  logGroupName,
  renderDoctorAlert,
  renderDoctorJson,
  renderDoctorText,
  type SubscriptionFilterFacts,
  toFindingState,
} from '../../../lib/doctor/diagnose.ts';
import { FS } from '../../helpers/fixtures.ts';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const GROUP = '/aws/fsx/lustre';
const GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${GROUP}`;
const ANALYZER = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:fsx-export-analyzer-prod-analyzer`;
const OTHER = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:datadog-forwarder`;
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const HOSTILE = '\u001b[2J\u001b]0;x\u0007\r\nfake line\u202egnp.exe';

/** A healthy Lustre file system logging WARN_ERROR to the default group; `over` changes it. */
function fileSystem(over: Partial<FileSystemFacts> = {}): FileSystemFacts {
  return {
    fileSystemId: FS,
    lifecycle: 'AVAILABLE',
    name: 'training',
    arn: `arn:aws:fsx:${REGION}:${ACCOUNT}:file-system/${FS}`,
    ownerId: ACCOUNT,
    creationTime: new Date('2025-01-01T00:00:00Z'),
    logging: { level: 'WARN_ERROR', destination: GROUP_ARN },
    ...over,
  };
}

function association(over: Partial<AssociationFacts> = {}): AssociationFacts {
  return {
    associationId: 'dra-0123456789abcdef0',
    lifecycle: 'AVAILABLE',
    fileSystemPath: '/ns1',
    dataRepositoryPath: 's3://ml-archive/datasets/',
    failureMessage: undefined,
    exportEvents: ['NEW', 'CHANGED', 'DELETED'],
    importEvents: [],
    importedFileChunkSize: 1024,
    ...over,
  };
}

function filter(destinationArn: string, filterName = 'sub', pattern = ''): SubscriptionFilterFacts {
  return { filterName, destinationArn, filterPattern: pattern };
}

function subscribed(...filters: SubscriptionFilterFacts[]): Checked<LogGroupFacts> {
  return { ok: true, value: { exists: true, filters } };
}

interface Setup {
  readonly fileSystem?: FileSystemFacts;
  readonly associations?: Checked<readonly AssociationFacts[]>;
  readonly logGroups?: Record<string, Checked<LogGroupFacts>>;
}

function inventory(setup: Setup = {}): Inventory {
  return {
    region: REGION,
    fileSystems: [
      {
        fileSystem: setup.fileSystem ?? fileSystem(),
        associations: setup.associations ?? { ok: true, value: [association()] },
      },
    ],
    logGroups: new Map(
      Object.entries(setup.logGroups ?? { [GROUP]: subscribed(filter(ANALYZER)) }),
    ),
  };
}

function only(result: DoctorResult, check: Finding['check']): Finding {
  const found = result.findings.filter((item) => item.check === check);
  expect(found).toHaveLength(1);
  return found[0] as Finding;
}

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
      `aws fsx update-file-system --file-system-id ${FS} --lustre-configuration ` +
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
      `aws fsx update-file-system --file-system-id ${FS} --lustre-configuration ` +
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
    expect(found.fix).toContain('--param="logGroups=/aws/fsx/lustre"');
    expect(found.commands).toEqual([
      "aws lambda add-permission --function-name 'arn:aws:lambda:eu-west-1:123456789012:function:fsx-export-analyzer-<stage>-analyzer' " +
        '--statement-id fsx-export-analyzer-logs-aws-fsx-lustre --principal logs.amazonaws.com --action lambda:InvokeFunction ' +
        "--source-arn 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/fsx/lustre:*' --source-account 123456789012",
      "aws logs put-subscription-filter --log-group-name /aws/fsx/lustre --filter-name fsx-export-analyzer --filter-pattern '' " +
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
    expect(found.fix).toContain('event notification');
    expect(found.commands).toEqual([
      'aws fsx update-data-repository-association --association-id dra-0123456789abcdef0 --imported-file-chunk-size 1024',
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
      'aws fsx update-data-repository-association --association-id dra-0123456789abcdef0 ' +
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

describe('Function: renderDoctorText', () => {
  it('prints a table and the fixes within 100 columns, commands whole', () => {
    // Prepare
    const result = diagnose(
      inventory({
        fileSystem: fileSystem({ logging: { level: 'WARN_ONLY', destination: GROUP_ARN } }),
        associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
        logGroups: { [GROUP]: subscribed() },
      }),
    );

    // Act
    const output = renderDoctorText(result);

    // Assess
    const lines = output.split('\n');
    expect(lines[0]).toBe(
      'doctor: 1 FSx for Lustre file system in eu-west-1; 3 PROBLEM; NOT fully watched: see below',
    );
    expect(lines[2]).toBe(`Names: ${FS} training`);
    expect(lines[4]).toBe(
      `${'FILE SYSTEM'.padEnd(21)}${'CHECK'.padEnd(13)}${'STATUS'.padEnd(8)}DETAIL`,
    );
    expect(lines[5]).toMatch(/^fs-0123456789abcdef0 logging {6}PROBLEM logging WARN_ONLY/);
    const commands = lines.filter((line) => line.startsWith('     aws '));
    expect(commands).toHaveLength(4);
    for (const line of lines) {
      if (!line.startsWith('     aws ')) expect(line.length).toBeLessThanOrEqual(100);
    }
    expect(output).toContain('How to fix:\n1. fs-0123456789abcdef0 logging (PROBLEM): ');
  });

  it('lists a fix shared by file systems on the same log group once, naming them all', () => {
    // Prepare
    const second = 'fs-0fedcba9876543210';
    const base = inventory({ logGroups: { [GROUP]: subscribed(filter(OTHER)) } });
    const [first] = base.fileSystems;
    if (first === undefined) throw new Error('no file system');
    const shared: Inventory = {
      ...base,
      fileSystems: [
        first,
        {
          fileSystem: fileSystem({
            fileSystemId: second,
            arn: `arn:aws:fsx:${REGION}:${ACCOUNT}:file-system/${second}`,
          }),
          associations: { ok: true, value: [association()] },
        },
      ],
    };

    // Act
    const output = renderDoctorText(diagnose(shared));

    // Assess: two table rows, one fix.
    expect(output.match(/ subscription PROBLEM /g)).toHaveLength(2);
    expect(output).toContain(`How to fix:\n1. ${FS}, ${second} subscription (PROBLEM): `);
    expect(output).not.toContain('\n2. ');
  });

  it('says when the Region has no FSx for Lustre file system', () => {
    // Prepare
    const result = diagnose({ region: 'eu-north-1', fileSystems: [], logGroups: new Map() });

    // Act
    const output = renderDoctorText(result);

    // Assess
    expect(output).toContain(
      'No FSx for Lustre file systems in eu-north-1: is this the right Region (--region)?',
    );
  });

  it('sanitises hostile names from AWS everywhere', () => {
    // Prepare
    const hostileGroup = `/aws/fsx/${HOSTILE}`;
    const result = diagnose(
      inventory({
        fileSystem: fileSystem({
          logging: {
            level: 'WARN_ONLY',
            destination: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${hostileGroup}`,
          },
        }),
        associations: {
          ok: true,
          value: [
            association({
              lifecycle: 'MISCONFIGURED',
              fileSystemPath: `/ns1/${HOSTILE}`,
              dataRepositoryPath: `s3://b/${HOSTILE}`,
              failureMessage: HOSTILE,
            }),
          ],
        },
        logGroups: { [hostileGroup]: subscribed(filter(`${OTHER}${HOSTILE}`, HOSTILE)) },
      }),
    );

    // Act
    const text = renderDoctorText(result);
    const json = renderDoctorJson(result);

    // Assess
    expect(text.replaceAll('\n', '')).not.toMatch(UNSAFE);
    expect(text).toContain('\\x1b[2J');
    expect(text.split('\n').filter((line) => line.includes('fake line'))).not.toEqual([]);
    expect(
      JSON.parse(json)
        .findings.map((item: Finding) => item.detail)
        .join(''),
    ).not.toMatch(UNSAFE);
  });

  it('never splits a character outside the BMP when it cuts or wraps', () => {
    // Prepare: an id that is cut in the 21-column FILE SYSTEM cell right inside a pair, and a
    // name of 200 such characters with no space, wrapped at 100 columns.
    const id = `fs-${'0'.repeat(16)}\u{1F600}x`;
    const setup: Inventory = {
      region: REGION,
      fileSystems: [
        {
          fileSystem: fileSystem({ fileSystemId: id, name: '\u{1F600}'.repeat(200) }),
          associations: { ok: true, value: [] },
        },
      ],
      logGroups: new Map([[GROUP, subscribed(filter(ANALYZER))]]),
    };

    // Act
    const text = renderDoctorText(diagnose(setup));

    // Assess
    expect(text).not.toMatch(
      /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
    );
    expect(text).toContain(`fs-${'0'.repeat(16)} `);
  });
});

describe('Function: renderDoctorJson', () => {
  it('writes one document with stable field names', () => {
    // Prepare
    const result = diagnose(inventory({ logGroups: { [GROUP]: subscribed() } }));

    // Act
    const document = JSON.parse(renderDoctorJson(result));

    // Assess
    expect(Object.keys(document)).toEqual([
      'region',
      'fileSystems',
      'names',
      'healthy',
      'counts',
      'findings',
    ]);
    expect(document).toMatchObject({
      region: REGION,
      fileSystems: 1,
      names: { [FS]: 'training' },
      healthy: false,
    });
    expect(document.findings[1]).toEqual({
      key: `${FS}|subscription|/aws/fsx/lustre`,
      fileSystemId: FS,
      check: 'subscription',
      subject: '/aws/fsx/lustre',
      severity: 'PROBLEM',
      detail: expect.stringContaining('has no subscription'),
      fix: expect.stringContaining('Deploy the stack'),
      commands: [
        expect.stringMatching(/^aws lambda add-permission/),
        expect.stringMatching(/^aws logs put-subscription-filter/),
      ],
    });
    expect(document.findings[0].fix).toBeNull();
  });
});

describe('Helpers', () => {
  it.each([
    [GROUP_ARN, GROUP],
    [`${GROUP_ARN}:*`, GROUP],
    ['arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/fsx/a#b', '/aws/fsx/a#b'],
    ['arn:aws:s3:::bucket', undefined],
  ])('logGroupName(%s) is %s', (arn, name) => {
    // Act
    const result = logGroupName(arn);

    // Assess
    expect(result).toBe(name);
  });

  it.each([
    [ANALYZER, undefined, true],
    [`${ANALYZER}:3`, undefined, true],
    [OTHER, undefined, false],
    ['arn:aws:firehose:eu-west-1:123456789012:deliverystream/x', undefined, false],
    [ANALYZER, ANALYZER, true],
    [ANALYZER, ANALYZER.replace(ACCOUNT, '999999999999'), false],
    [ANALYZER, 'fsx-export-analyzer-prod-analyzer', true],
    [ANALYZER, 'fsx-export-analyzer-dev-analyzer', false],
  ])('isAnalyzer(%s, %s) is %s', (destination, functionRef, expected) => {
    // Act
    const result = isAnalyzer(destination, functionRef);

    // Assess
    expect(result).toBe(expected);
  });
});

describe('Function: doctorChanges', () => {
  const healthy = diagnose(inventory());
  const misconfigured = diagnose(
    inventory({
      associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
    }),
  );

  it.each([
    ['nothing changed', toFindingState(healthy.findings), healthy, []],
    ['the first run finds everything healthy', undefined, healthy, []],
    [
      'an association became MISCONFIGURED',
      toFindingState(healthy.findings),
      misconfigured,
      [['association', 'OK', 'PROBLEM']],
    ],
    [
      'the association is AVAILABLE again',
      toFindingState(misconfigured.findings),
      healthy,
      [['association', 'PROBLEM', 'OK']],
    ],
    [
      'the first run finds a problem',
      undefined,
      misconfigured,
      [['association', undefined, 'PROBLEM']],
    ],
  ] as const)('%s', (_name, previous, result, expected) => {
    // Act
    const { changes } = doctorChanges(previous, result.findings);

    // Assess
    expect(changes.map((change) => [change.check, change.before, change.after])).toEqual(expected);
  });

  const throttled: Checked<LogGroupFacts> = {
    ok: false,
    reason: 'ThrottlingException: Rate exceeded',
    permission: 'logs:DescribeSubscriptionFilters',
  };
  const unchecked = diagnose(inventory({ logGroups: { [GROUP]: throttled } }));

  /** Runs doctorChanges over `runs` in turn; what each run would email. */
  function replay(first: FindingState[] | undefined, ...runs: DoctorResult[]): string[][] {
    let state: readonly FindingState[] | undefined = first;
    return runs.map((run) => {
      const step = doctorChanges(state, run.findings);
      state = step.state;
      return step.changes.map((change) => `${change.check} ${change.before} -> ${change.after}`);
    });
  }

  it.each([
    [
      'a single failed look is not told, nor its recovery',
      toFindingState(healthy.findings),
      [unchecked, healthy],
      [[], []],
    ],
    [
      'a failed look twice in a row is told once, and so is its recovery',
      toFindingState(healthy.findings),
      [unchecked, unchecked, unchecked, healthy],
      [[], ['subscription OK -> UNKNOWN'], [], ['subscription UNKNOWN -> OK']],
    ],
    [
      'flapping every other run stays quiet',
      toFindingState(healthy.findings),
      [unchecked, healthy, unchecked, healthy, unchecked],
      [[], [], [], [], []],
    ],
    [
      'a first run that cannot look waits for the second',
      undefined,
      [unchecked, unchecked],
      [[], ['subscription undefined -> UNKNOWN']],
    ],
    [
      'a new finding that could not be checked once and then is fine is never told',
      undefined,
      [unchecked, healthy],
      [[], []],
    ],
  ] as const)('UNKNOWN needs two runs in a row: %s', (_name, first, runs, expected) => {
    // Act
    const emailed = replay(first === undefined ? undefined : [...first], ...runs);

    // Assess
    expect(emailed).toEqual(expected);
  });

  it('keeps the findings of associations it could not list instead of calling them gone', () => {
    // Prepare
    const unlisted = diagnose(
      inventory({
        associations: {
          ok: false,
          reason: 'ThrottlingException: Rate exceeded',
          permission: 'fsx:DescribeDataRepositoryAssociations',
        },
      }),
    );

    // Act
    const emailed = replay(
      toFindingState(misconfigured.findings),
      unlisted,
      misconfigured,
      unlisted,
      unlisted,
      healthy,
    );

    // Assess
    expect(emailed).toEqual([
      [],
      [],
      [],
      ['associations undefined -> UNKNOWN'],
      ['association PROBLEM -> OK', 'associations UNKNOWN -> undefined'],
    ]);
  });

  it('does not tell of a finding that was never told and went away', () => {
    // Prepare
    const previous: FindingState[] = [
      {
        key: `${FS}|subscription|${GROUP}`,
        fileSystemId: FS,
        check: 'subscription',
        severity: 'UNKNOWN',
        unconfirmed: true,
      },
    ];

    // Act
    const { changes, state } = doctorChanges(previous, []);

    // Assess
    expect(changes).toEqual([]);
    expect(state).toEqual([]);
  });

  it('tells of a problem that went away with its file system, not of a healthy one', () => {
    // Prepare
    const previous: FindingState[] = [
      {
        key: 'fs-0aaaaaaaaaaaaaaaa|logging|x',
        fileSystemId: 'fs-0aaaaaaaaaaaaaaaa',
        check: 'logging',
        severity: 'PROBLEM',
      },
      {
        key: 'fs-0bbbbbbbbbbbbbbbb|logging|y',
        fileSystemId: 'fs-0bbbbbbbbbbbbbbbb',
        check: 'logging',
        severity: 'OK',
      },
    ];

    // Act
    const { changes } = doctorChanges(previous, []);

    // Assess
    expect(changes).toEqual([
      {
        key: 'fs-0aaaaaaaaaaaaaaaa|logging|x',
        fileSystemId: 'fs-0aaaaaaaaaaaaaaaa',
        check: 'logging',
        before: 'PROBLEM',
        after: undefined,
        detail: undefined,
      },
    ]);
  });
});

describe('Function: renderDoctorAlert', () => {
  it('names the new problem in the subject and shows the change, then the whole check', () => {
    // Prepare
    const before = toFindingState(diagnose(inventory()).findings);
    const result = diagnose(
      inventory({
        associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
      }),
    );

    // Act
    const alert = renderDoctorAlert(result, doctorChanges(before, result.findings).changes);

    // Assess
    expect(alert.subject).toBe(`FSx doctor in ${REGION}: 1 new problem: ${FS} association`);
    expect(alert.body).toContain(
      `WHAT CHANGED\n------------\n* ${FS} association: OK -> PROBLEM: `,
    );
    expect(alert.body).toContain('THE WHOLE CHECK');
    expect(alert.body).toContain('How to fix:');
    expect(alert.attributes).toEqual({
      summary: 'doctor',
      fileSystemId: FS,
      fileSystemIds: [FS],
      needsPerson: 'true',
      dryRun: 'false',
    });
  });

  it('says when everything is fixed', () => {
    // Prepare
    const before = toFindingState(
      diagnose(
        inventory({
          associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
        }),
      ).findings,
    );
    const result = diagnose(inventory());

    // Act
    const alert = renderDoctorAlert(result, doctorChanges(before, result.findings).changes);

    // Assess
    expect(alert.subject).toBe(`FSx doctor in ${REGION}: fixed, export failures are watched again`);
    expect(alert.attributes['needsPerson']).toBe('false');
  });

  it('does not say all is fixed while another problem remains', () => {
    // Prepare
    const off = fileSystem({ logging: undefined });
    const before = toFindingState(
      diagnose(
        inventory({
          fileSystem: off,
          associations: { ok: true, value: [association({ lifecycle: 'MISCONFIGURED' })] },
        }),
      ).findings,
    );
    const result = diagnose(inventory({ fileSystem: off }));

    // Act
    const alert = renderDoctorAlert(result, doctorChanges(before, result.findings).changes);

    // Assess
    expect(alert.subject).toBe(`FSx doctor in ${REGION}: 1 fixed, 1 still to fix`);
    expect(alert.body).toContain('others remain');
    expect(alert.attributes['needsPerson']).toBe('false');
  });

  it.each([
    ['UNKNOWN', 'associations', 'UNKNOWN -> checked again'],
    ['PROBLEM', 'association', 'PROBLEM -> gone (deleted?)'],
  ] as const)('words a %s finding that went away', (before, check, words) => {
    // Prepare
    const change = {
      key: `${FS}|${check}|x`,
      fileSystemId: FS,
      check,
      before,
      after: undefined,
      detail: undefined,
    };

    // Act
    const alert = renderDoctorAlert(diagnose(inventory()), [change]);

    // Assess
    expect(alert.body).toContain(`* ${FS} ${check}: ${words}\n`);
  });

  it('keeps the subject short, ASCII and on one line, and the body free of raw control text', () => {
    // Prepare
    const hostile = `fs-0123456789abcdef0${HOSTILE}`;
    const changes = Array.from({ length: 30 }, (_, index) => ({
      key: `k${index}`,
      fileSystemId: hostile,
      check: 'logging' as const,
      before: 'OK' as const,
      after: 'PROBLEM' as const,
      detail: HOSTILE,
    }));

    // Act
    const alert = renderDoctorAlert(diagnose(inventory()), changes);

    // Assess
    expect(alert.subject.length).toBeLessThan(100);
    expect(alert.subject).toMatch(/^[\x20-\x7e]+$/);
    expect(alert.body).not.toMatch(UNSAFE);
  });
});

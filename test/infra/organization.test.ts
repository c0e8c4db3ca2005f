import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORGANIZATION_CALLS } from './calls.ts';
import {
  actionsOf,
  allStatements,
  osls,
  type Resource,
  ROOT,
  type Run,
  readTemplate,
  resource,
  resourceSpecs,
  type Statement,
  specProblems,
  type Template,
} from './osls.ts';

// Organization mode's templates: the central resources serverless.yml adds with
// organization=true (infra/organization.yml), and the member template for StackSets
// (infra/member-account.yml). Packaged offline with osls, like test/infra/stack.test.ts.

const ORG = 'o-a1b2c3d4e5';
const MEMBERS = ['222233334444', '333344445555'];
const ESM_ARGS = [
  '--param=kinesisBatchSize=500',
  '--param=kinesisParallelization=4',
  '--param=kinesisMaxRetries=5',
  '--param=kinesisBisectOnError=true',
];
const require = createRequire(import.meta.url);
// osls's own YAML reader, with the CloudFormation tags (!Ref, !Sub, !GetAtt, ...).
const parseYaml = require('osls/lib/utils/fs/parse.js') as (file: string, text: string) => unknown;

let workDir: string;
let defaults: Template;
let byOrganization: Template;
let byAccounts: Template;
let refused: Run;
let member: Template & { Parameters: Record<string, unknown> };

/** The template without the artifact keys, which carry the packaging time. */
function timeless(text: string): string {
  return text.replace(/"S3Key": "[^"]*"/g, '"S3Key": "…"');
}

/**
 * `osls package` in a copy of the service (serverless.yml, infra/, the bundles, node_modules
 * linked): osls empties the service's .serverless/ first, and test/infra/stack.test.ts packages
 * the repository itself at the same time.
 */
async function packageCopy(directory: string, args: readonly string[] = []): Promise<Run> {
  return osls(['package', '--package', directory, ...args], service);
}

let service: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fsx-export-analyzer-org-'));
  service = join(workDir, 'service');
  await mkdir(service);
  // lib/common/env-rules.json: the parameters' rules, which infra/params.cjs reads.
  for (const part of [
    'serverless.yml',
    'package.json',
    'infra',
    'dist',
    'lib/common/env-rules.json',
  ]) {
    await cp(join(ROOT, part), join(service, part), { recursive: true });
  }
  await symlink(join(ROOT, 'node_modules'), join(service, 'node_modules'), 'dir');
  // One package at a time: each empties the copy's .serverless/ first.
  const packageInto = packageCopy;
  const runs: Run[] = [];
  runs.push(await packageInto(join(workDir, 'default')));
  runs.push(await packageInto(join(workDir, 'off'), ['--param=organization=false']));
  runs.push(
    await packageInto(join(workDir, 'org'), [
      '--param=organization=true',
      `--param=organizationId=${ORG}`,
      '--param=accountNames=222233334444=prod-hpc',
      ...ESM_ARGS,
    ]),
  );
  runs.push(
    await packageInto(join(workDir, 'accounts'), [
      '--param=organization=true',
      `--param=organizationAccounts=${MEMBERS.join(',')}`,
      '--param=kinesisStreamMode=PROVISIONED',
      '--param=kinesisShards=4',
    ]),
  );
  refused = await packageCopy(join(workDir, 'refused'), ['--param=organization=true']);
  for (const run of runs) expect(run.output).toContain('Service packaged');
  defaults = await readTemplate(join(workDir, 'default'));
  byOrganization = await readTemplate(join(workDir, 'org'));
  byAccounts = await readTemplate(join(workDir, 'accounts'));
  const path = join(ROOT, 'infra/member-account.yml');
  member = parseYaml(path, readFileSync(path, 'utf8')) as typeof member;
}, 600_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function properties(template: Template, logicalId: string): Record<string, unknown> {
  return resource(template, logicalId).Properties ?? {};
}

function destinationPolicy(template: Template): { Statement: Statement[] } {
  const policy = properties(template, 'OrganizationLogDestination')['DestinationPolicy'] as {
    'Fn::Sub': string;
  };
  return JSON.parse(policy['Fn::Sub']) as { Statement: Statement[] };
}

function statementsOf(value: unknown): Statement[] {
  return allStatements(value);
}

describe('Organization mode off (the default)', () => {
  it('packages the single-account template byte for byte', async () => {
    // Act
    const off = await readFile(
      join(workDir, 'off/cloudformation-template-update-stack.json'),
      'utf8',
    );
    const plain = await readFile(
      join(workDir, 'default/cloudformation-template-update-stack.json'),
      'utf8',
    );

    // Assess
    expect(timeless(off)).toBe(timeless(plain));
    expect(Object.keys(defaults.Resources).filter((id) => id.startsWith('Organization'))).toEqual(
      [],
    );
    expect(JSON.stringify(defaults)).not.toContain('ORGANIZATION_');
    expect(JSON.stringify(defaults)).not.toContain('AWS::Kinesis');
  });
});

describe('Organization mode: the central stack', () => {
  it('matches the CloudFormation resource specification', () => {
    // Prepare
    const specs = resourceSpecs();

    // Act
    const problems = [...specProblems(byOrganization, specs), ...specProblems(byAccounts, specs)];

    // Assess
    expect(problems).toEqual([]);
  });

  it('keeps an on-demand stream by default, and a provisioned one when asked', () => {
    // Act
    const onDemand = properties(byOrganization, 'OrganizationLogStream');
    const provisioned = properties(byAccounts, 'OrganizationLogStream');

    // Assess
    expect(onDemand['StreamModeDetails']).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(onDemand['ShardCount']).toEqual({ Ref: 'AWS::NoValue' });
    expect(provisioned['StreamModeDetails']).toEqual({ StreamMode: 'PROVISIONED' });
    expect(provisioned['ShardCount']).toBe(4);
    expect(onDemand['StreamEncryption']).toEqual({
      EncryptionType: 'KMS',
      KeyId: 'alias/aws/kinesis',
    });
  });

  it("admits only the organization's principals, or the listed accounts, to subscribe", () => {
    // Act
    const [org] = destinationPolicy(byOrganization).Statement;
    const [accounts] = destinationPolicy(byAccounts).Statement;

    // Assess
    expect(org).toEqual({
      Sid: 'MembersSubscribe',
      Effect: 'Allow',
      Principal: '*',
      Action: 'logs:PutSubscriptionFilter',
      Resource: `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:destination:fsx-export-analyzer-dev-fsx-logs`,
      Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } },
    });
    expect(accounts?.Principal).toEqual({ AWS: MEMBERS });
    expect(accounts?.Condition).toBeUndefined();
    expect(properties(byOrganization, 'OrganizationLogDestination')).toMatchObject({
      RoleArn: { 'Fn::GetAtt': ['OrganizationLogsToKinesisRole', 'Arn'] },
      TargetArn: { 'Fn::GetAtt': ['OrganizationLogStream', 'Arn'] },
    });
  });

  it('lets CloudWatch Logs only put records into the stream, for the senders only', () => {
    // Prepare
    const role = properties(byOrganization, 'OrganizationLogsToKinesisRole');
    const accountsRole = properties(byAccounts, 'OrganizationLogsToKinesisRole');

    // Act
    const [trust] = statementsOf(role['AssumeRolePolicyDocument']);
    const [accountsTrust] = statementsOf(accountsRole['AssumeRolePolicyDocument']);
    const grants = statementsOf(role['Policies']);

    // Assess
    expect(trust).toMatchObject({
      Principal: { Service: 'logs.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceOrgID': ORG } },
    });
    expect(JSON.stringify(accountsTrust?.Condition)).toContain(':222233334444:*');
    expect(grants).toEqual([
      {
        Sid: 'PutLogRecords',
        Effect: 'Allow',
        Action: 'kinesis:PutRecord',
        Resource: { 'Fn::GetAtt': ['OrganizationLogStream', 'Arn'] },
      },
    ]);
  });

  it('maps the stream to the analyzer with partial batch responses and the given settings', () => {
    // Act
    const mapping = properties(byOrganization, 'OrganizationAnalyzerEventSource');
    const fallback = properties(byAccounts, 'OrganizationAnalyzerEventSource');

    // Assess
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['OrganizationLogStream', 'Arn'] },
      FunctionName: { Ref: 'AnalyzerLambdaFunction' },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      ParallelizationFactor: 4,
      MaximumRetryAttempts: 5,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': ['AnalyzerFailureQueue', 'Arn'] } },
      },
    });
    expect(fallback).toMatchObject({
      BatchSize: 100,
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 3,
    });
  });

  it('lets the analyzer read the stream and assume only the member role, within the organization', () => {
    // Act
    const statements = [
      ...statementsOf(properties(byOrganization, 'OrganizationAnalyzerStreamPolicy')),
      ...statementsOf(properties(byOrganization, 'OrganizationAssumeMemberRolesPolicy')),
    ];
    const accounts = statementsOf(properties(byAccounts, 'OrganizationAssumeMemberRolesPolicy'));
    const assumers = properties(byOrganization, 'OrganizationAssumeMemberRolesPolicy')['Roles'];
    const needing = Object.keys(ORGANIZATION_CALLS).map(
      (name) => `${name[0]?.toUpperCase()}${name.slice(1)}Role`,
    );

    // Assess
    expect(statements.find((s) => s.Sid === 'ReadLogStream')?.Resource).toEqual({
      'Fn::GetAtt': ['OrganizationLogStream', 'Arn'],
    });
    expect(statements.find((s) => s.Sid === 'AssumeMemberRoles')).toEqual({
      Sid: 'AssumeMemberRoles',
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::*:role/fsx-export-analyzer-member` },
      Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } },
    });
    expect(assumers).toEqual(needing.map((role) => ({ Ref: role })));
    expect(properties(byOrganization, 'OrganizationAnalyzerStreamPolicy')['Roles']).toEqual([
      { Ref: 'AnalyzerRole' },
    ]);
    expect(accounts.find((s) => s.Sid === 'AssumeMemberRoles')?.Resource).toEqual(
      MEMBERS.map((account) => ({
        'Fn::Sub': `arn:\${AWS::Partition}:iam::${account}:role/fsx-export-analyzer-member`,
      })),
    );
  });

  it.each(['AnalyzerLambdaFunction', 'RetrierLambdaFunction'])(
    'tells %s its home account, the member role and the account names',
    (logicalId) => {
      // Act
      const environment = (
        properties(byOrganization, logicalId)['Environment'] as {
          Variables: Record<string, unknown>;
        }
      ).Variables;

      // Assess
      expect(environment).toMatchObject({
        ORGANIZATION_ACCOUNT_ID: { Ref: 'AWS::AccountId' },
        ORGANIZATION_PARTITION: { Ref: 'AWS::Partition' },
        ORGANIZATION_MEMBER_ROLE: 'fsx-export-analyzer-member',
        ORGANIZATION_ACCOUNT_NAMES: '222233334444=prod-hpc',
        LEDGER_TABLE: { Ref: 'LedgerTable' },
        SUMMARY_TOPIC_ARN: { Ref: 'SummaryTopic' },
      });
    },
  );

  it('grants no wildcard action in what organization mode adds', () => {
    // Prepare
    const added = [byOrganization, byAccounts].flatMap((template) =>
      Object.entries(template.Resources)
        .filter(([logicalId]) => logicalId.startsWith('Organization'))
        .map(([, added]) => added),
    );

    // Act
    const statements = allStatements(added);

    // Assess
    expect(statements.length).toBeGreaterThanOrEqual(8);
    expect(statements.flatMap(actionsOf).filter((action) => action.includes('*'))).toEqual([]);
    expect(statements.filter((statement) => statement.Effect !== 'Allow')).toEqual([]);
  });

  it('refuses to package without the organization id or the account list', () => {
    // Assess
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(
      'exactly one of the parameters organizationId and organizationAccounts',
    );
  });
});

describe('Organization mode: the member template (StackSets)', () => {
  it('validates against the CloudFormation specification', () => {
    // Prepare
    const specs = resourceSpecs();
    const withParameters: Template = {
      // Refs to parameters are valid Refs: listed as resources of a known type for the check.
      Resources: {
        ...member.Resources,
        ...Object.fromEntries(
          Object.keys(member.Parameters).map((name) => [
            name,
            { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'x' } } as Resource,
          ]),
        ),
      },
    };

    // Act
    const problems = specProblems(withParameters, specs);

    // Assess
    expect(problems).toEqual([]);
    expect(Object.keys(member.Resources).sort()).toEqual([
      'FsxLogSubscription',
      'MemberRole',
      'SecondFsxLogSubscription',
    ]);
  });

  it('subscribes the FSx log group to the central destination with the empty pattern', () => {
    // Act
    const filter = member.Resources['FsxLogSubscription']?.Properties;

    // Assess
    expect(filter).toEqual({
      FilterName: 'fsx-export-analyzer',
      LogGroupName: { Ref: 'LogGroupName' },
      FilterPattern: '',
      DestinationArn: { Ref: 'DestinationArn' },
    });
  });

  it("is assumable only by the central account's function roles within the organization", () => {
    // Act
    const [trust, ...others] = statementsOf(
      member.Resources['MemberRole']?.Properties?.['AssumeRolePolicyDocument'],
    );

    // Assess
    expect(others).toEqual([]);
    expect(trust).toEqual({
      Sid: 'CentralFunctions',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${CentralAccountId}:root` } },
      Action: 'sts:AssumeRole',
      Condition: {
        ArnEquals: { 'aws:PrincipalArn': { Ref: 'CentralRoleArns' } },
        StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } },
      },
    });
  });

  it("grants the single-account stack's FSx actions and nothing wider", () => {
    // Prepare
    const central = new Set(
      allStatements(defaults)
        .flatMap(actionsOf)
        .filter((action) => action.startsWith('fsx:')),
    );

    // Act
    const statements = statementsOf(member.Resources['MemberRole']?.Properties?.['Policies']);
    const actions = statements.flatMap(actionsOf);

    // Assess
    expect(new Set(actions.filter((action) => action.startsWith('fsx:')))).toEqual(central);
    expect(actions.filter((action) => !action.startsWith('fsx:'))).toEqual([
      'logs:DescribeSubscriptionFilters',
    ]);
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    const starResources = statements.filter((s) => s.Resource === '*').flatMap(actionsOf);
    expect(starResources.every((action) => action.startsWith('fsx:Describe'))).toBe(true);
  });
});

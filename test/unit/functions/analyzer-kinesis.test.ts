import {
  CreateDataRepositoryTaskCommand,
  DescribeDataRepositoryAssociationsCommand,
  FSxClient,
} from '@aws-sdk/client-fsx';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaEvent, payload, transient } from '../../helpers/events.ts';
import { taskId } from '../../helpers/fixtures.ts';
import { kinesisEvent, kinesisRecord } from '../../helpers/kinesis.ts';
import {
  CONTEXT,
  coldStartWith,
  flat,
  resetHandlerTest,
  TOPIC,
  taskCreated,
  WIRE_DRA,
} from '../../helpers/lambda.ts';

const fsxMock = mockClient(FSxClient);
const snsMock = mockClient(SNSClient);
const sqsMock = mockClient(SQSClient);
const stsMock = mockClient(STSClient);

const HOME = '123456789012';
const MEMBER = '222233334444';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/fsx-export-analyzer-deferral';
const ORGANIZATION = {
  ORGANIZATION_ACCOUNT_ID: HOME,
  ORGANIZATION_MEMBER_ROLE: 'fsx-export-analyzer-member',
  ORGANIZATION_ACCOUNT_NAMES: `${MEMBER}=prod-hpc`,
};

function coldStart(env: Record<string, string> = {}) {
  return coldStartWith(
    { REPORT_PATH: '', BUSY_DELAY_SECONDS: '', ASSOCIATION_CACHE_SECONDS: '', ...env },
    async () => (await import('../../../functions/analyzer.ts')).handler,
  );
}

const tokens = () =>
  fsxMock
    .commandCalls(CreateDataRepositoryTaskCommand)
    .map((c) => c.args[0].input.ClientRequestToken);
const emails = () => snsMock.commandCalls(PublishCommand).map((c) => flat(c.args[0].input.Message));

describe('Function: handler (Kinesis event source)', () => {
  beforeEach(() => {
    for (const mock of [fsxMock, snsMock, sqsMock, stsMock]) mock.reset();
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    fsxMock.on(DescribeDataRepositoryAssociationsCommand).resolves({ Associations: [WIRE_DRA] });
    let taskNumber = 0;
    fsxMock.on(CreateDataRepositoryTaskCommand).callsFake(() => taskCreated(taskId(++taskNumber)));
    snsMock.on(PublishCommand).resolves({ MessageId: 'msg-0001' });
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
      Failed: [],
    }));
    stsMock.on(AssumeRoleCommand).resolves({
      Credentials: {
        AccessKeyId: 'ASIAMEMBER',
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + 3_600_000),
      },
    });
  });

  afterEach(resetHandlerTest);

  it('analyses each record as one batch, with the same task token a subscription would send', async () => {
    // Prepare
    const handler = await coldStart();
    const home = payload([transient('/ns1/a')]);
    const other = payload([transient('/ns1/b')], { owner: MEMBER });

    // Act
    const response = await handler(kinesisEvent([home, other]), CONTEXT);
    const kinesisTokens = tokens();
    fsxMock.resetHistory();
    await (await coldStart())(lambdaEvent(home), CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(kinesisTokens).toHaveLength(2);
    expect(kinesisTokens[0]).toBe(tokens()[0]);
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 0);
    expect(emails()).toHaveLength(3);
  });

  it('calls FSx in a member account through its role, with a token that carries the account', async () => {
    // Prepare
    const handler = await coldStart(ORGANIZATION);
    const home = payload([transient('/ns1/a')], { owner: HOME });
    const member = payload([transient('/ns1/a')], { owner: MEMBER });

    // Act
    const response = await handler(kinesisEvent([home, member, member]), CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(stsMock).toHaveReceivedCommandTimes(AssumeRoleCommand, 1);
    expect(stsMock).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: `arn:aws:iam::${MEMBER}:role/fsx-export-analyzer-member`,
    });
    const [homeToken, memberToken, again] = tokens();
    expect(memberToken).not.toBe(homeToken);
    expect(again).toBe(memberToken);
    expect(emails()[1]).toContain(`Account: ${MEMBER} (prod-hpc)`);
    expect(emails()[1]).toContain(`Token: ${memberToken}`);
  });

  it('answers a record it cannot decode as a batch item failure and analyses the others', async () => {
    // Prepare
    const handler = await coldStart();
    const event = kinesisEvent([payload([transient('/ns1/a')]), payload([transient('/ns1/b')])]);
    const bad = {
      ...kinesisRecord('x', 9),
      kinesis: { ...kinesisRecord('x', 9).kinesis, data: 'bm90IGd6aXA=' },
    };
    event.Records.splice(1, 0, bad);

    // Act
    const response = await handler(event, CONTEXT);

    // Assess
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: bad.kinesis.sequenceNumber }],
    });
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 2);
  });

  it('queues the work of a member whose role cannot be assumed and names it in the email', async () => {
    // Prepare
    stsMock.on(AssumeRoleCommand).rejects(
      Object.assign(new Error('not authorized to perform sts:AssumeRole'), {
        name: 'AccessDenied',
      }),
    );
    const handler = await coldStart({ ...ORGANIZATION, DEFERRAL_QUEUE_URL: QUEUE });
    const member = payload([transient('/ns1/a')], { owner: MEMBER });

    // Act
    const response = await handler(kinesisEvent([member]), CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(fsxMock).toHaveReceivedCommandTimes(CreateDataRepositoryTaskCommand, 0);
    const body = JSON.parse(
      sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0]?.MessageBody ??
        '{}',
    );
    expect(body).toMatchObject({ account: MEMBER, paths: ['ns1/a'] });
    const email = emails()[0] ?? '';
    expect(email).toContain(`account ${MEMBER} (prod-hpc)`);
    expect(email).toContain('infra/member-account.yml');
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC });
  });
});

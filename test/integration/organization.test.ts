import type {
  Context,
  KinesisStreamBatchResponse,
  KinesisStreamEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OutcomeResult } from '../../functions/outcomes.ts';
import { payload, transient } from '../helpers/events.ts';
import { kinesisEvent } from '../helpers/kinesis.ts';
import { CONTEXT, coldStartWith, flat } from '../helpers/lambda.ts';
import { durableStackEnv, type LocalStack, startLocalStack } from '../helpers/local-stack.ts';
import { accountOfAccessKey, type StsServer, startStsServer } from '../servers/sts-server.ts';

/*
 * Organization mode end to end with the real SDK clients over HTTP: the analyzer takes Kinesis
 * batches as the event source mapping delivers them from the central Logs destination, assumes
 * the member accounts' roles on the STS test server, and calls the FSx test server with their
 * credentials (the access key names the account: test/servers/sts-server.ts). DynamoDB
 * (dynalite), SQS and SNS as in the durable re-export test.
 */

const HOME = '111122223333';
const MEMBER = '222233334444';
const FS_HOME = 'fs-0aaaaaaaaaaaaaaa1';
const FS_MEMBER = 'fs-0bbbbbbbbbbbbbbb2';

type Handlers = {
  analyzer: (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;
  retrier: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  outcomes: (event: unknown, context: Context) => Promise<OutcomeResult>;
};

describe('Integration: organization mode', () => {
  let stack: LocalStack;
  let sts: StsServer;
  let queueClock: number;
  let handlers: Handlers;

  async function coldStart(): Promise<Handlers> {
    const settings = durableStackEnv(stack, {
      AWS_ENDPOINT_URL_STS: sts.endpoint,
      ORGANIZATION_ACCOUNT_ID: HOME,
      ORGANIZATION_MEMBER_ROLE: 'fsx-export-analyzer-member',
      ORGANIZATION_ACCOUNT_NAMES: `${MEMBER}=prod-hpc`,
    });
    return coldStartWith(settings, async () => ({
      analyzer: (await import('../../functions/analyzer.ts')).handler,
      retrier: (await import('../../functions/retrier.ts')).handler,
      outcomes: (await import('../../functions/outcomes.ts')).handler,
    }));
  }

  /** The CreateDataRepositoryTask calls, with the account whose credentials signed each. */
  function created() {
    return stack.fsx.calls
      .filter((call) => call.operation === 'CreateDataRepositoryTask')
      .map((call) => {
        const auth = String(call.headers['authorization'] ?? '');
        const key = /Credential=([^/]+)\//.exec(auth)?.[1] ?? '';
        const input = call.input as { FileSystemId: string; ClientRequestToken: string };
        return {
          fileSystemId: input.FileSystemId,
          account: accountOfAccessKey(key) ?? 'home',
          token: input.ClientRequestToken,
        };
      });
  }

  const emails = () => stack.sns.published.map((message) => flat(message.message));
  const queued = () => stack.sqs.messages().map((message) => JSON.parse(message.body));

  /** Lambda's SQS event source: one batch of due messages, settled by the retrier's answer. */
  async function runRetrier(): Promise<string[]> {
    const records = stack.sqs.receive(10, queueClock);
    const response = await handlers.retrier({ Records: records }, CONTEXT);
    stack.sqs.settle(records, response);
    return response.batchItemFailures.map((item) => item.itemIdentifier);
  }

  const homeBatch = () =>
    payload([transient('/ns1/home/a.bin')], { owner: HOME, logStream: `datarepo_${FS_HOME}` });
  const memberBatch = () =>
    payload([transient('/ns1/member/b.bin'), transient('/ns1/member/c.bin')], {
      owner: MEMBER,
      logStream: `datarepo_${FS_MEMBER}`,
    });

  beforeEach(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    queueClock = Date.now();
    stack = await startLocalStack({
      fileSystems: [FS_HOME, FS_MEMBER],
      maxReceiveCount: 5,
      region: 'eu-west-1',
      queueClock: () => queueClock,
    });
    sts = await startStsServer();
    handlers = await coldStart();
  });

  afterEach(async () => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    await sts.stop();
    await stack.stop();
  });

  it('analyses a Kinesis batch from two accounts, each in its own account', async () => {
    // Act
    const response = await handlers.analyzer(kinesisEvent([homeBatch(), memberBatch()]), CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(created().map(({ fileSystemId, account }) => ({ fileSystemId, account }))).toEqual([
      { fileSystemId: FS_HOME, account: 'home' },
      { fileSystemId: FS_MEMBER, account: MEMBER },
    ]);
    expect(sts.calls.map((call) => call.params['RoleArn'])).toEqual([
      `arn:aws:iam::${MEMBER}:role/fsx-export-analyzer-member`,
    ]);
    const [home, member] = emails();
    expect(home).toContain(`Account: ${HOME}`);
    expect(member).toContain(`Account: ${MEMBER} (prod-hpc)`);
    expect(member).toContain(`Token: ${created()[1]?.token}`);
  });

  it("reports how each account's task ended, looked up in its own account", async () => {
    // Prepare
    await handlers.analyzer(kinesisEvent([homeBatch(), memberBatch()]), CONTEXT);
    for (const task of stack.fsx.tasks()) stack.fsx.setLifecycle(task.TaskId, 'SUCCEEDED');
    const before = stack.fsx.calls.length;

    // Act
    const result = await handlers.outcomes({}, CONTEXT);

    // Assess
    expect(result).toMatchObject({ finished: 2, stillOpen: 0 });
    const lookups = stack.fsx.calls
      .slice(before)
      .filter((call) => call.operation === 'DescribeDataRepositoryTasks');
    const keys = lookups.map(
      (call) => /Credential=([^/]+)\//.exec(String(call.headers['authorization']))?.[1] ?? '',
    );
    expect(keys.map((key) => accountOfAccessKey(key) ?? 'home').sort()).toEqual([MEMBER, 'home']);
  });

  it("queues an unassumable member's work, names it in the email, and starts it once the role works", async () => {
    // Prepare
    sts.denied.add(MEMBER);

    // Act
    const response = await handlers.analyzer(kinesisEvent([memberBatch(), homeBatch()]), CONTEXT);
    const waiting = queued();
    const email = emails()[0] ?? '';
    queueClock += 301_000;
    const stillDenied = await runRetrier();
    sts.denied.delete(MEMBER);
    queueClock += 301_000;
    handlers = await coldStart();
    const fixed = await runRetrier();
    const retrierEmails = emails().slice(1).join('\n');

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toMatchObject({ account: MEMBER, fileSystemId: FS_MEMBER });
    expect(email).toContain(`account ${MEMBER} (prod-hpc)`);
    expect(email).toContain('infra/member-account.yml');
    expect(stillDenied).toHaveLength(1);
    expect(fixed).toEqual([]);
    expect(retrierEmails).toContain(`on ${FS_MEMBER} (account ${MEMBER}):`);
    expect(queued()).toEqual([]);
    expect(created().map(({ fileSystemId, account }) => ({ fileSystemId, account }))).toEqual([
      { fileSystemId: FS_HOME, account: 'home' },
      { fileSystemId: FS_MEMBER, account: MEMBER },
    ]);
  });

  it('starts no second task and sends no second email when Kinesis delivers a batch again', async () => {
    // Prepare
    const event = kinesisEvent([memberBatch()]);

    // Act
    const first = await handlers.analyzer(event, CONTEXT);
    const again = await handlers.analyzer(event, CONTEXT);
    handlers = await coldStart();
    const afterColdStart = await handlers.analyzer(event, CONTEXT);

    // Assess
    expect([first, again, afterColdStart]).toEqual([
      { batchItemFailures: [] },
      { batchItemFailures: [] },
      { batchItemFailures: [] },
    ]);
    expect(created()).toHaveLength(1);
    expect(stack.sns.published).toHaveLength(1);
  });
});

import { type CloudWatchServer, startCloudWatchServer } from '../servers/cloudwatch-server.ts';
import { type FaultProxy, startDynamoProxy } from '../servers/dynamo-proxy.ts';
import { type FsxServer, startFsxServer } from '../servers/fsx-server.ts';
import { type S3Server, startS3Server } from '../servers/s3-server.ts';
import { type SnsServer, startSnsServer } from '../servers/sns-server.ts';
import { type SqsServer, startSqsServer } from '../servers/sqs-server.ts';
import { type LocalDynamo, startDynalite } from './dynalite.ts';
import { CREDENTIALS } from './fixtures.ts';

/*
 * The local AWS the three functions run against end to end (the fault-injection and durable
 * re-export integration tests, and `npm run load`): dynalite behind the fault proxy (which also
 * keeps the DynamoDB call log), and the FSx, SQS, SNS and CloudWatch test servers.
 */

interface LocalStack {
  readonly dynamo: LocalDynamo;
  readonly dynamoProxy: FaultProxy;
  readonly fsx: FsxServer;
  readonly sqs: SqsServer;
  readonly sns: SnsServer;
  /** Holds the completion reports the outcome check reads back. */
  readonly s3: S3Server;
  /** The export backlog the summaries show (GetMetricData). */
  readonly cloudwatch: CloudWatchServer;
  /** Stops every server, dynalite last (after the proxy in front of it). */
  stop(): Promise<void>;
}

interface LocalStackOptions {
  /** File systems to create, each with `/ns1` linked to `s3://ml-archive/datasets/`. */
  readonly fileSystems: readonly string[];
  /** The deferral queue's redrive policy. */
  readonly maxReceiveCount: number;
  /** The Region of the FSx and SQS servers (ARNs, queue URL); us-east-1 unless set. */
  readonly region?: string;
  readonly fsxClock?: () => number;
  readonly queueClock?: () => number;
  /** The only topic SNS accepts; any unless set. */
  readonly topicArn?: string;
}

/** Starts dynalite, its proxy and the FSx, SQS, SNS and S3 servers (S3 with the bucket ml-archive). */
async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dynamo = await startDynalite();
  const dynamoProxy = await startDynamoProxy(dynamo.endpoint);
  const fsx = await startFsxServer({ region: options.region, now: options.fsxClock });
  for (const fileSystemId of options.fileSystems) {
    fsx.addFileSystem(fileSystemId, [
      { fileSystemPath: '/ns1', dataRepositoryPath: 's3://ml-archive/datasets/' },
    ]);
  }
  const sqs = await startSqsServer({
    maxReceiveCount: options.maxReceiveCount,
    region: options.region,
    now: options.queueClock,
  });
  const sns = await startSnsServer({ topicArn: options.topicArn });
  const s3 = await startS3Server();
  s3.createBucket('ml-archive');
  const cloudwatch = await startCloudWatchServer();
  return {
    dynamo,
    dynamoProxy,
    fsx,
    sqs,
    sns,
    s3,
    cloudwatch,
    async stop() {
      await Promise.all([
        fsx.stop(),
        sqs.stop(),
        sns.stop(),
        s3.stop(),
        cloudwatch.stop(),
        dynamoProxy.stop(),
      ]);
      await dynamo.stop();
    },
  };
}

/**
 * The environment that points the functions' SDK clients at `stack` with fake credentials: the
 * endpoints, the deferral queue and the ledger table.
 */
function localStackEnv(stack: LocalStack): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_FSX: stack.fsx.endpoint,
    AWS_ENDPOINT_URL_SQS: stack.sqs.endpoint,
    AWS_ENDPOINT_URL_SNS: stack.sns.endpoint,
    AWS_ENDPOINT_URL_S3: stack.s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoProxy.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: stack.cloudwatch.endpoint,
    DEFERRAL_QUEUE_URL: stack.sqs.queueUrl,
    LEDGER_TABLE: stack.dynamo.tableName,
  };
}

/**
 * The environment of the analyzer, retrier and outcome check on the local stack with durable
 * re-export on (a live run: deferral queue and ledger, no completion reports), `overrides` on top.
 * Blank values unset what a developer's shell may have set.
 */
function durableStackEnv(
  stack: LocalStack,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    ...localStackEnv(stack),
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_LAMBDA_FUNCTION_NAME: 'fsx-export-analyzer-test-analyzer',
    DRY_RUN: 'false',
    REPORT_PATH: '',
    MAX_PATHS_PER_TASK: '',
    ASSOCIATION_CACHE_SECONDS: '',
    MAX_DECOMPRESSED_BYTES: '',
    BUSY_DELAY_SECONDS: '600',
    RETRY_LATER_SECONDS: '300',
    MAX_ATTEMPTS: '3',
    ATTEMPT_WINDOW_HOURS: '24',
    COALESCE_WINDOW_SECONDS: '300',
    MAX_RECEIVES: '5',
    ...overrides,
  };
}

export type { LocalStack };
export { durableStackEnv, localStackEnv, startLocalStack };

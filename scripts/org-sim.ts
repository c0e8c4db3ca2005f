/*
 * Organization mode at scale (docs/organization.md, Sizing): 50 accounts x 20 file systems feed
 * one Kinesis stream; the real analyzer handler takes the stream's batches as the event source
 * mapping would deliver one shard's (one invocation at a time, parallelization factor 1), with the
 * real SDK clients against the local servers (FSx, STS, SQS, SNS, DynamoDB: dynalite). It prints
 * the API calls per operation, per record and per event, and the events per second one shard's
 * consumer sustained here. Local servers answer in well under a millisecond, so the figure is
 * the analyzer's own ceiling; the docs turn the call counts and AWS's latencies into the sizing.
 *
 *   npm run org-sim                       # 50 x 20, 2 rounds, 100 records per Kinesis batch
 *   ORG_SIM_ACCOUNTS=5 ORG_SIM_ROUNDS=1 npm run org-sim
 */
import { gzipSync } from 'node:zlib';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { localStackEnv, startLocalStack } from '../test/helpers/local-stack.ts';
import { startStsServer } from '../test/servers/sts-server.ts';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:fsx-export-analyzer-sim';
const HOME = '111122223333';

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number >= 1`);
  return value;
}

const ACCOUNTS = setting('ORG_SIM_ACCOUNTS', 50);
const FILE_SYSTEMS = setting('ORG_SIM_FILE_SYSTEMS', 20);
const ROUNDS = setting('ORG_SIM_ROUNDS', 2);
const EVENTS_PER_RECORD = setting('ORG_SIM_EVENTS', 20);
const BATCH_SIZE = setting('ORG_SIM_BATCH_SIZE', 100);

const accountOf = (index: number) => String(222_200_000_000 + index);
const fileSystemOf = (account: number, fs: number) =>
  `fs-0${account.toString(16).padStart(8, '0')}${fs.toString(16).padStart(8, '0')}`;

/** One subscription payload of one file system: transient, busy and permission failures. */
function record(account: number, fs: number, round: number): string {
  const events = Array.from({ length: EVENTS_PER_RECORD }, (_, index) => {
    const path = `/ns1/round${round}/dir${index % 5}/file-${index}.bin`;
    const kind = index % 10;
    const message =
      kind < 6
        ? JSON.stringify({ errorCode: 'InternalAutoExportError', filePath: path })
        : kind < 8
          ? `Failed to export file because it is being used by another process. path=${path}`
          : JSON.stringify({ errorCode: 'S3ExportAccessDenied', filePath: path });
    return {
      id: `${round}${String(account * 1000 + fs).padStart(8, '0')}${String(index).padStart(46, '0')}`,
      timestamp: 1_764_072_000_000 + round * 60_000 + index,
      message,
    };
  });
  const payload = {
    messageType: 'DATA_MESSAGE',
    owner: accountOf(account),
    logGroup: '/aws/fsx/lustre',
    logStream: `datarepo_${fileSystemOf(account, fs)}`,
    subscriptionFilters: ['fsx-export-analyzer'],
    logEvents: events,
  };
  return gzipSync(JSON.stringify(payload)).toString('base64');
}

function kinesisBatches(): KinesisStreamEvent[] {
  const records: KinesisStreamEvent['Records'] = [];
  let sequence = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let fs = 0; fs < FILE_SYSTEMS; fs++) {
      for (let account = 0; account < ACCOUNTS; account++) {
        sequence++;
        records.push({
          kinesis: {
            kinesisSchemaVersion: '1.0',
            partitionKey: `${accountOf(account)}-${fs}`,
            sequenceNumber: String(sequence).padStart(56, '0'),
            data: record(account, fs, round),
            approximateArrivalTimestamp: 1_764_072_000 + sequence,
          },
          eventSource: 'aws:kinesis',
          eventVersion: '1.0',
          eventID: `shardId-000000000000:${sequence}`,
          eventName: 'aws:kinesis:record',
          invokeIdentityArn: `arn:aws:iam::${HOME}:role/analyzer`,
          awsRegion: 'us-east-1',
          eventSourceARN: `arn:aws:kinesis:us-east-1:${HOME}:stream/fsx-logs`,
        });
      }
    }
  }
  const batches: KinesisStreamEvent[] = [];
  for (let start = 0; start < records.length; start += BATCH_SIZE) {
    batches.push({ Records: records.slice(start, start + BATCH_SIZE) });
  }
  return batches;
}

function context(index: number): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'fsx-export-analyzer-sim-analyzer',
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${HOME}:function:fsx-export-analyzer-sim-analyzer`,
    memoryLimitInMB: '512',
    awsRequestId: `sim-${index}-${Date.now()}`,
    logGroupName: '/aws/lambda/fsx-export-analyzer-sim-analyzer',
    logStreamName: `2026/12/07/[$LATEST]${index}`,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function countBy(operations: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const operation of operations) counts[operation] = (counts[operation] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

async function main(): Promise<void> {
  const fileSystems: string[] = [];
  for (let account = 0; account < ACCOUNTS; account++) {
    for (let fs = 0; fs < FILE_SYSTEMS; fs++) fileSystems.push(fileSystemOf(account, fs));
  }
  const stack = await startLocalStack({ fileSystems, maxReceiveCount: 5, topicArn: TOPIC });
  const sts = await startStsServer();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    ...localStackEnv(stack),
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: 'fsx-export-analyzer-sim-analyzer',
    SUMMARY_TOPIC_ARN: TOPIC,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    ORGANIZATION_ACCOUNT_ID: HOME,
    ORGANIZATION_MEMBER_ROLE: 'fsx-export-analyzer-member',
  });
  for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'DRY_RUN', 'REPORT_PATH']) {
    delete process.env[name];
  }
  try {
    const { handler } = await import('../functions/analyzer.ts');
    const batches = kinesisBatches();
    const records = batches.reduce((sum, batch) => sum + batch.Records.length, 0);
    const events = records * EVENTS_PER_RECORD;
    const start = performance.now();
    let failed = 0;
    for (const [index, batch] of batches.entries()) {
      // One shard: the mapping sends its next batch once the previous one is answered.
      const response = await handler(batch, context(index));
      failed += response.batchItemFailures.length;
    }
    const seconds = (performance.now() - start) / 1000;
    const calls = {
      fsx: countBy(stack.fsx.calls.map((call) => call.operation)),
      sts: countBy(sts.calls.map((call) => call.operation)),
      sqs: countBy(stack.sqs.calls.map((call) => call.operation)),
      sns: countBy(stack.sns.calls.map((call) => call.operation)),
      dynamodb: countBy(stack.dynamoProxy.calls.map((call) => call.operation)),
    };
    const total = Object.values(calls).reduce(
      (sum, service) => sum + Object.values(service).reduce((a, b) => a + b, 0),
      0,
    );
    console.log(
      `org-sim: ${ACCOUNTS} accounts x ${FILE_SYSTEMS} file systems, ${ROUNDS} round(s): ` +
        `${records} Kinesis records (${EVENTS_PER_RECORD} events each, ${events} events) in ${batches.length} batches of ${BATCH_SIZE}`,
    );
    console.log(`batch item failures: ${failed}`);
    for (const [service, operations] of Object.entries(calls)) {
      for (const [operation, count] of Object.entries(operations)) {
        console.log(
          `  ${service.padEnd(8)} ${operation.padEnd(34)} ${String(count).padStart(7)}  ${(count / records).toFixed(2)} per record`,
        );
      }
    }
    console.log(
      `API calls: ${total} (${(total / records).toFixed(2)} per record, ${(total / events).toFixed(3)} per event)`,
    );
    console.log(
      `one shard, one invocation at a time: ${seconds.toFixed(1)} s, ${(records / seconds).toFixed(0)} records/s, ${(events / seconds).toFixed(0)} events/s`,
    );
  } finally {
    await sts.stop();
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`org-sim failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

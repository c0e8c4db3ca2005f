import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateDataRepositoryTaskCommand,
  DescribeDataRepositoryAssociationsCommand,
  type DescribeDataRepositoryAssociationsCommandInput,
  FSxClient,
} from '@aws-sdk/client-fsx';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { fakeIo } from '../helpers/cli.ts';
import { lambdaEvent, payload } from '../helpers/events.ts';
import { taskId } from '../helpers/fixtures.ts';
import { CONTEXT, coldStartWith, resetHandlerTest, taskCreated } from '../helpers/lambda.ts';

/*
 * `analyze` promises to show what the Lambda would do. Here the same batches (the bundled
 * samples) go through `analyze --associations FILE` and through the handler with FSx answering
 * the same associations: the counts, the tasks, their paths and their tokens must be equal.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EVENTS = join(ROOT, 'samples', 'events');
const FILE_SYSTEMS = ['fs-0a1b2c3d4e5f60718', 'fs-07f3e9a1c2b4d6e8f', 'fs-0c5d8e2f1a9b3c7d4'];
// Each sample file system links /ns1 to the bucket its S3-key records name.
const ASSOCIATIONS = FILE_SYSTEMS.map((fileSystemId, index) => ({
  AssociationId: `dra-0${index}23456789abcdef0`,
  FileSystemId: fileSystemId,
  Lifecycle: 'AVAILABLE',
  FileSystemPath: '/ns1',
  DataRepositoryPath: [
    's3://acme-hpc-prod-results/',
    's3://acme-ml-checkpoints/',
    's3://acme-genomics-raw/',
  ][index],
}));

const fsxMock = mockClient(FSxClient);
const snsMock = mockClient(SNSClient);

interface Task {
  readonly fileSystemId: string;
  readonly paths: readonly string[];
  readonly token: string;
}

interface JsonReport {
  readonly events: number;
  readonly records: number;
  readonly unparseable: number;
  readonly retries: ReadonlyArray<{
    fileSystemId: string;
    paths: string[];
    delaySeconds: number;
    clientRequestToken: string;
  }>;
}

let scratch = '';
let associationsFile = '';
let eventFiles: string[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'fsx-export-analyzer-equal-'));
  associationsFile = join(scratch, 'associations.json');
  await writeFile(associationsFile, JSON.stringify({ Associations: ASSOCIATIONS }, null, 2));
  eventFiles = (await readdir(EVENTS))
    .filter((name) => name !== 'control-message.json')
    .map((name) => join(EVENTS, name));
  // Records that name only an S3 key: mapped to a path through the associations, or not at all.
  const keyOnly = (key: string, bucket: string) => ({
    message: JSON.stringify({ errorCode: 'S3ExportInternalError', s3Key: key, bucket }),
  });
  const mapped = join(scratch, 'key-only.json');
  await writeFile(
    mapped,
    JSON.stringify(
      lambdaEvent(
        payload(
          [
            keyOnly('checkpoints/run-9/a.pt', 'acme-ml-checkpoints'),
            keyOnly('checkpoints/run-9/b.pt', 'acme-ml-checkpoints'),
            keyOnly('elsewhere/c.pt', 'another-bucket'),
          ],
          { logStream: 'datarepo_fs-07f3e9a1c2b4d6e8f' },
        ),
      ),
    ),
  );
  eventFiles.push(mapped);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function throughAnalyze(file: string): Promise<JsonReport> {
  const io = fakeIo({ env: {} });
  const code = await main(['analyze', '--json', '--associations', associationsFile, file], io);
  expect(io.err).toEqual([]);
  expect(code).toBe(0);
  return JSON.parse(io.out.join('')) as JsonReport;
}

async function throughLambda(file: string) {
  fsxMock.reset();
  snsMock.reset();
  fsxMock
    .on(DescribeDataRepositoryAssociationsCommand)
    .callsFake((input: DescribeDataRepositoryAssociationsCommandInput) => ({
      Associations: ASSOCIATIONS.filter((association) =>
        input.Filters?.some((filter) => filter.Values?.includes(association.FileSystemId)),
      ),
    }));
  let started = 0;
  fsxMock.on(CreateDataRepositoryTaskCommand).callsFake(() => taskCreated(taskId(++started)));
  snsMock.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const { handler } = await coldStartWith(
    { REPORT_PATH: '', MAX_PATHS_PER_TASK: '', BUSY_DELAY_SECONDS: '' },
    () => import('../../functions/analyzer.ts'),
  );
  const result = await handler(JSON.parse(await readFile(file, 'utf8')), CONTEXT);
  const tasks: Task[] = fsxMock.commandCalls(CreateDataRepositoryTaskCommand).map((call) => ({
    fileSystemId: call.args[0].input.FileSystemId ?? '',
    paths: call.args[0].input.Paths ?? [],
    token: call.args[0].input.ClientRequestToken ?? '',
  }));
  resetHandlerTest();
  return { result, tasks };
}

describe('analyze shows exactly what the Lambda does', () => {
  it('reads every sample and a batch of S3-key-only records', () => {
    expect(eventFiles.map((file) => file.split('/').at(-1))).toEqual([
      'genomics-import-restore.json',
      'ml-training-new-labels.json',
      'prod-lustre-cfd.json',
      'key-only.json',
    ]);
  });

  it.each([0, 1, 2, 3])('on input %i: same counts, same tasks, same tokens', async (index) => {
    // Prepare
    const file = eventFiles[index] ?? '';

    // Act
    const analyzed = await throughAnalyze(file);
    const lambda = await throughLambda(file);

    // Assess: the Lambda starts now what analyze plans without delay, and defers the rest
    // (busy files) the way analyze lists them with their delay.
    expect([lambda.result.events, lambda.result.records, lambda.result.unparseable]).toEqual([
      analyzed.events,
      analyzed.records,
      analyzed.unparseable,
    ]);
    const now = analyzed.retries.filter((task) => task.delaySeconds === 0);
    expect(lambda.tasks).toEqual(
      now.map((task) => ({
        fileSystemId: task.fileSystemId,
        paths: task.paths,
        token: task.clientRequestToken,
      })),
    );
    expect(lambda.result.tasksDeferred).toBe(analyzed.retries.length - now.length);
  });

  it('maps S3-key-only records to paths only through the associations', async () => {
    // Act
    const analyzed = await throughAnalyze(eventFiles[3] ?? '');

    // Assess
    expect(analyzed.retries.map((task) => task.paths)).toEqual([
      ['ns1/checkpoints/run-9/a.pt', 'ns1/checkpoints/run-9/b.pt'],
    ]);
  });
});

import {
  QueueDoesNotExist,
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDeferralQueue, DeferralError, parseDeferredExport } from '../../../lib/aws/sqs.ts';
import { AnalyzerError } from '../../../lib/common/errors.ts';
import type { DeferredExport } from '../../../lib/common/ports.ts';
import { FS } from '../../helpers/fixtures.ts';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/fsx-export-analyzer-deferrals';
const sqsMock = mockClient(SQSClient);
const client = new SQSClient({ region: 'eu-west-1' });

const MESSAGE: DeferredExport = {
  version: 1,
  fileSystemId: FS,
  paths: ['ns1/a.bin', 'ns1/b.bin'],
  eventIds: ['38115698725094532480548293752348725094532480548293750'],
  classes: ['busy'],
  reason: 'busy',
  reportPath: 's3://ml-archive/datasets/fsx-export-analyzer-reports',
  logGroup: '/aws/fsx/lustre',
  logStream: `datarepo_${FS}`,
  deferredAt: '2025-05-01T12:00:00.000Z',
};

function message(overrides: Partial<DeferredExport> = {}): DeferredExport {
  return { ...MESSAGE, ...overrides };
}

/** Entries of the nth SendMessageBatch call (0-based). */
function entriesOf(call: number): SendMessageBatchRequestEntry[] {
  const input = sqsMock.commandCalls(SendMessageBatchCommand)[call]?.args[0].input as
    | SendMessageBatchCommandInput
    | undefined;
  return input?.Entries ?? [];
}

function allEntries(): SendMessageBatchRequestEntry[] {
  return sqsMock.commandCalls(SendMessageBatchCommand).flatMap((_, index) => entriesOf(index));
}

function bodies(): DeferredExport[] {
  return allEntries().map((entry) => parseDeferredExport(entry.MessageBody ?? ''));
}

/** Accepts every entry, as SQS does when all is well. */
function acceptAll(input: SendMessageBatchCommandInput): SendMessageBatchCommandOutput {
  return {
    $metadata: {},
    Successful: (input.Entries ?? []).map((entry) => ({
      Id: entry.Id,
      MessageId: `m-${entry.Id}`,
      MD5OfMessageBody: 'not checked by the mock',
    })),
    Failed: [],
  };
}

/** `count` deferrals of {@link MESSAGE} without delay, the nth of the one path `ns1/<n>`. */
function onePathEach(count: number): Array<{ message: DeferredExport; delaySeconds: number }> {
  return Array.from({ length: count }, (_, index) => ({
    message: message({ paths: [`ns1/${index}`] }),
    delaySeconds: 0,
  }));
}

const bytes = (text: string | undefined) => Buffer.byteLength(text ?? '');

describe('Function: createDeferralQueue', () => {
  beforeEach(() => {
    sqsMock.reset();
  });

  it('sends nothing for no items', async () => {
    // Prepare
    const queue = createDeferralQueue(client, QUEUE);

    // Act
    await queue.defer([]);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });

  it('sends the message as JSON with its delay and fileSystemId and reason attributes', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);

    // Act
    await queue.defer([{ message: MESSAGE, delaySeconds: 600 }]);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
    expect(sqsMock).toHaveReceivedCommandWith(SendMessageBatchCommand, {
      QueueUrl: QUEUE,
      Entries: [
        {
          Id: '0',
          MessageBody: JSON.stringify(MESSAGE),
          DelaySeconds: 600,
          MessageAttributes: {
            fileSystemId: { DataType: 'String', StringValue: FS },
            reason: { DataType: 'String', StringValue: 'busy' },
          },
        },
      ],
    });
    expect(bodies()).toEqual([MESSAGE]);
  });

  it('sends 23 messages in batches of 10, 10 and 3 with ids 0 to 9', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);
    const items = Array.from({ length: 23 }, (_, index) => ({
      message: message({ paths: [`ns1/file-${index}`] }),
      delaySeconds: index,
    }));

    // Act
    await queue.defer(items);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
    expect([0, 1, 2].map((call) => entriesOf(call).length)).toEqual([10, 10, 3]);
    expect(entriesOf(1).map((entry) => entry.Id)).toEqual(
      Array.from({ length: 10 }, (_, index) => String(index)),
    );
    expect(bodies().map((body) => body.paths[0])).toEqual(
      items.map((item) => item.message.paths[0]),
    );
    expect(allEntries().map((entry) => entry.DelaySeconds)).toEqual(
      items.map((item) => item.delaySeconds),
    );
  });

  it.each([
    [-5, 0],
    [0, 0],
    [12.2, 13],
    [900, 900],
    [1200, 900],
    [Number.POSITIVE_INFINITY, 900],
    [Number.NaN, 0],
  ])('clamps a delay of %s seconds to %s', async (delaySeconds, expected) => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);

    // Act
    await queue.defer([{ message: MESSAGE, delaySeconds }]);

    // Assess
    expect(entriesOf(0)[0]?.DelaySeconds).toBe(expected);
  });

  it('keeps attribute values to XML characters and 256 characters', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);
    const reason = `Data\u0000Repository\uffff${'x'.repeat(400)}`;

    // Act
    await queue.defer([{ message: message({ reason }), delaySeconds: 0 }]);

    // Assess
    const value = entriesOf(0)[0]?.MessageAttributes?.['reason']?.StringValue ?? '';
    expect(value).toHaveLength(256);
    expect(value.startsWith('Data?Repository?x')).toBe(true);
    expect(bodies()[0]?.reason).toBe(reason);
  });

  it('escapes U+FFFF in the body, which SQS refuses raw, and reads it back', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);
    const path = 'ns1/odd\uffffname';

    // Act
    await queue.defer([{ message: message({ paths: [path] }), delaySeconds: 0 }]);

    // Assess
    const body = entriesOf(0)[0]?.MessageBody ?? '';
    expect(body).not.toContain('\uffff');
    expect(body).toContain('\\uffff');
    expect(parseDeferredExport(body).paths).toEqual([path]);
  });

  it('retries entries SQS failed on its side once, in a new batch', async () => {
    // Prepare
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: 'x' }],
        Failed: [
          { Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' },
          { Id: '2', SenderFault: false, Code: 'ServiceUnavailable', Message: 'try again' },
        ],
      })
      .callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);
    const items = ['a', 'b', 'c'].map((name) => ({
      message: message({ paths: [`ns1/${name}`] }),
      delaySeconds: 60,
    }));

    // Act
    await queue.defer(items);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    expect(entriesOf(1).map((entry) => entry.Id)).toEqual(['0', '1']);
    expect(
      entriesOf(1).map((entry) => parseDeferredExport(entry.MessageBody ?? '').paths[0]),
    ).toEqual(['ns1/b', 'ns1/c']);
    expect(entriesOf(1).map((entry) => entry.DelaySeconds)).toEqual([60, 60]);
  });

  it('treats an entry missing from the response as failed and retries it', async () => {
    // Prepare
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [] })
      .callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);

    // Act
    await queue.defer([{ message: MESSAGE, delaySeconds: 0 }]);

    // Assess
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
  });

  it('throws a DeferralError when an entry fails twice', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: [],
      Failed: (input.Entries ?? []).map((entry) => ({
        Id: entry.Id,
        SenderFault: false,
        Code: 'InternalError',
        Message: 'SQS is having a bad day',
      })),
    }));
    const queue = createDeferralQueue(client, QUEUE);

    // Act
    const deferral = queue.defer([
      { message: MESSAGE, delaySeconds: 0 },
      { message: message({ paths: ['ns1/c'] }), delaySeconds: 0 },
    ]);

    // Assess
    await expect(deferral).rejects.toThrow(DeferralError);
    await expect(deferral).rejects.toMatchObject({
      code: 'InternalError',
      message: `could not defer 2 of 2 messages to SQS queue ${QUEUE}: first failure InternalError: SQS is having a bad day`,
    });
    await expect(deferral).rejects.toBeInstanceOf(AnalyzerError);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
  });

  it('does not retry sender-fault entries and stops before the next batch', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: (input.Entries ?? [])
        .filter((entry) => entry.Id !== '3')
        .map((entry) => ({ Id: entry.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
      Failed: [
        {
          Id: '3',
          SenderFault: true,
          Code: 'InvalidMessageContents',
          Message: 'Invalid characters',
        },
      ],
    }));
    const queue = createDeferralQueue(client, QUEUE);
    const items = onePathEach(15);

    // Act
    const deferral = queue.defer(items);

    // Assess
    await expect(deferral).rejects.toMatchObject({
      name: 'DeferralError',
      code: 'InvalidMessageContents',
      message: expect.stringMatching(
        /^could not defer 6 of 15 messages .*: first failure InvalidMessageContents \(sender fault\)/,
      ),
    });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
  });

  it('retries the server-side failures of a batch that also has a sender fault', async () => {
    // Prepare
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Failed: [
          { Id: '0', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' },
          { Id: '1', SenderFault: false, Code: 'InternalError', Message: 'again' },
        ],
      })
      .callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);

    // Act
    const deferral = queue.defer([
      { message: MESSAGE, delaySeconds: 0 },
      { message: message({ paths: ['ns1/c'] }), delaySeconds: 0 },
    ]);

    // Assess
    await expect(deferral).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    expect(entriesOf(1)).toHaveLength(1);
  });

  it('wraps an SDK error in a DeferralError with the error as cause', async () => {
    // Prepare
    const error = new QueueDoesNotExist({
      $metadata: {},
      message: 'The specified queue does not exist.',
    });
    sqsMock.on(SendMessageBatchCommand).rejects(error);
    const queue = createDeferralQueue(client, QUEUE);
    const items = onePathEach(12);

    // Act
    const deferral = queue.defer(items);

    // Assess
    await expect(deferral).rejects.toMatchObject({
      name: 'DeferralError',
      code: 'QueueDoesNotExist',
      message: `could not defer 12 of 12 messages to SQS queue ${QUEUE}: QueueDoesNotExist: The specified queue does not exist.`,
      cause: error,
    });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
  });

  it('counts only what is not yet accepted when a later batch throws', async () => {
    // Prepare
    sqsMock
      .on(SendMessageBatchCommand)
      .callsFakeOnce(acceptAll)
      .rejects(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    const queue = createDeferralQueue(client, QUEUE);
    const items = onePathEach(12);

    // Act
    const deferral = queue.defer(items);

    // Assess
    await expect(deferral).rejects.toMatchObject({
      code: 'ECONNRESET',
      message: expect.stringMatching(/^could not defer 2 of 12 messages .*: ECONNRESET: read/),
    });
  });

  it('splits a message whose body would pass 200,000 bytes into pieces with disjoint paths', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);
    const paths = Array.from({ length: 100 }, (_, index) => `ns1/${index}/${'p'.repeat(4000)}`);
    const eventIds = ['e1', 'e2', 'e3'];

    // Act
    await queue.defer([{ message: message({ paths, eventIds }), delaySeconds: 30 }]);

    // Assess
    const pieces = bodies();
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.flatMap((piece) => piece.paths)).toEqual(paths);
    for (const piece of pieces) {
      expect(piece).toEqual(message({ paths: piece.paths, eventIds }));
    }
    for (const entry of allEntries()) {
      expect(bytes(entry.MessageBody)).toBeLessThanOrEqual(200_000);
      expect(entry.DelaySeconds).toBe(30);
    }
    // Each batch stays within SQS's 256 KiB, so these large pieces go one or two per call.
    for (const call of sqsMock.commandCalls(SendMessageBatchCommand).keys()) {
      const total = entriesOf(call).reduce((sum, entry) => sum + bytes(entry.MessageBody), 0);
      expect(total).toBeLessThanOrEqual(262_144);
    }
  });

  it('splits more than 100 paths into messages of at most 100', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);
    const paths = Array.from({ length: 250 }, (_, index) => `ns1/${index}`);

    // Act
    await queue.defer([{ message: message({ paths }), delaySeconds: 0 }]);

    // Assess
    expect(bodies().map((piece) => piece.paths.length)).toEqual([100, 100, 50]);
    expect(bodies().flatMap((piece) => piece.paths)).toEqual(paths);
  });

  it('refuses a message that cannot fit even with one path, before sending anything', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);
    const eventIds = Array.from({ length: 5000 }, (_, index) => `${index}`.padStart(56, '3'));

    // Act
    const deferral = queue.defer([
      { message: MESSAGE, delaySeconds: 0 },
      { message: message({ eventIds }), delaySeconds: 0 },
    ]);

    // Assess
    await expect(deferral).rejects.toMatchObject({
      name: 'DeferralError',
      code: 'MessageTooLong',
      message: expect.stringContaining('even with a single path'),
    });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });

  it('refuses an invalid message before sending anything', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(acceptAll);
    const queue = createDeferralQueue(client, QUEUE);

    // Act
    const deferral = queue.defer([
      { message: MESSAGE, delaySeconds: 0 },
      { message: message({ paths: [] }), delaySeconds: 0 },
    ]);

    // Assess
    await expect(deferral).rejects.toMatchObject({
      name: 'DeferralError',
      code: 'InvalidDeferredExport',
      message: 'deferred export.paths is empty',
    });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });
});

describe('Function: parseDeferredExport', () => {
  it('reads a valid body', () => {
    // Prepare
    const body = JSON.stringify(MESSAGE);

    // Act
    const parsed = parseDeferredExport(body);

    // Assess
    expect(parsed).toEqual(MESSAGE);
  });

  it('reads a body without reportPath as reportPath undefined', () => {
    // Prepare
    const body = JSON.stringify(message({ reportPath: undefined }));

    // Act
    const parsed = parseDeferredExport(body);

    // Assess
    expect(Object.hasOwn(parsed, 'reportPath')).toBe(true);
    expect(parsed.reportPath).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"version":', /^deferred export is not JSON: /],
    ['not an object', '[1]', /^deferred export is not a JSON object$/],
    [
      'version 2',
      JSON.stringify({ ...MESSAGE, version: 2 }),
      /^deferred export\.version is not 1$/,
    ],
    [
      'a bad file system id',
      JSON.stringify(message({ fileSystemId: 'fs-XYZ' })),
      /^deferred export\.fileSystemId is not a file system id/,
    ],
    [
      '101 paths',
      JSON.stringify(message({ paths: Array.from({ length: 101 }, (_, index) => `p${index}`) })),
      /^deferred export\.paths has more than 100 paths$/,
    ],
    ['no paths', JSON.stringify(message({ paths: [] })), /^deferred export\.paths is empty$/],
    [
      'a path with a line break',
      JSON.stringify(message({ paths: ['ns1/a\nb'] })),
      /^deferred export\.paths\.0 contains a line break or NUL$/,
    ],
    [
      'an unknown field',
      JSON.stringify({ ...MESSAGE, extra: true }),
      /^deferred export has unknown fields: extra$/,
    ],
    [
      'an unknown class',
      JSON.stringify({ ...MESSAGE, classes: ['flaky'] }),
      /^deferred export\.classes\.0 is not a failure class$/,
    ],
    [
      'a missing reason',
      JSON.stringify({ ...MESSAGE, reason: undefined }),
      /^deferred export\.reason is not a string$/,
    ],
    [
      'a local time',
      JSON.stringify(message({ deferredAt: '2025-05-01 12:00' })),
      /^deferred export\.deferredAt is not an ISO-8601 UTC time$/,
    ],
  ])('refuses %s with a one-line DeferralError', (_, body, expected) => {
    // Prepare
    let caught: unknown;

    // Act
    try {
      parseDeferredExport(body);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(DeferralError);
    expect(caught).toMatchObject({
      code: 'InvalidDeferredExport',
      message: expect.stringMatching(expected),
    });
    expect((caught as Error).message).not.toContain('\n');
  });
});

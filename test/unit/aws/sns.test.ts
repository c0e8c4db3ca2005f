import {
  AuthorizationErrorException,
  NotFoundException,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deliver, publishSummary, toMessageAttributes } from '../../../lib/aws/sns.ts';
import { logger } from '../../../lib/aws/telemetry.ts';
import { PublishError } from '../../../lib/common/errors.ts';
import type { Publication } from '../../../lib/common/types.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:fsx-export-failures';
const snsMock = mockClient(SNSClient);
const client = new SNSClient({ region: 'eu-west-1' });

const PUBLICATION: Publication = {
  subject: 'FSx export failures: 3 transient on fs-0123456789abcdef0',
  body: 'Three files failed to export.\n',
  attributes: {
    severity: 'transient',
    fileSystemIds: ['fs-0123456789abcdef0', 'fs-0fedcba9876543210'],
    empty: '',
    none: [],
  },
};

describe('Function: publishSummary', () => {
  beforeEach(() => {
    snsMock.reset();
  });

  it('publishes subject, body and attributes and returns the MessageId', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: '567910cd-659e-55d4-8ccb-5aaf14679dc0' });

    // Act
    const messageId = await publishSummary(client, TOPIC, PUBLICATION);

    // Assess
    expect(messageId).toBe('567910cd-659e-55d4-8ccb-5aaf14679dc0');
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: PUBLICATION.subject,
      Message: PUBLICATION.body,
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'transient' },
        fileSystemIds: {
          DataType: 'String.Array',
          StringValue: '["fs-0123456789abcdef0","fs-0fedcba9876543210"]',
        },
      },
    });
  });

  it('leaves MessageAttributes out when every attribute is empty', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    await publishSummary(client, TOPIC, { ...PUBLICATION, attributes: { a: '', b: [] } });

    // Assess
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toBeDefined();
    expect(input).not.toHaveProperty('MessageAttributes');
  });

  it.each([
    [
      new NotFoundException({ $metadata: {}, message: 'Topic does not exist' }),
      `SNS Publish to ${TOPIC} failed: NotFoundException: Topic does not exist`,
    ],
    [
      new AuthorizationErrorException({ $metadata: {}, message: 'Not authorized\nto publish' }),
      `SNS Publish to ${TOPIC} failed: AuthorizationErrorException: Not authorized`,
    ],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }),
      `SNS Publish to ${TOPIC} failed: Error: connect ECONNREFUSED 127.0.0.1:443`,
    ],
  ])('throws a one-line PublishError for %s', async (error, message) => {
    // Prepare
    snsMock.on(PublishCommand).rejects(error);

    // Act
    const publishing = publishSummary(client, TOPIC, PUBLICATION);

    // Assess
    await expect(publishing).rejects.toThrow(PublishError);
    await expect(publishing).rejects.toMatchObject({ message, cause: error });
  });

  it('throws a PublishError when SNS answers without a MessageId', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({});

    // Act
    const publishing = publishSummary(client, TOPIC, PUBLICATION);

    // Assess
    await expect(publishing).rejects.toThrow(
      `SNS Publish to ${TOPIC} failed: Error: the response has no MessageId`,
    );
  });
});

describe('Function: toMessageAttributes', () => {
  it('turns strings and lists into SNS attribute values and skips empty ones', () => {
    // Prepare
    const attributes = { one: 'x', list: ['a', 'b'], blank: '', nothing: [] };

    // Act
    const result = toMessageAttributes(attributes);

    // Assess
    expect(result).toEqual({
      one: { DataType: 'String', StringValue: 'x' },
      list: { DataType: 'String.Array', StringValue: '["a","b"]' },
    });
  });
});

describe('Function: deliver', () => {
  beforeEach(() => {
    snsMock.reset();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('publishes to the topic and logs the MessageId under its label', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-7' });
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);

    // Act
    const messageId = await deliver(client, TOPIC, PUBLICATION, 'retrier email');

    // Assess
    expect(messageId).toBe('m-7');
    expect(snsMock).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC });
    expect(info).toHaveBeenCalledExactlyOnceWith('Retrier email published', { messageId: 'm-7' });
  });

  it('publishes nothing without a topic (a dry run) and logs what it would have sent', async () => {
    // Prepare
    const info = vi.spyOn(logger, 'info').mockImplementation(() => undefined);

    // Act
    const messageId = await deliver(client, undefined, PUBLICATION, 'summary');

    // Assess
    expect(messageId).toBeNull();
    expect(snsMock.calls()).toHaveLength(0);
    expect(info).toHaveBeenCalledExactlyOnceWith('Dry run: summary not published', {
      subject: PUBLICATION.subject,
      body: PUBLICATION.body,
    });
  });

  it('lets a refused publish fail the caller with a PublishError', async () => {
    // Prepare
    snsMock
      .on(PublishCommand)
      .rejects(new NotFoundException({ $metadata: {}, message: 'Topic does not exist' }));

    // Act
    const delivering = deliver(client, TOPIC, PUBLICATION, 'digest');

    // Assess
    await expect(delivering).rejects.toBeInstanceOf(PublishError);
  });
});

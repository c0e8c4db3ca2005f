import { describe, expect, it } from 'vitest';
import { readRecords, settleRecords } from '../../../lib/aws/sqs-batch.ts';
import { CONTEXT, sqsRecord } from '../../helpers/lambda.ts';

describe('Function: readRecords', () => {
  it('reads every body, sets apart those it cannot read, and counts an odd receive count as 1', async () => {
    // Prepare
    const garbled = sqsRecord('m-3', { n: 3 });
    const records = [
      sqsRecord('m-1', { n: 1 }),
      sqsRecord('m-2', 'not json', 3),
      { ...garbled, attributes: { ...garbled.attributes, ApproximateReceiveCount: 'x' } },
    ];

    // Act
    const { items, unread } = readRecords(records, (body) => JSON.parse(body) as unknown);

    // Assess
    expect(items).toEqual([
      { messageId: 'm-1', receiveCount: 1, message: { n: 1 } },
      { messageId: 'm-3', receiveCount: 1, message: { n: 3 } },
    ]);
    expect(unread).toEqual([
      { messageId: 'm-2', receiveCount: 3, reason: expect.stringContaining('JSON') },
    ]);
  });
});

describe('Function: settleRecords', () => {
  it('answers with the records that failed, in order, and does not throw when all fail', async () => {
    // Prepare
    const records = ['m-1', 'm-2', 'm-3'].map((id) => sqsRecord(id, {}));

    // Act
    const some = await settleRecords(
      records,
      async (record) => {
        if (record.messageId !== 'm-2') throw new Error('wait');
      },
      CONTEXT,
    );
    const all = await settleRecords(
      records,
      async () => {
        throw new Error('wait');
      },
      CONTEXT,
    );

    // Assess
    expect(some).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }, { itemIdentifier: 'm-3' }],
    });
    expect(all.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      'm-1',
      'm-2',
      'm-3',
    ]);
  });
});

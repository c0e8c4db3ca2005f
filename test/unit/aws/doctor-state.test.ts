import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDoctorState, DoctorStateError } from '../../../lib/aws/doctor-state.ts';
import type { FindingState } from '../../../lib/common/types.ts';

const TABLE = 'fsx-export-analyzer-test-ledger';
const dynamoMock = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });
const FINDINGS: FindingState[] = [
  {
    key: 'fs-0123456789abcdef0|association|dra-0123456789abcdef0',
    fileSystemId: 'fs-0123456789abcdef0',
    check: 'association',
    severity: 'PROBLEM',
  },
  {
    key: 'fs-0123456789abcdef0|subscription|/aws/fsx/lustre',
    fileSystemId: 'fs-0123456789abcdef0',
    check: 'subscription',
    severity: 'OK',
    unconfirmed: true,
  },
];

describe('Function: createDoctorState', () => {
  beforeEach(() => {
    dynamoMock.reset();
  });

  it('saves the findings as one item per Region that expires after 30 days', async () => {
    // Prepare
    const state = createDoctorState(client, TABLE, 'eu-west-1');
    dynamoMock.on(PutItemCommand).resolves({});

    // Act
    await state.save(FINDINGS, new Date('2026-11-25T12:00:00.000Z'));

    // Assess
    expect(dynamoMock).toHaveReceivedCommandWith(PutItemCommand, {
      TableName: TABLE,
      Item: {
        id: { S: 'doctor#eu-west-1' },
        kind: { S: 'doctor' },
        checkedAt: { S: '2026-11-25T12:00:00.000Z' },
        findings: { S: JSON.stringify(FINDINGS) },
        expiration: { N: String(Date.parse('2026-11-25T12:00:00Z') / 1000 + 30 * 86_400) },
      },
    });
  });

  it('reads back what it saved, consistently', async () => {
    // Prepare
    const state = createDoctorState(client, TABLE, 'eu-west-1');
    dynamoMock.on(GetItemCommand).resolves({ Item: { findings: { S: JSON.stringify(FINDINGS) } } });

    // Act
    const loaded = await state.load();

    // Assess
    expect(loaded).toEqual(FINDINGS);
    expect(dynamoMock).toHaveReceivedCommandWith(GetItemCommand, {
      Key: { id: { S: 'doctor#eu-west-1' } },
      ConsistentRead: true,
    });
  });

  it.each([
    ['no item', {}],
    ['no findings attribute', { Item: { id: { S: 'doctor#eu-west-1' } } }],
    ['findings that are not JSON', { Item: { findings: { S: '{oops' } } }],
    ['findings of another shape', { Item: { findings: { S: '[{"key":1}]' } } }],
    [
      'an unconfirmed mark that is not a boolean',
      {
        Item: {
          findings: {
            S: '[{"key":"k","fileSystemId":"fs-1","check":"logging","severity":"OK","unconfirmed":"yes"}]',
          },
        },
      },
    ],
  ])('treats %s as no previous run', async (_name, output) => {
    // Prepare
    const state = createDoctorState(client, TABLE, 'eu-west-1');
    dynamoMock.on(GetItemCommand).resolves(output);

    // Act
    const loaded = await state.load();

    // Assess
    expect(loaded).toBeUndefined();
  });

  it('names the table when DynamoDB fails, keeping the SDK error as the cause', async () => {
    // Prepare
    const state = createDoctorState(client, TABLE, 'eu-west-1');
    const cause = new ResourceNotFoundException({ message: 'no table', $metadata: {} });
    dynamoMock.on(GetItemCommand).rejects(cause);

    // Act
    const error = await state.load().catch((thrown: unknown) => thrown);

    // Assess
    expect(error).toBeInstanceOf(DoctorStateError);
    expect((error as Error).message).toBe(`cannot read the doctor state from ${TABLE}`);
    expect((error as Error).cause).toBe(cause);
  });
});

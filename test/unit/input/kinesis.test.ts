import { describe, expect, it } from 'vitest';
import { decodeKinesisData, isKinesisEvent } from '../../../lib/input/kinesis.ts';
import { lambdaEvent, payload, transient } from '../../helpers/events.ts';
import { kinesisEvent } from '../../helpers/kinesis.ts';

const MAX = 1_000_000;

describe('Function: decodeKinesisData', () => {
  it('decodes a record carrying a subscription payload, keeping its owner (the account)', () => {
    // Prepare
    const event = kinesisEvent([payload([transient('/a')], { owner: '222233334444' })]);

    // Act
    const decoded = decodeKinesisData(event.Records[0]?.kinesis.data, 'record 1', MAX);

    // Assess
    expect(decoded.type).toBe('data');
    if (decoded.type !== 'data') return;
    expect(decoded.batch.owner).toBe('222233334444');
    expect(decoded.batch.events).toHaveLength(1);
  });

  it('decodes the same bytes as awslogs.data to the same batch', () => {
    // Prepare
    const data = lambdaEvent(payload([transient('/a')])).awslogs.data;

    // Act
    const decoded = decodeKinesisData(data, 'record 1', MAX);

    // Assess
    expect(decoded).toMatchObject({ type: 'data', batch: { logStream: expect.any(String) } });
  });

  it('skips a CONTROL_MESSAGE', () => {
    // Prepare
    const event = kinesisEvent([{ messageType: 'CONTROL_MESSAGE', logEvents: [] }]);

    // Act
    const decoded = decodeKinesisData(event.Records[0]?.kinesis.data, 'record 1', MAX);

    // Assess
    expect(decoded).toEqual({ type: 'skipped', messageType: 'CONTROL_MESSAGE' });
  });

  it.each([
    [42, 'record 7: kinesis.data is not a string'],
    ['bm90IGd6aXA=', 'record 7: kinesis.data is not gzip data'],
    ['%%%', 'record 7: kinesis.data is not valid base64'],
  ])('refuses %j in one line that names the record', (data, message) => {
    // Act / Assess
    expect(() => decodeKinesisData(data, 'record 7', MAX)).toThrow(message);
  });

  it('names the record and field when the payload has the wrong shape', () => {
    // Prepare
    const event = kinesisEvent([{ messageType: 'DATA_MESSAGE', owner: 1 }]);

    // Act / Assess
    expect(() => decodeKinesisData(event.Records[0]?.kinesis.data, 'record 2', MAX)).toThrow(
      'record 2: kinesis.data.owner is not a string',
    );
  });
});

describe('Function: isKinesisEvent', () => {
  it('recognises a Kinesis event and nothing else', () => {
    // Act / Assess
    expect(isKinesisEvent(kinesisEvent([payload([])]))).toBe(true);
    expect(isKinesisEvent(lambdaEvent(payload([])))).toBe(false);
    expect(isKinesisEvent({ Records: [] })).toBe(false);
    expect(isKinesisEvent({ Records: [{ eventSource: 'aws:sqs' }] })).toBe(false);
    expect(isKinesisEvent(null)).toBe(false);
  });
});

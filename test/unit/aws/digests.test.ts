import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ScanCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDigestStore, DigestStoreError, digestItemId } from '../../../lib/aws/digests.ts';
import { AnalyzerError } from '../../../lib/common/errors.ts';
import type { BatchGroup, GroupKey } from '../../../lib/common/types.ts';
import { digestRules, groupReport, pathHash } from '../../../lib/digest/windows.ts';
import { FS } from '../../helpers/fixtures.ts';
import { emptyReport, record } from '../../helpers/reports.ts';

type Item = Record<string, AttributeValue>;

const TABLE = 'fea-ledger';
const W = 3600;
const NOW = new Date('2025-11-25T10:30:00.000Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const START = NOW_SECONDS - 1800;
const KEY: GroupKey = { scopeKind: 'fileSystem', scope: FS, cls: 'permission' };
const ID = `digest#fs#permission#${FS}`;
const ddbMock = mockClient(DynamoDBClient);
const client = new DynamoDBClient({ region: 'eu-west-1' });

function store() {
  return createDigestStore(client, {
    tableName: TABLE,
    windowSeconds: W,
    rules: digestRules,
    now: () => NOW,
  });
}

function group(paths: readonly string[] = ['/ns1/a.bin']): BatchGroup {
  const records = paths.map((path, index) =>
    record(index, { class: 'permission', code: 'S3ExportAccessDenied', path }),
  );
  const found = groupReport(emptyReport({ records })).groups[0];
  if (found === undefined) throw new Error('no group');
  return found;
}

function openItem(overrides: Item = {}): Item {
  return {
    id: { S: ID },
    kind: { S: 'digest' },
    scopeKind: { S: 'fileSystem' },
    scope: { S: FS },
    cls: { S: 'permission' },
    status: { S: 'OPEN' },
    windowSeconds: { N: String(W) },
    windowStart: { N: String(START) },
    windowEnd: { N: String(START + W) },
    alertedAt: { N: String(START) },
    lastFailureAt: { N: String(START) },
    [`w${START}_codes`]: { M: {} },
    [`w${START}_h`]: { SS: [pathHash('ns1/a.bin')] },
    ...overrides,
  };
}

function conditionalFailure(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({
    $metadata: {},
    message: 'The conditional request failed',
  });
}

function updates(): UpdateItemCommandInput[] {
  return ddbMock.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
}

/** Every `#name` and `:value` placeholder an input declares is used by one of its expressions. */
function expectNoUnusedPlaceholders(input: UpdateItemCommandInput): void {
  const text = `${input.UpdateExpression} ${input.ConditionExpression ?? ''}`;
  for (const name of Object.keys(input.ExpressionAttributeNames ?? {})) {
    expect(text).toMatch(new RegExp(`${name}(?![A-Za-z0-9_])`));
  }
  for (const value of Object.keys(input.ExpressionAttributeValues ?? {})) {
    expect(text).toMatch(new RegExp(`${value}(?![A-Za-z0-9_])`));
  }
}

describe('createDigestStore', () => {
  beforeEach(() => {
    ddbMock.reset();
  });

  it('refuses a window that is not a positive whole number of seconds', () => {
    // Act
    const create = () =>
      createDigestStore(client, { tableName: TABLE, windowSeconds: 0, rules: digestRules });

    // Assess
    expect(create).toThrow(RangeError);
  });

  it('names items by scope kind, class and scope, and hashes a scope too long for a key', () => {
    // Act
    const ids = [
      digestItemId(KEY),
      digestItemId({ scopeKind: 'logGroup', scope: '/aws/fsx/lustre', cls: 'unparseable' }),
      digestItemId({ ...KEY, scope: 'x'.repeat(1500) }),
    ];

    // Assess
    expect(ids[0]).toBe(ID);
    expect(ids[1]).toBe('digest#lg#unparseable#/aws/fsx/lustre');
    expect(ids[2]).toMatch(/^digest#fs#permission#sha256:[0-9a-f]{64}$/);
  });

  describe('observe', () => {
    it('opens a window for the first failure and alerts', async () => {
      // Prepare
      ddbMock.on(GetItemCommand).resolves({});
      ddbMock.on(UpdateItemCommand).resolves({ Attributes: openItem() });

      // Act
      const result = await store().observe(group());

      // Assess
      expect(result).toEqual({ alerted: true, urgent: true, windowEnd: NOW_SECONDS + W });
      const [input] = updates();
      expect(input?.ConditionExpression).toBe('attribute_not_exists(#id) OR #status = :quiet');
      expect(input?.ExpressionAttributeValues).toMatchObject({
        ':open': { S: 'OPEN' },
        ':at': { N: String(NOW_SECONDS) },
        ':end': { N: String(NOW_SECONDS + W) },
        ':hashes': { SS: [pathHash('ns1/a.bin')] },
      });
      expect(input?.ExpressionAttributeNames?.['#codes']).toBe(`w${NOW_SECONDS}_codes`);
      if (input !== undefined) expectNoUnusedPlaceholders(input);
    });

    it('counts a repeat into the open window it read, conditioned on that window', async () => {
      // Prepare
      ddbMock.on(GetItemCommand).resolves({ Item: openItem() });
      ddbMock.on(UpdateItemCommand).resolves({ Attributes: openItem() });

      // Act
      const result = await store().observe(group(['/ns1/a.bin', '/ns1/b.bin']));

      // Assess
      expect(result).toEqual({ alerted: false, urgent: false, windowEnd: START + W });
      const [input] = updates();
      expect(input?.ConditionExpression).toBe('#status = :open AND #windowStart = :ws');
      expect(input?.ExpressionAttributeValues).toMatchObject({
        ':ws': { N: String(START) },
        ':held': { N: '2' },
        ':new': { N: '1' },
        ':recurring': { N: '1' },
        ':set_h': { SS: [pathHash('ns1/b.bin')] },
        ':c0': { N: '2' },
      });
      expect(input?.ExpressionAttributeNames).toMatchObject({
        '#held': `w${START}_held`,
        '#codes': `w${START}_codes`,
        '#c0': 'S3ExportAccessDenied',
      });
      if (input !== undefined) expectNoUnusedPlaceholders(input);
    });

    it('is urgent for an escalation this window has not handed over yet, once', async () => {
      // Prepare
      const escalated: BatchGroup = {
        ...group(['/ns1/b.bin']),
        escalations: [pathHash('ns1/b.bin')],
      };
      ddbMock
        .on(GetItemCommand)
        .resolvesOnce({ Item: openItem() })
        .resolves({ Item: openItem({ [`w${START}_e`]: { SS: [pathHash('ns1/b.bin')] } }) });
      ddbMock.on(UpdateItemCommand).resolves({ Attributes: openItem() });

      // Act
      const first = await store().observe(escalated);
      const second = await store().observe(escalated);

      // Assess
      expect(first).toMatchObject({ alerted: false, urgent: true });
      expect(second).toMatchObject({ alerted: false, urgent: false });
      expect(updates()[0]?.ExpressionAttributeValues?.[':set_e']).toEqual({
        SS: [pathHash('ns1/b.bin')],
      });
    });

    it('reads again and counts into the new window when the roll moved it meanwhile', async () => {
      // Prepare
      const rolled = openItem({
        windowStart: { N: String(START + W) },
        windowEnd: { N: String(START + 2 * W) },
        [`w${START + W}_codes`]: { M: {} },
      });
      ddbMock.on(GetItemCommand).resolvesOnce({ Item: openItem() }).resolves({ Item: rolled });
      ddbMock
        .on(UpdateItemCommand)
        .rejectsOnce(conditionalFailure())
        .resolves({ Attributes: rolled });

      // Act
      const result = await store().observe(group(['/ns1/b.bin']));

      // Assess
      expect(result.alerted).toBe(false);
      expect(updates().map((input) => input.ExpressionAttributeValues?.[':ws'])).toEqual([
        { N: String(START) },
        { N: String(START + W) },
      ]);
    });

    it('alerts instead when it loses every round to other writers (an email too many, none lost)', async () => {
      // Prepare
      ddbMock.on(GetItemCommand).resolves({ Item: openItem() });
      ddbMock.on(UpdateItemCommand).rejects(conditionalFailure());

      // Act
      const result = await store().observe(group());

      // Assess
      expect(result.alerted).toBe(true);
      expect(updates()).toHaveLength(4);
    });

    it('alerts again for the batch that opened the window (a Lambda retry after a failed publish)', async () => {
      // Prepare
      const batch = group();
      ddbMock.on(GetItemCommand).resolves({});
      ddbMock.on(UpdateItemCommand).resolves({ Attributes: {} });
      await store().observe(batch);
      const opened = updates()[0]?.ExpressionAttributeValues?.[':batches'];
      ddbMock.reset();
      ddbMock.on(GetItemCommand).resolves({
        Item: openItem({
          windowStart: { N: String(NOW_SECONDS) },
          windowEnd: { N: String(NOW_SECONDS + W) },
          alertedAt: { N: String(NOW_SECONDS) },
          [`w${NOW_SECONDS}_b`]: opened ?? { SS: [] },
        }),
      });

      // Act
      const result = await store().observe(batch);

      // Assess
      expect(result).toEqual({ alerted: true, urgent: true, windowEnd: NOW_SECONDS + W });
      expect(updates()).toHaveLength(0);
    });

    it('fails with a one-line DigestStoreError carrying the SDK error', async () => {
      // Prepare
      const cause = new InternalServerError({ $metadata: {}, message: 'Internal server error' });
      ddbMock.on(GetItemCommand).rejects(cause);

      // Act
      const error = await store()
        .observe(group())
        .catch((thrown: unknown) => thrown);

      // Assess
      expect(error).toBeInstanceOf(DigestStoreError);
      expect(error).toBeInstanceOf(AnalyzerError);
      expect(error).toMatchObject({
        message: `DynamoDB GetItem on ${TABLE} failed: InternalServerError: Internal server error`,
        cause,
      });
    });
  });

  describe('collect and acknowledge', () => {
    it('rolls a due window with held failures and returns its digest from the rolled item', async () => {
      // Prepare
      const due = openItem({
        windowStart: { N: String(START - W) },
        windowEnd: { N: String(START) },
        [`w${START - W}_held`]: { N: '3' },
      });
      const after = openItem({
        pending: { NS: [String(START - W)] },
        prevStart: { N: String(START - W) },
        [`w${START - W}_held`]: { N: '4' },
        [`w${START - W}_new`]: { N: '4' },
        [`w${START - W}_codes`]: { M: { S3ExportAccessDenied: { N: '4' } } },
        [`w${START - W}_samples`]: { SS: ['ns1/b.bin'] },
      });
      ddbMock.on(ScanCommand).resolves({ Items: [due] });
      ddbMock.on(UpdateItemCommand).resolves({ Attributes: after });

      // Act
      const work = await store().collect();

      // Assess
      expect(work.digests).toEqual([
        {
          key: KEY,
          logGroups: [],
          windowStart: START - W,
          windowEnd: START,
          held: 4,
          newFailures: 4,
          recurringFailures: 0,
          untracked: 0,
          outcomes: { started: 0, queued: 0, deferred: 0, refused: 0, escalated: 0 },
          codes: new Map([['S3ExportAccessDenied', 4]]),
          samples: ['ns1/b.bin'],
        },
      ]);
      const [input] = updates();
      expect(input?.UpdateExpression).toContain('ADD #pending :startSet');
      expect(input?.ExpressionAttributeValues).toMatchObject({
        ':ws': { N: String(START - W) },
        ':next': { N: String(START) },
        ':nextEnd': { N: String(START + W) },
      });
      if (input !== undefined) expectNoUnusedPlaceholders(input);
    });

    it('marks a due window without repeats recovered, only if nothing was counted since', async () => {
      // Prepare
      const due = openItem({
        windowStart: { N: String(START - W) },
        windowEnd: { N: String(START) },
        lastFailureAt: { N: String(START - W + 60) },
      });
      const after = openItem({
        status: { S: 'QUIET' },
        recoveredAt: { N: String(START) },
        recoveredSince: { N: String(START - W + 60) },
      });
      ddbMock.on(ScanCommand).resolves({ Items: [due] });
      ddbMock.on(UpdateItemCommand).resolves({ Attributes: after });

      // Act
      const work = await store().collect();

      // Assess
      expect(work.recovered).toEqual([
        { key: KEY, windowEnd: START, lastFailureAt: START - W + 60, windowSeconds: W },
      ]);
      const [input] = updates();
      expect(input?.ConditionExpression).toBe(
        '#status = :open AND #windowStart = :ws AND attribute_not_exists(#held) AND attribute_not_exists(#urgent)',
      );
      if (input !== undefined) expectNoUnusedPlaceholders(input);
    });

    it('leaves a window an analyzer wrote meanwhile to the next run', async () => {
      // Prepare
      const due = openItem({
        windowStart: { N: String(START - W) },
        windowEnd: { N: String(START) },
      });
      ddbMock.on(ScanCommand).resolves({ Items: [due] });
      ddbMock.on(UpdateItemCommand).rejects(conditionalFailure());

      // Act
      const work = await store().collect();

      // Assess
      expect(work).toEqual({ digests: [], recovered: [], skipped: 1 });
    });

    it('reads every page of the scan', async () => {
      // Prepare
      ddbMock
        .on(ScanCommand)
        .resolvesOnce({ Items: [], LastEvaluatedKey: { id: { S: 'x' } } })
        .resolves({ Items: [openItem({ pending: { NS: [String(START - W)] } })] });

      // Act
      const work = await store().collect();

      // Assess
      expect(ddbMock.commandCalls(ScanCommand)).toHaveLength(2);
      expect(work.digests.map((digest) => digest.windowStart)).toEqual([START - W]);
    });

    it('rolls what it read and says so when the table has more pages than one run scans', async () => {
      // Prepare: every page says there is another.
      ddbMock.on(ScanCommand).resolves({
        Items: [openItem({ pending: { NS: [String(START - W)] } })],
        LastEvaluatedKey: { id: { S: 'more' } },
      });

      // Act
      const work = await store().collect();

      // Assess
      expect(ddbMock.commandCalls(ScanCommand)).toHaveLength(50);
      expect(work.truncated).toBe(true);
      expect(work.digests).toHaveLength(50);
    });

    it('acknowledges a digest by removing its window counters, and a notice by its time', async () => {
      // Prepare
      ddbMock.on(UpdateItemCommand).resolves({ Attributes: {} });

      // Act
      await store().acknowledge({
        digests: [
          {
            key: KEY,
            logGroups: [],
            windowStart: START - W,
            windowEnd: START,
            held: 1,
            newFailures: 1,
            recurringFailures: 0,
            untracked: 0,
            outcomes: { started: 0, queued: 0, deferred: 0, refused: 0, escalated: 0 },
            codes: new Map(),
            samples: [],
          },
        ],
        recovered: [{ key: KEY, windowEnd: START, lastFailureAt: START - W, windowSeconds: W }],
      });

      // Assess
      const [digest, notice] = updates();
      expect(digest?.UpdateExpression).toContain('DELETE #pending :startSet');
      expect(digest?.ExpressionAttributeNames?.['#held']).toBe(`w${START - W}_held`);
      expect(notice?.ConditionExpression).toBe('#recoveredAt = :at');
      for (const input of [digest, notice])
        if (input !== undefined) expectNoUnusedPlaceholders(input);
    });
  });
});

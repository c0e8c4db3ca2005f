import { describe, expect, it, vi } from 'vitest';
import { renderEmail } from '../../../lib/analyze/email.ts';
import type { DigestStore, ObserveResult } from '../../../lib/common/ports.ts';
import type { BatchGroup, FailureRecord } from '../../../lib/common/types.ts';
import { alertingReport, gate, summaryOf } from '../../../lib/digest/gate.ts';
import { MAX_GROUPS } from '../../../lib/digest/windows.ts';
import { emptyReport, record, unparseable } from '../../helpers/reports.ts';

const WINDOW_END = 1_764_075_600; // 2025-11-25 13:00 UTC

function denied(index: number): FailureRecord {
  return record(index, { code: 'S3ExportAccessDenied', class: 'permission' });
}

/** A store that answers per class: held (counted in an open window), or alerted. */
function storeHolding(...held: string[]): Pick<DigestStore, 'observe'> & { seen: BatchGroup[] } {
  const seen: BatchGroup[] = [];
  return {
    seen,
    observe: vi.fn(async (group: BatchGroup): Promise<ObserveResult> => {
      seen.push(group);
      const hold = held.includes(group.key.cls);
      return { alerted: !hold, urgent: !hold, windowEnd: WINDOW_END };
    }),
  };
}

describe('Function: gate', () => {
  it('shows nothing and asks no window for a report without findings', async () => {
    // Prepare
    const store = storeHolding();

    // Act
    const decision = await gate(emptyReport(), store);

    // Assess
    expect(decision).toEqual({ kind: 'quiet', show: undefined, held: [], heldFailures: 0 });
    expect(store.seen).toEqual([]);
    expect(summaryOf(decision)).toBeUndefined();
  });

  it('shows the whole report when digests are off', async () => {
    // Prepare
    const report = emptyReport({ records: [record(1)] });

    // Act
    const decision = await gate(report, undefined);

    // Assess
    expect(decision).toEqual({ kind: 'off', show: report, held: [], heldFailures: 0 });
    expect(summaryOf(decision)).toEqual(renderEmail(report));
  });

  it('shows the whole report when every group alerts', async () => {
    // Prepare
    const report = emptyReport({ records: [record(1), denied(2)] });

    // Act
    const decision = await gate(report, storeHolding());

    // Assess
    expect(decision).toMatchObject({ kind: 'windows', show: report, held: [], heldFailures: 0 });
    expect(summaryOf(decision)).toEqual(renderEmail(report));
  });

  it('shows the groups that alert and notes the repeats it holds for the digest', async () => {
    // Prepare
    const report = emptyReport({ records: [record(1), denied(2), denied(3)] });

    // Act
    const decision = await gate(report, storeHolding('permission'));

    // Assess
    expect(decision.kind).toBe('windows');
    expect(decision.show?.records.map((item) => item.eventId)).toEqual(['ev-1']);
    expect(decision.heldFailures).toBe(2);
    expect(decision.held.map((item) => [item.group.key.cls, item.windowEnd])).toEqual([
      ['permission', WINDOW_END],
    ]);
    expect(summaryOf(decision)?.body).toContain('Also 2 more failures of already-alerted classes');
  });

  it('shows nothing when every failure is a repeat held for the digest', async () => {
    // Prepare
    const report = emptyReport({ records: [denied(1)], unparseable: [unparseable(1)] });

    // Act
    const decision = await gate(report, storeHolding('permission', 'unparseable'));

    // Assess
    expect(decision).toMatchObject({ kind: 'windows', show: undefined, heldFailures: 2 });
    expect(summaryOf(decision)).toBeUndefined();
  });

  it('shows a held group that has an escalation new to its window (urgent)', async () => {
    // Prepare
    const report = emptyReport({ records: [record(1)] });
    const store = {
      observe: async (): Promise<ObserveResult> => ({
        alerted: false,
        urgent: true,
        windowEnd: WINDOW_END,
      }),
    };

    // Act
    const decision = await gate(report, store);

    // Assess
    expect(decision).toMatchObject({ kind: 'windows', show: report, heldFailures: 0 });
  });

  it('always shows the groups past the bound the windows track', async () => {
    // Prepare
    const fileSystem = (index: number): string => `fs-${String(index).padStart(17, '0')}`;
    const records = Array.from({ length: MAX_GROUPS + 1 }, (_, index) => ({
      ...denied(index),
      fileSystemId: fileSystem(index),
    }));
    const report = emptyReport({ records });
    const store = storeHolding('permission');

    // Act
    const decision = await gate(report, store);

    // Assess
    expect(store.seen).toHaveLength(MAX_GROUPS);
    expect(decision.heldFailures).toBe(MAX_GROUPS);
    expect(decision.show?.records.map((item) => item.fileSystemId)).toEqual([
      fileSystem(MAX_GROUPS),
    ]);
  });

  it('sends the full summary when the window state cannot be read or written', async () => {
    // Prepare
    const report = emptyReport({ records: [record(1), denied(2)] });
    const store = {
      observe: async (): Promise<ObserveResult> => {
        throw new Error('ProvisionedThroughputExceededException: slow down');
      },
    };

    // Act
    const decision = await gate(report, store);

    // Assess
    expect(decision).toEqual({
      kind: 'unavailable',
      show: report,
      held: [],
      heldFailures: 0,
      reason: 'ProvisionedThroughputExceededException: slow down',
    });
    expect(summaryOf(decision)).toEqual(renderEmail(report));
  });
});

describe('Function: alertingReport', () => {
  it('keeps only the records and unparseable events of the alerting groups', () => {
    // Prepare
    const report = emptyReport({
      records: [denied(1), record(2)],
      unparseable: [unparseable(1)],
    });

    // Act
    const shown = alertingReport(report, new Set(['ev-2', 'bad-1']));

    // Assess
    expect(shown.records.map((item) => item.eventId)).toEqual(['ev-2']);
    expect(shown.unparseable.map((item) => item.eventId)).toEqual(['bad-1']);
    expect(shown.outcomes).toBe(report.outcomes);
  });
});

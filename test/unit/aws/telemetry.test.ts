import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import * as analyzer from '../../../lib/analyze/telemetry.ts';
import type { LogBatch, MetricPoint, Report, Telemetry } from '../../../lib/common/types.ts';
import { gate } from '../../../lib/digest/gate.ts';
import { digestRunTelemetry, gateTelemetry } from '../../../lib/digest/telemetry.ts';
import { doctorTelemetry } from '../../../lib/doctor/telemetry.ts';
import { dryRunRetrier } from '../../../lib/reexport/dry-run.ts';
import { outcomeTelemetry, retrierTelemetry } from '../../../lib/reexport/telemetry.ts';
import { FS } from '../../helpers/fixtures.ts';
import { coldStartWith, emfDocuments } from '../../helpers/lambda.ts';
import { emptyReport, record, startedOutcome, task, unparseable } from '../../helpers/reports.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const NAMESPACE = 'FsxExportAnalyzer';

type TelemetryModule = typeof import('../../../lib/aws/telemetry.ts');

/** A fresh telemetry module, as a cold start builds it, printing EMF on the spied console. */
function coldStart(): Promise<TelemetryModule> {
  return coldStartWith(
    { POWERTOOLS_SERVICE_NAME: '', POWERTOOLS_METRICS_NAMESPACE: '' },
    () => import('../../../lib/aws/telemetry.ts'),
  );
}

interface EmfMetric {
  readonly Namespace: string;
  readonly Dimensions: string[][];
  readonly Metrics: Array<{ Name: string; Unit: string }>;
}

/** The one metric directive of an EMF document. */
function directive(document: Record<string, unknown>): EmfMetric | undefined {
  const aws = document['_aws'] as { CloudWatchMetrics: EmfMetric[] } | undefined;
  return aws?.CloudWatchMetrics[0];
}

/** A batch of no events, for the duplicate-batch lines. */
const BATCH: LogBatch = {
  owner: '123456789012',
  logGroup: '/aws/fsx/lustre',
  logStream: `datarepo_${FS}`,
  subscriptionFilters: [],
  streamFileSystemId: FS,
  events: [],
};

/** A report that makes the analyzer emit every metric it has. */
function busyReport(): Report {
  const refused = {
    status: 'refused' as const,
    task: task({ paths: ['ns1/b.bin'] }),
    error: 'DataRepositoryTaskExecuting',
    reason: 'a task is running',
    retryLater: false,
  };
  return emptyReport({
    events: 3,
    records: [record(1), record(2, { class: 'permission', code: 'S3ExportAccessDenied' })],
    unparseable: [unparseable(1)],
    outcomes: [startedOutcome(task(), 'task-1'), refused],
  });
}

/** Every metric point the features compose, over inputs that take every branch. */
async function everyPoint(): Promise<MetricPoint[]> {
  const report = busyReport();
  const held = await gate(report, {
    observe: async () => ({ alerted: false, urgent: false, windowEnd: 1_764_072_000 }),
  });
  const unavailable = await gate(report, {
    observe: async () => {
      throw new Error('DynamoDB is down');
    },
  });
  const parts: Telemetry[] = [
    analyzer.reportTelemetry(report),
    analyzer.undecodableTelemetry(new Error('not gzip')),
    analyzer.skippedTelemetry('NEW_MESSAGE'),
    analyzer.duplicateTelemetry(BATCH),
    analyzer.inProgressTelemetry(BATCH),
    gateTelemetry(held),
    gateTelemetry(unavailable),
    digestRunTelemetry({ digests: [], recovered: [], skipped: 0, truncated: true }, 'ledger'),
    retrierTelemetry(await dryRunRetrier([], 'eu-west-1').report(), 0),
    outcomeTelemetry({
      generatedAt: '2025-11-25T12:30:00.000Z',
      region: 'eu-west-1',
      finished: [],
      stillOpen: 0,
    }),
    doctorTelemetry(
      {
        region: 'eu-west-1',
        fileSystems: 1,
        names: {},
        findings: [],
        counts: { OK: 0, NOTE: 0, WARN: 0, PROBLEM: 1, UNKNOWN: 0 },
        healthy: false,
      },
      0,
    ),
  ];
  return parts.flatMap((part) => part.metrics);
}

/** A metric the alarms or the dashboard read: its name and its dimensions besides `service`. */
interface MetricUse {
  readonly where: string;
  readonly name: string;
  readonly dimensions: readonly string[];
}

/** The metrics of our namespace the alarms read: one per alarm, on `service` only. */
function alarmUses(): MetricUse[] {
  const text = readFileSync(`${ROOT}/infra/alarms.yml`, 'utf8');
  return text
    .split(/^ {2}(?=\w+:$)/m)
    .filter((block) => new RegExp(`^\\s+Namespace: ${NAMESPACE}$`, 'm').test(block))
    .map((block) => ({
      where: `infra/alarms.yml ${block.slice(0, block.indexOf(':'))}`,
      name: /^\s+MetricName: (\w+)$/m.exec(block)?.[1] ?? '(none)',
      dimensions: [...block.matchAll(/^\s+- Name: (\w+)$/gm)]
        .map((match) => match[1] ?? '')
        .filter((name) => name !== 'service'),
    }));
}

/**
 * The metrics of our namespace the dashboard reads: its metric rows (`"."` repeats the row
 * above) and its SEARCH expressions over dimension sets.
 */
function dashboardUses(): MetricUse[] {
  const text = readFileSync(`${ROOT}/infra/dashboard.yml`, 'utf8');
  const uses: MetricUse[] = [];
  let namespace = '';
  for (const row of text.matchAll(/^\s*\[\s*"([^"]+)",\s*"([^"]+)"/gm)) {
    namespace = row[1] === '.' ? namespace : (row[1] ?? '');
    if (namespace === NAMESPACE) {
      uses.push({ where: 'infra/dashboard.yml row', name: row[2] ?? '', dimensions: [] });
    }
  }
  const search = new RegExp(
    `SEARCH\\('\\{${NAMESPACE},([\\w,]+)\\} MetricName=\\\\"(\\w+)\\\\"`,
    'g',
  );
  for (const match of text.matchAll(search)) {
    uses.push({
      where: 'infra/dashboard.yml SEARCH',
      name: match[2] ?? '',
      dimensions: (match[1] ?? '').split(',').filter((name) => name !== 'service'),
    });
  }
  return uses;
}

const dimensionKey = (names: readonly string[]): string => [...names].sort().join(',');

describe('Function: emit', () => {
  let consoleLog: MockInstance<typeof console.log>;

  beforeEach(() => {
    consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('adds totals to the invocation document: namespace FsxExportAnalyzer, unit Count', async () => {
    // Prepare
    const { emit, metrics } = await coldStart();

    // Act
    emit({
      metrics: [
        { name: 'EventsRead', value: 4 },
        { name: 'Records', value: 3 },
      ],
      logs: [],
    });
    metrics.publishStoredMetrics();

    // Assess
    const [document, ...others] = emfDocuments(consoleLog);
    expect(others).toEqual([]);
    expect(document).toMatchObject({ EventsRead: 4, Records: 3, service: 'fsx-export-analyzer' });
    expect(directive(document ?? {})).toEqual({
      Namespace: NAMESPACE,
      Dimensions: [['service']],
      Metrics: [
        { Name: 'EventsRead', Unit: 'Count' },
        { Name: 'Records', Unit: 'Count' },
      ],
    });
  });

  it('prints a point with dimensions at once, in a document of its own with those dimensions', async () => {
    // Prepare
    const { emit, metrics } = await coldStart();

    // Act
    emit({
      metrics: [
        { name: 'Failures', value: 2, dimensions: { FileSystemId: FS, Class: 'busy' } },
        { name: 'ReexportsRefused', value: 1, dimensions: { Error: 'BadRequest' } },
      ],
      logs: [],
    });

    // Assess
    const documents = emfDocuments(consoleLog);
    expect(metrics.hasStoredMetrics()).toBe(false);
    expect(documents).toHaveLength(2);
    expect(documents[0]).toMatchObject({ FileSystemId: FS, Class: 'busy', Failures: 2 });
    expect(directive(documents[0] ?? {})).toEqual({
      Namespace: NAMESPACE,
      Dimensions: [['service', 'FileSystemId', 'Class']],
      Metrics: [{ Name: 'Failures', Unit: 'Count' }],
    });
    expect(directive(documents[1] ?? {})).toMatchObject({
      Dimensions: [['service', 'Error']],
      Metrics: [{ Name: 'ReexportsRefused', Unit: 'Count' }],
    });
  });

  it('writes each log line at its level, with its fields when it has some', async () => {
    // Prepare
    const { emit, logger } = await coldStart();
    const info = vi.spyOn(logger, 'info');
    const error = vi.spyOn(logger, 'error');

    // Act
    emit({
      metrics: [],
      logs: [
        { level: 'info', message: 'Every failure of the batch was a repeat' },
        { level: 'error', message: 'Undecodable batch', fields: { reason: 'not gzip' } },
      ],
    });

    // Assess
    expect(info).toHaveBeenCalledExactlyOnceWith('Every failure of the batch was a repeat');
    expect(error).toHaveBeenCalledExactlyOnceWith('Undecodable batch', { reason: 'not gzip' });
  });
});

describe('Function: emitOnError', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('emits what the failure means and throws the error on', async () => {
    // Prepare
    const { emitOnError, logger } = await coldStart();
    const error = vi.spyOn(logger, 'error');
    const failure = new Error('not gzip');

    // Act
    const run = () =>
      emitOnError(
        () => {
          throw failure;
        },
        (caught) => analyzer.undecodableTelemetry(caught),
      );

    // Assess
    expect(run).toThrow(failure);
    expect(error).toHaveBeenCalledExactlyOnceWith('Undecodable batch', { reason: 'not gzip' });
  });

  it('returns what the step returns and emits nothing when it succeeds', async () => {
    // Prepare
    const { emitOnError, logger } = await coldStart();
    const error = vi.spyOn(logger, 'error');

    // Act
    const value = emitOnError(() => 42, analyzer.undecodableTelemetry);

    // Assess
    expect(value).toBe(42);
    expect(error).not.toHaveBeenCalled();
  });
});

describe('Metric names: the alarms and the dashboard read what the code emits', () => {
  it('finds the metrics of our namespace in infra/alarms.yml and infra/dashboard.yml', () => {
    // Act
    const uses = [...alarmUses(), ...dashboardUses()];

    // Assess
    expect(uses.map((use) => use.name)).toEqual(
      expect.arrayContaining(['Unparseable', 'ReexportsRefusedPermanent', 'Failures']),
    );
    expect(uses.length).toBeGreaterThan(20);
  });

  it.each(
    [...alarmUses(), ...dashboardUses()].map((use) => [
      `${use.where} ${use.name} by [${use.dimensions.join(', ')}]`,
      use,
    ]),
  )('%s is emitted', async (_, { name, dimensions }) => {
    // Prepare
    const points = await everyPoint();

    // Act
    const emitted = points.some(
      (point) =>
        point.name === name &&
        dimensionKey(Object.keys(point.dimensions ?? {})) === dimensionKey(dimensions),
    );

    // Assess
    expect(emitted).toBe(true);
  });
});

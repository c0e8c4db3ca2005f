import { type PipelineOptions, processBatches } from '../../lib/analyze/pipeline.ts';
import type {
  ExportTask,
  FailureRecord,
  LogBatch,
  Report,
  TaskOutcome,
  UnparseableEvent,
} from '../../lib/common/types.ts';
import type { RetrierReport } from '../../lib/reexport/retrier.ts';
import { batch, DEFAULT_STREAM, json } from './events.ts';
import { fakeFsx, fakeLedger } from './fake-ports.ts';
import { FS } from './fixtures.ts';

/** The region reports are made in, so renderers can link to the console. */
const REGION = 'eu-west-1';
const GENERATED_AT = '2025-11-25T12:30:00.000Z';
/** The completion-report path of {@link task}. */
const REPORT_PATH = 's3://bucket/prefix/fsx-export-analyzer-reports';

/** Dry-run pipeline options in {@link REGION} with a clock fixed at generation time. */
const OPTIONS: PipelineOptions = {
  maxPathsPerTask: 100,
  busyDelaySeconds: 300,
  reportPath: undefined,
  region: REGION,
  dryRun: true,
  now: () => new Date(GENERATED_AT),
};

/** Parses real events through the pipeline (no FSx port, so nothing is started). */
async function reportOf(
  batches: readonly LogBatch[],
  overrides: Partial<PipelineOptions> = {},
): Promise<Report> {
  return processBatches(batches, { ...OPTIONS, ...overrides }, undefined);
}

/** A report with nothing in it, made in {@link REGION} (override `region` for none). */
function emptyReport(overrides: Partial<Report> = {}): Report {
  return {
    generatedAt: GENERATED_AT,
    region: REGION,
    dryRun: false,
    sources: [],
    skippedMessages: 0,
    events: 0,
    records: [],
    unparseable: [],
    plan: { tasks: [], unplanned: [], awaitingMapping: [] },
    outcomes: [],
    ...overrides,
  };
}

/** The `index`th transient JSON record of {@link FS}, for reports built by hand. */
function record(index: number, overrides: Partial<FailureRecord> = {}): FailureRecord {
  return {
    kind: 'record',
    eventId: `ev-${index}`,
    timestamp: 1_764_072_000_000 + index,
    owner: '123456789012',
    logGroup: '/aws/fsx/lustre',
    logStream: DEFAULT_STREAM,
    code: 'S3ExportInternalError',
    class: 'transient',
    format: 'json',
    fileSystemId: FS,
    path: `/ns1/file-${index}.bin`,
    s3Key: undefined,
    bucket: undefined,
    associationId: undefined,
    time: undefined,
    level: 'ERROR',
    message: 'message',
    ...overrides,
  };
}

/** The `index`th event of {@link FS}'s stream that could not be read as a record. */
function unparseable(index: number, overrides: Partial<UnparseableEvent> = {}): UnparseableEvent {
  return {
    kind: 'unparseable',
    eventId: `bad-${index}`,
    timestamp: 1_764_072_000_000 + index,
    owner: '123456789012',
    logGroup: '/aws/fsx/lustre',
    logStream: DEFAULT_STREAM,
    reason: 'message is empty',
    sample: '',
    ...overrides,
  };
}

/** A planned re-export of one transient path of {@link FS}, reporting to {@link REPORT_PATH}. */
function task(overrides: Partial<ExportTask> = {}): ExportTask {
  return {
    fileSystemId: FS,
    paths: ['ns1/a.bin'],
    eventIds: ['ev-0'],
    classes: ['transient'],
    delaySeconds: 0,
    clientRequestToken: 'fea-token-0',
    reportPath: REPORT_PATH,
    ...overrides,
  };
}

/**
 * A dry-run report of one record and its planned task, with the note `analyze --associations
 * FILE` gives a task of a file system the file leaves out (and the refusal the Lambda would meet).
 */
function plannedReport(note: string, refusal?: 'NoReportPath'): Report {
  const planned = task();
  return emptyReport({
    dryRun: true,
    records: [record(0)],
    plan: { tasks: [planned], unplanned: [], awaitingMapping: [] },
    outcomes: [
      { status: 'planned', task: planned, note, ...(refusal === undefined ? {} : { refusal }) },
    ],
  });
}

/**
 * A dry run of 72 tasks on {@link FS}: 60 the Lambda would refuse (NoReportPath, one note), then
 * 12 that would start, so the first 50 shown are all refused ones.
 */
function refusedThenStartingReport(overrides: Partial<Report> = {}): Report {
  const tasks = (kind: string, count: number) =>
    Array.from({ length: count }, (_, index) =>
      task({ clientRequestToken: `fea-${kind}-${index + 1}`, paths: [`ns1/${kind}-${index}.bin`] }),
    );
  const refused = tasks('refused', 60);
  const starting = tasks('start', 12);
  return emptyReport({
    dryRun: true,
    records: [record(0)],
    plan: { tasks: [...refused, ...starting], unplanned: [], awaitingMapping: [] },
    outcomes: [
      ...refused.map((each) => ({
        status: 'planned' as const,
        task: each,
        note: 'no S3 association',
        refusal: 'NoReportPath' as const,
      })),
      ...starting.map((each) => ({ status: 'planned' as const, task: each })),
    ],
    ...overrides,
  });
}

/**
 * A live run of 54 tasks on {@link FS}: 52 started (`fea-start-1`…), then one refused for good
 * (`fea-refused`, BadRequest) and one deferred (`fea-deferred`), both past the 50th in plan order.
 */
function startedThenRefusedReport(): Report {
  const started = Array.from({ length: 52 }, (_, index) =>
    task({ clientRequestToken: `fea-start-${index + 1}`, paths: [`ns1/start-${index}.bin`] }),
  );
  const refused = task({ clientRequestToken: 'fea-refused', paths: ['ns1/refused.bin'] });
  const deferred = task({
    clientRequestToken: 'fea-deferred',
    paths: ['ns1/deferred.bin'],
    delaySeconds: 300,
  });
  return emptyReport({
    dryRun: false,
    records: [record(0)],
    plan: { tasks: [...started, refused, deferred], unplanned: [], awaitingMapping: [] },
    outcomes: [
      ...started.map((each, index) => startedOutcome(each, `task-${index + 1}`)),
      {
        status: 'refused',
        task: refused,
        error: 'BadRequest',
        reason: 'the path is outside every data repository association',
        retryLater: false,
      },
      { status: 'deferred', task: deferred, reason: 'busy files wait 300 s' },
    ],
  });
}

/**
 * A dry-run report of {@link FS} where a `..` path (never re-exported) keeps one of two
 * transient records and the one busy record from being re-exported.
 */
function partlyUnplannedReport(): Promise<Report> {
  return reportOf([
    batch([
      { message: json('S3ExportInternalError', '/ns1/d.bin') },
      { message: json('S3ExportInternalError', '/ns1/../etc/passwd') },
      { message: json('S3ExportResourceBusy', '/ns1/../b.bin') },
    ]),
  ]);
}

/**
 * A live report with a ledger where ns1/a (two events of three transient) and the busy ns1/w were
 * re-exported 3 times already: the pipeline escalates both paths and starts ns1/b.
 */
function escalatedReport(): Promise<Report> {
  const ledger = fakeLedger({ seed: { 'ns1/a': ['t1', 't2', 't3'], 'ns1/w': ['t1', 't2', 't3'] } });
  return processBatches(
    [
      batch([
        { message: json('InternalAutoExportError', '/ns1/a') },
        { message: json('InternalAutoExportError', '/ns1/a') },
        { message: json('InternalAutoExportError', '/ns1/b') },
        { message: json('S3ExportResourceBusy', '/ns1/w') },
      ]),
    ],
    {
      ...OPTIONS,
      dryRun: false,
      durable: { deferral: undefined, ledger: ledger.port, retryLaterSeconds: 300, maxAttempts: 3 },
    },
    fakeFsx().port,
  );
}

/** The outcome of a task FSx accepted as `taskId` and has not run yet (PENDING). */
function startedOutcome(task: ExportTask, taskId: string): TaskOutcome {
  return { status: 'started', task, taskId, lifecycle: 'PENDING' };
}

/**
 * The outcome of a task of busy files queued for the retrier with a 600 s delay, so not before
 * ten minutes after generation; `detail` is the summary's wording.
 */
function queuedOutcome(task: ExportTask, detail: string): TaskOutcome {
  return {
    status: 'queued',
    task,
    delaySeconds: 600,
    reason: 'busy',
    detail,
    notBefore: '2025-11-25T12:40:00.000Z',
  };
}

/** A retrier run that read no message and did nothing, with `overrides` on top. */
function retrierReport(overrides: Partial<RetrierReport> = {}): RetrierReport {
  return {
    generatedAt: '2026-11-25T12:00:00.000Z',
    region: REGION,
    messages: 0,
    started: [],
    escalated: [],
    refused: [],
    waiting: [],
    deadLettered: [],
    ...overrides,
  };
}

export {
  emptyReport,
  escalatedReport,
  partlyUnplannedReport,
  plannedReport,
  queuedOutcome,
  record,
  refusedThenStartingReport,
  reportOf,
  retrierReport,
  startedOutcome,
  startedThenRefusedReport,
  task,
  unparseable,
};

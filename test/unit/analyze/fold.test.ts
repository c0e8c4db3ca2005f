import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toJsonReport } from '../../../lib/analyze/analysis.ts';
import { renderEmail } from '../../../lib/analyze/email.ts';
import { ReportFold } from '../../../lib/analyze/fold.ts';
import { type PipelineOptions, processBatches } from '../../../lib/analyze/pipeline.ts';
import { renderTerminal } from '../../../lib/analyze/terminal.ts';
import { plainRecord, sourceOf } from '../../../lib/common/records.ts';
import type { Association, LogBatch } from '../../../lib/common/types.ts';
import { readInput } from '../../../lib/input/read.ts';
import { uniqueSources } from '../../../lib/render/report.ts';
import { FS } from '../../helpers/fixtures.ts';

const SAMPLES = join(import.meta.dirname, '../../../samples');
const NOW = new Date('2026-12-01T00:00:00Z');
const OPTIONS: PipelineOptions = {
  dryRun: true,
  maxPathsPerTask: 3,
  busyDelaySeconds: 600,
  reportPath: undefined,
  region: 'eu-west-1',
  now: () => NOW,
};

/** Every sample input, plus lines that exercise what the samples lack. */
function inputs(): LogBatch[] {
  const batches: LogBatch[] = [];
  const files = [
    ...readdirSync(join(SAMPLES, 'events')).map((file) => join(SAMPLES, 'events', file)),
    ...readdirSync(join(SAMPLES, 'lines')).map((file) => join(SAMPLES, 'lines', file)),
    join(SAMPLES, 'filter-log-events.json'),
  ];
  for (const file of files.sort()) {
    batches.push(
      ...readInput(readFileSync(file, 'utf8'), file, { maxDecompressedBytes: 1e8 }).batches,
    );
  }
  const odd = [
    // No file system anywhere: retryable but not re-exported.
    '{"errorCode":"InternalAutoExportError","filePath":"/ns1/a.bin"}',
    // Only an S3 key: awaits mapping without associations.
    `{"errorCode":"InternalAutoExportError","s3Key":"pre/k.bin","bucket":"bkt","fileSystemId":"${FS}"}`,
    `2025-11-25T06:04:12.000Z datarepo_${FS} {"errorCode":"S3ExportResourceBusy","filePath":"/ns1/b.dat"}`,
    'not an FSx record at all',
    '',
    `2025-11-25T06:05:00Z {"errorCode":"AccessDenied","filePath":"/ns2/c.dat","fileSystemId":"${FS}"}`,
  ].join('\n');
  batches.push(...readInput(odd, 'odd.log', { maxDecompressedBytes: 1e8 }).batches);
  return batches;
}

function fold(
  batches: readonly LogBatch[],
  options: PipelineOptions,
  limits?: ConstructorParameters<typeof ReportFold>[1],
) {
  const folder = new ReportFold(options, limits);
  for (const batch of batches) folder.add(batch);
  return folder.report(1);
}

describe('Class: ReportFold', () => {
  it('gives the same terminal report, email and JSON counts as the whole pipeline', async () => {
    // Prepare
    const batches = inputs();

    // Act
    const whole = await processBatches(batches, OPTIONS, undefined, 1);
    const folded = fold(batches, OPTIONS, { maxListed: 1e9, maxEventIds: 1e9 });

    // Assess
    expect(renderTerminal(folded)).toBe(renderTerminal(whole));
    expect(renderEmail(folded)).toEqual(renderEmail(whole));
    const { sources, truncated, ...json } = toJsonReport(folded);
    const { sources: wholeSources, ...wholeJson } = toJsonReport(whole);
    expect(json).toEqual(wholeJson);
    expect(sources).toEqual(uniqueSources(whole));
    expect(truncated).toEqual({
      failures: 0,
      unparseableEvents: 0,
      notRetried: 0,
      awaitingMapping: 0,
      eventIds: 0,
    });
    expect(renderTerminal(whole)).toContain('Not re-exported');
  });

  it('keeps only the first items of each list, counts the rest, and says how many were left out', async () => {
    // Prepare
    const batches = inputs();
    const whole = await processBatches(batches, OPTIONS, undefined, 1);

    // Act
    const folded = fold(batches, OPTIONS, { maxListed: 1, maxEventIds: 2 });

    // Assess
    const json = toJsonReport(folded);
    const wholeJson = toJsonReport(whole);
    for (const key of ['events', 'records', 'unparseable', 'byClass', 'byCode', 'fileSystems']) {
      expect(json[key]).toEqual(wholeJson[key]);
    }
    expect(folded.records).toEqual(whole.records.slice(0, 1).map(plainRecord));
    expect(folded.unparseable).toEqual(whole.unparseable.slice(0, 1));
    expect(json['truncated']).toEqual({
      failures: whole.records.length - 1,
      unparseableEvents: whole.unparseable.length - 1,
      notRetried: whole.plan.unplanned.length - 1,
      awaitingMapping: whole.plan.awaitingMapping.length - 1,
      eventIds: whole.plan.tasks.reduce((sum, task) => sum + task.eventIds.length, 0) - 2,
    });
    // The same paths are planned; only the event ids behind them are cut.
    expect(folded.plan.tasks.map((task) => task.paths)).toEqual(
      whole.plan.tasks.map((task) => task.paths),
    );
    // What a person reads is counted over every event, whatever the lists keep.
    const section = (text: string) => text.slice(text.indexOf('\nNot re-exported\n') + 1);
    expect(section(renderTerminal(folded)).split('\n').slice(0, 8)).toEqual(
      section(renderTerminal(whole)).split('\n').slice(0, 8),
    );
  });

  it('counts the records it could not re-export per class, so the class table stays exact when the lists are cut', async () => {
    // Prepare: 2 of 3 transient records name no file system; the busy one can be re-exported.
    const lines = [
      '{"errorCode":"InternalAutoExportError","filePath":"/ns1/a.bin"}',
      '{"errorCode":"InternalAutoExportError","filePath":"/ns1/b.bin"}',
      `{"errorCode":"InternalAutoExportError","filePath":"/ns1/c.bin","fileSystemId":"${FS}"}`,
      `{"errorCode":"S3ExportResourceBusy","filePath":"/ns1/d.dat","fileSystemId":"${FS}"}`,
    ].join('\n');
    const batches = readInput(lines, 'cut.log', { maxDecompressedBytes: 1e8 }).batches;
    const whole = await processBatches(batches, OPTIONS, undefined, 1);

    // Act
    const folded = fold(batches, OPTIONS, { maxListed: 1, maxEventIds: 1e9 });

    // Assess
    const table = (text: string) =>
      text.slice(text.indexOf('Failures by class'), text.indexOf('Failures by code'));
    const top = (body: string) => body.slice(0, body.indexOf('\nRead '));
    expect(folded.plan.unplanned).toHaveLength(1);
    expect(table(renderTerminal(folded))).toBe(table(renderTerminal(whole)));
    expect(top(renderEmail(folded).body)).toBe(top(renderEmail(whole).body));
    expect(top(renderEmail(folded).body)).toMatch(
      / busy +1 +1 +1 {2}would re-export after delay\n/,
    );
    expect(top(renderEmail(folded).body)).toContain(
      '* 2 of 3 transient records could not be re-exported: see RE-EXPORTS below.',
    );
    // --json counts what needs a person over every record, not over the `notRetried` it lists.
    const json = toJsonReport(folded);
    expect(json['notRetried']).toHaveLength(1);
    expect(json['needPerson']).toEqual({ records: 2, paths: 0 });
    expect(json['needPerson']).toEqual(toJsonReport(whole)['needPerson']);
    expect(json['reexports']).toEqual(toJsonReport(whole)['reexports']);
  });

  it('says "unknown" for unparseable events of no file system that it lists no more', async () => {
    // Prepare: 3 unparseable events, the first on a `datarepo_<id>` stream, the others on none.
    const lines = [
      `2025-11-25T06:04:12.000Z datarepo_${FS} not an FSx record`,
      'not an FSx record either',
      'nor this one',
    ].join('\n');
    const batches = readInput(lines, 'unparseable.log', { maxDecompressedBytes: 1e8 }).batches;
    const whole = await processBatches(batches, OPTIONS, undefined, 1);

    // Act: the folded report keeps only the first event, the one that names its file system.
    const folded = fold(batches, OPTIONS, { maxListed: 1, maxEventIds: 1e9 });

    // Assess
    const row = (text: string) => text.split('\n').find((line) => line.includes('unparseable '));
    expect(folded.unparseable).toHaveLength(1);
    expect(row(renderTerminal(whole))).toMatch(/unparseable +3 +- +1 \+ unknown/);
    expect(row(renderTerminal(folded))).toBe(row(renderTerminal(whole)));
    expect(row(renderEmail(folded).body)).toBe(row(renderEmail(whole).body));
  });

  it('reads the associations a record needs from --associations, as processBatches does', async () => {
    // Prepare
    const batches = inputs();
    const association: Association = {
      associationId: 'dra-1',
      fileSystemId: FS,
      lifecycle: 'AVAILABLE',
      fileSystemPath: '/ns1',
      dataRepositoryPath: 's3://bkt/pre/',
    };
    const options: PipelineOptions = {
      ...OPTIONS,
      knownAssociations: { source: 'dra.json', byFileSystem: new Map([[FS, [association]]]) },
    };

    // Act
    const whole = await processBatches(batches, options, undefined, 1);
    const folded = fold(batches, options, { maxListed: 1e9, maxEventIds: 1e9 });

    // Assess
    expect(renderTerminal(folded)).toBe(renderTerminal(whole));
    expect(folded.plan).toEqual(whole.plan);
    // The sample file systems are not in the file: their tasks carry the same notes.
    expect(folded.outcomes).toEqual(whole.outcomes);
    expect(whole.outcomes.filter((outcome) => 'note' in outcome).length).toBeGreaterThan(0);
    // Their S3-key-only records await mapping with the same notes, not as a person's work.
    expect(whole.plan.awaitingMappingNotes?.length).toBeGreaterThan(0);
  });

  it.each([
    ['assumed, then named', [true, false]],
    ['named, then assumed', [false, true]],
  ])('knows a log group some batch named, in either order (%s)', (_, order) => {
    // Prepare
    const [one, two] = readInput(
      `{"errorCode":"AccessDenied","filePath":"/a","fileSystemId":"${FS}"}\n`,
      'a.log',
      {
        maxDecompressedBytes: 1e8,
      },
    ).batches;
    if (one === undefined || two !== undefined) throw new Error('expected one batch');
    const { logGroupAssumed: _assumed, ...named } = one;
    const batches = order.map((assumed) =>
      assumed ? { ...named, logGroupAssumed: true as const } : named,
    );

    // Act
    const folded = fold(batches, OPTIONS);
    const merged = uniqueSources({ sources: batches.map((batch) => sourceOf(batch)) });

    // Assess
    const expected = {
      owner: one.owner,
      logGroup: one.logGroup,
      logStream: one.logStream,
      events: 2,
    };
    expect(folded.sources).toEqual([expected]);
    expect(merged).toEqual([expected]);
  });

  it('keeps a log group assumed when every batch of its source assumed it', () => {
    // Prepare
    const batches = readInput(
      `{"errorCode":"AccessDenied","filePath":"/a","fileSystemId":"${FS}"}\n`,
      'a.log',
      {
        maxDecompressedBytes: 1e8,
      },
    ).batches;

    // Act
    const folded = fold([...batches, ...batches], OPTIONS);

    // Assess
    expect(folded.sources).toEqual([expect.objectContaining({ logGroupAssumed: true, events: 2 })]);
  });

  it('refuses to fold a run that would start tasks', () => {
    expect(() => new ReportFold({ ...OPTIONS, dryRun: false })).toThrow(/dry run/);
  });
});

import { describe, expect, it } from 'vitest';
import { hintFor } from '../../../lib/analyze/classify.ts';
import { renderTerminal } from '../../../lib/analyze/terminal.ts';
import type { ExportTask } from '../../../lib/common/types.ts';
import { batch, json } from '../../helpers/events.ts';
import { FS } from '../../helpers/fixtures.ts';
import {
  emptyReport,
  escalatedReport,
  partlyUnplannedReport,
  plannedReport,
  queuedOutcome,
  record,
  refusedThenStartingReport,
  reportOf,
  startedOutcome,
  startedThenRefusedReport,
  task,
  unparseable,
} from '../../helpers/reports.ts';
import { tooWide } from '../../helpers/width.ts';

const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const SGR = /\u001b\[[0-9;]*m/g;
const HOSTILE = '\u001b[2J\u001b]0;x\u0007\r\nfake line\u0000\u2028\u202egnp.exe\u009b31m';

/** The lines of the block that starts with `title`, up to the next blank line. */
/** A one-record report read from `logGroup` (its stream FSx's name for FS's). */
function sourceReport(logGroup: string) {
  return emptyReport({
    region: undefined,
    events: 1,
    records: [record(0)],
    sources: [{ owner: '123456789012', logGroup, logStream: `datarepo_${FS}`, events: 1 }],
  });
}

function block(output: string, title: string): string[] {
  const lines = output.split('\n');
  const start = lines.indexOf(title);
  const end = lines.indexOf('', start);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The re-exports table, under the tally line that opens the section (checked here). */
function reexportTable(output: string): string[] {
  const [tally, ...table] = block(output, 'Re-exports');
  expect(tally).toMatch(/^ {2}\d+ tasks?: .+\.$/);
  return table;
}

describe('Function: renderTerminal', () => {
  it('prints an aligned per-class table with an unparseable row', async () => {
    // Prepare
    const report = await reportOf([
      batch([
        { message: json('S3ExportAccessDenied', '/ns1/a.bin') },
        { message: json('S3ExportResourceBusy', '/ns1/b.bin') },
        { message: json('S3ExportResourceBusy', '/ns1/c.bin') },
        { message: json('S3ExportInternalError', '/ns1/d.bin') },
        { message: 'not an FSx record' },
      ]),
    ]);

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(block(output, 'Failures by class')).toEqual([
      '  Class        Records  Files  File systems  What happens',
      '  permission         1      1             1  a person must act',
      '  transient          1      1             1  would be re-exported',
      '  busy               2      2             1  would re-export after delay',
      '  unparseable        1      -             1  a person should read them',
    ]);
    expect(output).toContain('Events read:     5');
    expect(output).toContain(
      'Time range:      2025-11-25T12:00:00.000Z to 2025-11-25T12:00:00.004Z',
    );
    expect(output).toContain('Dry run: FSx was not called');
    // The shape first: the class table comes before every detail table.
    expect(output.indexOf('Failures by class')).toBeLessThan(output.indexOf('Failures by code'));
  });

  it("prints a planned task's note under its paths, sanitised, and points to it", () => {
    // Prepare
    const report = plannedReport(`${FS} is not in dra${HOSTILE}.json`);

    // Act
    const output = renderTerminal(report);

    // Assess
    const lines = output.split('\n');
    const paths = lines.indexOf('    ns1/a.bin');
    expect(lines[paths + 1]).toMatch(new RegExp(`^ {4}Note: ${FS} is not in dra\\\\x1b`));
    expect(output).toMatch(/planned .* dry run \(see note\)/);
    expect(output).not.toMatch(UNSAFE);
  });

  it('says in the Result column that the Lambda would refuse a planned task', () => {
    // Prepare
    const report = plannedReport('no S3 association', 'NoReportPath');

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(output).toMatch(/planned .* dry run: would be refused \(see note\)\n/);
  });

  it('counts a dry-run task the Lambda would refuse where refused tasks count', () => {
    // Prepare
    const report = plannedReport('no S3 association', 'NoReportPath');

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(block(output, 'Failures by class')).toEqual([
      '  Class      Records  Files  File systems  What happens',
      '  transient        1      1             1  would not be re-exported *',
      '  * 1 of 1 transient record would not be re-exported: the Lambda would refuse its task; see',
      '    "Re-exports" below.',
    ]);
    expect(block(output, 'What a person must fix')).toEqual([
      '  Re-exports the Lambda would refuse: 1 task, 1 path (see Re-exports)',
    ]);
  });

  it('marks a class whose records could not all be re-exported, with a note under the table', async () => {
    // Prepare
    const report = await partlyUnplannedReport();

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(block(output, 'Failures by class')).toEqual([
      '  Class      Records  Files  File systems  What happens',
      '  transient        2      2             1  would be re-exported *',
      '  busy             1      1             1  would not be re-exported *',
      // No lone last word: "below." takes the word before it along.
      '  * 1 of 2 transient records and 1 of 1 busy record could not be re-exported: see "Not',
      '    re-exported" below.',
    ]);
    expect(output).toContain('\nNot re-exported\n');
  });

  it('prints the Logs Insights link of the window on its own line, only with a region', async () => {
    // Prepare
    const report = await reportOf([
      batch([{ message: json('S3ExportAccessDenied', '/ns1/a.bin') }]),
    ]);

    // Act
    const output = renderTerminal(report, { color: true });
    const withoutRegion = renderTerminal({ ...report, region: undefined });

    // Assess
    const lines = output.split('\n');
    const label = lines.indexOf('Logs Insights:');
    expect(label).toBeGreaterThan(lines.findIndex((line) => line.startsWith('Time range:')));
    expect(lines[label + 1]).toBe(
      "  https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2025-11-25T12*3a01*3a00.000Z~start~'2025-11-25T12*3a00*3a00.000Z~timeType~'ABSOLUTE~tz~'UTC~editorString~'fields*20*40timestamp*2c*20*40logStream*2c*20*40message*0a*7c*20filter*20*40logStream*20in*20*5b*22datarepo_fs-0123456789abcdef0*22*5d*0a*7c*20sort*20*40timestamp*20desc*0a*7c*20limit*201000~source~(~'*2faws*2ffsx*2flustre))",
    );
    expect(withoutRegion).not.toContain('Logs Insights');
    expect(withoutRegion).not.toContain('https://');
  });

  it('says the time range is unknown for lines without times, with no Logs Insights link', () => {
    // Prepare
    const untimed = emptyReport({
      events: 2,
      records: [record(0, { timestamp: undefined })],
      unparseable: [unparseable(0, { timestamp: undefined })],
    });
    const mixed = emptyReport({
      events: 3,
      records: [record(0), record(1, { timestamp: undefined }), record(2)],
    });

    // Act
    const none = renderTerminal(untimed);
    const some = renderTerminal(mixed);

    // Assess
    expect(none).toContain(
      'Time range:      unknown (no log event carries a time; times inside records are not used)\n',
    );
    expect(none).not.toContain('1970');
    expect(none).not.toContain('Logs Insights');
    expect(some).toContain(
      'Time range:      2025-11-25T12:00:00.000Z to 2025-11-25T12:00:00.002Z (1 event has no time)\n',
    );
    expect(some).toContain('Logs Insights:');
  });

  it('names the file system and account of refused and deferred re-exports', () => {
    // Prepare
    const refused = task({ clientRequestToken: 'fea-refused' });
    const deferred = task({ clientRequestToken: 'fea-deferred', delaySeconds: 300 });
    const report = emptyReport({
      region: undefined,
      records: [record(0)],
      events: 1,
      plan: { tasks: [refused, deferred], unplanned: [], awaitingMapping: [] },
      outcomes: [
        { status: 'refused', task: refused, error: 'BadRequest', reason: 'no', retryLater: true },
        { status: 'deferred', task: deferred, reason: 'busy' },
      ],
    });

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(output).toContain(`  #1 fea-refused on ${FS} (account 123456789012):\n`);
    expect(output).toContain(`  #2 fea-deferred on ${FS} (account 123456789012):\n`);
  });

  it('names the account of a dry-run task the Lambda would refuse, not of one it would start', () => {
    // Prepare
    const refused = task({ clientRequestToken: 'fea-refused' });
    const started = task({ clientRequestToken: 'fea-started', paths: ['ns1/b.bin'] });
    const report = emptyReport({
      region: undefined,
      dryRun: true,
      records: [record(0)],
      events: 1,
      plan: { tasks: [refused, started], unplanned: [], awaitingMapping: [] },
      outcomes: [
        { status: 'planned', task: refused, note: 'no S3 association', refusal: 'NoReportPath' },
        { status: 'planned', task: started },
      ],
    });

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(output).toContain(`  #1 fea-refused on ${FS} (account 123456789012):\n`);
    expect(output).toContain(`  #2 fea-started on ${FS}:\n`);
  });

  it('names the file system of every record a person must fix, paths relative to its root', () => {
    // Prepare
    const report = emptyReport({
      region: undefined,
      events: 3,
      records: [
        record(0, { class: 'permission', code: 'S3ExportAccessDenied', path: '/ns1//a.bin' }),
        record(1, {
          class: 'permission',
          code: 'S3ExportAccessDenied',
          path: 'ns1/b.bin',
          fileSystemId: undefined,
          owner: 'unknown',
        }),
        record(2, { class: 'permission', code: 'S3ExportAccessDenied', path: '/ns1/./c.bin' }),
      ],
    });

    // Act
    const output = renderTerminal(report);

    // Assess
    const person = block(output, 'What a person must fix');
    const first = person.findIndex((line) => line.startsWith('      File system'));
    expect(person.slice(first, first + 5)).toEqual([
      `      File system ${FS}, account 123456789012: 2 records`,
      '        ns1/a.bin',
      '        ns1/c.bin',
      '      File system unknown: 1 record',
      '        ns1/b.bin',
    ]);
  });

  it('prints per-code and per-file-system tables', async () => {
    // Prepare
    const report = await reportOf([
      batch([
        { message: json('S3ExportAccessDenied', '/ns1/a.bin') },
        { message: json('S3ExportAccessDenied', '/ns1/b.bin') },
        { message: json('S3ExportResourceBusy', '/ns1/c.bin') },
      ]),
      batch([{ message: json('S3ExportResourceBusy', '/ns1/d.bin') }], 'datarepo_fs-11111111'),
    ]);

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(block(output, 'Failures by code')).toEqual([
      '  Code                  Class       Count',
      '  S3ExportAccessDenied  permission      2',
      '  S3ExportResourceBusy  busy            2',
    ]);
    expect(block(output, 'File systems')).toEqual([
      '  File system           Records  permission  busy',
      '  fs-0123456789abcdef0        3           2     1',
      '  fs-11111111                 1           0     1',
    ]);
  });

  it('lists the file systems one a line when a column per class would pass 100 columns', () => {
    // Prepare: every class on one file system: the table would be 101 columns wide.
    const classes = [
      ['permission', 'S3ExportAccessDenied'],
      ['limit', 'S3ExportObjectTooLarge'],
      ['report', 'ReportPathAccessDenied'],
      ['unknown', 'SomethingNew'],
      ['transient', 'S3ExportInternalError'],
      ['busy', 'S3ExportResourceBusy'],
      ['import', 'S3ImportAccessDenied'],
      ['skipped', 'S3ExportSkipped'],
    ] as const;
    const report = emptyReport({
      region: undefined,
      events: 9,
      records: [
        ...classes.map(([cls, code], index) => record(index, { class: cls, code })),
        record(8, { fileSystemId: 'fs-11111111', class: 'busy', code: 'S3ExportResourceBusy' }),
      ],
    });

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(block(output, 'File systems')).toEqual([
      `  ${FS}: 8 records (1 permission, 1 limit, 1 report, 1 unknown, 1 transient, 1 busy,`,
      '    1 import, 1 skipped)',
      '  fs-11111111: 1 record (1 busy)',
    ]);
    expect(tooWide(output)).toEqual([]);
  });

  it('lists the sources one a line each when their names would pass 100 columns', () => {
    // Prepare
    const logGroup = `/aws/fsx/lustre/${'g'.repeat(60)}`;
    const report = sourceReport(logGroup);

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(block(output, 'Where to look')).toEqual([
      `  Log group:  ${logGroup}`,
      `  Log stream: datarepo_${FS}`,
      '  Account:    123456789012, 1 event',
    ]);
  });

  it('keeps a log group name too long for its line whole, on a line of its own, to be copied', () => {
    // Prepare: 116 characters after the label would pass 100 columns (CloudWatch allows 512).
    const logGroup = `/aws/fsx/lustre/${'g'.repeat(100)}`;
    const report = sourceReport(logGroup);

    // Act
    const output = renderTerminal(report);

    // Assess: whole, never cut in the middle or across lines.
    expect(block(output, 'Where to look')).toEqual([
      '  Log group:',
      `    /aws/fsx/lustre/${'g'.repeat(100)}`,
      `  Log stream: datarepo_${FS}`,
      '  Account:    123456789012, 1 event',
    ]);
    expect(output).not.toContain('…');
  });

  it.each([
    ['control characters', `/aws/fsx/lustre${'\u0001'.repeat(200)}`],
    ['bidi overrides', `/aws/fsx/lustre/${'\u202e'.repeat(50)}`],
    ['wide characters', `/aws/fsx/lustre/${'日'.repeat(150)}`],
  ])(
    'wraps a long log group name with %s at 100 characters: not one a command takes as shown',
    (_what, logGroup) => {
      // Prepare
      const report = sourceReport(logGroup);

      // Act
      const output = renderTerminal(report);

      // Assess: every line within 100 characters, the name sanitised.
      for (const line of output.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
      expect(output).not.toMatch(/[\u0001\u202e]/);
    },
  );

  it('keeps no escaped name whole: not the log name, nor a path or note with the same text', () => {
    // Prepare: a task path equal to a log stream name that escaping makes long (34 characters,
    // 124 once each ESC reads \x1b), and a note of the same text.
    const name = `ns1/${'\u001b'.repeat(30)}`;
    const planned = task({ paths: [name] });
    const report = emptyReport({
      region: undefined,
      dryRun: true,
      events: 1,
      records: [record(0)],
      sources: [{ owner: '123456789012', logGroup: '/aws/fsx/lustre', logStream: name, events: 1 }],
      plan: { tasks: [planned], unplanned: [], awaitingMapping: [] },
      outcomes: [{ status: 'planned', task: planned, note: `${name}x`.repeat(2) }],
    });

    // Act
    const lines = renderTerminal(report).split('\n');

    // Assess: escaped, the name is not one a command takes as shown, so nothing is kept whole:
    // neither the stream's line nor the path's nor the note's passes 100 columns.
    const wide = lines.filter((line) => line.length > 100 && !/^ *https:/.test(line));
    expect(wide).toEqual([]);
    expect(lines).toContain('  Log stream:');
  });

  it('cuts a file path the note had to shorten: with its ellipsis it names no file', () => {
    // Prepare: a path longer than a note keeps, so the note shortens it in the middle.
    const file = `/home/operator/${'associations-of-the-production-cluster/'.repeat(20)}dra.json`;
    const report = plannedReport(
      `${file} lists no S3 data repository association of ${FS} to hold the completion report`,
      'NoReportPath',
    );

    // Act
    const lines = renderTerminal(report).split('\n');

    // Assess
    expect(lines.some((line) => line.includes('…'))).toBe(true);
    for (const line of lines.filter((text) => !/^ *https:/.test(text))) {
      expect(line.length).toBeLessThanOrEqual(100);
    }
  });

  it("keeps a long file path of our own options whole in a task's note", () => {
    // Prepare: the --associations file, as the dry run's note names it.
    const file = `/home/operator/${'associations-of-the-production-cluster/'.repeat(3)}dra.json`;
    const report = plannedReport(
      `${file} lists no S3 data repository association of ${FS} to hold the completion report`,
      'NoReportPath',
    );

    // Act
    const lines = renderTerminal(report).split('\n');

    // Assess
    const note = lines.indexOf('    Note:');
    expect(lines[note + 1]).toBe(`    ${file}`);
    expect(lines[note + 2]).toMatch(/^ {4}lists no S3 data repository association/);
    // Links aside (never cut either), every other line still fits.
    for (const line of lines.filter((each) => !/^ *https:\/\//.test(each))) {
      if (line !== `    ${file}`) expect(line.length).toBeLessThanOrEqual(100);
    }
  });

  it("gives a file system's note once, under its first task, and refers back to it", () => {
    // Prepare: three tasks with the same note, two on one file system.
    const other = 'fs-0fedcba9876543210';
    const tasks = [
      task({ clientRequestToken: 'fea-1', paths: ['ns1/1.bin'] }),
      task({ clientRequestToken: 'fea-2', paths: ['ns1/2.bin'] }),
      task({ clientRequestToken: 'fea-3', paths: ['ns1/3.bin'], fileSystemId: other }),
    ];
    const report = emptyReport({
      region: undefined,
      dryRun: true,
      records: [record(0)],
      plan: { tasks, unplanned: [], awaitingMapping: [] },
      outcomes: tasks.map((each) => ({
        status: 'planned' as const,
        task: each,
        note: 'no S3 association holds the completion report',
      })),
    });

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(output).toContain(
      `  #1 fea-1 on ${FS}:\n    ns1/1.bin\n    Note: no S3 association holds the completion report\n`,
    );
    expect(output).toContain(`  #2 fea-2 on ${FS}:\n    ns1/2.bin\n    Note: as for #1.\n`);
    expect(output).toContain(
      `  #3 fea-3 on ${other}:\n    ns1/3.bin\n    Note: no S3 association holds the completion report\n`,
    );
  });

  it('numbers the re-exports rows and their tasks alike, past 50 tasks too', () => {
    // Prepare
    const tasks = Array.from({ length: 52 }, (_, index) =>
      task({ clientRequestToken: `fea-token-${index + 1}`, paths: [`ns1/${index + 1}.bin`] }),
    );
    const report = emptyReport({
      region: undefined,
      dryRun: true,
      records: [record(0)],
      plan: { tasks, unplanned: [], awaitingMapping: [] },
      outcomes: tasks.map((each) => ({ status: 'planned' as const, task: each })),
    });

    // Act
    const lines = reexportTable(renderTerminal(report));
    const output = renderTerminal(report);

    // Assess
    expect(lines[0]).toBe('   #  Status   File system           Paths  Delay  Result');
    expect(lines[1]).toBe(`   1  planned  ${FS}      1    0 s  dry run`);
    expect(lines[50]).toBe(`  50  planned  ${FS}      1    0 s  dry run`);
    expect(lines[51]).toBe('  … and 2 more tasks: --json lists every one');
    expect(output).toContain(`\n  #1 fea-token-1 on ${FS}:\n    ns1/1.bin\n`);
    // Where the tasks' lines stop, too: #50 is not the last task.
    expect(output).toContain(
      `\n  #50 fea-token-50 on ${FS}:\n    ns1/50.bin\n\n  … and 2 more tasks: --json lists every one\n`,
    );
    expect(output).not.toContain('#51');
  });

  it('lists the tasks left to a person first, before the 50th row cuts the list', () => {
    // Prepare: 52 started tasks, then a refused and a deferred one, the 53rd and 54th in plan order.
    const report = startedThenRefusedReport();

    // Act
    const output = renderTerminal(report);

    // Assess
    const table = reexportTable(output);
    expect(table[1]).toMatch(/^ {3}1 {2}refused {2}.* BadRequest$/);
    expect(table[2]).toMatch(/^ {3}2 {2}deferred .* waiting for the writer$/);
    expect(table[3]).toMatch(/^ {3}3 {2}started {2}.* task task-1 \(PENDING\)$/);
    expect(table[51]).toBe('  … and 4 more tasks: --json lists every one');
    // The lines under the table use the rows' numbers, with the reason and the command.
    expect(output).toContain(
      `\n  #1 fea-refused on ${FS} (account 123456789012):\n    ns1/refused.bin\n    the path is outside every data repository association\n`,
    );
    expect(output).toContain(`\n  #2 fea-deferred on ${FS} (account 123456789012):\n`);
    expect(output).toContain(`\n  #50 fea-start-48 on ${FS}:\n`);
    expect(output).not.toContain('fea-start-49');
  });

  it('opens the re-exports with the tally of tasks, so those past the 50th row are counted', () => {
    // Prepare: the first 50 rows are all tasks the Lambda would refuse; the ones that would
    // start come after them.
    const report = refusedThenStartingReport({ region: undefined });

    // Act
    const lines = block(renderTerminal(report), 'Re-exports');

    // Assess
    expect(lines[0]).toBe('  72 tasks: 12 planned, 60 would be refused.');
    expect(lines[1]).toBe('   #  Status   File system           Paths  Delay  Result');
  });

  it('shows planned re-exports with file system, path count and delay, then each token and first paths', async () => {
    // Prepare
    const busy = ['a', 'b', 'c', 'd', 'e'].map((name) => ({
      message: json('S3ExportResourceBusy', `/ns1/${name}.bin`),
    }));
    const report = await reportOf([
      batch([...busy, { message: json('S3ExportInternalError', '/ns1/z.bin') }]),
    ]);

    // Act
    const output = renderTerminal(report);

    // Assess
    const [first, second] = report.plan.tasks;
    const table = reexportTable(output);
    expect(table[0]).toBe('  #  Status   File system           Paths  Delay  Result');
    expect(table[1]).toBe(`  1  planned  ${FS}      1    0 s  dry run`);
    expect(table[2]).toBe(`  2  planned  ${FS}      5  300 s  dry run`);
    expect(output).toContain(`  #1 ${first?.clientRequestToken} on ${FS}:\n    ns1/z.bin\n`);
    expect(output).toContain(
      `  #2 ${second?.clientRequestToken} on ${FS}:\n    ns1/a.bin\n    ns1/b.bin\n    ns1/c.bin\n    … and 2 more paths: --json lists every one\n`,
    );
  });

  it('marks a class whose paths were escalated, and sends the reader to what a person must fix', async () => {
    // Prepare
    const report = await escalatedReport();

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(block(output, 'Failures by class').slice(1)).toEqual([
      '  transient        3      2             1  re-exported *',
      '  busy             1      1             1  not re-exported *',
      '  * 2 of 3 transient records and 1 of 1 busy record reached the re-export limit: see "What a person',
      '    must fix" below.',
    ]);
    expect(output).toContain('\nWhat a person must fix\n');
  });

  it('keeps the re-exports table within 100 columns, whatever the outcomes say', () => {
    // Prepare: every status, the longest result cells, a long delay and many paths.
    const paths = Array.from({ length: 12_345 }, (_, index) => `ns1/${index}.bin`);
    const tasks = Array.from({ length: 6 }, (_, index) =>
      task({ clientRequestToken: `fea-${index}`, delaySeconds: 86_400, paths }),
    );
    const [started, refused, deferred, queued, noted, refusedPlanned] = tasks as [
      ExportTask,
      ExportTask,
      ExportTask,
      ExportTask,
      ExportTask,
      ExportTask,
    ];
    const report = emptyReport({
      region: undefined,
      plan: { tasks, unplanned: [], awaitingMapping: [] },
      outcomes: [
        { status: 'started', task: started, taskId: `task-${'0'.repeat(60)}`, lifecycle: 'x' },
        {
          status: 'refused',
          task: refused,
          error: `ServiceLimitExceeded${HOSTILE}${'e'.repeat(200)}`,
          reason: 'r'.repeat(300),
          retryLater: false,
        },
        { status: 'deferred', task: deferred, reason: 'busy files wait' },
        {
          status: 'queued',
          task: queued,
          delaySeconds: 600,
          reason: `DataRepositoryTaskExecuting${HOSTILE}`,
          detail: 'the file system runs a task',
          notBefore: '2025-11-25T12:40:00.000Z',
        },
        { status: 'planned', task: noted, note: 'a note' },
        { status: 'planned', task: refusedPlanned, note: 'a note', refusal: 'NoReportPath' },
      ],
    });

    // Act
    const table = reexportTable(renderTerminal(report));

    // Assess
    expect(table).toHaveLength(7);
    for (const line of table) expect(line.length).toBeLessThanOrEqual(100);
    // Tasks left to a person first: refused, deferred, would be refused, then the others.
    expect(table[1]).toMatch(/^ {2}1 {2}refused {2}.* 86400 s {2}ServiceLimitExceeded\\x1b/);
    expect(table[3]).toMatch(/ {2}dry run: would be refused \(see note\)$/);
    // Cut in the middle: the reason's whole text is under the table.
    expect(table[5]).toMatch(/ {2}until 2025-11-25T12:40:00.000Z \(DataR…\\x9b31m\)$/);
    expect(table.join('\n')).not.toMatch(UNSAFE);
  });

  it('shows refused and deferred re-exports first, with what to run by hand, then started ones', () => {
    // Prepare
    const started = task({ clientRequestToken: 'fea-started' });
    const refused = task({ clientRequestToken: 'fea-refused', paths: ['ns1/r.bin'] });
    const deferred = task({
      clientRequestToken: 'fea-deferred',
      paths: ['ns1/b.bin'],
      delaySeconds: 300,
    });
    const report = emptyReport({
      region: undefined,
      plan: { tasks: [started, refused, deferred], unplanned: [], awaitingMapping: [] },
      outcomes: [
        startedOutcome(started, 'task-0123456789abcdef0'),
        {
          status: 'refused',
          task: refused,
          error: 'BadRequest',
          reason: 'FSx rejected the request (path not found)',
          retryLater: false,
        },
        { status: 'deferred', task: deferred, reason: 'busy files wait 300 s' },
      ],
    });

    // Act
    const output = renderTerminal(report);

    // Assess
    const table = reexportTable(output);
    expect(table[1]).toMatch(/^ {2}1 {2}refused .* BadRequest$/);
    expect(table[2]).toMatch(/^ {2}2 {2}deferred .* 300 s {2}waiting for the writer$/);
    expect(table[3]).toMatch(/^ {2}3 {2}started .* task task-0123456789abcdef0 \(PENDING\)$/);
    expect(output).toContain('\n  #1 fea-refused on ');
    expect(output).toContain('\n  #3 fea-started on ');
    expect(output).toContain('    FSx rejected the request (path not found)');
    expect(output).toContain(
      "      aws fsx create-data-repository-task --file-system-id fs-0123456789abcdef0 --type EXPORT_TO_REPOSITORY --paths 'ns1/b.bin' --report Enabled=true,Path=s3://bucket/prefix/fsx-export-analyzer-reports,Format=REPORT_CSV_20191124,Scope=FAILED_FILES_ONLY",
    );
    expect(output).toContain('  Refused re-exports: 1 task, 1 path (see Re-exports)');
  });

  it('shows queued re-exports and the escalated paths with their history', () => {
    // Prepare
    const queued = task({
      clientRequestToken: 'fea-queued',
      paths: ['ns1/w.bin'],
      delaySeconds: 600,
    });
    const report = emptyReport({
      region: undefined,
      plan: { tasks: [queued], unplanned: [], awaitingMapping: [] },
      outcomes: [queuedOutcome(queued, 'busy files wait 600 s for their writer to finish')],
      escalated: [
        {
          fileSystemId: FS,
          path: 'ns1/x.bin',
          taskIds: ['task-00000000000000001', 'task-00000000000000002'],
          lastAttemptAt: '2025-11-25T11:00:00.000Z',
          reportPath: undefined,
        },
      ],
    });

    // Act
    const output = renderTerminal(report);

    // Assess
    const table = reexportTable(output);
    expect(table[1]).toMatch(
      /^ {2}1 {2}queued .* 600 s {2}until 2025-11-25T12:40:00.000Z \(busy\)$/,
    );
    expect(output).toContain('    busy files wait 600 s for their writer to finish');
    expect(output).not.toContain('Re-export by hand later');
    const person = output.slice(output.indexOf('What a person must fix'));
    expect(person).toContain('ns1/x.bin');
    expect(person).toContain('2 re-exports: task-00000000000000001, task-00000000000000002');
  });

  it('lists what was not retried, unparseable samples and what a person must fix', async () => {
    // Prepare
    const report = await reportOf([
      batch([
        { message: json('S3ExportAccessDenied', '/ns1/denied.bin') },
        { message: json('S3ExportInternalError', '/ns1/../escape.bin') },
        { message: '{"level":"ERROR"}' },
      ]),
    ]);

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(block(output, 'Not re-exported')).toEqual([
      '  1 x path contains "..", which leaves the file system root',
      `    File system ${FS}, account 123456789012: 1 failure`,
      '      ns1/../escape.bin',
    ]);
    expect(block(output, 'Unparseable events (kept, not dropped)')).toEqual([
      `  not a documented FSx data repository event (no known code or message) (event ev-2 in stream`,
      `    datarepo_${FS}; file system ${FS}, account 123456789012)`,
      '      {"level":"ERROR"}',
    ]);
    const person = block(output, 'What a person must fix');
    expect(person[0]).toBe('  Access denied: a person must fix permissions: 1 record');
    expect(person[1]).toBe('    S3ExportAccessDenied (1)');
    expect(person.join(' ').replace(/\s+/g, ' ')).toContain(hintFor('S3ExportAccessDenied'));
    expect(person).toContain(`      File system ${FS}, account 123456789012: 1 record`);
    expect(person).toContain('        ns1/denied.bin');
    expect(person).toContain(
      '  Retryable failures not re-exported: 1 record (see "Not re-exported")',
    );
    const ordered = [
      'Not re-exported',
      'Unparseable events (kept, not dropped)',
      'What a person must fix',
    ];
    const positions = ordered.map((title) => output.indexOf(`\n${title}\n`));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
  });

  it('continues a long "Not re-exported" reason at the indent of its File system line', () => {
    // Prepare
    const reason = `the record names fs-0fedcba9876543210 but was logged for ${FS}: not re-exported, check it by hand`;
    const report = emptyReport({
      region: undefined,
      dryRun: true,
      records: [record(0)],
      plan: {
        tasks: [],
        unplanned: [
          { fileSystemId: FS, eventId: 'ev-0', class: 'transient', target: 'ns1/a.bin', reason },
        ],
        awaitingMapping: [],
      },
    });

    // Act
    const lines = block(renderTerminal(report), 'Not re-exported');

    // Assess: no line of the group deeper than the place it belongs to.
    expect(lines).toEqual([
      `  1 x the record names fs-0fedcba9876543210 but was logged for ${FS}: not`,
      '    re-exported, check it by hand',
      `    File system ${FS}, account 123456789012: 1 failure`,
      '      ns1/file-0.bin',
    ]);
  });

  it('cuts a long unparseable sample into lines of 100 columns, every character kept', async () => {
    // Prepare: spaces doubled, and ESC (shown as 4 characters, \x1b) across the first cut.
    const sample = `${'a  b '.repeat(18)}ddd\u001b[2J${'c'.repeat(56)}`;
    const report = await reportOf([batch([{ message: sample }])]);

    // Act
    const lines = block(renderTerminal(report), 'Unparseable events (kept, not dropped)');

    // Assess
    const shown = lines.filter((line) => line.startsWith('      '));
    expect(shown).toEqual([`      ${'a  b '.repeat(18)}ddd`, `      \\x1b[2J${'c'.repeat(56)}`]);
  });

  it('wraps a long escaped path or code without splitting an escape, within 100 columns', () => {
    // Prepare: each "\u202e\u0001" is shown as 10 characters (\u202e\x01) once sanitised.
    const hostile = '\u202e\u0001'.repeat(40);
    const path = `ns1/${hostile}end`;
    const planned = task({ paths: [path] });
    const report = emptyReport({
      region: undefined,
      dryRun: true,
      records: [
        record(0, { path: `/${path}` }),
        record(1, { class: 'unknown', code: `Code${hostile}`, path: '/ns1/b.bin' }),
      ],
      plan: { tasks: [planned], unplanned: [], awaitingMapping: [] },
      outcomes: [{ status: 'planned', task: planned }],
    });

    // Act
    const lines = renderTerminal(report).split('\n');

    // Assess: every backslash opens a whole escape, on lines of at most 100 columns.
    const wrapped = lines.filter((line) => line.includes('\\u202e'));
    expect(wrapped.length).toBeGreaterThan(2);
    for (const line of wrapped) {
      expect(line).not.toMatch(/\\(?!x[0-9a-f]{2}|u[0-9a-f]{4})/);
      expect(line.length).toBeLessThanOrEqual(100);
    }
  });

  it('prints no escape sequence at all without colour, whatever the input', () => {
    // Prepare
    const hostileTask = task({
      fileSystemId: `fs-9${HOSTILE}`,
      paths: [`ns1/${HOSTILE}`],
      delaySeconds: 300,
    });
    const report = emptyReport({
      generatedAt: HOSTILE,
      region: 'eu-west-1',
      events: 2,
      sources: [{ owner: HOSTILE, logGroup: HOSTILE, logStream: HOSTILE, events: 2 }],
      records: [
        record(0, { class: 'unknown', code: HOSTILE, path: HOSTILE, fileSystemId: HOSTILE }),
      ],
      unparseable: [
        {
          kind: 'unparseable',
          eventId: HOSTILE,
          timestamp: 1_764_072_000_000,
          owner: HOSTILE,
          logGroup: HOSTILE,
          logStream: HOSTILE,
          reason: HOSTILE,
          sample: HOSTILE,
        },
      ],
      plan: {
        tasks: [hostileTask],
        unplanned: [
          {
            fileSystemId: HOSTILE,
            eventId: HOSTILE,
            class: 'busy',
            target: HOSTILE,
            reason: HOSTILE,
          },
        ],
        awaitingMapping: [],
      },
      outcomes: [{ status: 'deferred', task: hostileTask, reason: HOSTILE }],
    });

    // Act
    const output = renderTerminal(report, { color: false });

    // Assess
    expect(output).not.toMatch(UNSAFE);
    expect(output).toContain(
      '\\x1b[2J\\x1b]0;x\\x07\\x0d\\x0afake line\\x00\\u2028\\u202egnp.exe\\x9b31m',
    );
  });

  it('adds only its own colour codes, without moving a column', async () => {
    // Prepare
    const report = await reportOf([
      batch([
        { message: json('S3ExportAccessDenied', `/ns1/${HOSTILE}`) },
        { message: json('S3ExportResourceBusy', '/ns1/b.bin') },
        { message: 'garbage' },
      ]),
    ]);

    // Act
    const plain = renderTerminal(report);
    const colored = renderTerminal(report, { color: true });

    // Assess
    expect(plain).not.toContain('\u001b');
    expect(colored).toContain('\u001b[1mFailures by class\u001b[0m');
    expect(colored).toContain('\u001b[31mpermission\u001b[0m');
    expect(colored.replace(SGR, '')).toBe(plain);
    expect(colored.replace(SGR, '')).not.toMatch(UNSAFE);
  });

  it('truncates long cells and caps long tables', () => {
    // Prepare
    const records = Array.from({ length: 55 }, (_, index) =>
      record(index, {
        class: 'unknown',
        code: `${String(index).padStart(2, '0')}${'q'.repeat(4_000)}`,
        path: `/ns1/${'p'.repeat(4_000)}`,
      }),
    );

    // Act
    const output = renderTerminal(emptyReport({ region: undefined, records, events: 55 }));

    // Assess
    expect(output).not.toContain('q'.repeat(80));
    expect(output).not.toContain('p'.repeat(80));
    expect(output).toContain(`  00${'q'.repeat(34)}…${'q'.repeat(35)}  unknown      1`);
    expect(output).toContain('  … and 5 more codes (--json lists all)');
    for (const line of output.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('says in one line that a report with nothing in it has no failures', () => {
    // Prepare
    const empty = emptyReport({ region: undefined });
    const healthChecks = emptyReport({ dryRun: true, skippedMessages: 2 });

    // Act
    const output = renderTerminal(empty);
    const skipped = renderTerminal(healthChecks, { color: true });

    // Assess
    expect(output).toBe('No FSx export failures in 0 log events.\n');
    expect(skipped).toBe('No FSx export failures in 0 log events (2 control messages skipped).\n');
  });

  it('marks a log group the input did not name as assumed under "Where to look"', async () => {
    // Prepare
    const lines = { ...batch([{ message: 'not an FSx record' }]), logGroupAssumed: true as const };
    const named = batch([{ message: 'not an FSx record' }], `datarepo_${FS}`);

    // Act
    const assumed = renderTerminal(await reportOf([lines], { region: undefined }));
    const known = renderTerminal(await reportOf([named], { region: undefined }));

    // Assess
    expect(block(assumed, 'Where to look')).toEqual([
      '  Log group                  Log stream                     Account       Events',
      `  /aws/fsx/lustre (assumed)  datarepo_${FS}  123456789012       1`,
      '  (assumed): the input names no log group; --log-group sets it.',
    ]);
    expect(block(known, 'Where to look')).toEqual([
      '  Log group        Log stream                     Account       Events',
      `  /aws/fsx/lustre  datarepo_${FS}  123456789012       1`,
    ]);
  });
});

describe('Function: renderTerminal, the command after a fix', () => {
  it('gives the reexport command under access denied, alone on its line and never cut', async () => {
    // Prepare: a log group long enough to take the command past 100 columns.
    const logGroup = `/aws/fsx/${'lustre-'.repeat(12)}prod`;
    const report = await reportOf([
      {
        ...batch([
          { message: json('S3ExportAccessDenied', '/ns1/a.bin') },
          { message: json('S3ExportFileSizeTooLarge', '/ns1/big.bin') },
        ]),
        logGroup,
      },
    ]);

    // Act
    const output = renderTerminal(report);

    // Assess
    const person = block(output, 'What a person must fix');
    const lead = person.indexOf(
      '    After the fix, re-export them (the command asks before it starts):',
    );
    expect(lead).toBeGreaterThan(0);
    const command = person[lead + 1] ?? '';
    expect(command).toBe(
      `      fsx-export-analyzer reexport --class permission --log-group ${logGroup} --file-system-id ${FS} --since 2025-11-25T12:00:00Z --until 2025-11-25T12:00:01Z --region eu-west-1`,
    );
    expect(command.length).toBeGreaterThan(100);
    expect(person[lead + 2]).toMatch(/^ {2}S3 limits exceeded/);
    expect(output.match(/fsx-export-analyzer reexport/g)).toHaveLength(1);
    expect(tooWide(output)).toEqual([]);
  });

  it('gives no command when the events carry no time', () => {
    // Prepare
    const report = emptyReport({
      events: 1,
      records: [
        record(0, { class: 'permission', code: 'S3ExportAccessDenied', timestamp: undefined }),
      ],
    });

    // Act
    const output = renderTerminal(report);

    // Assess
    expect(output).toContain('Access denied');
    expect(output).not.toContain('After the fix');
  });
});

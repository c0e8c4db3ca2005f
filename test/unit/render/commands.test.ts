import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { EXPORT_CLASSES } from '../../../cli/reexport-plan.ts';
import { reportTotals } from '../../../lib/analyze/analysis.ts';
import type { FailureClass, FailureRecord, Report } from '../../../lib/common/types.ts';
import {
  commandLines,
  exportCommand,
  fixCommands,
  REEXPORTED_AFTER_FIX,
  reexportCommand,
} from '../../../lib/render/commands.ts';
import { resolveWindow } from '../../../lib/scan/window.ts';
import { FS } from '../../helpers/fixtures.ts';
import { emptyReport, record, task } from '../../helpers/reports.ts';

// \n is the only control character an email body may hold (and no tab is ever written).
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const OTHER_FS = 'fs-0fedcba9876543210';
/** 2025-11-25T12:00:00.000Z, the time of {@link record}'s events. */
const NOON = 1_764_072_000_000;

/** A permission record of {@link FS} logged at `time`, with whatever else `overrides` says. */
function denied(index: number, time: number | undefined, overrides: Partial<FailureRecord> = {}) {
  return record(index, {
    class: 'permission',
    code: 'S3ExportAccessDenied',
    timestamp: time,
    ...overrides,
  });
}

/** The report of these records, its sources as the pipeline lists them. */
function reportWith(records: readonly FailureRecord[], overrides: Partial<Report> = {}): Report {
  const sources = [
    ...new Map(
      records.map((item) => [
        `${item.owner}\n${item.logGroup}\n${item.logStream}`,
        { owner: item.owner, logGroup: item.logGroup, logStream: item.logStream, events: 1 },
      ]),
    ).values(),
  ];
  return emptyReport({ events: records.length, records: [...records], sources, ...overrides });
}

/** The words bash makes of a command, each argument exactly as the program receives it. */
function shellWords(command: string): string[] {
  const out = execFileSync('bash', ['-c', `printf '%s\\0' ${command}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

/** The value after `option` in a command's words; undefined when the option is not there. */
function option(words: readonly string[], name: string): string | undefined {
  const index = words.indexOf(name);
  return index < 0 ? undefined : words[index + 1];
}

describe('Function: reexportCommand', () => {
  it('writes the command line of its parts, each value as the program receives it', () => {
    // Prepare
    const all = {
      cls: 'permission' as const,
      logGroup: "/aws/fsx/it's mine",
      fileSystemId: FS,
      since: NOON,
      until: NOON + 61_000,
      region: 'eu-west-1',
    };
    const fewest = {
      cls: 'transient' as const,
      logGroup: '/aws/fsx/lustre',
      since: 0,
      until: 1000,
    };

    // Act
    const commands = [reexportCommand(all), reexportCommand({ ...fewest, region: '' })];

    // Assess
    expect(shellWords(commands[0] ?? '')).toEqual([
      'fsx-export-analyzer',
      'reexport',
      '--class',
      'permission',
      '--log-group',
      "/aws/fsx/it's mine",
      '--file-system-id',
      FS,
      '--since',
      '2025-11-25T12:00:00Z',
      '--until',
      '2025-11-25T12:01:01Z',
      '--region',
      'eu-west-1',
    ]);
    expect(commands[1]).toBe(
      'fsx-export-analyzer reexport --class transient --log-group /aws/fsx/lustre --since 1970-01-01T00:00:00Z --until 1970-01-01T00:00:01Z',
    );
  });
});

describe('Function: exportCommand', () => {
  it('quotes paths so the shell receives them exactly, naming at most ten', () => {
    // Prepare
    const paths = [
      "ns1/it's here.bin",
      'ns1/esc\u001b[31m.bin',
      'ns1/$(reboot)`x`',
      'ns1/\u00e9t\u00e9 \u{1f600}',
    ];
    const all = [...paths, ...Array.from({ length: 8 }, (_, index) => `ns1/more-${index}`)];

    // Act
    const { command, pathsShown } = exportCommand(task({ paths: all, reportPath: undefined }));

    // Assess
    expect(pathsShown).toBe(10);
    expect(command).toMatch(
      /^aws fsx create-data-repository-task --file-system-id fs-0123456789abcdef0 --type EXPORT_TO_REPOSITORY --paths /,
    );
    expect(command).toContain("'ns1/it'\\''s here.bin' $'ns1/esc\\x1b[31m.bin' 'ns1/$(reboot)`x`'");
    expect(command).toContain("'ns1/more-5' --report Enabled=false");
    expect(command).not.toContain('more-6');
    expect(command).not.toMatch(FORBIDDEN);
    const args = command.slice(command.indexOf('--paths ') + 8, command.indexOf(' --report'));
    const echoed = execFileSync('bash', ['-c', `printf '%s\\0' ${args}`], { encoding: 'utf8' });
    expect(echoed.split('\0').slice(0, -1)).toEqual(all.slice(0, 10));
  });
});

describe('Function: commandLines', () => {
  it('names where the paths a command leaves out are listed, as the caller says', () => {
    // Prepare
    const paths = Array.from({ length: 12 }, (_, index) => `ns1/p-${index}`);

    // Act
    const lines = commandLines(task({ paths }), 'Re-export by hand with:', "the retrier's log");

    // Assess
    expect(lines.slice(0, 1)).toEqual(['  Re-export by hand with:']);
    expect(lines[1]).toMatch(/^ {4}aws fsx create-data-repository-task /);
    expect(lines.slice(2).join(' ').replace(/\s+/g, ' ')).toBe(
      " (The command names the first 10 of 12 paths; run it again with the others, listed in the retrier's log.)",
    );
  });

  it('says nothing more when the command names every path', () => {
    // Act
    const lines = commandLines(task(), 'Run:', "the analyzer's log");

    // Assess
    expect(lines).toHaveLength(2);
  });
});

describe('Function: fixCommands', () => {
  it('gives the reexport command of the window of the failures, the last one inside it', () => {
    // Prepare: the first at 12:00:00.250, the last at 12:01:17.999; --until is excluded.
    const report = reportWith([denied(0, NOON + 250), denied(1, NOON + 77_999)]);

    // Act
    const { commands, more } = fixCommands(report, 'permission');

    // Assess
    expect(commands).toEqual([
      `fsx-export-analyzer reexport --class permission --log-group /aws/fsx/lustre --file-system-id ${FS} --since 2025-11-25T12:00:00Z --until 2025-11-25T12:01:18Z --region eu-west-1`,
    ]);
    expect(more).toBe(0);
    const words = shellWords(commands[0] ?? '');
    const window = resolveWindow(option(words, '--since'), option(words, '--until'), NOON);
    for (const item of report.records) {
      expect(item.timestamp).toBeGreaterThanOrEqual(window.start);
      expect(item.timestamp).toBeLessThan(window.end);
    }
  });

  it('keeps a failure on a whole second inside the window: --until is the second after it', () => {
    // Prepare
    const report = reportWith([denied(0, NOON), denied(1, NOON + 1000)]);

    // Act
    const { commands } = fixCommands(report, 'permission');

    // Assess
    expect(commands[0]).toContain('--since 2025-11-25T12:00:00Z --until 2025-11-25T12:00:02Z');
  });

  it('quotes a hostile log group and Region so the shell receives them exactly and inert', () => {
    // Prepare
    const logGroup = "/aws/fsx/it's $(reboot) `x` #\u001b[2J\u202e";
    const region = "eu-west-1'; rm -rf ~";
    const report = reportWith([denied(0, NOON, { logGroup })], { region });

    // Act
    const { commands } = fixCommands(report, 'permission');

    // Assess
    expect(commands).toHaveLength(1);
    const command = commands[0] ?? '';
    expect(command).not.toMatch(FORBIDDEN);
    expect(command).toContain("--log-group $'/aws/fsx/it\\'s $(reboot) `x` #\\x1b[2J\\u202e'");
    const words = shellWords(command);
    expect(option(words, '--log-group')).toBe(logGroup);
    expect(option(words, '--region')).toBe(region);
    expect(words.slice(0, 4)).toEqual(['fsx-export-analyzer', 'reexport', '--class', 'permission']);
  });

  it('names the file system only when every failure of the log group comes from its stream', () => {
    // Prepare
    const one = reportWith([denied(0, NOON), denied(1, NOON + 5)]);
    const two = reportWith([
      denied(0, NOON),
      denied(1, NOON + 5, { fileSystemId: OTHER_FS, logStream: `datarepo_${OTHER_FS}` }),
    ]);
    // FSx names the stream; a record from another stream names its file system in its text only.
    const otherStream = reportWith([denied(0, NOON, { logStream: 'exported-lines' })]);

    // Act
    const [withOne, withTwo, withOtherStream] = [one, two, otherStream].map(
      (report) => fixCommands(report, 'permission').commands,
    );

    // Assess
    expect(withOne?.[0]).toContain(`--file-system-id ${FS} `);
    expect(withTwo).toHaveLength(1);
    expect(withTwo?.[0]).not.toContain('--file-system-id');
    expect(withOtherStream).toHaveLength(1);
    expect(withOtherStream?.[0]).not.toContain('--file-system-id');
  });

  it('gives one command per log group, each over its own failures', () => {
    // Prepare
    const report = reportWith([
      denied(0, NOON),
      denied(1, NOON + 60_000, {
        logGroup: '/aws/fsx/prod-lustre',
        fileSystemId: OTHER_FS,
        logStream: `datarepo_${OTHER_FS}`,
      }),
    ]);

    // Act
    const { commands } = fixCommands(report, 'permission');

    // Assess
    expect(commands).toEqual([
      `fsx-export-analyzer reexport --class permission --log-group /aws/fsx/lustre --file-system-id ${FS} --since 2025-11-25T12:00:00Z --until 2025-11-25T12:00:01Z --region eu-west-1`,
      `fsx-export-analyzer reexport --class permission --log-group /aws/fsx/prod-lustre --file-system-id ${OTHER_FS} --since 2025-11-25T12:01:00Z --until 2025-11-25T12:01:01Z --region eu-west-1`,
    ]);
  });

  it('says which account each command is for when one log group name is in two accounts', () => {
    // Prepare
    const report = reportWith([
      denied(0, NOON, { owner: '111122223333' }),
      denied(1, NOON, { owner: '444455556666' }),
    ]);

    // Act
    const { commands } = fixCommands(report, 'permission');

    // Assess
    expect(commands.map((command) => command.replace(/^.* {2}#/, '#'))).toEqual([
      '# account 111122223333',
      '# account 444455556666',
    ]);
    expect(shellWords(commands[0] ?? '')).not.toContain('#');
  });

  it('counts the log groups past the fifth instead of printing their commands', () => {
    // Prepare
    const records = Array.from({ length: 7 }, (_, index) =>
      denied(index, NOON, { logGroup: `/aws/fsx/group-${index}` }),
    );

    // Act
    const { commands, more } = fixCommands(reportWith(records), 'permission');

    // Assess
    expect(commands).toHaveLength(5);
    expect(more).toBe(2);
  });

  it('leaves out --region when the report does not know it', () => {
    // Act
    const { commands } = fixCommands(
      reportWith([denied(0, NOON)], { region: undefined }),
      'permission',
    );

    // Assess
    expect(commands[0]).toMatch(/--until 2025-11-25T12:00:01Z$/);
  });

  it('gives no command when a failure has no time: no window is known to hold it', () => {
    // Prepare
    const none = reportWith([denied(0, undefined)]);
    const some = reportWith([
      denied(0, NOON),
      denied(1, undefined, { logGroup: '/aws/fsx/prod-lustre' }),
    ]);
    const invalid = reportWith([denied(0, 9e15)]);

    // Act
    const results = [none, some, invalid].map((report) => fixCommands(report, 'permission'));

    // Assess
    expect(results).toEqual([0, 1, 2].map(() => ({ commands: [], more: 0 })));
  });

  it('gives no command when the input named no log group: it would be a guess', () => {
    // Prepare
    const report = reportWith([denied(0, NOON)]);
    const assumed = {
      ...report,
      sources: report.sources.map((source) => ({ ...source, logGroupAssumed: true as const })),
    };

    // Act
    const { commands } = fixCommands(assumed, 'permission');

    // Assess
    expect(commands).toEqual([]);
  });

  it.each<FailureClass>(['limit', 'report', 'unknown', 'import', 'transient', 'busy', 'skipped'])(
    'gives no command for %s failures',
    (cls) => {
      // Prepare
      const report = reportWith([denied(0, NOON, { class: cls })]);

      // Act
      const { commands } = fixCommands(report, cls);

      // Assess
      expect(commands).toEqual([]);
    },
  );

  it('gives commands only for classes reexport accepts', () => {
    // Assess
    for (const cls of REEXPORTED_AFTER_FIX) expect(EXPORT_CLASSES.has(cls)).toBe(true);
  });

  it("reads a folded report's log groups over its whole window, without a file system", () => {
    // Prepare: only the first record kept; the last one, a minute later, only counted.
    const full = reportWith([
      denied(0, NOON),
      denied(1, NOON + 60_500, { logGroup: '/aws/fsx/prod-lustre' }),
    ]);
    const folded: Report = {
      ...full,
      records: full.records.slice(0, 1),
      folded: {
        totals: reportTotals(full),
        unplanned: { count: 0, byClass: {}, groups: [] },
        awaitingMapping: 0,
        recordsOmitted: 1,
        unparseableOmitted: 0,
        eventIdsOmitted: 0,
      },
    };

    // Act
    const { commands } = fixCommands(folded, 'permission');

    // Assess
    expect(commands).toEqual(
      ['/aws/fsx/lustre', '/aws/fsx/prod-lustre'].map(
        (group) =>
          `fsx-export-analyzer reexport --class permission --log-group ${group} --since 2025-11-25T12:00:00Z --until 2025-11-25T12:01:01Z --region eu-west-1`,
      ),
    );
  });
});

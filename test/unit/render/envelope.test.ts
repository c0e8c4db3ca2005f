import { describe, expect, it } from 'vitest';
import {
  asciiIds,
  CUT_OPENING,
  fitBody,
  footer,
  onFileSystems,
  SUBJECT_MAX,
  subjectWith,
  summaryAttributes,
  TRUNCATED,
} from '../../../lib/render/envelope.ts';
import packageJson from '../../../package.json' with { type: 'json' };
import { FS } from '../../helpers/fixtures.ts';

describe('Function: subjectWith', () => {
  it('adds parts in order while the subject fits and stops at the first that does not', () => {
    // Prepare
    const main = `FSx re-exports retried on ${FS}`;
    const long = 'x'.repeat(60);

    // Act
    const short = subjectWith(main, ['2 tasks started', '0 need a person']);
    const cut = subjectWith(main, ['2 tasks started', long, '1 dead-lettered']);

    // Assess
    expect(short).toBe(`${main}: 2 tasks started, 0 need a person`);
    expect(cut).toBe(`${main}: 2 tasks started`);
  });

  it('places the parts to keep first, then fills the room left in order, keeping their order', () => {
    // Prepare
    const main = `FSx re-exports retried on ${FS}`;
    const long = 'x'.repeat(40);

    // Act
    const subject = subjectWith(main, [
      long,
      '2 tasks started',
      { text: '7 need a person', keep: true },
      '1 dead-lettered',
    ]);

    // Assess: the long part does not fit beside the kept one, so nothing after it is added.
    expect(subject).toBe(`${main}: 7 need a person`);
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(subjectWith(main, ['2 tasks started', { text: '7 need a person', keep: true }])).toBe(
      `${main}: 2 tasks started, 7 need a person`,
    );
  });

  it('measures parts as the ASCII the subject will hold', () => {
    // Act
    const subject = subjectWith('FSx re-export outcomes', ['1 f\u00e9iled\u001b[2J', '2 ok']);

    // Assess
    expect(subject).toBe('FSx re-export outcomes: 1 feiled [2J, 2 ok');
  });
});

describe('Function: summaryAttributes', () => {
  it('names the kind and the file systems, at most 50', () => {
    // Prepare
    const ids = Array.from({ length: 60 }, (_, index) => `fs-${String(index).padStart(17, '0')}`);

    // Act
    const some = summaryAttributes('retrier', ids, true);
    const none = summaryAttributes('doctor', [], false);

    // Assess
    expect(some).toEqual({
      summary: 'retrier',
      fileSystemId: ids[0],
      fileSystemIds: ids.slice(0, 50),
      needsPerson: 'true',
      dryRun: 'false',
    });
    expect(none).toEqual({
      summary: 'doctor',
      fileSystemId: 'unknown',
      needsPerson: 'false',
      dryRun: 'false',
    });
  });
});

describe('Function: subjectWith (limits)', () => {
  it('keeps every subject printable ASCII and under 100 characters, whatever it is given', () => {
    // Prepare
    const hostile = `FSx \u001b[2J\r\nBcc: a@b.c \u202egnp.exe ${'\u00e9'.repeat(200)}`;

    // Act
    const subjects = [
      subjectWith(hostile),
      subjectWith('FSx digest', [hostile, hostile]),
      subjectWith('x'.repeat(300)),
    ];

    // Assess
    for (const subject of subjects) {
      expect(subject.length).toBeLessThan(100);
      expect(subject).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(subjects[2]).toBe(`${'x'.repeat(96)}...`);
  });
});

describe('Function: asciiIds / onFileSystems', () => {
  it('sorts unique ids as printable ASCII, dropping those left empty', () => {
    // Act
    const ids = asciiIds(['fs-b', 'fs-a', 'fs-b', '\u001b\u0007', 'fs-\u00e9']);

    // Assess
    expect(ids).toEqual(['fs-a', 'fs-b', 'fs-e']);
  });

  it.each([
    [[], ''],
    [['fs-a'], ' on fs-a'],
    [['fs-a', 'fs-b'], ' on 2 file systems'],
  ])('onFileSystems(%j) is "%s"', (ids, expected) => {
    // Act
    const text = onFileSystems(ids);

    // Assess
    expect(text).toBe(expected);
  });
});

describe('Function: footer', () => {
  it('says who sent the email, its release and when, after a blank line, with the time sanitised', () => {
    // Act
    const plain = footer('2026-11-25T10:00:00.000Z');
    const named = footer('2026-11-25T10:00:00\u001b[2J', 'retrier');

    // Assess
    expect(plain).toEqual([
      '',
      `Sent by fsx-export-analyzer ${packageJson.version} at 2026-11-25T10:00:00.000Z.`,
    ]);
    expect(named).toEqual([
      '',
      `Sent by fsx-export-analyzer ${packageJson.version} (retrier) at 2026-11-25T10:00:00\\x1b[2J.`,
    ]);
  });
});

describe('Function: fitBody', () => {
  it('joins lines and footer as they are while they fit', () => {
    // Act
    const body = fitBody(['a', 'b'], ['', 'end']);

    // Assess
    expect(body).toBe('a\nb\n\nend');
  });

  it('cuts an oversized body at a line boundary, says so, and keeps the footer', () => {
    // Prepare
    const lines = Array.from({ length: 5_000 }, (_, index) => `${index} ${'\u00e9'.repeat(40)}`);

    // Act
    const body = fitBody(lines, ['', 'end']);

    // Assess
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(250_000);
    const note = [
      "[truncated at the SNS size limit. The analyzer's log has one line per",
      're-export task it started, refused, deferred or queued, with every path.',
      'Every failure is in the FSx log group; to list those of a window, run',
      '  fsx-export-analyzer scan --since TIME --until TIME',
      'with --log-group or --file-system-id as needed (docs/cli.md#scan).]',
    ];
    expect(body.endsWith(`\n\n${note.join('\n')}\n\nend`)).toBe(true);
    // The logs hold tasks and counts, not the records: the note must not promise the report.
    expect(body).not.toContain('full report');
    const kept = body.split('\n').slice(0, -(note.length + 3));
    expect(kept).toEqual(lines.slice(0, kept.length));
  });

  it("ends a cut body with the caller's own note on where the rest is", () => {
    // Prepare
    const lines = Array.from({ length: 5_000 }, (_, index) => `${index} ${'\u00e9'.repeat(40)}`);
    const note = [`${CUT_OPENING} The retrier's log has the rest.]`];

    // Act
    const body = fitBody(lines, ['', 'end'], note);

    // Assess
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(250_000);
    expect(body.endsWith(`\n\n${note[0]}\n\nend`)).toBe(true);
    expect(body).not.toContain("The analyzer's log");
  });

  it("opens the analyzer's default note as every note opens, within 76 columns", () => {
    // Assess
    expect(TRUNCATED[0]?.startsWith(CUT_OPENING)).toBe(true);
    expect(TRUNCATED.at(-1)?.endsWith(']')).toBe(true);
    expect(Math.max(...TRUNCATED.map((line) => line.length))).toBeLessThanOrEqual(76);
  });
});

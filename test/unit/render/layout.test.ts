import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bullet,
  countCell,
  formatTable,
  joinSections,
  labelledName,
  PATH_CHARS,
  pathLines,
  plural,
  section,
  WIDTH,
  wrap,
  wrapWithoutWidow,
} from '../../../lib/render/layout.ts';

describe('Function: wrap', () => {
  it('breaks at spaces so no line is wider than the width', () => {
    // Prepare
    const text = 'one two three four five six seven eight nine ten eleven twelve';

    // Act
    const lines = wrap(text, '', 20);

    // Assess
    expect(lines).toEqual([
      'one two three four',
      'five six seven eight',
      'nine ten eleven',
      'twelve',
    ]);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(20);
  });

  it('starts the first line with the indent and the others with the hanging indent', () => {
    // Act
    const lines = wrap('alpha beta gamma delta', '* ', 12, '  ');

    // Assess
    expect(lines).toEqual(['* alpha beta', '  gamma', '  delta']);
  });

  it('keeps a word longer than the width whole, on a line of its own', () => {
    // Prepare
    const long = 'x'.repeat(30);

    // Act
    const lines = wrap(`short ${long} end`, '', 10);

    // Assess
    expect(lines).toEqual(['short', long, 'end']);
  });

  it('wraps at the email width by default, drops repeated spaces, and gives nothing for nothing', () => {
    // Prepare
    const text = Array.from({ length: 40 }, (_, index) => `word${index}`).join('  ');

    // Act
    const lines = wrap(text);
    const empty = wrap('   ');

    // Assess
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(WIDTH);
    expect(lines.join(' ')).toBe(text.replace(/ {2}/g, ' '));
    expect(empty).toEqual([]);
  });
});

describe('Function: wrapWithoutWidow', () => {
  it('moves a word down so the last line is not one word alone', () => {
    // Prepare
    const note =
      '* 1 of 1 transient record and 1 of 2 busy records could not be re-exported: see "Not re-exported" below.';

    // Act
    const plain = wrap(note, '  ', 100, '    ');
    const lines = wrapWithoutWidow(note, '  ', 100, '    ');

    // Assess
    expect(plain.at(-1)).toBe('    below.');
    expect(lines).toEqual([
      '  * 1 of 1 transient record and 1 of 2 busy records could not be re-exported: see "Not',
      '    re-exported" below.',
    ]);
  });

  it('keeps the words, their order and the width, and leaves no lone last word it could avoid', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z]{1,12}$/), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 16, max: 60 }),
        (words, width) => {
          // Act
          const lines = wrapWithoutWidow(words.join(' '), '  ', width, '    ');

          // Assess
          expect(lines.join(' ').split(' ').filter(Boolean)).toEqual(words);
          for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
          expect(lines.length).toBe(wrap(words.join(' '), '  ', width, '    ').length);
          const before = lines.at(-2);
          const last = lines.at(-1) ?? '';
          if (before !== undefined && !last.trim().includes(' ')) {
            // Lone only when the line before has one word, or giving one would overflow.
            const beforeWords = before.trim().split(' ');
            const moved = `    ${beforeWords.at(-1)} ${last.trim()}`;
            expect(beforeWords.length === 1 || moved.length > width).toBe(true);
          }
        },
      ),
    );
  });
});

describe('Function: bullet', () => {
  it('marks the item and indents its continuation lines under the text', () => {
    // Prepare
    const text = `${'word '.repeat(20)}end`;

    // Act
    const lines = bullet(text);

    // Assess
    expect(lines[0]?.startsWith('* word')).toBe(true);
    expect(lines.slice(1).every((line) => line.startsWith('  ') && !line.startsWith('   '))).toBe(
      true,
    );
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(WIDTH);
  });
});

describe('Function: plural / countCell', () => {
  it.each([
    [0, '0 paths'],
    [1, '1 path'],
    [2, '2 paths'],
  ])('plural(%i) is %s', (count, expected) => {
    // Act
    const text = plural(count, 'path');

    // Assess
    expect(text).toBe(expected);
  });

  it('uses the irregular plural when given one', () => {
    // Act / Assess
    expect(plural(2, 'class', 'classes')).toBe('2 classes');
  });

  it.each([
    [undefined, '-'],
    [0, '-'],
    [-1, '-'],
    [7, '7'],
  ])('countCell(%s) is %s', (count, expected) => {
    // Act
    const cell = countCell(count);

    // Assess
    expect(cell).toBe(expected);
  });
});

describe('Function: formatTable', () => {
  it('aligns columns, right-aligns where asked, and never ends a line in spaces', () => {
    // Prepare
    const header = ['Code', 'Count', 'Note'];
    const rows = [
      ['S3ExportAccessDenied', '12', ''],
      ['Busy', '3', 'later'],
    ];

    // Act
    const lines = formatTable(header, rows, { align: ['left', 'right', 'left'] });

    // Assess
    expect(lines).toEqual([
      '  Code                  Count  Note',
      '  S3ExportAccessDenied     12',
      '  Busy                      3  later',
    ]);
  });

  it('pads outside the painted text, so styling never shifts the columns', () => {
    // Prepare
    const paint = (cell: string, row: number, column: number): string =>
      row >= 0 && column === 0 ? `<${cell}>` : cell;

    // Act
    const lines = formatTable(
      ['A', 'B'],
      [
        ['x', '1'],
        ['long', '2'],
      ],
      { indent: '', paint },
    );

    // Assess
    expect(lines).toEqual(['A     B', '<x>     1', '<long>  2']);
  });

  it('fills missing cells of short rows', () => {
    // Act
    const lines = formatTable(['A', 'B', 'C'], [['1'], ['2', '3', '4']], { indent: '' });

    // Assess
    expect(lines).toEqual(['A  B  C', '1', '2  3  4']);
  });
});

describe('Function: section / joinSections', () => {
  it('underlines a title with as many dashes, and gives nothing for no lines', () => {
    // Act
    const shown = section('RE-EXPORTS', ['a', 'b']);
    const none = section('RE-EXPORTS', []);

    // Assess
    expect(shown).toEqual(['RE-EXPORTS', '----------', 'a', 'b']);
    expect(none).toEqual([]);
  });

  it('puts one blank line between the sections that have lines', () => {
    // Act
    const lines = joinSections([['a'], [], ['b', 'c'], ['d']]);

    // Assess
    expect(lines).toEqual(['a', '', 'b', 'c', '', 'd']);
  });
});

describe('Function: pathLines', () => {
  it('shows the first three paths sanitised and counts the rest', () => {
    // Prepare
    const paths = ['ns1/a\u001b.bin', 'ns1/b', 'ns1/c', 'ns1/d', 'ns1/e'];

    // Act
    const lines = pathLines(paths, '    ');

    // Assess
    expect(lines).toEqual(['    ns1/a\\x1b.bin', '    ns1/b', '    ns1/c', '    and 2 more paths']);
  });

  it('shortens a long path to the path width, keeping its end', () => {
    // Prepare
    const path = `${'d/'.repeat(200)}file.bin`;

    // Act
    const [line = ''] = pathLines([path], '');

    // Assess
    expect(line).toHaveLength(PATH_CHARS);
    expect(line.endsWith('file.bin')).toBe(true);
  });
});

describe('Function: labelledName', () => {
  const own = { indent: '    ', width: 30 };

  it('keeps a name that fits after its label on one line', () => {
    // Act
    const lines = labelledName('* ', 'Log group: ', '/aws/fsx/lustre', own);

    // Assess
    expect(lines).toEqual(['* Log group:  /aws/fsx/lustre']);
  });

  it('moves a longer name to a line of its own, whole when it can be copied as shown', () => {
    // Prepare
    const name = `/aws/fsx/${'a'.repeat(40)}`;

    // Act
    const lines = labelledName('* ', 'Log group: ', name, { ...own, suffix: ' (assumed)' });

    // Assess
    expect(lines).toEqual(['* Log group (assumed):', `    ${name}`]);
  });

  it('cuts a long name that cannot be copied as shown, never inside an escape', () => {
    // Prepare: sanitize's escapes, as display() writes them.
    const name = `/aws/${'\\x1b'.repeat(12)}`;

    // Act
    const lines = labelledName('  ', 'Log stream:', name, own);

    // Assess
    expect(lines[0]).toBe('  Log stream:');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(30);
    expect(
      lines
        .slice(1)
        .map((line) => line.slice(4))
        .join(''),
    ).toBe(name);
    for (const line of lines.slice(1)) expect(line).toMatch(/^ {4}(?:\/aws\/)?(?:\\x1b)+$/);
  });

  it("with the terminal's marker, marks a copyable name's line and leaves any other whole", () => {
    // Prepare
    const mark = (line: string) => `[whole]${line}`;
    const copyableName = `/aws/fsx/${'a'.repeat(40)}`;
    const escapedName = `/aws/${'\\x1b'.repeat(12)}`;

    // Act
    const lines = [
      labelledName('  ', 'Log group: ', copyableName, { ...own, markWhole: mark }),
      labelledName('  ', 'Log stream:', escapedName, { ...own, markWhole: mark }),
      labelledName('  ', 'Log stream:', 'short', { ...own, markWhole: mark }),
    ];

    // Assess: the terminal's last guard of the width wraps the escaped one.
    expect(lines).toEqual([
      ['  Log group:', `[whole]    ${copyableName}`],
      ['  Log stream:', `    ${escapedName}`],
      ['  Log stream: short'],
    ]);
  });
});

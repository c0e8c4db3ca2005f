import { display } from '../common/text.ts';

/*
 * Plain-text layout shared by every rendering (the emails, the terminal report, the trend): word
 * wrap, aligned tables, underlined sections, list items. Every function takes text that is
 * already sanitised (`display()`), so the width of a string is its length.
 */

/** Prose is wrapped here: email clients show plain text as written. */
const WIDTH = 76;
/** Longest path shown in a line; the logs keep them whole. */
const PATH_CHARS = 160;
/** Longest reason (an FSx message, our explanation) shown; the logs keep them whole. */
const REASON_CHARS = 600;
/** Paths listed under one re-export task; the rest are counted ("and 7 more"). */
const PATHS_SHOWN_PER_TASK = 3;

interface TableOptions {
  readonly indent?: string | undefined;
  /** Per column; default left. */
  readonly align?: ReadonlyArray<'left' | 'right'> | undefined;
  /** Styles a cell's text; padding is added outside, so styling never shifts the columns. */
  readonly paint?: ((cell: string, row: number, column: number) => string) | undefined;
}

/**
 * Wraps one paragraph of sanitised text at `width` columns, at spaces: `indent` starts the first
 * line, `hanging` the others. A word longer than a line stays whole on a line of its own.
 *
 * @example wrap('a b c', '* ', 5, '  ') // ['* a b', '  c']
 */
function wrap(text: string, indent = '', width = WIDTH, hanging = indent): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (word === '') continue;
    if (line === '') line = indent + word;
    else if (line.length + 1 + word.length > width) {
      lines.push(line);
      line = hanging + word;
    } else line += ` ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * As {@link wrap}, but the last line never holds a lone word when the line before can give it
 * one: a short note under a table then ends "… see X below." rather than on "below." alone.
 *
 * @example wrapWithoutWidow('aa bb cc', '', 6) // ['aa', 'bb cc']
 */
function wrapWithoutWidow(text: string, indent = '', width = WIDTH, hanging = indent): string[] {
  const lines = wrap(text, indent, width, hanging);
  const last = lines.at(-1);
  const before = lines.at(-2);
  if (last === undefined || before === undefined) return lines;
  const lastWords = last.slice(hanging.length);
  const cut = before.lastIndexOf(' ');
  const beforeStart = lines.length === 2 ? indent.length : hanging.length;
  // Only a lone last word, and only when the line before keeps a word of its own.
  if (lastWords.includes(' ') || cut <= beforeStart) return lines;
  const moved = `${hanging}${before.slice(cut + 1)} ${lastWords}`;
  if (moved.length > width) return lines;
  return [...lines.slice(0, -2), before.slice(0, cut), moved];
}

/** A list item: wrapped, continuation lines indented under its text. */
function bullet(text: string): string[] {
  return wrap(text, '* ', WIDTH, '  ');
}

/** `1 path`, `2 paths`. */
function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** `1 needs a person`, `2 need a person`: the count on-call reads first in every summary. */
function needPersonText(count: number): string {
  return `${count} ${count === 1 ? 'needs' : 'need'} a person`;
}

/**
 * "Need a person" saying what it counts, for a headline: records and paths are not one unit, so a
 * mix names both ("15 need a person (8 records, 7 paths)"), one kind names itself ("6 records
 * need a person"). A subject or a title keeps the bare total ({@link needPersonText}).
 */
function needPersonUnits(records: number, paths: number): string {
  if (records > 0 && paths > 0) {
    return `${needPersonText(records + paths)} (${plural(records, 'record')}, ${plural(paths, 'path')})`;
  }
  if (records > 0) return `${plural(records, 'record needs', 'records need')} a person`;
  if (paths > 0) return `${plural(paths, 'path needs', 'paths need')} a person`;
  return needPersonText(0);
}

/** "-" for a count that is zero or not known, so the eye skips it. */
function countCell(count: number | undefined): string {
  return count === undefined || count <= 0 ? '-' : String(count);
}

/**
 * Lays out already sanitised cells as aligned columns. Width is the string length of each cell;
 * the last column is never padded, so no line ends in spaces.
 */
function formatTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  options: TableOptions = {},
): string[] {
  const all = [header, ...rows];
  const columns = Math.max(...all.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) =>
    Math.max(...all.map((row) => (row[column] ?? '').length)),
  );
  const indent = options.indent ?? '  ';
  return all.map((row, index) => {
    const cells = widths.map((width, column) => {
      const cell = row[column] ?? '';
      const painted = options.paint === undefined ? cell : options.paint(cell, index - 1, column);
      const pad = ' '.repeat(width - cell.length);
      if (options.align?.[column] === 'right') return pad + painted;
      return column === columns - 1 ? painted : painted + pad;
    });
    return (indent + cells.join('  ')).trimEnd();
  });
}

/**
 * Untrusted text in at most `max` characters once sanitised (escapes are longer than the
 * characters they stand for), for a table cell that must keep its table within a width.
 */
function fitCell(text: string, max: number): string {
  let limit = max;
  let shown = display(text, limit);
  while (shown.length > max && limit > 1) {
    limit--;
    shown = display(text, limit);
  }
  return shown;
}

/** An underlined section; nothing at all when it has no lines. */
function section(title: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : [title, '-'.repeat(title.length), ...lines];
}

/** The sections that have lines, a blank line between two. */
function joinSections(sections: ReadonlyArray<readonly string[]>): string[] {
  return sections
    .filter((lines) => lines.length > 0)
    .flatMap((lines, index) => (index === 0 ? [...lines] : ['', ...lines]));
}

/**
 * A task's first paths (untrusted, sanitised here), one a line, then how many more it has and,
 * given `where`, where the rest are listed ("and 57 more paths: `where`").
 */
function pathLines(paths: readonly string[], indent: string, where?: string): string[] {
  const lines = paths
    .slice(0, PATHS_SHOWN_PER_TASK)
    .map((path) => `${indent}${display(path, PATH_CHARS)}`);
  if (paths.length > PATHS_SHOWN_PER_TASK) {
    // Names its noun, as the terminal's "… and 1 more path" does.
    const rest = `and ${plural(paths.length - PATHS_SHOWN_PER_TASK, 'more path')}`;
    lines.push(...wrap(where === undefined ? rest : `${rest}: ${where}`, indent, WIDTH, indent));
  }
  return lines;
}

/** An escape sanitize wrote for a character it would not print (lib/common/text.ts). */
const ESCAPED = /\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/;

/**
 * What a line is cut between: a `\xNN` / `\uNNNN` escape (sanitize's: display() escapes before
 * a line is fitted, so cut in two it no longer reads as one), else a code point (no surrogate
 * pair split).
 */
const UNIT = new RegExp(`${ESCAPED.source}|[\\s\\S]`, 'gu');

/**
 * Text cut into lines of at most `width` characters, exactly as it is (no space dropped or
 * added): for a log line's sample, whose spacing may matter. No code point or `\xNN` / `\uNNNN`
 * escape (sanitize's) is split.
 */
function chunks(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const [unit] of text.matchAll(UNIT)) {
    if (line.length + unit.length > width) {
      lines.push(line);
      line = '';
    }
    line += unit;
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * A shown name a person can copy as it is: printable ASCII, as every log group name and the log
 * streams FSx names are, and nothing sanitize had to escape or shortening cut. Anything else is no
 * name that a command takes as shown, so no output keeps it whole past its width.
 */
const COPYABLE = /^[\x20-\x7e]+$/;

/** Whether a sanitised name can be copied into a command as shown (see {@link COPYABLE}). */
function copyable(shown: string): boolean {
  return COPYABLE.test(shown) && !ESCAPED.test(shown);
}

/**
 * A named value a person copies (a log group, a log stream) after its label, as the email and the
 * terminal show it: `LEAD` + `Log group:  NAME` on one line when that fits in `width`, else the
 * label alone (`Log group (assumed):`) and the name on a line of its own under `indent`. That
 * line is longer than `width` only for a name that can be copied as shown (kept whole: cut, it no
 * longer names anything); any other name is cut into lines of `width`.
 *
 * `markWhole` is the terminal's: it marks the line of a name that can be copied as kept whole,
 * and leaves any other name's line whole for its last guard of the width to wrap
 * (lib/analyze/terminal.ts, fitLine), as every other line of the terminal is.
 */
function labelledName(
  lead: string,
  label: string,
  name: string,
  options: {
    readonly suffix?: string | undefined;
    readonly indent: string;
    readonly width: number;
    readonly markWhole?: ((line: string) => string) | undefined;
  },
): string[] {
  const suffix = options.suffix ?? '';
  const line = `${lead}${label} ${name}${suffix}`;
  if (line.length <= options.width) return [line];
  const head = `${lead}${label.trimEnd().replace(/:$/, '')}${suffix}:`;
  const own = `${options.indent}${name}`;
  const mark = options.markWhole;
  if (mark !== undefined) return [head, copyable(name) ? mark(own) : own];
  const room = options.width - options.indent.length;
  if (name.length <= room || copyable(name)) return [head, own];
  return [head, ...chunks(name, room).map((chunk) => `${options.indent}${chunk}`)];
}

export type { TableOptions };
export {
  bullet,
  chunks,
  copyable,
  countCell,
  fitCell,
  formatTable,
  joinSections,
  labelledName,
  needPersonText,
  needPersonUnits,
  PATH_CHARS,
  PATHS_SHOWN_PER_TASK,
  pathLines,
  plural,
  REASON_CHARS,
  section,
  WIDTH,
  wrap,
  wrapWithoutWidow,
};

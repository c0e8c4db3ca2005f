import { Buffer } from 'node:buffer';
import { FailureList, jsonDocumentText } from '../lib/analyze/analysis.ts';

/*
 * Large output, written in pieces. `analyze --json` on a big batch prints megabytes (every failure
 * listed, indented). As one string it was joined (a copy), escaped in one pass, then converted to
 * UTF-8 character by character before the first byte reached the pipe. In pieces, each is made,
 * escaped and copied out as bytes while it is small, and the first reaches the pipe at once.
 *
 * Each piece is JSON.stringify's own text: it does the work in one native call. Written in
 * JavaScript instead, the fixed-shape `failures` items cost more in a process this short, where
 * the code never warms up (10k events: +56 ms of CPU on Node 20, +64 ms on Node 24). Compact
 * JSON re-indented by regular expressions took twice as long, and pieces of 32 or 512 items
 * gained nothing.
 */

/** Items of a long list serialised per piece: with failures at ~0.5 KiB each, ~64 KiB a piece. */
const ITEMS_PER_PIECE = 128;

/** The text of one member of a top-level object, as it sits inside it: `  "key": value`. */
function memberText(key: string, value: unknown): string | undefined {
  const text = jsonDocumentText({ [key]: value });
  // `{}`: JSON.stringify leaves out a member whose value is undefined (or a function).
  return text === '{}' ? undefined : text.slice('{\n'.length, -'\n}'.length);
}

/**
 * The text of `jsonDocumentText(document)` in pieces, for writing as they are made: the pieces
 * joined are exactly that text (a test checks it). Each top-level member is one piece; a long
 * list is cut into slices of items, each slice serialised in its place so its indentation and
 * escapes are what the whole document would have. (An item's `toJSON` sees its index within the
 * slice, or that plus one, as its key; report documents hold plain values only.)
 */
function* jsonDocumentPieces(document: Readonly<Record<string, unknown>>): Generator<string> {
  let separator = '{\n';
  for (const [key, value] of Object.entries(document)) {
    // A FailureList makes its items a slice at a time, as they are written.
    if (
      !(Array.isArray(value) || value instanceof FailureList) ||
      value.length <= ITEMS_PER_PIECE
    ) {
      const member = memberText(key, value);
      if (member === undefined) continue;
      yield separator + member;
      separator = ',\n';
      continue;
    }
    // `  "key": [` then the items at the indentation of a top-level list, then `  ]`.
    const head = (memberText(key, []) as string).slice(0, -']'.length);
    yield `${separator}${head}\n`;
    // A slice serialised as this member's value: `{\n  "key": [\n` items `\n  ]\n}`.
    const before = `{\n${head}\n`.length;
    const after = '\n  ]\n}'.length;
    yield jsonDocumentText({ [key]: value.slice(0, ITEMS_PER_PIECE) }).slice(before, -after);
    for (let start = ITEMS_PER_PIECE; start < value.length; start += ITEMS_PER_PIECE) {
      // Serialised after a placeholder item (`0`), the slice's text holds the `,\n` that joins
      // it to the one before: cut out from that comma, the piece is one part of one flat string.
      // (`,\n` + items would be a rope, which Node 20 copies into one string before writing.)
      const slice = jsonDocumentText({
        [key]: [0, ...value.slice(start, start + ITEMS_PER_PIECE)],
      });
      yield slice.slice(slice.indexOf(',', before), -after);
    }
    yield '\n  ]';
    separator = ',\n';
  }
  yield separator === '{\n' ? '{}' : '\n}';
}

/** Below this many characters a text is written as UTF-8 without a look: checking would not pay. */
const CHECK_FROM_CHARS = 4096;

/**
 * The encoding to write `text` with, for its bytes to be its UTF-8: `latin1` when it is ASCII
 * (as JSON output nearly always is), since then its Latin-1 bytes are the same, `utf8` otherwise.
 * Written as Latin-1, Node copies the string to the pipe in one move and frees that copy once it
 * is written. A Buffer made here instead (as before) is a fresh allocation per piece that only a
 * later GC frees: for 10k events, printJson 69 -> 48 ms in a CPU profile.
 */
function outputEncoding(text: string): 'latin1' | 'utf8' {
  if (text.length < CHECK_FROM_CHARS) return 'utf8';
  // As many UTF-8 bytes as UTF-16 code units only when every character is ASCII.
  return Buffer.byteLength(text, 'utf8') === text.length ? 'latin1' : 'utf8';
}

export { jsonDocumentPieces, outputEncoding };

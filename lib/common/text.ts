/**
 * Text hygiene for untrusted strings (paths, S3 keys, messages) on their way to an email, a
 * terminal or a log line. Control characters are made visible rather than dropped, so an operator
 * can still see that a path contained, say, an escape sequence.
 */

// C0 and C1 controls, DEL, line/paragraph separators, bidi overrides and isolates, BOM: all of
// these can move a terminal cursor, split an email header, or reorder what a reader sees.
const UNSAFE_CHAR = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;
const UNSAFE = new RegExp(UNSAFE_CHAR.source, 'g');
// Lone surrogates are not valid UTF-8; SNS rejects them and terminals print garbage.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Whether text holds a character `sanitize` would escape (lone surrogates aside). */
function hasUnsafeChar(text: string): boolean {
  return UNSAFE_CHAR.test(text);
}

/**
 * Makes untrusted text safe for one line of a terminal or email: control characters, escape
 * sequences, bidi overrides and lone surrogates become visible `\xNN` / `\uNNNN` escapes.
 *
 * @example sanitize('a\u001b[31mb') // 'a\\x1b[31mb'
 */
function sanitize(text: string): string {
  return text.replace(UNSAFE, escapeChar).replace(LONE_SURROGATE, escapeChar);
}

/** Whether the UTF-16 unit at `index` is the second half of a surrogate pair. */
function splitsPair(text: string, index: number): boolean {
  const low = text.charCodeAt(index);
  const high = text.charCodeAt(index - 1);
  return low >= 0xdc00 && low <= 0xdfff && high >= 0xd800 && high <= 0xdbff;
}

/**
 * Shortens text to at most `max` characters, keeping the start and the end (where a path's file
 * name is), and marks the cut with an ellipsis. Never between the halves of a surrogate pair:
 * a half left alone would be shown as an escape (`\ud83d`) that the text did not hold.
 */
function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const keep = Math.max(0, max - 1);
  let head = Math.ceil(keep / 2);
  if (splitsPair(text, head)) head--;
  let tail = text.length - (keep - Math.ceil(keep / 2));
  if (splitsPair(text, tail)) tail++;
  return `${text.slice(0, head)}…${text.slice(tail)}`;
}

/** Shortens text to at most `max` characters from the start, marking the cut (as truncateMiddle). */
function truncateEnd(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  if (splitsPair(text, end)) end--;
  return `${text.slice(0, end)}…`;
}

/** Sanitises, then shortens: the usual treatment for one untrusted value in a report. */
function display(text: string, max = 200): string {
  return sanitize(truncateMiddle(text, max));
}

/**
 * Reduces text to printable ASCII (0x20-0x7e) on one line, for SNS subjects, which must be
 * shorter than 100 characters and free of line breaks and control characters.
 */
function toAsciiLine(text: string, max: number): string {
  const ascii = text
    .normalize('NFKD')
    // Decomposed accents drop to their base letter ("é" → "e"); anything else non-printable
    // becomes a space.
    .replace(/\p{M}+/gu, '')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return ascii.length <= max ? ascii : `${ascii.slice(0, Math.max(0, max - 3)).trimEnd()}...`;
}

export { display, hasUnsafeChar, sanitize, toAsciiLine, truncateEnd, truncateMiddle };

/*
 * Reads the failures.csv of an export task's completion report. Pure: the text comes from
 * lib/aws/s3.ts through the report port.
 *
 * FSx writes three fields per row, FilePath, FileStatus and ErrorCode, in RFC 4180 encoding
 * (https://docs.aws.amazon.com/fsx/latest/LustreGuide/task-completion-report.html): a field that
 * holds `"` or `,` is double-quoted and its `"` doubled, and a path that starts with `@`, `+`,
 * `-` or `=` is wrapped in quotation marks of its own (so `@a.txt` is written `"""@a.txt"""`).
 * AWS's example has no header row; a header row, if one comes, is recognised and skipped.
 * docs/operate.md#completion-reports says what the follow-up email makes of it.
 */

/** One row of failures.csv, its fields decoded. */
interface ReportRow {
  /** The path as FSx wrote it, with the spreadsheet guard quotes removed. */
  readonly path: string;
  /** `failed` in a FAILED_FILES_ONLY report. */
  readonly status: string;
  readonly code: string;
  /** 1-based line of the file where the row starts. */
  readonly line: number;
}

/** A row that is not three fields: counted, with where it was, never guessed at. */
interface MalformedRow {
  readonly line: number;
  /** Why it was refused, in a few words. */
  readonly reason: string;
}

/** Everything failures.csv said, and what could not be read. */
interface ParsedReport {
  readonly rows: readonly ReportRow[];
  readonly malformed: readonly MalformedRow[];
  /** True when the text was cut (byte cap) and its unfinished last row was left out. */
  readonly cut: boolean;
}

interface ParseOptions {
  /** The text is a prefix of the report (the read stopped at its byte cap). */
  readonly truncated?: boolean;
}

const HEADER = ['filepath', 'filestatus', 'errorcode'];
/** First characters of a path that FSx wraps in quotes so a spreadsheet reads no formula. */
const GUARDED = new Set(['@', '+', '-', '=']);

/** One record: its fields, where it starts, and why it is malformed (if it is). */
interface RawRecord {
  readonly fields: string[];
  readonly line: number;
  readonly problem: string | undefined;
  /** The record ended with a line break (or it is the last of a whole file). */
  readonly ended: boolean;
}

/**
 * Splits RFC 4180 text into records. A quoted field may hold commas, quotes (doubled) and line
 * breaks; a record ends at LF, CRLF or a lone CR outside quotes. Never throws.
 */
function records(text: string): RawRecord[] {
  const out: RawRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field was quoted (and its closing quote seen)
  let problem: string | undefined;
  let line = 1;
  let start = 1;
  let any = false; // the current record has a character
  const endField = (): void => {
    fields.push(field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = (ended: boolean): void => {
    endField();
    out.push({ fields, line: start, problem, ended });
    fields = [];
    problem = undefined;
    any = false;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
          wasQuoted = true;
        }
      } else {
        if (char === '\n' || (char === '\r' && text[i + 1] !== '\n')) line++;
        field += char;
      }
      continue;
    }
    if (char === ',') {
      endField();
      any = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      if (any || field !== '' || fields.length > 0) endRecord(true);
      line++;
      start = line;
    } else if (char === '"') {
      any = true;
      if (field === '' && !wasQuoted) quoted = true;
      else {
        problem ??= 'a quotation mark inside an unquoted field';
        field += char;
      }
    } else {
      any = true;
      if (wasQuoted) problem ??= 'text after a closing quotation mark';
      field += char;
    }
  }
  if (quoted) {
    problem ??= 'a quoted field that never ends';
    endRecord(false);
  } else if (any || field !== '' || fields.length > 0) {
    endRecord(false);
  }
  return out;
}

/** Removes the quotes FSx puts around a path starting with `@ + - =` (double, or single). */
function unguard(path: string): string {
  if (path.length < 3) return path;
  const open = path[0];
  if ((open === '"' || open === "'") && path.at(-1) === open && GUARDED.has(path[1] as string)) {
    return path.slice(1, -1);
  }
  return path;
}

/**
 * Parses failures.csv text: a leading byte order mark and a header row are skipped, blank lines
 * ignored. A record that is not three fields, has an empty path or a broken quote is counted in
 * `malformed` with its line, never half-read. With `truncated`, the last record is dropped
 * unless it ended with a line break: it may have been cut.
 *
 * @example parseFailuresCsv('dir1/big,failed,FileSizeTooLarge\n').rows[0]?.code // 'FileSizeTooLarge'
 */
function parseFailuresCsv(text: string, options: ParseOptions = {}): ParsedReport {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const all = records(body);
  const cut = options.truncated === true;
  if (cut && all.at(-1)?.ended === false) all.pop();
  const rows: ReportRow[] = [];
  const malformed: MalformedRow[] = [];
  all.forEach((record, index) => {
    const { fields, line } = record;
    if (
      index === 0 &&
      fields.length === 3 &&
      fields.every((value, at) => value.trim().toLowerCase() === HEADER[at])
    ) {
      return;
    }
    if (record.problem !== undefined) {
      malformed.push({ line, reason: record.problem });
    } else if (fields.length !== 3) {
      malformed.push({
        line,
        reason: `${fields.length} ${fields.length === 1 ? 'field' : 'fields'} instead of 3`,
      });
    } else {
      const [path = '', status = '', code = ''] = fields;
      if (path === '') malformed.push({ line, reason: 'an empty path' });
      else rows.push({ path: unguard(path), status: status.trim(), code: code.trim(), line });
    }
  });
  return { rows, malformed, cut };
}

export type { MalformedRow, ParsedReport, ParseOptions, ReportRow };
export { parseFailuresCsv };

import { isRetryable } from '../common/classes.ts';
import type { ReportRead } from '../common/ports.ts';
import type { FailureClass } from '../common/types.ts';
import { type MalformedRow, parseFailuresCsv } from './csv.ts';

/*
 * A task's completion report, read back: which files still failed, with which code and class,
 * and which of them are paths the task re-exported (escalated to a person with that code). Pure:
 * the bytes come through the report port, the classification through `describeCode` (the
 * analyzer's table, lib/analyze/classify.ts, wired in functions/outcomes.ts).
 */

/** How many bytes of a failures.csv are read at most: about 10,000 rows of 100 characters. */
const MAX_REPORT_BYTES = 1024 * 1024;

/** The class and the remediation hint of a completion-report error code. */
interface CodeInfo {
  readonly class: FailureClass;
  readonly hint: string;
}

/** Classifies a completion-report error code with the analyzer's table. */
type DescribeCode = (code: string) => CodeInfo;

/** One file the report says failed. */
interface FailedFile {
  readonly path: string;
  readonly code: string;
  readonly class: FailureClass;
  /**
   * The path is one the task re-exported, so it failed again (a file under a directory the task
   * exported is listed only: its own attempts are keyed by its own path).
   */
  readonly again: boolean;
  /**
   * It failed again with a code no retry fixes (permission, limit, unknown…): it is escalated to
   * a person with this code instead of being re-exported again. A path that failed again as busy
   * or with an internal error is not: it stays under the attempt limit like any other.
   */
  readonly escalated: boolean;
}

/** What the completion report of one finished task said, or why it could not be read. */
type CompletionReport =
  | {
      readonly state: 'read';
      /** `s3://…/failures.csv`. */
      readonly url: string;
      /** Failed files in report order. */
      readonly files: readonly FailedFile[];
      /** The hint of each code present, for the email. */
      readonly hints: ReadonlyMap<string, string>;
      /** Rows whose FileStatus is not `failed` (not expected in a FAILED_FILES_ONLY report). */
      readonly otherStatus: number;
      readonly malformed: readonly MalformedRow[];
      /** Only the first `bytes` of a longer report were read: files past them are not listed. */
      readonly truncated: boolean;
      readonly bytes: number;
      readonly totalBytes: number | undefined;
    }
  | {
      readonly state: 'unreadable';
      readonly url: string;
      /** The normalised S3 error (`NoSuchKey`, `AccessDenied`, `KmsDenied`, `Throttled`…). */
      readonly error: string;
      readonly message: string;
    };

/** Normalises a report path like a task path: relative to the file-system root. */
function relative(path: string): string {
  return path.replace(/^\/+/, '');
}

/**
 * Interprets a read of failures.csv for a task that re-exported `paths`: parses it, classifies
 * each failed file's code, and marks as escalated the paths the task was asked to re-export.
 * A file the report names that the task was not asked for is listed but escalates nothing:
 * the report never widens what the outcome check acts on.
 */
function interpretReport(
  url: string,
  read: ReportRead,
  paths: readonly string[],
  describeCode: DescribeCode,
): CompletionReport {
  if (!read.ok) return { state: 'unreadable', url, error: read.error, message: read.message };
  const parsed = parseFailuresCsv(read.text, { truncated: read.truncated });
  const wanted = new Set(paths.map(relative));
  const files: FailedFile[] = [];
  const hints = new Map<string, string>();
  let otherStatus = 0;
  for (const row of parsed.rows) {
    if (row.status.toLowerCase() !== 'failed') {
      otherStatus++;
      continue;
    }
    const info = describeCode(row.code);
    if (!hints.has(row.code)) hints.set(row.code, info.hint);
    const path = relative(row.path);
    const again = wanted.has(path);
    files.push({
      path,
      code: row.code,
      class: info.class,
      again,
      escalated: again && !isRetryable(info.class),
    });
  }
  return {
    state: 'read',
    url,
    files,
    hints,
    otherStatus,
    malformed: parsed.malformed,
    truncated: read.truncated,
    bytes: read.bytes,
    totalBytes: read.totalBytes,
  };
}

export type { CodeInfo, CompletionReport, DescribeCode, FailedFile };
export { interpretReport, MAX_REPORT_BYTES };

/**
 * CloudWatch console links: the console host of a Region, a log stream's page, and a deep link
 * that opens Logs Insights with a query, its log groups and an absolute time window filled in.
 * Pure: no SDK, no clock. Every value that reaches a link is escaped, so a link is plain URL-safe
 * ASCII whatever the log group names or the query hold.
 */
import { AnalyzerError } from '../common/errors.ts';
import { isFileSystemId } from '../common/fsx.ts';

/** Logs Insights queries at most 50 log groups at once. */
const MAX_LOG_GROUPS = 50;
/** Above this many file systems the query lists every data repository stream instead. */
const MAX_QUERY_FILE_SYSTEMS = 20;
/** Rows the failures query returns by default; Logs Insights allows up to 10,000. */
const QUERY_LIMIT = 1000;
const MAX_QUERY_LIMIT = 10_000;
const MINUTE = 60_000;

const JSURL_PLAIN = /[A-Za-z0-9_.-]/;

/** A link that cannot be made (an invalid date): a bug in the caller, said in one line. */
class InsightsLinkError extends AnalyzerError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InsightsLinkError';
  }
}

interface InsightsLinkInput {
  readonly region: string;
  /** Log group names; the first 50 are linked. */
  readonly logGroups: readonly string[];
  readonly start: Date;
  readonly end: Date;
  readonly query: string;
}

interface InsightsQueryInput {
  /** File systems to narrow the query to; without them (or with a non-FSx id) every datarepo_ stream. */
  readonly fileSystemIds?: readonly string[] | undefined;
  readonly limit?: number | undefined;
}

/**
 * `https://<host>/cloudwatch/home?region=<region>` for the partition of `region`: China
 * (`cn-…`: `console.amazonaws.cn`), GovCloud (`us-gov-…`: `console.amazonaws-us-gov.com`), else
 * `console.aws.amazon.com`. Regional hosts as used for these partitions by public tools (e.g.
 * `https://cn-northwest-1.console.amazonaws.cn/cloudwatch/home?region=cn-northwest-1`,
 * `https://us-gov-west-1.console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1`).
 */
function cloudWatchHome(region: string): string {
  // encodeURIComponent throws on lone surrogates: U+FFFD stands in for them.
  const name = encodeURIComponent(region.toWellFormed());
  const domain = region.startsWith('cn-')
    ? 'console.amazonaws.cn'
    : region.startsWith('us-gov-')
      ? 'console.amazonaws-us-gov.com'
      : 'console.aws.amazon.com';
  return `https://${name}.${domain}/cloudwatch/home?region=${name}`;
}

/**
 * Escapes one value the way JSURL does (the object notation of the console's `queryDetail`):
 * `[A-Za-z0-9_.-]` stay, other UTF-16 units up to 0xff become `*` and two hex digits, the rest
 * `**` and four. Every unit is escaped on its own, so lone surrogates survive exactly. (JSURL
 * writes `$` as `!`; `*24` decodes the same and keeps `$` out of the console's outer layer.)
 */
function jsurlEscape(value: string): string {
  let out = '';
  for (let index = 0; index < value.length; index++) {
    const char = value.charAt(index);
    if (JSURL_PLAIN.test(char)) {
      out += char;
      continue;
    }
    const code = value.charCodeAt(index);
    out +=
      code <= 0xff
        ? `*${code.toString(16).padStart(2, '0')}`
        : `**${code.toString(16).padStart(4, '0')}`;
  }
  return out;
}

/** Whether `new Date(millis).toISOString()` works: it throws outside ±8.64e15 ms. */
function isDateMillis(millis: number): boolean {
  return Number.isFinite(millis) && Math.abs(millis) <= 8.64e15;
}

function isoOf(date: Date, name: string): string {
  if (!isDateMillis(date.getTime())) {
    throw new InsightsLinkError(`Logs Insights link: the ${name} time is not a valid date`);
  }
  return date.toISOString();
}

/**
 * The Logs Insights console link for `query` over `logGroups` from `start` to `end` (UTC).
 *
 * The console has no documented link format. What we rely on was checked against public
 * sources: links copied from the console into public repositories, e.g.
 * `#logsV2:logs-insights$3FqueryDetail$3D~(end~'2025-05-30T05*3a00*3a00.000Z~start~'…
 * ~timeType~'ABSOLUTE~tz~'LOCAL~editorString~'fields*20*40timestamp…~source~(~'*2faws*2flambda*2fx))`;
 * code that builds the same fragment with the `jsurl` package (`JSURL.stringify(queryDetail)`);
 * and the Stack Overflow answer "Is there a way to generate the AWS Console URLs for CloudWatch
 * Log Group filters?" that explains it. The fragment is `logs-insights?queryDetail=<JSURL>` with
 * the outer `?` and `=` written `$3F`/`$3D`; in JSURL, objects are `~(key~value~key~value)`,
 * strings `'`-prefixed, arrays `~(~'a~'b)`.
 */
function insightsLink(input: InsightsLinkInput): string {
  const end = isoOf(input.end, 'end');
  const start = isoOf(input.start, 'start');
  const sources = [...new Set(input.logGroups)]
    .slice(0, MAX_LOG_GROUPS)
    .map((group) => `~'${jsurlEscape(group)}`)
    .join('');
  const detail =
    `~(end~'${jsurlEscape(end)}~start~'${jsurlEscape(start)}~timeType~'ABSOLUTE~tz~'UTC` +
    `~editorString~'${jsurlEscape(input.query)}~source~(${sources}))`;
  return `${cloudWatchHome(input.region)}#logsV2:logs-insights$3FqueryDetail$3D${detail}`;
}

/**
 * The Logs Insights query that lists FSx data repository events, newest first. Narrowed to the
 * streams of the given file systems (`datarepo_<id>`) when every id is an FSx id and there are
 * at most 20; otherwise every `datarepo_` stream, so no event of the window is left out.
 */
function insightsQuery(input: InsightsQueryInput = {}): string {
  const ids = [...new Set(input.fileSystemIds ?? [])].sort();
  const narrow =
    ids.length > 0 &&
    ids.length <= MAX_QUERY_FILE_SYSTEMS &&
    // Only an FSx for Lustre (fs-) or File Cache (fc-) id ever goes into a query.
    ids.every(isFileSystemId);
  const filter = narrow
    ? `filter @logStream in [${ids.map((id) => `"datarepo_${id}"`).join(', ')}]`
    : 'filter @logStream like /^datarepo_/';
  const wanted = input.limit ?? QUERY_LIMIT;
  const limit = Number.isFinite(wanted)
    ? Math.max(1, Math.min(MAX_QUERY_LIMIT, Math.trunc(wanted)))
    : QUERY_LIMIT;
  return [
    'fields @timestamp, @logStream, @message',
    filter,
    'sort @timestamp desc',
    `limit ${limit}`,
  ].join('\n| ');
}

/**
 * A window of event times widened to whole minutes: from the start of the first event's minute
 * to the end of the last one's, so the console's minute-rounded pickers still hold every event.
 */
function minuteWindow(firstMillis: number, lastMillis: number): { start: Date; end: Date } {
  return {
    start: new Date(Math.floor(firstMillis / MINUTE) * MINUTE),
    end: new Date(Math.floor(lastMillis / MINUTE) * MINUTE + MINUTE),
  };
}

function consoleEncode(value: string): string {
  // encodeURIComponent throws on lone surrogates; log names arrive from untrusted payloads.
  return encodeURIComponent(value.toWellFormed()).replace(/%/g, '$25');
}

/**
 * Link to a log stream in the CloudWatch console. The console encodes the fragment twice
 * (`%` itself becomes `$25`), so `/aws/fsx/lustre` is written `$252Faws$252Ffsx$252Flustre`.
 * The result is plain ASCII whatever the input.
 */
function consoleLink(region: string, logGroup: string, logStream: string): string {
  return (
    cloudWatchHome(region) +
    `#logsV2:log-groups/log-group/${consoleEncode(logGroup)}/log-events/${consoleEncode(logStream)}`
  );
}

export type { InsightsLinkInput, InsightsQueryInput };
export {
  cloudWatchHome,
  consoleLink,
  InsightsLinkError,
  insightsLink,
  insightsQuery,
  isDateMillis,
  jsurlEscape,
  MAX_LOG_GROUPS,
  minuteWindow,
};

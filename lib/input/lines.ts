/*
 * The prefix a log line carries when it was copied out of CloudWatch Logs rather than received
 * from a subscription: `aws logs tail` prints `<time> <log stream> <message>` (`--format short`
 * drops the stream), an export task to S3 writes `<time> <message>`, and the console copies rows
 * as `<time><tab><message>`. The time and stream are kept, the message is read as FSx wrote it.
 * See docs/cli.md#input-formats.
 */

// ISO 8601 date and time, optional fraction (any precision) and zone (`Z`, `+00:00`, `+0000`).
const LEADING_TIME =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?[ \t]+/;
// Only FSx's own stream names are taken as a stream: any other word may start the message.
const LEADING_STREAM = /^(datarepo_[A-Za-z0-9-]{1,64})[ \t]+/;

/** A line split into what the copy added and the message FSx wrote. */
interface LinePrefix {
  /** Epoch milliseconds of the leading time; undefined when the line has none. */
  readonly time: number | undefined;
  /** The log stream `aws logs tail` printed before the message, if any. */
  readonly stream: string | undefined;
  readonly message: string;
}

function epochMillis(date: string, time: string, fraction = '', zone = 'Z'): number | undefined {
  // A zone-less time is what `aws logs tail --format short` prints: UTC, as CloudWatch stores it.
  const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const millis = Date.parse(`${date}T${time}.${fraction.padEnd(3, '0').slice(0, 3)}${offset}`);
  return Number.isNaN(millis) ? undefined : millis;
}

/**
 * Splits the time and stream a copied log line starts with from its message. A line without a
 * leading time is returned whole: an FSx message may itself begin with words that look like one
 * of these only after a time.
 *
 * @example
 * splitLinePrefix('2025-11-25T06:04:12.000000+00:00 datarepo_fs-0a1b2c3d4e5f60718 {"errorCode":…}')
 * // → { time: 1764050652000, stream: 'datarepo_fs-0a1b2c3d4e5f60718', message: '{"errorCode":…}' }
 */
export function splitLinePrefix(line: string): LinePrefix {
  const timeMatch = LEADING_TIME.exec(line);
  if (timeMatch === null) return { time: undefined, stream: undefined, message: line };
  const [whole, date = '', time = '', fraction, zone] = timeMatch;
  const millis = epochMillis(date, time, fraction, zone);
  if (millis === undefined) return { time: undefined, stream: undefined, message: line };
  const rest = line.slice(whole.length);
  const streamMatch = LEADING_STREAM.exec(rest);
  if (streamMatch === null) return { time: millis, stream: undefined, message: rest };
  return {
    time: millis,
    stream: streamMatch[1],
    message: rest.slice(streamMatch[0].length),
  };
}

export type { LinePrefix };

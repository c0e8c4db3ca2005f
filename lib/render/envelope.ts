import { Buffer } from 'node:buffer';
import { display, toAsciiLine } from '../common/text.ts';
import { VERSION } from '../common/version.ts';

/*
 * What every email the analyzer sends through SNS shares around its body: a printable-ASCII
 * subject under 100 characters, message attributes for subscription filter policies, the footer,
 * and a body kept under the SNS size limit.
 */

/** SNS subjects must be shorter than 100 characters. */
const SUBJECT_MAX = 99;
/** SNS allows 262,144 bytes for body and attributes together; the rest is safety margin. */
const BODY_BUDGET = 250_000;
/** File system ids listed in a message attribute; a filter policy needs no more. */
const MAX_ATTRIBUTE_IDS = 50;
/**
 * The last words of a cut body: what is cut, and where the rest is. Each caller knows where its
 * own rest is and passes it to fitBody; this is the analyzer's, and the default. The analyzer
 * logs counts, a line per task it started, refused, deferred or queued with every path, and
 * escalations, never the failure records (docs/operate.md#the-functions-own-logs-and-metrics):
 * those stay in the FSx log group, which `scan` reads (docs/cli.md#scan). The envelope knows no
 * window or log group, so the lines name neither. Every note opens with CUT_OPENING, ends with
 * "]", and has lines of at most 76 columns, the command never broken.
 */
const TRUNCATED: readonly string[] = [
  "[truncated at the SNS size limit. The analyzer's log has one line per",
  're-export task it started, refused, deferred or queued, with every path.',
  'Every failure is in the FSx log group; to list those of a window, run',
  '  fsx-export-analyzer scan --since TIME --until TIME',
  'with --log-group or --file-system-id as needed (docs/cli.md#scan).]',
];
/** How every cut-body note begins, so a reader (and a test) can tell a cut email. */
const CUT_OPENING = '[truncated at the SNS size limit.';

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Joins the lines within the byte budget. Sections are bounded, so this only bites on
 * adversarial input; it then cuts at a line boundary (never inside a character) and ends with
 * `note`: what is cut and where the rest is, the caller's own (default: the analyzer's, TRUNCATED).
 */
function fitBody(
  lines: readonly string[],
  footer: readonly string[],
  note: readonly string[] = TRUNCATED,
): string {
  const full = [...lines, ...footer].join('\n');
  if (utf8(full) <= BODY_BUDGET) return full;
  const tail = ['', ...note, ...footer];
  let budget = BODY_BUDGET - utf8(tail.join('\n')) - 1;
  const kept: string[] = [];
  for (const line of lines) {
    const size = utf8(line) + 1;
    if (size > budget) break;
    kept.push(line);
    budget -= size;
  }
  return [...kept, ...tail].join('\n');
}

/**
 * The last lines of every email: who sent it (`who`: which part of the analyzer), which release
 * (so a reader can tell which version of the stack is deployed) and when.
 */
function footer(at: string, who?: string): string[] {
  const by = who === undefined ? '' : ` (${who})`;
  return ['', `Sent by fsx-export-analyzer ${VERSION}${by} at ${display(at, 64)}.`];
}

/** Sorted unique ids as printable ASCII, for subjects and message attributes. */
function asciiIds(ids: Iterable<string>): string[] {
  const clean = new Set<string>();
  for (const id of ids) {
    const ascii = toAsciiLine(id, 64);
    if (ascii !== '') clean.add(ascii);
  }
  return [...clean].sort();
}

/** " on fs-…" for one file system, " on N file systems" for several, nothing for none. */
function onFileSystems(ids: readonly string[]): string {
  if (ids.length === 0) return '';
  return ids.length === 1 ? ` on ${ids[0]}` : ` on ${ids.length} file systems`;
}

/** A part of a subject; `keep` parts are placed before the others may fill the room left. */
type SubjectPart = string | { readonly text: string; readonly keep: true };

/**
 * Which of `parts` fit after `used` characters, each costing a two-character separator: the
 * `keep` ones first (the count on-call needs most must never be what a long subject loses), then
 * the others in order while they fit. The kept parts keep their order.
 */
function partsThatFit(used: number, parts: readonly SubjectPart[]): string[] {
  const texts = parts.map((part) =>
    toAsciiLine(typeof part === 'string' ? part : part.text, SUBJECT_MAX),
  );
  const kept = new Set<number>();
  let length = used;
  parts.forEach((part, index) => {
    const size = 2 + (texts[index]?.length ?? 0);
    if (typeof part !== 'string' && length + size <= SUBJECT_MAX) {
      kept.add(index);
      length += size;
    }
  });
  for (const [index, part] of parts.entries()) {
    if (typeof part !== 'string') continue;
    const size = 2 + (texts[index]?.length ?? 0);
    if (length + size > SUBJECT_MAX) break;
    kept.add(index);
    length += size;
  }
  return texts.filter((_, index) => kept.has(index));
}

/**
 * `main: part, part, …` as printable ASCII within the SNS limit: parts are added only while they
 * fit (`keep` parts first, see partsThatFit), so they are never cut mid-word; `main` alone is cut
 * with "..." when it is too long.
 */
function subjectWith(main: string, parts: readonly SubjectPart[] = []): string {
  const subject = toAsciiLine(main, SUBJECT_MAX);
  const fitted = partsThatFit(subject.length, parts);
  if (fitted.length === 0) return subject;
  return toAsciiLine(`${subject}: ${fitted.join(', ')}`, SUBJECT_MAX);
}

/**
 * The attributes of the follow-up emails (retrier, outcome check, digest, doctor): the same
 * fields as the summary's, plus `summary` (the summary has none), so one filter policy serves all.
 */
function summaryAttributes(
  kind: 'retrier' | 'outcomes' | 'digest' | 'doctor',
  ids: readonly string[],
  person: boolean,
): Record<string, string | readonly string[]> {
  const shown = ids.slice(0, MAX_ATTRIBUTE_IDS);
  const attributes: Record<string, string | readonly string[]> = {
    summary: kind,
    fileSystemId: shown[0] ?? 'unknown',
    needsPerson: String(person),
    dryRun: 'false',
  };
  if (shown.length > 0) attributes['fileSystemIds'] = shown;
  return attributes;
}

export type { SubjectPart };
export {
  asciiIds,
  CUT_OPENING,
  fitBody,
  footer,
  MAX_ATTRIBUTE_IDS,
  onFileSystems,
  partsThatFit,
  SUBJECT_MAX,
  subjectWith,
  summaryAttributes,
  TRUNCATED,
};

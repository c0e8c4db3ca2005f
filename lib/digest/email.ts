/**
 * The digest email (repeats held back during alert windows, and recovery notices) and the one
 * paragraph the summary gets about the repeats it held back. Same rules as the summary: printable
 * ASCII subject under 100 characters, plain text wrapped at 76 columns (a link or a command stays
 * whole on its line), every untrusted string sanitised, every section bounded, the whole body under
 * the SNS limit.
 */
// Over ~400 lines on purpose: the digest and the summary's held-back note share their wording.
import { shownPath } from '../analyze/analysis.ts';
import { hintFor } from '../analyze/classify.ts';
import { CLASS_ORDER, classTitle, PERSON_CLASSES, WARNING_CLASSES } from '../common/classes.ts';
import type { FailureSeries } from '../common/ports.ts';
import { display } from '../common/text.ts';
import type {
  BacklogReadings,
  BatchGroup,
  Checked,
  DigestClass,
  DigestWindow,
  GroupKey,
  Publication,
  Recovered,
  TimeWindow,
} from '../common/types.ts';
import { backlogLines } from '../render/backlog.ts';
import { type ClassTableRow, classAction, classTableLines } from '../render/class-table.ts';
import {
  asciiIds,
  fitBody,
  footer,
  onFileSystems,
  subjectWith,
  summaryAttributes,
} from '../render/envelope.ts';
import { histogramLines } from '../render/histogram.ts';
import { insightsLink, insightsQuery } from '../render/insights.ts';
import { formatTable, joinSections, plural, section, WIDTH, wrap } from '../render/layout.ts';
import { failuresAndWarnings } from '../render/report.ts';
import { reexportCommands } from './command.ts';

/** One digest run's content. */
interface DigestContent {
  readonly digests: readonly DigestWindow[];
  readonly recovered: readonly Recovered[];
  /** When the run happened (ISO-8601). */
  readonly generatedAt: string;
  /** AWS Region for console links; no links without it. */
  readonly region: string | undefined;
  /** The export backlog of the digest's file systems; absent: not read (no section). */
  readonly backlog?: BacklogReadings | undefined;
  /** Failures per class over a recent window (the analyzer's own metric); absent: no section. */
  readonly failures?: FailuresOverTime | undefined;
}

/** The analyzer's Failures metric per class, read back for the digest's compact histogram. */
interface FailuresOverTime {
  readonly window: TimeWindow;
  readonly periodSeconds: number;
  readonly series: Checked<FailureSeries>;
}

/** Groups shown in full; the table lists up to MAX_ROWS, the rest are counted. */
const MAX_DETAILED = 20;
const MAX_ROWS = 50;
const MAX_RECOVERED = 50;
const MAX_CODES_SHOWN = 10;
const MAX_HINTS = 3;
const SCOPE_CHARS = 64;
const CODE_CHARS = 80;
const SAMPLE_CHARS = 160;
/** Classes no re-export fixes, and unparseable events: a person acts on every one. */
const PERSON_LABELS = new Set<DigestClass>([...PERSON_CLASSES, 'unparseable']);

function hhmm(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  return Number.isNaN(date.getTime()) ? '?' : date.toISOString().slice(11, 16);
}

function day(epochSeconds: number): string {
  const date = new Date(epochSeconds * 1000);
  return Number.isNaN(date.getTime()) ? '?' : date.toISOString().slice(0, 10);
}

/** "2025-11-25 10:00 to 11:00", with the end's date when the window ran past midnight. */
function span(start: number, end: number): string {
  const until = day(end) === day(start) ? hhmm(end) : `${day(end)} ${hhmm(end)}`;
  return `${day(start)} ${hhmm(start)} to ${until}`;
}

/** The table's compact form: "10:00-11:00", or "11-25 10:00-11-26 09:00" across midnight. */
function shortSpan(start: number, end: number): string {
  if (day(end) === day(start)) return `${hhmm(start)}-${hhmm(end)}`;
  return `${day(start).slice(5)} ${hhmm(start)}-${day(end).slice(5)} ${hhmm(end)}`;
}

function classLabel(cls: DigestClass): string {
  return cls === 'unparseable' ? 'unparseable events' : cls;
}

function titleOf(cls: DigestClass): string {
  return cls === 'unparseable' ? 'Log events that could not be read' : classTitle(cls);
}

/** "fs-0123…" or "log group /aws/fsx/lustre", sanitised. */
function scopeText(key: GroupKey): string {
  const scope = display(key.scope, SCOPE_CHARS);
  return key.scopeKind === 'fileSystem' ? scope : `log group ${scope}`;
}

function minutes(windowSeconds: number): string {
  return windowSeconds % 60 === 0
    ? plural(windowSeconds / 60, 'minute')
    : plural(windowSeconds, 'second');
}

function sortedCodes(codes: ReadonlyMap<string, number>): Array<[string, number]> {
  return [...codes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

/**
 * Whether a digest entry gets a "Needs a person" line: a class no re-export fixes (unparseable
 * events always; a failure class when it has a code, whose hint says what to do) or escalated paths.
 */
function needsPersonFor(digest: DigestWindow): boolean {
  const cls = digest.key.cls;
  return (
    (PERSON_LABELS.has(cls) && (cls === 'unparseable' || digest.codes.size > 0)) ||
    digest.outcomes.escalated > 0
  );
}

/**
 * Where a digest entry's failures are, for its "needs a person" lines: its file system, or, when
 * the records named none, the log group they came from. (The digest keeps no account.)
 */
function whereText(key: GroupKey): string {
  const scope = display(key.scope, SCOPE_CHARS);
  return key.scopeKind === 'fileSystem'
    ? `(file system ${scope})`
    : `(file system unknown; log group ${scope})`;
}

/** A held sample as shown: a path relative to the file-system root, an S3 object as is. */
function sampleText(cls: DigestClass, sample: string): string {
  if (cls === 'unparseable' || sample.startsWith('s3://')) return sample;
  return shownPath(sample);
}

/** What a person still has to do for one digest entry, naming where; empty when nothing. */
function personLines(digest: DigestWindow, region: string | undefined): string[] {
  const where = whereText(digest.key);
  const lines: string[] = [];
  if (PERSON_LABELS.has(digest.key.cls)) {
    if (digest.key.cls === 'unparseable') {
      lines.push(
        ...wrap(
          `Needs a person: these events match no known FSx record format. Read them in the log group; if FSx changed its format, the parser needs updating. ${where}`,
          '  ',
          WIDTH,
          '    ',
        ),
      );
    } else {
      const hints = new Set<string>();
      for (const [code] of sortedCodes(digest.codes)) {
        hints.add(hintFor(code));
        if (hints.size >= MAX_HINTS) break;
      }
      for (const hint of hints) {
        lines.push(...wrap(`Needs a person: ${display(hint, 600)} ${where}`, '  ', WIDTH, '    '));
      }
    }
  }
  const { escalated, refused, deferred } = digest.outcomes;
  if (escalated > 0) {
    lines.push(
      ...wrap(
        `Needs a person: ${plural(escalated, 'path')} still failed after the maximum number of re-exports; the summary that escalated each path lists its task history. ${where}`,
        '  ',
        WIDTH,
        '    ',
      ),
    );
  }
  if (refused + deferred > 0) lines.push(...notReexportedLines(digest, region));
  return lines;
}

/**
 * The lines for an entry's failures FSx refused or left to a person: where their tasks are
 * logged, and the `reexport` command for after the fix, each alone on its line and never wrapped
 * (a command cut across lines does not run as printed).
 */
function notReexportedLines(digest: DigestWindow, region: string | undefined): string[] {
  const { refused, deferred } = digest.outcomes;
  const lines = wrap(
    `${plural(refused + deferred, 'failure')} could not be re-exported automatically (FSx refused, or no deferral queue); the analyzer's log lists their tasks with every path (lines "Re-export refused", "Re-export deferred"). ${whereText(digest.key)}`,
    '  ',
    WIDTH,
    '    ',
  );
  const commands = reexportCommands(digest, region);
  if (commands.length === 0) {
    lines.push(
      ...wrap(
        'Once the cause is fixed, re-export them with the reexport command (docs/cli.md#reexport).',
        '  ',
        WIDTH,
        '    ',
      ),
    );
    return lines;
  }
  lines.push(
    ...wrap(
      `Once the cause is fixed, re-export the class's failures of this window (${commands.length === 1 ? 'the command asks' : 'a command per log group; each asks'} before it starts; docs/cli.md#reexport):`,
      '  ',
      WIDTH,
      '    ',
    ),
    ...commands.map((command) => `    ${command}`),
  );
  return lines;
}

/** Logs Insights over the digest's window, narrowed to its file system; undefined without a region. */
function windowLink(digest: DigestWindow, region: string | undefined): string | undefined {
  if (region === undefined || region === '') return undefined;
  const logGroups =
    digest.key.scopeKind === 'logGroup' ? [digest.key.scope] : [...digest.logGroups];
  const start = new Date(digest.windowStart * 1000);
  const end = new Date(digest.windowEnd * 1000);
  if (logGroups.length === 0 || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
    return undefined;
  }
  return insightsLink({
    region,
    logGroups,
    start,
    end,
    query: insightsQuery({
      fileSystemIds: digest.key.scopeKind === 'fileSystem' ? [digest.key.scope] : undefined,
    }),
  });
}

/** The per-class table of the digest: held failures per class and the file systems they hit. */
function classTable(digests: readonly DigestWindow[]): string[] {
  const byClass = new Map<
    DigestClass,
    { held: number; scopes: Set<string>; unknownFileSystem: boolean }
  >();
  for (const digest of digests) {
    const tally = byClass.get(digest.key.cls) ?? {
      held: 0,
      scopes: new Set<string>(),
      unknownFileSystem: false,
    };
    tally.held += digest.held;
    if (digest.key.scopeKind === 'fileSystem') tally.scopes.add(digest.key.scope);
    // Held by log group: its records named no file system (unparseable events never do), which
    // the analyzer's class table shows as "unknown", not as a "-" that reads as none.
    else tally.unknownFileSystem = true;
    byClass.set(digest.key.cls, tally);
  }
  const rows: ClassTableRow[] = [...byClass].map(([cls, tally]) => ({
    label: cls,
    records: tally.held,
    // Distinct files are not tracked across windows; the detail below says new vs recurring.
    files: undefined,
    fileSystems: tally.scopes.size,
    unknownFileSystem: tally.unknownFileSystem,
    action: cls === 'unparseable' ? 'a person must read them' : classAction(cls),
  }));
  return classTableLines(rows);
}

function digestLines(digest: DigestWindow, region: string | undefined): string[] {
  const head = `${scopeText(digest.key)}: ${classLabel(digest.key.cls)}`;
  const lines = [head, '-'.repeat(Math.min(head.length, WIDTH))];
  lines.push(...wrap(titleOf(digest.key.cls), '  ', WIDTH, '  '));
  const paths =
    digest.key.cls === 'unparseable'
      ? ''
      : ` ${digest.newFailures} on new paths, ${digest.recurringFailures} on paths that already failed in this or the previous window${digest.untracked > 0 ? `, ${digest.untracked} not told apart (no path, or more than 1000 distinct paths)` : ''}.`;
  lines.push(
    ...wrap(
      `${plural(digest.held, 'failure')} held back from ${span(digest.windowStart, digest.windowEnd)} UTC.${paths}`,
      '  ',
      WIDTH,
      '  ',
    ),
  );
  const codes = sortedCodes(digest.codes);
  if (codes.length > 0) {
    const rows = codes
      .slice(0, MAX_CODES_SHOWN)
      .map(([code, count]) => [display(code, CODE_CHARS), String(count)]);
    lines.push(
      ...formatTable([digest.key.cls === 'unparseable' ? 'Reason' : 'Code', 'Count'], rows, {
        indent: '  ',
        align: ['left', 'right'],
      }),
    );
    if (codes.length > MAX_CODES_SHOWN) {
      lines.push(`  and ${plural(codes.length - MAX_CODES_SHOWN, 'more code')}`);
    }
  }
  if (digest.samples.length > 0) {
    lines.push(digest.key.cls === 'unparseable' ? '  Samples:' : '  Sample paths:');
    for (const sample of digest.samples.slice(0, 5)) {
      lines.push(`    ${display(sampleText(digest.key.cls, sample), SAMPLE_CHARS)}`);
    }
  }
  const o = digest.outcomes;
  if (o.started + o.queued + o.deferred + o.refused + o.escalated > 0) {
    lines.push(
      ...wrap(
        `Re-exports: ${o.started} started, ${o.queued} queued, ${o.refused} refused, ${o.deferred} left to a person, ${o.escalated} escalated (counted per failure; the outcome emails report how the tasks ended).`,
        '  ',
        WIDTH,
        '    ',
      ),
    );
  }
  lines.push(...personLines(digest, region));
  const link = windowLink(digest, region);
  // A link is never wrapped: a broken URL does not open.
  if (link !== undefined) lines.push('  The window in CloudWatch Logs Insights:', `  ${link}`);
  return lines;
}

function tableLines(digests: readonly DigestWindow[]): string[] {
  const rows = digests
    .slice(0, MAX_ROWS)
    .map((digest) => [
      display(digest.key.scope, 40),
      classLabel(digest.key.cls),
      String(digest.held),
      String(digest.newFailures),
      String(digest.recurringFailures),
      shortSpan(digest.windowStart, digest.windowEnd),
    ]);
  const lines = formatTable(['Where', 'Class', 'Held', 'New', 'Recurring', 'Window'], rows, {
    align: ['left', 'left', 'right', 'right', 'right', 'left'],
  });
  if (digests.length > MAX_ROWS) {
    const rest = digests.slice(MAX_ROWS).reduce((sum, digest) => sum + digest.held, 0);
    lines.push(
      `  and ${plural(digests.length - MAX_ROWS, 'more group')} (${plural(rest, 'failure')})`,
    );
  }
  return lines;
}

/** Whether a digest class is a warning (skipped exports): counted and shown, never called a failure. */
function isWarning(cls: DigestClass): boolean {
  return cls !== 'unparseable' && WARNING_CLASSES.includes(cls);
}

/** What a recovery notice says stopped: "permission failures on", "skipped exports (warnings) on". */
function recoveredWhat(cls: DigestClass): string {
  if (cls === 'unparseable') return 'unparseable events in';
  return isWarning(cls) ? `${cls} exports (warnings) on` : `${cls} failures on`;
}

/**
 * The recovery notices' words for what stopped, so a run never calls skipped exports or
 * unparseable events failures: the subject's noun and the headline's (e.g. "warnings", "skipped
 * exports (warnings)", "unparseable events"), by the kinds of class the notices hold, in the
 * order failures, warnings, unparseable events.
 */
function recoveredNouns(recovered: readonly Recovered[]): {
  readonly subject: string;
  readonly headline: string;
} {
  const kinds = new Set(recovered.map((notice) => recoveredKind(notice.key.cls)));
  const present = RECOVERED_KINDS.filter((kind) => kinds.has(kind.kind));
  return {
    subject: joinAnd(present.map((kind) => kind.subject)),
    headline: joinOr(present.map((kind) => kind.headline)),
  };
}

type RecoveredKind = 'failure' | 'warning' | 'unparseable';

const RECOVERED_KINDS: readonly { kind: RecoveredKind; subject: string; headline: string }[] = [
  { kind: 'failure', subject: 'failures', headline: 'failures' },
  { kind: 'warning', subject: 'warnings', headline: 'skipped exports (warnings)' },
  { kind: 'unparseable', subject: 'unparseable events', headline: 'unparseable events' },
];

function recoveredKind(cls: DigestClass): RecoveredKind {
  if (cls === 'unparseable') return 'unparseable';
  return isWarning(cls) ? 'warning' : 'failure';
}

/** "a", "a and b", "a, b and c". */
function joinAnd(words: readonly string[]): string {
  return words.length < 2
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** "a", "a or b", "a, b or c". */
function joinOr(words: readonly string[]): string {
  return words.length < 2
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function recoveredLines(recovered: readonly Recovered[]): string[] {
  const lines = recovered
    .slice(0, MAX_RECOVERED)
    .flatMap((notice) =>
      wrap(
        `* No ${recoveredWhat(notice.key.cls)} ${scopeText(notice.key)} for a full window (${minutes(notice.windowSeconds)}) since ${day(notice.lastFailureAt)} ${hhmm(notice.lastFailureAt)} UTC. The next one alerts at once.`,
        '',
        WIDTH,
        '  ',
      ),
    );
  if (recovered.length > MAX_RECOVERED) {
    lines.push(`and ${plural(recovered.length - MAX_RECOVERED, 'more recovered group')}.`);
  }
  return lines;
}

/**
 * The compact per-class histogram of the failures over `failures.window` (ASCII, one column per
 * period), or one line saying why it is unknown; empty without failures in the window.
 */
function failuresOverTimeLines(failures: FailuresOverTime | undefined): string[] {
  if (failures === undefined) return [];
  const { series } = failures;
  if (!series.ok) {
    const grant = series.denied === true ? ` Grant ${series.permission} to show it.` : '';
    return wrap(
      `Unknown: the failures could not be read (${display(series.reason, 120)}).${grant}`,
    );
  }
  return histogramLines(
    {
      start: failures.window.start,
      bucketMs: failures.periodSeconds * 1000,
      rows: CLASS_ORDER.map((cls) => ({ label: cls, counts: series.value.get(cls) ?? [] })),
    },
    { ascii: true, indent: '' },
  );
}

/** Held failures with the skipped exports (warnings) apart, as the summary's headline counts them. */
function heldApart(held: readonly { readonly cls: DigestClass; readonly count: number }[]): {
  readonly failed: number;
  readonly skipped: number;
} {
  let failed = 0;
  let skipped = 0;
  for (const { cls, count } of held) {
    if (isWarning(cls)) skipped += count;
    else failed += count;
  }
  return { failed, skipped };
}

function subjectOf(content: DigestContent, ids: readonly string[]): string {
  if (content.digests.length === 0) {
    const { subject } = recoveredNouns(content.recovered);
    return subjectWith(`FSx export ${subject} recovered${onFileSystems(ids)}`, [
      [...new Set(content.recovered.map((notice) => classLabel(notice.key.cls)))].join(', '),
    ]);
  }
  const classes = [...new Set(content.digests.map((digest) => classLabel(digest.key.cls)))];
  const { failed, skipped } = heldApart(
    content.digests.map((digest) => ({ cls: digest.key.cls, count: digest.held })),
  );
  return subjectWith(`FSx export digest${onFileSystems(ids)}`, [
    ...(failed > 0 || skipped === 0 ? [plural(failed, 'repeated failure')] : []),
    ...(skipped > 0 ? [`${skipped} skipped`] : []),
    classes.join(', '),
    ...(content.recovered.length > 0 ? [`${content.recovered.length} recovered`] : []),
  ]);
}

/**
 * Renders one digest run as one SNS message: a table of the held repeats per (file system,
 * class), each group in detail (codes, new versus recurring paths, samples, re-export outcomes,
 * what still needs a person), then the recovery notices.
 */
function renderDigestEmail(content: DigestContent): Publication {
  const digests = [...content.digests].sort(
    (a, b) =>
      b.held - a.held ||
      (a.key.scope < b.key.scope ? -1 : a.key.scope > b.key.scope ? 1 : 0) ||
      a.windowStart - b.windowStart,
  );
  const total = digests.reduce((sum, digest) => sum + digest.held, 0);
  const apart = heldApart(digests.map((digest) => ({ cls: digest.key.cls, count: digest.held })));
  const ids = asciiIds(
    [...digests, ...content.recovered]
      .filter((item) => item.key.scopeKind === 'fileSystem')
      .map((item) => item.key.scope),
  );
  const headline =
    digests.length > 0
      ? `${failuresAndWarnings(apart.failed, apart.skipped, 'repeated failure')} of already-alerted classes ${total === 1 ? 'was' : 'were'} held back in ${plural(digests.length, 'alert window')} instead of being emailed one by one.${content.recovered.length > 0 ? ` ${plural(content.recovered.length, 'class', 'classes')} recovered.` : ''}`
      : `${plural(content.recovered.length, 'class', 'classes')} recovered: no ${recoveredNouns(content.recovered).headline} for a full window.`;
  const detailed = digests
    .slice(0, MAX_DETAILED)
    .flatMap((digest, index) => [
      ...(index > 0 ? [''] : []),
      ...digestLines(digest, content.region),
    ]);
  if (digests.length > MAX_DETAILED) {
    detailed.push(
      '',
      `The other ${plural(digests.length - MAX_DETAILED, 'group')} are in the table above.`,
    );
  }
  const lines = joinSections([
    [
      ...wrap(headline),
      '',
      ...wrap(
        'The first failure of a class on a file system is emailed at once; repeats within its window are counted and reported here when the window closes.',
      ),
    ],
    digests.length > 0 ? section('HELD REPEATS BY CLASS', classTable(digests)) : [],
    digests.length > 0 ? section('HELD REPEATS', tableLines(digests)) : [],
    detailed,
    section('RECOVERED', recoveredLines(content.recovered)),
    section('FAILURES OVER TIME', failuresOverTimeLines(content.failures)),
    content.backlog === undefined
      ? []
      : section('EXPORT BACKLOG', backlogLines(ids, content.backlog)),
  ]);
  const attributes = summaryAttributes('digest', ids, digests.some(needsPersonFor));
  attributes['classes'] = [
    ...new Set([...digests, ...content.recovered].map((item) => item.key.cls)),
  ].sort();
  return {
    subject: subjectOf(content, ids),
    body: fitBody(lines, footer(content.generatedAt, 'digest')),
    attributes,
  };
}

/** Held groups of one summary, for its compact line. */
interface HeldBack {
  readonly group: BatchGroup;
  /** End of the window the failures were counted in (epoch seconds). */
  readonly windowEnd: number;
}

/** The failures a summary held back, with the skipped exports (warnings) apart. */
function heldCounts(held: readonly HeldBack[]): {
  readonly failed: number;
  readonly skipped: number;
} {
  return heldApart(held.map((item) => ({ cls: item.group.key.cls, count: item.group.failures })));
}

/**
 * The summary's paragraph about the repeats it held back: how many, of which classes where, and
 * when the digest comes. Empty when nothing was held.
 */
function heldNote(held: readonly HeldBack[]): string[] {
  if (held.length === 0) return [];
  const { failed, skipped } = heldCounts(held);
  const parts = held
    .slice(0, 5)
    .map(
      (item) =>
        `${classLabel(item.group.key.cls)} on ${scopeText(item.group.key)} (${item.group.failures})`,
    );
  if (held.length > 5) parts.push(plural(held.length - 5, 'more group'));
  const due = Math.max(...held.map((item) => item.windowEnd));
  return wrap(
    `Also ${failuresAndWarnings(failed, skipped, 'more failure')} of already-alerted classes, not shown here: ${parts.join(', ')}. They will be in the digest after ${hhmm(due)} UTC.`,
  );
}

/**
 * Puts the held-back paragraph into a rendered summary after its headline (the first paragraph).
 * The summary body stays under 250,000 bytes, so a paragraph of a few hundred keeps the message
 * far under the SNS limit.
 */
function withHeldNote(publication: Publication, note: readonly string[]): Publication {
  if (note.length === 0) return publication;
  const cut = publication.body.indexOf('\n\n');
  const text = note.join('\n');
  const body =
    cut < 0
      ? `${publication.body}\n\n${text}`
      : `${publication.body.slice(0, cut)}\n\n${text}${publication.body.slice(cut)}`;
  return { ...publication, body };
}

export type { DigestContent, FailuresOverTime, HeldBack };
export { heldCounts, heldNote, renderDigestEmail, withHeldNote };

import { sanitize } from '../common/text.ts';
import { type Publication, SEVERITIES } from '../common/types.ts';
import { asciiIds, fitBody, footer, subjectWith, summaryAttributes } from '../render/envelope.ts';
import { WIDTH as EMAIL_WIDTH, plural, section } from '../render/layout.ts';
import { ACTIONABLE, type FindingChange } from './changes.ts';
import type { DoctorResult, Finding } from './diagnose.ts';
import { ALL_FILE_SYSTEMS } from './topic.ts';

/*
 * The doctor's renderings: a table within 100 columns for a terminal (which also reads well in an
 * email), the alert email of a scheduled run, and a JSON document for scripts.
 */

/** Table layout: fits a 100-column terminal and a plain-text email. */
const WIDTH = 100;
const FS_COLUMN = 21;
const CHECK_COLUMN = 13;
const STATUS_COLUMN = 8;
/**
 * Where the rest of a cut doctor email is: the doctor logs each finding a person acts on
 * (lib/doctor/telemetry.ts), and the CLI prints the whole check (docs/cli.md#doctor).
 */
const DOCTOR_CUT: readonly string[] = [
  "[truncated at the SNS size limit. The doctor's log has one line per WARN,",
  'PROBLEM or UNKNOWN finding ("Doctor finding"). For the whole check, run',
  '  fsx-export-analyzer doctor',
  'in the same account and Region (docs/cli.md#doctor).]',
];

/** Where to cut `text` at most at `at`: never between the halves of a surrogate pair. */
function cutAt(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return at > 1 && code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/**
 * Splits text into lines of at most `width` characters, at spaces where it can: unlike the emails'
 * word wrap (lib/render/layout.ts), a long word (a path, an ARN) is cut, so the detail column
 * keeps its width.
 */
function wrapCutting(text: string, width: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const space = rest.lastIndexOf(' ', width);
    const cut = space > width / 3 ? space : cutAt(rest, width);
    lines.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  lines.push(rest);
  return lines;
}

/** Text in a column of `width`: cut (with a space before the next column) or padded. */
function pad(text: string, width: number): string {
  const shown = text.length >= width ? `${text.slice(0, cutAt(text, width - 1))} ` : text;
  return shown.padEnd(width);
}

function summaryLine(result: DoctorResult): string {
  const where = result.region === undefined ? '' : ` in ${sanitize(result.region)}`;
  const systems = `${plural(result.fileSystems, 'FSx for Lustre file system')}${where}`;
  const counts = SEVERITIES.filter((severity) => result.counts[severity] > 0)
    .map((severity) => `${result.counts[severity]} ${severity}`)
    .join(', ');
  const verdict = result.healthy ? 'watching: nothing to fix' : 'NOT fully watched: see below';
  return `doctor: ${systems}; ${counts === '' ? 'no findings' : counts}; ${verdict}`;
}

/**
 * Findings with the same fix, once each with every file system it concerns: file systems that
 * share a log group share its subscription fix, which should be read (and run) once.
 */
function fixGroups(fixes: readonly Finding[]): Array<{ item: Finding; fileSystemIds: string[] }> {
  const groups = new Map<string, { item: Finding; fileSystemIds: string[] }>();
  for (const item of fixes) {
    const same = JSON.stringify([item.check, item.severity, item.fix, item.commands]);
    const group = groups.get(same);
    if (group === undefined) groups.set(same, { item, fileSystemIds: [item.fileSystemId] });
    else group.fileSystemIds.push(item.fileSystemId);
  }
  return [...groups.values()];
}

/**
 * The terminal (and email) rendering: a summary line, a table of file system, check, status and
 * detail within 100 columns, then the "How to fix" list, commands unwrapped so they paste whole.
 */
function renderDoctorText(result: DoctorResult): string {
  const out: string[] = [summaryLine(result), ''];
  if (result.fileSystems === 0) {
    const where = result.region === undefined ? 'this Region' : sanitize(result.region);
    out.push(`No FSx for Lustre file systems in ${where}: is this the right Region (--region)?`);
    // The topic's finding still stands: it is not about a file system.
    if (result.findings.length === 0) return `${out.join('\n')}\n`;
    out.push('');
  }
  const named = Object.entries(result.names).map(
    ([id, name]) => `${sanitize(id)} ${sanitize(name)}`,
  );
  if (named.length > 0) out.push(...wrapCutting(`Names: ${named.join('; ')}`, WIDTH), '');
  const detailWidth = WIDTH - FS_COLUMN - CHECK_COLUMN - STATUS_COLUMN;
  const indent = ' '.repeat(FS_COLUMN + CHECK_COLUMN + STATUS_COLUMN);
  out.push(
    `${pad('FILE SYSTEM', FS_COLUMN)}${pad('CHECK', CHECK_COLUMN)}${pad('STATUS', STATUS_COLUMN)}DETAIL`,
  );
  const fixes: Finding[] = [];
  for (const item of result.findings) {
    const lines = wrapCutting(sanitize(item.detail), detailWidth);
    out.push(
      `${pad(sanitize(item.fileSystemId), FS_COLUMN)}${pad(item.check, CHECK_COLUMN)}` +
        `${pad(item.severity, STATUS_COLUMN)}${lines[0] ?? ''}`,
    );
    for (const more of lines.slice(1)) out.push(`${indent}${more}`);
    if (item.fix !== undefined) fixes.push(item);
  }
  if (fixes.length > 0) {
    out.push('', 'How to fix:');
    fixGroups(fixes).forEach(({ item, fileSystemIds }, index) => {
      const head = `${index + 1}. ${fileSystemIds.map(sanitize).join(', ')} ${item.check} (${item.severity}): `;
      const lines = wrapCutting(`${head}${sanitize(item.fix ?? '')}`, WIDTH - 3);
      out.push(lines[0] ?? '', ...lines.slice(1).map((more) => `   ${more}`));
      for (const command of item.commands) out.push(`     ${sanitize(command)}`);
    });
  }
  return `${out.join('\n')}\n`;
}

/** One change, in a line of the alert's WHAT CHANGED list. */
function changeLine(change: FindingChange): string {
  const what = `${sanitize(change.fileSystemId)} ${change.check}`;
  if (change.after === undefined) {
    // A check that could not be made and now has its own findings again, or a deleted resource.
    const now = change.before === 'UNKNOWN' ? 'checked again' : 'gone (deleted?)';
    return `${what}: ${change.before ?? ''} -> ${now}`;
  }
  const from = change.before === undefined ? 'new' : change.before;
  return `${what}: ${from} -> ${change.after}: ${sanitize(change.detail ?? '')}`;
}

/**
 * The email of a scheduled doctor run that found changes: the subject says whether things got
 * worse or are fixed, the body lists the changes, then the whole doctor report with its fixes,
 * then the footer every email ends with (`generatedAt`: when the run checked, ISO 8601).
 */
function renderDoctorAlert(
  result: DoctorResult,
  changes: readonly FindingChange[],
  generatedAt: string,
): Publication {
  const worse = changes.filter(
    (change) => change.after !== undefined && ACTIONABLE.has(change.after),
  );
  const where = result.region === undefined ? '' : ` in ${result.region}`;
  const left = result.counts.PROBLEM + result.counts.UNKNOWN;
  // "Fixed" only when nothing is left: one file system fixed while another still is not
  // watched must not read as all clear.
  // A backlog that drained is not a watch restored: say what cleared.
  const backlogOnly = changes.every((change) => change.check === 'backlog');
  const better =
    left === 0 && backlogOnly
      ? {
          subject: 'export backlog cleared, automatic export keeps up',
          text: 'The automatic-export backlog is back under its threshold.',
        }
      : left === 0
        ? { subject: 'fixed, export failures are watched again', text: 'Every problem is gone.' }
        : {
            subject: `${changes.length} fixed, ${left} still to fix`,
            text: 'Some problems are gone; others remain (see THE WHOLE CHECK).',
          };
  const subject =
    worse.length === 0
      ? `FSx doctor${where}: ${better.subject}`
      : `FSx doctor${where}: ${plural(worse.length, 'new problem')}: ${worse
          .map((change) => `${change.fileSystemId} ${change.check}`)
          .join(', ')}`;
  const changed = changes.flatMap((change) =>
    wrapCutting(`* ${changeLine(change)}`, EMAIL_WIDTH).map((text, index) =>
      index === 0 ? text : `  ${text}`,
    ),
  );
  const lines = [
    worse.length === 0
      ? better.text
      : 'Something changed that can stop export failures from reaching you, or automatic export itself.',
    '',
    ...section('WHAT CHANGED', changed),
    '',
    ...section('THE WHOLE CHECK', [renderDoctorText(result).trimEnd()]),
  ];
  // Like the follow-up emails' attributes, so one subscription filter policy handles them all;
  // the topic's change concerns every file system, not one a policy could match.
  const ids = asciiIds(
    changes
      .map((change) => change.fileSystemId)
      .filter((fileSystemId) => fileSystemId !== ALL_FILE_SYSTEMS),
  );
  return {
    subject: subjectWith(subject),
    body: fitBody(lines, footer(generatedAt, 'doctor'), DOCTOR_CUT),
    attributes: summaryAttributes('doctor', ids, worse.length > 0),
  };
}

/** The JSON document for scripts: stable field names, one entry per finding. */
function renderDoctorJson(result: DoctorResult): string {
  const document = {
    region: result.region ?? null,
    fileSystems: result.fileSystems,
    names: result.names,
    healthy: result.healthy,
    counts: result.counts,
    findings: result.findings.map((item) => ({
      key: item.key,
      fileSystemId: item.fileSystemId,
      check: item.check,
      subject: item.subject,
      severity: item.severity,
      detail: item.detail,
      fix: item.fix ?? null,
      commands: item.commands,
    })),
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

export { fixGroups, pad, renderDoctorAlert, renderDoctorJson, renderDoctorText };

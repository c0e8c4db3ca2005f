import { ACCOUNT_ID } from '../common/organization.ts';
import { display, sanitize } from '../common/text.ts';
import { type Check, SEVERITIES, type Severity } from '../common/types.ts';
import { plural, wrap } from '../render/layout.ts';
import type { DoctorResult, Finding } from './diagnose.ts';
import { fixGroups, pad } from './render.ts';

/*
 * `doctor --org`: the single-account doctor run in each member account of organization mode
 * (docs/organization.md), summed up as one table: one row per member (role assumable, its log
 * groups subscribed to the central Logs destination, logging, associations, verdict) and the
 * fixes below it. Pure: lib/aws/member-doctor.ts reads each member through its role.
 */

/** A member account to check, and the name shown beside it. */
interface MemberAccount {
  readonly account: string;
  readonly name: string | undefined;
}

/** What was read of one member account. */
type MemberReading = MemberAccount & {
  /** The member role doctor assumed (or tried to). */
  readonly roleArn: string;
} & (
    | {
        readonly kind: 'unassumable';
        readonly reason: string;
        /** STS refused (a PROBLEM of the member); else STS could not be asked (UNKNOWN). */
        readonly refused: boolean;
      }
    | { readonly kind: 'unlisted'; readonly reason: string }
    | { readonly kind: 'checked'; readonly result: DoctorResult }
  );

/** A table cell: the worst status of a check's findings, or `-` when it was not checked. */
type Cell = Severity | '-';

interface MemberRow {
  readonly account: string;
  readonly name: string;
  /** File systems checked, or `-` when they could not be listed. */
  readonly fileSystems: string;
  readonly role: Cell;
  readonly subscription: Cell;
  readonly logging: Cell;
  readonly associations: Cell;
  readonly verdict: Severity;
}

/** One thing to look at in a member account: what is wrong, and the fix when there is one. */
interface MemberIssue {
  readonly account: string;
  /** The file systems it concerns (none for the role and the listing). */
  readonly fileSystemIds: readonly string[];
  readonly check: Check | 'role';
  readonly severity: Severity;
  readonly detail: string;
  readonly fix: string | undefined;
  readonly commands: readonly string[];
}

interface OrganizationResult {
  readonly region: string | undefined;
  readonly rows: readonly MemberRow[];
  readonly issues: readonly MemberIssue[];
  /** Every member's role assumable, no PROBLEM or UNKNOWN, and at least one file system. */
  readonly healthy: boolean;
}

/** Worst first for a cell and a verdict: a PROBLEM outranks a check that could not be made. */
const RANK: Readonly<Record<Severity, number>> = {
  OK: 0,
  NOTE: 1,
  WARN: 2,
  UNKNOWN: 3,
  PROBLEM: 4,
};

function worst(severities: readonly Severity[]): Severity | undefined {
  let found: Severity | undefined;
  for (const severity of severities) {
    if (found === undefined || RANK[severity] > RANK[found]) found = severity;
  }
  return found;
}

/**
 * `--accounts 111111111111,222222222222=prod-hpc`: the members, each once, in the order given.
 * Returns the error as one line (what and where) when an entry is not `<12 digits>[=name]`.
 */
function parseMemberAccounts(text: string): { accounts: MemberAccount[] } | { error: string } {
  const accounts = new Map<string, MemberAccount>();
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const [id = '', ...rest] = trimmed.split('=');
    const name = rest.join('=').trim();
    if (!ACCOUNT_ID.test(id.trim()) || (rest.length > 0 && name === '')) {
      return {
        error: `--accounts has "${display(trimmed, 60)}": expected <12-digit account id>[=<name>]`,
      };
    }
    const account = id.trim();
    if (!accounts.has(account)) {
      accounts.set(account, { account, name: name === '' ? undefined : display(name, 64) });
    }
  }
  if (accounts.size === 0) return { error: '--accounts names no account' };
  return { accounts: [...accounts.values()] };
}

function cellOf(findings: readonly Finding[], checks: readonly Check[]): Cell {
  return (
    worst(findings.filter((item) => checks.includes(item.check)).map((item) => item.severity)) ??
    '-'
  );
}

/** `222233334444 (prod-hpc)`, or the id. */
function labelOf(member: MemberAccount): string {
  return member.name === undefined ? member.account : `${member.account} (${member.name})`;
}

const STS_FIX =
  'STS could not be asked (the reason says why: the credentials doctor runs with, ' +
  'AWS_ENDPOINT_URL_STS, an outage); fix that, then run doctor again.';

const ROLE_FIX =
  'Deploy infra/member-account.yml to the account (the StackSet, docs/organization.md), or fix ' +
  "the role's trust policy: it admits only the roles in its CentralRoleArns parameter, so run " +
  'doctor --org as one of them (or add the role you run it as).';

function memberRow(reading: MemberReading): {
  row: MemberRow;
  issues: MemberIssue[];
  fileSystems: number;
} {
  const base = { account: reading.account, name: reading.name ?? '' };
  const issue = (severity: Severity, check: MemberIssue['check'], detail: string, fix: string) => ({
    account: reading.account,
    fileSystemIds: [],
    check,
    severity,
    detail: display(detail, 400),
    fix,
    commands: [],
  });
  if (reading.kind === 'unassumable') {
    const severity: Severity = reading.refused ? 'PROBLEM' : 'UNKNOWN';
    const detail = reading.refused
      ? `cannot assume ${reading.roleArn} (${reading.reason}): nothing in the account can be checked; if the central functions cannot assume it either, its re-exports wait in the deferral queue`
      : `could not assume ${reading.roleArn} (${reading.reason}): nothing in the account was checked`;
    return {
      row: {
        ...base,
        fileSystems: '-',
        role: severity,
        subscription: '-',
        logging: '-',
        associations: '-',
        verdict: severity,
      },
      issues: [issue(severity, 'role', detail, reading.refused ? ROLE_FIX : STS_FIX)],
      fileSystems: 0,
    };
  }
  if (reading.kind === 'unlisted') {
    return {
      row: {
        ...base,
        fileSystems: '-',
        role: 'OK',
        subscription: '-',
        logging: '-',
        associations: '-',
        verdict: 'UNKNOWN',
      },
      issues: [
        issue(
          'UNKNOWN',
          'file-system',
          `could not list the file systems through ${reading.roleArn}: ${reading.reason}`,
          'The member role needs fsx:DescribeFileSystems (infra/member-account.yml grants it): deploy the current member template to the account, then run doctor again.',
        ),
      ],
      fileSystems: 0,
    };
  }
  const { result } = reading;
  const findings = result.findings;
  const verdict =
    result.fileSystems === 0 ? 'NOTE' : (worst(findings.map((item) => item.severity)) ?? 'OK');
  const issues: MemberIssue[] = fixGroups(findings.filter((item) => item.severity !== 'OK')).map(
    ({ item, fileSystemIds }) => ({
      account: reading.account,
      fileSystemIds,
      check: item.check,
      severity: item.severity,
      detail: item.detail,
      fix: item.fix,
      commands: item.commands,
    }),
  );
  return {
    row: {
      ...base,
      fileSystems: String(result.fileSystems),
      role: 'OK',
      subscription: cellOf(findings, ['subscription']),
      logging: cellOf(findings, ['logging']),
      associations: cellOf(findings, ['associations', 'association']),
      verdict,
    },
    issues,
    fileSystems: result.fileSystems,
  };
}

/**
 * The organization's table: one row per member in the order read, and what to look at in each.
 * A member without FSx for Lustre file systems in the Region is a NOTE (nothing to watch there),
 * but a run that finds none in any member is not healthy (the wrong Region?), as for `doctor`.
 */
function diagnoseOrganization(
  readings: readonly MemberReading[],
  region: string | undefined,
): OrganizationResult {
  const rows: MemberRow[] = [];
  const issues: MemberIssue[] = [];
  let fileSystems = 0;
  for (const reading of readings) {
    const member = memberRow(reading);
    rows.push(member.row);
    issues.push(...member.issues);
    fileSystems += member.fileSystems;
  }
  const bad = rows.some((row) => row.verdict === 'PROBLEM' || row.verdict === 'UNKNOWN');
  return { region, rows, issues, healthy: !bad && fileSystems > 0 };
}

const COLUMNS = [
  ['ACCOUNT', 14],
  ['NAME', 18],
  ['FS', 4],
  ['ROLE', 9],
  ['SUBSCRIPTION', 14],
  ['LOGGING', 9],
  ['ASSOCIATIONS', 14],
  ['VERDICT', 8],
] as const;

/** Fits a 100-column terminal, like the single-account doctor's table. */
const WIDTH = 100;

function tableLine(cells: readonly string[]): string {
  return COLUMNS.map(([, width], index) => pad(cells[index] ?? '', width))
    .join('')
    .trimEnd();
}

/**
 * The terminal rendering: a summary line, one table row per member account, then "How to fix"
 * with each member's issues (detail, fix, commands to run in that account, unwrapped).
 */
function renderOrganizationText(result: OrganizationResult): string {
  const where = result.region === undefined ? '' : ` in ${sanitize(result.region)}`;
  const counts = SEVERITIES.map(
    (severity) => [severity, result.rows.filter((row) => row.verdict === severity).length] as const,
  )
    .filter(([, count]) => count > 0)
    .map(([severity, count]) => `${count} ${severity}`)
    .join(', ');
  const verdict = result.healthy ? 'watching: nothing to fix' : 'NOT fully watched: see below';
  const out = [
    `doctor --org: ${plural(result.rows.length, 'member account')}${where}; ${counts}; ${verdict}`,
    '',
    tableLine(COLUMNS.map(([title]) => title)),
  ];
  for (const row of result.rows) {
    out.push(
      tableLine([
        row.account,
        sanitize(row.name) || '-',
        row.fileSystems,
        row.role,
        row.subscription,
        row.logging,
        row.associations,
        row.verdict,
      ]),
    );
  }
  if (result.rows.every((row) => row.fileSystems === '0')) {
    out.push(
      '',
      `No FSx for Lustre file system in any member account${where}: is this the right Region (--region)?`,
    );
  }
  if (result.issues.length > 0) {
    out.push('', 'How to fix (run the commands in the account named):');
    const names = new Map(result.rows.map((row) => [row.account, row.name]));
    result.issues.forEach((issue, index) => {
      const label = labelOf({
        account: issue.account,
        name: names.get(issue.account) || undefined,
      });
      const systems = issue.fileSystemIds.length === 0 ? '' : ` ${issue.fileSystemIds.join(', ')}`;
      const head = `${index + 1}. ${sanitize(label)}${sanitize(systems)} ${issue.check} (${issue.severity}): `;
      // Word wrap, not cutting: an ARN stays whole, so it can be copied.
      out.push(...wrap(`${head}${sanitize(issue.detail)}`, '', WIDTH, '   '));
      if (issue.fix !== undefined) out.push(...wrap(`Fix: ${sanitize(issue.fix)}`, '   ', WIDTH));
      for (const command of issue.commands) out.push(`     ${sanitize(command)}`);
    });
  }
  return `${out.join('\n')}\n`;
}

export type { MemberAccount, MemberIssue, MemberReading, MemberRow, OrganizationResult };
export { diagnoseOrganization, parseMemberAccounts, renderOrganizationText };

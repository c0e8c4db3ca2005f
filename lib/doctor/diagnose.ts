import { asciiIds, plural, section, summaryAttributes } from '../analyze/email.ts';
import { shellArg } from '../render/shell.ts';
import { DEFAULT_LOG_GROUP, EVENT_LOGGING_SINCE, FILTERS_PER_LOG_GROUP } from '../shared/fsx.ts';
import { display, sanitize, toAsciiLine } from '../shared/text.ts';
import type { Publication } from '../shared/types.ts';

/*
 * `doctor`: "am I even watching?". Pure: from an inventory of FSx for Lustre file systems, their
 * data repository associations and the subscription filters of their event log groups (read by
 * lib/aws/inventory.ts) to findings, each with a severity and the fix, and their renderings (a
 * terminal table that also reads well in an email, and a JSON document for scripts).
 *
 * Every string from AWS is untrusted: findings carry it sanitised and shortened (display), and
 * values that go into a suggested shell command are quoted for the shell.
 */

/** The analyzer function as osls names it: <service>-<stage>-analyzer (serverless.yml). */
const SERVICE = 'fsx-export-analyzer';
const DEPLOYED_ANALYZER = /^fsx-export-analyzer-[A-Za-z0-9_-]+-analyzer$/;
const AUTO_EXPORT_EVENTS = ['NEW', 'CHANGED', 'DELETED'] as const;
/** Table layout: fits a 100-column terminal and a plain-text email. */
const WIDTH = 100;
const FS_COLUMN = 21;
const CHECK_COLUMN = 13;
const STATUS_COLUMN = 8;
const MAX_VALUE = 120;

/** How bad a finding is. PROBLEM and UNKNOWN make `doctor` exit 1. */
type Severity = 'OK' | 'NOTE' | 'WARN' | 'PROBLEM' | 'UNKNOWN';
type Check = 'file-system' | 'logging' | 'subscription' | 'associations' | 'association';

/** One check's outcome. `key` is stable across runs, so two runs can be compared (doctorChanges). */
interface Finding {
  readonly key: string;
  readonly fileSystemId: string;
  readonly check: Check;
  /** What was checked: the file system, a log group name, an association id. Sanitised. */
  readonly subject: string;
  readonly severity: Severity;
  /** One sentence, sanitised. */
  readonly detail: string;
  /** What to do, in words; undefined when nothing is to be done. */
  readonly fix: string | undefined;
  /** Ready-to-paste commands for the fix. */
  readonly commands: readonly string[];
}

/** What a lookup found, or why it could not look. */
type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly permission: string;
      readonly denied?: boolean;
    };

interface LoggingFacts {
  /** DISABLED | WARN_ONLY | ERROR_ONLY | WARN_ERROR (anything else is shown as is). */
  readonly level: string;
  /** A log group ARN; undefined means the default group. */
  readonly destination: string | undefined;
}

/** A file system as DescribeFileSystems describes it, reduced to what doctor checks. */
interface FileSystemFacts {
  readonly fileSystemId: string;
  readonly lifecycle: string;
  /** The Name tag, if any. */
  readonly name: string | undefined;
  /** arn:<partition>:fsx:<region>:<account>:file-system/<id>: gives the fix commands' ARNs. */
  readonly arn: string | undefined;
  readonly ownerId: string | undefined;
  readonly creationTime: Date | undefined;
  /** undefined: the file system has no LogConfiguration (logging off). */
  readonly logging: LoggingFacts | undefined;
}

interface AssociationFacts {
  readonly associationId: string;
  readonly lifecycle: string;
  readonly fileSystemPath: string | undefined;
  readonly dataRepositoryPath: string | undefined;
  readonly failureMessage: string | undefined;
  /** S3.AutoExportPolicy.Events; empty when the association has no automatic export. */
  readonly exportEvents: readonly string[];
  /** S3.AutoImportPolicy.Events: kept in the fix command, which sets the whole S3 block. */
  readonly importEvents: readonly string[];
  readonly importedFileChunkSize: number | undefined;
}

interface SubscriptionFilterFacts {
  readonly filterName: string;
  readonly destinationArn: string;
  readonly filterPattern: string;
}

type LogGroupFacts =
  | { readonly exists: true; readonly filters: readonly SubscriptionFilterFacts[] }
  | { readonly exists: false };

interface FileSystemInventory {
  readonly fileSystem: FileSystemFacts;
  readonly associations: Checked<readonly AssociationFacts[]>;
}

/** Everything doctor looked at, as read by lib/aws/inventory.ts. */
interface Inventory {
  readonly region: string | undefined;
  /** FSx for Lustre file systems only, in DescribeFileSystems order. */
  readonly fileSystems: readonly FileSystemInventory[];
  /** Keyed by log group name. */
  readonly logGroups: ReadonlyMap<string, Checked<LogGroupFacts>>;
}

interface DoctorOptions {
  /** --function: the analyzer's function name or ARN; default: the deployed stack's naming. */
  readonly functionRef?: string | undefined;
}

interface DoctorResult {
  readonly region: string | undefined;
  readonly fileSystems: number;
  /** The Name tags of the file systems that have one (sanitised), by file system id. */
  readonly names: Readonly<Record<string, string>>;
  readonly findings: readonly Finding[];
  readonly counts: Readonly<Record<Severity, number>>;
  /** Nothing is wrong: no PROBLEM, no UNKNOWN, and at least one file system. */
  readonly healthy: boolean;
}

const SEVERITIES: readonly Severity[] = ['OK', 'NOTE', 'WARN', 'PROBLEM', 'UNKNOWN'];
const ARN = /^arn:([^:]+):([^:]*):([^:]*):(\d{12})?:(.*)$/;

/**
 * The log group name in a log group ARN (`arn:aws:logs:r:a:log-group:NAME` or `...:NAME:*`);
 * undefined for anything else.
 */
function logGroupName(destination: string): string | undefined {
  const match = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(.+?)(?::\*)?$/.exec(destination);
  return match?.[1];
}

interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

function parseArn(arn: string | undefined): ArnParts | undefined {
  const match = arn === undefined ? null : ARN.exec(arn);
  if (match === null) return undefined;
  return {
    partition: match[1] ?? 'aws',
    service: match[2] ?? '',
    region: match[3] ?? '',
    account: match[4] ?? '',
    resource: match[5] ?? '',
  };
}

/** The function name of a Lambda ARN (without version or alias), else undefined. */
function lambdaFunctionName(arn: string): string | undefined {
  const parts = parseArn(arn);
  if (parts === undefined || parts.service !== 'lambda') return undefined;
  const match = /^function:([^:]+)(?::[^:]+)?$/.exec(parts.resource);
  return match?.[1];
}

/**
 * Whether a subscription filter's destination is the analyzer: the function named by --function
 * (a name, or an ARN compared without qualifier), else any function named as the stack names it
 * (fsx-export-analyzer-<stage>-analyzer).
 */
function isAnalyzer(destinationArn: string, functionRef: string | undefined): boolean {
  const name = lambdaFunctionName(destinationArn);
  if (name === undefined) return false;
  if (functionRef === undefined) return DEPLOYED_ANALYZER.test(name);
  if (functionRef.startsWith('arn:')) {
    const wanted = parseArn(functionRef);
    const actual = parseArn(destinationArn);
    return (
      wanted !== undefined &&
      actual !== undefined &&
      lambdaFunctionName(functionRef) === name &&
      wanted.partition === actual.partition &&
      wanted.region === actual.region &&
      wanted.account === actual.account
    );
  }
  return functionRef === name;
}

interface Context {
  readonly fileSystemId: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

function contextOf(fileSystem: FileSystemFacts, region: string | undefined): Context {
  const arn = parseArn(fileSystem.arn);
  return {
    fileSystemId: display(fileSystem.fileSystemId, 40),
    partition: arn?.partition ?? 'aws',
    region: arn?.region || region || '<region>',
    account: arn?.account || fileSystem.ownerId || '<account-id>',
  };
}

function finding(
  context: Context,
  check: Check,
  subject: string,
  severity: Severity,
  detail: string,
  fix?: string,
  commands: readonly string[] = [],
): Finding {
  return {
    key: `${context.fileSystemId}|${check}|${subject}`,
    fileSystemId: context.fileSystemId,
    check,
    subject,
    severity,
    detail,
    fix,
    commands,
  };
}

function couldNotCheck(
  context: Context,
  check: Check,
  subject: string,
  what: string,
  failure: { readonly reason: string; readonly permission: string; readonly denied?: boolean },
): Finding {
  // Only a refusal calls for a grant; a throttled or timed-out call just needs another try.
  const fix =
    failure.denied === true
      ? `Grant ${failure.permission} to the identity running doctor, then run it again.`
      : 'Run doctor again; if this persists, the reason says why (a wrong endpoint, an outage).';
  return finding(
    context,
    check,
    subject,
    'UNKNOWN',
    `could not check ${what}: ${display(failure.reason, MAX_VALUE)} (needs ${failure.permission})`,
    fix,
  );
}

function fileSystemFindings(fileSystem: FileSystemFacts, context: Context): Finding[] {
  if (fileSystem.lifecycle === 'AVAILABLE') return [];
  const lifecycle = display(fileSystem.lifecycle, 40);
  const detail =
    fileSystem.lifecycle === 'MISCONFIGURED'
      ? 'file system is MISCONFIGURED: FSx cannot reach a resource it needs'
      : `file system is ${lifecycle}, not AVAILABLE`;
  return [finding(context, 'file-system', context.fileSystemId, 'NOTE', detail)];
}

/**
 * The command that sets WARN_ERROR logging. `logGroup` undefined: no Destination, so FSx uses
 * (and creates) /aws/fsx/lustre; an update naming a log group that does not exist fails with
 * BadRequest (docs/fsx-facts.md#event-logs), so the default group is never named.
 */
function loggingFix(context: Context, logGroup: string | undefined): string {
  const destination =
    logGroup === undefined
      ? ''
      : `,Destination=arn:${context.partition}:logs:${context.region}:${context.account}:log-group:${logGroup}`;
  return (
    `aws fsx update-file-system --file-system-id ${shellArg(context.fileSystemId)} ` +
    `--lustre-configuration ${shellArg(`LogConfiguration={Level=WARN_ERROR${destination}}`)}`
  );
}

/** What a logging level means for export failures (ERROR events), and what to do about it. */
const LOGGING_LEVELS: ReadonlyMap<
  string,
  { readonly severity: Severity; readonly consequence: string; readonly fix?: string }
> = new Map([
  [
    'WARN_ONLY',
    {
      severity: 'PROBLEM',
      consequence: ': export failures are ERROR events and are not logged',
      fix: 'Log errors too (WARN_ERROR), to the same log group:',
    },
  ],
  [
    'ERROR_ONLY',
    {
      severity: 'NOTE',
      consequence:
        ': export failures are logged; warnings (skipped exports of released files or of paths ' +
        'outside any association) are not',
      fix: 'Optional: log warnings too (WARN_ERROR):',
    },
  ],
  ['WARN_ERROR', { severity: 'OK', consequence: '' }],
]);

/** The log group a file system logs to, or undefined when logging is off. */
function loggedTo(logging: LoggingFacts | undefined): string | undefined {
  if (logging === undefined || logging.level === 'DISABLED') return undefined;
  const destination = logging.destination;
  return (destination === undefined ? undefined : logGroupName(destination)) ?? DEFAULT_LOG_GROUP;
}

function loggingOff(fileSystem: FileSystemFacts, context: Context): Finding {
  const created = fileSystem.creationTime?.getTime();
  if (created !== undefined && created < EVENT_LOGGING_SINCE) {
    return finding(
      context,
      'logging',
      context.fileSystemId,
      'PROBLEM',
      'event logging is off, and this file system predates CloudWatch logging (created ' +
        'before 30 Nov 2021): export failures are not logged anywhere',
      'Event logging cannot be turned on for file systems created before 30 Nov 2021. ' +
        'Check export task completion reports instead, or move to a newer file system.',
    );
  }
  return finding(
    context,
    'logging',
    context.fileSystemId,
    'PROBLEM',
    'data repository event logging is off (the default for file systems created with ' +
      'the CLI or API): export failures are not logged, so nothing can alert on them',
    `Turn on logging at WARN_ERROR (FSx logs to ${DEFAULT_LOG_GROUP}):`,
    [loggingFix(context, undefined)],
  );
}

/** The logging finding, and the log group to check for the subscription (if logging is on). */
function loggingFindings(
  fileSystem: FileSystemFacts,
  context: Context,
): { findings: Finding[]; logGroup: string | undefined } {
  const logging = fileSystem.logging;
  const logGroup = loggedTo(logging);
  if (logging === undefined || logGroup === undefined) {
    return { findings: [loggingOff(fileSystem, context)], logGroup: undefined };
  }
  const destination = logging.destination;
  // The log group named in the fix: the one it logs to now, or none for the default group.
  const named =
    destination === undefined || logGroupName(destination) === undefined ? undefined : logGroup;
  const shown = display(logGroup, MAX_VALUE);
  const unparsed =
    destination !== undefined && named === undefined
      ? ` (destination ${display(destination, MAX_VALUE)} is not a log group ARN; assuming ${DEFAULT_LOG_GROUP})`
      : '';
  const known = LOGGING_LEVELS.get(logging.level);
  const result =
    known === undefined
      ? finding(
          context,
          'logging',
          context.fileSystemId,
          'WARN',
          `logging level ${display(logging.level, 40)} is not one doctor knows; log group ${shown}`,
          'Check the level in the FSx console; WARN_ERROR logs every export failure.',
        )
      : finding(
          context,
          'logging',
          context.fileSystemId,
          known.severity,
          `logging ${logging.level} to ${shown}${unparsed}${known.consequence}`,
          known.fix,
          known.fix === undefined ? [] : [loggingFix(context, named)],
        );
  return { findings: [result], logGroup };
}

/**
 * One statement id per log group: add-permission refuses an id the function's policy already
 * has, so two log groups subscribed by hand need two ([A-Za-z0-9_-], at most 100 characters).
 */
function statementId(logGroup: string): string {
  const id = `fsx-export-analyzer-logs${logGroup.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
  return id.slice(0, 100).replace(/-+$/, '');
}

function subscriptionFix(
  context: Context,
  logGroup: string,
  functionRef: string | undefined,
): { fix: string; commands: string[] } {
  const functionName =
    functionRef === undefined
      ? `${SERVICE}-<stage>-analyzer`
      : (lambdaFunctionName(functionRef) ?? functionRef);
  const functionArn =
    functionRef?.startsWith('arn:') === true
      ? functionRef
      : `arn:${context.partition}:lambda:${context.region}:${context.account}:function:${functionName}`;
  const sourceArn = `arn:${context.partition}:logs:${context.region}:${context.account}:log-group:${logGroup}:*`;
  return {
    fix:
      `Deploy the stack with this log group in its logGroups parameter (npx osls deploy ` +
      `--stage <stage> --param="logGroups=${sanitize(logGroup)}"), or subscribe the ` +
      'analyzer by hand:',
    commands: [
      `aws lambda add-permission --function-name ${shellArg(functionArn)} ` +
        `--statement-id ${statementId(logGroup)} --principal logs.amazonaws.com ` +
        `--action lambda:InvokeFunction --source-arn ${shellArg(sourceArn)} ` +
        `--source-account ${shellArg(context.account)}`,
      `aws logs put-subscription-filter --log-group-name ${shellArg(logGroup)} ` +
        `--filter-name ${SERVICE} --filter-pattern '' --destination-arn ${shellArg(functionArn)}`,
    ],
  };
}

function subscriptionFindings(
  context: Context,
  logGroup: string,
  lookup: Checked<LogGroupFacts> | undefined,
  options: DoctorOptions,
): Finding[] {
  const shown = display(logGroup, MAX_VALUE);
  const whose =
    options.functionRef === undefined
      ? `the analyzer (a function named ${SERVICE}-<stage>-analyzer)`
      : `the analyzer (${display(options.functionRef, MAX_VALUE)})`;
  if (lookup === undefined) {
    return [
      couldNotCheck(context, 'subscription', shown, `the subscription of ${shown}`, {
        reason: 'not looked up',
        permission: 'logs:DescribeSubscriptionFilters',
      }),
    ];
  }
  if (!lookup.ok) {
    return [couldNotCheck(context, 'subscription', shown, `the subscription of ${shown}`, lookup)];
  }
  if (!lookup.value.exists) {
    const { commands } = subscriptionFix(context, logGroup, options.functionRef);
    return [
      finding(
        context,
        'subscription',
        shown,
        'PROBLEM',
        `log group ${shown} does not exist (yet): no subscription filter can be added until ` +
          'it does, so the first export failures would reach nobody',
        'Create the log group now (FSx writes into an existing group; a custom destination that ' +
          'was deleted must be created again anyway), then deploy the stack with it, or ' +
          'subscribe the analyzer by hand:',
        [`aws logs create-log-group --log-group-name ${shellArg(logGroup)}`, ...commands],
      ),
    ];
  }
  const filters = lookup.value.filters;
  const ours = filters.filter((filter) => isAnalyzer(filter.destinationArn, options.functionRef));
  const first = ours[0];
  if (first !== undefined) {
    const target = display(
      lambdaFunctionName(first.destinationArn) ?? first.destinationArn,
      MAX_VALUE,
    );
    if (first.filterPattern.trim() !== '') {
      return [
        finding(
          context,
          'subscription',
          shown,
          'WARN',
          `${shown} is subscribed to ${target} with filter pattern ` +
            `"${display(first.filterPattern, 60)}": only matching events reach the analyzer`,
          'The stack subscribes with an empty pattern (every event); redeploy it to restore that.',
        ),
      ];
    }
    return [
      finding(
        context,
        'subscription',
        shown,
        'OK',
        `${shown} is subscribed to ${target} (filter ${display(first.filterName, 60)})`,
      ),
    ];
  }
  const others = filters
    .map((filter) =>
      display(lambdaFunctionName(filter.destinationArn) ?? filter.destinationArn, 80),
    )
    .join(', ');
  if (filters.length >= FILTERS_PER_LOG_GROUP) {
    return [
      finding(
        context,
        'subscription',
        shown,
        'PROBLEM',
        `${shown} has no subscription to ${whose}, and already has ${filters.length} filters ` +
          `(${others}): a log group allows only ${FILTERS_PER_LOG_GROUP}`,
        `Remove one of the filters (aws logs delete-subscription-filter --log-group-name ` +
          `${shellArg(logGroup)} --filter-name NAME), then deploy the stack with this log group.`,
      ),
    ];
  }
  const { fix, commands } = subscriptionFix(context, logGroup, options.functionRef);
  return [
    finding(
      context,
      'subscription',
      shown,
      'PROBLEM',
      `${shown} has no subscription to ${whose}` +
        (others === '' ? '' : ` (it has: ${others})`) +
        ': export failures are logged but nobody is told',
      fix,
      commands,
    ),
  ];
}

const MISCONFIGURED_FIX =
  'Automatic export has stopped. Usual causes: FSx lacks IAM permissions to the bucket; the ' +
  "bucket's FSx event notification was deleted or changed; other event notifications on the " +
  'bucket overlap the FSx event types. After fixing, the association returns to AVAILABLE ' +
  'within 15 minutes; to re-check at once, update it with one of its current settings:';

/** The --s3 value that turns automatic export on and keeps the automatic-import events. */
function s3Policies(importEvents: readonly string[]): string {
  const exported = 'AutoExportPolicy={Events=[NEW,CHANGED,DELETED]}';
  const kept = importEvents.filter((event) => /^[A-Z_]+$/.test(event));
  return kept.length === 0 ? exported : `AutoImportPolicy={Events=[${kept.join(',')}]},${exported}`;
}

function associationFindings(association: AssociationFacts, context: Context): Finding[] {
  const id = display(association.associationId, 40);
  const link =
    `${display(association.fileSystemPath ?? '?', 60)} -> ` +
    `${display(association.dataRepositoryPath ?? '?', 80)}`;
  const results: Finding[] = [];
  const lifecycle = association.lifecycle;
  if (lifecycle === 'MISCONFIGURED') {
    const reason =
      association.failureMessage === undefined
        ? ''
        : `: ${display(association.failureMessage, MAX_VALUE)}`;
    const chunk = association.importedFileChunkSize;
    results.push(
      finding(
        context,
        'association',
        id,
        'PROBLEM',
        `${id} ${link} is MISCONFIGURED${reason}; automatic export silently stops`,
        MISCONFIGURED_FIX,
        [
          `aws fsx update-data-repository-association --association-id ${shellArg(association.associationId)}` +
            (chunk === undefined ? '' : ` --imported-file-chunk-size ${chunk}`),
        ],
      ),
    );
    return results;
  }
  if (lifecycle === 'FAILED') {
    results.push(
      finding(
        context,
        'association',
        id,
        'PROBLEM',
        `${id} ${link} is FAILED (terminal: e.g. its path or bucket was deleted)` +
          (association.failureMessage === undefined
            ? ''
            : `: ${display(association.failureMessage, MAX_VALUE)}`),
        'A FAILED association cannot recover: delete it and create it again.',
      ),
    );
    return results;
  }
  if (lifecycle === 'DELETING') {
    results.push(
      finding(
        context,
        'association',
        id,
        'PROBLEM',
        `${id} ${link} is being deleted: nothing under it will be exported`,
        'If that is not intended, create the association again once the deletion ends.',
      ),
    );
    return results;
  }
  if (lifecycle === 'CREATING' || lifecycle === 'UPDATING') {
    results.push(
      finding(
        context,
        'association',
        id,
        'NOTE',
        `${id} ${link} is ${lifecycle}: run doctor again once it is AVAILABLE`,
      ),
    );
    return results;
  }
  if (lifecycle !== 'AVAILABLE') {
    results.push(
      finding(
        context,
        'association',
        id,
        'WARN',
        `${id} ${link} is in lifecycle ${display(lifecycle, 40)}, which doctor does not know`,
      ),
    );
    return results;
  }
  const events = AUTO_EXPORT_EVENTS.filter((event) => association.exportEvents.includes(event));
  if (events.length === 0) {
    results.push(
      finding(
        context,
        'association',
        id,
        'WARN',
        `${id} ${link} is AVAILABLE, but automatic export is off for this association ` +
          '(nothing to watch)',
        'If files written under it should reach S3 on their own, turn automatic export on:',
        [
          `aws fsx update-data-repository-association --association-id ${shellArg(association.associationId)} ` +
            `--s3 ${shellArg(s3Policies(association.importEvents))}`,
        ],
      ),
    );
    return results;
  }
  const missing = AUTO_EXPORT_EVENTS.filter((event) => !events.includes(event));
  if (missing.length > 0) {
    results.push(
      finding(
        context,
        'association',
        id,
        'NOTE',
        `${id} ${link} is AVAILABLE; automatic export of ${events.join(', ')} only ` +
          `(${missing.join(', ')} not exported)`,
      ),
    );
    return results;
  }
  results.push(
    finding(
      context,
      'association',
      id,
      'OK',
      `${id} ${link} is AVAILABLE; automatic export of NEW, CHANGED, DELETED`,
    ),
  );
  return results;
}

function countBy(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { OK: 0, NOTE: 0, WARN: 0, PROBLEM: 0, UNKNOWN: 0 };
  for (const item of findings) counts[item.severity] += 1;
  return counts;
}

/**
 * Checks every file system of the inventory: its lifecycle, event logging, the subscription of
 * its log group to the analyzer, and each data repository association.
 */
function diagnose(inventory: Inventory, options: DoctorOptions = {}): DoctorResult {
  const findings: Finding[] = [];
  const names: Record<string, string> = {};
  for (const { fileSystem, associations } of inventory.fileSystems) {
    const context = contextOf(fileSystem, inventory.region);
    if (fileSystem.name !== undefined && fileSystem.name !== '') {
      names[context.fileSystemId] = display(fileSystem.name, 60);
    }
    findings.push(...fileSystemFindings(fileSystem, context));
    const logging = loggingFindings(fileSystem, context);
    findings.push(...logging.findings);
    if (logging.logGroup !== undefined) {
      findings.push(
        ...subscriptionFindings(
          context,
          logging.logGroup,
          inventory.logGroups.get(logging.logGroup),
          options,
        ),
      );
    }
    if (!associations.ok) {
      findings.push(
        couldNotCheck(
          context,
          'associations',
          context.fileSystemId,
          'the data repository associations',
          associations,
        ),
      );
    } else if (associations.value.length === 0) {
      findings.push(
        finding(
          context,
          'associations',
          context.fileSystemId,
          'NOTE',
          'no data repository association: no S3 link, so nothing is exported automatically',
        ),
      );
    } else {
      for (const association of associations.value) {
        findings.push(...associationFindings(association, context));
      }
    }
  }
  const counts = countBy(findings);
  return {
    region: inventory.region,
    fileSystems: inventory.fileSystems.length,
    names,
    findings,
    counts,
    healthy: inventory.fileSystems.length > 0 && counts.PROBLEM === 0 && counts.UNKNOWN === 0,
  };
}

/** Where to cut `text` at most at `at`: never between the halves of a surrogate pair. */
function cutAt(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return at > 1 && code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/**
 * Splits text into lines of at most `width` characters, at spaces where it can: unlike the emails'
 * word wrap, a long word (a path, an ARN) is cut, so the detail column keeps its width.
 */
function wrap(text: string, width: number): string[] {
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
    return `${out.join('\n')}\n`;
  }
  const named = Object.entries(result.names).map(
    ([id, name]) => `${sanitize(id)} ${sanitize(name)}`,
  );
  if (named.length > 0) out.push(...wrap(`Names: ${named.join('; ')}`, WIDTH), '');
  const detailWidth = WIDTH - FS_COLUMN - CHECK_COLUMN - STATUS_COLUMN;
  const indent = ' '.repeat(FS_COLUMN + CHECK_COLUMN + STATUS_COLUMN);
  out.push(
    `${pad('FILE SYSTEM', FS_COLUMN)}${pad('CHECK', CHECK_COLUMN)}${pad('STATUS', STATUS_COLUMN)}DETAIL`,
  );
  const fixes: Finding[] = [];
  for (const item of result.findings) {
    const lines = wrap(sanitize(item.detail), detailWidth);
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
      const lines = wrap(`${head}${sanitize(item.fix ?? '')}`, WIDTH - 3);
      out.push(lines[0] ?? '', ...lines.slice(1).map((more) => `   ${more}`));
      for (const command of item.commands) out.push(`     ${sanitize(command)}`);
    });
  }
  return `${out.join('\n')}\n`;
}

/** What a scheduled doctor keeps of a run: enough to tell the next run what changed. */
interface FindingState {
  readonly key: string;
  readonly fileSystemId: string;
  readonly check: Check;
  /** The severity a person last heard of (or would have: OK and NOTE are not emailed). */
  readonly severity: Severity;
  /**
   * The last run could not check this (UNKNOWN) for the first time and kept quiet: `severity`
   * is still the one before, or UNKNOWN when the finding was new then.
   */
  readonly unconfirmed?: boolean | undefined;
}

/** One change worth telling a person about: a finding that appeared, changed or went away. */
interface FindingChange {
  readonly key: string;
  readonly fileSystemId: string;
  readonly check: Check;
  /** undefined: the finding is new (first run: everything is new). */
  readonly before: Severity | undefined;
  /** undefined: the finding is gone (its file system or association was deleted). */
  readonly after: Severity | undefined;
  /** The current finding's detail; for a gone finding, undefined. */
  readonly detail: string | undefined;
}

/** What doctorChanges found: the changes to email, and the state to keep for the next run. */
interface DoctorStep {
  readonly changes: readonly FindingChange[];
  readonly state: readonly FindingState[];
}

/** Severities a person acts on: a change into or out of one of these is worth an email. */
const ACTIONABLE: ReadonlySet<Severity> = new Set(['WARN', 'PROBLEM', 'UNKNOWN']);
const SUBJECT_MAX = 99;

/** The part of each finding a scheduled doctor stores between runs. */
function toFindingState(findings: readonly Finding[]): FindingState[] {
  return findings.map((item) => ({
    key: item.key,
    fileSystemId: item.fileSystemId,
    check: item.check,
    severity: item.severity,
  }));
}

/** The severity a stored finding stands for; undefined when a person never heard of it. */
function reported(state: FindingState | undefined): Severity | undefined {
  if (state === undefined) return undefined;
  return state.unconfirmed === true && state.severity === 'UNKNOWN' ? undefined : state.severity;
}

/**
 * The changes between the stored state of the previous run (undefined: there was none) and this
 * run that a person should hear of, and the state to store for the next run. A change is a
 * finding that became, or stopped being, WARN, PROBLEM or UNKNOWN; a new healthy file system, or
 * OK turning into NOTE, is not worth an email. Two rules keep a passing failure to look (a
 * throttled or timed-out describe call) from sending two emails an hour apart:
 * - a finding that turns UNKNOWN is reported only when it is still UNKNOWN on the next run;
 *   until then the severity before stands;
 * - while a file system's associations cannot be listed, the findings of its associations are
 *   kept as they were, not reported gone.
 */
function doctorChanges(
  previous: readonly FindingState[] | undefined,
  current: readonly Finding[],
): DoctorStep {
  const before = new Map((previous ?? []).map((item) => [item.key, item]));
  const changes: FindingChange[] = [];
  const state: FindingState[] = [];
  const unlisted = new Set<string>();
  for (const item of current) {
    const stored = before.get(item.key);
    before.delete(item.key);
    const was = reported(stored);
    if (item.check === 'associations' && item.severity === 'UNKNOWN') {
      unlisted.add(item.fileSystemId);
    }
    if (item.severity === 'UNKNOWN' && was !== 'UNKNOWN' && stored?.unconfirmed !== true) {
      // Could not check, for the first time in a row: wait for the next run before telling.
      state.push({
        key: item.key,
        fileSystemId: item.fileSystemId,
        check: item.check,
        severity: was ?? 'UNKNOWN',
        unconfirmed: true,
      });
      continue;
    }
    state.push({
      key: item.key,
      fileSystemId: item.fileSystemId,
      check: item.check,
      severity: item.severity,
    });
    if (was === item.severity) continue;
    if (!ACTIONABLE.has(item.severity) && (was === undefined || !ACTIONABLE.has(was))) continue;
    changes.push({
      key: item.key,
      fileSystemId: item.fileSystemId,
      check: item.check,
      before: was,
      after: item.severity,
      detail: item.detail,
    });
  }
  for (const gone of before.values()) {
    if (gone.check === 'association' && unlisted.has(gone.fileSystemId)) {
      state.push(gone);
      continue;
    }
    const was = reported(gone);
    if (was === undefined || !ACTIONABLE.has(was)) continue;
    changes.push({
      key: gone.key,
      fileSystemId: gone.fileSystemId,
      check: gone.check,
      before: was,
      after: undefined,
      detail: undefined,
    });
  }
  return { changes, state };
}

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
 * worse or are fixed, the body lists the changes, then the whole doctor report with its fixes.
 */
function renderDoctorAlert(result: DoctorResult, changes: readonly FindingChange[]): Publication {
  const worse = changes.filter(
    (change) => change.after !== undefined && ACTIONABLE.has(change.after),
  );
  const where = result.region === undefined ? '' : ` in ${result.region}`;
  const left = result.counts.PROBLEM + result.counts.UNKNOWN;
  // "Fixed" only when nothing is left: one file system fixed while another still is not
  // watched must not read as all clear.
  const better =
    left === 0
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
    wrap(`* ${changeLine(change)}`, 76).map((text, index) => (index === 0 ? text : `  ${text}`)),
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
  // Like the follow-up emails' attributes, so one subscription filter policy handles them all.
  const ids = asciiIds(changes.map((change) => change.fileSystemId));
  return {
    subject: toAsciiLine(subject, SUBJECT_MAX),
    body: `${lines.join('\n')}\n`,
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

export type {
  AssociationFacts,
  Check,
  Checked,
  DoctorOptions,
  DoctorResult,
  DoctorStep,
  FileSystemFacts,
  FileSystemInventory,
  Finding,
  FindingChange,
  FindingState,
  Inventory,
  LogGroupFacts,
  LoggingFacts,
  Severity,
  SubscriptionFilterFacts,
};
export {
  diagnose,
  doctorChanges,
  isAnalyzer,
  lambdaFunctionName,
  logGroupName,
  loggedTo,
  renderDoctorAlert,
  renderDoctorJson,
  renderDoctorText,
  toFindingState,
};

import { logGroupName } from '../common/arn.ts';
import { DEFAULT_LOG_GROUP, EVENT_LOGGING_SINCE, loggedTo } from '../common/fsx.ts';
import { display } from '../common/text.ts';
import type { FileSystemFacts, Inventory, Severity } from '../common/types.ts';
import { shellArg } from '../render/shell.ts';
import { associationFindings } from './association.ts';
import { backlogFindings, DEFAULT_BACKLOG_THRESHOLD_SECONDS } from './backlog.ts';
import {
  type Context,
  contextOf,
  couldNotCheck,
  type DoctorOptions,
  type Finding,
  finding,
  MAX_VALUE,
  regionArg,
} from './finding.ts';
import { knownAnalyzer, subscriptionFindings } from './subscription.ts';
import { topicFindings } from './topic.ts';

/*
 * `doctor`: "am I even watching?". Pure: from an inventory of FSx for Lustre file systems, their
 * data repository associations, the subscription filters of their event log groups and the
 * summary topic's subscriptions (read by lib/aws/inventory.ts) to findings, each with a severity
 * and the fix. Here: the file system and logging checks, and the run over the inventory; the
 * subscription, association and topic checks have their own modules. What changed since the last run is lib/doctor/changes.ts; the renderings
 * are lib/doctor/render.ts.
 *
 * Every string from AWS is untrusted: findings carry it sanitised and shortened (display), and
 * values that go into a suggested shell command are quoted for the shell.
 */

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
    `aws fsx update-file-system${regionArg(context)} --file-system-id ${shellArg(context.fileSystemId)} ` +
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

function countBy(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { OK: 0, NOTE: 0, WARN: 0, PROBLEM: 0, UNKNOWN: 0 };
  for (const item of findings) counts[item.severity] += 1;
  return counts;
}

/**
 * Checks every file system of the inventory: its lifecycle, event logging, the subscription of
 * its log group to the analyzer, each data repository association and, when the inventory has
 * it, the automatic-export backlog; then, when the inventory has the summary topic, whether it
 * has a confirmed subscription.
 */
function diagnose(inventory: Inventory, options: DoctorOptions = {}): DoctorResult {
  const findings: Finding[] = [];
  const names: Record<string, string> = {};
  const known = knownAnalyzer(inventory.logGroups, options.functionRef);
  const threshold = options.backlogThresholdSeconds ?? DEFAULT_BACKLOG_THRESHOLD_SECONDS;
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
          known,
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
    findings.push(
      ...backlogFindings(
        context,
        inventory.backlog?.get(fileSystem.fileSystemId),
        associations,
        threshold,
      ),
    );
  }
  findings.push(...topicFindings(inventory.topic));
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

export type { DoctorOptions, DoctorResult, Finding };
export { diagnose };

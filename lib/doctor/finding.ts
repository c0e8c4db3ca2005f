import { parseArn } from '../common/arn.ts';
import { display } from '../common/text.ts';
import type { Check, FileSystemFacts, Severity } from '../common/types.ts';

/*
 * A doctor finding and what every check builds one from: the file system's context (partition,
 * Region and account for the fix commands, read from its ARN) and the "could not check" finding.
 */

/** The stack's service name: the analyzer function is <service>-<stage>-analyzer (serverless.yml). */
const SERVICE = 'fsx-export-analyzer';
/** Longest AWS value (a log group, a failure message) shown in a finding. */
const MAX_VALUE = 120;

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

/** How `diagnose` recognises the analyzer. */
interface DoctorOptions {
  /** --function: the analyzer's function name or ARN; default: the deployed stack's naming. */
  readonly functionRef?: string | undefined;
  /** A backlog at least this old (seconds) is a PROBLEM; default one hour. */
  readonly backlogThresholdSeconds?: number | undefined;
  /**
   * Organization mode (`doctor --org`): a member's log groups must be subscribed to the central
   * CloudWatch Logs destination, not to a function. `arn` undefined: any destination named as the
   * central stack names it (fsx-export-analyzer-<stage>-fsx-logs).
   */
  readonly logsDestination?: { readonly arn: string | undefined } | undefined;
}

/** The file system a check looks at, and what its fix commands name. */
interface Context {
  readonly fileSystemId: string;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** Names and ids every finding of one file system uses: its ARN's partition, Region and account. */
function contextOf(fileSystem: FileSystemFacts, region: string | undefined): Context {
  const arn = parseArn(fileSystem.arn);
  return {
    fileSystemId: display(fileSystem.fileSystemId, 40),
    partition: arn?.partition ?? 'aws',
    region: arn?.region || region || '<region>',
    account: arn?.account || fileSystem.ownerId || '<account-id>',
  };
}

/**
 * ` --region <region>` for a fix command, when the Region is known: the commands then reach the
 * Region doctor looked at, whatever the shell they are pasted into is set to.
 */
function regionArg(context: Context): string {
  return /^[a-z0-9-]+$/.test(context.region) ? ` --region ${context.region}` : '';
}

/** A finding keyed by file system, check and subject (the key two runs are compared by). */
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

/** The UNKNOWN finding of a lookup that failed: a refusal asks for the permission, else a rerun. */
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

export type { Context, DoctorOptions, Finding };
export { contextOf, couldNotCheck, finding, MAX_VALUE, regionArg, SERVICE };

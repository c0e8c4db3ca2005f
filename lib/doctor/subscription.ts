import { lambdaFunctionName, parseArn } from '../common/arn.ts';
import { FILTERS_PER_LOG_GROUP } from '../common/fsx.ts';
import { display, sanitize } from '../common/text.ts';
import type {
  Checked,
  Inventory,
  LogGroupFacts,
  SubscriptionFilterFacts,
} from '../common/types.ts';
import { shellArg } from '../render/shell.ts';
import {
  type Context,
  couldNotCheck,
  type DoctorOptions,
  type Finding,
  finding,
  MAX_VALUE,
  regionArg,
  SERVICE,
} from './finding.ts';

/*
 * The subscription check: whether a file system's event log group is subscribed to the analyzer
 * (docs/fsx-facts.md#subscription-filters), and the commands that subscribe it by hand, filled
 * with the analyzer doctor was given or saw.
 */

/** The analyzer function as osls names it: <service>-<stage>-analyzer (serverless.yml). */
const DEPLOYED_ANALYZER = new RegExp(`^${SERVICE}-([A-Za-z0-9_-]+)-analyzer$`);

/** The central Logs destination as infra/organization.cjs names it: <service>-<stage>-fsx-logs. */
const DEPLOYED_DESTINATION = new RegExp(`^${SERVICE}-[A-Za-z0-9_-]+-fsx-logs$`);

/** What the fix commands name: the analyzer, and the log groups already subscribed to it. */
interface KnownAnalyzer {
  /** --function, else the one analyzer the log groups' filters point to; undefined if unknown. */
  readonly ref: string | undefined;
  /** The log groups (names) with a filter to it, sorted: its stack's logGroups parameter. */
  readonly subscribedGroups: readonly string[];
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

/**
 * Whether a subscription filter's destination is the central CloudWatch Logs destination of
 * organization mode: the ARN given (--destination), else any Logs destination named as the central
 * stack names it. A function, a Kinesis stream or Firehose is not it: a member account reaches the
 * central analyzer only through the destination (docs/organization.md).
 */
function isLogsDestination(destinationArn: string, wanted: string | undefined): boolean {
  const arn = parseArn(destinationArn);
  if (arn?.service !== 'logs' || !arn.resource.startsWith('destination:')) return false;
  if (wanted !== undefined) return destinationArn === wanted;
  return DEPLOYED_DESTINATION.test(arn.resource.slice('destination:'.length));
}

/** Whether a filter's destination is what the log group must be subscribed to. */
function isTarget(destinationArn: string, options: DoctorOptions): boolean {
  return options.logsDestination === undefined
    ? isAnalyzer(destinationArn, options.functionRef)
    : isLogsDestination(destinationArn, options.logsDestination.arn);
}

/** How a finding names what the log group must be subscribed to. */
function targetName(options: DoctorOptions): string {
  if (options.logsDestination !== undefined) {
    const arn = options.logsDestination.arn;
    return `the central Logs destination (${display(arn ?? `${SERVICE}-<stage>-fsx-logs`, MAX_VALUE)})`;
  }
  return options.functionRef === undefined
    ? `the analyzer (a function named ${SERVICE}-<stage>-analyzer)`
    : `the analyzer (${display(options.functionRef, MAX_VALUE)})`;
}

/**
 * The fix of a member account's log group (organization mode): the member stack subscribes it;
 * by hand, one filter to the central destination (its access policy admits the member, so no
 * permission is added).
 */
function memberSubscriptionFix(
  context: Context,
  logGroup: string,
  destinationArn: string | undefined,
): { fix: string; commands: string[] } {
  const destination = destinationArn ?? '<OrganizationLogDestinationArn>';
  return {
    fix:
      `Deploy infra/member-account.yml to account ${context.account} (the StackSet, ` +
      'docs/organization.md) with this log group, or subscribe it by hand in that account:',
    commands: [
      `aws logs put-subscription-filter${regionArg(context)} --log-group-name ${shellArg(logGroup)} ` +
        `--filter-name ${SERVICE} --filter-pattern '' --destination-arn ${shellArg(destination)}`,
    ],
  };
}

/**
 * The analyzer the fix commands name: the one given (--function), else the only function named as
 * the stack names it that some log group's filter points to (none, or several stages: unknown).
 */
function knownAnalyzer(
  logGroups: Inventory['logGroups'],
  functionRef: string | undefined,
): KnownAnalyzer {
  const seen = new Map<string, string[]>();
  for (const [group, lookup] of logGroups) {
    if (!lookup.ok || !lookup.value.exists) continue;
    for (const { destinationArn } of lookup.value.filters) {
      if (!isAnalyzer(destinationArn, functionRef)) continue;
      seen.set(destinationArn, [...(seen.get(destinationArn) ?? []), group]);
    }
  }
  const [only] = seen.size === 1 ? [...seen.keys()] : [];
  const ref = functionRef ?? only;
  const groups =
    functionRef !== undefined ? [...seen.values()].flat() : (seen.get(only ?? '') ?? []);
  return { ref, subscribedGroups: [...new Set(groups)].sort() };
}

/** The stage in an analyzer's name (<service>-<stage>-analyzer), or the placeholder. */
function stageOf(functionName: string): string {
  return DEPLOYED_ANALYZER.exec(functionName)?.[1] ?? '<stage>';
}

/**
 * One statement id per log group: add-permission refuses an id the function's policy already
 * has, so two log groups subscribed by hand need two ([A-Za-z0-9_-], at most 100 characters).
 */
function statementId(logGroup: string): string {
  const id = `${SERVICE}-logs${logGroup.replace(/[^A-Za-z0-9_-]+/g, '-')}`;
  return id.slice(0, 100).replace(/-+$/, '');
}

/** The analyzer's function name (the stack's naming with <stage> when unknown) and ARN. */
function analyzerOf(context: Context, known: KnownAnalyzer): { name: string; arn: string } {
  const ref = known.ref;
  const name = ref === undefined ? `${SERVICE}-<stage>-analyzer` : (lambdaFunctionName(ref) ?? ref);
  const arn =
    ref?.startsWith('arn:') === true
      ? ref
      : `arn:${context.partition}:lambda:${context.region}:${context.account}:function:${name}`;
  return { name, arn };
}

/**
 * The deploy command that subscribes `logGroup` through the stack: its logGroups parameter names
 * every group, so the ones already subscribed are kept in it.
 */
function deployHint(context: Context, logGroup: string, known: KnownAnalyzer): string {
  const groups = [...new Set([...known.subscribedGroups, logGroup])].join(',');
  const stage = stageOf(analyzerOf(context, known).name);
  return (
    `npx osls deploy --stage ${stage}${regionArg(context)} ` +
    `--param=${shellArg(`logGroups=${sanitize(groups)}`)}`
  );
}

function subscriptionFix(
  context: Context,
  logGroup: string,
  known: KnownAnalyzer,
): { fix: string; commands: string[] } {
  const functionArn = analyzerOf(context, known).arn;
  const sourceArn = `arn:${context.partition}:logs:${context.region}:${context.account}:log-group:${logGroup}:*`;
  const region = regionArg(context);
  return {
    fix:
      `Add this log group to the stack's logGroups parameter and deploy it again, with its ` +
      `other parameters as they were (${deployHint(context, logGroup, known)}), or subscribe ` +
      'the analyzer by hand:',
    commands: [
      `aws lambda add-permission${region} --function-name ${shellArg(functionArn)} ` +
        `--statement-id ${statementId(logGroup)} --principal logs.amazonaws.com ` +
        `--action lambda:InvokeFunction --source-arn ${shellArg(sourceArn)} ` +
        `--source-account ${shellArg(context.account)}`,
      `aws logs put-subscription-filter${region} --log-group-name ${shellArg(logGroup)} ` +
        `--filter-name ${SERVICE} --filter-pattern '' --destination-arn ${shellArg(functionArn)}`,
    ],
  };
}

/** The finding of an existing log group, from its subscription filters. */
function filterFinding(
  context: Context,
  logGroup: string,
  filters: readonly SubscriptionFilterFacts[],
  options: DoctorOptions,
  known: KnownAnalyzer,
): Finding {
  const shown = display(logGroup, MAX_VALUE);
  const first = filters.find((filter) => isTarget(filter.destinationArn, options));
  if (first !== undefined) {
    const target = display(
      lambdaFunctionName(first.destinationArn) ?? first.destinationArn,
      MAX_VALUE,
    );
    if (first.filterPattern.trim() !== '') {
      return finding(
        context,
        'subscription',
        shown,
        'WARN',
        `${shown} is subscribed to ${target} with filter pattern ` +
          `"${display(first.filterPattern, 60)}": only matching events reach the analyzer`,
        'The stack subscribes with an empty pattern (every event); redeploy it to restore that.',
      );
    }
    return finding(
      context,
      'subscription',
      shown,
      'OK',
      `${shown} is subscribed to ${target} (filter ${display(first.filterName, 60)})`,
    );
  }
  const whose = targetName(options);
  const member = options.logsDestination;
  const others = filters
    .map((filter) =>
      display(lambdaFunctionName(filter.destinationArn) ?? filter.destinationArn, 80),
    )
    .join(', ');
  if (filters.length >= FILTERS_PER_LOG_GROUP) {
    return finding(
      context,
      'subscription',
      shown,
      'PROBLEM',
      `${shown} has no subscription to ${whose}, and already has ${filters.length} filters ` +
        `(${others}): a log group allows only ${FILTERS_PER_LOG_GROUP}`,
      'Remove the filter you can do without (run only its command: one per filter), then ' +
        (member === undefined
          ? `deploy the stack with this log group (${deployHint(context, logGroup, known)}).`
          : 'deploy infra/member-account.yml to the account again (the StackSet).'),
      filters.map(
        (filter) =>
          `aws logs delete-subscription-filter${regionArg(context)} --log-group-name ` +
          `${shellArg(logGroup)} --filter-name ${shellArg(filter.filterName)}`,
      ),
    );
  }
  const { fix, commands } =
    member === undefined
      ? subscriptionFix(context, logGroup, known)
      : memberSubscriptionFix(context, logGroup, member.arn);
  return finding(
    context,
    'subscription',
    shown,
    'PROBLEM',
    `${shown} has no subscription to ${whose}` +
      (others === '' ? '' : ` (it has: ${others})`) +
      ': export failures are logged but nobody is told',
    fix,
    commands,
  );
}

/**
 * The subscription finding of one log group: subscribed to the analyzer with an empty pattern
 * (OK), with a pattern (WARN), or not at all, missing or full (PROBLEM, with the fix commands,
 * naming the `known` analyzer); UNKNOWN when its filters could not be read.
 */
function subscriptionFindings(
  context: Context,
  logGroup: string,
  lookup: Checked<LogGroupFacts> | undefined,
  options: DoctorOptions,
  known: KnownAnalyzer,
): Finding[] {
  const shown = display(logGroup, MAX_VALUE);
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
    const { commands } =
      options.logsDestination === undefined
        ? subscriptionFix(context, logGroup, known)
        : memberSubscriptionFix(context, logGroup, options.logsDestination.arn);
    return [
      finding(
        context,
        'subscription',
        shown,
        'PROBLEM',
        `log group ${shown} does not exist (yet): no subscription filter can be added until ` +
          'it does, so the first export failures would reach nobody',
        'Create the log group now (FSx writes into an existing group; a custom destination that ' +
          'was deleted must be created again anyway), then ' +
          (options.logsDestination === undefined
            ? 'deploy the stack with it, or subscribe the analyzer by hand:'
            : 'deploy infra/member-account.yml to the account with it, or subscribe it by hand:'),
        [
          `aws logs create-log-group${regionArg(context)} --log-group-name ${shellArg(logGroup)}`,
          ...commands,
        ],
      ),
    ];
  }
  return [filterFinding(context, logGroup, lookup.value.filters, options, known)];
}

export type { KnownAnalyzer };
export { isAnalyzer, isLogsDestination, knownAnalyzer, subscriptionFindings };

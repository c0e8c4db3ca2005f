import { parseArgs } from 'node:util';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FSxClient } from '@aws-sdk/client-fsx';
import { SNSClient } from '@aws-sdk/client-sns';
import { clientOptions } from '../lib/aws/http.ts';
import { readInventory } from '../lib/aws/inventory.ts';
import { createBacklogReader } from '../lib/aws/metrics.ts';
import { lambdaFunctionName, parseArn } from '../lib/common/arn.ts';
import { diagnose } from '../lib/doctor/diagnose.ts';
import { renderDoctorJson, renderDoctorText } from '../lib/doctor/render.ts';
import { parseDuration } from '../lib/scan/window.ts';
import {
  checkFileSystemId,
  checkRegion,
  EXIT_FAILURE,
  EXIT_OK,
  type Io,
  PROGRAM,
  parseOrUsage,
  setting,
  UsageError,
} from './common.ts';

/*
 * `doctor`: "am I even watching?". Reads the FSx for Lustre file systems of the account and
 * Region, their associations, the subscription filters of their log groups and the summary
 * topic's subscriptions, and prints what is wrong with the fix. Loaded only when `doctor` runs
 * (it brings the FSx, CloudWatch Logs and SNS SDK clients).
 */

const help = `Usage: ${PROGRAM} doctor [--file-system-id ID] [--function NAME|ARN] [--topic-arn ARN]
                            [--backlog-threshold DURATION] [--json] [--region R]
       ${PROGRAM} doctor --org --accounts ID[=NAME],... [--member-role NAME]
                            [--destination ARN] [--region R]

Checks that export failures of your FSx for Lustre file systems are being watched. For each
file system in the account and Region (or the one named):
  logging       data repository event logging on, at which level, to which log group
                (WARN_ONLY and DISABLED are problems: export failures are ERROR events)
  subscription  the log group carries a subscription filter to the analyzer function
  association   each data repository association is AVAILABLE (MISCONFIGURED: automatic
                export silently stops), and with which automatic-export events
  backlog       how old the oldest change not yet exported to S3 is (CloudWatch metric
                AgeOfOldestQueuedMessage, Publisher AutoExport); at or past the threshold
                it is a PROBLEM
And, given the summary topic:
  topic         the topic has a confirmed subscription (one pending confirmation receives
                nothing, so no email or alarm would reach anyone)
Prints a table (file system, check, status, detail) and how to fix each problem, with
commands filled in from what doctor saw (Region, account, analyzer, log group, bucket).

Options:
  --file-system-id ID   check only this file system (fs-0123456789abcdef0)
  --function NAME|ARN   the analyzer function the subscription must point to; default: any
                        function named as the stack names it, fsx-export-analyzer-<stage>-analyzer
  --topic-arn ARN       the summary topic to check (the stack's SummaryTopicArn output);
                        default: SUMMARY_TOPIC_ARN; without either, the topic is not checked
  --backlog-threshold DURATION
                        a backlog this old is a PROBLEM: 90m, 2h, 1d (default 1h)
  --json                one JSON document for scripts (findings: fileSystemId, check,
                        severity, detail, fix, commands)
  --region R            the Region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)
  -h, --help            this text

Organization mode (docs/organization.md), from the central account:
  --org                 check each member account through its member role instead: role
                        assumable, its FSx log groups subscribed to the central Logs destination,
                        logging, associations; one row per account, the fixes below
  --accounts ID[=NAME],...
                        the member accounts to check (222233334444=prod-hpc shows a name)
  --member-role NAME    the member role (default fsx-export-analyzer-member, the member
                        template's MemberRoleName)
  --destination ARN     the central destination the filters must target (the stack's output
                        OrganizationLogDestinationArn); default: any destination named as the
                        stack names it, fsx-export-analyzer-<stage>-fsx-logs
  Run it as a role the member roles trust (their CentralRoleArns), with sts:AssumeRole on them.
  Exit status as above: 1 when a member's role cannot be assumed or a member has a PROBLEM or
  UNKNOWN, or no member has an FSx for Lustre file system in the Region.

Statuses: OK, NOTE (worth knowing), WARN (probably not what you want), PROBLEM (failures
would go unnoticed), UNKNOWN (could not check: the line names the permission).
Exit status: 0 nothing to fix; 1 a PROBLEM or UNKNOWN, or no FSx for Lustre file system in
the Region (wrong Region?); 2 bad usage, or the file systems cannot be listed at all (no
credentials, fsx:DescribeFileSystems denied, unknown --file-system-id).
Needs: fsx:DescribeFileSystems, fsx:DescribeDataRepositoryAssociations,
logs:DescribeSubscriptionFilters, cloudwatch:GetMetricData (the backlog; without it the backlog
is UNKNOWN), and with a topic sns:ListSubscriptionsByTopic. AWS settings (AWS_PROFILE,
AWS_ENDPOINT_URL_FSX, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, AWS_ENDPOINT_URL_CLOUDWATCH,
AWS_ENDPOINT_URL_SNS, ...) are read as by the AWS CLI.
`;

const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

function checkFunction(value: string | undefined): void {
  if (value === undefined) return;
  const valid = value.startsWith('arn:')
    ? lambdaFunctionName(value) !== undefined
    : FUNCTION_NAME.test(value);
  if (!valid) {
    throw new UsageError(
      `--function must be a Lambda function name or ARN (got "${value}")`,
      'doctor',
    );
  }
}

/** The topic to check: --topic-arn, else SUMMARY_TOPIC_ARN; a usage error if not an SNS topic ARN. */
function topicOf(value: string | undefined, env: Io['env']): string | undefined {
  const topicArn = value ?? setting(env, 'SUMMARY_TOPIC_ARN');
  if (topicArn === undefined) return undefined;
  const arn = parseArn(topicArn);
  if (
    arn?.service !== 'sns' ||
    arn.region === '' ||
    !/^[\w-]{1,256}(?:\.fifo)?$/.test(arn.resource)
  ) {
    const from = value === undefined ? 'SUMMARY_TOPIC_ARN' : '--topic-arn';
    throw new UsageError(
      `${from} must be an SNS topic ARN, arn:aws:sns:<region>:<account>:<name> (got "${topicArn}")`,
      'doctor',
    );
  }
  return topicArn;
}

/** The longest --backlog-threshold: a week, like the stack's BACKLOG_THRESHOLD_MINUTES. */
const MAX_BACKLOG_THRESHOLD_MS = 7 * 24 * 3_600_000;

/** --backlog-threshold in seconds (default one hour); a usage error unless 1 minute to 7 days. */
function backlogThresholdOf(value: string | undefined): number {
  if (value === undefined) return 3600;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 60_000 || ms > MAX_BACKLOG_THRESHOLD_MS) {
    throw new UsageError(
      `--backlog-threshold must be a duration from 1m to 7d, such as 90m or 2h (got "${value}")`,
      'doctor',
    );
  }
  return Math.round(ms / 1000);
}

/** The Region the clients will call, or a usage error saying how to set one. */
async function resolveRegion(client: FSxClient): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    throw new UsageError('no AWS Region: pass --region or set AWS_REGION', 'doctor');
  }
}

/** The options that name AWS resources, checked: a usage error for any that cannot be right. */
function checkedOptions(
  values: {
    readonly 'file-system-id'?: string | undefined;
    readonly function?: string | undefined;
    readonly 'topic-arn'?: string | undefined;
    readonly region?: string | undefined;
  },
  env: Io['env'],
): { fileSystemId: string | undefined; region: string | undefined; topicArn: string | undefined } {
  const fileSystemId = values['file-system-id'];
  checkFileSystemId(fileSystemId, 'doctor');
  if (fileSystemId?.startsWith('fs-') === false) {
    throw new UsageError('--file-system-id must name a file system (fs-...)', 'doctor');
  }
  checkFunction(values.function);
  checkRegion(values.region, 'doctor');
  const region = values.region ?? setting(env, 'AWS_REGION');
  return { fileSystemId, region, topicArn: topicOf(values['topic-arn'], env) };
}

/** The options of `doctor --org` alone, and the single-account ones it does not take. */
const ORG_ONLY = ['accounts', 'member-role', 'destination'] as const;
const SINGLE_ONLY = [
  'file-system-id',
  'function',
  'topic-arn',
  'backlog-threshold',
  'json',
] as const;

/** `doctor --org`: refuses the single-account options, then runs cli/doctor-org.ts. */
async function organizationCommand(
  values: Partial<Record<(typeof ORG_ONLY)[number] | 'region', string>> &
    Partial<Record<(typeof SINGLE_ONLY)[number], string | boolean>>,
  io: Io,
): Promise<number> {
  for (const option of SINGLE_ONLY) {
    if (values[option] !== undefined) {
      throw new UsageError(`--${option} does not apply to doctor --org`, 'doctor');
    }
  }
  checkRegion(values.region, 'doctor');
  const { organizationDoctor } = await import('./doctor-org.ts');
  return organizationDoctor(
    {
      accounts: values.accounts,
      memberRole: values['member-role'],
      destination: values.destination,
      region: values.region ?? setting(io.env, 'AWS_REGION'),
    },
    io,
  );
}

/** Runs `doctor`; see `help`. */
async function command(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseOrUsage('doctor', () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        'file-system-id': { type: 'string' },
        function: { type: 'string' },
        'topic-arn': { type: 'string' },
        'backlog-threshold': { type: 'string' },
        json: { type: 'boolean' },
        region: { type: 'string' },
        org: { type: 'boolean' },
        accounts: { type: 'string' },
        'member-role': { type: 'string' },
        destination: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    io.stdout(help);
    return EXIT_OK;
  }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument "${positionals[0]}"`, 'doctor');
  }
  if (values.org === true) return organizationCommand(values, io);
  for (const option of ORG_ONLY) {
    if (values[option] !== undefined) {
      throw new UsageError(`--${option} applies only to doctor --org`, 'doctor');
    }
  }
  const { fileSystemId, region, topicArn } = checkedOptions(values, io.env);
  const backlogThresholdSeconds = backlogThresholdOf(values['backlog-threshold']);
  const fsx = new FSxClient(clientOptions(region));
  const logs = new CloudWatchLogsClient(clientOptions(region));
  const metrics = new CloudWatchClient(clientOptions(region));
  // The topic is read where it lives, which need not be the Region checked.
  const sns =
    topicArn === undefined ? undefined : new SNSClient(clientOptions(parseArn(topicArn)?.region));
  try {
    const resolved = await resolveRegion(fsx);
    const inventory = await readInventory(
      { fsx, logs, ...(sns === undefined ? {} : { sns }) },
      {
        fileSystemId,
        region: resolved,
        progress: (text) => io.stderr(`${text}\n`),
        topicArn,
      },
    );
    const ids = inventory.fileSystems.map((entry) => entry.fileSystem.fileSystemId);
    if (ids.length > 0) {
      io.stderr(`doctor: reading the export backlog of ${ids.length} file system(s)\n`);
    }
    const backlog = await createBacklogReader(metrics).ages(ids, new Date());
    const result = diagnose(
      { ...inventory, backlog },
      { functionRef: values.function, backlogThresholdSeconds },
    );
    io.stdout(values.json === true ? renderDoctorJson(result) : renderDoctorText(result));
    return result.healthy ? EXIT_OK : EXIT_FAILURE;
  } finally {
    fsx.destroy();
    logs.destroy();
    metrics.destroy();
    sns?.destroy();
  }
}

export { command, help };

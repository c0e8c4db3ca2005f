import { parseArgs } from 'node:util';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FSxClient } from '@aws-sdk/client-fsx';
import { clientOptions } from '../lib/aws/http.ts';
import { readInventory } from '../lib/aws/inventory.ts';
import { diagnose } from '../lib/doctor/diagnose.ts';
import { renderDoctorJson, renderDoctorText } from '../lib/doctor/render.ts';
import { lambdaFunctionName } from '../lib/shared/arn.ts';
import {
  checkFileSystemId,
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
 * Region, their associations and the subscription filters of their log groups, and prints what
 * is wrong with the fix. Loaded only when `doctor` runs (it brings the FSx and CloudWatch Logs
 * SDK clients).
 */

const help = `Usage: ${PROGRAM} doctor [--file-system-id ID] [--function NAME|ARN] [--json] [--region R]

Checks that export failures of your FSx for Lustre file systems are being watched. For each
file system in the account and Region (or the one named):
  logging       data repository event logging on, at which level, to which log group
                (WARN_ONLY and DISABLED are problems: export failures are ERROR events)
  subscription  the log group carries a subscription filter to the analyzer function
  association   each data repository association is AVAILABLE (MISCONFIGURED: automatic
                export silently stops), and with which automatic-export events
Prints a table (file system, check, status, detail) and how to fix each problem.

Options:
  --file-system-id ID   check only this file system (fs-0123456789abcdef0)
  --function NAME|ARN   the analyzer function the subscription must point to; default: any
                        function named as the stack names it, fsx-export-analyzer-<stage>-analyzer
  --json                one JSON document for scripts (findings: fileSystemId, check,
                        severity, detail, fix, commands)
  --region R            the Region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)
  -h, --help            this text

Statuses: OK, NOTE (worth knowing), WARN (probably not what you want), PROBLEM (failures
would go unnoticed), UNKNOWN (could not check: the line names the permission).
Exit status: 0 nothing to fix; 1 a PROBLEM or UNKNOWN, or no FSx for Lustre file system in
the Region (wrong Region?); 2 bad usage, or the file systems cannot be listed at all (no
credentials, fsx:DescribeFileSystems denied, unknown --file-system-id).
Needs: fsx:DescribeFileSystems, fsx:DescribeDataRepositoryAssociations,
logs:DescribeSubscriptionFilters. AWS settings (AWS_PROFILE, AWS_ENDPOINT_URL_FSX,
AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, ...) are read as by the AWS CLI.
`;

const REGION = /^[a-z]{2}(?:-[a-z0-9]+)+-\d{1,2}$/;
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

/** The Region the clients will call, or a usage error saying how to set one. */
async function resolveRegion(client: FSxClient): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    throw new UsageError('no AWS Region: pass --region or set AWS_REGION', 'doctor');
  }
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
        json: { type: 'boolean' },
        region: { type: 'string' },
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
  const fileSystemId = values['file-system-id'];
  checkFileSystemId(fileSystemId, 'doctor');
  if (fileSystemId?.startsWith('fs-') === false) {
    throw new UsageError('--file-system-id must name a file system (fs-...)', 'doctor');
  }
  checkFunction(values.function);
  const region = values.region ?? setting(io.env, 'AWS_REGION');
  if (values.region !== undefined && !REGION.test(values.region)) {
    throw new UsageError(`--region must look like eu-west-1 (got "${values.region}")`, 'doctor');
  }

  const fsx = new FSxClient(clientOptions(region));
  const logs = new CloudWatchLogsClient(clientOptions(region));
  try {
    const resolved = await resolveRegion(fsx);
    const inventory = await readInventory(
      { fsx, logs },
      {
        fileSystemId,
        region: resolved,
        progress: (text) => io.stderr(`${text}\n`),
      },
    );
    const result = diagnose(inventory, { functionRef: values.function });
    io.stdout(values.json === true ? renderDoctorJson(result) : renderDoctorText(result));
    return result.healthy ? EXIT_OK : EXIT_FAILURE;
  } finally {
    fsx.destroy();
    logs.destroy();
  }
}

export { command, help };

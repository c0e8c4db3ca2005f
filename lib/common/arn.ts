/*
 * Reading Amazon Resource Names (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html):
 * the parts of any ARN, the log group a CloudWatch Logs ARN names, the function a Lambda ARN names.
 */

const ARN = /^arn:([^:]+):([^:]*):([^:]*):(\d{12})?:(.*)$/;
const LOG_GROUP_ARN = /^arn:[^:]+:logs:[^:]*:[^:]*:log-group:(.+?)(?::\*)?$/;
const LAMBDA_FUNCTION = /^function:([^:]+)(?::[^:]+)?$/;

interface ArnParts {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

/** The parts of an ARN (`arn:partition:service:region:account:resource`); undefined for anything else. */
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

/**
 * The log group name in a log group ARN (`arn:aws:logs:r:a:log-group:NAME` or `...:NAME:*`, the
 * console's form); undefined for anything else.
 *
 * @example logGroupName('arn:aws:logs:eu-west-1:123456789012:log-group:/aws/fsx/lustre:*') // '/aws/fsx/lustre'
 */
function logGroupName(arn: string): string | undefined {
  return LOG_GROUP_ARN.exec(arn)?.[1];
}

/** The function name of a Lambda ARN (without version or alias), else undefined. */
function lambdaFunctionName(arn: string): string | undefined {
  const parts = parseArn(arn);
  if (parts === undefined || parts.service !== 'lambda') return undefined;
  return LAMBDA_FUNCTION.exec(parts.resource)?.[1];
}

export type { ArnParts };
export { lambdaFunctionName, logGroupName, parseArn };

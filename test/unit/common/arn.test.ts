import { describe, expect, it } from 'vitest';
import { logGroupName } from '../../../lib/common/arn.ts';
import { GROUP, GROUP_ARN } from '../../helpers/doctor.ts';

describe('Function: logGroupName', () => {
  it.each([
    [GROUP_ARN, GROUP],
    [`${GROUP_ARN}:*`, GROUP],
    ['arn:aws-cn:logs:cn-north-1:123456789012:log-group:/aws/fsx/a#b', '/aws/fsx/a#b'],
    ['arn:aws:s3:::bucket', undefined],
  ])('logGroupName(%s) is %s', (arn, name) => {
    // Act
    const result = logGroupName(arn);

    // Assess
    expect(result).toBe(name);
  });
});

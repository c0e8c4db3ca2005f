import { describe, expect, it } from 'vitest';
import { isAnalyzer } from '../../../lib/doctor/subscription.ts';
import { ACCOUNT, ANALYZER, OTHER } from '../../helpers/doctor.ts';

describe('Function: isAnalyzer', () => {
  it.each([
    [ANALYZER, undefined, true],
    [`${ANALYZER}:3`, undefined, true],
    [OTHER, undefined, false],
    ['arn:aws:firehose:eu-west-1:123456789012:deliverystream/x', undefined, false],
    [ANALYZER, ANALYZER, true],
    [ANALYZER, ANALYZER.replace(ACCOUNT, '999999999999'), false],
    [ANALYZER, 'fsx-export-analyzer-prod-analyzer', true],
    [ANALYZER, 'fsx-export-analyzer-dev-analyzer', false],
  ])('isAnalyzer(%s, %s) is %s', (destination, functionRef, expected) => {
    // Act
    const result = isAnalyzer(destination, functionRef);

    // Assess
    expect(result).toBe(expected);
  });
});

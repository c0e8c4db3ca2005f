import { describe, expect, it } from 'vitest';
import { isAnalyzer, isLogsDestination } from '../../../lib/doctor/subscription.ts';
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

describe('Function: isLogsDestination', () => {
  const CENTRAL =
    'arn:aws:logs:eu-west-1:111122223333:destination:fsx-export-analyzer-prod-fsx-logs';
  it.each([
    [CENTRAL, undefined, true],
    [CENTRAL, CENTRAL, true],
    [CENTRAL, CENTRAL.replace('prod', 'dev'), false],
    ['arn:aws:logs:eu-west-1:111122223333:destination:other-destination', undefined, false],
    [ANALYZER, undefined, false],
    [
      'arn:aws:kinesis:eu-west-1:111122223333:stream/fsx-export-analyzer-prod-fsx-logs',
      undefined,
      false,
    ],
    ['not an arn', undefined, false],
  ])('isLogsDestination(%s, %s) is %s', (destination, wanted, expected) => {
    // Act
    const result = isLogsDestination(destination, wanted);

    // Assess
    expect(result).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { reportInsightsLink } from '../../../lib/render/report.ts';
import { emptyReport, record } from '../../helpers/reports.ts';

describe('Function: reportInsightsLink', () => {
  it('lists every data repository stream when an event came from another stream', () => {
    // Prepare
    const report = emptyReport({
      sources: [{ owner: '1', logGroup: '/aws/fsx/b', logStream: 'x', events: 2 }],
      records: [record(0, { logGroup: '/aws/fsx/a' }), record(1, { logStream: 'not-datarepo' })],
    });

    // Act
    const link = reportInsightsLink(report);

    // Assess
    expect(link).toContain(
      'filter*20*40logStream*20like*20*2f*5edatarepo_*2f*0a*7c*20sort*20*40timestamp*20desc',
    );
    expect(link).toContain(
      "~source~(~'*2faws*2ffsx*2fa~'*2faws*2ffsx*2fb~'*2faws*2ffsx*2flustre))",
    );
  });

  it('gives no link without a region, an event time or a log group', () => {
    // Prepare
    const reports = [
      emptyReport({ region: undefined, records: [record(0)] }),
      emptyReport({ records: [record(0, { timestamp: Number.NaN })] }),
      emptyReport({ records: [record(0, { timestamp: 8.64e15 })] }),
      emptyReport({ records: [record(0, { logGroup: '' })] }),
      emptyReport(),
    ];

    // Act
    const links = reports.map(reportInsightsLink);

    // Assess
    expect(links).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

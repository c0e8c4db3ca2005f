import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnalyzerError } from '../../../lib/common/errors.ts';
import {
  cloudWatchHome,
  consoleLink,
  InsightsLinkError,
  insightsLink,
  insightsQuery,
  jsurlEscape,
  minuteWindow,
} from '../../../lib/render/insights.ts';

/** What a URL may hold without any further escaping (RFC 3986 unreserved and the few delimiters we use). */
const URL_SAFE = /^[A-Za-z0-9._~:/?#$'()*=-]+$/;
const FRAGMENT = '#logsV2:logs-insights$3FqueryDetail$3D';

type Jsurl = string | number | boolean | null | Jsurl[] | { [key: string]: Jsurl };

/**
 * Our own reading of the console's JSURL object notation: `~(k~v~k~v)` objects, `~(~v~v)` arrays,
 * `'`-prefixed strings with `*xx` / `**xxxx` escapes (and JSURL's `!` for `$`).
 */
function parseJsurl(text: string): Jsurl {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`JSURL: ${what} at ${pos} in ${text}`);
  };
  const readString = (): string => {
    let out = '';
    while (pos < text.length && text[pos] !== '~' && text[pos] !== ')') {
      const char = text[pos] ?? '';
      if (char === '*') {
        const wide = text[pos + 1] === '*';
        const digits = wide ? 4 : 2;
        const start = pos + (wide ? 2 : 1);
        const hex = text.slice(start, start + digits);
        if (!/^[0-9a-f]+$/.test(hex) || hex.length !== digits) fail('bad escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        pos = start + digits;
      } else {
        out += char === '!' ? '$' : char;
        pos++;
      }
    }
    return out;
  };
  const value = (): Jsurl => {
    const char = text[pos];
    if (char === "'") {
      pos++;
      return readString();
    }
    if (char === '(') {
      pos++;
      if (text[pos] === ')') {
        pos++;
        return [];
      }
      if (text[pos] === '~') {
        const items: Jsurl[] = [];
        while (text[pos] === '~') {
          pos++;
          items.push(value());
        }
        if (text[pos] !== ')') fail('unclosed array');
        pos++;
        return items;
      }
      const object: Record<string, Jsurl> = {};
      for (;;) {
        const key = readString();
        if (text[pos] !== '~') fail('missing value');
        pos++;
        object[key] = value();
        if (text[pos] === ')') break;
        if (text[pos] !== '~') fail('missing separator');
        pos++;
      }
      pos++;
      return object;
    }
    const literal = readString();
    if (literal === 'true' || literal === 'false') return literal === 'true';
    if (literal === 'null') return null;
    const number = Number(literal);
    return Number.isFinite(number) ? number : fail('bad literal');
  };
  if (text[0] !== '~') fail('no leading ~');
  pos = 1;
  const result = value();
  if (pos !== text.length) fail('trailing text');
  return result;
}

/** The `queryDetail` object of a Logs Insights link, decoded. */
function decodeLink(link: string, region: string): Jsurl {
  const home = cloudWatchHome(region);
  expect(link.startsWith(`${home}${FRAGMENT}`)).toBe(true);
  return parseJsurl(link.slice(home.length + FRAGMENT.length));
}

/** Any UTF-16 code unit, lone surrogates and the JSURL delimiters included. */
const codeUnit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom('~', '(', ')', "'", '*', '!', '$', '%', '#', '?', '&', '=', '\n', ' '),
);
const hostileText = fc.string({ unit: codeUnit, maxLength: 40 });

const START = new Date('2025-11-25T12:00:00.000Z');
const END = new Date('2025-11-25T12:05:00.000Z');

describe('Function: insightsLink', () => {
  it('writes the console link for a known query, window and log groups', () => {
    // Prepare
    const input = {
      region: 'eu-west-1',
      logGroups: ['/aws/fsx/lustre', '/aws/fsx/other'],
      start: START,
      end: END,
      query: 'fields @timestamp\n| limit 20',
    };

    // Act
    const link = insightsLink(input);

    // Assess
    expect(link).toBe(
      "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2025-11-25T12*3a05*3a00.000Z~start~'2025-11-25T12*3a00*3a00.000Z~timeType~'ABSOLUTE~tz~'UTC~editorString~'fields*20*40timestamp*0a*7c*20limit*2020~source~(~'*2faws*2ffsx*2flustre~'*2faws*2ffsx*2fother))",
    );
    expect(decodeLink(link, 'eu-west-1')).toEqual({
      end: '2025-11-25T12:05:00.000Z',
      start: '2025-11-25T12:00:00.000Z',
      timeType: 'ABSOLUTE',
      tz: 'UTC',
      editorString: 'fields @timestamp\n| limit 20',
      source: ['/aws/fsx/lustre', '/aws/fsx/other'],
    });
  });

  it('contains only URL-safe characters and decodes to its input, whatever the names and query', () => {
    // Prepare
    const property = fc.property(
      fc.array(hostileText, { minLength: 1, maxLength: 5 }),
      hostileText,
      fc.constantFrom('us-east-1', 'cn-north-1', 'us-gov-east-1'),
      (groups, query, region) => {
        // Act
        const link = insightsLink({ region, logGroups: groups, start: START, end: END, query });

        // Assess
        expect(link).toMatch(URL_SAFE);
        expect(decodeLink(link, region)).toEqual({
          end: END.toISOString(),
          start: START.toISOString(),
          timeType: 'ABSOLUTE',
          tz: 'UTC',
          editorString: query,
          source: [...new Set(groups)],
        });
      },
    );

    // Act
    const run = () => fc.assert(property, { numRuns: 300 });

    // Assess
    expect(run).not.toThrow();
  });

  it('links at most 50 log groups, each once', () => {
    // Prepare
    const groups = Array.from({ length: 60 }, (_, index) => `/aws/fsx/g${index}`);

    // Act
    const link = insightsLink({
      region: 'us-east-1',
      logGroups: [...groups, ...groups],
      start: START,
      end: END,
      query: 'q',
    });

    // Assess
    expect(decodeLink(link, 'us-east-1')).toMatchObject({ source: groups.slice(0, 50) });
  });

  it('keeps a hostile region out of the host name', () => {
    // Prepare
    const region = 'x/../evil.example#\ud800';

    // Act
    const link = insightsLink({ region, logGroups: ['/g'], start: START, end: END, query: 'q' });

    // Assess
    expect(link).toMatch(
      /^https:\/\/x%2F\.\.%2Fevil\.example%23%EF%BF%BD\.console\.aws\.amazon\.com\//,
    );
    expect(link).not.toMatch(/[\s\u0000-\u001f\u007f-\uffff]/);
  });

  it('refuses an invalid date with a one-line analyzer error', () => {
    // Prepare
    const input = {
      region: 'us-east-1',
      logGroups: ['/g'],
      start: new Date(Number.NaN),
      end: END,
      query: 'q',
    };

    // Act
    const act = () => insightsLink(input);

    // Assess
    expect(act).toThrow(InsightsLinkError);
    expect(act).toThrow(AnalyzerError);
    expect(act).toThrow('Logs Insights link: the start time is not a valid date');
  });
});

describe('Function: cloudWatchHome', () => {
  it('uses the console host of each partition', () => {
    // Prepare
    const regions = ['eu-west-1', 'cn-north-1', 'us-gov-west-1'];

    // Act
    const homes = regions.map(cloudWatchHome);

    // Assess
    expect(homes).toEqual([
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1',
      'https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1',
      'https://us-gov-west-1.console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1',
    ]);
  });
});

describe('Function: insightsQuery', () => {
  it('lists every data repository stream by default, newest first', () => {
    // Prepare
    const input = {};

    // Act
    const query = insightsQuery(input);

    // Assess
    expect(query).toBe(
      'fields @timestamp, @logStream, @message\n| filter @logStream like /^datarepo_/\n| sort @timestamp desc\n| limit 1000',
    );
  });

  it('narrows to the streams of the file systems, sorted and each once', () => {
    // Prepare
    const ids = ['fs-0123456789abcdef0', 'fs-11111111', 'fs-0123456789abcdef0'];

    // Act
    const query = insightsQuery({ fileSystemIds: ids, limit: 50 });

    // Assess
    expect(query).toBe(
      'fields @timestamp, @logStream, @message\n| filter @logStream in ["datarepo_fs-0123456789abcdef0", "datarepo_fs-11111111"]\n| sort @timestamp desc\n| limit 50',
    );
  });

  it('falls back to every stream for an id that is not an FSx id, or for too many', () => {
    // Prepare
    const hostile = ['fs-11111111', 'fs-1"] | filter 1=1 #'];
    // Not hex: no id FSx issues (lib/common/fsx.ts), so no stream it names.
    const notHex = ['fs-11111111', 'fs-zzzzzzzz'];
    const many = Array.from({ length: 21 }, (_, index) => `fs-${String(index).padStart(8, '0')}`);

    // Act
    const queries = [
      insightsQuery({ fileSystemIds: hostile }),
      insightsQuery({ fileSystemIds: notHex }),
      insightsQuery({ fileSystemIds: many }),
    ];

    // Assess
    for (const query of queries) expect(query).toContain('| filter @logStream like /^datarepo_/\n');
  });

  it('keeps the limit between 1 and 10,000', () => {
    // Prepare
    const limits = [0, 20_000, Number.NaN, 12.7];

    // Act
    const queries = limits.map((limit) => insightsQuery({ limit }));

    // Assess
    expect(queries.map((query) => query.split('\n| ').at(-1))).toEqual([
      'limit 1',
      'limit 10000',
      'limit 1000',
      'limit 12',
    ]);
  });
});

describe('Function: minuteWindow', () => {
  it('widens event times to whole minutes, always ending after the last event', () => {
    // Prepare
    const first = Date.parse('2025-11-25T11:58:30.250Z');
    const onTheMinute = Date.parse('2025-11-25T12:03:00.000Z');

    // Act
    const window = minuteWindow(first, onTheMinute);

    // Assess
    expect(window.start.toISOString()).toBe('2025-11-25T11:58:00.000Z');
    expect(window.end.toISOString()).toBe('2025-11-25T12:04:00.000Z');
  });
});

describe('Function: jsurlEscape', () => {
  it('keeps [A-Za-z0-9_.-] and escapes every other UTF-16 unit in lowercase hex', () => {
    // Prepare
    const value = 'aZ9_.-~ $é漢\ud800';

    // Act
    const escaped = jsurlEscape(value);

    // Assess
    expect(escaped).toBe('aZ9_.-*7e*20*24*e9**6f22**d800');
  });
});

describe('Function: consoleLink', () => {
  it('uses the console host of the China and GovCloud partitions', () => {
    // Prepare
    const regions = ['cn-northwest-1', 'us-gov-west-1', 'ap-southeast-2'];

    // Act
    const links = regions.map((region) => consoleLink(region, '/g', 's'));

    // Assess
    expect(links).toEqual([
      'https://cn-northwest-1.console.amazonaws.cn/cloudwatch/home?region=cn-northwest-1#logsV2:log-groups/log-group/$252Fg/log-events/s',
      'https://us-gov-west-1.console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#logsV2:log-groups/log-group/$252Fg/log-events/s',
      'https://ap-southeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-southeast-2#logsV2:log-groups/log-group/$252Fg/log-events/s',
    ]);
  });

  it('encodes the group and stream the way the console does', () => {
    // Prepare
    const group = '/aws/fsx/lustre';
    const stream = 'a b/c$d%\ud800';

    // Act
    const link = consoleLink('us-east-1', group, stream);

    // Assess
    expect(link).toBe(
      'https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Ffsx$252Flustre/log-events/a$2520b$252Fc$2524d$2525$25EF$25BF$25BD',
    );
  });
});

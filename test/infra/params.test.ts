import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { osls, type Run } from './osls.ts';

// What `osls package` prints when a parameter is refused: one line that names it, no stack trace,
// a non-zero exit, and nothing packaged. The rules themselves: test/infra/settings.test.ts.

const REFUSALS: ReadonlyArray<readonly [string, string]> = [
  [
    'maxAttempts=0',
    'Error: Parameter maxAttempts (MAX_ATTEMPTS) must be an integer from 1 to 20 (got "0")',
  ],
  [
    'busyDelaySeconds=5000',
    'Error: Parameter busyDelaySeconds (BUSY_DELAY_SECONDS) must be an integer from 0 to 900 (got "5000")',
  ],
  [
    'retryLaterSeconds=9999',
    'Error: Parameter retryLaterSeconds (RETRY_LATER_SECONDS) must be an integer from 0 to 900 (got "9999")',
  ],
  [
    'notificationEmail=notanemail',
    'Error: Parameter notificationEmail must be an email address such as ops@example.com (got "notanemail")',
  ],
  [
    'fileSystemId=fs-0123456789abcdef0',
    'Error: Unknown parameter fileSystemId (--param): did you mean fileSystemIds?',
  ],
  [
    'fileSystemIds=',
    'Error: Parameter fileSystemIds (--param) has no value: give --param="fileSystemIds=value", or leave it out for its default',
  ],
  [
    'logGroups=/var/log/x',
    'Error: Parameter logGroups: "/var/log/x" is not an FSx log group (FSx writes only to log groups whose name begins with /aws/fsx/)',
  ],
  [
    'fileSystemIds=fs-XYZ',
    'Error: Parameter fileSystemIds: "fs-XYZ" is not a file system id (fs-0123456789abcdef0)',
  ],
  [
    'organizationId=o-a1b2c3d4e5',
    'Error: Parameter organizationId (--param) is read only with organization=true (docs/organization.md)',
  ],
  [
    'organization=true',
    'Error: Organization mode needs exactly one of the parameters organizationId and organizationAccounts',
  ],
];

let workDir: string;
const runs = new Map<string, Run>();

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'fsx-export-analyzer-params-'));
  // A refusal ends osls while it resolves variables, before it empties or writes .serverless/:
  // these can run beside the other packages. Three at a time on a shared machine.
  const queue = [...REFUSALS.map(([param]) => param), 'bogusParam=1'];
  const worker = async () => {
    for (let param = queue.shift(); param !== undefined; param = queue.shift()) {
      const directory = join(workDir, String(runs.size));
      runs.set(param, await osls(['package', '--package', directory, `--param=${param}`]));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
}, 180_000);

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('Parameters: refused at package time', () => {
  it.each(REFUSALS)('refuses --param=%s in one line naming it', (param, line) => {
    // Prepare
    const run = runs.get(param);

    // Assess
    expect(run?.code).toBe(1);
    expect(run?.output).toBe(`${line}\n`);
  });

  it('refuses an unknown name with the list of the known ones', () => {
    // Prepare
    const run = runs.get('bogusParam=1');

    // Act
    const lines = run?.output.trimEnd().split('\n') ?? [];

    // Assess
    expect(run?.code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^Error: Unknown parameter bogusParam \(--param\): serverless\.yml knows logGroups, fileSystemIds, .*maxAttempts, /,
    );
  });
});

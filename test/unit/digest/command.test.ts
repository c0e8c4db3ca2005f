import { describe, expect, it } from 'vitest';
import { reexportCommands } from '../../../lib/digest/command.ts';
import { digest, KEY, T0, W } from '../../helpers/digests.ts';
import { FS } from '../../helpers/fixtures.ts';

const REGION = 'eu-west-1';
const WINDOW = '--since 2025-11-25T10:00:00Z --until 2025-11-25T11:00:00Z';

describe('reexportCommands', () => {
  it('scopes a file system digest to its file system and its log group', () => {
    // Prepare
    const held = digest({ key: { ...KEY, cls: 'transient' } });

    // Act
    const commands = reexportCommands(held, REGION);

    // Assess
    expect(commands).toEqual([
      `fsx-export-analyzer reexport --class transient --log-group /aws/fsx/lustre --file-system-id ${FS} ${WINDOW} --region eu-west-1`,
    ]);
  });

  it('scopes a log group digest (records that named no file system) to its log group only', () => {
    // Prepare
    const held = digest({
      key: { scopeKind: 'logGroup', scope: '/aws/fsx/other', cls: 'busy' },
      logGroups: ['/aws/fsx/other'],
    });

    // Act
    const commands = reexportCommands(held, undefined);

    // Assess
    expect(commands).toEqual([
      `fsx-export-analyzer reexport --class busy --log-group /aws/fsx/other ${WINDOW}`,
    ]);
  });

  it('gives one command per log group of the file system', () => {
    // Prepare
    const held = digest({ logGroups: ['/aws/fsx/lustre', '/aws/fsx/moved'] });

    // Act
    const commands = reexportCommands(held, REGION);

    // Assess
    expect(commands.map((command) => command.split(' --log-group ')[1]?.split(' ')[0])).toEqual([
      '/aws/fsx/lustre',
      '/aws/fsx/moved',
    ]);
  });

  it('quotes a hostile log group name and Region so the shell runs nothing of them', () => {
    // Prepare
    const hostile = "/aws/fsx/$(rm -rf ~)'; echo pwned #";
    const held = digest({
      key: { scopeKind: 'logGroup', scope: hostile, cls: 'transient' },
      logGroups: [hostile],
    });

    // Act
    const [command] = reexportCommands(held, 'eu-west-1; id');

    // Assess
    expect(command).toBe(
      `fsx-export-analyzer reexport --class transient --log-group '/aws/fsx/$(rm -rf ~)'\\''; echo pwned #' ${WINDOW} --region 'eu-west-1; id'`,
    );
  });

  it('escapes control characters of a log group name instead of printing them', () => {
    // Prepare
    const held = digest({ logGroups: ['/aws/fsx/\u001b[2Jx'] });

    // Act
    const [command] = reexportCommands(held, REGION);

    // Assess
    expect(command).toContain("--log-group $'/aws/fsx/\\x1b[2Jx'");
    expect(command).not.toMatch(/[\u0000-\u001f]/);
  });

  it('pins the window to whole seconds in UTC, --until at the window end (it is excluded)', () => {
    // Prepare: a late roll closed the window 25 hours and 7 seconds after it opened.
    const held = digest({ windowStart: T0 + 1, windowEnd: T0 + 25 * W + 7 });

    // Act
    const [command] = reexportCommands(held, REGION);

    // Assess
    expect(command).toContain('--since 2025-11-25T10:00:01Z --until 2025-11-26T11:00:07Z');
  });

  it('gives no command that would not cover the entry exactly', () => {
    // Prepare
    const cases = [
      digest({ logGroups: [] }),
      digest({ logGroups: [' '] }),
      digest({ key: { ...KEY, scope: 'fs-not-an-id' } }),
      digest({ key: { ...KEY, scope: `${FS} --class limit` } }),
      digest({ windowStart: Number.NaN }),
      digest({ windowEnd: T0 }),
      digest({ windowEnd: 9e15 }),
      digest({ key: { scopeKind: 'logGroup', scope: '/aws/fsx/lustre', cls: 'unparseable' } }),
    ];

    // Act
    const commands = cases.map((held) => reexportCommands(held, REGION));

    // Assess
    expect(commands).toEqual(cases.map(() => []));
  });
});

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { exportCommand } from '../../../lib/render/commands.ts';
import { task } from '../../helpers/reports.ts';

// \n is the only control character an email body may hold (and no tab is ever written).
const FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('Function: exportCommand', () => {
  it('quotes paths so the shell receives them exactly, naming at most ten', () => {
    // Prepare
    const paths = [
      "ns1/it's here.bin",
      'ns1/esc\u001b[31m.bin',
      'ns1/$(reboot)`x`',
      'ns1/\u00e9t\u00e9 \u{1f600}',
    ];
    const all = [...paths, ...Array.from({ length: 8 }, (_, index) => `ns1/more-${index}`)];

    // Act
    const { command, pathsShown } = exportCommand(task({ paths: all, reportPath: undefined }));

    // Assess
    expect(pathsShown).toBe(10);
    expect(command).toMatch(
      /^aws fsx create-data-repository-task --file-system-id fs-0123456789abcdef0 --type EXPORT_TO_REPOSITORY --paths /,
    );
    expect(command).toContain("'ns1/it'\\''s here.bin' $'ns1/esc\\x1b[31m.bin' 'ns1/$(reboot)`x`'");
    expect(command).toContain("'ns1/more-5' --report Enabled=false");
    expect(command).not.toContain('more-6');
    expect(command).not.toMatch(FORBIDDEN);
    const args = command.slice(command.indexOf('--paths ') + 8, command.indexOf(' --report'));
    const echoed = execFileSync('bash', ['-c', `printf '%s\\0' ${args}`], { encoding: 'utf8' });
    expect(echoed.split('\0').slice(0, -1)).toEqual(all.slice(0, 10));
  });
});

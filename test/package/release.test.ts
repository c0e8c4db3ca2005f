import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript release script without type declarations.
import { optionOf, writeChecksums } from '../../scripts/release.mjs';

// `npm run release` itself runs `osls package` like test/infra does; these check what it adds:
// the folder it chooses from the osls options, and a checksum file `sha256sum --check` accepts.

const run = promisify(execFile);

describe('Function: optionOf (release.mjs)', () => {
  it.each([
    [['--stage', 'prod', '--region', 'eu-west-1'], 'prod', 'eu-west-1'],
    [
      ['--stage=prod', '--region=eu-west-1', '--param=logGroups=/aws/fsx/lustre'],
      'prod',
      'eu-west-1',
    ],
    [['-s', 'prod', '-r', 'eu-west-1'], 'prod', 'eu-west-1'],
    [['--param=stage=nope'], undefined, undefined],
    [['--stage', 'a', '--stage', 'b'], 'b', undefined],
  ])('reads %j as stage %s, Region %s', (args, stage, region) => {
    // Act
    const found = [optionOf(args, 'stage', 's'), optionOf(args, 'region', 'r')];

    // Assess
    expect(found).toEqual([stage, region]);
  });
});

describe('Function: writeChecksums (release.mjs)', () => {
  let folder = '';

  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'fea-release-'));
  });

  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('lists every file once, sorted, in the format sha256sum --check verifies', async () => {
    // Prepare
    await writeFile(join(folder, 'retrier.zip'), 'retrier');
    await writeFile(join(folder, 'analyzer.zip'), 'analyzer');
    await writeFile(join(folder, 'SHA256SUMS'), 'stale\n');

    // Act
    await writeChecksums(folder);
    const sums = await readFile(join(folder, 'SHA256SUMS'), 'utf8');
    const check = await run('sha256sum', ['--check', 'SHA256SUMS'], { cwd: folder });

    // Assess
    expect(sums).toBe(
      [
        // sha256 of the text "analyzer" and of "retrier"
        'e28f74d371c2d2c909ff06779dc54cf1c7b68d2a2b701f4d82d25c5d919c63ee  analyzer.zip',
        'a02ce4799e5ebf891034e2513e31e6e9c9e9bc128b7e019ff03df661a2266486  retrier.zip',
        '',
      ].join('\n'),
    );
    expect(check.stdout).toBe('analyzer.zip: OK\nretrier.zip: OK\n');
  });
});

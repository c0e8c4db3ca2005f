import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ANALYZER_MEMORY_MB,
  cgroupCandidates,
  createMemoryCgroup,
  memoryHierarchy,
  ownCgroup,
} from '../../../scripts/bench/cgroup.ts';
import { ROOT } from '../../infra/osls.ts';

const require = createRequire(import.meta.url);
const parseYaml = require('osls/lib/utils/fs/parse.js') as (file: string, text: string) => unknown;

/** /proc/self/cgroup on a cgroup v1 host (hybrid: an empty v2 hierarchy as well). */
const V1_SELF = [
  '9:name=systemd:/',
  '4:memory:/process_api/3738b9b6',
  '3:cpuset:/',
  '2:cpu,cpuacct:/',
  '0::/',
  '',
].join('\n');

/** /proc/self/cgroup on a cgroup v2 host. */
const V2_SELF = '0::/user.slice/user-1000.slice/session-3.scope\n';

describe('Function: memoryHierarchy', () => {
  it('takes cgroup v2 when its root lists the memory controller', () => {
    // Act
    const hierarchy = memoryHierarchy('cpuset cpu io memory hugetlb pids\n', false, '/cg');

    // Assess
    expect(hierarchy).toEqual({ version: 2, root: '/cg', limitFile: 'memory.max' });
  });

  it('takes the v1 memory mount when v2 has no memory controller', () => {
    // Act
    const hierarchy = memoryHierarchy('cpu io pids', true, '/cg');

    // Assess
    expect(hierarchy).toEqual({
      version: 1,
      root: '/cg/memory',
      limitFile: 'memory.limit_in_bytes',
    });
  });

  it('finds none without either', () => {
    // Act
    const hierarchy = memoryHierarchy(undefined, false, '/cg');

    // Assess
    expect(hierarchy).toBeUndefined();
  });
});

describe('Function: ownCgroup', () => {
  it('reads the memory line under v1 and the 0:: line under v2', () => {
    // Act
    const paths = [ownCgroup(V1_SELF, 1), ownCgroup(V1_SELF, 2), ownCgroup(V2_SELF, 2)];

    // Assess
    expect(paths).toEqual([
      '/process_api/3738b9b6',
      '/',
      '/user.slice/user-1000.slice/session-3.scope',
    ]);
  });

  it('finds no v1 memory group when the memory controller is not listed', () => {
    // Act
    const path = ownCgroup('3:cpuset:/\n2:cpu,cpuacct:/\n', 1);

    // Assess
    expect(path).toBeUndefined();
  });
});

describe('Function: cgroupCandidates', () => {
  it('tries a child of the own group first, then a child of the root', () => {
    // Prepare
    const hierarchy = memoryHierarchy(undefined, true, '/cg');
    if (hierarchy === undefined) throw new Error('v1 expected');

    // Act
    const nested = cgroupCandidates(hierarchy, '/process_api/3738b9b6', 'bench-1');
    const atRoot = cgroupCandidates(hierarchy, '/', 'bench-1');

    // Assess
    expect(nested).toEqual(['/cg/memory/process_api/3738b9b6/bench-1', '/cg/memory/bench-1']);
    expect(atRoot).toEqual(['/cg/memory/bench-1']);
  });
});

describe('Function: createMemoryCgroup', () => {
  let mount: string | undefined;
  afterEach(() => {
    if (mount !== undefined) rmSync(mount, { recursive: true, force: true });
    mount = undefined;
  });

  it('says why when there is no memory controller', () => {
    // Prepare
    mount = mkdtempSync(join(tmpdir(), 'fea-cgroup-'));

    // Act
    const result = createMemoryCgroup(512 * 1024 * 1024, 'bench-1', {
      mount,
      procSelfCgroup: V1_SELF,
    });

    // Assess
    expect(result).toEqual({ reason: `no cgroup memory controller at ${mount}` });
  });

  it('removes each group it made but could not limit, and says why', () => {
    // Prepare: a plain folder takes mkdir but, unlike cgroupfs, gives the child no limit file.
    mount = mkdtempSync(join(tmpdir(), 'fea-cgroup-'));
    const memory = join(mount, 'memory');
    mkdirSync(join(memory, 'process_api', '3738b9b6'), { recursive: true });

    // Act
    const result = createMemoryCgroup(512 * 1024 * 1024, 'bench-1', {
      mount,
      procSelfCgroup: V1_SELF,
    });

    // Assess
    expect(result).toEqual({
      reason: `cgroup v1, ${join(memory, 'process_api', '3738b9b6', 'bench-1')}: no memory.limit_in_bytes; ${join(memory, 'bench-1')}: no memory.limit_in_bytes`,
    });
    expect(readdirSync(memory)).toEqual(['process_api']);
    expect(readdirSync(join(memory, 'process_api', '3738b9b6'))).toEqual([]);
  });

  it('says which errno refused the group', () => {
    // Prepare: the v2 root lists memory, but the group to make already exists as a file.
    mount = mkdtempSync(join(tmpdir(), 'fea-cgroup-'));
    writeFileSync(join(mount, 'cgroup.controllers'), 'cpu memory pids\n');
    writeFileSync(join(mount, 'bench-1'), '');

    // Act
    const result = createMemoryCgroup(512 * 1024 * 1024, 'bench-1', {
      mount,
      procSelfCgroup: '0::/\n',
    });

    // Assess
    expect(result).toEqual({ reason: `cgroup v2, ${join(mount, 'bench-1')}: EEXIST` });
  });
});

describe('Constant: ANALYZER_MEMORY_MB', () => {
  it('is the memory serverless.yml gives the analyzer', () => {
    // Prepare
    const yml = parseYaml('serverless.yml', readFileSync(join(ROOT, 'serverless.yml'), 'utf8')) as {
      params: { default: { memorySize: unknown } };
      functions: { analyzer: { memorySize: unknown } };
    };

    // Act
    const { memorySize } = yml.functions.analyzer;

    // Assess
    expect(memorySize).toBe(`\${param:memorySize}`);
    expect(yml.params.default.memorySize).toBe(ANALYZER_MEMORY_MB);
  });
});

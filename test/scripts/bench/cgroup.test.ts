import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ANALYZER_MEMORY_MB,
  cgroupCandidates,
  createMemoryCgroup,
  evictAndRemove,
  limitMissed,
  type MemoryCgroup,
  memoryHierarchy,
  memoryLimit,
  ownCgroup,
  removeCgroup,
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

/** `process.constrainedMemory()` under cgroup v2's "max": UINT64_MAX, as a JS number. */
const UINT64_MAX = Number(2n ** 64n - 1n);

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

describe('Function: removeCgroup', () => {
  let parent: string | undefined;
  afterEach(() => {
    if (parent !== undefined) rmSync(parent, { recursive: true, force: true });
    parent = undefined;
  });

  it('removes the group, or finds it already gone, without a word', () => {
    // Prepare
    parent = mkdtempSync(join(tmpdir(), 'fea-cgroup-'));
    const group = join(parent, 'bench-1');
    mkdirSync(group);
    const warn = vi.fn();

    // Act
    const results = [removeCgroup(group, warn), removeCgroup(group, warn)];

    // Assess
    expect(results).toEqual([true, true]);
    expect(existsSync(group)).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });

  it('warns with the path and the errno when the group stays', () => {
    // Prepare: a folder that holds a file fails rmdir, as a group that holds a process does.
    parent = mkdtempSync(join(tmpdir(), 'fea-cgroup-'));
    const group = join(parent, 'bench-1');
    mkdirSync(group);
    writeFileSync(join(group, 'busy'), '');
    const warn = vi.fn();

    // Act
    const removed = removeCgroup(group, warn);

    // Assess
    expect(removed).toBe(false);
    expect(warn).toHaveBeenCalledExactlyOnceWith(
      `bench: could not remove the memory cgroup ${group} (ENOTEMPTY); rmdir it once its processes have exited`,
    );
  });
});

describe('Function: evictAndRemove', () => {
  let parent: string | undefined;
  afterEach(() => {
    if (parent !== undefined) rmSync(parent, { recursive: true, force: true });
    parent = undefined;
  });

  /** A group whose processes file is a plain file that lists `pids`, and a spy for its removal. */
  const fakeGroup = (pids: readonly number[]) => {
    parent = mkdtempSync(join(tmpdir(), 'fea-cgroup-'));
    const procsFile = join(parent, 'cgroup.procs');
    writeFileSync(procsFile, pids.map((pid) => `${pid}\n`).join(''));
    const remove = vi.fn();
    const group: MemoryCgroup = {
      dir: parent,
      version: 2,
      limitBytes: 512 * 1024 * 1024,
      procsFile,
      remove,
    };
    return { group, remove };
  };

  it('removes an empty group at once', async () => {
    // Prepare
    const { group, remove } = fakeGroup([]);
    const started = performance.now();

    // Act
    await evictAndRemove(group, 5_000);

    // Assess
    expect(remove).toHaveBeenCalledOnce();
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('kills the processes in the group, then removes it', async () => {
    // Prepare: a child of this test stands for the bench's child in the group.
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    const ended = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    const { group, remove } = fakeGroup([child.pid ?? 0]);

    // Act: the plain file keeps listing the pid, so the wait ends at the timeout.
    await evictAndRemove(group, 200);

    // Assess
    expect(await ended).toBe('SIGKILL');
    expect(remove).toHaveBeenCalledOnce();
  });
});

describe('Function: memoryLimit', () => {
  const total = 24 * 1024 ** 3;

  it('is the limit when it is below the machine memory', () => {
    // Act
    const limit = memoryLimit(512 * 1024 * 1024, total);

    // Assess
    expect(limit).toBe(512 * 1024 * 1024);
  });

  it('is none for 0, for cgroup v2 max, for cgroup v1 unlimited and at the machine memory', () => {
    // Act: UINT64_MAX as a JS number; v1's unlimited is PAGE_COUNTER_MAX pages of 4 KiB.
    const limits = [0, UINT64_MAX, Number(2n ** 63n - 4096n), total].map((constrained) =>
      memoryLimit(constrained, total),
    );

    // Assess
    expect(limits).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('Function: limitMissed', () => {
  const limitBytes = 512 * 1024 * 1024;
  const unlimitedHeap = 4144 * 1024 * 1024;

  it('finds the limit applied when Node reports it or sized its heap from it', () => {
    // Act
    const missed = [
      limitMissed(
        { constrainedMemory: limitBytes, heapLimit: unlimitedHeap },
        limitBytes,
        unlimitedHeap,
      ),
      limitMissed(
        { constrainedMemory: UINT64_MAX, heapLimit: 259 * 1024 * 1024 },
        limitBytes,
        unlimitedHeap,
      ),
    ];

    // Assess
    expect(missed).toEqual([false, false]);
  });

  it('finds it missed when Node reports another limit and a heap as large as without it', () => {
    // Act
    const missed = limitMissed(
      { constrainedMemory: UINT64_MAX, heapLimit: unlimitedHeap / 2 },
      limitBytes,
      unlimitedHeap,
    );

    // Assess
    expect(missed).toBe(true);
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
